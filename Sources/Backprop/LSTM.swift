/// A long short-term memory layer, torch's `nn.LSTM(input_size, hidden_size, num_layers, bias,
/// batch_first=True)`, with zero initial states; the output is the last stacked layer's h_1 … h_T.
///
/// ```
/// i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)      gates stacked in the weights in torch's order
/// f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)      i, f, g, o: weight_ih_lk is [4·hidden, input]
/// g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)   (W_ii | W_if | W_ig | W_io)
/// o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
/// c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t),   h_0 = c_0 = 0
/// backward: ∂c_t = ∂h_t ⊙ o_t ⊙ (1 − tanh² c_t) + ∂c_{t+1} ⊙ f_{t+1}
///           ∂i = ∂c_t ⊙ g,  ∂f = ∂c_t ⊙ c_{t−1},  ∂g = ∂c_t ⊙ i,  ∂o = ∂h_t ⊙ tanh c_t, through σ' and tanh'
/// ```
/// Backpropagation through time over the whole sequence (`RecurrentCore`). σ and tanh are the C kernels
/// (`gl_sigmoid_*`, `gl_tanh_*` in CKernels) in both precisions. torch's `proj_size`, `dropout` and
/// `bidirectional` are not supported.
/// Reference: Hochreiter & Schmidhuber (1997); Gers, Schmidhuber & Cummins (2000) for the forget gate;
/// torch.nn.LSTM documentation.
public final class LSTM<Scalar: TensorScalar>: Layer, TimeTracing {
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
        let parameters = RecurrentParameters<Scalar>(kind: "LSTM", inputSize: inputSize, hiddenSize: hiddenSize,
                                                     numLayers: numLayers, gates: 4, bias: bias, generator: &generator)
        core = RecurrentCore(cell: .lstm, parameters: parameters, kind: parameters.description("LSTM"))
    }

    /// A layer holding the given tensors, one `RecurrentWeights` per stacked layer (`weight_ih_l0` is
    /// `[4·hidden, input]`, every other weight `[4·hidden, hidden]`, biases `[4·hidden]`).
    public init(weights: [RecurrentWeights<Scalar>]) {
        let parameters = RecurrentParameters<Scalar>(kind: "LSTM", weights: weights, gates: 4)
        core = RecurrentCore(cell: .lstm, parameters: parameters, kind: parameters.description("LSTM"))
    }

    public var inputSize: Int { core.parameters.inputSize }
    public var hiddenSize: Int { core.parameters.hiddenSize }
    public var numLayers: Int { core.parameters.numLayers }
    public var hasBias: Bool { core.parameters.hasBias }
    /// The tensors of each stacked layer (the parameters' values, not copies).
    public var weights: [RecurrentWeights<Scalar>] { core.parameters.weights }

    public var kind: String { "LSTM" }
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
    /// Steps 1…T of stacked layer k. The gates buffer holds G_t = x_t W_ihᵀ + b_ih + b_hh on entry and
    /// the activations i, f, g, o on exit; c_t and tanh(c_t) are kept for the backward pass.
    func lstmForward(stack k: Int) {
        let h = hidden, width = 4 * hidden, block = batch * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: h)
        let g = buffers[k].gates.tensor(rows: steps * batch, columns: width)
        let cs = buffers[k].cellState.tensor(rows: (steps + 1) * batch, columns: h)
        let tc = buffers[k].cellTanh.tensor(rows: steps * batch, columns: h)
        cs.base.update(repeating: 0, count: block)
        for t in 0..<steps {
            let gt = g.base + t * batch * width
            if t > 0 { addRecurrentProduct(stack: k, step: t, c: gt) }
            let cPrevious = cs.base + t * block, c = cs.base + (t + 1) * block
            let ht = hs.base + (t + 1) * block, tct = tc.base + t * block
            for b in 0..<batch {
                let row = gt + b * width
                RecurrentLayout.sigmoid(row, count: 2 * h)
                RecurrentLayout.tanh(row + 2 * h, count: h)
                RecurrentLayout.sigmoid(row + 3 * h, count: h)
                let cp = cPrevious + b * h, cn = c + b * h
                var j = 0
                while j + 8 <= h {
                    Lanes.store(Lanes.load(row + h + j) * Lanes.load(cp + j) + Lanes.load(row + j) * Lanes.load(row + 2 * h + j),
                                cn + j)
                    j += 8
                }
                while j < h { cn[j] = row[h + j] * cp[j] + row[j] * row[2 * h + j]; j += 1 }
            }
            Scalar.tanh(UnsafeBufferPointer(start: c, count: block), into: UnsafeMutableBufferPointer(start: tct, count: block))
            for b in 0..<batch {
                let o = gt + b * width + 3 * h, th = tct + b * h, hn = ht + b * h
                for j in 0..<h { hn[j] = o[j] * th[j] }
            }
        }
    }

    /// Steps T…1 of stacked layer k: the gradients of the gates' pre-activations into the gate gradient,
    /// the cell-state gradient carried from step to step, and `∂L/∂h_{t−1} += dG_t · W_hh`.
    func lstmBackward(stack k: Int) {
        let h = hidden, width = 4 * hidden, block = batch * hidden
        let g = buffers[k].gates.tensor(rows: steps * batch, columns: width)
        let cs = buffers[k].cellState.tensor(rows: (steps + 1) * batch, columns: h)
        let tc = buffers[k].cellTanh.tensor(rows: steps * batch, columns: h)
        let dH = buffers[k].hiddenGradient.tensor(rows: steps * batch, columns: h)
        let dG = gateGradient.tensor(rows: steps * batch, columns: width)
        let dC = stepGradient.tensor(rows: batch, columns: h)
        dC.fill(0)
        for t in (0..<steps).reversed() {
            for b in 0..<batch {
                let row = g.base + (t * batch + b) * width, d = dG.base + (t * batch + b) * width
                let cp = cs.base + t * block + b * h, th = tc.base + t * block + b * h
                let dh = dH.base + t * block + b * h, dc = dC.base + b * h
                // Eight lanes at a time (the pointers may alias as far as the compiler knows, so it would
                // not vectorise the loop itself), then the rest one by one: the same formulas.
                var j = 0
                while j + 8 <= h {
                    let i = Lanes.load(row + j), f = Lanes.load(row + h + j)
                    let gg = Lanes.load(row + 2 * h + j), o = Lanes.load(row + 3 * h + j)
                    let tanhC = Lanes.load(th + j), dhj = Lanes.load(dh + j)
                    let dcj = dhj * o * (1 - tanhC * tanhC) + Lanes.load(dc + j)
                    Lanes.store(dcj * gg * i * (1 - i), d + j)
                    Lanes.store(dcj * Lanes.load(cp + j) * f * (1 - f), d + h + j)
                    Lanes.store(dcj * i * (1 - gg * gg), d + 2 * h + j)
                    Lanes.store(dhj * tanhC * o * (1 - o), d + 3 * h + j)
                    Lanes.store(dcj * f, dc + j)
                    j += 8
                }
                while j < h {
                    let i = row[j], f = row[h + j], gg = row[2 * h + j], o = row[3 * h + j]
                    let tanhC = th[j], dhj = dh[j]
                    let dcj = dhj * o * (1 - tanhC * tanhC) + dc[j]
                    d[j] = dcj * gg * i * (1 - i)
                    d[h + j] = dcj * cp[j] * f * (1 - f)
                    d[2 * h + j] = dcj * i * (1 - gg * gg)
                    d[3 * h + j] = dhj * tanhC * o * (1 - o)
                    dc[j] = dcj * f
                    j += 1
                }
            }
            if t > 0 { backpropagateThroughRecurrentWeight(stack: k, step: t, gradient: dG.base, into: dH.base) }
        }
    }
}
