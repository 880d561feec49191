import ArgumentParser
import Backprop
import Experiments
import Foundation
import Reports

/// `gradlab demo`: the main job. For now, the gradient flow of a deep sigmoid network against its ReLU
/// twin, before training, as a table and a figure.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show vanishing gradients: a deep sigmoid MLP against ReLU with He initialisation.",
        discussion: """
            Builds two MLPs of 16 → 10 hidden layers of 64 → 4 from the same seed, one with sigmoid and \
            the classic U[±1/√fan_in] initialisation (Glorot & Bengio 2010), one with ReLU and He-normal \
            (He et al. 2015), runs one forward and backward pass on the same batch, and prints each Linear \
            layer's weight-gradient norm. The figure gradient-flow.png (with its .gp script and data) goes \
            into --out.
            """
    )

    @Option(name: .long, help: "Folder for the figure, its data and its gnuplot script.")
    var out: String = "out/demo"

    @Option(name: .long, help: "Seed for weights and data.")
    var seed: UInt64 = 7

    func run() throws {
        let sizes = [16] + Array(repeating: 64, count: 10) + [4]
        let snapshots = [
            GradientFlowSnapshot.measure(label: "sigmoid, classic init", sizes: sizes, activation: .sigmoid,
                                         initializer: .classic, seed: seed),
            GradientFlowSnapshot.measure(label: "relu, he-normal init", sizes: sizes, activation: .relu,
                                         initializer: .heNormal(), seed: seed),
        ]
        print("Weight-gradient norm per Linear layer, one backward pass, MLP \(sizes.map(String.init).joined(separator: ",")):")
        print("layer".padding(toLength: 12, withPad: " ", startingAt: 0)
              + snapshots.map { $0.label.padding(toLength: 24, withPad: " ", startingAt: 0) }.joined())
        for i in snapshots[0].layers.indices {
            let row = snapshots.map { String(format: "%-24.3e", $0.layers[i].statistics.norm) }.joined()
            print(snapshots[0].layers[i].parameter.padding(toLength: 12, withPad: " ", startingAt: 0) + row)
        }
        for s in snapshots {
            print(String(format: "%@: first/last layer gradient ratio %.2e", s.label, s.depthRatio))
        }
        let figure = GradientFlowFigure(
            name: "gradient-flow", title: "Gradient norm by depth before training",
            series: snapshots.map { .init(label: $0.label, norms: $0.layers.map(\.statistics.norm)) })
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError(message: "cannot write the figure to \(folder.path): \(error.localizedDescription); "
                            + "choose another folder with --out")
        }
        do {
            let image = try figure.render(into: folder)
            print("Figure: \(image.path)")
        } catch let error as GnuplotError {
            throw UserError(message: error.description)
        }
    }
}
