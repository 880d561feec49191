/// Shared arithmetic of LayerNorm and BatchNorm: normalise groups of values to zero mean and unit
/// variance, and the gradient of that map.
///
/// ```
/// x̂ = (x − μ) / √(σ² + ε)        μ, σ² the mean and biased variance over the group of N values
/// ∂L/∂x = (1 / (N √(σ² + ε))) · (N ∂L/∂x̂ − Σ ∂L/∂x̂ − x̂ Σ (∂L/∂x̂ · x̂))
/// ```
/// Reference: Ioffe & Szegedy (2015), section 3 (the backward pass written with x̂).
enum Normalization {
    /// Mean and biased variance of `count` values `stride` apart, in Double for accuracy.
    @inline(__always)
    static func moments<Scalar: TensorScalar>(
        _ x: UnsafePointer<Scalar>, count: Int, stride: Int
    ) -> (mean: Double, variance: Double) {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i * stride]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in 0..<count { let d = Double(x[i * stride]) - mean; squares += d * d }
        return (mean, squares / Double(count))
    }

    /// Given ∂L/∂x̂ and x̂ for one group, writes ∂L/∂x.
    @inline(__always)
    static func backward<Scalar: TensorScalar>(
        normalizedGradient g: UnsafePointer<Scalar>, normalized xhat: UnsafePointer<Scalar>,
        inverseStd: Scalar, count: Int, stride: Int, into dx: UnsafeMutablePointer<Scalar>
    ) {
        var sumG: Scalar = 0
        var sumGX: Scalar = 0
        for i in 0..<count {
            sumG += g[i * stride]
            sumGX += g[i * stride] * xhat[i * stride]
        }
        let n = Scalar(count)
        for i in 0..<count {
            let j = i * stride
            dx[j] = inverseStd / n * (n * g[j] - sumG - xhat[j] * sumGX)
        }
    }
}

/// Layer normalisation over the features of each example, torch's `nn.LayerNorm(features)`.
///
/// ```
/// y = γ ⊙ x̂ + β,   x̂ normalised over the features of one row (Normalization)
/// ```
/// - Parameters: `eps` defaults to torch's 1e−5; γ (`weight`) starts at 1 and β (`bias`) at 0, as torch.
/// Reference: Ba, Kiros & Hinton (2016), *Layer Normalization*.
public final class LayerNorm<Scalar: TensorScalar>: Layer {
    public let features: Int
    public let epsilon: Double
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>

    private var normalized = Workspace<Scalar>()
    private var inverseStd = Workspace<Scalar>()
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    private var scaledGradient = Workspace<Scalar>()
    private var rows = 0

    public init(features: Int, epsilon: Double = 1e-5) {
        precondition(features > 0, "LayerNorm needs a positive feature count, got \(features)")
        self.features = features
        self.epsilon = epsilon
        self.weight = Parameter(Tensor(shape: [features], repeating: 1))
        self.bias = Parameter(Tensor(shape: [features], repeating: 0))
    }

    public var kind: String { "LayerNorm" }

    public var parameters: [NamedParameter<Scalar>] {
        [NamedParameter(name: "weight", parameter: weight, role: .scale),
         NamedParameter(name: "bias", parameter: bias, role: .bias)]
    }

    /// `[features]` to `[features]`: the layer normalises a `[batch, features]` input only.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape == [features] else {
            throw ShapeMismatch(kind: "LayerNorm(\(features))", input: shape,
                                expected: "[\(features)] (a [batch, \(features)] input)")
        }
        return shape
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireMatrix(input, features: features, "LayerNorm(\(features))")
        rows = input.shape[0]
        let xhat = normalized.tensor(rows: rows, columns: features)
        let istd = inverseStd.tensor(rows: rows, columns: 1)
        let y = output.tensor(rows: rows, columns: features)
        let gamma = weight.value.base, beta = bias.value.base
        for r in 0..<rows {
            let x = input.base + r * features
            let (mean, variance) = Normalization.moments(x, count: features, stride: 1)
            let inv = 1 / (variance + epsilon).squareRoot()
            istd.base[r] = Scalar(inv)
            for j in 0..<features {
                let v = Scalar((Double(x[j]) - mean) * inv)
                xhat.base[r * features + j] = v
                y.base[r * features + j] = gamma[j] * v + beta[j]
            }
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(outputGradient.shape.count == 2 && outputGradient.shape[0] == rows
                     && outputGradient.shape[1] == features,
                     "LayerNorm.backward: gradient shape \(outputGradient.shape), expected [\(rows), \(features)]")
        let xhat = normalized.tensor(rows: rows, columns: features)
        let istd = inverseStd.tensor(rows: rows, columns: 1)
        let g = scaledGradient.tensor(rows: rows, columns: features)
        let dx = inputGradient.tensor(rows: rows, columns: features)
        let gamma = weight.value.base
        let dGamma = weight.gradient.base, dBeta = bias.gradient.base
        for r in 0..<rows {
            for j in 0..<features {
                let k = r * features + j
                let dy = outputGradient.base[k]
                dGamma[j] += dy * xhat.base[k]
                dBeta[j] += dy
                g.base[k] = dy * gamma[j]
            }
            Normalization.backward(
                normalizedGradient: g.base + r * features, normalized: xhat.base + r * features,
                inverseStd: istd.base[r], count: features, stride: 1, into: dx.base + r * features)
        }
        return dx
    }
}
