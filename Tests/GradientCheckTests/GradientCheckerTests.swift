import Backprop
import RunFormat
import XCTest
@testable import GradientCheck

/// A Linear layer with a deliberately broken backward pass.
final class BrokenDense: Layer {
    typealias Scalar = Double
    enum Fault { case none, oneWeightEntry(row: Int, column: Int), missingHalf, transposedInputGradient }
    let inner: Dense<Double>
    let fault: Fault
    init(_ inner: Dense<Double>, fault: Fault) { self.inner = inner; self.fault = fault }
    var kind: String { "Linear" }
    var parameters: [NamedParameter<Double>] { inner.parameters }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] { try inner.outputShape(forInputShape: shape) }
    func forward(_ input: Tensor<Double>, mode: Mode) -> Tensor<Double> { inner.forward(input, mode: mode) }
    func backward(_ outputGradient: Tensor<Double>) -> Tensor<Double> {
        let g = inner.backward(outputGradient)
        let weight = inner.parameters[0].parameter
        switch fault {
        case .none: break
        case .oneWeightEntry(let r, let c):
            let columns = weight.value.shape[1]
            weight.gradient[r * columns + c] *= 1.5
        case .missingHalf:
            let w = weight.gradient
            for i in 0..<w.count { w[i] *= 0.5 }
        case .transposedInputGradient:
            let copy = g.copy()
            for i in 0..<g.count { g[i] = copy[g.count - 1 - i] }
        }
        return g
    }
}

