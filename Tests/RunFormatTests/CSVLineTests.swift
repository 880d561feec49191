import Foundation
import RunFormat
import XCTest

/// `CSVLine` (and `CSVField`, which it backs) writes Swift's shortest round-trip numbers with numpy's names
/// for the non-finite ones, RFC 4180 text, and a file that reads back.
final class CSVLineTests: XCTestCase {
    /// What a number's field must be: `"\(value)"`, or nan / inf / -inf.
    private func expected(_ value: Double) -> String {
        value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : "\(value)"
    }
    /// Each text with its field, written out by hand.
    private let quoted = ["": "", "0.weight": "0.weight", "a,b": "\"a,b\"", "say \"hi\"": "\"say \"\"hi\"\"\"",
                          "two\nlines": "\"two\nlines\"", "cr\r": "\"cr\r\"", "ünïcødé": "ünïcødé", "\"": "\"\"\"\"",
                          ",": "\",\""]

    private let numbers: [Double] = [0, -0.0, 1, -1, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.125,
                                     -2.5e-7, .nan, .infinity, -.infinity, Double(Float.ulpOfOne), 1 / 3]
    private let integers = [0, 7, -7, 10, 99, 1_000_000, Int.max, Int.min]
    private let texts = ["", "0.weight", "a,b", "say \"hi\"", "two\nlines", "cr\r", "ünïcødé", "\"", ","]

    func testNumbersIntegersAndTextAreWhatCSVFieldGives() {
        for value in numbers {
            let row = GradientRow(step: 1, parameter: "p", layer: "l", norm: value, mean: -value, standardDeviation: 0,
                                  maxAbs: value, zeroFraction: 0, nonfinite: 0, weightNorm: value, updateNorm: 0,
                                  updateRatio: value)
            XCTAssertEqual(row.fields[3], expected(value), "\(value)")
            XCTAssertEqual(row.fields[4], expected(-value), "\(-value)")
            XCTAssertEqual(CSVField.number(value), expected(value), "\(value)")
        }
        for value in integers {
            let row = FindingRow(step: value, layer: "", kind: .exploding, severity: .warning, value: 1, threshold: 2,
                                 message: "m", lastStep: value)
            XCTAssertEqual(row.fields[0], "\(value)")
            XCTAssertEqual(row.fields[7], "\(value)")
        }
        for text in texts {
            let row = FindingRow(step: 1, layer: text, kind: .exploding, severity: .warning, value: 1, threshold: 2,
                                 message: text + "," + text, lastStep: nil)
            let field = quoted[text]!
            let joined = "\"" + (text + "," + text).replacingOccurrences(of: "\"", with: "\"\"") + "\""
            XCTAssertEqual(row.fields, ["1", field, "exploding", "warning", "1.0", "2.0", joined, ""])
            XCTAssertEqual(CSVField.text(text), field)
        }
    }

    func testOptionalFieldsAreEmptyWhenAbsent() {
        let row = StepRow(step: 3, epoch: 1, loss: 0.5, learningRate: 0.01, gradientNorm: 2, clipped: true, seconds: 1.25)
        XCTAssertEqual(row.fields, ["3", "1", "0.5", "0.01", "2.0", "1", "1.25", "", "", ""])
    }

    /// Rows with every awkward value, written by the writer and read back by `CSVTable`.
    func testTheWritersFileReadsBack() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csvline-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        let writer = try CSVTableWriter<GradientRow>(url: url)
        var rows: [GradientRow] = []
        for (i, value) in numbers.enumerated() {
            let text = texts[i % texts.count]
            rows.append(GradientRow(step: integers[i % integers.count], parameter: text, layer: text, norm: value,
                                    mean: value, standardDeviation: value, maxAbs: value, zeroFraction: value,
                                    nonfinite: i, weightNorm: value, updateNorm: value, updateRatio: value))
            writer.append(rows.last!)
        }
        try writer.flush()
        let table = try CSVTable(url: url)
        XCTAssertEqual(try table.texts("parameter"), rows.map(\.parameter))
        XCTAssertEqual(try table.texts("step"), rows.map { "\($0.step)" })
        let norms = try table.numbers("grad_norm")
        for (read, row) in zip(norms, rows) {
            XCTAssertTrue(read == row.norm || (read!.isNaN && row.norm.isNaN), "\(String(describing: read)) vs \(row.norm)")
        }
    }
}
