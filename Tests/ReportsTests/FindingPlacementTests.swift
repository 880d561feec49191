import Foundation
import Reports
import RunFormat
import XCTest

/// Where the report shows each kind of finding: beside the figure the kind names, under its title.
final class FindingPlacementTests: XCTestCase {
    func testEachKindIsListedBesideItsFigureUnderItsTitle() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-kinds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var withTimeSteps = RunFixture()
        withTimeSteps.recurrent = true  // the figures of the kinds about recurrent layers
        try withTimeSteps.write(to: folder)
        let fixture = try RunReader().read(folder)
        let drawn = RunReport(run: fixture).figures().map(\.name)
        for kind in FindingKind.allCases {
            XCTAssertTrue(drawn.contains(kind.figure), "\(kind): no figure '\(kind.figure)' among \(drawn)")
            var run = fixture
            run.findings = [FindingRow(step: 3, layer: "0", kind: kind, severity: .error, value: 1, threshold: 1,
                                       message: "the message")]
            let report = RunReport(run: run)
            let page = report.html(figures: report.figures())
            let listed = try XCTUnwrap(page.range(of: "<strong>F1</strong>"), "\(kind) is listed")
            let pair = try XCTUnwrap(page[..<listed.lowerBound].range(of: "<div class=\"pair\">", options: .backwards))
            XCTAssertTrue(page[pair.upperBound..<listed.lowerBound].contains("data-for=\"\(kind.figure)\""),
                          "\(kind) is beside the \(kind.figure) figure")
            XCTAssertTrue(page.contains("<strong>\(kind.title)</strong>"), "\(kind): its title")
            XCTAssertTrue(page.contains("<span class=\"error\">error</span>"), "\(kind): its severity")
        }
    }
}
