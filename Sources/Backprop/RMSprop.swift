/// RMSprop, as `torch.optim.RMSprop`: divide the gradient by a running root mean square.
///
/// ```
/// g ← ∇θ + λθ
/// v ← α v + (1 − α) g²
/// ṽ ← v − ḡ², with ḡ ← α ḡ + (1 − α) g, if centered; else ṽ ← v
/// if μ > 0:  b ← μ b + g / (√ṽ + ε);  θ ← θ − γ b
/// else       θ ← θ − γ g / (√ṽ + ε)
/// ```
/// - Parameters: torch's defaults: γ 0.01, α 0.99, ε 1e−8, λ 0, μ 0, centered false. ε is added outside
///   the square root, as torch does.
/// Reference: torch.optim.RMSprop documentation; Tieleman & Hinton (2012), lecture 6.5; Graves (2013)
/// for the centered variant.
public final class RMSprop<Scalar: TensorScalar>: Optimizer {
    public let parameters: [NamedParameter<Scalar>]
    public var learningRate: Double
    public let alpha: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let momentum: Double
    public let centered: Bool
    public private(set) var stepCount = 0
    private var squareAverages: [Tensor<Scalar>] = []
    private var gradientAverages: [Tensor<Scalar>] = []
    private var momentumBuffers: [Tensor<Scalar>] = []

    public init(parameters: [NamedParameter<Scalar>], learningRate: Double = 0.01, alpha: Double = 0.99,
                epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public var name: String { "rmsprop" }

    public func step() { apply(measuring: nil) }

    public func step(measuringInto updates: inout [AppliedUpdate]) {
        measuring(&updates, count: parameters.count) { apply(measuring: $0) }
    }

    /// The constants of the step being taken, read by `update`.
    private var current = (lr: Scalar(0), a: Scalar(0), oneMinusA: Scalar(0), eps: Scalar(0), lambda: Scalar(0),
                           mu: Scalar(0))
    private lazy var sweep = ParameterSweep(parameters) { [unowned self] in self.update($0, measuring: $1) }

    private func apply(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        stepCount += 1
        if squareAverages.isEmpty {
            squareAverages = zeroState(like: parameters)
            if centered { gradientAverages = zeroState(like: parameters) }
            if momentum > 0 { momentumBuffers = zeroState(like: parameters) }
        }
        current = (Scalar(learningRate), Scalar(alpha), Scalar(1 - alpha), Scalar(epsilon), Scalar(weightDecay),
                   Scalar(momentum))
        sweep(measuring: measured)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func update(_ index: Int, measuring into: UnsafeMutablePointer<AppliedUpdate>?) {
        let (lr, a, oneMinusA, eps, lambda, mu) = current
        let named = parameters[index]
        let theta = named.parameter.value.base, grad = named.parameter.gradient.base
        let v = squareAverages[index].base
        let gbar = centered ? gradientAverages[index].base : nil
        let b = momentum > 0 ? momentumBuffers[index].base : nil
        applyUpdate(theta, count: named.parameter.value.count, measuring: into) { i in
            let g = grad[i] + lambda * theta[i]
            v[i] = a * v[i] + oneMinusA * g * g
            var denominator = v[i]
            if let gbar {
                gbar[i] = a * gbar[i] + oneMinusA * g
                denominator -= gbar[i] * gbar[i]
            }
            let direction = g / (denominator.squareRoot() + eps)
            guard let b else { return theta[i] - lr * direction }
            b[i] = mu * b[i] + direction
            return theta[i] - lr * b[i]
        }
    }
}
