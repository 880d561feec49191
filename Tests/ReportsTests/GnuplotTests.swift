import Foundation
import Reports
import XCTest

/// The CGnuplot facade renders for real (gnuplot is installed by `make setup`) and turns gnuplot's
/// failures into errors that carry gnuplot's own message.
final class GnuplotTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-gnuplot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testRendersAPNGOfTheRequestedSize() throws {
        try Gnuplot().run(script: """
            set terminal pngcairo size 320,200
            set output 'plot.png'
            plot sin(x)
            """, in: folder)
        let data = try Data(contentsOf: folder.appendingPathComponent("plot.png"))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        // The IHDR chunk holds width and height as big-endian 32-bit integers at bytes 16–23.
        let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = data[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([width, height], [320, 200])
    }

    func testScriptErrorCarriesGnuplotsMessage() {
        XCTAssertThrowsError(try Gnuplot().run(script: "plot 'no-such-file.dat' using 1:2", in: folder)) { error in
            guard case GnuplotError.failed(let status, let message) = error else {
                return XCTFail("expected .failed, got \(error)")
            }
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(message.contains("no-such-file.dat"), "gnuplot's message: \(message)")
            XCTAssertTrue("\(error)".hasPrefix("gnuplot failed (exit status"), "\(error)")
        }
    }

    func testMissingProgramSaysHowToInstall() {
        XCTAssertThrowsError(try Gnuplot(executable: "gnuplot-that-does-not-exist").run(script: "plot x", in: folder)) {
            XCTAssertEqual($0 as? GnuplotError, .notFound(executable: "gnuplot-that-does-not-exist"))
            XCTAssertTrue("\($0)".contains("make setup"), "\($0)")
        }
    }

    func testGradientFlowFigureWritesScriptDataAndImage() throws {
        let figure = GradientFlowFigure(name: "flow", title: "it's a test", series: [
            .init(label: "sigmoid", norms: [1e-9, 1e-5, 1e-1]),
            .init(label: "relu", norms: [1, 2, 3]),
        ])
        let image = try figure.render(into: folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: image.path))
        let script = try String(contentsOf: folder.appendingPathComponent("flow.gp"), encoding: .utf8)
        XCTAssertTrue(script.contains("set title 'it''s a test'"), "quotes are doubled inside gnuplot strings")
        XCTAssertTrue(script.contains("'flow.dat' index 1 using 1:2"))
        let data = try String(contentsOf: folder.appendingPathComponent("flow.dat"), encoding: .utf8)
        XCTAssertEqual(data, "# sigmoid\n1 1e-09\n2 1e-05\n3 0.1\n\n\n# relu\n1 1.0\n2 2.0\n3 3.0\n")
        // Re-rendering from the written script alone works: the figure is reproducible.
        try FileManager.default.removeItem(at: image)
        try Gnuplot().run(script: script, in: folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: image.path))
    }
}
