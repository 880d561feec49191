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
    /// on the window before, while still above `stagnationFloor` × the first loss.
    public var stagnationImprovement = 0.01
    public var stagnationWindow = 100
    public var stagnationFloor = 0.1

    public static func == (a: Self, b: Self) -> Bool {
        a.vanishingRatio == b.vanishingRatio && a.explodingDepthRatio == b.explodingDepthRatio
            && a.explodingGrowth == b.explodingGrowth && a.growthWindow == b.growthWindow
            && a.explodingBound == b.explodingBound && a.deadFraction == b.deadFraction
            && a.saturatedFraction == b.saturatedFraction && a.updateRatioBand == b.updateRatioBand
            && a.updateRatioWindow == b.updateRatioWindow && a.sustain == b.sustain
            && a.stagnationImprovement == b.stagnationImprovement && a.stagnationWindow == b.stagnationWindow
            && a.stagnationFloor == b.stagnationFloor
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

    public var step: Int
    /// The weight matrices (not biases or norm scales), from the input to the output.
    public var weights: [WeightGradient]
    public var activations: [ActivationLayer]
    public init(step: Int, weights: [WeightGradient], activations: [ActivationLayer]) {
        self.step = step
        self.weights = weights
        self.activations = activations
    }
}

/// Turns statistics into findings: each rule fires at most once per layer and kind, saying what, where,
/// since when, and the usual remedies.
public struct Detectors: Sendable {
    public var thresholds: DetectorThresholds
    private var reported: Set<String> = []
    /// Consecutive recorded steps a condition has held, and the step it began, keyed by rule and layer.
    private var streaks: [String: (count: Int, since: Int)] = [:]
    private var recentNorms: [(step: Int, norm: Double)] = []
    private var updateRatios: [String: [Double]] = [:]
    private var losses: [Double] = []
    private var firstLoss: Double?

    public init(thresholds: DetectorThresholds = DetectorThresholds()) {
        self.thresholds = thresholds
    }

    static let remedies = [
        "vanishing": "use a ReLU-family activation with He initialisation (--activation relu --init he-normal), "
            + "add normalisation (--norm layer|batch) or residual connections (--residual)",
        "exploding": "clip the gradient norm (--clip-norm 1), lower the learning rate, use a smaller initialisation "
            + "(--init xavier-uniform or he-normal) or add normalisation (--norm layer)",
        "dead": "lower the learning rate, use leaky-relu or gelu, or He initialisation with a small positive bias",
        "saturated": "use Xavier/Glorot initialisation for tanh and sigmoid, add normalisation (--norm layer), "
            + "or a ReLU-family activation",
        "update_ratio_high": "lower the learning rate (about 1e-3 of the weights per step is healthy)",
        "update_ratio_low": "raise the learning rate, or check for vanishing gradients",
        "stagnation": "check the learning rate and the other findings; try Adam, normalisation or another init",
    ]

    private mutating func once(_ key: String, _ make: () -> FindingRow) -> FindingRow? {
        guard !reported.contains(key) else { return nil }
        reported.insert(key)
        return make()
    }

    /// Counts consecutive recorded steps on which `holds`; true once it has held `sustain` times.
    private mutating func sustained(_ key: String, _ holds: Bool, step: Int) -> (Bool, since: Int) {
        guard holds else { streaks[key] = nil; return (false, step) }
        let streak = streaks[key].map { ($0.count + 1, $0.since) } ?? (1, step)
        streaks[key] = streak
        return (streak.0 >= thresholds.sustain, streak.1)
    }

