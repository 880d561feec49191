/// Batch normalisation of each feature over the batch, torch's `nn.BatchNorm1d(features)`.
///
/// ```
/// training:    x̂ = (x − μ_B) / √(σ²_B + ε),  μ_B, σ²_B over the batch (biased variance)
///              running_mean ← (1 − m)·running_mean + m·μ_B
///              running_var  ← (1 − m)·running_var  + m·σ²_B · B/(B − 1)   (unbiased, as torch)
/// evaluation:  x̂ = (x − running_mean) / √(running_var + ε)
/// y = γ ⊙ x̂ + β
/// ```
/// In training mode the backward pass differentiates through the batch statistics (Normalization); in
/// evaluation mode the statistics are constants and ∂L/∂x = γ ∂L/∂y / √(running_var + ε).
/// - Parameters: `eps` 1e−5 and `momentum` 0.1 are torch's defaults; γ starts at 1, β at 0, the running
///   mean at 0 and the running variance at 1, as torch.
/// - Caveats: takes `[batch, features]` only; torch's `[N, C, L]` form is not supported and stops with a
///   precondition (and a `ShapeMismatch` when the model is built).
/// Reference: Ioffe & Szegedy (2015); torch.nn.BatchNorm1d documentation.
public final class BatchNorm1d<Scalar: TensorScalar>: Layer {
    public let features: Int
    public let epsilon: Double
    public let momentum: Double
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public let runningMean: Tensor<Scalar>
    public let runningVariance: Tensor<Scalar>
    /// Batches seen in training mode, torch's `num_batches_tracked`.
    public var batchesTracked: Int {
        get { tracked.value }
        set { tracked.value = newValue }
    }
    private let tracked = Counter()

    private var normalized = Workspace<Scalar>()
    private var inverseStd = Workspace<Scalar>()
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    private var scaledGradient = Workspace<Scalar>()
    private var rows = 0
    private var lastMode = Mode.training

    public init(features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1) {
        precondition(features > 0, "BatchNorm1d needs a positive feature count, got \(features)")
        self.features = features
        self.epsilon = epsilon
        self.momentum = momentum
        self.weight = Parameter(Tensor(shape: [features], repeating: 1))
        self.bias = Parameter(Tensor(shape: [features], repeating: 0))
        self.runningMean = Tensor(shape: [features], repeating: 0)
        self.runningVariance = Tensor(shape: [features], repeating: 1)
    }

    public var kind: String { "BatchNorm1d" }

    public var parameters: [NamedParameter<Scalar>] {
        [NamedParameter(name: "weight", parameter: weight, role: .scale),
         NamedParameter(name: "bias", parameter: bias, role: .bias)]
    }

    public var buffers: [NamedTensor<Scalar>] {
        [NamedTensor(name: "running_mean", tensor: runningMean),
         NamedTensor(name: "running_var", tensor: runningVariance)]
    }

    /// `num_batches_tracked`: an integer, so a counter rather than one of the Scalar `buffers`.
    public var counters: [NamedCounter] { [NamedCounter(name: "num_batches_tracked", counter: tracked)] }

    /// `[features]` to `[features]`; any other per-example shape is a mismatch.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape == [features] else {
            throw ShapeMismatch(kind: "BatchNorm1d(\(features))", input: shape,
                                expected: "[\(features)] (a [batch, \(features)] input; [N, C, L] is not supported)")
        }
        return shape
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireMatrix(input, features: features, "BatchNorm1d(\(features)) (rank 2 only; torch's [N, C, L] is not supported)")
        rows = input.shape[0]
        lastMode = mode
        precondition(mode == .evaluation || rows > 1,
                     "BatchNorm1d: expected more than 1 value per channel when training, got batch \(rows)")
        let xhat = normalized.tensor(rows: rows, columns: features)
        let istd = inverseStd.tensor(rows: 1, columns: features)
        let y = output.tensor(rows: rows, columns: features)
        let gamma = weight.value.base, beta = bias.value.base
        for j in 0..<features {
            let mean: Double, inv: Double
            if mode == .training {
                let (m, variance) = Normalization.moments(input.base + j, count: rows, stride: features)
                mean = m
                inv = 1 / (variance + epsilon).squareRoot()
                let unbiased = variance * Double(rows) / Double(rows - 1)
                runningMean.base[j] = Scalar((1 - momentum) * Double(runningMean.base[j]) + momentum * m)
                runningVariance.base[j] = Scalar((1 - momentum) * Double(runningVariance.base[j]) + momentum * unbiased)
            } else {
                mean = Double(runningMean.base[j])
                inv = 1 / (Double(runningVariance.base[j]) + epsilon).squareRoot()
            }
            istd.base[j] = Scalar(inv)
            for r in 0..<rows {
                let k = r * features + j
                let v = Scalar((Double(input.base[k]) - mean) * inv)
                xhat.base[k] = v
                y.base[k] = gamma[j] * v + beta[j]
            }
        }
        if mode == .training { tracked.value += 1 }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(outputGradient.shape.count == 2 && outputGradient.shape[0] == rows
                     && outputGradient.shape[1] == features,
                     "BatchNorm1d.backward: gradient shape \(outputGradient.shape), expected [\(rows), \(features)]")
        let xhat = normalized.tensor(rows: rows, columns: features)
        let istd = inverseStd.tensor(rows: 1, columns: features)
        let g = scaledGradient.tensor(rows: rows, columns: features)
        let dx = inputGradient.tensor(rows: rows, columns: features)
        let gamma = weight.value.base
        let dGamma = weight.gradient.base, dBeta = bias.gradient.base
        for j in 0..<features {
            for r in 0..<rows {
                let k = r * features + j
                let dy = outputGradient.base[k]
                dGamma[j] += dy * xhat.base[k]
                dBeta[j] += dy
                g.base[k] = dy * gamma[j]
            }
            if lastMode == .training {
                Normalization.backward(
                    normalizedGradient: g.base + j, normalized: xhat.base + j, inverseStd: istd.base[j],
                    count: rows, stride: features, into: dx.base + j)
            } else {
                for r in 0..<rows { dx.base[r * features + j] = g.base[r * features + j] * istd.base[j] }
            }
        }
        return dx
    }
}
