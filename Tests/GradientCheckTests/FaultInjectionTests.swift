import Backprop
import XCTest
@testable import GradientCheck

/// A Linear layer written out by hand, whose backward pass can carry one of the classic bugs.
final class FaultyLinear: Layer {
    typealias Scalar = Double
    enum Fault: CaseIterable { case none, wrongSign, missingFactor, transposedWeightGradient, droppedBiasGradient, wrongBatchRow }
    let weight: Parameter<Double>
    let bias: Parameter<Double>
    let fault: Fault
    private var input: Tensor<Double>?

    init(features: Int, fault: Fault, generator: inout RandomGenerator) {
        let w = Tensor<Double>(shape: [features, features])
        for i in 0..<w.count { w[i] = generator.nextNormal() / Double(features).squareRoot() }
        let b = Tensor<Double>(shape: [features])
        for i in 0..<b.count { b[i] = 0.1 * generator.nextNormal() }
        weight = Parameter(w)
        bias = Parameter(b)
        self.fault = fault
    }

    var kind: String { "Linear" }
    var parameters: [NamedParameter<Double>] { [.init(name: "weight", parameter: weight, role: .weight), .init(name: "bias", parameter: bias, role: .bias)] }

    func forward(_ x: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        input = x.copy()
        let n = weight.value.shape[0], rows = x.shape[0]
        let y = Tensor<Double>(shape: [rows, n])
        for r in 0..<rows {
            for o in 0..<n {
                var s = bias.value[o]
                for i in 0..<n { s += x[r, i] * weight.value[o, i] }
                y[r, o] = s
            }
        }
        return y
    }

    /// The correct weight gradient, or the faulty one.
    func weightGradient(_ g: Tensor<Double>, _ x: Tensor<Double>) -> Tensor<Double> {
        let n = weight.value.shape[0], rows = x.shape[0]
        let dW = Tensor<Double>(shape: [n, n])
        for o in 0..<n {
            for i in 0..<n {
                var s = 0.0
                for r in 0..<rows { s += g[r, o] * x[fault == .wrongBatchRow ? (r + 1) % rows : r, i] }
                dW[o, i] = s
            }
        }
        switch fault {
        case .wrongSign: for k in 0..<dW.count { dW[k] = -dW[k] }
        case .missingFactor: for k in 0..<dW.count { dW[k] *= 0.5 }
        case .transposedWeightGradient:
            let copy = dW.copy()
            for o in 0..<n { for i in 0..<n { dW[o, i] = copy[i, o] } }
        default: break
        }
        return dW
    }

    func backward(_ g: Tensor<Double>) -> Tensor<Double> {
        let x = input!
        let n = weight.value.shape[0], rows = x.shape[0]
        let dW = weightGradient(g, x)
        let wg = weight.gradient, bg = bias.gradient
        for k in 0..<dW.count { wg[k] += dW[k] }
        if fault != .droppedBiasGradient {
            for r in 0..<rows { for o in 0..<n { bg[o] += g[r, o] } }
        }
        let dx = Tensor<Double>(shape: [rows, n])
        for r in 0..<rows { for i in 0..<n { var s = 0.0; for o in 0..<n { s += g[r, o] * weight.value[o, i] }; dx[r, i] = s } }
        return dx
    }
}

final class FaultInjectionTests: XCTestCase {
    private func tensor(_ shape: [Int], _ generator: inout RandomGenerator) -> Tensor<Double> {
        let t = Tensor<Double>(shape: shape)
        for i in 0..<t.count { t[i] = generator.nextNormal() }
        return t
    }

