/// Whether a layer runs as in training (batch statistics, dropout) or in evaluation.
///
/// Passed explicitly to every forward call: there is no global mode.
public enum Mode: Sendable {
    case training
    case evaluation
}

/// A trainable tensor and the gradient accumulated for it.
///
/// `zeroGradient()` clears the gradient lazily, as torch's `zero_grad(set_to_none=True)` does: the
/// buffer is not written until someone reads `gradient` or a backward pass accumulates into it, and a
/// layer that accumulates into a cleared gradient writes instead of adding (a gemm with beta = 0), so
/// clearing costs nothing and no pass over the buffer is wasted.
public final class Parameter<Scalar: TensorScalar> {
    /// The current value.
    public let value: Tensor<Scalar>
    private let gradientBuffer: Tensor<Scalar>
    private var gradientIsCleared = false

    public init(_ value: Tensor<Scalar>) {
        self.value = value
        self.gradientBuffer = Tensor(shape: value.shape)
    }

    /// The gradient of the loss with respect to `value`, accumulated (`+=`) by backward passes.
    public var gradient: Tensor<Scalar> {
        if gradientIsCleared {
            gradientBuffer.fill(0)
            gradientIsCleared = false
        }
        return gradientBuffer
    }

    /// Sets the gradient to zero (lazily: see the type's documentation).
    public func zeroGradient() {
        gradientIsCleared = true
    }

    /// The gradient buffer for a layer to accumulate into, and the factor for its old contents:
    /// 0 when the gradient was cleared (its contents are stale), 1 otherwise.
    func gradientForAccumulation() -> (buffer: Tensor<Scalar>, keep: Scalar) {
        defer { gradientIsCleared = false }
        return (gradientBuffer, gradientIsCleared ? 0 : 1)
    }
}

/// A parameter, or a buffer such as BatchNorm's running mean, with its PyTorch `state_dict` name.
public struct NamedTensor<Scalar: TensorScalar> {
    /// The name within its layer (`weight`) or within the whole model (`2.weight`).
    public var name: String
    public var tensor: Tensor<Scalar>

    public init(name: String, tensor: Tensor<Scalar>) {
        self.name = name
        self.tensor = tensor
    }
}

/// A parameter with its PyTorch `state_dict` name.
public struct NamedParameter<Scalar: TensorScalar> {
    public var name: String
    public var parameter: Parameter<Scalar>

    public init(name: String, parameter: Parameter<Scalar>) {
        self.name = name
        self.parameter = parameter
    }
}

/// One step of a network: a differentiable map from a `[batch, features]` input to an output.
///
/// `forward` keeps what `backward` needs. `backward` takes the gradient of the loss with respect to the
/// layer's output and returns the gradient with respect to its input; on the way it *adds* the gradients
/// of the layer's parameters to their `gradient` tensors (clear them with `zeroGradients()`).
///
/// Layers own their output buffers: the tensor that `forward` or `backward` returns is overwritten by the
/// next call (see `Tensor`).
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The name of the equivalent PyTorch module class: `Linear`, `Tanh`, `BatchNorm1d`.
    var kind: String { get }

    /// The layer's output for `input`, keeping what `backward` needs.
    func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar>

    /// The gradient with respect to the last forward call's input, given the gradient with respect to
    /// its output; adds the parameters' gradients to theirs.
    func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar>

    /// The trainable parameters with their names inside the layer (`weight`, `bias`, `0.weight`).
    var parameters: [NamedParameter<Scalar>] { get }

    /// Non-trainable state that belongs in a checkpoint (`running_mean`), named as in PyTorch.
    var buffers: [NamedTensor<Scalar>] { get }

    /// The output's feature count for an input with `features` features per example.
    func outputFeatures(forInputFeatures features: Int) -> Int
}

extension Layer {
    public var parameters: [NamedParameter<Scalar>] { [] }
    public var buffers: [NamedTensor<Scalar>] { [] }
    public func outputFeatures(forInputFeatures features: Int) -> Int { features }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for named in parameters { named.parameter.zeroGradient() }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.parameter.value.count } }
}

/// Checks that `tensor` is a `[batch, features]` matrix; a programmer's mistake otherwise.
@inline(__always)
func requireMatrix<Scalar>(
    _ tensor: Tensor<Scalar>, features: Int, _ layer: @autoclosure () -> String
) {
    precondition(
        tensor.shape.count == 2 && tensor.shape[1] == features,
        "\(layer()): expected input of shape [batch, \(features)], got \(tensor.shape)")
}
