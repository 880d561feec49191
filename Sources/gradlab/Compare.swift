import ArgumentParser
import Backprop
import Experiments
import Foundation
import Reports
import RunFormat

/// `gradlab compare`: a sweep of configurations on the same data, batches and seed, judged side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a grid of activations × optimizers × initialisers (and more) and rank them.",
        discussion: """
            The grid comes from a sweep file (YAML with 'base' settings and a 'grid' of setting: [values]) \
            or from comma lists on the command line (--activation sigmoid,tanh,relu --optimizer sgd,adam). \
            Every configuration sees the same data, batches and seed. Runs go to OUT/runs/NAME; the ranking \
            (completed runs first, then by validation loss, then loss) to OUT/summary.csv and the terminal, \
            and the comparison report (figures on shared scales, the same ranking) to OUT/index.html.

            Resuming: run the same command again; completed runs are skipped, interrupted ones redone. \
            Sharding: --shard I/N runs every N-th configuration starting at the I-th, so N machines can \
            share one OUT folder; afterwards `gradlab compare ... --merge` (same grid) judges all of them. \
            On Slurm, --slurm N writes OUT/slurm/array.sh (a job array of N shards) and merge.sh (the merge, \
            after the array with --dependency=afterok), and --submit submits both with sbatch.
            """ + "\n\n" + SettingArguments.help(groups, lists: true)
    )

    /// The settings `compare` takes, each a possible axis: all of them, as `train`.
    static let groups = SettingGroup.allCases

    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("A sweep file (YAML with 'base' and 'grid'), and the settings above as flags.",
                                 valueName: "sweep"))
    var arguments: [String] = []

    @Option(help: ArgumentHelp("The sweep folder.", valueName: "folder")) var out = "compare"
    @Option(help: "Runs trained at once (default: the number of cores).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Run only shard I of N (1-based), e.g. 2/4.", valueName: "I/N")) var shard: String?
    @Flag(help: "Run nothing: judge the runs already in the sweep folder (after shards).") var merge = false
    @Option(name: .customLong("target-loss"), help: "Report the first step at which each run's loss reaches this.")
    var targetLoss: Double?
    @Option(name: .customLong("record-every"), help: "Record gradients and activations every N steps.")
    var recordEvery = 1
    @Flag(name: .customLong("no-report"), help: "Do not write the comparison report (OUT/index.html).")
    var noReport = false
    @Option(help: ArgumentHelp("Image formats of the report, comma-separated: png, svg.", valueName: "formats"))
    var format = "png"
    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
        guard recordEvery > 0 else { throw ValidationError("--record-every must be positive") }
        if let targetLoss, !targetLoss.isFinite {
            throw ValidationError("--target-loss must be a finite number, got \(targetLoss)")
        }
        if let shard { _ = try parseShard(shard) }
        _ = try Report.formats(format)
    }

    private func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, (1...n).contains(i) else {
            throw ValidationError("--shard takes I/N with 1 ≤ I ≤ N, e.g. 2/4; got '\(text)'")
        }
        return (i, n)
    }

    /// The sweep from the file and the flags: a flag with several values is an axis, one value a setting;
    /// a flag replaces the file's axis or base setting of the same key. Also the keys the flags set.
    func makeSweep() throws -> (sweep: Sweep, flagKeys: Set<String>) {
        let settings = try SettingArguments(arguments, groups: Self.groups)
        var sweep = Sweep(base: ExperimentConfig(), axes: [])
        if let sweepFile = settings.file {
            sweep = try Sweep.load(from: URL(fileURLWithPath: sweepFile), overridden: settings.keys)
        }
        let flags = try settings.sweep()
        sweep.base = sweep.base.merging(flags.base)
        sweep.axes.removeAll { settings.keys.contains($0.key) }
        sweep.axes += flags.axes
        // One value is a setting, not an axis: it does not belong in the run names.
        for axis in sweep.axes where axis.values.count == 1 {
            let single = try Sweep(base: ExperimentConfig(), axes: [axis]).configurations()[0].config
            sweep.base = sweep.base.merging(single)
        }
        sweep.axes.removeAll { $0.values.count == 1 }
        return (sweep, settings.keys)
    }

    func run() throws {
        let (sweep, flagKeys) = try makeSweep()
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let configurations: [Sweep.Configuration]
        let runner: SweepRunner
        try RunFolderContents.checkIsOwnFolder(out)
        try RunFolderContents.checkOwnFile(folder.appendingPathComponent("summary.csv"), header: "rank,run,", flag: "--out")
        let formats = try Report.formats(format)
        if writesReport { try RunFolderContents.checkComparisonReport(in: folder, flag: "--out") }
        configurations = try sweep.configurations()
        runner = SweepRunner(configurations: configurations, folder: folder, jobs: jobs,
                             shard: try shard.map(parseShard),
                             recording: .init(recordEvery: recordEvery, histogramsEvery: 100))
        // Every configuration is checked before anything runs; a bad value is named where it was given:
        // an axis value (flag or sweep-file line), the sweep file's base, or a flag.
        for configuration in configurations where !merge {
            do {
                _ = try Experiment(configuration.config).checkedAgainstData()
            } catch let error as ExperimentError {
                if let assignment = configuration.assignments.first(where: { $0.key == error.setting }),
                   let axis = sweep.axes.first(where: { $0.key == error.setting }) {
                    throw SweepError(origin: axis.origin(of: assignment.value), key: error.setting, message: error.message)
                }
                if !flagKeys.contains(error.setting), let placed = sweep.baseSource?.place(error) { throw placed }
                throw error
            }
        }
        if try runsOnSlurm(configurations) { return }
        if merge {
            let found = configurations.filter {
                FileManager.default.fileExists(atPath: runner.runFolder($0).appendingPathComponent("run.json").path)
            }
            guard !found.isEmpty else {
                throw UserError(message: "\(folder.path): no runs of this sweep are there (looked for \(folder.path)/runs/NAME"
                                + "/run.json); run the sweep (or its shards) without --merge first, with the same grid")
            }
        } else {
            do {
                try FileAccess.prepareFolder(folder.appendingPathComponent("runs").path)
            } catch let error as FileAccessError {
                throw UserError(message: "cannot use --out \(folder.path): \(error.problem)")
            }
        }
        if !merge {
            let assigned = runner.assigned()
            let progress = ProgressReporter(total: assigned.count, label: "compare")
            FileHandle.standardError.write(Data(("compare: \(assigned.count) of \(configurations.count) configurations"
                + " here, \(min(jobs, max(assigned.count, 1))) at a time, into \(folder.path)\n").utf8))
            var signalSource: DispatchSourceSignal?
            do {
                _ = try runner.run(stopper: { stop in
                    signal(SIGINT, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
                    source.setEventHandler { stop() }
                    source.resume()
                    signalSource = source
                }, finished: { outcome, done, total in
                    let status = outcome.manifest?.effectiveStatus.rawValue ?? "failed"
                    let line: String
                    switch outcome.kind {
                    case .skipped: line = "\(outcome.configuration.name): already \(status), skipped"
                    case .failed: line = "\(outcome.configuration.name): failed: \(outcome.error ?? "")"
                    case .ran:
                        let m = outcome.manifest
                        let kinds = Array(Set(m?.findings.map(\.kind) ?? [])).sorted().map(\.rawValue)
                        line = "\(outcome.configuration.name): \(status) after \(m?.stepsCompleted ?? 0) steps, loss "
                            + (m?.finalLoss.map { String(format: "%.4g", $0) } ?? "-")
                            + (kinds.isEmpty ? ", no findings" : ", findings: " + kinds.joined(separator: ", "))
                    }
                    progress.message(line)
                    progress.update(done, detail: "")
                })
            }
            signalSource?.cancel()
            signal(SIGINT, SIG_DFL)
            progress.finish()
        }
        var assessments: [RunAssessment] = []
        var missing: [String] = []
        // A shard judges its own runs only: another shard's may be half-written while it trains.
        let judged = merge ? configurations : runner.assigned()
        let others = configurations.filter { configuration in !judged.contains { $0.name == configuration.name } }
        for configuration in judged {
            let runFolder = runner.runFolder(configuration)
            guard FileManager.default.fileExists(atPath: runFolder.appendingPathComponent("run.json").path) else {
                missing.append(configuration.name)
                continue
            }
            assessments.append(try SweepSummary.assess(
                folder: runFolder, name: configuration.name,
                settings: configuration.assignments.map(\.description).joined(separator: ", "), targetLoss: targetLoss))
        }
        let summary = SweepSummary(assessments)
        print(summary.table)
        if !missing.isEmpty {
            print("\nNot run yet (\(missing.count)): \(missing.joined(separator: ", ")); run the other shards, then --merge.")
        }
        if !others.isEmpty {
            print("\nLeft to the other shards (\(others.count)): \(others.map(\.name).joined(separator: ", ")); once every shard"
                  + " has run, --merge judges them all.")
        }
        try summary.write(to: folder.appendingPathComponent("summary.csv"))
        print("\nSummary: \(folder.appendingPathComponent("summary.csv").path)")
        guard writesReport, !assessments.isEmpty else {
            if shard != nil && !merge { print("Report: after every shard has run, `--merge` writes it.") }
            return
        }
        // The comparison report of every run on disk, as `gradlab report OUT/runs/*` draws it; the same
        // assessment and ranking as the table above.
        let runs = try configurations.filter { !missing.contains($0.name) }.map { try RunReader().read(runner.runFolder($0)) }
        do {
            let index = try ComparisonReport(runs: runs, names: assessments.map(\.name), formats: formats,
                                             targetLoss: targetLoss).write(to: folder)
            print("Report: \(index.path)")
        } catch let error as GnuplotError {
            throw UserError(message: error.description + " (the runs and summary.csv are written; --no-report skips the report)")
        }
    }

    /// A shard alone writes no report: the merge, which sees every run, does.
    private var writesReport: Bool { !noReport && (shard == nil || merge) }
}
