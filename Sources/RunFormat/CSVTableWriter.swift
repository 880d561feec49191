import Foundation

/// Appends rows to one run-folder CSV file: RFC 4180, a header row first, buffered in memory and handed
/// to the operating system by `flush()`.
///
/// What `flush()` has written survives the process being killed at any moment (the kernel owns it);
/// a row being written when the process dies leaves a last line without its newline, which readers
/// ignore. The writer never reopens the file per row.
public final class CSVTableWriter<Record: CSVRecord> {
    public let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    /// Creates the file with its header row; fails if it exists (a run folder is never overwritten here).
    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw RunFolderError.cannotWrite(path: url.path, reason: "cannot create the file")
        }
        do {
            handle = try FileHandle(forWritingTo: url)
        } catch {
            throw RunFolderError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
        buffer.reserveCapacity(1 << 16)
        append(line: Record.columns.joined(separator: ","))
        try flush()
    }

    deinit { try? handle.close() }

    /// Queues one row; nothing reaches the file before `flush()`. The row is written straight into the
    /// buffer (`CSVLine`), with no string per field.
    public func append(_ record: Record) {
        // The buffer is lent to the line and taken back by swapping, so that one array holds the bytes
        // throughout and appending never copies it.
        var line = CSVLine()
        swap(&line.bytes, &buffer)
        record.write(to: &line)
        line.bytes.append(UInt8(ascii: "\n"))
        swap(&line.bytes, &buffer)
    }

    private func append(line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Bytes queued and not yet written.
    public var pendingBytes: Int { buffer.count }

    /// Writes every queued row to the file.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RunFolderError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A run folder that cannot be written or read.
public enum RunFolderError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, reason: String)
    case exists(path: String)
    case missing(path: String)
    case malformed(path: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            reason.contains("--out") ? "cannot write \(path): \(reason)"
                : "cannot write \(path): \(reason); check that the folder is writable or choose another with --out"
        case .exists(let path):
            "the run folder \(path) already exists; pass --force to replace it, or choose another --out"
        case .missing(let path):
            "\(path) does not exist; give a run folder written by `gradlab train` (it holds run.json)"
        case .malformed(let path, let line, let reason):
            "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)"
        }
    }
}
