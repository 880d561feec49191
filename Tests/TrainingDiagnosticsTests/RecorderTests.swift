import Backprop
import Foundation
import RunFormat
import XCTest
@testable import TrainingDiagnostics

/// Copies what a step's tensors hold, so the test can compute the statistics its own way.
final class TensorCapture: TrainingObserver {
    typealias Scalar = Double
    var gradients: [Int: [String: [Double]]] = [:]
    var weights: [Int: [String: [Double]]] = [:]
    var updates: [Int: [[Double]]] = [:]
    private var before: [[Double]] = []
    var outputs: [Int: [String: [Double]]] = [:]
    func wantsDetails(atStep step: Int) -> Bool { true }
    func stepDidComputeGradients(_ details: StepDetails<Double>) {
        before = details.layers.flatMap(\.parameters).map(\.parameter.value.scalars)
        for view in details.layers {
            outputs[details.step, default: [:]][view.name] = view.output.scalars
            for p in view.parameters { gradients[details.step, default: [:]][p.name] = p.parameter.gradient.scalars }
        }
    }
    func stepDidFinish(_ record: StepRecord, details: StepDetails<Double>?) {
        guard let details else { return }
        // Δθ from copies taken before and after the step, in `model.parameters` order (the layers' order).
        let after = details.layers.flatMap(\.parameters).map(\.parameter.value.scalars)
        updates[record.step] = zip(after, before).map { zip($0, $1).map { $0 - $1 } }
        for view in details.layers {
            for p in view.parameters { weights[record.step, default: [:]][p.name] = p.parameter.value.scalars }
        }
    }
}

/// A layer that passes values through, except that from its `atCall`-th forward pass on it writes a NaN into
/// its output or into the gradient it hands back: a deterministic bug, as a replay sees it too.
final class Poison: Layer {
    typealias Scalar = Double
    enum Where { case forward, backward }
    let place: Where
    let atCall: Int
    private var calls = 0
    private let out = Tensor<Double>(shape: [0])
    private var outputBuffer: Tensor<Double>?
    private var gradientBuffer: Tensor<Double>?
    init(_ place: Where, atCall: Int) { self.place = place; self.atCall = atCall }
    var kind: String { "Poison" }
    func forward(_ input: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        calls += 1
        let y = input.copy()
        if place == .forward && calls >= atCall { y[1] = .nan }
        return y
    }
    func backward(_ outputGradient: Tensor<Double>) -> Tensor<Double> {
        let g = outputGradient.copy()
        if place == .backward && calls >= atCall { g[0] = .nan }
        return g
    }
}

