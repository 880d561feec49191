import Foundation
import RunFormat
import XCTest

/// The bad inputs of train flags, config files, CSV data and `check` (see ``BadInputTests``).
extension BadInputTests {
    // MARK: train flags

    static var trainFlags: [Case] {
        func train(_ name: String, _ arguments: [String], flag: String, quick: Bool = true) -> Case {
            Case("train " + name, ["train", "--quiet"] + arguments + (quick ? ["--steps", "2"] : []), expect: [flag])
        }
        func either(_ name: String, _ arguments: [String], _ flags: [String]) -> Case {
            Case("train " + name, ["train", "--quiet"] + arguments, anyOf: [flags])
        }
        func memory(_ name: String, _ arguments: [String], flag: String) -> Case {
            Case("train " + name, ["train", "--quiet", "--steps", "1"] + arguments, expect: [flag], anyOf: [memoryWords])
        }
        let long = String(repeating: "relu", count: 25_000)
        return [
            train("--eval-every 0", ["--eval-every", "0"], flag: "--eval-every"),
            train("--eval-every=-1", ["--eval-every=-1"], flag: "--eval-every"),
            memory("--mlp 2,100000000,3", ["--mlp", "2,100000000,3"], flag: "--mlp"),
            memory("--mlp 2,8x100000000,3", ["--mlp", "2,8x100000000,3"], flag: "--mlp"),
            memory("--examples 100000000000", ["--examples", "100000000000"], flag: "--examples"),
            train("--steps -5", ["--steps", "-5"], flag: "--steps", quick: false),
            train("--steps=-5", ["--steps=-5"], flag: "--steps", quick: false),
            train("--steps 0", ["--steps", "0"], flag: "--steps", quick: false),
            train("--steps abc", ["--steps", "abc"], flag: "--steps", quick: false),
            train("--steps 99999999999999999999", ["--steps", "99999999999999999999"], flag: "--steps", quick: false),
            train("--epochs 0", ["--epochs", "0"], flag: "--epochs", quick: false),
            train("--epochs=-2", ["--epochs=-2"], flag: "--epochs", quick: false),
            train("--batch 0", ["--batch", "0"], flag: "--batch"),
            train("--batch=-1", ["--batch=-1"], flag: "--batch"),
            train("--noise=-1", ["--noise=-1"], flag: "--noise"),
            train("--noise nan", ["--noise", "nan"], flag: "--noise"),
            train("--noise inf", ["--noise", "inf"], flag: "--noise"),
            train("--lr inf", ["--lr", "inf"], flag: "--lr"),
            train("--lr 1e400", ["--lr", "1e400"], flag: "--lr"),
            train("--lr 0", ["--lr", "0"], flag: "--lr"),
            train("--lr=-1", ["--lr=-1"], flag: "--lr"),
            train("--lr nan", ["--lr", "nan"], flag: "--lr"),
            train("--lr abc", ["--lr", "abc"], flag: "--lr"),
            train("--weight-decay nan", ["--weight-decay", "nan"], flag: "--weight-decay"),
            train("--weight-decay=-1", ["--weight-decay=-1"], flag: "--weight-decay"),
            train("--weight-decay inf", ["--weight-decay", "inf"], flag: "--weight-decay"),
            train("--dropout 1", ["--dropout", "1"], flag: "--dropout"),
            train("--dropout=-0.1", ["--dropout=-0.1"], flag: "--dropout"),
            train("--dropout nan", ["--dropout", "nan"], flag: "--dropout"),
            train("--validation 1", ["--validation", "1"], flag: "--validation"),
            train("--validation=-0.5", ["--validation=-0.5"], flag: "--validation"),
            train("--validation nan", ["--validation", "nan"], flag: "--validation"),
            train("--schedule bogus --epochs 2", ["--schedule", "bogus", "--epochs", "2"], flag: "--schedule", quick: false),
            train("--schedule bogus", ["--schedule", "bogus"], flag: "--schedule"),
            train("--schedule step:0:0.5", ["--schedule", "step:0:0.5"], flag: "--schedule"),
            train("--schedule exponential:nan", ["--schedule", "exponential:nan"], flag: "--schedule"),
            train("--schedule warmup:-5,cosine", ["--schedule", "warmup:-5,cosine"], flag: "--schedule"),
            train("--schedule warmup:10,,cosine", ["--schedule", "warmup:10,,cosine"], flag: "--schedule"),
            train("--schedule warmup:100, (nothing after the comma)", ["--schedule", "warmup:100,"], flag: "--schedule"),
            train("--schedule cosine:10:1e400", ["--schedule", "cosine:10:1e400"], flag: "--schedule"),
            train("--schedule step:10:1e400", ["--schedule", "step:10:1e400"], flag: "--schedule"),
            train("--init classic:3", ["--init", "classic:3"], flag: "--init"),
            train("--init he-normal:abc", ["--init", "he-normal:abc"], flag: "--init"),
            train("--init bogus", ["--init", "bogus"], flag: "--init"),
            train("--activation swish2", ["--activation", "swish2"], flag: "--activation"),
            train("--activation leaky-relu:abc", ["--activation", "leaky-relu:abc"], flag: "--activation"),
            train("--activation elu:nan", ["--activation", "elu:nan"], flag: "--activation"),
            train("--activation of 100 KB", ["--activation", long], flag: "--activation"),
            train("--optimizer adamx", ["--optimizer", "adamx"], flag: "--optimizer"),
            train("--loss hinge", ["--loss", "hinge"], flag: "--loss"),
            train("--norm group", ["--norm", "group"], flag: "--norm"),
            train("--precision half", ["--precision", "half"], flag: "--precision"),
            train("--mlp 2,,3", ["--mlp", "2,,3"], flag: "--mlp"),
            train("--mlp x", ["--mlp", "x"], flag: "--mlp"),
            train("--mlp 2,0,3", ["--mlp", "2,0,3"], flag: "--mlp"),
            train("--mlp 2,4x0,3", ["--mlp", "2,4x0,3"], flag: "--mlp"),
            train("--mlp 2,-4,3", ["--mlp", "2,-4,3"], flag: "--mlp"),
            train("--mlp 3,8,3 on 2-feature data", ["--mlp", "3,8,3"], flag: "--mlp"),
            train("--mlp 2,4,5 on 3-class data", ["--mlp", "2,4,5"], flag: "--mlp"),
            either("both --steps and --epochs", ["--steps", "3", "--epochs", "3"], ["--steps", "--epochs"]),
            either("both --mlp and --depth", ["--mlp", "2,4,3", "--depth", "3", "--steps", "2"], ["--mlp", "--depth"]),
            train("--depth=-1", ["--depth=-1"], flag: "--depth"),
            train("--width 0", ["--width", "0"], flag: "--width"),
            train("--width=-3", ["--width=-3"], flag: "--width"),
            train("--examples 0", ["--examples", "0"], flag: "--examples"),
            train("--examples=-10", ["--examples=-10"], flag: "--examples"),
            train("--dataset bogus", ["--dataset", "bogus"], flag: "--dataset"),
            Case("train --data with --dataset", ["train", "--quiet", "--steps", "2", "--data", "@/d.csv", "--label", "y",
                                                 "--dataset", "xor"],
                 files: ["d.csv": .text(validCSV)], anyOf: [["--data", "--dataset"]]),
            Case("train --data without --label", ["train", "--quiet", "--steps", "2", "--data", "@/d.csv"],
                 files: ["d.csv": .text(validCSV)], expect: ["--label"]),
            train("--clip-norm 0", ["--clip-norm", "0"], flag: "--clip-norm"),
            train("--clip-norm=-1", ["--clip-norm=-1"], flag: "--clip-norm"),
            train("--clip-value nan", ["--clip-value", "nan"], flag: "--clip-value"),
            train("--clip-value=-1", ["--clip-value=-1"], flag: "--clip-value"),
            train("--record-every 0", ["--record-every", "0"], flag: "--record-every"),
            train("--check-every=-1", ["--check-every=-1"], flag: "--check-every"),
            train("--histograms-every=-1", ["--histograms-every=-1"], flag: "--histograms-every"),
            train("--seed=-1", ["--seed=-1"], flag: "--seed"),
            train("an unknown flag", ["--bogus"], flag: "--bogus"),
            Case("an unknown flag before any subcommand", ["--bogus"], expect: ["--bogus"]),
            Case("an unknown subcommand", ["bogus"], expect: ["bogus"]),
        ]
    }

