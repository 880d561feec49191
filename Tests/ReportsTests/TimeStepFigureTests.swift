import Foundation
import Reports
import RunFormat
import XCTest

/// The figures of recurrent layers, from a hand-written timesteps.csv (`RunFixture.recurrent`): the numbers
/// in their data, their place in the page beside their findings, shared scales in comparisons, and real
/// rendering.
final class TimeStepFigureTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-time-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func recurrentFixture(name: String = "rnn", scale: Double = 1, steps: Int = 8) -> RunFixture {
        var fixture = RunFixture()
        fixture.name = name
        fixture.recurrent = true
        fixture.timeScale = scale
        fixture.steps = steps
        return fixture
    }

    private func makeRun(_ fixture: RunFixture) throws -> RunData {
        let url = folder.appendingPathComponent(fixture.name)
        try fixture.write(to: url)
        return try RunReader().read(url)
    }

    private func figure(_ name: String, in figures: [Figure], file: StaticString = #filePath,
                        line: UInt = #line) throws -> Figure {
        try XCTUnwrap(figures.first { $0.name == name }, "no \(name) among \(figures.map(\.name))", file: file, line: line)
    }

    /// The lines of `text` that hold numbers (no comments, no blank lines), split into fields.
    private func dataLines(_ text: String) -> [[String]] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
    }

    func testTheHeatmapHoldsLog10OfEveryRecordedNorm() throws {
        let fixture = recurrentFixture()
        let run = try makeRun(fixture)
        XCTAssertEqual(run.timeSteps.count, 8 * 2 * 6, "8 steps, 2 stacked layers, 6 time steps")
        let heatmap = try figure("time-heatmap", in: RunReport(run: run).figures())
        let data = try XCTUnwrap(heatmap.data.first { $0.file == "time-heatmap.dat" }).contents
        let blocks = data.components(separatedBy: "\n\n\n")
        XCTAssertEqual(blocks.count, 2, "one block per stacked layer")
        for (stack, block) in blocks.enumerated() {
            let lines = dataLines(block)
            XCTAssertEqual(lines.count, 8 * 6)
            for fields in lines {
                let (t, step) = (Int(fields[0])!, Int(fields[1])!)
                XCTAssertEqual(fields[2], "\(log10(fixture.timeGradientNorm(step: step, stack: stack, t: t)))",
                               "stack \(stack), step \(step), t \(t)")
            }
        }
        let script = heatmap.script(formats: [.png])
        XCTAssertEqual(script.components(separatedBy: "with image").count - 1, 2, "a panel per stacked layer")
        // log10 runs from −(T − 1)·8/4 − 1 = −11 (t = 1 at the last step, stack 1) to 0 (t = T, stack 0).
        XCTAssertTrue(script.contains("set cbrange [-11.0:0.0]"), script)
        XCTAssertTrue(script.contains("set title 'layer 0, stack 1' noenhanced"), script)
    }

    func testTheLinePlotShowsAFewStepsOnOneLogAxis() throws {
        let fixture = recurrentFixture()
        let figures = RunReport(run: try makeRun(fixture)).figures()
        let lines = try figure("time-grad-norm", in: figures)
        let data = try XCTUnwrap(lines.data.first).contents
        let blocks = data.components(separatedBy: "\n\n\n")
        // First, three between and the last of eight recorded steps, for each stacked layer.
        let shown = [1, 3, 5, 7, 8]
        XCTAssertEqual(blocks.count, 2 * shown.count)
        for (k, block) in blocks.enumerated() {
            let (stack, step) = (k / shown.count, shown[k % shown.count])
            XCTAssertTrue(block.hasPrefix("# layer 0, stack \(stack), step \(step): t grad_norm"), block)
            XCTAssertEqual(dataLines(block).map { $0[1] },
                           (1...6).map { "\(fixture.timeGradientNorm(step: step, stack: stack, t: $0))" })
        }
        let script = lines.script(formats: [.png])
        XCTAssertEqual(script.split(separator: "\n").filter { $0.hasPrefix("set yrange") }, ["set yrange [1e-11:1.0]"],
                       "one log axis for every panel")
        XCTAssertTrue(script.contains("title 'step 8'"))

        let gates = try figure("time-gates", in: figures)
        let gateBlocks = try XCTUnwrap(gates.data.first).contents.components(separatedBy: "\n\n\n")
        XCTAssertEqual(gateBlocks.count, 2 * 4, "four LSTM gates in each stacked layer")
        XCTAssertTrue(gateBlocks[1].hasPrefix("# layer 0, stack 0, gate f"), gateBlocks[1])
        XCTAssertEqual(dataLines(gateBlocks[1]).map { $0[1] }, (1...8).map { "\(fixture.gateSaturation("f", step: $0))" },
                       "the mean over t of the saturated fraction")
    }

    func testThePageListsTheFiguresWithTheirFindingsAndTheTimeRatio() throws {
        var fixture = recurrentFixture()
        fixture.findingKind = .vanishingThroughTime
        fixture.layerName = "2"
        let report = RunReport(run: try makeRun(fixture))
        let figures = report.figures()
        XCTAssertEqual(Array(figures.map(\.name).drop { $0 != "time-heatmap" }.prefix(3)),
                       ["time-heatmap", "time-grad-norm", "time-gates"])
        let page = report.html(figures: figures)
        let pair = try XCTUnwrap(page.range(of: "<div class=\"pair\">\n<figure data-for=\"time-grad-norm\""),
                                 "the finding is beside the line plot")
        XCTAssertTrue(page[pair.upperBound...].prefix(3000).contains(FindingKind.vanishingThroughTime.title))
        XCTAssertTrue(page.contains("src=\"figures/time-heatmap.png\""))
        let ratio = fixture.timeGradientNorm(step: 8, stack: 1, t: 1) / fixture.timeGradientNorm(step: 8, stack: 1, t: 6)
        XCTAssertEqual(RunAssessment(run: report.run).timeRatio, ratio)
        XCTAssertTrue(page.contains("time ratio (‖∂L/∂h_1‖/‖∂L/∂h_T‖)"), "the summary shows it")
    }

    func testARunWithoutTimeStepsDrawsNoTimeFigures() throws {
        let names = RunReport(run: try makeRun(RunFixture())).figures().map(\.name)
        XCTAssertFalse(names.contains { $0.hasPrefix("time-") }, "\(names)")
        // One recorded step cannot be an image, but its line is drawn.
        let one = RunReport(run: try makeRun(recurrentFixture(name: "one", steps: 1))).figures().map(\.name)
        XCTAssertFalse(one.contains("time-heatmap"))
        XCTAssertTrue(one.contains("time-grad-norm"))
    }

    func testAComparisonSharesOneColourRangeAndOneAxis() throws {
        let runs = try [recurrentFixture(name: "small", scale: 1), recurrentFixture(name: "large", scale: 1000),
                        RunFixture()].map(makeRun)
        let report = ComparisonReport(runs: runs, formats: [.png])
        let figures = report.figures()
        let heatmaps = try figure("compare-time-heatmap", in: figures).script(formats: [.png])
        XCTAssertEqual(heatmaps.components(separatedBy: "set cbrange").count - 1, 1, "one colour range for all panels")
        // From the small run's t = 1 of stack 1 (log10 = −11) to the large run's t = T of stack 0 (3).
        XCTAssertTrue(heatmaps.contains("set cbrange [-11.0:3.0]"), heatmaps)
        XCTAssertEqual(heatmaps.components(separatedBy: "with image").count - 1, 4, "two runs × two stacked layers")
        XCTAssertTrue(heatmaps.contains("set title 'large, layer 0, stack 1' noenhanced"), heatmaps)
        let norms = try figure("compare-time-grad-norm", in: figures).script(formats: [.png])
        XCTAssertEqual(norms.split(separator: "\n").filter { $0.hasPrefix("set yrange") }, ["set yrange [1e-11:1000.0]"],
                       "one y range for all panels")

        let out = folder.appendingPathComponent("comparison")
        let index = try report.write(to: out)
        let html = try String(contentsOf: index, encoding: .utf8)
        XCTAssertTrue(html.contains("<th>time ratio</th>"), "the ranking shows the time ratio")
        for name in ["compare-time-heatmap", "compare-time-grad-norm"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("figures/\(name).png").path), name)
            XCTAssertTrue(html.contains("src=\"figures/\(name).png\""), name)
        }
    }

    func testTheRunFiguresRenderForReal() throws {
        let report = RunReport(run: try makeRun(recurrentFixture()), formats: [.png, .svg])
        let out = folder.appendingPathComponent("report")
        try report.write(to: out)
        for name in ["time-heatmap", "time-grad-norm", "time-gates"] {
            let figure = try self.figure(name, in: report.figures())
            let png = try Data(contentsOf: out.appendingPathComponent("figures/\(name).png"))
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual([width, height], [figure.width, figure.height], name)
            let svg = try String(contentsOf: out.appendingPathComponent("figures/\(name).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("<svg"), name)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("data/timesteps.csv").path))
    }
}
