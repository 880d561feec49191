/// The last time step of a sequence, torch's `output[:, -1]` (torch has no module for it).
///
/// ```
/// y[b, :] = x[b, T − 1, :]          x: [batch, T, features],  y: [batch, features]
/// ∂L/∂x[b, T − 1, :] = ∂L/∂y[b, :],  0 at every other step
/// ```
/// Put after a recurrent layer to read its last hidden state: `Sequential([LSTM, LastTimeStep, Dense])`.
/// Per-example shapes: `[T, features]` to `[features]`. It holds no parameters, so a checkpoint keeps
/// its index empty as torch's functional slice would.
public final class LastTimeStep<Scalar: TensorScalar>: Layer {
    private var input: Tensor<Scalar>?
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    public init() {}

    public var kind: String { "LastTimeStep" }

    /// `[T, features]` to `[features]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 2, shape[0] > 0 else {
            throw ShapeMismatch(kind: "LastTimeStep", input: shape, expected: "[T, features]")
        }
        return [shape[1]]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank == 3 && input.shape[1] > 0,
                     "LastTimeStep: expected input of shape [batch, T, features], got \(input.shape)")
        self.input = input
        let batch = input.shape[0], steps = input.shape[1], features = input.shape[2]
        let y = output.tensor(rows: batch, columns: features)
        for b in 0..<batch {
            (y.base + b * features).update(from: input.base + (b * steps + steps - 1) * features, count: features)
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("LastTimeStep.backward called before forward") }
        let batch = input.shape[0], steps = input.shape[1], features = input.shape[2]
        precondition(outputGradient.rank == 2 && outputGradient.shape[0] == batch && outputGradient.shape[1] == features,
                     "LastTimeStep.backward: gradient shape \(outputGradient.shape), expected [\(batch), \(features)]")
        let dx = inputGradient.tensor(shape: input.shape)
        dx.fill(0)
        for b in 0..<batch {
            (dx.base + (b * steps + steps - 1) * features).update(from: outputGradient.base + b * features, count: features)
        }
        return dx
    }
}
