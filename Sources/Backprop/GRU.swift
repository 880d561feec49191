/// A gated recurrent unit layer, torch's `nn.GRU(input_size, hidden_size, num_layers, bias,
/// batch_first=True)`, with a zero initial state; the output is the last stacked layer's h_1 … h_T.
///
/// ```
/// r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)            gates stacked in torch's order r, z, n:
/// z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)            weight_ih_lk is [3·hidden, input]
/// n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
/// h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1},   h_0 = 0
/// backward: ∂n = ∂h_t ⊙ (1 − z),  ∂z = ∂h_t ⊙ (h_{t−1} − n),  ∂r = ∂a_n ⊙ (W_hn h_{t−1} + b_hn),
///           ∂L/∂h_{t−1} += ∂h_t ⊙ z + [∂a_r | ∂a_z | ∂a_n ⊙ r] · W_hh
/// ```
/// b_hn sits inside the reset gate's product, as in torch (and cuDNN), so the recurrent product
/// W_hh h_{t−1} + b_hh of every step is kept for the backward pass. Backpropagation through time over
/// the whole sequence (`RecurrentCore`). torch's `dropout` and `bidirectional` are not supported.
/// Reference: Cho et al. (2014), *Learning phrase representations using RNN encoder–decoder*;
/// torch.nn.GRU documentation.
public final class GRU<Scalar: TensorScalar>: Layer, TimeTracing {
    let core: RecurrentCore<Scalar>

    /// A layer with torch's default initialisation, every weight and bias from U(−1/√hidden, 1/√hidden).
    ///
    /// - Parameters:
    ///   - inputSize: `input_size`, the features of each time step.
    ///   - hiddenSize: `hidden_size`.
    ///   - numLayers: `num_layers`, stacked layers; torch's default 1.
    ///   - bias: whether each layer has `bias_ih` and `bias_hh`; torch's default true.
    ///   - generator: the seeded generator the draws come from, in `state_dict` order.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                generator: inout RandomGenerator) {
        let parameters = RecurrentParameters<Scalar>(kind: "GRU", inputSize: inputSize, hiddenSize: hiddenSize,
                                                     numLayers: numLayers, gates: 3, bias: bias, generator: &generator)
        core = RecurrentCore(cell: .gru, parameters: parameters, kind: parameters.description("GRU"))
    }

    /// A layer holding the given tensors, one `RecurrentWeights` per stacked layer (`weight_ih_l0` is
    /// `[3·hidden, input]`, every other weight `[3·hidden, hidden]`, biases `[3·hidden]`).
    public init(weights: [RecurrentWeights<Scalar>]) {
        let parameters = RecurrentParameters<Scalar>(kind: "GRU", weights: weights, gates: 3)
        core = RecurrentCore(cell: .gru, parameters: parameters, kind: parameters.description("GRU"))
    }

    public var inputSize: Int { core.parameters.inputSize }
    public var hiddenSize: Int { core.parameters.hiddenSize }
    public var numLayers: Int { core.parameters.numLayers }
    public var hasBias: Bool { core.parameters.hasBias }
    /// The tensors of each stacked layer (the parameters' values, not copies).
    public var weights: [RecurrentWeights<Scalar>] { core.parameters.weights }

    public var kind: String { "GRU" }
    public var parameters: [NamedParameter<Scalar>] { core.parameters.named }
    public var timeTracing: (any TimeTracing)? { self }

    public var isTracingTime: Bool {
        get { core.isTracingTime }
        set { core.isTracingTime = newValue }
    }
    public var timeTraces: [TimeTrace] { core.timeTraces }

    /// Per-example `[T, input_size]` to `[T, hidden_size]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try core.parameters.outputShape(forInputShape: shape, kind: core.kind)
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> { core.forward(input) }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> { core.backward(outputGradient) }
}

extension RecurrentCore {
    /// Steps 1…T of stacked layer k. The gates buffer holds x_t W_ihᵀ + b_ih on entry and the activations
    /// r, z, n on exit; the cell-state buffer keeps W_hh h_{t−1} + b_hh of every step.
    func gruForward(stack k: Int) {
        let h = hidden, width = 3 * hidden, block = batch * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: h)
        let g = buffers[k].gates.tensor(rows: steps * batch, columns: width)
        let recurrent = buffers[k].cellState.tensor(rows: steps * batch, columns: width)
        let bias = parameters.stacks[k].biasHH
        for t in 0..<steps {
            let gt = g.base + t * batch * width, rt = recurrent.base + t * batch * width
            if let bias {
                RecurrentLayout.broadcastSum(bias.value, nil, rows: batch, columns: width, into: rt)
            } else {
                rt.update(repeating: 0, count: batch * width)
            }
            if t > 0 { addRecurrentProduct(stack: k, step: t, c: rt) }
            for b in 0..<batch {
                let row = gt + b * width, r = rt + b * width
                for j in 0..<(2 * h) { row[j] += r[j] }
                RecurrentLayout.sigmoid(row, count: 2 * h)
                for j in 0..<h { row[2 * h + j] += row[j] * r[2 * h + j] }
                RecurrentLayout.tanh(row + 2 * h, count: h)
                let previous = hs.base + t * block + b * h, next = hs.base + (t + 1) * block + b * h
                for j in 0..<h {
                    let z = row[h + j]
                    next[j] = (1 - z) * row[2 * h + j] + z * previous[j]
                }
            }
        }
    }

    /// Steps T…1 of stacked layer k: the gradients of the input products' pre-activations into the gate
    /// gradient, those of the recurrent product W_hh h_{t−1} + b_hh into the returned tensor, and
    /// `∂L/∂h_{t−1} += ∂h_t ⊙ z + dR_t · W_hh`.
    func gruBackward(stack k: Int) -> Tensor<Scalar> {
        let h = hidden, width = 3 * hidden, block = batch * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: h)
        let g = buffers[k].gates.tensor(rows: steps * batch, columns: width)
        let recurrent = buffers[k].cellState.tensor(rows: steps * batch, columns: width)
        let dH = buffers[k].hiddenGradient.tensor(rows: steps * batch, columns: h)
        let dG = gateGradient.tensor(rows: steps * batch, columns: width)
        let dR = stepGradient.tensor(rows: steps * batch, columns: width)
        for t in (0..<steps).reversed() {
            for b in 0..<batch {
                let offset = (t * batch + b) * width
                let row = g.base + offset, r = recurrent.base + offset, di = dG.base + offset, dr = dR.base + offset
                let previous = hs.base + t * block + b * h, dh = dH.base + t * block + b * h
                for j in 0..<h {
                    let reset = row[j], z = row[h + j], n = row[2 * h + j], dhj = dh[j]
                    let dn = dhj * (1 - z) * (1 - n * n)
                    let dReset = dn * r[2 * h + j] * reset * (1 - reset)
                    let dz = dhj * (previous[j] - n) * z * (1 - z)
                    di[j] = dReset
                    di[h + j] = dz
                    di[2 * h + j] = dn
                    dr[j] = dReset
                    dr[h + j] = dz
                    dr[2 * h + j] = dn * reset
                }
                if t > 0 {
                    let dPrevious = dH.base + (t - 1) * block + b * h
                    for j in 0..<h { dPrevious[j] += dh[j] * row[h + j] }
                }
            }
            if t > 0 { backpropagateThroughRecurrentWeight(stack: k, step: t, gradient: dR.base, into: dH.base) }
        }
        return dR
    }
}
