import Foundation
import RunFormat

/// A sweep as Slurm jobs: a job array of `shards` tasks, task I running `gradlab compare ... --shard I/N`
/// into the sweep folder, and a merge job, submitted with `--dependency=afterok:ARRAY`, that runs
/// `gradlab compare ... --merge` once every task has ended well and writes summary.csv and the report.
///
/// The scripts are written to `folder` (the sweep folder's `slurm/`), `array.sh` and `merge.sh`; each
/// sends its output to a log there (`shard-ARRAY_I.log`, `merge-JOB.log`), written by the script itself
/// so that no path passes through Slurm's `%` filename patterns, which a backslash in the path would switch
/// off (sbatch(1), "filename pattern"). A script changes to the folder `gradlab` was started from, so that
/// relative paths among the arguments mean what they meant, and runs the same executable by its absolute
/// path. Every path and argument reaches a script only through ``shellQuoted(_:)``; the `#SBATCH` lines
/// hold only numbers and the checked partition and time, so nothing given can end a line or a quote.
public struct SlurmJobs: Sendable, Equatable {
    /// What each job asks Slurm for; nil leaves the cluster's default.
    public struct Resources: Sendable, Equatable {
        /// `--partition`: a name or comma list of names.
        public var partition: String?
        /// `--time`: minutes, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`, or `UNLIMITED`.
        public var time: String?
        /// `--cpus-per-task` of each shard; the shard then trains that many runs at once unless `--jobs` says.
        public var cpusPerTask: Int?

