import Foundation

/// An image format gnuplot renders to.
public enum ImageFormat: String, CaseIterable, Sendable {
    /// Anti-aliased bitmap through the `pngcairo` terminal.
    case png
    /// Vector image through the `svg` terminal.
    case svg

    /// The `set terminal` line for an image of `width × height` pixels.
    func terminal(width: Int, height: Int) -> String {
        switch self {
        case .png: "set terminal pngcairo size \(width),\(height) enhanced font 'sans,10'"
        case .svg: "set terminal svg size \(width),\(height) enhanced font 'sans,10' background '#ffffff'"
        }
    }
}

/// One reproducible figure: its data files, a gnuplot script that reads them, and the images the
/// script writes. `gnuplot NAME.gp` in the figure's folder renders the images again.
///
/// The script repeats its plotting commands once per format rather than using `replot`, because
/// `replot` cannot repeat a multiplot.
public struct Figure: Sendable {
    /// File stem of the script and images (`loss` gives `loss.gp`, `loss.png`).
    public var name: String
    public var title: String
    /// Alternative text for the image: what it shows, in words.
    public var alt: String
    /// One or two sentences under the figure: how to read it.
    public var caption: String
    /// Data files written next to the script: file name and contents.
    public var data: [(file: String, contents: String)]
    /// gnuplot commands after `set terminal` and `set output`, ending with the plot.
    public var commands: String
    public var width: Int
    public var height: Int

    public init(name: String, title: String, alt: String, caption: String, data: [(file: String, contents: String)],
                commands: String, width: Int = 960, height: Int = 540) {
        self.name = name
        self.title = title
        self.alt = alt
        self.caption = caption
        self.data = data
        self.commands = commands
        self.width = width
        self.height = height
    }

    /// The complete gnuplot script writing `NAME.FORMAT` for each of `formats`.
    public func script(formats: [ImageFormat]) -> String {
        var text = "# \(title)\n# Written by gradlab report; run \"gnuplot \(name).gp\" in this folder to render it again.\n"
        for format in formats {
            text += "\nreset\n\(format.terminal(width: width, height: height))\nset output '\(name).\(format.rawValue)'\n"
            text += commands
            if !commands.hasSuffix("\n") { text += "\n" }
            text += "unset output\n"
        }
        return text
    }

    /// Writes the data files and the script into `directory` (which must exist).
    public func write(into directory: URL, formats: [ImageFormat]) throws {
        for file in data {
            try Data(file.contents.utf8).write(to: directory.appendingPathComponent(file.file))
        }
        try Data(script(formats: formats).utf8).write(to: directory.appendingPathComponent("\(name).gp"))
    }

    /// Writes the files and runs the script in `directory`.
    public func render(into directory: URL, formats: [ImageFormat], gnuplot: Gnuplot = Gnuplot()) throws {
        try write(into: directory, formats: formats)
        try gnuplot.run(script: "load '\(name).gp'\n", in: directory)
    }
}

/// Writes many figures and renders them in one gnuplot process (one `load` per script), which saves
/// a process start per figure. gnuplot stops at the first error; its message names the script and line.
///
/// Figures render one process at a time: the pipe to a second concurrent gnuplot would leak into the
/// first one's child and keep it waiting for end of input.
public func renderAll(_ figures: [Figure], into directory: URL, formats: [ImageFormat],
                      gnuplot: Gnuplot = Gnuplot()) throws {
    guard !figures.isEmpty else { return }
    for figure in figures { try figure.write(into: directory, formats: formats) }
    try gnuplot.run(script: figures.map { "load '\($0.name).gp'\n" }.joined(), in: directory)
}
