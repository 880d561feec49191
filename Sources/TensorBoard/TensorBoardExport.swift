import Foundation
import RunFormat

/// Writes a run folder's records into a TensorBoard event file, and keeps appending as the run grows.
///
/// What TensorBoard shows, by tag:
/// | tag | from | kind |
/// | --- | --- | --- |
/// | `loss`, `grad_norm`, `epoch`, `clipped` | steps.csv, every step | scalar |
/// | `lr` | steps.csv, where given (an empty or absent `lr` is left out) | scalar |
/// | `val_loss`, `train_accuracy`, `val_accuracy` | steps.csv, on evaluation steps | scalar |
/// | `grad_norm/PARAMETER` | gradients.csv, every recorded step | scalar |
/// | `update_ratio/PARAMETER` | gradients.csv, where not NaN (NaN: the column was left out) | scalar |
/// | `time_ratio/LAYER_lK` | timesteps.csv: ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of recurrent layer LAYER's stacked layer K, every recorded step where it is defined | scalar |
/// | `gradient/PARAMETER`, `weight/PARAMETER`, `activation/LAYER` | histograms.csv | histogram (`HistogramSummary`) |
/// | `gradient/PARAMETER/nonfinite`, ... | the non-finite bin, where it counts any entry | scalar |
/// | `findings` | findings.csv (or run.json), at each finding's step, one line per finding | text (markdown) |
///
/// Each step is one event whose wall time is run.json's `created` plus the step's `seconds` (or `created`
/// alone where steps.csv has no `seconds`). Scalars are 32-bit floats in TensorBoard. Findings at one step
/// become one text; a finding that reaches the disk after its step was written (detectors date some
/// findings back) is appended as an event at its own, earlier step, which TensorBoard accepts.
///
/// The event file is created at the first `append` (so a command that fails before writing leaves
/// nothing behind); each exporter writes its own file, never touching other files in the folder.
/// TensorBoard shows every subfolder of its `--logdir` as a run, so give each run its own folder.
public final class TensorBoardExport {
    /// The folder that receives the event file.
    public let folder: String
    /// The event file, once written.
    public var eventFile: String? { file?.path }
    /// The last step written.
    public private(set) var exportedThrough = 0

    private var file: EventFile?
    /// The findings as last exported, in run order: a finding whose row has changed since (its span
    /// closed, or a plateau became stagnation) is exported again.
    private var exportedFindings: [FindingRow] = []

    /// An exporter into `folder`, which is created (with its parents) at the first `append`.
    public init(folder: String) {
        self.folder = folder
    }

