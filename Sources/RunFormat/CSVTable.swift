import Foundation

/// A CSV file read whole: the one CSV reader of the project, for run folders and datasets alike.
///
/// ```
/// file    = [BOM] header *(newline record) [newline]
/// record  = field *("," field)          newline = LF or CR LF
/// field   = "\"" *(any but "\"" / "\"\"") "\"" / *(any but "," LF)
/// ```
/// RFC 4180, with a UTF-8 byte-order mark skipped, blank lines skipped, and line breaks allowed inside
/// quoted fields (errors still name the right line). A header that names a column twice is refused,
/// because columns are found by name. Fields are located once and numbers parsed in place with `strtod`,
/// so a run of 20 layers × 10,000 steps reads in a fraction of a second.
///
/// With `ignoresTornLastLine` (run folders), a last record without its newline is one a killed run was
/// writing: it is dropped and `tornLine` says so. Without it (datasets), a last line without a newline
/// is an ordinary row. Every problem is a thrown `RunFolderError.malformed` naming the file and line;
/// nothing in the input can make the reader trap.
public struct CSVTable: Sendable {
    public let path: String
    public let columns: [String]
    /// Whether a last record without its newline was dropped.
    public let tornLine: Bool
    /// Number of data rows.
    public let count: Int
    /// The file's bytes up to the end of the last record kept, followed by a 0 byte that stops `strtod`.
    private let bytes: [UInt8]
    /// Start and end (exclusive) of each field, row-major: field `f` of row `r` is at `2·(r·columns + f)`.
    /// A quoted field's bounds include its quotes.
    private let bounds: [Int32]
    /// The file line on which each data row starts (1-based).
    private let lines: [Int32]

    public var url: URL { URL(fileURLWithPath: path) }

    /// Reads the file at `url`; a missing or unreadable file is an error in words, with the path.
    public init(url: URL, ignoresTornLastLine: Bool = true) throws {
        let data: [UInt8]
        do {
            data = try FileAccess.read(url.path)
        } catch let error as FileAccessError {
            throw error.isMissing ? RunFolderError.missing(path: url.path)
                : RunFolderError.malformed(path: url.path, line: nil, reason: error.problem)
        }
        try self.init(bytes: data, path: url.path, ignoresTornLastLine: ignoresTornLastLine)
    }

