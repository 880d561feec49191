import ArgumentParser
import Experiments
import Foundation
import Reports
import RunFormat

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
        subcommands: [Train.self, Check.self, Compare.self, Report.self, Inspect.self, Export.self, Demo.self]
    )

    /// Runs the command. Usage and input errors exit with status 2 and one line on stderr,
    /// `gradlab: error: WHAT`; `--help` and `--version` print and exit 0; a thrown `ExitCode` exits with it.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            if let message = userMessage(for: error) { fail(message) }
            switch exitCode(for: error) {
            case .success: exit(withError: error)  // --help, --version
            case .validationFailure: fail(message(for: error))  // ArgumentParser's usage errors
            default: fail(FileAccess.words(for: error))  // never Foundation's own text
            }
        }
    }

    /// Prints `message` as one line on stderr and exits with status 2.
    static func fail(_ message: String) -> Never {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        let clipped = line.count > 600 ? String(line.prefix(600)) + "…" : line
        FileHandle.standardError.write(Data("gradlab: error: \(clipped)\n".utf8))
        Foundation.exit(2)
    }

    /// The message of an error the user can fix, nil for ArgumentParser's own errors.
    static func userMessage(for error: Error) -> String? {
        switch error {
        case let error as UserError: error.message
        case let error as ConfigError: error.description
        case let error as ExperimentError: error.description
        case let error as SweepError: error.description
        case let error as RunFolderError: error.description
        case let error as CSVDataset.LoadError: error.description
        case let error as SafeTensorsError: error.description
        case let error as CheckpointError: error.description
        case let error as FileAccessError: error.description
        case let error as GnuplotError: error.description
        case let error as SlurmError: error.description
        default: nil
        }
    }
}

/// Something the user can fix (a missing program, an unwritable folder, a malformed file): printed on
/// one line, exit status 2.
struct UserError: Error {
    var message: String
}
