import Backprop
import Foundation
import XCTest
@testable import Experiments

final class CSVDatasetTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("csvdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func file(_ text: String) throws -> String {
        let url = folder.appendingPathComponent("data.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func assertLoadError(_ text: String, label: String? = "y", targets: [String] = [],
                                 line: Int?, column: String?, contains fragment: String,
                                 file: StaticString = #filePath, sourceLine: UInt = #line) throws {
        let path = try self.file(text)
        XCTAssertThrowsError(try CSVDataset.load(path: path, label: label, targets: targets, as: Float.self),
                             file: file, line: sourceLine) { error in
            guard let error = error as? CSVDataset.LoadError else {
                return XCTFail("expected a LoadError, got \(error)", file: file, line: sourceLine)
            }
            XCTAssertEqual(error.path, path, file: file, line: sourceLine)
            XCTAssertEqual(error.line, line, "line", file: file, line: sourceLine)
            XCTAssertEqual(error.column, column, "column", file: file, line: sourceLine)
            XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'",
                          file: file, line: sourceLine)
        }
    }

    func testNamedLabelsBecomeSortedClassesAndOtherColumnsInputs() throws {
        let path = try file("a,species,b\r\n1.5,dog,2\n\n-3,cat,4e1\n0,\"dog\",\"5\"\n")
        let data = try CSVDataset.load(path: path, label: "species", targets: [], as: Double.self)
        XCTAssertEqual(data.featureNames, ["a", "b"])
        XCTAssertEqual(data.inputs.scalars, [1.5, 2, -3, 40, 0, 5])
        guard case .classes(let labels, let count) = data.targets else { return XCTFail("expected classes") }
        XCTAssertEqual(labels, [1, 0, 1])
        XCTAssertEqual(count, 2)
    }

    func testIntegerLabelsAreTheirOwnClassNumbers() throws {
        let path = try file("x,y\n0.1,3\n0.2,0\n")
        let data = try CSVDataset.load(path: path, label: "y", targets: [], as: Float.self)
        guard case .classes(let labels, let count) = data.targets else { return XCTFail("expected classes") }
        XCTAssertEqual(labels, [3, 0])
        XCTAssertEqual(count, 4)
    }

    func testRegressionTargets() throws {
        let path = try file("t1,x,t2\n1,2,3\n4,5,6\n")
        let data = try CSVDataset.load(path: path, label: nil, targets: ["t2", "t1"], as: Float.self)
        XCTAssertEqual(data.inputs.shape, [2, 1])
        XCTAssertEqual(data.inputs.scalars, [2, 5])
        guard case .values(let values) = data.targets else { return XCTFail("expected values") }
        XCTAssertEqual(values.scalars, [3, 1, 6, 4])
    }

    func testErrorsNameFileLineAndColumn() throws {
        try assertLoadError("x,y\n1,0\n2,abc\n", label: nil, targets: ["y"], line: 3, column: "y",
                            contains: "'abc' is not a finite number")
        try assertLoadError("x,y\n1,0\nzz,1\n", line: 3, column: "x", contains: "'zz'")
        try assertLoadError("x,y\n1,0\n2,1,7\n", line: 3, column: nil, contains: "has 3 fields but the header has 2")
        try assertLoadError("", line: nil, column: nil, contains: "empty")
        try assertLoadError("x,y\n", line: 1, column: nil, contains: "no examples")
        try assertLoadError("x,y\n1,0\n", label: "class", line: 1, column: "class", contains: "no such column")
        try assertLoadError("x,y\n1,0\n", label: nil, targets: ["y", "z"], line: 1, column: "z",
                            contains: "no such column")
        try assertLoadError("x,y\nnan,0\n", line: 2, column: "x", contains: "not a finite number")
        try assertLoadError("x,y\n\"1,0\n", line: 2, column: nil, contains: "not closed")
    }

    func testAMissingFileSaysSo() {
        let path = folder.appendingPathComponent("absent.csv").path
        XCTAssertThrowsError(try CSVDataset.load(path: path, label: "y", targets: [], as: Float.self)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains("no such file"), "\(error)")
        }
    }

    func testAnExperimentTrainsFromACSVFile() throws {
        var text = "u,v,label\n"
        var generator = RandomGenerator(seed: 3)
        for _ in 0..<60 {
            let u = Double.random(in: -1...1, using: &generator), v = Double.random(in: -1...1, using: &generator)
            text += "\(u),\(v),\(u + v > 0 ? "up" : "down")\n"

        }
        var config = ExperimentConfig()
        config.data = try file(text)
        config.label = "label"
        config.steps = 5
        let experiment = try Experiment(config)
        let (train, validation) = try experiment.makeData(as: Float.self)
        XCTAssertEqual(train.count + (validation?.count ?? 0), 60)
        XCTAssertEqual(train.outputs, 2)
        let summary = try experiment.makeTrainer(as: Float.self).run()
        XCTAssertEqual(summary.stepsCompleted, 5)
    }
}
