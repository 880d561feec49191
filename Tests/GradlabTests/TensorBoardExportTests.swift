import Foundation
import RunFormat
import TensorBoard
import XCTest

/// Issue 18: `gradlab export RUN --tensorboard DIR` and `gradlab train --tensorboard DIR`, read back with
/// the `tensorboard` Python package (pinned, in .build/tensorboard-venv) and compared with the run folder
/// as `RunReader` reads it.
final class TensorBoardExportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-tb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try TensorBoardReader.prepare()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A run with vanishing gradients (a finding), evaluation steps and histograms, exported afterwards.
    func testExportHoldsEveryValueOfTheRunFolder() throws {
        let run = folder.appendingPathComponent("run"), board = folder.appendingPathComponent("tb")
        let train = try CommandRunner.run(["train", "--quiet", "--mlp", "2,16x6,3", "--activation", "sigmoid",
                                           "--steps", "40", "--eval-every", "10", "--histograms-every", "10",
                                           "--seed", "3", "--out", run.path])
        XCTAssertEqual(train.status, 0, train.errors)
        let export = try CommandRunner.run(["export", run.path, "--tensorboard", board.path])
        XCTAssertEqual(export.status, 0, export.errors)
        let data = try RunReader().read(run)
        XCTAssertFalse(data.findings.isEmpty, "the fixture run must have a finding to export")
        XCTAssertTrue(data.steps.contains { $0.validationLoss != nil })
        try assertBoard(board, holds: data, files: 1)
    }

    /// A diverging run followed by `train --tensorboard`: NaN scalars and non-finite histogram entries.
    func testTrainWritesTheRunAsItGoes() throws {
        let run = folder.appendingPathComponent("run"), board = folder.appendingPathComponent("tb/diverged")
        let train = try CommandRunner.run(["train", "--quiet", "--mlp", "2,16,3", "--optimizer", "sgd", "--lr", "1000",
                                           "--steps", "40", "--histograms-every", "5", "--seed", "1",
                                           "--out", run.path, "--tensorboard", board.path])
        XCTAssertEqual(train.status, 1, "the run must diverge: " + train.errors)
        let data = try RunReader().read(run)
        XCTAssertTrue(data.steps.contains { $0.loss.isNaN }, "the fixture run must reach a NaN loss")
        XCTAssertTrue(data.histograms.contains { $0.lo.isNaN && $0.count > 0 }, "and non-finite gradients")
        try assertBoard(board, holds: data, files: 1)
    }

    /// The event file grows while training goes on, and holds the whole run once Ctrl-C has stopped it.
    func testTrainUpdatesTheEventFileWhileItRuns() throws {
        let run = folder.appendingPathComponent("run"), board = folder.appendingPathComponent("tb")
        let process = try CommandRunner.start(["train", "--quiet", "--mlp", "2,16,3", "--steps", "10000000",
                                               "--histograms-every", "50", "--out", run.path,
                                               "--tensorboard", board.path],
                                              log: folder.appendingPathComponent("train.log"))
        // More than the version record (about 30 bytes): events of steps, written while the run goes on.
        func eventBytes() -> Int {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: board.path)) ?? []
            return names.reduce(0) { total, name in
                let size = (try? FileManager.default.attributesOfItem(atPath: board.appendingPathComponent(name).path))?[.size]
                return total + ((size as? NSNumber)?.intValue ?? 0)
            }
        }
        XCTAssertTrue(CommandRunner.wait(seconds: 60) { eventBytes() > 2_000 })
        XCTAssertTrue(process.isRunning, "the event file must grow before training ends")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let data = try RunReader().read(run)
        XCTAssertEqual(data.manifest.status, .interrupted)
        try assertBoard(board, holds: data, files: 1, followed: true)
    }

    /// What following a live run does: appends in pieces, into one file, give the values of one export.
    func testAppendingInPiecesGivesTheWholeRun() throws {
        let run = folder.appendingPathComponent("run"), board = folder.appendingPathComponent("tb")
        let train = try CommandRunner.run(["train", "--quiet", "--mlp", "2,16x6,3", "--activation", "sigmoid",
                                           "--steps", "30", "--eval-every", "10", "--histograms-every", "7",
                                           "--seed", "3", "--out", run.path])
        XCTAssertEqual(train.status, 0, train.errors)
        let data = try RunReader().read(run)
        let export = TensorBoardExport(folder: board.path)
        for last in [0, 1, 7, 8, 20, 20] { try export.append(data, through: last) }
        try export.append(data)
        XCTAssertEqual(export.exportedThrough, 30)
        try assertBoard(board, holds: data, files: 1)
    }

    /// GradLab's fixed bins as TensorBoard's bucket limits, for the two kinds of bins.
    func testBucketLimitsAreTheBinsRightEdges() throws {
        let run = folder.appendingPathComponent("run"), board = folder.appendingPathComponent("tb")
        XCTAssertEqual(try CommandRunner.run(["train", "--quiet", "--mlp", "2,8,3", "--activation", "tanh",
                                              "--steps", "3", "--histograms-every", "1", "--out", run.path]).status, 0)
        XCTAssertEqual(try CommandRunner.run(["export", run.path, "--tensorboard", board.path]).status, 0)
        let events = try TensorBoardReader.read(board)
        let gradient = try XCTUnwrap(events.histograms["gradient/0.weight"]?.first?.value)
        XCTAssertEqual(gradient.bucketLimit.count, 31, "32 bins less the non-finite one")
        XCTAssertEqual(Array(gradient.bucketLimit.prefix(3)), [0, 1e-12, pow(10, -11.5)])
        XCTAssertEqual(gradient.bucketLimit[29], 1e2)
        XCTAssertEqual(gradient.bucketLimit.last, .greatestFiniteMagnitude)
        let activation = try XCTUnwrap(events.histograms["activation/1"]?.first?.value)
        XCTAssertEqual(activation.bucketLimit.count, 42, "43 bins less the non-finite one")
        XCTAssertEqual(activation.bucketLimit.first, -1, "below tanh's range")
        XCTAssertEqual(activation.bucketLimit[40], 1)
        XCTAssertEqual(activation.bucketLimit.last, .greatestFiniteMagnitude)
    }

    func testExportRefusesAFolderThatHoldsARun() throws {
        let run = folder.appendingPathComponent("run")
        XCTAssertEqual(try CommandRunner.run(["train", "--quiet", "--mlp", "2,4,3", "--steps", "2", "--out", run.path]).status, 0)
        let before = try BadInputRunner.snapshot(run)
        let result = try CommandRunner.run(["export", run.path, "--tensorboard", run.path])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.errors.hasPrefix("gradlab: error: --tensorboard: \(run.path)"), result.errors)
        XCTAssertEqual(try BadInputRunner.snapshot(run), before)
    }

    // MARK: the comparison

    /// Every scalar, histogram and finding that `data` gives, and nothing else, read from `board`'s
    /// `files` event files.
    private func assertBoard(_ board: URL, holds data: RunData, files: Int, followed: Bool = false,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let events = try TensorBoardReader.read(board)
        XCTAssertEqual(events.files.count, files, "event files in \(board.path)", file: file, line: line)
        XCTAssertEqual(events.fileVersions, Array(repeating: "brain.Event:2", count: files), file: file, line: line)
        XCTAssertEqual(events.drawingProblems, [], "histograms as TensorBoard draws them", file: file, line: line)

        // Scalars: 32-bit floats of the folder's values.
        var scalars: [String: [Point<Double>]] = [:]
        func add(_ tag: String, _ step: Int, _ value: Double) {
            scalars[tag, default: []].append(Point(step: step, value: Double(Float(value))))
        }
        for row in data.steps {
            add("loss", row.step, row.loss)
            add("grad_norm", row.step, row.gradientNorm)
            if !row.learningRate.isNaN { add("lr", row.step, row.learningRate) }
            add("epoch", row.step, Double(row.epoch))
            add("clipped", row.step, row.clipped ? 1 : 0)
            if let v = row.validationLoss { add("val_loss", row.step, v) }
            if let t = row.trainAccuracy { add("train_accuracy", row.step, t) }
            if let v = row.validationAccuracy { add("val_accuracy", row.step, v) }
        }
        for row in data.gradients {
            add("grad_norm/" + row.parameter, row.step, row.norm)
            if !row.updateRatio.isNaN { add("update_ratio/" + row.parameter, row.step, row.updateRatio) }
        }
        // Histograms: one bucket per finite bin, right edges, counts; the non-finite bin as a scalar.
        let groups = Dictionary(grouping: data.histograms) { "\($0.tensor)/\($0.layer)" }
        var histograms: [String: [Int: [HistogramRow]]] = [:]
        for (tag, rows) in groups { histograms[tag] = Dictionary(grouping: rows, by: \.step) }
        for (tag, bySteps) in histograms {
            for (step, rows) in bySteps.sorted(by: { $0.key < $1.key }) {
                let nonfinite = rows.filter { $0.lo.isNaN }.reduce(0) { $0 + $1.count }
                if nonfinite > 0 { add(tag + "/nonfinite", step, Double(nonfinite)) }
            }
        }
        XCTAssertEqual(Set(events.scalars.keys), Set(scalars.keys), "scalar tags", file: file, line: line)
        for (tag, expected) in scalars {
            let observed = events.scalars[tag] ?? []
            XCTAssertEqual(observed.map(\.step), expected.map(\.step), "steps of \(tag)", file: file, line: line)
            let wrong = zip(observed, expected).filter { o, e in !(o.value == e.value || o.value.isNaN && e.value.isNaN) }
            if let (o, e) = wrong.first {
                XCTFail("\(tag): \(wrong.count) of \(expected.count) values differ; at step \(e.step) read \(o.value), "
                        + "the run folder has \(e.value)", file: file, line: line)
            }
        }

        XCTAssertEqual(Set(events.histograms.keys), Set(histograms.keys), "histogram tags", file: file, line: line)
        for (tag, bySteps) in histograms {
            let observed = events.histograms[tag] ?? []
            XCTAssertEqual(observed.map(\.step), bySteps.keys.sorted(), "steps of \(tag)", file: file, line: line)
            for point in observed {
                let rows = (bySteps[point.step] ?? []).sorted { $0.bin < $1.bin }
                let finite = rows.filter { !$0.lo.isNaN }
                let h = point.value, place = "\(tag) at step \(point.step)"
                XCTAssertEqual(h.bucketLimit, finite.map { $0.hi == .infinity ? .greatestFiniteMagnitude : $0.hi },
                               "bucket limits of \(place)", file: file, line: line)
                XCTAssertEqual(h.bucket, finite.map { Double($0.count) }, "counts of \(place)", file: file, line: line)
                XCTAssertEqual(h.num, Double(finite.reduce(0) { $0 + $1.count }), "num of \(place)", file: file, line: line)
                let filled = finite.filter { $0.count > 0 }
                guard let low = filled.first, let high = filled.last else { continue }
                if low.lo.isFinite { XCTAssertEqual(h.min, low.lo, "min of \(place)", file: file, line: line) }
                else { XCTAssertLessThan(h.min, low.hi, "min of \(place)", file: file, line: line) }
                if high.hi.isFinite { XCTAssertEqual(h.max, high.hi, "max of \(place)", file: file, line: line) }
                else { XCTAssertGreaterThan(h.max, high.lo, "max of \(place)", file: file, line: line) }
                let mean = h.sum / h.num
                XCTAssertTrue(h.min <= mean && mean <= h.max, "mean \(mean) of \(place) outside [min, max]",
                              file: file, line: line)
                XCTAssertGreaterThanOrEqual(h.sumSquares * (1 + 1e-12), h.sum * h.sum / h.num,
                                            "sum_squares of \(place) below sum²/num", file: file, line: line)
            }
        }

        // Findings: one line per finding, saying its severity, kind, layer, span and message. Exported once,
        // each is at its step, one text per step. Followed live, a finding whose row changed after it was
        // exported (its span closed, a plateau became stagnation) is exported again at a later step: its
        // last row must be on the board, at its step or later, and every step of a finding has a text.
        func parts(_ finding: FindingRow) -> [String] {
            [finding.severity.rawValue, finding.kind.rawValue, finding.message, finding.span(end: nil)]
                + (finding.layer.isEmpty ? [] : ["`\(finding.layer)`"])
        }
        let findings = Dictionary(grouping: data.findings, by: \.step)
        XCTAssertEqual(Set(events.texts.keys), findings.isEmpty ? [] : ["findings"], file: file, line: line)
        let texts = events.texts["findings"] ?? []
        let lines = texts.flatMap { text in
            text.value.joined(separator: "\n").split(separator: "\n").map { (step: text.step, text: String($0)) }
        }
        if followed {
            XCTAssertTrue(Set(texts.map(\.step)).isSuperset(of: findings.keys), "steps of the findings", file: file, line: line)
            for finding in data.findings {
                XCTAssertTrue(lines.contains { $0.step >= finding.step && parts(finding).allSatisfy($0.text.contains) },
                              "\(finding) is not on the board: \(lines)", file: file, line: line)
            }
            XCTAssertLessThanOrEqual(lines.count, 2 * data.findings.count, "each finding at most twice", file: file, line: line)
            return
        }
        XCTAssertEqual(texts.map(\.step), findings.keys.sorted(), "steps of the findings", file: file, line: line)
        for text in texts {
            let lines = text.value.joined(separator: "\n").split(separator: "\n").map(String.init)
            let expected = findings[text.step] ?? []
            XCTAssertEqual(lines.count, expected.count, "findings at step \(text.step): \(lines)", file: file, line: line)
            for (observed, finding) in zip(lines, expected) {
                for part in parts(finding) {
                    XCTAssertTrue(observed.contains(part), "\(observed) lacks \(part)", file: file, line: line)
                }
            }
        }
    }
}

