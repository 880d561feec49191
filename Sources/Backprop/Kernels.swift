import CKernels

/// The C kernels of Sources/CKernels over Float and Double buffers: the activations GradLab computes
/// elementwise, vectorised at the machine's width (AVX-512F, AVX2 or baseline, chosen when the program
/// loads), and the row-wise softmax of the cross-entropy loss.
///
/// Each function picks the `_f32` or `_f64` entry by `Scalar`; the check folds away where the caller is
/// specialised. The output may be the input buffer. Accuracy, per kernel in Kernels.c, is measured by
/// `KernelAccuracyTests` against a higher-precision reference over the whole range.
enum Kernels {
    /// The elementwise maps `y = f(x)`.
    enum Map {
        case exp, tanh, sigmoid, gelu, silu
        /// `scale · (x > 0 ? x : alpha (e^x − 1))`: ELU and SELU.
        case elu(alpha: Double, scale: Double)
        case softplus(beta: Double, threshold: Double)
    }

    /// The derivatives, applied as `dx = dy · f'(x)`; for `tanhOfOutput` and `sigmoidOfOutput` the buffer
    /// passed as the input is the forward output y (`1 − y²`, `y(1 − y)`).
    enum Derivative {
        case gelu, silu, tanhOfOutput, sigmoidOfOutput
        /// `x > 0 ? positive : negative · e^x`: ELU (1, α) and SELU (λ, λα).
        case elu(positive: Double, negative: Double)
        case softplus(beta: Double, threshold: Double)
    }

