import Backprop

/// Where a NaN or ±∞ first appeared in one step: the layer, the pass and the tensor.
///
/// The forward pass is searched in the order the layers finished (the first output that holds a
/// non-finite value names the layer that produced it; inside a residual block that is the inner layer),
/// then the loss, then the backward pass in the order it runs, from the loss towards the input: the
/// gradient a layer receives names the layer whose backward ran just before (or the loss), and the
/// gradients of a layer's parameters name that layer.
public struct NonFiniteOrigin: Sendable, Equatable {
    public enum Pass: String, Sendable { case forward, backward }
    /// The layer's full name (`"3"`, `"3.1"`), `"input"` for the batch itself, or `"loss"`.
    public var layer: String
    /// The torch class name of the layer, or `Loss`.
    public var kind: String
    public var pass: Pass
    /// `output`, `input gradient`, or a parameter's gradient (`3.weight gradient`).
    public var tensor: String
    /// How many of the tensor's entries are non-finite, and how many it has.
    public var nonfinite: Int
    public var count: Int

    /// The first non-finite value of the step `details` describes, or nil when all are finite.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func find<Scalar: TensorScalar>(in details: StepDetails<Scalar>) -> NonFiniteOrigin? {
        func bad(_ tensor: Tensor<Scalar>) -> Int {
            tensor.withUnsafeBufferPointer { p in
                allFinite(p) ? 0 : p.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            }
        }
        if case let n = bad(details.inputs), n > 0 {
            return NonFiniteOrigin(layer: "input", kind: "Input", pass: .forward, tensor: "batch", nonfinite: n,
                                   count: details.inputs.count)
        }
        for position in details.forwardOrder {
            let view = details.layers[position]
            let n = bad(view.output)
            if n > 0 {
                return NonFiniteOrigin(layer: view.name, kind: view.kind, pass: .forward, tensor: "output",
                                       nonfinite: n, count: view.output.count)
            }
        }
        if !details.loss.isFinite {
            return NonFiniteOrigin(layer: "loss", kind: "Loss", pass: .forward, tensor: "loss", nonfinite: 1, count: 1)
        }
        for (k, position) in details.backwardOrder.enumerated() {
            let view = details.layers[position]
            if let gradient = view.outputGradient, case let n = bad(gradient), n > 0 {
                // The gradient at this layer's output came from the backward pass that ran just before,
                // or from the loss.
                let producer = k > 0 ? details.layers[details.backwardOrder[k - 1]] : nil
                return NonFiniteOrigin(layer: producer?.name ?? "loss",
                                       kind: producer?.kind ?? "Loss", pass: .backward, tensor: "input gradient",
                                       nonfinite: n, count: gradient.count)
            }
            for named in view.parameters {
                let n = bad(named.parameter.gradient)
                if n > 0 {
                    return NonFiniteOrigin(layer: view.name, kind: view.kind, pass: .backward,
                                           tensor: "\(named.name) gradient", nonfinite: n,
                                           count: named.parameter.value.count)
                }
            }
        }
        return nil
    }

    /// One sentence for a person: `layer 3 (Linear), backward pass: 12 of 64 entries of 3.weight gradient`.
    public var description: String {
        let place = layer == "loss" ? "the loss" : layer == "input" ? "the input batch" : "layer \(layer) (\(kind))"
        return "\(place), \(pass.rawValue) pass: \(nonfinite) of \(count) entries of its \(tensor) are NaN or infinite"
    }
}
