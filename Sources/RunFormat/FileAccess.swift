import Foundation

/// A file or folder that cannot be read or written, said in words: the path and what is wrong with it.
/// No Foundation error text reaches the user through this type.
public struct FileAccessError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    /// What is wrong, with the fix where there is one ("is a folder, not a file").
    public var problem: String
    /// Whether nothing exists at `path`.
    public var isMissing: Bool

    public init(path: String, problem: String, isMissing: Bool = false) {
        self.path = path
        self.problem = problem
        self.isMissing = isMissing
    }

    public var description: String { "\(path): \(problem)" }
}

/// Reading files and preparing folders with failures in words, from the system's error numbers.
public enum FileAccess {
    /// The whole file at `path`. Fails in words when it is missing, a folder, unreadable, or when a part of
    /// the path is a file.
    public static func read(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error(errno, path: path, writing: false) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw error(errno, path: path, writing: false) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileAccessError(path: path, problem: (info.st_mode & S_IFMT) == S_IFDIR
                                  ? "is a folder, not a file" : "is not a regular file")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw error(errno, path: path, writing: false)
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// Makes sure `path` is a folder that can be written, creating it and its parents if needed. Fails
    /// in words: a part of the path is a file, a parent is not writable, the path is a file.
    public static func prepareFolder(_ path: String) throws {
        try checkFolderCanBePrepared(path)
        var info = stat()
        if stat(path, &info) == 0 { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileAccessError(path: path, problem: "cannot create the folder: " + words(for: error))
        }
    }

    /// Checks, without creating anything, that `prepareFolder(path)` can succeed: `path` is a folder that
    /// can be written, or does not exist and its nearest existing ancestor is one. Fails in the same words,
    /// so that a command can refuse an output folder before it starts work.
    public static func checkFolderCanBePrepared(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw FileAccessError(path: path, problem: "is a file, not a folder; choose another path")
            }
            guard access(path, W_OK) == 0 else { throw error(errno, path: path, writing: true) }
            return
        }
        if let blocked = firstNonFolderAncestor(of: path) {
            throw FileAccessError(path: path, problem: "\(blocked) is a file, not a folder, so nothing can be "
                                  + "created under it; choose another path")
        }
        var ancestor = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        while stat(ancestor.path, &info) != 0 && ancestor.path != "/" { ancestor.deleteLastPathComponent() }
        guard access(ancestor.path, W_OK) == 0 else {
            throw FileAccessError(path: path, problem: "cannot create the folder: "
                                  + sentence(for: errno, writing: true))
        }
    }

    /// The first existing ancestor of `path` (or `path` itself) that is not a folder, if any.
    static func firstNonFolderAncestor(of path: String) -> String? {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while url.path != "/" && !url.path.isEmpty {
            var info = stat()
            if stat(url.path, &info) == 0 {
                return (info.st_mode & S_IFMT) == S_IFDIR ? nil : url.path
            }
            url.deleteLastPathComponent()
        }
        return nil
    }

    /// A failure as words: the system's error number behind a Foundation error when it has one, else a
    /// plain sentence. Never Foundation's own text.
    public static func words(for error: Error) -> String {
        if let access = error as? FileAccessError { return access.problem }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return sentence(for: Int32(ns.code), writing: false) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return sentence(for: Int32(underlying.code), writing: false)
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder; check the path"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied; check the permissions"
            case .fileWriteOutOfSpace: return "the disk is full"
            case .fileWriteVolumeReadOnly: return "the file system is read-only"
            case .fileWriteFileExists: return "something of that name exists already"
            case .fileReadCorruptFile: return "the file's contents cannot be read as expected"
            default: break
            }
        }
        return "the operation failed (error \(ns.code)); check the path and its permissions"
    }

    /// The error for the system error number `code` at `path`, in words.
    public static func error(_ code: Int32, path: String, writing: Bool) -> FileAccessError {
        if code == ENOTDIR, let blocked = firstNonFolderAncestor(of: path), blocked != path {
            return FileAccessError(path: path, problem: "\(blocked) is a file, not a folder; check the path")
        }
        return FileAccessError(path: path, problem: sentence(for: code, writing: writing), isMissing: code == ENOENT)
    }

    /// Words for a system error number.
    static func sentence(for code: Int32, writing: Bool) -> String {
        switch code {
        case ENOENT: "no such file or folder; check the path"
        case EISDIR: "is a folder, not a file"
        case ENOTDIR: "a part of the path is a file, not a folder; check the path"
        case EACCES, EPERM: writing ? "permission denied; choose a folder you can write to"
                                    : "permission denied; check the file's permissions"
        case ENOSPC: "the disk is full"
        case EROFS: "the file system is read-only; choose another folder"
        case ENAMETOOLONG: "the path is too long"
        case ELOOP: "the path has a loop of symbolic links"
        case EMFILE, ENFILE: "too many open files"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
