/// The tensors of one stacked layer `k` of a recurrent network, as torch names them: `weight_ih_lk`,
/// `weight_hh_lk`, `bias_ih_lk`, `bias_hh_lk`.
///
/// ```
/// weightIH  [gates·hidden, input]   (input is input_size for k = 0, hidden_size above)
/// weightHH  [gates·hidden, hidden]
/// biasIH, biasHH  [gates·hidden], both present or both absent (torch's bias=True / False)
/// gates: 1 for RNN, 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), stacked along the first axis
/// ```
/// The layouts are torch's, so a `state_dict` moves between the two unchanged.
/// Reference: torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU documentation ("Variables").
public struct RecurrentWeights<Scalar: TensorScalar> {
    public var weightIH: Tensor<Scalar>
    public var weightHH: Tensor<Scalar>
    public var biasIH: Tensor<Scalar>?
    public var biasHH: Tensor<Scalar>?

    public init(weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}

/// The parameters of one stacked layer, and the sizes the recurrent layers share.
struct RecurrentStack<Scalar: TensorScalar> {
    let weightIH: Parameter<Scalar>
    let weightHH: Parameter<Scalar>
    let biasIH: Parameter<Scalar>?
    let biasHH: Parameter<Scalar>?
    /// The features this stacked layer reads: input_size for the first, hidden_size above.
    let inputSize: Int
}

/// What RNN, LSTM and GRU have in common: sizes, parameters and their torch names.
struct RecurrentParameters<Scalar: TensorScalar> {
    let inputSize: Int
    let hiddenSize: Int
    /// 1 (RNN), 4 (LSTM) or 3 (GRU): the blocks of `hiddenSize` rows stacked in each weight.
    let gates: Int
    let stacks: [RecurrentStack<Scalar>]
    let hasBias: Bool

    var numLayers: Int { stacks.count }

    /// torch's default initialisation: every weight and bias from U(−1/√hidden, 1/√hidden), drawn in
    /// `state_dict` order (per layer: weight_ih, weight_hh, bias_ih, bias_hh), as `reset_parameters`.
    init(kind: String, inputSize: Int, hiddenSize: Int, numLayers: Int, gates: Int, bias: Bool,
         generator: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && numLayers > 0,
                     "\(kind) needs positive sizes, got input_size \(inputSize), hidden_size \(hiddenSize), "
                     + "num_layers \(numLayers)")
        let bound = 1 / Double(hiddenSize).squareRoot()
        func draw(_ shape: [Int]) -> Parameter<Scalar> {
            let t = Tensor<Scalar>(shape: shape)
            for i in 0..<t.count { t[i] = Scalar(generator.nextUniform(in: -bound, bound)) }
            return Parameter(t)
        }
        var stacks: [RecurrentStack<Scalar>] = []
        for k in 0..<numLayers {
            let features = k == 0 ? inputSize : hiddenSize
            let wih = draw([gates * hiddenSize, features]), whh = draw([gates * hiddenSize, hiddenSize])
            let bih = bias ? draw([gates * hiddenSize]) : nil, bhh = bias ? draw([gates * hiddenSize]) : nil
            stacks.append(RecurrentStack(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, inputSize: features))
        }
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.gates = gates
        self.stacks = stacks
        self.hasBias = bias
    }

    /// The given tensors, checked against each other: sizes come from layer 0's weights.
    init(kind: String, weights: [RecurrentWeights<Scalar>], gates: Int) {
        precondition(!weights.isEmpty, "\(kind) needs the weights of at least one layer")
        let first = weights[0].weightIH
        precondition(first.rank == 2 && first.shape[0] % gates == 0 && first.shape[0] > 0 && first.shape[1] > 0,
                     "\(kind) weight_ih_l0 must be [\(gates)·hidden_size, input_size], got \(first.shape)")
        let hidden = first.shape[0] / gates
        let hasBias = weights[0].biasIH != nil
        var stacks: [RecurrentStack<Scalar>] = []
        for (k, w) in weights.enumerated() {
            let features = k == 0 ? first.shape[1] : hidden
            precondition(w.weightIH.shape == [gates * hidden, features],
                         "\(kind) weight_ih_l\(k) must be [\(gates * hidden), \(features)], got \(w.weightIH.shape)")
            precondition(w.weightHH.shape == [gates * hidden, hidden],
                         "\(kind) weight_hh_l\(k) must be [\(gates * hidden), \(hidden)], got \(w.weightHH.shape)")
            precondition((w.biasIH != nil) == hasBias && (w.biasHH != nil) == hasBias,
                         "\(kind) layer \(k): bias_ih and bias_hh must be present in every layer or in none")
            for (name, b) in [("bias_ih", w.biasIH), ("bias_hh", w.biasHH)] {
                if let b {
                    precondition(b.shape == [gates * hidden],
                                 "\(kind) \(name)_l\(k) must be [\(gates * hidden)], got \(b.shape)")
                }
            }
            stacks.append(RecurrentStack(weightIH: Parameter(w.weightIH), weightHH: Parameter(w.weightHH),
                                         biasIH: w.biasIH.map { Parameter($0) }, biasHH: w.biasHH.map { Parameter($0) },
                                         inputSize: features))
        }
        self.inputSize = first.shape[1]
        self.hiddenSize = hidden
        self.gates = gates
        self.stacks = stacks
        self.hasBias = hasBias
    }

    /// torch's names and order: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, ...
    var named: [NamedParameter<Scalar>] {
        stacks.enumerated().flatMap { k, s in
            var result = [NamedParameter(name: "weight_ih_l\(k)", parameter: s.weightIH, role: .weight),
                          NamedParameter(name: "weight_hh_l\(k)", parameter: s.weightHH, role: .weight)]
            if let b = s.biasIH { result.append(NamedParameter(name: "bias_ih_l\(k)", parameter: b, role: .bias)) }
            if let b = s.biasHH { result.append(NamedParameter(name: "bias_hh_l\(k)", parameter: b, role: .bias)) }
            return result
        }
    }

    /// The current tensors of each stacked layer.
    var weights: [RecurrentWeights<Scalar>] {
        stacks.map { RecurrentWeights(weightIH: $0.weightIH.value, weightHH: $0.weightHH.value,
                                      biasIH: $0.biasIH?.value, biasHH: $0.biasHH?.value) }
    }

    /// The module as torch prints it: `LSTM(16, 128, num_layers=2, bias=False, batch_first=True)`.
    func description(_ name: String, extra: String = "") -> String {
        var s = "\(name)(\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", num_layers=\(numLayers)" }
        s += extra
        if !hasBias { s += ", bias=False" }
        return s + ", batch_first=True)"
    }

    /// Per-example `[T, input_size]` to `[T, hidden_size]`.
    func outputShape(forInputShape shape: [Int], kind: String) throws -> [Int] {
        guard shape.count == 2, shape[0] > 0, shape[1] == inputSize else {
            throw ShapeMismatch(kind: kind, input: shape, expected: "[T, \(inputSize)]")
        }
        return [shape[0], hiddenSize]
    }

    /// Checks a `[batch, T, input_size]` input and returns (batch, T).
    func sequenceSizes(of input: Tensor<Scalar>, kind: String) -> (batch: Int, steps: Int) {
        precondition(input.rank == 3 && input.shape[1] > 0 && input.shape[2] == inputSize,
                     "\(kind): expected input of shape [batch, T, \(inputSize)], got \(input.shape)")
        return (input.shape[0], input.shape[1])
    }
}
