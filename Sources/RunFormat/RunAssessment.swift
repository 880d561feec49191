import Foundation

/// One run judged: its status, final metrics, steps to a target loss, depth ratio, findings and the reason
/// in words. `compare`, `report`, `inspect` and the demo all judge runs with this one type, and order them
/// with ``ranked(_:)``, so the same runs are never ranked two ways.
///
/// It reads a run folder alone (through ``RunData``), so a run written by another framework is judged the
/// same way as one of GradLab's.
public struct RunAssessment: Sendable, Equatable {
    /// The name shown for the run: the sweep's configuration name, or run.json's `name`.
    public var name: String
    /// The settings that distinguish the run within a comparison (`activation=relu, optimizer=adam`); empty
    /// for a run on its own.
    public var settings: String
    /// run.json's status, or `interrupted` when it says running and its process is gone.
    public var status: RunManifest.Status
    /// The last step on disk.
    public var steps: Int
    /// run.json's final values, or for a run that did not finish the last ones on disk.
    public var finalLoss: Double?
    public var validationLoss: Double?
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    /// The first step whose training loss is at or below the target, when a target was given and reached.
    public var stepsToTarget: Int?
    /// First layer's gradient norm over the last layer's, from run.json.
    public var depthRatio: Double?
    /// The smallest ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ over the recurrent layers, from run.json (`time_ratio`).
    public var timeRatio: Double?
    /// The findings, in the order they were found: findings.csv's when present, else run.json's.
    public var findings: [FindingRow]
    /// What the findings say, most serious first: "vanishing from step 1; first layer's gradient 2.3e-08 of
    /// the last's", or "healthy: no findings, depth ratio 0.41". `info` findings never make a run
    /// unhealthy: "healthy: no warnings, depth ratio 0.41; a loss plateau over steps 201–300 that ended".
    public var diagnosis: String
    /// The diagnosis after the run's label: "sigmoid + SGD: vanishing from step 1; ...".
    public var reason: String

    /// Validation accuracy when there is a validation set, else training accuracy.
    public var accuracy: Double? { validationAccuracy ?? trainAccuracy }

    /// Judges `run`.
    ///
    /// - Parameters:
    ///   - name: the name to show; run.json's `name` when nil.
    ///   - settings: what distinguishes the run in a comparison; the reason starts with it when given.
    ///   - targetLoss: the training loss whose first crossing gives ``stepsToTarget``.
    public init(run: RunData, name: String? = nil, settings: String = "", targetLoss: Double? = nil) {
        let manifest = run.manifest
        self.name = name ?? manifest.name
        self.settings = settings
        status = run.status
        steps = run.lastStep
        finalLoss = manifest.finalLoss ?? run.steps.last?.loss
        validationLoss = manifest.finalValidationLoss ?? run.steps.last { $0.validationLoss != nil }?.validationLoss
        trainAccuracy = manifest.finalTrainAccuracy ?? run.steps.last { $0.trainAccuracy != nil }?.trainAccuracy
        validationAccuracy = manifest.finalValidationAccuracy
            ?? run.steps.last { $0.validationAccuracy != nil }?.validationAccuracy
        if let targetLoss { stepsToTarget = run.steps.first { $0.loss <= targetLoss }?.step }
        depthRatio = manifest.depthRatio
        timeRatio = manifest.timeRatio
        findings = run.findings
        let label = settings.isEmpty ? self.name : settings.replacingOccurrences(of: ", ", with: " + ")
        diagnosis = Self.diagnosis(findings: run.findings, depthRatio: manifest.depthRatio, end: run.lastStep)
        reason = "\(label): " + diagnosis
    }

    /// The kinds of the findings, each once, in the order first found.
    public var findingKinds: [FindingKind] {
        var seen = Set<FindingKind>()
        return findings.map(\.kind).filter { seen.insert($0).inserted }
    }

    /// The findings to act on: warnings and errors, not `info`.
    public var warnings: [FindingRow] { findings.filter(\.severity.needsAction) }

