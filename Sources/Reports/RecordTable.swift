import Foundation
import RunFormat

/// A run-folder CSV file read fast enough for runs of many layers and steps: the bytes are kept whole,
/// fields are located once (RFC 4180 quoting), and numbers are parsed in place with `strtod`.
///
/// Like `CSVTable`, a last line without its newline (torn by a kill) is ignored and columns are found
/// by name, so files with added columns still read. Errors name the file, line and column.
struct RecordTable {
    let url: URL
    let columns: [String]
    /// Whether the file ended in a line without its newline, which was ignored.
    let tornLine: Bool
    /// Number of data rows.
    let count: Int
    /// The file's bytes up to its last newline, followed by a 0 byte that stops `strtod`.
    private let bytes: [UInt8]
    /// Start and end (exclusive) of each field, row-major: field `f` of row `r` is at `2·(r·columns + f)`.
    private let bounds: [Int32]

    init(url: URL) throws {
        self.url = url
        guard var data = FileManager.default.contents(atPath: url.path).map(Array.init) else {
            throw RunFolderError.missing(path: url.path)
        }
        let last = data.lastIndex(of: UInt8(ascii: "\n"))
        tornLine = last.map { $0 != data.count - 1 } ?? !data.isEmpty
        data.removeSubrange((last.map { $0 + 1 } ?? 0)...)
        data.append(0)
        guard data.count < Int(Int32.max) else {
            throw RunFolderError.malformed(path: url.path, line: nil, reason: "the file is larger than 2 GB")
        }
        bytes = data
        var header: [String] = []
        var bounds: [Int32] = []
        bounds.reserveCapacity(data.count / 4)
        var line = 1
        var fieldsInRow = 0
        var width = 0
        try data.withUnsafeBufferPointer { p in
            let end = p.count - 1
            var i = 0
            while i < end {
                let start = i
                if p[i] == UInt8(ascii: "\"") {
                    i += 1
                    while i < end {
                        if p[i] == UInt8(ascii: "\"") {
                            if i + 1 < end && p[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                            break
                        }
                        if p[i] == UInt8(ascii: "\n") { line += 1 }
                        i += 1
                    }
                    if i < end { i += 1 }
                }
                while i < end && p[i] != UInt8(ascii: ",") && p[i] != UInt8(ascii: "\n") { i += 1 }
                var fieldEnd = i
                if fieldEnd > start && p[fieldEnd - 1] == UInt8(ascii: "\r") { fieldEnd -= 1 }
                if width == 0 {
                    header.append(Self.text(p, start, fieldEnd))
                } else {
                    bounds.append(Int32(start))
                    bounds.append(Int32(fieldEnd))
                }
                fieldsInRow += 1
                if i >= end || p[i] == UInt8(ascii: "\n") {
                    if width == 0 {
                        width = fieldsInRow
                    } else if fieldsInRow != width {
                        throw RunFolderError.malformed(path: url.path, line: line,
                                                       reason: "the row has \(fieldsInRow) fields, the header \(width)")
                    }
                    fieldsInRow = 0
                    line += 1
                }
                i += 1
            }
        }
        guard width > 0 else { throw RunFolderError.malformed(path: url.path, line: 1, reason: "no header row") }
        columns = header
        self.bounds = bounds
        count = bounds.count / (2 * width)
    }

    /// The text of a field between `start` and `end`, unquoted.
    private static func text(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        guard end > start else { return "" }
        if p[start] == UInt8(ascii: "\""), end - start >= 2 {
            let inner = String(decoding: UnsafeBufferPointer(rebasing: p[(start + 1)..<(end - 1)]), as: UTF8.self)
            return inner.replacingOccurrences(of: "\"\"", with: "\"")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
    }

    /// The index of a column, or an error naming the file and the columns it has.
    func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw RunFolderError.malformed(path: url.path, line: 1,
                                           reason: "no column '\(name)' (columns: \(columns.joined(separator: ", ")))")
        }
        return index
    }

    /// The numbers of a column: `nan`, `inf` and `-inf` read as such, an empty field as nil.
    func numbers(_ name: String) throws -> [Double?] {
        let c = try column(name)
        let width = columns.count
        var values = [Double?](repeating: nil, count: count)
        try bytes.withUnsafeBufferPointer { p in
            let base = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            for r in 0..<count {
                let start = Int(bounds[2 * (r * width + c)]), end = Int(bounds[2 * (r * width + c) + 1])
                if start == end { continue }
                var stop: UnsafeMutablePointer<CChar>? = nil
                let value = strtod(base + start, &stop)
                guard let stop, stop - UnsafeMutablePointer(mutating: base) == end else {
                    let field = Self.text(p, start, end)
                    throw RunFolderError.malformed(path: url.path, line: line(ofRow: r),
                                                   reason: "'\(field)' in column '\(name)' is not a number")
                }
                values[r] = value
            }
        }
        return values
    }

    /// The numbers of a column that must be present in every row.
    func required(_ name: String) throws -> [Double] {
        let values = try numbers(name)
        if let r = values.firstIndex(where: { $0 == nil }) {
            throw RunFolderError.malformed(path: url.path, line: line(ofRow: r), reason: "column '\(name)' is empty")
        }
        return values.map { $0! }
    }

    /// Whole numbers of a column that must be present in every row.
    func integers(_ name: String) throws -> [Int] {
        try required(name).map { $0.isFinite ? Int($0) : 0 }
    }

    /// The texts of a column, unquoted; repeated texts share storage.
    func texts(_ name: String) throws -> [String] {
        let c = try column(name)
        let width = columns.count
        var cache: [ArraySlice<UInt8>: String] = [:]
        return bytes.withUnsafeBufferPointer { p in
            (0..<count).map { r in
                let start = Int(bounds[2 * (r * width + c)]), end = Int(bounds[2 * (r * width + c) + 1])
                let key = bytes[start..<end]
                if let known = cache[key] { return known }
                let text = Self.text(p, start, end)
                cache[key] = text
                return text
            }
        }
    }

    /// The file line of data row `r` (1-based; the header is line 1), assuming no quoted line breaks.
    private func line(ofRow r: Int) -> Int { r + 2 }
}
