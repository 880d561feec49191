import Foundation
import RunFormat

/// One recurrent layer's (and stacked layer's) rows of timesteps.csv, grouped by training step.
struct TimeSeries {
    var layer: String
    var stack: Int
    /// `layer 0`, or `layer 0, stack 1` for a layer with more than one stacked layer.
    var label: String
    /// The recorded steps, ascending.
    var steps: [Int]
    /// Each recorded step's rows, in t order.
    var rows: [Int: [TimeStepRow]]

    /// The largest time step recorded.
    var length: Int { rows.values.compactMap { $0.last?.t }.max() ?? 0 }
}

/// The figures of recurrent layers, drawn from timesteps.csv: ‖∂L/∂h_t‖ over time step × training step as
/// a heatmap, ‖∂L/∂h_t‖ against t at a few training steps, and the gates' saturated fractions. Layer names
/// reach the scripts through `PlotText.quoted`, and the data files' comment lines through `gnuplotEscaped`,
/// which keeps each on its line.
extension RunFigures {
    /// The series of timesteps.csv, layers in model order, then stacked layers.
    var timeSeries: [TimeSeries] {
        var groups: [String: [TimeStepRow]] = [:]
        var stacks: [String: Set<Int>] = [:]
        for row in run.timeSteps {
            groups["\(row.layer)\u{0}\(row.stack)", default: []].append(row)
            stacks[row.layer, default: []].insert(row.stack)
        }
        return LayerOrder.sorted(Array(stacks.keys)).flatMap { layer in
            stacks[layer]!.sorted().map { stack in
                var byStep: [Int: [TimeStepRow]] = [:]
                for row in groups["\(layer)\u{0}\(stack)"]! { byStep[row.step, default: []].append(row) }
                for step in byStep.keys { byStep[step]!.sort { $0.t < $1.t } }
                return TimeSeries(layer: layer, stack: stack,
                                  label: stacks[layer]!.count > 1 ? "layer \(layer), stack \(stack)" : "layer \(layer)",
                                  steps: byStep.keys.sorted(), rows: byStep)
            }
        }
    }

    /// The heatmap's data: one block per series (gnuplot `index`), one scan line per training step
    /// (thinned to `maximumColumns`) of `t step log10‖∂L/∂h_t‖` (`NaN`, not drawn, where the norm is zero
    /// or not finite). Series with fewer than two steps or time steps cannot be an image and are left out.
    func timeHeatmapData() -> (data: String, values: [Double], panels: [(series: TimeSeries, steps: [Int], index: Int)]) {
        var text = "", values: [Double] = []
        var panels: [(TimeSeries, [Int], Int)] = []
        for series in timeSeries where series.steps.count >= 2 && series.length >= 2 {
            let steps = PlotText.thinned(series.steps.count, limit: maximumColumns).map { series.steps[$0] }
            if !panels.isEmpty { text += "\n" }
            text += "# \(gnuplotEscaped(series.label)): t step log10_grad_norm (one scan line per training step)\n"
            for step in steps {
                var byT: [Int: Double] = [:]
                for row in series.rows[step]! { byT[row.t] = row.gradientNorm }
                for t in 1...series.length {
                    let v = byT[t].map { $0 > 0 && $0.isFinite ? log10($0) : .nan } ?? .nan
                    if v.isFinite { values.append(v) }
                    text += "\(t) \(step) \(PlotText.number(v))\n"
                }
                text += "\n"
            }
            panels.append((series, steps, panels.count))
        }
        return (text, values, panels)
    }

    /// The commands of one heatmap panel: block `index` of `file`, t across, training step up.
    static func timeHeatmapPanel(file: String, index: Int, title: String, steps: [Int], length: Int) -> String {
        "set title \(PlotText.quoted(title)) noenhanced\n"
            + "set xrange [0.5:\(Double(length) + 0.5)]\nset yrange [\(steps.first!):\(steps.last!)]\n"
            + "plot '\(file)' index \(index) using 1:2:3 with image\n"
    }