final class GradientCheckerTests: XCTestCase {
    private func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var generator = RandomGenerator(seed: seed)
        let t = Tensor<Double>(shape: shape)
        for i in 0..<t.count { t[i] = scale * generator.nextNormal() }
        return t
    }

    private func verdicts(_ checks: [TensorCheck]) -> [EntryVerdict: Int] {
        var counts: [EntryVerdict: Int] = [:]
        for check in checks { for e in check.entries { counts[e.judgement.verdict, default: 0] += 1 } }
        return counts
    }

    func testEveryLayerKindPassesInFullMode() {
        var generator = RandomGenerator(seed: 3)
        var layers: [(String, any Layer<Double>)] = [
            ("dense", Dense<Double>(inputFeatures: 4, outputFeatures: 4, initializer: .xavierNormal(), generator: &generator)),
            ("layernorm", LayerNorm<Double>(features: 4)),
            ("batchnorm", BatchNorm1d<Double>(features: 4)),
            ("dropout", Dropout<Double>(probability: 0.3, seed: 9)),
            ("residual", Residual<Double>(Sequential([
                Dense<Double>(inputFeatures: 4, outputFeatures: 4, initializer: .heNormal(), generator: &generator),
                ActivationLayer<Double>(.tanh)]))),
        ]
        for activation in Activation.allDefaults {
            layers.append((activation.name, ActivationLayer<Double>(activation)))
        }
        let input = randomTensor([5, 4], seed: 4)
        for (name, layer) in layers {
            let checks = GradientChecker(mode: .full).check(CheckTargets.layer(layer, input: input, seed: 1))
            for check in checks {
                XCTAssertTrue(check.passed, "\(name) \(check.name): \(check.entries.filter { $0.judgement.verdict == .wrong })")
                XCTAssertEqual(check.entries.count, check.shape.reduce(1, *))
            }
        }
    }

    func testEveryLossPasses() {
        let prediction = randomTensor([4, 3], seed: 5)
        let probabilities = Tensor<Double>(shape: [4, 3], scalars: [0.2, 0.3, 0.5, 1, 0, 0, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4])
        let cases: [(any Loss<Double>, LossTarget<Double>)] = [
            (MeanSquaredError<Double>(), .values(randomTensor([4, 3], seed: 6))),
            (SoftmaxCrossEntropy<Double>(), .classes([0, 2, 1, 2])),
            (SoftmaxCrossEntropy<Double>(), .values(probabilities)),
            (BinaryCrossEntropy<Double>(), .values(Tensor(shape: [4, 3], scalars: [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0]))),
        ]
        for (loss, target) in cases {
            let checks = GradientChecker(mode: .full).check(CheckTargets.loss(loss, prediction: prediction, target: target))
            XCTAssertEqual(verdicts(checks)[.wrong, default: 0], 0, loss.name)
        }
    }

    private func model(_ fault: BrokenDense.Fault) -> (Sequential<Double>, Tensor<Double>, LossTarget<Double>) {
        var generator = RandomGenerator(seed: 8)
        let model = Sequential<Double>([
            BrokenDense(Dense<Double>(inputFeatures: 3, outputFeatures: 5, initializer: .xavierNormal(), generator: &generator),
                        fault: fault),
            ActivationLayer<Double>(.tanh),
            Dense<Double>(inputFeatures: 5, outputFeatures: 2, initializer: .xavierNormal(), generator: &generator),
        ])
        return (model, randomTensor([4, 3], seed: 2), .classes([0, 1, 1, 0]))
    }

    func testAWrongWeightEntryIsNamedInFullAndDirectionModes() {
        let (model, x, y) = model(.oneWeightEntry(row: 3, column: 1))
        let (problem, restore) = CheckTargets.model(model, loss: SoftmaxCrossEntropy<Double>(), inputs: x, target: y)
        defer { restore() }
        let full = GradientChecker(mode: .full).check(problem)
        let wrong = full.flatMap(\.entries).filter { $0.judgement.verdict == .wrong }
        XCTAssertEqual(wrong.map(\.tensor), ["0.weight"])
        XCTAssertEqual(wrong.map(\.index), ["3;1"])

        let direction = GradientChecker(mode: .direction, seed: 4).check(problem)
        let weight = direction.first { $0.name == "0.weight" }!
        XCTAssertEqual(weight.entries.first?.index, "direction")
        XCTAssertEqual(weight.entries.first?.judgement.verdict, .wrong)
        XCTAssertEqual(weight.entries.filter { $0.judgement.verdict == .wrong && $0.index != "direction" }.map(\.index), ["3;1"],
                       "bisection finds the entry")
        // 2 for the direction, then about 2 per halving of 15 entries (plus the sibling tests), then the entry.
        XCTAssertLessThan(weight.evaluations, 2 * 15, "bisection costs O(log n), not n")
        XCTAssertTrue(direction.filter { $0.name != "0.weight" }.allSatisfy(\.passed))
    }

    func testAMissingFactorIsCaughtInSampleMode() {
        let (model, x, y) = model(.missingHalf)
        let (problem, restore) = CheckTargets.model(model, loss: SoftmaxCrossEntropy<Double>(), inputs: x, target: y)
        defer { restore() }
        let checks = GradientChecker(mode: .sample(count: 4), seed: 1).check(problem)
        let weight = checks.first { $0.name == "0.weight" }!
        XCTAssertEqual(weight.entries.count, 4)
        XCTAssertFalse(weight.passed)
        XCTAssertTrue(checks.first { $0.name == "2.weight" }!.passed)
    }

    func testATransposedInputGradientIsCaughtDownstream() {
        // Layer 0's input gradient is not used by anything, so the fault must be put where it matters.
        var generator = RandomGenerator(seed: 8)
        let model = Sequential<Double>([
            Dense<Double>(inputFeatures: 3, outputFeatures: 4, initializer: .xavierNormal(), generator: &generator),
            ActivationLayer<Double>(.sigmoid),
            BrokenDense(Dense<Double>(inputFeatures: 4, outputFeatures: 2, initializer: .xavierNormal(), generator: &generator),
                        fault: .transposedInputGradient),
        ])
        let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(), inputs: randomTensor([3, 3], seed: 1),
                                                    target: .values(randomTensor([3, 2], seed: 2)))
        defer { restore() }
        let checks = GradientChecker(mode: .direction, seed: 2).check(problem)
        XCTAssertFalse(checks.first { $0.name == "0.weight" }!.passed)
        XCTAssertTrue(checks.first { $0.name == "2.weight" }!.passed)
    }

    func testAReLUAtItsKinkIsAKinkNotABug() {
        let input = Tensor<Double>(shape: [1, 3], scalars: [0, 0.5, -0.7])
        let checks = GradientChecker(mode: .full).check(CheckTargets.layer(ActivationLayer<Double>(.relu), input: input))
        let entries = checks[0].entries
        XCTAssertEqual(entries[0].judgement.verdict, .kink)
        XCTAssertEqual(entries[1].judgement.verdict, .ok)
        XCTAssertEqual(entries[2].judgement.verdict, .ok)
    }

    func testAMaxPoolingTieIsAKinkNotABug() {
        // Window 0 holds a tie (0.5 at offsets 0 and 1); window 1 has a clear winner (2 at offset 3).
        let input = Tensor<Double>(shape: [1, 1, 2, 4], scalars: [0.5, 0.5, 0.1, -1, -0.3, 0.2, 0.7, 2])
        let checks = GradientChecker(mode: .full).check(CheckTargets.layer(MaxPool2d<Double>(kernelSize: 2), input: input))
        let verdicts = checks[0].entries.map(\.judgement.verdict)
        XCTAssertEqual(verdicts[0], .kink, "the tied winner")
        XCTAssertEqual(verdicts[1], .kink, "the tied loser")
        XCTAssertFalse(verdicts.contains(.wrong), "\(verdicts)")
        XCTAssertEqual(verdicts[7], .ok, "the clear winner")
        XCTAssertEqual(checks[0].entries[0].judgement.kink?.layer, "")
        XCTAssertEqual(checks[0].entries[0].judgement.kink?.element, "0;0;0;0", "window 0 of the output")
    }

    func testNoiseFromALargeFunctionValueIsImpreciseNotWrong() {
        let point = [0.3, -1.2, 2.0]
        let problem = CheckTargets.function({ x in 1e12 + x.reduce(0) { $0 + $1 * $1 } },
                                            gradient: point.map { 2 * $0 }, at: point)
        let counts = verdicts(GradientChecker(mode: .full).check(problem))
        XCTAssertEqual(counts[.wrong, default: 0], 0, "\(counts)")
        XCTAssertGreaterThan(counts[.imprecise, default: 0], 0, "\(counts)")
    }

    func testAWrongClaimedGradientOfAFunctionIsWrong() {
        let point = [0.3, -1.2]
        let problem = CheckTargets.function({ x in sin(x[0]) * x[1] }, gradient: [cos(0.3) * -1.2, sin(0.3) + 0.01], at: point)
        let entries = GradientChecker(mode: .full).check(problem)[0].entries
        XCTAssertEqual(entries.map(\.judgement.verdict), [.ok, .wrong])
        XCTAssertEqual(entries[1].index, "1")
        XCTAssertEqual(entries[1].judgement.relativeError, 0.01 / (sin(0.3) + 0.01), accuracy: 1e-6)
    }

    func testAFloatModelCopiesIntoItsDoubleTwin() {
        var g1 = RandomGenerator(seed: 1), g2 = RandomGenerator(seed: 2)
        let float = Sequential<Float>.multilayerPerceptron(sizes: [3, 4, 2], activation: .tanh, initializer: .xavierNormal(), generator: &g1)
        let double = Sequential<Double>.multilayerPerceptron(sizes: [3, 4, 2], activation: .tanh, initializer: .xavierNormal(), generator: &g2)
        CheckTargets.copyValues(from: float, to: double)
        let x = Tensor<Float>(shape: [2, 3], scalars: [0.1, 0.2, -0.3, 1, -1, 0.5])
        let yf = float.forward(x, mode: .evaluation).scalars
        let yd = double.forward(Tensor(shape: [2, 3], scalars: x.scalars.map(Double.init)), mode: .evaluation).scalars
        for (a, b) in zip(yf, yd) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
    }

    func testTheStepSweepIsVShaped() {
        let point = [0.7]
        let problem = CheckTargets.function({ x in exp(x[0]) * sin(3 * x[0]) },
                                            gradient: [exp(0.7) * (sin(2.1) + 3 * cos(2.1))], at: point)
        let points = GradientChecker().stepSweep(problem, entries: [(0, 0)])
        XCTAssertEqual(points.map(\.h), (1...12).map { pow(10, -Double($0)) }, "h from 1e-1 to 1e-12")
        let errors = points.map(\.absoluteError)
        let best = errors.indices.min { errors[$0] < errors[$1] }!
        XCTAssertTrue((3...8).contains(best), "the best step lies in the middle: \(errors)")
        XCTAssertGreaterThan(errors[0], 100 * errors[best], "truncation at large h")
        XCTAssertGreaterThan(errors[11], 100 * errors[best], "round-off at small h")
    }

    /// Issue 17, item 4: a direction whose difference misses the tolerance while every entry agrees is not
    /// `wrong`. Each claimed partial is off by 0.09% (within rtol 1e-3), with the sign of the direction's
    /// component, so the errors add up along v to ~0.07% of n while ⟨∇f, v⟩ grows only as √n.
    func testADirectionThatNoEntryConfirmsIsNotWrong() {
        let n = 2000, seed: UInt64 = 5
        var generator = RandomGenerator(seed: seed)
        let v = (0..<n).map { _ in generator.nextNormal() }
        let claimed = v.map { 1 + 0.0009 * ($0 < 0 ? -1.0 : 1.0) }
        let problem = CheckTargets.function({ $0.reduce(0, +) }, gradient: claimed, at: Array(repeating: 0.5, count: n))
        let sum = zip(claimed, v).reduce(0.0) { $0 + $1.0 * $1.1 }, plain = v.reduce(0, +)
        XCTAssertFalse(Tolerance().accepts(analytic: sum, numeric: plain), "the direction alone fails")
        let entries = GradientChecker(mode: .direction, seed: seed).check(problem)[0].entries
        XCTAssertEqual(entries.first?.index, "direction")
        XCTAssertEqual(entries.first?.judgement.verdict, .imprecise, "unconfirmed: \(entries.first!.judgement)")
        XCTAssertFalse(entries.contains { $0.judgement.verdict == .wrong })
        // A real fault in one entry is confirmed and stays wrong.
        var broken = claimed
        broken[7] = 3
        let faulty = CheckTargets.function({ $0.reduce(0, +) }, gradient: broken, at: Array(repeating: 0.5, count: n))
        let found = GradientChecker(mode: .direction, seed: seed).check(faulty)[0].entries.filter { $0.judgement.verdict == .wrong }
        XCTAssertTrue(found.contains { $0.index == "7" }, "\(found.map(\.index))")
    }

    /// Focused evaluations (only the layers from the perturbed tensor's up) give exactly the whole model's
    /// value, for every tensor, after other tensors were perturbed and whole passes ran in between.
    func testAFocusedEvaluationEqualsTheWholePass() {
        var generator = RandomGenerator(seed: 8)
        let model = Sequential<Double>([
            Dense<Double>(inputFeatures: 3, outputFeatures: 6, initializer: .heNormal(), generator: &generator),
            ActivationLayer<Double>(.relu), BatchNorm1d<Double>(features: 6),
            Residual<Double>(Sequential([
                Dense<Double>(inputFeatures: 6, outputFeatures: 6, initializer: .xavierNormal(), generator: &generator),
                LayerNorm<Double>(features: 6), ActivationLayer<Double>(.tanh)])),
            Dropout<Double>(probability: 0.3, seed: 4),
            Dense<Double>(inputFeatures: 6, outputFeatures: 3, initializer: .xavierNormal(), generator: &generator),
        ])
        let inputs = Tensor<Double>(shape: [5, 3])
        for i in 0..<inputs.count { inputs[i] = generator.nextNormal() }
        let (problem, restore) = CheckTargets.model(model, loss: SoftmaxCrossEntropy<Double>(), inputs: inputs,
                                                    target: .classes([0, 1, 2, 1, 0]))
        defer { restore() }
        XCTAssertNotNil(problem.focus)
        func perturbed(_ t: Int, _ value: () -> Double) -> Double {
            let x = problem.tensors[t], original = x[0]
            x[0] = original + 0.1
            defer { x[0] = original }
            return value()
        }
        let base = problem.evaluate()
        let whole = problem.tensors.indices.map { t in perturbed(t) { problem.evaluate() } }
        for t in problem.tensors.indices {
            XCTAssertNotEqual(whole[t], base, "\(problem.names[t]): the perturbation matters")
        }
        // As the checker does: the last pass before a new focus ran with a perturbed tensor.
        for t in problem.tensors.indices {
            problem.focus?(t)
            XCTAssertEqual(perturbed(t) { problem.evaluate() }, whole[t], "\(problem.names[t])")
        }
        problem.focus?(nil)
        XCTAssertEqual(problem.evaluate(), base)
    }
}
