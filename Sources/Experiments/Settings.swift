import Backprop

/// The table of every setting of a training run: its config key (also its flag), its parser, its default
/// and its help. Config files (`ExperimentConfig.parse`), the flags of `train`, `check` and `compare`, sweep
/// axes (`Sweep.configurations`) and the demo's scenarios all read this table, so a setting added here is
/// known to all of them. The defaults stated here are the ones `Experiment.init` applies.
///
/// To add a setting: a field in `ExperimentConfig`, an entry below, and its use in `Experiment`.
public enum Settings {
    public static let all: [any ExperimentSetting] = [
        // Model
        Setting("mlp", .model, \.mlp, parser: .named { (text) throws(ConfigProblem) in
            switch ModelSpec.parseSizes(text) {
            case .success(let sizes): return sizes
            case .failure(let problem): throw problem
            }
        }, help: "Layer sizes IN,H1,...,OUT; 128x8 means eight hidden layers of 128.",
        default: "IN,64,64,OUT sized from the data", valueName: "sizes", listSeparator: ";",
        format: { ModelSpec(sizes: $0).sizesDescription }),
        Setting("model", .model, \.model, parser: .text,
                help: "A model file (YAML: input shape and torch layers, e.g. Conv2d, LSTM), instead of --mlp.",
                valueName: "net.yaml"),
        Setting("depth", .model, \.depth, parser: .integer(),
                help: "Hidden layers, when --mlp is not given (sizes from the data).", default: "2"),
        Setting("width", .model, \.width, parser: .integer(), help: "Units per hidden layer, when --mlp is not given.",
                default: "64"),
        Setting("activation", .model, \.activation, parser: .named(activation),
                help: "Activation: relu, leaky-relu[:slope], elu[:alpha], selu, gelu, gelu-tanh, silu, softplus, "
                    + "softsign, hardtanh, sigmoid, tanh, identity.", default: "relu", format: activationText),
        Setting("init", .model, \.initializer, parser: .named(initializer),
                help: "Initialiser: classic, xavier-uniform, xavier-normal, he-uniform, he-normal, lecun-normal, "
                    + "orthogonal (NAME:GAIN sets a gain).", default: "he-normal"),
        Setting("norm", .model, \.norm, parser: .named { (text) throws(ConfigProblem) in
            guard let norm = ModelSpec.Norm(rawValue: text) else {
                throw ConfigProblem("unknown \(quoted(text)); use none, layer or batch")
            }
            return norm
        }, help: "Normalisation after each hidden Linear: none, layer or batch.", default: "none", format: \.rawValue),
        Setting("residual", .model, \.residual, parser: .bool,
                help: "Wrap hidden layers whose input and output sizes agree as x + block(x).", default: "false"),
        Setting("dropout", .model, \.dropout, parser: .number, help: "Dropout probability after each hidden activation.",
                default: "0", valueName: "p"),
        Setting("loss", .model, \.loss, parser: .named { (text) throws(ConfigProblem) in
            guard let loss = Experiment.LossKind(name: text) else {
                throw ConfigProblem("unknown \(quoted(text)); use mse, cross-entropy or bce")
            }
            return loss
        }, help: "Loss: mse, cross-entropy or bce.", default: "cross-entropy for labels, mse for targets",
        format: \.rawValue),
        Setting("precision", .model, \.precision, parser: .named { (text) throws(ConfigProblem) in
            guard let precision = Experiment.Precision(rawValue: text.lowercased()) else {
                throw ConfigProblem("unknown \(quoted(text)); use float or double")
            }
            return precision
        }, help: "Arithmetic of training: float or double.", default: "float", format: \.rawValue),

        // Data
        Setting("dataset", .data, \.dataset, parser: .named(dataset),
                help: "Built-in dataset: " + builtInDatasets.joined(separator: ", ") + " (digits: 1,797 8x8 images; "
                    + "adding, copy, temporal-order: sequences of --seq-len steps).", default: "spirals"),
        Setting("examples", .data, \.examples, parser: .integer(), help: "Examples to generate for a built-in dataset.",
                default: "1000"),
        Setting("noise", .data, \.noise, parser: .number, help: "Noise of a built-in dataset.", default: "0.1"),
        Setting("data", .data, \.data, parser: .text, help: "A CSV file with a header row, or a safetensors file (inputs, labels or targets), instead of --dataset.",
                valueName: "file.csv"),
        Setting("input-shape", .data, \.inputShape, parser: ValueParser(expected: "sizes such as 1,8,8") { (text) throws(ConfigProblem) in
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard (1...4).contains(items.count) else { throw ConfigProblem("expected 1 to 4 sizes such as 1,8,8, got \(quoted(text))") }
            return try items.map { (item) throws(ConfigProblem) in
                guard let size = Int(item), size > 0, size <= 1 << 24 else {
                    throw ConfigProblem("\(quoted(item)) is not a positive size; give the per-example shape such as 1,8,8")
                }
                return size
            }
        }, help: "Per-example shape of a CSV file's rows, e.g. 1,8,8 for 8x8 images (C,H,W); the columns must match.",
        valueName: "C,H,W", listSeparator: ";", format: { $0.map(String.init).joined(separator: ",") }),
        Setting("seq-len", .data, \.sequenceLength, parser: .integer(),
                help: "Sequence length T of a built-in sequence task (adding, copy, temporal-order).", default: "50",
                valueName: "T"),
        Setting("label", .data, \.label, parser: .text, help: "The CSV column holding class labels."),
        Setting("targets", .data, \.targets, parser: ValueParser(expected: "a list of column names") { text in
            text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }, help: "Comma-separated CSV columns of regression targets.", valueName: "columns", listSeparator: ";",
        format: { $0.joined(separator: ",") }, items: { $0 }),
        Setting("validation", .data, \.validation, parser: .number, help: "Fraction of the examples held out for validation.",
                default: "0.2", valueName: "fraction"),
        Setting("standardize", .data, \.standardize, parser: .bool,
                help: "Standardise inputs with the training part's mean and deviation.", default: "true"),

        // Optimisation
        Setting("optimizer", .optimization, \.optimizer, parser: .named { (text) throws(ConfigProblem) in
            guard let optimizer = OptimizerKind(rawValue: text.lowercased()) else {
                throw ConfigProblem("unknown \(quoted(text)); known: " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return optimizer
        }, help: "Optimizer: " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ") + ".", default: "adam",
        format: \.rawValue),
        Setting("lr", .optimization, \.learningRate, parser: .number, help: "Learning rate.",
                default: "torch's for the optimizer"),
        Setting("weight-decay", .optimization, \.weightDecay, parser: .number,
                help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW).", default: "none"),
        Setting("schedule", .optimization, \.schedule, parser: .named(schedule),
                help: "Learning-rate schedule: constant, step:SIZE:FACTOR, exponential:FACTOR, cosine[:STEPS[:MIN]], "
                    + "after an optional warmup:STEPS, (e.g. warmup:100,cosine).", default: "constant",
                split: scheduleList),
        Setting("clip-norm", .optimization, \.clipNorm, parser: .number, help: "Clip the global gradient norm to this value.",
                default: "none"),
        Setting("clip-value", .optimization, \.clipValue, parser: .number, help: "Clip every gradient entry to ±this value.",
                default: "none"),
        Setting("steps", .optimization, \.steps, parser: .integer(), help: "Optimizer steps to train.", default: "1000"),
        Setting("epochs", .optimization, \.epochs, parser: .integer(),
                help: "Passes over the training data to train (instead of --steps)."),
        Setting("batch", .optimization, \.batch, parser: .integer(), help: "Examples per mini-batch.", default: "64"),
        Setting("eval-every", .optimization, \.evaluateEvery, parser: .integer(),
                help: "Evaluate on the validation set every N steps.", default: "20 times per run"),
        Setting("stop-on-nonfinite", .optimization, \.stopOnNonFinite, parser: .bool,
                help: "Stop the run (status diverged) when the loss or gradient becomes NaN or infinite.", default: "true"),

        // Run
        Setting("seed", .run, \.seed, parser: .unsigned,
                help: "Seed of everything random: weights, data, split, batches (and the entries check picks).",
                default: "0"),
    ]

    /// The setting of config key (and flag) `key`.
    public static func named(_ key: String) -> (any ExperimentSetting)? { byKey[key] }

    /// Every config key, in the table's order.
    public static var keys: [String] { all.map(\.key) }

    /// The settings of `groups`, in the table's order.
    public static func of(_ groups: [SettingGroup]) -> [any ExperimentSetting] {
        all.filter { groups.contains($0.group) }
    }

    private static let byKey: [String: any ExperimentSetting] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    // MARK: readers of names, with the words of their errors

    static func activation(_ text: String) throws(ConfigProblem) -> Activation {
        guard let activation = Activation(name: text) else {
            throw ConfigProblem("unknown \(quoted(text)); known: \(Activation.knownNames.joined(separator: ", "))"
                                + " (leaky-relu:0.2, elu:1, softplus:2 set a parameter)")
        }
        return activation
    }

    /// The activation as `activation(_:)` reads it back, with its parameter where it has one.
    static func activationText(_ activation: Activation) -> String {
        switch activation {
        case .leakyReLU(let slope): "leaky-relu:\(slope)"
        case .elu(let alpha): "elu:\(alpha)"
        case .softplus(let beta, _): "softplus:\(beta)"
        default: activation.name
        }
    }

    /// An initialiser's name, kept as a name: He's and orthogonal's gain come from the activation.
    static func initializer(_ text: String) throws(ConfigProblem) -> String {
        guard Initializer(name: text) != nil else {
            throw ConfigProblem("unknown \(quoted(text)); known: \(Initializer.knownNames.joined(separator: ", ")), "
                                + "NAME:GAIN for xavier, he and orthogonal, normal:STD, uniform:BOUND")
        }
        return text
    }

    /// A built-in dataset's name, lower-cased.
    /// Every built-in dataset's name: the synthetic ones, the digits images and the sequence tasks.
    public static let builtInDatasets = SyntheticData.names + ["digits"] + SequenceTasks.names

    static func dataset(_ text: String) throws(ConfigProblem) -> String {
        guard builtInDatasets.contains(text.lowercased()) else {
            throw ConfigProblem("unknown \(quoted(text)); built in: \(builtInDatasets.joined(separator: ", "))"
                                + ", or give a CSV or safetensors file with data")
        }
        return text.lowercased()
    }

    /// A schedule's text, kept as text: `cosine` without STEPS runs over the run's length, known only once
    /// the budget and the data are. It is read here against a stand-in length of 1000 steps.
    static func schedule(_ text: String) throws(ConfigProblem) -> String {
        try schedule(text, totalSteps: 1000)
        return text
    }

    static func schedule(_ text: String, totalSteps: Int) throws(ConfigProblem) {
        guard LearningRateSchedule(parsing: text, totalSteps: totalSteps) != nil else {
            throw ConfigProblem("cannot read \(quoted(text)); use constant, step:SIZE:FACTOR, exponential:FACTOR, "
                                + "cosine[:STEPS[:MIN]], optionally after warmup:STEPS, (e.g. warmup:100,cosine)")
        }
    }

    /// A `compare` list of schedules: comma-separated, where `warmup:STEPS` belongs to the schedule after
    /// it (`constant,warmup:100,cosine` is two schedules).
    static func scheduleList(_ text: String) -> [String] {
        var result: [String] = []
        var pending: String?
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.lowercased().hasPrefix("warmup:") && pending == nil {
                pending = item
                continue
            }
            result.append(pending.map { $0 + "," + item } ?? item)
            pending = nil
        }
        if let pending { result.append(pending) }
        return result
    }
}