    /// Findings from one recorded step.
    public mutating func observe(_ recorded: RecordedStep) -> [FindingRow] {
        var findings: [FindingRow] = []
        let step = recorded.step
        let t = thresholds
        let norms = recorded.weights.map(\.norm)
        if let largest = norms.filter(\.isFinite).max(), largest > 0 {
            var vanishing: [(RecordedStep.WeightGradient, Double, Int)] = []
            for weight in recorded.weights {
                let ratio = weight.norm / largest
                let (holds, since) = sustained("vanishing \(weight.parameter)", ratio < t.vanishingRatio, step: step)
                if holds { vanishing.append((weight, ratio, since)) }
            }
            if let (first, ratio, since) = vanishing.first {
                let largestName = recorded.weights.first { $0.norm == largest }?.parameter ?? "?"
                let names = vanishing.map(\.0.parameter).joined(separator: ", ")
                findings += [once("vanishing") {
                    FindingRow(step: since, layer: first.layer, kind: "vanishing", severity: "warning", value: ratio,
                               threshold: t.vanishingRatio,
                               message: "gradients vanish towards the input: \(first.parameter)'s gradient norm is "
                                   + "\(short(ratio)) of the largest (\(largestName)) since step \(since); "
                                   + "below \(short(t.vanishingRatio)) of it: \(names). Remedy: "
                                   + Self.remedies["vanishing"]!)
                }].compactMap { $0 }
            }
        }
        if let output = recorded.weights.last, output.norm > 0, output.norm.isFinite {
            for weight in recorded.weights.dropLast() {
                let ratio = weight.norm / output.norm
                let (holds, since) = sustained("explodingDepth \(weight.parameter)", ratio > t.explodingDepthRatio,
                                               step: step)
                if holds, let finding = once("exploding", {
                    FindingRow(step: since, layer: weight.layer, kind: "exploding", severity: "warning", value: ratio,
                               threshold: t.explodingDepthRatio,
                               message: "gradients explode towards the input: \(weight.parameter)'s gradient norm is "
                                   + "\(short(ratio)) times the output layer's since step \(since). Remedy: "
                                   + Self.remedies["exploding"]!)
                }) { findings.append(finding) }
            }
        }
        for layer in recorded.activations {
            let (dead, deadSince) = sustained("dead \(layer.layer)", layer.deadFraction >= t.deadFraction, step: step)
            if dead, let finding = once("dead \(layer.layer)", {
                FindingRow(step: deadSince, layer: layer.layer, kind: "dead", severity: "warning",
                           value: layer.deadFraction, threshold: t.deadFraction,
                           message: "\(percent(layer.deadFraction)) of layer \(layer.layer)'s \(layer.kind) units are "
                               + "dead (zero for a whole batch) since step \(deadSince). Remedy: "
                               + Self.remedies["dead"]!)
            }) { findings.append(finding) }
            let (saturated, since) = sustained("saturated \(layer.layer)",
                                               layer.saturatedFraction >= t.saturatedFraction, step: step)
            if saturated, let finding = once("saturated \(layer.layer)", {
                FindingRow(step: since, layer: layer.layer, kind: "saturated", severity: "warning",
                           value: layer.saturatedFraction, threshold: t.saturatedFraction,
                           message: "\(percent(layer.saturatedFraction)) of layer \(layer.layer)'s \(layer.kind) "
                               + "outputs are saturated since step \(since), where their derivative is near 0. "
                               + "Remedy: " + Self.remedies["saturated"]!)
            }) { findings.append(finding) }
        }
        var outside: (low: [(String, String, Double)], high: [(String, String, Double)]) = ([], [])
        for weight in recorded.weights where weight.updateRatio.isFinite {
            var window = updateRatios[weight.parameter, default: []]
            window.append(weight.updateRatio)
            if window.count > t.updateRatioWindow { window.removeFirst() }
            updateRatios[weight.parameter] = window
            guard window.count == t.updateRatioWindow else { continue }
            let median = window.sorted()[window.count / 2]
            if median > t.updateRatioBand.high { outside.high.append((weight.parameter, weight.layer, median)) }
            if median < t.updateRatioBand.low { outside.low.append((weight.parameter, weight.layer, median)) }
        }
        for (high, tensors) in [(true, outside.high), (false, outside.low)] where !tensors.isEmpty {
            let bound = high ? t.updateRatioBand.high : t.updateRatioBand.low
            let worst = high ? tensors.max { $0.2 < $1.2 }! : tensors.min { $0.2 < $1.2 }!
            let list = tensors.map { "\($0.0) \(short($0.2))" }.joined(separator: ", ")
            if let finding = once("update_ratio \(high)", {
                FindingRow(step: step, layer: worst.1, kind: "update_ratio", severity: "warning", value: worst.2,
                           threshold: bound,
                           message: "updates are \(high ? "large" : "small") against the weights: the median "
                               + "‖Δθ‖/‖θ‖ over the last \(t.updateRatioWindow) recorded steps (up to step \(step)) is "
                               + "\(high ? "above" : "below") \(short(bound)) for \(list). Remedy: "
                               + Self.remedies[high ? "update_ratio_high" : "update_ratio_low"]!)
            }) { findings.append(finding) }
        }
        return findings
    }

    /// Findings from the global gradient norm and the loss of every step.
    public mutating func observe(step: Int, loss: Double, gradientNorm: Double) -> [FindingRow] {
        var findings: [FindingRow] = []
        let t = thresholds
        if gradientNorm.isFinite {
            recentNorms.append((step, gradientNorm))
            if recentNorms.count > t.growthWindow { recentNorms.removeFirst() }
            if gradientNorm > t.explodingBound, let finding = once("exploding", {
                FindingRow(step: step, layer: "", kind: "exploding", severity: "warning", value: gradientNorm,
                           threshold: t.explodingBound,
                           message: "the global gradient norm reached \(short(gradientNorm)) at step \(step), above "
                               + "\(short(t.explodingBound)). Remedy: " + Self.remedies["exploding"]!)
            }) { findings.append(finding) }
            if let low = recentNorms.filter({ $0.norm > 0 }).min(by: { $0.norm < $1.norm }),
               gradientNorm / low.norm >= t.explodingGrowth, let finding = once("exploding", {
                   FindingRow(step: low.step, layer: "", kind: "exploding", severity: "warning",
                              value: gradientNorm / low.norm, threshold: t.explodingGrowth,
                              message: "the global gradient norm grew \(short(gradientNorm / low.norm))-fold from "
                                  + "step \(low.step) to step \(step). Remedy: " + Self.remedies["exploding"]!)
               }) {
                findings.append(finding)
            }
        }
        if loss.isFinite {
            if firstLoss == nil { firstLoss = loss }
            losses.append(loss)
            let w = t.stagnationWindow
            if losses.count >= 2 * w, losses.count % w == 0, let first = firstLoss {
                let recent = losses.suffix(w).reduce(0, +) / Double(w)
                let before = losses.suffix(2 * w).prefix(w).reduce(0, +) / Double(w)
                let improvement = (before - recent) / abs(before)
                if improvement < t.stagnationImprovement && recent > t.stagnationFloor * first,
                   let finding = once("stagnation", {
                       FindingRow(step: step - w + 1, layer: "", kind: "stagnation", severity: "warning",
                                  value: improvement, threshold: t.stagnationImprovement,
                                  message: "the loss stalls at \(short(recent)) (\(short(recent / first)) of its first "
                                      + "value): it improved by \(percent(max(improvement, 0))) over steps "
                                      + "\(step - w + 1)–\(step). Remedy: " + Self.remedies["stagnation"]!)
                   }) {
                    findings.append(finding)
                }
            }
        }
        return findings
    }
}

/// Three significant digits: `1.23e-06`, `0.0123`, `42.1`.
func short(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e5) { return String(format: "%.2e", x) }
    return String(format: "%.3g", x)
}

func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }

import Foundation
