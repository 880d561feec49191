import Backprop

/// The demo's canonical pictures, each a small set of runs on built-in data with one seed.
///
/// (a) Vanishing gradients: a deep sigmoid MLP with the classic U[±1/√fan_in] initialisation against ReLU
///     with He initialisation (Glorot & Bengio 2010; He et al. 2015).
/// (b) Exploding gradients: plain SGD at a learning rate too high for a deep ReLU network diverges; the same
///     run with the gradient norm clipped to 1 does not (Pascanu, Mikolov & Bengio 2013).
/// (c) Optimizers: SGD, SGD with momentum, RMSprop and Adam at their usual learning rates on one model.
/// (d) The gradient check of (c)'s model, in `DemoScenarios.checked`.
/// (e) and (f), convnets on digits and recurrent networks on the adding problem: DemoScenarios+Models.swift.
public enum DemoScenarios {
    public struct Scenario: Sendable {
        public var id: String
        public var title: String
        /// What the runs show, and what to look for.
        public var explanation: String
        public var runs: [Sweep.Configuration]
    }

    /// The settings every demo run shares: the spirals (three arms), 1000 examples, batch 64.
    static func base(seed: UInt64) -> ExperimentConfig {
        var config = ExperimentConfig()
        config.dataset = "spirals"
        config.examples = 1000
        config.batch = 64
        config.seed = seed
        return config
    }

    /// One demo run: the base settings, the model's depth and width, a step budget scaled by `scale`, and
    /// `settings` read by the settings' own parsers (`Settings`), as a sweep axis or a flag would be.
    static func configuration(_ name: String, _ settings: [(String, String)], steps: Int, depth: Int, width: Int = 64,
                              seed: UInt64, scale: Double, index: Int) -> Sweep.Configuration {
        var config = base(seed: seed)
        config.depth = depth
        config.width = width
        config.steps = max(20, Int(Double(steps) * scale))
        for (key, value) in settings {
            do {
                try config.set(key, value)
            } catch {
                preconditionFailure("demo setting \(key)=\(value) is not valid: \(error)")
            }
        }
        return Sweep.Configuration(index: index, name: name, assignments: settings.map { .init(key: $0.0, value: $0.1) },
                                   config: config)
    }

    /// Each demo model, (a)'s ten hidden layers, (b)'s six and (c)'s four, trained with settings that work
    /// (ReLU with He initialisation; SGD at 0.1, momentum or Adam at their usual rates) on the demo's data
    /// and seed, for the demo's step budgets (1000 for (b)'s model, whose 300 steps end on the spirals'
    /// plateau that (c) shows it leaving): runs none of whose findings may be a warning or an error.
    /// The demo's broken runs are the other half of the measure: each must still raise its own finding.
    public static func healthy(seed: UInt64 = 7, scale: Double = 1) -> [Sweep.Configuration] {
        let relu = [("activation", "relu"), ("init", "he-normal")]
        let models = [("a", 10, 600), ("b", 6, 1000), ("c", 4, 1000)]
        let optimizers = [("sgd", [("optimizer", "sgd"), ("lr", "0.1")]), ("momentum", [("optimizer", "momentum")]),
                          ("adam", [("optimizer", "adam")])]
        var runs: [Sweep.Configuration] = []
        for (id, depth, steps) in models {
            for (name, settings) in optimizers {
                runs.append(configuration("healthy-\(id)-\(name)", relu + settings, steps: steps, depth: depth, seed: seed,
                                          scale: scale, index: runs.count))
            }
        }
        return runs
    }

    /// Every scenario: (a) to (c) on MLPs, and, when `models` names the folder of `modelFiles`, (e) and (f).
    public static func scenarios(seed: UInt64 = 7, scale: Double = 1, models: String? = nil) -> [Scenario] {
        let mlp = mlpScenarios(seed: seed, scale: scale)
        guard let models else { return mlp }
        return mlp + modelFileScenarios(models: models, seed: seed, scale: scale, index: mlp.flatMap(\.runs).count)
    }

    static func mlpScenarios(seed: UInt64, scale: Double) -> [Scenario] {
        var index = 0
        func run(_ name: String, _ settings: [(String, String)], steps: Int, depth: Int, width: Int = 64) -> Sweep.Configuration {
            index += 1
            return configuration(name, settings, steps: steps, depth: depth, width: width, seed: seed, scale: scale,
                                 index: index - 1)
        }
        return [
            Scenario(id: "a", title: "Vanishing gradients: deep sigmoid against ReLU with He initialisation",
                     explanation: "Ten hidden layers of 64. With sigmoid (σ' ≤ 1/4) and the classic initialisation, "
                        + "each layer shrinks the backward signal, so the first layers' gradients are orders of "
                        + "magnitude below the last ones' and barely learn; ReLU with He initialisation keeps the "
                        + "gradient norm about constant with depth.",
                     runs: [run("a-sigmoid-classic", [("activation", "sigmoid"), ("init", "classic"), ("optimizer", "sgd"),
                                                      ("lr", "0.1")], steps: 600, depth: 10),
                            run("a-relu-he", [("activation", "relu"), ("init", "he-normal"), ("optimizer", "sgd"),
                                              ("lr", "0.1")], steps: 600, depth: 10)]),
            Scenario(id: "b", title: "Exploding gradients, and clipping",
                     explanation: "Six hidden ReLU layers trained by SGD at learning rate 2: the updates overshoot, the "
                        + "gradient norm grows by orders of magnitude within a few steps and the loss becomes NaN. "
                        + "Clipping the global gradient norm to 1 bounds every update and the same run stays finite "
                        + "(though at this learning rate it learns little: clipping bounds steps, it does not fix the rate).",
                     runs: [run("b-lr2-no-clipping", [("activation", "relu"), ("init", "he-normal"), ("optimizer", "sgd"),
                                                      ("lr", "2")], steps: 300, depth: 6),
                            run("b-lr2-clip-norm-1", [("activation", "relu"), ("init", "he-normal"), ("optimizer", "sgd"),
                                                      ("lr", "2"), ("clip-norm", "1")], steps: 300, depth: 6)]),
            Scenario(id: "c", title: "Optimizers on one model: SGD, momentum, RMSprop, Adam",
                     explanation: "Four hidden ReLU layers with He initialisation, each optimizer at its usual learning "
                        + "rate (0.01 for SGD, momentum 0.9 and RMSprop; 0.001 for Adam), same data, batches and seed.",
                     runs: ["sgd", "momentum", "rmsprop", "adam"].map {
                         run("c-\($0)", [("activation", "relu"), ("init", "he-normal"), ("optimizer", $0)], steps: 1000,
                             depth: 4)
                     }),
        ]
    }

    /// The model whose gradients the demo checks: (c)'s, at its seeded initial weights.
    public static func checked(seed: UInt64 = 7) -> ExperimentConfig {
        var config = base(seed: seed)
        config.depth = 4
        config.width = 64
        config.activation = .relu
        config.initializer = "he-normal"
        return config
    }
}
