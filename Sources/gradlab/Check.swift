import ArgumentParser
import Experiments
import Foundation
import GradientCheck
import RunFormat

/// `gradlab check`: finite differences against the backward pass of a model and its loss.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a model's gradients against finite differences, per parameter tensor.",
        discussion: """
            The model and data come from the same flags (or config file) as `train`; the weights are the \
            seeded initial ones, or a checkpoint given with --weights (e.g. RUN/model.safetensors). The \
            check runs in Double on the first --batch training examples, in training mode with dropout \
            masks frozen. Step: h = eps·max(1, |θ|) first (torch's); every perturbed pass is compared with \
            the unperturbed one at the kinks the layers declare (a ReLU's 0, hardtanh's bounds), and when \
            an input crossed one, h shrinks to the fraction that keeps every crossing element on its side \
            (halved), down to the round-off floor (where 16·ε·|f|/h is a tenth of the tolerance): deep \
            ReLU nets carry pre-activations far smaller than 1e-6, and a difference across a kink says \
            nothing about the gradient. An entry that crosses at every usable step is a kink, named by \
            layer and element, unless one side crossed nothing and its one-sided slope refutes the \
            analytic value: then it is wrong. Verdicts: \(verdictHelp). Exit status 0 when nothing is \
            wrong, 1 when something is, 2 for a usage or input error.
            """ + "\n\n" + SettingArguments.help(groups)
    )

    /// The settings `check` takes: those of the model, the data and the seed (its --batch is its own).
    static let groups: [SettingGroup] = [.model, .data, .run]

    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("A YAML or JSON config file, and the settings above as flags.", valueName: "config"))
    var arguments: [String] = []
    @Option(help: ArgumentHelp("Load weights from a safetensors checkpoint.", valueName: "file.safetensors"))
    var weights: String?
    @Option(help: "Examples in the checked batch.") var batch = 8
    @Option(help: "full (every entry), sample (--samples per tensor) or direction (one random direction per tensor).")
    var mode = "full"
    @Option(help: "Entries per tensor in sample mode.") var samples = 16
    @Option(help: "First finite-difference step, relative to max(1, |θ|) (torch's default); shrunk when it crosses a kink.")
    var eps = 1e-6
    @Option(help: "Absolute tolerance (torch's atol).") var atol = 1e-5
    @Option(help: "Relative tolerance (torch's rtol).") var rtol = 1e-3
    @Flag(help: "Also measure the error against the step, 1e-1 to 1e-12, for the worst entries.") var sweep = false
    @Flag(help: "Print JSON instead of the table.") var json = false
    @Option(help: ArgumentHelp("Folder for gradcheck.csv (and gradcheck-sweep.csv).", valueName: "folder"))
    var out: String?
    @Flag(help: "Let --out be a finished run folder: the check replaces the run's gradcheck.csv (the checks made during training) and gradcheck-sweep.csv, so `gradlab report RUN` draws it.")
    var force = false

    func validate() throws {
        guard ["full", "sample", "direction"].contains(mode) else {
            throw ValidationError("--mode takes full, sample or direction, got '\(mode)'")
        }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard samples > 0 else { throw ValidationError("--samples must be positive") }
        guard eps > 0, atol >= 0, rtol >= 0 else { throw ValidationError("--eps must be positive, --atol and --rtol ≥ 0") }
    }

    func run() throws {
        let settings = try SettingArguments(arguments, groups: Self.groups)
        let flags = try settings.config()
        if let out {
            try RunFolderContents.checkIsOwnFolder(out)
            let folder = URL(fileURLWithPath: out, isDirectory: true)
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("run.json").path) {
                guard force else {
                    throw UserError(message: "--out \(out): it is a run folder, whose gradcheck.csv holds the checks made "
                                    + "during training; add --force to replace them, or write the check into a folder of its own")
                }
                do { try RunFolderContents.checkReplaceable(folder) } catch let error as RunFolderError {
                    throw UserError(message: error.description)
                }
            }
            try RunFolderContents.checkOwnFile(folder.appendingPathComponent("gradcheck.csv"), header: "step,parameter,",
                                               flag: "--out")
            try RunFolderContents.checkOwnFile(folder.appendingPathComponent("gradcheck-sweep.csv"), header: "parameter,index,",
                                               flag: "--out")
            do { try FileAccess.prepareFolder(out) } catch let error as FileAccessError {
                throw UserError(message: "--out \(error.description)")
            }
        }
        // The data as given: a CSV file is checked whole-batch, with no hold-out and no standardisation
        // unless the flags or the config ask for them.
        let experiment = try makeExperiment(configFile: settings.file, flags: flags, checksData: false) { config in
            if config.data != nil {
                if config.validation == nil { config.validation = 0 }
                if config.standardize == nil { config.standardize = false }
            }
        }
        let checkMode: CheckMode = switch mode {
        case "sample": .sample(count: samples)
        case "direction": .direction
        default: .full
        }
        let job = GradientCheckJob(
            experiment: experiment, batch: batch,
            checker: GradientChecker(mode: checkMode, tolerance: Tolerance(step: eps, absolute: atol, relative: rtol),
                                     seed: experiment.seed),
            weights: weights.map { URL(fileURLWithPath: $0) }, sweep: sweep)
        let report = try job.run()
        if let out { try report.write(to: URL(fileURLWithPath: out, isDirectory: true)) }
        if json {
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            print(report.table)
            if report.batch < batch {
                print("Checked \(report.batch) examples: the data has \(report.batch), fewer than --batch \(batch).")
            }
            if let out { print("Entries: \(URL(fileURLWithPath: out).appendingPathComponent("gradcheck.csv").path)") }
        }
        if report.hasWrong { throw ExitCode(1) }
    }
}

/// The verdicts as `--help` lists them; the two that fail the tolerance without pointing at a bug say why.
private let verdictHelp = EntryVerdict.allCases.map {
    $0 == .kink || $0 == .imprecise ? "\($0.rawValue) (\($0.meaning))" : $0.rawValue
}.joined(separator: "; ")
