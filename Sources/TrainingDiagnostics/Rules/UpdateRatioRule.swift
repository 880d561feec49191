import RunFormat

/// Updates too large or too small against the weights they change.
///
/// ```
/// median over the last updateRatioWindow recorded steps of ‖Δθ‖/‖θ‖  ∉  [low, high]
/// ```
/// Thresholds: `updateRatioBand` (1e-4…1e-2 around Karpathy's 1e-3, CS231n "Babysitting the learning
/// process") and `updateRatioWindow` (20). Non-finite ratios are left out of the window. Fires once per
/// side of the band, at the tensor furthest outside it; the message lists every tensor outside.
struct UpdateRatioRule: FindingRule {
    static let kind = FindingKind.updateRatio
    private var windows: [String: [Double]] = [:]

    mutating func evaluate(updates recorded: RecordedStep, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        var outside: (low: [(String, String, Double)], high: [(String, String, Double)]) = ([], [])
        for weight in recorded.weights where weight.updateRatio.isFinite {
            var window = windows[weight.parameter, default: []]
            window.append(weight.updateRatio)
            if window.count > t.updateRatioWindow { window.removeFirst() }
            windows[weight.parameter] = window
            guard window.count == t.updateRatioWindow else { continue }
            let median = window.sorted()[window.count / 2]
            if median > t.updateRatioBand.high { outside.high.append((weight.parameter, weight.layer, median)) }
            if median < t.updateRatioBand.low { outside.low.append((weight.parameter, weight.layer, median)) }
        }
        var findings: [FindingRow] = []
        for (high, tensors) in [(true, outside.high), (false, outside.low)] where !tensors.isEmpty {
            let bound = high ? t.updateRatioBand.high : t.updateRatioBand.low
            let worst = high ? tensors.max { $0.2 < $1.2 }! : tensors.min { $0.2 < $1.2 }!
            let list = tensors.map { "\($0.0) \(short($0.2))" }.joined(separator: ", ")
            if let found = ledger.once(Self.kind, about: high ? "high" : "low", {
                finding(step: recorded.step, layer: worst.1, value: worst.2, threshold: bound,
                        message: "updates are \(high ? "large" : "small") against the weights: the median "
                            + "‖Δθ‖/‖θ‖ over the last \(t.updateRatioWindow) recorded steps (up to step "
                            + "\(recorded.step)) is \(high ? "above" : "below") \(short(bound)) for \(list).",
                        remedy: FindingKind.updateRatioRemedy(tooLarge: high))
            }) { findings.append(found) }
        }
        return findings
    }
}
