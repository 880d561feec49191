import Foundation
import RunFormat
@testable import TensorBoard
import XCTest

/// The time ratio of each recurrent layer's stacked layer reaches TensorBoard as a scalar per recorded step.
final class TimeRatioExportTests: XCTestCase {
    func testEachStackedLayersTimeRatioIsAScalarAtItsStep() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = RunManifest(name: "rnn", created: "2026-01-02T03:04:05Z", status: .completed, seed: 0, config: [:],
                                   model: .init(description: "rnn", layers: [], parameters: []),
                                   dataset: .init(name: "d", trainingExamples: 1, validationExamples: 0, features: 1,
                                                  outputs: 1),
                                   optimizer: [:], stepsCompleted: 2)
        var run = RunData(folder: folder, manifest: manifest,
                          steps: (1...2).map { StepRow(step: $0, epoch: 0, loss: 1, learningRate: 0.1, gradientNorm: 1,
                                                        clipped: false, seconds: 0) })
        // Step 2, stack 0: 0.25 / 2 at t = 1 and t = 3; stack 1: 8 / 2; step 1 has one time step only.
        run.timeSteps = [TimeStepRow(step: 1, layer: "0", stack: 0, t: 1, gradientNorm: 5, hiddenNorm: 1)]
            + [0.25, 1, 2].enumerated().map { TimeStepRow(step: 2, layer: "0", stack: 0, t: $0.offset + 1, gradientNorm: $0.element, hiddenNorm: 1) }
            + [8, 4, 2].enumerated().map { TimeStepRow(step: 2, layer: "0", stack: 1, t: $0.offset + 1, gradientNorm: $0.element, hiddenNorm: 1) }
        let export = TensorBoardExport(folder: folder.path)
        try export.append(run)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(export.eventFile))))
        func contains(_ value: SummaryValue) -> Bool {
            let needle = value.encoded.bytes
            return bytes.count >= needle.count && (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
        }
        XCTAssertTrue(contains(SummaryValue(tag: "time_ratio/0_l0", content: .scalar(0.125))))
        XCTAssertTrue(contains(SummaryValue(tag: "time_ratio/0_l1", content: .scalar(4))))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self).components(separatedBy: "time_ratio/").count - 1, 2,
                       "step 1's single time step has no ratio")
    }
}
