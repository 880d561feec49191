/// What a dataset's examples are labelled with.
public enum DatasetTargets<Scalar: TensorScalar> {
    /// One class index per example, in `0..<classCount`.
    case classes([Int], classCount: Int)
    /// One row of regression targets per example: `[count, outputs]`.
    case values(Tensor<Scalar>)
}

/// Examples in memory: inputs `[count, ...]` and their targets.
///
/// An example is a feature vector (`[count, features]`), an image (`[count, C, H, W]`) or a sequence
/// (`[count, T, F]`, or `[count, T]` token ids); `exampleShape` is its shape without the batch axis and
/// `features` the number of values in it. Batches come out shaped `[batch] + exampleShape`.
public struct Dataset<Scalar: TensorScalar> {
    public var inputs: Tensor<Scalar>
    public var targets: DatasetTargets<Scalar>
    /// Column names of the inputs (from a CSV header, or `x0`, `x1`, ...).
    public var featureNames: [String]

    public init(inputs: Tensor<Scalar>, targets: DatasetTargets<Scalar>, featureNames: [String]? = nil) {
        precondition(inputs.rank >= 2, "Dataset inputs must be [count, ...], got \(inputs.shape)")
        switch targets {
        case .classes(let labels, let classCount):
            precondition(labels.count == inputs.shape[0],
                         "Dataset has \(inputs.shape[0]) inputs but \(labels.count) labels")
            precondition(labels.allSatisfy { $0 >= 0 && $0 < classCount },
                         "Dataset labels must lie in 0..<\(classCount)")
        case .values(let values):
            precondition(values.rank == 2 && values.shape[0] == inputs.shape[0],
                         "Dataset has \(inputs.shape[0]) inputs but targets of shape \(values.shape)")
        }
        self.inputs = inputs
        self.targets = targets
        self.featureNames = featureNames ?? (0..<(inputs.count / max(inputs.shape[0], 1))).map { "x\($0)" }
    }

    /// The number of examples.
    public var count: Int { inputs.shape[0] }
    /// The number of input values per example: the product of `exampleShape`.
    public var features: Int { inputs.shape.dropFirst().reduce(1, *) }
    /// One example's shape, without the batch axis: `[features]`, `[C, H, W]`, `[T, F]`, `[T]`.
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }
    /// The number of model outputs the targets call for: classes, or regression columns.
    public var outputs: Int {
        switch targets {
        case .classes(_, let classCount): classCount
        case .values(let values): values.shape[1]
        }
    }

    /// The examples at `indices`, in that order, as a new dataset.
    public func subset(_ indices: [Int]) -> Dataset {
        let f = features
        let x = Tensor<Scalar>(shape: [indices.count] + exampleShape)
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "subset index \(index) outside 0..<\(count)")
            (x.base + row * f).update(from: inputs.base + index * f, count: f)
        }
        switch targets {
        case .classes(let labels, let classCount):
            return Dataset(inputs: x, targets: .classes(indices.map { labels[$0] }, classCount: classCount),
                           featureNames: featureNames)
        case .values(let values):
            let k = values.shape[1]
            let y = Tensor<Scalar>(shape: [indices.count, k])
            for (row, index) in indices.enumerated() {
                (y.base + row * k).update(from: values.base + index * k, count: k)
            }
            return Dataset(inputs: x, targets: .values(y), featureNames: featureNames)
        }
    }

    /// A seeded random split: `validationFraction` of the examples (rounded) go to validation.
    public func split(validationFraction: Double, generator: inout RandomGenerator) -> (train: Dataset, validation: Dataset) {
        precondition(validationFraction >= 0 && validationFraction < 1,
                     "validation fraction must be in [0, 1), got \(validationFraction)")
        var order = Array(0..<count)
        order.shuffle(using: &generator)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        return (subset(Array(order[validationCount...])), subset(Array(order[..<validationCount])))
    }
}

/// Per-feature standardisation `x' = (x − μ) / σ`, with μ and σ from the training part only, so that no
/// information leaks from validation into training. A constant feature keeps σ = 1.
public struct Standardizer<Scalar: TensorScalar> {
    public var mean: [Double]
    public var standardDeviation: [Double]

