import RunFormat

/// The loss stalls well above where it started from.
///
/// ```
/// improvement = (mean(L over the window before) − mean(L over the last window)) / |mean(before)|
/// improvement < stagnationImprovement  and  mean(last window) > stagnationFloor · L_first
/// ```
/// Thresholds: `stagnationImprovement` (1 %), `stagnationWindow` (100 steps) and `stagnationFloor` (0.1
/// of the first loss, so a loss that has converged near 0 is not called stalled). Checked every
/// `stagnationWindow` finite losses once two windows are full; non-finite losses are left out.
struct StagnationRule: FindingRule {
    static let kind = FindingKind.stagnation
    private var losses: [Double] = []
    private var firstLoss: Double?

    mutating func evaluate(step s: StepValues, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard s.loss.isFinite else { return [] }
        if firstLoss == nil { firstLoss = s.loss }
        losses.append(s.loss)
        let w = t.stagnationWindow
        guard losses.count >= 2 * w, losses.count % w == 0, let first = firstLoss else { return [] }
        let recent = losses.suffix(w).reduce(0, +) / Double(w)
        let before = losses.suffix(2 * w).prefix(w).reduce(0, +) / Double(w)
        let improvement = (before - recent) / abs(before)
        guard improvement < t.stagnationImprovement && recent > t.stagnationFloor * first else { return [] }
        let found = ledger.once(Self.kind) {
            finding(step: s.step - w + 1, layer: "", value: improvement, threshold: t.stagnationImprovement,
                    message: "the loss stalls at \(short(recent)) (\(short(recent / first)) of its first value): it "
                        + "improved by \(percent(max(improvement, 0))) over steps \(s.step - w + 1)–\(s.step).")
        }
        return found.map { [$0] } ?? []
    }
}
