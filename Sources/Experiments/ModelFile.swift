import Backprop
import Foundation
import RunFormat
import Yams

/// A model described in a YAML file (`--model net.yaml`) the way torch prints an `nn.Sequential`: layers by
/// their torch class names with torch's keyword arguments, in order.
///
/// ```yaml
/// input: [1, 8, 8]            # the per-example input shape (no batch axis): [features], [C, H, W], [T, F]
/// layers:
///   - Conv2d: {out_channels: 8, kernel_size: 3, padding: 1}
///   - ReLU
///   - MaxPool2d: {kernel_size: 2}
///   - Flatten
///   - Linear: {out_features: 10}
/// ```
/// For sequences the first size may be `T`, any length (`input: [T, 2]`): recurrent layers take sequences of
/// every length, so one file serves every `seq-len`. A layer is its class name alone (`ReLU`, `Flatten`) or a mapping from the name to its keyword arguments.
/// The input size of every layer is inferred from the shape the layers before it produce, so it is left out:
/// `in_features` (Linear), `in_channels` (Conv2d), `num_features` (BatchNorm1d, BatchNorm2d), `normalized_shape`
/// (LayerNorm), `input_size` (RNN, LSTM, GRU); given anyway, it must agree. `Sequential: [layers]` nests a block
/// and `Residual: [layers]` is x + block(x) (GradLab's; torch writes it as a module of its own), whose names
/// follow torch's (`3.0.weight` for the first layer inside the block at position 3). Weights take torch's
/// default initialisation of each layer unless the `init` setting is given, which then sets every Linear
/// and Conv2d weight (with the gain of the activation that follows the layer in the file).
///
/// Every problem is a `ConfigError` with the file, line and column: YAML syntax, an unknown layer or
/// argument (with the nearest known name), a value of the wrong type or out of range, and a layer whose
/// input shape does not fit (its torch name, its class, both shapes).
public struct ModelFile: Sendable, Equatable {
    /// A keyword argument's value as written.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case text(String)
        case integers([Int])

        public var description: String {
            switch self {
            case .integer(let v): "\(v)"
            case .number(let v): "\(v)"
            case .bool(let v): v ? "True" : "False"
            case .text(let v): "'\(v)'"
            case .integers(let v): "(" + v.map(String.init).joined(separator: ", ") + ")"
            }
        }
    }

    /// One layer of the file, where it stands, and for `Sequential` and `Residual` the layers inside.
    public struct Entry: Sendable, Equatable {
        public var kind: String
        public var arguments: [String: Value]
        public var children: [Entry]
        public var line: Int
        public var column: Int
    }

    /// The file's path, as errors name it.
    public var path: String
    /// The per-example input shape; nil stands for `T`, a sequence length the data decides.
    public var inputShape: [Int?]
    public var layers: [Entry]

    /// Reads and parses a model file; every problem names the file, line and column.
    public static func load(path: String) throws -> ModelFile {
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(path)
        } catch let error as FileAccessError {
            throw ConfigError(file: path, line: nil, column: nil, key: nil, message: error.problem)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, line: nil, column: nil, key: nil, message: "not UTF-8 text; save the model file as UTF-8")
        }
        return try parse(text, path: path)
    }

    /// Parses model-file text; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> ModelFile {
        let source = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        guard let root = try ExperimentConfig.composeYAML(source, file: path) else {
            throw ConfigError(file: path, line: nil, column: nil, key: nil,
                              message: "the model file is empty; it needs 'input: [...]' and 'layers:' (see `gradlab train --help`)")
        }
        let reader = Reader(path: path)
        guard let mapping = root.mapping else {
            throw reader.error(root, nil, "expected a mapping with 'input' and 'layers', found \(describe(root))")
        }
        var input: [Int?]?
        var layers: [Entry]?
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "input":
                input = try reader.shape(value)
            case "layers":
                guard let items = value.sequence, !items.isEmpty else {
                    throw reader.error(value, "layers", "expected a list of layers (- Linear: {out_features: 10}), found \(describe(value))")
                }
                layers = try items.map { try reader.entry($0) }
            default:
                throw reader.error(keyNode, keyNode.string.map { CSVTable.clipped($0, limit: 50) },
                                   "unknown key; a model file has 'input' (the per-example shape) and 'layers'")
            }
        }
        guard let input else {
            throw ConfigError(file: path, line: root.mark?.line, column: root.mark?.column, key: "input",
                              message: "missing; give the per-example input shape, for example 'input: [1, 8, 8]' or 'input: [2]'")
        }
        guard let layers else {
            throw ConfigError(file: path, line: root.mark?.line, column: root.mark?.column, key: "layers",
                              message: "missing; list the layers, for example '- Linear: {out_features: 10}'")
        }
        return ModelFile(path: path, inputShape: input, layers: layers)
    }

    /// The torch class names a model file may use.
    public static var kinds: [String] { LayerKind.table.keys.sorted() }
}