    /// The ``diagnosis`` of these findings, `end` being the run's last step on disk.
    static func diagnosis(findings: [FindingRow], depthRatio: Double?, end: Int? = nil) -> String {
        var parts: [String] = []
        let ratio = depthRatio.map { String(format: "%.2g", $0) }
        let actionable = findings.filter(\.severity.needsAction)
        func first(_ kind: FindingKind) -> FindingRow? { actionable.first { $0.kind == kind } }
        if let f = first(.nonfinite) {
            parts.append("diverged at step \(f.step)" + (f.layer.isEmpty ? "" : ", first non-finite value in layer \(f.layer)"))
        }
        if let f = first(.exploding) { parts.append("exploding from step \(f.step)") }
        if let f = first(.vanishing) {
            parts.append("vanishing from step \(f.step)" + (ratio.map { "; first layer's gradient \($0) of the last's" } ?? ""))
        }
        if let f = first(.explodingThroughTime) { parts.append("exploding through time from step \(f.step) (layer \(f.layer))") }
        if let f = first(.vanishingThroughTime) { parts.append("vanishing through time from step \(f.step) (layer \(f.layer))") }
        for (kind, words) in [(FindingKind.dead, "dead ReLUs"), (.saturated, "saturated units"), (.saturatedGates, "saturated gates")] {
            var seen = Set<String>()
            let layers = actionable.filter { $0.kind == kind }.map(\.layer).filter { seen.insert($0).inserted }
            if !layers.isEmpty {
                parts.append("\(words) in layer\(layers.count > 1 ? "s" : "") " + layers.joined(separator: ", "))
            }
        }
        if let f = first(.stagnation) { parts.append("the loss stalls from step \(f.step) to the end") }
        if let f = first(.updateRatio) {
            parts.append("update ratio \(f.value < f.threshold ? "below" : "above") \(String(format: "%.0e", f.threshold))"
                         + (f.layer.isEmpty ? "" : " (layer \(f.layer))"))
        }
        if let f = first(.gradcheck) {
            parts.append("a gradient check failed at step \(f.step) (layer \(f.layer))")
        }
        let plateaus = findings.filter { $0.kind == .plateau }.map {
            "a loss plateau over \($0.span(end: end))" + ($0.isOpen ? "" : " that ended")
        }
        if parts.isEmpty {
            let none = findings.isEmpty ? "no findings" : "no warnings"
            parts.append("healthy: \(none)" + (ratio.map { ", depth ratio \($0)" } ?? ""))
        }
        return (parts + plateaus).joined(separator: "; ")
    }

    /// The one ranking of runs, best first, as (rank, assessment) with rank 1 for the best:
    ///
    /// 1. runs that completed before runs that diverged, were interrupted, failed or are still going;
    /// 2. then by final validation loss, lower first;
    /// 3. then by final training loss, lower first;
    /// 4. then by name, then by the order given.
    ///
    /// A missing or NaN loss sorts after every number (an infinite one too), so a run without a
    /// validation set never outranks one that has it on a loss that is not comparable.
    public static func ranked(_ assessments: [RunAssessment]) -> [(rank: Int, assessment: RunAssessment)] {
        rankOrder(assessments).enumerated().map { (rank: $0.offset + 1, assessment: assessments[$0.element]) }
    }

    /// The indices of `assessments`, best first, by the rule of ``ranked(_:)``.
    public static func rankOrder(_ assessments: [RunAssessment]) -> [Int] {
        func key(_ x: Double?) -> (Int, Double) {
            guard let x, !x.isNaN else { return (1, 0) }
            return (0, x)
        }
        return assessments.indices.sorted { a, b in
            let x = assessments[a], y = assessments[b]
            let bx = x.status == .completed ? 0 : 1, by = y.status == .completed ? 0 : 1
            if bx != by { return bx < by }
            if key(x.validationLoss) != key(y.validationLoss) { return key(x.validationLoss) < key(y.validationLoss) }
            if key(x.finalLoss) != key(y.finalLoss) { return key(x.finalLoss) < key(y.finalLoss) }
            if x.name != y.name { return x.name < y.name }
            return a < b
        }
    }
}
