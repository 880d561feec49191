import Foundation
import RunFormat

/// The figures of one run, built from its records: each is a `Figure` with its data and script.
///
/// A figure whose records are absent (no gradients.csv, no gradient check) is left out. Findings are
/// numbered `F1`, `F2`… in the order of `run.findings` and marked on the figures that show them.
public struct RunFigures {
    public let run: RunData
    /// Longest series drawn per line; longer ones are thinned evenly for drawing.
    public var maximumPoints = 2000
    /// Most step columns in a heatmap.
    public var maximumColumns = 600
    /// The weight tensors in model order: parameters named `*weight`, or every parameter when none is.
    let weightTensors: [String]
    /// The rows of gradients.csv grouped by parameter, in step order.
    let gradientsByTensor: [String: [GradientRow]]

    public init(run: RunData) {
        self.run = run
        var groups: [String: [GradientRow]] = [:]
        var order: [String] = []
        for row in run.gradients {
            if groups[row.parameter] == nil { order.append(row.parameter) }
            groups[row.parameter, default: []].append(row)
        }
        gradientsByTensor = groups
        let weights = order.filter { $0.hasSuffix("weight") }
        weightTensors = LayerOrder.sorted(weights.isEmpty ? order : weights)
    }

    /// Every figure the run's records allow, in reading order.
    public func all() -> [Figure] {
        var figures: [Figure?] = [loss(), gradientNorm()]
        if !run.gradients.isEmpty {
            figures += [layerGradientNorm(), heatmap(.gradientNorm), gradientFlow(), updateRatio(),
                        heatmap(.updateRatio)]
        }
        if !run.activations.isEmpty { figures.append(activity()) }
        if !run.timeSteps.isEmpty { figures += [timeHeatmap(), timeGradientNorm(), timeGates()] }
        figures += histograms()
        figures += gradientChecks()
        return figures.compactMap { $0 }
    }

    /// Dashed lines at the steps of the run's findings of `kinds`, labelled with their numbers.
    func marks(_ kinds: Set<FindingKind>) -> String {
        PlotText.findingMarks(run.findings, kinds: kinds) { $0 + 1 }
    }

    /// The run's name for titles (gnuplot-escaped by the caller through `PlotText.quoted`).
    var runName: String { run.manifest.name }

    // MARK: Loss and global norm

    /// Loss against step on a log axis, with the validation loss where it was evaluated.
    func loss() -> Figure {
        let rows = PlotText.thinned(run.steps.count, limit: maximumPoints).map { run.steps[$0] }
        var data = "# step loss\n" + rows.map { "\($0.step) \(PlotText.positive($0.loss))" }.joined(separator: "\n")
        let validation = run.steps.filter { $0.validationLoss != nil }
        data += "\n\n\n# step val_loss\n" + validation.map { "\($0.step) \(PlotText.positive($0.validationLoss!))" }
            .joined(separator: "\n") + "\n"
        let range = PlotText.logRange(rows.map(\.loss) + validation.compactMap(\.validationLoss)) ?? (0.1, 10)
        var plot = "plot 'loss.dat' index 0 using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'training loss'"
        if !validation.isEmpty {
            plot += ", \\\n     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb '#ff7f0e' title 'validation loss'"
        }
        let commands = """
            set title \(PlotText.quoted("Loss — \(runName)")) noenhanced
            \(PlotText.stepAxis(run.steps.map(\.step)))set ylabel 'loss (log scale)'
            set logscale y
            \(PlotText.yrange(range))set key top right
            \(marks([.stagnation, .plateau, .nonfinite, .exploding]))\(plot)

            """
        return Figure(name: "loss", title: "Loss against step",
                      alt: "Training loss\(validation.isEmpty ? "" : " and validation loss") against step on a log axis",
                      caption: "Training loss per step and validation loss where it was evaluated (log scale). "
                        + "A flat curve is stagnation; a gap at the end is a loss that became NaN.",
                      data: [("loss.dat", data)], commands: commands)
    }

    /// The global gradient norm (before clipping) against step, with the clipping threshold.
    func gradientNorm() -> Figure {
        let rows = PlotText.thinned(run.steps.count, limit: maximumPoints).map { run.steps[$0] }
        let data = "# step grad_norm clipped\n"
            + rows.map { "\($0.step) \(PlotText.positive($0.gradientNorm)) \($0.clipped ? 1 : 0)" }.joined(separator: "\n") + "\n"
        let clip = run.manifest.optimizer["clip_norm"].flatMap(Double.init)
        let range = PlotText.logRange(rows.map(\.gradientNorm) + (clip.map { [$0] } ?? [])) ?? (1e-3, 1e3)
        var plot = "plot 'grad-norm.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'global ‖g‖ before clipping'"
        if rows.contains(where: \.clipped) {
            plot += ", \\\n     '' using 1:($3 > 0 ? $2 : NaN) with points pt 7 ps 0.5 lc rgb '#d62728' title 'clipped step'"
        }
        if let clip {
            plot += ", \\\n     \(clip) with lines dt 2 lw 2 lc rgb '#2ca02c' title 'clip threshold \(clip)'"
        }
        let commands = """
            set title \(PlotText.quoted("Global gradient norm — \(runName)")) noenhanced
            \(PlotText.stepAxis(run.steps.map(\.step)))set ylabel '‖∂L/∂θ‖ (log scale)'
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))set key top right
            \(marks([.exploding, .nonfinite]))\(plot)

            """
        return Figure(name: "grad-norm", title: "Global gradient norm",
                      alt: "Global gradient norm before clipping against step, log axis"
                        + (clip.map { ", with the clipping threshold \($0)" } ?? ""),
                      caption: "The norm of all gradients together, before clipping. Growth by orders of magnitude "
                        + "is an exploding gradient" + (clip == nil ? "; no clipping was set." : "; the dashed line is the clipping threshold."),
                      data: [("grad-norm.dat", data)], commands: commands)
    }

