import ArgumentParser

@main
struct GradLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradlab",
        abstract: "Gradient diagnostics for neural networks: are the gradients right, and are they healthy?",
        version: "0.1.0",
        subcommands: [Demo.self]
    )
}
