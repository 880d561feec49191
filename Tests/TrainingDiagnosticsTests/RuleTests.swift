import Backprop
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
            for l in s.timeLayers { rows += rule.evaluate(time: l, step: s.step, thresholds, &ledger) }
            rows += rule.evaluate(updates: s, thresholds, &ledger)
            found += (rows + ledger.takeClosed()).map { (s.step, $0) }
        }
        return found
    }

    /// Runs `rule` over steps 1, 2, ... of losses and norms, with the closing rows the ledger made, and
    /// with `finish` the end of training after the last step (its rows at the last step + 1).
    private func run<Rule: FindingRule>(_ rule: Rule, losses: [Double] = [], norms: [Double] = [],
                                        finish: Bool = false) -> [(at: Int, row: FindingRow)] {
        var rule = rule, ledger = FindingLedger(), found: [(Int, FindingRow)] = []
        let steps = max(losses.count, norms.count)
        for i in 0..<steps {
            let values = StepValues(step: i + 1, loss: i < losses.count ? losses[i] : 1,
                                    gradientNorm: i < norms.count ? norms[i] : 1)
            found += (rule.evaluate(step: values, thresholds, &ledger) + ledger.takeClosed()).map { (i + 1, $0) }
        }
        if finish {
            found += (rule.finish(lastStep: steps, thresholds, &ledger) + ledger.takeClosed()).map { (steps + 1, $0) }
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
        // Converged: the norm falls from 1 to 1e-4 over the run; a hard batch brings it back to 0.05, a
        // 500-fold jump that stays below the scale training started at: no explosion. Past that scale, one.
        let window = t.growthWindow
        let converging = Array(repeating: 1.0, count: window) + Array(repeating: 1e-4, count: window)
        XCTAssertTrue(run(ExplodingGrowthRule(), norms: converging + [0.05]).isEmpty,
                      "a jump back towards the starting scale is a hard batch")
        assertFinding(run(ExplodingGrowthRule(), norms: converging + [5]), of: ExplodingGrowthRule.self,
                      at: 2 * window + 1, since: window + 2, layer: "", threshold: t.explodingGrowth)
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
        assertFinding(found, of: UpdateRatioRule.self, at: 4, since: 3, layer: "0", threshold: t.updateRatioBand.high)
        XCTAssertTrue(found.first?.row.message.hasSuffix(FindingKind.updateRatioRemedy(tooLarge: true)) == true)
        let small = (1...4).map { RecordedStep(step: $0, weights: weights([1], updateRatio: 1e-6), activations: []) }
        let low = run(UpdateRatioRule(), small)
        assertFinding(low, of: UpdateRatioRule.self, at: 4, since: 3, layer: "0", threshold: t.updateRatioBand.low)
        let blip = [1e-3, 1e-3, 0.05, 1e-3, 0.05, 1e-3].enumerated().map {
            RecordedStep(step: $0.offset + 1, weights: weights([1], updateRatio: $0.element), activations: [])
        }
        XCTAssertTrue(run(UpdateRatioRule(), blip).isEmpty, "outside at one recorded step only: shorter than sustain")
        XCTAssertTrue(low.first?.row.message.hasSuffix(FindingKind.updateRatioRemedy(tooLarge: false)) == true)
        let healthy = (1...4).map { RecordedStep(step: $0, weights: weights([1], updateRatio: 1e-2), activations: []) }
        XCTAssertTrue(run(UpdateRatioRule(), healthy).isEmpty, "the band's edges are inside it")
    }

    /// Runs the update-ratio rule over steps 1, 2, ..., each recorded with one tensor at `ratios[i]` and
    /// followed by that step's loss and global gradient norm (1 where `norms` is empty), as the recorder
    /// calls it.
    private func runUpdateRatio(ratios: [Double], losses: [Double], norms: [Double] = []) -> [(at: Int, row: FindingRow)] {
        var rule = UpdateRatioRule(), ledger = FindingLedger(), found: [(Int, FindingRow)] = []
        for (i, (ratio, loss)) in zip(ratios, losses).enumerated() {
            let recorded = RecordedStep(step: i + 1, weights: weights([1], updateRatio: ratio), activations: [])
            var rows = rule.evaluate(updates: recorded, thresholds, &ledger)
            let values = StepValues(step: i + 1, loss: loss, gradientNorm: norms.isEmpty ? 1 : norms[i])
            rows += rule.evaluate(step: values, thresholds, &ledger)
            found += (rows + ledger.takeClosed()).map { (i + 1, $0) }
        }
        return found
    }

    func testSmallUpdatesOnceTrainingSettledAreItsEnd() {
        let t = thresholds
        // In the band while the loss and the gradient norm fall to a thousandth, then a thousandth of the
        // band's low edge: SGD's steps shrinking with the gradient.
        let ratios = Array(repeating: 1e-3, count: 5) + Array(repeating: 1e-7, count: 6)
        let falling = [2.3, 1, 0.5, 0.1, 0.01, 0.003, 0.002, 0.002, 0.002, 0.002, 0.002]
        let fallingNorms = falling.map { $0 / 2.3 }
        XCTAssertTrue(runUpdateRatio(ratios: ratios, losses: falling, norms: fallingNorms).isEmpty,
                      "loss and gradient norm at most stagnationFloor × their first values: settled")
        // The same updates with the loss where it started: too low a learning rate.
        let stuck = runUpdateRatio(ratios: ratios, losses: Array(repeating: 2.3, count: ratios.count), norms: fallingNorms)
        assertFinding(stuck, of: UpdateRatioRule.self, at: 8, since: 7, layer: "0", threshold: t.updateRatioBand.low)
        // The loss fell but the gradients did not (steps of about the learning rate whatever the gradient).
        let steady = runUpdateRatio(ratios: ratios, losses: falling)
        assertFinding(steady, of: UpdateRatioRule.self, at: 8, since: 7, layer: "0", threshold: t.updateRatioBand.low)
        // Just above the floor, the loss has not settled.
        let above = runUpdateRatio(ratios: ratios, losses: Array(repeating: 2.3, count: 4)
                                    + Array(repeating: 2.3 * t.stagnationFloor * 1.01, count: 7), norms: fallingNorms)
        assertFinding(above, of: UpdateRatioRule.self, at: 8, since: 7, layer: "0", threshold: t.updateRatioBand.low)
        // Large updates count whatever the loss.
        let large = runUpdateRatio(ratios: Array(repeating: 1e-3, count: 5) + Array(repeating: 0.05, count: 6),
                                   losses: falling, norms: fallingNorms)
        assertFinding(large, of: UpdateRatioRule.self, at: 8, since: 7, layer: "0", threshold: t.updateRatioBand.high)
    }

    /// A small-update warning raised before training settled is not closed when it settles: its ratios are
    /// still below the band, so it has not come back into it.
    func testAWarningRaisedBeforeTrainingSettledStaysOpen() {
        let t = thresholds
        let ratios = Array(repeating: 1e-7, count: 12)
        let losses = Array(repeating: 2.3, count: 6) + Array(repeating: 0.001, count: 6)
        let norms = Array(repeating: 1.0, count: 6) + Array(repeating: 0.001, count: 6)
        let found = runUpdateRatio(ratios: ratios, losses: losses, norms: norms)
        assertFinding(found, of: UpdateRatioRule.self, at: 4, since: 3, layer: "0", threshold: t.updateRatioBand.low)
        XCTAssertTrue(found.first?.row.isOpen == true, "no closing row once settled: \(found.map(\.row))")
    }

    func testStagnationIsAPlateauThatLastsToTheEnd() {
        let t = thresholds
        let flat = run(StagnationRule(), losses: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], finish: true)
        XCTAssertEqual(flat.map(\.at), [8, 13], "a plateau when found, stagnation at the end: \(flat.map(\.row))")
        guard flat.count == 2 else { return }
        XCTAssertEqual([flat[0].row.kind, flat[1].row.kind], [.plateau, .stagnation])
        XCTAssertEqual([flat[0].row.severity, flat[1].row.severity], [.info, .warning])
        XCTAssertEqual([flat[0].row.step, flat[1].row.step], [5, 5], "both from the first step of the last window")
        XCTAssertTrue(flat[1].row.isOpen, "it lasted to the end")
        XCTAssertEqual(flat[1].row.threshold, t.stagnationImprovement)
        XCTAssertTrue(flat[1].row.message.contains("Remedy: " + FindingKind.stagnation.remedy), flat[1].row.message)
        XCTAssertEqual(FindingRow.spans(flat.map(\.row)).map(\.kind), [.stagnation], "stagnation replaces the plateau")
        XCTAssertTrue(run(StagnationRule(), losses: [8, 8, 8, 8, 4, 4, 4, 4], finish: true).isEmpty, "halved: improving")
        XCTAssertTrue(run(StagnationRule(), losses: [10, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
                          finish: true).isEmpty,
                      "flat below a tenth of the first loss: converged, not stalled")
    }

    /// Scenario (c) of the demo in small: the loss stalls, then falls again; the plateau closes, and no
    /// stagnation is left at the end.
    func testAPlateauThatEndsIsInfoBetweenTwoSteps() {
        let found = run(StagnationRule(), losses: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1], finish: true)
        XCTAssertEqual(found.map(\.at), [8, 16], "raised at the first check that holds, closed at the first that does not")
        XCTAssertEqual(found.map(\.row.kind), [.plateau, .plateau])
        XCTAssertEqual(found.map(\.row.severity), [.info, .info])
        XCTAssertEqual(found.last?.row.step, 5)
        XCTAssertEqual(found.last?.row.lastStep, 12, "the last check at which it held")
        XCTAssertEqual(found.last?.row.span(end: 16), "steps 5–12")
        XCTAssertFalse(FindingRow.spans(found.map(\.row)).contains { $0.severity.needsAction }, "nothing to act on")
        // It ends within the last, partial window: the final check at the end of training sees it.
        let late = run(StagnationRule(), losses: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1], finish: true)
        XCTAssertEqual(late.map(\.at), [8, 16], "\(late.map(\.row))")
        XCTAssertEqual(late.map(\.row.kind), [.plateau, .plateau], "\(late.map(\.row))")
        XCTAssertEqual(late.last?.row.lastStep, 12)
        // Stalls, falls, stalls again to the end: the first plateau closed, the second is stagnation.
        let twice = run(StagnationRule(), losses: [2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                        finish: true)
        XCTAssertEqual(FindingRow.spans(twice.map(\.row)).map { "\($0.kind) \($0.step)–\($0.lastStep ?? -1)" },
                       ["plateau 5–8", "stagnation 13–-1"], "\(twice.map(\.row))")
    }

    /// A loss that falls in steps and pauses for its last window only (demo model (b) with momentum, seeds
    /// 1–3, in small) is a plateau to the end, `info`, not stagnation: the stall held at one check, fewer
    /// than `stagnationChecks`. Two windows of stall at the end are stagnation.
    func testOneWindowOfStallAfterAFallIsAPlateauNotStagnation() {
        let pause = run(StagnationRule(), losses: [8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2], finish: true)
        XCTAssertEqual(pause.map(\.row.kind), [.plateau], "\(pause.map(\.row))")
        XCTAssertEqual(pause.map(\.row.severity), [.info])
        XCTAssertEqual(pause.first?.row.step, 13)
        XCTAssertTrue(pause.first?.row.isOpen == true, "it lasts to the end, too short to call stagnation")
        XCTAssertFalse(FindingRow.spans(pause.map(\.row)).contains { $0.severity.needsAction }, "nothing to act on")
        let stalled = run(StagnationRule(), losses: [8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
                          finish: true)
        XCTAssertEqual(FindingRow.spans(stalled.map(\.row)).map { "\($0.kind) \($0.step)" }, ["stagnation 13"],
                       "\(stalled.map(\.row))")
        // The final check over a moved window counts: two windows of stall ending within a partial one.
        let partial = run(StagnationRule(), losses: [8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
                          finish: true)
        XCTAssertEqual(FindingRow.spans(partial.map(\.row)).map(\.kind), [.stagnation], "\(partial.map(\.row))")
    }

    /// A streak rule's finding closes at the first recorded step where its condition no longer holds, with
    /// the last step at which it held; it does not fire again for that subject.
    func testAFindingClosesWhenItsConditionClears() {
        let dead = [1.0, 1, 1, 0, 1, 1].enumerated().map {
            RecordedStep(step: $0.offset + 1, weights: [], activations: [layer("1", dead: $0.element)])
        }
        let found = run(DeadUnitsRule(), dead)
        XCTAssertEqual(found.map(\.at), [2, 4], "raised, then closed: \(found.map(\.row))")
        XCTAssertEqual(found.map(\.row.step), [1, 1], "the same finding")
        XCTAssertEqual(found.map(\.row.lastStep), [nil, 3])
        XCTAssertEqual(FindingRow.spans(found.map(\.row)).map { $0.span(end: 6) }, ["steps 1–3"])
        let still = run(DeadUnitsRule(), Array(dead.prefix(3)))
        XCTAssertEqual(still.map(\.row.lastStep), [nil], "still dead at the end: open")
        let large = [0.05, 0.05, 0.05, 0.05, 1e-3, 1e-3, 1e-3].enumerated().map {
            RecordedStep(step: $0.offset + 1, weights: weights([1], updateRatio: $0.element), activations: [])
        }
        let ratio = run(UpdateRatioRule(), large)
        XCTAssertEqual(ratio.map(\.row.lastStep), [nil, 5], "the median returns into the band at step 6: \(ratio.map(\.row))")
        XCTAssertEqual(ratio.map(\.row.severity), [.warning, .info], "a span of large updates that ended is information")
        XCTAssertEqual(found.map(\.row.severity), [.warning, .warning], "dead units that came back were a problem")
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

    /// A recurrent layer whose ‖∂L/∂h_t‖ are `norms` (t = 1...T) in each stacked layer, with `gates`.
    private func recurrent(_ name: String, _ norms: [[Double]], gates: [[GateTrace]] = []) -> RecordedStep.TimeLayer {
        .init(layer: name, traces: norms.enumerated().map { stack, norms in
            TimeTrace(stack: stack, gradientNorms: norms, hiddenNorms: norms.map { _ in 1 },
                      gates: stack < gates.count ? gates[stack] : [])
        })
    }

    private func timeSteps(_ layers: [RecordedStep.TimeLayer], count: Int = 4) -> [RecordedStep] {
        (1...count).map { RecordedStep(step: $0, weights: [], activations: [], timeLayers: layers) }
    }

    func testVanishingThroughTime() {
        let t = thresholds
        // ‖∂L/∂h_t‖ = 0.1^(T−t): the ratio over T = 5 is 1e-4. The second stacked layer vanishes, the first does not.
        let geometric = (1...5).map { pow(0.1, Double(5 - $0)) }
        let found = run(VanishingThroughTimeRule(), timeSteps([recurrent("0", [[1, 1, 1, 1, 1], geometric])]))
        assertFinding(found, of: VanishingThroughTimeRule.self, at: 2, since: 1, layer: "0",
                      threshold: t.vanishingTimeRatio)
        XCTAssertEqual(found.first?.row.value ?? 0, 1e-4, accuracy: 1e-16)
        XCTAssertTrue(found.first?.row.message.contains("stacked layer 1") == true, found.first?.row.message ?? "")
        let atRatio = timeSteps([recurrent("0", [[1e-3, 0.5, 1]])])
        XCTAssertTrue(run(VanishingThroughTimeRule(), atRatio).isEmpty, "exactly at the ratio is not below it")
        let noRatio = timeSteps([recurrent("0", [[1e-9]]), recurrent("1", [[1e-9, 0]])])
        XCTAssertTrue(run(VanishingThroughTimeRule(), noRatio).isEmpty, "one time step, or ‖∂L/∂h_T‖ = 0: no ratio")
        // One recorded step where the gradient reaches h_1 again (step 3) does not end it; `sustain` (2) such
        // steps in a row do (steps 5 and 6), and the span ends at the last step it held (4), as info.
        let flat: [Double] = [1, 1, 1, 1, 1]
        let clears = [geometric, geometric, flat, geometric, flat, flat].enumerated().map {
            RecordedStep(step: $0.offset + 1, weights: [], activations: [], timeLayers: [recurrent("2", [$0.element])])
        }
        XCTAssertEqual(t.sustain, 2)
        let spans = run(VanishingThroughTimeRule(), clears)
        XCTAssertEqual(spans.map(\.at), [2, 6], "\(spans.map(\.row))")
        XCTAssertEqual(spans.map(\.row.lastStep), [nil, 4])
        XCTAssertEqual(spans.map(\.row.severity), [.warning, .info])
        // Vanishing again later is a second span, from the step its new streak began.
        let again = clears + [geometric, geometric].enumerated().map {
            RecordedStep(step: 7 + $0.offset, weights: [], activations: [], timeLayers: [recurrent("2", [$0.element])])
        }
        let twice = run(VanishingThroughTimeRule(), again)
        XCTAssertEqual(twice.map(\.at), [2, 6, 8])
        XCTAssertEqual(twice.map(\.row.step), [1, 1, 7])
        XCTAssertEqual(twice.last?.row.severity, .warning)
    }

    func testExplodingThroughTime() {
        let t = thresholds
        let growing = (1...4).map { pow(20, Double(4 - $0)) }  // 8000, 400, 20, 1
        let found = run(ExplodingThroughTimeRule(), timeSteps([recurrent("1", [growing])]))
        assertFinding(found, of: ExplodingThroughTimeRule.self, at: 2, since: 1, layer: "1",
                      threshold: t.explodingTimeRatio)
        XCTAssertEqual(found.first?.row.value, 8000)
        XCTAssertTrue(found.first?.row.message.contains("clip the gradient norm") == true)
        XCTAssertTrue(run(ExplodingThroughTimeRule(), timeSteps([recurrent("1", [[1e3, 1, 1]])])).isEmpty,
                      "exactly at the ratio is not above it")
        XCTAssertTrue(run(VanishingThroughTimeRule(), timeSteps([recurrent("1", [growing])])).isEmpty)
        XCTAssertTrue(run(ExplodingThroughTimeRule(), timeSteps([recurrent("1", [[1e-6, 1]])])).isEmpty)
    }

    func testSaturatedGates() {
        let t = thresholds
        let lstm = ["i", "f", "g", "o"].map { name in
            GateTrace(name: name, means: [0.5, 0.5], saturatedFractions: name == "f" ? [0.4, 0.8] : [0.1, 0.1])
        }
        let found = run(SaturatedGatesRule(), timeSteps([recurrent("0", [[1, 1]], gates: [lstm])]))
        assertFinding(found, of: SaturatedGatesRule.self, at: 2, since: 1, layer: "0", threshold: t.saturatedGateFraction)
        XCTAssertEqual(found.first?.row.value ?? 0, 0.6, accuracy: 1e-15, "the mean over the time steps")
        XCTAssertTrue(found.first?.row.message.contains("gate f") == true, found.first?.row.message ?? "")
        let below = ["r", "z", "n"].map { GateTrace(name: $0, means: [0.5, 0.5], saturatedFractions: [0.49, 0.49]) }
        XCTAssertTrue(run(SaturatedGatesRule(), timeSteps([recurrent("0", [[1, 1]], gates: [below])])).isEmpty,
                      "just below the threshold")
        XCTAssertTrue(run(SaturatedGatesRule(), timeSteps([recurrent("0", [[1, 1]])])).isEmpty, "no gates: a vanilla RNN")
    }

    /// The time hook comes after the activation layers and before the updates.
    func testDetectorsListTimeFindingsAfterTheActivationLayers() {
        var t = DetectorThresholds()
        t.sustain = 1
        t.updateRatioWindow = 1
        var detectors = Detectors(thresholds: t)
        let gate = GateTrace(name: "f", means: [0.99, 0.99], saturatedFractions: [1, 1])
        let step = RecordedStep(step: 1, weights: weights([1], updateRatio: 1), activations: [layer("3", dead: 0.9)],
                                timeLayers: [recurrent("0", [[1e-5, 1]], gates: [[gate]]), recurrent("1", [[1e4, 1]])])
        let found = detectors.observe(step)
        XCTAssertEqual(found.map(\.kind), [.dead, .vanishingThroughTime, .saturatedGates, .explodingThroughTime, .updateRatio])
        XCTAssertEqual(found.map(\.layer), ["3", "0", "0", "1", "0"])
    }
}
