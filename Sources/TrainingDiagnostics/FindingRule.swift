import RunFormat

/// One detector: a condition on what training records that raises findings of one kind.
///
/// A rule implements the hook for what it reads; the others default to raising nothing. On a recorded step
/// `Detectors` calls every rule's `evaluate(gradients:)` (weight-gradient norms), then, layer by layer in
/// model order, every rule's `evaluate(layer:)` (activation statistics), then every rule's
/// `evaluate(updates:)` (update ratios); on every step, `evaluate(step:)` (loss and global norm). That is
/// the order a step's findings are listed in. A rule keeps its own history (streaks, windows) and reports
/// through the shared `FindingLedger`, which lets each kind and subject fire once per run. The rule's doc comment
/// states its condition, the `DetectorThresholds` fields it reads, and where their defaults come from.
///
/// Adding a finding: a case in `FindingKind` (title, remedy, figure), one rule type in `Rules/`, its entry
/// in `Detectors.rules`, and one test (docs/ARCHITECTURE.md, "How to add a detector").
protocol FindingRule: Sendable {
    /// The kind of the findings the rule raises.
    static var kind: FindingKind { get }
    /// How serious its findings are; `warning` unless the rule says otherwise.
    static var severity: FindingSeverity { get }
    /// Findings from a recorded step's weight-gradient norms.
    mutating func evaluate(gradients recorded: RecordedStep, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings from one activation layer of a recorded step.
    mutating func evaluate(layer: RecordedStep.ActivationLayer, step: Int, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings from a recorded step's update ratios.
    mutating func evaluate(updates recorded: RecordedStep, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings from one step's loss and global gradient norm (every step, recorded or not).
    mutating func evaluate(step: StepValues, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
}

extension FindingRule {
    static var severity: FindingSeverity { .warning }

    func evaluate(gradients recorded: RecordedStep, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(layer: RecordedStep.ActivationLayer, step: Int, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(updates recorded: RecordedStep, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(step: StepValues, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    /// A finding of this rule's kind and severity whose message ends with the kind's remedy.
    func finding(step: Int, layer: String, value: Double, threshold: Double, message: String,
                 remedy: String = Self.kind.remedy) -> FindingRow {
        FindingRow(step: step, layer: layer, kind: Self.kind, severity: Self.severity, value: value,
                   threshold: threshold, message: message + " Remedy: " + remedy)
    }
}

/// One step's loss and global gradient norm (before clipping), as the step-level rules see them.
struct StepValues: Sendable {
    var step: Int
    var loss: Double
    var gradientNorm: Double
}

/// What has been reported in this run: each kind fires at most once per subject (a layer, a side of a
/// band, or the whole model), whichever rule raises it.
struct FindingLedger: Sendable {
    private var reported: Set<String> = []

    /// `make()`'s finding, unless `kind` was already reported for `subject`.
    mutating func once(_ kind: FindingKind, about subject: String = "", _ make: () -> FindingRow) -> FindingRow? {
        guard reported.insert("\(kind.rawValue) \(subject)").inserted else { return nil }
        return make()
    }
}

/// Consecutive recorded steps a condition has held, and the step it began, by subject.
struct Streaks: Sendable {
    private var streaks: [String: (count: Int, since: Int)] = [:]

    /// Counts `holds` for `subject` at `step`; true once it has held `sustain` times in a row, with the
    /// step the streak began. A step where it does not hold ends the streak.
    mutating func update(_ subject: String, _ holds: Bool, step: Int, sustain: Int) -> (holds: Bool, since: Int) {
        guard holds else { streaks[subject] = nil; return (false, step) }
        let streak = streaks[subject].map { ($0.count + 1, $0.since) } ?? (1, step)
        streaks[subject] = streak
        return (streak.0 >= sustain, streak.1)
    }
}
