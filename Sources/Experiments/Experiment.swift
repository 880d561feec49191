import Backprop
import Foundation
import RunFormat

/// A training run fully specified: an `ExperimentConfig` with every default filled in and every value
/// checked. Builds the data, the model, the loss, the optimizer and the trainer.
///
/// Defaults, each the common starting point: the spirals dataset (1000 examples, noise 0.1), an MLP
/// `IN,64,64,OUT` sized from the data with ReLU and He-normal, cross-entropy for class labels and MSE for
/// regression targets, Adam at torch's learning rate, 1000 steps of batch 64, evaluation 20 times per run,
/// 20% of the data held out for validation, inputs standardised with training statistics, Float, seed 0.
public struct Experiment: Sendable {
    public enum DataSource: Sendable, Equatable {
        case synthetic(name: String, samples: Int, noise: Double)
        case csv(path: String, label: String?, targets: [String])
        /// The built-in 8×8 handwritten digits (`Digits`).
        case digits
        /// A built-in sequence task (`SequenceTasks`) of `length` steps.
        case sequence(name: String, samples: Int, length: Int)
        /// A safetensors file of `inputs` and `labels` or `targets` (`SafeTensorsDataset`).
        case safetensors(path: String)

        /// The dataset's name in run.json and reports: a built-in name or the file's path.
        public var name: String {
            switch self {
            case .synthetic(let name, _, _), .sequence(let name, _, _): name
            case .csv(let path, _, _), .safetensors(let path): path
            case .digits: "digits"
            }
        }
    }

    public enum Precision: String, Sendable, CaseIterable { case float, double }

    /// A loss by its command-line name; `mse`, `cross-entropy` (or `ce`) and `bce`, as `makeLoss(named:)`.
    public enum LossKind: String, Sendable, CaseIterable {
        case mse
        case crossEntropy = "cross-entropy"
        case bce

        /// Reads a name as `makeLoss(named:)` does (`mean-squared-error`, `ce`, `binary_cross_entropy`).
        public init?(name: String) {
            guard let loss = makeLoss(named: name, as: Float.self),
                  let kind = LossKind(rawValue: loss.name) else { return nil }
            self = kind
        }
    }

    public var config: ExperimentConfig
    /// The model file, when the model comes from one (`model`) instead of `mlp`.
    public var modelFile: ModelFile?
    /// The per-example shape a CSV file's rows are read as (`input-shape`), nil for flat rows.
    public var inputShape: [Int]?
    /// Nil sizes mean "IN, then `hiddenDepth` layers of `hiddenWidth`, then OUT", sized from the data.
    public var sizes: [Int]?
    public var hiddenDepth: Int
    public var hiddenWidth: Int
    public var activation: Activation
    public var initializer: String
    public var norm: ModelSpec.Norm
    public var residual: Bool
    public var dropout: Double
    public var loss: String?
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var weightDecay: Double?
    public var schedule: String
    public var clipping: GradientClipping
    public var budget: TrainingOptions.Budget
    public var batch: Int
    public var evaluateEvery: Int?
    public var stopOnNonFinite: Bool
    public var seed: UInt64
    public var data: DataSource
    public var validation: Double
    public var standardize: Bool
    public var precision: Precision

