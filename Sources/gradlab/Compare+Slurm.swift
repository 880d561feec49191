import ArgumentParser
import Experiments
import Foundation

/// `compare --slurm N`: the sweep as a Slurm job array of N shards and a merge job that waits for it.
struct SlurmOptions: ParsableArguments {
    @Option(name: .customLong("slurm"),
            help: ArgumentHelp("Write a Slurm job array of N shards and a merge job after it into OUT/slurm, "
                               + "instead of running the sweep here.", valueName: "N"))
    var shards: Int?
    @Flag(help: "Submit the Slurm jobs with sbatch and print their ids (with --slurm).") var submit = false
    @Option(help: ArgumentHelp("Slurm partition of the jobs (with --slurm).", valueName: "name")) var partition: String?
    @Option(help: ArgumentHelp("Time limit of each job, as sbatch's --time: minutes, HH:MM:SS or D-HH:MM:SS (with --slurm).",
                               valueName: "time"))
    var time: String?
    @Option(name: .customLong("cpus-per-task"),
            help: ArgumentHelp("CPUs of each shard's job (with --slurm); the shard trains that many runs at once "
                               + "unless --jobs says.", valueName: "cpus"))
    var cpusPerTask: Int?

    /// Options that take a value and flags that do not, as the jobs' command line must not repeat them.
    static let valued: Set = ["--slurm", "--partition", "--time", "--cpus-per-task"]
    static let flags: Set = ["--submit"]

    func validate() throws {
        guard let shards else {
            if submit || partition != nil || time != nil || cpusPerTask != nil {
                throw ValidationError("--submit, --partition, --time and --cpus-per-task go with --slurm N")
            }
            return
        }
        guard shards > 0 else { throw ValidationError("--slurm takes the number of shards, at least 1; got \(shards)") }
        if let cpusPerTask, cpusPerTask < 1 {
            throw ValidationError("--cpus-per-task must be at least 1; got \(cpusPerTask)")
        }
        do {
            if let partition { try SlurmJobs.checkPartition(partition) }
            if let time { try SlurmJobs.checkTime(time) }
        } catch let error as SlurmError {
            throw ValidationError(error.description)
        }
    }

    /// The arguments of `gradlab compare` in `commandLine` (the process's own, executable first), without
    /// the Slurm options: what every job runs, before its `--shard I/N` or `--merge`.
    static func sweepArguments(_ commandLine: [String]) -> [String] {
        var rest = commandLine.dropFirst()
        if rest.first == "compare" { rest = rest.dropFirst() }
        var kept: [String] = []
        var skipValue = false, ended = false
        for argument in rest {
            if ended { kept.append(argument); continue }
            if skipValue { skipValue = false; continue }
            if argument == "--" { ended = true; kept.append(argument); continue }
            if flags.contains(argument) { continue }
            if valued.contains(argument) { skipValue = true; continue }
            if let equals = argument.firstIndex(of: "="), valued.contains(String(argument[..<equals])) { continue }
            kept.append(argument)
        }
        return kept
    }

    /// The running executable's absolute path: the jobs run the same `gradlab`.
    static var executablePath: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), path.hasPrefix("/") {
            return path
        }
        let given = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return given.standardizedFileURL.resolvingSymlinksInPath().path
    }
}

extension Compare {
    /// With `--slurm N`: writes the Slurm jobs of the checked sweep (and with `--submit` submits them) and
    /// says so; nothing runs here. Returns whether it did.
    ///
    /// `sbatch` is looked for before anything is written; a refusal of the merge job cancels the array, so
    /// that no shards run whose merge would never come.
    func runsOnSlurm(_ configurations: [Sweep.Configuration]) throws -> Bool {
        guard let shards = slurm.shards else { return false }
        if merge || shard != nil {
            throw UserError(message: "--slurm submits the shards and the merge itself; leave out \(merge ? "--merge" : "--shard")")
        }
        guard shards <= configurations.count else {
            throw UserError(message: "--slurm \(shards) asks for more shards than the sweep's \(configurations.count) "
                            + "configurations; give at most --slurm \(configurations.count)")
        }
        let sbatch = try slurm.submit ? Sbatch.find(path: ProcessInfo.processInfo.environment["PATH"]) : nil
        let folder = URL(fileURLWithPath: out, isDirectory: true).standardizedFileURL
        let jobs = SlurmJobs(
            shards: shards, executable: SlurmOptions.executablePath,
            arguments: SlurmOptions.sweepArguments(CommandLine.arguments),
            workingDirectory: FileManager.default.currentDirectoryPath,
            folder: folder.appendingPathComponent("slurm", isDirectory: true),
            resources: .init(partition: slurm.partition, time: slurm.time, cpusPerTask: slurm.cpusPerTask))
        try jobs.write()
        print("Slurm: \(jobs.arrayScriptURL.path) (\(shards) shards of \(configurations.count) configurations)")
        print("Slurm: \(jobs.mergeScriptURL.path) (the merge: summary.csv and index.html in \(folder.path))")
        guard let sbatch else {
            print("Submit with --submit, or by hand:\n  " + jobs.submitCommands)
            return true
        }
        let array = try sbatch.submit(jobs.arrayScriptURL)
        let merged: String
        do {
            merged = try sbatch.submit(jobs.mergeScriptURL, afterOK: array)
        } catch let error as SlurmError {
            let cancelled = sbatch.cancel(array)
            throw UserError(message: error.description + (cancelled ? "; the array job \(array) was cancelled"
                                                          : "; cancel the array job with `scancel \(array)`"))
        }
        print("Submitted: array job \(array), merge job \(merged) (afterok:\(array))")
        print("Logs: \(jobs.folder.path)/shard-\(array)_I.log (I = 1...\(shards)) and merge-\(merged).log")
        return true
    }
}
