import Foundation
import RunFormat

/// The report of one run: a folder holding `index.html`, the figures (images, `.gp` scripts and their
/// data in `figures/`) and a copy of the run's files in `data/`, readable offline from disk.
public struct RunReport {
    public var run: RunData
    /// Image formats to render; the first is the one the page shows.
    public var formats: [ImageFormat]

    public init(run: RunData, formats: [ImageFormat] = [.png]) {
        self.run = run
        self.formats = formats.isEmpty ? [.png] : formats
    }

    public func figures() -> [Figure] { RunFigures(run: run).all() }

    /// Writes the report into `directory` (created if needed) and returns the URL of its `index.html`.
    /// Throws `RunFolderError.cannotWrite` for a folder that cannot be written, `GnuplotError` when
    /// gnuplot fails.
    @discardableResult
    public func write(to directory: URL, gnuplot: Gnuplot = Gnuplot()) throws -> URL {
        let figures = figures()
        let figureFolder = directory.appendingPathComponent("figures"), dataFolder = directory.appendingPathComponent("data")
        try ReportFolder.prepare([directory, figureFolder, dataFolder])
        try ReportFolder.copy(["run.json"] + run.files, from: run.folder, to: dataFolder)
        try renderAll(figures, into: figureFolder, formats: formats, gnuplot: gnuplot)
        let index = directory.appendingPathComponent("index.html")
        try ReportFolder.write(html(figures: figures), to: index)
        return index
    }

    /// The page.
    public func html(figures: [Figure]) -> String {
        let m = run.manifest
        var body = "<h1>Run " + HTML.escape(m.name) + "</h1>\n"
        body += "<p>\(HTML.escape(m.model.description)) on \(HTML.escape(m.dataset.name)) · created \(HTML.escape(m.created))</p>\n"
        let banner = run.status == .completed ? "good" : (run.isPartial ? "partial" : "bad")
        body += "<div class=\"banner \(banner)\"><strong>Status: \(HTML.escape(run.status.rawValue))</strong> — "
            + HTML.escape(run.statusSentence) + ".</div>\n"
        if !run.notes.isEmpty {
            body += "<ul>\n" + run.notes.map { "<li>\(HTML.escape($0))</li>" }.joined(separator: "\n") + "\n</ul>\n"
        }
        body += "<h2>Summary</h2>\n" + HTML.table(["setting", "value"], summaryRows()) + "\n"
        body += findingsSection(figures)
        body += "<h2>Figures</h2>\n" + figures.map { HTML.figure($0, folder: "figures", formats: formats) }
            .joined(separator: "\n") + "\n"
        body += tablesSection()
        body += "<h2>Files</h2>\n<p>The run's files as read (copied into <code>data/</code>), and each figure's gnuplot "
            + "script and data (run <code>gnuplot NAME.gp</code> in <code>figures/</code> to render one again).</p>\n"
        let files = (["run.json"] + run.files).map { "data/\($0)" }
            + figures.flatMap { f in ["figures/\(f.name).gp"] + f.data.map { "figures/\($0.file)" } }
        body += "<ul class=\"files\">\n" + files.map { "<li><a href=\"\(HTML.href($0))\">\(HTML.escape($0))</a></li>" }
            .joined(separator: "\n") + "\n</ul>\n"
        return HTML.page(title: "GradLab report: \(m.name)", body: body)
    }

    func summaryRows() -> [[String]] {
        let m = run.manifest
        let parameters = m.model.parameters.reduce(0) { $0 + $1.shape.reduce(1, *) }
        var rows = [
            ["model", "\(m.model.description) (\(parameters) parameters in \(m.model.parameters.count) tensors, "
                + "\(m.model.layers.count) layers)"],
            ["data", "\(m.dataset.name): \(m.dataset.trainingExamples) training, \(m.dataset.validationExamples) "
                + "validation examples, \(m.dataset.features) features, \(m.dataset.outputs) outputs"],
            ["optimizer", m.optimizer.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")],
            ["status", "\(run.status.rawValue): \(run.statusSentence)"],
            ["steps", "\(run.lastStep)"],
            ["seed", "\(m.seed)"],
        ]
        // The one assessment of a run, as compare and inspect give it.
        let a = RunAssessment(run: run)
        var metrics = ["loss \(HTML.number(a.finalLoss))"]
        if let v = a.validationLoss { metrics.append("validation loss \(HTML.number(v))") }
        if let t = a.trainAccuracy { metrics.append("train accuracy \(HTML.percent(t))") }
        if let v = a.validationAccuracy { metrics.append("validation accuracy \(HTML.percent(v))") }
        if let r = a.depthRatio { metrics.append("depth ratio (first/last layer gradient) \(HTML.number(r))") }
        if let r = a.timeRatio { metrics.append("time ratio (‖∂L/∂h_1‖/‖∂L/∂h_T‖) \(HTML.number(r))") }
        rows.append(["final", metrics.joined(separator: ", ")])
        rows.append(["assessment", a.diagnosis])
        if !m.config.isEmpty {
            rows.append(["settings", m.config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")])
        }
        return rows
    }

    /// The findings in plain words, grouped beside the figure that shows them.
    func findingsSection(_ figures: [Figure]) -> String {
        var text = "<h2>Findings</h2>\n"
        guard !run.findings.isEmpty else { return text + "<p>None: no detector fired.</p>\n" }
        var groups: [(String, [Int])] = []
        for (i, f) in run.findings.enumerated() {
            var name = f.kind.figure
            if !figures.contains(where: { $0.name == name }) { name = "loss" }
            if let g = groups.firstIndex(where: { $0.0 == name }) { groups[g].1.append(i) } else { groups.append((name, [i])) }
        }
        for (name, indices) in groups {
            let list = "<ol>\n" + indices.map { HTML.finding(run.findings[$0], number: $0 + 1, end: run.lastStep) }.joined(separator: "\n") + "\n</ol>"
            let figure = figures.first { $0.name == name }
                .map { HTML.figure($0, folder: "figures", formats: formats).replacingOccurrences(of: "<figure id=", with: "<figure data-for=") } ?? ""
            text += "<div class=\"pair\">\n\(figure)\n\(list)\n</div>\n"
        }
        return text
    }

    /// Per-tensor and per-layer statistics at the last recorded step.
    func tablesSection() -> String {
        var text = ""
        if let step = run.gradients.last?.step {
            let rows = run.gradients.filter { $0.step == step }.map { g in
                [g.parameter, g.layer, HTML.number(g.norm), HTML.number(g.maxAbs), HTML.percent(g.zeroFraction),
                 HTML.number(g.weightNorm), HTML.number(g.updateRatio), "\(g.nonfinite)"]
            }
            text += "<h2>Gradients at step \(step)</h2>\n" + HTML.table(
                ["tensor", "layer", "‖g‖", "max |g|", "zeros", "‖W‖", "‖ΔW‖/‖W‖", "non-finite"], rows) + "\n"
        }
        if let step = run.activations.last?.step {
            let rows = run.activations.filter { $0.step == step }.map { a in
                [a.layer, HTML.number(a.mean), HTML.number(a.standardDeviation), HTML.number(a.min), HTML.number(a.max),
                 HTML.percent(a.saturatedFraction), HTML.percent(a.deadFraction), "\(a.nonfinite)"]
            }
            text += "<h2>Activations at step \(step)</h2>\n" + HTML.table(
                ["layer", "mean", "std", "min", "max", "saturated", "dead", "non-finite"], rows) + "\n"
        }
        return text
    }
}
