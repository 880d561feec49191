import Foundation

/// Progress of a long job on stderr: a bar redrawn in place on a terminal, a plain line every tenth of
/// the work otherwise (logs and CI).
final class ProgressReporter {
    let total: Int
    let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var lastDecile = -1
    private var drawn = false

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    /// Shows `done` of `total`, with `detail` (e.g. the loss) after the bar.
    func update(_ done: Int, detail: String) {
        if isTerminal {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = now
            let width = 30
            let filled = min(width, done * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            write("\r\(label) [\(bar)] \(done)/\(total) \(detail)\u{1B}[K")
            drawn = true
        } else {
            let decile = done * 10 / total
            guard decile > lastDecile else { return }
            lastDecile = decile
            write("\(label): \(done)/\(total) \(detail)\n")
        }
    }

    /// Ends the bar's line before other output.
    func finish() {
        if drawn { write("\n"); drawn = false }
    }

    /// Prints a message on its own line, keeping the bar below it.
    func message(_ text: String) {
        if drawn { write("\r\u{1B}[K") }
        write(text + "\n")
        lastDraw = .distantPast
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
