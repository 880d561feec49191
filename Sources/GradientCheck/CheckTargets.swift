import Backprop

/// The things GradLab checks, turned into `CheckProblem`s. All in Double.
public enum CheckTargets {
    /// A whole model with its loss on one batch: f(θ) = loss(model(x; θ), y), over every parameter.
    ///
    /// The model runs in training mode (BatchNorm checked as the function of the batch it is), with
    /// dropout masks frozen so that every evaluation sees the same mask; BatchNorm's running statistics,
    /// which each training-mode pass would move, are restored afterwards by `restore`. Every evaluation
    /// is probed (`KinkProbe`) for inputs of layers with declared kinks that changed side of a kink point.
    public static func model(_ model: Sequential<Double>, loss: any Loss<Double>, inputs: Tensor<Double>,
                             target: LossTarget<Double>) -> (problem: CheckProblem, restore: () -> Void) {
        let randomStates = model.namedLayers.compactMap(\.layer.randomState)
        let previousFreeze = randomStates.map(\.isFrozen)
        let buffers = model.buffers.map { ($0.tensor, $0.tensor.copy()) }
        // The first pass draws the masks; later passes reuse them.
        for state in randomStates { state.isFrozen = false }
        model.zeroGradients()
        _ = loss.forward(model.forward(inputs, mode: .training), target)
        _ = model.backward(loss.backward())
        for state in randomStates { state.isFrozen = true }
        let parameters = model.parameters
        // Every evaluation is probed for declared kinks against the unperturbed pass.
        let probe = KinkProbe(model: model)
        probe.recordReference { _ = model.forward(inputs, mode: .training, tracer: probe) }
        // Focus: a tensor of top-level layer k changes only what layer k and those above compute, so an
        // evaluation starts at layer k from its unperturbed input, kept from one whole pass made when the
        // focus moves. The input is layer k−1's own output buffer, which only layer k−1 overwrites.
        let layers = model.layers
        let owners = parameters.map { Int($0.name.prefix { $0 != "." }) ?? 0 }
        var start = 0
        var layerInputs: [Tensor<Double>] = []
        // A model that declares no kink runs its plain passes: the probe would hear nothing it watches.
        let probing = !probe.isEmpty
        func run(_ layer: any Layer<Double>, _ x: Tensor<Double>) -> Tensor<Double> {
            probing ? layer.forward(x, mode: .training, tracer: probe) : layer.forward(x, mode: .training)
        }
        let focus: (Int?) -> Void = { t in
            start = 0
            guard let t else { return }
            var x = inputs
            layerInputs = []
            for layer in layers {
                layerInputs.append(x)
                x = run(layer, x)
            }
            start = owners[t]
        }
        var problem = CheckProblem(
            names: parameters.map(\.name), tensors: parameters.map(\.parameter.value),
            analytic: parameters.map { $0.parameter.gradient.copy() },
            evaluate: {
                probe.begin()
                var x = start > 0 ? layerInputs[start] : inputs
                for layer in layers[start...] { x = run(layer, x) }
                return Double(loss.forward(x, target))
            },
            crossing: { probe.crossing })
        problem.focus = focus
        let restore = {
            for (state, frozen) in zip(randomStates, previousFreeze) { state.isFrozen = frozen }
            for (tensor, saved) in buffers { tensor.assign(from: saved) }
        }
        return (problem, restore)
    }

    /// Any layer: f(x, θ) = Σ layer(x; θ) ⊙ R for a fixed seeded R, so that the input gradient and every
    /// parameter gradient are checked through one scalar.
    public static func layer(_ layer: any Layer<Double>, input: Tensor<Double>, mode: Mode = .training,
                             seed: UInt64 = 0) -> CheckProblem {
        var generator = RandomGenerator(seed: seed)
        let x = input.copy()
        // Draw the random state (dropout masks) once, then hold it for every evaluation.
        let randomStates = layer.namedLayers.compactMap(\.layer.randomState)
        for state in randomStates { state.isFrozen = false }
        let y = layer.forward(x, mode: mode)
        for state in randomStates { state.isFrozen = true }
        let weights = Tensor<Double>(shape: y.shape)
        for i in 0..<weights.count { weights[i] = generator.nextNormal() }
        let probe = KinkProbe(model: layer)
        probe.recordReference { _ = layer.forward(x, mode: mode, tracer: probe) }
        func value() -> Double {
            probe.begin()
            let out = layer.forward(x, mode: mode, tracer: probe)
            var total = 0.0
            for i in 0..<out.count { total += out[i] * weights[i] }
            return total
        }
        layer.zeroGradients()
        _ = layer.forward(x, mode: mode)
        let inputGradient = layer.backward(weights).copy()
        let parameters = layer.parameters
        return CheckProblem(names: ["input"] + parameters.map(\.name), tensors: [x] + parameters.map(\.parameter.value),
                            analytic: [inputGradient] + parameters.map { $0.parameter.gradient.copy() },
                            evaluate: value, crossing: { probe.crossing })
    }

