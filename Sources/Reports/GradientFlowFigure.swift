import Foundation

/// A figure of gradient norm against layer depth, one line per network, on a log axis: vanishing
/// gradients fall steeply towards the input, healthy ones stay level.
///
/// Writes `NAME.dat`, `NAME.gp` and the image into a folder; `gnuplot NAME.gp` re-renders it.
public struct GradientFlowFigure {
    public struct Series {
        public var label: String
        /// Gradient norms from the first layer (input side) to the last.
        public var norms: [Double]

        public init(label: String, norms: [Double]) {
            self.label = label
            self.norms = norms
        }
    }

    public var name: String
    public var title: String
    public var series: [Series]

    public init(name: String, title: String, series: [Series]) {
        self.name = name
        self.title = title
        self.series = series
    }

    /// The gnuplot script for a PNG of `width × height` pixels.
    public func script(width: Int = 900, height: Int = 540) -> String {
        let plots = series.indices.map { i in
            "'\(name).dat' index \(i) using 1:2 with linespoints lw 2 pt 7 title '\(gnuplotEscaped(series[i].label))'"
        }
        return """
            set terminal pngcairo size \(width),\(height) enhanced font 'sans,11'
            set output '\(name).png'
            set title '\(gnuplotEscaped(title))'
            set xlabel 'Linear layer (input → output)'
            set ylabel '‖∂L/∂W‖ (log scale)'
            set logscale y
            set format y '10^{%L}'
            set grid
            set key outside right
            set xtics 1
            plot \(plots.joined(separator: ", \\\n     "))

            """
    }

    /// The data file: one block per series, separated by two blank lines (gnuplot's `index`).
    public func data() -> String {
        series.map { s in
            "# \(s.label)\n" + s.norms.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: "\n")
        }.joined(separator: "\n\n\n") + "\n"
    }

    /// Writes the data and script into `directory` and renders `NAME.png` there; returns the image's URL.
    public func render(into directory: URL, gnuplot: Gnuplot = Gnuplot()) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data().write(to: directory.appendingPathComponent("\(name).dat"), atomically: true, encoding: .utf8)
        let script = script()
        try script.write(to: directory.appendingPathComponent("\(name).gp"), atomically: true, encoding: .utf8)
        try gnuplot.run(script: script, in: directory)
        return directory.appendingPathComponent("\(name).png")
    }
}

/// Text safe inside a single-quoted gnuplot string.
func gnuplotEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "'", with: "''")
}
