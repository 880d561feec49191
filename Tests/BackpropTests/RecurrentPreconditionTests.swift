import Backprop
import Foundation
import XCTest

/// A token id outside the table, or a sequence of the wrong width, stops with a precondition that names
/// the values; each scenario runs in a child process (this test binary again, filtered to one scenario).
final class RecurrentPreconditionTests: XCTestCase {
    private func runScenario(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["BackpropTests.RecurrentPreconditionScenarios/\(name)"]
        var environment = ProcessInfo.processInfo.environment
        environment["GRADLAB_PRECONDITION_SCENARIO"] = "1"
        process.environment = environment
        let errors = Pipe(), output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, "\(name) must stop the process", file: file, line: line)
        return text
    }

    func testATokenIdOutOfRangeNamesItsValueAndPosition() throws {
        let text = try runScenario("testTokenIdRange")
        XCTAssertTrue(text.contains("Embedding(10, 2): token id 10.0 at position 3 of input [2, 2] is not a whole number in 0..<10"), text)
    }

    func testAFractionalTokenIdIsRefused() throws {
        let text = try runScenario("testFractionalTokenId")
        XCTAssertTrue(text.contains("token id 1.5 at position 0"), text)
    }

    func testASequenceOfTheWrongWidthStopsTheBuild() throws {
        let text = try runScenario("testSequenceWidth")
        XCTAssertTrue(text.contains("layer 0 (LSTM(3, 4, batch_first=True)) takes per-example input [T, 3], got [6, 2]"), text)
    }
}

/// The scenarios: in a normal run each checks the well-formed case; in the child process it makes the
/// mistake and must stop.
final class RecurrentPreconditionScenarios: XCTestCase {
    private var makesMistake: Bool { ProcessInfo.processInfo.environment["GRADLAB_PRECONDITION_SCENARIO"] == "1" }

    func testTokenIdRange() {
        var generator = RandomGenerator(seed: 1)
        let embedding = Embedding<Float>(numEmbeddings: 10, embeddingDim: 2, generator: &generator)
        let y = embedding.forward(Tensor(shape: [2, 2], scalars: [0, 9, 3, makesMistake ? 10 : 4]), mode: .training)
        XCTAssertEqual(y.shape, [2, 2, 2])
    }

    func testFractionalTokenId() {
        var generator = RandomGenerator(seed: 1)
        let embedding = Embedding<Double>(numEmbeddings: 10, embeddingDim: 2, generator: &generator)
        let y = embedding.forward(Tensor(shape: [1, 1], scalars: [makesMistake ? 1.5 : 1]), mode: .training)
        XCTAssertEqual(y.scalars, Array(embedding.weight.value.scalars[2..<4]))
    }

    func testSequenceWidth() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential<Float>([LSTM<Float>(inputSize: 3, hiddenSize: 4, generator: &generator)],
                                      inputShape: [6, makesMistake ? 2 : 3])
        XCTAssertEqual(model.layers.count, 1)
    }
}
