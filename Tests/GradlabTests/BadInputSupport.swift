import Foundation
import XCTest

/// One bad input for `gradlab`: the command line, the files it needs, and what its one-line error must say.
///
/// In `arguments`, `fragments`, `forbidden` and text files, `@/` stands for the case's own working folder
/// (an absolute path ending in `/`), so that a message can be required to name a file by its full path.
struct BadInputCase {
    /// A file or folder created in the working folder before the run.
    enum File {
        case text(String)
        case bytes([UInt8])
        case folder
        /// A symbolic link to the given destination (which need not exist).
        case symlink(String)
    }

    var name: String
    var arguments: [String]
    /// Paths relative to the working folder; parent folders are created as needed.
    var files: [String: File]
    /// Every group must match stderr; a group matches when stderr contains any one of its strings.
    var fragments: [[String]]
    /// Strings stderr must not contain.
    var forbidden: [String]
    /// Files (relative paths) that must still exist with their bytes: the point of an output-path case.
    var kept: [String]
    /// Variables set for the run (on top of the test process's own), such as a `PATH` without a program.
    var environment: [String: String]

    init(_ name: String, _ arguments: [String], files: [String: File] = [:], expect: [String] = [],
         anyOf: [[String]] = [], forbidden: [String] = [], kept: [String] = [], environment: [String: String] = [:]) {
        self.name = name
        self.arguments = arguments
        self.files = files
        self.fragments = expect.map { [$0] } + anyOf
        self.forbidden = forbidden
        self.kept = kept
        self.environment = environment
    }
}

/// Runs bad-input cases, each in a fresh working folder holding a sentinel tree, and says how each failed.
enum BadInputRunner {
    /// A case still running after this long has started work it should have refused.
    static let timeout = 10.0
    static let messageLimit = 400
    static let foundationTexts = ["NSCocoaErrorDomain", "Error Domain=", "The file “", "couldn’t be"]

    /// The sentinel: files a rejected command must leave alone, including a run.json of another tool.
    static let sentinel: [String: BadInputCase.File] = [
        "sentinel/notes.txt": .text("keep me\n"),
        "sentinel/run.json": .text(#"{"format":"other.tool"}"#),
        "sentinel/nested/data.bin": .bytes([0, 1, 2, 255, 254]),
        "sentinel/nested/deeper/readme.md": .text("# still here\n"),
    ]

    /// Runs every case; returns one description per failing case, each starting with the case's name.
    static func failures(of cases: [BadInputCase]) throws -> [String] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-badinput-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var failures: [String] = []
        for (index, testCase) in cases.enumerated() {
            let folder = root.appendingPathComponent("case-\(index)")
            let problems = try run(testCase, in: folder)
            if !problems.isEmpty { failures.append("\(testCase.name): " + problems.joined(separator: "; ")) }
            try? FileManager.default.removeItem(at: folder)
        }
        return failures
    }

