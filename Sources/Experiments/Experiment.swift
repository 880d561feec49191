import Backprop
import Foundation

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
    }

    public enum Precision: String, Sendable, CaseIterable { case float, double }

    public var config: ExperimentConfig
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
    public init(_ config: ExperimentConfig) throws {
        func problem(_ key: String, _ message: String) -> ExperimentError { ExperimentError(setting: key, message: message) }
        self.config = config
        if config.mlp != nil && (config.depth != nil || config.width != nil) {
            throw problem("mlp", "give the sizes (mlp) or depth and width, not both")
        }
        hiddenDepth = config.depth ?? 2
        hiddenWidth = config.width ?? 64
        guard hiddenDepth >= 0 else { throw problem("depth", "must be ≥ 0, got \(hiddenDepth)") }
        guard hiddenWidth > 0 else { throw problem("width", "must be positive, got \(hiddenWidth)") }
        if let mlp = config.mlp {
            switch ModelSpec.parseSizes(mlp) {
            case .success(let sizes): self.sizes = sizes
            case .failure(let p): throw problem("mlp", p.message)
            }
        }
        let activationName = config.activation ?? "relu"
        guard let activation = Activation(name: activationName) else {
            throw problem("activation", "unknown '\(activationName)'; known: \(Activation.knownNames.joined(separator: ", "))"
                          + " (leaky-relu, elu and softplus take a parameter after a colon, e.g. leaky-relu:0.2)")
        }
        self.activation = activation
        initializer = config.initializer ?? "he-normal"
        guard Initializer(name: initializer) != nil else {
            throw problem("init", "unknown '\(initializer)'; known: \(Initializer.knownNames.joined(separator: ", ")), "
                          + "NAME:GAIN for xavier, he and orthogonal, normal:STD, uniform:BOUND")
        }
        let normName = config.norm ?? "none"
        guard let norm = ModelSpec.Norm(rawValue: normName) else {
            throw problem("norm", "unknown '\(normName)'; use none, layer or batch")
        }
        self.norm = norm
        residual = config.residual ?? false
        dropout = config.dropout ?? 0
        guard dropout >= 0 && dropout < 1 else { throw problem("dropout", "must be in [0, 1), got \(dropout)") }
        if let loss = config.loss, makeLoss(named: loss, as: Float.self) == nil {
            throw problem("loss", "unknown '\(loss)'; use mse, cross-entropy or bce")
        }
        loss = config.loss
        let optimizerName = config.optimizer ?? "adam"
        guard let optimizer = OptimizerKind(rawValue: optimizerName.lowercased()) else {
            throw problem("optimizer", "unknown '\(optimizerName)'; known: "
                          + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.optimizer = optimizer
        learningRate = config.learningRate ?? optimizer.defaultLearningRate
        guard learningRate > 0 else { throw problem("lr", "must be positive, got \(learningRate)") }
        weightDecay = config.weightDecay
        if let weightDecay, weightDecay < 0 { throw problem("weight-decay", "must be ≥ 0, got \(weightDecay)") }
        switch (config.clipNorm, config.clipValue) {
        case (nil, nil): clipping = .none
        case (let norm?, nil):
            guard norm > 0 else { throw problem("clip-norm", "must be positive, got \(norm)") }
            clipping = .norm(norm)
        case (nil, let value?):
            guard value > 0 else { throw problem("clip-value", "must be positive, got \(value)") }
            clipping = .value(value)
        case (.some, .some): throw problem("clip-norm", "give clip-norm or clip-value, not both")
        }
        switch (config.steps, config.epochs) {
        case (nil, nil): budget = .steps(1000)
        case (let steps?, nil): budget = .steps(steps)
        case (nil, let epochs?): budget = .epochs(epochs)
        case (.some, .some): throw problem("steps", "give steps or epochs, not both")
        }
        batch = config.batch ?? 64
        evaluateEvery = config.evaluateEvery
        stopOnNonFinite = config.stopOnNonFinite ?? true
        seed = config.seed ?? 0
        schedule = config.schedule ?? "constant"
        if case .steps(let steps) = budget, LearningRateSchedule(parsing: schedule, totalSteps: steps) == nil {
            throw problem("schedule", "cannot read '\(schedule)'; use constant, step:SIZE:FACTOR, exponential:FACTOR, "
                          + "cosine[:STEPS[:MIN]], optionally after warmup:STEPS, (e.g. warmup:100,cosine)")
        }
        if let path = config.data {
            if config.dataset != nil { throw problem("data", "give a CSV file (data) or a built-in dataset, not both") }
            guard config.label != nil || !(config.targets ?? []).isEmpty else {
                throw problem("label", "a CSV file needs the label column (label) or regression target columns (targets)")
            }
            data = .csv(path: path, label: config.label, targets: config.targets ?? [])
        } else {
            let name = config.dataset ?? "spirals"
            guard SyntheticData.names.contains(name.lowercased()) else {
                throw problem("dataset", "unknown '\(name)'; built in: \(SyntheticData.names.joined(separator: ", "))"
                              + ", or give a CSV file with data")
            }
            let samples = config.examples ?? 1000
            guard samples >= 2 else { throw problem("examples", "needs at least 2 examples, got \(samples)") }
            data = .synthetic(name: name.lowercased(), samples: samples, noise: config.noise ?? 0.1)
        }
        validation = config.validation ?? 0.2
        guard validation >= 0 && validation < 1 else { throw problem("validation", "must be in [0, 1), got \(validation)") }
        standardize = config.standardize ?? true
        let precisionName = config.precision ?? "float"
        guard let precision = Precision(rawValue: precisionName.lowercased()) else {
            throw problem("precision", "unknown '\(precisionName)'; use float or double")
        }
        self.precision = precision
        guard batch > 0 else { throw problem("batch", "must be positive, got \(batch)") }
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
            all = try loadCSV(path: path, label: label, targets: targets)
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

    /// The model for data with `inputs` features and `outputs` targets.
    public func modelSpec(inputs: Int, outputs: Int) throws -> ModelSpec {
        let sizes = self.sizes ?? [inputs] + Array(repeating: hiddenWidth, count: hiddenDepth) + [outputs]
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
        let spec = try modelSpec(inputs: train.features, outputs: train.outputs)
        var generator = RandomGenerator(seed: seed &+ 0x5EED)
        let model: Sequential<Scalar> = spec.build(generator: &generator)
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
    public var description: String { "'\(setting)' (--\(setting)): \(message)" }
}
