import Foundation
import RunFormat
import XCTest

/// `gradlab demo` end to end: the canonical verdicts hold and the report is written.
final class DemoCommandTests: XCTestCase {
    func testTheDemosVerdictsHoldAndItWritesTheReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A shorter budget keeps the debug-build test quick; the verdicts must hold all the same. The model-file
        // scenarios (e) and (f) (convnets, recurrent networks) are too slow for a debug build; `make demo` runs them.
        let result = try CommandRunner.run(["demo", "--out", folder.path, "--scale", "0.5", "--no-run-reports",
                                            "--only", "a,b,c"])
        XCTAssertEqual(result.status, 0, result.errors)
        func findings(_ run: String) throws -> Set<FindingKind> {
            Set(try RunManifest.read(from: folder.appendingPathComponent("runs").appendingPathComponent(run)).findings.map(\.kind))
        }
        XCTAssertTrue(try findings("a-sigmoid-classic").contains(.vanishing))
        XCTAssertFalse(try findings("a-relu-he").contains(.vanishing))
        XCTAssertFalse(try findings("b-lr2-no-clipping").isDisjoint(with: [.exploding, .nonfinite]))
        XCTAssertTrue(try findings("b-lr2-clip-norm-1").isDisjoint(with: [.exploding, .nonfinite]))
        XCTAssertFalse(result.output.contains("✗"), result.output)
        let gradcheck = try CSVTable(url: folder.appendingPathComponent("gradcheck/gradcheck.csv"))
        XCTAssertFalse(try gradcheck.texts("verdict").contains(EntryVerdict.wrong.rawValue))
        let index = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        for scenario in ["a", "b", "c"] {
            XCTAssertTrue(index.contains("href=\"report/\(scenario)/index.html\""), scenario)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report/\(scenario)/index.html").path))
        }
        XCTAssertTrue(index.contains("gradient check"), "the check's section is on the page")
        XCTAssertTrue(result.output.contains("Report: \(folder.appendingPathComponent("index.html").path)"), result.output)
    }

    func testUnknownScenarioIsAUsageError() throws {
        let result = try CommandRunner.run(["demo", "--only", "a,z"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.errors.contains("'z' is not a scenario"), result.errors)
    }

    func testUnknownFlagIsAUsageError() throws {
        let result = try CommandRunner.run(["demo", "--no-such-flag"])
        XCTAssertEqual(result.status, 2, "usage errors exit with 2")
        XCTAssertTrue(result.errors.contains("Unknown option '--no-such-flag'"), result.errors)
    }

    func testUnwritableOutputFolderIsAClearError() throws {
        // A regular file where the output folder should be: nothing can be created below it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-file-\(UUID().uuidString)")
        try Data("keep me".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CommandRunner.run(["demo", "--out", file.appendingPathComponent("sub").path])
        XCTAssertEqual(result.status, 2, result.errors)
        XCTAssertTrue(result.errors.hasPrefix("gradlab: error: cannot write"), result.errors)
        XCTAssertTrue(result.errors.contains(file.path), "the message names the folder: \(result.errors)")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me", "nothing on disk is damaged")
    }
}