    /// The problems of one case; empty when it is rejected as required.
    static func run(_ testCase: BadInputCase, in folder: URL) throws -> [String] {
        let base = folder.path + "/"
        func expand(_ text: String) -> String { text.replacingOccurrences(of: "@/", with: base) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try create(sentinel, in: folder, expand: { $0 })
        try create(testCase.files, in: folder, expand: expand)
        let sentinelBefore = try snapshot(folder.appendingPathComponent("sentinel"))
        let before = try snapshot(folder)

        let result = try CommandRunner.run(testCase.arguments.map(expand), in: folder, timeout: timeout,
                                           environment: testCase.environment.mapValues(expand))
        var problems: [String] = []
        var errors = result.errors
        if errors.hasSuffix("\n") { errors.removeLast() }
        if result.timedOut {
            problems.append("still running after \(timeout) s (it started work instead of refusing); killed")
        } else if errors.contains("Fatal error") || errors.contains("Program crashed") || result.status > 128 {
            problems.append("crashed (status \(result.status))")
        } else if result.status != 2 {
            problems.append("exit status \(result.status), expected 2")
        }
        if !result.timedOut {
            if errors.isEmpty {
                problems.append("stderr is empty, expected one line 'gradlab: error: ...'")
            } else {
                let lines = errors.split(separator: "\n", omittingEmptySubsequences: false).count
                if lines > 1 { problems.append("stderr has \(lines) lines, expected 1") }
                if !errors.hasPrefix("gradlab: error: ") { problems.append("stderr does not start with 'gradlab: error: '") }
                if errors.count > messageLimit { problems.append("stderr has \(errors.count) characters, limit \(messageLimit)") }
                for text in foundationTexts where errors.contains(text) {
                    problems.append("stderr holds Foundation error text '\(text)'")
                }
                for group in testCase.fragments.map({ $0.map(expand) }) where !group.contains(where: errors.contains) {
                    problems.append("stderr lacks " + group.map { "'\($0)'" }.joined(separator: " or "))
                }
                for text in testCase.forbidden.map(expand) where errors.contains(text) {
                    problems.append("stderr must not say '\(text)'")
                }
            }
        }

        for path in testCase.kept {
            guard let original = testCase.files[path] else {
                problems.append("kept file \(path) is not among the case's files")
                continue
            }
            let url = folder.appendingPathComponent(path)
            switch original {
            case .text(let text):
                if FileManager.default.contents(atPath: url.path) != Data(expand(text).utf8) { problems.append("\(path) was deleted or changed") }
            case .bytes(let bytes):
                if FileManager.default.contents(atPath: url.path) != Data(bytes) { problems.append("\(path) was deleted or changed") }
            case .folder, .symlink:
                if (try? FileManager.default.attributesOfItem(atPath: url.path)) == nil { problems.append("\(path) was deleted") }
            }
        }
        let sentinelAfter = try snapshot(folder.appendingPathComponent("sentinel"))
        if sentinelAfter != sentinelBefore {
            problems.append("the sentinel folder changed: " + difference(sentinelBefore, sentinelAfter))
        }
        let after = try snapshot(folder)
        if after != before { problems.append("the working folder changed: " + difference(before, after)) }
        if !problems.isEmpty {
            let firstLine = errors.prefix { $0 != "\n" }
            let shown = firstLine.count > 300 ? firstLine.prefix(300) + "…" : firstLine
            problems.append("stderr (first line): " + (shown.isEmpty ? "(empty)" : String(shown)))
        }
        return problems
    }

    /// Creates `files` under `folder`.
    static func create(_ files: [String: BadInputCase.File], in folder: URL, expand: (String) -> String) throws {
        let manager = FileManager.default
        for (path, file) in files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch file {
            case .text(let text): try Data(expand(text).utf8).write(to: url)
            case .bytes(let bytes): try Data(bytes).write(to: url)
            case .folder: try manager.createDirectory(at: url, withIntermediateDirectories: true)
            case .symlink(let destination): try manager.createSymbolicLink(atPath: url.path, withDestinationPath: destination)
            }
        }
    }

    /// Every path under `folder` (not following links) with its contents: a file's bytes, a link's
    /// destination, a folder's marker. Two snapshots are equal exactly when nothing was added, removed or changed.
    static func snapshot(_ folder: URL) throws -> [String: Data] {
        let manager = FileManager.default
        var result: [String: Data] = [:]
        // A folder that is gone (a command deleted it) has no entries: the comparison lists them as removed.
        guard manager.fileExists(atPath: folder.path) else { return result }
        func walk(_ url: URL, _ relative: String) throws {
            for name in try manager.contentsOfDirectory(atPath: url.path) {
                let child = url.appendingPathComponent(name), path = relative + name
                let type = try manager.attributesOfItem(atPath: child.path)[.type] as? FileAttributeType
                switch type {
                case .typeDirectory?:
                    result[path + "/"] = Data("folder".utf8)
                    try walk(child, path + "/")
                case .typeSymbolicLink?:
                    result[path] = Data(("link → " + (try manager.destinationOfSymbolicLink(atPath: child.path))).utf8)
                default:
                    result[path] = manager.contents(atPath: child.path) ?? Data("unreadable".utf8)
                }
            }
        }
        try walk(folder, "")
        return result
    }

    static func difference(_ before: [String: Data], _ after: [String: Data]) -> String {
        let added = after.keys.filter { before[$0] == nil }.sorted()
        let removed = before.keys.filter { after[$0] == nil }.sorted()
        let changed = before.keys.filter { after[$0] != nil && after[$0] != before[$0] }.sorted()
        func list(_ label: String, _ paths: [String]) -> String? {
            paths.isEmpty ? nil : "\(label) " + paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? ", …" : "")
        }
        return [list("added", added), list("removed", removed), list("changed", changed)].compactMap { $0 }
            .joined(separator: "; ")
    }
}

extension CommandRunner {
    /// `run`, with a deadline: a process still going after `timeout` seconds is killed (SIGTERM) and the
    /// result says so. Both streams go to files, so that neither can fill a pipe and block the child.
    static func run(_ arguments: [String], in directory: URL, timeout: Double, environment: [String: String] = [:])
        throws -> (status: Int32, output: String, errors: String, timedOut: Bool) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-badinput-\(UUID().uuidString)")
        let outputFile = stem.appendingPathExtension("out"), errorFile = stem.appendingPathExtension("err")
        for file in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        defer { for file in [outputFile, errorFile] { try? FileManager.default.removeItem(at: file) } }
        let output = try FileHandle(forWritingTo: outputFile), errors = try FileHandle(forWritingTo: errorFile)
        defer { try? output.close(); try? errors.close() }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        let out = FileManager.default.contents(atPath: outputFile.path) ?? Data()
        let err = FileManager.default.contents(atPath: errorFile.path) ?? Data()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self),
                timedOut)
    }
}

