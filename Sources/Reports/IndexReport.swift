import Foundation
import RunFormat

/// A page that ties several reports together: sections with a title, paragraphs of explanation, lines of
/// results and links to the reports they summarise, and optionally the figures of a standalone gradient
/// check. The demo's front page is one.
public struct IndexReport {
    public struct Section: Sendable {
        public var title: String
        public var paragraphs: [String]
        /// Result lines, shown as a list (for example each run's verdict).
        public var items: [String]
        /// (text, path relative to the page) of the reports the section summarises.
        public var links: [(text: String, path: String)]
        public init(title: String, paragraphs: [String] = [], items: [String] = [], links: [(text: String, path: String)] = []) {
            self.title = title
            self.paragraphs = paragraphs
            self.items = items
            self.links = links
        }
    }

    public var title: String
    public var introduction: [String]
    public var sections: [Section]
    /// A folder holding gradcheck.csv (and gradcheck-sweep.csv) whose figures go in a last section.
    public var gradientCheck: (title: String, text: String, folder: URL)?
    public var formats: [ImageFormat]

    public init(title: String, introduction: [String], sections: [Section],
                gradientCheck: (title: String, text: String, folder: URL)? = nil, formats: [ImageFormat] = [.png]) {
        self.title = title
        self.introduction = introduction
        self.sections = sections
        self.gradientCheck = gradientCheck
        self.formats = formats.isEmpty ? [.png] : formats
    }

    /// Writes `index.html` (and the gradient check's figures in `figures/`) into `directory`.
    @discardableResult
    public func write(to directory: URL, gnuplot: Gnuplot = Gnuplot()) throws -> URL {
        var body = "<h1>\(HTML.escape(title))</h1>\n" + introduction.map { "<p>\(HTML.escape($0))</p>" }.joined(separator: "\n")
        for section in sections {
            body += "\n<h2>\(HTML.escape(section.title))</h2>\n"
            body += section.paragraphs.map { "<p>\(HTML.escape($0))</p>" }.joined(separator: "\n")
            if !section.items.isEmpty {
                body += "\n<ul>\n" + section.items.map { "<li>\(HTML.escape($0))</li>" }.joined(separator: "\n") + "\n</ul>"
            }
            if !section.links.isEmpty {
                body += "\n<p>" + section.links.map { "<a href=\"\(HTML.href($0.path))\">\(HTML.escape($0.text))</a>" }
                    .joined(separator: " · ") + "</p>"
            }
        }
        try ReportFolder.prepare([directory])
        if let check = gradientCheck {
            let figureFolder = directory.appendingPathComponent("figures")
            try ReportFolder.prepare([figureFolder])
            let run = try Self.checkData(check.folder)
            let figures = RunFigures(run: run).gradientChecks()
            try renderAll(figures, into: figureFolder, formats: formats, gnuplot: gnuplot)
            body += "\n<h2>\(HTML.escape(check.title))</h2>\n<p>\(HTML.escape(check.text))</p>\n"
            body += figures.map { HTML.figure($0, folder: "figures", formats: formats) }.joined(separator: "\n")
            let files = ["gradcheck.csv", "gradcheck-sweep.csv"].filter {
                FileManager.default.fileExists(atPath: check.folder.appendingPathComponent($0).path)
            }
            body += "\n<p>" + files.map { name in
                "<a href=\"\(HTML.href(Self.relative(check.folder.appendingPathComponent(name), to: directory)))\">\(name)</a>"
            }.joined(separator: " · ") + "</p>"
        }
        let index = directory.appendingPathComponent("index.html")
        try ReportFolder.write(HTML.page(title: title, body: body), to: index)
        return index
    }

    /// The gradient check's rows as a run with no steps, so the run figures can draw them.
    static func checkData(_ folder: URL) throws -> RunData {
        let manifest = RunManifest(
            name: folder.lastPathComponent, created: "", status: .completed, seed: 0, config: [:],
            model: .init(description: "", layers: [], parameters: []),
            dataset: .init(name: "", trainingExamples: 0, validationExamples: 0, features: 0, outputs: 0), optimizer: [:])
        var data = RunData(folder: folder, manifest: manifest, steps: [])
        data.gradchecks = try CSVTable(url: folder.appendingPathComponent("gradcheck.csv")).gradchecks()
        let sweep = folder.appendingPathComponent("gradcheck-sweep.csv")
        if FileManager.default.fileExists(atPath: sweep.path) { data.sweep = try CSVTable(url: sweep).sweep() }
        return data
    }

    /// `file`'s path relative to `directory` when inside it, else absolute.
    static func relative(_ file: URL, to directory: URL) -> String {
        let base = directory.standardizedFileURL.path + "/"
        let path = file.standardizedFileURL.path
        if path.hasPrefix(base) { return String(path.dropFirst(base.count)) }
        let parent = directory.deletingLastPathComponent().standardizedFileURL.path + "/"
        return path.hasPrefix(parent) ? "../" + path.dropFirst(parent.count) : path
    }
}
