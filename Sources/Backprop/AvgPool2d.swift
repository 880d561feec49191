/// Average-pooling over windows of an NCHW batch, torch's `nn.AvgPool2d`.
///
/// ```
/// y[n, c, oy, ox] = (1/D) · Σ_{i,j} x[n, c, oy·s − p + i, ox·s − p + j]     (0 in the padding)
/// D = kh·kw (count_include_pad=True),  or the number of window elements inside the input (False)
/// ∂L/∂x[n, c, iy, ix] += ∂L/∂y[n, c, oy, ox] / D    for every window holding (iy, ix)
/// H_out = ⌊(H + 2·p − k) / s⌋ + 1
/// ```
/// - Defaults: `stride` is `kernel_size` (torch's `stride=None`), `padding` 0, `count_include_pad` true,
///   all torch's.
/// - Caveats: `ceil_mode` and `divisor_override` are not supported; torch requires the padding to be at
///   most half the kernel, and so does this layer.
/// Reference: torch.nn.AvgPool2d documentation.
public final class AvgPool2d<Scalar: TensorScalar>: Layer {
    public let kernelSize: Size2D
    public let stride: Size2D
    public let padding: Size2D
    public let countIncludesPadding: Bool

    private let geometry: ConvolutionGeometry
    private var inputShape: (batch: Int, channels: Int, height: Int, width: Int) = (0, 0, 0, 0)
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    /// - Parameters:
    ///   - kernelSize: `kernel_size`, `2` or `[kh, kw]`.
    ///   - stride: `stride`; nil (torch's default) means `kernel_size`.
    ///   - padding: `padding`, zeros on each side; at most half the kernel, as torch.
    ///   - countIncludesPadding: `count_include_pad`, torch's default true: padding zeros count in the divisor.
    public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludesPadding: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludesPadding = countIncludesPadding
        self.geometry = ConvolutionGeometry(kernel: kernelSize, stride: stride ?? kernelSize, padding: padding,
                                            dilation: 1, layer: "AvgPool2d")
        precondition(padding.height <= kernelSize.height / 2 && padding.width <= kernelSize.width / 2,
                     "AvgPool2d: pad \(padding) should be at most half of kernel size \(kernelSize)")
    }

    public var kind: String { "AvgPool2d" }

    var signature: String { "AvgPool2d(kernel_size=\(kernelSize), stride=\(stride), padding=\(padding))" }

    /// `[C, H, W]` to `[C, H_out, W_out]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try geometry.outputShape(forInputShape: shape, inputChannels: nil, outputChannels: nil, kind: signature)
    }

    /// The rows `start..<end` of one window inside `0..<size`, and its divisor's factor along the axis.
    @inline(__always)
    private func window(_ o: Int, stride: Int, padding: Int, kernel: Int, size: Int) -> (Range<Int>, Int) {
        let start = o * stride - padding
        let inside = Swift.max(0, start)..<Swift.min(size, start + kernel)
        return (inside, countIncludesPadding ? kernel : inside.count)
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
        for image in 0..<(batch * channels) {
            let x = input.base + image * height * width
            let out = y.base + image * outHeight * outWidth
            for oy in 0..<outHeight {
                let (rows, rowCount) = window(oy, stride: stride.height, padding: padding.height,
                                              kernel: kernelSize.height, size: height)
                for ox in 0..<outWidth {
                    let (cols, colCount) = window(ox, stride: stride.width, padding: padding.width,
                                                  kernel: kernelSize.width, size: width)
                    var sum: Scalar = 0
                    for iy in rows { for ix in cols { sum += x[iy * width + ix] } }
                    out[oy * outWidth + ox] = sum / Scalar(Swift.max(1, rowCount * colCount))
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
                     "AvgPool2d.backward: gradient shape \(outputGradient.shape), expected "
                     + "[\(batch), \(channels), \(outHeight), \(outWidth)]")
        let dx = inputGradient.tensor(batch, channels, height, width)
        dx.fill(0)
        for image in 0..<(batch * channels) {
            let g = dx.base + image * height * width
            let dy = outputGradient.base + image * outHeight * outWidth
            for oy in 0..<outHeight {
                let (rows, rowCount) = window(oy, stride: stride.height, padding: padding.height,
                                              kernel: kernelSize.height, size: height)
                for ox in 0..<outWidth {
                    let (cols, colCount) = window(ox, stride: stride.width, padding: padding.width,
                                                  kernel: kernelSize.width, size: width)
                    let share = dy[oy * outWidth + ox] / Scalar(Swift.max(1, rowCount * colCount))
                    for iy in rows { for ix in cols { g[iy * width + ix] += share } }
                }
            }
        }
        return dx
    }
}
