/// Which cell a `RecurrentCore` runs at each time step.
enum RecurrentCell: Equatable {
    case rnn(RNNNonlinearity)
    case lstm
    case gru

    /// The blocks of `hidden_size` rows in each weight matrix.
    var gates: Int {
        switch self {
        case .rnn: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// The gates as `GateTrace` names them, and whether each is a tanh gate (else a sigmoid gate).
    var gateNames: [(name: String, isTanh: Bool)] {
        switch self {
        case .rnn: []
        case .lstm: [("i", false), ("f", false), ("g", true), ("o", false)]
        case .gru: [("r", false), ("z", false), ("n", true)]
        }
    }
}

/// Backpropagation through time for a stack of recurrent layers, batch first outside, time-major inside.
///
/// ```
/// forward, stacked layer k:   G = X_k · W_ihᵀ + b           one gemm over all T·batch rows
///                             for t = 1…T:  G_t += h_{t−1} · W_hhᵀ   (a gemm over the batch), then the cell
/// backward, k from the top:   for t = T…1:  dG_t from ∂L/∂h_t (the cell's backward);
///                                           ∂L/∂h_{t−1} += dG_t · W_hh
///                             ∂W_ih += dGᵀ · X_k,  ∂W_hh += Σ_t dG_tᵀ · h_{t−1},  ∂X_k = dG · W_ih   (one gemm each)
/// ```
/// Inside, row block t of every buffer holds the batch at time step t, so that each step's rows and each
/// product over all steps are contiguous matrices; the input and the output are transposed once between
/// `[batch, T, features]` and `[T, batch, features]`. The initial states h_0 (and c_0) are zero. Every
/// buffer lives in a `Workspace`: after the first step of a given shape, a pass allocates nothing unless
/// time tracing is on. The cells' own step loops are in RNN.swift, LSTM.swift and GRU.swift.
/// Reference: Werbos (1990), *Backpropagation through time: what it does and how to do it*.
final class RecurrentCore<Scalar: TensorScalar> {
    let cell: RecurrentCell
    let parameters: RecurrentParameters<Scalar>
    let kind: String

    var isTracingTime = false
    var timeTraces: [TimeTrace] = []

    var buffers: [RecurrentBuffers<Scalar>]
    private var input: Tensor<Scalar>?
    private var layerInput = Workspace<Scalar>()
    private var output = Workspace<Scalar>()
    private var inputGradientTimeMajor = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()
    var gateGradient = Workspace<Scalar>()
    /// GRU: ∂L/∂(W_hh h_{t−1} + b_hh); LSTM: the cell-state gradient carried from step t + 1.
    var stepGradient = Workspace<Scalar>()
    private var ones = Workspace<Scalar>()
    private(set) var batch = 0
    private(set) var steps = 0

    init(cell: RecurrentCell, parameters: RecurrentParameters<Scalar>, kind: String) {
        self.cell = cell
        self.parameters = parameters
        self.kind = kind
        self.buffers = Array(repeating: RecurrentBuffers(), count: parameters.numLayers)
    }

    var hidden: Int { parameters.hiddenSize }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        (batch, steps) = parameters.sequenceSizes(of: input, kind: kind)
        self.input = input
        let rows = steps * batch, width = cell.gates * hidden
        let x0 = layerInput.tensor(rows: rows, columns: parameters.inputSize)
        RecurrentLayout.timeMajor(input.base, batch: batch, steps: steps, features: parameters.inputSize, into: x0.base)
        if isTracingTime { timeTraces = [] }
        var x = UnsafePointer(x0.base)
        for k in parameters.stacks.indices {
            let stack = parameters.stacks[k]
            let hs = buffers[k].hidden.tensor(rows: rows + batch, columns: hidden)
            hs.base.update(repeating: 0, count: batch * hidden)
            let g = buffers[k].gates.tensor(rows: rows, columns: width)
            // G = X · W_ihᵀ + b_ih (+ b_hh, except in GRU, where b_hh sits inside r ⊙ (W_hn h + b_hn)).
            RecurrentLayout.broadcastSum(stack.biasIH?.value, cell == .gru ? nil : stack.biasHH?.value,
                                         rows: rows, columns: width, into: g.base)
            Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: stack.inputSize, alpha: 1,
                        a: x, lda: stack.inputSize, b: stack.weightIH.value.base, ldb: stack.inputSize,
                        beta: parameters.hasBias ? 1 : 0, c: g.base, ldc: width)
            switch cell {
            case .rnn(let nonlinearity): rnnForward(stack: k, nonlinearity: nonlinearity)
            case .lstm: lstmForward(stack: k)
            case .gru: gruForward(stack: k)
            }
            if isTracingTime { timeTraces.append(forwardTrace(stack: k)) }
            x = UnsafePointer(hs.base + batch * hidden)
        }
        let y = output.tensor(shape: input.shape, lastAxis: hidden)
        RecurrentLayout.batchFirst(x, batch: batch, steps: steps, features: hidden, into: y.base)
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("\(kind).backward called before forward") }
        precondition(outputGradient.shape.count == 3 && outputGradient.shape[0] == batch
                     && outputGradient.shape[1] == steps && outputGradient.shape[2] == hidden,
                     "\(kind).backward: gradient shape \(outputGradient.shape), expected [\(batch), \(steps), \(hidden)]")
        let rows = steps * batch, width = cell.gates * hidden
        let top = parameters.numLayers - 1
        let dTop = buffers[top].hiddenGradient.tensor(rows: rows, columns: hidden)
        RecurrentLayout.timeMajor(outputGradient.base, batch: batch, steps: steps, features: hidden, into: dTop.base)
        let one = ones.tensor(rows: 1, columns: rows)
        one.fill(1)
        let dx0 = inputGradientTimeMajor.tensor(rows: rows, columns: parameters.inputSize)
        if isTracingTime, timeTraces.count != parameters.numLayers {
            timeTraces = parameters.stacks.indices.map { TimeTrace(stack: $0, gradientNorms: [], hiddenNorms: []) }
        }
        for k in parameters.stacks.indices.reversed() {
            let stack = parameters.stacks[k]
            let dG = gateGradient.tensor(rows: rows, columns: width)
            // The gradient of the recurrent product W_hh h_{t−1} (+ b_hh): the gates' own in RNN and LSTM.
            let dR: Tensor<Scalar>
            switch cell {
            case .rnn(let nonlinearity): rnnBackward(stack: k, nonlinearity: nonlinearity); dR = dG
            case .lstm: lstmBackward(stack: k); dR = dG
            case .gru: dR = gruBackward(stack: k)
            }
            if isTracingTime { timeTraces[k].gradientNorms = gradientNorms(stack: k) }
            let x = k == 0 ? UnsafePointer(layerInput.tensor(rows: rows, columns: stack.inputSize).base)
                : UnsafePointer(buffers[k - 1].hidden.tensor(rows: rows + batch, columns: hidden).base + batch * hidden)
            let hs = buffers[k].hidden.tensor(rows: rows + batch, columns: hidden)
            // ∂W_ih += dGᵀ · X
            let dWih = stack.weightIH.gradientForAccumulation()
            Scalar.gemm(transposeA: true, transposeB: false, m: width, n: stack.inputSize, k: rows, alpha: 1,
                        a: dG.base, lda: width, b: x, ldb: stack.inputSize, beta: dWih.keep, c: dWih.buffer.base,
                        ldc: stack.inputSize)
            // ∂W_hh += Σ_{t≥2} dR_tᵀ · h_{t−1} (h_0 = 0 adds nothing)
            let dWhh = stack.weightHH.gradientForAccumulation()
            if steps > 1 {
                Scalar.gemm(transposeA: true, transposeB: false, m: width, n: hidden, k: rows - batch, alpha: 1,
                            a: dR.base + batch * width, lda: width, b: hs.base + batch * hidden, ldb: hidden,
                            beta: dWhh.keep, c: dWhh.buffer.base, ldc: hidden)
            } else if dWhh.keep == 0 {
                dWhh.buffer.fill(0)
            }
            // ∂b_ih += Σ_rows dG, ∂b_hh += Σ_rows dR, as gemms with a row of ones.
            if let bias = stack.biasIH { RecurrentLayout.addColumnSums(of: dG, ones: one, into: bias) }
            if let bias = stack.biasHH { RecurrentLayout.addColumnSums(of: dR, ones: one, into: bias) }
            // ∂X = dG · W_ih: the layer below's ∂L/∂h_t, or the input's gradient.
            let dX = k == 0 ? dx0 : buffers[k - 1].hiddenGradient.tensor(rows: rows, columns: hidden)
            Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: stack.inputSize, k: width, alpha: 1,
                        a: dG.base, lda: width, b: stack.weightIH.value.base, ldb: stack.inputSize, beta: 0,
                        c: dX.base, ldc: stack.inputSize)
        }
        let dx = inputGradient.tensor(shape: input.shape)
        RecurrentLayout.batchFirst(dx0.base, batch: batch, steps: steps, features: parameters.inputSize, into: dx.base)
        return dx
    }

    /// Adds `dG_t · W_hh` to ∂L/∂h_{t−1} (time step t − 1's rows of `hiddenGradient`), for t ≥ 2.
    @inline(__always)
    func backpropagateThroughRecurrentWeight(stack k: Int, step t: Int, gradient: UnsafePointer<Scalar>,
                                             into dH: UnsafeMutablePointer<Scalar>) {
        let width = cell.gates * hidden
        Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: hidden, k: width, alpha: 1,
                    a: gradient + t * batch * width, lda: width, b: parameters.stacks[k].weightHH.value.base,
                    ldb: hidden, beta: 1, c: dH + (t - 1) * batch * hidden, ldc: hidden)
    }

    /// Adds `h_{t−1} · W_hhᵀ` to the `batch` rows at `c` (leading dimension `ldc`), for t ≥ 2.
    @inline(__always)
    func addRecurrentProduct(stack k: Int, step t: Int, c: UnsafeMutablePointer<Scalar>) {
        let width = cell.gates * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: hidden)
        Scalar.gemm(transposeA: false, transposeB: true, m: batch, n: width, k: hidden, alpha: 1,
                    a: hs.base + t * batch * hidden, lda: hidden, b: parameters.stacks[k].weightHH.value.base,
                    ldb: hidden, beta: 1, c: c, ldc: width)
    }

    /// Stacked layer k's gates buffer of the last forward pass.
    func gates(stack k: Int) -> Tensor<Scalar> {
        buffers[k].gates.tensor(rows: steps * batch, columns: cell.gates * hidden)
    }

    // MARK: Time traces (only when tracing is on)

    private func forwardTrace(stack k: Int) -> TimeTrace {
        let block = batch * hidden, width = cell.gates * hidden
        let hs = buffers[k].hidden.tensor(rows: (steps + 1) * batch, columns: hidden)
        let g = buffers[k].gates.tensor(rows: steps * batch, columns: width)
        let norms = (0..<steps).map { RecurrentLayout.norm(hs.base + ($0 + 1) * block, count: block) }
        let gates = cell.gateNames.enumerated().map { index, gate in
            var means: [Double] = [], saturated: [Double] = []
            for t in 0..<steps {
                var sum = 0.0, count = 0
                for b in 0..<batch {
                    let row = g.base + (t * batch + b) * width + index * hidden
                    for j in 0..<hidden {
                        let v = Double(row[j])
                        sum += v
                        if gate.isTanh ? abs(v) > 0.97 : (v < 0.03 || v > 0.97) { count += 1 }
                    }
                }
                means.append(sum / Double(block))
                saturated.append(Double(count) / Double(block))
            }
            return GateTrace(name: gate.name, means: means, saturatedFractions: saturated)
        }
        return TimeTrace(stack: k, gradientNorms: [], hiddenNorms: norms, gates: gates)
    }

    private func gradientNorms(stack k: Int) -> [Double] {
        let block = batch * hidden
        let dH = buffers[k].hiddenGradient.tensor(rows: steps * batch, columns: hidden)
        return (0..<steps).map { RecurrentLayout.norm(dH.base + $0 * block, count: block) }
    }
}