    // MARK: config files

    static let validCSV = "x1,x2,y\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n0.7,0.8,1\n0.2,0.1,1\n"

    /// A YAML config of a small quick run with `key: value` on its last line; the error must give the
    /// value's line and column and the key.
    static func config(_ name: String, key: String, value: String, command: String = "train") -> Case {
        var settings = [("mlp", "2,4,3"), ("steps", "2")].filter { $0.0 != key }
        if key == "epochs" { settings.removeAll { $0.0 == "steps" } }
        let text = settings.map { "\($0.0): \($0.1)\n" }.joined() + "\(key): \(value)\n"
        let place = F.position(of: value, after: "\n\(key):", in: text)
        return Case("\(command) config \(name)", [command, "@/config.yaml"], files: ["config.yaml": .text(text)],
                    expect: ["@/config.yaml:\(place)", "'\(key)'"])
    }

    static var configs: [Case] {
        let unknownKey = "mlp: 2,4,3\nactivatoin: relu\n"
        let huge = "steps: 2\nactivation: " + String(repeating: "x", count: 10_000_000) + "\n"
        let json = #"{"mlp": "2,4,3", "steps": 2, "lr": -1}"#
        let jsonLines = "{\n  \"mlp\": \"2,4,3\",\n  \"steps\": 2,\n  \"activation\": \"swish2\"\n}\n"
        return [
            Case("config with an unknown key", ["train", "@/c.yaml"], files: ["c.yaml": .text(unknownKey)],
                 expect: ["@/c.yaml:2:1", "'activatoin'"]),
            config("activation: swish2", key: "activation", value: "swish2"),
            config("lr: -1", key: "lr", value: "-1"),
            config("lr: abc", key: "lr", value: "abc"),
            config("lr: 0", key: "lr", value: "0"),
            config("lr: .inf", key: "lr", value: ".inf"),
            config("mlp: 2,,3", key: "mlp", value: "2,,3"),
            config("mlp: 2,100000000,3", key: "mlp", value: "2,100000000,3"),
            config("steps: 0", key: "steps", value: "0"),
            config("steps: -5", key: "steps", value: "-5"),
            config("steps: abc", key: "steps", value: "abc"),
            config("epochs: 0", key: "epochs", value: "0"),
            config("batch: 0", key: "batch", value: "0"),
            config("eval-every: 0", key: "eval-every", value: "0"),
            config("dropout: 1.5", key: "dropout", value: "1.5"),
            config("noise: -1", key: "noise", value: "-1"),
            config("weight-decay: -1", key: "weight-decay", value: "-1"),
            config("validation: 1", key: "validation", value: "1"),
            config("schedule: bogus", key: "schedule", value: "bogus"),
            config("init: classic:3", key: "init", value: "classic:3"),
            config("optimizer: adamx", key: "optimizer", value: "adamx"),
            config("norm: group", key: "norm", value: "group"),
            config("loss: hinge", key: "loss", value: "hinge"),
            config("precision: half", key: "precision", value: "half"),
            config("examples: 100000000000", key: "examples", value: "100000000000"),
            config("activation: [relu, tanh]", key: "activation", value: "[relu, tanh]"),
            config("activation: swish2", key: "activation", value: "swish2", command: "check"),
            Case("config with a 10 MB activation value", ["train", "@/c.yaml"], files: ["c.yaml": .text(huge)],
                 expect: ["@/c.yaml:2:13", "'activation'"]),
            Case("config that is a list, not a mapping", ["train", "@/c.yaml"], files: ["c.yaml": .text("- relu\n- tanh\n")],
                 expect: ["@/c.yaml:1:1"]),
            Case("config that is not valid YAML", ["train", "@/c.yaml"], files: ["c.yaml": .text("mlp: [2, 4\nsteps: 2\n")],
                 expect: ["@/c.yaml"]),
            Case("config that is not UTF-8", ["train", "@/c.yaml"], files: ["c.yaml": .bytes([0x6D, 0x6C, 0x70, 0x3A, 0x20, 0xFF, 0xFE, 0x0A])],
                 expect: ["@/c.yaml"]),
            Case("config path that is a directory", ["train", "@/c.yaml"], files: ["c.yaml": .folder], expect: ["@/c.yaml"]),
            Case("config path that is missing", ["train", "@/missing.yaml"], expect: ["@/missing.yaml"]),
            Case("JSON config lr: -1", ["train", "@/c.json"], files: ["c.json": .text(json)],
                 expect: ["@/c.json:\(F.position(of: "-1", after: #""lr":"#, in: json))", "'lr'"]),
            Case("JSON config on several lines, activation swish2", ["train", "@/c.json"], files: ["c.json": .text(jsonLines)],
                 expect: ["@/c.json:\(F.position(of: #""swish2""#, after: #""activation":"#, in: jsonLines))", "'activation'"]),
            Case("config naming a missing CSV", ["train", "@/c.yaml"],
                 files: ["c.yaml": .text("steps: 2\ndata: @/missing.csv\nlabel: y\n")], expect: ["@/missing.csv"]),
        ]
    }