    @inline(__always)
    static func apply<Scalar: TensorScalar>(
        _ map: Map, _ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>, count n: Int
    ) {
        if Scalar.self == Float.self {
            let x = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
            let y = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
            switch map {
            case .exp: gl_exp_f32(x, y, n)
            case .tanh: gl_tanh_f32(x, y, n)
            case .sigmoid: gl_sigmoid_f32(x, y, n)
            case .gelu: gl_gelu_f32(x, y, n)
            case .silu: gl_silu_f32(x, y, n)
            case .elu(let alpha, let scale): gl_elu_f32(x, y, n, Float(alpha), Float(scale))
            case .softplus(let beta, let threshold): gl_softplus_f32(x, y, n, Float(beta), Float(threshold))
            }
        } else {
            precondition(Scalar.self == Double.self, "CKernels hold Float and Double kernels, not \(Scalar.self)")
            let x = UnsafeRawPointer(x).assumingMemoryBound(to: Double.self)
            let y = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self)
            switch map {
            case .exp: gl_exp_f64(x, y, n)
            case .tanh: gl_tanh_f64(x, y, n)
            case .sigmoid: gl_sigmoid_f64(x, y, n)
            case .gelu: gl_gelu_f64(x, y, n)
            case .silu: gl_silu_f64(x, y, n)
            case .elu(let alpha, let scale): gl_elu_f64(x, y, n, alpha, scale)
            case .softplus(let beta, let threshold): gl_softplus_f64(x, y, n, beta, threshold)
            }
        }
    }

    @inline(__always)
    static func apply<Scalar: TensorScalar>(
        _ map: Map, _ x: UnsafeBufferPointer<Scalar>, into y: UnsafeMutableBufferPointer<Scalar>
    ) {
        precondition(x.count == y.count, "\(map): input has \(x.count) elements, output \(y.count)")
        guard let source = x.baseAddress, let destination = y.baseAddress else { return }
        apply(map, source, into: destination, count: x.count)
    }

    @inline(__always)
    static func backward<Scalar: TensorScalar>(
        _ derivative: Derivative, input x: UnsafeBufferPointer<Scalar>, outputGradient dy: UnsafeBufferPointer<Scalar>,
        into dx: UnsafeMutableBufferPointer<Scalar>
    ) {
        precondition(x.count == dy.count && x.count == dx.count,
                     "\(derivative) backward: buffers of \(x.count), \(dy.count), \(dx.count) elements")
        guard let xs = x.baseAddress, let dys = dy.baseAddress, let dxs = dx.baseAddress else { return }
        let n = x.count
        if Scalar.self == Float.self {
            let x = UnsafeRawPointer(xs).assumingMemoryBound(to: Float.self)
            let dy = UnsafeRawPointer(dys).assumingMemoryBound(to: Float.self)
            let dx = UnsafeMutableRawPointer(dxs).assumingMemoryBound(to: Float.self)
            switch derivative {
            case .gelu: gl_gelu_backward_f32(x, dy, dx, n)
            case .tanhOfOutput: gl_tanh_backward_f32(x, dy, dx, n)
            case .sigmoidOfOutput: gl_sigmoid_backward_f32(x, dy, dx, n)
            case .silu: gl_silu_backward_f32(x, dy, dx, n)
            case .elu(let positive, let negative): gl_elu_backward_f32(x, dy, dx, n, Float(positive), Float(negative))
            case .softplus(let beta, let threshold): gl_softplus_backward_f32(x, dy, dx, n, Float(beta), Float(threshold))
            }
        } else {
            precondition(Scalar.self == Double.self, "CKernels hold Float and Double kernels, not \(Scalar.self)")
            let x = UnsafeRawPointer(xs).assumingMemoryBound(to: Double.self)
            let dy = UnsafeRawPointer(dys).assumingMemoryBound(to: Double.self)
            let dx = UnsafeMutableRawPointer(dxs).assumingMemoryBound(to: Double.self)
            switch derivative {
            case .gelu: gl_gelu_backward_f64(x, dy, dx, n)
            case .tanhOfOutput: gl_tanh_backward_f64(x, dy, dx, n)
            case .sigmoidOfOutput: gl_sigmoid_backward_f64(x, dy, dx, n)
            case .silu: gl_silu_backward_f64(x, dy, dx, n)
            case .elu(let positive, let negative): gl_elu_backward_f64(x, dy, dx, n, positive, negative)
            case .softplus(let beta, let threshold): gl_softplus_backward_f64(x, dy, dx, n, beta, threshold)
            }
        }
    }

    /// Row-wise log-softmax and softmax of `z` (`[rows, columns]`): `logp = (z − m) − log Σ e^{z − m}` and
    /// `p = e^{z − m} / Σ e^{z − m}`, m the row's maximum.
    @inline(__always)
    static func logSoftmaxRows<Scalar: TensorScalar>(
        _ z: UnsafePointer<Scalar>, logProbabilities: UnsafeMutablePointer<Scalar>,
        probabilities: UnsafeMutablePointer<Scalar>, rows: Int, columns: Int
    ) {
        if Scalar.self == Float.self {
            gl_log_softmax_rows_f32(UnsafeRawPointer(z).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(logProbabilities).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(probabilities).assumingMemoryBound(to: Float.self),
                                    rows, columns)
        } else {
            precondition(Scalar.self == Double.self, "CKernels hold Float and Double kernels, not \(Scalar.self)")
            gl_log_softmax_rows_f64(UnsafeRawPointer(z).assumingMemoryBound(to: Double.self),
                                    UnsafeMutableRawPointer(logProbabilities).assumingMemoryBound(to: Double.self),
                                    UnsafeMutableRawPointer(probabilities).assumingMemoryBound(to: Double.self),
                                    rows, columns)
        }
    }

    /// `theta[i] ← next[i]` for `i < n`, with `(next − theta)²` (the difference in `Scalar`) added into
    /// `lanes[0..<16]` and `next²` into `lanes[16..<32]`, lanes in `Scalar` over at most 512 values added
    /// lane by lane into the Double lanes: one block of an optimizer's applied update, and its norms' terms.
    @inline(__always)
    static func applyUpdate<Scalar: TensorScalar>(
        _ theta: UnsafeMutablePointer<Scalar>, from next: UnsafePointer<Scalar>, count n: Int,
        lanes: UnsafeMutablePointer<Double>
    ) {
        if Scalar.self == Float.self {
            gl_apply_update_f32(UnsafeMutableRawPointer(theta).assumingMemoryBound(to: Float.self),
                                UnsafeRawPointer(next).assumingMemoryBound(to: Float.self), n, lanes)
        } else {
            precondition(Scalar.self == Double.self, "CKernels hold Float and Double kernels, not \(Scalar.self)")
            gl_apply_update_f64(UnsafeMutableRawPointer(theta).assumingMemoryBound(to: Double.self),
                                UnsafeRawPointer(next).assumingMemoryBound(to: Double.self), n, lanes)
        }
    }

    /// Max pooling over 2 × 2 windows at stride 2 without padding, `images` planes of `height × width`:
    /// each window's value and the index (0…3, row-major) of the element chosen.
    @inline(__always)
    static func maxPoolTwoByTwo<Scalar: TensorScalar>(
        _ x: UnsafePointer<Scalar>, images: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
        into y: UnsafeMutablePointer<Scalar>, winners: UnsafeMutablePointer<Int32>
    ) {
        if Scalar.self == Float.self {
            gl_max_pool_2x2_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), images, height, width,
                                outHeight, outWidth, UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self),
                                winners)
        } else {
            precondition(Scalar.self == Double.self, "CKernels hold Float and Double kernels, not \(Scalar.self)")
            gl_max_pool_2x2_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), images, height, width,
                                outHeight, outWidth, UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self),
                                winners)
        }
    }
}
