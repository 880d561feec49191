/// Updates parameters from their gradients: one `step()` after every backward pass.
///
/// Each optimizer follows the update rule and the default hyper-parameters of its `torch.optim`
/// counterpart as that documentation states the algorithm, with the step count t starting at 1.
/// State (momentum, moment estimates) is kept per parameter in the parameter's precision and allocated
/// at the first step.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The command-line name: `sgd`, `adam`, ...
    var name: String { get }
    /// γ, read at every step, so a schedule may change it between steps.
    var learningRate: Double { get set }
    /// The parameters it updates, in `state_dict` order.
    var parameters: [NamedParameter<Scalar>] { get }
    /// Steps taken so far.
    var stepCount: Int { get }
    /// Applies one update to every parameter from its current gradient.
    func step()
    /// The same step, which also writes what it did to each parameter (in `parameters` order) into
    /// `updates`, resized to the parameter count if it is not: ‖Δθ‖ and ‖θ‖ after, from the loop that
    /// applies the update, so that a recorder need not copy the weights. The weights it leaves are
    /// bit-identical to `step()`'s.
    func step(measuringInto updates: inout [AppliedUpdate])
}

/// Zero tensors shaped like each parameter: an optimizer's per-parameter state.
func zeroState<Scalar>(like parameters: [NamedParameter<Scalar>]) -> [Tensor<Scalar>] {
    parameters.map { Tensor(shape: $0.parameter.value.shape) }
}

/// The optimizers by command-line name, with torch's defaults and the given learning rate.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw, lion

    /// torch's default learning rate for the algorithm (SGD has none in torch; GradLab uses 0.01).
    public var defaultLearningRate: Double {
        switch self {
        case .sgd, .momentum, .nesterov, .rmsprop, .adagrad: 0.01
        case .adam, .adamw: 0.001
        case .lion: 0.0001
        }
    }

    /// A fresh optimizer over `parameters`. `momentum` and `nesterov` are SGD with momentum 0.9
    /// (without and with Nesterov's correction); `weightDecay` nil keeps the algorithm's default.
    public func make<Scalar: TensorScalar>(
        parameters: [NamedParameter<Scalar>], learningRate: Double? = nil, weightDecay: Double? = nil
    ) -> any Optimizer<Scalar> {
        let lr = learningRate ?? defaultLearningRate
        switch self {
        case .sgd: return SGD(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0)
        case .momentum:
            return SGD(parameters: parameters, learningRate: lr, momentum: 0.9, weightDecay: weightDecay ?? 0)
        case .nesterov:
            return SGD(parameters: parameters, learningRate: lr, momentum: 0.9, weightDecay: weightDecay ?? 0,
                       nesterov: true)
        case .rmsprop: return RMSprop(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0)
        case .adagrad: return Adagrad(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0)
        case .adam: return Adam(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0)
        case .adamw: return Adam.adamW(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0.01)
        case .lion: return Lion(parameters: parameters, learningRate: lr, weightDecay: weightDecay ?? 0)
        }
    }
}

/// An optimizer step's loop over its parameters, split over the product threads (`ParallelParts`) in
/// contiguous runs of parameters of about the same number of elements each. Every optimizer's update of one
/// parameter reads and writes that parameter and its own state only, and runs whole on one thread in the
/// same order as unsplit, so a split step leaves the same bits. The optimizer keeps one sweep; its body,
/// made once, calls back into the optimizer (the step's constants are the optimizer's stored properties),
/// so a step allocates nothing.
final class ParameterSweep: ParallelTask {
    /// Updates parameter `index`, writing what it did into the pointer when measuring.
    typealias Body = (_ index: Int, _ measured: UnsafeMutablePointer<AppliedUpdate>?) -> Void

    private let body: Body
    /// Running totals of the parameters' element counts: 0, then one per parameter.
    private let cumulative: [Int]
    private var measured: UnsafeMutablePointer<AppliedUpdate>?

    init<Scalar>(_ parameters: [NamedParameter<Scalar>], body: @escaping Body) {
        var totals = [0]
        for named in parameters { totals.append(totals[totals.count - 1] + named.parameter.value.count) }
        cumulative = totals
        self.body = body
    }

    /// Updates every parameter, writing into `measured[index]` for each when given.
    func callAsFunction(measuring measured: UnsafeMutablePointer<AppliedUpdate>?) {
        self.measured = measured
        cumulative.withUnsafeBufferPointer { ParallelParts.forEachRange(weighted: $0, self) }
        self.measured = nil
    }

    func run(_ range: Range<Int>) {
        for index in range { body(index, measured.map { $0 + index }) }
    }
}
