import Foundation
import RunFormat

/// The comparison of several runs: overlaid losses, small multiples of gradient flow and heatmaps on
/// shared scales, and a table ranked by final validation loss, then final loss.
public struct ComparisonReport {
    public var runs: [RunData]
    public var formats: [ImageFormat]

    public init(runs: [RunData], formats: [ImageFormat] = [.png]) {
        self.runs = runs
        self.formats = formats.isEmpty ? [.png] : formats
    }

    /// A run's final metrics: run.json's, or the last values on disk for a run that did not finish.
    public struct Outcome: Sendable {
        public var loss: Double?
        public var validationLoss: Double?
        public var trainAccuracy: Double?
        public var validationAccuracy: Double?
    }

    public static func outcome(_ run: RunData) -> Outcome {
        let m = run.manifest
        return Outcome(loss: m.finalLoss ?? run.steps.last?.loss,
                       validationLoss: m.finalValidationLoss ?? run.steps.last { $0.validationLoss != nil }?.validationLoss,
                       trainAccuracy: m.finalTrainAccuracy ?? run.steps.last { $0.trainAccuracy != nil }?.trainAccuracy,
                       validationAccuracy: m.finalValidationAccuracy
                        ?? run.steps.last { $0.validationAccuracy != nil }?.validationAccuracy)
    }

    /// Run indices best first: by final validation loss, then final loss; missing or NaN values last.
    public func ranking() -> [Int] {
        func key(_ x: Double?) -> Double { x.flatMap { $0.isNaN ? nil : $0 } ?? .infinity }
        let outcomes = runs.map(Self.outcome)
        return runs.indices.sorted { a, b in
            let va = key(outcomes[a].validationLoss), vb = key(outcomes[b].validationLoss)
            if va != vb { return va < vb }
            let la = key(outcomes[a].loss), lb = key(outcomes[b].loss)
            return la != lb ? la < lb : a < b
        }
    }

    /// Unique display names: the run names, with a number added to repeats.
    var names: [String] {
        var seen: [String: Int] = [:]
        return runs.map { run in
            let n = seen[run.manifest.name, default: 0] + 1
            seen[run.manifest.name] = n
            return n == 1 ? run.manifest.name : "\(run.manifest.name) (\(n))"
        }
    }

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
        body += "<h2>Ranking</h2>\n<p>Best first, by final validation loss, then final training loss.</p>\n"
        let rows = ranking().enumerated().map { rank, i -> [String] in
            let run = runs[i], o = Self.outcome(run)
            let kinds = orderedUnique(run.findings.map(\.kind)).map(\.title).joined(separator: "; ")
            return ["\(rank + 1)", names[i], run.manifest.model.description, run.status.rawValue, "\(run.lastStep)",
                    HTML.number(o.loss), HTML.number(o.validationLoss), o.trainAccuracy.map(HTML.percent) ?? "–",
                    o.validationAccuracy.map(HTML.percent) ?? "–", HTML.number(run.manifest.depthRatio),
                    kinds.isEmpty ? "none" : "\(run.findings.count): \(kinds)"]
        }
        body += HTML.table(["rank", "run", "model", "status", "steps", "loss", "validation loss", "train accuracy",
                            "validation accuracy", "depth ratio", "findings"], rows) + "\n"
        body += "<h2>Figures</h2>\n" + figures.map { HTML.figure($0, folder: "figures", formats: formats) }
            .joined(separator: "\n") + "\n"
        body += "<h2>Findings per run</h2>\n"
        for i in ranking() {
            body += "<h3>\(HTML.escape(names[i]))</h3>\n"
            body += runs[i].findings.isEmpty ? "<p>None.</p>\n"
                : "<ol>\n" + runs[i].findings.enumerated().map { HTML.finding($0.element, number: $0.offset + 1) }
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
