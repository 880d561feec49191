import RunFormat

/// Dead ReLUs: a large fraction of an activation layer's units output zero for a whole batch.
///
/// ```
/// dead_fraction ≥ deadFraction      on `sustain` consecutive recorded steps
/// ```
/// Thresholds: `deadFraction` (0.5: half the layer no longer learns; CS231n's notes on activation functions
/// describe ReLU networks with as much as 40 % of their units dead) and `sustain`. Fires once per layer;
/// closes at the first recorded step where the fraction is below the threshold again.
struct DeadUnitsRule: FindingRule {
    static let kind = FindingKind.dead
    private var streaks = Streaks()

    mutating func evaluate(layer: RecordedStep.ActivationLayer, step: Int, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        sustainedFraction(layer.deadFraction, of: layer.layer, threshold: t.deadFraction, step: step,
                          sustain: t.sustain, streaks: &streaks, ledger: &ledger) { since in
            "\(percent(layer.deadFraction)) of layer \(layer.layer)'s \(layer.kind) units are "
                + "dead (zero for a whole batch) since step \(since)."
        }
    }
}