/// Builders of the inputs the cases damage: safetensors checkpoints, run folders, YAML positions.
enum BadInputFixtures {
    /// A safetensors file: 8-byte little-endian header length, the JSON header (padded with spaces to a
    /// multiple of 8), then each tensor's little-endian F32 data in order.
    static func safetensors(_ tensors: [(name: String, shape: [Int], values: [Float])], dtype: String = "F32") -> [UInt8] {
        var entries: [String] = [], data: [UInt8] = []
        for tensor in tensors {
            let begin = data.count
            for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(#""\#(tensor.name)":{"dtype":"\#(dtype)","shape":[\#(shape)],"data_offsets":[\#(begin),\#(data.count)]}"#)
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var file: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file += $0 }
        return file + header + data
    }

    /// The tensors of torch's `nn.Sequential(Linear(2, 4), Tanh(), Linear(4, 3))`, with small deterministic values.
    static func mlp243(_ change: (inout [(name: String, shape: [Int], values: [Float])]) -> Void = { _ in })
        -> [UInt8] {
        func values(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 7) * 0.1 - 0.3 } }
        var tensors: [(name: String, shape: [Int], values: [Float])] = [
            ("0.weight", [4, 2], values(8)), ("0.bias", [4], values(4)),
            ("2.weight", [3, 4], values(12)), ("2.bias", [3], values(3)),
        ]
        change(&tensors)
        return safetensors(tensors)
    }

    /// run.json of a small completed run, as `gradlab train` writes it; `replacing` edits its text.
    static func manifest(replacing pairs: [(String, String)] = []) -> String {
        var text = #"""
            {
              "format" : "gradlab.run",
              "version" : 1,
              "name" : "fixture",
              "created" : "2026-01-02T03:04:05Z",
              "status" : "completed",
              "seed" : 7,
              "config" : { "mlp" : "2,4,3", "activation" : "tanh" },
              "model" : {
                "description" : "2,4,3 tanh",
                "layers" : [
                  { "name" : "0", "kind" : "Linear", "input_features" : 2, "output_features" : 4 },
                  { "name" : "1", "kind" : "Tanh", "input_features" : 4, "output_features" : 4 },
                  { "name" : "2", "kind" : "Linear", "input_features" : 4, "output_features" : 3 }
                ],
                "parameters" : [
                  { "name" : "0.weight", "layer" : "0", "shape" : [4, 2] },
                  { "name" : "0.bias", "layer" : "0", "shape" : [4] },
                  { "name" : "2.weight", "layer" : "2", "shape" : [3, 4] },
                  { "name" : "2.bias", "layer" : "2", "shape" : [3] }
                ]
              },
              "dataset" : { "name" : "spirals", "training_examples" : 80, "validation_examples" : 20,
                            "features" : 2, "outputs" : 3 },
              "optimizer" : { "name" : "sgd", "lr" : "0.1" },
              "steps_completed" : 4,
              "findings" : [],
              "final_loss" : 0.5
            }

            """#
        for (old, new) in pairs {
            precondition(text.contains(old), "the run.json fixture has no '\(old)' to replace")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    static let stepsHeader = "step,epoch,loss,lr,grad_norm,clipped,seconds,val_loss,train_accuracy,val_accuracy\n"

    /// steps.csv of the fixture: four steps; `step3` replaces the third row's step field.
    static func steps(step3: String = "3") -> String {
        stepsHeader + "1,0,1.25,0.1,8,1,0.01,,,\n2,0,0.75,0.1,4,0,0.02,,,\n"
            + "\(step3),0,0.583,0.1,2.67,0,0.03,,,\n4,1,0.5,0.1,2,0,0.04,0.55,0.75,0.7\n"
    }

    /// The undamaged run folder at `folder` (relative path): run.json and steps.csv.
    static func run(at folder: String, manifest: String = manifest(), steps: String = steps())
        -> [String: BadInputCase.File] {
        [folder + "/run.json": .text(manifest), folder + "/steps.csv": .text(steps)]
    }

    /// `LINE:COLUMN` (1-based, as Yams reports a value's mark) of the first `value` after the first `marker` in `text`.
    static func position(of value: String, after marker: String, in text: String) -> String {
        guard let markerRange = text.range(of: marker),
              let valueRange = text.range(of: value, range: markerRange.upperBound..<text.endIndex) else {
            preconditionFailure("'\(value)' after '\(marker)' is not in the config text")
        }
        let before = text[..<valueRange.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let lineStart = before.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        return "\(line):\(text[lineStart..<valueRange.lowerBound].count + 1)"
    }
}
