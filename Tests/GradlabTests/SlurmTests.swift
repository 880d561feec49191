import Foundation
import XCTest

/// `gradlab compare --slurm N --submit` against a real one-node Slurm (``SlurmCluster``): the job array
/// and its merge give the summary that the same sweep run here gives, and a job Slurm refuses is a
/// one-line error with Slurm's words.
final class SlurmTests: XCTestCase {
    private var folder: URL!
    private var cluster: SlurmCluster!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-slurm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        cluster = try SlurmCluster()
    }

    override func tearDownWithError() throws {
        cluster?.stop()
        cluster = nil
        try? FileManager.default.removeItem(at: folder)
    }

    /// A 2 × 2 grid, small enough to train in seconds.
    static let sweep = """
        base:
          dataset: spirals
          examples: 200
          mlp: 2,16,16,3
          steps: 30
          batch: 32
          seed: 5
        grid:
          activation: [tanh, relu]
          optimizer: [sgd, adam]

        """

    private func writeSweep() throws -> URL {
        let url = folder.appendingPathComponent("sweep.yaml")
        try Self.sweep.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The logs the jobs wrote in OUT/slurm and the daemons' logs, for a failure message.
    private func logs(_ out: URL) -> String {
        let slurm = out.appendingPathComponent("slurm")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: slurm.path).filter { $0.hasSuffix(".log") }.sorted()) ?? []
        return names.map { name in
            "--- \(name):\n" + ((try? String(contentsOf: slurm.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }.joined(separator: "\n") + "\n" + cluster.logs
    }

    func testAJobArrayOfTwoShardsAndItsMergeEqualTheSweepRunHere() throws {
        let sweep = try writeSweep()
        let out = folder.appendingPathComponent("on slurm")
        let submitted = try CommandRunner.run(
            ["compare", sweep.path, "--out", out.path, "--slurm", "2", "--submit", "--partition", "debug",
             "--time", "10", "--cpus-per-task", "1"], environment: cluster.environment)
        XCTAssertEqual(submitted.status, 0, submitted.errors)
        let ids = submitted.output.firstMatch(of: /Submitted: array job (\d+), merge job (\d+)/)
        let (array, merge) = try (XCTUnwrap(ids?.1, submitted.output), XCTUnwrap(ids?.2, submitted.output))

        let state = try cluster.waitForJob(String(merge), seconds: 300)
        XCTAssertEqual(state, "COMPLETED", logs(out))
        let tasks = cluster.jobs(String(array))
        XCTAssertEqual(Set(tasks.compactMap { $0["ArrayTaskId"] }), ["1", "2"], "\(tasks)")
        XCTAssertEqual(Set(tasks.compactMap { $0["JobState"] }), ["COMPLETED"], "\(tasks)")
        let mergeStart = cluster.jobs(String(merge)).first?["StartTime"] ?? ""
        for task in tasks {
            // ISO 8601 local times without a zone, as scontrol prints them, order as text.
            XCTAssertGreaterThanOrEqual(mergeStart, task["EndTime"] ?? "~", "the merge waits for the array: \(task)")
        }
        for index in [1, 2] {
            let log = try String(contentsOf: out.appendingPathComponent("slurm/shard-\(array)_\(index).log"), encoding: .utf8)
            XCTAssertTrue(log.contains("compare: 2 of 4 configurations here"), "shard \(index) runs its half:\n\(log)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path), logs(out))

        let here = folder.appendingPathComponent("here")
        let unsharded = try CommandRunner.run(["compare", sweep.path, "--out", here.path])
        XCTAssertEqual(unsharded.status, 0, unsharded.errors)
        let merged = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        let expected = try String(contentsOf: here.appendingPathComponent("summary.csv"), encoding: .utf8)
        XCTAssertEqual(merged.split(separator: "\n").count, 5, "a header and four runs:\n\(merged)")
        XCTAssertEqual(merged, expected)
        cluster.stop()
        XCTAssertEqual(cluster.strays, [], "no job step outlives the cluster")
    }

    func testAJobSlurmRefusesIsAOneLineErrorWithSlurmsMessage() throws {
        let sweep = try writeSweep()
        let out = folder.appendingPathComponent("refused")
        let result = try CommandRunner.run(
            ["compare", sweep.path, "--out", out.path, "--slurm", "2", "--submit", "--partition", "nosuch"],
            environment: cluster.environment)
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.errors.hasPrefix("gradlab: error: Slurm refused \(out.path)/slurm/array.sh: "), result.errors)
        XCTAssertTrue(result.errors.contains("invalid partition"), "sbatch's own words: \(result.errors)")
        XCTAssertEqual(result.errors.filter { $0 == "\n" }.count, 1, result.errors)
        let queue = cluster.client("squeue", ["--noheader", "--format", "%i"])
        XCTAssertEqual(queue.status, 0, queue.output)
        XCTAssertEqual(queue.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "nothing was queued")
    }

    func testStoppingTheClusterEndsEveryDaemon() throws {
        var pids = cluster.processIdentifiers
        for name in ["munge/munged.pid", "slurmctld.pid", "slurmd.pid"] {
            let text = try String(contentsOf: cluster.folder.appendingPathComponent(name), encoding: .utf8)
            pids.append(try XCTUnwrap(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), name))
        }
        XCTAssertEqual(pids.count, 6)
        XCTAssertTrue(pids.allSatisfy { kill($0, 0) == 0 }, "every daemon runs: \(pids)")
        // A job still running when the cluster stops: its step and its process must go too.
        let submitted = cluster.client("sbatch", ["--parsable", "--output=/dev/null", "--wrap", "sleep 600"])
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let job = submitted.output.trimmingCharacters(in: .whitespacesAndNewlines)
        try cluster.waitUntil(seconds: 60, "job \(job) running with its step") {
            cluster.jobs(job).first?["JobState"] == "RUNNING" && !cluster.strays.isEmpty
        }
        cluster.stop()
        XCTAssertTrue(CommandRunner.wait(seconds: 10) { pids.allSatisfy { kill($0, 0) != 0 } },
                      "still there: \(pids.filter { kill($0, 0) == 0 })")
        XCTAssertEqual(cluster.strays, [], "no job step outlives the cluster")
    }
}