/// The buffers of one stacked layer's pass, reused from step to step; time-major (row block t holds the
/// batch at time step t).
struct RecurrentBuffers<Scalar: TensorScalar> {
    /// h_0 … h_T: `[(T + 1)·batch, hidden]`, block 0 the zero initial state.
    var hidden = Workspace<Scalar>()
    /// Per step, the gates' pre-activations (RNN) or activations (LSTM, GRU), `[T·batch, gates·hidden]`.
    var gates = Workspace<Scalar>()
    /// ∂L/∂h_t for t = 1…T, `[T·batch, hidden]`: what the layer above (or the output) sends, to which the
    /// backward pass adds what step t + 1 sends back, so that it ends as the whole gradient reaching h_t.
    var hiddenGradient = Workspace<Scalar>()
    /// LSTM: c_0 … c_T; GRU: W_hh h_{t−1} + b_hh per step.
    var cellState = Workspace<Scalar>()
    /// LSTM: tanh(c_t) per step.
    var cellTanh = Workspace<Scalar>()
}

/// Eight elements at a time, for the cells' elementwise loops.
enum Lanes {
    @inline(__always)
    static func load<Scalar: TensorScalar>(_ p: UnsafePointer<Scalar>) -> SIMD8<Scalar> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Scalar>.self)
    }

    @inline(__always)
    static func load<Scalar: TensorScalar>(_ p: UnsafeMutablePointer<Scalar>) -> SIMD8<Scalar> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Scalar>.self)
    }

    @inline(__always)
    static func store<Scalar: TensorScalar>(_ v: SIMD8<Scalar>, _ p: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Scalar>.self)
    }
}

