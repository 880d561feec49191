/// Adagrad, as `torch.optim.Adagrad`: per-coordinate steps scaled by the root of the summed squared
/// gradients.
///
/// ```
/// γ̃ ← γ / (1 + (t − 1) η)          (learning-rate decay η)
/// g ← ∇θ + λθ
/// s ← s + g²                        (s starts at the initial accumulator value)
/// θ ← θ − γ̃ g / (√s + ε)
/// ```
/// - Parameters: torch's defaults: γ 0.01, η 0, λ 0, initial accumulator 0, ε 1e−10.
/// Reference: torch.optim.Adagrad documentation; Duchi, Hazan & Singer (2011).
public final class Adagrad<Scalar: TensorScalar>: Optimizer {
    public let parameters: [NamedParameter<Scalar>]
    public var learningRate: Double
    public let learningRateDecay: Double
    public let weightDecay: Double
    public let initialAccumulatorValue: Double
    public let epsilon: Double
    public private(set) var stepCount = 0
    private var sums: [Tensor<Scalar>] = []

    public init(parameters: [NamedParameter<Scalar>], learningRate: Double = 0.01, learningRateDecay: Double = 0,
                weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public var name: String { "adagrad" }

    public func step() { apply(measuring: nil) }

    public func step(measuringInto updates: inout [AppliedUpdate]) {
        measuring(&updates, count: parameters.count) { apply(measuring: $0) }
    }

    /// The constants of the step being taken, read by `update`.
    private var current = (lr: Scalar(0), lambda: Scalar(0), eps: Scalar(0))
    private lazy var sweep = ParameterSweep(parameters) { [unowned self] in self.update($0, measuring: $1) }

    private func apply(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        stepCount += 1
        if sums.isEmpty {
            sums = zeroState(like: parameters)
            for s in sums { s.fill(Scalar(initialAccumulatorValue)) }
        }
        current = (Scalar(learningRate / (1 + Double(stepCount - 1) * learningRateDecay)), Scalar(weightDecay),
                   Scalar(epsilon))
        sweep(measuring: measured)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func update(_ index: Int, measuring into: UnsafeMutablePointer<AppliedUpdate>?) {
        let (lr, lambda, eps) = current
        let named = parameters[index]
        let theta = named.parameter.value.base, grad = named.parameter.gradient.base
        let s = sums[index].base
        applyUpdate(theta, count: named.parameter.value.count, measuring: into) { i in
            let g = grad[i] + lambda * theta[i]
            s[i] += g * g
            return theta[i] - lr * g / (s[i].squareRoot() + eps)
        }
    }
}