    // MARK: CSV data

    static var csvData: [Case] {
        func data(_ name: String, _ file: BadInputCase.File?, expect: [String], label: String = "y",
                  command: [String] = ["train", "--quiet", "--steps", "2"]) -> Case {
            Case("CSV " + name, command + ["--data", "@/d.csv", "--label", label], files: file.map { ["d.csv": $0] } ?? [:],
                 expect: expect)
        }
        let header = "x1,x2,y\n"
        return [
            data("missing file", nil, expect: ["@/d.csv"]),
            data("that is a directory", .folder, expect: ["@/d.csv"]),
            data("that is a dangling link", .symlink("nowhere.csv"), expect: ["@/d.csv"]),
            data("that is a link to itself", .symlink("d.csv"), expect: ["@/d.csv"]),
            data("with a repeated header column", .text("x1,x1,y\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n"), expect: ["@/d.csv", "x1"]),
            data("with a short ragged row", .text(header + "0.1,0.2,0\n0.3,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3"]),
            data("with a long ragged row", .text(header + "0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0,9\n"), expect: ["@/d.csv:4"]),
            data("with a non-numeric field", .text(header + "0.1,0.2,0\n0.3,abc,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3", "x2"]),
            data("with a NaN field", .text(header + "0.1,0.2,0\nnan,0.4,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3", "x1"]),
            data("with an infinite field", .text(header + "0.1,0.2,0\n0.3,inf,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3", "x2"]),
            data("with a number too large for Float", .text(header + "0.1,0.2,0\n0.3,1e308,1\n0.5,0.6,0\n"),
                 expect: ["@/d.csv:3", "x2", "--precision double"]),
            data("with an empty numeric field", .text(header + "0.1,0.2,0\n0.3,,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3", "x2"]),
            data("with a 10 MB field", .text(header + "0.1,\(String(repeating: "9x", count: 5_000_000)),0\n0.3,0.4,1\n"),
                 expect: ["@/d.csv:2"]),
            data("that is empty", .text(""), expect: ["@/d.csv"]),
            data("of blank lines only", .text("\n \n\n"), expect: ["@/d.csv"]),
            data("with a header only", .text(header), expect: ["@/d.csv"]),
            data("with a quoted field never closed", .text(header + "\"0.1,0.2,0\n0.3,0.4,1\n"), expect: ["@/d.csv:2"]),
            data("with an unknown --label column", .text(validCSV), expect: ["@/d.csv", "zz"], label: "zz"),
            Case("CSV with an unknown --targets column", ["train", "--quiet", "--steps", "2", "--data", "@/d.csv", "--targets", "zz"],
                 files: ["d.csv": .text(validCSV)], expect: ["@/d.csv", "zz"]),
            data("that is not UTF-8", .bytes(Array(header.utf8) + [0x30, 0x2C, 0xFF, 0xFE, 0x2C, 0x31, 0x0A]), expect: ["@/d.csv"]),
            data("with no input column", .text("y\n0\n1\n0\n"), expect: ["@/d.csv"]),
            data("with a negative class label", .text(header + "0.1,0.2,0\n0.3,0.4,-1\n0.5,0.6,0\n"), expect: ["@/d.csv:3"]),
            data("with an empty class label", .text(header + "0.1,0.2,0\n0.3,0.4,\n0.5,0.6,1\n"), expect: ["@/d.csv:3"]),
            Case("CSV against --mlp 3,4,2", ["train", "--quiet", "--steps", "2", "--data", "@/d.csv", "--label", "y", "--mlp", "3,4,2"],
                 files: ["d.csv": .text(validCSV)], expect: ["--mlp"]),
            data("with a ragged row, in check", .text(header + "0.1,0.2,0\n0.3,1\n0.5,0.6,0\n"), expect: ["@/d.csv:3"],
                 command: ["check"]),
            data("with a non-numeric field, in compare", .text(header + "0.1,0.2,0\n0.3,abc,1\n0.5,0.6,0\n"),
                 expect: ["@/d.csv:3", "x2"], command: ["compare", "--steps", "2", "--activation", "relu,tanh", "--out", "@/sweep"]),
        ]
    }