    /// The settings every time heatmap shares: the colour scale `colours` and its palette.
    static func timeHeatmapSettings(colours: (Double, Double)) -> String {
        """
        set cbrange [\(colours.0):\(colours.1)]
        set cblabel 'log_{10} ‖∂L/∂h_t‖'
        set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
        set key off
        set xlabel 'time step t'
        set ylabel 'training step'

        """
    }

    /// log10 ‖∂L/∂h_t‖ over time step t (across) and training step (up), one panel per recurrent layer.
    /// `range` fixes the colour scale (comparisons share one); by default it spans the data.
    public func timeHeatmap(range: (Double, Double)? = nil) -> Figure? {
        let (data, values, panels) = timeHeatmapData()
        guard !values.isEmpty else { return nil }
        let colours = range ?? Self.colourRange(values)
        let columns = min(panels.count, 2), rows = (panels.count + columns - 1) / columns
        var commands = "set multiplot layout \(rows),\(columns) title "
            + "\(PlotText.quoted("log10 ‖∂L/∂h_t‖ through time — \(runName)")) noenhanced\n"
            + Self.timeHeatmapSettings(colours: colours)
        for p in panels {
            commands += Self.timeHeatmapPanel(file: "time-heatmap.dat", index: p.index, title: p.series.label,
                                              steps: p.steps, length: p.series.length)
        }
        commands += "unset multiplot\n"
        return Figure(name: "time-heatmap", title: "Heatmap of the gradient through time",
                      alt: "Heatmap of log10 of the gradient norm at each hidden state, time step across and training "
                        + "step up, one panel per recurrent layer",
                      caption: "Colour is log10 ‖∂L/∂h_t‖, the gradient reaching the hidden state at time step t. "
                        + "Colour fading to black towards t = 1 is a gradient vanishing through time; bright on the "
                        + "left, one exploding. Colours run from \(colours.0) to \(colours.1).",
                      data: [("time-heatmap.dat", data)], commands: commands,
                      width: 480 * columns, height: 380 * rows)
    }

    /// The line plot's data: per series, one block per shown training step (first, a few between, last)
    /// of `t grad_norm`, and the steps shown.
    func timeGradientNormData()
        -> (data: String, values: [Double], panels: [(series: TimeSeries, steps: [Int], index: Int)]) {
        var blocks: [String] = [], values: [Double] = []
        var panels: [(TimeSeries, [Int], Int)] = []
        for series in timeSeries {
            let steps = PlotText.thinned(series.steps.count, limit: 5).map { series.steps[$0] }
            panels.append((series, steps, blocks.count))
            for step in steps {
                let rows = series.rows[step]!
                values += rows.map(\.gradientNorm)
                blocks.append("# \(gnuplotEscaped(series.label)), step \(step): t grad_norm\n"
                              + rows.map { "\($0.t) \(PlotText.positive($0.gradientNorm))" }.joined(separator: "\n"))
            }
        }
        return (blocks.joined(separator: "\n\n\n") + "\n", values, panels)
    }

    /// One line-plot panel: a line per shown step, from blocks `index...` of `file`, early steps violet,
    /// late ones orange.
    static func timeGradientNormPanel(file: String, index: Int, title: String, steps: [Int]) -> String {
        "set title \(PlotText.quoted(title)) noenhanced\nplot " + steps.enumerated().map { k, step in
            "\(k == 0 ? "'\(file)'" : "''") index \(index + k) using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 "
                + "lc palette frac \(PlotText.fraction(k, of: steps.count)) title 'step \(step)'"
        }.joined(separator: ", \\\n     ") + "\n"
    }

    /// Settings of the line plots: a log y axis over `range`, t across.
    static func timeGradientNormSettings(range: (lo: Double, hi: Double)) -> String {
        "set xlabel 'time step t'\nset ylabel '‖∂L/∂h_t‖ (log scale)'\nset logscale y\nset format y '10^{%L}'\n"
            + PlotText.yrange(range) + PlotText.palette + "set grid lc rgb '#dddddd'\nset key top left font ',8' noenhanced\n"
    }

