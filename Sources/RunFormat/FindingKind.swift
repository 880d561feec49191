/// What a finding is about: the `kind` column of findings.csv and of run.json's findings.
///
/// Each kind carries what a reader needs to act on it: a title for people, the usual remedy (the text a
/// detector's message ends with, after "Remedy: "), and the report figure that shows it. The raw values
/// are the run format's text and never change; a run folder with any other kind is rejected on reading
/// (`CSVTable.findings()`, `RunManifest.decode`), naming the file, the line and the allowed values.
public enum FindingKind: String, Sendable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    case vanishing
    case exploding
    case nonfinite
    case dead
    case saturated
    case updateRatio = "update_ratio"
    case stagnation
    /// A loss plateau that ended: the loss stalled over a span of steps, then fell again (`info`).
    case plateau
    case gradcheck
    /// ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of a recurrent layer far below 1: early time steps get no gradient.
    case vanishingThroughTime = "vanishing_through_time"
    /// ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of a recurrent layer far above 1: the gradient grows going back in time.
    case explodingThroughTime = "exploding_through_time"
    /// A gate of an LSTM or GRU cell stuck in its saturated band, passing almost no gradient to its weights.
    case saturatedGates = "saturated_gates"

    /// The kind in plain words, as a report's findings list shows it.
    public var title: String {
        switch self {
        case .vanishing: "Vanishing gradients"
        case .exploding: "Exploding gradients"
        case .nonfinite: "Non-finite values (NaN or infinity)"
        case .dead: "Dead units"
        case .saturated: "Saturated units"
        case .updateRatio: "Update ratio out of the healthy range"
        case .stagnation: "The loss stagnates"
        case .plateau: "A loss plateau that ended"
        case .gradcheck: "Gradient check failed"
        case .vanishingThroughTime: "Gradients vanishing through time"
        case .explodingThroughTime: "Gradients exploding through time"
        case .saturatedGates: "Saturated recurrent gates"
        }
    }

    /// The usual remedies, lower case, as a finding's message ends. A non-finite value is a gradient that
    /// exploded all the way, so it shares that remedy. An update-ratio finding's remedy depends on the side
    /// of the band it left (`updateRatioRemedy(tooLarge:)`); this is both sides in one sentence.
    public var remedy: String {
        switch self {
        case .vanishing:
            "use a ReLU-family activation with He initialisation (--activation relu --init he-normal), "
                + "add normalisation (--norm layer|batch) or residual connections (--residual)"
        case .exploding, .nonfinite:
            "clip the gradient norm (--clip-norm 1), lower the learning rate, use a smaller initialisation "
                + "(--init xavier-uniform or he-normal) or add normalisation (--norm layer)"
        case .dead: "lower the learning rate, use leaky-relu or gelu, or He initialisation with a small positive bias"
        case .saturated:
            "use Xavier/Glorot initialisation for tanh and sigmoid, add normalisation (--norm layer), "
                + "or a ReLU-family activation"
        case .updateRatio:
            "when updates are large, " + Self.updateRatioRemedy(tooLarge: true) + "; when they are small, "
                + Self.updateRatioRemedy(tooLarge: false)
        case .stagnation: "check the learning rate and the other findings; try Adam, normalisation or another init"
        case .plateau:
            "none needed, the loss fell again; when plateaus are long, check the learning rate and the initialisation"
        case .gradcheck: "run `gradlab check` on the model to see every bad entry"
        case .vanishingThroughTime:
            "use a gated cell (LSTM or GRU) instead of a vanilla RNN, initialise the recurrent weights "
                + "orthogonally, or shorten the sequences the gradient must cross"
        case .explodingThroughTime:
            "clip the gradient norm (--clip-norm 1, Pascanu et al. 2013), lower the learning rate, or "
                + "initialise the recurrent weights with a spectral radius below 1 (orthogonal, scaled down)"
        case .saturatedGates:
            "set the forget-gate bias to 1 (Jozefowicz et al. 2015), lower the learning rate, scale the "
                + "inputs, or add layer normalisation inside the cell"
        }
    }

    /// The remedy for updates too large (`true`) or too small against the weights.
    public static func updateRatioRemedy(tooLarge: Bool) -> String {
        tooLarge ? "lower the learning rate (about 1e-3 of the weights per step is healthy)"
            : "raise the learning rate, or check for vanishing gradients"
    }

    /// The name of the report figure that shows this kind, where the report lists the finding (the `loss`
    /// figure when the run has no such figure: a run without gradients.csv draws no per-layer figures).
    public var figure: String {
        switch self {
        case .vanishing: "layer-grad-norm"
        case .exploding: "grad-norm"
        case .dead, .saturated: "activity"
        case .updateRatio: "update-ratio"
        case .gradcheck: "gradcheck"
        case .nonfinite, .stagnation, .plateau: "loss"
        case .vanishingThroughTime, .explodingThroughTime: "time-grad-norm"
        case .saturatedGates: "time-gates"
        }
    }

    /// The kind whose finding a row of this kind may replace in a span (`FindingRow.spans(_:)`): a plateau
    /// that lasts to the end of the run is replaced by a stagnation row at the same step; every other kind
    /// only by a row of its own kind.
    public var spanKind: FindingKind { self == .plateau ? .stagnation : self }

    /// The run format's text, also in interpolations (`"\(kind)"` reads `update_ratio`).
    public var description: String { rawValue }

    /// Ordered by raw value, so lists of kinds read alphabetically as the run format spells them.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: Decoder) throws {
        self = try VocabularyError.decode(Self.self, from: decoder)
    }
}

/// How serious a finding is: the `severity` column of findings.csv.
public enum FindingSeverity: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// Worth knowing, nothing to fix: a loss plateau that ended.
    case info
    /// Training goes on but something is unhealthy.
    case warning
    /// Something is broken: a non-finite value, a wrong gradient.
    case error

    /// A warning or an error: something to act on. An `info` finding is not.
    public var needsAction: Bool { self != .info }

    /// The run format's text.
    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        self = try VocabularyError.decode(Self.self, from: decoder)
    }
}

/// A value outside one of the run format's vocabularies (finding kind, severity, verdict), met while
/// decoding run.json; `RunManifest.decode` turns it into a `RunFolderError` naming the field.
struct VocabularyError: Error {
    var codingPath: [CodingKey]
    var value: String
    var allowed: [String]

    /// Decodes a string and maps it onto `T`, or throws naming the value and the allowed ones.
    static func decode<T: RawRepresentable & CaseIterable>(_: T.Type, from decoder: Decoder) throws -> T
    where T.RawValue == String {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = T(rawValue: text) else {
            throw VocabularyError(codingPath: decoder.codingPath, value: text, allowed: T.allCases.map(\.rawValue))
        }
        return value
    }

    /// `is 'x'; allowed: a, b, c`: the words shared by run.json and CSV errors.
    static func reason(value: String, allowed: [String]) -> String {
        "is '\(CSVTable.clipped(value, limit: 50))'; allowed: \(allowed.joined(separator: ", "))"
    }
}
