import RunFormat

/// Gradients explode towards the input: a weight tensor's gradient norm stays far above the output
/// layer's.
///
/// ```
/// ‖∇W_l‖ / ‖∇W_out‖ > explodingDepthRatio      on `sustain` consecutive recorded steps
/// ```
/// Thresholds: `explodingDepthRatio` (1e3, the mirror of `vanishingRatio`; Pascanu, Mikolov & Bengio 2013)
/// and `sustain`. Steps whose output gradient norm is zero or not finite are skipped. The three exploding
/// rules share one finding per run: the first to fire reports it. Closes when the streak of the tensor it
/// named ends.
struct ExplodingDepthRule: FindingRule {
    static let kind = FindingKind.exploding
    private var streaks = Streaks()
    /// The parameter of the finding this rule raised.
    private var reported: String?

    mutating func evaluate(gradients recorded: RecordedStep, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard let output = recorded.weights.last, output.norm > 0, output.norm.isFinite else { return [] }
        var findings: [FindingRow] = []
        for weight in recorded.weights.dropLast() {
            let ratio = weight.norm / output.norm
            let (holds, since, ended) = streaks.update(weight.parameter, ratio > t.explodingDepthRatio,
                                                       step: recorded.step, sustain: t.sustain)
            if let ended, weight.parameter == reported { ledger.close(Self.kind, lastStep: ended) }
            if holds, let found = ledger.once(Self.kind, {
                finding(step: since, layer: weight.layer, value: ratio, threshold: t.explodingDepthRatio,
                        message: "gradients explode towards the input: \(weight.parameter)'s gradient norm is "
                            + "\(short(ratio)) times the output layer's since step \(since).")
            }) {
                findings.append(found)
                reported = weight.parameter
            }
        }
        return findings
    }
}

/// The global gradient norm is too large, whatever its history.
///
/// ```
/// ‖∇θ‖ > explodingBound
/// ```
/// Threshold: `explodingBound` (1e4: far above the norms of healthy training, which clipping keeps near
/// 1). Non-finite norms are the non-finite trace's (`RunRecorder`), not this rule's. Closes at the first
/// finite norm at or below the bound.
struct ExplodingBoundRule: FindingRule {
    static let kind = FindingKind.exploding
    /// The last step above the bound while this rule's finding is open.
    private var lastAbove: Int?

    mutating func evaluate(step s: StepValues, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard s.gradientNorm.isFinite else { return [] }
        guard s.gradientNorm > t.explodingBound else {
            if let last = lastAbove { ledger.close(Self.kind, lastStep: last) }
            lastAbove = nil
            return []
        }
        if lastAbove != nil { lastAbove = s.step }
        let found = ledger.once(Self.kind) {
            finding(step: s.step, layer: "", value: s.gradientNorm, threshold: t.explodingBound,
                    message: "the global gradient norm reached \(short(s.gradientNorm)) at step \(s.step), above "
                        + "\(short(t.explodingBound)).")
        }
        if found != nil { lastAbove = s.step }
        return found.map { [$0] } ?? []
    }
}

/// The global gradient norm jumps by orders of magnitude within a few steps.
///
/// ```
/// ‖∇θ‖_t / min{‖∇θ‖_s > 0 : s among the last growthWindow finite norms} ≥ explodingGrowth
/// ```
/// Thresholds: `explodingGrowth` (1e2) over `growthWindow` (20) steps: Pascanu et al. (2013, section 3)
/// show the norm jumping by orders of magnitude at once. The finding's span is from the window's minimum to
/// the step of the jump, closed at once. After the first `growthWindow` steps the norm must also exceed the
/// largest norm of those first steps: near convergence the norm falls by orders of magnitude and a hard
/// batch brings it back up, which is no explosion (seen on a digits convnet with BatchNorm2d at 100%
/// training accuracy: 112-fold from 1e-4).
struct ExplodingGrowthRule: FindingRule {
    static let kind = FindingKind.exploding
    private var recentNorms: [(step: Int, norm: Double)] = []
    /// The largest finite norm of the run's first `growthWindow` steps: the scale training started at.
    private var startingScale = 0.0
    private var stepsSeen = 0

    mutating func evaluate(step s: StepValues, _ t: DetectorThresholds,
                           _ ledger: inout FindingLedger) -> [FindingRow] {
        guard s.gradientNorm.isFinite else { return [] }
        recentNorms.append((s.step, s.gradientNorm))
        if recentNorms.count > t.growthWindow { recentNorms.removeFirst() }
        stepsSeen += 1
        if stepsSeen <= t.growthWindow { startingScale = max(startingScale, s.gradientNorm) }
        // A jump from the tiny norms of a nearly fitted batch back up to the scale training started at is
        // an ordinary hard batch, not an explosion: the norm must also pass the starting scale.
        guard s.gradientNorm > startingScale || stepsSeen <= t.growthWindow,
              let low = recentNorms.filter({ $0.norm > 0 }).min(by: { $0.norm < $1.norm }),
              s.gradientNorm / low.norm >= t.explodingGrowth else { return [] }
        let growth = s.gradientNorm / low.norm
        let found = ledger.once(Self.kind) {
            var row = finding(step: low.step, layer: "", value: growth, threshold: t.explodingGrowth,
                              message: "the global gradient norm grew \(short(growth))-fold from step \(low.step) "
                                + "to step \(s.step).")
            row.lastStep = s.step
            return row
        }
        return found.map { [$0] } ?? []
    }
}
