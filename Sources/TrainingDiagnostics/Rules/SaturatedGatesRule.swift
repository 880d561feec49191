import Backprop
import RunFormat

/// Saturated gates: a gate of an LSTM or GRU cell spends most of the sequence in its saturated band.
///
/// ```
/// s_g = (1/T) Σ_t saturated_fraction_g(t)          for each gate g of each stacked layer
/// max_g s_g ≥ saturatedGateFraction                on `sustain` consecutive recorded steps
/// ```
/// A gate in its band (a sigmoid below 0.03 or above 0.97, a tanh beyond ±0.97) has a derivative near 0,
/// so its weights get almost no gradient and the gate stops adapting; a forget gate stuck near 0 forgets at
/// every step, one stuck near 1 never resets (Gers, Schmidhuber & Cummins 2000; Chandar et al. 2019,
/// "Towards non-saturating recurrent units"). Thresholds: `saturatedGateFraction` (0.5, as
/// `saturatedFraction` for activation layers) and `sustain`. A vanilla RNN has no gates and is never
/// reported. Fires once per recurrent layer, naming the most saturated gate; closes at the first recorded
/// step where every gate is below the threshold.
struct SaturatedGatesRule: FindingRule {
    static let kind = FindingKind.saturatedGates
    private var streaks = Streaks()

    mutating func evaluate(time layer: RecordedStep.TimeLayer, step: Int, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        var worst: (gate: String, stack: Int, fraction: Double)?
        for trace in layer.traces {
            for gate in trace.gates where !gate.saturatedFractions.isEmpty {
                let fraction = gate.saturatedFractions.reduce(0, +) / Double(gate.saturatedFractions.count)
                if fraction.isFinite && fraction > (worst?.fraction ?? -1) { worst = (gate.name, trace.stack, fraction) }
            }
        }
        guard let worst else { return [] }
        let stack = layer.traces.count > 1 ? " of stacked layer \(worst.stack)" : ""
        return sustainedFraction(worst.fraction, of: layer.layer, threshold: t.saturatedGateFraction, step: step,
                                 sustain: t.sustain, streaks: &streaks, ledger: &ledger) { since in
            "gate \(worst.gate)\(stack) of layer \(layer.layer) has \(percent(worst.fraction)) of its activations "
                + "saturated on average over the sequence since step \(since); its weights get almost no gradient."
        }
    }
}