    /// Parses `bytes`; `path` names the file in errors.
    public init(bytes input: [UInt8], path: String, ignoresTornLastLine: Bool = true) throws {
        self.path = path
        func fail(_ line: Int, _ reason: String) -> RunFolderError {
            RunFolderError.malformed(path: path, line: line, reason: reason)
        }
        guard input.count < Int(Int32.max) - 1 else {
            throw RunFolderError.malformed(path: path, line: nil, reason: "the file is larger than 2 GB; split it")
        }
        var data = input
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var header: [String] = []
        var bounds: [Int32] = []
        var lines: [Int32] = []
        var record: [Int32] = []
        var keptEnd = 0
        var torn = false
        var line = 1
        var width = 0
        try data.withUnsafeBufferPointer { p in
            let end = p.count
            var i = 0
            while i < end {
                // One record, starting at byte i on `line`.
                let recordLine = line
                record.removeAll(keepingCapacity: true)
                var terminated = false
                while true {
                    let start = i
                    if i < end && p[i] == quote {
                        i += 1
                        var closed = false
                        while i < end {
                            if p[i] == quote {
                                if i + 1 < end && p[i + 1] == quote { i += 2; continue }
                                closed = true
                                i += 1
                                break
                            }
                            if p[i] == newline { line += 1 }
                            i += 1
                        }
                        if !closed {
                            if ignoresTornLastLine { torn = true; return }
                            throw fail(recordLine, "a quoted field opened on this line is not closed; "
                                       + "quotes inside a field are doubled (\"\")")
                        }
                        if i < end && p[i] == carriageReturn && i + 1 < end && p[i + 1] == newline { i += 1 }
                        if i < end && p[i] != comma && p[i] != newline {
                            throw fail(line, "text follows the closing quote of a field; a quote inside a "
                                       + "field is doubled (\"\") and the field is quoted as a whole")
                        }
                    } else {
                        while i < end && p[i] != comma && p[i] != newline { i += 1 }
                    }
                    var fieldEnd = i
                    if fieldEnd > start && p[fieldEnd - 1] == carriageReturn && (i == end || p[i] == newline) {
                        fieldEnd -= 1
                    }
                    record.append(Int32(start))
                    record.append(Int32(fieldEnd))
                    if i >= end { break }
                    if p[i] == newline { terminated = true; line += 1; i += 1; break }
                    i += 1  // the comma
                }
                if !terminated && ignoresTornLastLine { torn = true; return }
                keptEnd = i
                // A blank line is skipped.
                if record.count == 2 && (record[0]..<record[1]).allSatisfy({ p[Int($0)] == 32 || p[Int($0)] == 9 }) {
                    continue
                }
                if width == 0 {
                    width = record.count / 2
                    header = stride(from: 0, to: record.count, by: 2).map {
                        Self.text(p, Int(record[$0]), Int(record[$0 + 1]))
                    }
                    var seen: [String: Int] = [:]
                    for (index, name) in header.enumerated() {
                        if let first = seen[name] {
                            throw fail(recordLine, "the header names column '\(Self.clipped(name))' twice (columns "
                                       + "\(first + 1) and \(index + 1)); give every column its own name")
                        }
                        seen[name] = index
                    }
                } else {
                    guard record.count / 2 == width else {
                        throw fail(recordLine, "the row has \(record.count / 2) fields but the header has \(width); "
                                   + "every row needs one field per column")
                    }
                    bounds += record
                    lines.append(Int32(truncatingIfNeeded: recordLine))
                }
            }
        }
        guard width > 0 else {
            throw RunFolderError.malformed(path: path, line: nil, reason: "the file is empty; it needs a header row")
        }
        data.removeSubrange(keptEnd...)
        data.append(0)
        self.bytes = data
        self.columns = header
        self.bounds = bounds
        self.lines = lines
        self.tornLine = torn
        self.count = lines.count
    }

    // MARK: - Reading fields