// MARK: - The layer kinds

/// What a layer kind takes: its keyword arguments, with their types and whether they can be left out.
struct LayerKind {
    enum ArgumentType { case integer, pair, number, bool, text([String]), shape, initializer }

    struct Argument {
        var name: String
        var type: ArgumentType
        /// Inferred from the input shape when left out (the input size of the layer).
        var inferred = false
        var required = false
    }

    var arguments: [Argument]
    /// `Sequential` and `Residual` hold a list of layers instead of arguments.
    var isContainer = false

    /// The arguments of RNN, LSTM and GRU, torch's with `batch_first=True` (the only layout); and
    /// GradLab's `recurrent_init`, the initialiser of every `weight_hh_l*` (`orthogonal:1.5` gives a spectral
    /// radius of 1.5), which torch code writes as `nn.init.orthogonal_(rnn.weight_hh_l0, gain=1.5)`; for LSTM
    /// also `forget_bias`, the forget gate's total bias (torch: `bias_ih_l0[H:2H] = b`, `bias_hh_l0[H:2H] = 0`),
    /// which lets the cell keep its memory from the start (Gers, Schmidhuber & Cummins 2000; Jozefowicz,
    /// Zaremba & Sutskever 2015 recommend 1).
    static let recurrent: [Argument] = [
        .init(name: "input_size", type: .integer, inferred: true), .init(name: "hidden_size", type: .integer, required: true),
        .init(name: "num_layers", type: .integer), .init(name: "bias", type: .bool),
        .init(name: "batch_first", type: .bool), .init(name: "recurrent_init", type: .initializer),
    ]

    static let table: [String: LayerKind] = {
        var table: [String: LayerKind] = [
            "Linear": LayerKind(arguments: [.init(name: "in_features", type: .integer, inferred: true),
                                            .init(name: "out_features", type: .integer, required: true),
                                            .init(name: "bias", type: .bool)]),
            "Dropout": LayerKind(arguments: [.init(name: "p", type: .number)]),
            "LayerNorm": LayerKind(arguments: [.init(name: "normalized_shape", type: .integer, inferred: true),
                                               .init(name: "eps", type: .number)]),
            "BatchNorm1d": LayerKind(arguments: [.init(name: "num_features", type: .integer, inferred: true),
                                                 .init(name: "eps", type: .number), .init(name: "momentum", type: .number)]),
            "Conv2d": LayerKind(arguments: [.init(name: "in_channels", type: .integer, inferred: true),
                                            .init(name: "out_channels", type: .integer, required: true),
                                            .init(name: "kernel_size", type: .pair, required: true),
                                            .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                            .init(name: "dilation", type: .pair), .init(name: "bias", type: .bool)]),
            "MaxPool2d": LayerKind(arguments: [.init(name: "kernel_size", type: .pair, required: true),
                                               .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                               .init(name: "dilation", type: .pair)]),
            "AvgPool2d": LayerKind(arguments: [.init(name: "kernel_size", type: .pair, required: true),
                                               .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                               .init(name: "count_include_pad", type: .bool)]),
            "AdaptiveAvgPool2d": LayerKind(arguments: [.init(name: "output_size", type: .pair)]),
            "Flatten": LayerKind(arguments: []),
            "BatchNorm2d": LayerKind(arguments: [.init(name: "num_features", type: .integer, inferred: true),
                                                 .init(name: "eps", type: .number), .init(name: "momentum", type: .number),
                                                 .init(name: "affine", type: .bool)]),
            "Dropout2d": LayerKind(arguments: [.init(name: "p", type: .number)]),
            "RNN": LayerKind(arguments: recurrent + [.init(name: "nonlinearity", type: .text(["tanh", "relu"]))]),
            "LSTM": LayerKind(arguments: recurrent + [.init(name: "forget_bias", type: .number)]),
            "GRU": LayerKind(arguments: recurrent),
            "Embedding": LayerKind(arguments: [.init(name: "num_embeddings", type: .integer, required: true),
                                               .init(name: "embedding_dim", type: .integer, required: true)]),
            "LastTimeStep": LayerKind(arguments: []),
            "Sequential": LayerKind(arguments: [], isContainer: true),
            "Residual": LayerKind(arguments: [], isContainer: true),
            "LeakyReLU": LayerKind(arguments: [.init(name: "negative_slope", type: .number)]),
            "ELU": LayerKind(arguments: [.init(name: "alpha", type: .number)]),
            "GELU": LayerKind(arguments: [.init(name: "approximate", type: .text(["none", "tanh"]))]),
            "Softplus": LayerKind(arguments: [.init(name: "beta", type: .number), .init(name: "threshold", type: .number)]),
            "Hardtanh": LayerKind(arguments: [.init(name: "min_val", type: .number), .init(name: "max_val", type: .number)]),
        ]
        for plain in ["ReLU", "Tanh", "Sigmoid", "SELU", "SiLU", "Softsign", "Identity"] {
            table[plain] = LayerKind(arguments: [])
        }
        return table
    }()
}

