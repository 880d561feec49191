import ArgumentParser
import Foundation
import RunFormat

/// `gradlab inspect RUN`: a run's summary and findings.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a run folder's summary and findings.",
        discussion: "Works on a run that is still going or was killed: it reads what is on disk."
    )

    @Argument(help: ArgumentHelp("A run folder written by `gradlab train`.", valueName: "run"))
    var runFolder: String

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder, isDirectory: true)
        // The one run-folder reader: inspect accepts and rejects the folders that report does.
        let run = try RunReader().read(folder)
        print(RunSummary(run: run, folder: folder.path).text)
    }
}

/// The summary `train` prints at its end and `inspect` prints for any run.
struct RunSummary {
    /// Read through the one run-folder reader: steps.csv may be ahead of run.json for a live or killed
    /// run, and findings.csv (flushed at every finding) ahead of run.json's list.
    var run: RunData
    var folder: String

    var text: String {
        let m = run.manifest
        // The one assessment of a run, as compare and report give it.
        let a = RunAssessment(run: run)
        var lines: [String] = []
        let status = a.status
        let note = status != m.status ? " (run.json says \(m.status.rawValue); its process is gone)" : ""
        lines.append("Run \(m.name): \(status.rawValue)\(note)")
        lines.append("  folder     \(folder)")
        lines.append("  model      \(m.model.description) (\(m.model.parameters.reduce(0) { $0 + $1.shape.reduce(1, *) }) "
                     + "parameters in \(m.model.parameters.count) tensors)")
        lines.append("  data       \(m.dataset.name): \(m.dataset.trainingExamples) training, "
                     + "\(m.dataset.validationExamples) validation examples, \(m.dataset.features) features, "
                     + "\(m.dataset.outputs) outputs")
        lines.append("  optimizer  " + m.optimizer.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                        .joined(separator: ", "))
        lines.append("  steps      \(a.steps)")
        var metrics: [String] = []
        if let loss = a.finalLoss { metrics.append("loss \(format(loss))") }
        if let v = a.validationLoss { metrics.append("validation loss \(format(v))") }
        if let t = a.trainAccuracy { metrics.append(String(format: "train accuracy %.1f%%", t * 100)) }
        if let v = a.validationAccuracy { metrics.append(String(format: "validation accuracy %.1f%%", v * 100)) }
        if let r = a.depthRatio { metrics.append("depth ratio \(format(r))") }
        if let r = a.timeRatio { metrics.append("time ratio \(format(r))") }
        if !metrics.isEmpty { lines.append("  final      " + metrics.joined(separator: ", ")) }
        lines.append("  assessment \(a.diagnosis)")
        let findings = a.findings
        if findings.isEmpty {
            lines.append("Findings: none")
        } else {
            lines.append("Findings (\(findings.count)):")
            for f in findings {
                let place = f.layer.isEmpty ? "" : " layer \(f.layer)"
                lines.append("  [\(f.severity.rawValue)] \(f.kind.rawValue)\(place) \(f.span(end: a.steps)): \(f.message)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ x: Double) -> String { x.isNaN ? "nan" : String(format: "%.4g", x) }
}
