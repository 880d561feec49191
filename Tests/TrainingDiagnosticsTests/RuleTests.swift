import RunFormat
import XCTest
@testable import TrainingDiagnostics

/// Each detector rule by itself: a condition it must catch (at the step the condition began, with its
/// kind, threshold and remedy) and one just inside its threshold that it must not.
final class RuleTests: XCTestCase {
    /// Thresholds with a short streak, so that the tests read step by step.
    private var thresholds: DetectorThresholds {
        var t = DetectorThresholds()
        t.sustain = 2
        t.updateRatioWindow = 3
        t.stagnationWindow = 4
        return t
    }

    private func weights(_ norms: [Double], updateRatio: Double = 1e-3) -> [RecordedStep.WeightGradient] {
        norms.enumerated().map { .init(parameter: "\(2 * $0.offset).weight", layer: "\(2 * $0.offset)", norm: $0.element,
                                       updateRatio: updateRatio) }
    }

    private func layer(_ name: String, dead: Double = 0, saturated: Double = 0) -> RecordedStep.ActivationLayer {
        .init(layer: name, kind: "ReLU", saturatedFraction: saturated, deadFraction: dead)
    }

    /// Runs `rule` over recorded steps 1, 2, ... and returns every finding with the step it came out at.
    private func run<Rule: FindingRule>(_ rule: Rule, _ steps: [RecordedStep]) -> [(at: Int, row: FindingRow)] {
        var rule = rule, ledger = FindingLedger(), found: [(Int, FindingRow)] = []
        for s in steps {
            var rows = rule.evaluate(gradients: s, thresholds, &ledger)
            for l in s.activations { rows += rule.evaluate(layer: l, step: s.step, thresholds, &ledger) }
            rows += rule.evaluate(updates: s, thresholds, &ledger)
            found += rows.map { (s.step, $0) }
        }
        return found
    }

    private func run<Rule: FindingRule>(_ rule: Rule, losses: [Double] = [], norms: [Double] = []) -> [(at: Int, row: FindingRow)] {
        var rule = rule, ledger = FindingLedger(), found: [(Int, FindingRow)] = []
        for i in 0..<max(losses.count, norms.count) {
            let values = StepValues(step: i + 1, loss: i < losses.count ? losses[i] : 1,
                                    gradientNorm: i < norms.count ? norms[i] : 1)
            found += rule.evaluate(step: values, thresholds, &ledger).map { (i + 1, $0) }
        }
        return found
    }

