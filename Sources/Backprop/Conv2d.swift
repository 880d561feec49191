/// A 2-d convolution over an NCHW batch, torch's `nn.Conv2d` with `groups=1`.
///
/// ```
/// y[n, o, oy, ox] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[n, c, oy·s − p + i·d, ox·s − p + j·d]   (0 in the padding)
/// as products, with cols = im2col(x): [C·kh·kw, N·H_out·W_out]:
///   Y = W · cols + b        ∂L/∂W += ∂L/∂Y · colsᵀ        ∂L/∂b += Σ_{n,oy,ox} ∂L/∂y
///   ∂L/∂cols = Wᵀ · ∂L/∂Y,  then ∂L/∂x = col2im(∂L/∂cols) (each column added back where it was read)
/// H_out = ⌊(H + 2·p − d·(k − 1) − 1) / s⌋ + 1
/// ```
/// The weight is `[out_channels, in_channels, kh, kw]` and the bias `[out_channels]`, as torch's, so
/// checkpoints move between the two unchanged. The products are `gemm` calls, in one of two layouts:
/// - **batched** (small images): the whole batch is unfolded into one column matrix [C·kh·kw, N·H_out·W_out],
///   so each of the three products is a single `gemm`, and the output and its gradient are copied between
///   [out, N, plane] and NCHW;
/// - **per image** (where one image's column block has at least `perImageColumns` elements, or the batch is
///   one image): image n is unfolded into its own block [C·kh·kw, plane] and its products run on it at once,
///   while the block is still in cache. Image n's output [out, plane] is already NCHW, so nothing is copied;
///   the bias is written first and the product added onto it (beta 1), and ∂L/∂W sums the images' products.
///   At stride 1 with padding at most d·(k − 1), ∂L/∂x[n] is the transposed convolution of ∂L/∂y[n]: its
///   unfolding (padding d·(k − 1) − p) times the flipped weight, written straight into ∂L/∂x, with no block
///   to fold back.
/// - Caveats: `groups=1` only (no grouped or depthwise convolution); `padding` is a number of zeros on
///   each side (torch's `'same'`/`'valid'` strings and `padding_mode` other than `'zeros'` are not supported).
/// - Default initialisation: `.classic`, U[−1/√fan_in, 1/√fan_in] for the weight and the bias with
///   fan_in = in·kh·kw, which is exactly torch's default (`kaiming_uniform_(a=√5)` for the weight, the
///   same bound for the bias).
/// Reference: torch.nn.Conv2d documentation; Chellapilla, Puri & Simard (2006) for the unfolding.
public final class Conv2d<Scalar: TensorScalar>: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Size2D
    public let stride: Size2D
    public let padding: Size2D
    public let dilation: Size2D
    /// `[out_channels, in_channels, kh, kw]`.
    public let weight: Parameter<Scalar>
    /// `[out_channels]`, or nil for `bias=False`.
    public let bias: Parameter<Scalar>?

    private let geometry: ConvolutionGeometry
    private var input: Tensor<Scalar>?
    private var columns = Workspace<Scalar>()
    private var product = Workspace<Scalar>()
    private var output = Workspace<Scalar>()
    private var productGradient = Workspace<Scalar>()
    private var columnsGradient = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    private lazy var imageLoop = ConvolutionImageLoop(layer: self)
    private lazy var gradientLoop = ConvolutionImageLoop(layer: self, transposed: true)
    private var flippedWeight = Workspace<Scalar>()

    /// A convolution with weights drawn by `initializer` and biases by its bias rule.
    ///
    /// - Parameters:
    ///   - inChannels: `in_channels`.
    ///   - outChannels: `out_channels`.
    ///   - kernelSize: `kernel_size`, `3` or `[kh, kw]`.
    ///   - stride: `stride`, torch's default 1.
    ///   - padding: `padding`, zeros on each side; torch's default 0.
    ///   - dilation: `dilation`, torch's default 1.
    ///   - bias: whether the layer has a bias, torch's `bias=True` by default.
    ///   - initializer: the weight initialisation; `.classic` is torch's default for `nn.Conv2d`.
    ///   - generator: the seeded generator the draws come from.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, bias: Bool = true, initializer: Initializer = .classic,
        generator: inout RandomGenerator
    ) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Conv2d needs positive channel counts, got in \(inChannels), out \(outChannels)")
        let w = Tensor<Scalar>(shape: [outChannels, inChannels, kernelSize.height, kernelSize.width])
        let (fanIn, fanOut) = Initializer.fans(forWeightShape: w.shape)
        initializer.fill(w, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        var b: Tensor<Scalar>?
        if bias {
            let t = Tensor<Scalar>(shape: [outChannels])
            initializer.fillBias(t, fanIn: fanIn, generator: &generator)
            b = t
        }
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation)
    }

    /// A convolution with the given weight `[out, in, kh, kw]` and optional bias `[out]`.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: Size2D = 1, padding: Size2D = 0,
                dilation: Size2D = 1) {
        precondition(weight.rank == 4 && weight.count > 0,
                     "Conv2d weight must be a non-empty [out, in, kh, kw], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]],
                         "Conv2d bias must be [\(weight.shape[0])] for weight \(weight.shape), got \(bias.shape)")
        }
        self.outChannels = weight.shape[0]
        self.inChannels = weight.shape[1]
        self.kernelSize = Size2D(weight.shape[2], weight.shape[3])
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.geometry = ConvolutionGeometry(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                            layer: "Conv2d")
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    public var kind: String { "Conv2d" }

    /// torch's repr: `Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))`.
    var signature: String {
        var text = "Conv2d(\(inChannels), \(outChannels), kernel_size=\(kernelSize), stride=\(stride)"
        if padding != 0 { text += ", padding=\(padding)" }
        if dilation != 1 { text += ", dilation=\(dilation)" }
        if bias == nil { text += ", bias=False" }
        return text + ")"
    }

    public var parameters: [NamedParameter<Scalar>] {
        var result = [NamedParameter(name: "weight", parameter: weight, role: .weight)]
        if let bias { result.append(NamedParameter(name: "bias", parameter: bias, role: .bias)) }
        return result
    }

    /// `[in_channels, H, W]` to `[out_channels, H_out, W_out]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try geometry.outputShape(forInputShape: shape, inputChannels: inChannels, outputChannels: outChannels,
                                 kind: signature)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireImages(input, channels: inChannels, signature)
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let (outHeight, outWidth) = geometry.output(height: height, width: width)
        precondition(outHeight > 0 && outWidth > 0, "\(signature): input \(input.shape) is smaller than the kernel")
        let plane = outHeight * outWidth, count = batch * plane
        let depth = inChannels * kernelSize.height * kernelSize.width
        self.input = input
        let y = output.tensor(batch, outChannels, outHeight, outWidth)
        imageLoop.set(height: height, width: width, outHeight: outHeight, outWidth: outWidth)
        if unfoldsPerImage(batch: batch, depth: depth, plane: plane) {
            // Image n: its block [depth, plane] at n·depth·plane, and Y_n = W · block + b, straight into y[n].
            let cols = columns.tensor(rows: batch * depth, columns: plane)
            for n in 0..<batch {
                let block = cols.base + n * depth * plane, yn = y.base + n * outChannels * plane
                imageLoop.unfold(image: input.base + n * inChannels * height * width, into: block)
                if let bias {
                    for o in 0..<outChannels { (yn + o * plane).update(repeating: bias.value.base[o], count: plane) }
                }
                Scalar.gemm(
                    transposeA: false, transposeB: false, m: outChannels, n: plane, k: depth,
                    alpha: 1, a: weight.value.base, lda: depth, b: block, ldb: plane,
                    beta: bias == nil ? 0 : 1, c: yn, ldc: plane)
            }
            return y
        }
        let cols = columns.tensor(rows: depth, columns: count)
        imageLoop.unfold(batch: input.base, count: batch, into: cols.base)
        // Y = W · cols: [out, N·plane]
        let yt = product.tensor(rows: outChannels, columns: count)
        Scalar.gemm(
            transposeA: false, transposeB: false, m: outChannels, n: count, k: depth,
            alpha: 1, a: weight.value.base, lda: depth, b: cols.base, ldb: count,
            beta: 0, c: yt.base, ldc: count)
        // [out, N, plane] to [N, out, plane], adding the bias.
        for o in 0..<outChannels {
            let b: Scalar = bias?.value.base[o] ?? 0
            for n in 0..<batch {
                let source = yt.base + o * count + n * plane
                let destination = y.base + (n * outChannels + o) * plane
                for p in 0..<plane { destination[p] = source[p] + b }
            }
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("Conv2d.backward called before forward") }
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let (outHeight, outWidth) = geometry.output(height: height, width: width)
        precondition(outputGradient.rank == 4 && outputGradient.shape[0] == batch
                     && outputGradient.shape[1] == outChannels && outputGradient.shape[2] == outHeight
                     && outputGradient.shape[3] == outWidth,
                     "Conv2d.backward: gradient shape \(outputGradient.shape), expected "
                     + "[\(batch), \(outChannels), \(outHeight), \(outWidth)]")
        let plane = outHeight * outWidth, count = batch * plane
        let depth = inChannels * kernelSize.height * kernelSize.width
        let dW = weight.gradientForAccumulation()
        let dx = inputGradient.tensor(batch, inChannels, height, width)
        imageLoop.set(height: height, width: width, outHeight: outHeight, outWidth: outWidth)
        if unfoldsPerImage(batch: batch, depth: depth, plane: plane) {
            // Image n: ∂L/∂Y_n is outputGradient[n] as [out, plane]; ∂L/∂W += ∂L/∂Y_n · block_nᵀ. ∂L/∂x[n] is
            // the transposed convolution of ∂L/∂Y_n, a product written straight into dx[n], where it applies;
            // else ∂L/∂block_n = Wᵀ · ∂L/∂Y_n, folded onto dx[n] while it is in cache.
            let cols = columns.tensor(rows: batch * depth, columns: plane)
            let transposed = unfoldsOutputGradient
            let imagePlane = height * width, gradientDepth = outChannels * kernelSize.height * kernelSize.width
            let dcols = transposed ? columnsGradient.tensor(rows: gradientDepth, columns: imagePlane)
                                   : columnsGradient.tensor(rows: depth, columns: plane)
            let flipped = transposed ? flipWeight() : nil
            if transposed {
                gradientLoop.set(height: height, width: width, outHeight: outHeight, outWidth: outWidth)
            } else {
                dx.fill(0)
            }
            for n in 0..<batch {
                let dyn = outputGradient.base + n * outChannels * plane, block = cols.base + n * depth * plane
                let dxn = dx.base + n * inChannels * imagePlane
                Scalar.gemm(
                    transposeA: false, transposeB: true, m: outChannels, n: depth, k: plane,
                    alpha: 1, a: dyn, lda: plane, b: block, ldb: plane,
                    beta: n == 0 ? dW.keep : 1, c: dW.buffer.base, ldc: depth)
                if let flipped {
                    // ∂L/∂x[n] = W′ [in, out·kh·kw] · unfold′(∂L/∂Y_n) [out·kh·kw, H·W]
                    gradientLoop.unfold(image: dyn, into: dcols.base)
                    Scalar.gemm(
                        transposeA: false, transposeB: false, m: inChannels, n: imagePlane, k: gradientDepth,
                        alpha: 1, a: flipped.base, lda: gradientDepth, b: dcols.base, ldb: imagePlane,
                        beta: 0, c: dxn, ldc: imagePlane)
                    continue
                }
                Scalar.gemm(
                    transposeA: true, transposeB: false, m: depth, n: plane, k: outChannels,
                    alpha: 1, a: weight.value.base, lda: depth, b: dyn, ldb: plane,
                    beta: 0, c: dcols.base, ldc: plane)
                imageLoop.fold(dcols.base, onto: dxn)
            }
            if let bias {
                let db = bias.gradientForAccumulation()
                for o in 0..<outChannels {
                    var sum: Scalar = 0
                    for n in 0..<batch {
                        sum += Vectorized.sum(outputGradient.base + (n * outChannels + o) * plane, count: plane)
                    }
                    db.buffer.base[o] = db.keep * db.buffer.base[o] + sum
                }
            }
            return dx
        }
        dx.fill(0)
        // [N, out, plane] to [out, N·plane]
        let dyt = productGradient.tensor(rows: outChannels, columns: count)
        for n in 0..<batch {
            for o in 0..<outChannels {
                (dyt.base + o * count + n * plane).update(from: outputGradient.base + (n * outChannels + o) * plane,
                                                          count: plane)
            }
        }
        // ∂L/∂W += ∂L/∂Y · colsᵀ
        let cols = columns.tensor(rows: depth, columns: count)
        Scalar.gemm(
            transposeA: false, transposeB: true, m: outChannels, n: depth, k: count,
            alpha: 1, a: dyt.base, lda: count, b: cols.base, ldb: count,
            beta: dW.keep, c: dW.buffer.base, ldc: depth)
        if let bias {
            let db = bias.gradientForAccumulation()
            for o in 0..<outChannels {
                db.buffer.base[o] = db.keep * db.buffer.base[o] + Vectorized.sum(dyt.base + o * count, count: count)
            }
        }
        // ∂L/∂cols = Wᵀ · ∂L/∂Y, folded back onto the input.
        let dcols = columnsGradient.tensor(rows: depth, columns: count)
        Scalar.gemm(
            transposeA: true, transposeB: false, m: depth, n: count, k: outChannels,
            alpha: 1, a: weight.value.base, lda: depth, b: dyt.base, ldb: count,
            beta: 0, c: dcols.base, ldc: count)
        imageLoop.fold(batch: dcols.base, count: batch, onto: dx.base)
        return dx
    }

    /// The layout of the products: per image where one image's column block has at least this many elements
    /// (its products are then large enough that a call per image costs little, and the block stays in cache
    /// between its unfolding and its products), or where the batch is one image; batched otherwise.
    package static var perImageColumns: Int { 1 << 15 }

    private func unfoldsPerImage(batch: Int, depth: Int, plane: Int) -> Bool {
        batch == 1 || depth * plane >= Self.perImageColumns
    }

    /// The padding of the transposed convolution that gives ∂L/∂x from ∂L/∂y at stride 1: p′ = d·(k − 1) − p.
    /// With W′[c, o, i, j] = W[o, c, kh − 1 − i, kw − 1 − j],
    /// ∂L/∂x[c, y, x] = Σ_{o,i,j} W′[c, o, i, j] · ∂L/∂y[o, y − p′ + i·d, x − p′ + j·d]  (0 outside),
    /// a convolution of ∂L/∂y whose output is H × W again (Dumoulin & Visin, "A guide to convolution
    /// arithmetic for deep learning", 2016, §4).
    var transposedPadding: Size2D {
        Size2D(dilation.height * (kernelSize.height - 1) - padding.height,
               dilation.width * (kernelSize.width - 1) - padding.width)
    }

    /// Whether the per-image backward takes ∂L/∂x as that transposed convolution (one unfolding of ∂L/∂y and
    /// one product straight into ∂L/∂x) rather than a product into a column block folded back: at stride 1,
    /// where p′ is not negative (padding at most d·(k − 1)).
    private var unfoldsOutputGradient: Bool {
        stride == 1 && transposedPadding.height >= 0 && transposedPadding.width >= 0
    }

    /// W′ [in, out·kh·kw]: W′[c, o, i, j] = W[o, c, kh − 1 − i, kw − 1 − j], written into its workspace.
    private func flipWeight() -> Tensor<Scalar> {
        let (kh, kw) = (kernelSize.height, kernelSize.width)
        let flipped = flippedWeight.tensor(rows: inChannels, columns: outChannels * kh * kw)
        let w = weight.value.base, f = flipped.base
        for c in 0..<inChannels {
            for o in 0..<outChannels {
                for i in 0..<kh {
                    for j in 0..<kw {
                        f[((c * outChannels + o) * kh + i) * kw + j] =
                            w[((o * inChannels + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
                    }
                }
            }
        }
        return flipped
    }
}
