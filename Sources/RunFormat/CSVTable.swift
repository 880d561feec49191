import Foundation

/// A run-folder CSV file read back tolerantly: a last line without its newline (a row torn by a kill)
/// is ignored, and columns are found by name, so files with added columns still read.
public struct CSVTable: Sendable {
    public let url: URL
    public let columns: [String]
    public let rows: [[String]]

    /// Reads `url`. A missing file or a missing header is an error; fields are RFC 4180.
    public init(url: URL) throws {
        self.url = url
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunFolderError.missing(path: url.path)
        }
        var text = String(decoding: data, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") {
            text = String(text[...lastNewline])  // drop a torn last line
        } else {
            text = ""
        }
        var records = Self.parse(text)
        guard !records.isEmpty else {
            throw RunFolderError.malformed(path: url.path, line: 1, reason: "no header row")
        }
        columns = records.removeFirst()
        rows = records
    }

    /// The index of a column, or an error naming the file and the columns it has.
    public func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw RunFolderError.malformed(path: url.path, line: 1,
                                           reason: "no column '\(name)' (columns: \(columns.joined(separator: ", ")))")
        }
        return index
    }

    /// The numbers of a column (`nan`, `inf`, `-inf` read as such; an empty field as nil).
    public func numbers(_ name: String) throws -> [Double?] {
        let index = try column(name)
        return try rows.enumerated().map { line, row in
            guard index < row.count else {
                throw RunFolderError.malformed(path: url.path, line: line + 2, reason: "the row has \(row.count) fields, "
                                               + "the header \(columns.count)")
            }
            let text = row[index]
            if text.isEmpty { return nil }
            switch text {
            case "nan": return .nan
            case "inf": return .infinity
            case "-inf": return -.infinity
            default:
                guard let value = Double(text) else {
                    throw RunFolderError.malformed(path: url.path, line: line + 2,
                                                   reason: "'\(text)' in column '\(name)' is not a number")
                }
                return value
            }
        }
    }

    /// The texts of a column.
    public func texts(_ name: String) throws -> [String] {
        let index = try column(name)
        return rows.map { index < $0.count ? $0[index] : "" }
    }

    /// RFC 4180 records of complete lines.
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": record.append(field); field = ""
            case "\r": break
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        return records
    }
}
