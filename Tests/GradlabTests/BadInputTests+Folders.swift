import Foundation
import RunFormat
import XCTest

/// The bad inputs of `compare` (and `--slurm`), broken run folders, output paths, `export` and the demo
/// (see ``BadInputTests``).
extension BadInputTests {
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
}
