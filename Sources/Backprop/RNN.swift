/// The nonlinearity of a vanilla recurrent layer, torch's `nonlinearity='tanh' | 'relu'`.
public enum RNNNonlinearity: String, Sendable, CaseIterable {
    case tanh
    case relu

    var activation: Activation {
        switch self {
        case .tanh: .tanh
        case .relu: .relu
        }
    }
}

/// An Elman recurrent layer, torch's `nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias,
/// batch_first=True)`, with a zero initial state; the output is the last stacked layer's h_1 … h_T.
///
/// ```
/// h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),  h_0 = 0          act = tanh or relu
/// input [batch, T, input_size]  →  output [batch, T, hidden_size];  layer k > 0 reads layer k − 1's h_t
/// backward: ∂L/∂a_t = ∂L/∂h_t ⊙ act'(a_t);  ∂L/∂h_{t−1} += ∂L/∂a_t · W_hh
/// ```
/// Backpropagation through time over the whole sequence (`RecurrentCore`). With `.relu` the function has a
/// kink wherever a pre-activation a_t crosses 0: the layer declares `Kink.choice` and reports the sign of
/// every pre-activation of its last forward pass through `choices`. torch's `dropout` between stacked
/// layers and `bidirectional` are not supported.
/// Reference: Elman (1990), *Finding structure in time*; torch.nn.RNN documentation.
public final class RNN<Scalar: TensorScalar>: Layer, TimeTracing, ChoiceReporting {
    let core: RecurrentCore<Scalar>
    /// The activation of every step.
    public let cellNonlinearity: RNNNonlinearity

    /// A layer with torch's default initialisation, every weight and bias from U(−1/√hidden, 1/√hidden).
    ///
    /// - Parameters:
    ///   - inputSize: `input_size`, the features of each time step.
    ///   - hiddenSize: `hidden_size`.
    ///   - numLayers: `num_layers`, stacked layers; torch's default 1.
    ///   - nonlinearity: torch's default `tanh`.
    ///   - bias: whether each layer has `bias_ih` and `bias_hh`; torch's default true.
    ///   - generator: the seeded generator the draws come from, in `state_dict` order.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: RNNNonlinearity = .tanh,
                bias: Bool = true, generator: inout RandomGenerator) {
        cellNonlinearity = nonlinearity
        let parameters = RecurrentParameters<Scalar>(kind: "RNN", inputSize: inputSize, hiddenSize: hiddenSize,
                                                     numLayers: numLayers, gates: 1, bias: bias, generator: &generator)
        core = RecurrentCore(cell: .rnn(nonlinearity), parameters: parameters,
                             kind: parameters.description("RNN", extra: Self.extra(nonlinearity)))
    }

    /// A layer holding the given tensors, one `RecurrentWeights` per stacked layer (`weight_ih_l0` is
    /// `[hidden, input]`, every other weight `[hidden, hidden]`).
    public init(weights: [RecurrentWeights<Scalar>], nonlinearity: RNNNonlinearity = .tanh) {
        cellNonlinearity = nonlinearity
        let parameters = RecurrentParameters<Scalar>(kind: "RNN", weights: weights, gates: 1)
        core = RecurrentCore(cell: .rnn(nonlinearity), parameters: parameters,
                             kind: parameters.description("RNN", extra: Self.extra(nonlinearity)))
    }

    private static func extra(_ nonlinearity: RNNNonlinearity) -> String {
        nonlinearity == .tanh ? "" : ", nonlinearity='\(nonlinearity.rawValue)'"
    }

    public var inputSize: Int { core.parameters.inputSize }
    public var hiddenSize: Int { core.parameters.hiddenSize }
    public var numLayers: Int { core.parameters.numLayers }
    public var hasBias: Bool { core.parameters.hasBias }
    /// The tensors of each stacked layer (the parameters' values, not copies).
    public var weights: [RecurrentWeights<Scalar>] { core.parameters.weights }

    public var kind: String { "RNN" }
    public var parameters: [NamedParameter<Scalar>] { core.parameters.named }
    public var kinks: [Kink] { cellNonlinearity == .relu ? [.choice] : [] }
    public var choices: (any ChoiceReporting)? { cellNonlinearity == .relu ? self : nil }
    public var timeTracing: (any TimeTracing)? { self }

    public var isTracingTime: Bool {
        get { core.isTracingTime }
        set { core.isTracingTime = newValue }
    }
    public var timeTraces: [TimeTrace] { core.timeTraces }

    /// The side of 0 of every pre-activation a_t of the last forward pass: 1, −1 or 0, ordered by
    /// stacked layer, then time step, then example, then hidden unit.
    public var lastChoices: [Int32] {
        (0..<numLayers).flatMap { k -> [Int32] in
            let a = core.gates(stack: k)
            return (0..<a.count).map { a.base[$0] > 0 ? 1 : a.base[$0] < 0 ? -1 : 0 }
        }
    }

    /// Per-example `[T, input_size]` to `[T, hidden_size]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try core.parameters.outputShape(forInputShape: shape, kind: core.kind)
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> { core.forward(input) }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { core.backward(outputGradient) }
}

extension RecurrentCore {
    /// Steps 1…T of stacked layer k: `a_t = G_t + h_{t−1} W_hhᵀ` (G_t = x_t W_ihᵀ + b_ih + b_hh is already in
    /// the gates buffer), `h_t = act(a_t)`; the pre-activations stay in the gates buffer.
    func rnnForward(stack k: Int, nonlinearity: RNNNonlinearity) {
        let block = batch * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: hidden)
        let a = buffers[k].gates.tensor(rows: steps * batch, columns: hidden)
        let activation = nonlinearity.activation
        for t in 0..<steps {
            let at = a.base + t * block
            if t > 0 { addRecurrentProduct(stack: k, step: t, c: at) }
            activation.apply(UnsafeBufferPointer(start: at, count: block),
                             into: UnsafeMutableBufferPointer(start: hs.base + (t + 1) * block, count: block))
        }
    }

    /// Steps T…1 of stacked layer k: `∂L/∂a_t = ∂L/∂h_t ⊙ act'(a_t)` into the gate gradient, and
    /// `∂L/∂h_{t−1} += ∂L/∂a_t · W_hh`.
    func rnnBackward(stack k: Int, nonlinearity: RNNNonlinearity) {
        let block = batch * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: hidden)
        let a = buffers[k].gates.tensor(rows: steps * batch, columns: hidden)
        let dH = buffers[k].hiddenGradient.tensor(rows: steps * batch, columns: hidden)
        let dA = gateGradient.tensor(rows: steps * batch, columns: hidden)
        let activation = nonlinearity.activation
        for t in (0..<steps).reversed() {
            activation.backward(input: UnsafeBufferPointer(start: a.base + t * block, count: block),
                                output: UnsafeBufferPointer(start: hs.base + (t + 1) * block, count: block),
                                outputGradient: UnsafeBufferPointer(start: dH.base + t * block, count: block),
                                into: UnsafeMutableBufferPointer(start: dA.base + t * block, count: block))
            if t > 0 { backpropagateThroughRecurrentWeight(stack: k, step: t, gradient: dA.base, into: dH.base) }
        }
    }
}
