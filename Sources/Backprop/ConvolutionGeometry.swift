/// A height and a width: a kernel size, stride, padding or dilation of a 2-d layer, as torch's
/// `_size_2_t` (an `int` or a pair). `3` means 3 × 3; `[2, 3]` means height 2, width 3.
public struct Size2D: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same value for both axes, as torch's single `int`.
    public init(_ both: Int) { self.init(both, both) }

    public init(integerLiteral value: Int) { self.init(value) }

    public init(arrayLiteral elements: Int...) {
        precondition(elements.count == 2, "a 2-d size is [height, width], got \(elements)")
        self.init(elements[0], elements[1])
    }

    /// torch's repr of a pair: `(3, 3)`.
    public var description: String { "(\(height), \(width))" }
}

/// The sliding-window arithmetic shared by `Conv2d`, `MaxPool2d` and `AvgPool2d`, torch's formula:
///
/// ```
/// H_out = ⌊(H + 2·p − d·(k − 1) − 1) / s⌋ + 1        (and the same for W)
/// window (oy, ox), offset (i, j):  iy = oy·s − p + i·d,   ix = ox·s − p + j·d
/// ```
/// Positions outside `0..<H` and `0..<W` are padding.
/// Reference: torch.nn.Conv2d documentation, "Shape".
struct ConvolutionGeometry: Sendable, Equatable {
    var kernel: Size2D
    var stride: Size2D
    var padding: Size2D
    var dilation: Size2D

    init(kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D, layer: @autoclosure () -> String) {
        precondition(kernel.height > 0 && kernel.width > 0, "\(layer()): kernel_size must be positive, got \(kernel)")
        precondition(stride.height > 0 && stride.width > 0, "\(layer()): stride must be positive, got \(stride)")
        precondition(padding.height >= 0 && padding.width >= 0,
                     "\(layer()): padding must not be negative, got \(padding)")
        precondition(dilation.height > 0 && dilation.width > 0,
                     "\(layer()): dilation must be positive, got \(dilation)")
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// One output extent by torch's formula; 0 or less when the window does not fit.
    static func extent(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        // Floor division: a negative span means no window fits.
        return span < 0 ? 0 : span / stride + 1
    }

    /// `(H_out, W_out)` for an `H × W` input.
    func output(height: Int, width: Int) -> (height: Int, width: Int) {
        (Self.extent(height, kernel: kernel.height, stride: stride.height, padding: padding.height,
                     dilation: dilation.height),
         Self.extent(width, kernel: kernel.width, stride: stride.width, padding: padding.width,
                     dilation: dilation.width))
    }

    /// The outputs `o` in `0..<outputs` whose input position `o·s − p + offset` lies in `0..<size`:
    /// the range with no padding in it for one kernel offset, so inner loops carry no bounds test.
    @inline(__always)
    static func validOutputs(offset: Int, size: Int, stride: Int, padding: Int, outputs: Int) -> Range<Int> {
        // o·s − p + offset ≥ 0  ⇔  o ≥ ⌈(p − offset)/s⌉;   o·s − p + offset ≤ size − 1  ⇔  o ≤ ⌊(size − 1 + p − offset)/s⌋
        let low = Swift.max(0, ceilDivide(padding - offset, stride))
        let top = size - 1 + padding - offset
        let high = top < 0 ? 0 : Swift.min(outputs, top / stride + 1)
        return low < high ? low..<high : low..<low
    }

    @inline(__always)
    private static func ceilDivide(_ a: Int, _ b: Int) -> Int {
        a <= 0 ? -((-a) / b) : (a + b - 1) / b
    }

    /// The per-example output shape `[channels, H_out, W_out]` for `shape`, or the mismatch: the input must
    /// be `[inputChannels, H, W]` (any channel count when `inputChannels` is nil) and the output non-empty.
    func outputShape(forInputShape shape: [Int], inputChannels: Int?, outputChannels: Int?, kind: String) throws -> [Int] {
        let expected = "[\(inputChannels.map(String.init) ?? "C"), H, W]"
        guard shape.count == 3, inputChannels == nil || shape[0] == inputChannels else {
            throw ShapeMismatch(kind: kind, input: shape, expected: expected)
        }
        let (h, w) = output(height: shape[1], width: shape[2])
        guard h > 0, w > 0 else {
            let hMin = dilation.height * (kernel.height - 1) + 1 - 2 * padding.height
            let wMin = dilation.width * (kernel.width - 1) + 1 - 2 * padding.width
            throw ShapeMismatch(kind: kind, input: shape,
                                expected: "\(expected) with H ≥ \(Swift.max(1, hMin)) and W ≥ \(Swift.max(1, wMin))")
        }
        return [outputChannels ?? shape[0], h, w]
    }
}

/// Checks that `tensor` is an `[N, C, H, W]` batch with `channels` channels (any when nil).
@inline(__always)
func requireImages<Scalar>(_ tensor: Tensor<Scalar>, channels: Int?, _ layer: @autoclosure () -> String) {
    precondition(tensor.rank == 4 && (channels == nil || tensor.shape[1] == channels),
                 "\(layer()): expected input of shape [batch, \(channels.map(String.init) ?? "C"), H, W], "
                 + "got \(tensor.shape)")
}
