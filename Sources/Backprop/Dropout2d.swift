/// Channel dropout, torch's `nn.Dropout2d(p)`: in training, each channel of each example is zeroed
/// whole with probability p and the kept ones are scaled by 1/(1 − p); in evaluation the layer is the identity.
///
/// ```
/// training:   m[n, c] = 1/(1 − p) with probability 1 − p, else 0;   y[n, c, ...] = x[n, c, ...] · m[n, c]
///             ∂L/∂x[n, c, ...] = ∂L/∂y[n, c, ...] · m[n, c]
/// evaluation: y = x
/// ```
/// Feature maps are strongly correlated within a channel, so dropping single elements barely regularises
/// a convolution; dropping whole channels does (Tompson et al. 2015). The mask comes from the layer's
/// own seeded generator; `randomState.isFrozen` reuses the last one, for a gradient check. Takes
/// `[N, C, ...]` of rank 2 or more (axis 1 is the channel).
/// - Parameters: p defaults to torch's 0.5.
/// Reference: Tompson et al. (2015), *Efficient Object Localization Using Convolutional Networks*;
/// torch.nn.Dropout2d documentation.
public final class Dropout2d<Scalar: TensorScalar>: Layer, RandomState {
    public let probability: Double
    /// When true, training-mode forward passes reuse the last mask instead of drawing a new one.
    public var freezesMask = false

    private var generator: RandomGenerator
    private var mask = Workspace<Scalar>()
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    private var lastMode = Mode.training
    private var hasMask = false

    /// - Parameters:
    ///   - probability: p, the chance of zeroing a channel; torch's default 0.5.
    ///   - seed: seeds the mask generator.
    public init(probability: Double = 0.5, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout2d probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.generator = RandomGenerator(seed: seed)
    }

    public var kind: String { "Dropout2d" }
    public var randomState: (any RandomState)? { self }

    /// `freezesMask`, as the random-state contract names it.
    public var isFrozen: Bool {
        get { freezesMask }
        set { freezesMask = newValue }
    }

    /// `[C, ...]` unchanged; needs a channel axis.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard !shape.isEmpty else { throw ShapeMismatch(kind: "Dropout2d(p=\(probability))", input: shape, expected: "[C, H, W]") }
        return shape
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 2, "Dropout2d: expected input of shape [batch, C, ...], got \(input.shape)")
        lastMode = mode
        guard mode == .training, probability > 0 else { return input }
        let batch = input.shape[0], channels = input.shape[1]
        let plane = batch * channels == 0 ? 0 : input.count / (batch * channels)
        let m = mask.tensor(rows: batch, columns: channels)
        if !(freezesMask && hasMask) {
            let keep = Scalar(1 / (1 - probability))
            for i in 0..<m.count { m.base[i] = generator.nextUniform() < probability ? 0 : keep }
            hasMask = true
        }
        let y = output.tensor(shape: input.shape)
        for k in 0..<(batch * channels) {
            let factor = m.base[k]
            let x = input.base + k * plane, out = y.base + k * plane
            for p in 0..<plane { out[p] = x[p] * factor }
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard lastMode == .training, probability > 0 else { return outputGradient }
        let batch = outputGradient.shape[0], channels = outputGradient.shape[1]
        let m = mask.tensor(rows: batch, columns: channels)
        let plane = batch * channels == 0 ? 0 : outputGradient.count / (batch * channels)
        let dx = inputGradient.tensor(shape: outputGradient.shape)
        for k in 0..<(batch * channels) {
            let factor = m.base[k]
            let g = outputGradient.base + k * plane, out = dx.base + k * plane
            for p in 0..<plane { out[p] = g[p] * factor }
        }
        return dx
    }
}
