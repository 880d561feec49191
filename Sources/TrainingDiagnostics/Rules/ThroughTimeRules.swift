import Backprop
import RunFormat

/// The time ratio ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of one stacked layer's trace: nil when the sequence has one step,
/// or ‖∂L/∂h_T‖ is zero or either norm is not finite (nothing to compare).
func timeRatio(_ trace: TimeTrace) -> Double? {
    guard trace.gradientNorms.count >= 2, let first = trace.gradientNorms.first, let last = trace.gradientNorms.last,
          first.isFinite, last.isFinite, last > 0 else { return nil }
    return first / last
}

/// Gradients vanish through time: in a recurrent layer, the gradient reaching the first hidden state is a
/// tiny fraction of the one reaching the last.
///
/// ```
/// min over stacked layers of ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ < vanishingTimeRatio      on `sustain` consecutive recorded steps
/// ```
/// ∂L/∂h_1 = Σ_t (∏_{k=2..t} ∂h_k/∂h_{k−1})ᵀ ∂L_t/∂h_t: when the recurrent Jacobians' norms stay below 1 the
/// products shrink geometrically with t, and the early inputs' influence on the loss cannot be learned
/// (Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013, section 2, the condition λ₁ < 1/γ).
/// Thresholds: `vanishingTimeRatio` (1e-3, as `vanishingRatio` across depth) and `sustain`. Steps with no
/// ratio (one time step, ‖∂L/∂h_T‖ = 0) are skipped without breaking a streak. Fires once per recurrent
/// layer, from the step its streak began, naming the stacked layer with the smallest ratio; closes once every
/// stacked layer's ratio has been at or above the threshold on `sustain` recorded steps in a row (the span
/// ends at the last step it held), as `info`, and a later streak is a new span: a gradient
/// that recovers through time needs no action (an LSTM on the adding problem loses it over its first
/// steps, while it fits the mean, and regains it as its forget gates learn to hold the marked values).
struct VanishingThroughTimeRule: FindingRule {
    static let kind = FindingKind.vanishingThroughTime
    private var streaks = Streaks()
    /// For an open finding: the last recorded step the condition held, and how many recorded steps in a
    /// row it has not held since.
    private var clearing: [String: (lastHeld: Int, clear: Int)] = [:]

    mutating func evaluate(time layer: RecordedStep.TimeLayer, step: Int, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        let ratios = layer.traces.compactMap { trace in timeRatio(trace).map { (trace, $0) } }
        guard let (trace, ratio) = ratios.min(by: { $0.1 < $1.1 }) else { return [] }
        let below = ratio < t.vanishingTimeRatio
        let (holds, since, _) = streaks.update(layer.layer, below, step: step, sustain: t.sustain)
        // An open finding closes only once the ratio has stayed at or above the threshold for `sustain`
        // recorded steps in a row: one step of a recovering gradient (seen on a tanh RNN on the adding
        // problem, one recorded step at 4e-4 among ratios of 1e-9 and exact zeros) does not end it.
        if ledger.isOpen(Self.kind, about: layer.layer) {
            var state = clearing[layer.layer] ?? (lastHeld: step, clear: 0)
            if below {
                state = (step, 0)
            } else {
                state.clear += 1
            }
            clearing[layer.layer] = state
            if state.clear >= t.sustain {
                ledger.close(Self.kind, about: layer.layer, lastStep: state.lastHeld, severity: .info)
                ledger.allowAgain(Self.kind, about: layer.layer)
                clearing[layer.layer] = nil
            }
            return []
        }
        guard holds else { return [] }
        let found = ledger.once(Self.kind, about: layer.layer) {
            finding(step: since, layer: layer.layer, value: ratio, threshold: t.vanishingTimeRatio,
                    message: "gradients vanish through time in layer \(layer.layer)\(stackWords(trace, layer)): "
                        + "‖∂L/∂h_1‖ is \(short(ratio)) of ‖∂L/∂h_T‖ (T = \(trace.gradientNorms.count)) since step "
                        + "\(since), below \(short(t.vanishingTimeRatio)); the early time steps get almost no "
                        + "gradient.")
        }
        return found.map { [$0] } ?? []
    }
}

/// Gradients explode through time: in a recurrent layer, the gradient grows geometrically going back from
/// the last time step to the first.
///
/// ```
/// max over stacked layers of ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ > explodingTimeRatio      on `sustain` consecutive recorded steps
/// ```
/// The mirror of `VanishingThroughTimeRule`: recurrent Jacobians with norms above 1 make the products grow
/// with t (Pascanu, Mikolov & Bengio 2013, section 2, λ₁ > 1/γ necessary; their section 3 clips the norm).
/// Thresholds: `explodingTimeRatio` (1e3) and `sustain`. Fires once per recurrent layer; closes at the first
/// recorded step where every stacked layer's ratio is at or below the threshold.
struct ExplodingThroughTimeRule: FindingRule {
    static let kind = FindingKind.explodingThroughTime
    private var streaks = Streaks()

    mutating func evaluate(time layer: RecordedStep.TimeLayer, step: Int, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        let ratios = layer.traces.compactMap { trace in timeRatio(trace).map { (trace, $0) } }
        guard let (trace, ratio) = ratios.max(by: { $0.1 < $1.1 }) else { return [] }
        let (holds, since, ended) = streaks.update(layer.layer, ratio > t.explodingTimeRatio, step: step,
                                                   sustain: t.sustain)
        if let ended { ledger.close(Self.kind, about: layer.layer, lastStep: ended) }
        guard holds else { return [] }
        let found = ledger.once(Self.kind, about: layer.layer) {
            finding(step: since, layer: layer.layer, value: ratio, threshold: t.explodingTimeRatio,
                    message: "gradients explode through time in layer \(layer.layer)\(stackWords(trace, layer)): "
                        + "‖∂L/∂h_1‖ is \(short(ratio)) times ‖∂L/∂h_T‖ (T = \(trace.gradientNorms.count)) since "
                        + "step \(since), above \(short(t.explodingTimeRatio)).")
        }
        return found.map { [$0] } ?? []
    }
}

/// " (stacked layer 1)" when the layer has more than one; empty otherwise.
func stackWords(_ trace: TimeTrace, _ layer: RecordedStep.TimeLayer) -> String {
    layer.traces.count > 1 ? " (stacked layer \(trace.stack))" : ""
}
