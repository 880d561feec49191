import CGnuplot
import Foundation

/// A failure to render with gnuplot, with gnuplot's own message.
public enum GnuplotError: Error, CustomStringConvertible, Equatable {
    /// The gnuplot program is not installed or not on PATH.
    case notFound(executable: String)
    /// gnuplot ran and failed; `message` is what it wrote to its standard error.
    case failed(status: Int32, message: String)
    /// The pipe to gnuplot could not be opened.
    case cannotStart(message: String)

    public var description: String {
        switch self {
        case .notFound(let executable):
            "gnuplot was not found ('\(executable)' is not on PATH or not executable); install it with "
                + "`make setup` or `apt-get install gnuplot-nox`"
        case .failed(let status, let message):
            "gnuplot failed (exit status \(status)): "
                + message.trimmingCharacters(in: .whitespacesAndNewlines)
                    .replacingOccurrences(of: "\n", with: " | ")
        case .cannotStart(let message):
            "cannot start gnuplot: \(message)"
        }
    }
}

/// Runs gnuplot scripts through the CGnuplot facade (gnuplot-iostream).
public struct Gnuplot: Sendable {
    /// The program to run: a name looked up on PATH, or a path.
    public var executable: String

    public init(executable: String = "gnuplot") {
        self.executable = executable
    }

    /// Runs `script` with `directory` as gnuplot's working directory, so relative file names in the
    /// script (data and output) resolve there. Returns what gnuplot wrote to stderr (warnings) on success.
    @discardableResult
    public func run(script: String, in directory: URL) throws -> String {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = cgnuplot_run(executable, script, directory.path, &buffer, buffer.count)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case 0: return message
        case 126, 127: throw GnuplotError.notFound(executable: executable)
        case -1: throw GnuplotError.cannotStart(message: message)
        default: throw GnuplotError.failed(status: status, message: message)
        }
    }
}
