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

/// What a parameter does in its layer, as the layer declares it (not guessed from its name or rank).
public enum ParameterRole: Sendable, Equatable {
    /// Multiplies the input and mixes features: `Linear.weight`. The tensors whose gradient norms show
    /// vanishing and exploding gradients.
    case weight
    /// Added to the output: `Linear.bias`, a normalisation's shift β.
    case bias
    /// Scales each feature elementwise: a normalisation's γ (torch names it `weight`).
    case scale
}

/// A parameter with its PyTorch `state_dict` name and its role.
public struct NamedParameter<Scalar: TensorScalar> {
    public var name: String
    public var parameter: Parameter<Scalar>
    public var role: ParameterRole

    public init(name: String, parameter: Parameter<Scalar>, role: ParameterRole) {
        self.name = name
        self.parameter = parameter
        self.role = role
    }
}

/// A whole number that belongs in a checkpoint, shared by reference: BatchNorm's `num_batches_tracked`.
public final class Counter {
    public var value: Int
    public init(_ value: Int = 0) { self.value = value }
}

/// An integer buffer with its PyTorch `state_dict` name (saved as I64 of shape `[]`).
public struct NamedCounter {
    public var name: String
    public var counter: Counter
    public init(name: String, counter: Counter) {
        self.name = name
        self.counter = counter
    }
}

/// A layer inside another, with its name in the parent (`"0"`) or in the whole model (`"3.0"`).
public struct NamedLayer<Scalar: TensorScalar> {
    public var name: String
    public var layer: any Layer<Scalar>
    public init(name: String, layer: any Layer<Scalar>) {
        self.name = name
        self.layer = layer
    }
}

/// Where a layer's function is not differentiable, so that a finite difference across the point sees a
/// jump in slope (a `kink` verdict, not a wrong gradient).
///
/// A protocol-level description: elementwise maps have thresholds on their input; layers that make a
/// discrete choice inside their forward pass (max-pooling's winner in each window, the sign of a
/// recurrent ReLU's pre-activation at each time step) report the choices they made.
public enum Kink: Sendable, Equatable {
    /// The slope jumps where an input element equals this value: ReLU at 0, Hardtanh at its bounds.
    case inputEquals(Double)
    /// The slope jumps where the layer's discrete choices change (a tie between two max-pooling
    /// candidates): the layer's `choices` tells which choices its last forward pass made, and an
    /// evaluation whose choices differ from the reference pass's crossed a kink.
    case choice
}

/// The discrete choices a layer made in its last forward pass, for a gradient check to compare
/// between passes (see `Kink.choice`): one integer per choice (the winning element's index in each
/// pooling window, the side of zero of each pre-activation), in an order fixed by the input's shape.
public protocol ChoiceReporting: AnyObject {
    /// The choices of the last forward pass; same count for the same input shape.
    var lastChoices: [Int32] { get }
}

/// What a recurrent layer saw at each time step of its last pass while tracing was on: the quantities
/// that show a gradient vanishing or exploding through time (Bengio, Simard & Frasconi 1994; Pascanu,
/// Mikolov & Bengio 2013). One trace per stacked layer (`num_layers`).
public struct TimeTrace: Sendable, Equatable {
    /// Which stacked layer: 0 for the one with `weight_ih_l0`.
    public var stack: Int
    /// ‖∂L/∂h_t‖ for t = 1...T (index t − 1): the Frobenius norm, over the batch and the hidden units, of
    /// the whole gradient reaching the hidden state h_t (from the output at t and from step t + 1), as
    /// backpropagation through time accumulates it. Filled by the backward pass.
    public var gradientNorms: [Double]
    /// ‖h_t‖ over the batch and the hidden units, t = 1...T. Filled by the forward pass.
    public var hiddenNorms: [Double]
    /// For gated cells (LSTM, GRU), each gate's statistics at every time step; empty for a vanilla RNN.
    public var gates: [GateTrace]

    public init(stack: Int, gradientNorms: [Double], hiddenNorms: [Double], gates: [GateTrace] = []) {
        self.stack = stack
        self.gradientNorms = gradientNorms
        self.hiddenNorms = hiddenNorms
        self.gates = gates
    }
}