final class RecorderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func trainer(_ layers: [any Layer<Double>], steps: Int, optimizer: OptimizerKind = .adam,
                         stop: Bool = true) -> Trainer<Double> {
        var generator = RandomGenerator(seed: 11)
        let data: Dataset<Double> = SyntheticData.make(name: "moons", count: 64, noise: 0.1, generator: &generator)!
        let model = Sequential<Double>(layers)
        return Trainer(model: model, loss: SoftmaxCrossEntropy<Double>(),
                       optimizer: optimizer.make(parameters: model.parameters, learningRate: 0.01, weightDecay: nil),
                       trainingData: data, validationData: nil,
                       options: TrainingOptions(budget: .steps(steps), batchSize: 16, learningRate: 0.01,
                                                evaluationInterval: nil, stopsOnNonFiniteLoss: stop, seed: 3))
    }

    private func recorder(_ options: RecordingOptions = RecordingOptions()) throws -> RunRecorder<Double> {
        try RunRecorder<Double>(
            folder: folder,
            description: RunDescription(name: "t", seed: 11, config: [:], modelDescription: "test",
                                        dataset: .init(name: "moons", trainingExamples: 64, validationExamples: 0,
                                                       features: 2, outputs: 2),
                                        optimizer: ["name": "adam"]),
            options: options)
    }

    private func mlp(_ generator: inout RandomGenerator) -> [any Layer<Double>] {
        [Dense<Double>(inputFeatures: 2, outputFeatures: 5, initializer: .xavierUniform(), generator: &generator),
         ActivationLayer<Double>(.tanh),
         Dense<Double>(inputFeatures: 5, outputFeatures: 5, initializer: .heNormal(), generator: &generator),
         ActivationLayer<Double>(.relu),
         Dense<Double>(inputFeatures: 5, outputFeatures: 2, initializer: .classic, generator: &generator)]
    }

    func testRecordedNumbersEqualStatisticsComputedFromTheSameTensors() throws {
        var generator = RandomGenerator(seed: 5)
        let trainer = trainer(mlp(&generator), steps: 4)
        let recorder = try recorder(RecordingOptions(recordEvery: 2, histogramsEvery: 3))
        let capture = TensorCapture()
        trainer.observers = [recorder, capture]
        let summary = trainer.run()
        XCTAssertEqual(summary.status, .completed)

        let gradients = try CSVTable(url: folder.appendingPathComponent("gradients.csv"))
        let steps = try gradients.numbers("step").map { Int($0!) }
        XCTAssertEqual(Set(steps), [1, 2, 4], "step 1 and every second step")
        let names = try gradients.texts("parameter")
        let columns = try ["grad_norm", "grad_mean", "grad_std", "grad_max_abs", "zero_fraction", "weight_norm",
                           "update_norm", "update_ratio"].map { try gradients.numbers($0) }
        for (row, (step, name)) in zip(steps, names).enumerated() {
            let g = capture.gradients[step]![name]!
            let w = capture.weights[step]![name]!
            let index = trainer.model.parameters.firstIndex { $0.name == name }!
            let u = capture.updates[step]![index]
            let n = Double(g.count)
            let mean = g.reduce(0, +) / n
            let variance = g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n
            let norm = { (v: [Double]) in v.map { $0 * $0 }.reduce(0, +).squareRoot() }
            let expected = [norm(g), mean, variance.squareRoot(), g.map(abs).max()!,
                            Double(g.filter { $0 == 0 }.count) / n, norm(w), norm(u), norm(u) / norm(w)]
            for (c, value) in expected.enumerated() {
                XCTAssertEqual(columns[c][row]!, value, accuracy: 1e-12 * max(1, abs(value)),
                               "\(name) step \(step) column \(c)")
            }
        }

        let activations = try CSVTable(url: folder.appendingPathComponent("activations.csv"))
        XCTAssertEqual(try activations.texts("layer"), ["1", "3", "1", "3", "1", "3"])
        let aSteps = try activations.numbers("step").map { Int($0!) }
        let layers = try activations.texts("layer")
        let dead = try activations.numbers("dead_fraction"), maxima = try activations.numbers("max")
        let saturated = try activations.numbers("saturated_fraction")
        for row in 0..<aSteps.count {
            let output = capture.outputs[aSteps[row]]![layers[row]]!
            XCTAssertEqual(maxima[row]!, output.max()!)
            if layers[row] == "3" {
                let deadUnits = (0..<5).filter { unit in stride(from: unit, to: output.count, by: 5).allSatisfy { output[$0] == 0 } }
                XCTAssertEqual(dead[row]!, Double(deadUnits.count) / 5)
            } else {
                XCTAssertEqual(saturated[row]!, Double(output.filter { abs($0) > 0.97 }.count) / Double(output.count))
            }
        }

        let histograms = try CSVTable(url: folder.appendingPathComponent("histograms.csv"))
        let hSteps = Set(try histograms.numbers("step").map { Int($0!) })
        XCTAssertEqual(hSteps, [1, 3])
        // Each tensor's counts add up to its size.
        let counts = try histograms.numbers("count"), tensors = try histograms.texts("layer")
        let hStepColumn = try histograms.numbers("step")
        var totals: [String: Double] = [:]
        for i in counts.indices where hStepColumn[i] == 3 { totals[tensors[i], default: 0] += counts[i]! }
        XCTAssertEqual(totals["0.weight"], 10)
        XCTAssertEqual(totals["1"], 16 * 5, "a batch of 16 through 5 tanh units")

        let stepsTable = try CSVTable(url: folder.appendingPathComponent("steps.csv"))
        XCTAssertEqual(try stepsTable.numbers("step"), [1, 2, 3, 4])
        let manifest = try RunManifest.read(from: folder)
        XCTAssertEqual(manifest.status, .completed)
        XCTAssertEqual(manifest.stepsCompleted, 4)
        XCTAssertEqual(manifest.model.parameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        XCTAssertEqual(manifest.model.layers.map(\.kind), ["Linear", "Tanh", "Linear", "ReLU", "Linear"])
        let last = capture.gradients[4]!
        let n0 = last["0.weight"]!.map { $0 * $0 }.reduce(0, +).squareRoot()
        let n2 = last["2.weight"]!.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(manifest.depthRatio!, n0 / n2, accuracy: 1e-12 * n0 / n2)
    }

    private func assertTraced(_ place: Poison.Where, stop: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        var generator = RandomGenerator(seed: 5)
        var layers = mlp(&generator)
        layers.insert(Poison(place, atCall: 3), at: 3)  // between the second Linear and its ReLU
        let trainer = trainer(layers, steps: 6, stop: stop)
        // Recording only every 5th step: the poisoned step 3 is traced all the same.
        let recorder = try recorder(RecordingOptions(recordEvery: 5, histogramsEvery: 0))
        trainer.observers = [recorder]
        let summary = trainer.run()
        let origin = try XCTUnwrap(recorder.nonFiniteOrigin, file: file, line: line)
        XCTAssertEqual(origin.layer, "3", file: file, line: line)
        XCTAssertEqual(origin.kind, "Poison", file: file, line: line)
        XCTAssertEqual(origin.pass, place == .forward ? .forward : .backward, file: file, line: line)
        let findings = try CSVTable(url: folder.appendingPathComponent("findings.csv"))
        XCTAssertEqual(try findings.texts("kind").first, FindingKind.nonfinite.rawValue, "written before anything else", file: file, line: line)
        XCTAssertEqual(try findings.numbers("step").first, 3, file: file, line: line)
        XCTAssertEqual(try findings.texts("layer").first, "3", file: file, line: line)
        let manifest = try RunManifest.read(from: folder)
        if stop {
            XCTAssertEqual(summary.status, .diverged, file: file, line: line)
            XCTAssertEqual(manifest.status, .diverged, file: file, line: line)
            XCTAssertEqual(manifest.stepsCompleted, 2, file: file, line: line)
        }
    }

    func testANaNInAForwardPassIsTracedToItsLayer() throws {
        try assertTraced(.forward, stop: true)
    }

    func testANaNInABackwardPassIsTracedToItsLayer() throws {
        try assertTraced(.backward, stop: true)
    }

    func testARunThatGoesOnAfterANaNStillRecordsItsOrigin() throws {
        var generator = RandomGenerator(seed: 5)
        var layers = mlp(&generator)
        layers.insert(Poison(.backward, atCall: 2), at: 3)
        let trainer = trainer(layers, steps: 4, stop: false)
        let recorder = try recorder(RecordingOptions(recordEvery: 1, histogramsEvery: 0))
        trainer.observers = [recorder]
        XCTAssertEqual(trainer.run().status, .completed)
        XCTAssertEqual(recorder.nonFiniteOrigin?.layer, "3")
        XCTAssertEqual(recorder.nonFiniteOrigin?.pass, .backward)
        XCTAssertEqual(try RunManifest.read(from: folder).findings.first?.kind, .nonfinite)
    }

    func testAFolderWithARunIsNotOverwritten() throws {
        _ = try recorder()
        XCTAssertThrowsError(try recorder()) { error in
            XCTAssertEqual(error as? RunFolderError, .exists(path: self.folder.path))
        }
    }

    func testRequestStopEndsTheRunAsInterrupted() throws {
        var generator = RandomGenerator(seed: 5)
        let trainer = trainer(mlp(&generator), steps: 50)
        let recorder = try recorder()
        final class StopAt3: TrainingObserver {
            typealias Scalar = Double
            let stop: @Sendable () -> Void
            init(_ stop: @escaping @Sendable () -> Void) { self.stop = stop }
            func stepDidFinish(_ record: StepRecord, details: StepDetails<Double>?) { if record.step == 3 { stop() } }
        }
        trainer.observers = [recorder, StopAt3(recorder.stopHandle)]
        let summary = trainer.run()
        XCTAssertEqual(summary.status, .interrupted)
        XCTAssertEqual(summary.stepsCompleted, 3)
        XCTAssertEqual(try RunManifest.read(from: folder).status, .interrupted)
        XCTAssertEqual(try CSVTable(url: folder.appendingPathComponent("steps.csv")).rows.count, 3)
    }

    /// A ReLU inside a residual block whose Linear has a bias of −100 is dead: the recorder writes its rows
    /// under its full name (`2.1`), and the detector reports it there.
    func testLayersInsideAResidualBlockAreRecordedAndDiagnosed() throws {
        var generator = RandomGenerator(seed: 5)
        let inner = Dense<Double>(inputFeatures: 5, outputFeatures: 5, initializer: .heNormal(), generator: &generator)
        inner.bias!.value.fill(-100)
        let layers: [any Layer<Double>] = [
            Dense<Double>(inputFeatures: 2, outputFeatures: 5, initializer: .xavierUniform(), generator: &generator),
            ActivationLayer<Double>(.tanh),
            Residual<Double>(Sequential<Double>([inner, ActivationLayer<Double>(.relu)])),
            Dense<Double>(inputFeatures: 5, outputFeatures: 2, initializer: .classic, generator: &generator),
        ]
        let trainer = trainer(layers, steps: 12)
        let recorder = try recorder(RecordingOptions(recordEvery: 1, histogramsEvery: 4))
        trainer.observers = [recorder]
        XCTAssertEqual(trainer.run().status, .completed)

        let activations = try CSVTable(url: folder.appendingPathComponent("activations.csv"))
        let activationLayers = try activations.texts("layer")
        XCTAssertEqual(Array(activationLayers.prefix(2)), ["1", "2.1"], "one row per activation, inner ones included")
        XCTAssertEqual(Set(activationLayers), ["1", "2.1"], "the residual's sum is not an activation")
        let dead = try activations.numbers("dead_fraction")
        for (layer, fraction) in zip(activationLayers, dead) where layer == "2.1" { XCTAssertEqual(fraction, 1) }

        let findings = try CSVTable(url: folder.appendingPathComponent("findings.csv"))
        let kinds = try findings.texts("kind"), findingLayers = try findings.texts("layer")
        XCTAssertTrue(zip(kinds, findingLayers).contains { $0 == ("dead", "2.1") }, "\(Array(zip(kinds, findingLayers)))")

        let gradients = try CSVTable(url: folder.appendingPathComponent("gradients.csv"))
        let pairs = Set(zip(try gradients.texts("parameter"), try gradients.texts("layer")).map { "\($0) \($1)" })
        XCTAssertEqual(pairs, ["0.weight 0", "0.bias 0", "2.0.weight 2.0", "2.0.bias 2.0", "3.weight 3", "3.bias 3"])
        let histograms = try CSVTable(url: folder.appendingPathComponent("histograms.csv"))
        XCTAssertTrue(try histograms.texts("layer").contains("2.1"), "activation histograms inside the block")

        let manifest = try RunManifest.read(from: folder)
        XCTAssertEqual(manifest.model.parameters.map(\.layer), ["0", "0", "2.0", "2.0", "3", "3"])
        XCTAssertEqual(manifest.model.layers.map(\.name), ["0", "1", "2", "3"])
    }
}
