import RunFormat

/// The comparison rules and the finite-difference step.
///
/// ```
/// PyTorch's rule (torch.autograd.gradcheck):   |a − n| ≤ atol + rtol·|n|
/// CS231n's relative error:                      |a − n| / max(|a|, |n|)     (0 when both are 0)
/// central difference:                           n = (f(θ + h) − f(θ − h)) / 2h,   h = step·max(1, |θ_i|)
/// ```
/// Defaults: `step` 1e-6, `atol` 1e-5 and `rtol` 1e-3 are torch.autograd.gradcheck's (documented defaults
/// eps=1e-6, atol=1e-5, rtol=1e-3): in Double, h = 1e-6 balances the O(h²) truncation error of the central
/// difference against its ε·|f|/h round-off (Nocedal & Wright, *Numerical Optimization*, §8.1). CS231n
/// reads a relative error above 1e-2 as a likely bug, 1e-4…1e-2 as suspect, below 1e-7 as right
/// (cs231n.github.io/neural-networks-3, "Gradient checks"); the report shows it beside the verdict.
public struct Tolerance: Sendable, Equatable {
    public var step: Double
    public var absolute: Double
    public var relative: Double

    public init(step: Double = 1e-6, absolute: Double = 1e-5, relative: Double = 1e-3) {
        precondition(step > 0 && absolute >= 0 && relative >= 0,
                     "tolerance must be positive: step \(step), atol \(absolute), rtol \(relative)")
        self.step = step
        self.absolute = absolute
        self.relative = relative
    }

    /// PyTorch's rule.
    public func accepts(analytic a: Double, numeric n: Double) -> Bool {
        abs(a - n) <= absolute + relative * abs(n)
    }

    /// CS231n's relative error.
    public static func relativeError(analytic a: Double, numeric n: Double) -> Double {
        let scale = max(abs(a), abs(n))
        return scale == 0 ? 0 : abs(a - n) / scale
    }
}

/// The finite differences of one entry or direction, and the judgement drawn from them.
public struct EntryJudgement: Sendable, Equatable {
    public var analytic: Double
    /// The best numeric estimate (central, or Richardson-extrapolated when that was needed).
    public var numeric: Double
    public var forward: Double
    public var backward: Double
    /// The error the finite difference is predicted to make: round-off plus estimated truncation.
    public var predictedError: Double
    public var verdict: EntryVerdict
    /// The step h of the differences judged.
    public var step: Double = .nan
    /// The predicted round-off error of the central difference, 16·ε·max|f| / h.
    public var roundoffError: Double = .nan
    /// The truncation error estimated from the central differences at h and h/2, |D(h/2) − D(h)|; NaN
    /// when the first comparison passed and no second step was evaluated.
    public var truncationError: Double = .nan
    /// The declared kink crossed by the differences judged (`kink` verdicts), or, when a smaller step was
    /// needed, the one a larger step crossed; nil when no step crossed one (or kinks were not probed).
    public var kink: KinkCrossing?
    /// Whether the differences judged crossed `kink` (true only for `kink` verdicts from the probe).
    public var crossedKink: Bool = false

    public var absoluteError: Double { abs(analytic - numeric) }
    public var relativeError: Double { Tolerance.relativeError(analytic: analytic, numeric: numeric) }

