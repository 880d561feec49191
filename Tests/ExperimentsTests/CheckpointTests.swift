import Backprop
import Experiments
import Foundation
import XCTest

final class CheckpointTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Round trips

    func roundTrip<Scalar: TensorScalar>(
        _ spec: ModelSpec, as: Scalar.Type, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var generator = RandomGenerator(seed: 1)
        let saved: Sequential<Scalar> = spec.build(generator: &generator)
        fillDeterministically(saved, offset: 5)
        // A few training-mode passes move BatchNorm's running statistics and counters.
        for step in 0..<3 { _ = saved.forward(sampleInput(rows: 6 + step, features: spec.sizes[0]), mode: .training) }
        let url = folder.appendingPathComponent("model.safetensors")
        try Checkpoint.save(saved, to: url)

        let loaded: Sequential<Scalar> = spec.build(generator: &generator)
        let input: Tensor<Scalar> = sampleInput(rows: 5, features: spec.sizes[0])
        let expected = saved.forward(input, mode: .evaluation).scalars
        XCTAssertNotEqual(loaded.forward(input, mode: .evaluation).scalars, expected,
                          "the fresh model must differ before loading, or the test proves nothing", file: file, line: line)
        try Checkpoint.load(url, into: loaded)
        XCTAssertEqual(loaded.forward(input, mode: .evaluation).scalars, expected, file: file, line: line)
        for (a, b) in zip(saved.parameters, loaded.parameters) {
            XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, a.name, file: file, line: line)
        }
        for (a, b) in zip(saved.buffers, loaded.buffers) {
            XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name, file: file, line: line)
        }
        XCTAssertEqual(batchNorms(loaded).map(\.batchesTracked), batchNorms(saved).map(\.batchesTracked),
                       file: file, line: line)
    }

    func testRoundTripsGiveIdenticalModels() throws {
        let batch = ModelSpec(sizes: [3, 5, 5, 5, 2], activation: .tanh, norm: .batch, residual: true, dropout: 0.2)
        let layer = ModelSpec(sizes: [3, 5, 5, 2], activation: .gelu, norm: .layer, residual: true)
        try roundTrip(batch, as: Float.self)
        try roundTrip(batch, as: Double.self)
        try roundTrip(layer, as: Float.self)
        try roundTrip(layer, as: Double.self)
    }

    func testNamesFollowTorchsStateDictOrder() {
        var generator = RandomGenerator(seed: 1)
        let model: Sequential<Float> = ModelSpec(sizes: [3, 4, 4, 2], activation: .tanh, norm: .batch, residual: true)
            .build(generator: &generator)
        XCTAssertEqual(Checkpoint.stateDictionary(of: model).entries.map(\.name), [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.0.weight", "3.0.bias", "3.1.weight", "3.1.bias", "3.1.running_mean", "3.1.running_var",
            "3.1.num_batches_tracked", "4.weight", "4.bias",
        ])
    }

    /// A container of the user's own that states its children saves and loads like `Sequential`, counter
    /// included: checkpoints walk the tree through the layer contract.
    func testAContainerOfYourOwnSavesEveryTensorOfItsChildren() throws {
        func model() -> Sequential<Float> {
            var generator = RandomGenerator(seed: 2)
            return Sequential<Float>([
                Dense<Float>(inputFeatures: 3, outputFeatures: 4, generator: &generator),
                Chain(left: BatchNorm1d<Float>(features: 4),
                      right: Dense<Float>(inputFeatures: 4, outputFeatures: 2, generator: &generator)),
            ], inputShape: [3])
        }
        let saved = model(), loaded = model()
        fillDeterministically(saved, offset: 0)
        (saved.layers[1] as! Chain).left.batchesTracked = 9
        let file = Checkpoint.stateDictionary(of: saved)
        XCTAssertEqual(file.entries.map(\.name), [
            "0.weight", "0.bias", "1.left.weight", "1.left.bias", "1.left.running_mean", "1.left.running_var",
            "1.left.num_batches_tracked", "1.right.weight", "1.right.bias",
        ])
        try Checkpoint.load(file, into: loaded, path: "chain.safetensors")
        XCTAssertEqual((loaded.layers[1] as! Chain).left.batchesTracked, 9)
        XCTAssertEqual(loaded.buffers.map(\.tensor.scalars), saved.buffers.map(\.tensor.scalars))
        XCTAssertEqual(loaded.parameters.map(\.parameter.value.scalars), saved.parameters.map(\.parameter.value.scalars))
    }

    // MARK: The reference implementation's file

    struct Forward: Decodable { var input: [[Double]]; var output: [[Double]] }

    /// Loads the fixture and compares the evaluation forward pass with numpy's float64 result:
    /// `|y − e| ≤ tolerance · (1 + |e|)`.
    func checkFixture<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) throws {
        let model: Sequential<Scalar> = referenceModel()
        try Checkpoint.load(fixtures.appendingPathComponent("reference.safetensors"), into: model)
        XCTAssertEqual(batchNorms(model).map(\.batchesTracked), [7])
        let reference = try JSONDecoder().decode(
            Forward.self, from: Data(contentsOf: fixtures.appendingPathComponent("reference_forward.json")))
        let input = Tensor<Scalar>(shape: [reference.input.count, 3], scalars: reference.input.joined().map { Scalar($0) })
        let output = model.forward(input, mode: .evaluation).scalars
        let expected = Array(reference.output.joined())
        XCTAssertEqual(output.count, expected.count)
        for (i, (y, e)) in zip(output, expected).enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(y) - e), tolerance * (1 + abs(e)),
                                     "\(Scalar.self) output \(i): GradLab \(y), numpy \(e)")
        }
    }

    /// Float: about 100 ulp of float32 at 1, room for the ten or so rounded operations behind each output.
    /// Double: numpy computes the same formula in float64 from the same float32 values, so only the order of
    /// summation and libm's tanh differ, a few ulp; 1e−12 leaves room while catching any wrong value.
    func testTheReferenceFixtureLoadsAndMatchesNumpy() throws {
        try checkFixture(Float.self, tolerance: 1e-5)
        try checkFixture(Double.self, tolerance: 1e-12)
    }

    // MARK: Files that do not fit

    func expectLoadError<Scalar>(
        _ file: SafeTensors, into model: Sequential<Scalar>, _ expected: CheckpointError,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try Checkpoint.load(file, into: model, path: "x.safetensors"), line: line) { error in
            XCTAssertEqual(error as? CheckpointError, expected, "\(error)", line: line)
        }
    }

    func testMissingExtraAndMisshapenTensorsAreListed() {
        let model: Sequential<Float> = referenceModel()
        let full = Checkpoint.stateDictionary(of: model)
        var lacking = full
        lacking.entries.removeAll { $0.name == "2.running_var" || $0.name == "2.num_batches_tracked" }
        expectLoadError(lacking, into: model, .namesDoNotMatch(path: "x.safetensors", missing: [
            .init(name: "2.running_var", dtype: "F32", shape: [4]),
            .init(name: "2.num_batches_tracked", dtype: "I64", shape: []),
        ], unexpected: []))

        var extra = full
        extra.entries.append(.init(name: "4.weight", tensor: Tensor<Double>(shape: [2, 2])))
        expectLoadError(extra, into: model, .namesDoNotMatch(path: "x.safetensors", missing: [], unexpected: [
            .init(name: "4.weight", dtype: "F64", shape: [2, 2]),
        ]))

        var misshapen = full
        misshapen.entries[0] = .init(name: "0.weight", tensor: Tensor<Float>(shape: [3, 4]))
        misshapen.entries[1] = .init(name: "0.bias", tensor: Tensor<Float>(shape: [1, 4]))
        expectLoadError(misshapen, into: model, .shapeMismatch(path: "x.safetensors", mismatches: [
            .init(name: "0.weight", expected: [4, 3], found: [3, 4]),
            .init(name: "0.bias", expected: [4], found: [1, 4]),
        ]))
        XCTAssertEqual(CheckpointError.shapeMismatch(path: "x.safetensors", mismatches: [
            .init(name: "0.weight", expected: [4, 3], found: [3, 4]),
        ]).description, "x.safetensors: size mismatch for 0.weight: the file has [3, 4], the model expects [4, 3]; "
                       + "build the model with the layer sizes the checkpoint was saved with")
    }

    func testDTypesConvertBetweenFloatsAndNothingElse() throws {
        let model: Sequential<Float> = referenceModel()
        var file = Checkpoint.stateDictionary(of: model)
        let index = try XCTUnwrap(file.entries.firstIndex { $0.name == "0.bias" })
        file.entries[index] = .init(name: "0.bias", dtype: .i32, shape: [4], bytes: Array(repeating: 0, count: 16))
        expectLoadError(file, into: model, .wrongDType(path: "x.safetensors", tensor: "0.bias", found: "I32",
                                                       expected: "F32 or F64"))
        file.entries[index] = .init(name: "0.bias", tensor: Tensor<Float>(shape: [4]))
        let counter = try XCTUnwrap(file.entries.firstIndex { $0.name == "2.num_batches_tracked" })
        file.entries[counter] = .init(name: "2.num_batches_tracked", tensor: Tensor<Float>(shape: []))
        expectLoadError(file, into: model, .wrongDType(path: "x.safetensors", tensor: "2.num_batches_tracked",
                                                       found: "F32", expected: "I64"))
        file.entries[counter] = .init(name: "2.num_batches_tracked", shape: [], integers: [-1])
        expectLoadError(file, into: model, .invalidValue(path: "x.safetensors", tensor: "2.num_batches_tracked",
                                                         reason: "a count of batches cannot be negative, got -1"))

        // F64 into a Float model rounds to nearest, as torch's copy_ does.
        let double: Sequential<Double> = referenceModel()
        fillDeterministically(double, offset: 1)
        try Checkpoint.load(Checkpoint.stateDictionary(of: double), into: model, path: "x.safetensors")
        for (d, f) in zip(double.parameters, model.parameters) {
            XCTAssertEqual(d.parameter.value.scalars.map { Float($0) }, f.parameter.value.scalars, d.name)
        }
    }

    func testAFailedLoadLeavesTheModelUnchanged() throws {
        let model: Sequential<Double> = referenceModel()
        let before = model.parameters.map(\.parameter.value.scalars) + model.buffers.map(\.tensor.scalars)
        let other: Sequential<Double> = referenceModel()
        fillDeterministically(other, offset: 2)
        var file = Checkpoint.stateDictionary(of: other)
        // The last tensor in state_dict order is bad; all earlier ones would fit.
        file.entries[file.entries.count - 1] = .init(name: "3.bias", dtype: .u8, shape: [2], bytes: [1, 2])
        XCTAssertThrowsError(try Checkpoint.load(file, into: model, path: "x"))
        XCTAssertEqual(model.parameters.map(\.parameter.value.scalars) + model.buffers.map(\.tensor.scalars), before)
    }

    func testTruncatedAndCorruptFilesAreFormatErrors() throws {
        let model: Sequential<Float> = referenceModel()
        let bytes = try Data(contentsOf: fixtures.appendingPathComponent("reference.safetensors"))
        let truncated = folder.appendingPathComponent("truncated.safetensors")
        try bytes.prefix(bytes.count - 5).write(to: truncated)
        XCTAssertThrowsError(try Checkpoint.load(truncated, into: model)) { error in
            guard case .malformed(let path, let tensor, let reason)? = error as? SafeTensorsError else {
                return XCTFail("expected a malformed-file error, got \(error)")
            }
            XCTAssertEqual(path, truncated.path)
            XCTAssertNotNil(tensor, "the last tensor's range runs past the data: \(reason)")
            XCTAssertTrue(reason.contains("run past the end of the data"), reason)
        }
        var corrupt = bytes
        corrupt[8] = UInt8(ascii: "x")
        let damaged = folder.appendingPathComponent("corrupt.safetensors")
        try corrupt.write(to: damaged)
        XCTAssertThrowsError(try Checkpoint.load(damaged, into: model)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .malformed(
                path: damaged.path, tensor: nil, reason: "the header does not start with '{', so it is not a JSON object"))
        }
    }

    func testAFailedSaveDamagesNothing() throws {
        let model: Sequential<Float> = referenceModel()
        // The target is a folder: the rename fails, the folder stays, and no temporary file is left behind.
        let target = folder.appendingPathComponent("occupied.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        XCTAssertThrowsError(try Checkpoint.save(model, to: target)) { error in
            guard case .cannotWrite(let path, _)? = error as? SafeTensorsError else {
                return XCTFail("expected cannotWrite, got \(error)")
            }
            XCTAssertEqual(path, target.path)
        }
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: target.path, isDirectory: &isFolder) && isFolder.boolValue)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["occupied.safetensors"])

        // Saving over an existing checkpoint replaces it whole.
        let url = folder.appendingPathComponent("model.safetensors")
        try Data("old".utf8).write(to: url)
        try Checkpoint.save(model, to: url)
        let written = try SafeTensors(contentsOf: url), expected = Checkpoint.stateDictionary(of: model)
        XCTAssertEqual(written.metadata, expected.metadata)
        XCTAssertEqual(written.entries.sorted { $0.name < $1.name }, expected.entries.sorted { $0.name < $1.name })
    }

    // MARK: Files for torch

    /// GradLab's files for the reference implementation to read (`make_checkpoint_fixture.py --check`).
    /// The bytes are compared with the stored files; GRADLAB_RECORD_SNAPSHOTS=1 records them again.
    func testWrittenFilesMatchTheirSnapshots() throws {
        func check<Scalar: TensorScalar>(_ name: String, norm: ModelSpec.Norm, as: Scalar.Type) throws {
            var generator = RandomGenerator(seed: 1)
            let model: Sequential<Scalar> = ModelSpec(sizes: [3, 4, 4, 2], activation: .tanh, norm: norm,
                                                      residual: true).build(generator: &generator)
            fillDeterministically(model, offset: 0)
            let url = fixtures.appendingPathComponent(name)
            let bytes = Checkpoint.stateDictionary(of: model, metadata: ["producer": "gradlab"]).encoded()
            if ProcessInfo.processInfo.environment["GRADLAB_RECORD_SNAPSHOTS"] == "1" {
                try Data(bytes).write(to: url)
            }
            XCTAssertEqual(try [UInt8](Data(contentsOf: url)), bytes,
                           "\(name) differs from the writer's output; GRADLAB_RECORD_SNAPSHOTS=1 records it again")
        }
        try check("gradlab_float_batchnorm.safetensors", norm: .batch, as: Float.self)
        try check("gradlab_double_layernorm.safetensors", norm: .layer, as: Double.self)
    }
}

/// Two layers in a row under names of their own, as a torch module with attributes `left` and `right`.
final class Chain: Layer {
    typealias Scalar = Float
    let left: BatchNorm1d<Float>
    let right: Dense<Float>
    init(left: BatchNorm1d<Float>, right: Dense<Float>) { self.left = left; self.right = right }
    var kind: String { "Chain" }
    var children: [NamedLayer<Float>] { [NamedLayer(name: "left", layer: left), NamedLayer(name: "right", layer: right)] }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try right.outputShape(forInputShape: left.outputShape(forInputShape: shape))
    }
    func forward(_ input: Tensor<Float>, mode: Mode) -> Tensor<Float> { right.forward(left.forward(input, mode: mode), mode: mode) }
    func backward(_ outputGradient: Tensor<Float>) -> Tensor<Float> { left.backward(right.backward(outputGradient)) }
}
