import Backprop
import Experiments
import XCTest

final class ModelSpecTests: XCTestCase {
    func testSizesParseWithRepeats() throws {
        XCTAssertEqual(try ModelSpec.parseSizes("64,128x8,10").get(), [64] + Array(repeating: 128, count: 8) + [10])
        XCTAssertEqual(try ModelSpec.parseSizes(" 2, 16 ,3").get(), [2, 16, 3])
        XCTAssertEqual(ModelSpec(sizes: [64] + Array(repeating: 128, count: 8) + [10]).sizesDescription, "64,128x8,10")
        XCTAssertEqual(ModelSpec(sizes: [2, 3]).sizesDescription, "2,3")
    }

    func testSizeErrorsSayWhichItemAndWhy() {
        func message(_ text: String) -> String {
            if case .failure(let p) = ModelSpec.parseSizes(text) { return p.message }
            return "parsed"
        }
        XCTAssertEqual(message("64,abc,10"), "item 2 'abc' is not a positive layer size or WIDTHxCOUNT (for example 64,128x8,10)")
        XCTAssertEqual(message("64,128x0,10"), "item 2 '128x0': the repeat count after 'x' must be a positive whole number")
        XCTAssertEqual(message("64x2,10"), "item 1 '64x2': only hidden layers repeat; the first size is the input, the last the output")
        XCTAssertEqual(message("64"), "'64' needs at least an input and an output size (for example 2,64,3)")
        XCTAssertEqual(message("64,,10"), "item 2 '' is not a positive layer size or WIDTHxCOUNT (for example 64,128x8,10)")
        XCTAssertEqual(message("64,-5,10"), "item 2 '-5' is not a positive layer size or WIDTHxCOUNT (for example 64,128x8,10)")
    }

    func testBuiltModelsHaveTorchNames() {
        var g = RandomGenerator(seed: 1)
        let plain: Sequential<Float> = ModelSpec(sizes: [2, 8, 8, 3], activation: .tanh).build(generator: &g)
        XCTAssertEqual(plain.layers.map(\.kind), ["Linear", "Tanh", "Linear", "Tanh", "Linear"])
        XCTAssertEqual(plain.parameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])

        let rich: Sequential<Float> = ModelSpec(sizes: [2, 8, 8, 8, 3], activation: .relu, norm: .batch,
                                                residual: true, dropout: 0.1).build(generator: &g)
        // 2→8 cannot be residual; the two 8→8 blocks are.
        XCTAssertEqual(rich.layers.map(\.kind), ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Residual", "Residual", "Linear"])
        XCTAssertEqual(rich.parameters.map(\.name), [
            "0.weight", "0.bias", "1.weight", "1.bias", "4.0.weight", "4.0.bias", "4.1.weight", "4.1.bias",
            "5.0.weight", "5.0.bias", "5.1.weight", "5.1.bias", "6.weight", "6.bias",
        ])
        XCTAssertEqual(rich.buffers.map(\.name), ["1.running_mean", "1.running_var", "4.1.running_mean",
                                                  "4.1.running_var", "5.1.running_mean", "5.1.running_var"])
    }
}

