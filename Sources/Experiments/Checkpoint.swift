import Backprop
import Foundation

/// A model's parameters and buffers in a safetensors file, named and laid out as torch's `state_dict`
/// of the equivalent `nn.Sequential`, so checkpoints move between GradLab and torch unchanged.
///
/// ```
/// layer i of the Sequential      names                                       dtype, shape
/// Linear(in, out)                i.weight, i.bias                            F32|F64 [out, in], [out]
/// LayerNorm(f)                   i.weight, i.bias                            F32|F64 [f]
/// BatchNorm1d(f)                 i.weight, i.bias, i.running_mean,           F32|F64 [f]
///                                i.running_var, i.num_batches_tracked        I64 []
/// Conv2d(in, out, (kh, kw))      i.weight, i.bias                            F32|F64 [out, in, kh, kw], [out]
/// BatchNorm2d(c)                 the names of BatchNorm1d (without `affine`: F32|F64 [c]
///                                no i.weight, i.bias)                        I64 []
/// pooling, Flatten, Dropout2d    nothing
/// Residual(Sequential(block))    the block's names under i: i.0.weight, ...
/// RNN, LSTM, GRU (h hidden,      i.weight_ih_lk, i.weight_hh_lk,             F32|F64 [g·h, in_k], [g·h, h]
///   g = 1, 4, 3 gates)           i.bias_ih_lk, i.bias_hh_lk (k = 0, 1, ...)  F32|F64 [g·h]; in_0 = input_size, else h
/// Embedding(n, d)                i.weight                                    F32|F64 [n, d]
/// LastTimeStep                   nothing
/// activations, Dropout           nothing (their index is kept, as in torch)
/// ```
/// Saving writes F32 for a Float model and F64 for a Double one, with the metadata `format: pt`, into
/// a temporary file that replaces the target only once complete. Loading checks everything before it
/// changes anything: the names must match exactly (a `namesDoNotMatch` error lists the missing and
/// the unexpected ones), then the shapes (`shapeMismatch` lists every difference), then the dtypes.
/// F32 loads into a Double model and F64 into a Float one (rounded to nearest), as torch's
/// `load_state_dict` copies; any other dtype for a floating-point tensor is a `wrongDType` error.
/// The tensors are found by walking the model as torch's `named_modules()` (`Layer.namedLayers`): each
/// leaf's parameters, buffers and counters under its full name, so a container of your own that states
/// its `children` saves and loads like `Sequential`.
/// Reference: torch.nn.Module.state_dict and load_state_dict documentation; safetensors (see `SafeTensors`).
public enum Checkpoint {
    /// Writes `model`'s parameters and buffers to `url` (a `.safetensors` file), replacing it atomically.
    ///
    /// - Parameters:
    ///   - metadata: extra `__metadata__` pairs; `format` is `pt` unless given.
    /// - Throws: `SafeTensorsError.cannotWrite` when the file cannot be written; an existing file is
    ///   then left as it was.
    public static func save<Scalar: TensorScalar>(
        _ model: Sequential<Scalar>, to url: URL, metadata: [String: String] = [:]
    ) throws {
        try stateDictionary(of: model, metadata: metadata).write(to: url)
    }

    /// The tensors `save` writes, in torch's `state_dict` order (each layer's parameters, then its buffers).
    public static func stateDictionary<Scalar: TensorScalar>(
        of model: Sequential<Scalar>, metadata: [String: String] = [:]
    ) -> SafeTensors {
        let entries = slots(of: model).map { slot in
            switch slot.content {
            case .values(let tensor):
                SafeTensors.Entry(name: slot.name, tensor: tensor)
            case .counter(let counter):
                SafeTensors.Entry(name: slot.name, shape: [], integers: [Int64(counter.value)])
            }
        }
        return SafeTensors(entries: entries, metadata: ["format": "pt"].merging(metadata) { $1 })
    }

    /// Reads `url` and copies its tensors into `model`; on any error the model is unchanged.
    ///
    /// - Throws: `SafeTensorsError` for a file that cannot be read or breaks the format;
    ///   `CheckpointError` for one that does not fit the model.
    public static func load<Scalar: TensorScalar>(_ url: URL, into model: Sequential<Scalar>) throws {
        try load(SafeTensors(contentsOf: url), into: model, path: url.path)
    }