// MARK: - Parsing

private struct Reader {
    var path: String

    func error(_ node: Node, _ key: String?, _ message: String) -> ConfigError {
        ConfigError(file: path, line: node.mark?.line, column: node.mark?.column, key: key, message: message)
    }

    /// `[1, 8, 8]`, or a single number for `[features]`; `T` first for any sequence length.
    func shape(_ node: Node) throws -> [Int?] {
        let items: [Node] = node.sequence.map(Array.init) ?? [node]
        guard !items.isEmpty, items.count <= 4 else {
            throw error(node, "input", "expected the per-example input shape, 1 to 4 positive sizes such as [1, 8, 8], found \(describe(node))")
        }
        return try items.enumerated().map { position, item in
            if position == 0 && items.count >= 2 && item.scalar?.string == "T" { return nil }
            guard let text = item.scalar?.string, let size = Int(text), size > 0, size <= 1 << 24 else {
                throw error(item, "input", "expected a positive size (at most 2^24)\(position == 0 && items.count >= 2 ? " or T" : ""), found \(describe(item))")
            }
            return size
        }
    }

    func entry(_ node: Node) throws -> ModelFile.Entry {
        let line = node.mark?.line ?? 0, column = node.mark?.column ?? 0
        let name: String
        let body: Node?
        switch node {
        case .scalar(let scalar):
            name = scalar.string
            body = nil
        case .mapping(let mapping) where mapping.count == 1:
            guard let key = mapping.first?.key.string else { throw error(node, nil, "a layer's name must be text") }
            name = key
            body = mapping.first?.value
        default:
            throw error(node, nil, "expected a layer: its class name (ReLU) or one 'Name: {arguments}' pair, found \(describe(node))")
        }
        guard let kind = LayerKind.table[name] else {
            let known = LayerKind.table.keys.sorted()
            let nearest = known.min { editDistance($0.lowercased(), name.lowercased()) < editDistance($1.lowercased(), name.lowercased()) }
            let hint = nearest.flatMap { editDistance($0.lowercased(), name.lowercased()) <= 3 ? "did you mean '\($0)'? " : nil } ?? ""
            throw error(node, CSVTable.clipped(name, limit: 50), "unknown layer; \(hint)known: \(known.joined(separator: ", "))")
        }
        if kind.isContainer {
            guard let items = body?.sequence, !items.isEmpty else {
                throw error(body ?? node, name, "expected a list of the layers inside (- Linear: {out_features: 64}), found \(body.map(describe) ?? "nothing")")
            }
            return ModelFile.Entry(kind: name, arguments: [:], children: try items.map { try entry($0) }, line: line, column: column)
        }
        var arguments: [String: ModelFile.Value] = [:]
        if let body, !(body.scalar?.string.isEmpty ?? false) && body.scalar?.string != "null" && body.scalar?.string != "~" {
            guard let mapping = body.mapping else {
                throw error(body, name, "expected keyword arguments as a mapping ({out_features: 10}), found \(describe(body))")
            }
            for (keyNode, value) in mapping {
                guard let key = keyNode.string else { throw error(keyNode, name, "an argument's name must be text") }
                guard let argument = kind.arguments.first(where: { $0.name == key }) else {
                    let names = kind.arguments.map(\.name)
                    let nearest = names.min { editDistance($0, key) < editDistance($1, key) }
                    let hint = nearest.flatMap { editDistance($0, key) <= 3 ? "did you mean '\($0)'? " : nil } ?? ""
                    throw error(keyNode, "\(name).\(CSVTable.clipped(key, limit: 40))",
                                "unknown argument; \(hint)\(name) takes \(names.isEmpty ? "no arguments" : names.joined(separator: ", "))")
                }
                guard arguments[key] == nil else { throw error(keyNode, "\(name).\(key)", "given twice") }
                arguments[key] = try self.value(value, argument, layer: name)
            }
        }
        for argument in kind.arguments where argument.required && arguments[argument.name] == nil {
            throw error(node, name, "needs \(argument.name)")
        }
        return ModelFile.Entry(kind: name, arguments: arguments, children: [], line: line, column: column)
    }

