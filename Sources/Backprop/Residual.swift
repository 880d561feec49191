/// A skip connection around a block: `y = x + block(x)`, so `∂L/∂x = ∂L/∂y + block'ᵀ ∂L/∂y`.
///
/// The identity path carries the gradient past the block unchanged, which is why residual networks
/// keep gradients from vanishing with depth (He et al. 2016, *Deep Residual Learning*).
/// Parameters are named as the block's, so a residual at position 3 around a `Sequential` has
/// `3.0.weight`: the names of a torch `nn.Sequential` subclass whose forward returns `x + super().forward(x)`.
public final class Residual<Scalar: TensorScalar>: Layer {
    public let block: any Layer<Scalar>

    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    public init(_ block: any Layer<Scalar>) {
        self.block = block
    }

    public var kind: String { "Residual" }
    public var parameters: [NamedParameter<Scalar>] { block.parameters }
    public var buffers: [NamedTensor<Scalar>] { block.buffers }

    public func outputFeatures(forInputFeatures features: Int) -> Int {
        let inner = block.outputFeatures(forInputFeatures: features)
        precondition(inner == features, "Residual: the block maps \(features) features to \(inner); they must match")
        return features
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        let inner = block.forward(input, mode: mode)
        precondition(inner.shape == input.shape,
                     "Residual: the block's output \(inner.shape) does not match its input \(input.shape)")
        let y = output.tensor(rows: input.shape[0], columns: input.shape[1])
        for i in 0..<y.count { y.base[i] = input.base[i] + inner.base[i] }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        let inner = block.backward(outputGradient)
        let dx = inputGradient.tensor(rows: outputGradient.shape[0], columns: outputGradient.shape[1])
        for i in 0..<dx.count { dx.base[i] = outputGradient.base[i] + inner.base[i] }
        return dx
    }
}
