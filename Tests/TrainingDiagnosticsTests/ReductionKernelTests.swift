import Backprop
import XCTest
@testable import TrainingDiagnostics

/// The recorder's C reductions against a plain Double loop over the same values: every length from 0 to
/// 70 (no vector block, partial and whole 16-lane groups, a tail) and longer buffers crossing several
/// 512-value blocks, with zeros of both signs, values at the band's ends, and a NaN or an infinity, which
/// must make the sums non-finite.
final class ReductionKernelTests: XCTestCase {
    private func values<Scalar: TensorScalar>(_ count: Int, seed: UInt64, _: Scalar.Type) -> [Scalar] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { i in
            switch i % 11 {
            case 3: return 0
            case 7: return -0.0
            case 9: return i % 2 == 0 ? 1 : -1  // on the band's ends
            default: return Scalar(generator.nextNormal() * 3)
            }
        }
    }

    private func assertReductions<Scalar: TensorScalar>(_ type: Scalar.Type, tolerance: Double) {
        for count in Array(0...70) + [511, 512, 513, 1600, 4099] {
            let x = values(count, seed: UInt64(count) + 1, type)
            let doubles = x.map { Double($0) }
            let sum = doubles.reduce(0, +), squares = doubles.map { $0 * $0 }.reduce(0, +)
            let scale = doubles.map(abs).reduce(0, +)
            let s = x.withUnsafeBufferPointer { sums($0) }
            XCTAssertEqual(s.sum, sum, accuracy: tolerance * scale + 1e-300, "\(Scalar.self) n=\(count) sum")
            XCTAssertEqual(s.squares, squares, accuracy: tolerance * squares + 1e-300, "\(Scalar.self) n=\(count) squares")
            XCTAssertEqual(s.maxAbs, doubles.map(abs).max() ?? 0, "\(Scalar.self) n=\(count) max |x|")
            XCTAssertEqual(s.zeros, doubles.filter { $0 == 0 }.count, "\(Scalar.self) n=\(count) zeros")
            XCTAssertEqual(s.count, count)
            for inclusive in [false, true] {
                let a = x.withUnsafeBufferPointer {
                    Scalar.self == Float.self
                        ? Kernels.activationSums(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress)?
                            .assumingMemoryBound(to: Float.self), count: count), low: -1, high: 1, inclusive: inclusive)
                        : Kernels.activationSums(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress)?
                            .assumingMemoryBound(to: Double.self), count: count), low: -1, high: 1, inclusive: inclusive)
                }
                let outside = doubles.filter { inclusive ? $0 <= -1 || $0 >= 1 : $0 < -1 || $0 > 1 }.count
                XCTAssertEqual(a.sum, sum, accuracy: tolerance * scale + 1e-300, "\(Scalar.self) n=\(count)")
                XCTAssertEqual(a.squares, squares, accuracy: tolerance * squares + 1e-300, "\(Scalar.self) n=\(count)")
                XCTAssertEqual(a.outside, outside, "\(Scalar.self) n=\(count) inclusive \(inclusive): outside the band")
                if count == 0 {
                    XCTAssertTrue(a.min.isNaN && a.max.isNaN, "an empty buffer has no minimum or maximum")
                } else {
                    XCTAssertEqual(a.min, doubles.min()!, "\(Scalar.self) n=\(count) min")
                    XCTAssertEqual(a.max, doubles.max()!, "\(Scalar.self) n=\(count) max")
                }
            }
            // One non-finite value anywhere (in a vector block or in the tail) shows in the sums.
            for bad in [Scalar.nan, .infinity, -.infinity] where count > 0 {
                for position in Set([0, count / 2, count - 1]) {
                    var y = x
                    y[position] = bad
                    let t = y.withUnsafeBufferPointer { sums($0) }
                    XCTAssertFalse(t.isFinite, "\(Scalar.self) n=\(count): \(bad) at \(position) went unseen")
                }
            }
        }
    }

    func testFloatReductionsMatchADoubleLoop() { assertReductions(Float.self, tolerance: 4e-6) }
    func testDoubleReductionsMatchADoubleLoop() { assertReductions(Double.self, tolerance: 1e-13) }

    /// Statistics of an activation: one pass; a non-finite value is counted and left out, as before.
    func testActivationStatisticsLeaveANonFiniteValueOut() {
        let output = Tensor<Float>(shape: [2, 20], scalars: (0..<40).map { $0 == 17 ? .infinity : Float($0) / 40 })
        let s = ActivationStatistics(output, function: .sigmoid)
        XCTAssertEqual(s.nonfinite, 1)
        XCTAssertEqual(s.max, 39.0 / 40, accuracy: 1e-7)
        XCTAssertEqual(s.min, 0)
        let finite = (0..<40).filter { $0 != 17 }.map { Double($0) / 40 }
        XCTAssertEqual(s.mean, finite.reduce(0, +) / 39, accuracy: 1e-7)
    }
}
