/// Elementwise loops (and a sum) over buffers, eight lanes at a time through `SIMD8`, then one at a time for
/// the rest.
///
/// Swift does not vectorise every loop with a select in it on its own; writing the lanes out makes the
/// hot elementwise kernels (ReLU and friends) vectorise on every target.
enum Vectorized {
    @inline(__always)
    static func map<Scalar: TensorScalar>(
        _ x: UnsafeBufferPointer<Scalar>, into y: UnsafeMutableBufferPointer<Scalar>,
        _ lanes: (SIMD8<Scalar>) -> SIMD8<Scalar>, scalar: (Scalar) -> Scalar
    ) {
        guard let source = x.baseAddress, let destination = y.baseAddress else { return }
        var i = 0
        while i + 8 <= x.count {
            let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Scalar>.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: lanes(v), as: SIMD8<Scalar>.self)
            i += 8
        }
        while i < x.count { destination[i] = scalar(source[i]); i += 1 }
    }

    @inline(__always)
    static func zip<Scalar: TensorScalar>(
        _ a: UnsafeBufferPointer<Scalar>, _ b: UnsafeBufferPointer<Scalar>,
        into y: UnsafeMutableBufferPointer<Scalar>,
        _ lanes: (SIMD8<Scalar>, SIMD8<Scalar>) -> SIMD8<Scalar>, scalar: (Scalar, Scalar) -> Scalar
    ) {
        guard let first = a.baseAddress, let second = b.baseAddress, let destination = y.baseAddress else { return }
        var i = 0
        while i + 8 <= a.count {
            let u = UnsafeRawPointer(first + i).loadUnaligned(as: SIMD8<Scalar>.self)
            let v = UnsafeRawPointer(second + i).loadUnaligned(as: SIMD8<Scalar>.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: lanes(u, v), as: SIMD8<Scalar>.self)
            i += 8
        }
        while i < a.count { destination[i] = scalar(first[i], second[i]); i += 1 }
    }

    /// The sum of `count` elements from `x`: eight lane sums over the blocks of eight, added lane by lane,
    /// then the rest one at a time. The order is fixed by `count` alone, so a sum is the same on every run;
    /// it is not the left-to-right order of a scalar loop.
    @inline(__always)
    static func sum<Scalar: TensorScalar>(_ x: UnsafePointer<Scalar>, count: Int) -> Scalar {
        var lanes = SIMD8<Scalar>()
        var i = 0
        while i + 8 <= count {
            lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Scalar>.self)
            i += 8
        }
        var total = lanes.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// g[j] ← g[j] (0 when `accumulate` is false) + the sum of column j of `x` (`[rows, columns]`, row-major),
    /// each column added row by row in order: the bits of the plain double loop, with 32 columns (four SIMD8
    /// accumulators) held in registers over the rows, so `g` is read and written once instead of once per row.
    @inline(__always)
    static func addColumnSums<Scalar: TensorScalar>(
        _ x: UnsafePointer<Scalar>, rows: Int, columns: Int, into g: UnsafeMutablePointer<Scalar>, accumulate: Bool
    ) {
        let width = MemoryLayout<SIMD8<Scalar>>.stride
        var j = 0
        while j + 32 <= columns {
            let start = UnsafeMutableRawPointer(g + j)
            var a0 = SIMD8<Scalar>(), a1 = SIMD8<Scalar>(), a2 = SIMD8<Scalar>(), a3 = SIMD8<Scalar>()
            if accumulate {
                a0 = start.loadUnaligned(as: SIMD8<Scalar>.self)
                a1 = start.loadUnaligned(fromByteOffset: width, as: SIMD8<Scalar>.self)
                a2 = start.loadUnaligned(fromByteOffset: 2 * width, as: SIMD8<Scalar>.self)
                a3 = start.loadUnaligned(fromByteOffset: 3 * width, as: SIMD8<Scalar>.self)
            }
            for row in 0..<rows {
                let r = UnsafeRawPointer(x + row * columns + j)
                a0 += r.loadUnaligned(as: SIMD8<Scalar>.self)
                a1 += r.loadUnaligned(fromByteOffset: width, as: SIMD8<Scalar>.self)
                a2 += r.loadUnaligned(fromByteOffset: 2 * width, as: SIMD8<Scalar>.self)
                a3 += r.loadUnaligned(fromByteOffset: 3 * width, as: SIMD8<Scalar>.self)
            }
            start.storeBytes(of: a0, as: SIMD8<Scalar>.self)
            start.storeBytes(of: a1, toByteOffset: width, as: SIMD8<Scalar>.self)
            start.storeBytes(of: a2, toByteOffset: 2 * width, as: SIMD8<Scalar>.self)
            start.storeBytes(of: a3, toByteOffset: 3 * width, as: SIMD8<Scalar>.self)
            j += 32
        }
        while j + 8 <= columns {
            let start = UnsafeMutableRawPointer(g + j)
            var a = accumulate ? start.loadUnaligned(as: SIMD8<Scalar>.self) : SIMD8<Scalar>()
            for row in 0..<rows { a += UnsafeRawPointer(x + row * columns + j).loadUnaligned(as: SIMD8<Scalar>.self) }
            start.storeBytes(of: a, as: SIMD8<Scalar>.self)
            j += 8
        }
        while j < columns {
            var a = accumulate ? g[j] : 0
            for row in 0..<rows { a += x[row * columns + j] }
            g[j] = a
            j += 1
        }
    }
}