    /// The statistics of every column of `inputs` (population standard deviation).
    /// The statistics of every input value of an example (a column of `[count, features]`, a pixel of
    /// `[count, C, H, W]`) over the examples of `inputs` (population standard deviation).
    public init(fitting inputs: Tensor<Scalar>) {
        precondition(inputs.rank >= 2, "Standardizer needs [count, ...], got \(inputs.shape)")
        let n = inputs.shape[0], f = inputs.count / max(n, 1)
        var sums = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { sums[j] += Double(inputs[i * f + j]) } }
        let means = sums.map { $0 / Double(max(n, 1)) }
        var squares = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { let d = Double(inputs[i * f + j]) - means[j]; squares[j] += d * d } }
        mean = means
        standardDeviation = squares.map { $0 / Double(max(n, 1)) }.map { $0 > 0 ? $0.squareRoot() : 1 }
    }

    /// Standardises `dataset`'s inputs in place (its tensor is shared with any copy of the dataset).
    public func apply(to dataset: Dataset<Scalar>) {
        let x = dataset.inputs, f = dataset.features
        precondition(f == mean.count, "Standardizer fitted on \(mean.count) features, got \(f)")
        for i in 0..<x.shape[0] {
            for j in 0..<f {
                x[i * f + j] = Scalar((Double(x[i * f + j]) - mean[j]) / standardDeviation[j])
            }
        }
    }
}

/// Seeded mini-batches over a dataset: a fresh shuffle every epoch, the last partial batch kept or
/// dropped. The batch tensors are reused, so iterating allocates nothing after the first batch of
/// each size.
public struct BatchSampler<Scalar: TensorScalar> {
    public let dataset: Dataset<Scalar>
    public let batchSize: Int
    public let dropsLastPartialBatch: Bool
    public let shuffles: Bool
    private var generator: RandomGenerator
    private var order: [Int]
    private var position = 0
    public private(set) var epoch = 0

    private var inputBuffers = Workspace<Scalar>()
    private var valueBuffers = Workspace<Scalar>()
    private var labels: [Int] = []
    private let exampleShape: [Int]

    /// - Parameters:
    ///   - batchSize: examples per batch; at most the dataset's size when the last batch is dropped.
    ///   - dropsLastPartialBatch: as torch's `DataLoader(drop_last=...)`, default false.
    ///   - shuffles: reshuffle at the start of every epoch, as `DataLoader(shuffle=True)`.
    ///   - seed: seeds the shuffles.
    public init(dataset: Dataset<Scalar>, batchSize: Int, dropsLastPartialBatch: Bool = false,
                shuffles: Bool = true, seed: UInt64) {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        precondition(dataset.count > 0, "cannot draw batches from an empty dataset")
        precondition(!dropsLastPartialBatch || batchSize <= dataset.count,
                     "batch size \(batchSize) exceeds the \(dataset.count) examples and the partial batch is dropped")
        self.dataset = dataset
        self.batchSize = batchSize
        self.dropsLastPartialBatch = dropsLastPartialBatch
        self.shuffles = shuffles
        self.generator = RandomGenerator(seed: seed)
        self.order = Array(0..<dataset.count)
        self.exampleShape = dataset.exampleShape
        if shuffles { order.shuffle(using: &generator) }
        labels.reserveCapacity(batchSize)
    }

    /// Batches in one epoch.
    public var batchesPerEpoch: Int {
        dropsLastPartialBatch ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The next batch: its inputs and its loss target; starts a new epoch when the current one is used up.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func next() -> (inputs: Tensor<Scalar>, target: LossTarget<Scalar>) {
        var remaining = dataset.count - position
        if remaining == 0 || (dropsLastPartialBatch && remaining < batchSize) {
            epoch += 1
            position = 0
            if shuffles { order.shuffle(using: &generator) }
            remaining = dataset.count
        }
        let rows = min(batchSize, remaining)
        let f = dataset.features
        let x = dataset.inputs.rank == 2 ? inputBuffers.tensor(rows: rows, columns: f)
            : inputBuffers.tensor(rows: rows, rest: exampleShape)
        for r in 0..<rows {
            (x.base + r * f).update(from: dataset.inputs.base + order[position + r] * f, count: f)
        }
        let target: LossTarget<Scalar>
        switch dataset.targets {
        case .classes(let all, _):
            labels.removeAll(keepingCapacity: true)
            for r in 0..<rows { labels.append(all[order[position + r]]) }
            target = .classes(labels)
        case .values(let values):
            let k = values.shape[1]
            let y = valueBuffers.tensor(rows: rows, columns: k)
            for r in 0..<rows {
                (y.base + r * k).update(from: values.base + order[position + r] * k, count: k)
            }
            target = .values(y)
        }
        position += rows
        return (x, target)
    }
}
