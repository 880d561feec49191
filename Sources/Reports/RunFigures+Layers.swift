import Foundation
import RunFormat

/// The per-layer gradient figures: norms against step, the layer × step heatmaps, gradient flow.
extension RunFigures {
    /// What a heatmap colours.
    public enum HeatmapQuantity: Sendable {
        case gradientNorm, updateRatio

        var name: String { self == .gradientNorm ? "heatmap-grad-norm" : "heatmap-update-ratio" }
        var label: String { self == .gradientNorm ? "log_{10} ‖∂L/∂W‖" : "log_{10} ‖ΔW‖/‖W‖" }
        var keyPath: KeyPath<GradientRow, Double> { self == .gradientNorm ? \.norm : \.updateRatio }
    }

    /// The gradient norm of each weight tensor against step, on a log axis.
    func layerGradientNorm() -> Figure? {
        let series = weightSeries(\.norm)
        guard let range = PlotText.logRange(series.flatMap { $0.points.map(\.1) }) else { return nil }
        let data = series.map { s in
            "# \(s.name)\n" + s.points.map { "\($0.0) \(PlotText.positive($0.1))" }.joined(separator: "\n")
        }.joined(separator: "\n\n\n") + "\n"
        let commands = """
            set title \(PlotText.quoted("Gradient norm per weight tensor — \(runName)")) noenhanced
            \(PlotText.stepAxis(series.flatMap { $0.points.map(\.0) }))set ylabel '‖∂L/∂W‖ (log scale)'
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))\(PlotText.palette)set key outside right top font ',8' noenhanced
            \(marks([.vanishing, .exploding, .nonfinite]))\(lines("layer-grad-norm.dat", series.map(\.name)))

            """
        return Figure(name: "layer-grad-norm", title: "Gradient norm per weight tensor",
                      alt: "Gradient norm of each weight tensor against step on a log axis, coloured from input to output layer",
                      caption: "One line per weight tensor, violet at the input, orange at the output. Lines spread "
                        + "over orders of magnitude with the input layers at the bottom are vanishing gradients.",
                      data: [("layer-grad-norm.dat", data)], commands: commands)
    }

    /// The heatmap's data: one scan line per weight tensor (input at the bottom) over thinned steps, the
    /// colour log10 of the quantity (`NaN`, not drawn, where it is zero or not finite).
    func heatmapData(_ quantity: HeatmapQuantity) -> (data: String, values: [Double], steps: [Int]) {
        let tensors = weightTensors
        var allSteps = Set<Int>()
        for tensor in tensors { for row in gradientsByTensor[tensor] ?? [] { allSteps.insert(row.step) } }
        let sorted = allSteps.sorted()
        let steps = PlotText.thinned(sorted.count, limit: maximumColumns).map { sorted[$0] }
        var values: [Double] = []
        var text = "# step tensor_index log10_value (one scan line per tensor: \(tensors.joined(separator: " ")))\n"
        for (y, tensor) in tensors.enumerated() {
            var row: [Int: Double] = [:]
            for r in gradientsByTensor[tensor] ?? [] { row[r.step] = r[keyPath: quantity.keyPath] }
            for step in steps {
                let v = row[step].map { $0 > 0 && $0.isFinite ? log10($0) : .nan } ?? .nan
                if v.isFinite { values.append(v) }
                text += "\(step) \(y) \(PlotText.number(v))\n"
            }
            text += "\n"
        }
        return (text, values, steps)
    }

    /// A layer × step heatmap of log10 gradient norm or log10 update ratio. `range` fixes the colour
    /// scale (comparisons share one); by default it spans the data.
    public func heatmap(_ quantity: HeatmapQuantity, range: (Double, Double)? = nil) -> Figure? {
        let (data, values, steps) = heatmapData(quantity)
        guard !values.isEmpty, steps.count >= 2 else { return nil }
        let colours = range ?? Self.colourRange(values)
        let tensors = weightTensors
        let title = quantity == .gradientNorm ? "log10 gradient norm" : "log10 update ratio"
        let commands = """
            set title \(PlotText.quoted("\(title.prefix(1).uppercased() + title.dropFirst()) per weight tensor — \(runName)")) noenhanced
            set xlabel 'step'
            set ylabel 'weight tensor (input → output)'
            set xrange [\(steps.first!):\(steps.last!)]
            set yrange [-0.5:\(Double(tensors.count) - 0.5)]
            set ytics (\(tensors.enumerated().map { "\(PlotText.quoted($0.element)) \($0.offset)" }.joined(separator: ", "))) font ',8' noenhanced
            set cbrange [\(colours.0):\(colours.1)]
            set cblabel '\(quantity.label)'
            set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
            set key off
            \(marks(quantity == .gradientNorm ? [.vanishing, .exploding, .nonfinite] : [.updateRatio]))plot '\(quantity.name).dat' using 1:2:3 with image

            """
        return Figure(name: quantity.name, title: "Heatmap of \(title)",
                      alt: "Heatmap of \(title): weight tensors from input (bottom) to output (top) against step",
                      caption: quantity == .gradientNorm
                        ? "Each row is a weight tensor, input at the bottom; colour is log10 of its gradient norm. "
                            + "Dark rows at the bottom are vanishing gradients; a bright band across is an explosion."
                        : "Each row is a weight tensor; colour is log10 of ‖ΔW‖/‖W‖. About −3 is healthy; much "
                            + "darker rows barely learn.",
                      data: [("\(quantity.name).dat", data)], commands: commands, height: 120 + 26 * min(tensors.count, 24))
    }

