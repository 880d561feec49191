import Backprop

/// One-pass reductions over tensor buffers, by the C kernels (`Kernels`).
///
/// Sixteen lanes accumulate in the tensor's own precision over blocks of 512 values (32 per lane), and each
/// block is added into Double: for Float the relative error of a sum is then about 32·2⁻²⁴ ≈ 2e-6 in the
/// worst case, far below what a diagnostic needs to tell; for Double it is at the level of the last bits.
/// A non-finite value makes the block sums non-finite; the caller then recounts exactly.
struct BufferSums {
    var sum = 0.0
    var squares = 0.0
    var maxAbs = 0.0
    var zeros = 0
    var count = 0
    var isFinite: Bool { sum.isFinite && squares.isFinite }
}

/// The sums of `values`, by the kernel for its precision.
@inline(__always)
func sums<Scalar: TensorScalar>(_ values: UnsafeBufferPointer<Scalar>) -> BufferSums {
    if Scalar.self == Float.self {
        return Kernels.sums(UnsafeBufferPointer(start: UnsafeRawPointer(values.baseAddress)?
            .assumingMemoryBound(to: Float.self), count: values.count))
    }
    return Kernels.sums(UnsafeBufferPointer(start: UnsafeRawPointer(values.baseAddress)?
        .assumingMemoryBound(to: Double.self), count: values.count))
}

/// √Σx², by `sums`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func l2Norm<Scalar: TensorScalar>(_ values: UnsafeBufferPointer<Scalar>) -> Double {
    let s = sums(values)
    guard s.isFinite else {
        var total = 0.0
        for v in values { total += Double(v) * Double(v) }
        return total.squareRoot()
    }
    return s.squares.squareRoot()
}

/// Whether every value is finite (NaN and ±∞ make a sum non-finite; a finite sum can still overflow to
/// ∞, and then the values are looked at one by one).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func allFinite<Scalar: TensorScalar>(_ values: UnsafeBufferPointer<Scalar>) -> Bool {
    if sums(values).isFinite { return true }
    return values.allSatisfy(\.isFinite)
}