    func value(_ node: Node, _ argument: LayerKind.Argument, layer: String) throws -> ModelFile.Value {
        let key = "\(layer).\(argument.name)"
        func integer(_ item: Node) throws -> Int {
            guard let text = item.scalar?.string, let value = Int(text), value >= 0, value <= 1 << 20 else {
                throw error(item, key, "expected a whole number from 0 to 2^20, found \(describe(item))")
            }
            return value
        }
        switch argument.type {
        case .integer:
            return .integer(try integer(node))
        case .pair:
            if let items = node.sequence {
                guard items.count == 2 else { throw error(node, key, "expected one number or a pair [h, w], found \(describe(node))") }
                return .integers(try items.map(integer))
            }
            return .integer(try integer(node))
        case .shape:
            if let items = node.sequence { return .integers(try items.map(integer)) }
            return .integer(try integer(node))
        case .number:
            guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
                throw error(node, key, "expected a finite number, found \(describe(node))")
            }
            return .number(value)
        case .bool:
            switch node.scalar?.string.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw error(node, key, "expected true or false, found \(describe(node))")
            }
        case .initializer:
            guard let text = node.scalar?.string, Initializer(name: text) != nil else {
                throw error(node, key, "expected an initialiser such as orthogonal:1.5, xavier-uniform or normal:0.1, "
                            + "found \(describe(node))")
            }
            return .text(text)
        case .text(let allowed):
            guard let text = node.scalar?.string, allowed.contains(text) else {
                throw error(node, key, "expected one of \(allowed.map { "'\($0)'" }.joined(separator: ", ")), found \(describe(node))")
            }
            return .text(text)
        }
    }
}

private func describe(_ node: Node) -> String {
    switch node {
    case .scalar(let s): quoted(s.string)
    case .mapping: "a mapping"
    case .sequence: "a list"
    case .alias: "an alias"
    }
}

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

extension LayerKind {
    /// The activation function an entry names, with its arguments, or nil for a layer that is not one.
    static func activation(_ entry: ModelFile.Entry) -> Activation? {
        func number(_ key: String, _ value: Double) -> Double {
            switch entry.arguments[key] {
            case .number(let v)?: v
            case .integer(let v)?: Double(v)
            default: value
            }
        }
        switch entry.kind {
        case "ReLU": return .relu
        case "Tanh": return .tanh
        case "Sigmoid": return .sigmoid
        case "SELU": return .selu
        case "SiLU": return .silu
        case "Softsign": return .softsign
        case "Identity": return .identity
        case "LeakyReLU": return .leakyReLU(slope: number("negative_slope", 0.01))
        case "ELU": return .elu(alpha: number("alpha", 1))
        case "GELU": return entry.arguments["approximate"] == .text("tanh") ? .geluTanh : .gelu
        case "Softplus": return .softplus(beta: number("beta", 1), threshold: number("threshold", 20))
        case "Hardtanh": return .hardtanh(min: number("min_val", -1), max: number("max_val", 1))
        default: return nil
        }
    }
}
