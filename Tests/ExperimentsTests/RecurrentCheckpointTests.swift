import Backprop
import Experiments
import Foundation
import XCTest

/// Recurrent models save under torch's `state_dict` names (`1.weight_ih_l0`, ...) and load back into
/// identical models, in Float and Double.
final class RecurrentCheckpointTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-rnn-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Sequential(Embedding(11, 3), LSTM(3, 5), LastTimeStep, Linear(5, 2)) on token ids `[T]`.
    static func embeddingLSTM<Scalar: TensorScalar>(seed: UInt64) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<Scalar>([
            Embedding<Scalar>(numEmbeddings: 11, embeddingDim: 3, generator: &generator),
            LSTM<Scalar>(inputSize: 3, hiddenSize: 5, generator: &generator),
            LastTimeStep<Scalar>(),
            Dense<Scalar>(inputFeatures: 5, outputFeatures: 2, generator: &generator),
        ], inputShape: [4])
    }

    /// Sequential(GRU(3, 4, num_layers=2), LastTimeStep, Linear(4, 1)) on sequences `[T, 3]`.
    static func stackedGRU<Scalar: TensorScalar>(seed: UInt64) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<Scalar>([
            GRU<Scalar>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator),
            LastTimeStep<Scalar>(),
            Dense<Scalar>(inputFeatures: 4, outputFeatures: 1, generator: &generator),
        ], inputShape: [4, 3])
    }

    func roundTrip<Scalar: TensorScalar>(
        _ make: (UInt64) -> Sequential<Scalar>, input: Tensor<Scalar>, names: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let saved = make(1)
        XCTAssertEqual(Checkpoint.stateDictionary(of: saved).entries.map(\.name), names, file: file, line: line)
        let url = folder.appendingPathComponent("model-\(Scalar.self).safetensors")
        try Checkpoint.save(saved, to: url)
        let loaded = make(2)
        let expected = saved.forward(input, mode: .evaluation).scalars
        XCTAssertNotEqual(loaded.forward(input, mode: .evaluation).scalars, expected,
                          "the fresh model must differ before loading, or the test proves nothing", file: file, line: line)
        try Checkpoint.load(url, into: loaded)
        XCTAssertEqual(loaded.forward(input, mode: .evaluation).scalars, expected, file: file, line: line)
        for (a, b) in zip(saved.parameters, loaded.parameters) {
            XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, a.name, file: file, line: line)
            XCTAssertEqual(a.parameter.value.shape, b.parameter.value.shape, a.name, file: file, line: line)
        }
    }

    func check<Scalar: TensorScalar>(_: Scalar.Type) throws {
        let ids = Tensor<Scalar>(shape: [2, 4], scalars: [3, 0, 10, 7, 1, 1, 5, 2])
        try roundTrip(Self.embeddingLSTM, input: ids, names: [
            "0.weight", "1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "3.weight", "3.bias",
        ])
        let sequences = Tensor<Scalar>(shape: [2, 4, 3], scalars: (0..<24).map { Scalar(cos(0.9 * Double($0))) })
        try roundTrip(Self.stackedGRU, input: sequences, names: [
            "0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0",
            "0.weight_ih_l1", "0.weight_hh_l1", "0.bias_ih_l1", "0.bias_hh_l1", "2.weight", "2.bias",
        ])
    }

    func testRecurrentModelsRoundTripUnderTorchNames() throws {
        try check(Float.self)
        try check(Double.self)
    }

    /// torch's shapes in the file: weight_ih_l0 `[3·hidden, input]` for GRU, `[4·hidden, input]` for LSTM.
    func testShapesInTheFileAreTorchs() {
        let lstm: Sequential<Float> = Self.embeddingLSTM(seed: 1)
        XCTAssertEqual(Checkpoint.stateDictionary(of: lstm).entries.map(\.shape),
                       [[11, 3], [20, 3], [20, 5], [20], [20], [2, 5], [2]])
        let gru: Sequential<Double> = Self.stackedGRU(seed: 1)
        XCTAssertEqual(Checkpoint.stateDictionary(of: gru).entries.map(\.shape),
                       [[12, 3], [12, 4], [12], [12], [12, 4], [12, 4], [12], [12], [1, 4], [1]])
    }
}
