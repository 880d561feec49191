import Foundation
import RunFormat

extension SafeTensors {
    /// Reads a safetensors file and checks it (see the type's documentation).
    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(url.path)
        } catch let error as FileAccessError {
            throw SafeTensorsError.cannotRead(path: url.path, reason: error.problem)
        }
        try self.init(parsing: bytes, path: url.path)
    }

    /// Parses and checks the bytes of a safetensors file; `path` names the file in errors.
    public init(parsing file: [UInt8], path: String) throws {
        func malformed(_ tensor: String?, _ reason: String) -> SafeTensorsError {
            .malformed(path: path, tensor: tensor, reason: reason)
        }
        guard file.count >= 8 else {
            throw malformed(nil, "the file has \(file.count) bytes, fewer than the 8 that give the header length")
        }
        let declared = file.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(file.count - 8) else {
            throw malformed(nil, "the header length \(declared) runs past the end of the file, which has "
                            + "\(file.count - 8) bytes after the length")
        }
        guard declared <= SafeTensors.maximumHeaderLength else {
            throw malformed(nil, "the header length \(declared) exceeds the limit of \(SafeTensors.maximumHeaderLength) bytes")
        }
        let headerEnd = 8 + Int(declared)
        guard file[8..<headerEnd].first == UInt8(ascii: "{") else {
            throw malformed(nil, "the header does not start with '{', so it is not a JSON object")
        }
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: Data(file[8..<headerEnd]))
        } catch let error as DecodingError {
            throw Self.explain(error, path: path)
        } catch {
            throw malformed(nil, "the header is not valid JSON")
        }

        let dataLength = file.count - headerEnd
        var located: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        // By name, so that of several faults the same one is reported every time.
        for entry in header.entries.sorted(by: { $0.name < $1.name }) {
            let name = entry.name
            guard let dtype = DType(rawValue: entry.dtype) else {
                throw malformed(name, "unknown dtype '\(entry.dtype)'; the format knows "
                                + DType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let shape = wholeNumbers(entry.shape) else {
                throw malformed(name, "the shape \(describe(entry.shape)) must hold whole numbers ≥ 0")
            }
            guard let offsets = wholeNumbers(entry.offsets), offsets.count == 2, offsets[0] <= offsets[1] else {
                throw malformed(name, "data_offsets \(describe(entry.offsets)) must be two whole numbers [begin, end] "
                                + "with 0 ≤ begin ≤ end")
            }
            let (begin, end) = (offsets[0], offsets[1])
            var size = dtype.byteSize, overflow = false
            for dimension in shape where !overflow {
                (size, overflow) = size.multipliedReportingOverflow(by: dimension)
            }
            guard !overflow, end - begin == size else {
                throw malformed(name, "data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but \(dtype.rawValue) "
                                + "\(shape) needs \(overflow ? "more than \(Int.max)" : "\(size)")")
            }
            guard end <= dataLength else {
                throw malformed(name, "data_offsets [\(begin), \(end)] run past the end of the data, which has "
                                + "\(dataLength) bytes")
            }
            located.append((entry.name, dtype, shape, begin, end))
        }
        // The byte ranges must tile the data exactly: no overlap, no gap, nothing after the last one.
        located.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: String?
        for item in located {
            if item.begin < cursor, let previous {
                throw malformed(item.name, "data_offsets [\(item.begin), \(item.end)] overlap those of '\(previous)', "
                                + "which end at \(cursor)")
            }
            if item.begin > cursor {
                throw malformed(item.name, "bytes \(cursor)..<\(item.begin) of the data before this tensor "
                                + "belong to no tensor")
            }
            cursor = item.end
            previous = item.name
        }
        guard cursor == dataLength else {
            throw malformed(nil, "\(dataLength - cursor) bytes after the last tensor's data belong to no tensor "
                            + "(trailing garbage)")
        }
        entries = located.map { item in
            Entry(name: item.name, dtype: item.dtype, shape: item.shape,
                  bytes: Array(file[(headerEnd + item.begin)..<(headerEnd + item.end)]))
        }
        metadata = header.metadata
    }

    /// A readable reason for a header that is JSON but not of the format's shape.
    private static func explain(_ error: DecodingError, path: String) -> SafeTensorsError {
        let context: DecodingError.Context
        var missingKey: String?
        switch error {
        case .keyNotFound(let key, let c): context = c; missingKey = key.stringValue
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        @unknown default: return .malformed(path: path, tensor: nil, reason: "the header cannot be read (\(error))")
        }
        let keys = context.codingPath.map(\.stringValue)
        guard let first = keys.first else {
            if case .dataCorrupted = error {
                return .malformed(path: path, tensor: nil, reason: "the header is not valid JSON")
            }
            return .malformed(path: path, tensor: nil, reason: "the header is not a JSON object")
        }
        if first == "__metadata__" {
            return .malformed(path: path, tensor: nil, reason: "__metadata__ must map strings to strings")
        }
        if let missingKey {
            return .malformed(path: path, tensor: first, reason: "the entry has no '\(missingKey)'; each tensor "
                              + "needs dtype, shape and data_offsets")
        }
        let field = keys.count > 1 ? "'\(keys[1])'" : "the entry"
        return .malformed(path: path, tensor: first, reason: "\(field) has the wrong type: dtype is a string, "
                          + "shape and data_offsets lists of whole numbers ≥ 0")
    }
}

/// `values` as Ints when all are whole numbers in 0...2⁵³ (where Double counts exactly), else nil.
private func wholeNumbers(_ values: [Double]) -> [Int]? {
    guard values.allSatisfy({ $0 >= 0 && $0 <= 0x1p53 && $0.rounded() == $0 }) else { return nil }
    return values.map { Int($0) }
}

/// Numbers as the header writes them: `[4, 3]`, not `[4.0, 3.0]`.
private func describe(_ values: [Double]) -> String {
    "[" + values.map { $0.rounded() == $0 && abs($0) < 1e18 ? String(Int64($0)) : "\($0)" }.joined(separator: ", ") + "]"
}

/// The header as JSON gives it, before any check. Numbers are read as Double so that a fraction or a
/// negative number gets a precise message instead of a decoding failure.
private struct RawHeader: Decodable {
    var entries: [RawEntry] = []
    var metadata: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                var entry = try container.decode(RawEntry.self, forKey: key)
                entry.name = key.stringValue
                entries.append(entry)
            }
        }
    }
}

private struct RawEntry: Decodable {
    var name = ""
    var dtype: String
    var shape: [Double]
    var offsets: [Double]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case offsets = "data_offsets"
    }
}
