import Foundation
import RunFormat

/// One configuration of a comparison judged: its final numbers, its findings, and the reason in words.
public struct Verdict: Sendable, Equatable {
    public var name: String
    /// The settings that distinguish it (`activation=relu, optimizer=adam`).
    public var settings: String
    public var status: RunManifest.Status
    public var steps: Int
    public var finalLoss: Double?
    public var validationLoss: Double?
    /// Validation accuracy when there is a validation set, else training accuracy.
    public var accuracy: Double?
    /// The first step whose training loss is at or below the target, when a target was given and reached.
    public var stepsToTarget: Int?
    public var depthRatio: Double?
    /// The kinds of its findings, in the order they were found.
    public var findings: [FindingKind]
    public var reason: String
    /// 1 for the best.
    public var rank = 0

    /// Judges the run in `folder`; `settings` labels it.
    public init(folder: URL, name: String, settings: String, targetLoss: Double?) throws {
        // The one run-folder reader, so that compare accepts and rejects the folders report does.
        let run = try RunReader().read(folder)
        let manifest = run.manifest
        self.name = name
        self.settings = settings
        status = run.status
        steps = run.lastStep
        finalLoss = manifest.finalLoss ?? run.steps.last?.loss
        validationLoss = manifest.finalValidationLoss
        accuracy = manifest.finalValidationAccuracy ?? manifest.finalTrainAccuracy
        if let targetLoss { stepsToTarget = run.steps.first { $0.loss <= targetLoss }?.step }
        depthRatio = manifest.depthRatio
        findings = manifest.findings.map(\.kind)
        reason = Self.reason(manifest: manifest, settings: settings)
    }

    /// "sigmoid + SGD: vanishing from step 1; first layer's gradient 2.3e-08 of the last's".
    static func reason(manifest: RunManifest, settings: String) -> String {
        var parts: [String] = []
        let ratio = manifest.depthRatio.map { String(format: "%.2g", $0) }
        if let f = manifest.findings.first(where: { $0.kind == .nonfinite }) {
            parts.append("diverged at step \(f.step)" + (f.layer.isEmpty ? "" : ", first non-finite value in layer \(f.layer)"))
        }
        if let f = manifest.findings.first(where: { $0.kind == .exploding }) {
            parts.append("exploding from step \(f.step)")
        }
        if let f = manifest.findings.first(where: { $0.kind == .vanishing }) {
            parts.append("vanishing from step \(f.step)" + (ratio.map { "; first layer's gradient \($0) of the last's" } ?? ""))
        }
        for kind in [FindingKind.dead, .saturated] {
            let layers = manifest.findings.filter { $0.kind == kind }.map(\.layer)
            if !layers.isEmpty {
                parts.append("\(kind == .dead ? "dead ReLUs" : "saturated units") in layer\(layers.count > 1 ? "s" : "") "
                             + layers.joined(separator: ", "))
            }
        }
        if manifest.findings.contains(where: { $0.kind == .stagnation }) { parts.append("the loss stalls") }
        if let f = manifest.findings.first(where: { $0.kind == .updateRatio }) {
            parts.append("update ratio \(f.value < f.threshold ? "below" : "above") \(String(format: "%.0e", f.threshold))"
                         + (f.layer.isEmpty ? "" : " (layer \(f.layer))"))
        }
        if let f = manifest.findings.first(where: { $0.kind == .gradcheck }) {
            parts.append("a gradient check failed at step \(f.step) (layer \(f.layer))")
        }
        if parts.isEmpty {
            parts.append("healthy: no findings" + (ratio.map { ", depth ratio \($0)" } ?? ""))
        }
        let label = settings.isEmpty ? manifest.name : settings.replacingOccurrences(of: ", ", with: " + ")
        return "\(label): " + parts.joined(separator: "; ")
    }

    /// Ranks verdicts: runs that completed first, then by validation loss (or training loss), lower first.
    public static func ranked(_ verdicts: [Verdict]) -> [Verdict] {
        func key(_ v: Verdict) -> (Int, Double) {
            let broken = v.status == .completed ? 0 : 1
            let loss = v.validationLoss ?? v.finalLoss ?? .infinity
            return (broken, loss.isFinite ? loss : .infinity)
        }
        var sorted = verdicts.sorted { key($0) < key($1) || (key($0) == key($1) && $0.name < $1.name) }
        for i in sorted.indices { sorted[i].rank = i + 1 }
        return sorted
    }

    /// A plain-text table, one line per verdict, with the reasons beneath.
    public static func table(_ verdicts: [Verdict]) -> String {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.4g", $0) : "\($0)" } ?? "-" }
        var lines = ["rank  run                              status      steps   loss       val loss   accuracy  to target  depth ratio  findings"]
        for v in verdicts {
            lines.append(String(format: "%4d  ", v.rank) + v.name.padding(toLength: 32, withPad: " ", startingAt: 0) + " "
                         + v.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                         + String(format: "%6d  ", v.steps)
                         + number(v.finalLoss).padding(toLength: 11, withPad: " ", startingAt: 0)
                         + number(v.validationLoss).padding(toLength: 11, withPad: " ", startingAt: 0)
                         + (v.accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                         + (v.stepsToTarget.map(String.init) ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0)
                         + number(v.depthRatio).padding(toLength: 13, withPad: " ", startingAt: 0)
                         + (v.findings.isEmpty ? "-" : Array(Set(v.findings)).sorted().map(\.rawValue).joined(separator: ",")))
        }
        lines.append("")
        lines += verdicts.map { "\($0.rank). \($0.reason)" }
        return lines.joined(separator: "\n")
    }

    /// `summary.csv`: one row per verdict.
    public static func write(_ verdicts: [Verdict], to url: URL) throws {
        var text = "rank,run,settings,status,steps,final_loss,val_loss,accuracy,steps_to_target,depth_ratio,findings,reason\n"
        func number(_ x: Double?) -> String { x.map(CSVField.number) ?? "" }
        for v in verdicts {
            text += ["\(v.rank)", CSVField.text(v.name), CSVField.text(v.settings), v.status.rawValue, "\(v.steps)",
                     number(v.finalLoss), number(v.validationLoss), number(v.accuracy),
                     v.stepsToTarget.map(String.init) ?? "", number(v.depthRatio),
                     CSVField.text(v.findings.map(\.rawValue).joined(separator: ";")), CSVField.text(v.reason)].joined(separator: ",") + "\n"
        }
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw RunFolderError.cannotWrite(path: url.path, reason: FileAccess.words(for: error))
        }
    }
}
