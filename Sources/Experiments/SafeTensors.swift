import Backprop
import Foundation
import RunFormat

/// The tensors of a safetensors file: names, element types, shapes and raw little-endian bytes.
///
/// ```
/// bytes 0..<8      N, the header length, an unsigned 64-bit little-endian integer
/// bytes 8..<8+N    a UTF-8 JSON object, padded with spaces:
///                  {"NAME": {"dtype": "F32", "shape": [4, 3], "data_offsets": [BEGIN, END]}, ...,
///                   "__metadata__": {"KEY": "VALUE", ...}}          (metadata optional, strings only)
/// bytes 8+N...     the data: tensor NAME is bytes BEGIN..<END of this part, row-major, little-endian
/// ```
/// Reading treats the file as untrusted and checks every number before using it: the header length
/// against the file (and a 100 MB limit, the reference implementation's), the JSON, each dtype, each
/// shape against its byte range, and the ranges against each other: they must tile the data part
/// exactly, with no overlap, gap or trailing bytes. Any failure is a `SafeTensorsError` naming the
/// file and the tensor, never a crash.
///
/// Writing pads the header to a multiple of 8 bytes and orders the data by element size (largest
/// first), so every tensor starts at an offset aligned to its element size, as the reference
/// implementation does; names keep the order given in the header.
/// - Caveats: only the dtypes of the specification are known; conversions exist for F32, F64 and I64
///   (`floatingPointValues`, `integerValues`); other tensors are kept as bytes.
/// Reference: the safetensors format specification, github.com/huggingface/safetensors (README, "Format").
public struct SafeTensors: Equatable, Sendable {
    /// An element type of the specification, by its header name, with its size in bytes.
    public enum DType: String, CaseIterable, Sendable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
        case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32"
        case i64 = "I64", u64 = "U64", f64 = "F64"

        public var byteSize: Int {
            switch self {
            case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
            case .i16, .u16, .f16, .bf16: 2
            case .i32, .u32, .f32: 4
            case .i64, .u64, .f64: 8
            }
        }
    }

    /// One tensor: its name, dtype, shape (`[]` for a scalar) and row-major little-endian bytes.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: [UInt8]

        /// An entry from raw bytes; their count must be the shape's element count × the dtype's size.
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
            precondition(shape.allSatisfy { $0 >= 0 }, "tensor '\(name)': negative dimension in \(shape)")
            precondition(bytes.count == shape.reduce(1, *) * dtype.byteSize,
                         "tensor '\(name)': \(bytes.count) bytes do not hold \(dtype.rawValue) \(shape)")
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An F32 or F64 entry (after `Scalar.dtypeName`) holding `tensor`'s elements.
        public init<Scalar: TensorScalar>(name: String, tensor: Tensor<Scalar>) {
            // TensorScalar is Float or Double: IEEE 754 binary32 or binary64, stored as the host orders bytes.
            let size = MemoryLayout<Scalar>.size
            var bytes = tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
            if 1.littleEndian != 1 {
                for start in stride(from: 0, to: bytes.count, by: size) { bytes[start..<(start + size)].reverse() }
            }
            let dtype: DType = size == 4 ? .f32 : .f64
            self.init(name: name, dtype: dtype, shape: tensor.shape, bytes: bytes)
        }

        /// An I64 entry holding `values`.
        public init(name: String, shape: [Int], integers values: [Int64]) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(values.count * 8)
            for value in values { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
            self.init(name: name, dtype: .i64, shape: shape, bytes: bytes)
        }

        /// The number of elements, the product of `shape`.
        public var count: Int { shape.reduce(1, *) }

        /// The elements converted to `Scalar` (rounded to nearest for F64 into Float), or nil when the
        /// dtype is not F32 or F64.
        public func floatingPointValues<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) -> [Scalar]? {
            switch dtype {
            case .f32: load(UInt32.self).map { Scalar(Float(bitPattern: $0)) }
            case .f64: load(UInt64.self).map { Scalar(Double(bitPattern: $0)) }
            default: nil
            }
        }

        /// The elements of an I64 tensor, or nil for any other dtype.
        public func integerValues() -> [Int64]? {
            dtype == .i64 ? load(UInt64.self).map { Int64(bitPattern: $0) } : nil
        }

        private func load<Word: FixedWidthInteger>(_: Word.Type) -> [Word] {
            bytes.withUnsafeBytes { raw in
                (0..<count).map { Word(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * Word.bitWidth / 8, as: Word.self)) }
            }
        }
    }

    /// The tensors, in the order of the header as written, or of their data as read.
    public var entries: [Entry]
    /// The header's `__metadata__`: free-form string pairs.
    public var metadata: [String: String]

    public init(entries: [Entry] = [], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// The entry called `name`, if any.
    public subscript(name: String) -> Entry? { entries.first { $0.name == name } }

    /// The largest header the reader accepts, the reference implementation's limit.
    static let maximumHeaderLength = 100_000_000
}

// MARK: - Writing

extension SafeTensors {
    /// The file's bytes: header length, padded header, data (largest element size first).
    public func encoded() -> [UInt8] {
        var names = Set<String>()
        for entry in entries {
            precondition(entry.name != "__metadata__", "'__metadata__' is reserved and cannot name a tensor")
            precondition(names.insert(entry.name).inserted, "the tensor name '\(entry.name)' is used twice")
        }
        // A stable sort by element size keeps every tensor aligned once the header is padded to 8.
        let dataOrder = entries.indices.sorted { a, b in
            let (sizeA, sizeB) = (entries[a].dtype.byteSize, entries[b].dtype.byteSize)
            return sizeA != sizeB ? sizeA > sizeB : a < b
        }
        var offsets = [(Int, Int)](repeating: (0, 0), count: entries.count)
        var position = 0
        for i in dataOrder {
            offsets[i] = (position, position + entries[i].bytes.count)
            position += entries[i].bytes.count
        }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for (entry, (begin, end)) in zip(entries, offsets) {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(begin),\(end)]}")
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var file: [UInt8] = []
        file.reserveCapacity(8 + header.count + position)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file += $0 }
        file += header
        for i in dataOrder { file += entries[i].bytes }
        return file
    }

    /// Writes the file atomically: a temporary file in the same folder, then a rename over `url`, so a
    /// failed write leaves any existing file as it was.
    public func write(to url: URL) throws {
        let bytes = encoded()
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SafeTensorsError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw SafeTensorsError.cannotWrite(path: url.path, reason: reason)
        }
    }
}

/// `text` as a JSON string literal.
private func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// A safetensors file that cannot be read or written.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// The file breaks the format; `tensor` names the entry concerned, when there is one.
    case malformed(path: String, tensor: String?, reason: String)

    /// One line, whatever the file holds: control characters and line separators in a tensor name, a
    /// dtype or a path read from the file are shown as `\u{…}` escapes, so a damaged header can neither
    /// break the message over lines nor send escape sequences to a terminal.
    public var description: String {
        var line = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                line += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                line.unicodeScalars.append(scalar)
            }
        }
        return line
    }

    private var text: String {
        switch self {
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason); check that the folder exists and is writable, or choose another path"
        case .malformed(let path, let tensor, let reason):
            "\(path): \(tensor.map { "tensor '\($0)': " } ?? "")\(reason); the file is truncated, damaged or not "
                + "a safetensors file: write it again (for example with safetensors' save_file)"
        }
    }
}
