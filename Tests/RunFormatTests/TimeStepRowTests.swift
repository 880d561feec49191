import Foundation
import XCTest
@testable import RunFormat

/// timesteps.csv's rows: what is written reads back, and a file from another framework may leave out the
/// optional columns.
final class TimeStepRowTests: XCTestCase {
    private func table(_ text: String) throws -> CSVTable { try CSVTable(bytes: Array(text.utf8), path: "timesteps.csv") }

    func testRowsRoundTripWithEveryGateAndNonFiniteValues() throws {
        let rows = [
            TimeStepRow(step: 3, layer: "2.1", stack: 1, t: 7, gradientNorm: 1.0 / 3.0, hiddenNorm: .infinity,
                        gates: ["i", "f", "g", "o"].enumerated().map { .init(name: $1, mean: 0.1 * Double($0), saturated: 0.3) }),
            TimeStepRow(step: 4, layer: "a,\"b\"", stack: 0, t: 1, gradientNorm: 5e-324, hiddenNorm: 2,
                        gates: [.init(name: "n", mean: -0.5, saturated: .nan), .init(name: "r", mean: 0.5, saturated: 0)]),
            TimeStepRow(step: 5, layer: "0", stack: 0, t: 2, gradientNorm: .nan, hiddenNorm: 0),
        ]
        let text = ([TimeStepRow.columns.joined(separator: ",")] + rows.map { $0.fields.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
        let read = try table(text).timeSteps()
        XCTAssertEqual(read.count, 3)
        XCTAssertEqual(read[0], rows[0])
        XCTAssertEqual(read[1].layer, "a,\"b\"", "a name with a comma and quotes is quoted")
        XCTAssertEqual(read[1].gates.map(\.name), ["r", "n"], "gates read in the file's column order")
        XCTAssertTrue(read[1].gate("n")!.saturated.isNaN)
        XCTAssertEqual(read[1].gradientNorm, 5e-324)
        XCTAssertTrue(read[2].gradientNorm.isNaN)
        XCTAssertTrue(read[2].gates.isEmpty)
    }

    func testOnlyTheKeyColumnsAndTheGradientNormAreRequired() throws {
        let read = try table("t,layer,step,grad_norm,stack,gate_f_saturated\n1,0,10,0.5,0,0.25\n2,0,10,1,0,\n").timeSteps()
        XCTAssertEqual(read.map(\.t), [1, 2])
        XCTAssertTrue(read[0].hiddenNorm.isNaN, "absent hidden_norm reads as NaN")
        XCTAssertEqual(read[0].gates.map(\.name), ["f"])
        XCTAssertTrue(read[0].gate("f")!.mean.isNaN)
        XCTAssertEqual(read[0].gate("f")!.saturated, 0.25)
        XCTAssertTrue(read[1].gates.isEmpty, "an empty gate field is a gate the cell does not have")
        XCTAssertThrowsError(try table("step,layer,stack,t\n1,0,0,1\n").timeSteps()) { error in
            XCTAssertEqual(error as? RunFolderError, .malformed(path: "timesteps.csv", line: 1,
                                                               reason: "no column 'grad_norm' (columns: step, layer, stack, t)"))
        }
    }

    func testTimeRatiosAreFirstOverLastPerStepLayerAndStack() {
        let rows = [(1, "0", 0, 3, 4.0), (1, "0", 0, 1, 1.0), (1, "0", 0, 2, 2.0), (1, "0", 1, 1, 9.0), (1, "0", 1, 2, 3.0),
                    (2, "0", 0, 1, 1.0), (2, "0", 0, 2, 0.0), (3, "1", 0, 1, 7.0)]
            .map { TimeStepRow(step: $0.0, layer: $0.1, stack: $0.2, t: $0.3, gradientNorm: $0.4, hiddenNorm: 1) }
        let ratios = TimeStepRow.timeRatios(rows)
        XCTAssertEqual(ratios.map { "\($0.step) \($0.layer) \($0.stack)" }, ["1 0 0", "1 0 1", "2 0 0", "3 1 0"])
        XCTAssertEqual(ratios.map(\.ratio), [0.25, 3, nil, nil], "‖∂L/∂h_T‖ = 0 and T = 1 have no ratio")
    }
}
