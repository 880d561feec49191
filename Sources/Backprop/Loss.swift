/// What a loss compares the prediction with.
public enum LossTarget<Scalar: TensorScalar> {
    /// A tensor of the prediction's shape: regression targets, class probabilities, or 0/1 labels.
    case values(Tensor<Scalar>)
    /// One class index per row of the prediction, for cross-entropy.
    case classes([Int])
}

/// A scalar objective of a prediction and a target, with its gradient with respect to the prediction.
///
/// `forward` returns the loss and keeps what `backward` needs; `backward` returns ∂L/∂prediction in a
/// buffer the loss owns (overwritten by the next call).
public protocol Loss<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The command-line name: `mse`, `cross-entropy`, `bce`.
    var name: String { get }
    func forward(_ prediction: Tensor<Scalar>, _ target: LossTarget<Scalar>) -> Scalar
    func backward() -> Tensor<Scalar>
}

/// Mean squared error over all elements, torch's `nn.MSELoss()` (reduction `mean`).
///
/// ```
/// L = (1/N) Σ (p − t)²        ∂L/∂p = 2 (p − t) / N,   N = number of elements
/// ```
public final class MeanSquaredError<Scalar: TensorScalar>: Loss {
    private var gradient = Workspace<Scalar>()
    private var difference = Workspace<Scalar>()
    private var shape: (rows: Int, columns: Int) = (0, 0)

    public init() {}
    public var name: String { "mse" }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ prediction: Tensor<Scalar>, _ target: LossTarget<Scalar>) -> Scalar {
        guard case .values(let t) = target else {
            preconditionFailure("mse needs a target tensor, got class indices")
        }
        precondition(t.shape == prediction.shape,
                     "mse: prediction shape \(prediction.shape) and target shape \(t.shape) differ")
        shape = (prediction.rows, prediction.columns)
        let d = difference.tensor(rows: shape.rows, columns: shape.columns)
        var sum: Scalar = 0
        for i in 0..<d.count {
            let e = prediction.base[i] - t.base[i]
            d.base[i] = e
            sum += e * e
        }
        return sum / Scalar(d.count)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Tensor<Scalar> {
        let d = difference.tensor(rows: shape.rows, columns: shape.columns)
        let g = gradient.tensor(rows: shape.rows, columns: shape.columns)
        let scale = 2 / Scalar(d.count)
        for i in 0..<g.count { g.base[i] = scale * d.base[i] }
        return g
    }
}

/// Softmax cross-entropy from logits, torch's `nn.CrossEntropyLoss()` (reduction `mean` over the batch).
///
/// ```
/// log softmax(z)_c = z_c − m − log Σ_k e^{z_k − m},  m = max_k z_k      (no overflow, no log 0)
/// L = −(1/B) Σ_b Σ_c t_bc · log softmax(z_b)_c        t one-hot for class indices, else probabilities
/// ∂L/∂z = (softmax(z) − t) / B,   softmax(z)_c = e^{z_c − m} / Σ_k e^{z_k − m}
/// ```
/// Both come from `gl_log_softmax_rows_*` (CKernels): e^{z − m} for the whole batch in one vectorised pass.
public final class SoftmaxCrossEntropy<Scalar: TensorScalar>: Loss {
    private var probabilities = Workspace<Scalar>()
    private var logProbabilities = Workspace<Scalar>()
    private var gradient = Workspace<Scalar>()
    private var targetValues = Workspace<Scalar>()
    private var shape: (rows: Int, columns: Int) = (0, 0)