/// One gate of a gated recurrent cell over the time steps of a pass.
public struct GateTrace: Sendable, Equatable {
    /// torch's letter for the gate: `i`, `f`, `g`, `o` for LSTM; `r`, `z`, `n` for GRU.
    public var name: String
    /// The gate's mean activation over the batch and the hidden units, t = 1...T.
    public var means: [Double]
    /// The fraction of the gate's activations in its saturated band, t = 1...T: a sigmoid gate below 0.03
    /// or above 0.97, a tanh gate beyond ±0.97 (the bands of the activation statistics).
    public var saturatedFractions: [Double]

    public init(name: String, means: [Double], saturatedFractions: [Double]) {
        self.name = name
        self.means = means
        self.saturatedFractions = saturatedFractions
    }
}

/// A layer that can record `TimeTrace`s: off by default, so that training pays nothing for it; the
/// recorder turns it on for the steps it records.
public protocol TimeTracing: AnyObject {
    /// When true, the next forward and backward passes fill `timeTraces`.
    var isTracingTime: Bool { get set }
    /// The traces of the last traced forward and backward pass, one per stacked layer.
    var timeTraces: [TimeTrace] { get }
}

/// Randomness a layer draws in training mode (dropout masks), which a gradient check must hold fixed:
/// every evaluation of f(θ ± h) has to see the same function.
public protocol RandomState: AnyObject {
    /// When true, training-mode forward passes reuse the last draw instead of making a new one.
    var isFrozen: Bool { get set }
}

/// A layer's input does not have the per-example shape the layer takes.
public struct ShapeMismatch: Error, Equatable, CustomStringConvertible {
    /// The layer's full torch name (`3.0`), filled in by the containers the error passes through; `""`
    /// for the model itself.
    public var layer: String
    /// The layer as torch prints its class: `Linear(4, 2)`.
    public var kind: String
    /// The per-example input shape (without the batch axis) the layer was given.
    public var input: [Int]
    /// The per-example input shape the layer takes, in words: `[4]`, `[..., 4]`.
    public var expected: String

    public init(layer: String = "", kind: String, input: [Int], expected: String) {
        self.layer = layer
        self.kind = kind
        self.input = input
        self.expected = expected
    }

    /// The same mismatch seen from a parent that calls the layer `name`.
    public func inside(_ name: String) -> ShapeMismatch {
        var copy = self
        copy.layer = name.isEmpty ? layer : layer.isEmpty ? name : "\(name).\(layer)"
        return copy
    }

    public var description: String {
        "layer \(layer.isEmpty ? "(model)" : layer) (\(kind)) takes per-example input \(expected), got \(input)"
    }
}

/// Receives every layer's output and output gradient during a traced pass, as torch's forward and
/// backward hooks; the trainer uses one to show observers every layer of the tree.
public protocol LayerTracer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// `layer`'s forward pass begins with `input` (torch's forward pre-hook). The default ignores it; the
    /// gradient checker's kink probe reads the inputs of layers that declare `kinks`.
    func layer(_ layer: any Layer<Scalar>, willForward input: Tensor<Scalar>)
    /// `layer`'s forward pass has finished with `output`.
    func layer(_ layer: any Layer<Scalar>, didProduce output: Tensor<Scalar>)
    /// `layer`'s backward pass begins with `outputGradient`, ∂L/∂output.
    func layer(_ layer: any Layer<Scalar>, willBackward outputGradient: Tensor<Scalar>)
}

