import ArgumentParser
import Experiments
import Foundation

/// The model flags shared by `train`, `check` and `compare`; each has a config-file key of the same name.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layer sizes IN,H1,...,OUT; 128x8 means eight hidden layers of 128.",
                               valueName: "sizes"))
    var mlp: String?
    @Option(help: "Hidden layers, when --mlp is not given (sizes from the data; default 2).")
    var depth: Int?
    @Option(help: "Units per hidden layer, when --mlp is not given (default 64).")
    var width: Int?
    @Option(help: ArgumentHelp("Activation: relu, leaky-relu[:slope], elu[:alpha], selu, gelu, gelu-tanh, silu, "
                               + "softplus, softsign, hardtanh, sigmoid, tanh, identity."))
    var activation: String?
    @Option(name: .customLong("init"), help: ArgumentHelp("Initialiser: classic, xavier-uniform, xavier-normal, "
                                                          + "he-uniform, he-normal, lecun-normal, orthogonal."))
    var initializer: String?
    @Option(help: "Normalisation after each hidden Linear: none, layer or batch.")
    var norm: String?
    @Flag(help: "Wrap hidden layers whose input and output sizes agree as x + block(x).")
    var residual = false
    @Option(help: ArgumentHelp("Dropout probability after each hidden activation.", valueName: "p"))
    var dropout: Double?
    @Option(help: "Loss: mse, cross-entropy or bce (default: cross-entropy for labels, mse for targets).")
    var loss: String?
    @Option(help: "Arithmetic of training: float or double.")
    var precision: String?

    func apply(to config: inout ExperimentConfig) {
        if let mlp { config.mlp = mlp }
        if let depth { config.depth = depth }
        if let width { config.width = width }
        if let activation { config.activation = activation }
        if let initializer { config.initializer = initializer }
        if let norm { config.norm = norm }
        if residual { config.residual = true }
        if let dropout { config.dropout = dropout }
        if let loss { config.loss = loss }
        if let precision { config.precision = precision }
    }
}

/// The data flags shared by `train`, `check` and `compare`.
struct DataOptions: ParsableArguments {
    @Option(help: "Built-in dataset: spirals, moons, circles, xor, checkerboard, blobs, sine, teacher.")
    var dataset: String?
    @Option(help: "Examples to generate for a built-in dataset.")
    var examples: Int?
    @Option(help: "Noise of a built-in dataset.")
    var noise: Double?
    @Option(help: ArgumentHelp("A CSV file with a header row (instead of --dataset).", valueName: "file.csv"))
    var data: String?
    @Option(help: "The CSV column holding class labels.")
    var label: String?
    @Option(help: ArgumentHelp("Comma-separated CSV columns of regression targets.", valueName: "columns"))
    var targets: String?
    @Option(help: ArgumentHelp("Fraction of the examples held out for validation.", valueName: "fraction"))
    var validation: Double?
    @Flag(inversion: .prefixedNo, help: "Standardise inputs with the training part's mean and deviation.")
    var standardize: Bool?

    func apply(to config: inout ExperimentConfig) {
        if let dataset { config.dataset = dataset }
        if let examples { config.examples = examples }
        if let noise { config.noise = noise }
        if let data { config.data = data }
        if let label { config.label = label }
        if let targets { config.targets = targets.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if let validation { config.validation = validation }
        if let standardize { config.standardize = standardize }
    }
}

/// The optimisation flags shared by `train` and `compare`.
struct OptimizationOptions: ParsableArguments {
    @Option(help: "Optimizer: sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw, lion.")
    var optimizer: String?
    @Option(help: "Learning rate (default: torch's for the optimizer).")
    var lr: Double?
    @Option(name: .customLong("weight-decay"), help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW).")
    var weightDecay: Double?
    @Option(help: ArgumentHelp("Learning-rate schedule: constant, step:SIZE:FACTOR, exponential:FACTOR, "
                               + "cosine[:STEPS[:MIN]], after an optional warmup:STEPS, (e.g. warmup:100,cosine)."))
    var schedule: String?
    @Option(name: .customLong("clip-norm"), help: "Clip the global gradient norm to this value.")
    var clipNorm: Double?
    @Option(name: .customLong("clip-value"), help: "Clip every gradient entry to ±this value.")
    var clipValue: Double?
    @Option(help: "Optimizer steps to train (default 1000).")
    var steps: Int?
    @Option(help: "Passes over the training data to train (instead of --steps).")
    var epochs: Int?
    @Option(help: "Examples per mini-batch (default 64).")
    var batch: Int?
    @Option(name: .customLong("eval-every"), help: "Evaluate on the validation set every N steps.")
    var evaluateEvery: Int?
    @Flag(name: .customLong("stop-on-nonfinite"), inversion: .prefixedNo,
          help: "Stop the run (status diverged) when the loss or gradient becomes NaN or infinite.")
    var stopOnNonFinite: Bool?

    func apply(to config: inout ExperimentConfig) {
        if let optimizer { config.optimizer = optimizer }
        if let lr { config.learningRate = lr }
        if let weightDecay { config.weightDecay = weightDecay }
        if let schedule { config.schedule = schedule }
        if let clipNorm { config.clipNorm = clipNorm }
        if let clipValue { config.clipValue = clipValue }
        if let steps { config.steps = steps }
        if let epochs { config.epochs = epochs }
        if let batch { config.batch = batch }
        if let evaluateEvery { config.evaluateEvery = evaluateEvery }
        if let stopOnNonFinite { config.stopOnNonFinite = stopOnNonFinite }
    }
}

/// Reads an optional config file and lays the flags over it (flags win), then checks every value. A
/// value from the file that fails a check is reported at its line and column in the file.
func makeExperiment(configFile: String?, seed: UInt64?, checksData: Bool = true,
                    adjust: ((inout ExperimentConfig) -> Void)? = nil,
                    apply: (inout ExperimentConfig) -> Void) throws -> Experiment {
    var config = ExperimentConfig()
    var source: ConfigSource?
    if let configFile {
        (config, source) = try ExperimentConfig.loadWithSource(from: URL(fileURLWithPath: configFile))
    }
    var flags = ExperimentConfig()
    apply(&flags)
    if let seed { flags.seed = seed }
    do {
        var merged = config.merging(flags)
        adjust?(&merged)
        let experiment = try Experiment(merged)
        return checksData ? try experiment.checkedAgainstData() : experiment
    } catch let error as ExperimentError {
        throw placed(error, source: source, flags: flags)
    }
}

/// `error` as the user should see it: at its place in the config file when the file gave the setting
/// and no flag overrode it, else naming the flag.
func placed(_ error: ExperimentError, source: ConfigSource?, flags: ExperimentConfig) -> Error {
    if flags.settings[error.setting] == nil, let placed = source?.place(error) { return placed }
    return error
}