    /// ‖∂L/∂h_t‖ against t at the first, a few middle and the last recorded steps, one log axis (and panel)
    /// per recurrent layer. `range` fixes the y range (comparisons share one).
    public func timeGradientNorm(range: (lo: Double, hi: Double)? = nil) -> Figure? {
        let (data, values, panels) = timeGradientNormData()
        guard let yrange = range ?? PlotText.logRange(values) else { return nil }
        let columns = min(panels.count, 2), rows = (panels.count + columns - 1) / columns
        var commands = "set multiplot layout \(rows),\(columns) title "
            + "\(PlotText.quoted("Gradient through time — \(runName)")) noenhanced\n"
            + Self.timeGradientNormSettings(range: yrange)
        for p in panels {
            commands += Self.timeGradientNormPanel(file: "time-grad-norm.dat", index: p.index, title: p.series.label,
                                                   steps: p.steps)
        }
        commands += "unset multiplot\n"
        return Figure(name: "time-grad-norm", title: "Gradient norm through time",
                      alt: "Gradient norm at each hidden state against time step on a log axis, at a few training "
                        + "steps, one panel per recurrent layer",
                      caption: "‖∂L/∂h_t‖ against the time step t at the first, some middle and the last recorded "
                        + "steps (violet to orange). A straight line falling towards t = 1 is a gradient shrinking "
                        + "geometrically back through time (vanishing); rising towards t = 1, exploding.",
                      data: [("time-grad-norm.dat", data)], commands: commands,
                      width: 480 * columns, height: 360 * rows)
    }

    /// Each gate's saturated fraction, averaged over the time steps, against training step; one panel per
    /// recurrent layer with gates. Nil for vanilla RNNs.
    func timeGates() -> Figure? {
        var blocks: [String] = [], panels: [(label: String, gates: [String], index: Int)] = []
        var allSteps: [Int] = []
        for series in timeSeries {
            let gates = TimeStepRow.gateNames.filter { name in series.rows.values.contains { $0.contains { $0.gate(name) != nil } } }
            guard !gates.isEmpty else { continue }
            panels.append((series.label, gates, blocks.count))
            let steps = PlotText.thinned(series.steps.count, limit: maximumPoints).map { series.steps[$0] }
            allSteps += steps
            for gate in gates {
                blocks.append("# \(gnuplotEscaped(series.label)), gate \(gate): step mean_saturated_fraction\n"
                              + steps.map { step in
                    let fractions = series.rows[step]!.compactMap { $0.gate(gate)?.saturated }.filter(\.isFinite)
                    let mean = fractions.isEmpty ? Double.nan : fractions.reduce(0, +) / Double(fractions.count)
                    return "\(step) \(PlotText.number(mean))"
                }.joined(separator: "\n"))
            }
        }
        guard !panels.isEmpty else { return nil }
        let columns = min(panels.count, 2), rows = (panels.count + columns - 1) / columns
        var commands = "\(PlotText.stepAxis(allSteps))set yrange [0:1.05]\nset ylabel 'saturated fraction (mean over t)'\n"
            + "\(PlotText.palette)\(marks([.saturatedGates]))set key top left font ',8' noenhanced\n"
            + "set multiplot layout \(rows),\(columns) title \(PlotText.quoted("Saturated gates — \(runName)")) noenhanced\n"
        for p in panels {
            commands += "set title \(PlotText.quoted(p.label)) noenhanced\nplot " + p.gates.enumerated().map { g, gate in
                "\(g == 0 ? "'time-gates.dat'" : "''") index \(p.index + g) using 1:2 with lines lw 1.5 "
                    + "lc palette frac \(PlotText.fraction(g, of: p.gates.count)) title \(PlotText.quoted("gate \(gate)"))"
            }.joined(separator: ", \\\n     ") + "\n"
        }
        commands += "unset multiplot\n"
        return Figure(name: "time-gates", title: "Saturated gates",
                      alt: "Saturated fraction of each gate, averaged over the time steps, against training step, one "
                        + "panel per gated recurrent layer",
                      caption: "The share of each gate's activations in its flat band (a sigmoid below 0.03 or above "
                        + "0.97, a tanh beyond ±0.97), averaged over the sequence. A saturated gate passes almost no "
                        + "gradient to its weights.",
                      data: [("time-gates.dat", blocks.joined(separator: "\n\n\n") + "\n")], commands: commands,
                      width: 480 * columns, height: 340 * rows)
    }
}
