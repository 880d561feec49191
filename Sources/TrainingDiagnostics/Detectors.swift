import Backprop
import RunFormat

/// Thresholds of the rules that turn recorded statistics into findings; each default with its source.
public struct DetectorThresholds: Sendable, Equatable {
    /// A weight tensor whose gradient norm is below this fraction of the largest layer's vanishes.
    /// Three orders of magnitude: Glorot & Bengio (2010, fig. 7) show sigmoid networks whose lower layers'
    /// gradients are that far below the top's; healthy ReLU/He networks stay within one (He et al. 2015).
    public var vanishingRatio = 1e-3
    /// A weight tensor whose gradient norm is above this multiple of the output layer's explodes towards the
    /// input (the mirror of `vanishingRatio`; Pascanu, Mikolov & Bengio 2013).
    public var explodingDepthRatio = 1e3
    /// The global gradient norm growing by this factor within `growthWindow` recorded steps explodes
    /// (Pascanu et al. 2013, section 3: the norm jumps by orders of magnitude at once).
    public var explodingGrowth = 1e2
    public var growthWindow = 20
    /// A global gradient norm above this explodes whatever its history.
    public var explodingBound = 1e4
    /// A ReLU layer with at least this fraction of units dead (zero for the whole batch) is reported.
    public var deadFraction = 0.5
    /// An activation layer with at least this fraction of outputs in its saturation band is reported.
    public var saturatedFraction = 0.5
    /// Update ratios ‖Δθ‖/‖θ‖ outside this band, as a median over `updateRatioWindow` recorded steps, are
    /// reported. Karpathy (CS231n, "Babysitting the learning process") advises about 1e-3.
    public var updateRatioBand = (low: 1e-4, high: 1e-2)
    public var updateRatioWindow = 20
    /// A condition must hold on this many consecutive recorded steps before it is reported.
    public var sustain = 10
    /// Stagnation: the mean loss over the last `stagnationWindow` steps improved by less than this fraction
    /// on the window before, while still above `stagnationFloor` × the first loss. The low side of the
    /// update-ratio band uses the same floor for "settled": the mean loss and gradient norm of the last
    /// `updateRatioWindow` steps at most this fraction of their first values (`UpdateRatioRule`).
    public var stagnationImprovement = 0.01
    public var stagnationWindow = 100
    public var stagnationFloor = 0.1
    /// A recurrent layer whose ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ is below this vanishes through time: the first time step
    /// gets a thousandth of the gradient the last one does, so dependencies across the sequence are not
    /// learned (Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013, section 2). Three orders of
    /// magnitude, as `vanishingRatio` across depth.
    public var vanishingTimeRatio = 1e-3
    /// A recurrent layer whose ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ is above this explodes through time: the gradient grows
    /// geometrically going back in time (Pascanu et al. 2013, section 2: the norm of the recurrent Jacobian
    /// above 1). The mirror of `vanishingTimeRatio`.
    public var explodingTimeRatio = 1e3
    /// A gate of an LSTM or GRU whose saturated fraction, averaged over the time steps, is at least this
    /// is reported: half its activations pass almost no gradient to the gate's weights (σ′ ≈ 0; Chandar et
    /// al. 2019, "Towards non-saturating recurrent units", on saturated gates that stop learning). The same
    /// half as `saturatedFraction`.
    public var saturatedGateFraction = 0.5
    /// A plateau that lasts to the end is stagnation only when the condition held at this many consecutive
    /// checks (two: a stall over the last `stagnationChecks` windows, 200 steps by default). One window of
    /// stall right after a fall is a step of the staircase that minibatch SGD with momentum descends, and
    /// stays a plateau (`info`). Measured on scripts/healthy-suite.sh: demo model (b) with momentum, seeds
    /// 1, 2 and 3, improved by 9.7, 10.8 and 7.7 % over the window before their last and by 0.9, −1.1 and
    /// −0.2 % over the last, then fell again when trained on (seed 1: 0.675 at step 1000, 0.57 at 2000).
    public var stagnationChecks = 2

    public static func == (a: Self, b: Self) -> Bool {
        a.vanishingRatio == b.vanishingRatio && a.explodingDepthRatio == b.explodingDepthRatio
            && a.explodingGrowth == b.explodingGrowth && a.growthWindow == b.growthWindow
            && a.explodingBound == b.explodingBound && a.deadFraction == b.deadFraction
            && a.saturatedFraction == b.saturatedFraction && a.updateRatioBand == b.updateRatioBand
            && a.updateRatioWindow == b.updateRatioWindow && a.sustain == b.sustain
            && a.stagnationImprovement == b.stagnationImprovement && a.stagnationWindow == b.stagnationWindow
            && a.stagnationFloor == b.stagnationFloor && a.vanishingTimeRatio == b.vanishingTimeRatio
            && a.explodingTimeRatio == b.explodingTimeRatio && a.saturatedGateFraction == b.saturatedGateFraction
            && a.stagnationFloor == b.stagnationFloor && a.stagnationChecks == b.stagnationChecks
    }

