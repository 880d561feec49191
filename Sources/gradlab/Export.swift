import ArgumentParser
import Experiments
import Foundation
import RunFormat
import TensorBoard

/// `gradlab export RUN --tensorboard DIR`: a run folder as a TensorBoard event file.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run folder for TensorBoard.",
        discussion: """
            Writes one new event file (events.out.tfevents.*) into DIR: the scalars of steps.csv, each \
            tensor's gradient norm and update ratio (grad_norm/NAME, update_ratio/NAME), the gradient, \
            weight and activation histograms on GradLab's fixed bins (gradient/NAME, activation/LAYER) and \
            the findings as text. Other files in DIR are left alone; TensorBoard shows each subfolder of its \
            --logdir as a run, so give each run its own folder. Works on a run that is still going or was \
            killed: it exports what is on disk.

            Example: gradlab export runs/tanh --tensorboard tb/tanh && tensorboard --logdir tb
            """
    )

    @Argument(help: ArgumentHelp("A run folder written by `gradlab train` (or in the same format).", valueName: "run"))
    var runFolder: String

    @Option(help: ArgumentHelp("The folder that receives the event file (created if needed).", valueName: "dir"))
    var tensorboard: String

    func run() throws {
        let run = try RunReader().read(URL(fileURLWithPath: runFolder, isDirectory: true))
        try TensorBoardOption.check(tensorboard)
        let export = TensorBoardExport(folder: tensorboard)
        try TensorBoardOption.failures { try export.append(run) }
        print("Wrote \(export.eventFile ?? tensorboard): \(run.steps.count) steps of \(run.manifest.name); "
              + "view it with: tensorboard --logdir \(tensorboard)")
    }
}

/// `--tensorboard DIR`, shared by `export` and `train`.
enum TensorBoardOption {
    /// Refuses, before any work, a DIR that cannot receive an event file: a file, a path under a file, a
    /// folder that cannot be written or created, or a run folder (an event file in it would be a foreign
    /// file that stops `train --force` from replacing the run).
    static func check(_ path: String) throws {
        guard !path.isEmpty else { throw UserError(message: "--tensorboard: give a folder for the event file") }
        try failures {
            try FileAccess.checkFolderCanBePrepared(path)
            if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("run.json")) {
                throw FileAccessError(path: path, problem: "holds a run.json; give --tensorboard a folder of its "
                                      + "own, such as tb/NAME")
            }
        }
    }

    /// Runs `body`, saying which flag a folder problem belongs to.
    static func failures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as FileAccessError {
            throw UserError(message: "--tensorboard: \(error.description)")
        }
    }

    /// Runs `train` with hooks that append the run folder's new steps to the event file at most once a
    /// second, then exports the rest once training ends, whatever its outcome.
    ///
    /// The run folder is the source, as for `export`: each update reads it through `RunReader` and appends
    /// the steps up to the last one in steps.csv (whose row the recorder writes after the step's other
    /// rows), so TensorBoard, which re-reads growing event files, shows the run while it trains. Reading
    /// grows with the run, so an update starts at least five times as long after the previous one as that
    /// took: the updates take at most a fifth of the training time, however long the run. An
    /// update that fails (the folder half-written, DIR gone) is tried again at the next one and at the end;
    /// the final export must succeed, and its failure is the command's.
    static func following<Outcome>(_ path: String?, folder: URL, hooks: TrainingJob.Hooks,
                                   train: (TrainingJob.Hooks) throws -> Outcome) throws -> Outcome {
        guard let path else { return try train(hooks) }
        try check(path)
        let export = TensorBoardExport(folder: path)
        var hooks = hooks
        let stepDidFinish = hooks.stepDidFinish
        var nextUpdate = Date.distantPast
        hooks.stepDidFinish = { record in
            stepDidFinish?(record)
            let start = Date()
            guard start >= nextUpdate else { return }
            do {
                let run = try RunReader().read(folder)
                try export.append(run, through: run.steps.last?.step ?? 0)
            } catch {
                // Nothing was marked written: the next update and the final export write these steps.
            }
            nextUpdate = start.addingTimeInterval(max(1, 5 * Date().timeIntervalSince(start)))
        }
        let outcome = try train(hooks)
        try failures { try export.append(try RunReader().read(folder)) }
        return outcome
    }
}
