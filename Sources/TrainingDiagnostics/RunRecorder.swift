import Backprop
import Foundation
import RunFormat

/// How often the recorder writes what.
public struct RecordingOptions: Sendable {
    /// gradients.csv and activations.csv every this many steps (steps.csv gets every step).
    public var recordEvery: Int
    /// histograms.csv every this many steps; 0 for never.
    public var histogramsEvery: Int
    /// The longest time rows wait in memory before reaching the file.
    public var flushInterval: Duration
    public var thresholds: DetectorThresholds

    /// - Parameters: every step, histograms every 100 steps (enough for the Glorot & Bengio view without
    ///   large files), flushing at least twice a second so that a kill loses under a second of rows.
    public init(recordEvery: Int = 1, histogramsEvery: Int = 100, flushInterval: Duration = .milliseconds(500),
                thresholds: DetectorThresholds = DetectorThresholds()) {
        precondition(recordEvery > 0, "recordEvery must be positive, got \(recordEvery)")
        precondition(histogramsEvery >= 0, "histogramsEvery must be ≥ 0, got \(histogramsEvery)")
        self.recordEvery = recordEvery
        self.histogramsEvery = histogramsEvery
        self.flushInterval = flushInterval
        self.thresholds = thresholds
    }
}

/// What a run is, for run.json: everything except what the recorder learns from the trainer.
public struct RunDescription: Sendable {
    public var name: String
    public var seed: UInt64
    public var config: [String: String]
    public var modelDescription: String
    public var dataset: RunManifest.DatasetInfo
    public var optimizer: [String: String]
    public init(name: String, seed: UInt64, config: [String: String], modelDescription: String,
                dataset: RunManifest.DatasetInfo, optimizer: [String: String]) {
        self.name = name
        self.seed = seed
        self.config = config
        self.modelDescription = modelDescription
        self.dataset = dataset
        self.optimizer = optimizer
    }
}

/// Streams a training run into a run folder (ARCHITECTURE.md, format version 1): steps.csv every step;
/// gradients.csv and activations.csv every `recordEvery` steps; timesteps.csv on the same steps for a
/// model with recurrent layers (their `TimeTracing` is on for those steps only, so the others pay
/// nothing); histograms.csv every `histogramsEvery`;
/// findings.csv as the detectors fire, and each finding again when its condition clears (its `last_step`
/// set; readers keep the last row of a finding, `FindingRow.spans`); run.json with the status, rewritten atomically when it changes.
///
/// Rows are flushed at least every `flushInterval` and at every finding, so a run killed at any moment
/// keeps what was flushed. The first non-finite value is traced to its layer, pass and tensor and written
/// before anything else.
public final class RunRecorder<Scalar: TensorScalar>: TrainingObserver {
    public let folder: URL
    public let options: RecordingOptions
    public private(set) var manifest: RunManifest
    public private(set) var nonFiniteOrigin: NonFiniteOrigin?
    /// Called for every finding row as it is written: when raised (open) and when it closes (`lastStep`
    /// set). The CLI prints them.
    public var onFinding: ((FindingRow) -> Void)?
    /// The first error writing the folder; the run stops when one occurs.
    public private(set) var writeError: Error?

    private let steps: CSVTableWriter<StepRow>
    private let gradients: CSVTableWriter<GradientRow>
    private let activations: CSVTableWriter<ActivationRow>
    private let histograms: CSVTableWriter<HistogramRow>
    private let findings: CSVTableWriter<FindingRow>
    /// timesteps.csv, created when training begins if the model has a layer with `timeTracing`.
    private var timeSteps: CSVTableWriter<TimeStepRow>?
    /// Every layer of the tree that traces time steps, with its full torch name, in model order.
    private var timeTracers: [(name: String, tracing: any TimeTracing)] = []
    /// The traces of the step being recorded, taken after its backward pass.
    private var pendingTimeLayers: [RecordedStep.TimeLayer] = []
    /// gradcheck.csv, created with the first check's rows.
    private var gradchecks: CSVTableWriter<GradcheckRow>?
    /// The last step whose row has been handed to steps.csv's writer.
    private var writtenSteps = 0
    /// Check rows waiting for their step's row of steps.csv to be written.
    private var pendingGradchecks: [GradcheckRow] = []
    private var detectors: Detectors
    private let stopFlag = StopFlag()
    private let clock = ContinuousClock()
    private var lastFlush: ContinuousClock.Instant