    // MARK: check and --weights

    static var checkCases: [Case] {
        func weights(_ name: String, _ file: BadInputCase.File?, expect: [String] = [], anyOf: [[String]] = []) -> Case {
            Case("check --weights " + name, ["check", "--mlp", "2,4,3", "--weights", "@/w.safetensors"],
                 files: file.map { ["w.safetensors": $0] } ?? [:], expect: ["@/w.safetensors"] + expect, anyOf: anyOf)
        }
        func check(_ name: String, _ arguments: [String], flag: String) -> Case {
            Case("check " + name, ["check", "--mlp", "2,4,3"] + arguments, expect: [flag])
        }
        let valid = F.mlp243()
        var badLength: [UInt8] = []
        withUnsafeBytes(of: UInt64(1_000_000).littleEndian) { badLength += $0 }
        let notJSON = Array("{not json".utf8)
        var notJSONFile: [UInt8] = []
        withUnsafeBytes(of: UInt64(notJSON.count).littleEndian) { notJSONFile += $0 }
        return [
            weights("missing", nil),
            weights("a directory", .folder),
            weights("not safetensors", .text("this is not a checkpoint, only a line of text\n")),
            weights("empty", .bytes([])),
            weights("truncated", .bytes(Array(valid.dropLast(12)))),
            weights("header length past the end", .bytes(badLength + Array("{}".utf8))),
            weights("header not JSON", .bytes(notJSONFile + notJSON)),
            weights("unknown dtype", .bytes(F.safetensors([("0.weight", [4, 2], Array(repeating: 0.5, count: 8))], dtype: "F13"))),
            weights("of the wrong shape", .bytes(F.mlp243 { $0[0] = ("0.weight", [5, 2], Array(repeating: 0.1, count: 10)) }),
                    expect: ["0.weight"]),
            weights("missing a tensor", .bytes(F.mlp243 { $0.removeLast() }), expect: ["2.bias"]),
            weights("holding NaN", .bytes(F.mlp243 { $0[0].values[3] = .nan }), expect: ["0.weight"], anyOf: [nonFinite]),
            weights("holding infinity", .bytes(F.mlp243 { $0[3].values[1] = .infinity }), expect: ["2.bias"],
                    anyOf: [nonFinite + ["infinite", "infinity"]]),
            check("--mode bogus", ["--mode", "bogus"], flag: "--mode"),
            check("--samples 0", ["--mode", "sample", "--samples", "0"], flag: "--samples"),
            check("--samples=-1", ["--samples=-1"], flag: "--samples"),
            check("--eps 0", ["--eps", "0"], flag: "--eps"),
            check("--eps=-1", ["--eps=-1"], flag: "--eps"),
            check("--eps nan", ["--eps", "nan"], flag: "--eps"),
            check("--atol=-1", ["--atol=-1"], flag: "--atol"),
            check("--rtol nan", ["--rtol", "nan"], flag: "--rtol"),
            check("--batch 0", ["--batch", "0"], flag: "--batch"),
            check("--activation swish2", ["--activation", "swish2"], flag: "--activation"),
            check("--mlp 2,,3", ["--mlp", "2,,3"], flag: "--mlp"),
            check("--dropout 1", ["--dropout", "1"], flag: "--dropout"),
            check("an unknown flag", ["--bogus"], flag: "--bogus"),
        ]
    }
}
