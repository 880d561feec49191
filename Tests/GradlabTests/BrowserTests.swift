import Foundation
import XCTest

/// The HTML reports opened in a real headless browser (Debian's chromium-headless-shell, installed by
/// `make setup`): every image loads and the console stays silent.
final class BrowserTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Loads `page` in an iframe of a harness page whose script lists the images that did not load; returns
    /// (images, broken, console lines).
    private func open(_ page: URL) throws -> (images: Int, broken: [String], console: [String]) {
        let harness = folder.appendingPathComponent("harness-\(UUID().uuidString).html")
        try """
            <!DOCTYPE html><html><body><div id="result">pending</div>
            <iframe id="f" src="\(page.absoluteString)" style="width:1300px;height:60000px"></iframe>
            <script>
            document.getElementById('f').addEventListener('load', function () {
              var images = this.contentDocument.images, broken = [];
              for (var i = 0; i < images.length; i++) {
                if (!images[i].complete || images[i].naturalWidth === 0) broken.push(images[i].getAttribute('src'));
              }
              document.getElementById('result').textContent = 'images=' + images.length + ';broken=' + broken.join('|');
            });
            </script></body></html>
            """.write(to: harness, atomically: true, encoding: .utf8)
        let browser = "/usr/bin/chromium-headless-shell"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: browser),
                      "\(browser) is missing: run `make setup` (it installs chromium-headless-shell)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                             "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0", "--dump-dom",
                             harness.absoluteString]
        let output = Pipe()
        let log = folder.appendingPathComponent("browser.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let console = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { $0.contains(":CONSOLE") }
        guard let range = dom.range(of: #"images=(\d+);broken=([^<]*)"#, options: .regularExpression) else {
            XCTFail("the harness did not report: \(dom.prefix(500))")
            return (0, [], console)
        }
        let parts = dom[range].split(separator: ";", maxSplits: 1)
        let images = Int(parts[0].dropFirst("images=".count)) ?? 0
        let broken = parts[1].dropFirst("broken=".count).split(separator: "|").map(String.init)
        return (images, broken, console)
    }

    func testRunAndComparisonReportsLoadEveryImageWithASilentConsole() throws {
        for name in ["a", "b"] {
            let run = try CommandRunner.run(["train", "--mlp", "2,8x3,3", "--activation", name == "a" ? "tanh" : "relu",
                                             "--steps", "40", "--histograms-every", "10",
                                             "--out", folder.appendingPathComponent(name).path, "--quiet"])
            XCTAssertEqual(run.status, 0, run.errors)
        }
        let single = try CommandRunner.run(["report", folder.appendingPathComponent("a").path,
                                            "--out", folder.appendingPathComponent("report-a").path])
        XCTAssertEqual(single.status, 0, single.errors)
        let both = try CommandRunner.run(["report", folder.appendingPathComponent("a").path,
                                          folder.appendingPathComponent("b").path,
                                          "--out", folder.appendingPathComponent("report-ab").path])
        XCTAssertEqual(both.status, 0, both.errors)
        for report in ["report-a", "report-ab"] {
            let result = try open(folder.appendingPathComponent(report).appendingPathComponent("index.html"))
            XCTAssertGreaterThan(result.images, 3, report)
            XCTAssertEqual(result.broken, [], report)
            XCTAssertEqual(result.console, [], report)
        }
    }

    func testTheHarnessSeesABrokenImage() throws {
        let run = try CommandRunner.run(["train", "--mlp", "2,4,3", "--steps", "10", "--out",
                                         folder.appendingPathComponent("r").path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.errors)
        let report = folder.appendingPathComponent("report")
        XCTAssertEqual(try CommandRunner.run(["report", folder.appendingPathComponent("r").path, "--out", report.path]).status, 0)
        try FileManager.default.removeItem(at: report.appendingPathComponent("figures/loss.png"))
        let result = try open(report.appendingPathComponent("index.html"))
        XCTAssertEqual(result.broken, ["figures/loss.png"])
    }
}