final class ExperimentConfigTests: XCTestCase {
    func testAFullConfigParses() throws {
        let config = try ExperimentConfig.parse("""
            mlp: 2,64x4,3
            activation: leaky-relu:0.2
            init: he-uniform
            norm: layer
            residual: true
            dropout: 0.1
            loss: cross-entropy
            optimizer: adamw
            lr: 3e-4
            weight-decay: 0.05
            schedule: warmup:10,cosine
            clip-norm: 1
            steps: 200
            batch: 32
            eval-every: 50
            stop-on-nonfinite: false
            seed: 9
            dataset: moons
            examples: 400
            noise: 0.2
            validation: 0.25
            standardize: false
            precision: double
            """, file: "run.yaml")
        XCTAssertEqual(config.mlp, [2, 64, 64, 64, 64, 3], "stored parsed")
        XCTAssertEqual(config.activation, .leakyReLU(slope: 0.2))
        XCTAssertEqual(config.settings["mlp"], "2,64x4,3", "recorded in the compact form")
        XCTAssertEqual(config.learningRate, 3e-4)
        XCTAssertEqual(config.seed, 9)
        XCTAssertEqual(config.stopOnNonFinite, false)
        let experiment = try Experiment(config)
        XCTAssertEqual(experiment.sizes, [2, 64, 64, 64, 64, 3])
        XCTAssertEqual(experiment.activation, .leakyReLU(slope: 0.2))
        XCTAssertEqual(experiment.optimizer, .adamw)
        XCTAssertEqual(experiment.clipping, .norm(1))
        XCTAssertEqual(experiment.budget, .steps(200))
        XCTAssertEqual(experiment.data, .synthetic(name: "moons", samples: 400, noise: 0.2))
        XCTAssertEqual(experiment.precision, .double)
    }