    private func assertFinding<Rule: FindingRule>(_ found: [(at: Int, row: FindingRow)], of _: Rule.Type, at: Int,
                                                  since: Int, layer: String, threshold: Double,
                                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.count, 1, "exactly one finding: \(found.map(\.row))", file: file, line: line)
        guard let (step, row) = found.first else { return }
        XCTAssertEqual(row.kind, Rule.kind, file: file, line: line)
        XCTAssertEqual(row.severity, .warning, file: file, line: line)
        XCTAssertEqual(step, at, "raised at", file: file, line: line)
        XCTAssertEqual(row.step, since, "dated from", file: file, line: line)
        XCTAssertEqual(row.layer, layer, file: file, line: line)
        XCTAssertEqual(row.threshold, threshold, file: file, line: line)
        XCTAssertTrue(row.message.contains("Remedy: "), row.message, file: file, line: line)
    }

    func testVanishing() {
        let t = thresholds
        let below = (1...4).map { RecordedStep(step: $0, weights: weights([$0 >= 2 ? 1e-4 : 1, 1]), activations: []) }
        assertFinding(run(VanishingRule(), below), of: VanishingRule.self, at: 3, since: 2, layer: "0",
                      threshold: t.vanishingRatio)
        let atRatio = (1...4).map { RecordedStep(step: $0, weights: weights([1e-3, 1]), activations: []) }
        XCTAssertTrue(run(VanishingRule(), atRatio).isEmpty, "exactly at the ratio is not below it")
    }

    func testExplodingTowardsTheInput() {
        let t = thresholds
        let above = (1...3).map { RecordedStep(step: $0, weights: weights([2e3, 1, 1]), activations: []) }
        assertFinding(run(ExplodingDepthRule(), above), of: ExplodingDepthRule.self, at: 2, since: 1, layer: "0",
                      threshold: t.explodingDepthRatio)
        let atRatio = (1...3).map { RecordedStep(step: $0, weights: weights([1e3, 1, 1]), activations: []) }
        XCTAssertTrue(run(ExplodingDepthRule(), atRatio).isEmpty)
    }

    func testExplodingByBoundAndByGrowth() {
        let t = thresholds
        assertFinding(run(ExplodingBoundRule(), norms: [1, 2e4, 3e4]), of: ExplodingBoundRule.self, at: 2, since: 2,
                      layer: "", threshold: t.explodingBound)
        XCTAssertTrue(run(ExplodingBoundRule(), norms: [1e4, .infinity, .nan]).isEmpty,
                      "at the bound, and non-finite norms (the non-finite trace's), are not this rule's")
        assertFinding(run(ExplodingGrowthRule(), norms: [2, 1, 50, 100]), of: ExplodingGrowthRule.self, at: 4,
                      since: 2, layer: "", threshold: t.explodingGrowth)
        XCTAssertTrue(run(ExplodingGrowthRule(), norms: [1, 99, 0, 99]).isEmpty, "99-fold, and zero norms skipped")
    }

    func testDeadUnitsAndSaturationFireOncePerLayer() {
        let t = thresholds
        let dead = (1...4).map { RecordedStep(step: $0, weights: [], activations: [layer("1", dead: 0.5), layer("3")]) }
        assertFinding(run(DeadUnitsRule(), dead), of: DeadUnitsRule.self, at: 2, since: 1, layer: "1",
                      threshold: t.deadFraction)
        let saturated = (1...4).map {
            RecordedStep(step: $0, weights: [], activations: [layer("1", saturated: 0.49), layer("3", saturated: 0.9)])
        }
        assertFinding(run(SaturationRule(), saturated), of: SaturationRule.self, at: 2, since: 1, layer: "3",
                      threshold: t.saturatedFraction)
        XCTAssertTrue(run(DeadUnitsRule(), saturated).isEmpty, "saturation is not death")
        let two = (1...3).map { RecordedStep(step: $0, weights: [], activations: [layer("1", dead: 1), layer("3", dead: 1)]) }
        XCTAssertEqual(run(DeadUnitsRule(), two).map(\.row.layer), ["1", "3"], "once per layer, each layer once")
    }

    func testUpdateRatioOnEachSideOfTheBand() {
        let t = thresholds
        let large = (1...4).map { RecordedStep(step: $0, weights: weights([1, 1], updateRatio: 0.05), activations: []) }
        let found = run(UpdateRatioRule(), large)
        assertFinding(found, of: UpdateRatioRule.self, at: 3, since: 3, layer: "0", threshold: t.updateRatioBand.high)
        XCTAssertTrue(found.first?.row.message.hasSuffix(FindingKind.updateRatioRemedy(tooLarge: true)) == true)
        let small = (1...4).map { RecordedStep(step: $0, weights: weights([1], updateRatio: 1e-6), activations: []) }
        let low = run(UpdateRatioRule(), small)
        assertFinding(low, of: UpdateRatioRule.self, at: 3, since: 3, layer: "0", threshold: t.updateRatioBand.low)
        XCTAssertTrue(low.first?.row.message.hasSuffix(FindingKind.updateRatioRemedy(tooLarge: false)) == true)
        let healthy = (1...4).map { RecordedStep(step: $0, weights: weights([1], updateRatio: 1e-2), activations: []) }
        XCTAssertTrue(run(UpdateRatioRule(), healthy).isEmpty, "the band's edges are inside it")
    }

    func testStagnation() {
        let t = thresholds
        assertFinding(run(StagnationRule(), losses: [2, 2, 2, 2, 2, 2, 2, 2]), of: StagnationRule.self, at: 8, since: 5,
                      layer: "", threshold: t.stagnationImprovement)
        XCTAssertTrue(run(StagnationRule(), losses: [8, 8, 8, 8, 4, 4, 4, 4]).isEmpty, "halved: improving")
        XCTAssertTrue(run(StagnationRule(), losses: [10, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]).isEmpty,
                      "flat below a tenth of the first loss: converged, not stalled")
    }

    /// The exploding rules share one finding per run; other kinds are not held back by it.
    func testTheLedgerLetsEachKindAndSubjectFireOnce() {
        var ledger = FindingLedger()
        let row = FindingRow(step: 1, layer: "", kind: .exploding, severity: .warning, value: 1, threshold: 1, message: "")
        XCTAssertNotNil(ledger.once(.exploding) { row })
        XCTAssertNil(ledger.once(.exploding) { row })
        XCTAssertNotNil(ledger.once(.exploding, about: "0") { row })
        XCTAssertNotNil(ledger.once(.dead) { row })
        var detectors = Detectors()
        XCTAssertEqual(detectors.observe(step: 1, loss: 1, gradientNorm: 1).count, 0)
        XCTAssertEqual(detectors.observe(step: 2, loss: 1, gradientNorm: 2e4).map(\.kind), [.exploding],
                       "the bound and the growth both hold; one finding")
    }

    /// A recorded step's findings are listed gradients first, then layer by layer, then updates.
    func testDetectorsListAStepsFindingsInReadingOrder() {
        var t = DetectorThresholds()
        t.sustain = 1
        t.updateRatioWindow = 1
        var detectors = Detectors(thresholds: t)
        let step = RecordedStep(step: 1, weights: weights([1e-6, 1], updateRatio: 1),
                                activations: [layer("1", saturated: 0.9), layer("3", dead: 0.9)])
        let found = detectors.observe(step)
        XCTAssertEqual(found.map(\.kind), [.vanishing, .saturated, .dead, .updateRatio])
        XCTAssertEqual(found.map(\.layer), ["0", "1", "3", "0"])
    }
}
