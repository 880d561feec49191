import Foundation
import RunFormat

/// The figures of a comparison: losses overlaid, and small multiples (one panel per run) of gradient
/// flow and of the heatmaps, each set on one shared scale so that panels compare by eye.
struct ComparisonFigures {
    var runs: [RunData]
    var names: [String]
    var maximumPoints = 2000
    var maximumColumns = 400

    func all() -> [Figure] {
        var figures = [loss()]
        if runs.contains(where: { !$0.gradients.isEmpty }) {
            figures += [flow(), heatmaps(.gradientNorm), heatmaps(.updateRatio)].compactMap { $0 }
        }
        if runs.contains(where: { !$0.timeSteps.isEmpty }) {
            figures += [timeHeatmaps(), timeGradientNorms()].compactMap { $0 }
        }
        return figures
    }

    /// gnuplot's colour for run `i` (its default line types cycle through eight colours).
    func colour(_ i: Int) -> String { "lt \(i % 8 + 1)" }

    func loss() -> Figure {
        var blocks: [String] = []
        var values: [Double] = []
        var steps: [Int] = []
        for run in runs {
            let rows = PlotText.thinned(run.steps.count, limit: maximumPoints).map { run.steps[$0] }
            values += rows.map(\.loss)
            steps += rows.map(\.step)
            blocks.append("# \(run.manifest.name): step loss\n" + rows.map { "\($0.step) \(PlotText.positive($0.loss))" }
                .joined(separator: "\n"))
        }
        let range = PlotText.logRange(values) ?? (0.1, 10)
        let plot = "plot " + names.enumerated().map { i, name in
            "\(i == 0 ? "'compare-loss.dat'" : "''") index \(i) using 1:2 with lines lw 1.5 \(colour(i)) title \(PlotText.quoted(name))"
        }.joined(separator: ", \\\n     ")
        let commands = """
            set title 'Training loss of each run' noenhanced
            \(PlotText.stepAxis(steps))set ylabel 'loss (log scale)'
            set logscale y
            \(PlotText.yrange(range))set key outside right top font ',8' noenhanced
            \(plot)

            """
        return Figure(name: "compare-loss", title: "Training loss of each run",
                      alt: "Training loss against step of every run, overlaid on a log axis",
                      caption: "Training loss per step of each run on one log axis.",
                      data: [("compare-loss.dat", blocks.joined(separator: "\n\n\n") + "\n")], commands: commands)
    }

    /// Grid layout for `n` panels: at most three columns.
    func layout(_ n: Int) -> (rows: Int, columns: Int) {
        let columns = min(n, 3)
        return ((n + columns - 1) / columns, columns)
    }

    /// Gradient flow at each run's last recorded step, one panel per run, one shared log scale.
    func flow() -> Figure? {
        var data: [(file: String, contents: String)] = []
        var all: [Double] = []
        var panels: [(RunFigures, Int, String)] = []
        for (i, run) in runs.enumerated() where !run.gradients.isEmpty {
            let figures = RunFigures(run: run)
            let step = figures.flowSteps.last!
            let (contents, values) = figures.flowData(steps: [step])
            all += values
            let file = "compare-flow-\(i + 1).dat"
            data.append((file, contents))
            panels.append((figures, step, file))
        }
        guard let range = PlotText.logRange(all) else { return nil }
        let (rows, columns) = layout(panels.count)
        var commands = "set multiplot layout \(rows),\(columns) title 'Gradient flow at the last recorded step (shared scale)'\n"
            + "set ylabel 'gradient (log scale)'\n"
        for (k, (figures, step, file)) in panels.enumerated() {
            let name = names[runs.firstIndex { $0.folder == figures.run.folder } ?? k]
            commands += RunFigures.flowPanels(file: file, titles: ["\(name), step \(step)"], tensors: figures.weightTensors,
                                              range: range)
        }
        commands += "unset multiplot\n"
        return Figure(name: "compare-flow", title: "Gradient flow by run",
                      alt: "Small multiples: gradient norm and largest |g| of each weight tensor, one panel per run, shared log scale",
                      caption: "Each panel is one run at its last recorded step, input layer on the left, on one shared "
                        + "log scale: a panel whose bars fall to the left has vanishing gradients.",
                      data: data, commands: commands, width: 420 * columns, height: 360 * rows)
    }