    func testJSONIsAcceptedAndTargetsMayBeAList() throws {
        let config = try ExperimentConfig.parse(#"{"data": "x.csv", "targets": ["a", "b"], "lr": 0.1}"#, file: "c.json")
        XCTAssertEqual(config.targets, ["a", "b"])
        XCTAssertEqual(try Experiment(config).data, .csv(path: "x.csv", label: nil, targets: ["a", "b"]))
        XCTAssertEqual(try ExperimentConfig.parse("targets: a, b", file: "c").targets, ["a", "b"])
    }

    func testConfigErrorsNameFileLineColumnAndKey() {
        func error(_ text: String) -> String {
            do {
                _ = try ExperimentConfig.parse(text, file: "run.yaml")
                return "parsed"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(error("steps: 100\nlr: fast\n"), "run.yaml:2:5: 'lr': expected a number, found 'fast'")
        XCTAssertEqual(error("steps: 0\n"), "run.yaml:1:8: 'steps': expected a whole number ≥ 1, found '0'")
        XCTAssertEqual(error("residual: maybe\n"), "run.yaml:1:11: 'residual': expected true or false, found 'maybe'")
        XCTAssertTrue(error("stepz: 100\n").hasPrefix("run.yaml:1:1: 'stepz': unknown setting; did you mean 'steps'?"),
                      error("stepz: 100\n"))
        XCTAssertEqual(error("- a\n- b\n"), "run.yaml:1:1: expected a mapping of settings (key: value lines), found a list")
        XCTAssertEqual(error("mlp: [1, 2]\n"), "run.yaml:1:6: 'mlp': expected text, found a list")
        XCTAssertTrue(error("lr: [1\n").hasPrefix("run.yaml:2:1: not valid YAML:"), error("lr: [1\n"))
    }

    func testAFlagReplacesEvenAValueTheFileGotWrong() throws {
        let text = "activation: swish2\nsteps: 3\n"
        XCTAssertThrowsError(try ExperimentConfig.parseWithSource(text, file: "run.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("run.yaml:1:13: 'activation': unknown 'swish2'"), "\($0)")
        }
        let (config, source) = try ExperimentConfig.parseWithSource(text, file: "run.yaml", overridden: ["activation"])
        XCTAssertNil(config.activation, "the flag's value goes in instead")
        XCTAssertEqual(config.steps, 3)
        XCTAssertEqual(source.locations["steps"]?.line, 2)
        XCTAssertThrowsError(try ExperimentConfig.parseWithSource("stepz: 3\n", file: "run.yaml", overridden: ["stepz"]),
                             "an unknown key is an error whatever the flags")
    }

    func testFlagsOverrideTheFile() throws {
        var file = ExperimentConfig()
        file.learningRate = 0.1
        file.steps = 10
        var flags = ExperimentConfig()
        flags.learningRate = 0.5
        let merged = file.merging(flags)
        XCTAssertEqual(merged.learningRate, 0.5)
        XCTAssertEqual(merged.steps, 10)
    }

    func testExperimentErrorsNameTheSetting() {
        func error(_ edit: (inout ExperimentConfig) throws -> Void) -> String {
            var config = ExperimentConfig()
            do {
                try edit(&config)
                _ = try Experiment(config)
                return "valid"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(error { try $0.set("activation", "reluu") }.hasPrefix("'activation' (--activation): unknown 'reluu'; known: identity, sigmoid"))
        XCTAssertEqual(error { try $0.set("optimizer", "adamax") },
                       "'optimizer' (--optimizer): unknown 'adamax'; known: sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw, lion")
        XCTAssertEqual(error { $0.steps = 5; $0.epochs = 2 }, "'steps' (--steps): give steps or epochs, not both")
        XCTAssertEqual(error { $0.dataset = "mnist" },
                       "'dataset' (--dataset): unknown 'mnist'; built in: spirals, moons, circles, xor, checkerboard, blobs, sine, teacher, digits, adding, copy, temporal-order, or give a CSV or safetensors file with data")
        XCTAssertEqual(error { $0.data = "f.csv" },
                       "'label' (--label): a CSV file needs the label column (label) or regression target columns (targets)")
        XCTAssertEqual(error { try $0.set("norm", "group") }, "'norm' (--norm): unknown 'group'; use none, layer or batch")
        XCTAssertEqual(error { $0.dropout = 1 }, "'dropout' (--dropout): must be in [0, 1), got 1.0")
        XCTAssertEqual(error { $0.schedule = "linear" }.prefix(40), "'schedule' (--schedule): cannot read 'li")
        XCTAssertEqual(error { $0.lr(-1) }, "'lr' (--lr): must be a finite number > 0, got -1.0")
        XCTAssertEqual(error { $0.lr(.infinity) }, "'lr' (--lr): must be a finite number > 0, got inf")
        XCTAssertEqual(error { $0.steps = 0 }, "'steps' (--steps): must be a whole number ≥ 1, got 0")
        XCTAssertEqual(error { $0.evaluateEvery = 0 }, "'eval-every' (--eval-every): must be a whole number ≥ 1, got 0")
        XCTAssertEqual(error { $0.schedule = "bogus"; $0.epochs = 2 }.prefix(37), "'schedule' (--schedule): cannot read ")
        XCTAssertEqual(error { _ in }, "valid")
    }

    func testExperimentTrainsEndToEndAndChecksModelAgainstData() throws {
        var config = ExperimentConfig()
        config.dataset = "xor"
        config.examples = 200
        config.noise = 0.02
        config.steps = 300
        config.learningRate = 0.01
        config.seed = 3
        let trainer: Trainer<Float> = try Experiment(config).makeTrainer()
        XCTAssertEqual(trainer.trainingData.count, 160, "20% held out")
        XCTAssertEqual(trainer.validationData?.count, 40)
        XCTAssertEqual(trainer.model.parameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        let summary = trainer.run()
        XCTAssertEqual(summary.status, .completed)
        XCTAssertGreaterThan(summary.lastEvaluation?.validationAccuracy ?? 0, 0.9, "XOR is learnt")

        config.mlp = [2, 16, 3]
        XCTAssertThrowsError(try Experiment(config).makeTrainer(as: Float.self)) {
            XCTAssertEqual("\($0)", "'mlp' (--mlp): ends with 3 outputs but the data has 2 classes or targets")
        }
        config.mlp = nil
        config.loss = .mse
        XCTAssertThrowsError(try Experiment(config).makeTrainer(as: Float.self)) {
            XCTAssertTrue("\($0)".hasPrefix("'loss' (--loss): mse needs numeric targets"), "\($0)")
        }
    }
}

private extension ExperimentConfig {
    mutating func lr(_ value: Double) { learningRate = value }
}
