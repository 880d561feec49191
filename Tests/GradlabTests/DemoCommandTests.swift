import Foundation
import XCTest

/// `gradlab` run end to end as a user runs it: the built binary, its output and its files.
final class DemoCommandTests: XCTestCase {
    private var binary: URL {
        // The test bundle sits in the products folder next to the built executables.
        Bundle.main.bundleURL.appendingPathComponent("gradlab")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    func testDemoShowsVanishingGradientsAndWritesTheFigure() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run(["demo", "--out", folder.path])
        XCTAssertEqual(result.status, 0, result.errors)
        let ratios = result.output.split(separator: "\n").filter { $0.contains("gradient ratio") }
        XCTAssertEqual(ratios.count, 2, result.output)
        // The sigmoid network's first layer gets a gradient many orders of magnitude below its last's;
        // the ReLU/He network's stays within one order of magnitude.
        let values = ratios.compactMap { Double($0.split(separator: " ").last!) }
        XCTAssertEqual(values.count, 2, result.output)
        XCTAssertLessThan(values[0], 1e-5, "sigmoid/classic vanishes: \(result.output)")
        XCTAssertGreaterThan(values[1], 0.1, "relu/he does not: \(result.output)")
        for name in ["gradient-flow.png", "gradient-flow.gp", "gradient-flow.dat"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
    }

    func testUnknownFlagIsAUsageError() throws {
        let result = try run(["demo", "--no-such-flag"])
        XCTAssertEqual(result.status, 2, "usage errors exit with 2")
        XCTAssertTrue(result.errors.contains("Unknown option '--no-such-flag'"), result.errors)
    }
}

extension DemoCommandTests {
    func testUnwritableOutputFolderIsAClearError() throws {
        // A regular file where the output folder should be: nothing can be created below it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-file-\(UUID().uuidString)")
        try Data("keep me".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(["demo", "--out", file.appendingPathComponent("sub").path])
        XCTAssertEqual(result.status, 2, result.errors)
        XCTAssertTrue(result.errors.hasPrefix("gradlab: error: cannot write"), result.errors)
        XCTAssertTrue(result.errors.contains(file.path), "the message names the folder: \(result.errors)")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me", "nothing on disk is damaged")
    }
}
