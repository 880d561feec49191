import CBLAS
import CParallel
import Glibc
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
        ParallelProduct(isDouble: false, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        alpha: Double(alpha), a: UnsafeRawPointer(a), lda: lda, b: UnsafeRawPointer(b), ldb: ldb,
                        beta: Double(beta), c: UnsafeMutableRawPointer(c), ldc: ldc).run()
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
        ParallelProduct(isDouble: true, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        alpha: alpha, a: UnsafeRawPointer(a), lda: lda, b: UnsafeRawPointer(b), ldb: ldb,
                        beta: beta, c: UnsafeMutableRawPointer(c), ldc: ldc).run()
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

/// The threads GradLab's matrix products use: OpenBLAS always runs single-threaded, and a product large
/// enough to gain is split in row (or column) blocks over GradLab's own helper threads (`CParallel`),
/// each block one single-threaded OpenBLAS call.
///
/// OpenBLAS's own threaded driver allocates its job table on the heap for every product it threads; the
/// helpers here are started once and a product's dispatch allocates nothing. The count starts at
/// `OPENBLAS_NUM_THREADS` when that is set to a positive number, else at the number of online cores.
/// A block boundary is a multiple of 16 rows or columns, and every output element is still one
/// OpenBLAS dot product over the whole of k.
public enum BLASThreads {
    /// How many threads one product may use, the caller's included.
    public static var count: Int {
        _ = configured
        return Int(gradlab_parallel_threads())
    }

    /// Sets the thread count: 1 when the caller runs several trainings in parallel, so that they do not
    /// oversubscribe the cores.
    public static func set(_ count: Int) {
        precondition(count > 0, "thread count must be positive, got \(count)")
        _ = configured
        gradlab_parallel_set_threads(Int32(Swift.min(count, 64)))
    }

    /// Products below this many flops (2·m·n·k) stay on the calling thread: splitting them costs more than
    /// it saves.
    static let minimumSplitFlops = 1 << 21

    /// The OpenBLAS kernels the products run on, as OpenBLAS names them ("SkylakeX", "Haswell", "Zen", …),
    /// and the core OpenBLAS had chosen itself when GradLab replaced it (`gradlab_blas_select_core`: OpenBLAS
    /// fell back to kernels without AVX2 on a processor that has it), else nil.
    public static var core: (name: String, replaced: String?) {
        _ = configured
        return (String(cString: openblas_get_corename()), replacedCore)
    }

    /// What `gradlab_blas_select_core` returned; evaluated once, first thing in `configured`.
    private static let replacedCore: String? = gradlab_blas_select_core().map { String(cString: $0) }

    /// Runs once, before the first product: OpenBLAS's kernels checked, OpenBLAS to one thread, the helpers
    /// started.
    static let configured: Void = {
        _ = replacedCore
        openblas_set_num_threads(1)
        var threads = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let text = getenv("OPENBLAS_NUM_THREADS").map({ String(cString: $0) }), let value = Int(text), value > 0 {
            threads = value
        }
        gradlab_parallel_set_threads(Int32(Swift.max(1, Swift.min(threads, 64))))
    }()
}

/// One block of the `ParallelProduct` that `context` points at.
private let productTask: gradlab_parallel_task = { context, part, parts in
    guard let context else { return }
    context.assumingMemoryBound(to: ParallelProduct.self).pointee.block(part: Int(part), parts: Int(parts))
}

/// One row-major product `C ← alpha · op(A) · op(B) + beta · C`, split over `BLASThreads` into blocks of
/// rows of C (or of columns, when C is wider than it is tall).
private struct ParallelProduct {
    var isDouble: Bool
    var transposeA: Bool, transposeB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Double
    var a: UnsafeRawPointer, lda: Int
    var b: UnsafeRawPointer, ldb: Int
    var beta: Double
    var c: UnsafeMutableRawPointer, ldc: Int

    func run() {
        _ = BLASThreads.configured
        let splitLength = Swift.max(m, n)
        guard 2 * m * n * k >= BLASThreads.minimumSplitFlops, splitLength >= 32, gradlab_parallel_threads() > 1 else {
            return block(part: 0, parts: 1)
        }
        var product = self
        let parts = Int32(Swift.min(Int(gradlab_parallel_threads()), splitLength / 16))
        withUnsafeMutablePointer(to: &product) { pointer in
            gradlab_parallel_run(productTask, UnsafeMutableRawPointer(pointer), parts)
        }
    }

    /// Block `part` of `parts`: rows [start, start + count) of C (or columns, if n > m).
    func block(part: Int, parts: Int) {
        let scalar = isDouble ? 8 : 4
        let rows = m >= n
        let length = rows ? m : n
        let size = parts == 1 ? length : (length + parts - 1) / parts + 15 & ~15
        let start = part * size
        let count = Swift.min(size, length - start)
        guard count > 0 else { return }
        var a = self.a, b = self.b, c = self.c
        var m = self.m, n = self.n
        if rows {
            // Rows of op(A): rows of A, or columns of A when transposed.
            a += (transposeA ? start : start * lda) * scalar
            c += start * ldc * scalar
            m = count
        } else {
            // Columns of op(B): columns of B, or rows of B when transposed.
            b += (transposeB ? start * ldb : start) * scalar
            c += start * scalar
            n = count
        }
        if isDouble {
            cblas_dgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                        blasInt(m), blasInt(n), blasInt(k), alpha, a.assumingMemoryBound(to: Double.self), blasInt(lda),
                        b.assumingMemoryBound(to: Double.self), blasInt(ldb), beta,
                        c.assumingMemoryBound(to: Double.self), blasInt(ldc))
        } else {
            cblas_sgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                        blasInt(m), blasInt(n), blasInt(k), Float(alpha), a.assumingMemoryBound(to: Float.self),
                        blasInt(lda), b.assumingMemoryBound(to: Float.self), blasInt(ldb), Float(beta),
                        c.assumingMemoryBound(to: Float.self), blasInt(ldc))
        }
    }
}
