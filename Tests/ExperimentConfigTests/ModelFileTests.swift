import Backprop
import Experiments
import XCTest

final class ModelFileTests: XCTestCase {
    private func parse(_ text: String) throws -> ModelFile { try ModelFile.parse(text, path: "net.yaml") }

    private func error(_ text: String, build: Bool = true) -> ConfigError? {
        do {
            let file = try parse(text)
            guard build else { return nil }
            var g = RandomGenerator(seed: 1)
            _ = try file.build(generator: &g, as: Float.self)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("expected a ConfigError, got \(error)")
            return nil
        }
    }

    func testLayersReadAsTorchPrintsThemWithSizesInferred() throws {
        let file = try parse("""
            input: [2]
            layers:
              - Linear: {out_features: 16}
              - Tanh
              - Residual:
                  - Linear: {out_features: 16}
                  - LayerNorm
                  - LeakyReLU: {negative_slope: 0.2}
              - Dropout: {p: 0.1}
              - Linear: {out_features: 3, bias: false}
            """)
        XCTAssertEqual(file.inputShape, [2])
        var g = RandomGenerator(seed: 4)
        let (model, output) = try file.build(generator: &g, as: Double.self)
        XCTAssertEqual(output, [3])
        XCTAssertEqual(model.layers.map(\.kind), ["Linear", "Tanh", "Residual", "Dropout", "Linear"])
        XCTAssertEqual(model.parameters.map(\.name),
                       ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.1.weight", "2.1.bias", "4.weight"])
        XCTAssertEqual(model.parameters.map(\.parameter.value.shape), [[16, 2], [16], [16, 16], [16], [16], [16], [3, 16]])
        XCTAssertEqual(model.namedLayers.first { $0.name == "2.2" }?.layer.nonlinearity, .leakyReLU(slope: 0.2))
    }

    func testTorchDefaultInitialisationUnlessInitIsGiven() throws {
        let file = try parse("input: [100]\nlayers:\n  - Linear: {out_features: 50}\n  - ReLU\n  - Linear: {out_features: 2}\n")
        var g = RandomGenerator(seed: 2)
        let (classic, _) = try file.build(generator: &g, as: Double.self)
        // torch's nn.Linear: U(−1/√in, 1/√in) = U(−0.1, 0.1) for in = 100.
        let w = classic.parameters[0].parameter.value.scalars
        XCTAssertLessThanOrEqual(w.map(abs).max()!, 0.1)
        XCTAssertGreaterThan(w.map(abs).max()!, 0.09)
        var h = RandomGenerator(seed: 2)
        let (he, _) = try file.build(generator: &h, initializer: "he-normal", as: Double.self)
        // He-normal with ReLU's gain: σ = √(2/100) ≈ 0.141, so the deviation is far above the uniform's 0.058.
        let v = he.parameters[0].parameter.value.scalars
        let deviation = (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot()
        XCTAssertEqual(deviation, (2.0 / 100).squareRoot(), accuracy: 0.01)
    }

    func testConvolutionalAndRecurrentLayersTakeTorchArguments() throws {
        let conv = try parse("""
            input: [1, 8, 8]
            layers:
              - Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
              - BatchNorm2d
              - ReLU
              - MaxPool2d: {kernel_size: 2}
              - Conv2d: {out_channels: 6, kernel_size: [3, 2], stride: 2, dilation: 1, bias: false}
              - Dropout2d: {p: 0.2}
              - AvgPool2d: {kernel_size: 1}
              - AdaptiveAvgPool2d: {output_size: 1}
              - Flatten
              - Linear: {out_features: 10}
            """)
        var g = RandomGenerator(seed: 1)
        let (cnn, output) = try conv.build(generator: &g, as: Float.self)
        XCTAssertEqual(output, [10])
        XCTAssertEqual(cnn.parameters.map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "9.weight", "9.bias"])
        XCTAssertEqual(cnn.parameters.map(\.parameter.value.shape), [[4, 1, 3, 3], [4], [4], [4], [6, 4, 3, 2], [10, 6], [10]])
        XCTAssertEqual(cnn.buffers.map(\.name), ["1.running_mean", "1.running_var"])

        let rnn = try parse("""
            input: [T, 3]
            layers:
              - GRU: {hidden_size: 5, num_layers: 2}
              - LSTM: {hidden_size: 4, bias: false}
              - RNN: {hidden_size: 2, nonlinearity: relu, recurrent_init: "orthogonal:1.5"}
              - LastTimeStep
              - Linear: {out_features: 1}
            """)
        let (sequenceModel, out) = try rnn.build(for: [7, 3], generator: &g, as: Double.self)
        XCTAssertEqual(out, [1])
        XCTAssertEqual(sequenceModel.parameters.map(\.name).prefix(5),
                       ["0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "0.weight_ih_l1"])
        XCTAssertEqual(sequenceModel.parameters.first { $0.name == "0.weight_ih_l0" }?.parameter.value.shape, [15, 3])
        XCTAssertEqual(sequenceModel.parameters.first { $0.name == "1.weight_hh_l0" }?.parameter.value.shape, [16, 4])
        XCTAssertNil(sequenceModel.parameters.first { $0.name == "1.bias_ih_l0" })
        // orthogonal:1.5 on a square 2×2 weight: W Wᵀ = 1.5² I, spectral radius 1.5.
        let w = try XCTUnwrap(sequenceModel.parameters.first { $0.name == "2.weight_hh_l0" }?.parameter.value.scalars)
        XCTAssertEqual(w[0] * w[0] + w[1] * w[1], 2.25, accuracy: 1e-9)
        XCTAssertEqual(w[0] * w[2] + w[1] * w[3], 0, accuracy: 1e-9)

        let tokens = try parse("input: [12]\nlayers:\n  - Embedding: {num_embeddings: 20, embedding_dim: 3}\n  - LSTM: {hidden_size: 4}\n")
        XCTAssertEqual(tokens.embeddingSize, 20)
        XCTAssertEqual(try tokens.build(generator: &g, as: Float.self).outputShape, [12, 4])

        let flat = error("input: [64]\nlayers:\n  - Conv2d: {out_channels: 4, kernel_size: 3}\n")
        XCTAssertEqual(flat?.line, 3)
        XCTAssertTrue(flat?.description.contains("[C, H, W]") ?? false, flat?.description ?? "")
        XCTAssertTrue(flat?.description.contains("[64]") ?? false, flat?.description ?? "")
        let small = error("input: [1, 2, 2]\nlayers:\n  - Conv2d: {out_channels: 4, kernel_size: 3}\n")
        XCTAssertEqual(small?.key, "layer 0 (Conv2d)")
        XCTAssertTrue(small?.description.contains("[1, 2, 2]") ?? false, small?.description ?? "")
        let channels = error("input: [3, 8, 8]\nlayers:\n  - Conv2d: {in_channels: 1, out_channels: 4, kernel_size: 3}\n")
        XCTAssertTrue(channels?.description.contains("in_channels is 1") ?? false, channels?.description ?? "")
        let lstm = error("input: [8]\nlayers:\n  - LSTM: {hidden_size: 4}\n")
        XCTAssertTrue(lstm?.description.contains("[T, input_size]") ?? false, lstm?.description ?? "")
        XCTAssertEqual(error("input: [T, 2]\nlayers:\n  - LSTM: {hidden_size: 4, batch_first: false}\n")?.line, 3)
        XCTAssertEqual(error("input: [T, 2]\nlayers:\n  - RNN: {hidden_size: 4, nonlinearity: sigmoid}\n", build: false)?.key,
                       "RNN.nonlinearity")
    }

    func testSequenceInputTakesAnyLength() throws {
        let file = try parse("input: [T, 3]\nlayers:\n  - Linear: {out_features: 4}\n")
        XCTAssertTrue(file.accepts([50, 3]))
        XCTAssertTrue(file.accepts([1, 3]))
        XCTAssertFalse(file.accepts([50, 2]))
        XCTAssertFalse(file.accepts([3]))
        XCTAssertEqual(file.inputDescription, "[T, 3]")
        var g = RandomGenerator(seed: 1)
        XCTAssertEqual(try file.build(for: [7, 3], generator: &g, as: Float.self).outputShape, [7, 4])
    }

    func testEveryProblemNamesFileLineColumnAndLayer() {
        let unknown = error("input: [2]\nlayers:\n  - Linaer: {out_features: 3}\n")
        XCTAssertEqual(unknown?.line, 3)
        XCTAssertEqual(unknown?.column, 5)
        XCTAssertTrue(unknown?.description.contains("did you mean 'Linear'?") ?? false, unknown?.description ?? "")

        let argument = error("input: [2]\nlayers:\n  - Linear: {out_feature: 3}\n")
        XCTAssertEqual(argument?.line, 3)
        XCTAssertTrue(argument?.description.contains("did you mean 'out_features'?") ?? false, argument?.description ?? "")

        let shapes = error("input: [2]\nlayers:\n  - Linear: {out_features: 8}\n  - ReLU\n  - Linear: {in_features: 4, out_features: 3}\n")
        XCTAssertEqual(shapes?.line, 5)
        XCTAssertEqual(shapes?.key, "layer 2 (Linear)")
        XCTAssertTrue(shapes?.description.contains("in_features is 4") ?? false, shapes?.description ?? "")
        XCTAssertTrue(shapes?.description.contains("[8]") ?? false, shapes?.description ?? "")

        let norm = error("input: [2, 3]\nlayers:\n  - BatchNorm1d\n")
        XCTAssertEqual(norm?.line, 3)
        XCTAssertTrue(norm?.description.contains("[2, 3]") ?? false, norm?.description ?? "")

        let residual = error("input: [2]\nlayers:\n  - Residual:\n      - Linear: {out_features: 5}\n")
        XCTAssertTrue(residual?.description.contains("must keep the shape") ?? false, residual?.description ?? "")

        let syntax = error("input: [2\nlayers:\n", build: false)
        XCTAssertNotNil(syntax?.line)
        XCTAssertTrue(syntax?.description.hasPrefix("net.yaml:") ?? false)

        XCTAssertEqual(error("layers:\n  - ReLU\n", build: false)?.key, "input")
        XCTAssertEqual(error("input: [2]\n", build: false)?.key, "layers")
        XCTAssertEqual(error("input: [0]\nlayers:\n  - ReLU\n", build: false)?.key, "input")
        XCTAssertEqual(error("input: [2]\nlayers:\n  - Dropout: {p: 1.5}\n")?.line, 3)
        XCTAssertEqual(error("input: [2]\nlayers:\n  - Linear: {out_features: yes}\n", build: false)?.key, "Linear.out_features")
        XCTAssertEqual(error("input: [2]\nlayers:\n  - Linear\n", build: false)?.message, "needs out_features")
        XCTAssertEqual(error("input: [2]\nlayers:\n  - Hardtanh: {min_val: 1, max_val: -1}\n")?.line, 3)
        XCTAssertNotNil(error("input: [2]\nlayers:\n  - Linear: {out_features: 1048576}\n  - Linear: {out_features: 1048576}\n"),
                        "a model too large for memory is refused before it is allocated")
    }

    func testExperimentChecksTheFileAgainstTheDataAndOtherSettings() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("net.yaml").path
        try "input: [2]\nlayers:\n  - Linear: {out_features: 8}\n  - ReLU\n  - Linear: {out_features: 3}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        var config = ExperimentConfig()
        config.model = path
        config.steps = 3
        let trainer: Trainer<Float> = try Experiment(config).makeTrainer()
        XCTAssertEqual(trainer.model.parameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])

        config.mlp = [2, 3]
        XCTAssertThrowsError(try Experiment(config)) { XCTAssertEqual(($0 as? ExperimentError)?.setting, "mlp") }
        config.mlp = nil
        config.dataset = "sine"  // one input and one regression target, not two inputs and three classes
        try "input: [1]\nlayers:\n  - Linear: {out_features: 3}\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Experiment(config).makeTrainer(as: Float.self)) {
            XCTAssertTrue(String(describing: $0).contains("needs [1]"), String(describing: $0))
            XCTAssertEqual(($0 as? ConfigError)?.line, 3)
        }
        config.dataset = "adding"
        XCTAssertThrowsError(try Experiment(config).makeTrainer(as: Float.self)) {
            XCTAssertEqual(($0 as? ExperimentError)?.setting, "model")
        }
    }
}
