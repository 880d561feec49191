/// What a checked gradient entry (or direction) is judged to be: the `verdict` column of gradcheck.csv.
///
/// - `ok`: analytic and numeric agree within the tolerance.
/// - `kink`: the function is not differentiable within reach of the point. For models and layers the
///   checker detects it: every step it could use, down to the round-off floor, moved the input of a
///   layer across a kink that layer declares (a ReLU's 0, a hardtanh bound), the row names the unit
///   (`kink_unit`), and the analytic value agrees with the one-sided difference of the side that crossed
///   nothing, when one side did not (a claim that misses it is `wrong`: a bug that sits at a kink is not
///   excused by it). For plain functions,
///   which declare nothing, it is inferred: the two one-sided differences disagree beyond the noise and
///   the analytic value lies between them, in the subgradient interval. Not a bug. Caveat (for both
///   cases): when one coordinate sits on several kinks that
///   it crosses in opposite directions (a weight whose input column has both signs, over a batch of
///   examples all exactly at a ReLU's zero), the subgradient set is wider than the one-sided slopes span,
///   and a correct analytic value can fall outside them; such exact multi-kink points are rare in practice
///   (they need pre-activations exactly 0), and moving the weights or the batch slightly clears them.
/// - `imprecise`: the discrepancy exceeds the tolerance but lies within the error the finite difference
///   itself is predicted to make (round-off ε·|f|/h plus truncation, estimated from the differences).
///   Not evidence of a bug; a larger or smaller step, or Double, settles it.
/// - `wrong`: everything else: the backward pass disagrees with the function.
///
/// The judging rules are `GradientCheck.EntryJudgement`'s; this type lives in the run format so that the
/// reports read verdicts without the checker. The raw values are the format's text; a gradcheck.csv with
/// any other verdict is rejected on reading, naming the file, the line and the allowed values.
public enum EntryVerdict: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case ok, kink, imprecise, wrong

    /// The verdict in plain words.
    public var title: String {
        switch self {
        case .ok: "Agrees"
        case .kink: "At a kink"
        case .imprecise: "Imprecise"
        case .wrong: "Wrong"
        }
    }

    /// What the verdict means for the person reading it, in one sentence.
    public var meaning: String {
        switch self {
        case .ok: "analytic and numeric gradients agree within the tolerance"
        case .kink: "every usable step crossed a kink (a ReLU's 0, a hardtanh bound), named in kink_unit: not a bug"
        case .imprecise:
            "outside the tolerance but within the finite difference's own predicted error: not evidence of a bug"
        case .wrong: "the backward pass disagrees with the function"
        }
    }

    /// The run format's text.
    public var description: String { rawValue }

    /// Whether the verdict points at a bug in a backward pass (only `wrong` does).
    public var isFailure: Bool { self == .wrong }

    public init(from decoder: Decoder) throws {
        self = try VocabularyError.decode(Self.self, from: decoder)
    }
}
