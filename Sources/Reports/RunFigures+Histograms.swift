import Foundation
import RunFormat

/// Per-layer histograms of activations and gradients at chosen steps (the view of Glorot & Bengio 2010).
extension RunFigures {
    /// The steps shown: the first, middle and last step with histograms of `tensor`.
    func histogramSteps(_ tensor: String) -> [Int] {
        let steps = Array(Set(run.histograms.lazy.filter { $0.tensor == tensor }.map(\.step))).sorted()
        guard let first = steps.first, let last = steps.last else { return [] }
        return Array(Set([first, steps[steps.count / 2], last])).sorted()
    }

    /// Where a bin is drawn: its centre on a linear axis (activations) or the log10 of its geometric
    /// centre (gradients, whose bins are log-spaced in |g|). Open-ended bins sit half a neighbour's
    /// width past their finite edge; the zero bin and the NaN bin are not drawn.
    static func binCentre(_ row: HistogramRow, logarithmic: Bool, width: Double) -> Double? {
        if logarithmic {
            guard row.lo > 0 || row.hi > 0, row.hi > row.lo else { return nil }
            if row.lo <= 0 { return row.hi.isFinite ? log10(row.hi) - width / 2 : nil }
            if !row.hi.isFinite { return row.lo.isFinite ? log10(row.lo) + width / 2 : nil }
            return (log10(row.lo) + log10(row.hi)) / 2
        }
        switch (row.lo.isFinite, row.hi.isFinite) {
        case (true, true): return row.hi > row.lo ? (row.lo + row.hi) / 2 : nil
        case (false, true): return row.hi - width / 2
        case (true, false): return row.lo + width / 2
        default: return nil
        }
    }

    /// One figure per tensor kind with histograms: a panel per chosen step, a line per layer.
    func histograms() -> [Figure] {
        [histogram(tensor: "activation"), histogram(tensor: "gradient")].compactMap { $0 }
    }

    func histogram(tensor: String) -> Figure? {
        let steps = histogramSteps(tensor)
        guard !steps.isEmpty else { return nil }
        let logarithmic = tensor != "activation"
        let wanted = Set(steps)
        var groups: [String: [HistogramRow]] = [:]
        var layers: [String] = []
        var seen = Set<String>()
        for row in run.histograms where row.tensor == tensor && wanted.contains(row.step) {
            if seen.insert(row.layer).inserted { layers.append(row.layer) }
            groups["\(row.step) \(row.layer)", default: []].append(row)
        }
        if tensor == "gradient", layers.contains(where: { $0.hasSuffix("weight") }) {
            layers = layers.filter { $0.hasSuffix("weight") }
        }
        layers.sort(by: LayerOrder.precedes)
        var blocks: [String] = []
        for step in steps {
            for layer in layers {
                let rows = groups["\(step) \(layer)"] ?? []
                let total = Double(rows.reduce(0) { $0 + $1.count })
                let widths = rows.compactMap { r -> Double? in
                    let w = logarithmic ? (r.lo > 0 && r.hi.isFinite ? log10(r.hi) - log10(r.lo) : .nan) : r.hi - r.lo
                    return w.isFinite && w > 0 ? w : nil
                }
                let width = widths.min() ?? 1
                let points = rows.compactMap { r -> String? in
                    guard let x = Self.binCentre(r, logarithmic: logarithmic, width: width) else { return nil }
                    return "\(x) \(total > 0 ? Double(r.count) / total : 0)"
                }
                blocks.append("# step \(step) layer \(layer): \(logarithmic ? "log10|g|" : "value") fraction\n"
                              + points.joined(separator: "\n"))
            }
        }
        let name = "histograms-\(tensor)"
        var commands = """
            set multiplot layout 1,\(steps.count) title \(PlotText.quoted("\(tensor == "activation" ? "Activation" : "Gradient") histograms per layer — \(runName)")) noenhanced
            set xlabel '\(logarithmic ? "log_{10} |g|" : "activation value")'
            set ylabel 'fraction of entries'
            set grid lc rgb '#dddddd'
            \(PlotText.palette)set key top right font ',7' noenhanced

            """
        for (k, step) in steps.enumerated() {
            commands += "set title 'step \(step)'\n"
            if k > 0 { commands += "set key off\n" }
            commands += "plot " + layers.enumerated().map { i, layer in
                "\(i == 0 && k == 0 ? "'\(name).dat'" : "''") index \(k * layers.count + i) using 1:2 with lines lw 1.5 "
                    + "lc palette frac \(PlotText.fraction(i, of: layers.count)) title \(PlotText.quoted(layer))"
            }.joined(separator: ", \\\n     ") + "\n"
        }
        commands += "unset multiplot\n"
        let what = tensor == "activation" ? "activation values" : "absolute gradient entries (log10 |g|)"
        return Figure(name: name, title: "\(tensor == "activation" ? "Activation" : "Gradient") histograms",
                      alt: "Histograms of \(what) for each layer at steps \(steps.map(String.init).joined(separator: ", "))",
                      caption: tensor == "activation"
                        ? "Distribution of each activation layer's outputs, input layer violet, output orange. Mass "
                            + "piled at the ends of a sigmoid or tanh is saturation; a spike at 0 for ReLU is dead units."
                        : "Distribution of |g| per weight tensor on a log axis (exact zeros are not drawn). Curves "
                            + "that shift left layer after layer towards the input are vanishing gradients.",
                      data: [("\(name).dat", blocks.joined(separator: "\n\n\n") + "\n")], commands: commands,
                      width: 1200, height: 460)
    }
}
