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

