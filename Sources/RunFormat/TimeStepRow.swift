/// `timesteps.csv`: one row per recorded step, recurrent layer, stacked layer and time step, holding what
/// the layer saw at that time step: ‖∂L/∂h_t‖, ‖h_t‖ and, for gated cells, each gate's mean and saturated
/// fraction.
///
/// ```
/// step,layer,stack,t,grad_norm,hidden_norm,gate_i_mean,gate_i_saturated,...,gate_n_saturated
/// 40,0,0,1,2.5e-05,3.1,0.51,0.02,...,,
/// ```
///
/// Wide rather than long: one row per time step reads directly as one point of every figure, and a gate
/// a cell does not have is an empty field (a vanilla RNN leaves all gate columns empty; an LSTM the `r`,
/// `z`, `n` ones; a GRU the `i`, `f`, `g`, `o` ones). The gate letters are torch's (`gateNames`).
/// t counts from 1, as h_1 ... h_T in Bengio, Simard & Frasconi (1994) and Pascanu et al. (2013).
public struct TimeStepRow: CSVRecord, Equatable, Sendable {
    /// One gate's statistics at one time step.
    public struct Gate: Equatable, Sendable {
        /// torch's letter: `i`, `f`, `g`, `o` (LSTM), `r`, `z`, `n` (GRU); one of `gateNames`.
        public var name: String
        /// Mean activation over the batch and the hidden units.
        public var mean: Double
        /// Fraction of activations in the saturated band (sigmoid below 0.03 or above 0.97, tanh beyond ±0.97).
        public var saturated: Double

        public init(name: String, mean: Double, saturated: Double) {
            self.name = name
            self.mean = mean
            self.saturated = saturated
        }
    }

    /// The gates the file has columns for, in column order: LSTM's `i`, `f`, `g`, `o`, then GRU's `r`,
    /// `z`, `n` (torch's gate order and letters in `nn.LSTM` and `nn.GRU`).
    public static let gateNames = ["i", "f", "g", "o", "r", "z", "n"]

    public var step: Int
    /// The recurrent layer's full torch name (`0`, `2.1`).
    public var layer: String
    /// Which stacked layer (`num_layers`): 0 for the one holding `weight_ih_l0`.
    public var stack: Int
    /// The time step, 1...T.
    public var t: Int
    /// ‖∂L/∂h_t‖ over the batch and the hidden units: the whole gradient reaching h_t (from the output at t
    /// and from step t + 1).
    public var gradientNorm: Double
    /// ‖h_t‖ over the batch and the hidden units.
    public var hiddenNorm: Double
    /// The cell's gates, in any order; names from `gateNames`.
    public var gates: [Gate]

    public init(step: Int, layer: String, stack: Int, t: Int, gradientNorm: Double, hiddenNorm: Double,
                gates: [Gate] = []) {
        for gate in gates {
            precondition(Self.gateNames.contains(gate.name),
                         "gate '\(gate.name)' of layer \(layer) is not one of \(Self.gateNames)")
        }
        self.step = step
        self.layer = layer
        self.stack = stack
        self.t = t
        self.gradientNorm = gradientNorm
        self.hiddenNorm = hiddenNorm
        self.gates = gates
    }

    /// The gate named `name`, if the cell has it.
    public func gate(_ name: String) -> Gate? { gates.first { $0.name == name } }

    public static let columns = ["step", "layer", "stack", "t", "grad_norm", "hidden_norm"]
        + gateNames.flatMap { ["gate_\($0)_mean", "gate_\($0)_saturated"] }

    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(layer)
        line.integer(stack)
        line.integer(t)
        line.number(gradientNorm)
        line.number(hiddenNorm)
        for name in Self.gateNames {
            let gate = gate(name)
            line.number(gate?.mean)
            line.number(gate?.saturated)
        }
    }

    /// The time ratio ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of each (step, layer, stack) in `rows`, in the order first met;
    /// nil where ‖∂L/∂h_T‖ is 0, either norm is not finite, or the sequence has one step (no ratio to
    /// speak of).
    ///
    /// ```
    /// ratio = ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖,   T the largest t of the group
    /// ```
    /// Below 1 the gradient shrinks going back in time (vanishing), above 1 it grows (exploding): Bengio,
    /// Simard & Frasconi (1994); Pascanu, Mikolov & Bengio (2013), section 2.
    public static func timeRatios(_ rows: [TimeStepRow]) -> [(step: Int, layer: String, stack: Int, ratio: Double?)] {
        struct Key: Hashable { var step: Int; var layer: String; var stack: Int }
        var order: [Key] = []
        var ends: [Key: (first: (t: Int, norm: Double), last: (t: Int, norm: Double))] = [:]
        for row in rows {
            let key = Key(step: row.step, layer: row.layer, stack: row.stack)
            guard var end = ends[key] else {
                order.append(key)
                ends[key] = ((row.t, row.gradientNorm), (row.t, row.gradientNorm))
                continue
            }
            if row.t < end.first.t { end.first = (row.t, row.gradientNorm) }
            if row.t > end.last.t { end.last = (row.t, row.gradientNorm) }
            ends[key] = end
        }
        return order.map { key in
            let end = ends[key]!
            let defined = end.first.t < end.last.t && end.last.norm > 0 && end.first.norm.isFinite && end.last.norm.isFinite
            let ratio = defined ? end.first.norm / end.last.norm : nil
            return (key.step, key.layer, key.stack, ratio)
        }
    }
}

extension CSVTable {
    /// `timesteps.csv`'s rows. `step`, `layer`, `stack`, `t` and `grad_norm` are required; `hidden_norm` and
    /// the gate columns may be absent or empty (a gate the cell does not have). A `t` below 1 or a
    /// negative `stack` is refused with its line.
    public func timeSteps() throws -> [TimeStepRow] {
        let step = try integers("step"), layer = try texts("layer"), stack = try integers("stack")
        let t = try integers("t"), norm = try required("grad_norm"), hidden = try optionalNumbers("hidden_norm")
        let gates = try TimeStepRow.gateNames.map { name in
            (name, try optionalNumbers("gate_\(name)_mean"), try optionalNumbers("gate_\(name)_saturated"))
        }
        for r in 0..<count {
            if t[r] < 1 {
                throw RunFolderError.malformed(path: path, line: line(ofRow: r),
                                               reason: "'\(t[r])' in column 't' is not a time step (they count from 1)")
            }
            if stack[r] < 0 {
                throw RunFolderError.malformed(path: path, line: line(ofRow: r),
                                               reason: "'\(stack[r])' in column 'stack' is not a stacked layer (≥ 0)")
            }
        }
        return (0..<count).map { r in
            TimeStepRow(step: step[r], layer: layer[r], stack: stack[r], t: t[r], gradientNorm: norm[r],
                        hiddenNorm: hidden[r] ?? .nan,
                        gates: gates.compactMap { name, mean, saturated in
                            mean[r] == nil && saturated[r] == nil
                                ? nil : .init(name: name, mean: mean[r] ?? .nan, saturated: saturated[r] ?? .nan)
                        })
        }
    }
}