    /// Appends the events of `run`'s steps after those already written, up to `lastStep` (all steps on disk
    /// when nil), the findings not yet written whose step is at most `lastStep`, and again every finding
    /// whose row changed since (its span closed, a plateau became stagnation). Does nothing when there
    /// is nothing new.
    ///
    /// Following a live run, pass the last step of steps.csv: the recorder writes a step's row of steps.csv
    /// after its other rows, so every row of the steps up to it is on disk.
    public func append(_ run: RunData, through lastStep: Int? = nil) throws {
        let limit = min(lastStep ?? run.lastStep, run.lastStep)
        let created = Self.seconds(since1970: run.manifest.created)
        var values: [Int: [SummaryValue]] = [:]
        func isNew(_ step: Int) -> Bool { step > exportedThrough && step <= limit }
        func scalar(_ step: Int, _ tag: String, _ x: Double) {
            values[step, default: []].append(SummaryValue(tag: tag, content: .scalar(Float(x))))
        }

        for row in run.steps where isNew(row.step) {
            scalar(row.step, "loss", row.loss)
            scalar(row.step, "grad_norm", row.gradientNorm)
            if !row.learningRate.isNaN { scalar(row.step, "lr", row.learningRate) }
            scalar(row.step, "epoch", Double(row.epoch))
            scalar(row.step, "clipped", row.clipped ? 1 : 0)
            if let v = row.validationLoss { scalar(row.step, "val_loss", v) }
            if let t = row.trainAccuracy { scalar(row.step, "train_accuracy", t) }
            if let v = row.validationAccuracy { scalar(row.step, "val_accuracy", v) }
        }
        for row in run.gradients where isNew(row.step) {
            scalar(row.step, "grad_norm/" + row.parameter, row.norm)
            if !row.updateRatio.isNaN { scalar(row.step, "update_ratio/" + row.parameter, row.updateRatio) }
        }
        for ratio in TimeStepRow.timeRatios(run.timeSteps.filter { isNew($0.step) }) {
            if let value = ratio.ratio { scalar(ratio.step, "time_ratio/\(ratio.layer)_l\(ratio.stack)", value) }
        }
        for (key, rows) in histograms(run.histograms.filter { isNew($0.step) }) {
            let (histogram, nonfinite) = HistogramSummary.from(rows)
            let tag = key.tensor + "/" + key.layer
            values[key.step, default: []].append(SummaryValue(tag: tag, content: .histogram(histogram)))
            if nonfinite > 0 { scalar(key.step, tag + "/nonfinite", Double(nonfinite)) }
        }
        var findingsWritten = exportedFindings
        var changedFindings: [(step: Int, finding: FindingRow)] = []
        for (i, finding) in run.findings.enumerated() {
            if i < findingsWritten.count {
                guard finding != findingsWritten[i] else { continue }
                // Shown at the step where the change is seen: the last step exported now.
                changedFindings.append((max(limit, finding.step), finding))
                findingsWritten[i] = finding
            } else {
                guard finding.step <= limit else { break }
                changedFindings.append((finding.step, finding))
                findingsWritten.append(finding)
            }
        }
        for (step, findings) in Dictionary(grouping: changedFindings, by: \.step).mapValues({ $0.map(\.finding) }) {
            let text = findings.map(Self.line).joined(separator: "\n")
            values[step, default: []].append(SummaryValue(tag: "findings", content: .text(text)))
        }

        guard !values.isEmpty else { return }
        var seconds: [Int: Double] = [:]
        for row in run.steps where values[row.step] != nil && row.seconds.isFinite { seconds[row.step] = row.seconds }
        let records = values.keys.sorted().map { step in
            EventRecord.summary(wallTime: created + (seconds[step] ?? 0), step: step, values: values[step]!)
        }
        let file = try self.file ?? {
            try FileAccess.prepareFolder(folder)
            return try EventFile(folder: folder, wallTime: Date().timeIntervalSince1970)
        }()
        self.file = file
        try file.append(records)
        exportedThrough = max(exportedThrough, limit)
        exportedFindings = findingsWritten
    }

    /// run.json's `created` (ISO 8601, with or without fractional seconds) in seconds since 1970; 0 when it
    /// is not ISO 8601, so that the steps keep their spacing.
    static func seconds(since1970 created: String) -> Double {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: created) { return date.timeIntervalSince1970 }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: created)?.timeIntervalSince1970 ?? 0
    }

    /// A finding as one markdown line, with its span as far as it is known ("from step 201" while open).
    static func line(_ finding: FindingRow) -> String {
        let place = finding.layer.isEmpty ? "" : " in `\(finding.layer)`"
        let message = finding.message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "- **\(finding.severity)** \(finding.kind)\(place), \(finding.span(end: nil)): \(message)"
    }

    private struct HistogramKey: Hashable {
        var step: Int
        var tensor: String
        var layer: String
    }

    /// The rows of each histogram, in the order the histograms first appear.
    private func histograms(_ rows: [HistogramRow]) -> [(key: HistogramKey, rows: [HistogramRow])] {
        var order: [HistogramKey] = []
        var groups: [HistogramKey: [HistogramRow]] = [:]
        for row in rows {
            let key = HistogramKey(step: row.step, tensor: row.tensor, layer: row.layer)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        return order.map { ($0, groups[$0]!) }
    }
}
