/// Lion (EvoLved Sign Momentum): the sign of an interpolated momentum as the step.
///
/// ```
/// c ← β₁ m + (1 − β₁) g
/// θ ← θ − γ (sign(c) + λθ)            (decoupled weight decay λ)
/// m ← β₂ m + (1 − β₂) g
/// ```
/// Every coordinate moves by exactly γ (plus decay), so Lion wants a learning rate 3–10× smaller than
/// AdamW's; the authors' defaults are γ 1e−4, β (0.9, 0.99), λ 0. sign(0) = 0.
/// Reference: Chen et al. (2023), *Symbolic Discovery of Optimization Algorithms*, Algorithm 2.
public final class Lion<Scalar: TensorScalar>: Optimizer {
    public let parameters: [NamedParameter<Scalar>]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let weightDecay: Double
    public private(set) var stepCount = 0
    private var momenta: [Tensor<Scalar>] = []

    public init(parameters: [NamedParameter<Scalar>], learningRate: Double = 1e-4, beta1: Double = 0.9,
                beta2: Double = 0.99, weightDecay: Double = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.weightDecay = weightDecay
    }

    public var name: String { "lion" }

    public func step() { apply(measuring: nil) }

    public func step(measuringInto updates: inout [AppliedUpdate]) {
        measuring(&updates, count: parameters.count) { apply(measuring: $0) }
    }

    /// The constants of the step being taken, read by `update`.
    private var current = (lr: Scalar(0), lambda: Scalar(0), b1: Scalar(0), b2: Scalar(0))
    private lazy var sweep = ParameterSweep(parameters) { [unowned self] in self.update($0, measuring: $1) }

    private func apply(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        stepCount += 1
        if momenta.isEmpty { momenta = zeroState(like: parameters) }
        current = (Scalar(learningRate), Scalar(weightDecay), Scalar(beta1), Scalar(beta2))
        sweep(measuring: measured)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func update(_ index: Int, measuring into: UnsafeMutablePointer<AppliedUpdate>?) {
        let (lr, lambda, b1, b2) = current
        let named = parameters[index]
        let theta = named.parameter.value.base, grad = named.parameter.gradient.base
        let m = momenta[index].base
        applyUpdate(theta, count: named.parameter.value.count, measuring: into) { i in
            let g = grad[i]
            let c = b1 * m[i] + (1 - b1) * g
            let sign: Scalar = c > 0 ? 1 : (c < 0 ? -1 : 0)
            m[i] = b2 * m[i] + (1 - b2) * g
            return theta[i] - lr * (sign + lambda * theta[i])
        }
    }
}