/// Layout changes and small kernels shared by the recurrent layers.
enum RecurrentLayout {
    /// `[batch, T, F]` to `[T·batch, F]`.
    @inline(__always)
    static func timeMajor<Scalar>(_ source: UnsafePointer<Scalar>, batch: Int, steps: Int, features: Int,
                                  into destination: UnsafeMutablePointer<Scalar>) {
        for b in 0..<batch {
            for t in 0..<steps {
                (destination + (t * batch + b) * features).update(from: source + (b * steps + t) * features,
                                                                  count: features)
            }
        }
    }

    /// `[T·batch, F]` to `[batch, T, F]`.
    @inline(__always)
    static func batchFirst<Scalar>(_ source: UnsafePointer<Scalar>, batch: Int, steps: Int, features: Int,
                                   into destination: UnsafeMutablePointer<Scalar>) {
        for b in 0..<batch {
            for t in 0..<steps {
                (destination + (b * steps + t) * features).update(from: source + (t * batch + b) * features,
                                                                  count: features)
            }
        }
    }

    /// Every row of the `rows × columns` matrix at `destination` set to `first` (+ `second`), or left
    /// untouched when there is no bias: the gemm that follows then writes with beta = 0.
    @inline(__always)
    static func broadcastSum<Scalar: TensorScalar>(_ first: Tensor<Scalar>?, _ second: Tensor<Scalar>?, rows: Int,
                                                   columns: Int, into destination: UnsafeMutablePointer<Scalar>) {
        guard let first, rows > 0 else { return }
        destination.update(from: first.base, count: columns)
        if let second {
            for j in 0..<columns { destination[j] += second.base[j] }
        }
        for row in 1..<rows {
            (destination + row * columns).update(from: destination, count: columns)
        }
    }