    public init() {}
}

/// What the detectors see of one recorded step.
public struct RecordedStep: Sendable {
    public struct WeightGradient: Sendable {
        /// `3.weight`.
        public var parameter: String
        /// `3`.
        public var layer: String
        public var norm: Double
        public var updateRatio: Double
        public init(parameter: String, layer: String, norm: Double, updateRatio: Double) {
            self.parameter = parameter
            self.layer = layer
            self.norm = norm
            self.updateRatio = updateRatio
        }
    }

    public struct ActivationLayer: Sendable {
        public var layer: String
        public var kind: String
        public var saturatedFraction: Double
        public var deadFraction: Double
        public init(layer: String, kind: String, saturatedFraction: Double, deadFraction: Double) {
            self.layer = layer
            self.kind = kind
            self.saturatedFraction = saturatedFraction
            self.deadFraction = deadFraction
        }
    }

    /// A recurrent layer's time traces (`TimeTracing`), one per stacked layer.
    public struct TimeLayer: Sendable {
        /// The layer's full torch name.
        public var layer: String
        public var traces: [TimeTrace]
        public init(layer: String, traces: [TimeTrace]) {
            self.layer = layer
            self.traces = traces
        }
    }

    public var step: Int
    /// The weight matrices (not biases or norm scales), from the input to the output.
    public var weights: [WeightGradient]
    public var activations: [ActivationLayer]
    /// The recurrent layers, in model order; empty for a model without one.
    public var timeLayers: [TimeLayer]
    public init(step: Int, weights: [WeightGradient], activations: [ActivationLayer], timeLayers: [TimeLayer] = []) {
        self.step = step
        self.weights = weights
        self.activations = activations
        self.timeLayers = timeLayers
    }
}

/// Turns statistics into findings through the rules in `Rules/`: each fires at most once per kind and
/// subject, saying what, where, since when, and the usual remedies (`FindingKind.remedy`). A finding is
/// returned open, and again with its `lastStep` when its condition clears (after the new findings of the
/// step where it clears); `finish(lastStep:)` returns what only the end of training decides.
public struct Detectors: Sendable {
    public var thresholds: DetectorThresholds
    /// Every detector. Within one hook (`FindingRule`), their findings are listed in this order.
    private var rules: [any FindingRule] = [
        VanishingRule(), ExplodingDepthRule(), DeadUnitsRule(), SaturationRule(), UpdateRatioRule(),
        ExplodingBoundRule(), ExplodingGrowthRule(), StagnationRule(), VanishingThroughTimeRule(),
        ExplodingThroughTimeRule(), SaturatedGatesRule(),
    ]
    private var ledger = FindingLedger()

    public init(thresholds: DetectorThresholds = DetectorThresholds()) {
        self.thresholds = thresholds
    }

    /// Findings from one recorded step: the gradients', then each activation layer's, then each recurrent
    /// layer's, then the updates'.
    public mutating func observe(_ recorded: RecordedStep) -> [FindingRow] {
        var findings: [FindingRow] = []
        for i in rules.indices { findings += rules[i].evaluate(gradients: recorded, thresholds, &ledger) }
        for layer in recorded.activations {
            for i in rules.indices {
                findings += rules[i].evaluate(layer: layer, step: recorded.step, thresholds, &ledger)
            }
        }
        for layer in recorded.timeLayers {
            for i in rules.indices {
                findings += rules[i].evaluate(time: layer, step: recorded.step, thresholds, &ledger)
            }
        }
        for i in rules.indices { findings += rules[i].evaluate(updates: recorded, thresholds, &ledger) }
        return findings + ledger.takeClosed()
    }

    /// Findings from the global gradient norm and the loss of every step.
    public mutating func observe(step: Int, loss: Double, gradientNorm: Double) -> [FindingRow] {
        let values = StepValues(step: step, loss: loss, gradientNorm: gradientNorm)
        var findings: [FindingRow] = []
        for i in rules.indices { findings += rules[i].evaluate(step: values, thresholds, &ledger) }
        return findings + ledger.takeClosed()
    }

    /// Findings decided at the end of training (a plateau still open becomes stagnation), and the spans
    /// that closed then; `lastStep` is the run's last step.
    public mutating func finish(lastStep: Int) -> [FindingRow] {
        var findings: [FindingRow] = []
        for i in rules.indices { findings += rules[i].finish(lastStep: lastStep, thresholds, &ledger) }
        return findings + ledger.takeClosed()
    }
}

/// Three significant digits: `1.23e-06`, `0.0123`, `42.1`.
func short(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e5) { return String(format: "%.2e", x) }
    return String(format: "%.3g", x)
}

func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }

/// `text` as a sentence: capitalised, ending in a full stop (a remedy standing alone in a message).
func sentence(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() + "." }

import Foundation
