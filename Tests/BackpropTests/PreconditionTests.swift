import Backprop
import Foundation
import XCTest

/// A programmer's mistake (a shape mismatch between two layers) stops with a precondition whose message
/// names both shapes. A precondition ends the process, so each scenario runs in a child process: this
/// test binary again, filtered to one scenario, with `GRADLAB_PRECONDITION_SCENARIO` set.
final class PreconditionTests: XCTestCase {
    private func runScenario(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["BackpropTests.PreconditionScenarios/\(name)"]
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

    func testDenseInputWidthMismatchNamesBothShapes() throws {
        let text = try runScenario("testDenseInputWidth")
        XCTAssertTrue(text.contains("Linear(3, 2): expected input of shape [batch, ..., 3], got [5, 4]"), text)
    }

    func testLayerChainMismatchNamesBothSizes() throws {
        let text = try runScenario("testLayerChain")
        XCTAssertTrue(text.contains("layer 2 (Linear(4, 2)) takes per-example input [..., 4], got [3]"), text)
    }

    func testMismatchInsideABlockStopsTheBuildNamingTheLayer() throws {
        let text = try runScenario("testBlockShapes")
        XCTAssertTrue(text.contains("layer 1.0 (Linear(4, 3)) takes per-example input [..., 4], got [3]"), text)
    }

    func testLossShapeMismatchNamesBothShapes() throws {
        let text = try runScenario("testLossShapes")
        XCTAssertTrue(text.contains("mse: prediction shape [2, 3] and target shape [3, 2] differ"), text)
    }
}

/// The scenarios: in a normal run each checks the well-formed case; in the child process it makes the
/// mistake and must stop.
final class PreconditionScenarios: XCTestCase {
    private var makesMistake: Bool { ProcessInfo.processInfo.environment["GRADLAB_PRECONDITION_SCENARIO"] == "1" }

    func testDenseInputWidth() {
        var generator = RandomGenerator(seed: 1)
        let dense = Dense<Float>(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let y = dense.forward(Tensor(shape: [5, makesMistake ? 4 : 3]), mode: .training)
        XCTAssertEqual(y.shape, [5, 2])
    }

    func testLayerChain() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential<Float>([
            Dense<Float>(inputFeatures: 2, outputFeatures: 3, generator: &generator),
            ActivationLayer<Float>(.relu),
            Dense<Float>(inputFeatures: makesMistake ? 4 : 3, outputFeatures: 2, generator: &generator),
        ])
        XCTAssertEqual(model.checkedOutputShape(forInputShape: [2]), [2])
    }

    func testBlockShapes() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential<Float>([
            Dense<Float>(inputFeatures: 2, outputFeatures: 3, generator: &generator),
            Residual<Float>(Sequential<Float>([
                Dense<Float>(inputFeatures: makesMistake ? 4 : 3, outputFeatures: 3, generator: &generator),
                ActivationLayer<Float>(.relu),
            ])),
        ], inputShape: [2])
        XCTAssertEqual(model.namedLayers.map(\.name), ["", "0", "1", "1.0", "1.1"])
    }

    func testLossShapes() {
        let loss = MeanSquaredError<Double>()
        let target = Tensor<Double>(shape: makesMistake ? [3, 2] : [2, 3], repeating: 1)
        XCTAssertEqual(loss.forward(Tensor(shape: [2, 3], repeating: 3), .values(target)), 4)
    }
}
