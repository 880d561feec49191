import Foundation
import XCTest
@testable import RunFormat

final class RunFolderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("runformat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testWriterQueuesUntilFlushAndTheReaderSeesFlushedRows() throws {
        let url = folder.appendingPathComponent("findings.csv")
        let writer = try CSVTableWriter<FindingRow>(url: url)
        let row = FindingRow(step: 3, layer: "2", kind: .vanishing, severity: .warning, value: 1e-7,
                             threshold: 1e-4, message: "said \"tiny\", then\nstopped")
        writer.append(row)
        XCTAssertEqual(try CSVTable(url: url).rows.count, 0, "nothing reaches the file before flush()")
        try writer.flush()
        let table = try CSVTable(url: url)
        XCTAssertEqual(table.columns, FindingRow.columns)
        XCTAssertEqual(table.rows.count, 1)
        XCTAssertEqual(try table.texts("message"), ["said \"tiny\", then\nstopped"])
        XCTAssertEqual(try table.numbers("value"), [1e-7])
    }

    func testNumbersRoundTripExactlyIncludingNonFinite() throws {
        let url = folder.appendingPathComponent("steps.csv")
        let writer = try CSVTableWriter<StepRow>(url: url)
        let values: [Double] = [0.1 + 0.2, 1.0 / 3.0, 5e-324, .greatestFiniteMagnitude, .nan, .infinity, -.infinity]
        for (i, value) in values.enumerated() {
            writer.append(StepRow(step: i, epoch: 0, loss: value, learningRate: 0.01, gradientNorm: 1, clipped: false,
                                  seconds: 0))
        }
        try writer.flush()
        let read = try CSVTable(url: url).numbers("loss")
        for (written, back) in zip(values, read) {
            if written.isNaN { XCTAssertTrue(back!.isNaN) } else { XCTAssertEqual(back, written) }
        }
        XCTAssertEqual(try CSVTable(url: url).numbers("val_loss"), Array(repeating: nil, count: values.count))
    }

    func testReaderIgnoresATornLastLine() throws {
        let url = folder.appendingPathComponent("steps.csv")
        try "step,loss\n1,0.5\n2,0.4\n3,0.3".write(to: url, atomically: false, encoding: .utf8)
        XCTAssertEqual(try CSVTable(url: url).numbers("step"), [1, 2])
    }

    func testReaderNamesTheFileAndColumnOfABadNumber() throws {
        let url = folder.appendingPathComponent("steps.csv")
        try "step,loss\n1,0.5\n2,abc\n".write(to: url, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try CSVTable(url: url).numbers("loss")) { error in
            XCTAssertEqual(error as? RunFolderError,
                           .malformed(path: url.path, line: 3, reason: "'abc' in column 'loss' is not a number"))
        }
        XCTAssertThrowsError(try CSVTable(url: url).column("grad_norm"))
    }

    func testWriterRefusesAFolderThatDoesNotExist() {
        let url = folder.appendingPathComponent("no/such/steps.csv")
        XCTAssertThrowsError(try CSVTableWriter<StepRow>(url: url)) { error in
            guard case .cannotWrite(let path, _) = error as? RunFolderError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
    }

    private func manifest(status: RunManifest.Status, pid: Int32?) -> RunManifest {
        RunManifest(name: "r", created: "2026-11-23T00:00:00Z", status: status, seed: 7, config: ["mlp": "2,8,2"],
                    model: .init(description: "2,8,2", layers: [.init(name: "0", kind: "Linear", inputFeatures: 2,
                                                                             outputFeatures: 8)],
                                 parameters: [.init(name: "0.weight", layer: "0", shape: [8, 2])]),
                    dataset: .init(name: "moons", trainingExamples: 10, validationExamples: 2, features: 2,
                                   outputs: 2),
                    optimizer: ["name": "adam"], pid: pid)
    }

    func testManifestRoundTripsAndLeavesNoTemporaryFile() throws {
        var written = manifest(status: .completed, pid: nil)
        written.finalLoss = .nan
        written.findings = [FindingRow(step: 1, layer: "0", kind: .dead, severity: .warning, value: 0.5,
                                       threshold: 0.4, message: "m")]
        try written.write(to: folder)
        let read = try RunManifest.read(from: folder)
        XCTAssertEqual(read.findings, written.findings)
        XCTAssertTrue(read.finalLoss!.isNaN)
        XCTAssertEqual(read.model, written.model)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["run.json"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json")))
        XCTAssertEqual((json as? [String: Any])?["format"] as? String, "gradlab.run")
        XCTAssertEqual((json as? [String: Any])?["status"] as? String, "completed")
    }

    func testARunningRunWhoseProcessIsGoneReadsAsInterrupted() throws {
        XCTAssertEqual(manifest(status: .running, pid: getpid()).effectiveStatus, .running)
        // Pid numbers above the kernel's pid_max (at most 2^22) are never in use.
        XCTAssertEqual(manifest(status: .running, pid: 99_999_999).effectiveStatus, .interrupted)
        XCTAssertEqual(manifest(status: .diverged, pid: 99_999_999).effectiveStatus, .diverged)
    }

    func testAManifestWithAMissingFieldIsNamed() throws {
        try #"{"format": "gradlab.run", "version": 1}"#.write(to: folder.appendingPathComponent("run.json"),
                                                              atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunManifest.read(from: folder)) { error in
            XCTAssertTrue("\(error)".contains("is missing"), "\(error)")
        }
    }
}

