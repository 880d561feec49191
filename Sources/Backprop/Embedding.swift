/// A lookup table of token vectors, torch's `nn.Embedding(num_embeddings, embedding_dim)`.
///
/// ```
/// y[..., :] = W[id, :]        ids: [batch, ...] (whole numbers stored as Scalar),  W: [num, dim],  y: [batch, ..., dim]
/// ∂L/∂W[id, :] += ∂L/∂y[..., :]   for every position holding id (a scatter-add)
/// ∂L/∂ids = 0                  (ids are not differentiable: the input gradient is zero)
/// ```
/// The weight starts from N(0, 1), torch's default. An id that is not a whole number in
/// 0..<num_embeddings is a programmer's mistake (a precondition naming it and its position), as
/// torch's index error. torch's `padding_idx`, `max_norm` and `sparse` are not supported.
/// Per-example shapes: `[T]` to `[T, dim]` (any shape `s` to `s + [dim]`, as torch).
/// Reference: torch.nn.Embedding documentation.
public final class Embedding<Scalar: TensorScalar>: Layer {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    public let weight: Parameter<Scalar>

    private var ids: [Int] = []
    private var input: Tensor<Scalar>?
    private var output: Tensor<Scalar>?
    private var inputGradient = Workspace<Scalar>()

    /// A table drawn from N(0, 1).
    ///
    /// - Parameters:
    ///   - numEmbeddings: `num_embeddings`, the vocabulary size.
    ///   - embeddingDim: `embedding_dim`, the size of each vector.
    ///   - generator: the seeded generator the draws come from.
    public init(numEmbeddings: Int, embeddingDim: Int, generator: inout RandomGenerator) {
        precondition(numEmbeddings > 0 && embeddingDim > 0,
                     "Embedding needs positive sizes, got num_embeddings \(numEmbeddings), embedding_dim \(embeddingDim)")
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        let w = Tensor<Scalar>(shape: [numEmbeddings, embeddingDim])
        for i in 0..<w.count { w[i] = Scalar(generator.nextNormal()) }
        self.weight = Parameter(w)
    }

    /// A table holding the given weight `[num_embeddings, embedding_dim]`.
    public init(weight: Tensor<Scalar>) {
        precondition(weight.rank == 2 && weight.shape[0] > 0 && weight.shape[1] > 0,
                     "Embedding weight must be [num_embeddings, embedding_dim], got \(weight.shape)")
        self.numEmbeddings = weight.shape[0]
        self.embeddingDim = weight.shape[1]
        self.weight = Parameter(weight)
    }

    public var kind: String { "Embedding" }

    public var parameters: [NamedParameter<Scalar>] {
        [NamedParameter(name: "weight", parameter: weight, role: .weight)]
    }

    /// Any per-example shape `s` (of ids) to `s + [embedding_dim]`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape + [embeddingDim] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 1, "Embedding(\(numEmbeddings), \(embeddingDim)): expected ids of shape [batch, ...], got \(input.shape)")
        let y = outputBuffer(for: input)
        self.input = input
        if ids.count != input.count { ids = Array(repeating: 0, count: input.count) }
        let dim = embeddingDim
        for position in 0..<input.count {
            let value = input.base[position]
            let id = Int(exactly: Double(value)) ?? -1
            precondition(id >= 0 && id < numEmbeddings,
                         "Embedding(\(numEmbeddings), \(embeddingDim)): token id \(value) at position \(position) of "
                         + "input \(input.shape) is not a whole number in 0..<\(numEmbeddings)")
            ids[position] = id
            (y.base + position * dim).update(from: weight.value.base + id * dim, count: dim)
        }
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("Embedding.backward called before forward") }
        precondition(outputGradient.count == input.count * embeddingDim,
                     "Embedding.backward: gradient shape \(outputGradient.shape), expected \(input.shape + [embeddingDim])")
        let dW = weight.gradientForAccumulation()
        if dW.keep == 0 { dW.buffer.fill(0) }
        let dim = embeddingDim
        for position in 0..<ids.count {
            let row = dW.buffer.base + ids[position] * dim, g = outputGradient.base + position * dim
            for j in 0..<dim { row[j] += g[j] }
        }
        let dx = inputGradient.tensor(shape: input.shape)
        dx.fill(0)
        return dx
    }

    /// The output tensor for `input`'s shape plus the embedding axis, reused while that shape stays.
    private func outputBuffer(for input: Tensor<Scalar>) -> Tensor<Scalar> {
        if let output, output.rank == input.rank + 1, output.shape.last == embeddingDim,
           output.shape.dropLast().elementsEqual(input.shape) {
            return output
        }
        let fresh = Tensor<Scalar>(shape: input.shape + [embeddingDim])
        output = fresh
        return fresh
    }
}