    /// A loss: f(p) = loss(p, target), checked with respect to the prediction p.
    public static func loss(_ loss: any Loss<Double>, prediction: Tensor<Double>, target: LossTarget<Double>) -> CheckProblem {
        let p = prediction.copy()
        _ = loss.forward(p, target)
        let gradient = loss.backward().copy()
        return CheckProblem(names: ["prediction"], tensors: [p], analytic: [gradient],
                            evaluate: { Double(loss.forward(p, target)) })
    }

    /// A plain function f: [Double] → Double with its claimed gradient at `point`.
    public static func function(_ f: @escaping ([Double]) -> Double, gradient: [Double], at point: [Double],
                                name: String = "x") -> CheckProblem {
        precondition(gradient.count == point.count, "\(point.count) coordinates but \(gradient.count) partials")
        let x = Tensor<Double>(shape: [point.count], scalars: point)
        return CheckProblem(names: [name], tensors: [x], analytic: [Tensor(shape: [point.count], scalars: gradient)],
                            evaluate: { f(x.scalars) })
    }

    /// Copies parameter values and buffers between two models of the same structure (a Float model
    /// into its Double twin), by position: `state_dict` order.
    @_specialize(where Source == Float, Destination == Double)
    @_specialize(where Source == Double, Destination == Double)
    public static func copyValues<Source: TensorScalar, Destination: TensorScalar>(
        from source: Sequential<Source>, to destination: Sequential<Destination>
    ) {
        let pairs = Array(zip(source.parameters.map(\.parameter.value), destination.parameters.map(\.parameter.value)))
            + Array(zip(source.buffers.map(\.tensor), destination.buffers.map(\.tensor)))
        precondition(source.parameters.count == destination.parameters.count
                     && source.buffers.count == destination.buffers.count, "the models differ in structure")
        for (s, d) in pairs {
            precondition(s.shape == d.shape, "shapes differ: \(s.shape) and \(d.shape)")
            s.withUnsafeBufferPointer { from in
                d.withUnsafeMutableBufferPointer { to in
                    for i in from.indices { to[i] = Destination(Double(from[i])) }
                }
            }
        }
    }
}

extension GradientChecker {
    /// One point of the step-size sweep.
    public struct SweepPoint: Sendable, Equatable {
        public var tensor: String
        public var index: String
        public var h: Double
        public var numeric: Double
        public var absoluteError: Double
        public var relativeError: Double
    }

    /// The central difference's error against h = 1e-1, 1e-2, …, 1e-12 for the given entries: falls as
    /// h² (truncation), then rises as ε·|f|/h (round-off), the V that shows where h is best.
    public func stepSweep(_ problem: CheckProblem, entries: [(tensor: Int, index: Int)]) -> [SweepPoint] {
        var points: [SweepPoint] = []
        defer { problem.focus?(nil) }
        for (t, i) in entries {
            problem.focus?(t)
            let x = problem.tensors[t]
            let original = x[i]
            let analytic = problem.analytic[t][i]
            for exponent in 1...12 {
                let h = pow10(-exponent) * max(1, abs(original))
                x[i] = original + h
                let plus = problem.evaluate()
                x[i] = original - h
                let minus = problem.evaluate()
                x[i] = original
                let numeric = (plus - minus) / (2 * h)
                points.append(SweepPoint(tensor: problem.names[t], index: coordinates(i, shape: x.shape), h: h,
                                         numeric: numeric, absoluteError: abs(numeric - analytic),
                                         relativeError: Tolerance.relativeError(analytic: analytic, numeric: numeric)))
            }
        }
        return points
    }
}

@inline(__always)
func pow10(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(exponent) { result *= 10 }
    return exponent < 0 ? 1 / result : result
}
