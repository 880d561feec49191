import ArgumentParser
import Experiments
import Foundation
import RunFormat
import TrainingDiagnostics

/// `gradlab train`: a recorded training run.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model and record what its gradients do into a run folder.",
        discussion: """
            Settings come from an optional YAML (or JSON) config file whose keys are the flag names; flags \
            given on the command line win. The run folder (--out) receives steps.csv, gradients.csv, \
            activations.csv, histograms.csv, findings.csv and run.json, flushed at least every half second. \
            Ctrl-C stops after the current step with status 'interrupted'. Exit status: 0 when the run \
            completes (findings are results), 1 when it diverges, 2 for a usage or input error.

            Example: gradlab train --mlp 2,64x4,3 --activation tanh --init xavier-uniform --dataset spirals \
            --optimizer adam --steps 2000 --out runs/tanh
            """ + "\n\n" + SettingArguments.help(groups)
    )

    /// The settings `train` takes: all of them.
    static let groups = SettingGroup.allCases

    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("A YAML or JSON config file, and the settings above as flags.", valueName: "config"))
    var arguments: [String] = []
    @Option(help: ArgumentHelp("The run folder to write.", valueName: "folder"))
    var out: String?
    @Option(name: .customLong("record-every"), help: "Record gradients and activations every N steps.")
    var recordEvery = 1
    @Option(name: .customLong("histograms-every"), help: "Record histograms every M steps (0: never).")
    var histogramsEvery = 100
    @Option(name: .customLong("check-every"),
            help: "Check gradients (direction mode, Double) after 10 steps and every N steps; 0 turns it off.")
    var checkEvery = 1000
    @Option(help: ArgumentHelp("Also write a TensorBoard event file into this folder, kept up to date while training.",
                               valueName: "dir"))
    var tensorboard: String?
    @Flag(help: "Replace an existing run folder.")
    var force = false
    @Flag(help: "No progress bar or findings while training; only the summary.")
    var quiet = false

    func validate() throws {
        guard recordEvery > 0 else { throw ValidationError("--record-every must be a positive number of steps") }
        guard checkEvery >= 0 else { throw ValidationError("--check-every must be ≥ 0 (0 turns checks off)") }
        guard histogramsEvery >= 0 else { throw ValidationError("--histograms-every must be ≥ 0 (0 turns them off)") }
    }

    func run() throws {
        let settings = try SettingArguments(arguments, groups: Self.groups)
        let experiment = try makeExperiment(configFile: settings.file, flags: try settings.config())
        let folder = URL(fileURLWithPath: out ?? defaultRunFolder(), isDirectory: true)
        let job = TrainingJob(experiment: experiment, folder: folder,
                              recording: RecordingOptions(recordEvery: recordEvery, histogramsEvery: histogramsEvery),
                              force: force, checkEvery: checkEvery > 0 ? checkEvery : nil)
        var progress: ProgressReporter?
        var signalSource: DispatchSourceSignal?
        let hooks = TrainingJob.Hooks(
            willBegin: { total, stop in
                if !quiet { progress = ProgressReporter(total: total, label: "train") }
                signal(SIGINT, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
                source.setEventHandler { stop() }
                source.resume()
                signalSource = source
            },
            stepDidFinish: { record in
                progress?.update(record.step, detail: String(format: "loss %.4g", record.loss))
            },
            finding: { finding in
                if finding.isOpen {
                    progress?.message("\(finding.severity) at step \(finding.step): \(finding.kind.rawValue) — \(finding.message)")
                } else {
                    progress?.message("\(finding.kind.rawValue) held over \(finding.span(end: nil)), now cleared")
                }
            })
        let outcome: TrainingJob.Outcome
        do {
            outcome = try TensorBoardOption.following(tensorboard, folder: folder, hooks: hooks) {
                try job.run(hooks: $0)
            }
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        } catch let error as ExperimentError {
            throw UserError(message: error.description)
        } catch let error as CSVDataset.LoadError {
            throw UserError(message: error.description)
        }
        signalSource?.cancel()
        signal(SIGINT, SIG_DFL)
        progress?.finish()
        print(RunSummary(run: try RunReader().read(folder), folder: folder.path).text)
        if outcome.summary.status == .diverged { throw ExitCode(1) }
    }

    private func defaultRunFolder() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/run-\(formatter.string(from: Date()))"
    }
}
