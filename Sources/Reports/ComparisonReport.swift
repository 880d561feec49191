import Foundation
import RunFormat

/// The comparison of several runs: overlaid losses, small multiples of gradient flow and heatmaps on
/// shared scales, and the runs ranked by ``RunAssessment/ranked(_:)`` (the ranking `compare` prints), each
/// with its assessment in words.
public struct ComparisonReport {
    public var runs: [RunData]
    public var formats: [ImageFormat]
    /// One per run, parallel to `runs`: how each is judged and named.
    public let assessments: [RunAssessment]

    /// - Parameters:
    ///   - names: the names to show, parallel to `runs` (a sweep's configuration names); by default the
    ///     runs' own names, with a number added to repeats.
    ///   - targetLoss: the loss whose first crossing the ranking table shows as "to target".
    public init(runs: [RunData], names: [String]? = nil, formats: [ImageFormat] = [.png], targetLoss: Double? = nil) {
        self.runs = runs
        self.formats = formats.isEmpty ? [.png] : formats
        let shown = names.map { $0.count == runs.count ? $0 : Self.uniqueNames(runs) } ?? Self.uniqueNames(runs)
        assessments = zip(runs, shown).map { RunAssessment(run: $0, name: $1, targetLoss: targetLoss) }
        self.targetLoss = targetLoss
    }

    private let targetLoss: Double?

    /// Run indices best first, by the one ranking of runs.
    public func ranking() -> [Int] { RunAssessment.rankOrder(assessments) }

    /// Unique display names: the run names, with a number added to repeats.
    static func uniqueNames(_ runs: [RunData]) -> [String] {
        var seen: [String: Int] = [:]
        return runs.map { run in
            let n = seen[run.manifest.name, default: 0] + 1
            seen[run.manifest.name] = n
            return n == 1 ? run.manifest.name : "\(run.manifest.name) (\(n))"
        }
    }

    var names: [String] { assessments.map(\.name) }

    public func figures() -> [Figure] {
        ComparisonFigures(runs: runs, names: names).all()
    }

    /// Writes the comparison into `directory` and returns the URL of its `index.html`.
    @discardableResult
    public func write(to directory: URL, gnuplot: Gnuplot = Gnuplot()) throws -> URL {
        let figures = figures()
        let figureFolder = directory.appendingPathComponent("figures"), dataFolder = directory.appendingPathComponent("data")
        let runFolders = runs.indices.map { dataFolder.appendingPathComponent("run\($0 + 1)") }
        try ReportFolder.prepare([directory, figureFolder] + runFolders)
        for (run, folder) in zip(runs, runFolders) { try ReportFolder.copy(["run.json"] + run.files, from: run.folder, to: folder) }
        try renderAll(figures, into: figureFolder, formats: formats, gnuplot: gnuplot)
        let index = directory.appendingPathComponent("index.html")
        try ReportFolder.write(html(figures: figures), to: index)
        return index
    }

    public func html(figures: [Figure]) -> String {
        var body = "<h1>Comparison of \(runs.count) runs</h1>\n"
        let partial = runs.indices.filter { runs[$0].status != .completed }
        if !partial.isEmpty {
            body += "<div class=\"banner partial\"><ul>\n" + partial.map {
                "<li><strong>\(HTML.escape(names[$0]))</strong>: \(HTML.escape(runs[$0].statusSentence)).</li>"
            }.joined(separator: "\n") + "\n</ul></div>\n"
        }
        body += "<h2>Ranking</h2>\n<p>Best first: runs that completed, then by final validation loss, then final "
            + "training loss.</p>\n"
        let order = ranking()
        // The time ratio only when a run has recurrent layers, so that other comparisons read as before.
        let showsTime = assessments.contains { $0.timeRatio != nil }
        let rows = order.enumerated().map { rank, i -> [String] in
            let run = runs[i], a = assessments[i]
            let kinds = a.findingKinds.map(\.title).joined(separator: "; ")
            return ["\(rank + 1)", names[i], run.manifest.model.description, a.status.rawValue, "\(a.steps)",
                    HTML.number(a.finalLoss), HTML.number(a.validationLoss), a.trainAccuracy.map(HTML.percent) ?? "–",
                    a.validationAccuracy.map(HTML.percent) ?? "–", HTML.number(a.depthRatio)]
                + (showsTime ? [HTML.number(a.timeRatio)] : [])
                + (targetLoss == nil ? [] : [a.stepsToTarget.map(String.init) ?? "–"])
                + [kinds.isEmpty ? "none" : "\(a.findings.count): \(kinds)"]
        }
        body += HTML.table(["rank", "run", "model", "status", "steps", "loss", "validation loss", "train accuracy",
                            "validation accuracy", "depth ratio"] + (showsTime ? ["time ratio"] : [])
                           + (targetLoss.map { ["steps to loss \(HTML.number($0))"] } ?? []) + ["findings"], rows) + "\n"
        body += "<ol class=\"reasons\">\n" + order.map { "<li>\(HTML.escape(assessments[$0].reason))</li>" }
            .joined(separator: "\n") + "\n</ol>\n"
        body += "<h2>Figures</h2>\n" + figures.map { HTML.figure($0, folder: "figures", formats: formats) }
            .joined(separator: "\n") + "\n"
        body += "<h2>Findings per run</h2>\n"
        for i in ranking() {
            body += "<h3>\(HTML.escape(names[i]))</h3>\n"
            body += runs[i].findings.isEmpty ? "<p>None.</p>\n"
                : "<ol>\n" + runs[i].findings.enumerated().map { HTML.finding($0.element, number: $0.offset + 1, end: runs[i].lastStep) }
                    .joined(separator: "\n") + "\n</ol>\n"
        }
        body += "<h2>Files</h2>\n<ul class=\"files\">\n"
        for i in runs.indices {
            for file in ["run.json"] + runs[i].files {
                let path = "data/run\(i + 1)/\(file)"
                body += "<li><a href=\"\(HTML.href(path))\">\(HTML.escape("\(names[i]): \(file)"))</a></li>\n"
            }
        }
        for f in figures {
            for file in ["\(f.name).gp"] + f.data.map(\.file) {
                body += "<li><a href=\"\(HTML.href("figures/\(file)"))\">\(HTML.escape("figures/\(file)"))</a></li>\n"
            }
        }
        body += "</ul>\n"
        return HTML.page(title: "GradLab comparison of \(runs.count) runs", body: body)
    }
}
