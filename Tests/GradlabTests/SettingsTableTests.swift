import Experiments
import Foundation
import RunFormat
import XCTest

/// The table of settings (`Settings.all`) against the command line: every setting is in the help of the
/// commands that take it, and every setting of `train` is an axis of `compare` whose values reach run.json.
final class SettingsTableTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// An axis for each setting: its list on the command line, the config text run.json must record for
    /// each value, and flags the values need (a CSV file for the data settings, the loss's kind of target).
    private struct Axis {
        var list: String
        var recorded: [String]
        var context: [String] = []
    }

    private func axes(csv: String, models: [String]) -> [String: Axis] {
        [
            "mlp": Axis(list: "2,4,3;2,4x2,3", recorded: ["2,4,3", "2,4x2,3"]),
            "model": Axis(list: "\(models[0]),\(models[1])", recorded: [models[0], models[1]]),
            "input-shape": Axis(list: "4;2,2", recorded: ["4", "2,2"], context: ["--data", csv, "--label", "y"]),
            "seq-len": Axis(list: "4,5", recorded: ["4", "5"], context: ["--dataset", "adding", "--model", models[2]]),
            "depth": Axis(list: "1,2", recorded: ["1", "2"]),
            "width": Axis(list: "4,6", recorded: ["4", "6"]),
            "activation": Axis(list: "relu,tanh", recorded: ["relu", "tanh"]),
            "init": Axis(list: "he-normal,xavier-uniform", recorded: ["he-normal", "xavier-uniform"]),
            "norm": Axis(list: "none,layer", recorded: ["none", "layer"]),
            "residual": Axis(list: "false,true", recorded: ["false", "true"]),
            "dropout": Axis(list: "0,0.2", recorded: ["0.0", "0.2"]),
            "loss": Axis(list: "mse,bce", recorded: ["mse", "bce"], context: ["--data", csv, "--targets", "t"]),
            "precision": Axis(list: "float,double", recorded: ["float", "double"]),
            "dataset": Axis(list: "moons,xor", recorded: ["moons", "xor"]),
            "examples": Axis(list: "40,50", recorded: ["40", "50"]),
            "noise": Axis(list: "0.1,0.2", recorded: ["0.1", "0.2"]),
            // A second copy of the data: an axis gives each value once.
            "data": Axis(list: "\(csv),\(csv).copy.csv", recorded: [csv, csv + ".copy.csv"], context: ["--label", "y"]),
            "label": Axis(list: "y,z", recorded: ["y", "z"], context: ["--data", csv]),
            "targets": Axis(list: "t;t,z", recorded: ["t", "t,z"], context: ["--data", csv]),
            "validation": Axis(list: "0.2,0.25", recorded: ["0.2", "0.25"]),
            "standardize": Axis(list: "true,false", recorded: ["true", "false"]),
            "optimizer": Axis(list: "sgd,adam", recorded: ["sgd", "adam"]),
            "lr": Axis(list: "0.01,0.02", recorded: ["0.01", "0.02"]),
            "weight-decay": Axis(list: "0,0.01", recorded: ["0.0", "0.01"]),
            "schedule": Axis(list: "constant,warmup:1,cosine", recorded: ["constant", "warmup:1,cosine"]),
            "clip-norm": Axis(list: "1,2", recorded: ["1.0", "2.0"]),
            "clip-value": Axis(list: "1,2", recorded: ["1.0", "2.0"]),
            "steps": Axis(list: "2,3", recorded: ["2", "3"]),
            "epochs": Axis(list: "1,2", recorded: ["1", "2"]),
            "batch": Axis(list: "16,32", recorded: ["16", "32"]),
            "eval-every": Axis(list: "1,2", recorded: ["1", "2"]),
            "stop-on-nonfinite": Axis(list: "true,false", recorded: ["true", "false"]),
            "seed": Axis(list: "1,2", recorded: ["1", "2"]),
        ]
    }

    func testEveryTrainSettingIsAnAxisOfCompareThatReachesRunJSON() throws {
        let csv = folder.appendingPathComponent("d.csv")
        var text = "x1,x2,y,z,t\n"
        for i in 0..<40 { text += "\(Double(i % 7) / 7),\(Double(i % 5) / 5),\(i % 2),\(i % 3),\(Double(i % 4) / 4)\n" }
        try text.write(to: csv, atomically: true, encoding: .utf8)
        try text.write(to: URL(fileURLWithPath: csv.path + ".copy.csv"), atomically: true, encoding: .utf8)
        let models = ["a.yaml", "b.yaml", "lstm.yaml"].map { folder.appendingPathComponent($0).path }
        try "input: [2]\nlayers:\n  - Linear: {out_features: 3}\n".write(toFile: models[0], atomically: true, encoding: .utf8)
        try "input: [2]\nlayers:\n  - Linear: {out_features: 4}\n  - Tanh\n  - Linear: {out_features: 3}\n"
            .write(toFile: models[1], atomically: true, encoding: .utf8)
        try "input: [T, 2]\nlayers:\n  - LSTM: {hidden_size: 3}\n  - LastTimeStep\n  - Linear: {out_features: 1}\n"
            .write(toFile: models[2], atomically: true, encoding: .utf8)
        let axes = axes(csv: csv.path, models: models)
        XCTAssertEqual(Set(axes.keys), Set(Settings.keys), "every setting of the table has an axis here")
        for setting in Settings.all {
            guard let axis = axes[setting.key] else { continue }
            let key = setting.key
            let out = folder.appendingPathComponent("sweep-\(key)")
            // The settings the axis replaces, or that cannot go with it, stay out of the base.
            var base = ["--depth", "1", "--width", "4", "--examples", "40", "--steps", "2"]
            if ["mlp", "depth", "width", "model"].contains(key) || axis.context.contains("--model") { base.removeSubrange(0..<4) }
            if ["steps", "epochs"].contains(key) { base.removeSubrange(6..<8) }
            if key == "examples" || axis.context.contains("--data") || key == "data" { base.removeSubrange(4..<6) }
            let result = try CommandRunner.run(["compare", "--\(key)", axis.list] + axis.context + base
                                               + ["--out", out.path, "--jobs", "1", "--record-every", "2"])
            XCTAssertEqual(result.status, 0, "--\(key) \(axis.list): \(result.errors)")
            guard result.status == 0 else { continue }
            let runs = out.appendingPathComponent("runs")
            let names = try FileManager.default.contentsOfDirectory(atPath: runs.path)
            XCTAssertEqual(names.count, 2, "--\(key) \(axis.list): one run per value, got \(names)")
            let recorded = try names.map { try RunManifest.read(from: runs.appendingPathComponent($0)).config[key] ?? "unset" }
            XCTAssertEqual(recorded.sorted(), axis.recorded.sorted(), "--\(key) \(axis.list): run.json's config")
        }
    }

    func testEverySettingIsInTheHelpOfTheCommandsThatTakeIt() throws {
        let groups: [String: [SettingGroup]] = [
            "train": SettingGroup.allCases, "compare": SettingGroup.allCases, "check": [.model, .data, .run],
        ]
        for (command, taken) in groups {
            let result = try CommandRunner.run([command, "--help"])
            XCTAssertEqual(result.status, 0, result.errors)
            let lines = result.output.split(separator: "\n").map(String.init)
            for setting in Settings.all {
                let flag = setting.isToggle ? "--[no-]\(setting.key)" : "--\(setting.key) <"
                let line = lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(flag) }
                if taken.contains(setting.group) {
                    XCTAssertNotNil(line, "\(command) --help lists \(flag)")
                    let words = setting.help.split(separator: " ").prefix(2).joined(separator: " ")
                    XCTAssertTrue(result.output.contains(words), "\(command) --help: \(setting.key)'s help '\(words)'")
                    if let value = setting.defaultText?.split(separator: " ").first {
                        XCTAssertTrue(result.output.contains("(default: \(value)"), "\(command) --help: \(setting.key)'s default")
                    }
                } else if !(command == "check" && setting.key == "batch") {  // check's own --batch: the checked examples
                    XCTAssertNil(line, "\(command) does not take \(flag)")
                }
            }
        }
    }

    func testOnOffSettingsTakeTheFormsOfTrain() throws {
        let out = folder.appendingPathComponent("toggles")
        let result = try CommandRunner.run(["train", "--quiet", "--residual", "--no-standardize", "--stop-on-nonfinite", "false",
                                            "--depth", "1", "--width", "4", "--examples", "40", "--steps", "2",
                                            "--out", out.path])
        XCTAssertEqual(result.status, 0, result.errors)
        guard result.status == 0 else { return }
        let config = try RunManifest.read(from: out).config
        XCTAssertEqual(config["residual"], "true")
        XCTAssertEqual(config["standardize"], "false")
        XCTAssertEqual(config["stop-on-nonfinite"], "false")
    }

    func testTheConfigFileMayStandAnywhereAmongTheFlags() throws {
        let config = folder.appendingPathComponent("c.yaml")
        try "steps: 3\nlr: 0.2\nwidth: 4\n".write(to: config, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("placed")
        let result = try CommandRunner.run(["train", "--quiet", "--lr", "0.5", config.path, "--depth", "1",
                                            "--examples", "40", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.errors)
        guard result.status == 0 else { return }
        let recorded = try RunManifest.read(from: out).config
        XCTAssertEqual(recorded["lr"], "0.5", "the flag wins over the file")
        XCTAssertEqual(recorded["steps"], "3", "the file's value, though the file came after a flag's value")
        let twice = try CommandRunner.run(["train", "--quiet", config.path, config.path])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.errors.hasPrefix("gradlab: error: Unexpected argument"), twice.errors)
    }
}
