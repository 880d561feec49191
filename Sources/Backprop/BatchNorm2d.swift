/// Batch normalisation of each channel over the batch and the plane, torch's `nn.BatchNorm2d(C)`.
///
/// ```
/// training:    x̂ = (x − μ_c) / √(σ²_c + ε),  μ_c, σ²_c over the M = N·H·W values of channel c (biased)
///              running_mean ← (1 − m)·running_mean + m·μ_c
///              running_var  ← (1 − m)·running_var  + m·σ²_c · M/(M − 1)   (unbiased, as torch)
/// evaluation:  x̂ = (x − running_mean) / √(running_var + ε)
/// y = γ_c x̂ + β_c   (y = x̂ without `affine`)
/// ∂L/∂x (training) = (1 / (M √(σ²_c + ε))) · (M g − Σ g − x̂ Σ (g x̂)),   g = γ_c ∂L/∂y
/// ```
/// In evaluation mode the statistics are constants and ∂L/∂x = γ_c ∂L/∂y / √(running_var + ε).
/// - Parameters: `eps` 1e−5 and `momentum` 0.1 are torch's defaults; γ starts at 1, β at 0, the running
///   mean at 0 and the running variance at 1, as torch; `num_batches_tracked` counts training batches.
/// - Caveats: `momentum=None` (a cumulative average) and `track_running_stats=False` are not supported.
/// Reference: Ioffe & Szegedy (2015), section 3.2 (convolutional networks); torch.nn.BatchNorm2d documentation.
public final class BatchNorm2d<Scalar: TensorScalar>: Layer {
    public let features: Int
    public let epsilon: Double
    public let momentum: Double
    /// γ, `[C]`; nil without `affine`.
    public let weight: Parameter<Scalar>?
    /// β, `[C]`; nil without `affine`.
    public let bias: Parameter<Scalar>?
    public let runningMean: Tensor<Scalar>
    public let runningVariance: Tensor<Scalar>
    /// Batches seen in training mode, torch's `num_batches_tracked`.
    public var batchesTracked: Int {
        get { tracked.value }
        set { tracked.value = newValue }
    }
    private let tracked = Counter()

    private var normalized = Workspace<Scalar>()
    private var inverseStd: [Scalar]
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    private var lastMode = Mode.training

    /// - Parameters:
    ///   - features: `num_features`, the channel count C.
    ///   - epsilon: `eps`, torch's default 1e−5.
    ///   - momentum: `momentum`, torch's default 0.1.
    ///   - affine: `affine`, torch's default true: learnable γ (`weight`) and β (`bias`).
    public init(features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
        precondition(features > 0, "BatchNorm2d needs a positive channel count, got \(features)")
        self.features = features
        self.epsilon = epsilon
        self.momentum = momentum
        self.weight = affine ? Parameter(Tensor(shape: [features], repeating: 1)) : nil
        self.bias = affine ? Parameter(Tensor(shape: [features], repeating: 0)) : nil
        self.runningMean = Tensor(shape: [features], repeating: 0)
        self.runningVariance = Tensor(shape: [features], repeating: 1)
        self.inverseStd = [Scalar](repeating: 0, count: features)
    }

    public var kind: String { "BatchNorm2d" }

    public var parameters: [NamedParameter<Scalar>] {
        guard let weight, let bias else { return [] }
        return [NamedParameter(name: "weight", parameter: weight, role: .scale),
                NamedParameter(name: "bias", parameter: bias, role: .bias)]
    }

    public var buffers: [NamedTensor<Scalar>] {
        [NamedTensor(name: "running_mean", tensor: runningMean),
         NamedTensor(name: "running_var", tensor: runningVariance)]
    }

    /// `num_batches_tracked`: an integer, so a counter rather than one of the Scalar `buffers`.
    public var counters: [NamedCounter] { [NamedCounter(name: "num_batches_tracked", counter: tracked)] }

