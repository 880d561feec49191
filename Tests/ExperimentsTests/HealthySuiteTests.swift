import Experiments
import Foundation
import RunFormat
import XCTest

/// The healthy-run suite in small (scripts/healthy-suite.sh measures all of it, over seeds): demo models
/// trained with settings that work raise no warning, and the demo's broken runs each still raise their
/// own finding. The healthy runs train their full step budget: a shorter one would end on the spirals'
/// plateau, and a plateau that lasts to the end is rightly stagnation.
final class HealthySuiteTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-healthy-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func assess(_ run: Sweep.Configuration) throws -> RunAssessment {
        let target = folder.appendingPathComponent(run.name)
        _ = try TrainingJob(experiment: Experiment(run.config), folder: target,
                            recording: .init(recordEvery: 1, histogramsEvery: 1000), checkEvery: nil).run()
        return RunAssessment(run: try RunReader().read(target), name: run.name)
    }

    /// Scenario (c)'s model with Adam and momentum at their usual rates: both plateau near step 200 and
    /// leave it, and momentum's first steps leave the update-ratio band for a while.
    func testDemoModelsTrainedWithSettingsThatWorkRaiseNoWarning() throws {
        let seed: UInt64 = 7
        let runs = DemoScenarios.healthy(seed: seed).filter { ["healthy-c-adam", "healthy-c-momentum"].contains($0.name) }
        XCTAssertEqual(runs.count, 2)
        for run in runs {
            let a = try assess(run)
            XCTAssertEqual(a.status, .completed, "\(run.name), seed \(seed)")
            XCTAssertEqual(a.warnings.map(\.kind), [], "\(run.name), seed \(seed): \(a.diagnosis)")
            XCTAssertTrue(a.diagnosis.hasPrefix("healthy"), "\(run.name), seed \(seed): \(a.diagnosis)")
        }
    }

    /// The demo's broken runs, on the same data and seed, each raise their own warning or error (a tenth of
    /// the budget: both conditions hold from the first steps).
    func testTheDemosBrokenRunsStillRaiseTheirOwnFinding() throws {
        let seed: UInt64 = 7
        let expected: [String: Set<FindingKind>] = ["a-sigmoid-classic": [.vanishing],
                                                    "b-lr2-no-clipping": [.exploding, .nonfinite]]
        let runs = DemoScenarios.scenarios(seed: seed, scale: 0.1).flatMap(\.runs).filter { expected[$0.name] != nil }
        XCTAssertEqual(runs.count, expected.count)
        for run in runs {
            let kinds = Set(try assess(run).warnings.map(\.kind))
            XCTAssertFalse(kinds.isDisjoint(with: expected[run.name]!), "\(run.name), seed \(seed): \(kinds)")
        }
    }
}
