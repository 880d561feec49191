import Foundation
import RunFormat

/// Gradient-check figures: relative errors per tensor, over training steps, and the step-size sweep.
extension RunFigures {
    /// Relative errors below this are drawn at it, so exact agreement stays on the log axis.
    static let errorFloor = 1e-16

    /// Shaded verdict bands and lines at 1e-7, 1e-4 and 1e-2 (a rule of thumb for relative errors in
    /// double precision: below 1e-7 right, above 1e-2 almost surely wrong).
    static let errorBands = """
        set object 1 rect from graph 0, first 1e-16 to graph 1, first 1e-7 behind fc rgb '#e5f5e0' fs solid noborder
        set object 2 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#fff3d6' fs solid noborder
        set object 3 rect from graph 0, first 1e-2 to graph 1, first 1e3 behind fc rgb '#fde0dd' fs solid noborder
        set arrow from graph 0, first 1e-7 to graph 1, first 1e-7 nohead dt 2 lc rgb '#2ca02c' back
        set arrow from graph 0, first 1e-4 to graph 1, first 1e-4 nohead dt 2 lc rgb '#e6a100' back
        set arrow from graph 0, first 1e-2 to graph 1, first 1e-2 nohead dt 2 lc rgb '#d62728' back

        """

    /// The colour of a verdict's points: green agrees, grey a kink, orange imprecise, red wrong.
    static func colour(_ verdict: EntryVerdict) -> String {
        switch verdict {
        case .ok: "#2ca02c"
        case .kink: "#7f7f7f"
        case .imprecise: "#ff7f0e"
        case .wrong: "#d62728"
        }
    }

    func gradientChecks() -> [Figure] {
        [gradcheckByTensor(), gradcheckOverSteps(), gradcheckSweep()].compactMap { $0 }
    }

