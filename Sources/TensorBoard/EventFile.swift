import Foundation
import RunFormat

/// An event file as TensorBoard reads it: `events.out.tfevents.<seconds>.<host>.<pid>`, a sequence of
/// TFRecord-framed event records, appended and never rewritten, so that TensorBoard (which re-reads
/// files as they grow) shows new events while they are written.
///
/// Each record is framed as
/// ```
/// uint64 length · uint32 masked CRC-32C of those 8 bytes · data · uint32 masked CRC-32C of data
/// ```
/// all little-endian (`MaskedCRC32C`). The first record says the file's version, `brain.Event:2`.
///
/// Reference: TensorFlow's `tensorflow/core/lib/io/record_writer.cc` and `core/util/events_writer.cc`.
final class EventFile {
    let path: String
    private let descriptor: Int32

    /// Creates a new event file in `folder` (which must exist) and writes its version record. Never
    /// replaces a file: a name already taken is an error.
    init(folder: String, wallTime: Double) throws {
        var host = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&host, host.count) == 0 ? String(cString: host) : "localhost"
        let name = "events.out.tfevents.\(Int(wallTime)).\(hostName.isEmpty ? "localhost" : hostName).\(getpid())"
        path = (folder as NSString).appendingPathComponent(name)
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileAccess.error(errno, path: path, writing: true) }
        try append([EventRecord.fileVersion(wallTime: wallTime)])
    }

    deinit { close(descriptor) }

    /// Appends `records`, each framed, in one write, so that a reader never sees half of a batch that
    /// succeeded.
    func append(_ records: [[UInt8]]) throws {
        var bytes: [UInt8] = []
        for data in records {
            let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
            bytes += length
            withUnsafeBytes(of: MaskedCRC32C.masked(length).littleEndian) { bytes += $0 }
            bytes += data
            withUnsafeBytes(of: MaskedCRC32C.masked(data).littleEndian) { bytes += $0 }
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileAccess.error(errno, path: path, writing: true)
            }
            written += n
        }
    }
}
