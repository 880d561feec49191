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
}