    /// Heatmaps of one quantity, one panel per run, on one colour range.
    func heatmaps(_ quantity: RunFigures.HeatmapQuantity) -> Figure? {
        var data: [(file: String, contents: String)] = []
        var all: [Double] = []
        var panels: [(name: String, steps: [Int], tensors: [String], file: String)] = []
        for (i, run) in runs.enumerated() where !run.gradients.isEmpty {
            var figures = RunFigures(run: run)
            figures.maximumColumns = maximumColumns
            let (contents, values, steps) = figures.heatmapData(quantity)
            guard !values.isEmpty, steps.count >= 2 else { continue }
            all += values
            let file = "compare-\(quantity.name)-\(i + 1).dat"
            data.append((file, contents))
            panels.append((names[i], steps, figures.weightTensors, file))
        }
        guard !panels.isEmpty else { return nil }
        let colours = RunFigures.colourRange(all)
        let (rows, columns) = layout(panels.count)
        let title = quantity == .gradientNorm ? "log10 gradient norm" : "log10 update ratio"
        var commands = """
            set multiplot layout \(rows),\(columns) title 'Heatmaps of \(title) (shared colour scale)'
            set cbrange [\(colours.0):\(colours.1)]
            set cblabel '\(quantity.label)'
            set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
            set key off
            set xlabel 'step'
            set ylabel 'tensor (input → output)'

            """
        for p in panels {
            commands += "set title \(PlotText.quoted(p.name)) noenhanced\n"
            commands += "set xrange [\(p.steps.first!):\(p.steps.last!)]\nset yrange [-0.5:\(Double(p.tensors.count) - 0.5)]\n"
            commands += "set ytics (\(p.tensors.enumerated().map { "\(PlotText.quoted($0.element)) \($0.offset)" }.joined(separator: ", "))) font ',7' noenhanced\n"
            commands += "plot '\(p.file)' using 1:2:3 with image\n"
        }
        commands += "unset multiplot\n"
        return Figure(name: "compare-\(quantity.name)", title: "Heatmaps of \(title) by run",
                      alt: "Small multiples: heatmap of \(title) per weight tensor against step, one panel per run, one colour scale",
                      caption: "One panel per run; rows are weight tensors (input at the bottom). All panels share the "
                        + "colour range \(colours.0) to \(colours.1), so equal colours mean equal values.",
                      data: data, commands: commands, width: 420 * columns, height: 340 * rows)
    }

    /// The through-time heatmaps of every run's recurrent layers, one panel per run and layer, on one colour
    /// range.
    func timeHeatmaps() -> Figure? {
        var data: [(file: String, contents: String)] = []
        var all: [Double] = []
        var panels: [(title: String, file: String, index: Int, steps: [Int], length: Int)] = []
        for (i, run) in runs.enumerated() where !run.timeSteps.isEmpty {
            var figures = RunFigures(run: run)
            figures.maximumColumns = maximumColumns
            let (contents, values, runPanels) = figures.timeHeatmapData()
            guard !values.isEmpty else { continue }
            all += values
            let file = "compare-time-heatmap-\(i + 1).dat"
            data.append((file, contents))
            panels += runPanels.map { ("\(names[i]), \($0.series.label)", file, $0.index, $0.steps, $0.series.length) }
        }
        guard !panels.isEmpty else { return nil }
        let colours = RunFigures.colourRange(all)
        let (rows, columns) = layout(panels.count)
        var commands = "set multiplot layout \(rows),\(columns) title 'log10 ‖∂L/∂h_t‖ through time (shared colour scale)'\n"
            + RunFigures.timeHeatmapSettings(colours: colours)
        for p in panels {
            commands += RunFigures.timeHeatmapPanel(file: p.file, index: p.index, title: p.title, steps: p.steps,
                                                    length: p.length)
        }
        commands += "unset multiplot\n"
        return Figure(name: "compare-time-heatmap", title: "Heatmaps of the gradient through time by run",
                      alt: "Small multiples: heatmap of log10 gradient norm at each hidden state, time step across and "
                        + "training step up, one panel per run and recurrent layer, one colour scale",
                      caption: "One panel per run and recurrent layer. All panels share the colour range "
                        + "\(colours.0) to \(colours.1), so equal colours mean equal gradient norms.",
                      data: data, commands: commands, width: 420 * columns, height: 340 * rows)
    }

    /// ‖∂L/∂h_t‖ against t at a few training steps, one panel per run and recurrent layer, on one y range.
    func timeGradientNorms() -> Figure? {
        var data: [(file: String, contents: String)] = []
        var all: [Double] = []
        var panels: [(title: String, file: String, index: Int, steps: [Int])] = []
        for (i, run) in runs.enumerated() where !run.timeSteps.isEmpty {
            let (contents, values, runPanels) = RunFigures(run: run).timeGradientNormData()
            all += values
            let file = "compare-time-grad-norm-\(i + 1).dat"
            data.append((file, contents))
            panels += runPanels.map { ("\(names[i]), \($0.series.label)", file, $0.index, $0.steps) }
        }
        guard !panels.isEmpty, let range = PlotText.logRange(all) else { return nil }
        let (rows, columns) = layout(panels.count)
        var commands = "set multiplot layout \(rows),\(columns) title 'Gradient through time (shared scale)'\n"
            + RunFigures.timeGradientNormSettings(range: range)
        for p in panels {
            commands += RunFigures.timeGradientNormPanel(file: p.file, index: p.index, title: p.title, steps: p.steps)
        }
        commands += "unset multiplot\n"
        return Figure(name: "compare-time-grad-norm", title: "Gradient norm through time by run",
                      alt: "Small multiples: gradient norm at each hidden state against time step at a few training "
                        + "steps, one panel per run and recurrent layer, one shared log axis",
                      caption: "One panel per run and recurrent layer, on one shared log axis: lines that fall further "
                        + "towards t = 1 are gradients vanishing faster through time.",
                      data: data, commands: commands, width: 420 * columns, height: 340 * rows)
    }
}