    public init() {}
    public var name: String { "cross-entropy" }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ prediction: Tensor<Scalar>, _ target: LossTarget<Scalar>) -> Scalar {
        precondition(prediction.rank == 2, "cross-entropy: logits must be [batch, classes], got \(prediction.shape)")
        let rows = prediction.shape[0], classes = prediction.shape[1]
        shape = (rows, classes)
        let p = probabilities.tensor(rows: rows, columns: classes)
        let t = targetValues.tensor(rows: rows, columns: classes)
        switch target {
        case .classes(let labels):
            precondition(labels.count == rows, "cross-entropy: \(labels.count) labels for a batch of \(rows)")
            t.fill(0)
            for (row, label) in labels.enumerated() {
                precondition(label >= 0 && label < classes,
                             "cross-entropy: label \(label) in row \(row) is outside 0..<\(classes)")
                t.base[row * classes + label] = 1
            }
        case .values(let values):
            precondition(values.shape == prediction.shape,
                         "cross-entropy: logits shape \(prediction.shape) and target shape \(values.shape) differ")
            t.assign(from: values)
        }
        let logP = logProbabilities.tensor(rows: rows, columns: classes)
        Kernels.logSoftmaxRows(prediction.base, logProbabilities: logP.base, probabilities: p.base,
                               rows: rows, columns: classes)
        var total: Scalar = 0
        for i in 0..<(rows * classes) {
            let weight = t.base[i]
            if weight != 0 { total -= weight * logP.base[i] }
        }
        return total / Scalar(rows)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Tensor<Scalar> {
        let p = probabilities.tensor(rows: shape.rows, columns: shape.columns)
        let t = targetValues.tensor(rows: shape.rows, columns: shape.columns)
        let g = gradient.tensor(rows: shape.rows, columns: shape.columns)
        let scale = 1 / Scalar(shape.rows)
        for i in 0..<g.count { g.base[i] = (p.base[i] - t.base[i]) * scale }
        return g
    }
}

/// Binary cross-entropy from logits, torch's `nn.BCEWithLogitsLoss()` (reduction `mean` over elements).
///
/// ```
/// L = (1/N) Σ max(z, 0) − z·t + log(1 + e^{−|z|})      (no overflow for large |z|)
/// ∂L/∂z = (σ(z) − t) / N
/// ```
public final class BinaryCrossEntropy<Scalar: TensorScalar>: Loss {
    private var gradient = Workspace<Scalar>()
    private var residual = Workspace<Scalar>()
    private var shape: (rows: Int, columns: Int) = (0, 0)

    public init() {}
    public var name: String { "bce" }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ prediction: Tensor<Scalar>, _ target: LossTarget<Scalar>) -> Scalar {
        guard case .values(let t) = target else {
            preconditionFailure("bce needs a target tensor of 0/1 values or probabilities, got class indices")
        }
        precondition(t.shape == prediction.shape,
                     "bce: logits shape \(prediction.shape) and target shape \(t.shape) differ")
        shape = (prediction.rows, prediction.columns)
        let r = residual.tensor(rows: shape.rows, columns: shape.columns)
        var total: Scalar = 0
        for i in 0..<r.count {
            let z = prediction.base[i], y = t.base[i]
            total += Swift.max(z, 0) - z * y + Scalar.log(onePlus: Scalar.exp(-abs(z)))
            r.base[i] = Activation.sigmoid(z) - y
        }
        return total / Scalar(r.count)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() -> Tensor<Scalar> {
        let r = residual.tensor(rows: shape.rows, columns: shape.columns)
        let g = gradient.tensor(rows: shape.rows, columns: shape.columns)
        let scale = 1 / Scalar(r.count)
        for i in 0..<g.count { g.base[i] = r.base[i] * scale }
        return g
    }
}

/// Makes a loss from its command-line name: `mse`, `cross-entropy` (also `ce`), `bce`. Nil if unknown.
public func makeLoss<Scalar: TensorScalar>(named name: String, as: Scalar.Type = Scalar.self) -> (any Loss<Scalar>)? {
    switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
    case "mse", "mean-squared-error": MeanSquaredError<Scalar>()
    case "cross-entropy", "ce", "softmax-cross-entropy": SoftmaxCrossEntropy<Scalar>()
    case "bce", "binary-cross-entropy": BinaryCrossEntropy<Scalar>()
    default: nil
    }
}
