/// One row of a run-folder CSV file.
public protocol CSVRecord {
    /// The header row's column names, in order.
    static var columns: [String] { get }
    /// Writes the row's fields, in the order of `columns`, into `line` (no newline).
    func write(to line: inout CSVLine)
}

extension CSVRecord {
    /// The row's fields, CSV-encoded (`CSVField`), in the order of `columns`: what `write(to:)` writes.
    public var fields: [String] {
        var line = CSVLine(keepsFieldStarts: true)
        write(to: &line)
        let starts = line.fieldStarts ?? []
        return starts.indices.map { i in
            let end = i + 1 < starts.count ? starts[i + 1] - 1 : line.bytes.count
            return String(decoding: line.bytes[starts[i]..<end], as: UTF8.self)
        }
    }
}

/// `steps.csv`: one row per optimizer step.
public struct StepRow: CSVRecord, Equatable, Sendable {
    public var step: Int
    public var epoch: Int
    public var loss: Double
    public var learningRate: Double
    /// The global gradient norm before clipping.
    public var gradientNorm: Double
    public var clipped: Bool
    public var seconds: Double
    public var validationLoss: Double?
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?

    public init(step: Int, epoch: Int, loss: Double, learningRate: Double, gradientNorm: Double, clipped: Bool,
                seconds: Double, validationLoss: Double? = nil, trainAccuracy: Double? = nil,
                validationAccuracy: Double? = nil) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.clipped = clipped
        self.seconds = seconds
        self.validationLoss = validationLoss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
    }

    public static let columns = ["step", "epoch", "loss", "lr", "grad_norm", "clipped", "seconds", "val_loss",
                                 "train_accuracy", "val_accuracy"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.integer(epoch)
        line.number(loss)
        line.number(learningRate)
        line.number(gradientNorm)
        line.flag(clipped)
        line.number(seconds)
        line.number(validationLoss)
        line.number(trainAccuracy)
        line.number(validationAccuracy)
    }
}

/// `gradients.csv`: one row per parameter tensor per recorded step.
public struct GradientRow: CSVRecord, Equatable, Sendable {
    public var step: Int
    public var parameter: String
    public var layer: String
    public var norm: Double
    public var mean: Double
    public var standardDeviation: Double
    public var maxAbs: Double
    public var zeroFraction: Double
    public var nonfinite: Int
    public var weightNorm: Double
    public var updateNorm: Double
    /// ‖Δθ‖ / ‖θ‖ of the update actually applied.
    public var updateRatio: Double

    public init(step: Int, parameter: String, layer: String, norm: Double, mean: Double, standardDeviation: Double,
                maxAbs: Double, zeroFraction: Double, nonfinite: Int, weightNorm: Double, updateNorm: Double,
                updateRatio: Double) {
        self.step = step
        self.parameter = parameter
        self.layer = layer
        self.norm = norm
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.maxAbs = maxAbs
        self.zeroFraction = zeroFraction
        self.nonfinite = nonfinite
        self.weightNorm = weightNorm
        self.updateNorm = updateNorm
        self.updateRatio = updateRatio
    }

    public static let columns = ["step", "parameter", "layer", "grad_norm", "grad_mean", "grad_std", "grad_max_abs",
                                 "zero_fraction", "nonfinite", "weight_norm", "update_norm", "update_ratio"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(parameter)
        line.text(layer)
        line.number(norm)
        line.number(mean)
        line.number(standardDeviation)
        line.number(maxAbs)
        line.number(zeroFraction)
        line.integer(nonfinite)
        line.number(weightNorm)
        line.number(updateNorm)
        line.number(updateRatio)
    }
}

/// `activations.csv`: one row per activation layer per recorded step.
public struct ActivationRow: CSVRecord, Equatable, Sendable {
    public var step: Int
    public var layer: String
    public var mean: Double
    public var standardDeviation: Double
    public var min: Double
    public var max: Double
    public var saturatedFraction: Double
    public var deadFraction: Double
    public var nonfinite: Int

    public init(step: Int, layer: String, mean: Double, standardDeviation: Double, min: Double, max: Double,
                saturatedFraction: Double, deadFraction: Double, nonfinite: Int) {
        self.step = step
        self.layer = layer
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.min = min
        self.max = max
        self.saturatedFraction = saturatedFraction
        self.deadFraction = deadFraction
        self.nonfinite = nonfinite
    }

