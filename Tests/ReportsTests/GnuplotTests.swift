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
}