        public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil) {
            self.partition = partition
            self.time = time
            self.cpusPerTask = cpusPerTask
        }
    }

    /// Tasks in the array (the N of `--shard I/N`).
    public var shards: Int
    /// The absolute path of the `gradlab` executable the jobs run.
    public var executable: String
    /// The arguments of `gradlab compare` that describe the sweep, without `--shard` and `--merge`.
    public var arguments: [String]
    /// The folder relative paths in `arguments` are relative to.
    public var workingDirectory: String
    /// Where the scripts and the logs go.
    public var folder: URL
    public var resources: Resources

    public init(shards: Int, executable: String, arguments: [String], workingDirectory: String, folder: URL,
                resources: Resources) {
        precondition(shards > 0, "a job array needs at least one shard, got \(shards)")
        precondition(executable.hasPrefix("/"), "the jobs run gradlab by its absolute path, got '\(executable)'")
        self.shards = shards
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.folder = folder
        self.resources = resources
    }

    public var arrayScriptURL: URL { folder.appendingPathComponent("array.sh") }
    public var mergeScriptURL: URL { folder.appendingPathComponent("merge.sh") }

    /// The job array: task `SLURM_ARRAY_TASK_ID` runs its shard.
    public var arrayScript: String {
        // A shard trains as many runs at once as it has CPUs, unless the sweep's own --jobs says.
        let givesJobs = arguments.contains { $0 == "--jobs" || $0.hasPrefix("--jobs=") }
        let jobs = resources.cpusPerTask.map { givesJobs ? [] : ["--jobs", "\($0)"] } ?? []
        return script(
            summary: "one shard of the sweep per task of a job array, task I running `gradlab compare ... --shard I/\(shards)`",
            directives: ["--job-name=gradlab-shards", "--array=1-\(shards)"]
                + (resources.cpusPerTask.map { ["--cpus-per-task=\($0)"] } ?? []),
            log: "'shard-'\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"'.log'",
            command: (arguments + jobs + ["--shard"]).map(Self.shellQuoted).joined(separator: " ")
                + " \"${SLURM_ARRAY_TASK_ID}/\(shards)\"")
    }

    /// The merge: `gradlab compare ... --merge` over every shard's runs.
    public var mergeScript: String {
        script(summary: "the merge of the sweep's shards, `gradlab compare ... --merge`, once the array has ended well",
               directives: ["--job-name=gradlab-merge"],
               log: "'merge-'\"${SLURM_JOB_ID}\"'.log'",
               command: (arguments + ["--merge"]).map(Self.shellQuoted).joined(separator: " "))
    }

    private func script(summary: String, directives: [String], log: String, command: String) -> String {
        let shared = ["--output=/dev/null"] + (resources.partition.map { ["--partition=\($0)"] } ?? [])
            + (resources.time.map { ["--time=\($0)"] } ?? [])
        return """
            #!/bin/bash
            # GradLab: \(summary).
            # Written by `gradlab compare --slurm \(shards)`, which submits array.sh and then merge.sh with
            # --dependency=afterok:ARRAY_JOB_ID when given --submit. The output goes to a log beside this file.
            \((directives + shared).map { "#SBATCH " + $0 }.joined(separator: "\n"))
            set -eu
            exec >\(Self.shellQuoted(folder.path + "/"))\(log) 2>&1
            cd \(Self.shellQuoted(workingDirectory))
            exec \(Self.shellQuoted(executable)) compare \(command)

            """
    }

    /// Writes both scripts, replacing only scripts GradLab wrote; creates `folder` if need be.
    public func write() throws {
        do {
            try FileAccess.prepareFolder(folder.path)
        } catch let error as FileAccessError {
            throw SlurmError.cannotWrite(path: folder.path, reason: error.problem)
        }
        for url in [arrayScriptURL, mergeScriptURL] {
            try RunFolderContents.checkOwnFile(url, flag: "--out")
        }
        for (url, text) in [(arrayScriptURL, arrayScript), (mergeScriptURL, mergeScript)] {
            do {
                try text.write(to: url, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            } catch {
                throw SlurmError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
            }
        }
    }

    /// The commands that submit both scripts by hand, as `--submit` does, for a POSIX shell.
    public var submitCommands: String {
        "array=$(sbatch --parsable \(Self.shellQuoted(arrayScriptURL.path))) && "
            + "sbatch --dependency=afterok:\"${array%%;*}\" \(Self.shellQuoted(mergeScriptURL.path))"
    }

    /// `text` as one word of a POSIX shell command, whatever it holds: inside single quotes, where nothing
    /// is special, with each `'` written as `'\''` (close the quote, an escaped quote, open it again).
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Throws unless `partition` is a Slurm partition name or a comma list of them (letters, digits, `_`,
    /// `-`, `.`), the only text that goes on an `#SBATCH` line as given.
    public static func checkPartition(_ partition: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,")
        guard !partition.isEmpty, partition.count <= 200, partition.allSatisfy(allowed.contains),
              !partition.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw SlurmError.invalid(flag: "--partition", value: partition,
                                     why: "a partition is a name of letters, digits, '_', '-' and '.', or a comma list "
                                     + "of them (see `sinfo`)")
        }
    }

    /// Throws unless `time` has one of the shapes of sbatch's `--time`: minutes, `M:S`, `H:M:S`, `D-H`,
    /// `D-H:M`, `D-H:M:S`, or `UNLIMITED`/`INFINITE`. Whether the cluster allows that long is for Slurm to say.
    public static func checkTime(_ time: String) throws {
        func numbers(_ part: Substring, _ counts: ClosedRange<Int>) -> Bool {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            return counts.contains(fields.count)
                && fields.allSatisfy { !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
        }
        let upper = time.uppercased()
        if upper == "UNLIMITED" || upper == "INFINITE" { return }
        let dayParts = time.split(separator: "-", omittingEmptySubsequences: false)
        let valid: Bool
        switch dayParts.count {
        case 1: valid = numbers(dayParts[0], 1...3)
        case 2: valid = numbers(dayParts[0], 1...1) && numbers(dayParts[1], 1...3)
        default: valid = false
        }
        guard valid else {
            throw SlurmError.invalid(flag: "--time", value: time,
                                     why: "give minutes (90), HH:MM:SS (1:30:00) or DAYS-HH:MM:SS (2-00:00:00), as sbatch's --time")
        }
    }
}

/// Submits scripts with `sbatch` (found on `PATH`) through an argument array, never a shell command line.
public struct Sbatch: Sendable {
    /// The `sbatch` executable.
    public var executable: URL

    /// `sbatch` on `path` (a `PATH` value: folders separated by `:`; relative ones are skipped, so that the
    /// current folder never supplies it), or a thrown ``SlurmError/missing``.
    public static func find(path: String?) throws -> Sbatch {
        guard let found = program("sbatch", path: path) else { throw SlurmError.missing(program: "sbatch") }
        return Sbatch(executable: found)
    }

    static func program(_ name: String, path: String?) -> URL? {
        for folder in (path ?? "").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Submits `script`, after the job `dependency` has ended well when given; returns the new job's id.
    /// A refusal throws ``SlurmError/refused`` with sbatch's own message.
    public func submit(_ script: URL, afterOK dependency: String? = nil) throws -> String {
        let arguments = ["--parsable"] + (dependency.map { ["--dependency=afterok:\($0)"] } ?? []) + [script.path]
        let result = try Self.run(executable, arguments)
        let said = result.errors.isEmpty ? result.output : result.errors
        guard result.status == 0 else {
            throw SlurmError.refused(script: script.path, message: said.isEmpty ? "exit status \(result.status)" : said)
        }
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        let id = result.output.split(whereSeparator: \.isNewline).last.map { String($0.prefix { $0 != ";" }) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.refused(script: script.path, message: "sbatch printed '\(result.output)' instead of a job id")
        }
        return id
    }

    /// Cancels job `id` with the `scancel` beside `sbatch`; says whether it did.
    public func cancel(_ id: String) -> Bool {
        let scancel = executable.deletingLastPathComponent().appendingPathComponent("scancel")
        guard let result = try? Self.run(scancel, [id]) else { return false }
        return result.status == 0
    }

    /// Runs `program` with `arguments` and waits; stderr is read on another thread so that neither pipe fills.
    static func run(_ program: URL, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SlurmError.cannotRun(program: program.path, reason: FileAccess.words(for: error))
        }
        let collected = ErrorText(), read = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            collected.data = errors.fileHandleForReading.readDataToEndOfFile()
            read.signal()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        read.wait()
        func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (process.terminationStatus, text(out), text(collected.data))
    }

    private final class ErrorText: @unchecked Sendable {
        var data = Data()
    }
}

/// Why Slurm jobs could not be written or submitted, in words with the remedy.
public enum SlurmError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A Slurm program is not on `PATH`.
    case missing(program: String)
    /// Slurm refused a script; `message` is what sbatch said.
    case refused(script: String, message: String)
    case cannotRun(program: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case invalid(flag: String, value: String, why: String)

    public var description: String {
        switch self {
        case .missing(let program):
            "--submit needs Slurm's \(program), which is not on PATH; install it (Debian and Ubuntu: "
                + "apt-get install slurm-client) or load the cluster's Slurm module, or leave out --submit to write the scripts only"
        case .refused(let script, let message):
            "Slurm refused \(script): \(message)"
        case .cannotRun(let program, let reason):
            "cannot run \(program): \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write the Slurm scripts into \(path): \(reason); choose another --out"
        case .invalid(let flag, let value, let why):
            "\(flag) '\(CSVTable.clipped(value))' is not valid: \(why)"
        }
    }
}
