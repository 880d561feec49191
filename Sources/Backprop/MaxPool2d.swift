/// Max-pooling over windows of an NCHW batch, torch's `nn.MaxPool2d`.
///
/// ```
/// y[n, c, oy, ox] = max_{i,j} x[n, c, oy·s − p + i·d, ox·s − p + j·d]     (−∞ in the padding)
/// ∂L/∂x[winner] += ∂L/∂y[n, c, oy, ox],  0 for every other element of the window
/// H_out = ⌊(H + 2·p − d·(k − 1) − 1) / s⌋ + 1
/// ```
/// The winner is the first maximum in row-major window order, and a NaN wins (the last one), as torch's
/// CPU kernel (`val > maxval || isnan(val)`). A tie between two elements is a kink: the layer declares `.choice`
/// and reports, as `lastChoices`, each window's winner as its index `i·kw + j` within the window, in the
/// output's order `[N, C, H_out, W_out]`.
/// - Defaults: `stride` is `kernel_size` (torch's `stride=None`), `padding` 0, `dilation` 1.
/// - Caveats: `ceil_mode` and `return_indices` are not supported. torch requires the padding to be at
///   most half the dilated kernel, so that no window lies wholly in the padding; so does this layer.
/// Reference: torch.nn.MaxPool2d documentation.
public final class MaxPool2d<Scalar: TensorScalar>: Layer, ChoiceReporting {
    public let kernelSize: Size2D
    public let stride: Size2D
    public let padding: Size2D
    public let dilation: Size2D

