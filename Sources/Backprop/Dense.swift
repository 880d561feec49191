/// A fully connected layer, PyTorch's `nn.Linear`.
///
/// ```
/// y = x · Wᵀ + b        x: [batch, ..., in],  W: [out, in],  b: [out],  y: [batch, ..., out]
/// ∂L/∂W += (∂L/∂y)ᵀ · x      ∂L/∂b += Σ_batch ∂L/∂y      ∂L/∂x = ∂L/∂y · W
/// ```
///
/// The weight is stored `[out, in]` as in `torch.nn.Linear`, so checkpoints move between the two unchanged.
/// All three products go through `gemm` with transposition flags: nothing is copied or transposed.
/// As `nn.Linear`, the layer acts on the last axis: an input `[batch, ..., in]` is a matrix with
/// `batch·...` rows (row-major storage makes that free).
public final class Dense<Scalar: TensorScalar>: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?

    private var input: Tensor<Scalar>?
    private var output = Workspace<Scalar>()
    private var inputGradient = Workspace<Scalar>()

    /// A layer with weights drawn by `initializer` and biases by its bias rule.
    ///
    /// - Parameters:
    ///   - inputFeatures: `in_features`.
    ///   - outputFeatures: `out_features`.
    ///   - bias: whether the layer has a bias, as torch's `bias=True` by default.
    ///   - initializer: the weight initialisation; `.classic` is torch's default for `nn.Linear`.
    ///   - generator: the seeded generator the draws come from.
    public init(
        inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
        initializer: Initializer = .classic, generator: inout RandomGenerator
    ) {
        precondition(inputFeatures > 0 && outputFeatures > 0,
                     "Dense needs positive sizes, got in \(inputFeatures), out \(outputFeatures)")
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        let w = Tensor<Scalar>(shape: [outputFeatures, inputFeatures])
        initializer.fill(w, fanIn: inputFeatures, fanOut: outputFeatures, generator: &generator)
        self.weight = Parameter(w)
        if bias {
            let b = Tensor<Scalar>(shape: [outputFeatures])
            initializer.fillBias(b, fanIn: inputFeatures, generator: &generator)
            self.bias = Parameter(b)
        } else {
            self.bias = nil
        }
    }

    /// A layer with the given weight `[out, in]` and optional bias `[out]`.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
        precondition(weight.rank == 2, "Dense weight must be [out, in], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]],
                         "Dense bias must be [\(weight.shape[0])] for weight \(weight.shape), got \(bias.shape)")
        }
        self.outputFeatures = weight.shape[0]
        self.inputFeatures = weight.shape[1]
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    public var kind: String { "Linear" }

    public var parameters: [NamedParameter<Scalar>] {
        var result = [NamedParameter(name: "weight", parameter: weight, role: .weight)]
        if let bias { result.append(NamedParameter(name: "bias", parameter: bias, role: .bias)) }
        return result
    }

    /// `[..., in]` to `[..., out]`: any rank of at least 1, the last axis being `in`.
    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.last == inputFeatures else {
            throw ShapeMismatch(kind: "Linear(\(inputFeatures), \(outputFeatures))", input: shape,
                                expected: "[..., \(inputFeatures)]")
        }
        return Array(shape.dropLast()) + [outputFeatures]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 2 && input.shape[input.rank - 1] == inputFeatures,
                     "Linear(\(inputFeatures), \(outputFeatures)): expected input of shape [batch, ..., \(inputFeatures)], "
                     + "got \(input.shape)")
        let batch = input.count / inputFeatures
        let y = output.tensor(shape: input.shape, lastAxis: outputFeatures)
        self.input = input
        var beta: Scalar = 0
        if let bias {
            // Broadcast the bias into every row, then accumulate the product onto it (beta = 1).
            for row in 0..<batch {
                (y.base + row * outputFeatures).update(from: bias.value.base, count: outputFeatures)
            }
            beta = 1
        }
        Scalar.gemm(
            transposeA: false, transposeB: true, m: batch, n: outputFeatures, k: inputFeatures,
            alpha: 1, a: input.base, lda: inputFeatures, b: weight.value.base, ldb: inputFeatures,
            beta: beta, c: y.base, ldc: outputFeatures)
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("Linear.backward called before forward") }
        let batch = input.count / inputFeatures
        precondition(outputGradient.rank == input.rank && outputGradient.shape.last == outputFeatures
                     && outputGradient.count == batch * outputFeatures,
                     "Linear.backward: gradient shape \(outputGradient.shape), expected \(Array(input.shape.dropLast()) + [outputFeatures])")
        // ∂L/∂W += (∂L/∂y)ᵀ · x   (beta 0 when the gradient was just cleared)
        let dW = weight.gradientForAccumulation()
        Scalar.gemm(
            transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: batch,
            alpha: 1, a: outputGradient.base, lda: outputFeatures, b: input.base, ldb: inputFeatures,
            beta: dW.keep, c: dW.buffer.base, ldc: inputFeatures)
        // ∂L/∂b += column sums of ∂L/∂y
        if let bias {
            let db = bias.gradientForAccumulation()
            Vectorized.addColumnSums(outputGradient.base, rows: batch, columns: outputFeatures, into: db.buffer.base,
                                     accumulate: db.keep != 0)
        }
        // ∂L/∂x = ∂L/∂y · W
        let dx = inputGradient.tensor(shape: input.shape)
        Scalar.gemm(
            transposeA: false, transposeB: false, m: batch, n: inputFeatures, k: outputFeatures,
            alpha: 1, a: outputGradient.base, lda: outputFeatures, b: weight.value.base, ldb: inputFeatures,
            beta: 0, c: dx.base, ldc: inputFeatures)
        return dx
    }
}
