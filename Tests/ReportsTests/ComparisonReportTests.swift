import Foundation
import Reports
import RunFormat
import XCTest

/// The comparison of several runs: ranking, shared scales, snapshots and real rendering.
final class ComparisonReportTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Three runs: a long one (lower final loss), a short one, and one killed before its end.
    private func runs() throws -> [RunData] {
        var long = RunFixture(); long.name = "long"; long.steps = 12
        var short = RunFixture(); short.name = "short"; short.steps = 6
        var killed = RunFixture(); killed.name = "killed"; killed.status = .running; killed.pid = Int32.max
        return try [short, long, killed].map { fixture in
            let url = folder.appendingPathComponent(fixture.name)
            try fixture.write(to: url)
            return try RunReader().read(url)
        }
    }

    func testRanksCompletedRunsFirstThenByValidationLossThenLoss() throws {
        let report = ComparisonReport(runs: try runs())
        // long and short completed (long's validation loss lower); killed's last validation loss on disk
        // (step 8) is lower than short's, but a run that did not finish ranks after those that did.
        XCTAssertEqual(report.ranking().map { report.runs[$0].manifest.name }, ["long", "short", "killed"])
        let killed = try XCTUnwrap(report.assessments.first { $0.name == "killed" })
        XCTAssertEqual(killed.status, .interrupted)
        XCTAssertNotNil(killed.validationLoss, "the last validation loss on disk stands in for run.json's")
        XCTAssertLessThan(try XCTUnwrap(killed.validationLoss), try XCTUnwrap(report.assessments.first { $0.name == "short" }?.validationLoss))
    }

    func testPanelsShareOneColourScale() throws {
        let figures = ComparisonReport(runs: try runs()).figures()
        XCTAssertEqual(figures.map(\.name), ["compare-loss", "compare-flow", "compare-heatmap-grad-norm",
                                             "compare-heatmap-update-ratio"])
        let heatmap = figures[2].script(formats: [.png])
        XCTAssertEqual(heatmap.components(separatedBy: "set cbrange").count - 1, 1, "one colour range for all panels")
        XCTAssertEqual(heatmap.components(separatedBy: "with image").count - 1, 3, "a panel per run")
        let flow = figures[1].script(formats: [.png])
        let ranges = Set(flow.split(separator: "\n").filter { $0.hasPrefix("set yrange") })
        XCTAssertEqual(ranges.count, 1, "one gradient scale for all panels: \(ranges)")
    }

    func testScriptsAndPageMatchTheirSnapshots() throws {
        let report = ComparisonReport(runs: try runs(), formats: [.png])
        let figures = report.figures()
        for figure in figures {
            try assertSnapshot(figure.script(formats: [.png]), named: "\(figure.name).gp")
        }
        try assertSnapshot(report.html(figures: figures), named: "comparison.html")
    }

    func testRendersForReal() throws {
        let out = folder.appendingPathComponent("comparison")
        let index = try ComparisonReport(runs: try runs(), formats: [.svg, .png]).write(to: out)
        let html = try String(contentsOf: index, encoding: .utf8)
        XCTAssertTrue(html.contains("src=\"figures/compare-flow.svg\""))
        XCTAssertTrue(html.contains("killed: run.json still says running"))
        for name in ["compare-loss", "compare-flow", "compare-heatmap-grad-norm"] {
            for ext in ["png", "svg", "gp"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("figures/\(name).\(ext)").path),
                              "\(name).\(ext)")
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("data/run3/steps.csv").path))
    }
}