    private let geometry: ConvolutionGeometry
    private var inputShape: (batch: Int, channels: Int, height: Int, width: Int) = (0, 0, 0, 0)
    /// Each output element's winner (`i·kw + j`), `winnerCount` of them.
    private var winners = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var winnerCount = 0
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    /// - Parameters:
    ///   - kernelSize: `kernel_size`, `2` or `[kh, kw]`.
    ///   - stride: `stride`; nil (torch's default) means `kernel_size`.
    ///   - padding: `padding`, −∞ on each side; at most half the dilated kernel, as torch.
    ///   - dilation: `dilation`, torch's default 1.
    public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.geometry = ConvolutionGeometry(kernel: kernelSize, stride: stride ?? kernelSize, padding: padding,
                                            dilation: dilation, layer: "MaxPool2d")
        let spanH = dilation.height * (kernelSize.height - 1) + 1, spanW = dilation.width * (kernelSize.width - 1) + 1
        precondition(padding.height <= spanH / 2 && padding.width <= spanW / 2,
                     "MaxPool2d: padding \(padding) should be at most half of the effective kernel size (\(spanH), \(spanW))")
    }

    deinit { winners.deallocate() }

    public var kind: String { "MaxPool2d" }
    public var kinks: [Kink] { [.choice] }
    public var choices: (any ChoiceReporting)? { self }

    /// Each window's winner, `i·kw + j`, for the output elements of the last forward pass in order.
    public var lastChoices: [Int32] { Array(UnsafeBufferPointer(start: winners, count: winnerCount)) }

    var signature: String { "MaxPool2d(kernel_size=\(kernelSize), stride=\(stride), padding=\(padding))" }

    /// `[C, H, W]` to `[C, H_out, W_out]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try geometry.outputShape(forInputShape: shape, inputChannels: nil, outputChannels: nil, kind: signature)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireImages(input, channels: nil, signature)
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = geometry.output(height: height, width: width)
        precondition(outHeight > 0 && outWidth > 0, "\(signature): input \(input.shape) is smaller than the kernel")
        inputShape = (batch, channels, height, width)
        let y = output.tensor(batch, channels, outHeight, outWidth)
        if winnerCount != y.count {
            winners.deallocate()
            winners = .allocate(capacity: Swift.max(1, y.count))
            winnerCount = y.count
        }
        let choice = winners
        let (kh, kw) = (kernelSize.height, kernelSize.width)
        let (sh, sw, ph, pw, dh, dw) = (stride.height, stride.width, padding.height, padding.width,
                                        dilation.height, dilation.width)
        if kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 {
            poolTwoByTwo(input.base, images: batch * channels, height: height, width: width, outHeight: outHeight,
                         outWidth: outWidth, into: y.base, winners: choice)
            return y
        }
        do {
            for image in 0..<(batch * channels) {
                let x = input.base + image * height * width
                let outBase = image * outHeight * outWidth
                for oy in 0..<outHeight {
                    let rows = offsets(oy, stride: sh, padding: ph, dilation: dh, kernel: kh, size: height)
                    for ox in 0..<outWidth {
                        let columns = offsets(ox, stride: sw, padding: pw, dilation: dw, kernel: kw, size: width)
                        var best = -Scalar.infinity
                        // torch starts at the first element inside the input
                        var winner = rows.lowerBound * kw + columns.lowerBound
                        for i in rows {
                            let row = x + (oy * sh - ph + i * dh) * width + ox * sw - pw
                            for j in columns {
                                let v = row[j * dw]
                                if v > best || v.isNaN { best = v; winner = i * kw + j }
                            }
                        }
                        let k = outBase + oy * outWidth + ox
                        y.base[k] = best
                        choice[k] = Int32(winner)
                    }
                }
            }
        }
        return y
    }

    /// The common 2 × 2 window at stride 2 without padding, every window inside the image: the same choice
    /// as the general loop (the first element, then each later one that is greater or NaN), by the C kernel
    /// (`Kernels.maxPoolTwoByTwo`), which makes it with selects rather than branches that random data
    /// mispredicts.
    @inline(__always)
    private func poolTwoByTwo(_ input: UnsafePointer<Scalar>, images: Int, height: Int, width: Int, outHeight: Int,
                              outWidth: Int, into y: UnsafeMutablePointer<Scalar>, winners: UnsafeMutablePointer<Int32>) {
        Kernels.maxPoolTwoByTwo(input, images: images, height: height, width: width, outHeight: outHeight,
                                outWidth: outWidth, into: y, winners: winners)
    }

    /// The kernel offsets `i` whose position `o·s − p + i·d` lies inside `0..<size`.
    @inline(__always)
    private func offsets(_ o: Int, stride: Int, padding: Int, dilation: Int, kernel: Int, size: Int) -> Range<Int> {
        let start = o * stride - padding
        if dilation == 1 {
            let low = Swift.max(0, -start), high = Swift.min(kernel, size - start)
            return low < high ? low..<high : low..<low
        }
        // start + i·d ≥ 0  ⇔  i ≥ ⌈−start/d⌉;   start + i·d < size  ⇔  i < ⌈(size − start)/d⌉
        let low = start >= 0 ? 0 : (-start + dilation - 1) / dilation
        let high = Swift.min(kernel, (size - start + dilation - 1) / dilation)
        return low < high ? low..<high : low..<low
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        let (batch, channels, height, width) = inputShape
        let (outHeight, outWidth) = geometry.output(height: height, width: width)
        precondition(outputGradient.rank == 4 && outputGradient.shape[0] == batch && outputGradient.shape[1] == channels
                     && outputGradient.shape[2] == outHeight && outputGradient.shape[3] == outWidth,
                     "MaxPool2d.backward: gradient shape \(outputGradient.shape), expected "
                     + "[\(batch), \(channels), \(outHeight), \(outWidth)]")
        let dx = inputGradient.tensor(batch, channels, height, width)
        dx.fill(0)
        let kw = kernelSize.width
        let (sh, sw, ph, pw, dh, dw) = (stride.height, stride.width, padding.height, padding.width,
                                        dilation.height, dilation.width)
        let choice = winners
        do {
            for image in 0..<(batch * channels) {
                let g = dx.base + image * height * width
                let outBase = image * outHeight * outWidth
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let k = outBase + oy * outWidth + ox
                        let winner = Int(choice[k])
                        let iy = oy * sh - ph + (winner / kw) * dh, ix = ox * sw - pw + (winner % kw) * dw
                        g[iy * width + ix] += outputGradient.base[k]
                    }
                }
            }
        }
        return dx
    }
}
