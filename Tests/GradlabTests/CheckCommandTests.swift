import Foundation
import RunFormat
import XCTest

/// `gradlab check` end to end.
final class CheckCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testAHealthyModelPassesAndWritesEveryEntry() throws {
        let out = folder.appendingPathComponent("check")
        let result = try CommandRunner.run(["check", "--mlp", "2,5,3", "--activation", "tanh", "--batch", "4",
                                            "--out", out.path, "--sweep"])
        XCTAssertEqual(result.status, 0, result.errors + result.output)
        XCTAssertTrue(result.output.contains("Result: all gradients agree"), result.output)
        let table = try CSVTable(url: out.appendingPathComponent("gradcheck.csv"))
        XCTAssertEqual(table.rows.count, 5 * 2 + 5 + 3 * 5 + 3, "full mode checks every entry")
        XCTAssertEqual(try table.texts("step"), Array(repeating: "", count: table.rows.count), "no step outside training")
        XCTAssertEqual(try CSVTable(url: out.appendingPathComponent("gradcheck-sweep.csv")).rows.count, 3 * 12)
    }

    func testJSONAndDirectionMode() throws {
        let result = try CommandRunner.run(["check", "--mlp", "2,8x2,3", "--activation", "relu", "--mode", "direction", "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        XCTAssertEqual(json?["mode"] as? String, "direction")
        XCTAssertEqual(json?["wrong"] as? Bool, false)
        let tensors = json?["tensors"] as? [[String: Any]]
        XCTAssertEqual(tensors?.map { $0["name"] as? String }, ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
    }

    func testWeightsFromATrainedRunLoadAndAMismatchIsAnError() throws {
        let run = folder.appendingPathComponent("run")
        XCTAssertEqual(try CommandRunner.run(["train", "--mlp", "2,6,3", "--steps", "20", "--out", run.path, "--quiet"]).status, 0)
        let weights = run.appendingPathComponent("model.safetensors").path
        let ok = try CommandRunner.run(["check", "--mlp", "2,6,3", "--weights", weights, "--mode", "sample", "--samples", "3"])
        XCTAssertEqual(ok.status, 0, ok.errors)
        let wrongShape = try CommandRunner.run(["check", "--mlp", "2,7,3", "--weights", weights])
        XCTAssertEqual(wrongShape.status, 2)
        XCTAssertTrue(wrongShape.errors.contains("0.weight"), wrongShape.errors)
        let badMode = try CommandRunner.run(["check", "--mode", "fast"])
        XCTAssertEqual(badMode.status, 2)
        XCTAssertTrue(badMode.errors.contains("--mode takes full, sample or direction"), badMode.errors)
    }

    /// Issue 17: the deep ReLU net of the issue (activations ~1e-5 deep down, so h = 1e-6 crossed ReLU kinks
    /// by the hundred) checks clean, with the evidence in gradcheck.csv. Full mode of this model costs
    /// minutes in a debug build; the sample and direction modes go through the same step rule and probe.
    func testTheDeepReLUNetOfIssue17HasNoWrongEntries() throws {
        let model = ["--dataset", "spirals", "--mlp", "2,64x30,3", "--activation", "relu", "--init", "xavier-normal"]
        for seed in ["1", "2", "3"] {
            for mode in [["--mode", "sample", "--samples", "4"], ["--mode", "direction"]] {
                let out = folder.appendingPathComponent("issue17-\(seed)-\(mode[1])")
                let result = try CommandRunner.run(["check"] + model + mode + ["--seed", seed, "--out", out.path])
                XCTAssertEqual(result.status, 0, "seed \(seed), \(mode): " + result.errors + result.output)
                let table = try CSVTable(url: out.appendingPathComponent("gradcheck.csv"))
                let rows = try table.gradchecks()
                XCTAssertFalse(rows.isEmpty)
                XCTAssertFalse(rows.contains { $0.verdict == .wrong }, "seed \(seed), \(mode)")
                XCTAssertTrue(rows.allSatisfy { $0.h > 0 && $0.forwardSlope.isFinite && $0.backwardSlope.isFinite
                                                && $0.roundoffError > 0 }, "evidence in every row")
            }
        }
    }
}