    /// The index of a column, or an error naming the file and the columns it has.
    public func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            let known = columns.map { Self.clipped($0) }.joined(separator: ", ")
            throw RunFolderError.malformed(path: path, line: 1, reason: "no column '\(Self.clipped(name))' "
                                           + "(columns: \(Self.clipped(known, limit: 200)))")
        }
        return index
    }

    /// The file line of data row `r` (1-based; the header is on line 1 unless blank lines precede it).
    public func line(ofRow r: Int) -> Int { Int(lines[r]) }

    /// The text of field `column` of row `row`, unquoted.
    public func text(row: Int, column: Int) -> String {
        let (start, end) = span(row, column)
        return bytes.withUnsafeBufferPointer { Self.text($0, start, end) }
    }

    /// The number in field `column` of row `row`: nil for an empty field, `nan`, `inf` and `-inf` read as
    /// such, surrounding spaces allowed; anything else is an error naming the line and column.
    public func number(row: Int, column: Int) throws -> Double? {
        let (start, end) = span(row, column)
        if start == end { return nil }
        return try bytes.withUnsafeBufferPointer { p -> Double? in
            if p[start] != UInt8(ascii: "\"") {
                let base = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
                var stop: UnsafeMutablePointer<CChar>? = nil
                let value = strtod(base + start, &stop)
                var offset = stop.map { $0 - UnsafeMutablePointer(mutating: base) } ?? start
                if offset > start && offset <= end {
                    while offset < end && (p[offset] == 32 || p[offset] == 9) { offset += 1 }
                    if offset == end { return value }
                } else if (start..<end).allSatisfy({ p[$0] == 32 || p[$0] == 9 }) {
                    return nil
                }
            } else {
                let text = Self.text(p, start, end).trimmingCharacters(in: .whitespaces)
                if text.isEmpty { return nil }
                if let value = Double(text) { return value }
            }
            let field = Self.text(p, start, end)
            throw RunFolderError.malformed(path: path, line: line(ofRow: row),
                                           reason: "'\(Self.clipped(field))' in column '\(Self.clipped(columns[column]))' "
                                               + "is not a number")
        }
    }

    /// The numbers of a column (nil for an empty field).
    public func numbers(_ name: String) throws -> [Double?] {
        let c = try column(name)
        return try (0..<count).map { try number(row: $0, column: c) }
    }

    /// The numbers of a column that may be absent from the file (added later, or written by another
    /// framework): all nil then.
    public func optionalNumbers(_ name: String) throws -> [Double?] {
        columns.contains(name) ? try numbers(name) : Array(repeating: nil, count: count)
    }

    /// The numbers of a column that must be present in every row.
    public func required(_ name: String) throws -> [Double] {
        let c = try column(name)
        return try (0..<count).map { r in
            guard let value = try number(row: r, column: c) else {
                throw RunFolderError.malformed(path: path, line: line(ofRow: r),
                                               reason: "column '\(Self.clipped(name))' is empty")
            }
            return value
        }
    }

    /// Whole numbers of a column that must be present in every row, each within ±2⁵³ (the integers a
    /// Double holds exactly), so that no value can trap a conversion.
    public func integers(_ name: String) throws -> [Int] {
        let c = try column(name)
        return try (0..<count).map { r in try integer(row: r, column: c, name: name) }
    }

    /// Whole numbers of a column that may be empty or absent (nil there), each within ±2⁵³.
    public func optionalIntegers(_ name: String) throws -> [Int?] {
        guard let c = columns.firstIndex(of: name) else { return Array(repeating: nil, count: count) }
        return try (0..<count).map { r in
            try number(row: r, column: c) == nil ? nil : try integer(row: r, column: c, name: name)
        }
    }

    private func integer(row r: Int, column c: Int, name: String) throws -> Int {
        let value = try number(row: r, column: c)
        guard let value else {
            throw RunFolderError.malformed(path: path, line: line(ofRow: r), reason: "column '\(Self.clipped(name))' is empty")
        }
        guard let whole = Self.exactInteger(value) else {
            throw RunFolderError.malformed(path: path, line: line(ofRow: r),
                                           reason: "'\(Self.clipped(text(row: r, column: c)))' in column "
                                               + "'\(Self.clipped(name))' is not a whole number between −2⁵³ and 2⁵³")
        }
        return whole
    }

    /// `value` as an Int when it is a whole number within ±2⁵³, else nil.
    public static func exactInteger(_ value: Double) -> Int? {
        guard value.isFinite, value.rounded() == value, abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    /// Every row's fields as texts, unquoted (for small files: summaries, tests).
    public var rows: [[String]] {
        (0..<count).map { r in (0..<columns.count).map { text(row: r, column: $0) } }
    }

    /// The texts of a column, unquoted; repeated texts share storage.
    public func texts(_ name: String) throws -> [String] {
        let c = try column(name)
        var cache: [ArraySlice<UInt8>: String] = [:]
        return bytes.withUnsafeBufferPointer { p in
            (0..<count).map { r in
                let (start, end) = span(r, c)
                let key = bytes[start..<end]
                if let known = cache[key] { return known }
                let text = Self.text(p, start, end)
                cache[key] = text
                return text
            }
        }
    }

    private func span(_ row: Int, _ column: Int) -> (Int, Int) {
        let k = 2 * (row * columns.count + column)
        return (Int(bounds[k]), Int(bounds[k + 1]))
    }

    /// The text of a field between `start` and `end`, unquoted.
    private static func text(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        guard end > start else { return "" }
        if p[start] == UInt8(ascii: "\""), end - start >= 2 {
            var inner = String(decoding: UnsafeBufferPointer(rebasing: p[(start + 1)..<(end - 1)]), as: UTF8.self)
            if inner.contains("\"\"") { inner = inner.replacingOccurrences(of: "\"\"", with: "\"") }
            return inner
        }
        return String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
    }

    /// At most `limit` characters of `text` for a message, with line breaks shown as ⏎: a 10 MB field
    /// is never echoed back whole.
    public static func clipped(_ text: String, limit: Int = 80) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: "⏎").replacingOccurrences(of: "\n", with: "⏎")
            .replacingOccurrences(of: "\r", with: "⏎")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "… (\(flat.count) characters)"
    }
}