/// One step of a network: a differentiable map from a `[batch, ...]` input to a `[batch, ...]` output.
///
/// `forward` keeps what `backward` needs. `backward` takes the gradient of the loss with respect to the
/// layer's output and returns the gradient with respect to its input; on the way it *adds* the gradients
/// of the layer's parameters to their `gradient` tensors (clear them with `zeroGradients()`).
///
/// A layer describes itself, so that the trainer, the recorder, the checker and checkpoints walk any
/// model without knowing its concrete types (torch's `named_modules()`): its per-example output shape,
/// its parameters with their roles, its buffers and counters, its children, its nonlinearity and kinks,
/// and its random state. A layer with children (a container) owns no parameters, buffers or counters of
/// its own: its lists are its children's, prefixed by their names (the defaults do exactly that).
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

    /// `forward`, telling `tracer` about this layer's output and, for a container, its children's.
    /// The default (for a leaf) calls `forward`, then the tracer.
    func forward(_ input: Tensor<Scalar>, mode: Mode, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar>

    /// `backward`, telling `tracer` the gradient at this layer's output and, for a container, at its
    /// children's. The default (for a leaf) calls the tracer, then `backward`.
    func backward(_ outputGradient: Tensor<Scalar>, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar>

    /// The per-example output shape (without the batch axis) for a per-example input shape, or a
    /// `ShapeMismatch` when the layer cannot take that input. The default, for elementwise layers,
    /// takes any shape and returns it.
    func outputShape(forInputShape shape: [Int]) throws -> [Int]

    /// The trainable parameters with their names inside the layer (`weight`, `bias`, `0.weight`).
    var parameters: [NamedParameter<Scalar>] { get }

    /// Non-trainable state that belongs in a checkpoint (`running_mean`), named as in PyTorch.
    var buffers: [NamedTensor<Scalar>] { get }

    /// Integer buffers that belong in a checkpoint (`num_batches_tracked`), named as in PyTorch.
    var counters: [NamedCounter] { get }

    /// The layers inside this one with their names, as torch's `named_children()`; empty for a leaf.
    var children: [NamedLayer<Scalar>] { get }

    /// The activation function the layer applies elementwise, if it is one.
    var nonlinearity: Activation? { get }

    /// Where the layer's function has kinks; the default is its nonlinearity's, or none.
    var kinks: [Kink] { get }

    /// The randomness the layer draws in training mode, if any, for a gradient check to freeze.
    var randomState: (any RandomState)? { get }

    /// The discrete choices of the last forward pass, for a layer that declares `Kink.choice`.
    var choices: (any ChoiceReporting)? { get }

    /// Per-time-step traces, for a recurrent layer.
    var timeTracing: (any TimeTracing)? { get }
}

extension LayerTracer {
    public func layer(_ layer: any Layer<Scalar>, willForward input: Tensor<Scalar>) {}
}

extension Layer {
    public func forward(_ input: Tensor<Scalar>, mode: Mode, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willForward: input)
        let output = forward(input, mode: mode)
        tracer.layer(self, didProduce: output)
        return output
    }

    public func backward(_ outputGradient: Tensor<Scalar>, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willBackward: outputGradient)
        return backward(outputGradient)
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    public var parameters: [NamedParameter<Scalar>] {
        children.flatMap { child in
            child.layer.parameters.map {
                NamedParameter(name: "\(child.name).\($0.name)", parameter: $0.parameter, role: $0.role)
            }
        }
    }

    public var buffers: [NamedTensor<Scalar>] {
        children.flatMap { child in
            child.layer.buffers.map { NamedTensor(name: "\(child.name).\($0.name)", tensor: $0.tensor) }
        }
    }

    public var counters: [NamedCounter] {
        children.flatMap { child in
            child.layer.counters.map { NamedCounter(name: "\(child.name).\($0.name)", counter: $0.counter) }
        }
    }

    public var children: [NamedLayer<Scalar>] { [] }
    public var nonlinearity: Activation? { nil }
    public var kinks: [Kink] { nonlinearity?.kinks ?? [] }
    public var randomState: (any RandomState)? { nil }
    public var choices: (any ChoiceReporting)? { nil }
    public var timeTracing: (any TimeTracing)? { nil }

    /// The parameters this layer holds itself: all of a leaf's, none of a container's.
    public var ownParameters: [NamedParameter<Scalar>] { children.isEmpty ? parameters : [] }

    /// This layer and every layer inside it with full torch names, parents before children, as torch's
    /// `named_modules()`: `""` for this layer, then `"0"`, `"3"`, `"3.0"`, `"3.1"`, ...
    public var namedLayers: [NamedLayer<Scalar>] {
        var result: [NamedLayer<Scalar>] = []
        func visit(_ layer: any Layer<Scalar>, name: String) {
            result.append(NamedLayer(name: name, layer: layer))
            for child in layer.children { visit(child.layer, name: name.isEmpty ? child.name : "\(name).\(child.name)") }
        }
        visit(self, name: "")
        return result
    }

    /// The per-example output shape for `shape`, checked once when a model is built: a mismatch stops
    /// with a precondition that names the layer (torch name and kind) and both shapes.
    public func checkedOutputShape(forInputShape shape: [Int]) -> [Int] {
        do {
            return try outputShape(forInputShape: shape)
        } catch let mismatch as ShapeMismatch {
            preconditionFailure(mismatch.description)
        } catch {
            preconditionFailure("\(kind): \(error)")
        }
    }

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