/// The project's one CSV reader against RFC 4180's corners and hostile numbers.
final class CSVTableTests: XCTestCase {
    private func table(_ text: String, torn: Bool = true) throws -> CSVTable {
        try CSVTable(bytes: Array(text.utf8), path: "t.csv", ignoresTornLastLine: torn)
    }

    private func assertMalformed(_ text: String, torn: Bool = false, line: Int?, contains fragment: String,
                                 file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try table(text, torn: torn).integers("a"), file: file, line: lineNumber) { error in
            guard case RunFolderError.malformed(let path, let l, let reason) = error else {
                return XCTFail("expected malformed, got \(error)", file: file, line: lineNumber)
            }
            XCTAssertEqual(path, "t.csv", file: file, line: lineNumber)
            XCTAssertEqual(l, line, reason, file: file, line: lineNumber)
            XCTAssertTrue(reason.contains(fragment), "'\(reason)' lacks '\(fragment)'", file: file, line: lineNumber)
            XCTAssertFalse(reason.contains("\n"), "one line: \(reason)", file: file, line: lineNumber)
        }
    }

    func testQuotedNewlinesDoubledQuotesCRLFAndABOM() throws {
        let t = try table("\u{FEFF}a,b\r\n1,\"two\r\nlines, \"\"quoted\"\"\"\r\n\r\n3,\"\"\r\n", torn: false)
        XCTAssertEqual(t.columns, ["a", "b"], "the byte-order mark is not part of the first name")
        XCTAssertEqual(t.count, 2, "the blank line is skipped")
        XCTAssertEqual(try t.texts("b"), ["two\r\nlines, \"quoted\"", ""])
        XCTAssertEqual(try t.integers("a"), [1, 3])
        XCTAssertEqual(t.line(ofRow: 1), 5, "the quoted line break counts: row 2 starts on line 5")
    }

    func testATornLastRecordIsDroppedOnlyWhenAsked() throws {
        let text = "a,b\n1,2\n3,\"unfinished\nfield"
        let run = try table(text)
        XCTAssertEqual(run.count, 1)
        XCTAssertTrue(run.tornLine)
        XCTAssertEqual(try table("a,b\n1,2\n3,4").count, 1, "a run file's last line without newline is torn")
        let data = try table("a,b\n1,2\n3,4", torn: false)
        XCTAssertEqual(try data.integers("b"), [2, 4], "a dataset's last line without newline is a row")
        assertMalformed(text, line: 3, contains: "not closed")
    }

    func testRepeatedHeaderNamesAreRefused() {
        assertMalformed("a,b,a\n1,2,3\n", line: 1, contains: "names column 'a' twice (columns 1 and 3)")
    }

    func testNumbersThatCannotBeIntegersAreErrorsNotTraps() throws {
        for bad in ["99999999999999999999999", "1e300", "nan", "inf", "-inf", "2.5", "9007199254740993e3"] {
            assertMalformed("a\n1\n\(bad)\n", line: 3, contains: "not a whole number")
        }
        XCTAssertEqual(try table("a\n9007199254740992\n-4\n 7 \n").integers("a"), [9_007_199_254_740_992, -4, 7])
        assertMalformed("a\n1x\n", line: 2, contains: "'1x' in column 'a' is not a number")
        assertMalformed("\n \n", line: nil, contains: "empty")
        assertMalformed("a,b\n1\n", line: 2, contains: "1 fields but the header has 2")
        assertMalformed("a,b\n\"1\"x,2\n", line: 2, contains: "follows the closing quote")
    }

    func testALongFieldIsClippedInMessages() {
        let long = String(repeating: "z", count: 100_000)
        XCTAssertThrowsError(try table("a\n\(long)\n").integers("a")) { error in
            XCTAssertLessThan(String(describing: error).count, 300)
        }
    }

    /// findings.csv is append-only: a closing row replaces its finding's first row, in its place; a
    /// stagnation row replaces the plateau of the same step; a file from before spans reads as open.
    func testFindingSpansKeepTheLastRowOfEachFinding() throws {
        let header = "step,layer,kind,severity,value,threshold,message,last_step\n"
        let rows = "201,,plateau,info,0,0.01,stalled,\n" + "3,1,dead,warning,0.6,0.5,dead,\n"
            + "201,,plateau,info,0,0.01,stalled,540\n" + "700,,plateau,info,0,0.01,stalled again,\n"
            + "700,,stagnation,warning,0,0.01,stalls,\n"
        let spans = try table(header + rows).findings()
        XCTAssertEqual(spans.map { "\($0.kind) \($0.step) \($0.lastStep.map(String.init) ?? "open")" },
                       ["plateau 201 540", "dead 3 open", "stagnation 700 open"])
        XCTAssertEqual(spans.map { $0.span(end: 1000) }, ["steps 201–540", "steps 3–1000 (to the end)",
                                                         "steps 700–1000 (to the end)"])
        let old = try table("step,layer,kind,severity,value,threshold,message\n3,1,dead,warning,0.6,0.5,dead\n").findings()
        XCTAssertEqual(old.map(\.lastStep), [nil], "no last_step column: open")
        let row = FindingRow(step: 4, layer: "", kind: .exploding, severity: .warning, value: 1, threshold: 1,
                             message: "m", lastStep: 4)
        XCTAssertEqual(row.fields.last, "4")
        XCTAssertEqual(row.span(end: 9), "step 4")
        let json = try JSONDecoder().decode(FindingRow.self, from: JSONEncoder().encode(row))
        XCTAssertEqual(json, row, "run.json keeps last_step")
        XCTAssertTrue(String(decoding: try JSONEncoder().encode(row), as: UTF8.self).contains("\"last_step\":4"))
    }
}
