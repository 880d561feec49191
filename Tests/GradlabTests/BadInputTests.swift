import Foundation
import RunFormat
import XCTest

/// Issue 13, item 9: bad input to every subcommand, through the built binary.
///
/// Every case must be refused before any work: exit status 2 (never a signal or a trap), one line on stderr
/// starting `gradlab: error: ` that says where the problem is (the flag; the config file with
/// `:LINE:COLUMN` and the key; the file's path), no Foundation error text, at most 400 characters, and
/// nothing changed on disk (the case's working folder and its sentinel tree compare equal before and after).
/// Each group's test reports every failing case by name.
final class BadInputTests: XCTestCase {
    typealias Case = BadInputCase
    typealias F = BadInputFixtures

    static let memoryWords = ["GB", "GiB", "MB", "MiB", "TB", "TiB", "bytes"]
    static let nonFinite = ["NaN", "non-finite", "nonfinite", "not finite"]

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

    // MARK: compare

    static var compareCases: [Case] {
        func compare(_ name: String, _ arguments: [String], flag: String) -> Case {
            Case("compare " + name, ["compare", "--steps", "2", "--out", "@/sweep"] + arguments, expect: [flag])
        }
        func sweepFile(_ name: String, _ text: String, expect: [String]) -> Case {
            Case("compare sweep file " + name, ["compare", "@/sweep.yaml", "--steps", "2", "--out", "@/sweep"],
                 files: ["sweep.yaml": .text(text)], expect: ["@/sweep.yaml"] + expect)
        }
        let badValue = "grid:\n  activation: [relu, swish2]\n"
        let badBase = "base:\n  lr: -1\ngrid:\n  activation: [relu, tanh]\n"
        let empty = "grid:\n  activation: []\n"
        return [
            compare("--activation relu,,tanh", ["--activation", "relu,,tanh"], flag: "--activation"),
            compare("--optimizer sgd,,adam", ["--optimizer", "sgd,,adam"], flag: "--optimizer"),
            compare("--mlp with an empty item", ["--mlp", "2,4,3;;2,8,3"], flag: "--mlp"),
            compare("--activation relu,swish2", ["--activation", "relu,swish2"], flag: "--activation"),
            compare("--activation relu,relu", ["--activation", "relu,relu"], flag: "--activation"),
            compare("--lr 0.1,0.10 (the same number twice)", ["--lr", "0.1,0.10"], flag: "--lr"),
            compare("--target-loss nan", ["--activation", "relu,tanh", "--target-loss", "nan"], flag: "--target-loss"),
            compare("--lr 0.1,-1", ["--lr", "0.1,-1"], flag: "--lr"),
            compare("--lr 0.1,abc", ["--lr", "0.1,abc"], flag: "--lr"),
            compare("--depth 0,2", ["--depth", "0,2"], flag: "--depth"),
            compare("--jobs 0", ["--jobs", "0"], flag: "--jobs"),
            compare("--shard 3/2", ["--shard", "3/2"], flag: "--shard"),
            compare("--shard 0/2", ["--shard", "0/2"], flag: "--shard"),
            compare("--shard x", ["--shard", "x"], flag: "--shard"),
            compare("--shard 1/0", ["--shard", "1/0"], flag: "--shard"),
            compare("--record-every 0", ["--record-every", "0"], flag: "--record-every"),
            Case("compare --steps 0", ["compare", "--steps", "0", "--activation", "relu,tanh", "--out", "@/sweep"],
                 expect: ["--steps"]),
            compare("--batch 0", ["--batch", "0", "--activation", "relu,tanh"], flag: "--batch"),
            compare("an unknown flag", ["--bogus"], flag: "--bogus"),
            Case("compare --merge on an empty folder", ["compare", "--activation", "relu,tanh", "--out", "@/sweep", "--merge"],
                 files: ["sweep": .folder], expect: ["@/sweep"]),
            Case("compare --merge on a folder that is not a sweep",
                 ["compare", "--activation", "relu,tanh", "--out", "@/sweep", "--merge"],
                 files: ["sweep/notes.txt": .text("mine\n"), "sweep/photos/cat.jpg": .bytes([0xFF, 0xD8, 0xFF])],
                 expect: ["@/sweep"]),
            Case("compare --merge on a missing folder", ["compare", "--activation", "relu,tanh", "--out", "@/sweep", "--merge"],
                 expect: ["@/sweep"]),
            sweepFile("with an unknown activation", badValue,
                      expect: [":\(F.position(of: "swish2", after: "activation:", in: badValue))", "'activation'"]),
            sweepFile("with a bad base value", badBase, expect: [":\(F.position(of: "-1", after: "lr:", in: badBase))", "'lr'"]),
            sweepFile("with an empty axis", empty, expect: [":\(F.position(of: "[]", after: "activation:", in: empty))", "'activation'"]),
            sweepFile("that is a list", "- relu\n- tanh\n", expect: []),
            Case("compare sweep file that is missing", ["compare", "@/sweep.yaml", "--out", "@/sweep"], expect: ["@/sweep.yaml"]),
            Case("compare sweep file that is a directory", ["compare", "@/sweep.yaml", "--out", "@/sweep"],
                 files: ["sweep.yaml": .folder], expect: ["@/sweep.yaml"]),
        ]
    }

