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
        var summary = RunSummary(manifest: run.manifest, folder: folder.path)
        // steps.csv may be ahead of run.json for a live or killed run.
        summary.stepsOnDisk = run.steps.last?.step
        summary.lastLoss = run.steps.last?.loss
        summary.findings = run.findings
        print(summary.text)
    }
}

/// The summary `train` prints at its end and `inspect` prints for any run.
struct RunSummary {
    var manifest: RunManifest
    var folder: String
    var stepsOnDisk: Int?
    var lastLoss: Double?
    /// The findings to list: findings.csv's when read (it is flushed at every finding), else run.json's.
    var findings: [FindingRow]?

    var text: String {
        let m = manifest
        var lines: [String] = []
        let status = m.effectiveStatus
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
        let steps = max(m.stepsCompleted, stepsOnDisk ?? 0)
        lines.append("  steps      \(steps)")
        var metrics: [String] = []
        if let loss = m.finalLoss ?? lastLoss { metrics.append("loss \(format(loss))") }
        if let v = m.finalValidationLoss { metrics.append("validation loss \(format(v))") }
        if let a = m.finalTrainAccuracy { metrics.append(String(format: "train accuracy %.1f%%", a * 100)) }
        if let a = m.finalValidationAccuracy { metrics.append(String(format: "validation accuracy %.1f%%", a * 100)) }
        if let r = m.depthRatio { metrics.append("depth ratio \(format(r))") }
        if !metrics.isEmpty { lines.append("  final      " + metrics.joined(separator: ", ")) }
        let findings = self.findings ?? m.findings
        if findings.isEmpty {
            lines.append("Findings: none")
        } else {
            lines.append("Findings (\(findings.count)):")
            for f in findings {
                let place = f.layer.isEmpty ? "" : " layer \(f.layer)"
                lines.append("  [\(f.severity.rawValue)] \(f.kind.rawValue)\(place) from step \(f.step): \(f.message)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ x: Double) -> String { x.isNaN ? "nan" : String(format: "%.4g", x) }
}