    /// `[C, H, W]` to `[C, H, W]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3, shape[0] == features else {
            throw ShapeMismatch(kind: "BatchNorm2d(\(features))", input: shape, expected: "[\(features), H, W]")
        }
        return shape
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireImages(input, channels: features, "BatchNorm2d(\(features))")
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let plane = height * width, count = batch * plane
        lastMode = mode
        precondition(mode == .evaluation || count > 1,
                     "BatchNorm2d: expected more than 1 value per channel when training, got input \(input.shape)")
        let xhat = normalized.tensor(batch, features, height, width)
        let y = output.tensor(batch, features, height, width)
        for c in 0..<features {
            let mean: Double, inv: Double
            if mode == .training {
                var sum = 0.0
                for n in 0..<batch {
                    let x = input.base + (n * features + c) * plane
                    for p in 0..<plane { sum += Double(x[p]) }
                }
                mean = sum / Double(count)
                var squares = 0.0
                for n in 0..<batch {
                    let x = input.base + (n * features + c) * plane
                    for p in 0..<plane { let d = Double(x[p]) - mean; squares += d * d }
                }
                let variance = squares / Double(count)
                inv = 1 / (variance + epsilon).squareRoot()
                let unbiased = variance * Double(count) / Double(count - 1)
                runningMean.base[c] = Scalar((1 - momentum) * Double(runningMean.base[c]) + momentum * mean)
                runningVariance.base[c] = Scalar((1 - momentum) * Double(runningVariance.base[c]) + momentum * unbiased)
            } else {
                mean = Double(runningMean.base[c])
                inv = 1 / (Double(runningVariance.base[c]) + epsilon).squareRoot()
            }
            inverseStd[c] = Scalar(inv)
            let gamma = weight?.value.base[c] ?? 1, beta = bias?.value.base[c] ?? 0
            let m = Scalar(mean), s = Scalar(inv)
            for n in 0..<batch {
                let offset = (n * features + c) * plane
                let x = input.base + offset, h = xhat.base + offset, out = y.base + offset
                for p in 0..<plane {
                    let v = (x[p] - m) * s
                    h[p] = v
                    out[p] = gamma * v + beta
                }
            }
        }
        if mode == .training { tracked.value += 1 }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        let xhat = normalized.tensor(outputGradient.shape.count == 4 ? outputGradient.shape[0] : 0, features,
                                     outputGradient.shape.count == 4 ? outputGradient.shape[2] : 0,
                                     outputGradient.shape.count == 4 ? outputGradient.shape[3] : 0)
        precondition(outputGradient.rank == 4 && outputGradient.shape[1] == features && outputGradient.count == xhat.count
                     && xhat.count > 0,
                     "BatchNorm2d.backward: gradient shape \(outputGradient.shape), expected \(xhat.shape)")
        let (batch, height, width) = (xhat.shape[0], xhat.shape[2], xhat.shape[3])
        let plane = height * width, count = batch * plane
        let dx = inputGradient.tensor(batch, features, height, width)
        let dGamma = weight?.gradientForAccumulation(), dBeta = bias?.gradientForAccumulation()
        for c in 0..<features {
            let gamma = weight?.value.base[c] ?? 1
            var sumG: Scalar = 0, sumGX: Scalar = 0
            for n in 0..<batch {
                let offset = (n * features + c) * plane
                let dy = outputGradient.base + offset, h = xhat.base + offset
                for p in 0..<plane { sumG += dy[p]; sumGX += dy[p] * h[p] }
            }
            if let dGamma { dGamma.buffer.base[c] = dGamma.keep * dGamma.buffer.base[c] + sumGX }
            if let dBeta { dBeta.buffer.base[c] = dBeta.keep * dBeta.buffer.base[c] + sumG }
            let inv = inverseStd[c]
            // With g = γ·dy: Σg = γ·Σdy, Σ(g·x̂) = γ·Σ(dy·x̂).
            let scale = gamma * inv
            let training = lastMode == .training
            let meanG = training ? sumG / Scalar(count) : 0, meanGX = training ? sumGX / Scalar(count) : 0
            for n in 0..<batch {
                let offset = (n * features + c) * plane
                let dy = outputGradient.base + offset, h = xhat.base + offset, g = dx.base + offset
                for p in 0..<plane { g[p] = scale * (dy[p] - meanG - h[p] * meanGX) }
            }
        }
        return dx
    }
}
