import Backprop
import Foundation
import GradientCheck
import RunFormat
import TrainingDiagnostics

/// `gradlab check` as a library call: an experiment's model (its initial weights, or a checkpoint) and
/// loss, checked in Double on the first batch of its training data.
public struct GradientCheckJob {
    public var experiment: Experiment
    public var batch: Int
    public var checker: GradientChecker
    public var weights: URL?
    /// Also measure the error against the step for the worst entries.
    public var sweep: Bool

    public init(experiment: Experiment, batch: Int = 8, checker: GradientChecker = GradientChecker(),
                weights: URL? = nil, sweep: Bool = false) {
        self.experiment = experiment
        self.batch = batch
        self.checker = checker
        self.weights = weights
        self.sweep = sweep
    }

    /// What the check found.
    public struct Report: Sendable {
        public var tensors: [TensorCheck]
        public var sweep: [GradientChecker.SweepPoint]
        public var batch: Int
        public var mode: String
        public var tolerance: Tolerance
        public var hasWrong: Bool { tensors.contains { !$0.passed } }
    }

    public func run() throws -> Report {
        let trainer: Trainer<Double> = try experiment.makeTrainer()
        let model = trainer.model
        if let weights {
            try Checkpoint.load(weights, into: model)
            for named in model.parameters {
                let bad = named.parameter.value.withUnsafeBufferPointer { $0.reduce(0) { $1.isFinite ? $0 : $0 + 1 } }
                if bad > 0 {
                    throw ExperimentError(setting: "weights", message: "\(weights.path): tensor '\(named.name)' holds \(bad) "
                                          + "non-finite values (NaN or ±∞), so no gradient of it can be checked; "
                                          + "check a checkpoint saved before the run diverged")
                }
            }
        }
        let data = trainer.trainingData.subset(Array(0..<min(batch, trainer.trainingData.count)))
        if experiment.norm == .batch && data.count < 2 {
            throw ExperimentError(setting: "batch", message: "BatchNorm1d needs at least 2 examples in training mode; "
                                  + "check a batch of 2 or more")
        }
        let target: LossTarget<Double> = switch data.targets {
        case .classes(let labels, _): .classes(labels)
        case .values(let values): .values(values)
        }
        let (problem, restore) = CheckTargets.model(model, loss: trainer.loss, inputs: data.inputs, target: target)
        defer { restore() }
        let tensors = checker.check(problem)
        var points: [GradientChecker.SweepPoint] = []
        if sweep {
            // The three entries with the largest relative error (or the largest gradients when all agree).
            var candidates: [(tensor: Int, index: Int, error: Double)] = []
            for (t, check) in tensors.enumerated() {
                for entry in check.entries where entry.index != "direction" {
                    candidates.append((t, flatIndex(entry.index, shape: check.shape), entry.judgement.relativeError))
                }
            }
            if candidates.isEmpty {
                for (t, g) in problem.analytic.enumerated() {
                    let i = (0..<g.count).max { abs(g[$0]) < abs(g[$1]) } ?? 0
                    candidates.append((t, i, abs(g[i])))
                }
            }
            let worst = candidates.sorted { $0.error > $1.error }.prefix(3)
            points = checker.stepSweep(problem, entries: worst.map { ($0.tensor, $0.index) })
        }
        return Report(tensors: tensors, sweep: points, batch: data.count, mode: checker.mode.name,
                      tolerance: checker.tolerance)
    }
}

extension GradientCheckJob.Report {
    /// One row per checked entry, `step` empty (a check outside training) unless given.
    public func rows(step: Int? = nil) -> [GradcheckRow] { tensors.flatMap { $0.rows(step: step) } }

    /// Writes `gradcheck.csv` (and `gradcheck-sweep.csv` when swept) into `folder`, creating it.
    public func write(to folder: URL) throws {
        do {
            try FileAccess.prepareFolder(folder.path)
        } catch let error as FileAccessError {
            throw RunFolderError.cannotWrite(path: folder.path, reason: error.problem)
        }
        let csv = folder.appendingPathComponent("gradcheck.csv")
        try? FileManager.default.removeItem(at: csv)
        let writer = try CSVTableWriter<GradcheckRow>(url: csv)
        for row in rows() { writer.append(row) }
        try writer.flush()
        if !sweep.isEmpty {
            var text = "parameter,index,h,numeric,abs_error,rel_error\n"
            for p in sweep {
                text += [CSVField.text(p.tensor), CSVField.text(p.index), CSVField.number(p.h), CSVField.number(p.numeric),
                         CSVField.number(p.absoluteError), CSVField.number(p.relativeError)].joined(separator: ",") + "\n"
            }
            do {
                try text.write(to: folder.appendingPathComponent("gradcheck-sweep.csv"), atomically: true, encoding: .utf8)
            } catch {
                throw RunFolderError.cannotWrite(path: folder.path, reason: FileAccess.words(for: error))
            }
        }
    }

