import Backprop
import Foundation
import RunFormat

// MARK: - Building

extension ModelFile {
    /// Whether data whose examples are `shape` fits the declared input (`T` takes any length).
    public func accepts(_ shape: [Int]) -> Bool {
        shape.count == inputShape.count && zip(shape, inputShape).allSatisfy { $1 == nil || $0 == $1 }
    }

    /// The declared input as written: `[T, 2]`, `[1, 8, 8]`.
    public var inputDescription: String { "[" + inputShape.map { $0.map(String.init) ?? "T" }.joined(separator: ", ") + "]" }

    /// The network the file describes for examples of `shape` (which `accepts`; nil: the declared shape,
    /// with T = 1), with weights drawn from `generator` in file order, and its per-example output shape.
    /// `initializer` (the `init` setting's name) overrides torch's default for every Linear and Conv2d
    /// weight when given.
    public func build<Scalar: TensorScalar>(for shape: [Int]? = nil, generator: inout RandomGenerator,
                                             initializer: String? = nil,
                                             as: Scalar.Type = Scalar.self) throws -> (model: Sequential<Scalar>, outputShape: [Int]) {
        let input = shape ?? inputShape.map { $0 ?? 1 }
        precondition(accepts(input), "data of shape \(input) does not fit the model file's input \(inputDescription)")
        var builder = Builder<Scalar>(file: self, initializer: initializer)
        let (layers, output) = try builder.block(layers, input: input, prefix: "", generator: &generator)
        return (Sequential(layers), output)
    }

    /// Whether any layer of the file, at any depth, is one of `kinds`.
    public func uses(_ kinds: Set<String>) -> Bool {
        func visit(_ entries: [Entry]) -> Bool { entries.contains { kinds.contains($0.kind) || visit($0.children) } }
        return visit(layers)
    }

    /// The number of token ids the first layer takes, when it is an Embedding: the data's ids must lie below.
    public var embeddingSize: Int? {
        guard let first = layers.first, first.kind == "Embedding", case .integer(let n)? = first.arguments["num_embeddings"] else {
            return nil
        }
        return n
    }

    /// The file's model in one line, as torch prints its classes: `Conv2d(1, 8, 3) ReLU MaxPool2d ...`.
    public var summary: String {
        func text(_ entry: Entry) -> String {
            entry.children.isEmpty ? entry.kind : "\(entry.kind)[\(entry.children.map(text).joined(separator: " "))]"
        }
        return layers.map(text).joined(separator: " ")
    }
}

private struct Builder<Scalar: TensorScalar> {
    var file: ModelFile
    var initializer: String?
    /// Scalars allocated so far (parameters), against the memory budget.
    var parameterCount = 0

    func error(_ entry: ModelFile.Entry, _ name: String, _ message: String) -> ConfigError {
        ConfigError(file: file.path, line: entry.line, column: entry.column, key: "layer \(name) (\(entry.kind))", message: message)
    }

    mutating func block(_ entries: [ModelFile.Entry], input: [Int], prefix: String,
                        generator: inout RandomGenerator) throws -> ([any Layer<Scalar>], [Int]) {
        var shape = input
        var layers: [any Layer<Scalar>] = []
        for (position, entry) in entries.enumerated() {
            let name = prefix + "\(position)"
            let following = entries[(position + 1)...].first { LayerKind.activation($0) != nil }
            let layer = try make(entry, name: name, input: shape, next: following.flatMap(LayerKind.activation),
                                 generator: &generator)
            do {
                shape = try layer.outputShape(forInputShape: shape)
            } catch let mismatch as ShapeMismatch {
                throw error(entry, name, "takes per-example input \(mismatch.expected), but the layers before it give \(shape)"
                            + (mismatch.layer.isEmpty ? "" : " (at \(name).\(mismatch.layer), \(mismatch.kind))"))
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw error(entry, name, "would give an empty output \(shape); the input is too small for it")
            }
            layers.append(layer)
        }
        return (layers, shape)
    }