    /// Dense(3→5), tanh, the faulty 5→5 layer, tanh, Dense(5→2); MSE on a batch of 4. Also the entries the
    /// fault clearly breaks (the claim misses the central difference by ten times torch's tolerance) and
    /// those it may break (a tenth of it).
    private func problem(_ fault: FaultyLinear.Fault, seed: UInt64)
        -> (CheckProblem, () -> Void, clear: Set<String>, possible: Set<String>)
    {
        var generator = RandomGenerator(seed: seed)
        let faulty = FaultyLinear(features: 5, fault: fault, generator: &generator)
        let model = Sequential<Double>([
            Dense<Double>(inputFeatures: 3, outputFeatures: 5, initializer: .xavierNormal(), generator: &generator),
            ActivationLayer<Double>(.tanh), faulty, ActivationLayer<Double>(.tanh),
            Dense<Double>(inputFeatures: 5, outputFeatures: 2, initializer: .xavierNormal(), generator: &generator),
        ])
        let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(), inputs: tensor([4, 3], &generator),
                                                    target: .values(tensor([4, 2], &generator)))
        var clear: Set<String> = [], possible: Set<String> = []
        for t in problem.names.indices where problem.names[t].hasPrefix("2.") {
            let x = problem.tensors[t], claimed = problem.analytic[t]
            for k in 0..<x.count {
                let h = 1e-6, original = x[k]
                x[k] = original + h; let plus = problem.evaluate()
                x[k] = original - h; let minus = problem.evaluate()
                x[k] = original
                let numeric = (plus - minus) / (2 * h), allowed = 1e-5 + 1e-3 * abs(numeric)
                let name = "\(problem.names[t])[\(problem.names[t].hasSuffix("weight") ? "\(k / 5);\(k % 5)" : "\(k)")]"
                if abs(numeric - claimed[k]) > 10 * allowed { clear.insert(name) }
                if abs(numeric - claimed[k]) > 0.1 * allowed { possible.insert(name) }
            }
        }
        return (problem, restore, clear, possible)
    }

    private func wrong(_ checks: [TensorCheck]) -> [CheckedEntry] {
        checks.flatMap(\.entries).filter { $0.judgement.verdict == .wrong }
    }

    func testEveryInjectedFaultIsWrongOnTheRightTensorAndIndexInEveryMode() {
        for fault in FaultyLinear.Fault.allCases where fault != .none {
            let (problem, restore, clear, possible) = problem(fault, seed: 21)
            defer { restore() }
            XCTAssertFalse(clear.isEmpty, "\(fault) breaks something")
            let tensor = fault == .droppedBiasGradient ? "2.bias" : "2.weight"
            XCTAssertTrue(clear.allSatisfy { $0.hasPrefix(tensor) }, "\(fault) breaks only \(tensor): \(clear)")
            func names(_ entries: [CheckedEntry]) -> Set<String> { Set(entries.map { "\($0.tensor)[\($0.index)]" }) }

            let full = names(wrong(GradientChecker(mode: .full).check(problem)))
            XCTAssertTrue(clear.isSubset(of: full) && full.isSubset(of: possible), "\(fault), full mode: \(full.sorted())")

            let sampled = names(wrong(GradientChecker(mode: .sample(count: 4), seed: 3).check(problem)))
            XCTAssertFalse(sampled.isEmpty, "\(fault), sample mode")
            XCTAssertTrue(sampled.isSubset(of: possible), "\(fault), sample mode: \(sampled)")

            let direction = wrong(GradientChecker(mode: .direction, seed: 3).check(problem))
            XCTAssertTrue(direction.contains { $0.tensor == tensor && $0.index == "direction" }, "\(fault), direction")
            let located = names(direction.filter { $0.index != "direction" })
            XCTAssertFalse(located.isEmpty, "\(fault): bisection names entries")
            XCTAssertTrue(located.isSubset(of: possible), "\(fault), bisection: \(located)")
        }
    }

    func testHealthyModelsOfEveryLayerAndActivationAreNeverWrong() {
        for activation in Activation.allDefaults {
            for seed in UInt64(0)..<4 {
                var generator = RandomGenerator(seed: seed)
                let model = Sequential<Double>([
                    Dense<Double>(inputFeatures: 3, outputFeatures: 6, initializer: .heNormal(), generator: &generator),
                    LayerNorm<Double>(features: 6), ActivationLayer<Double>(activation),
                    Residual<Double>(Sequential([
                        Dense<Double>(inputFeatures: 6, outputFeatures: 6, initializer: .xavierNormal(), generator: &generator),
                        BatchNorm1d<Double>(features: 6), ActivationLayer<Double>(activation)])),
                    Dropout<Double>(probability: 0.25, seed: seed),
                    Dense<Double>(inputFeatures: 6, outputFeatures: 3, initializer: .xavierNormal(), generator: &generator),
                ])
                let (problem, restore) = CheckTargets.model(model, loss: SoftmaxCrossEntropy<Double>(),
                                                            inputs: tensor([5, 3], &generator), target: .classes([0, 2, 1, 1, 0]))
                let bad = wrong(GradientChecker(mode: .full).check(problem))
                restore()
                XCTAssertEqual(bad.count, 0, "\(activation.name), seed \(seed): \(bad.prefix(3))")
            }
        }
    }

    func testAReLUNetworkCheckedExactlyAtItsKinksIsNeverWrong() {
        var generator = RandomGenerator(seed: 4)
        let first = Dense<Double>(inputFeatures: 3, outputFeatures: 4, initializer: .heNormal(), generator: &generator)
        // Unit 0's pre-activation is exactly 0 for every example: its weights and bias sit on the kink.
        for i in 0..<3 { first.weight.value[0, i] = 0 }
        first.bias!.value[0] = 0
        let model = Sequential<Double>([first, ActivationLayer<Double>(.relu),
                                        Dense<Double>(inputFeatures: 4, outputFeatures: 2, initializer: .heNormal(), generator: &generator)])
        // Positive inputs: perturbing one of unit 0's weights moves every example across the kink the same
        // way, so the one-sided slopes bound the subgradient (see EntryJudgement on kinks crossed both ways).
        let inputs = tensor([4, 3], &generator)
        for i in 0..<inputs.count { inputs[i] = abs(inputs[i]) + 0.1 }
        let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(), inputs: inputs,
                                                    target: .values(tensor([4, 2], &generator)))
        defer { restore() }
        let checks = GradientChecker(mode: .full).check(problem)
        XCTAssertEqual(wrong(checks).count, 0, "\(wrong(checks))")
        let kinks = checks.flatMap(\.entries).filter { $0.judgement.verdict == .kink }
        XCTAssertTrue(kinks.contains { $0.tensor == "0.bias" && $0.index == "0" }, "\(kinks.map(\.index))")
        XCTAssertEqual(Set(kinks.filter { $0.tensor == "0.weight" }.map(\.index)), ["0;0", "0;1", "0;2"])
    }

    /// A wrong gradient at a kink is still wrong: inputs 1e-13 above and below ReLU's 0 cross it at every
    /// usable step, on one side, and an input exactly on it crosses on both. Just above 0 the forward side
    /// crosses nothing and its slope is the downstream weight w, while the claim is 2w: wrong. Just below,
    /// the claim 0 agrees with the backward slope 0, and on the kink nothing measures the slope: kinks.
    func testAWrongGradientSittingAtAKinkIsWrongNotAKink() {
        let input = Tensor<Double>(shape: [1, 5], scalars: [0, 1e-13, -1e-13, 0.5, -0.7])
        let checks = GradientChecker(mode: .full).check(CheckTargets.layer(ReLUWithDoubledSlope(), input: input, seed: 2))
        let entries = checks[0].entries
        XCTAssertEqual(entries.map(\.judgement.verdict), [.kink, .wrong, .kink, .wrong, .ok],
                       "\(entries.map { ($0.index, $0.judgement.analytic, $0.judgement.forward, $0.judgement.backward) })")
        XCTAssertTrue(entries[1].judgement.crossedKink, "the wrong entry's step crossed the kink")
        XCTAssertEqual(entries[1].judgement.kink?.description, "[0;1]")
        // The correct ReLU on the same inputs: every entry at the kink is a kink, none wrong.
        let correct = GradientChecker(mode: .full).check(CheckTargets.layer(ActivationLayer<Double>(.relu), input: input, seed: 2))
        XCTAssertEqual(correct[0].entries.map(\.judgement.verdict), [.kink, .kink, .kink, .ok, .ok])
    }

    /// Issue 17: three more faults, each in a layer between two Dense layers, so that the wrong gradients
    /// are those of the first Dense layer (`0.weight`, `0.bias`) and the last layer's stay right.
    func testFaultsInAnActivationRegionLayerNormAndDropoutAreWrongOnTheLayerBelowInEveryMode() {
        let faults: [(name: String, make: (UInt64) -> any Layer<Double>)] = [
            ("leaky ReLU slope wrong below 0", { _ in FaultyLeakyReLU() }),
            ("LayerNorm backward missing a term", { _ in LayerNormMissingTerm() }),
            ("dropout mask not reused by backward", { DropoutWithFreshBackwardMask(seed: $0) }),
        ]
        for (name, make) in faults {
            for seed in UInt64(1)...3 {
                for mode in [CheckMode.full, .sample(count: 8), .direction] {
                    var generator = RandomGenerator(seed: seed)
                    let model = Sequential<Double>([
                        Dense<Double>(inputFeatures: 3, outputFeatures: 6, initializer: .heNormal(), generator: &generator),
                        make(seed),
                        Dense<Double>(inputFeatures: 6, outputFeatures: 2, initializer: .xavierNormal(), generator: &generator),
                    ])
                    let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(),
                                                                inputs: tensor([5, 3], &generator),
                                                                target: .values(tensor([5, 2], &generator)))
                    let bad = wrong(GradientChecker(mode: mode, seed: seed).check(problem))
                    restore()
                    XCTAssertFalse(bad.filter { $0.index != "direction" }.isEmpty,
                                   "\(name), seed \(seed), \(mode.name) mode: no wrong entry")
                    XCTAssertTrue(bad.allSatisfy { $0.tensor.hasPrefix("0.") },
                                  "\(name), seed \(seed), \(mode.name) mode: \(bad.map { "\($0.tensor)[\($0.index)]" })")
                }
            }
        }
    }
}
