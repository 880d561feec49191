/// Layers applied in order, torch's `nn.Sequential`, with its `state_dict` naming.
///
/// The parameter of layer i named `weight` is `i.weight`; a nested container prefixes its own names, so
/// the first weight of a block at position 3 is `3.0.weight`. Activation layers hold no parameters but
/// keep their index, exactly as in torch (`0.weight`, `2.weight` for Linear, Tanh, Linear).
public final class Sequential<Scalar: TensorScalar>: Layer {
    public let layers: [any Layer<Scalar>]
    /// The layers named `"0"`, `"1"`, ..., as torch's `named_children()`.
    public let children: [NamedLayer<Scalar>]
    /// Every trainable parameter with its full name, in `state_dict` order; computed once.
    public let parameters: [NamedParameter<Scalar>]

    public init(_ layers: [any Layer<Scalar>]) {
        self.layers = layers
        let children = layers.enumerated().map { NamedLayer(name: "\($0)", layer: $1) }
        self.children = children
        self.parameters = children.flatMap { child in
            child.layer.parameters.map {
                NamedParameter(name: "\(child.name).\($0.name)", parameter: $0.parameter, role: $0.role)
            }
        }
    }

    /// The layers, with their shapes checked for a per-example input of `inputShape` (`[features]`):
    /// a layer that cannot take what the one before it gives stops with a precondition naming it.
    public convenience init(_ layers: [any Layer<Scalar>], inputShape: [Int]) {
        self.init(layers)
        _ = checkedOutputShape(forInputShape: inputShape)
    }

    public var kind: String { "Sequential" }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        var current = shape
        for child in children {
            do {
                current = try child.layer.outputShape(forInputShape: current)
            } catch let mismatch as ShapeMismatch {
                throw mismatch.inside(child.name)
            }
        }
        return current
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        var x = input
        for layer in layers { x = layer.forward(x, mode: mode) }
        return x
    }

    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        var g = outputGradient
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    public func forward(_ input: Tensor<Scalar>, mode: Mode, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willForward: input)
        var x = input
        for layer in layers { x = layer.forward(x, mode: mode, tracer: tracer) }
        tracer.layer(self, didProduce: x)
        return x
    }

    public func backward(_ outputGradient: Tensor<Scalar>, tracer: any LayerTracer<Scalar>) -> Tensor<Scalar> {
        tracer.layer(self, willBackward: outputGradient)
        var g = outputGradient
        for layer in layers.reversed() { g = layer.backward(g, tracer: tracer) }
        return g
    }

    /// Sets every parameter's gradient to zero (allocates nothing, writes nothing: see `Parameter`).
    public func zeroGradients() {
        for named in parameters { named.parameter.zeroGradient() }
    }
}

extension Sequential {
    /// A multilayer perceptron: Linear, activation, Linear, activation, ..., Linear.
    ///
    /// - Parameters:
    ///   - sizes: `[in, h1, h2, ..., out]`; at least two entries.
    ///   - activation: the activation after every hidden Linear layer (none after the last).
    ///   - initializer: the weight initialisation of every Linear layer.
    ///   - generator: the seeded generator the weights come from, in layer order.
    public static func multilayerPerceptron(
        sizes: [Int], activation: Activation, initializer: Initializer = .classic,
        generator: inout RandomGenerator
    ) -> Sequential {
        precondition(sizes.count >= 2, "an MLP needs at least input and output sizes, got \(sizes)")
        var layers: [any Layer<Scalar>] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Dense<Scalar>(inputFeatures: sizes[i], outputFeatures: sizes[i + 1],
                                        initializer: initializer, generator: &generator))
            if i < sizes.count - 2 { layers.append(ActivationLayer<Scalar>(activation)) }
        }
        return Sequential(layers, inputShape: [sizes[0]])
    }
}