    /// Judges `analytic` against the function values around the point.
    ///
    /// - Parameters:
    ///   - f0: f(θ); `plus`, `minus`: f(θ ± h); `h`: the step.
    ///   - refine: evaluates f(θ ± h/2) on demand, for Richardson extrapolation
    ///     n_R = (4·D(h/2) − D(h)) / 3, whose error is O(h⁴) (used only when the first comparison fails).
    ///   - kinksProbed: the evaluations were probed for declared kinks and crossed none, so a jump between
    ///     the one-sided slopes is not read as a kink (the guess is kept for plain functions only).
    public init(analytic: Double, f0: Double, plus: Double, minus: Double, h: Double, tolerance: Tolerance,
                kinksProbed: Bool = false, refine: () -> (plus: Double, minus: Double)?) {
        self.analytic = analytic
        step = h
        let central = (plus - minus) / (2 * h)
        forward = (plus - f0) / h
        backward = (f0 - minus) / h
        // Round-off: each f carries a relative error of a few ulps of the largest value involved; a
        // difference quotient divides it by h. 16 ulps covers the accumulated error of a forward pass.
        let magnitude = max(abs(f0), abs(plus), abs(minus))
        let roundoff = 16 * Double.ulpOfOne * magnitude / h
        numeric = central
        predictedError = roundoff
        roundoffError = roundoff
        verdict = .ok
        guard analytic.isFinite && central.isFinite else {
            verdict = .wrong
            return
        }
        if tolerance.accepts(analytic: analytic, numeric: central) { return }

        // Kink: the one-sided slopes differ by more than smooth curvature and noise can explain.
        let jump = abs(forward - backward)
        if !kinksProbed && jump > 10 * Self.oneSidedNoise(roundoff: roundoff)
            && jump > tolerance.absolute + tolerance.relative * max(abs(forward), abs(backward)) {
            verdict = Self.liesBetween(analytic, forward: forward, backward: backward, roundoff: roundoff,
                                       tolerance: tolerance) ? .kink : .wrong
            predictedError = max(predictedError, jump / 2)
            return
        }

        // Richardson: a second central difference at h/2, and the truncation estimate from the pair.
        // A refinement whose evaluations crossed a kink is not used (nil): the central difference stands.
        guard let half = refine() else {
            verdict = abs(analytic - numeric) <= predictedError ? .imprecise : .wrong
            return
        }
        let centralHalf = (half.plus - half.minus) / h
        let extrapolated = (4 * centralHalf - central) / 3
        let truncation = abs(centralHalf - central)
        truncationError = truncation
        predictedError = 2 * (roundoff + 2 * 16 * Double.ulpOfOne * magnitude / h + truncation)
        numeric = extrapolated.isFinite ? extrapolated : central
        if tolerance.accepts(analytic: analytic, numeric: numeric) { return }
        verdict = abs(analytic - numeric) <= predictedError ? .imprecise : .wrong
    }

    /// The judgement when every usable step, down to the round-off floor, crossed the declared kink
    /// `crossing`: the function is not differentiable within reach of the point, so the central difference
    /// cannot judge the entry. A side that crossed nothing still can: the function is smooth between θ and
    /// θ ± h there, so that one-sided slope is the derivative at θ, up to its round-off and O(h) truncation
    /// (h is at most the first step shrunk, near the round-off floor). The verdict is `wrong` when the
    /// claim misses it by more than torch's tolerance and that noise, so that a bug sitting at a kink is not
    /// excused by it; `kink` otherwise, and whenever both sides crossed (nothing then measures the slope at
    /// θ: with kinks on both sides within h, each one-sided slope averages the derivatives beyond them).
    ///
    /// ```
    /// wrong  ⇔  only one side crossed, and |a − s| > atol + rtol·|s| + 4·roundoff,   s the other side's slope:
    ///           s₊ = (f(θ+h) − f(θ))/h  or  s₋ = (f(θ) − f(θ−h))/h
    /// ```
    /// - Parameters:
    ///   - crossedForward, crossedBackward: whether f(θ + h) and f(θ − h) crossed a declared kink.
    public init(kinkAt crossing: KinkCrossing, analytic: Double, f0: Double, plus: Double, minus: Double, h: Double,
                crossedForward: Bool = true, crossedBackward: Bool = true, tolerance: Tolerance = Tolerance()) {
        self.analytic = analytic
        numeric = (plus - minus) / (2 * h)
        forward = (plus - f0) / h
        backward = (f0 - minus) / h
        roundoffError = 16 * Double.ulpOfOne * max(abs(f0), abs(plus), abs(minus)) / h
        predictedError = max(roundoffError, abs(forward - backward) / 2)
        verdict = .kink
        if crossedForward != crossedBackward {
            let smooth = crossedForward ? backward : forward
            let allowed = tolerance.absolute + tolerance.relative * abs(smooth) + Self.oneSidedNoise(roundoff: roundoffError)
            if !(analytic.isFinite && abs(analytic - smooth) <= allowed) { verdict = .wrong }
        }
        step = h
        kink = crossing
        crossedKink = true
    }

    /// The round-off of a one-sided slope: twice the central difference's (it divides by h, not 2h), for
    /// each of its two function values.
    static func oneSidedNoise(roundoff: Double) -> Double { 2 * roundoff * 2 }

    /// Whether `analytic` lies between the one-sided slopes, widened by torch's tolerance on the larger
    /// slope and by their round-off (the subgradient interval of a kink that was guessed, not probed):
    ///
    /// ```
    /// slack = atol + rtol·max(|s₊|, |s₋|) + 4·roundoff
    /// ```
    static func liesBetween(_ analytic: Double, forward: Double, backward: Double, roundoff: Double,
                            tolerance: Tolerance) -> Bool {
        guard analytic.isFinite && forward.isFinite && backward.isFinite else { return false }
        let low = min(forward, backward), high = max(forward, backward)
        let slack = tolerance.absolute + tolerance.relative * max(abs(low), abs(high)) + oneSidedNoise(roundoff: roundoff)
        return analytic >= low - slack && analytic <= high + slack
    }
}