    public static let columns = ["step", "layer", "mean", "std", "min", "max", "saturated_fraction", "dead_fraction",
                                 "nonfinite"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(layer)
        line.number(mean)
        line.number(standardDeviation)
        line.number(min)
        line.number(max)
        line.number(saturatedFraction)
        line.number(deadFraction)
        line.integer(nonfinite)
    }
}

/// `histograms.csv`: one row per bin. Bins are fixed, so steps, layers and runs compare.
public struct HistogramRow: CSVRecord, Equatable, Sendable {
    public var step: Int
    public var layer: String
    /// `gradient`, `weight` or `activation`.
    public var tensor: String
    public var bin: Int
    public var lo: Double
    public var hi: Double
    public var count: Int

    public init(step: Int, layer: String, tensor: String, bin: Int, lo: Double, hi: Double, count: Int) {
        self.step = step
        self.layer = layer
        self.tensor = tensor
        self.bin = bin
        self.lo = lo
        self.hi = hi
        self.count = count
    }

    public static let columns = ["step", "layer", "tensor", "bin", "lo", "hi", "count"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(layer)
        line.word(tensor)
        line.integer(bin)
        line.number(lo)
        line.number(hi)
        line.integer(count)
    }
}

/// `findings.csv` (and run.json's findings): something a person should act on, over the span of steps its
/// condition held.
///
/// A finding is written when its condition is first found to hold, with `lastStep` nil (open: it still
/// holds at the last step on disk). When the condition clears, the recorder appends the same finding again
/// (same kind, layer and step) with `lastStep` set: the last recorded step at which it held. A reader
/// keeps the last row of each finding (`spans(_:)`), so findings.csv stays append-only and a run killed at
/// any moment reads as its last flush left it: closed spans closed, open ones open.
public struct FindingRow: CSVRecord, Equatable, Sendable, Codable {
    /// The first recorded step at which the condition held (the step since which it holds).
    public var step: Int
    /// The layer or parameter concerned; empty for the whole model.
    public var layer: String
    public var kind: FindingKind
    public var severity: FindingSeverity
    public var value: Double
    public var threshold: Double
    public var message: String
    /// The last recorded step at which the condition held, once it has cleared; nil while it holds, and
    /// for a condition that held to the end of the run.
    public var lastStep: Int?

    public init(step: Int, layer: String, kind: FindingKind, severity: FindingSeverity, value: Double, threshold: Double,
                message: String, lastStep: Int? = nil) {
        self.step = step
        self.layer = layer
        self.kind = kind
        self.severity = severity
        self.value = value
        self.threshold = threshold
        self.message = message
        self.lastStep = lastStep
    }

    /// True while the condition holds (no closing row yet).
    public var isOpen: Bool { lastStep == nil }

    /// The span in words, `end` being the run's last step on disk: "step 40" (it held once), "steps
    /// 201–540" (it cleared after step 540), "steps 201–1000 (to the end)" (still holding at the end), or
    /// "from step 201" (open, end unknown).
    public func span(end: Int?) -> String {
        if let lastStep { return lastStep == step ? "step \(step)" : "steps \(step)–\(lastStep)" }
        guard let end, end > step else { return end == step ? "step \(step) (to the end)" : "from step \(step)" }
        return "steps \(step)–\(end) (to the end)"
    }

    /// The rows of findings.csv as findings: the last row of each (kind's `spanKind`, layer, step) kept, in
    /// the place of the first. Rows written before spans existed have no `last_step` and stay open.
    public static func spans(_ rows: [FindingRow]) -> [FindingRow] {
        struct Key: Hashable { var kind: FindingKind; var layer: String; var step: Int }
        var position: [Key: Int] = [:]
        var spans: [FindingRow] = []
        for row in rows {
            let key = Key(kind: row.kind.spanKind, layer: row.layer, step: row.step)
            if let i = position[key] { spans[i] = row } else { position[key] = spans.count; spans.append(row) }
        }
        return spans
    }

