/// A skip connection around a block: `y = x + block(x)`, so `∂L/∂x = ∂L/∂y + block'ᵀ ∂L/∂y`.
///
/// The identity path carries the gradient past the block unchanged, which is why residual networks
/// keep gradients from vanishing with depth (He et al. 2016, *Deep Residual Learning*).
/// Parameters are named as the block's, so a residual at position 3 around a `Sequential` has
/// `3.0.weight`: the names of a torch `nn.Sequential` subclass whose forward returns `x + super().forward(x)`.
///
/// The residual stands where torch's `nn.Sequential` subclass would: its children are the block's
/// children (`3.0`, `3.1`, ...), and around a single layer it is a leaf holding that layer's parameters.
/// A tracer hears of the block itself too, a layer the walk does not name.
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
    public var counters: [NamedCounter] { block.counters }
    public var children: [NamedLayer<Scalar>] { block.children }
    /// x + f(x) bends where f does: a single-layer block's kinks are the residual's own.
    public var kinks: [Kink] { block.children.isEmpty ? block.kinks : [] }
    public var randomState: (any RandomState)? { block.children.isEmpty ? block.randomState : nil }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        let inner = try block.outputShape(forInputShape: shape)
        guard inner == shape else {
            throw ShapeMismatch(kind: "Residual", input: shape,
                                expected: "the shape its block returns, but the block maps \(shape) to \(inner)")
        }
        return shape
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        sum(input, block.forward(input, mode: mode))
    }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        inputSum(outputGradient, block.backward(outputGradient))
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willForward: input)
        let y = sum(input, block.forward(input, mode: mode, tracer: tracer))
        tracer.layer(self, didProduce: y)
        return y
    }

    public func backward(_ outputGradient: Tensor<Scalar>, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willBackward: outputGradient)
        return inputSum(outputGradient, block.backward(outputGradient, tracer: tracer))
    }

    /// y = x + block(x).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func sum(_ input: Tensor<Scalar>, _ inner: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inner.shape == input.shape,
                     "Residual: the block's output \(inner.shape) does not match its input \(input.shape)")
        let y = output.tensor(shape: input.shape)
        for i in 0..<y.count { y.base[i] = input.base[i] + inner.base[i] }
        return y
    }

    /// ∂L/∂x = ∂L/∂y + block'ᵀ ∂L/∂y.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func inputSum(_ outputGradient: Tensor<Scalar>, _ inner: Tensor<Scalar>) -> Tensor<Scalar> {
        let dx = inputGradient.tensor(shape: outputGradient.shape)
        for i in 0..<dx.count { dx.base[i] = outputGradient.base[i] + inner.base[i] }
        return dx
    }
}
