/// Inverted dropout, torch's `nn.Dropout(p)`: in training, each element is zeroed with probability p
/// and the rest are scaled by 1/(1 − p); in evaluation the layer is the identity.
///
/// ```
/// training:   m_i = 1/(1 − p) with probability 1 − p, else 0;   y = x ⊙ m;   ∂L/∂x = ∂L/∂y ⊙ m
/// evaluation: y = x;  ∂L/∂x = ∂L/∂y
/// ```
/// The mask comes from the layer's own seeded generator, so a run is reproducible. Set `freezesMask`
/// (or, without knowing the type, `randomState.isFrozen`) to reuse the last mask: a gradient check needs
/// the same function on every evaluation. Takes a `[batch, ...]` input of any rank.
/// Reference: Srivastava et al. (2014); torch.nn.Dropout documentation.
public final class Dropout<Scalar: TensorScalar>: Layer, RandomState {
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
    ///   - probability: p, the chance of zeroing an element; torch's default 0.5.
    ///   - seed: seeds the mask generator.
    public init(probability: Double = 0.5, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.generator = RandomGenerator(seed: seed)
    }

    public var kind: String { "Dropout" }
    public var randomState: (any RandomState)? { self }

    /// `freezesMask`, as the random-state contract names it.
    public var isFrozen: Bool {
        get { freezesMask }
        set { freezesMask = newValue }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 1, "Dropout: expected input of shape [batch, ...], got a scalar")
        lastMode = mode
        guard mode == .training, probability > 0 else { return input }
        let m = mask.tensor(shape: input.shape)
        if !(freezesMask && hasMask) {
            let keep = Scalar(1 / (1 - probability))
            for i in 0..<m.count { m.base[i] = generator.nextUniform() < probability ? 0 : keep }
            hasMask = true
        }
        let y = output.tensor(shape: input.shape)
        for i in 0..<y.count { y.base[i] = input.base[i] * m.base[i] }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard lastMode == .training, probability > 0 else { return outputGradient }
        let m = mask.tensor(shape: outputGradient.shape)
        let dx = inputGradient.tensor(shape: outputGradient.shape)
        for i in 0..<dx.count { dx.base[i] = outputGradient.base[i] * m.base[i] }
        return dx
    }
}