    // MARK: compare --slurm

    static var slurmCases: [Case] {
        let grid = ["compare", "--activation", "relu,tanh", "--optimizer", "sgd,adam", "--steps", "2", "--out", "@/sweep"]
        func slurm(_ name: String, _ arguments: [String], expect: [String]) -> Case {
            Case("compare " + name, grid + arguments, expect: expect)
        }
        let array = "#!/bin/bash\n# my own job\nsrun ./simulate\n"
        return [
            Case("compare --slurm 2 --submit without sbatch on PATH", grid + ["--slurm", "2", "--submit"],
                 files: ["sweep/summary.csv": .text("rank,run,\n")], expect: ["sbatch", "PATH", "apt-get install slurm-client"],
                 kept: ["sweep/summary.csv"], environment: ["PATH": "@/no-slurm-here"]),
            slurm("--slurm 0", ["--slurm", "0"], expect: ["--slurm"]),
            slurm("--slurm x", ["--slurm", "x"], expect: ["--slurm"]),
            slurm("--slurm 5 for 4 configurations", ["--slurm", "5"], expect: ["--slurm", "4 configurations"]),
            slurm("--submit without --slurm", ["--submit"], expect: ["--slurm"]),
            slurm("--partition without --slurm", ["--partition", "debug"], expect: ["--slurm"]),
            slurm("--partition with a space", ["--slurm", "2", "--partition", "de bug"], expect: ["--partition"]),
            slurm("--partition with a newline and a directive", ["--slurm", "2", "--partition", "debug\n#SBATCH --wrap=touch x"],
                  expect: ["--partition"]),
            slurm("--partition with an empty name in its list", ["--slurm", "2", "--partition", "a,,b"], expect: ["--partition"]),
            slurm("--time abc", ["--slurm", "2", "--time", "abc"], expect: ["--time"]),
            slurm("--time 1:2:3:4", ["--slurm", "2", "--time", "1:2:3:4"], expect: ["--time"]),
            slurm("--time with a command", ["--slurm", "2", "--time", "5;touch x"], expect: ["--time"]),
            slurm("--cpus-per-task 0", ["--slurm", "2", "--cpus-per-task", "0"], expect: ["--cpus-per-task"]),
            slurm("--slurm with --shard", ["--slurm", "2", "--shard", "1/2"], expect: ["--shard"]),
            slurm("--slurm with --merge", ["--slurm", "2", "--merge"], expect: ["--merge"]),
            Case("compare --slurm with a bad grid value", ["compare", "--activation", "relu,swish2", "--steps", "2",
                                                           "--out", "@/sweep", "--slurm", "2"], expect: ["--activation"]),
            Case("compare --slurm into a folder holding the user's slurm/array.sh", grid + ["--slurm", "2"],
                 files: ["sweep/slurm/array.sh": .text(array)], expect: ["@/sweep/slurm/array.sh"],
                 kept: ["sweep/slurm/array.sh"]),
            Case("compare --slurm into a folder whose slurm is a file", grid + ["--slurm", "2"],
                 files: ["sweep/slurm": .text("notes\n")], expect: ["@/sweep/slurm"], kept: ["sweep/slurm"]),
        ]
    }

