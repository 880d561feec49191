import Foundation
import Reports
import RunFormat
import XCTest

let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

/// Compares `text` with the stored snapshot `name`; GRADLAB_RECORD_SNAPSHOTS=1 records it again.
func assertSnapshot(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let url = snapshots.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["GRADLAB_RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: snapshots, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    guard let stored = try? String(contentsOf: url, encoding: .utf8) else {
        return XCTFail("no snapshot \(name); record it with GRADLAB_RECORD_SNAPSHOTS=1", file: file, line: line)
    }
    if stored != text {
        let a = stored.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
        XCTFail("\(name) differs from its snapshot at line \(first + 1):\n stored:   \(first < a.count ? a[first] : "<end>")\n"
                + " produced: \(first < b.count ? b[first] : "<end>")\nGRADLAB_RECORD_SNAPSHOTS=1 records it again",
                file: file, line: line)
    }
}

/// The run report from a hand-written run folder: scripts and page against snapshots, real rendering,
/// escaping, partial runs, and clear errors for bad folders.
final class RunReportTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func makeRun(_ fixture: RunFixture = RunFixture(), name: String = "run") throws -> RunData {
        let url = folder.appendingPathComponent(name)
        try fixture.write(to: url)
        return try RunReader().read(url)
    }

    func testReaderReadsEveryFile() throws {
        let data = try makeRun()
        XCTAssertEqual(data.steps.count, 8)
        XCTAssertEqual(data.gradients.count, 32)
        XCTAssertEqual(data.activations.count, 8)
        XCTAssertEqual(data.histograms.count, 16)
        XCTAssertEqual(data.findings, [RunFixture().finding])
        XCTAssertEqual(data.gradchecks.count, 8)
        XCTAssertEqual(data.sweep.count, 9)
        XCTAssertEqual(data.steps[3].validationLoss, RunFixture().loss(4) * 1.1)
        XCTAssertNil(data.steps[2].validationLoss)
        XCTAssertEqual(data.notes, [])
        XCTAssertEqual(data.status, .completed)
    }

    func testScriptsAndDataMatchTheirSnapshots() throws {
        let figures = RunReport(run: try makeRun(), formats: [.png, .svg]).figures()
        XCTAssertEqual(figures.map(\.name), ["loss", "grad-norm", "layer-grad-norm", "heatmap-grad-norm", "gradient-flow",
                                             "update-ratio", "heatmap-update-ratio", "activity", "histograms-activation",
                                             "histograms-gradient", "gradcheck", "gradcheck-steps", "gradcheck-sweep"])
        for figure in figures {
            try assertSnapshot(figure.script(formats: [.png, .svg]), named: "\(figure.name).gp")
            for data in figure.data { try assertSnapshot(data.contents, named: data.file) }
        }
    }

    func testPageMatchesItsSnapshot() throws {
        let report = RunReport(run: try makeRun(), formats: [.png, .svg])
        try assertSnapshot(report.html(figures: report.figures()), named: "index.html")
    }

    func testRendersEveryFigureForRealAtItsSize() throws {
        let report = RunReport(run: try makeRun(), formats: [.png, .svg])
        let out = folder.appendingPathComponent("report")
        let index = try report.write(to: out)
        let html = try String(contentsOf: index, encoding: .utf8)
        for figure in report.figures() {
            let png = try Data(contentsOf: out.appendingPathComponent("figures/\(figure.name).png"))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], figure.name)
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual([width, height], [figure.width, figure.height], figure.name)
            let svg = try String(contentsOf: out.appendingPathComponent("figures/\(figure.name).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("<svg"), figure.name)
            XCTAssertTrue(html.contains("src=\"figures/\(figure.name).png\""), figure.name)
        }
        for file in ["run.json", "steps.csv", "gradients.csv", "gradcheck-sweep.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("data/\(file)").path), file)
        }
        // Every local link and image in the page points at a file of the report.
        let pattern = try NSRegularExpression(pattern: "(?:src|href)=\"([^\"#]+)\"")
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let path = String(html[Range(match.range(at: 1), in: html)!]).removingPercentEncoding!
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), path)
        }
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page loads nothing from the network")
        // A figure renders again from its own script.
        let figures = out.appendingPathComponent("figures")
        try FileManager.default.removeItem(at: figures.appendingPathComponent("loss.png"))
        try Gnuplot().run(script: "load 'loss.gp'", in: figures)
        XCTAssertTrue(FileManager.default.fileExists(atPath: figures.appendingPathComponent("loss.png").path))
    }

    /// A residual run names layers inside blocks (`2.1`): figures order them from input to output whatever
    /// the file order, numbers as numbers, and a finding inside a block reaches the page with its name.
    func testLayersInsideResidualBlocksAreOrderedAndShown() throws {
        var fixture = RunFixture()
        fixture.activationLayers = ["10", "2.1", "3", "2", "1"]
        fixture.layerName = "2.1"
        fixture.findingKind = .dead
        fixture.findingMessage = "40% of the ReLU units in layer 2.1 are dead"
        let report = RunReport(run: try makeRun(fixture))
        let figures = report.figures()
        let activity = try XCTUnwrap(figures.first { $0.name == "activity" })
        let titles = activity.commands.components(separatedBy: "title 'layer ").dropFirst().map { $0.prefix { $0 != "'" } }
        XCTAssertEqual(titles.prefix(5).map(String.init), ["1", "2", "2.1", "3", "10"])
        let blocks = try XCTUnwrap(activity.data.first?.contents).components(separatedBy: "# layer ").dropFirst()
        XCTAssertEqual(blocks.map { String($0.prefix { $0 != ":" }) }, ["1", "2", "2.1", "3", "10"])
        let html = report.html(figures: figures)
        XCTAssertTrue(html.contains("layer 2.1"), "the finding names the layer inside the block")
        XCTAssertTrue(html.contains("40% of the ReLU units in layer 2.1 are dead"))
    }

    /// A finding's span in the findings list and on its figure; an info finding reads as info.
    func testFindingsShowTheirSpanAndInfoReadsAsInfo() throws {
        let url = folder.appendingPathComponent("spans")
        try RunFixture().write(to: url)
        // A plateau raised at step 6 and closed with its last step 7, appended as the recorder does.
        let file = try FileHandle(forWritingTo: url.appendingPathComponent("findings.csv"))
        try file.seekToEnd()
        try file.write(contentsOf: Data(("2,,plateau,info,0,0.01,the loss stalled,\n"
                                         + "2,,plateau,info,0,0.01,the loss stalled,7\n").utf8))
        try file.close()
        let run = try RunReader().read(url)
        XCTAssertEqual(run.findings.map(\.kind), [RunFixture().findingKind, .plateau], "one row per finding")
        let report = RunReport(run: run)
        let figures = report.figures()
        let html = report.html(figures: figures)
        XCTAssertTrue(html.contains("<span class=\"info\">info</span> <strong>A loss plateau that ended</strong>, "
                                    + "steps 2–7: the loss stalled"), html)
        XCTAssertTrue(html.contains(", steps 3–8 (to the end): "), "an open finding runs to the last step")
        let loss = try XCTUnwrap(figures.first { $0.name == "loss" })
        XCTAssertTrue(loss.commands.contains("set arrow from 2, graph 0 to 2, graph 1 nohead dt 2 lw 1.5 lc rgb '#4a6a8a'"),
                      "the span's first step is marked, in the info colour: \(loss.commands)")
        XCTAssertTrue(loss.commands.contains("set arrow from 7, graph 0"), "and its last")
    }

    func testTextFromTheRunIsEscaped() throws {
        var fixture = RunFixture()
        fixture.name = "<b>run</b>"
        fixture.layerName = "<script>alert(1)</script>"
        fixture.findingMessage = "see <script>alert('x')</script> & more"
        let report = RunReport(run: try makeRun(fixture))
        let html = report.html(figures: report.figures())
        XCTAssertFalse(html.contains("<script"), "no script element from the run reaches the page")
        XCTAssertFalse(html.contains("<b>run"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("see &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"))
        // gnuplot strings double their quotes, so names with quotes still render.
        try report.write(to: folder.appendingPathComponent("report"))
    }

    func testAKilledRunWithATornLineRendersAndSaysSo() throws {
        var fixture = RunFixture()
        fixture.status = .running
        fixture.pid = Int32.max  // no such process
        let url = folder.appendingPathComponent("killed")
        try fixture.write(to: url)
        let handle = try FileHandle(forWritingTo: url.appendingPathComponent("gradients.csv"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("9,0.weight,0,0.5,0.1".utf8))
        try handle.close()
        let data = try RunReader().read(url)
        XCTAssertEqual(data.status, .interrupted)
        XCTAssertEqual(data.gradients.count, 32, "the torn row is ignored")
        XCTAssertEqual(data.lastStep, 8)
        XCTAssertTrue(data.notes.contains { $0.contains("gradients.csv ends in an incomplete line") }, "\(data.notes)")
        let index = try RunReport(run: data).write(to: folder.appendingPathComponent("report"))
        let html = try String(contentsOf: index, encoding: .utf8)
        XCTAssertTrue(html.contains("killed: run.json still says running but its process is gone"), html)
        XCTAssertTrue(html.contains("The run was killed"), html)
    }

    func testARunStillGoingSaysSo() throws {
        var fixture = RunFixture()
        fixture.status = .running
        fixture.pid = getpid()
        let data = try makeRun(fixture)
        XCTAssertEqual(data.status, .running)
        XCTAssertTrue(data.statusSentence.hasPrefix("still running"), data.statusSentence)
    }

    func testOptionalFilesMayBeMissing() throws {
        let data = try makeRun()
        for file in ["gradients.csv", "activations.csv", "histograms.csv", "findings.csv", "gradcheck.csv",
                     "gradcheck-sweep.csv"] {
            try FileManager.default.removeItem(at: data.folder.appendingPathComponent(file))
        }
        let bare = try RunReader().read(data.folder)
        XCTAssertEqual(bare.findings, [RunFixture().finding], "findings come from run.json without findings.csv")
        XCTAssertTrue(bare.notes.contains { $0.hasPrefix("gradients.csv is missing") }, "\(bare.notes)")
        let report = RunReport(run: bare)
        XCTAssertEqual(report.figures().map(\.name), ["loss", "grad-norm"])
        try report.write(to: folder.appendingPathComponent("report"))
    }

    func testBadRunFoldersGiveClearErrors() throws {
        let missing = folder.appendingPathComponent("nope")
        XCTAssertThrowsError(try RunReader().read(missing)) {
            XCTAssertEqual($0 as? RunFolderError, .missing(path: missing.path))
        }
        let data = try makeRun()
        try Data("step,epoch,los\n1,0,0.5\n".utf8).write(to: data.folder.appendingPathComponent("steps.csv"))
        XCTAssertThrowsError(try RunReader().read(data.folder)) {
            XCTAssertTrue("\($0)".contains("steps.csv:1: no column 'loss'"), "\($0)")
        }
        try Data((StepRow.columns.joined(separator: ",") + "\n").utf8).write(to: data.folder.appendingPathComponent("steps.csv"))
        XCTAssertThrowsError(try RunReader().read(data.folder)) {
            XCTAssertTrue("\($0)".contains("no recorded steps yet"), "\($0)")
        }
        try Data((StepRow.columns.joined(separator: ",") + "\n1,0,abc,0.1,1,0,0,,,\n").utf8)
            .write(to: data.folder.appendingPathComponent("steps.csv"))
        XCTAssertThrowsError(try RunReader().read(data.folder)) {
            XCTAssertTrue("\($0)".contains("steps.csv:2: 'abc' in column 'loss' is not a number"), "\($0)")
        }
        try Data("{\"format\": \"gradlab.run\"".utf8).write(to: data.folder.appendingPathComponent("run.json"))
        XCTAssertThrowsError(try RunReader().read(data.folder)) {
            XCTAssertTrue("\($0)".contains("run.json: not valid JSON"), "\($0)")
        }
    }

    func testAGnuplotErrorCarriesGnuplotsMessageAndTheFigure() throws {
        let bad = Figure(name: "bad", title: "bad", alt: "", caption: "", data: [],
                         commands: "plot 'bad.dat' using 1:2 with lines\n")
        XCTAssertThrowsError(try renderAll([bad], into: folder, formats: [.png])) { error in
            guard case GnuplotError.failed(_, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("\"bad.gp\" line"), message)
            XCTAssertTrue(message.contains("bad.dat"), message)
        }
    }
}

/// Run folders are drawn from other people's files: no string in one may run a gnuplot or shell command,
/// and none may reach the page as markup.
final class InjectionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Strings that would run `touch MARKER` if they escaped a gnuplot string or were substituted.
    private func payloads(_ marker: URL) -> [String] {
        [
            "a'\nsystem('touch \(marker.path)-newline')\nb='",
            "a'\rsystem('touch \(marker.path)-return')\r'",
            "`touch \(marker.path)-backtick`",
            "a\u{2028}system('touch \(marker.path)-separator')",
            "@macro \\' \" <script>alert(1)</script> & <img src=x onerror=alert(2)>",
        ]
    }

    private func hostileRun(_ index: Int, marker: URL) throws -> URL {
        let texts = payloads(marker)
        var fixture = RunFixture()
        fixture.name = texts[index % texts.count]
        fixture.layerName = texts[(index + 1) % texts.count]
        fixture.findingMessage = texts[(index + 2) % texts.count]
        fixture.recurrent = true
        fixture.recurrentLayer = texts[(index + 3) % texts.count]
        let url = folder.appendingPathComponent("run\(index)")
        try fixture.write(to: url)
        var manifest = try RunManifest.read(from: url)
        manifest.config = Dictionary(uniqueKeysWithValues: texts.enumerated().map { ("k\($0.offset)" + $0.element, $0.element) })
        manifest.optimizer = ["name": texts[3], "lr": texts[0], "clip_norm": texts[1]]
        manifest.dataset.name = texts[2]
        manifest.model.description = texts[4]
        manifest.created = texts[0]
        manifest.findings = manifest.findings.map { f in
            var f = f
            // Kind and severity are typed: hostile text there is refused on reading (RunFolderTests).
            f.layer = texts[3]
            return f
        }
        try manifest.write(to: url)
        return url
    }

    private func assertSafe(_ index: URL, marker: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let siblings = try FileManager.default.contentsOfDirectory(atPath: marker.deletingLastPathComponent().path)
        XCTAssertFalse(siblings.contains { $0.hasPrefix(marker.lastPathComponent) },
                       "a command from the run folder ran: \(siblings)", file: file, line: line)
        let html = try String(contentsOf: index, encoding: .utf8)
        XCTAssertFalse(html.contains("<script"), "markup from the run reached the page", file: file, line: line)
        XCTAssertFalse(html.contains("<img src=x"), file: file, line: line)
        XCTAssertTrue(html.contains("&lt;script&gt;"), "the text is shown, escaped", file: file, line: line)
        // Every script line that sets a title or label holds one complete single-quoted string.
        let figures = index.deletingLastPathComponent().appendingPathComponent("figures")
        for name in try FileManager.default.contentsOfDirectory(atPath: figures.path) where name.hasSuffix(".gp") {
            let script = try String(contentsOf: figures.appendingPathComponent(name), encoding: .utf8)
            for scriptLine in script.split(separator: "\n") where scriptLine.contains("system(") {
                XCTAssertFalse(scriptLine.hasPrefix("system("), "\(name): \(scriptLine)", file: file, line: line)
            }
            XCTAssertFalse(script.contains("`"), "\(name) holds a backtick", file: file, line: line)
        }
    }

    func testARunReportRunsNothingFromTheRunFolder() throws {
        for index in 0..<payloads(folder).count {
            let marker = folder.appendingPathComponent("marker\(index)")
            let run = try hostileRun(index, marker: marker)
            let page = try RunReport(run: try RunReader().read(run)).write(to: run.appendingPathComponent("report"))
            try assertSafe(page, marker: marker)
        }
    }

    func testAComparisonReportRunsNothingFromTheRunFolders() throws {
        let marker = folder.appendingPathComponent("marker")
        let runs = try (0..<payloads(folder).count).map { try RunReader().read(try hostileRun($0, marker: marker)) }
        let page = try ComparisonReport(runs: runs).write(to: folder.appendingPathComponent("comparison"))
        try assertSafe(page, marker: marker)
    }
}
