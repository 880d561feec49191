import Foundation
import XCTest

/// `gradlab report` end to end on runs made by `gradlab train`.
final class ReportCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-reportcmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func train(_ name: String, activation: String) throws -> URL {
        let run = folder.appendingPathComponent(name)
        let result = try CommandRunner.run(["train", "--mlp", "2,16x4,3", "--activation", activation, "--steps", "30",
                                            "--histograms-every", "10", "--seed", "2", "--out", run.path, "--quiet"])
        XCTAssertEqual(result.status, 0, result.errors)
        return run
    }

    func testReportsOneRunIntoItsFolderByDefault() throws {
        let run = try train("tanh", activation: "tanh")
        let result = try CommandRunner.run(["report", run.path, "--format", "png,svg"])
        XCTAssertEqual(result.status, 0, result.errors)
        let index = run.appendingPathComponent("report/index.html")
        XCTAssertTrue(result.output.contains("Report: \(index.path)"), result.output)
        let html = try String(contentsOf: index, encoding: .utf8)
        XCTAssertTrue(html.contains("<h1>Run tanh</h1>"))
        for name in ["loss", "grad-norm", "layer-grad-norm", "heatmap-grad-norm", "gradient-flow", "activity",
                     "histograms-activation"] {
            for ext in ["png", "svg", "gp"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("report/figures/\(name).\(ext)").path),
                              "\(name).\(ext)")
            }
        }
    }

    func testComparesSeveralRuns() throws {
        let a = try train("sigmoid", activation: "sigmoid"), b = try train("relu", activation: "relu")
        let out = folder.appendingPathComponent("cmp")
        let result = try CommandRunner.run(["report", a.path, b.path, "--out", out.path])
        XCTAssertEqual(result.status, 0, result.errors)
        let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("Comparison of 2 runs"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("figures/compare-flow.png").path))
        // The default for several runs is `comparison` next to the first.
        XCTAssertEqual(try CommandRunner.run(["report", a.path, b.path]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("comparison/index.html").path))
    }

    func testUserErrorsExitWithTwoAndOneLine() throws {
        let missing = try CommandRunner.run(["report", folder.appendingPathComponent("nope").path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.errors.hasPrefix("gradlab: error: ") && missing.errors.contains("does not exist"), missing.errors)
        XCTAssertEqual(missing.errors.split(separator: "\n").count, 1, missing.errors)

        let broken = folder.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: broken.appendingPathComponent("run.json"))
        let malformed = try CommandRunner.run(["report", broken.path])
        XCTAssertEqual(malformed.status, 2)
        XCTAssertTrue(malformed.errors.contains("run.json: not valid JSON"), malformed.errors)

        let run = try train("ok", activation: "tanh")
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let unwritable = try CommandRunner.run(["report", run.path, "--out", file.appendingPathComponent("sub").path])
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.errors.contains("cannot write"), unwritable.errors)

        let format = try CommandRunner.run(["report", run.path, "--format", "gif"])
        XCTAssertEqual(format.status, 2)
        XCTAssertTrue(format.errors.contains("unknown format 'gif'"), format.errors)
    }

    func testMissingGnuplotSaysHowToInstall() throws {
        let run = try train("nognuplot", activation: "tanh")
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = ["report", run.path]
        process.environment = ["PATH": folder.path]  // no gnuplot on this PATH
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2)
        XCTAssertTrue(text.contains("gnuplot was not found") && text.contains("make setup"), text)
    }
}
