import RunFormat

/// One detector: a condition on what training records that raises findings of one kind.
///
/// A rule implements the hook for what it reads; the others default to raising nothing. On a recorded step
/// `Detectors` calls every rule's `evaluate(gradients:)` (weight-gradient norms), then, layer by layer in
/// model order, every rule's `evaluate(layer:)` (activation statistics), then, recurrent layer by
/// recurrent layer, every rule's `evaluate(time:)` (per-time-step traces), then every rule's
/// `evaluate(updates:)` (update ratios); on every step, `evaluate(step:)` (loss and global norm). That is
/// the order a step's findings are listed in. A rule keeps its own history (streaks, windows) and reports
/// through the shared `FindingLedger`, which lets each kind and subject fire once per run. A finding is
/// raised open; when its condition clears the rule closes it (`FindingLedger.close`) with the last step it
/// held, and `Detectors` returns the closing row after the step's new findings. At the end of training
/// `finish(lastStep:)` lets a rule decide what only the end can (a plateau lasting to the end is
/// stagnation). The rule's doc comment states its condition, when it clears, the `DetectorThresholds`
/// fields it reads, and where their defaults come from.
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
    /// Findings from one recurrent layer's time traces of a recorded step.
    mutating func evaluate(time layer: RecordedStep.TimeLayer, step: Int, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings from a recorded step's update ratios.
    mutating func evaluate(updates recorded: RecordedStep, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings from one step's loss and global gradient norm (every step, recorded or not).
    mutating func evaluate(step: StepValues, _ thresholds: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow]
    /// Findings decided at the end of training, `lastStep` being the run's last step.
    mutating func finish(lastStep: Int, _ thresholds: DetectorThresholds, _ ledger: inout FindingLedger) -> [FindingRow]
}

extension FindingRule {
    static var severity: FindingSeverity { .warning }

    func evaluate(gradients recorded: RecordedStep, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(layer: RecordedStep.ActivationLayer, step: Int, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(time layer: RecordedStep.TimeLayer, step: Int, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(updates recorded: RecordedStep, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func evaluate(step: StepValues, _ thresholds: DetectorThresholds,
                  _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    func finish(lastStep: Int, _ thresholds: DetectorThresholds, _ ledger: inout FindingLedger) -> [FindingRow] { [] }

    /// A finding of this rule's kind and severity whose message ends with the kind's remedy.
    func finding(step: Int, layer: String, value: Double, threshold: Double, message: String,
                 remedy: String = Self.kind.remedy) -> FindingRow {
        FindingRow(step: step, layer: layer, kind: Self.kind, severity: Self.severity, value: value,
                   threshold: threshold, message: message + " Remedy: " + remedy)
    }

    /// The rule of a layer's fraction (dead units, saturated outputs): a finding once the fraction has been
    /// at or above `threshold` for `sustain` recorded steps in a row, once per layer, closed at the first
    /// recorded step below it; `message(since)` words it.
    func sustainedFraction(_ fraction: Double, of layer: String, threshold: Double, step: Int, sustain: Int,
                           streaks: inout Streaks, ledger: inout FindingLedger,
                           message: (_ since: Int) -> String) -> [FindingRow] {
        let (holds, since, ended) = streaks.update(layer, fraction >= threshold, step: step, sustain: sustain)
        if let ended { ledger.close(Self.kind, about: layer, lastStep: ended) }
        guard holds else { return [] }
        let found = ledger.once(Self.kind, about: layer) {
            finding(step: since, layer: layer, value: fraction, threshold: threshold, message: message(since))
        }
        return found.map { [$0] } ?? []
    }
}

/// One step's loss and global gradient norm (before clipping), as the step-level rules see them.
struct StepValues: Sendable {
    var step: Int
    var loss: Double
    var gradientNorm: Double
}

/// What has been reported in this run: each kind fires at most once per subject (a layer, a side of a
/// band, or the whole model), whichever rule raises it; and the findings still open, until their rule
/// closes them.
struct FindingLedger: Sendable {
    private var reported: Set<String> = []
    private var open: [String: FindingRow] = [:]
    /// Closing rows not yet handed out (`takeClosed()`).
    private var closed: [FindingRow] = []

    /// `make()`'s finding, unless `kind` was already reported for `subject`. It stays open until `close`
    /// unless it is made with a `lastStep` (a condition that held at one step only).
    mutating func once(_ kind: FindingKind, about subject: String = "", _ make: () -> FindingRow) -> FindingRow? {
        let key = "\(kind.rawValue) \(subject)"
        guard reported.insert(key).inserted else { return nil }
        let row = make()
        if row.isOpen { open[key] = row }
        return row
    }

    /// True while a finding of `kind` about `subject` is open.
    func isOpen(_ kind: FindingKind, about subject: String = "") -> Bool { open["\(kind.rawValue) \(subject)"] != nil }

    /// Closes the open finding of `kind` about `subject`, if any: its row again with `lastStep`, the last
    /// step at which the condition held, and `severity` when the rule says a closed span is less serious.
    mutating func close(_ kind: FindingKind, about subject: String = "", lastStep: Int,
                        severity: FindingSeverity? = nil) {
        guard var row = open.removeValue(forKey: "\(kind.rawValue) \(subject)") else { return }
        row.lastStep = max(lastStep, row.step)
        if let severity { row.severity = severity }
        closed.append(row)
    }

    /// Lets `kind` about `subject`, closed, be raised again by `once`: a new span with its own first step
    /// (readers tell findings apart by kind, layer and first step).
    mutating func allowAgain(_ kind: FindingKind, about subject: String = "") {
        let key = "\(kind.rawValue) \(subject)"
        guard open[key] == nil else { return }
        reported.remove(key)
    }

    /// Replaces the open finding of `kind` about `subject` by `row` (same step: a plateau found to last to
    /// the end becomes stagnation), which stays open; returns it, or nil when nothing was open.
    mutating func replace(_ kind: FindingKind, about subject: String = "", by row: FindingRow) -> FindingRow? {
        guard open.removeValue(forKey: "\(kind.rawValue) \(subject)") != nil else { return nil }
        return row
    }

    /// The closing rows made since the last call.
    mutating func takeClosed() -> [FindingRow] {
        defer { closed.removeAll() }
        return closed
    }
}

/// Consecutive recorded steps a condition has held, and the step it began, by subject.
struct Streaks: Sendable {
    private var streaks: [String: (count: Int, since: Int, last: Int)] = [:]

    /// Counts `holds` for `subject` at `step`; true once it has held `sustain` times in a row, with the
    /// step the streak began. A step where it does not hold ends the streak, and `ended` is then the last
    /// step of the streak that ended (nil when there was none).
    mutating func update(_ subject: String, _ holds: Bool, step: Int,
                         sustain: Int) -> (holds: Bool, since: Int, ended: Int?) {
        guard holds else {
            let ended = streaks.removeValue(forKey: subject)?.last
            return (false, step, ended)
        }
        let streak = streaks[subject].map { ($0.count + 1, $0.since, step) } ?? (1, step, step)
        streaks[subject] = streak
        return (streak.0 >= sustain, streak.1, nil)
    }
}
