/// Global average pooling, torch's `nn.AdaptiveAvgPool2d((1, 1))`: each channel's mean over its plane.
///
/// ```
/// y[n, c, 0, 0] = (1 / (H·W)) · Σ_{iy,ix} x[n, c, iy, ix]        ∂L/∂x[n, c, iy, ix] = ∂L/∂y[n, c, 0, 0] / (H·W)
/// ```
/// - Caveats: output size 1 × 1 only; any other size stops with a precondition naming it.
/// Reference: torch.nn.AdaptiveAvgPool2d documentation; Lin, Chen & Yan (2014), *Network in Network*.
public final class AdaptiveAvgPool2d<Scalar: TensorScalar>: Layer {
    public let outputSize: Size2D

    private var inputShape: (batch: Int, channels: Int, height: Int, width: Int) = (0, 0, 0, 0)
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    /// - Parameter outputSize: `output_size`; only `1` (1 × 1) is supported.
    public init(outputSize: Size2D = 1) {
        precondition(outputSize == 1,
                     "AdaptiveAvgPool2d supports output_size (1, 1) only (global average pooling), got \(outputSize)")
        self.outputSize = outputSize
    }

    public var kind: String { "AdaptiveAvgPool2d" }

    /// `[C, H, W]` to `[C, 1, 1]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3, shape[1] > 0, shape[2] > 0 else {
            throw ShapeMismatch(kind: "AdaptiveAvgPool2d(output_size=\(outputSize))", input: shape,
                                expected: "[C, H, W]")
        }
        return [shape[0], 1, 1]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        requireImages(input, channels: nil, "AdaptiveAvgPool2d")
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        inputShape = (batch, channels, height, width)
        let plane = height * width
        let y = output.tensor(batch, channels, 1, 1)
        let scale = 1 / Scalar(plane)
        for image in 0..<(batch * channels) {
            let x = input.base + image * plane
            var sum: Scalar = 0
            for p in 0..<plane { sum += x[p] }
            y.base[image] = sum * scale
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        let (batch, channels, height, width) = inputShape
        precondition(outputGradient.rank == 4 && outputGradient.shape[0] == batch && outputGradient.shape[1] == channels
                     && outputGradient.count == batch * channels,
                     "AdaptiveAvgPool2d.backward: gradient shape \(outputGradient.shape), expected [\(batch), \(channels), 1, 1]")
        let plane = height * width
        let dx = inputGradient.tensor(batch, channels, height, width)
        let scale = 1 / Scalar(plane)
        for image in 0..<(batch * channels) {
            (dx.base + image * plane).update(repeating: outputGradient.base[image] * scale, count: plane)
        }
        return dx
    }
}
