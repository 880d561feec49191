import Foundation
import RunFormat
import XCTest

/// The one assessment of a run and the one ranking, which compare, report, inspect and the demo share.
final class RunAssessmentTests: XCTestCase {
    private func run(_ name: String, status: RunManifest.Status = .completed, loss: Double?, validation: Double? = nil,
                     losses: [Double] = [], findings: [FindingRow] = [], depthRatio: Double? = nil) -> RunData {
        var manifest = RunManifest(
            name: name, created: "2026-12-01T00:00:00Z", status: status, seed: 7, config: [:],
            model: .init(description: "2,8,2", layers: [], parameters: []),
            dataset: .init(name: "moons", trainingExamples: 10, validationExamples: 2, features: 2, outputs: 2),
            optimizer: [:], stepsCompleted: losses.count, findings: findings)
        manifest.finalLoss = loss
        manifest.finalValidationLoss = validation
        manifest.depthRatio = depthRatio
        let steps = losses.enumerated().map {
            StepRow(step: $0.offset + 1, epoch: 0, loss: $0.element, learningRate: 0.1, gradientNorm: 1, clipped: false,
                    seconds: 0)
        }
        return RunData(folder: URL(fileURLWithPath: "/nonexistent/\(name)"), manifest: manifest, steps: steps,
                       findings: findings)
    }

    private func finding(_ kind: FindingKind, step: Int, layer: String = "") -> FindingRow {
        FindingRow(step: step, layer: layer, kind: kind, severity: .warning, value: 0, threshold: 0, message: "m")
    }

    func testCompletedRunsRankFirstThenValidationLossThenLossThenName() {
        let runs = [
            run("diverged-best-loss", status: .diverged, loss: 0.01, validation: 0.01),
            run("no-validation", loss: 0.05),
            run("nan-validation", loss: 0.02, validation: .nan),
            run("b-tied", loss: 0.3, validation: 0.2),
            run("a-tied", loss: 0.3, validation: 0.2),
            run("best", loss: 0.9, validation: 0.1),
            run("same-validation-lower-loss", loss: 0.1, validation: 0.2),
        ].map { RunAssessment(run: $0) }
        let ranked = RunAssessment.ranked(runs)
        XCTAssertEqual(ranked.map(\.assessment.name), [
            "best", "same-validation-lower-loss", "a-tied", "b-tied", "nan-validation", "no-validation",
            "diverged-best-loss",
        ])
        XCTAssertEqual(ranked.map(\.rank), Array(1...runs.count))
        XCTAssertEqual(RunAssessment.rankOrder(runs).map { runs[$0].name }, ranked.map(\.assessment.name))
    }

    func testStepsToTargetIsTheFirstCrossing() {
        let a = RunAssessment(run: run("r", loss: 0.2, losses: [1.0, 0.6, 0.4, 0.5, 0.3]), targetLoss: 0.5)
        XCTAssertEqual(a.stepsToTarget, 3)
        XCTAssertNil(RunAssessment(run: run("r", loss: 0.2, losses: [1.0, 0.6]), targetLoss: 0.5).stepsToTarget)
        XCTAssertEqual(a.steps, 5)
    }

    func testAnUnfinishedRunIsJudgedOnWhatIsOnDisk() {
        let a = RunAssessment(run: run("killed", status: .interrupted, loss: nil, losses: [1.0, 0.7]))
        XCTAssertEqual(a.finalLoss, 0.7)
        XCTAssertEqual(a.status, .interrupted)
    }

    func testTheReasonPutsTheMostSeriousFindingFirstAndNamesLayersOnce() {
        let findings = [finding(.dead, step: 5, layer: "3"), finding(.vanishing, step: 1), finding(.dead, step: 9, layer: "3"),
                        finding(.dead, step: 9, layer: "1"), finding(.nonfinite, step: 40, layer: "2")]
        let a = RunAssessment(run: run("r", loss: 1, findings: findings, depthRatio: 2.3e-8), settings: "activation=relu, lr=1")
        XCTAssertEqual(a.reason, "activation=relu + lr=1: diverged at step 40, first non-finite value in layer 2; "
                       + "vanishing from step 1, depth ratio 2.3e-08; dead ReLUs in layers 3, 1")
        XCTAssertEqual(a.findingKinds, [.dead, .vanishing, .nonfinite])
        let healthy = RunAssessment(run: run("quiet", loss: 1, depthRatio: 0.41))
        XCTAssertEqual(healthy.reason, "quiet: healthy: no findings, depth ratio 0.41")
        XCTAssertEqual(healthy.diagnosis, "healthy: no findings, depth ratio 0.41")
    }

    /// A plateau that ended is information: the run stays healthy. Only stagnation says the loss stalls.
    func testAPlateauThatEndedLeavesTheRunHealthy() {
        var plateau = finding(.plateau, step: 201)
        plateau.severity = .info
        plateau.lastStep = 540
        var ratio = finding(.updateRatio, step: 20, layer: "8")
        ratio.severity = .info
        ratio.lastStep = 23
        let ended = RunAssessment(run: run("adam", loss: 0.63, losses: Array(repeating: 1, count: 1000),
                                           findings: [ratio, plateau], depthRatio: 0.41))
        XCTAssertEqual(ended.diagnosis, "healthy: no warnings, depth ratio 0.41; a loss plateau over steps 201–540 that ended")
        XCTAssertTrue(ended.warnings.isEmpty)
        let stalled = RunAssessment(run: run("sgd", loss: 1, losses: Array(repeating: 1, count: 1000),
                                             findings: [finding(.stagnation, step: 201)]))
        XCTAssertEqual(stalled.diagnosis, "the loss stalls from step 201 to the end")
        XCTAssertEqual(stalled.warnings.map(\.kind), [.stagnation])
    }
}
