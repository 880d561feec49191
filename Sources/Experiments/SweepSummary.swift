import Foundation
import RunFormat

/// The ranked runs of a comparison (`compare`, the demo): the terminal table and `summary.csv`.
///
/// Each run is judged by ``RunAssessment`` and ordered by ``RunAssessment/ranked(_:)``, the ranking the
/// comparison report uses too.
public struct SweepSummary: Sendable {
    /// Best first; `rank` is 1 for the best.
    public var rows: [(rank: Int, assessment: RunAssessment)]

    public init(_ assessments: [RunAssessment]) {
        rows = RunAssessment.ranked(assessments)
    }

    /// Judges the run in `folder` through the one run-folder reader, so that compare accepts and rejects
    /// the folders `report` does; `name` and `settings` label it.
    public static func assess(folder: URL, name: String, settings: String, targetLoss: Double?) throws -> RunAssessment {
        RunAssessment(run: try RunReader().read(folder), name: name, settings: settings, targetLoss: targetLoss)
    }

    /// The reasons in rank order.
    public var reasons: [String] { rows.map(\.assessment.reason) }

    /// A plain-text table, one line per run, with the reasons beneath.
    public var table: String {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.4g", $0) : "\($0)" } ?? "-" }
        var lines = ["rank  run                              status      steps   loss       val loss   accuracy  to target  depth ratio  findings"]
        for (rank, a) in rows {
            lines.append(String(format: "%4d  ", rank) + a.name.padding(toLength: 32, withPad: " ", startingAt: 0) + " "
                         + a.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                         + String(format: "%6d  ", a.steps)
                         + number(a.finalLoss).padding(toLength: 11, withPad: " ", startingAt: 0)
                         + number(a.validationLoss).padding(toLength: 11, withPad: " ", startingAt: 0)
                         + (a.accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                         + (a.stepsToTarget.map(String.init) ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0)
                         + number(a.depthRatio).padding(toLength: 13, withPad: " ", startingAt: 0)
                         + (a.findings.isEmpty ? "-" : a.findingKinds.map(\.rawValue).sorted().joined(separator: ",")))
        }
        lines.append("")
        lines += rows.map { "\($0.rank). \($0.assessment.reason)" }
        return lines.joined(separator: "\n")
    }

    /// `summary.csv`: one row per run, best first.
    public func write(to url: URL) throws {
        var text = "rank,run,settings,status,steps,final_loss,val_loss,accuracy,steps_to_target,depth_ratio,findings,reason\n"
        func number(_ x: Double?) -> String { x.map(CSVField.number) ?? "" }
        for (rank, a) in rows {
            text += ["\(rank)", CSVField.text(a.name), CSVField.text(a.settings), a.status.rawValue, "\(a.steps)",
                     number(a.finalLoss), number(a.validationLoss), number(a.accuracy),
                     a.stepsToTarget.map(String.init) ?? "", number(a.depthRatio),
                     CSVField.text(a.findings.map(\.kind.rawValue).joined(separator: ";")), CSVField.text(a.reason)]
                .joined(separator: ",") + "\n"
        }
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw RunFolderError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
    }
}
