import RunFormat

/// The loss stalls well above where it started from: a plateau (`info`) while it lasts and once it ends;
/// stagnation (`warning`) only when it lasts to the end of the run.
///
/// ```
/// improvement = (mean(L over the window before) − mean(L over the last window)) / |mean(before)|
/// improvement < stagnationImprovement  and  mean(last window) > stagnationFloor · L_first
/// ```
/// Thresholds: `stagnationImprovement` (1 %), `stagnationWindow` (100 steps), `stagnationFloor` (0.1
/// of the first loss, so a loss that has converged near 0 is not called stalled) and `stagnationChecks`
/// (2). Checked every `stagnationWindow` finite losses once two windows are full; non-finite losses are
/// left out.
///
/// A plateau opens at the first check where the condition holds, from the first step of that check's last
/// window, and closes at the first check where it does not, its last step being the last check where it
/// held. At the end of training the condition is checked once more on the last two windows: a plateau
/// still open then, which held at `stagnationChecks` consecutive checks or more (this one included when it
/// sees new windows), is replaced by stagnation from the same step; a shorter one stays an open plateau
/// (`info`): one window of stall after a fall is a pause, not a stuck run. Each plateau is its own
/// finding, so a loss that stalls, falls and stalls again has two.
struct StagnationRule: FindingRule {
    static let kind = FindingKind.stagnation
    private var losses: [(step: Int, loss: Double)] = []
    private var firstLoss: Double?
    /// The plateau open now: its ledger subject, its row, the last check at which it held, and at how
    /// many checks it has held.
    private var plateau: (subject: String, row: FindingRow, lastHeld: Int, checks: Int)?

    mutating func evaluate(step s: StepValues, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard s.loss.isFinite else { return [] }
        if firstLoss == nil { firstLoss = s.loss }
        losses.append((s.step, s.loss))
        guard losses.count % t.stagnationWindow == 0, let check = stall(t) else { return [] }
        guard check.holds else {
            if let open = plateau { ledger.close(.plateau, about: open.subject, lastStep: open.lastHeld) }
            plateau = nil
            return []
        }
        if plateau != nil {
            plateau?.lastHeld = s.step
            plateau?.checks += 1
            return []
        }
        let since = losses[losses.count - t.stagnationWindow].step
        let subject = "from \(since)"
        let found = ledger.once(.plateau, about: subject) {
            FindingRow(step: since, layer: "", kind: .plateau, severity: .info, value: check.improvement,
                       threshold: t.stagnationImprovement,
                       message: "the loss stalled at \(short(check.recent)) (\(short(check.recent / check.first)) of "
                        + "its first value): it improved by \(percent(max(check.improvement, 0))) over steps "
                        + "\(since)–\(s.step). Remedy: " + FindingKind.plateau.remedy)
        }
        if let found { plateau = (subject, found, s.step, 1) }
        return found.map { [$0] } ?? []
    }

    mutating func finish(lastStep: Int, _ t: DetectorThresholds, _ ledger: inout FindingLedger) -> [FindingRow] {
        guard let open = plateau else { return [] }
        plateau = nil
        guard let check = stall(t), check.holds else {
            ledger.close(.plateau, about: open.subject, lastStep: open.lastHeld)
            return []
        }
        // The final check is a check of its own when the last window moved since the periodic one.
        let checks = open.checks + (losses.count % t.stagnationWindow == 0 ? 0 : 1)
        guard checks >= t.stagnationChecks else { return [] }
        let from = losses[losses.count - t.stagnationWindow].step
        let row = finding(step: open.row.step, layer: "", value: check.improvement, threshold: t.stagnationImprovement,
                          message: "the loss stalls at \(short(check.recent)) (\(short(check.recent / check.first)) of "
                            + "its first value) from step \(open.row.step) to the end of the run: it improved by "
                            + "\(percent(max(check.improvement, 0))) over steps \(from)–\(losses.last!.step).")
        return ledger.replace(.plateau, about: open.subject, by: row).map { [$0] } ?? []
    }

    /// The condition on the last two windows of finite losses; nil until both are full.
    private func stall(_ t: DetectorThresholds) -> (holds: Bool, recent: Double, improvement: Double, first: Double)? {
        let w = t.stagnationWindow
        guard losses.count >= 2 * w, let first = firstLoss else { return nil }
        let recent = losses.suffix(w).reduce(0) { $0 + $1.loss } / Double(w)
        let before = losses.suffix(2 * w).prefix(w).reduce(0) { $0 + $1.loss } / Double(w)
        let improvement = (before - recent) / abs(before)
        return (improvement < t.stagnationImprovement && recent > t.stagnationFloor * first, recent, improvement, first)
    }
}
