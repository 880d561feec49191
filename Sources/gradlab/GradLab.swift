import ArgumentParser
import Foundation

@main
struct GradLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradlab",
        abstract: "Gradient diagnostics for neural networks: are the gradients right, and are they healthy?",
        discussion: """
            Exit status: 0 on success (findings are results, not failures); 1 when a gradient check finds \
            a wrong gradient or a run diverges; 2 for a usage or input error.
            """,
        version: "0.1.0",
        subcommands: [Train.self, Check.self, Compare.self, Report.self, Inspect.self, Demo.self]
    )

    /// Runs the command; usage and input errors exit with status 2 and a one-line message on stderr.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UserError {
            FileHandle.standardError.write(Data("gradlab: error: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Something the user can fix (a missing program, an unwritable folder, a malformed file): printed on
/// one line, exit status 2.
struct UserError: Error {
    var message: String
}
