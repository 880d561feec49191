/// Flattens every axis after the batch into one, torch's `nn.Flatten()` (`start_dim=1`, `end_dim=-1`).
///
/// ```
/// [N, C, H, W] → [N, C·H·W]   (row-major, so the values keep their order: torch's layout)
/// ∂L/∂x is ∂L/∂y reshaped back
/// ```
/// - Caveats: only torch's default dimensions. The values are copied into the layer's own buffer (a
///   tensor has no views).
/// Reference: torch.nn.Flatten documentation.
public final class Flatten<Scalar: TensorScalar>: Layer {
    private var inputShape: [Int] = []
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    public init() {}

    public var kind: String { "Flatten" }

    /// `[d₁, d₂, ...]` to `[d₁·d₂·...]`; any rank of at least 1.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard !shape.isEmpty else { throw ShapeMismatch(kind: "Flatten()", input: shape, expected: "[d1, ...]") }
        return [shape.reduce(1, *)]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 2, "Flatten: expected input of shape [batch, ...] of rank 2 or more, got \(input.shape)")
        if inputShape.count != input.rank || !inputShape.elementsEqual(input.shape) { inputShape = input.shape }
        let batch = input.shape[0]
        let y = output.tensor(rows: batch, columns: batch == 0 ? 0 : input.count / batch)
        y.base.update(from: input.base, count: input.count)
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        let count = inputShape.reduce(1, *)
        precondition(outputGradient.count == count && outputGradient.rank == 2,
                     "Flatten.backward: gradient shape \(outputGradient.shape), expected [\(inputShape.first ?? 0), \(count / Swift.max(1, inputShape.first ?? 1))]")
        let dx = inputGradient.tensor(shape: inputShape)
        dx.base.update(from: outputGradient.base, count: count)
        return dx
    }
}
