import Foundation
import RunFormat
import XCTest

/// `gradlab compare` end to end: a 2 × 2 sweep, resuming after a kill, and shards that merge.
final class CompareCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private let grid = ["--activation", "sigmoid,relu", "--init", "classic,he-normal", "--depth", "8", "--width", "16",
                        "--optimizer", "sgd", "--lr", "0.1", "--examples", "200", "--batch", "32", "--seed", "5"]

    private func summary(_ out: URL) throws -> [[String]] {
        let table = try CSVTable(url: out.appendingPathComponent("summary.csv"))
        return try table.rows.map { row in
            try ["run", "status", "steps", "final_loss", "val_loss", "findings"].map { row[try table.column($0)] }
        }
    }

    func testATwoByTwoSweepRanksAndExplains() throws {
        let out = folder.appendingPathComponent("sweep")
        let result = try CommandRunner.run(["compare"] + grid + ["--steps", "40", "--out", out.path, "--jobs", "2"])
        XCTAssertEqual(result.status, 0, result.errors)
        let rows = try summary(out)
        XCTAssertEqual(Set(rows.map { $0[0] }), ["sigmoid-classic", "sigmoid-he-normal", "relu-classic", "relu-he-normal"])
        XCTAssertTrue(rows.allSatisfy { $0[1] == "completed" && $0[2] == "40" }, "\(rows)")
        let sigmoid = rows.first { $0[0] == "sigmoid-classic" }!
        XCTAssertTrue(sigmoid[5].contains(FindingKind.vanishing.rawValue), "\(sigmoid)")
        XCTAssertFalse(rows.first { $0[0] == "relu-he-normal" }![5].contains(FindingKind.vanishing.rawValue))
        XCTAssertTrue(result.output.contains("activation=sigmoid + init=classic: vanishing from step"), result.output)
        XCTAssertTrue(result.errors.contains("sigmoid-classic: completed after 40 steps"), "one line per finished run")
        try assertReport(in: out, ranks: rows.map { $0[0] })
    }

    /// OUT/index.html is the comparison report of the sweep, its ranking the one of summary.csv.
    private func assertReport(in out: URL, ranks names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<h1>Comparison of \(names.count) runs</h1>"), file: file, line: line)
        let table = html.components(separatedBy: "<h2>Ranking</h2>")[1].components(separatedBy: "</table>")[0]
        let positions = names.map { table.range(of: "<td>\($0)</td>")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), "every run in the ranking: \(names)", file: file, line: line)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "summary.csv's order",
                       file: file, line: line)
        for figure in ["compare-loss", "compare-flow", "compare-heatmap-grad-norm"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("figures/\(figure).png").path),
                          figure, file: file, line: line)
        }
    }

    func testAKilledSweepResumes() throws {
        let out = folder.appendingPathComponent("resumed")
        let arguments = ["compare"] + grid + ["--steps", "1500", "--out", out.path, "--jobs", "1"]
        let process = try CommandRunner.start(arguments, log: folder.appendingPathComponent("compare.log"))
        let runs = out.appendingPathComponent("runs")
        // Kill once the first run is done and the second has started.
        let killedMidway = CommandRunner.wait(seconds: 120) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
            let done = names.filter { (try? RunManifest.read(from: runs.appendingPathComponent($0)))?.status == .completed }
            return done.count >= 1 && names.count >= 2
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(killedMidway)
        let before = try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted()
        let completed = before.filter { (try? RunManifest.read(from: runs.appendingPathComponent($0)))?.status == .completed }
        let stamps = try completed.map { try Data(contentsOf: runs.appendingPathComponent($0).appendingPathComponent("run.json")) }

        let again = try CommandRunner.run(arguments)
        XCTAssertEqual(again.status, 0, again.errors)
        for name in completed {
            XCTAssertTrue(again.errors.contains("\(name): already completed, skipped"), again.errors)
        }
        XCTAssertEqual(try completed.map { try Data(contentsOf: runs.appendingPathComponent($0).appendingPathComponent("run.json")) },
                       stamps, "finished runs are not touched")
        XCTAssertTrue(try summary(out).allSatisfy { $0[1] == "completed" && $0[2] == "1500" })
    }

    func testTwoShardsMergeIntoTheSameSummaryAsOneRun() throws {
        let whole = folder.appendingPathComponent("whole"), sharded = folder.appendingPathComponent("sharded")
        XCTAssertEqual(try CommandRunner.run(["compare"] + grid + ["--steps", "30", "--out", whole.path]).status, 0)
        let first = try CommandRunner.run(["compare"] + grid + ["--steps", "30", "--out", sharded.path, "--shard", "1/2"])
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertTrue(first.output.contains("Left to the other shards (2)"), first.output)
        XCTAssertFalse(first.output.contains("Not run yet"), "a shard judges only its own runs: \(first.output)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sharded.appendingPathComponent("index.html").path),
                       "a shard alone writes no report")
        XCTAssertEqual(try CommandRunner.run(["compare"] + grid + ["--steps", "30", "--out", sharded.path, "--shard", "2/2"]).status, 0)
        let merged = try CommandRunner.run(["compare"] + grid + ["--steps", "30", "--out", sharded.path, "--merge"])
        XCTAssertEqual(merged.status, 0, merged.errors)
        XCTAssertFalse(merged.output.contains("Not run yet"))
        XCTAssertEqual(try summary(sharded), try summary(whole), "same data, batches and seed: the same results")
        try assertReport(in: sharded, ranks: try summary(sharded).map { $0[0] })
        let noReport = folder.appendingPathComponent("no-report")
        XCTAssertEqual(try CommandRunner.run(["compare"] + grid + ["--steps", "3", "--out", noReport.path, "--no-report"]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: noReport.appendingPathComponent("index.html").path))
        let badShard = try CommandRunner.run(["compare"] + grid + ["--shard", "3/2"])
        XCTAssertEqual(badShard.status, 2)
    }

    func testAxesCompareOnceLackedGiveOneRunPerValue() throws {
        let out = folder.appendingPathComponent("residual")
        let result = try CommandRunner.run(["compare", "--residual", "false,true", "--precision", "float,double",
                                            "--depth", "2", "--width", "8", "--examples", "100", "--steps", "5",
                                            "--out", out.path, "--jobs", "2"])
        XCTAssertEqual(result.status, 0, result.errors)
        guard result.status == 0 else { return }
        let runs = out.appendingPathComponent("runs")
        let names = try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted()
        // An on/off axis names its runs by the setting (`residual`, `no-residual`), not by true or false.
        XCTAssertEqual(names, ["no-residual-double", "no-residual-float", "residual-double", "residual-float"])
        for name in names {
            let manifest = try RunManifest.read(from: runs.appendingPathComponent(name))
            let values = [name.hasPrefix("no-") ? "false" : "true", String(name.split(separator: "-").last ?? "")]
            XCTAssertEqual(manifest.config["residual"], values[0], name)
            XCTAssertEqual(manifest.config["precision"], values[1], name)
            XCTAssertEqual(manifest.config["steps"], "5", name)
            XCTAssertEqual(manifest.stepsCompleted, 5, name)
            // The second hidden layer (8 → 8) becomes a residual block at position 2 only when asked for.
            XCTAssertEqual(manifest.model.parameters.contains { $0.name == "2.0.weight" }, values[0] == "true", name)
        }
    }
}
