import Backprop
import Foundation
import RunFormat
import TrainingDiagnostics

/// One recorded training run: an `Experiment` trained with a `RunRecorder` writing its run folder, and the
/// final weights saved beside it as `model.safetensors` (torch `state_dict` names).
///
/// Everything that can fail on the user's input (the settings, the data file, the model's sizes) is
/// checked before the folder is touched, so a failed command leaves what is on disk as it was. An
/// existing run folder is replaced only with `force`, and only when it holds a run (run.json) or
/// nothing: `force` never deletes a folder of other files.
public struct TrainingJob {
    public var experiment: Experiment
    public var folder: URL
    public var recording: RecordingOptions
    public var force: Bool
    /// Steps between gradient checks during training (direction mode, in Double); nil for none.
    public var checkEvery: Int?

    /// What happened: the trainer's summary and the run.json that was written.
    public struct Outcome: Sendable {
        public var summary: TrainingSummary
        public var manifest: RunManifest
        public var nonFiniteOrigin: NonFiniteOrigin?
    }

    /// Hooks for a front end: progress after every step, findings as they are written, and a way to stop
    /// the run (given once, before the first step).
    public struct Hooks {
        public var willBegin: ((_ totalSteps: Int, _ stop: @escaping @Sendable () -> Void) -> Void)?
        public var stepDidFinish: ((StepRecord) -> Void)?
        public var finding: ((FindingRow) -> Void)?
        public init(willBegin: ((Int, @escaping @Sendable () -> Void) -> Void)? = nil,
                    stepDidFinish: ((StepRecord) -> Void)? = nil, finding: ((FindingRow) -> Void)? = nil) {
            self.willBegin = willBegin
            self.stepDidFinish = stepDidFinish
            self.finding = finding
        }
    }

    public init(experiment: Experiment, folder: URL, recording: RecordingOptions = RecordingOptions(),
                force: Bool = false, checkEvery: Int? = 1000) {
        self.checkEvery = checkEvery
        self.experiment = experiment
        self.folder = folder
        self.recording = recording
        self.force = force
    }

    /// Trains and records; throws for input and folder problems, never for how training went.
    public func run(hooks: Hooks = Hooks()) throws -> Outcome {
        switch experiment.precision {
        case .float: try run(as: Float.self, hooks: hooks)
        case .double: try run(as: Double.self, hooks: hooks)
        }
    }

    func run<Scalar: TensorScalar>(as: Scalar.Type, hooks: Hooks) throws -> Outcome {
        let trainer: Trainer<Scalar> = try experiment.makeTrainer()
        try experiment.checkBatches(trainingExamples: trainer.trainingData.count)
        try prepareFolder()
        let recorder = try RunRecorder<Scalar>(folder: folder, description: description(of: trainer),
                                               options: recording)
        recorder.onFinding = hooks.finding
        let progress = ProgressObserver<Scalar>(hook: hooks.stepDidFinish)
        trainer.observers = [recorder, progress]
        if let checkEvery {
            var generator = RandomGenerator(seed: experiment.seed)
            let twin: Sequential<Double> = try experiment.makeModel(inputShape: trainer.trainingData.exampleShape,
                                                                    outputs: trainer.trainingData.outputs,
                                                                    generator: &generator)
            guard let loss: any Loss<Double> = makeLoss(named: trainer.loss.name) else {
                throw ExperimentError(setting: "loss", message: "unknown '\(trainer.loss.name)'")
            }
            trainer.observers.append(GradientCheckObserver<Scalar>(
                every: checkEvery, burnIn: min(10, checkEvery), twin: twin, loss: loss, seed: experiment.seed,
                record: { [recorder] in recorder.addGradchecks($0) }, finding: { [recorder] in recorder.add($0) }))
        }
        hooks.willBegin?(trainer.totalSteps, recorder.stopHandle)
        let summary = trainer.run()
        if let error = recorder.writeError { throw error }
        // The weights as they ended, for `gradlab check --weights` and for torch.
        try Checkpoint.save(trainer.model, to: folder.appendingPathComponent("model.safetensors"),
                            metadata: ["gradlab_run": folder.lastPathComponent, "step": "\(summary.stepsCompleted)"])
        return Outcome(summary: summary, manifest: recorder.manifest, nonFiniteOrigin: recorder.nonFiniteOrigin)
    }

    func description<Scalar: TensorScalar>(of trainer: Trainer<Scalar>) -> RunDescription {
        let data = experiment.data.name
        var optimizer = ["name": experiment.optimizer.rawValue, "lr": "\(experiment.learningRate)",
                         "schedule": experiment.schedule]
        if let decay = experiment.weightDecay { optimizer["weight_decay"] = "\(decay)" }
        switch experiment.clipping {
        case .none: break
        case .norm(let c): optimizer["clip_norm"] = "\(c)"
        case .value(let c): optimizer["clip_value"] = "\(c)"
        }
        let spec = experiment.modelFile != nil ? nil
            : try? experiment.modelSpec(inputs: trainer.trainingData.features, outputs: trainer.trainingData.outputs)
        let model = experiment.modelFile.map { "\($0.path): \($0.summary)" } ?? spec.map {
            "\($0.sizesDescription) \($0.activation.name) \($0.initializer)"
                + ($0.norm == .none ? "" : " \($0.norm.rawValue)-norm") + ($0.residual ? " residual" : "")
                + ($0.dropout > 0 ? " dropout \($0.dropout)" : "")
        } ?? ""
        return RunDescription(
            name: folder.lastPathComponent, seed: experiment.seed, config: experiment.config.settings,
            modelDescription: model,
            dataset: .init(name: data, trainingExamples: trainer.trainingData.count,
                           validationExamples: trainer.validationData?.count ?? 0,
                           features: trainer.trainingData.features, outputs: trainer.trainingData.outputs),
            optimizer: optimizer)
    }

    /// Creates the folder, or clears an existing run folder when `force` allows it.
    ///
    /// `force` replaces a folder only when run.json says `"format": "gradlab.run"` and every entry is one
    /// GradLab writes (`RunFolderContents`); otherwise nothing is touched and the first foreign entry is
    /// named. The current folder, its parents and an empty path are never a run folder.
    func prepareFolder() throws {
        try RunFolderContents.checkIsOwnFolder(folder.path)
        var info = stat()
        if lstat(folder.path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR || (info.st_mode & S_IFMT) == S_IFLNK else {
                throw RunFolderError.cannotWrite(path: folder.path, reason: "a file, not a folder, has this name")
            }
            let entries = try RunFolderContents.entries(of: folder)
            if !entries.isEmpty {
                guard force else { throw RunFolderError.exists(path: folder.path) }
                try RunFolderContents.checkReplaceable(folder)
                do {
                    for item in entries { try FileManager.default.removeItem(at: folder.appendingPathComponent(item)) }
                } catch {
                    throw RunFolderError.cannotWrite(path: folder.path, reason: "cannot clear it: " + FileAccess.words(for: error))
                }
            }
        }
        do {
            try FileAccess.prepareFolder(folder.path)
        } catch let error as FileAccessError {
            throw RunFolderError.cannotWrite(path: folder.path, reason: error.problem)
        }
    }
}

/// Passes every step's record to a closure.
final class ProgressObserver<Scalar: TensorScalar>: TrainingObserver {
    let hook: ((StepRecord) -> Void)?
    init(hook: ((StepRecord) -> Void)?) { self.hook = hook }
    func stepDidFinish(_ record: StepRecord, details: StepDetails<Scalar>?) { hook?(record) }
}
