import Foundation
import XCTest
@testable import RunFormat

/// The run format's closed vocabularies: their CSV text, what each word carries, and how a word outside
/// them is refused on reading.
final class FindingVocabularyTests: XCTestCase {
    /// The CSV text is the format: renaming a case must not change what is written.
    func testRawValuesAreTheRunFormatsText() {
        XCTAssertEqual(FindingKind.allCases.map(\.rawValue),
                       ["vanishing", "exploding", "nonfinite", "dead", "saturated", "update_ratio", "stagnation",
                        "plateau", "gradcheck", "vanishing_through_time", "exploding_through_time",
                        "saturated_gates"])
        XCTAssertEqual(FindingSeverity.allCases.map(\.rawValue), ["info", "warning", "error"])
        XCTAssertEqual(FindingSeverity.allCases.filter(\.needsAction), [.warning, .error], "info is not to act on")
        XCTAssertEqual(EntryVerdict.allCases.map(\.rawValue), ["ok", "kink", "imprecise", "wrong"])
        XCTAssertEqual("\(FindingKind.updateRatio) \(FindingSeverity.error) \(EntryVerdict.imprecise)",
                       "update_ratio error imprecise", "interpolation writes the format's text")
    }

    func testEveryWordCarriesItsTextsAndTheyDiffer() {
        for kind in FindingKind.allCases {
            XCTAssertFalse(kind.title.isEmpty || kind.remedy.isEmpty || kind.figure.isEmpty, "\(kind)")
            XCTAssertEqual(kind.remedy.first.map { $0.isLowercase || $0 == "`" }, true,
                           "\(kind): a remedy follows 'Remedy: ' in lower case: \(kind.remedy)")
            XCTAssertFalse(kind.remedy.hasSuffix("."), "\(kind): the message adds the full stop")
        }
        XCTAssertEqual(Set(FindingKind.allCases.map(\.title)).count, FindingKind.allCases.count, "titles differ")
        XCTAssertEqual(Set(EntryVerdict.allCases.map(\.title)).count, EntryVerdict.allCases.count)
        XCTAssertEqual(Set(EntryVerdict.allCases.map(\.meaning)).count, EntryVerdict.allCases.count)
        XCTAssertEqual(EntryVerdict.allCases.filter(\.isFailure), [.wrong], "only a wrong gradient is a bug")
        XCTAssertEqual(FindingKind.nonfinite.remedy, FindingKind.exploding.remedy)
        XCTAssertNotEqual(FindingKind.updateRatioRemedy(tooLarge: true), FindingKind.updateRatioRemedy(tooLarge: false))
    }