    /// Checks every value of `config`; a problem names the setting (the key and flag of the same name).
    /// Config files, flags, sweeps and the demo all come through here, so one rule holds for all of them;
    /// sizes are checked against memory (`MemoryBudget`) before anything is allocated.
    public init(_ config: ExperimentConfig) throws {
        func problem(_ key: String, _ message: String) -> ExperimentError { ExperimentError(setting: key, message: message) }
        func positive(_ key: String, _ value: Int?) throws {
            if let value, value < 1 { throw problem(key, "must be a whole number ≥ 1, got \(value)") }
        }
        func finite(_ key: String, _ value: Double?, _ rule: String, _ holds: (Double) -> Bool) throws {
            guard let value else { return }
            guard value.isFinite, holds(value) else { throw problem(key, "must be \(rule), got \(value)") }
        }
        func nonEmpty(_ key: String, _ value: String?) throws {
            if let value, value.trimmingCharacters(in: .whitespaces).isEmpty { throw problem(key, "is empty") }
        }
        self.config = config
        for (key, value) in [("init", config.initializer), ("schedule", config.schedule), ("dataset", config.dataset),
                             ("data", config.data), ("label", config.label)] {
            try nonEmpty(key, value)
        }
        if let targets = config.targets {
            guard !targets.isEmpty else { throw problem("targets", "is empty; give the target column names, comma-separated") }
            if let position = targets.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw problem("targets", "item \(position + 1) is empty; give the column names, comma-separated")
            }
        }
        if let path = config.model {
            try nonEmpty("model", path)
            let clashing: [(String, Bool)] = [("mlp", config.mlp != nil), ("depth", config.depth != nil),
                                             ("width", config.width != nil), ("activation", config.activation != nil),
                                             ("norm", config.norm != nil), ("residual", config.residual != nil),
                                             ("dropout", config.dropout != nil)]
            if let (key, _) = clashing.first(where: \.1) {
                throw problem(key, "the model file (model) lists the layers; give \(key) or model, not both")
            }
            modelFile = try ModelFile.load(path: path)
        }
        if config.mlp != nil && (config.depth != nil || config.width != nil) {
            throw problem("mlp", "give the sizes (mlp) or depth and width, not both")
        }
        hiddenDepth = config.depth ?? 2
        hiddenWidth = config.width ?? 64
        guard hiddenDepth >= 0 else { throw problem("depth", "must be ≥ 0, got \(hiddenDepth)") }
        guard hiddenWidth > 0 else { throw problem("width", "must be positive, got \(hiddenWidth)") }
        if let mlp = config.mlp {
            guard mlp.count >= 2, mlp.allSatisfy({ $0 > 0 }) else {
                throw problem("mlp", "needs at least an input and an output size, each positive, got \(mlp)")
            }
            sizes = mlp
        }
        activation = config.activation ?? .relu
        initializer = config.initializer ?? "he-normal"
        do throws(ConfigProblem) { _ = try Settings.initializer(initializer) } catch { throw problem("init", error.message) }
        norm = config.norm ?? .none
        residual = config.residual ?? false
        dropout = config.dropout ?? 0
        try finite("dropout", dropout, "in [0, 1)") { $0 >= 0 && $0 < 1 }
        loss = config.loss?.rawValue
        optimizer = config.optimizer ?? .adam
        learningRate = config.learningRate ?? optimizer.defaultLearningRate
        try finite("lr", learningRate, "a finite number > 0") { $0 > 0 }
        weightDecay = config.weightDecay
        try finite("weight-decay", weightDecay, "a finite number ≥ 0") { $0 >= 0 }
        switch (config.clipNorm, config.clipValue) {
        case (nil, nil): clipping = .none
        case (let norm?, nil):
            try finite("clip-norm", norm, "a finite number > 0") { $0 > 0 }
            clipping = .norm(norm)
        case (nil, let value?):
            try finite("clip-value", value, "a finite number > 0") { $0 > 0 }
            clipping = .value(value)
        case (.some, .some): throw problem("clip-norm", "give clip-norm or clip-value, not both")
        }
        try positive("steps", config.steps)
        try positive("epochs", config.epochs)
        switch (config.steps, config.epochs) {
        case (nil, nil): budget = .steps(1000)
        case (let steps?, nil): budget = .steps(steps)
        case (nil, let epochs?): budget = .epochs(epochs)
        case (.some, .some): throw problem("steps", "give steps or epochs, not both")
        }
        try positive("batch", config.batch)
        batch = config.batch ?? 64
        try positive("eval-every", config.evaluateEvery)
        evaluateEvery = config.evaluateEvery
        stopOnNonFinite = config.stopOnNonFinite ?? true
        seed = config.seed ?? 0
        schedule = config.schedule ?? "constant"
        // The schedule is read the same way whatever the budget; with epochs its length is known only once
        // the data is, so it is checked here against a stand-in length.
        let plannedSteps = if case .steps(let steps) = budget { steps } else { 1000 }
        do throws(ConfigProblem) { try Settings.schedule(schedule, totalSteps: plannedSteps) } catch { throw problem("schedule", error.message) }
        try finite("noise", config.noise, "a finite number ≥ 0") { $0 >= 0 }
        if config.sequenceLength != nil && !SequenceTasks.names.contains(config.dataset?.lowercased() ?? "") {
            throw problem("seq-len", "applies to a built-in sequence task (dataset \(SequenceTasks.names.joined(separator: ", ")))")
        }
        if config.inputShape != nil && (config.data == nil || config.data!.lowercased().hasSuffix(".safetensors")) {
            throw problem("input-shape", "applies to a CSV file (data), whose rows it reshapes; a safetensors file "
                          + "and the built-in datasets carry their shapes")
        }
        inputShape = config.inputShape
        if let path = config.data, path.lowercased().hasSuffix(".safetensors") {
            if config.dataset != nil { throw problem("data", "give a data file (data) or a built-in dataset, not both") }
            for (key, given) in [("examples", config.examples != nil), ("noise", config.noise != nil),
                                 ("label", config.label != nil), ("targets", config.targets != nil)] where given {
                throw problem(key, "does not apply to a safetensors file, which holds 'inputs' and 'labels' or 'targets'")
            }
            data = .safetensors(path: path)
        } else if let path = config.data {
            if config.dataset != nil { throw problem("data", "give a CSV file (data) or a built-in dataset, not both") }
            if config.examples != nil || config.noise != nil {
                throw problem(config.examples != nil ? "examples" : "noise",
                              "applies to a built-in dataset, not to a CSV file (data)")
            }
            guard config.label != nil || !(config.targets ?? []).isEmpty else {
                throw problem("label", "a CSV file needs the label column (label) or regression target columns (targets)")
            }
            if config.label != nil && config.targets != nil {
                throw problem("label", "give the label column (label) or regression targets (targets), not both")
            }
            data = .csv(path: path, label: config.label, targets: config.targets ?? [])
        } else {
            if config.label != nil || config.targets != nil {
                throw problem(config.label != nil ? "label" : "targets", "names a column of a CSV file; give the file with data")
            }
            let name: String
            do throws(ConfigProblem) { name = try Settings.dataset(config.dataset ?? "spirals") } catch { throw problem("dataset", error.message) }
            let samples = config.examples ?? 1000
            guard samples >= 2 else { throw problem("examples", "needs at least 2 examples, got \(samples)") }
            if name == "digits" {
                for (key, given) in [("examples", config.examples != nil), ("noise", config.noise != nil)] where given {
                    throw problem(key, "does not apply to digits, a fixed set of \(Digits.count) images")
                }
                data = .digits
            } else if SequenceTasks.names.contains(name) {
                if config.noise != nil { throw problem("noise", "does not apply to the sequence task \(name)") }
                let length = config.sequenceLength ?? SequenceTasks.defaultLength
                guard length >= SequenceTasks.minimumLength(name) else {
                    throw problem("seq-len", "\(name) needs at least \(SequenceTasks.minimumLength(name)) steps, got \(length)")
                }
                // At most 10 features per step, copied once by the split.
                try MemoryBudget.check(bytes: MemoryBudget.product([samples, length, 10, 2, 8]) ?? .max,
                                       what: "\(samples) sequences of \(length) steps", setting: "examples")
                data = .sequence(name: name, samples: samples, length: length)
            } else {
                // Every built-in dataset has at most 4 inputs and outputs together; the split copies them once.
                try MemoryBudget.check(bytes: MemoryBudget.product([samples, 8, 2, 8]) ?? .max,
                                       what: "\(samples) examples", setting: "examples")
                data = .synthetic(name: name.lowercased(), samples: samples, noise: config.noise ?? 0.1)
            }
        }
        validation = config.validation ?? 0.2
        try finite("validation", validation, "in [0, 1)") { $0 >= 0 && $0 < 1 }
        // Sequences are standardised by default no more than images are reshaped: their features are
        // one-hot symbols and markers, or token ids, that standardisation would turn into other numbers.
        switch data {
        case .sequence: standardize = config.standardize ?? false
        case .safetensors(let path):
            let tokens = SafeTensorsDataset.holdsTokenIDs(path: path)
            if tokens && config.standardize == true {
                throw problem("standardize", "the inputs of \(path) are token ids (I64), which must not be standardised")
            }
            standardize = tokens ? false : (config.standardize ?? true)
        default: standardize = config.standardize ?? true
        }
        precision = config.precision ?? .float
        // The model's size is known now when the sizes are given, else once the data is (`modelSpec`).
        if modelFile != nil {
            // A model file's layers are checked against memory as they are built.
        } else if let sizes {
            try checkModelMemory(sizes)
        } else {
            try checkModelMemory([hiddenWidth] + Array(repeating: hiddenWidth, count: hiddenDepth) + [1])
        }
    }

    /// Throws when a model of `sizes` would not fit in memory with its gradients, the optimizer's state
    /// (two moments for Adam) and a batch's activations and their gradients.
    func checkModelMemory(_ sizes: [Int]) throws {
        let scalar = precision == .double ? 8 : 4
        var terms: [Int] = []
        for (input, output) in zip(sizes, sizes.dropFirst()) {
            terms.append(MemoryBudget.product([input + 1, output]) ?? .max)
        }
        let parameters = MemoryBudget.sum(terms) ?? .max
        let units = MemoryBudget.sum(sizes) ?? .max
        // Value, gradient and two optimizer moments per parameter; per unit of a batch, about six buffers
        // (pre-activation, activation, their gradients, normalisation and dropout).
        let bytes = MemoryBudget.sum([MemoryBudget.product([parameters, 4, scalar]) ?? .max,
                                      MemoryBudget.product([units, batch, 6, scalar]) ?? .max]) ?? .max
        let setting = config.mlp != nil ? "mlp" : (config.width != nil ? "width" : "depth")
        try MemoryBudget.check(bytes: bytes, what: "a model of \(parameters == .max ? "too many" : "\(parameters)") "
                               + "parameters at batch \(batch)", setting: setting)
    }

    /// `self` once the data, the model and the loss have been put together once: everything that only the
    /// data can tell (a CSV file's problems, sizes that do not fit it, a loss for the wrong kind of target,
    /// a batch that leaves one example for batch normalisation) fails here, before any work is written.
    public func checkedAgainstData() throws -> Experiment {
        switch precision {
        case .float: try checkBatches(trainingExamples: try makeTrainer(as: Float.self).trainingData.count)
        case .double: try checkBatches(trainingExamples: try makeTrainer(as: Double.self).trainingData.count)
        }
        return self
    }

    /// Batch normalisation needs two examples in every training batch (torch refuses one, as the variance
    /// of one value is 0): with `norm` batch, a last batch of one example is an error.
    public func checkBatches(trainingExamples count: Int) throws {
        let batchNorm = norm == .batch || (modelFile?.uses(["BatchNorm1d", "BatchNorm2d"]) ?? false)
        guard batchNorm, batch == 1 || count % batch == 1 || count == 1 else { return }
        if batch == 1 {
            throw ExperimentError(setting: "batch", message: "with norm batch, every batch would hold 1 example, and "
                                  + "BatchNorm1d needs at least 2 per batch in training (as torch's); use a batch of 2 or more")
        }
        throw ExperimentError(setting: "batch", message: "with norm batch, the last batch of each epoch would hold 1 "
                              + "of the \(count) training examples, and BatchNorm1d needs at least 2 per batch "
                              + "in training (as torch's); choose another batch size")
    }

    /// The training and validation sets: seeded split, standardised with the training part's statistics.
    public func makeData<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) throws -> (train: Dataset<Scalar>, validation: Dataset<Scalar>?) {
        var generator = RandomGenerator(seed: seed)
        let all: Dataset<Scalar>
        switch data {
        case .synthetic(let name, let samples, let noise):
            guard let made: Dataset<Scalar> = SyntheticData.make(name: name, count: samples, noise: noise,
                                                                 generator: &generator) else {
                throw ExperimentError(setting: "dataset", message: "unknown '\(name)'")
            }
            all = made
        case .csv(let path, let label, let targets):
            let flat: Dataset<Scalar> = try loadCSV(path: path, label: label, targets: targets)
            if let inputShape {
                all = try Self.reshaped(flat, to: inputShape, path: path)
            } else {
                all = flat
            }
        case .digits:
            all = Digits.dataset()
        case .sequence(let name, let samples, let length):
            guard let made: Dataset<Scalar> = SequenceTasks.make(name: name, count: samples, length: length,
                                                                 generator: &generator) else {
                throw ExperimentError(setting: "dataset", message: "unknown '\(name)'")
            }
            all = made
        case .safetensors(let path):
            all = try SafeTensorsDataset.load(path: path)
        }
        guard validation > 0 else { return (all, nil) }
        let (train, held) = all.split(validationFraction: validation, generator: &generator)
        guard train.count > 0 else {
            throw ExperimentError(setting: "validation", message: "leaves no training examples out of \(all.count)")
        }
        if standardize {
            let standardizer = Standardizer<Scalar>(fitting: train.inputs)
            standardizer.apply(to: train)
            if held.count > 0 { standardizer.apply(to: held) }
        }
        return (train, held.count > 0 ? held : nil)
    }

    /// A CSV file's flat rows as examples of `shape`, when the columns add up to it.
    static func reshaped<Scalar>(_ flat: Dataset<Scalar>, to shape: [Int], path: String) throws -> Dataset<Scalar> {
        let size = shape.reduce(1, *)
        guard size == flat.features else {
            throw ExperimentError(setting: "input-shape", message: "\(shape.map(String.init).joined(separator: ",")) holds "
                                  + "\(size) values per example, but \(path) has \(flat.features) input columns; "
                                  + "give a shape whose sizes multiply to \(flat.features)")
        }
        let inputs = Tensor<Scalar>(shape: [flat.count] + shape)
        inputs.withUnsafeMutableBufferPointer { target in
            flat.inputs.withUnsafeBufferPointer { source in _ = target.initialize(from: source) }
        }
        return Dataset(inputs: inputs, targets: flat.targets, featureNames: flat.featureNames)
    }

    /// The network for data whose examples are `inputShape` with `outputs` targets, weights drawn from
    /// `generator`: the model file's, or the MLP of the model settings.
    public func makeModel<Scalar: TensorScalar>(inputShape: [Int], outputs: Int, generator: inout RandomGenerator,
                                                as: Scalar.Type = Scalar.self) throws -> Sequential<Scalar> {
        guard let modelFile else {
            // An MLP reads an image or a sequence as one flat vector, as torch's nn.Sequential(nn.Flatten(), ...),
            // so its layers are named from 1.
            let mlp: Sequential<Scalar> = try modelSpec(inputs: inputShape.reduce(1, *), outputs: outputs).build(generator: &generator)
            return inputShape.count == 1 ? mlp : Sequential([Flatten<Scalar>()] + mlp.layers, inputShape: inputShape)
        }
        guard modelFile.accepts(inputShape) else {
            let declared = modelFile.inputShape.compactMap { $0 }
            let hint = inputShape.count == 1 && declared.count == modelFile.inputShape.count && declared.reduce(1, *) == inputShape[0]
                ? "; give the CSV file's shape with input-shape \(declared.map(String.init).joined(separator: ","))" : ""
            throw ExperimentError(setting: "model", message: "\(modelFile.path) declares input \(modelFile.inputDescription), but the "
                                  + "data's examples are \(inputShape)" + hint)
        }
        let (model, output) = try modelFile.build(for: inputShape, generator: &generator, initializer: config.initializer,
                                                  as: Scalar.self)
        guard output == [outputs] else {
            let last = modelFile.layers.last
            throw ConfigError(file: modelFile.path, line: last?.line, column: last?.column, key: "layers",
                              message: "the model's per-example output is \(output), but the data needs [\(outputs)] "
                                + "(\(outputs == 1 ? "one target" : "\(outputs) classes or targets")); end with "
                                + "Linear: {out_features: \(outputs)}" + (output.count > 1 ? " after Flatten or LastTimeStep" : ""))
        }
        return model
    }

    /// The model for data with `inputs` features and `outputs` targets.
    public func modelSpec(inputs: Int, outputs: Int) throws -> ModelSpec {
        let sizes = self.sizes ?? [inputs] + Array(repeating: hiddenWidth, count: hiddenDepth) + [outputs]
        try checkModelMemory(sizes)
        guard sizes.first == inputs else {
            throw ExperimentError(setting: "mlp", message: "starts with \(sizes[0]) inputs but the data has \(inputs) features")
        }
        guard sizes.last == outputs else {
            throw ExperimentError(setting: "mlp", message: "ends with \(sizes[sizes.count - 1]) outputs but the data has "
                                  + "\(outputs) \(outputs == 1 ? "target" : "classes or targets")")
        }
        return ModelSpec(sizes: sizes, activation: activation, initializer: initializer, norm: norm,
                         residual: residual, dropout: dropout)
    }

    /// Data, model, loss, optimizer and options put together; the model's weights come from `seed`.
    public func makeTrainer<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) throws -> Trainer<Scalar> {
        let (train, held) = try makeData(as: Scalar.self)
        if let size = modelFile?.embeddingSize {
            for part in [train, held].compactMap({ $0 }) {
                guard let id = part.inputs.scalars.first(where: { Int($0) >= size }) else { continue }
                throw ExperimentError(setting: "data", message: "\(data.name) holds token id \(Int(id)), but the model's "
                                      + "Embedding has num_embeddings \(size); ids must lie in 0..<\(size): raise num_embeddings "
                                      + "in \(modelFile?.path ?? "the model file")")
            }
        }
        var generator = RandomGenerator(seed: seed &+ 0x5EED)
        let model: Sequential<Scalar> = try makeModel(inputShape: train.exampleShape, outputs: train.outputs,
                                                      generator: &generator)
        let isClassification = if case .classes = train.targets { true } else { false }
        let lossName = loss ?? (isClassification ? "cross-entropy" : "mse")
        guard let lossFunction: any Loss<Scalar> = makeLoss(named: lossName) else {
            throw ExperimentError(setting: "loss", message: "unknown '\(lossName)'")
        }
        if isClassification && lossFunction.name != "cross-entropy" {
            throw ExperimentError(setting: "loss", message: "\(lossFunction.name) needs numeric targets, but the data has "
                                  + "class labels; use cross-entropy, or give regression targets")
        }
        if !isClassification && lossFunction.name == "cross-entropy" {
            throw ExperimentError(setting: "loss", message: "cross-entropy needs class labels, but the data has numeric "
                                  + "targets; use mse (or bce for 0/1 targets)")
        }
        let steps: Int
        switch budget {
        case .steps(let n): steps = n
        case .epochs(let n): steps = n * ((train.count + batch - 1) / batch)
        }
        let schedule = LearningRateSchedule(parsing: self.schedule, totalSteps: steps) ?? .constant
        let options = TrainingOptions(
            budget: budget, batchSize: batch, learningRate: learningRate, schedule: schedule, clipping: clipping,
            evaluationInterval: evaluateEvery ?? max(steps / 20, 1), stopsOnNonFiniteLoss: stopOnNonFinite,
            seed: seed &+ 0xBA7C)
        let optimizer = self.optimizer.make(parameters: model.parameters, learningRate: learningRate,
                                            weightDecay: weightDecay)
        return Trainer(model: model, loss: lossFunction, optimizer: optimizer, trainingData: train,
                       validationData: held, options: options)
    }

    func loadCSV<Scalar: TensorScalar>(path: String, label: String?, targets: [String]) throws -> Dataset<Scalar> {
        try CSVDataset.load(path: path, label: label, targets: targets)
    }
}

/// A setting with a value that cannot work: names the setting (config key and flag alike) and the fix.
public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public var setting: String
    public var message: String
    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }
    public var description: String { "'\(setting)' (--\(setting)): \(message)" }
}

/// A value the user gave, quoted for a message: at most 80 characters of it, line breaks shown as ⏎.
public func quoted(_ value: String) -> String { "'" + CSVTable.clipped(value, limit: 50) + "'" }
