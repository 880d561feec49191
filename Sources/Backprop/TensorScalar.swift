import CBLAS
import RealModule

/// The element types a `Tensor` can hold: `Float` and `Double`.
///
/// Every matrix product in GradLab goes through ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``,
/// which calls OpenBLAS's `cblas_sgemm` or `cblas_dgemm`; there is no other matrix product.
public protocol TensorScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// The safetensors / NumPy name of the type: `F32` or `F64`.
    static var dtypeName: String { get }

    /// Row-major `C ← alpha · op(A) · op(B) + beta · C`, with `op(A)` of shape `m × k`,
    /// `op(B)` of shape `k × n` and `C` of shape `m × n`.
    ///
    /// The leading dimensions are those of the matrices as stored (before `op`).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    )

    /// Hyperbolic tangent of every element of `x`, written to `y` (the two may be the same buffer).
    ///
    /// A separate requirement so that each type calls its own C kernel (CKernels).
    static func tanh(_ x: UnsafeBufferPointer<Self>, into y: UnsafeMutableBufferPointer<Self>)

    /// ReLU of every element: `y = x > 0 ? x : 0`, NaN kept.
    static func relu(_ x: UnsafeBufferPointer<Self>, into y: UnsafeMutableBufferPointer<Self>)

    /// ReLU's backward pass: `dx = x ≤ 0 ? 0 : dy` (torch's `threshold_backward`).
    static func reluBackward(
        input x: UnsafeBufferPointer<Self>, outputGradient dy: UnsafeBufferPointer<Self>,
        into dx: UnsafeMutableBufferPointer<Self>)
}

// The elementwise kernels are requirements so that each type's witness below is concrete code, which
// the compiler vectorises; the same loop in a generic function specialised later is left scalar, and
// SIMD comparisons written generically compile lane by lane.
extension TensorScalar {
    @inline(__always)
    static func reluKernel(_ x: UnsafeBufferPointer<Self>, into y: UnsafeMutableBufferPointer<Self>) {
        precondition(x.count == y.count, "relu: input has \(x.count) elements, output \(y.count)")
        // NaN passes (NaN ≤ 0 is false) and −0 becomes 0, as torch. A plain select: it vectorises.
        for i in 0..<x.count { let v = x[i]; y[i] = v <= 0 ? 0 : v }
    }
}

@inline(__always)
private func cblasTranspose(_ transpose: Bool) -> CBLAS_TRANSPOSE {
    transpose ? CblasTrans : CblasNoTrans
}

extension Float: TensorScalar {
    public static func relu(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        reluKernel(x, into: y)
    }

    public static func reluBackward(
        input x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
        into dx: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(x.count == dy.count && x.count == dx.count,
                     "relu backward: buffers of \(x.count), \(dy.count), \(dx.count) elements")
        // dy & ~(x ≤ 0) as a bit mask: the select of two inputs stays scalar when written as one.
        Vectorized.zip(x, dy, into: dx) { v, g in
            let drop = unsafeBitCast(v .<= 0, to: SIMD8<Int32>.self)
            return unsafeBitCast(unsafeBitCast(g, to: SIMD8<Int32>.self) & ~drop, to: SIMD8<Float>.self)
        } scalar: { v, g in
            v <= 0 ? 0 : g
        }
    }

    public static var dtypeName: String { "F32" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// Within 3 ulp of the exact value (`gl_tanh_f32` in CKernels).
    public static func tanh(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        Kernels.apply(.tanh, x, into: y)
    }
}

extension Double: TensorScalar {
    public static func relu(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
        reluKernel(x, into: y)
    }

    public static func reluBackward(
        input x: UnsafeBufferPointer<Double>, outputGradient dy: UnsafeBufferPointer<Double>,
        into dx: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(x.count == dy.count && x.count == dx.count,
                     "relu backward: buffers of \(x.count), \(dy.count), \(dx.count) elements")
        // dy & ~(x ≤ 0) as a bit mask: the select of two inputs stays scalar when written as one.
        Vectorized.zip(x, dy, into: dx) { v, g in
            let drop = unsafeBitCast(v .<= 0, to: SIMD8<Int64>.self)
            return unsafeBitCast(unsafeBitCast(g, to: SIMD8<Int64>.self) & ~drop, to: SIMD8<Double>.self)
        } scalar: { v, g in
            v <= 0 ? 0 : g
        }
    }

    public static var dtypeName: String { "F64" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// Within 3 ulp of the exact value (gradient checks run in Double and want it right to the last bits;
    /// their round-off allowance is 16 ulp): `gl_tanh_f64` in CKernels.
    public static func tanh(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
        Kernels.apply(.tanh, x, into: y)
    }
}

@inline(__always)
private func blasInt(_ value: Int) -> blasint {
    precondition(value >= 0 && value <= Int(blasint.max), "BLAS dimension \(value) out of range")
    return blasint(value)
}

/// The BLAS library's own threads.
public enum BLASThreads {
    /// How many threads OpenBLAS uses for one product.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count: 1 when the caller runs several trainings in parallel, so that they do
    /// not oversubscribe the cores.
    public static func set(_ count: Int) {
        precondition(count > 0, "BLAS thread count must be positive, got \(count)")
        openblas_set_num_threads(Int32(count))
    }
}
