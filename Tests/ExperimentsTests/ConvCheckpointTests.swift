import Backprop
import Experiments
import Foundation
import XCTest

/// A convnet's checkpoint: torch's state_dict names and layouts (`Conv2d.weight` `[out, in, kh, kw]`,
/// BatchNorm2d's buffers and counter), and a round trip that gives the same model.
final class ConvCheckpointTests: XCTestCase {
    /// Sequential(Conv2d(2, 4, 3, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(), Linear(36, 3)).
    func convnet<Scalar: TensorScalar>(seed: UInt64, as: Scalar.Type = Scalar.self) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<Scalar>([
            Conv2d<Scalar>(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, generator: &generator),
            BatchNorm2d<Scalar>(features: 4), ActivationLayer<Scalar>(.relu), MaxPool2d<Scalar>(kernelSize: 2),
            Flatten<Scalar>(), Dense<Scalar>(inputFeatures: 36, outputFeatures: 3, generator: &generator),
        ], inputShape: [2, 6, 6])
    }

    func images<Scalar: TensorScalar>(_ batch: Int, _: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        Tensor(shape: [batch, 2, 6, 6], scalars: (0..<(batch * 72)).map { Scalar(cos(1.3 * Double($0))) })
    }

    func testNamesAndShapesAreTorchs() {
        let entries = Checkpoint.stateDictionary(of: convnet(seed: 1, as: Float.self)).entries
        XCTAssertEqual(entries.map(\.name), [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "5.weight", "5.bias",
        ])
        XCTAssertEqual(entries.map(\.shape), [[4, 2, 3, 3], [4], [4], [4], [4], [4], [], [3, 36], [3]])
    }

    func roundTrip<Scalar: TensorScalar>(_: Scalar.Type, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved: Sequential<Scalar> = convnet(seed: 1)
        // Training-mode passes move BatchNorm2d's running statistics and its counter.
        for batch in 2...4 { _ = saved.forward(images(batch), mode: .training) }
        let url = folder.appendingPathComponent("model.safetensors")
        try Checkpoint.save(saved, to: url)
        let loaded: Sequential<Scalar> = convnet(seed: 2)
        let input: Tensor<Scalar> = images(3)
        let expected = saved.forward(input, mode: .evaluation).scalars
        XCTAssertNotEqual(loaded.forward(input, mode: .evaluation).scalars, expected, "differs before loading",
                          file: file, line: line)
        try Checkpoint.load(url, into: loaded)
        XCTAssertEqual(loaded.forward(input, mode: .evaluation).scalars, expected, file: file, line: line)
        XCTAssertEqual(loaded.counters.map(\.counter.value), [3], "num_batches_tracked", file: file, line: line)
        for (a, b) in zip(saved.buffers, loaded.buffers) {
            XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name, file: file, line: line)
        }
    }

    func testRoundTripsGiveIdenticalModels() throws {
        try roundTrip(Float.self)
        try roundTrip(Double.self)
    }
}
