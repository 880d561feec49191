import Foundation
import XCTest

/// gradlab-bench refuses bad flags before any work: a non-zero exit, an `Error: ` line that names the flag
/// or the path and says what is wrong, no Foundation error text, and nothing created or changed on disk.
final class BenchFlagsTests: XCTestCase {
    static var bench: URL { Bundle.main.bundleURL.appendingPathComponent("gradlab-bench") }

    func testBadFlagsAreRefusedInWordsBeforeAnyWork() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-bench-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("results.txt")
        try Data("keep me\n".utf8).write(to: file)
        let fresh = root.appendingPathComponent("fresh").path

        let cases: [(name: String, arguments: [String], words: [String])] = [
            ("too few steps", ["--steps", "0"], ["--steps", "at least 5", "0"]),
            ("no warm-up", ["--warmup", "0"], ["--warmup", "at least 1"]),
            ("no rounds", ["--rounds", "0", "--peers", fresh], ["--rounds", "at least 1", "0"]),
            ("unknown workload", ["--only", "nope"], ["--only", "a-float", "'nope'"]),
            ("unknown peer workload", ["--peers", fresh, "--workloads", "w1,w9"], ["--workloads", "w6", "'w1,w9'"]),
            ("workloads without peers", ["--workloads", "w1"], ["--workloads", "--peers"]),
            ("peers is a file", ["--peers", file.path], ["--peers", file.path, "is a file, not a folder"]),
            ("peers under a file", ["--peers", file.path + "/sub"], ["--peers", file.path, "is a file, not a folder"]),
            ("unknown flag", ["--fast"], ["--fast"]),
        ]
        for c in cases {
            let result = try CommandRunner.run(c.arguments, executable: Self.bench)
            XCTAssertNotEqual(result.status, 0, "\(c.name): exit status")
            let first = result.errors.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.hasPrefix("Error: "), "\(c.name): the first line of stderr is \(first)")
            for word in c.words { XCTAssertTrue(first.contains(word), "\(c.name): '\(word)' missing from \(first)") }
            XCTAssertFalse(result.errors.contains("Domain="), "\(c.name): Foundation's error text in \(result.errors)")
            XCTAssertEqual(result.output, "", "\(c.name): something was measured")
            XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "\(c.name): \(fresh) was created")
            XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me\n", "\(c.name): the file changed")
        }
    }
}
