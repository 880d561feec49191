/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
/// as `torch.optim.SGD`.
///
/// ```
/// g ← ∇θ + λθ                                   (weight decay λ, an L2 term)
/// if μ ≠ 0:  b ← g at t = 1, else b ← μ b + (1 − τ) g      (dampening τ)
///            g ← g + μ b if nesterov, else g ← b
/// θ ← θ − γ g
/// ```
/// - Parameters: momentum μ 0, dampening τ 0, weight decay λ 0 and nesterov false are torch's defaults;
///   torch has no default learning rate, GradLab's 0.01 is the common starting point. Nesterov needs
///   μ > 0 and τ = 0, as in torch.
/// Reference: torch.optim.SGD documentation; Sutskever et al. (2013) for Nesterov momentum.
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public let parameters: [NamedParameter<Scalar>]
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool
    public private(set) var stepCount = 0
    private var buffers: [Tensor<Scalar>] = []

    public init(parameters: [NamedParameter<Scalar>], learningRate: Double = 0.01, momentum: Double = 0,
                dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "Nesterov momentum requires a momentum > 0 and zero dampening, got \(momentum), \(dampening)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public var name: String { momentum == 0 ? "sgd" : nesterov ? "nesterov" : "momentum" }

    public func step() { apply(measuring: nil) }

    public func step(measuringInto updates: inout [AppliedUpdate]) {
        measuring(&updates, count: parameters.count) { apply(measuring: $0) }
    }

    /// The constants of the step being taken, read by `update`.
    private var current = (lr: Scalar(0), lambda: Scalar(0), mu: Scalar(0), keep: Scalar(0), first: false)
    private lazy var sweep = ParameterSweep(parameters) { [unowned self] in self.update($0, measuring: $1) }

    private func apply(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        stepCount += 1
        if momentum != 0 && buffers.isEmpty { buffers = zeroState(like: parameters) }
        current = (Scalar(learningRate), Scalar(weightDecay), Scalar(momentum), Scalar(1 - dampening), stepCount == 1)
        sweep(measuring: measured)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func update(_ index: Int, measuring into: UnsafeMutablePointer<AppliedUpdate>?) {
        let (lr, lambda, mu, keep, first) = current
        let named = parameters[index]
        let theta = named.parameter.value.base, grad = named.parameter.gradient.base
        let n = named.parameter.value.count
        if momentum == 0 {
            applyUpdate(theta, count: n, measuring: into) { i in theta[i] - lr * (grad[i] + lambda * theta[i]) }
            return
        }
        let b = buffers[index].base
        applyUpdate(theta, count: n, measuring: into) { i in
            let g = grad[i] + lambda * theta[i]
            b[i] = first ? g : mu * b[i] + keep * g
            return theta[i] - lr * (nesterov ? g + mu * b[i] : b[i])
        }
    }
}