struct Point<Value> {
    var step: Int
    var value: Value
}

/// What `read_events.py` reads from a folder of event files with the tensorboard package.
struct TensorBoardReader {
    struct Histogram {
        var min, max, num, sum, sumSquares: Double
        var bucketLimit, bucket: [Double]
    }

    var files: [String]
    var fileVersions: [String]
    var drawingProblems: [String]
    var scalars: [String: [Point<Double>]]
    var histograms: [String: [Point<Histogram>]]
    var texts: [String: [Point<[String]>]]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/tensorboard-venv/bin/python")
    static let script = root.appendingPathComponent("Tests/GradlabTests/TensorBoard/read_events.py")
    nonisolated(unsafe) private static var prepared = false

    /// Installs the pinned tensorboard package through the Makefile's `tensorboard-venv` (once per process).
    static func prepare() throws {
        guard !prepared else { return }
        let result = try CommandRunner.run(["make", "--no-print-directory", "-C", root.path, "tensorboard-venv"],
                                           executable: URL(fileURLWithPath: "/usr/bin/env"))
        XCTAssertEqual(result.status, 0, "make tensorboard-venv: " + result.errors)
        prepared = result.status == 0
    }

    static func read(_ folder: URL) throws -> TensorBoardReader {
        let result = try CommandRunner.run([script.path, folder.path], executable: python)
        guard result.status == 0 else {
            throw ReadError(message: "read_events.py exited with \(result.status): \(result.errors)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        func number(_ value: Any?) throws -> Double { try XCTUnwrap(Double(try XCTUnwrap(value as? String))) }
        func numbers(_ value: Any?) throws -> [Double] { try XCTUnwrap(value as? [String]).map { try number($0) } }
        func points<Value>(_ key: String, _ convert: (Any) throws -> Value) throws -> [String: [Point<Value>]] {
            let tags = try XCTUnwrap(json[key] as? [String: [[Any]]])
            return try tags.mapValues { list in
                try list.map { Point(step: try XCTUnwrap($0[0] as? Int), value: try convert($0[1])) }
            }
        }
        return TensorBoardReader(
            files: try XCTUnwrap(json["files"] as? [String]),
            fileVersions: try XCTUnwrap(json["file_versions"] as? [String]),
            drawingProblems: try XCTUnwrap(json["drawing_problems"] as? [String]),
            scalars: try points("scalars") { try number($0) },
            histograms: try points("histograms") { value in
                let h = try XCTUnwrap(value as? [String: Any])
                return Histogram(min: try number(h["min"]), max: try number(h["max"]), num: try number(h["num"]),
                                 sum: try number(h["sum"]), sumSquares: try number(h["sum_squares"]),
                                 bucketLimit: try numbers(h["bucket_limit"]), bucket: try numbers(h["bucket"]))
            },
            texts: try points("texts") { try XCTUnwrap($0 as? [String]) })
    }

    struct ReadError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
