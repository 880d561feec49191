import Foundation
import RunFormat
import XCTest

/// Issue 13, item 9: bad input to every subcommand, through the built binary.
///
/// Every case must be refused before any work: exit status 2 (never a signal or a trap), one line on stderr
/// starting `gradlab: error: ` that says where the problem is (the flag; the config file with
/// `:LINE:COLUMN` and the key; the file's path), no Foundation error text, at most 400 characters, and
/// nothing changed on disk (the case's working folder and its sentinel tree compare equal before and after).
/// Each group's test reports every failing case by name.
final class BadInputTests: XCTestCase {
    typealias Case = BadInputCase
    typealias F = BadInputFixtures

    static let memoryWords = ["GB", "GiB", "MB", "MiB", "TB", "TiB", "bytes"]
    static let nonFinite = ["NaN", "non-finite", "nonfinite", "not finite"]


    static var all: [Case] {
        trainFlags + configs + csvData + checkCases + compareCases + slurmCases + runFolders + outputPaths
            + tensorboardCases + demoCases
    }

    // MARK: tests

    private func assertRejected(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        for failure in try BadInputRunner.failures(of: cases) { XCTFail(failure, file: file, line: line) }
    }

    func testTheTableHoldsAtLeast300UniquelyNamedCases() {
        let names = Self.all.map(\.name)
        XCTAssertGreaterThanOrEqual(names.count, 300, "the table shrank: \(names.count) cases")
        XCTAssertEqual(Set(names).count, names.count, "case names must be unique, so that a failure names one case")
    }

    func testTrainFlags() throws { try assertRejected(Self.trainFlags) }
    func testConfigFiles() throws { try assertRejected(Self.configs) }
    func testCSVData() throws { try assertRejected(Self.csvData) }
    func testCheckAndWeights() throws { try assertRejected(Self.checkCases) }
    func testCompare() throws { try assertRejected(Self.compareCases) }
    func testCompareOnSlurm() throws { try assertRejected(Self.slurmCases) }
    func testReportInspectAndExportRejectTheSameBrokenFolders() throws { try assertRejected(Self.runFolders) }
    func testOutputPaths() throws { try assertRejected(Self.outputPaths) }
    func testExportAndTensorBoardFolders() throws { try assertRejected(Self.tensorboardCases) }
    func testDemo() throws { try assertRejected(Self.demoCases) }

    /// The positive control: the undamaged fixture is a run folder `inspect` accepts, so the broken
    /// copies are refused for their damage.
    func testTheUndamagedFixtureIsAccepted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-badinput-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try BadInputRunner.create(F.run(at: "run"), in: folder, expand: { $0 })
        let before = try BadInputRunner.snapshot(folder)
        let result = try CommandRunner.run(["inspect", folder.appendingPathComponent("run").path], in: folder,
                                           timeout: BadInputRunner.timeout)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Run fixture: completed"), result.output)
        XCTAssertEqual(try BadInputRunner.snapshot(folder), before, "inspect must not write")
    }
}