    enum CodingKeys: String, CodingKey {
        case step, layer, kind, severity, value, threshold, message
        case lastStep = "last_step"
    }

    public static let columns = ["step", "layer", "kind", "severity", "value", "threshold", "message", "last_step"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(layer)
        line.word(kind.rawValue)
        line.word(severity.rawValue)
        line.number(value)
        line.number(threshold)
        line.text(message)
        line.integer(lastStep)
    }
}

/// `gradcheck.csv`: one checked gradient entry, with the evidence it was judged on.
///
/// The evidence columns (`h` to `truncation_error`) were added after the first eight; they may be
/// absent from older files or other frameworks' (NaN, false and empty then).
public struct GradcheckRow: CSVRecord, Equatable, Sendable {
    /// Nil for a check outside training.
    public var step: Int?
    public var parameter: String
    /// The entry's index in tensor coordinates, written `i;j` (no quoting needed).
    public var index: String
    public var analytic: Double
    public var numeric: Double
    public var absoluteError: Double
    public var relativeError: Double
    public var verdict: EntryVerdict
    /// The finite-difference step h the verdict was drawn from.
    public var h: Double
    /// The one-sided slopes (f(θ+h) − f(θ))/h and (f(θ) − f(θ−h))/h.
    public var forwardSlope: Double
    public var backwardSlope: Double
    /// Whether the differences judged crossed a declared kink (a `kink` verdict found by the probe).
    public var kinkCrossed: Bool
    /// The unit whose kink was crossed, `layer[element]` (`3[0;5]`), by the judged step or by a larger
    /// one that was abandoned for a smaller step; empty when no step crossed one.
    public var kinkUnit: String
    /// The predicted round-off error of the central difference, and the truncation error estimated from
    /// two steps (NaN when a second step was not needed).
    public var roundoffError: Double
    public var truncationError: Double

    public init(step: Int?, parameter: String, index: String, analytic: Double, numeric: Double,
                absoluteError: Double, relativeError: Double, verdict: EntryVerdict, h: Double = .nan,
                forwardSlope: Double = .nan, backwardSlope: Double = .nan, kinkCrossed: Bool = false,
                kinkUnit: String = "", roundoffError: Double = .nan, truncationError: Double = .nan) {
        self.step = step
        self.parameter = parameter
        self.index = index
        self.analytic = analytic
        self.numeric = numeric
        self.absoluteError = absoluteError
        self.relativeError = relativeError
        self.verdict = verdict
        self.h = h
        self.forwardSlope = forwardSlope
        self.backwardSlope = backwardSlope
        self.kinkCrossed = kinkCrossed
        self.kinkUnit = kinkUnit
        self.roundoffError = roundoffError
        self.truncationError = truncationError
    }

    public static let columns = ["step", "parameter", "index", "analytic", "numeric", "abs_error", "rel_error", "verdict",
                                 "h", "forward_slope", "backward_slope", "kink_crossed", "kink_unit", "roundoff_error",
                                 "truncation_error"]
    public func write(to line: inout CSVLine) {
        line.integer(step)
        line.text(parameter)
        line.text(index)
        line.number(analytic)
        line.number(numeric)
        line.number(absoluteError)
        line.number(relativeError)
        line.word(verdict.rawValue)
        line.number(h)
        line.number(forwardSlope)
        line.number(backwardSlope)
        line.flag(kinkCrossed)
        line.text(kinkUnit)
        line.number(roundoffError)
        line.number(truncationError)
    }

    /// Field by field, a NaN equal to a NaN (an evidence value not measured reads back as NaN).
    public static func == (a: GradcheckRow, b: GradcheckRow) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.step == b.step && a.parameter == b.parameter && a.index == b.index && same(a.analytic, b.analytic)
            && same(a.numeric, b.numeric) && same(a.absoluteError, b.absoluteError)
            && same(a.relativeError, b.relativeError) && a.verdict == b.verdict && same(a.h, b.h)
            && same(a.forwardSlope, b.forwardSlope) && same(a.backwardSlope, b.backwardSlope)
            && a.kinkCrossed == b.kinkCrossed && a.kinkUnit == b.kinkUnit && same(a.roundoffError, b.roundoffError)
            && same(a.truncationError, b.truncationError)
    }
}
