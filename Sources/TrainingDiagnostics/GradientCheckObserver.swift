import Backprop
import Foundation
import GradientCheck
import RunFormat

/// Gradient checks during training: once after a short burn-in and then every `every` steps, the current
/// batch's gradients are checked in direction mode (two evaluations per parameter tensor, bisection to the
/// bad entries when a direction fails) and appended, with their step, to gradcheck.csv.
///
/// The check runs on a Double twin of the model (same structure, the trained weights copied in), so it
/// never disturbs training and runs in Double whatever the training precision. A failing direction is
/// confirmed entry by entry on its tensor (`GradientChecker`'s direction mode does it); only a confirmed
/// entry becomes an `error` finding, naming the entry, both values and the evidence. An unconfirmed
/// direction raises no finding: its row in gradcheck.csv reads `imprecise`, beside the worst entry.
///
/// The finding has a span: it is raised open at the first check with a confirmed wrong entry and closes
/// (its row again, with `lastStep` the last check that found one) at the first check that finds none,
/// as `FindingLedger.close` does for the rules. It is raised once per run, as the rules' `once`.
public final class GradientCheckObserver<Scalar: TensorScalar>: TrainingObserver {
    public let every: Int
    public let burnIn: Int
    public let examples: Int
    private let twin: Sequential<Double>
    private let loss: any Loss<Double>
    private let checker: GradientChecker
    /// Where the rows go: gradcheck.csv written here, or a recorder that flushes them with steps.csv.
    private let record: ([GradcheckRow]) -> Void
    private let finding: (FindingRow) -> Void
    private weak var trainer: Trainer<Scalar>?
    private var reportedWrong = false
    /// The finding open now, and the last check at which an entry was confirmed wrong.
    private var open: (row: FindingRow, lastWrong: Int)?
    /// Checks run so far.
    public private(set) var checks = 0

    /// - Parameters:
    ///   - every: steps between checks; with `examples` 16, every 1000 steps costs about 1–2% of training time
    ///     on the reference MLP (`gradlab-bench --only record`), so checks are on by default.
    ///   - examples: the check uses the first this-many examples of the step's batch (cost is linear in it).
    ///   - burnIn: the step of the first check, once the weights have left their initial values.
    ///   - twin: a Double model of the trained model's structure.
    ///   - finding: receives a finding for a `wrong` verdict (the recorder's `add`).
    public convenience init(folder: URL, every: Int = 1000, burnIn: Int = 10, examples: Int = 16,
                            twin: Sequential<Double>, loss: any Loss<Double>, seed: UInt64 = 0,
                            finding: @escaping (FindingRow) -> Void) throws {
        let writer = try CSVTableWriter<GradcheckRow>(url: folder.appendingPathComponent("gradcheck.csv"))
        self.init(every: every, burnIn: burnIn, examples: examples, twin: twin, loss: loss, seed: seed,
                  record: { rows in
                      for row in rows { writer.append(row) }
                      try? writer.flush()
                  }, finding: finding)
    }

    /// Hands each check's rows to `record` (`RunRecorder.addGradchecks`, which writes them with the step's
    /// row of steps.csv, so that a killed run's files agree).
    public init(every: Int = 1000, burnIn: Int = 10, examples: Int = 16, twin: Sequential<Double>,
                loss: any Loss<Double>, seed: UInt64 = 0, record: @escaping ([GradcheckRow]) -> Void,
                finding: @escaping (FindingRow) -> Void) {
        precondition(every > 0 && burnIn > 0, "every (\(every)) and burnIn (\(burnIn)) must be positive")
        self.every = every
        self.burnIn = burnIn
        self.examples = examples
        self.twin = twin
        self.loss = loss
        self.checker = GradientChecker(mode: .direction, seed: seed)
        self.finding = finding
        self.record = record
    }

    public func trainingWillBegin(_ trainer: Trainer<Scalar>) { self.trainer = trainer }