    mutating func make(_ entry: ModelFile.Entry, name: String, input: [Int], next: Activation?,
                       generator: inout RandomGenerator) throws -> any Layer<Scalar> {
        let arguments = entry.arguments
        func integer(_ key: String, default value: Int? = nil) -> Int? {
            if case .integer(let v)? = arguments[key] { return v }
            return value
        }
        func number(_ key: String, default value: Double) -> Double {
            switch arguments[key] {
            case .number(let v)?: v
            case .integer(let v)?: Double(v)
            default: value
            }
        }
        func bool(_ key: String, default value: Bool) -> Bool {
            if case .bool(let v)? = arguments[key] { return v }
            return value
        }
        /// The input size an argument is inferred from; given, it must agree.
        func inferred(_ key: String, _ actual: Int?, what: String) throws -> Int {
            guard let actual else {
                throw error(entry, name, "takes \(what), but the layers before it give per-example shape \(input)")
            }
            if let given = integer(key), given != actual {
                throw error(entry, name, "\(key) is \(given), but the layers before it give per-example shape \(input) "
                            + "(\(key) \(actual)); leave \(key) out to infer it")
            }
            return actual
        }
        func positive(_ key: String, _ value: Int) throws -> Int {
            guard value > 0 else { throw error(entry, name, "\(key) must be positive, got \(value)") }
            return value
        }
        func weightInitializer() -> Initializer {
            guard let initializer else { return .classic }
            return Initializer(name: initializer, activation: next ?? .identity) ?? .classic
        }
        if let activation = LayerKind.activation(entry) {
            switch activation {
            case .hardtanh(let low, let high) where !(low < high):
                throw error(entry, name, "min_val must be below max_val, got \(low) and \(high)")
            case .softplus(let beta, _) where !(beta > 0):
                throw error(entry, name, "beta must be positive, got \(beta)")
            default: return ActivationLayer<Scalar>(activation)
            }
        }
        func pair(_ key: String, default value: Size2D) -> Size2D {
            switch arguments[key] {
            case .integer(let v)?: Size2D(v)
            case .integers(let v)?: Size2D(v[0], v[1])
            default: value
            }
        }
        func positivePair(_ key: String, default value: Size2D) throws -> Size2D {
            let size = pair(key, default: value)
            guard size.height > 0 && size.width > 0 else { throw error(entry, name, "\(key) must be positive, got \(size)") }
            return size
        }
        func image(_ what: String) throws -> [Int] {
            guard input.count == 3 else {
                throw error(entry, name, "takes per-example input [C, H, W] (\(what)), but the layers before it give \(input)")
            }
            return input
        }
        func sequence() throws -> Int {
            guard input.count == 2 else {
                throw error(entry, name, "takes per-example input [T, input_size], but the layers before it give \(input)")
            }
            return input[1]
        }
        switch entry.kind {
        case "Conv2d":
            let channels = try inferred("in_channels", try image("in_channels")[0], what: "[in_channels, H, W]")
            let outputs = try positive("out_channels", integer("out_channels") ?? 0)
            let kernel = try positivePair("kernel_size", default: 1)
            let stride = try positivePair("stride", default: 1)
            let dilation = try positivePair("dilation", default: 1)
            let padding = pair("padding", default: 0)
            try budget(entry, at: name, MemoryBudget.product([outputs, channels * kernel.height * kernel.width + 1]) ?? .max)
            return Conv2d<Scalar>(inChannels: channels, outChannels: outputs, kernelSize: kernel, stride: stride,
                                  padding: padding, dilation: dilation, bias: bool("bias", default: true),
                                  initializer: weightInitializer(), generator: &generator)
        case "MaxPool2d":
            _ = try image("a pooling window")
            let kernel = try positivePair("kernel_size", default: 1)
            let padding = pair("padding", default: 0)
            guard padding.height * 2 <= kernel.height && padding.width * 2 <= kernel.width else {
                throw error(entry, name, "padding \(padding) must be at most half of kernel_size \(kernel), as torch requires")
            }
            return MaxPool2d<Scalar>(kernelSize: kernel, stride: try positivePair("stride", default: kernel), padding: padding,
                                     dilation: try positivePair("dilation", default: 1))
        case "AvgPool2d":
            _ = try image("a pooling window")
            let kernel = try positivePair("kernel_size", default: 1)
            let padding = pair("padding", default: 0)
            guard padding.height * 2 <= kernel.height && padding.width * 2 <= kernel.width else {
                throw error(entry, name, "padding \(padding) must be at most half of kernel_size \(kernel), as torch requires")
            }
            return AvgPool2d<Scalar>(kernelSize: kernel, stride: try positivePair("stride", default: kernel), padding: padding,
                                     countIncludesPadding: bool("count_include_pad", default: true))
        case "AdaptiveAvgPool2d":
            _ = try image("channels to average")
            guard pair("output_size", default: 1) == 1 else {
                throw error(entry, name, "supports output_size 1 only (global average pooling)")
            }
            return AdaptiveAvgPool2d<Scalar>()
        case "Flatten":
            return Flatten<Scalar>()
        case "BatchNorm2d":
            let channels = try inferred("num_features", try image("num_features channels")[0], what: "[num_features, H, W]")
            try budget(entry, at: name, 4 * channels)
            return BatchNorm2d<Scalar>(features: channels, epsilon: try epsilon(entry, name, number("eps", default: 1e-5)),
                                       momentum: try momentum(entry, name, number("momentum", default: 0.1)),
                                       affine: bool("affine", default: true))
        case "Dropout2d":
            let p = number("p", default: 0.5)
            guard p >= 0 && p < 1 else { throw error(entry, name, "p must be in [0, 1), got \(p)") }
            return Dropout2d<Scalar>(probability: p, seed: generator.next())
        case "RNN", "LSTM", "GRU":
            guard bool("batch_first", default: true) else {
                throw error(entry, name, "batch_first must be true: sequences are [batch, T, features]")
            }
            let features = try inferred("input_size", try sequence(), what: "[T, input_size]")
            let hidden = try positive("hidden_size", integer("hidden_size") ?? 0)
            let layers = try positive("num_layers", integer("num_layers") ?? 1)
            let gates = entry.kind == "LSTM" ? 4 : entry.kind == "GRU" ? 3 : 1
            try budget(entry, at: name, MemoryBudget.product([layers, gates * hidden, features + hidden + 2]) ?? .max)
            let bias = bool("bias", default: true)
            let layer: any Layer<Scalar> = switch entry.kind {
            case "LSTM": LSTM<Scalar>(inputSize: features, hiddenSize: hidden, numLayers: layers, bias: bias, generator: &generator)
            case "GRU": GRU<Scalar>(inputSize: features, hiddenSize: hidden, numLayers: layers, bias: bias, generator: &generator)
            default: RNN<Scalar>(inputSize: features, hiddenSize: hidden, numLayers: layers,
                                 nonlinearity: arguments["nonlinearity"] == .text("relu") ? .relu : .tanh,
                                 bias: bias, generator: &generator)
            }
            if case .number(let forget)? = arguments["forget_bias"] {
                guard bias else { throw error(entry, name, "forget_bias needs bias: true") }
                // Gate order i, f, g, o: rows hidden..<2·hidden of each bias are the forget gate's.
                for named in layer.parameters where named.name.hasPrefix("bias_ih_l") || named.name.hasPrefix("bias_hh_l") {
                    let value = named.parameter.value
                    for row in hidden..<(2 * hidden) { value[row] = named.name.hasPrefix("bias_ih_l") ? Scalar(forget) : 0 }
                }
            }
            if case .text(let initName)? = arguments["recurrent_init"], let recurrentInit = Initializer(name: initName) {
                for named in layer.parameters where named.name.hasPrefix("weight_hh_l") {
                    recurrentInit.fill(named.parameter.value, fanIn: hidden, fanOut: gates * hidden, generator: &generator)
                }
            }
            return layer
        case "Embedding":
            guard input.count == 1 else {
                throw error(entry, name, "takes token ids [T] per example, but the layers before it give \(input)")
            }
            let count = try positive("num_embeddings", integer("num_embeddings") ?? 0)
            let dimension = try positive("embedding_dim", integer("embedding_dim") ?? 0)
            try budget(entry, at: name, MemoryBudget.product([count, dimension]) ?? .max)
            return Embedding<Scalar>(numEmbeddings: count, embeddingDim: dimension, generator: &generator)
        case "LastTimeStep":
            _ = try sequence()
            return LastTimeStep<Scalar>()
        case "Linear":
            let inputs = try inferred("in_features", input.last, what: "a last axis of in_features")
            let outputs = try positive("out_features", integer("out_features") ?? 0)
            try budget(entry, at: name, MemoryBudget.product([inputs + 1, outputs]) ?? .max)
            return Dense<Scalar>(inputFeatures: inputs, outputFeatures: outputs, bias: bool("bias", default: true),
                                 initializer: weightInitializer(), generator: &generator)
        case "Dropout":
            let p = number("p", default: 0.5)
            guard p >= 0 && p < 1 else { throw error(entry, name, "p must be in [0, 1), got \(p)") }
            return Dropout<Scalar>(probability: p, seed: generator.next())
        case "LayerNorm":
            let features = try inferred("normalized_shape", input.last, what: "a last axis")
            try budget(entry, at: name, 2 * features)
            return LayerNorm<Scalar>(features: features, epsilon: try epsilon(entry, name, number("eps", default: 1e-5)))
        case "BatchNorm1d":
            let features = try inferred("num_features", input.count == 1 ? input[0] : nil, what: "[num_features] per example")
            try budget(entry, at: name, 4 * features)
            return BatchNorm1d<Scalar>(features: features, epsilon: try epsilon(entry, name, number("eps", default: 1e-5)),
                                       momentum: try momentum(entry, name, number("momentum", default: 0.1)))
        case "Sequential":
            let (layers, _) = try block(entry.children, input: input, prefix: name + ".", generator: &generator)
            return Sequential<Scalar>(layers)
        case "Residual":
            let (layers, output) = try block(entry.children, input: input, prefix: name + ".", generator: &generator)
            guard output == input else {
                throw error(entry, name, "adds its block's output \(output) to its input \(input); the block must keep the shape")
            }
            return Residual<Scalar>(Sequential(layers))
        default:
            throw error(entry, name, "is not available in this build")
        }
    }

    /// Counts `scalars` more parameters and checks the total against memory: value, gradient and two
    /// optimizer moments per parameter.
    mutating func budget(_ entry: ModelFile.Entry, at name: String, _ scalars: Int) throws {
        parameterCount = MemoryBudget.sum([parameterCount, scalars]) ?? .max
        do {
            try MemoryBudget.check(bytes: MemoryBudget.product([parameterCount, 4, MemoryLayout<Scalar>.size]) ?? .max,
                                   what: "a model of \(parameterCount) parameters", setting: "model")
        } catch let error as ExperimentError {
            throw self.error(entry, name, error.message)
        }
    }

    func epsilon(_ entry: ModelFile.Entry, _ name: String, _ value: Double) throws -> Double {
        guard value > 0 else { throw error(entry, name, "eps must be positive, got \(value)") }
        return value
    }

    func momentum(_ entry: ModelFile.Entry, _ name: String, _ value: Double) throws -> Double {
        guard value >= 0 && value <= 1 else { throw error(entry, name, "momentum must be in [0, 1], got \(value)") }
        return value
    }
}
