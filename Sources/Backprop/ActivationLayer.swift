/// An activation applied elementwise, as a layer: torch's `nn.Tanh()`, `nn.ReLU()`, ...
///
/// Takes a `[batch, ...]` input of any rank. Declares `function` as its nonlinearity, and so its kinks.
/// Forward and backward are `Activation.apply` and `Activation.backward`; the layer keeps its input and
/// output for the backward pass.
public final class ActivationLayer<Scalar: TensorScalar>: Layer {
    public let function: Activation

    private var input: Tensor<Scalar>?
    private var output = Workspace<Scalar>()
    private var lastOutput: Tensor<Scalar>?
    private var inputGradient = Workspace<Scalar>()

    public init(_ function: Activation) {
        self.function = function
    }

    public var kind: String { function.torchName }
    public var nonlinearity: Activation? { function }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 1, "\(kind): expected input of shape [batch, ...], got a scalar")
        let y = output.tensor(shape: input.shape)
        function.apply(
            UnsafeBufferPointer(start: input.base, count: input.count),
            into: UnsafeMutableBufferPointer(start: y.base, count: y.count))
        self.input = input
        self.lastOutput = y
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input, let lastOutput else { preconditionFailure("\(kind).backward called before forward") }
        precondition(outputGradient.shape == input.shape,
                     "\(kind).backward: gradient shape \(outputGradient.shape), expected \(input.shape)")
        let dx = inputGradient.tensor(shape: input.shape)
        function.backward(
            input: UnsafeBufferPointer(start: input.base, count: input.count),
            output: UnsafeBufferPointer(start: lastOutput.base, count: lastOutput.count),
            outputGradient: UnsafeBufferPointer(start: outputGradient.base, count: outputGradient.count),
            into: UnsafeMutableBufferPointer(start: dx.base, count: dx.count))
        return dx
    }
}