    /// Each checked entry's relative error, by tensor, coloured by verdict.
    func gradcheckByTensor() -> Figure? {
        guard !run.gradchecks.isEmpty else { return nil }
        let tensors = orderedUnique(run.gradchecks.map(\.parameter))
        let position = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($0.element, $0.offset + 1) })
        let verdicts = EntryVerdict.allCases
        var blocks: [String] = []
        for verdict in verdicts {
            let rows = run.gradchecks.enumerated().filter { $0.element.verdict == verdict }
            blocks.append("# verdict \(verdict.rawValue): tensor_position rel_error\n" + rows.map { i, row in
                let jitter = Double(i % 9 - 4) * 0.04
                return "\(Double(position[row.parameter]!) + jitter) \(max(row.relativeError, Self.errorFloor))"
            }.joined(separator: "\n"))
        }
        let present = verdicts.enumerated().filter { v in run.gradchecks.contains { $0.verdict == v.element } }
        let plot = "plot " + present.map { k, verdict in
            return "\(k == present.first!.offset ? "'gradcheck.dat'" : "''") index \(k) using 1:2 with points pt 7 "
                + "ps 0.7 lc rgb '\(Self.colour(verdict))' title \(PlotText.quoted(verdict.rawValue))"
        }.joined(separator: ", \\\n     ")
        let range = PlotText.logRange(run.gradchecks.map { max($0.relativeError, Self.errorFloor) } + [1e-8, 1e-1])!
        let commands = """
            set title \(PlotText.quoted("Gradient check: relative error per tensor — \(runName)")) noenhanced
            set ylabel 'relative error (log scale)'
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))set xrange [0.5:\(Double(tensors.count) + 0.5)]
            set xtics (\(tensors.enumerated().map { "\(PlotText.quoted($0.element)) \($0.offset + 1)" }.joined(separator: ", "))) rotate by -45 font ',8' noenhanced
            set key outside right top noenhanced
            \(Self.errorBands)\(plot)

            """
        return Figure(name: "gradcheck", title: "Gradient check errors per tensor",
                      alt: "Relative error between analytic and numerical gradient for each checked entry, by tensor, on a log axis",
                      caption: "Each point is one checked entry. Below 1e-7 (green) the gradient is right; 1e-4 to "
                        + "1e-2 (amber) deserves a look (kinks, float precision); above 1e-2 (red) it is wrong.",
                      data: [("gradcheck.dat", blocks.joined(separator: "\n\n\n") + "\n")], commands: commands)
    }

    /// The largest relative error per tensor at each step where checks ran during training.
    func gradcheckOverSteps() -> Figure? {
        let inTraining = run.gradchecks.filter { $0.step != nil }
        guard Set(inTraining.map { $0.step! }).count >= 2 else { return nil }
        let tensors = orderedUnique(inTraining.map(\.parameter))
        var worst: [String: [Int: Double]] = [:]
        for row in inTraining {
            let e = max(row.relativeError, Self.errorFloor)
            worst[row.parameter, default: [:]][row.step!] = max(worst[row.parameter]?[row.step!] ?? 0, e)
        }
        let data = tensors.map { t in
            "# \(t): step max_rel_error\n" + worst[t]!.keys.sorted().map { "\($0) \(worst[t]![$0]!)" }.joined(separator: "\n")
        }.joined(separator: "\n\n\n") + "\n"
        let range = PlotText.logRange(worst.values.flatMap(\.values) + [1e-8, 1e-1])!
        let commands = """
            set title \(PlotText.quoted("Gradient check during training — \(runName)")) noenhanced
            \(PlotText.stepAxis(inTraining.map { $0.step! }))set ylabel 'largest relative error (log scale)'
            set logscale y
            set format y '10^{%L}'
            \(PlotText.yrange(range))\(PlotText.palette)set key outside right top font ',8' noenhanced
            \(Self.errorBands)\(marks([.gradcheck]))\(lines("gradcheck-steps.dat", tensors).replacingOccurrences(of: "with lines", with: "with linespoints pt 7 ps 0.5"))

            """
        return Figure(name: "gradcheck-steps", title: "Gradient check during training",
                      alt: "Largest relative gradient-check error of each tensor at each checked training step, log axis",
                      caption: "Checks run during training: the worst entry of each tensor per check. Errors that grow "
                        + "as training goes on often mean activations reaching kinks or saturation.",
                      data: [("gradcheck-steps.dat", data)], commands: commands)
    }

    /// The step-size sweep: relative error against the finite-difference step h, one line per entry.
    ///
    /// Truncation error falls with h and rounding error grows as h shrinks, so a right gradient draws a V
    /// whose bottom is the best h; a wrong one stays high for every h.
    func gradcheckSweep() -> Figure? {
        guard !run.sweep.isEmpty else { return nil }
        let entries = orderedUnique(run.sweep.map { "\($0.parameter)[\($0.index)]" })
        let shown = Array(entries.prefix(12))
        var byEntry: [String: [(Double, Double)]] = [:]
        for row in run.sweep { byEntry["\(row.parameter)[\(row.index)]", default: []].append((row.h, row.relativeError)) }
        let data = shown.map { e in
            "# \(e): h rel_error\n" + byEntry[e]!.sorted { $0.0 < $1.0 }
                .map { "\(PlotText.positive($0.0)) \(max($0.1, Self.errorFloor))" }.joined(separator: "\n")
        }.joined(separator: "\n\n\n") + "\n"
        guard let xRange = PlotText.logRange(run.sweep.map(\.h)) else { return nil }
        let range = PlotText.logRange(run.sweep.map { max($0.relativeError, Self.errorFloor) } + [1e-8, 1e-1])!
        let commands = """
            set title \(PlotText.quoted("Gradient check: step-size sweep — \(runName)")) noenhanced
            set xlabel 'finite-difference step h (log scale)'
            set ylabel 'relative error (log scale)'
            set logscale xy
            set format x '10^{%L}'
            set format y '10^{%L}'
            set xrange [\(xRange.lo):\(xRange.hi)]
            \(PlotText.yrange(range))set grid lc rgb '#dddddd'
            \(PlotText.palette)set key outside right top font ',8' noenhanced
            \(Self.errorBands)\(lines("gradcheck-sweep.dat", shown).replacingOccurrences(of: "with lines", with: "with linespoints pt 7 ps 0.5"))

            """
        return Figure(name: "gradcheck-sweep", title: "Gradient check step-size sweep",
                      alt: "Relative gradient-check error against finite-difference step size, one line per checked entry",
                      caption: "Relative error against the step h of the finite difference. A right gradient draws a V: "
                        + "truncation error on the right, rounding error on the left"
                        + (entries.count > shown.count ? "; the first \(shown.count) of \(entries.count) entries are drawn." : "."),
                      data: [("gradcheck-sweep.dat", data)], commands: commands)
    }
}
