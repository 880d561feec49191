import Backprop
import Foundation
import GradientCheck
import RunFormat
import XCTest
@testable import TrainingDiagnostics

/// A Linear layer whose weight gradient comes back scaled: a backward bug.
final class ScaledGradientDense: Layer {
    typealias Scalar = Double
    let inner: Dense<Double>
    /// How many more backward passes carry the bug; the later ones are right.
    var faultyBackwards: Int
    init(_ inner: Dense<Double>, faultyBackwards: Int = .max) {
        self.inner = inner
        self.faultyBackwards = faultyBackwards
    }
    var kind: String { "Linear" }
    var parameters: [NamedParameter<Double>] { inner.parameters }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] { try inner.outputShape(forInputShape: shape) }
    func forward(_ input: Tensor<Double>, mode: Mode) -> Tensor<Double> { inner.forward(input, mode: mode) }
    func backward(_ outputGradient: Tensor<Double>) -> Tensor<Double> {
        let g = inner.backward(outputGradient)
        guard faultyBackwards > 0 else { return g }
        faultyBackwards -= 1
        let w = inner.parameters[0].parameter.gradient
        for i in 0..<w.count { w[i] *= 1.2 }
        return g
    }
}

final class GradientCheckObserverTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gcobserver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func run(twinIsBroken: Bool, faultyBackwards: Int = .max) throws -> (findings: [FindingRow], table: CSVTable) {
        var generator = RandomGenerator(seed: 2)
        let data: Dataset<Float> = SyntheticData.make(name: "moons", count: 64, noise: 0.1, generator: &generator)!
        let model = Sequential<Float>.multilayerPerceptron(sizes: [2, 6, 2], activation: .tanh,
                                                           initializer: .xavierNormal(), generator: &generator)
        var twinGenerator = RandomGenerator(seed: 9)
        let first = Dense<Double>(inputFeatures: 2, outputFeatures: 6, initializer: .classic, generator: &twinGenerator)
        let twin = Sequential<Double>([twinIsBroken ? ScaledGradientDense(first, faultyBackwards: faultyBackwards) : first, ActivationLayer<Double>(.tanh),
                                       Dense<Double>(inputFeatures: 6, outputFeatures: 2, initializer: .classic,
                                                     generator: &twinGenerator)])
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Float>(),
                              optimizer: OptimizerKind.adam.make(parameters: model.parameters), trainingData: data,
                              options: TrainingOptions(budget: .steps(25), batchSize: 16, learningRate: 0.01))
        var findings: [FindingRow] = []
        let observer = try GradientCheckObserver<Float>(folder: folder, every: 10, burnIn: 3, twin: twin,
                                                        loss: SoftmaxCrossEntropy<Double>(), seed: 1) { findings.append($0) }
        trainer.observers = [observer]
        trainer.run()
        XCTAssertEqual(observer.checks, 3, "steps 3, 10 and 20")
        return (findings, try CSVTable(url: folder.appendingPathComponent("gradcheck.csv")))
    }

    func testAHealthyModelIsCheckedAtTheBurnInAndEveryNSteps() throws {
        let (findings, table) = try run(twinIsBroken: false)
        XCTAssertTrue(findings.isEmpty)
        let steps = try table.numbers("step").map { Int($0!) }
        XCTAssertEqual(Set(steps), [3, 10, 20])
        XCTAssertEqual(steps.filter { $0 == 10 }.count, 4, "one direction per parameter tensor")
        XCTAssertTrue(try table.texts("verdict").allSatisfy { $0 == EntryVerdict.ok.rawValue })
    }

    func testABrokenBackwardBecomesAFinding() throws {
        let (findings, table) = try run(twinIsBroken: true)
        XCTAssertEqual(findings.map(\.kind), [.gradcheck], "reported once")
        XCTAssertEqual(findings.first?.step, 3)
        XCTAssertEqual(findings.first?.layer, "0")
        let wrong = zip(try table.texts("parameter"), try table.texts("verdict")).filter { $0.1 == EntryVerdict.wrong.rawValue }.map(\.0)
        XCTAssertTrue(wrong.allSatisfy { $0 == "0.weight" } && !wrong.isEmpty, "\(wrong)")
        // The finding names a confirmed entry, both values and the evidence.
        let message = findings.first?.message ?? ""
        XCTAssertTrue(message.contains("0.weight[") && !message.contains("[direction]"), message)
        for word in ["analytic", "numeric", "step h", "one-sided slopes", "predicted round-off"] {
            XCTAssertTrue(message.contains(word), "'\(word)' in: \(message)")
        }
        let rows = try table.gradchecks()
        XCTAssertTrue(rows.contains { $0.verdict == .wrong && $0.index != "direction" }, "the entry's own row")
        XCTAssertTrue(rows.allSatisfy { $0.h > 0 }, "every row has its step")
        XCTAssertTrue(findings.first?.isOpen == true, "wrong at every check: open to the end")
    }

    /// A wrong gradient at the checks of steps 3 and 10 and right at step 20 (one backward pass per check):
    /// the finding closes with its last step 10, the same finding again with `lastStep` set.
    func testAWrongGradientThatClearsClosesItsFinding() throws {
        let (findings, _) = try run(twinIsBroken: true, faultyBackwards: 2)
        XCTAssertEqual(findings.map(\.kind), [.gradcheck, .gradcheck], "raised, then closed")
        XCTAssertEqual(findings.map(\.step), [3, 3])
        XCTAssertEqual(findings.map(\.lastStep), [nil, 10])
        XCTAssertEqual(FindingRow.spans(findings).map { $0.span(end: 25) }, ["steps 3–10"])
    }
}
