import Foundation
import RunFormat

/// Small pieces of gnuplot text shared by the figures: numbers in data files, axis ranges, thinning
/// of long series, the input-to-output palette and the finding markers.
enum PlotText {
    /// A number for a data file: shortest round-trip form, `NaN` for what gnuplot should skip.
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "NaN" }

    /// A number for a log axis: non-positive and non-finite values become `NaN` (skipped).
    static func positive(_ x: Double) -> String { x.isFinite && x > 0 ? "\(x)" : "NaN" }

    /// A single-quoted gnuplot string.
    static func quoted(_ text: String) -> String { "'" + gnuplotEscaped(text) + "'" }

    /// The decade range `[10^a, 10^b]` holding the positive finite values, nil when there are none.
    ///
    /// Ranges are set explicitly so that a series with no positive value never stops gnuplot with
    /// "all points y value undefined".
    static func logRange<S: Sequence>(_ values: S, floor: Double = 1e-30) -> (lo: Double, hi: Double)?
    where S.Element == Double {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite && v > 0 { lo = min(lo, Swift.max(v, floor)); hi = max(hi, v) }
        guard lo.isFinite else { return nil }
        var a = (log10(lo)).rounded(.down), b = (log10(hi)).rounded(.up)
        if a == b { a -= 1; b += 1 }
        return (pow(10, a), pow(10, b))
    }

    /// `set yrange` for a decade range.
    static func yrange(_ range: (lo: Double, hi: Double)) -> String { "set yrange [\(range.lo):\(range.hi)]\n" }

    /// At most `limit` evenly spaced indices of `0..<count`, always keeping the last.
    ///
    /// Long runs are thinned for drawing only (the CSVs keep every row): 10,000 steps on a 960-pixel
    /// figure would draw ten points per pixel.
    static func thinned(_ count: Int, limit: Int) -> [Int] {
        guard count > limit, limit > 1 else { return Array(0..<count) }
        let stride = Int((Double(count - 1) / Double(limit - 1)).rounded(.up))
        var indices = Array(Swift.stride(from: 0, to: count, by: stride))
        if indices.last != count - 1 { indices.append(count - 1) }
        return indices
    }

    /// The palette that colours layers from input (dark violet) through teal to output (orange); lines
    /// take `lc palette frac F`.
    static let palette = "set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')\nunset colorbox\n"

    /// The palette position of item `i` of `n`.
    static func fraction(_ i: Int, of n: Int) -> String {
        n <= 1 ? "0" : String(format: "%.4f", Double(i) / Double(n - 1))
    }

    /// Dashed vertical lines labelled `F1`, `F2`… at the steps of the findings whose kind is in `kinds`,
    /// and a fainter dotted one at the last step of each closed span; `number` gives a finding's label
    /// number (its place in the report's list, from 1). A step whose findings are all `info` (a plateau
    /// that ended) is marked in the info colour, not in the red of warnings and errors.
    static func findingMarks(_ findings: [FindingRow], kinds: Set<FindingKind>, number: (Int) -> Int) -> String {
        var byStep: [Int: (labels: [Int], onlyInfo: Bool)] = [:]
        var ends: Set<Int> = []
        for (i, f) in findings.enumerated() where kinds.contains(f.kind) {
            let mark = byStep[f.step] ?? ([], true)
            byStep[f.step] = (mark.labels + [number(i)], mark.onlyInfo && f.severity == .info)
            if let last = f.lastStep, last > f.step { ends.insert(last) }
        }
        var text = ""
        for (step, mark) in byStep.sorted(by: { $0.key < $1.key }) {
            let label = mark.labels.map { "F\($0)" }.joined(separator: ",")
            let colour = mark.onlyInfo ? "#4a6a8a" : "#c00000"
            text += "set arrow from \(step), graph 0 to \(step), graph 1 nohead dt 2 lw 1.5 lc rgb '\(colour)' front\n"
            text += "set label \(quoted(label)) at \(step), graph 0.97 left offset 0.4,0 front noenhanced "
                + "tc rgb '\(colour)' font ',9'\n"
        }
        // Where a closed span ended: a fainter line, so the span reads between the two.
        for step in ends.sorted() where byStep[step] == nil {
            text += "set arrow from \(step), graph 0 to \(step), graph 1 nohead dt 3 lw 1 lc rgb '#e08080' front\n"
        }
        return text
    }

    /// Axis and key settings shared by plots against the training step.
    static func stepAxis(_ steps: [Int]) -> String {
        let first = steps.min() ?? 0, last = steps.max() ?? 1
        return "set xlabel 'step'\nset xrange [\(first):\(max(last, first + 1))]\nset grid lc rgb '#dddddd'\n"
    }
}

/// Text safe inside a single-quoted gnuplot string: the one way text reaches a gnuplot script.
///
/// Every string from a run folder, a flag or a config (run, layer and parameter names, verdicts) goes
/// through here, so none can end the string and run as a command: line breaks and other control
/// characters become spaces (a newline would end the command), `'` is doubled (gnuplot's escape inside
/// single quotes), and the characters gnuplot substitutes on a command line, `` ` `` (shell command) and
/// `@` (macro), are replaced by look-alikes (‘ and ＠). Backslashes are literal in single-quoted strings.
func gnuplotEscaped(_ text: String) -> String {
    var result = ""
    result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "'": result += "''"
        case "`": result += "\u{2018}"
        case "@": result += "\u{FF20}"
        default:
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result += " "
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result
}
