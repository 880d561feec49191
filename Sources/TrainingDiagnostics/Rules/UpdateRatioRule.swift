import RunFormat

/// Updates too large or too small against the weights they change.
///
/// ```
/// median over the last updateRatioWindow recorded steps of ‖Δθ‖/‖θ‖  ∉  [low, high]
///     for some tensor, on one side of the band, on `sustain` consecutive recorded steps
/// ```
/// Thresholds: `updateRatioBand` (1e-4…1e-2 around Karpathy's 1e-3, CS231n "Babysitting the learning
/// process"), `updateRatioWindow` (20) and `sustain` (as the other rules: a median that leaves the band
/// for a step or two, as momentum's does while it builds up, is not reported; the healthy-run suite,
/// scripts/healthy-suite.sh, showed such spans of 1 and 4 steps). Non-finite ratios are left out of the
/// window. Fires once per side of the band, from the step its streak began, at the tensor furthest
/// outside it; the message lists every tensor outside. A side's finding closes at the first recorded step
/// where no tensor's median is outside on that side, and a closed one is `info`: the optimizer's steps came
/// back into the band by themselves (as a plateau that ended), which the healthy-run suite showed for SGD
/// and momentum in their first few hundred steps; only a span that lasts to the end stays a `warning`.
///
/// Small updates once training has settled are its end, not too low a learning rate: an SGD step is the
/// learning rate times a gradient that goes to zero with the loss. Training has settled while the mean of
/// the last `updateRatioWindow` finite losses is at most `stagnationFloor` × the first finite loss and the
/// same holds for the global gradient norm (so a run whose loss fell while its gradients did not, as an
/// adaptive optimizer's steps of about the learning rate allow, is still judged). While it has settled, the
/// low side is frozen: no finding is raised, and one raised before stays as it is (its ratios are still
/// below the band, so it is not closed as having come back). Demo (e)'s residual convnet, whose loss fell
/// from 2.3 to 2.5e-5 and its gradient norm from 0.74 to 0.001 at 100% training accuracy, raised "updates
/// are small" for its last convolution from step 239 to the end without this; demo (e)'s plain convnet,
/// whose loss never leaves 2.3, still raises it.
struct UpdateRatioRule: FindingRule {
    static let kind = FindingKind.updateRatio
    private var windows: [String: [Double]] = [:]
    /// Consecutive recorded steps with a tensor outside the band, by side ("high", "low").
    private var sides = Streaks()
    /// The loss and the global gradient norm: the first finite value of each and the last
    /// `updateRatioWindow` finite ones (every step's, recorded or not).
    private var loss = Settling(), gradientNorm = Settling()

    private struct Settling {
        var first: Double?
        var recent: [Double] = []

        mutating func add(_ value: Double, window: Int) {
            guard value.isFinite else { return }
            if first == nil { first = value }
            recent.append(value)
            if recent.count > window { recent.removeFirst() }
        }

        /// Whether the recent mean is at most `floor` × the first value (never, for a first value that is
        /// not positive).
        func hasFallen(to floor: Double) -> Bool {
            guard let first, first > 0, !recent.isEmpty else { return false }
            return recent.reduce(0, +) / Double(recent.count) <= floor * first
        }
    }

    mutating func evaluate(step s: StepValues, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        loss.add(s.loss, window: t.updateRatioWindow)
        gradientNorm.add(s.gradientNorm, window: t.updateRatioWindow)
        return []
    }

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
        let settled = loss.hasFallen(to: t.stagnationFloor) && gradientNorm.hasFallen(to: t.stagnationFloor)
        var findings: [FindingRow] = []
        for (high, tensors) in [(true, outside.high), (false, outside.low)] {
            let side = high ? "high" : "low"
            if !high && settled { continue }
            let (holds, since, ended) = sides.update(side, !tensors.isEmpty, step: recorded.step, sustain: t.sustain)
            if let ended { ledger.close(Self.kind, about: side, lastStep: ended, severity: .info) }
            guard holds else { continue }
            let bound = high ? t.updateRatioBand.high : t.updateRatioBand.low
            let worst = high ? tensors.max { $0.2 < $1.2 }! : tensors.min { $0.2 < $1.2 }!
            let list = tensors.map { "\($0.0) \(short($0.2))" }.joined(separator: ", ")
            if let found = ledger.once(Self.kind, about: side, {
                finding(step: since, layer: worst.1, value: worst.2, threshold: bound,
                        message: "updates are \(high ? "large" : "small") against the weights: the median "
                            + "‖Δθ‖/‖θ‖ over the last \(t.updateRatioWindow) recorded steps (up to step "
                            + "\(recorded.step)) is \(high ? "above" : "below") \(short(bound)) for \(list), since step \(since).",
                        remedy: FindingKind.updateRatioRemedy(tooLarge: high))
            }) { findings.append(found) }
        }
        return findings
    }
}