    // MARK: report and inspect on broken run folders

    /// Damaged copies of the fixture run folder `run`, with what the error must name.
    static var brokenRuns: [(name: String, files: [String: BadInputCase.File], expect: [String], forbidden: [String])] {
        let run = "run"
        func damaged(_ change: (inout [String: BadInputCase.File]) -> Void) -> [String: BadInputCase.File] {
            var files = F.run(at: run)
            change(&files)
            return files
        }
        return [
            ("a path that is a file", ["run": .text("just a file\n")], ["@/run"], ["does not exist"]),
            ("a missing folder", [:], ["@/run"], []),
            ("run.json with a tensor shape that overflows",
             damaged { $0["run/run.json"] = .text(F.manifest().replacingOccurrences(
                 of: "[4, 2]", with: "[4611686018427387904, 4611686018427387904]")) },
             ["@/run/run.json", "shape"], []),
            ("a folder without run.json", damaged { $0["run/run.json"] = nil }, ["@/run/run.json"], []),
            ("run.json that is a directory", damaged { $0["run/run.json"] = .folder }, ["@/run/run.json"], []),
            ("run.json that is not JSON", damaged { $0["run/run.json"] = .text("{ not json") }, ["@/run/run.json"], []),
            ("run.json that is empty", damaged { $0["run/run.json"] = .text("") }, ["@/run/run.json"], []),
            ("run.json that is a JSON list", damaged { $0["run/run.json"] = .text("[1, 2]\n") }, ["@/run/run.json"], []),
            ("run.json that is not UTF-8", damaged { $0["run/run.json"] = .bytes([0x7B, 0xFF, 0xFE, 0x7D]) }, ["@/run/run.json"], []),
            ("run.json of another format", damaged { $0["run/run.json"] = .text(#"{"format":"other.tool"}"#) },
             ["@/run/run.json"], []),
            ("run.json of another format, complete otherwise",
             damaged { $0["run/run.json"] = .text(F.manifest(replacing: [(#""gradlab.run""#, #""other.tool""#)])) },
             ["@/run/run.json"], []),
            ("run.json with a missing field",
             damaged { $0["run/run.json"] = .text(F.manifest(replacing: [(#""seed" : 7,"#, "")])) },
             ["@/run/run.json", "'seed'"], []),
            ("run.json with a field of the wrong type",
             damaged { $0["run/run.json"] = .text(F.manifest(replacing: [(#""seed" : 7"#, #""seed" : "seven""#)])) },
             ["@/run/run.json", "'seed'"], []),
            ("run.json with steps_completed 99999999999999999999999",
             damaged { $0["run/run.json"] = .text(F.manifest(replacing: [(#""steps_completed" : 4"#,
                                                                          #""steps_completed" : 99999999999999999999999"#)])) },
             ["@/run/run.json"], []),
            ("steps.csv missing", damaged { $0["run/steps.csv"] = nil }, ["@/run/steps.csv"], []),
            ("steps.csv that is a directory", damaged { $0["run/steps.csv"] = .folder }, ["@/run/steps.csv"], []),
            ("steps.csv with no loss column",
             damaged { $0["run/steps.csv"] = .text(F.steps().replacingOccurrences(of: ",loss,", with: ",cost,")) },
             ["@/run/steps.csv", "loss"], []),
            ("steps.csv with a repeated column",
             damaged { $0["run/steps.csv"] = .text(F.steps().replacingOccurrences(of: ",lr,", with: ",loss,")) },
             ["@/run/steps.csv", "loss"], []),
            ("steps.csv with a non-numeric step", damaged { $0["run/steps.csv"] = .text(F.steps(step3: "three")) },
             ["@/run/steps.csv"], []),
            ("steps.csv with step 99999999999999999999999",
             damaged { $0["run/steps.csv"] = .text(F.steps(step3: "99999999999999999999999")) }, ["@/run/steps.csv"], []),
            ("steps.csv with a NaN step", damaged { $0["run/steps.csv"] = .text(F.steps(step3: "nan")) }, ["@/run/steps.csv"], []),
            ("steps.csv with a ragged row",
             damaged { $0["run/steps.csv"] = .text(F.stepsHeader + "1,0,1.25,0.1,8,1,0.01,,,\n2,0,0.75\n3,0,0.5,0.1,4,0,0.03,,,\n") },
             ["@/run/steps.csv"], []),
            ("steps.csv that is not UTF-8",
             damaged { $0["run/steps.csv"] = .bytes(Array(F.stepsHeader.utf8) + [0x31, 0x2C, 0xFF, 0xFE, 0x0A]) },
             ["@/run/steps.csv"], []),
            ("gradients.csv with the wrong columns",
             damaged { $0["run/gradients.csv"] = .text("step,something\n1,2\n") }, ["@/run/gradients.csv"], []),
            ("findings.csv with a kind GradLab does not know",
             damaged { $0["run/findings.csv"] = .text("step,layer,kind,severity,value,threshold,message\n"
                                                     + "2,0,spike,warning,1,1,m\n") },
             ["@/run/findings.csv:2", "'spike'", "allowed: " + FindingKind.allCases.map(\.rawValue).joined(separator: ", ")],
             []),
            ("gradcheck.csv with a verdict GradLab does not know",
             damaged { $0["run/gradcheck.csv"] = .text("step,parameter,index,analytic,numeric,abs_error,rel_error,verdict\n"
                                                      + "1,0.weight,0;0,1,1,0,0,maybe\n") },
             ["@/run/gradcheck.csv:2", "'maybe'", "allowed: " + EntryVerdict.allCases.map(\.rawValue).joined(separator: ", ")], []),
        ]
    }

    static var runFolders: [Case] {
        var cases: [Case] = []
        for broken in brokenRuns {
            for command in ["report", "inspect"] {
                cases.append(Case("\(command) on \(broken.name)", [command, "@/run"], files: broken.files,
                                  expect: broken.expect, forbidden: broken.forbidden))
            }
            // export reads through the same reader, before it creates the event file's folder.
            cases.append(Case("export on \(broken.name)", ["export", "@/run", "--tensorboard", "@/tb"], files: broken.files,
                              expect: broken.expect, forbidden: broken.forbidden))
        }
        let run = F.run(at: "run")
        cases += [
            Case("report --format gif", ["report", "@/run", "--format", "gif"], files: run, expect: ["--format"]),
            Case("report --format ,", ["report", "@/run", "--format", ","], files: run, expect: ["--format"]),
            Case("report of a good and a missing run", ["report", "@/run", "@/other"], files: run, expect: ["@/other"]),
            Case("report with an unknown flag", ["report", "@/run", "--bogus"], files: run, expect: ["--bogus"]),
            Case("inspect with an unknown flag", ["inspect", "@/run", "--bogus"], files: run, expect: ["--bogus"]),
        ]
        return cases
    }

    // MARK: output paths

    static var outputPaths: [Case] {
        let quick = ["train", "--quiet", "--mlp", "2,4,3", "--steps", "2"]
        let foreign: [String: BadInputCase.File] = [
            "mine/notes.txt": .text("my notes\n"), "mine/photo.jpg": .bytes([0xFF, 0xD8, 0xFF, 0xE0]),
            "mine/run.json": .text(#"{"format":"other.tool"}"#),
        ]
        var runPlusThesis = F.run(at: "mine")
        runPlusThesis["mine/thesis.tex"] = .text("\\documentclass{article}\n")
        let afile: [String: BadInputCase.File] = ["afile": .text("a file, not a folder\n")]
        return [
            Case("train --out ''", quick + ["--out", ""], expect: ["--out"]),
            Case("train --out .", quick + ["--out", "."], expect: ["--out"]),
            Case("train --out '' --force", quick + ["--out", "", "--force"], files: ["run.json": .text(#"{"format":"other.tool"}"#)],
                 expect: ["--out"], kept: ["run.json"]),
            Case("train --out . --force", quick + ["--out", ".", "--force"], files: ["run.json": .text(#"{"format":"other.tool"}"#)],
                 expect: ["--out"], kept: ["run.json"]),
            Case("train --force into a folder of foreign files", quick + ["--out", "@/mine", "--force"], files: foreign,
                 expect: ["@/mine"], anyOf: [["notes.txt", "photo.jpg", "run.json"]],
                 kept: ["mine/notes.txt", "mine/photo.jpg", "mine/run.json"]),
            Case("train --force into a folder whose run.json is another tool's", quick + ["--out", "@/mine", "--force"],
                 files: ["mine/run.json": .text(#"{"format":"other.tool"}"#)], expect: ["@/mine", "run.json"],
                 kept: ["mine/run.json"]),
            Case("train --force into a folder whose run.json is garbage", quick + ["--out", "@/mine", "--force"],
                 files: ["mine/run.json": .text("garbage\n"), "mine/steps.csv": .text("mine\n")],
                 expect: ["@/mine", "run.json"], kept: ["mine/run.json", "mine/steps.csv"]),
            Case("train --force into a run folder holding a foreign file", quick + ["--out", "@/mine", "--force"],
                 files: runPlusThesis, expect: ["@/mine", "thesis.tex"], kept: ["mine/thesis.tex", "mine/run.json", "mine/steps.csv"]),
            Case("train --norm batch --batch 1", quick + ["--norm", "batch", "--batch", "1", "--out", "@/bn"],
                 expect: ["--batch"]),
            Case("compare --out a folder holding the user's summary.csv",
                 ["compare", "--dataset", "spirals", "--mlp", "2,8,3", "--steps", "5", "--out", "@/mine"],
                 files: ["mine/summary.csv": .text("my,own\n1,2\n")], expect: ["summary.csv"], kept: ["mine/summary.csv"]),
            Case("compare --out a folder holding the user's index.html",
                 ["compare", "--dataset", "spirals", "--mlp", "2,8,3", "--steps", "5", "--out", "@/mine"],
                 files: ["mine/index.html": .text("<p>mine</p>\n")], expect: ["index.html"], kept: ["mine/index.html"]),
            Case("compare --out a folder whose figures/ holds the user's notes",
                 ["compare", "--dataset", "spirals", "--mlp", "2,8,3", "--steps", "5", "--out", "@/mine"],
                 files: ["mine/figures/notes.txt": .text("mine\n")], expect: ["notes.txt"], kept: ["mine/figures/notes.txt"]),
            Case("compare --format gif", ["compare", "--dataset", "spirals", "--mlp", "2,8,3", "--steps", "5", "--format", "gif"],
                 expect: ["--format", "gif"]),
            Case("compare --out .", ["compare", "--dataset", "spirals", "--mlp", "2,8,3", "--steps", "5", "--out", "."],
                 expect: ["--out"]),
            Case("check --out a folder holding the user's gradcheck.csv", ["check", "--mlp", "2,4,3", "--out", "@/mine"],
                 files: ["mine/gradcheck.csv": .text("mine\n")], expect: ["gradcheck.csv"], kept: ["mine/gradcheck.csv"]),
            Case("check --out a run folder without --force", ["check", "--mlp", "2,4,3", "--out", "@/mine"],
                 files: F.run(at: "mine").merging(["mine/gradcheck.csv": .text("step,parameter,index\n")]) { a, _ in a },
                 expect: ["--force"], kept: ["mine/gradcheck.csv", "mine/run.json"]),
            Case("check --out --force a run folder holding a foreign file", ["check", "--mlp", "2,4,3", "--out", "@/mine", "--force"],
                 files: F.run(at: "mine").merging(["mine/thesis.tex": .text("mine\n")]) { a, _ in a },
                 expect: ["thesis.tex"], kept: ["mine/thesis.tex", "mine/run.json"]),
            Case("demo --out a folder holding the user's index.html", ["demo", "--out", "@/mine"],
                 files: ["mine/index.html": .text("<p>mine</p>\n")], expect: ["index.html"], kept: ["mine/index.html"]),
            Case("report --out a run folder", ["report", "@/mine", "--out", "@/mine"], files: F.run(at: "mine"),
                 expect: ["run folder"], kept: ["mine/run.json", "mine/steps.csv"]),
            Case("train --force into the sentinel folder", quick + ["--out", "@/sentinel", "--force"], expect: ["@/sentinel"]),
            Case("train --out whose parent is a file", quick + ["--out", "@/afile/sub"], files: afile, expect: ["@/afile"],
                 kept: ["afile"]),
            Case("train --out that is a file", quick + ["--out", "@/afile"], files: afile, expect: ["@/afile"], kept: ["afile"]),
            Case("check --out whose parent is a file", ["check", "--mlp", "2,4,3", "--out", "@/afile/sub"], files: afile,
                 expect: ["@/afile"], kept: ["afile"]),
            Case("report --out whose parent is a file", ["report", "@/run", "--out", "@/afile/sub"],
                 files: F.run(at: "run").merging(afile) { a, _ in a }, expect: ["@/afile"], kept: ["afile"]),
            Case("compare --out whose parent is a file", ["compare", "--steps", "2", "--activation", "relu,tanh", "--out", "@/afile/sub"],
                 files: afile, expect: ["@/afile"], kept: ["afile"]),
        ]
    }

    // MARK: export and --tensorboard

    static var tensorboardCases: [Case] {
        let run = F.run(at: "run")
        let afile: [String: BadInputCase.File] = ["afile": .text("a file, not a folder\n")]
        let runAndFile = run.merging(afile) { a, _ in a }
        let quick = ["train", "--quiet", "--mlp", "2,4,3", "--steps", "2", "--out", "@/new"]
        return [
            Case("export without --tensorboard", ["export", "@/run"], files: run, expect: ["--tensorboard"]),
            Case("export --tensorboard ''", ["export", "@/run", "--tensorboard", ""], files: run, expect: ["--tensorboard"]),
            Case("export --tensorboard that is a file", ["export", "@/run", "--tensorboard", "@/afile"], files: runAndFile,
                 expect: ["--tensorboard", "@/afile"], kept: ["afile"]),
            Case("export --tensorboard whose parent is a file", ["export", "@/run", "--tensorboard", "@/afile/sub"],
                 files: runAndFile, expect: ["--tensorboard", "@/afile"], kept: ["afile"]),
            Case("export --tensorboard into the run folder", ["export", "@/run", "--tensorboard", "@/run"], files: run,
                 expect: ["--tensorboard", "@/run", "run.json"], kept: ["run/run.json", "run/steps.csv"]),
            Case("export --tensorboard into the sentinel run folder", ["export", "@/run", "--tensorboard", "@/sentinel"],
                 files: run, expect: ["--tensorboard", "@/sentinel"]),
            Case("export of two runs", ["export", "@/run", "@/run", "--tensorboard", "@/tb"], files: run, expect: ["@/run"]),
            Case("export with an unknown flag", ["export", "@/run", "--tensorboard", "@/tb", "--bogus"], files: run,
                 expect: ["--bogus"]),
            Case("train --tensorboard ''", quick + ["--tensorboard", ""], expect: ["--tensorboard"]),
            Case("train --tensorboard that is a file", quick + ["--tensorboard", "@/afile"], files: afile,
                 expect: ["--tensorboard", "@/afile"], kept: ["afile"]),
            Case("train --tensorboard whose parent is a file", quick + ["--tensorboard", "@/afile/sub"], files: afile,
                 expect: ["--tensorboard", "@/afile"], kept: ["afile"]),
            Case("train --tensorboard into a run folder", quick + ["--tensorboard", "@/run"], files: run,
                 expect: ["--tensorboard", "run.json"], kept: ["run/run.json", "run/steps.csv"]),
        ]
    }

    // MARK: demo

    static var demoCases: [Case] {
        [
            Case("demo --out whose parent is a file", ["demo", "--scale", "0.01", "--out", "@/afile/sub"],
                 files: ["afile": .text("a file\n")], expect: ["@/afile"], kept: ["afile"]),
            Case("demo with an unknown flag", ["demo", "--bogus"], expect: ["--bogus"]),
            Case("demo with an unexpected argument", ["demo", "extra"], expect: ["extra"]),
            Case("demo --jobs 0", ["demo", "--jobs", "0"], expect: ["--jobs"]),
            Case("demo --scale 0", ["demo", "--scale", "0"], expect: ["--scale"]),
            Case("demo --scale nan", ["demo", "--scale", "nan"], expect: ["--scale"]),
            Case("demo --scale 11", ["demo", "--scale", "11"], expect: ["--scale"]),
            Case("demo --record-every 0", ["demo", "--record-every", "0"], expect: ["--record-every"]),
            Case("demo --seed=-1", ["demo", "--seed=-1"], expect: ["--seed"]),
        ]
    }

    static var all: [Case] {
        trainFlags + configs + csvData + checkCases + compareCases + slurmCases + runFolders + outputPaths
            + tensorboardCases + demoCases
    }

    // MARK: tests

    private func assertRejected(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        for failure in try BadInputRunner.failures(of: cases) { XCTFail(failure, file: file, line: line) }
    }

    func testTheTableHoldsAtLeast300UniquelyNamedCases() {
        let names = Self.all.map(\.name)
        XCTAssertGreaterThanOrEqual(names.count, 300, "the table shrank: \(names.count) cases")
        XCTAssertEqual(Set(names).count, names.count, "case names must be unique, so that a failure names one case")
    }

    func testTrainFlags() throws { try assertRejected(Self.trainFlags) }
    func testConfigFiles() throws { try assertRejected(Self.configs) }
    func testCSVData() throws { try assertRejected(Self.csvData) }
    func testCheckAndWeights() throws { try assertRejected(Self.checkCases) }
    func testCompare() throws { try assertRejected(Self.compareCases) }
    func testCompareOnSlurm() throws { try assertRejected(Self.slurmCases) }
    func testReportInspectAndExportRejectTheSameBrokenFolders() throws { try assertRejected(Self.runFolders) }
    func testOutputPaths() throws { try assertRejected(Self.outputPaths) }
    func testExportAndTensorBoardFolders() throws { try assertRejected(Self.tensorboardCases) }
    func testDemo() throws { try assertRejected(Self.demoCases) }

    /// The positive control: the undamaged fixture is a run folder `inspect` accepts, so the broken
    /// copies are refused for their damage.
    func testTheUndamagedFixtureIsAccepted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-badinput-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try BadInputRunner.create(F.run(at: "run"), in: folder, expand: { $0 })
        let before = try BadInputRunner.snapshot(folder)
        let result = try CommandRunner.run(["inspect", folder.appendingPathComponent("run").path], in: folder,
                                           timeout: BadInputRunner.timeout)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Run fixture: completed"), result.output)
        XCTAssertEqual(try BadInputRunner.snapshot(folder), before, "inspect must not write")
    }
}