    /// Whole numbers around the values, at least one apart.
    static func colourRange(_ values: [Double]) -> (Double, Double) {
        let lo = (values.min() ?? -1).rounded(.down), hi = (values.max() ?? 0).rounded(.up)
        return lo == hi ? (lo - 1, hi + 1) : (lo, hi)
    }

    /// The recorded steps the gradient-flow bars show: first, middle and last.
    var flowSteps: [Int] {
        let steps = Array(Set(run.gradients.map(\.step))).sorted()
        guard let first = steps.first, let last = steps.last else { return [] }
        return Array(Set([first, steps[steps.count / 2], last])).sorted()
    }

    /// The flow data: a block per step of `x norm max_abs` for each weight tensor.
    func flowData(steps: [Int]) -> (data: String, values: [Double]) {
        let tensors = weightTensors
        var lookup: [String: GradientRow] = [:]
        let wanted = Set(steps)
        for tensor in tensors {
            for row in gradientsByTensor[tensor] ?? [] where wanted.contains(row.step) { lookup["\(row.step) \(tensor)"] = row }
        }
        var values: [Double] = []
        let blocks = steps.map { step in
            "# step \(step): tensor_index grad_norm grad_max_abs\n" + tensors.enumerated().map { i, tensor in
                let row = lookup["\(step) \(tensor)"]
                values += [row?.norm ?? .nan, row?.maxAbs ?? .nan]
                return "\(i + 1) \(PlotText.positive(row?.norm ?? .nan)) \(PlotText.positive(row?.maxAbs ?? .nan))"
            }.joined(separator: "\n")
        }
        return (blocks.joined(separator: "\n\n\n") + "\n", values)
    }

    /// The panels of a flow figure: one `plot` of bars per block of `file`, sharing `range`.
    static func flowPanels(file: String, titles: [String], tensors: [String], range: (lo: Double, hi: Double)) -> String {
        let floor = range.lo
        var text = """
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))set xrange [0.4:\(Double(tensors.count) + 0.6)]
            set xtics (\(tensors.enumerated().map { "\(PlotText.quoted($0.element)) \($0.offset + 1)" }.joined(separator: ", "))) rotate by -45 font ',8' noenhanced
            set grid ytics lc rgb '#dddddd'
            set style fill solid 0.85 noborder
            set key top left font ',8'

            """
        for (k, title) in titles.enumerated() {
            text += "set title \(PlotText.quoted(title)) noenhanced\n"
            text += "plot '\(file)' index \(k) using ($1-0.2):2:($1-0.38):($1-0.02):(\(floor)):2 with boxxyerror "
                + "lc rgb '#1f77b4' title '‖g‖', \\\n     '' index \(k) using ($1+0.2):3:($1+0.02):($1+0.38):(\(floor)):3 "
                + "with boxxyerror lc rgb '#ff7f0e' title 'max |g|'\n"
        }
        return text
    }

    /// Gradient-flow bars (norm and max |g| per weight tensor) at the first, middle and last recorded step.
    func gradientFlow() -> Figure? {
        let steps = flowSteps
        let (data, values) = flowData(steps: steps)
        guard let range = PlotText.logRange(values) else { return nil }
        let commands = """
            set multiplot layout 1,\(steps.count) title \(PlotText.quoted("Gradient flow by layer — \(runName)")) noenhanced
            set ylabel 'gradient (log scale)'
            \(Self.flowPanels(file: "gradient-flow.dat", titles: steps.map { "step \($0)" }, tensors: weightTensors, range: range))unset multiplot

            """
        return Figure(name: "gradient-flow", title: "Gradient flow by layer",
                      alt: "Bars of gradient norm and largest absolute gradient of each weight tensor at steps "
                        + steps.map(String.init).joined(separator: ", "),
                      caption: "Gradient norm and largest |g| of each weight tensor, input on the left, at the first, "
                        + "middle and last recorded step, on one log scale. Healthy flow is level; a staircase "
                        + "down towards the input is vanishing, up is exploding.",
                      data: [("gradient-flow.dat", data)], commands: commands, width: 1200, height: 460)
    }
}
