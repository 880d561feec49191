@testable import Backprop
import XCTest

/// `Vectorized.addColumnSums`, the bias gradient of `Linear`: the same bits as the plain loop it replaced,
/// which adds each column row by row in order, for widths that take the 32-column blocks, the 8-column
/// blocks and the scalar tail, with and without accumulating onto the gradient already there.
final class ColumnSumTests: XCTestCase {
    /// Values spread over sixteen decades, so that any other order of the additions changes the bits, with
    /// every seventh a −0 (−0 + −0 is −0, +0 + −0 is +0: the sign of a zero sum shows the order too).
    private func values<Scalar: TensorScalar>(_ count: Int, _ generator: inout RandomGenerator) -> [Scalar] {
        (0..<count).map { i in
            let value = Double.random(in: -1...1, using: &generator) * pow(10, Double.random(in: -8...8, using: &generator))
            return i % 7 == 0 ? -0.0 : Scalar(value)
        }
    }

    private func check<Scalar: TensorScalar>(_: Scalar.Type) {
        var generator = RandomGenerator(seed: 41)
        for rows in [1, 3, 128] {
            for columns in [1, 7, 8, 9, 31, 32, 33, 40, 64, 70, 128] {
                let x: [Scalar] = values(rows * columns, &generator)
                let start: [Scalar] = values(columns, &generator)
                for accumulate in [false, true] {
                    var expected = accumulate ? start : [Scalar](repeating: 0, count: columns)
                    for row in 0..<rows {
                        for j in 0..<columns { expected[j] += x[row * columns + j] }
                    }
                    var got = start
                    x.withUnsafeBufferPointer { p in
                        got.withUnsafeMutableBufferPointer { g in
                            Vectorized.addColumnSums(p.baseAddress!, rows: rows, columns: columns, into: g.baseAddress!,
                                                     accumulate: accumulate)
                        }
                    }
                    // Equal with the same sign is the same bits for numbers (there is no NaN here).
                    let first = got.indices.first { got[$0] != expected[$0] || got[$0].sign != expected[$0].sign }
                    XCTAssertNil(first, "\(Scalar.self) \(rows)×\(columns), accumulate \(accumulate): column "
                                 + "\(first.map(String.init) ?? "")")
                }
            }
        }
    }

    func testColumnSumsAreTheBitsOfTheRowByRowLoop() {
        check(Float.self)
        check(Double.self)
    }

    /// The order matters for these inputs: the same columns summed from the last row up differ somewhere.
    func testTheInputsDistinguishTheOrderOfTheAdditions() {
        var generator = RandomGenerator(seed: 41)
        let rows = 128, columns = 128
        let x: [Float] = values(rows * columns, &generator)
        var forward = [Float](repeating: 0, count: columns), backward = forward
        for row in 0..<rows {
            for j in 0..<columns { forward[j] += x[row * columns + j] }
        }
        for row in (0..<rows).reversed() {
            for j in 0..<columns { backward[j] += x[row * columns + j] }
        }
        XCTAssertNotEqual(forward.map(\.bitPattern), backward.map(\.bitPattern))
    }
}