    /// Copies the tensors of `file` into `model` after checking names, shapes and dtypes; on any error
    /// the model is unchanged. `path` names the file in errors.
    public static func load<Scalar: TensorScalar>(
        _ file: SafeTensors, into model: Sequential<Scalar>, path: String
    ) throws {
        let slots = slots(of: model)
        var byName: [String: SafeTensors.Entry] = [:]
        for entry in file.entries { byName[entry.name] = entry }

        let expectedNames = Set(slots.map(\.name))
        let missing = slots.filter { byName[$0.name] == nil }
            .map { CheckpointError.Item(name: $0.name, dtype: $0.dtypeName, shape: $0.shape) }
        let unexpected = file.entries.filter { !expectedNames.contains($0.name) }
            .sorted { $0.name < $1.name }
            .map { CheckpointError.Item(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape) }
        guard missing.isEmpty && unexpected.isEmpty else {
            throw CheckpointError.namesDoNotMatch(path: path, missing: missing, unexpected: unexpected)
        }

        let pairs = slots.map { ($0, byName[$0.name]!) }
        let mismatches = pairs.filter { $0.shape != $1.shape }
            .map { CheckpointError.ShapeMismatch(name: $0.name, expected: $0.shape, found: $1.shape) }
        guard mismatches.isEmpty else { throw CheckpointError.shapeMismatch(path: path, mismatches: mismatches) }

        // Convert everything first, so that nothing is written into the model unless all of it fits.
        var updates: [() -> Void] = []
        for (slot, entry) in pairs {
            switch slot.content {
            case .values(let tensor):
                guard let values: [Scalar] = entry.floatingPointValues() else {
                    throw CheckpointError.wrongDType(path: path, tensor: slot.name, found: entry.dtype.rawValue,
                                                     expected: "F32 or F64")
                }
                updates.append { tensor.withUnsafeMutableBufferPointer { _ = $0.update(from: values) } }
            case .counter(let counter):
                guard let values = entry.integerValues() else {
                    throw CheckpointError.wrongDType(path: path, tensor: slot.name, found: entry.dtype.rawValue,
                                                     expected: "I64")
                }
                let count = values[0]
                guard count >= 0 else {
                    throw CheckpointError.invalidValue(path: path, tensor: slot.name,
                                                       reason: "a count of batches cannot be negative, got \(count)")
                }
                updates.append { counter.value = Int(count) }
            }
        }
        for update in updates { update() }
    }

    /// One tensor of the state dictionary and where it lives in the model.
    struct Slot<Scalar: TensorScalar> {
        enum Content {
            case values(Tensor<Scalar>)
            case counter(Counter)
        }
        var name: String
        var content: Content

        var shape: [Int] {
            switch content {
            case .values(let tensor): tensor.shape
            case .counter: []
            }
        }

        var dtypeName: String {
            switch content {
            case .values: Scalar.dtypeName
            case .counter: "I64"
            }
        }
    }

    /// Every tensor of the state dictionary in torch's order: the leaves of the model's tree in
    /// `named_modules()` order, each with its parameters, then its buffers, then its counters.
    static func slots<Scalar: TensorScalar>(of model: Sequential<Scalar>) -> [Slot<Scalar>] {
        var result: [Slot<Scalar>] = []
        for named in model.namedLayers where named.layer.children.isEmpty {
            let prefix = named.name.isEmpty ? "" : named.name + "."
            for parameter in named.layer.parameters {
                result.append(Slot(name: prefix + parameter.name, content: .values(parameter.parameter.value)))
            }
            for buffer in named.layer.buffers {
                result.append(Slot(name: prefix + buffer.name, content: .values(buffer.tensor)))
            }
            for counter in named.layer.counters {
                result.append(Slot(name: prefix + counter.name, content: .counter(counter.counter)))
            }
        }
        return result
    }
}

/// A checkpoint that does not fit the model it is loaded into.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A tensor by name, dtype and shape.
    public struct Item: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public init(name: String, dtype: String, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        public var description: String { "\(name) (\(dtype) \(shape))" }
    }

    /// A tensor whose shape in the file differs from the model's.
    public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var expected: [Int]
        public var found: [Int]
        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
        public var description: String { "\(name): the file has \(found), the model expects \(expected)" }
    }

    /// The model needs tensors the file lacks (`missing`, with the model's dtype and shape), or the
    /// file holds tensors the model has no place for (`unexpected`, as in the file).
    case namesDoNotMatch(path: String, missing: [Item], unexpected: [Item])
    case shapeMismatch(path: String, mismatches: [ShapeMismatch])
    case wrongDType(path: String, tensor: String, found: String, expected: String)
    case invalidValue(path: String, tensor: String, reason: String)

    public var description: String {
        switch self {
        case .namesDoNotMatch(let path, let missing, let unexpected):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing " + missing.map(\.description).joined(separator: ", ")) }
            if !unexpected.isEmpty { parts.append("unexpected " + unexpected.map(\.description).joined(separator: ", ")) }
            return "\(path) does not fit the model: \(parts.joined(separator: "; ")); build the model with the "
                + "layers the checkpoint was saved from (names follow torch's state_dict of the equivalent nn.Sequential)"
        case .shapeMismatch(let path, let mismatches):
            return "\(path): size mismatch for \(mismatches.map(\.description).joined(separator: "; ")); build the "
                + "model with the layer sizes the checkpoint was saved with"
        case .wrongDType(let path, let tensor, let found, let expected):
            return "\(path): tensor '\(tensor)' is \(found), but the model needs \(expected); save it with that dtype "
                + "(in torch, convert with .float() or .double() for weights, .long() for num_batches_tracked)"
        case .invalidValue(let path, let tensor, let reason):
            return "\(path): tensor '\(tensor)': \(reason); save the checkpoint again"
        }
    }
}
