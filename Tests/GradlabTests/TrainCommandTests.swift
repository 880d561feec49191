import Foundation
import RunFormat
import XCTest

/// `gradlab train` and `gradlab inspect` end to end: the built binary and the files it leaves.
final class TrainCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func findings(_ run: URL) throws -> [(kind: FindingKind, layer: String)] {
        let table = try CSVTable(url: run.appendingPathComponent("findings.csv"))
        return try table.findings().map { ($0.kind, $0.layer) }
    }

    private let deep = ["--mlp", "2,32x10,3", "--dataset", "spirals", "--examples", "200", "--optimizer", "sgd",
                        "--lr", "0.05", "--steps", "40", "--batch", "32", "--seed", "3", "--quiet"]

    func testDeepSigmoidWithClassicInitIsFlaggedVanishingAndItsReLUHeTwinIsNot() throws {
        let sigmoid = folder.appendingPathComponent("sigmoid")
        let a = try CommandRunner.run(["train"] + deep + ["--activation", "sigmoid", "--init", "classic",
                                                          "--out", sigmoid.path])
        XCTAssertEqual(a.status, 0, a.errors)
        let sigmoidFindings = try findings(sigmoid)
        XCTAssertTrue(sigmoidFindings.contains { $0.kind == .vanishing && $0.layer == "0" }, "\(sigmoidFindings)")
        XCTAssertTrue(a.output.contains(FindingKind.vanishing.rawValue), "the summary lists the findings: \(a.output)")
        let inspected = try CommandRunner.run(["inspect", sigmoid.path])
        XCTAssertTrue(inspected.output.contains("  assessment vanishing from step"), inspected.output)
        XCTAssertTrue(a.output.contains("  assessment vanishing from step"), "train ends with the same assessment")

        let relu = folder.appendingPathComponent("relu")
        let b = try CommandRunner.run(["train"] + deep + ["--activation", "relu", "--init", "he-normal",
                                                          "--out", relu.path])
        XCTAssertEqual(b.status, 0, b.errors)
        let reluFindings = try findings(relu)
        XCTAssertFalse(reluFindings.contains { $0.kind == .vanishing }, "\(reluFindings)")
        let manifest = try RunManifest.read(from: relu)
        XCTAssertEqual(manifest.status, .completed)
        XCTAssertEqual(manifest.stepsCompleted, 40)
        XCTAssertGreaterThan(manifest.depthRatio!, 0.01)
        XCTAssertLessThan(try RunManifest.read(from: sigmoid).depthRatio!, 1e-4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: relu.appendingPathComponent("model.safetensors").path))
    }

    func testALargeInitializationDivergesAndIsTracedToALayer() throws {
        let run = folder.appendingPathComponent("large")
        let result = try CommandRunner.run(["train", "--mlp", "2,64x10,3", "--activation", "relu", "--init", "normal:1",
                                            "--optimizer", "sgd", "--lr", "0.1", "--steps", "50", "--seed", "1",
                                            "--out", run.path, "--quiet"])
        XCTAssertEqual(result.status, 1, "a diverged run exits with 1: \(result.errors)")
        let manifest = try RunManifest.read(from: run)
        XCTAssertEqual(manifest.status, .diverged)
        let kinds = try findings(run).map(\.kind)
        XCTAssertTrue(kinds.contains(.exploding), "\(kinds)")
        let nonfinite = try XCTUnwrap(manifest.findings.first { $0.kind == .nonfinite })
        // The layer named must be the first whose output holds a non-finite value at that step: the
        // activations recorded at the step before show every earlier layer finite and growing.
        XCTAssertFalse(nonfinite.layer.isEmpty, nonfinite.message)
        XCTAssertTrue(nonfinite.message.contains("layer \(nonfinite.layer) ("), nonfinite.message)
    }

    func testAnExistingRunFolderIsKeptWithoutForce() throws {
        let run = folder.appendingPathComponent("twice")
        let args = ["train", "--mlp", "2,8,3", "--steps", "3", "--out", run.path, "--quiet"]
        XCTAssertEqual(try CommandRunner.run(args).status, 0)
        let before = try Data(contentsOf: run.appendingPathComponent("steps.csv"))
        let again = try CommandRunner.run(args)
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.errors.contains("already exists") && again.errors.contains("--force"), again.errors)
        XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("steps.csv")), before)
        XCTAssertEqual(try CommandRunner.run(args + ["--force", "--steps", "5"]).status, 0)
        XCTAssertEqual(try RunManifest.read(from: run).stepsCompleted, 5)

        // A run with its report is still a run folder; a stray file of the user's makes it not one.
        XCTAssertEqual(try CommandRunner.run(["report", run.path]).status, 0)
        XCTAssertEqual(try CommandRunner.run(args + ["--force", "--steps", "4"]).status, 0)
        XCTAssertEqual(try RunManifest.read(from: run).stepsCompleted, 4)
        try Data("draft".utf8).write(to: run.appendingPathComponent("thesis.tex"))
        let stray = try CommandRunner.run(args + ["--force"])
        XCTAssertEqual(stray.status, 2)
        XCTAssertTrue(stray.errors.contains("thesis.tex is not a file GradLab writes"), stray.errors)
        XCTAssertEqual(try RunManifest.read(from: run).stepsCompleted, 4, "nothing was replaced")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("thesis.tex").path))

        // --force never clears a folder that is not a run.
        let other = folder.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: other.appendingPathComponent("notes.txt"))
        let refused = try CommandRunner.run(["train", "--mlp", "2,8,3", "--steps", "3", "--out", other.path, "--force"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.errors.contains("not a run folder") && refused.errors.contains("run.json"), refused.errors)
        XCTAssertEqual(try String(contentsOf: other.appendingPathComponent("notes.txt"), encoding: .utf8), "mine")
    }

    func testBadSettingsAreNamedAndTouchNothing() throws {
        let run = folder.appendingPathComponent("bad")
        let result = try CommandRunner.run(["train", "--mlp", "2,8,3", "--activation", "sigmoidd", "--out", run.path])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.errors.contains("'activation' (--activation): unknown 'sigmoidd'"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "nothing is created for a failed command")
        let csv = try CommandRunner.run(["train", "--data", folder.appendingPathComponent("none.csv").path,
                                         "--label", "y", "--out", run.path])
        XCTAssertEqual(csv.status, 2)
        XCTAssertTrue(csv.errors.contains("none.csv: no such file"), csv.errors)
    }

    /// kill -9 at an arbitrary moment: every flushed row reads back, run.json is valid and readers show the
    /// run as interrupted.
    func testAKilledRunLeavesReadableFiles() throws {
        let run = folder.appendingPathComponent("killed")
        let process = try CommandRunner.start(
            ["train", "--mlp", "2,32x4,3", "--steps", "10000000", "--histograms-every", "7", "--check-every", "20",
             "--out", run.path, "--quiet"],
            log: folder.appendingPathComponent("killed.log"))
        let steps = run.appendingPathComponent("steps.csv")
        // run.json's steps_completed follows every flush, so it moves while the run goes.
        let started = CommandRunner.wait(seconds: 60) {
            ((try? CSVTable(url: steps))?.count ?? 0) >= 200
                && ((try? RunManifest.read(from: run))?.stepsCompleted ?? 0) >= 200
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(started, "the run wrote 200 steps within a minute")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        let manifest = try RunManifest.read(from: run)
        XCTAssertEqual(manifest.status, .running, "run.json is left as it was last written")
        XCTAssertEqual(manifest.effectiveStatus, .interrupted)
        for name in ["steps", "gradients", "activations", "histograms", "findings"] {
            let table = try CSVTable(url: run.appendingPathComponent("\(name).csv"))
            for (line, row) in table.rows.enumerated() {
                XCTAssertEqual(row.count, table.columns.count, "\(name).csv line \(line + 2)")
            }
        }
        let recorded = try CSVTable(url: steps).numbers("step").map { Int($0!) }
        XCTAssertEqual(recorded, Array(1...recorded.count), "steps are consecutive up to the last flush")
        // The files agree: run.json and gradcheck.csv are never ahead of steps.csv.
        XCTAssertGreaterThan(manifest.stepsCompleted, 0, "steps_completed was brought up to date while running")
        XCTAssertLessThanOrEqual(manifest.stepsCompleted, recorded.count)
        let checked = try CSVTable(url: run.appendingPathComponent("gradcheck.csv")).integers("step")
        XCTAssertFalse(checked.isEmpty, "checks every 20 steps wrote rows")
        XCTAssertLessThanOrEqual(checked.max() ?? 0, recorded.count, "no check row past the last step on disk")
        try assertPythonReads(run)

        let inspect = try CommandRunner.run(["inspect", run.path])
        XCTAssertEqual(inspect.status, 0, inspect.errors)
        XCTAssertTrue(inspect.output.contains(": interrupted (run.json says running"), inspect.output)
    }

    func testCtrlCEndsTheRunCleanly() throws {
        let run = folder.appendingPathComponent("interrupted")
        let process = try CommandRunner.start(["train", "--mlp", "2,16,3", "--steps", "10000000", "--out", run.path],
                                              log: folder.appendingPathComponent("int.log"))
        let steps = run.appendingPathComponent("steps.csv")
        XCTAssertTrue(CommandRunner.wait(seconds: 60) { ((try? CSVTable(url: steps))?.rows.count ?? 0) >= 50 })
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        let manifest = try RunManifest.read(from: run)
        XCTAssertEqual(manifest.status, .interrupted)
        XCTAssertEqual(try CSVTable(url: steps).rows.count, manifest.stepsCompleted)
    }

    /// Python's csv module, an independent RFC 4180 reader, parses every file; every number field that
    /// is not empty reads with float().
    private func assertPythonReads(_ run: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let script = """
            import csv, sys, pathlib
            for path in sorted(pathlib.Path(sys.argv[1]).glob('*.csv')):
                text = path.read_text()
                if not text.endswith('\\n'):
                    text = text[:text.rfind('\\n') + 1]
                rows = list(csv.reader(text.splitlines(keepends=True)))
                header, body = rows[0], rows[1:]
                for row in body:
                    assert len(row) == len(header), (path.name, row)
                    for name, value in zip(header, row):
                        if name not in ('parameter', 'layer', 'tensor', 'kind', 'severity', 'message', 'verdict', 'index') and value:
                            float(value)
                print(path.name, len(body))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, run.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text, file: file, line: line)
        XCTAssertTrue(text.contains("steps.csv"), text, file: file, line: line)
    }
}