    /// ∂b += the column sums of `gradient` (`[rows, columns]`), as a gemm with a row of ones.
    @inline(__always)
    static func addColumnSums<Scalar: TensorScalar>(of gradient: Tensor<Scalar>, ones: Tensor<Scalar>,
                                                    into bias: Parameter<Scalar>) {
        let rows = gradient.shape[0], columns = gradient.shape[1]
        let db = bias.gradientForAccumulation()
        Scalar.gemm(transposeA: false, transposeB: false, m: 1, n: columns, k: rows, alpha: 1,
                    a: ones.base, lda: rows, b: gradient.base, ldb: columns, beta: db.keep, c: db.buffer.base,
                    ldc: columns)
    }

    /// σ(x) in place, `gl_sigmoid_f32` / `gl_sigmoid_f64` in CKernels (within the ulps Kernels.c states).
    @inline(__always)
    static func sigmoid<Scalar: TensorScalar>(_ x: UnsafeMutablePointer<Scalar>, count: Int) {
        Kernels.apply(.sigmoid, x, into: x, count: count)
    }

    /// tanh in place.
    @inline(__always)
    static func tanh<Scalar: TensorScalar>(_ x: UnsafeMutablePointer<Scalar>, count: Int) {
        Scalar.tanh(UnsafeBufferPointer(start: x, count: count), into: UnsafeMutableBufferPointer(start: x, count: count))
    }

    /// The Frobenius norm of `count` elements, accumulated in Double.
    static func norm<Scalar: TensorScalar>(_ x: UnsafePointer<Scalar>, count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { let v = Double(x[i]); sum += v * v }
        return sum.squareRoot()
    }
}
