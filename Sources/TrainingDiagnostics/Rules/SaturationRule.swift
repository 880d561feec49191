import RunFormat

/// Saturated units: a large fraction of an activation layer's outputs sit where its derivative is near 0.
///
/// ```
/// saturated_fraction ≥ saturatedFraction      on `sustain` consecutive recorded steps
/// ```
/// Thresholds: `saturatedFraction` (0.5: half the layer passes almost no gradient; Glorot & Bengio 2010
/// follow the saturation of sigmoid and tanh layers during training) and `sustain`. The band is the
/// activation's own (`ActivationStatistics`). Fires once per layer;
/// closes at the first recorded step where the fraction is below the threshold again.
struct SaturationRule: FindingRule {
    static let kind = FindingKind.saturated
    private var streaks = Streaks()

    mutating func evaluate(layer: RecordedStep.ActivationLayer, step: Int, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        sustainedFraction(layer.saturatedFraction, of: layer.layer, threshold: t.saturatedFraction, step: step,
                          sustain: t.sustain, streaks: &streaks, ledger: &ledger) { since in
            "\(percent(layer.saturatedFraction)) of layer \(layer.layer)'s \(layer.kind) "
                + "outputs are saturated since step \(since), where their derivative is near 0."
        }
    }
}
