/// How long and how to train.
public struct TrainingOptions: Sendable {
    public enum Budget: Sendable, Equatable {
        case steps(Int)
        case epochs(Int)
    }

    public var budget: Budget
    public var batchSize: Int
    public var dropsLastPartialBatch: Bool
    /// The base learning rate γ₀ that `schedule` scales; it replaces the optimizer's own at every step.
    public var learningRate: Double
    public var schedule: LearningRateSchedule
    public var clipping: GradientClipping
    /// Evaluate every N steps (and after the last step); nil evaluates only after the last step.
    public var evaluationInterval: Int?
    /// Stop with status `diverged` when the loss or the gradient norm is NaN or ±∞ (before applying that
    /// step's update).
    public var stopsOnNonFiniteLoss: Bool
    /// Seeds the order of the batches.
    public var seed: UInt64

    /// - Parameters: batch 32 and reshuffling every epoch are the usual starting point (torch's DataLoader
    ///   defaults to batch 1, which is rarely what anyone trains with).
    public init(budget: Budget, batchSize: Int = 32, dropsLastPartialBatch: Bool = false, learningRate: Double,
                schedule: LearningRateSchedule = .constant, clipping: GradientClipping = .none,
                evaluationInterval: Int? = nil, stopsOnNonFiniteLoss: Bool = true, seed: UInt64 = 0) {
        self.budget = budget
        self.batchSize = batchSize
        self.dropsLastPartialBatch = dropsLastPartialBatch
        self.learningRate = learningRate
        self.schedule = schedule
        self.clipping = clipping
        self.evaluationInterval = evaluationInterval
        self.stopsOnNonFiniteLoss = stopsOnNonFiniteLoss
        self.seed = seed
    }
}

/// The training loop: mini-batches, forward, loss, backward, clipping, an optimizer step, evaluation,
/// and events for observers.
///
/// ```
/// for step in 1...budget:
///     x, t ← next batch;  zero gradients;  L ← loss(model(x), t);  backward
///     observers see layer outputs and gradients (if asked);  clip;  γ ← schedule(step − 1);  optimizer step
///     observers see the record (and the applied updates, if asked);  evaluate every N steps
/// ```
public final class Trainer<Scalar: TensorScalar> {
    public let model: Sequential<Scalar>
    public let loss: any Loss<Scalar>
    public let optimizer: any Optimizer<Scalar>
    public let trainingData: Dataset<Scalar>
    public let validationData: Dataset<Scalar>?
    public let options: TrainingOptions
    public var observers: [any TrainingObserver<Scalar>] = []

    private var sampler: BatchSampler<Scalar>
    private var stopRequest: TrainingStatus?
    private var details: StepDetails<Scalar>?
    private var tracer: StepTracer<Scalar>?

    public init(model: Sequential<Scalar>, loss: any Loss<Scalar>, optimizer: any Optimizer<Scalar>,
                trainingData: Dataset<Scalar>, validationData: Dataset<Scalar>? = nil, options: TrainingOptions) {
        precondition(options.batchSize > 0, "batch size must be positive, got \(options.batchSize)")
        let outputShape = model.checkedOutputShape(forInputShape: trainingData.exampleShape)
        precondition(outputShape == [trainingData.outputs],
                     "the model's per-example output \(outputShape) does not match the data's \(trainingData.outputs) targets")
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.trainingData = trainingData
        self.validationData = validationData
        self.options = options
        self.sampler = BatchSampler(dataset: trainingData, batchSize: options.batchSize,
                                    dropsLastPartialBatch: options.dropsLastPartialBatch, seed: options.seed)
    }

    /// The number of optimizer steps the budget allows.
    public var totalSteps: Int {
        switch options.budget {
        case .steps(let steps): steps
        case .epochs(let epochs): epochs * sampler.batchesPerEpoch
        }
    }

    /// Asks the run to stop after the current step with the given status (default `interrupted`).
    public func requestStop(_ status: TrainingStatus = .interrupted) {
        stopRequest = status
    }

