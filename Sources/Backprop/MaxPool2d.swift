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
    private var winners: [Int32] = []
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

    public var kind: String { "MaxPool2d" }
    public var kinks: [Kink] { [.choice] }
    public var choices: (any ChoiceReporting)? { self }

    /// Each window's winner, `i·kw + j`, for the output elements of the last forward pass in order.
    public var lastChoices: [Int32] { winners }

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
        if winners.count != y.count { winners = [Int32](repeating: 0, count: y.count) }
        let (kh, kw) = (kernelSize.height, kernelSize.width)
        let (sh, sw, ph, pw, dh, dw) = (stride.height, stride.width, padding.height, padding.width,
                                        dilation.height, dilation.width)
        winners.withUnsafeMutableBufferPointer { choice in
            for image in 0..<(batch * channels) {
                let x = input.base + image * height * width
                let outBase = image * outHeight * outWidth
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var best = -Scalar.infinity
                        var winner = -1
                        for i in 0..<kh {
                            let iy = oy * sh - ph + i * dh
                            guard iy >= 0 && iy < height else { continue }
                            for j in 0..<kw {
                                let ix = ox * sw - pw + j * dw
                                guard ix >= 0 && ix < width else { continue }
                                let v = x[iy * width + ix]
                                if winner < 0 { winner = i * kw + j }  // torch starts at the first element inside
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
        winners.withUnsafeBufferPointer { choice in
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
