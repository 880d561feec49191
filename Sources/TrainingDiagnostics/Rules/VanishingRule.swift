import RunFormat

/// Gradients vanish towards the input: a weight tensor's gradient norm stays far below the largest one's.
///
/// ```
/// ‖∇W_l‖ / max_k ‖∇W_k‖ < vanishingRatio      on `sustain` consecutive recorded steps
/// ```
/// Thresholds: `vanishingRatio` (1e-3: Glorot & Bengio 2010, fig. 7, show sigmoid networks whose lower
/// layers' gradients are three orders of magnitude below the top's; healthy ReLU/He networks stay within
/// one, He et al. 2015) and `sustain`. Steps where no weight has a positive finite gradient norm are
/// skipped without breaking a streak. Fires once per run, at the layer nearest the input, from the step its
/// streak began; the message names every tensor below the ratio. Closes when that layer's streak ends.
struct VanishingRule: FindingRule {
    static let kind = FindingKind.vanishing
    private var streaks = Streaks()
    /// The parameter the finding is about, once raised.
    private var reported: String?

    mutating func evaluate(gradients recorded: RecordedStep, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard let largest = recorded.weights.map(\.norm).filter(\.isFinite).max(), largest > 0 else { return [] }
        var vanishing: [(weight: RecordedStep.WeightGradient, ratio: Double, since: Int)] = []
        for weight in recorded.weights {
            let ratio = weight.norm / largest
            let (holds, since, ended) = streaks.update(weight.parameter, ratio < t.vanishingRatio, step: recorded.step,
                                                       sustain: t.sustain)
            if let ended, weight.parameter == reported { ledger.close(Self.kind, lastStep: ended) }
            if holds { vanishing.append((weight, ratio, since)) }
        }
        guard let (first, ratio, since) = vanishing.first else { return [] }
        let largestName = recorded.weights.first { $0.norm == largest }?.parameter ?? "?"
        let names = vanishing.map(\.weight.parameter).joined(separator: ", ")
        let found = ledger.once(Self.kind) {
            finding(step: since, layer: first.layer, value: ratio, threshold: t.vanishingRatio,
                    message: "gradients vanish towards the input: \(first.parameter)'s gradient norm is "
                        + "\(short(ratio)) of the largest (\(largestName)) since step \(since); "
                        + "below \(short(t.vanishingRatio)) of it: \(names).")
        }
        if found != nil { reported = first.parameter }
        return found.map { [$0] } ?? []
    }
}