    /// The terminal table: one line per parameter tensor.
    public var table: String {
        var lines = ["Gradient check (\(mode) mode, batch \(batch), Double; rule |a−n| ≤ \(tolerance.absolute) + "
                     + "\(tolerance.relative)·|n|, step \(tolerance.step)·max(1,|θ|), shrunk at kinks)",
                     "tensor          shape        checked  worst rel. error  worst index    ok  kink  imprecise  wrong  status"]
        for t in tensors {
            let worst = t.worst
            lines.append(t.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + t.shape.map(String.init).joined(separator: "×").padding(toLength: 13, withPad: " ", startingAt: 0)
                         + String(format: "%7d  ", t.entries.count)
                         + (worst.map { String(format: "%.3e", $0.judgement.relativeError) } ?? "-")
                            .padding(toLength: 18, withPad: " ", startingAt: 0)
                         + (worst?.index ?? "-").padding(toLength: 13, withPad: " ", startingAt: 0)
                         + String(format: "%4d  %4d  %9d  %5d  ", t.count(.ok), t.count(.kink), t.count(.imprecise),
                                  t.count(.wrong))
                         + (t.passed ? EntryVerdict.ok.rawValue : EntryVerdict.wrong.rawValue.uppercased()))
        }
        let wrong = tensors.flatMap(\.entries).filter { $0.judgement.verdict == .wrong }
        for e in wrong.prefix(10) {
            lines.append("  \(EntryVerdict.wrong.rawValue): \(e.tensor)[\(e.index)] analytic \(e.judgement.analytic), numeric "
                         + "\(e.judgement.numeric) (h \(e.judgement.step), slopes \(e.judgement.forward) and \(e.judgement.backward), "
                         + "predicted error \(e.judgement.predictedError))")
        }
        if wrong.count > 10 { lines.append("  … and \(wrong.count - 10) more wrong entries in gradcheck.csv") }
        lines.append(hasWrong ? "Result: WRONG gradients found" : "Result: all gradients agree (kinks and imprecise entries are not bugs)")
        return lines.joined(separator: "\n")
    }

    /// `--json`: the tensors and their entries.
    public func json() throws -> Data {
        struct Entry: Codable {
            var index: String; var analytic, numeric, abs_error, rel_error: Double; var verdict: String
            var h, forward_slope, backward_slope, roundoff_error, truncation_error: Double
            var kink_crossed: Bool; var kink_unit: String?
        }
        struct TensorResult: Codable {
            var name: String; var shape: [Int]; var checked: Int; var worst_rel_error: Double?; var worst_index: String?
            var verdicts: [String: Int]; var status: String; var entries: [Entry]
        }
        struct Document: Codable { var mode: String; var batch: Int; var atol, rtol, eps: Double; var wrong: Bool; var tensors: [TensorResult] }
        let document = Document(
            mode: mode, batch: batch, atol: tolerance.absolute, rtol: tolerance.relative, eps: tolerance.step, wrong: hasWrong,
            tensors: tensors.map { t in
                TensorResult(name: t.name, shape: t.shape, checked: t.entries.count,
                             worst_rel_error: t.worst?.judgement.relativeError, worst_index: t.worst?.index,
                             verdicts: Dictionary(uniqueKeysWithValues: EntryVerdict.allCases.map { ($0.rawValue, t.count($0)) }),
                             status: (t.passed ? EntryVerdict.ok : .wrong).rawValue,
                             entries: t.entries.map {
                                 Entry(index: $0.index, analytic: $0.judgement.analytic, numeric: $0.judgement.numeric,
                                       abs_error: $0.judgement.absoluteError, rel_error: $0.judgement.relativeError,
                                       verdict: $0.judgement.verdict.rawValue, h: $0.judgement.step,
                                       forward_slope: $0.judgement.forward, backward_slope: $0.judgement.backward,
                                       roundoff_error: $0.judgement.roundoffError,
                                       truncation_error: $0.judgement.truncationError,
                                       kink_crossed: $0.judgement.crossedKink, kink_unit: $0.judgement.kink?.description)
                             })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(document)
    }
}

/// The flat index of `i;j` in a row-major tensor of `shape`.
func flatIndex(_ coordinates: String, shape: [Int]) -> Int {
    let parts = coordinates.split(separator: ";").compactMap { Int($0) }
    return zip(parts, shape).reduce(0) { $0 * $1.1 + $1.0 }
}