    /// Trains until the budget is spent, the loss diverges, or a stop is requested.
    @discardableResult
    public func run() -> TrainingSummary {
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        for observer in observers { observer.trainingWillBegin(self) }
        var status = TrainingStatus.completed
        var completed = 0
        var lastLoss: Double?
        var lastEvaluation: EvaluationRecord?
        var evaluatedAtLastStep = false

        for step in 1...max(totalSteps, 1) where totalSteps > 0 {
            let batch = sampler.next()
            let epoch = sampler.epoch
            for observer in observers { observer.stepWillBegin(step) }
            let detailed = observers.filter { $0.wantsDetails(atStep: step) }
            model.zeroGradients()
            let value: Double
            if detailed.isEmpty {
                value = Double(loss.forward(model.forward(batch.inputs, mode: .training), batch.target))
                _ = model.backward(loss.backward())
            } else {
                value = detailedPass(step: step, batch: batch)
                for observer in detailed { observer.stepDidComputeGradients(details!) }
            }
            lastLoss = value
            evaluatedAtLastStep = false
            let norm = GradientClipping.globalNorm(model.parameters)
            if options.stopsOnNonFiniteLoss && !(value.isFinite && norm.isFinite) {
                // The weights are still those the step started from: if no observer looked at this step,
                // replay it layer by layer so that observers can trace where the non-finite value arose.
                var watchers = detailed
                if detailed.isEmpty && !observers.isEmpty {
                    model.zeroGradients()
                    _ = detailedPass(step: step, batch: batch)
                    watchers = observers
                    for observer in observers { observer.stepDidComputeGradients(details!) }
                }
                let record = StepRecord(step: step, epoch: epoch, loss: value, learningRate: optimizer.learningRate,
                                        gradientNorm: norm, clipped: false, seconds: elapsed(), updated: false)
                for observer in observers {
                    observer.stepDidFinish(record, details: watchers.contains { $0 === observer } ? details : nil)
                }
                status = .diverged
                break
            }
            let (_, clipped) = options.clipping.apply(to: model.parameters, norm: norm)
            optimizer.learningRate = options.schedule.learningRate(base: options.learningRate, step: step - 1)
            if detailed.isEmpty {
                optimizer.step()
            } else {
                steppingWithUpdates()
            }
            completed = step
            let record = StepRecord(step: step, epoch: epoch, loss: value, learningRate: optimizer.learningRate,
                                    gradientNorm: norm, clipped: clipped, seconds: elapsed(), updated: true)
            for observer in observers {
                observer.stepDidFinish(record, details: detailed.contains { $0 === observer } ? details : nil)
            }
            if let interval = options.evaluationInterval, step % interval == 0 {
                lastEvaluation = evaluate(step: step)
                evaluatedAtLastStep = true
            }
            if let request = stopRequest ?? observers.lazy.compactMap({ $0.requestedStop() }).first {
                status = request
                break
            }
        }
        if !evaluatedAtLastStep && completed > 0 && status != .diverged {
            lastEvaluation = evaluate(step: completed)
        }
        let summary = TrainingSummary(status: status, stepsCompleted: completed, finalLoss: lastLoss,
                                      lastEvaluation: lastEvaluation, seconds: elapsed())
        for observer in observers { observer.trainingDidEnd(summary) }
        return summary
    }

    /// Forward and backward through the traced passes, keeping every layer's output and output gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func detailedPass(step: Int, batch: (inputs: Tensor<Scalar>, target: LossTarget<Scalar>)) -> Double {
        let views: StepDetails<Scalar>
        if let details {
            views = details
            views.inputs = batch.inputs
            views.target = batch.target
        } else {
            let layers = model.namedLayers.dropFirst().map { named in
                LayerView(name: named.name, kind: named.layer.kind, layer: named.layer, output: batch.inputs,
                          outputGradient: nil,
                          parameters: named.layer.ownParameters.map {
                              NamedParameter(name: "\(named.name).\($0.name)", parameter: $0.parameter, role: $0.role)
                          },
                          isLeaf: named.layer.children.isEmpty)
            }
            views = StepDetails(inputs: batch.inputs, target: batch.target, layers: layers)
            views.forwardOrder.reserveCapacity(layers.count)
            views.backwardOrder.reserveCapacity(layers.count)
            details = views
            tracer = StepTracer(details: views)
        }
        views.step = step
        views.forwardOrder.removeAll(keepingCapacity: true)
        views.backwardOrder.removeAll(keepingCapacity: true)
        let output = model.forward(batch.inputs, mode: .training, tracer: tracer!)
        let value = Double(loss.forward(output, batch.target))
        _ = model.backward(loss.backward(), tracer: tracer!)
        views.loss = value
        return value
    }

    /// The optimizer step, with ‖Δθ‖ and ‖θ‖ of every parameter measured by the optimizer's own loop into
    /// `details.updates`: no copy of the weights.
    private func steppingWithUpdates() {
        guard let details else { return optimizer.step() }
        optimizer.step(measuringInto: &details.updates)
    }

    /// Loss and accuracy over the training and validation sets, in evaluation mode.
    public func evaluate(step: Int) -> EvaluationRecord {
        let train = measure(trainingData)
        let validation = validationData.map { measure($0) }
        let record = EvaluationRecord(step: step, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                      validationLoss: validation?.loss, validationAccuracy: validation?.accuracy)
        for observer in observers { observer.evaluationDidFinish(record) }
        return record
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func measure(_ data: Dataset<Scalar>) -> (loss: Double, accuracy: Double?) {
        var batches = BatchSampler(dataset: data, batchSize: max(options.batchSize, 256), shuffles: false, seed: 0)
        var total = 0.0, correct = 0, seen = 0
        for _ in 0..<batches.batchesPerEpoch {
            let batch = batches.next()
            let output = model.forward(batch.inputs, mode: .evaluation)
            let rows = batch.inputs.shape[0]
            total += Double(loss.forward(output, batch.target)) * Double(rows)
            if case .classes(let labels) = batch.target {
                let classes = output.shape[1]
                for r in 0..<rows {
                    var best = 0
                    for c in 1..<classes where output[r * classes + c] > output[r * classes + best] { best = c }
                    if best == labels[r] { correct += 1 }
                }
            }
            seen += rows
        }
        let isClassification = if case .classes = data.targets { true } else { false }
        return (total / Double(max(seen, 1)), isClassification ? Double(correct) / Double(max(seen, 1)) : nil)
    }
}
