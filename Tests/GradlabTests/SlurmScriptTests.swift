import Foundation
import XCTest

/// The Slurm scripts of `compare --slurm` without a cluster: run by bash as Slurm would run them, and
/// submitted to a stand-in `sbatch` that records its arguments. Paths full of shell syntax must reach
/// gradlab and sbatch as they are, and never run as commands.
final class SlurmScriptTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-slurm-scripts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Each would create a file named PWNED… if any part of it ran as shell.
    static let hostileFolder = "wd '$(touch PWNED1)' `touch PWNED2` \"$(touch PWNED3)\" \\ ; touch PWNED4 #\nline2 %j"
    static let hostileSweep = "sw'eep $(touch PWNED5).yaml"
    static let hostileOut = "out'; touch PWNED6; echo '\" \\$HOME %A"

    static let sweep = """
        base:
          dataset: spirals
          examples: 100
          mlp: 2,8,3
          steps: 3
          seed: 2
        grid:
          activation: [tanh, relu]
          optimizer: [sgd, adam]

        """

    /// The working folder with the hostile name, holding the sweep file.
    private func hostileWorkingFolder() throws -> URL {
        let work = folder.appendingPathComponent(Self.hostileFolder, isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Self.sweep.write(to: work.appendingPathComponent(Self.hostileSweep), atomically: true, encoding: .utf8)
        return work
    }

    /// Every path under the test's folder whose name says a quoted word ran as a command.
    private func pwned() -> [String] {
        (FileManager.default.subpaths(atPath: folder.path) ?? []).filter {
            ($0 as NSString).lastPathComponent.hasPrefix("PWNED")
        }
    }

    /// Runs `script` with bash as a Slurm task would, with `variables` set; returns its exit status.
    private func runScript(_ script: URL, _ variables: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(variables) { $1 }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testHostilePathsReachTheJobsAsTheyAreAndNeverRun() throws {
        let work = try hostileWorkingFolder()
        let result = try CommandRunner.run(
            ["compare", Self.hostileSweep, "--out", Self.hostileOut, "--slurm", "2", "--partition=debug", "--time", "5",
             "--cpus-per-task", "1"], in: work)
        XCTAssertEqual(result.status, 0, result.errors)
        let out = work.appendingPathComponent(Self.hostileOut, isDirectory: true)
        let slurm = out.appendingPathComponent("slurm")
        let array = try String(contentsOf: slurm.appendingPathComponent("array.sh"), encoding: .utf8)
        XCTAssertTrue(array.contains("#SBATCH --array=1-2\n"), array)
        XCTAssertTrue(array.contains("#SBATCH --partition=debug\n") && array.contains("#SBATCH --time=5\n"), array)
        let command = try XCTUnwrap(array.components(separatedBy: "\nexec ").last)
        XCTAssertTrue(command.contains("'--cpus-per-task'") == false && command.contains("'--jobs' '1'"), command)
        XCTAssertFalse(["--slurm", "--submit", "--partition", "--time"].contains { command.contains("'\($0)") },
                       "the jobs do not submit again: \(command)")

        for task in ["1", "2"] {
            XCTAssertEqual(try runScript(slurm.appendingPathComponent("array.sh"),
                                         ["SLURM_ARRAY_JOB_ID": "7", "SLURM_ARRAY_TASK_ID": task]), 0, task)
        }
        XCTAssertEqual(try runScript(slurm.appendingPathComponent("merge.sh"), ["SLURM_JOB_ID": "9"]), 0)
        XCTAssertEqual(pwned(), [], "a quoted path ran as a command")
        for log in ["shard-7_1.log", "shard-7_2.log", "merge-9.log"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: slurm.appendingPathComponent(log).path), log)
        }
        let shardLog = try String(contentsOf: slurm.appendingPathComponent("shard-7_1.log"), encoding: .utf8)
        XCTAssertTrue(shardLog.contains("compare: 2 of 4 configurations here, 1 at a time"), shardLog)
        let summary = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        XCTAssertEqual(summary.split(separator: "\n").count, 5, summary)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
    }

    /// A stand-in sbatch in `bin`: writes the arguments of its call N, NUL-separated, to `calls/N`, prints
    /// job id 40 + N, or refuses call number `refuse` as Slurm does; a stand-in scancel writes `calls/scancel`.
    private func fakeSlurm(refuse: Int? = nil) throws -> (bin: URL, calls: URL) {
        let bin = folder.appendingPathComponent("bin"), calls = folder.appendingPathComponent("calls")
        for url in [bin, calls] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let sbatch = """
            #!/bin/bash
            n=$(( $(ls '\(calls.path)' | grep -c '^[0-9]') + 1 ))
            printf '%s\\0' "$@" > '\(calls.path)'/$n
            if [ "$n" = "\(refuse ?? 0)" ]; then
              echo 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified' >&2
              exit 1
            fi
            echo "$(( 40 + n ));cluster"

            """
        let scancel = "#!/bin/bash\nprintf '%s\\0' \"$@\" > '\(calls.path)/scancel'\n"
        for (name, text) in [("sbatch", sbatch), ("scancel", scancel)] {
            let url = bin.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        return (bin, calls)
    }

    /// The arguments of each recorded call, by the call's name (1, 2, ..., scancel).
    private func calls(_ folder: URL) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            result[name] = String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
        }
        return result
    }

    func testSubmittingPassesThePathsToSbatchAsSingleArguments() throws {
        let work = try hostileWorkingFolder()
        let (bin, callsFolder) = try fakeSlurm()
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try CommandRunner.run(["compare", Self.hostileSweep, "--out", Self.hostileOut, "--slurm", "2", "--submit"],
                                           in: work, environment: ["PATH": path])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Submitted: array job 41, merge job 42 (afterok:41)"), result.output)
        let slurm = work.appendingPathComponent(Self.hostileOut).appendingPathComponent("slurm").path
        XCTAssertEqual(try calls(callsFolder), ["1": ["--parsable", slurm + "/array.sh"],
                                                "2": ["--parsable", "--dependency=afterok:41", slurm + "/merge.sh"]])
        XCTAssertEqual(pwned(), [])

        // The printed commands for submitting by hand do the same through a shell.
        let written = try CommandRunner.run(["compare", Self.hostileSweep, "--out", Self.hostileOut, "--slurm", "2"], in: work)
        XCTAssertEqual(written.status, 0, written.errors)
        let command = try XCTUnwrap(written.output.components(separatedBy: "by hand:\n  ").last)
        for name in try FileManager.default.contentsOfDirectory(atPath: callsFolder.path) {
            try FileManager.default.removeItem(at: callsFolder.appendingPathComponent(name))
        }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", command]
        shell.environment = ["PATH": path]
        try shell.run()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0, command)
        XCTAssertEqual(try calls(callsFolder), ["1": ["--parsable", slurm + "/array.sh"],
                                                "2": ["--dependency=afterok:41", slurm + "/merge.sh"]], command)
        XCTAssertEqual(pwned(), [])
    }

    func testARefusedMergeCancelsTheArray() throws {
        let work = try hostileWorkingFolder()
        let (bin, callsFolder) = try fakeSlurm(refuse: 2)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try CommandRunner.run(["compare", Self.hostileSweep, "--out", "out", "--slurm", "2", "--submit"],
                                           in: work, environment: ["PATH": path])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.errors.hasPrefix("gradlab: error: Slurm refused "), result.errors)
        XCTAssertTrue(result.errors.contains("merge.sh: sbatch: error: Batch job submission failed: Invalid account"),
                      result.errors)
        XCTAssertTrue(result.errors.hasSuffix("; the array job 41 was cancelled\n"), result.errors)
        XCTAssertEqual(try calls(callsFolder)["scancel"], ["41"])
    }
}