    func testEveryKindSeverityAndVerdictRoundTripsThroughCSVAndJSON() throws {
        var rows: [FindingRow] = []
        for kind in FindingKind.allCases {
            for severity in FindingSeverity.allCases {
                rows.append(FindingRow(step: rows.count, layer: "1", kind: kind, severity: severity, value: 0.5,
                                       threshold: 0.25, message: "m"))
            }
        }
        let text = ([FindingRow.columns.joined(separator: ",")] + rows.map { $0.fields.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
        XCTAssertEqual(try CSVTable(bytes: Array(text.utf8), path: "findings.csv").findings(), rows)
        let json = try JSONDecoder().decode([FindingRow].self, from: JSONEncoder().encode(rows))
        XCTAssertEqual(json, rows)
        let checks = EntryVerdict.allCases.map {
            GradcheckRow(step: 1, parameter: "0.weight", index: "0;0", analytic: 1, numeric: 1, absoluteError: 0,
                         relativeError: 0, verdict: $0)
        }
        let csv = ([GradcheckRow.columns.joined(separator: ",")] + checks.map { $0.fields.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
        XCTAssertEqual(try CSVTable(bytes: Array(csv.utf8), path: "gradcheck.csv").gradchecks(), checks)
        // The evidence columns round-trip, and a file without them still reads (NaN, false, empty).
        let evidence = GradcheckRow(step: nil, parameter: "3.bias", index: "5", analytic: 0.25, numeric: 0.5,
                                    absoluteError: 0.25, relativeError: 0.5, verdict: .kink, h: 3.5e-9,
                                    forwardSlope: 0.75, backwardSlope: 0.25, kinkCrossed: true, kinkUnit: "4[0;5]",
                                    roundoffError: 1e-7, truncationError: .nan)
        let withEvidence = GradcheckRow.columns.joined(separator: ",") + "\n" + evidence.fields.joined(separator: ",") + "\n"
        XCTAssertEqual(try CSVTable(bytes: Array(withEvidence.utf8), path: "gradcheck.csv").gradchecks(), [evidence])
        let old = GradcheckRow.columns.prefix(8).joined(separator: ",") + "\n,3.bias,5,0.25,0.5,0.25,0.5,kink\n"
        let read = try CSVTable(bytes: Array(old.utf8), path: "gradcheck.csv").gradchecks()
        XCTAssertEqual(read.count, 1)
        XCTAssertTrue(read[0].h.isNaN && read[0].forwardSlope.isNaN && !read[0].kinkCrossed && read[0].kinkUnit.isEmpty)
        XCTAssertEqual(read[0].verdict, .kink)
    }

    /// A word outside a vocabulary is an error naming the file, the line, the word and every allowed word.
    func testAnUnknownWordInACSVFileIsRefusedWithTheAllowedOnes() {
        let header = FindingRow.columns.joined(separator: ",")
        let good = "1,0,vanishing,warning,1,1,fine,"
        assertRefused("\(header)\n\(good)\n2,0,spike,warning,1,1,m,\n", path: "findings.csv", read: { try $0.findings() },
                      line: 3, word: "spike", allowed: FindingKind.allCases.map(\.rawValue))
        assertRefused("\(header)\n\(good)\n\(good)\n2,0,dead,fatal,1,1,m,\n", path: "findings.csv",
                      read: { try $0.findings() }, line: 4, word: "fatal",
                      allowed: FindingSeverity.allCases.map(\.rawValue))
        assertRefused("\(header)\n2,0,Vanishing,warning,1,1,m,\n", path: "findings.csv", read: { try $0.findings() },
                      line: 2, word: "Vanishing", allowed: FindingKind.allCases.map(\.rawValue))
        // A file with the first eight columns only, as written before the evidence columns.
        let checks = GradcheckRow.columns.prefix(8).joined(separator: ",")
        assertRefused("\(checks)\n1,0.weight,0,1,1,0,0,ok\n1,0.weight,1,1,1,0,0,maybe\n", path: "gradcheck.csv",
                      read: { try $0.gradchecks() }, line: 3, word: "maybe",
                      allowed: EntryVerdict.allCases.map(\.rawValue))
    }

    func testAnUnknownKindInRunJSONIsRefusedNamingTheField() throws {
        let manifest = RunManifest(name: "r", created: "2026-01-01T00:00:00Z", status: .completed, seed: 1, config: [:],
                                   model: .init(description: "", layers: [], parameters: []),
                                   dataset: .init(name: "d", trainingExamples: 1, validationExamples: 0, features: 1,
                                                  outputs: 1),
                                   optimizer: [:], stepsCompleted: 1,
                                   findings: [FindingRow(step: 1, layer: "0", kind: .dead, severity: .warning,
                                                         value: 0.5, threshold: 0.5, message: "m")])
        let text = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        XCTAssertEqual(try RunManifest.decode(Data(text.utf8), path: "run.json").findings, manifest.findings)
        for (field, good, bad, allowed) in [("kind", "dead", "spike", FindingKind.allCases.map(\.rawValue)),
                                            ("severity", "warning", "fatal", FindingSeverity.allCases.map(\.rawValue))] {
            let broken = text.replacingOccurrences(of: "\"\(field)\":\"\(good)\"", with: "\"\(field)\":\"\(bad)\"")
            XCTAssertNotEqual(broken, text, "the test must change the \(field)")
            XCTAssertThrowsError(try RunManifest.decode(Data(broken.utf8), path: "run.json")) { error in
                guard case RunFolderError.malformed(let path, _, let reason) = error else {
                    return XCTFail("expected malformed, got \(error)")
                }
                XCTAssertEqual(path, "run.json")
                XCTAssertTrue(reason.contains("findings[0].\(field)") && reason.contains("'\(bad)'"), reason)
                XCTAssertTrue(reason.contains(allowed.joined(separator: ", ")), reason)
            }
        }
    }

    private func assertRefused(_ text: String, path: String, read: (CSVTable) throws -> Any, line: Int,
                               word: String, allowed: [String], file: StaticString = #filePath,
                               lineNumber: UInt = #line) {
        XCTAssertThrowsError(try read(CSVTable(bytes: Array(text.utf8), path: path)), file: file, line: lineNumber) {
            guard case RunFolderError.malformed(let p, let l, let reason) = $0 else {
                return XCTFail("expected malformed, got \($0)", file: file, line: lineNumber)
            }
            XCTAssertEqual(p, path, file: file, line: lineNumber)
            XCTAssertEqual(l, line, reason, file: file, line: lineNumber)
            XCTAssertTrue(reason.contains("'\(word)'"), reason, file: file, line: lineNumber)
            XCTAssertTrue(reason.contains("allowed: " + allowed.joined(separator: ", ")), reason,
                          file: file, line: lineNumber)
            XCTAssertFalse(reason.contains("\n"), "one line: \(reason)", file: file, line: lineNumber)
        }
    }
}
