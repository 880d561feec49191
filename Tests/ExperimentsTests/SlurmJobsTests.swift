import Experiments
import Foundation
import XCTest

/// The Slurm job scripts as text: against snapshots, shell quoting that bash reads back exactly, and the
/// partition and time values that may go on an `#SBATCH` line.
final class SlurmJobsTests: XCTestCase {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// Compares `text` with the stored snapshot `name`; GRADLAB_RECORD_SNAPSHOTS=1 records it again.
    func assertSnapshot(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.snapshots.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["GRADLAB_RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        guard let stored = try? String(contentsOf: url, encoding: .utf8) else {
            return XCTFail("no snapshot \(name); record it with GRADLAB_RECORD_SNAPSHOTS=1", file: file, line: line)
        }
        XCTAssertEqual(stored, text, "\(name) differs from its snapshot; GRADLAB_RECORD_SNAPSHOTS=1 records it again",
                       file: file, line: line)
    }

    static func jobs(_ resources: SlurmJobs.Resources, arguments: [String] = ["sweep.yaml", "--out", "/shared/sweep"])
        -> SlurmJobs {
        SlurmJobs(shards: 8, executable: "/opt/gradlab/bin/gradlab", arguments: arguments,
                  workingDirectory: "/home/ada/sweeps", folder: URL(fileURLWithPath: "/shared/sweep/slurm"),
                  resources: resources)
    }

    func testScriptsMatchTheirSnapshots() throws {
        let full = Self.jobs(.init(partition: "cpu", time: "2:00:00", cpusPerTask: 4))
        try assertSnapshot(full.arrayScript, named: "slurm-array.sh")
        try assertSnapshot(full.mergeScript, named: "slurm-merge.sh")
        let bare = Self.jobs(.init())
        try assertSnapshot(bare.arrayScript, named: "slurm-array-defaults.sh")
    }

    func testTheSweepsOwnJobsWinOverCPUsPerTask() {
        let given = Self.jobs(.init(cpusPerTask: 4), arguments: ["sweep.yaml", "--jobs=1"]).arrayScript
        XCTAssertTrue(given.contains("'sweep.yaml' '--jobs=1' '--shard' \"${SLURM_ARRAY_TASK_ID}/8\""), given)
        let derived = Self.jobs(.init(cpusPerTask: 4), arguments: ["sweep.yaml"]).arrayScript
        XCTAssertTrue(derived.contains("'sweep.yaml' '--jobs' '4' '--shard'"), derived)
    }

    /// bash reads every quoted word back as the text it came from, whatever the text holds.
    func testShellQuotingRoundTripsThroughBash() throws {
        let texts = ["", "plain", "it's", "''", "'\\''", "$(touch PWNED)", "`touch PWNED`", "a\nb", "\"$HOME\"", "\\",
                     "; rm -rf x #", "${IFS}", "tab\there", "ünïcödé ✓", "!history", "*", "-n", "%j %A"]
        let script = texts.map { "printf '%s\\0' " + SlurmJobs.shellQuoted($0) }.joined(separator: "\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let read = String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(read.map(String.init), texts)
    }

    func testPartitionsAreNamesOrCommaLists() {
        for good in ["debug", "cpu,gpu", "long-2.x_y"] {
            XCTAssertNoThrow(try SlurmJobs.checkPartition(good), good)
        }
        for bad in ["", "a b", "a,,b", ",a", "a\n#SBATCH --wrap=x", "a;b", "a'b", "$(x)"] {
            XCTAssertThrowsError(try SlurmJobs.checkPartition(bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--partition "), "\(error)")
            }
        }
    }

    func testTimesHaveSbatchsShapes() {
        for good in ["90", "30:00", "1:30:00", "2-0", "2-12:00", "2-12:00:00", "UNLIMITED", "infinite"] {
            XCTAssertNoThrow(try SlurmJobs.checkTime(good), good)
        }
        for bad in ["", "abc", "1:2:3:4", "1-", "-5", "1-2-3", "5;touch x", "1:", ":5", "1h", "١٢", "1-2:3:4:5"] {
            XCTAssertThrowsError(try SlurmJobs.checkTime(bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--time "), "\(error)")
            }
        }
    }
}