    private var pendingStep: StepRow?
    private var parameterIndex: [String: Int] = [:]
    private var parameterValues: [Tensor<Scalar>] = []
    private var pendingGradients: [(name: String, layer: String, statistics: TensorStatistics)] = []
    private var lastWeightNorms: [String: Double] = [:]
    private var weightNames: [String] = []

    /// Creates the folder's files; the folder must exist and must not hold a run already.
    public init(folder: URL, description: RunDescription, options: RecordingOptions = RecordingOptions()) throws {
        self.folder = folder
        self.options = options
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("run.json").path) {
            throw RunFolderError.exists(path: folder.path)
        }
        steps = try CSVTableWriter(url: folder.appendingPathComponent("steps.csv"))
        gradients = try CSVTableWriter(url: folder.appendingPathComponent("gradients.csv"))
        activations = try CSVTableWriter(url: folder.appendingPathComponent("activations.csv"))
        histograms = try CSVTableWriter(url: folder.appendingPathComponent("histograms.csv"))
        findings = try CSVTableWriter(url: folder.appendingPathComponent("findings.csv"))
        detectors = Detectors(thresholds: options.thresholds)
        lastFlush = clock.now
        let formatter = ISO8601DateFormatter()
        manifest = RunManifest(
            name: description.name, created: formatter.string(from: Date()), status: .running, seed: description.seed,
            config: description.config, model: .init(description: description.modelDescription, layers: [], parameters: []),
            dataset: description.dataset, optimizer: description.optimizer, pid: getpid())
        try manifest.write(to: folder)
    }

    /// Asks the run to stop after the current step with status `interrupted`; safe from any thread (a
    /// signal handler's queue).
    public func requestStop() { stopFlag.set() }

    /// `requestStop` as a closure that holds only the thread-safe flag, for a signal handler.
    public var stopHandle: @Sendable () -> Void {
        let flag = stopFlag
        return { flag.set() }
    }

    public func requestedStop() -> TrainingStatus? {
        stopFlag.isSet || writeError != nil ? .interrupted : nil
    }

    public func trainingWillBegin(_ trainer: Trainer<Scalar>) {
        // The per-example shape the data gives (`[features]`, or `[C, H, W]` for images), walked through
        // each layer's `outputShape`; a feature count is a channel count for `[C, H, W]`.
        var shape = trainer.trainingData.exampleShape
        func features(_ shape: [Int]) -> Int { shape.count == 3 ? shape[0] : shape.last ?? 1 }
        var layers: [RunManifest.Layer] = []
        for child in trainer.model.children {
            let output = child.layer.checkedOutputShape(forInputShape: shape)
            layers.append(.init(name: child.name, kind: child.layer.kind, inputFeatures: features(shape),
                                outputFeatures: features(output)))
            shape = output
        }
        let parameters = trainer.model.parameters
        let owners = owningLayers(of: trainer.model)
        manifest.model.layers = layers
        manifest.model.parameters = parameters.map {
            .init(name: $0.name, layer: owners[$0.name] ?? "", shape: $0.parameter.value.shape)
        }
        parameterIndex = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1.name, $0) })
        parameterValues = parameters.map(\.parameter.value)
        weightNames = parameters.filter { $0.role == .weight }.map(\.name)
        timeTracers = trainer.model.namedLayers.compactMap { named in named.layer.timeTracing.map { (named.name, $0) } }
        if !timeTracers.isEmpty {
            do {
                timeSteps = try CSVTableWriter(url: folder.appendingPathComponent("timesteps.csv"))
            } catch {
                if writeError == nil { writeError = error }
            }
        }
        writeManifest()
    }

    /// Turns the recurrent layers' time tracing on for a recorded step and off for any other.
    public func stepWillBegin(_ step: Int) {
        let on = isRecordStep(step)
        for tracer in timeTracers where tracer.tracing.isTracingTime != on { tracer.tracing.isTracingTime = on }
    }

    public func wantsDetails(atStep step: Int) -> Bool {
        isRecordStep(step) || isHistogramStep(step)
    }

    private func isRecordStep(_ step: Int) -> Bool {
        step % options.recordEvery == 0 || step == 1
    }

    private func isHistogramStep(_ step: Int) -> Bool {
        options.histogramsEvery > 0 && (step % options.histogramsEvery == 0 || step == 1)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func stepDidComputeGradients(_ details: StepDetails<Scalar>) {
        let step = details.step
        pendingGradients.removeAll(keepingCapacity: true)
        var anyNonFinite = !details.loss.isFinite
        let histogramStep = isHistogramStep(step)
        let recordStep = isRecordStep(step)
        var activationSummaries: [RecordedStep.ActivationLayer] = []
        let gradients = gradientStatistics(details)
        gradients.compute()
        var position = 0
        for view in details.layers {
            for named in view.parameters {
                let statistics = gradients[position]
                position += 1
                if statistics.nonfinite > 0 { anyNonFinite = true }
                if recordStep { pendingGradients.append((named.name, view.name, statistics)) }
                if histogramStep {
                    appendHistogram(step: step, layer: named.name, tensor: "gradient", bins: .magnitudes,
                                    values: named.parameter.gradient)
                }
            }
            // Activation rows for the layers that declare a nonlinearity, wherever they sit in the tree.
            guard let function = view.layer.nonlinearity else {
                continue
            }
            let statistics = ActivationStatistics(view.output, function: function)
            if statistics.nonfinite > 0 { anyNonFinite = true }
            if recordStep {
                activations.append(ActivationRow(
                    step: step, layer: view.name, mean: statistics.mean,
                    standardDeviation: statistics.standardDeviation, min: statistics.min, max: statistics.max,
                    saturatedFraction: statistics.saturatedFraction, deadFraction: statistics.deadFraction,
                    nonfinite: statistics.nonfinite))
                activationSummaries.append(.init(layer: view.name, kind: view.kind,
                                                 saturatedFraction: statistics.saturatedFraction,
                                                 deadFraction: statistics.deadFraction))
            }
            if histogramStep {
                appendHistogram(step: step, layer: view.name, tensor: "activation",
                                bins: activationBins(function), values: view.output)
            }
        }
        pendingActivations = activationSummaries
        // The traces of this step's passes; tracing goes off so that evaluation passes pay nothing for it.
        pendingTimeLayers.removeAll(keepingCapacity: true)
        if recordStep {
            for tracer in timeTracers where tracer.tracing.isTracingTime {
                pendingTimeLayers.append(.init(layer: tracer.name, traces: tracer.tracing.timeTraces))
                tracer.tracing.isTracingTime = false
            }
        }
        // The statistics above see every gradient and every activation output; a non-finite value in any of
        // them, or in the loss, starts the search through the whole step.
        if nonFiniteOrigin == nil && anyNonFinite, let origin = NonFiniteOrigin.find(in: details) {
            traceNonFinite(origin, step: step)
        }
    }

    private var pendingActivations: [RecordedStep.ActivationLayer] = []

    /// The sweep over every layer view's parameter gradients in `details`, in the order the step visits
    /// them: the kept one while the gradients are the same tensors, else a new one (the first step).
    private var gradientSweep: TensorStatisticsSweep<Scalar>?

    private func gradientStatistics(_ details: StepDetails<Scalar>) -> TensorStatisticsSweep<Scalar> {
        if let kept = gradientSweep {
            var position = 0, same = true
            for view in details.layers where same {
                for named in view.parameters {
                    guard position < kept.tensors.count, kept.tensors[position] === named.parameter.gradient else {
                        same = false
                        break
                    }
                    position += 1
                }
            }
            if same && position == kept.tensors.count { return kept }
        }
        let sweep = TensorStatisticsSweep(details.layers.flatMap { $0.parameters.map(\.parameter.gradient) })
        gradientSweep = sweep
        return sweep
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func stepDidFinish(_ record: StepRecord, details: StepDetails<Scalar>?) {
        if let pendingStep {
            steps.append(pendingStep)
            writtenSteps = pendingStep.step
            appendGradchecks(upTo: pendingStep.step)
        }
        pendingStep = StepRow(step: record.step, epoch: record.epoch, loss: record.loss,
                              learningRate: record.learningRate, gradientNorm: record.gradientNorm,
                              clipped: record.clipped, seconds: record.seconds)
        manifest.stepsCompleted = record.updated ? record.step : record.step - 1
        var newFindings: [FindingRow] = []
        if let details, !pendingGradients.isEmpty {
            var weights: [RecordedStep.WeightGradient] = []
            for (name, layer, g) in pendingGradients {
                guard let index = parameterIndex[name] else { continue }
                // The optimizer measured both norms as it applied the step; a step it did not apply (a
                // non-finite one) left the weights as they were.
                let applied = record.updated && index < details.updates.count ? details.updates[index] : nil
                let weightNorm = applied?.weightNorm ?? parameterValues[index].withUnsafeBufferPointer { l2Norm($0) }
                let updateNorm = applied?.updateNorm ?? 0
                let ratio = weightNorm > 0 ? updateNorm / weightNorm : (updateNorm == 0 ? 0 : .infinity)
                gradients.append(GradientRow(
                    step: record.step, parameter: name, layer: layer, norm: g.norm, mean: g.mean,
                    standardDeviation: g.standardDeviation, maxAbs: g.maxAbs, zeroFraction: g.zeroFraction,
                    nonfinite: g.nonfinite, weightNorm: weightNorm, updateNorm: updateNorm, updateRatio: ratio))
                if weightNames.contains(name) {
                    weights.append(.init(parameter: name, layer: layer, norm: g.norm, updateRatio: ratio))
                    lastWeightNorms[name] = g.norm
                }
            }
            pendingGradients.removeAll(keepingCapacity: true)
            appendTimeSteps(step: record.step)
            newFindings += detectors.observe(RecordedStep(step: record.step, weights: weights,
                                                          activations: pendingActivations, timeLayers: pendingTimeLayers))
            pendingTimeLayers.removeAll(keepingCapacity: true)
        }
        if nonFiniteOrigin == nil && !(record.loss.isFinite && record.gradientNorm.isFinite) && details == nil {
            newFindings.append(FindingRow(
                step: record.step, layer: "", kind: .nonfinite, severity: .error,
                value: record.loss.isFinite ? record.gradientNorm : record.loss, threshold: 0,
                message: "the \(record.loss.isFinite ? "gradient norm" : "loss") became non-finite at step "
                    + "\(record.step), a step that was not recorded layer by layer; record every step "
                    + "(--record-every 1) to trace the layer. Remedy: " + FindingKind.nonfinite.remedy))
            nonFiniteOrigin = NonFiniteOrigin(layer: "", kind: "", pass: .forward, tensor: "", nonfinite: 0, count: 0)
        }
        newFindings += detectors.observe(step: record.step, loss: record.loss, gradientNorm: record.gradientNorm)
        if !newFindings.isEmpty {
            report(newFindings)
        } else if clock.now - lastFlush >= options.flushInterval {
            flushAll()
        }
    }

    public func evaluationDidFinish(_ record: EvaluationRecord) {
        guard var row = pendingStep, row.step == record.step else { return }
        row.validationLoss = record.validationLoss
        row.trainAccuracy = record.trainAccuracy
        row.validationAccuracy = record.validationAccuracy
        pendingStep = row
        manifest.finalTrainAccuracy = record.trainAccuracy
        manifest.finalValidationLoss = record.validationLoss
        manifest.finalValidationAccuracy = record.validationAccuracy
    }

    public func trainingDidEnd(_ summary: TrainingSummary) {
        if let pendingStep { steps.append(pendingStep) }
        let lastStep = pendingStep?.step ?? writtenSteps
        appendGradchecks(upTo: .max)
        pendingStep = nil
        manifest.stepsCompleted = summary.stepsCompleted
        manifest.finalLoss = summary.finalLoss
        let decided = detectors.finish(lastStep: lastStep)
        if !decided.isEmpty { report(decided) }
        let hidden = weightNames.dropLast()
        if hidden.count >= 2, let first = lastWeightNorms[hidden.first!], let last = lastWeightNorms[hidden.last!],
           last > 0 {
            manifest.depthRatio = first / last
        }
        manifest.status = switch summary.status {
        case .completed: .completed
        case .diverged: .diverged
        case .interrupted: writeError == nil ? .interrupted : .failed
        }
        flushAll()
        writeManifest()
    }

    /// Takes the rows of a gradient check made during training; they reach gradcheck.csv with their step's
    /// row of steps.csv, never ahead of it.
    public func addGradchecks(_ rows: [GradcheckRow]) { pendingGradchecks += rows }

    private func appendGradchecks(upTo step: Int) {
        guard !pendingGradchecks.isEmpty else { return }
        let ready = pendingGradchecks.filter { ($0.step ?? 0) <= step }
        guard !ready.isEmpty else { return }
        pendingGradchecks.removeAll { ($0.step ?? 0) <= step }
        do {
            if gradchecks == nil {
                gradchecks = try CSVTableWriter<GradcheckRow>(url: folder.appendingPathComponent("gradcheck.csv"))
            }
            for row in ready { gradchecks?.append(row) }
        } catch {
            if writeError == nil { writeError = error }
        }
    }

    /// Writes a finding made by another observer (a gradient check), at once.
    public func add(_ finding: FindingRow) { report([finding]) }

    /// Marks the run failed (an error outside training), keeping what was recorded.
    public func markFailed() {
        manifest.status = .failed
        flushAll()
        writeManifest()
    }

    // MARK: - Writing

    private func traceNonFinite(_ origin: NonFiniteOrigin, step: Int) {
        nonFiniteOrigin = origin
        let finding = FindingRow(
            step: step, layer: origin.layer, kind: .nonfinite, severity: .error,
            value: Double(origin.nonfinite), threshold: 0,
            message: "first non-finite value at step \(step): \(origin.description). Remedy: "
                + FindingKind.nonfinite.remedy)
        // Written before anything else of this step, and flushed at once.
        findings.append(finding)
        manifest.findings = FindingRow.spans(manifest.findings + [finding])
        flushAll()
        onFinding?(finding)
    }

    private func report(_ new: [FindingRow]) {
        for finding in new { findings.append(finding) }
        manifest.findings = FindingRow.spans(manifest.findings + new)
        flushAll()
        for finding in new { onFinding?(finding) }
    }

    /// Flushes every file, steps.csv before the files that refer to its steps, then rewrites run.json so
    /// that its `steps_completed` agrees with what is on disk.
    private func flushAll() {
        do {
            try steps.flush()
            try findings.flush()
            try gradients.flush()
            try timeSteps?.flush()
            try activations.flush()
            try histograms.flush()
            try gradchecks?.flush()
        } catch {
            if writeError == nil { writeError = error }
        }
        lastFlush = clock.now
        if manifest.status == .running {
            let counted = manifest.stepsCompleted
            manifest.stepsCompleted = min(counted, writtenSteps)
            writeManifest()
            manifest.stepsCompleted = counted
        }
    }

    /// Writes the pending traces into timesteps.csv, one row per layer, stacked layer and time step, and
    /// keeps their time ratios ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ for run.json (the last recorded step's).
    private func appendTimeSteps(step: Int) {
        guard let timeSteps, !pendingTimeLayers.isEmpty else { return }
        var ratios: [RunManifest.TimeRatio] = []
        for layer in pendingTimeLayers {
            for trace in layer.traces {
                for (i, norm) in trace.gradientNorms.enumerated() {
                    let gates = trace.gates.compactMap { gate -> TimeStepRow.Gate? in
                        guard i < gate.means.count, i < gate.saturatedFractions.count else { return nil }
                        return .init(name: gate.name, mean: gate.means[i], saturated: gate.saturatedFractions[i])
                    }
                    timeSteps.append(TimeStepRow(
                        step: step, layer: layer.layer, stack: trace.stack, t: i + 1, gradientNorm: norm,
                        hiddenNorm: i < trace.hiddenNorms.count ? trace.hiddenNorms[i] : .nan, gates: gates))
                }
                if let ratio = timeRatio(trace) { ratios.append(.init(layer: layer.layer, stack: trace.stack, ratio: ratio)) }
            }
        }
        manifest.timeRatios = ratios.isEmpty ? nil : ratios
        manifest.timeRatio = ratios.map(\.ratio).min()
    }

    private func writeManifest() {
        do { try manifest.write(to: folder) } catch { if writeError == nil { writeError = error } }
    }

    private func appendHistogram(step: Int, layer: String, tensor: String, bins: HistogramBins,
                                 values: Tensor<Scalar>) {
        let counts = values.withUnsafeBufferPointer { bins.counts($0) }
        for (bin, count) in counts.enumerated() {
            histograms.append(HistogramRow(step: step, layer: layer, tensor: tensor, bin: bin,
                                           lo: bins.edges[bin].lo, hi: bins.edges[bin].hi, count: count))
        }
    }

    private func activationBins(_ function: Activation) -> HistogramBins {
        switch function {
        case .sigmoid: .linear(lo: 0, hi: 1)
        case .tanh, .softsign, .hardtanh: .linear(lo: -1, hi: 1)
        default: .linear(lo: -5, hi: 5)
        }
    }
}

/// The full name of the layer that holds each parameter: `3.0` for `3.0.weight`.
func owningLayers<Scalar>(of model: Sequential<Scalar>) -> [String: String] {
    var owners: [String: String] = [:]
    for named in model.namedLayers {
        for parameter in named.layer.ownParameters {
            owners[named.name.isEmpty ? parameter.name : "\(named.name).\(parameter.name)"] = named.name
        }
    }
    return owners
}

/// A flag set from one thread and read from another.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
