import Backprop
import Foundation
import XCTest

/// Products split over GradLab's helper threads (`BLASThreads`) against a plain triple loop in Double, and
/// against the same product on one thread.
final class ParallelProductTests: XCTestCase {
    private var threadsBefore = 1

    override func setUp() { threadsBefore = BLASThreads.count }
    override func tearDown() { BLASThreads.set(threadsBefore) }

    /// Shapes large enough to be split: by rows (m ≥ n) and by columns, with sizes that are not multiples of
    /// the 16-wide blocks, leading dimensions wider than the matrices, and every transpose.
    private let shapes = [(m: 130, n: 70, k: 130), (m: 37, n: 600, k: 64), (m: 256, n: 256, k: 48), (m: 33, n: 33, k: 1000)]

    private struct Case<Scalar: TensorScalar>: Sendable {
        var a: [Scalar], b: [Scalar], c: [Scalar]
        var lda: Int, ldb: Int, ldc: Int
    }

    private func makeCase<Scalar: TensorScalar>(_ m: Int, _ n: Int, _ k: Int, _ ta: Bool, _ tb: Bool,
                                                 seed: UInt64) -> Case<Scalar> {
        var generator = RandomGenerator(seed: seed)
        let (rowsA, columnsA) = ta ? (k, m) : (m, k)
        let (rowsB, columnsB) = tb ? (n, k) : (k, n)
        let lda = columnsA + 3, ldb = columnsB + 5, ldc = n + 7
        func random(_ count: Int) -> [Scalar] { (0..<count).map { _ in Scalar(generator.nextNormal()) } }
        return Case(a: random(rowsA * lda), b: random(rowsB * ldb), c: random(m * ldc), lda: lda, ldb: ldb, ldc: ldc)
    }

    private static func product<Scalar: TensorScalar>(_ value: Case<Scalar>, _ m: Int, _ n: Int, _ k: Int,
                                                _ ta: Bool, _ tb: Bool) -> [Scalar] {
        var c = value.c
        value.a.withUnsafeBufferPointer { a in
            value.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!,
                                lda: value.lda, b: b.baseAddress!, ldb: value.ldb, beta: 0.25, c: c.baseAddress!,
                                ldc: value.ldc)
                }
            }
        }
        return c
    }

    private func assertSplitProducts<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) {
        for (index, shape) in shapes.enumerated() {
            let (m, n, k) = shape
            for ta in [false, true] {
                for tb in [false, true] {
                    let value: Case<Scalar> = makeCase(m, n, k, ta, tb, seed: UInt64(index))
                    BLASThreads.set(1)
                    let single = Self.product(value, m, n, k, ta, tb)
                    BLASThreads.set(2)
                    let split = Self.product(value, m, n, k, ta, tb)
                    XCTAssertEqual(split, Self.product(value, m, n, k, ta, tb), "two threads, twice: not the same")
                    let label = "\(Scalar.self) m \(m) n \(n) k \(k) transposes \(ta) \(tb)"
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<value.ldc {
                            let at = i * value.ldc + j
                            guard j < n else {
                                XCTAssertEqual(split[at], value.c[at], "\(label): padding (\(i), \(j)) written")
                                continue
                            }
                            var sum = 0.0, magnitude = 0.0
                            for p in 0..<k {
                                let x = Double(ta ? value.a[p * value.lda + i] : value.a[i * value.lda + p])
                                let y = Double(tb ? value.b[j * value.ldb + p] : value.b[p * value.ldb + j])
                                sum += x * y
                                magnitude += abs(x * y)
                            }
                            let expected = 0.5 * sum + 0.25 * Double(value.c[at])
                            let scale = 0.5 * magnitude + 0.25 * abs(Double(value.c[at]))
                            worst = max(worst, abs(Double(split[at]) - expected) / scale)
                            XCTAssertEqual(Double(split[at]), Double(single[at]), accuracy: tolerance * scale, label)
                        }
                    }
                    XCTAssertLessThan(worst, tolerance, label)
                }
            }
        }
    }

    func testSplitProductsInFloat() { assertSplitProducts(Float.self, tolerance: 1e-5) }
    func testSplitProductsInDouble() { assertSplitProducts(Double.self, tolerance: 1e-13) }

    func testTheThreadCountIsWhatWasSet() {
        for count in [1, 2, 3, 1] {
            BLASThreads.set(count)
            XCTAssertEqual(BLASThreads.count, count)
        }
    }

    /// Two threads multiplying at once: one gets the helpers, the other runs its product alone; both right.
    func testConcurrentProductsAreEachRight() {
        BLASThreads.set(2)
        let (m, n, k) = (128, 128, 128)
        let value: Case<Float> = makeCase(m, n, k, false, true, seed: 9)
        let expected = Self.product(value, m, n, k, false, true)
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 2)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var last: [Float] = []
            for _ in 0..<50 { last = Self.product(value, m, n, k, false, true) }
            results[worker] = last
        }
        for worker in 0..<2 {
            for (x, y) in zip(results[worker], expected) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
        }
    }
}
