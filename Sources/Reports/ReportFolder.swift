import Foundation
import RunFormat

/// File operations of the report writers, with failures as `RunFolderError.cannotWrite` naming the path.
enum ReportFolder {
    /// Creates the folders (and their parents) and checks that they can be written.
    static func prepare(_ folders: [URL]) throws {
        for folder in folders {
            do {
                try FileAccess.prepareFolder(folder.path)
            } catch let error as FileAccessError {
                throw RunFolderError.cannotWrite(path: folder.path, reason: error.problem)
            }
        }
    }

    /// Copies `files` from `source` into `target`, replacing older copies.
    static func copy(_ files: [String], from source: URL, to target: URL) throws {
        for file in files {
            let destination = target.appendingPathComponent(file)
            try? FileManager.default.removeItem(at: destination)
            do {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: destination)
            } catch {
                throw RunFolderError.cannotWrite(path: destination.path, reason: FileAccess.words(for: error))
            }
        }
    }

    /// Writes `text` as UTF-8 to `url`, atomically.
    static func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw RunFolderError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
    }
}
