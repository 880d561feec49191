import Backprop
import Foundation
import RunFormat
import XCTest
@testable import TrainingDiagnostics

/// `[batch, features]` to `[batch, features, 1, 1]`: lets a convnet train on the tabular datasets.
final class ToImages: Layer {
    typealias Scalar = Double
    private var features = 0
    var kind: String { "Unflatten" }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 1 else { throw ShapeMismatch(kind: kind, input: shape, expected: "[F]") }
        return shape + [1, 1]
    }
    func forward(_ input: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        features = input.shape[1]
        return Tensor(shape: [input.shape[0], features, 1, 1], scalars: input.scalars)
    }
    func backward(_ outputGradient: Tensor<Double>) -> Tensor<Double> {
        Tensor(shape: [outputGradient.shape[0], features], scalars: outputGradient.scalars)
    }
}

final class ConvolutionDiagnosticsTests: XCTestCase {
    func testADeadUnitOfAnImageBatchIsAChannelZeroEverywhere() {
        // [2 examples, 3 channels, 2 × 2]: channel 0 alive at one position of example 1 only, channel 1 zero
        // everywhere, channel 2 alive everywhere.
        var values = [Double](repeating: 0, count: 24)
        values[(1 * 3 + 0) * 4 + 3] = 0.5
        for n in 0..<2 { for p in 0..<4 { values[(n * 3 + 2) * 4 + p] = 1 + Double(p) } }
        let relu = ActivationStatistics(Tensor<Double>(shape: [2, 3, 2, 2], scalars: values), function: .relu)
        XCTAssertEqual(relu.deadFraction, 1.0 / 3.0, "one channel of three")
        // The same values as [batch, 12] features: 12 − 5 living elements = 7 dead units.
        let flat = ActivationStatistics(Tensor<Double>(shape: [2, 12], scalars: values), function: .relu)
        XCTAssertEqual(flat.deadFraction, 7.0 / 12.0)
        // Saturation stays per element.
        let tanh = Tensor<Float>(shape: [1, 2, 1, 2], scalars: [0.99, 0.1, -0.98, 0.5])
        XCTAssertEqual(ActivationStatistics(tanh, function: .tanh).saturatedFraction, 0.5)
    }

    func testAConvnetIsRecordedWithChannelDeathHistogramsAndShapes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = RandomGenerator(seed: 5)
        let data: Dataset<Double> = SyntheticData.make(name: "moons", count: 64, noise: 0.1, generator: &generator)!
        let conv = Conv2d<Double>(inChannels: 2, outChannels: 4, kernelSize: 1, generator: &generator)
        conv.bias!.value[1] = -100
        conv.bias!.value[3] = -100
        let model = Sequential<Double>([
            ToImages(), conv, ActivationLayer<Double>(.relu), MaxPool2d<Double>(kernelSize: 1), Flatten<Double>(),
            Dense<Double>(inputFeatures: 4, outputFeatures: 2, generator: &generator)])
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Double>(),
                              optimizer: OptimizerKind.sgd.make(parameters: model.parameters, learningRate: 0.01,
                                                                weightDecay: nil),
                              trainingData: data, validationData: nil,
                              options: TrainingOptions(budget: .steps(12), batchSize: 16, learningRate: 0.01,
                                                       evaluationInterval: nil, stopsOnNonFiniteLoss: true, seed: 3))
        let recorder = try RunRecorder<Double>(
            folder: folder,
            description: RunDescription(name: "conv", seed: 5, config: [:], modelDescription: "test",
                                        dataset: .init(name: "moons", trainingExamples: 64, validationExamples: 0,
                                                       features: 2, outputs: 2),
                                        optimizer: ["name": "sgd"]),
            options: RecordingOptions(recordEvery: 1, histogramsEvery: 2))
        trainer.observers = [recorder]
        XCTAssertEqual(trainer.run().status, .completed)

        let activations = try CSVTable(url: folder.appendingPathComponent("activations.csv"))
        XCTAssertEqual(Set(try activations.texts("layer")), ["2"])
        XCTAssertEqual(Set(try activations.numbers("dead_fraction")), [0.5], "two channels of four are dead")
        let histograms = try CSVTable(url: folder.appendingPathComponent("histograms.csv"))
        let tensors = Set(zip(try histograms.texts("layer"), try histograms.texts("tensor")).map { "\($0) \($1)" })
        XCTAssertTrue(tensors.isSuperset(of: ["1.weight gradient", "1.bias gradient", "2 activation"]), "\(tensors.sorted())")
        let manifest = try RunManifest.read(from: folder)
        XCTAssertEqual(manifest.model.layers.map(\.kind),
                       ["Unflatten", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"])
        XCTAssertEqual(manifest.model.layers.map(\.inputFeatures), [2, 2, 4, 4, 4, 4], "channels of [C, H, W]")
        XCTAssertEqual(manifest.model.parameters.first?.shape, [4, 2, 1, 1])
        let findings = try CSVTable(url: folder.appendingPathComponent("findings.csv"))
        XCTAssertTrue(zip(try findings.texts("kind"), try findings.texts("layer")).contains { $0 == ("dead", "2") })
    }
}
