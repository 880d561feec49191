/// How a training run ended.
public enum TrainingStatus: String, Sendable, Equatable {
    case completed
    /// The loss became NaN or infinite and the run stopped (`TrainingOptions.stopsOnNonFiniteLoss`).
    case diverged
    /// An observer or the caller asked the run to stop.
    case interrupted
}

/// What every step reports, whether or not anyone looks at its layers.
public struct StepRecord: Sendable, Equatable {
    /// 1 for the first optimizer step.
    public var step: Int
    /// 0 for the first pass over the training data.
    public var epoch: Int
    public var loss: Double
    /// The learning rate this step's update used.
    public var learningRate: Double
    /// The global L2 norm of all gradients before clipping.
    public var gradientNorm: Double
    public var clipped: Bool
    /// Wall-clock seconds since the run began, at the end of this step.
    public var seconds: Double
    /// False when the step was not applied (a non-finite loss stopped the run first).
    public var updated: Bool
}

/// Loss and accuracy on the training and validation sets in evaluation mode.
public struct EvaluationRecord: Sendable, Equatable {
    public var step: Int
    public var trainLoss: Double
    /// Nil for regression targets.
    public var trainAccuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
}

/// The end of a run.
public struct TrainingSummary: Sendable, Equatable {
    public var status: TrainingStatus
    public var stepsCompleted: Int
    public var finalLoss: Double?
    public var lastEvaluation: EvaluationRecord?
    public var seconds: Double
}

/// One layer of the model's tree during one step: its output and the gradient of the loss with respect
/// to it, and its own parameters (whose `gradient`s hold this step's gradients when
/// `stepDidComputeGradients` runs).
///
/// The tensors are the layers' own buffers: valid during the event, overwritten by the next step.
public struct LayerView<Scalar: TensorScalar> {
    /// The full torch name, as in `named_modules()` and parameter names: `"3"` for `3.weight`, `"3.1"`
    /// for the second layer of a residual block at position 3.
    public var name: String
    /// The torch module class name: `Linear`, `Tanh`, ...
    public var kind: String
    public var layer: any Layer<Scalar>
    public var output: Tensor<Scalar>
    /// ∂L/∂output; set once the backward pass has reached the layer.
    public var outputGradient: Tensor<Scalar>?
    /// The parameters the layer holds itself (none for a container), with full model names (`3.0.weight`).
    public var parameters: [NamedParameter<Scalar>]
    /// Whether the layer has no children: the layers whose outputs are not another layer's output as well.
    public var isLeaf: Bool
}

/// The layer-by-layer view of one step, given to observers that asked for it.
public final class StepDetails<Scalar: TensorScalar> {
    public internal(set) var step = 0
    public internal(set) var loss = 0.0
    /// The batch the step trained on.
    public internal(set) var inputs: Tensor<Scalar>
    public internal(set) var target: LossTarget<Scalar>
    /// Every layer of the model but the model itself, in `named_modules()` order (parents first).
    public internal(set) var layers: [LayerView<Scalar>]
    /// Positions in `layers` in the order their forward passes finished (children before their container).
    public internal(set) var forwardOrder: [Int] = []
    /// Positions in `layers` in the order their backward passes began (containers before their children).
    public internal(set) var backwardOrder: [Int] = []
    /// The norms of Δθ actually applied by the optimizer (after clipping, momentum, weight decay) and of
    /// θ after it, parallel to `Trainer.model.parameters`; filled before `stepDidFinish` of a step that
    /// updated the weights (a diverged step's are those of the step before, or empty).
    public internal(set) var updates: [AppliedUpdate] = []

    init(inputs: Tensor<Scalar>, target: LossTarget<Scalar>, layers: [LayerView<Scalar>]) {
        self.inputs = inputs
        self.target = target
        self.layers = layers
    }
}

/// Fills a `StepDetails` from a traced pass: each layer's output and output gradient, and the order.
final class StepTracer<Scalar: TensorScalar>: LayerTracer {
    unowned let details: StepDetails<Scalar>
    /// Each named layer's position in `details.layers`; layers the walk does not name are ignored.
    private let positions: [ObjectIdentifier: Int]

    init(details: StepDetails<Scalar>) {
        self.details = details
        var positions: [ObjectIdentifier: Int] = [:]
        for (position, view) in details.layers.enumerated() where positions[ObjectIdentifier(view.layer)] == nil {
            positions[ObjectIdentifier(view.layer)] = position
        }
        self.positions = positions
    }

    func layer(_ layer: any Layer<Scalar>, didProduce output: Tensor<Scalar>) {
        guard let position = positions[ObjectIdentifier(layer)] else { return }
        details.layers[position].output = output
        details.forwardOrder.append(position)
    }

    func layer(_ layer: any Layer<Scalar>, willBackward outputGradient: Tensor<Scalar>) {
        guard let position = positions[ObjectIdentifier(layer)] else { return }
        details.layers[position].outputGradient = outputGradient
        details.backwardOrder.append(position)
    }
}

/// Watches a training run. The trainer calls, in order: `trainingWillBegin`; for every step
/// `stepWillBegin` (before its forward pass), `stepDidComputeGradients` (only when `wantsDetails(atStep:)`
/// said yes), then `stepDidFinish`; `evaluationDidFinish` after each evaluation; `trainingDidEnd` last.
///
/// With no observer attached, or none wanting details, the trainer runs the plain fast path: no
/// per-layer bookkeeping, no copies of the weights.
public protocol TrainingObserver<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    func trainingWillBegin(_ trainer: Trainer<Scalar>)
    /// Before step `step`'s forward pass: the moment to switch what layers trace for it (a recurrent
    /// layer's `TimeTracing.isTracingTime`).
    func stepWillBegin(_ step: Int)
    /// Whether this observer wants the layer-by-layer view (`StepDetails`) of step `step`.
    func wantsDetails(atStep step: Int) -> Bool
    /// After the backward pass, before clipping and the optimizer step.
    func stepDidComputeGradients(_ details: StepDetails<Scalar>)
    /// After the optimizer step; `details` (with `updates` filled) when this observer asked for them.
    func stepDidFinish(_ record: StepRecord, details: StepDetails<Scalar>?)
    func evaluationDidFinish(_ record: EvaluationRecord)
    func trainingDidEnd(_ summary: TrainingSummary)
    /// Asked after every step: a non-nil status stops the run with it.
    func requestedStop() -> TrainingStatus?
}

extension TrainingObserver {
    public func trainingWillBegin(_ trainer: Trainer<Scalar>) {}
    public func stepWillBegin(_ step: Int) {}
    public func wantsDetails(atStep step: Int) -> Bool { false }
    public func stepDidComputeGradients(_ details: StepDetails<Scalar>) {}
    public func stepDidFinish(_ record: StepRecord, details: StepDetails<Scalar>?) {}
    public func evaluationDidFinish(_ record: EvaluationRecord) {}
    public func trainingDidEnd(_ summary: TrainingSummary) {}
    public func requestedStop() -> TrainingStatus? { nil }
}
