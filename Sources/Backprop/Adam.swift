/// Adam and AdamW, as `torch.optim.Adam` and `torch.optim.AdamW`.
///
/// ```
/// Adam:   g ← ∇θ + λθ                       (L2 weight decay inside the gradient)
/// AdamW:  θ ← θ − γλθ;  g ← ∇θ               (decoupled weight decay)
/// m ← β₁ m + (1 − β₁) g
/// v ← β₂ v + (1 − β₂) g²
/// v_max ← max(v_max, v) if amsgrad, and v̂ uses v_max in place of v
/// m̂ ← m / (1 − β₁ᵗ),   v̂ ← v / (1 − β₂ᵗ)
/// θ ← θ − γ m̂ / (√v̂ + ε)
/// ```
/// - Parameters: torch's defaults: γ 0.001, β (0.9, 0.999), ε 1e−8, amsgrad false; λ 0 for Adam and
///   0.01 for AdamW.
/// Reference: torch.optim.Adam and torch.optim.AdamW documentation; Kingma & Ba (2015); Loshchilov &
/// Hutter (2019) for decoupled weight decay; Reddi, Kale & Kumar (2018) for AMSGrad.
public final class Adam<Scalar: TensorScalar>: Optimizer {
    public let parameters: [NamedParameter<Scalar>]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// AdamW's decoupled weight decay instead of Adam's L2 term.
    public let decouplesWeightDecay: Bool
    public let amsgrad: Bool
    public private(set) var stepCount = 0
    private var firstMoments: [Tensor<Scalar>] = []
    private var secondMoments: [Tensor<Scalar>] = []
    private var maxSecondMoments: [Tensor<Scalar>] = []

    public init(parameters: [NamedParameter<Scalar>], learningRate: Double = 0.001, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                decouplesWeightDecay: Bool = false, amsgrad: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decouplesWeightDecay = decouplesWeightDecay
        self.amsgrad = amsgrad
    }

    /// AdamW: Adam with decoupled weight decay, torch's default λ = 0.01.
    public static func adamW(parameters: [NamedParameter<Scalar>], learningRate: Double = 0.001,
                             beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                             weightDecay: Double = 0.01, amsgrad: Bool = false) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decouplesWeightDecay: true, amsgrad: amsgrad)
    }

    public var name: String { decouplesWeightDecay ? "adamw" : "adam" }

    public func step() { apply(measuring: nil) }

    public func step(measuringInto updates: inout [AppliedUpdate]) {
        measuring(&updates, count: parameters.count) { apply(measuring: $0) }
    }

    /// The constants of the step being taken, read by `update`.
    private var current = (b1: Scalar(0), b2: Scalar(0), oneMinusB1: Scalar(0), oneMinusB2: Scalar(0),
                           correction1: Scalar(0), correction2: Scalar(0), lr: Scalar(0), eps: Scalar(0),
                           l2: Scalar(0), shrink: Scalar(0))
    private lazy var sweep = ParameterSweep(parameters) { [unowned self] in self.update($0, measuring: $1) }

    private func apply(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        stepCount += 1
        if firstMoments.isEmpty {
            firstMoments = zeroState(like: parameters)
            secondMoments = zeroState(like: parameters)
            if amsgrad { maxSecondMoments = zeroState(like: parameters) }
        }
        let t = Double(stepCount)
        current = (Scalar(beta1), Scalar(beta2), Scalar(1 - beta1), Scalar(1 - beta2),
                   Scalar(1 - Double.pow(beta1, t)), Scalar(1 - Double.pow(beta2, t)), Scalar(learningRate),
                   Scalar(epsilon), decouplesWeightDecay ? 0 : Scalar(weightDecay),
                   decouplesWeightDecay ? 1 - Scalar(learningRate * weightDecay) : 1)
        sweep(measuring: measured)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func update(_ index: Int, measuring into: UnsafeMutablePointer<AppliedUpdate>?) {
        let (b1, b2, oneMinusB1, oneMinusB2, correction1, correction2, lr, eps, l2, shrink) = current
        let named = parameters[index]
        let theta = named.parameter.value.base, grad = named.parameter.gradient.base
        let m = firstMoments[index].base, v = secondMoments[index].base
        let vMax = amsgrad ? maxSecondMoments[index].base : nil
        applyUpdate(theta, count: named.parameter.value.count, measuring: into) { i in
            let g = grad[i] + l2 * theta[i]
            let decayed = theta[i] * shrink
            m[i] = b1 * m[i] + oneMinusB1 * g
            v[i] = b2 * v[i] + oneMinusB2 * g * g
            var second = v[i]
            if let vMax {
                vMax[i] = Swift.max(vMax[i], v[i])
                second = vMax[i]
            }
            return decayed - lr * (m[i] / correction1) / ((second / correction2).squareRoot() + eps)
        }
    }
}