    public func wantsDetails(atStep step: Int) -> Bool { step == burnIn || step % every == 0 }

    public func stepDidComputeGradients(_ details: StepDetails<Scalar>) {
        guard wantsDetails(atStep: details.step), let trainer, details.loss.isFinite else { return }
        CheckTargets.copyValues(from: trainer.model, to: twin)
        let rows = min(examples, details.inputs.shape[0])
        let inputs = Tensor<Double>(shape: [rows] + details.inputs.shape.dropFirst())
        for i in 0..<inputs.count { inputs[i] = Double(details.inputs[i]) }
        let target: LossTarget<Double>
        switch details.target {
        case .classes(let labels): target = .classes(Array(labels.prefix(rows)))
        case .values(let values):
            let copy = Tensor<Double>(shape: [rows, values.shape[1]])
            for i in 0..<copy.count { copy[i] = Double(values[i]) }
            target = .values(copy)
        }
        let (problem, restore) = CheckTargets.model(twin, loss: loss, inputs: inputs, target: target)
        let results = checker.check(problem)
        restore()
        checks += 1
        record(results.flatMap { $0.rows(step: details.step) })
        // Only an entry confirmed on its own is an error: the checker re-checks a failing direction entry
        // by entry and records it `imprecise` when no entry is wrong.
        let wrong = results.flatMap(\.entries).filter { $0.judgement.verdict == .wrong && $0.index != "direction" }
        guard let first = wrong.first else {
            // The condition cleared: the open finding closes at the last check that found a wrong entry.
            if var row = open?.row, let lastWrong = open?.lastWrong {
                row.lastStep = lastWrong
                finding(row)
                open = nil
            }
            return
        }
        if open != nil { open?.lastWrong = details.step }
        guard !reportedWrong else { return }
        reportedWrong = true
        let j = first.judgement
        let kinks = j.crossedKink
            ? "a kink at \(j.kink?.description ?? "?") crossed on one side only, the other side's slope refuting the analytic value"
            : "no kink crossed at that step"
        let row = FindingRow(
            step: details.step, layer: owner(of: first.tensor, in: details), kind: .gradcheck, severity: .error,
            value: j.relativeError, threshold: checker.tolerance.relative,
            message: "the gradient check at step \(details.step) found \(first.tensor)[\(first.index)] wrong: analytic "
                + "\(j.analytic), numeric \(j.numeric) (step h \(j.step), one-sided slopes \(j.forward) and "
                + "\(j.backward), \(kinks), predicted round-off \(j.roundoffError)"
                + (j.truncationError.isNaN ? "" : " and truncation \(j.truncationError)")
                + "); the backward pass of this layer disagrees with its forward pass. "
                + sentence(FindingKind.gradcheck.remedy))
        open = (row, details.step)
        finding(row)
    }
}

extension TensorCheck {
    /// The run format's rows for this tensor's entries.
    public func rows(step: Int?) -> [GradcheckRow] {
        entries.map { e in
            GradcheckRow(step: step, parameter: name, index: e.index, analytic: e.judgement.analytic,
                         numeric: e.judgement.numeric, absoluteError: e.judgement.absoluteError,
                         relativeError: e.judgement.relativeError, verdict: e.judgement.verdict, h: e.judgement.step,
                         forwardSlope: e.judgement.forward, backwardSlope: e.judgement.backward,
                         kinkCrossed: e.judgement.crossedKink, kinkUnit: e.judgement.kink?.description ?? "",
                         roundoffError: e.judgement.roundoffError, truncationError: e.judgement.truncationError)
        }
    }
}

/// The full name of the layer whose own parameters include `parameter` (`3.0` for `3.0.weight`).
private func owner<Scalar>(of parameter: String, in details: StepDetails<Scalar>) -> String {
    details.layers.first { view in view.parameters.contains { $0.name == parameter } }?.name
        ?? String(parameter.prefix { $0 != "." })
}