    // MARK: Update ratio and unit activity

    /// ‖Δθ‖/‖θ‖ per weight tensor against step, with the healthy band around 1e-3.
    func updateRatio() -> Figure? {
        let series = weightSeries(\.updateRatio)
        guard let range = PlotText.logRange(series.flatMap { $0.points.map(\.1) } + [1e-4, 1e-2]) else { return nil }
        let data = series.map { s in
            "# \(s.name)\n" + s.points.map { "\($0.0) \(PlotText.positive($0.1))" }.joined(separator: "\n")
        }.joined(separator: "\n\n\n") + "\n"
        let commands = """
            set title \(PlotText.quoted("Update ratio ‖Δθ‖/‖θ‖ per weight tensor — \(runName)")) noenhanced
            \(PlotText.stepAxis(series.flatMap { $0.points.map(\.0) }))set ylabel '‖Δθ‖ / ‖θ‖ (log scale)'
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))\(PlotText.palette)set key outside right top font ',8' noenhanced
            set object 1 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#e5f5e0' fs solid noborder
            set arrow from graph 0, first 1e-3 to graph 1, first 1e-3 nohead dt 2 lw 1.5 lc rgb '#2ca02c' back
            \(marks([.updateRatio]))\(lines("update-ratio.dat", series.map(\.name)))

            """
        return Figure(name: "update-ratio", title: "Update ratio per weight tensor",
                      alt: "Update-to-weight ratio of each weight tensor against step on a log axis, with the band 1e-4 to 1e-2 shaded",
                      caption: "How far each step moves the weights, relative to their size. About 1e-3 (dashed) is "
                        + "healthy; the shaded band is 1e-4 to 1e-2. Below it a layer barely learns, above it the "
                        + "learning rate is too large for it.",
                      data: [("update-ratio.dat", data)], commands: commands)
    }

    /// Saturated and dead fractions of each activation layer against step, side by side.
    func activity() -> Figure {
        let layers = LayerOrder.sorted(run.activations.map(\.layer))
        var blocks: [String] = []
        for layer in layers {
            let rows = run.activations.filter { $0.layer == layer }
            let kept = PlotText.thinned(rows.count, limit: maximumPoints).map { rows[$0] }
            blocks.append("# layer \(layer): step saturated_fraction dead_fraction\n" + kept.map {
                "\($0.step) \(PlotText.number($0.saturatedFraction)) \(PlotText.number($0.deadFraction))"
            }.joined(separator: "\n"))
        }
        let data = blocks.joined(separator: "\n\n\n") + "\n"
        let names = layers.map { "layer \($0)" }
        let commands = """
            \(PlotText.stepAxis(run.activations.map(\.step)))set yrange [0:1.05]
            \(PlotText.palette)\(marks([.dead, .saturated]))set multiplot layout 1,2 title \(PlotText.quoted("Saturated and dead units — \(runName)")) noenhanced
            set title 'saturated fraction'
            set ylabel 'fraction of units'
            set key top left font ',8' noenhanced
            \(lines("activity.dat", names, column: 2))
            set title 'dead fraction'
            \(lines("activity.dat", names, column: 3))
            unset multiplot

            """
        return Figure(name: "activity", title: "Saturated and dead units",
                      alt: "Fraction of saturated units (left) and of dead units (right) in each activation layer against step",
                      caption: "Saturated units sit on the flat tails of sigmoid or tanh and pass almost no gradient; "
                        + "dead ReLU units output zero for every example. Lines are coloured from the input layer "
                        + "(violet) to the output (orange).",
                      data: [("activity.dat", data)], commands: commands)
    }

    // MARK: Shared

    /// A `plot` of one line per block of `file`, coloured by the palette from input to output.
    func lines(_ file: String, _ names: [String], column: Int = 2, width: Double = 1.5) -> String {
        "plot " + names.enumerated().map { i, name in
            "\(i == 0 ? "'\(file)'" : "''") index \(i) using 1:\(column) with lines lw \(width) "
                + "lc palette frac \(PlotText.fraction(i, of: names.count)) title \(PlotText.quoted(name))"
        }.joined(separator: ", \\\n     ")
    }

    /// For each weight tensor, `(step, value)` thinned for drawing.
    func weightSeries(_ value: KeyPath<GradientRow, Double>) -> [(name: String, points: [(Int, Double)])] {
        weightTensors.map { name in
            let rows = gradientsByTensor[name] ?? []
            return (name, PlotText.thinned(rows.count, limit: maximumPoints).map { (rows[$0].step, rows[$0][keyPath: value]) })
        }
    }
}

/// The distinct elements of `items` in order of first appearance.
func orderedUnique<Item: Hashable>(_ items: [Item]) -> [Item] {
    var seen = Set<Item>()
    return items.filter { seen.insert($0).inserted }
}
