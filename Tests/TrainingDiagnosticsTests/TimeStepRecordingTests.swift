import Backprop
import Foundation
import RunFormat
import XCTest
@testable import TrainingDiagnostics

/// A stand-in recurrent layer whose traces have a closed form: the scalar linear recurrence
///
/// ```
/// h_t = a·h_{t−1} + x_t,   h_0 = 0,   t = 1...T
/// ```
/// over an input `[batch, T]` (one scalar per time step), giving every h_t (`[batch, T]`) or h_T alone
/// (`[batch, 1]`, as `out[:, -1]`). Backpropagation through time: ∂L/∂h_t = ∂L/∂out_t + a·∂L/∂h_{t+1}, and
/// ∂L/∂a = Σ_t Σ_b ∂L/∂h_t · h_{t−1}. It reports a fixed gate `f` (mean 0.1·t, saturated fraction
/// 0.05·t) when `hasGate` is set, and remembers whether tracing was on at each forward pass.
final class ScalarRecurrence: Layer, TimeTracing {
    typealias Scalar = Double
    let a: Parameter<Double>
    let lastOnly: Bool
    let hasGate: Bool
    var isTracingTime = false
    private(set) var timeTraces: [TimeTrace] = []
    /// (mode, isTracingTime) at every forward call.
    private(set) var forwardCalls: [(mode: Mode, tracing: Bool)] = []
    private var hidden: [Double] = []
    private var shape = (batch: 0, steps: 0)

    init(a: Double, lastOnly: Bool, hasGate: Bool = false) {
        self.a = Parameter(Tensor(shape: [], scalars: [a]))
        self.lastOnly = lastOnly
        self.hasGate = hasGate
    }

    var kind: String { "RNN" }
    var parameters: [NamedParameter<Double>] { [NamedParameter(name: "weight_hh_l0", parameter: a, role: .weight)] }
    var timeTracing: (any TimeTracing)? { self }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] { lastOnly ? [1] : shape }

    func forward(_ input: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        forwardCalls.append((mode, isTracingTime))
        let (batch, steps) = (input.shape[0], input.shape[1])
        shape = (batch, steps)
        let a = self.a.value[0]
        hidden = Array(repeating: 0, count: batch * steps)
        for b in 0..<batch {
            var h = 0.0
            for t in 0..<steps {
                h = a * h + input[b * steps + t]
                hidden[b * steps + t] = h
            }
        }
        if isTracingTime {
            let norms = (0..<steps).map { t in Self.norm(column: t, of: hidden, batch: batch, steps: steps) }
            let gates = hasGate ? [GateTrace(name: "f", means: (1...steps).map { 0.1 * Double($0) },
                                             saturatedFractions: (1...steps).map { 0.05 * Double($0) })] : []
            timeTraces = [TimeTrace(stack: 0, gradientNorms: [], hiddenNorms: norms, gates: gates)]
        }
        if lastOnly { return Tensor(shape: [batch, 1], scalars: (0..<batch).map { hidden[$0 * steps + steps - 1] }) }
        return Tensor(shape: [batch, steps], scalars: hidden)
    }

    func backward(_ outputGradient: Tensor<Double>) -> Tensor<Double> {
        let (batch, steps) = shape
        let a = self.a.value[0]
        var dh = Array(repeating: 0.0, count: batch * steps)
        var da = 0.0
        for b in 0..<batch {
            var carried = 0.0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let fromOutput = lastOnly ? (t == steps - 1 ? outputGradient[b] : 0) : outputGradient[b * steps + t]
                carried = fromOutput + a * carried
                dh[b * steps + t] = carried
                if t > 0 { da += carried * hidden[b * steps + t - 1] }
            }
        }
        let gradient = self.a.gradient
        gradient[0] += da
        if isTracingTime, !timeTraces.isEmpty {
            timeTraces[0].gradientNorms = (0..<steps).map { t in Self.norm(column: t, of: dh, batch: batch, steps: steps) }
        }
        return Tensor(shape: [batch, steps], scalars: dh)
    }

    /// The norm over the batch of time step `column` of a row-major `[batch, steps]` array.
    static func norm(column: Int, of values: [Double], batch: Int, steps: Int) -> Double {
        var sum = 0.0
        for b in 0..<batch { sum += values[b * steps + column] * values[b * steps + column] }
        return sum.squareRoot()
    }
}

/// Recording through time: timesteps.csv holds, on the recorded steps only, the closed-form norms of the
/// stand-in recurrences; run.json the time ratio; the reader reads it back and refuses a malformed one.
final class TimeStepRecordingTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("timesteps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Four sequences of T = 5 scalars and their targets.
    private let inputs: [[Double]] = [[1, 0, 0, 0, 0], [0.5, -1, 2, 0, 1], [0, 0, 0, 0, 1], [-2, 1, 0.25, 3, -1]]
    private let targets: [Double] = [0.3, -0.2, 1.5, 0.7]
    private let a1 = 0.5, a2 = 0.8

    private func recordedRun(steps: Int, recordEvery: Int, layers: [ScalarRecurrence],
                             thresholds: DetectorThresholds = DetectorThresholds()) throws -> Trainer<Double> {
        let data = Dataset<Double>(inputs: Tensor(shape: [4, 5], scalars: inputs.flatMap { $0 }),
                                   targets: .values(Tensor(shape: [4, 1], scalars: targets)))
        let model = Sequential<Double>(layers)
        // Learning rate 0 keeps a₁ and a₂ fixed, and the whole data set is the batch: every step's
        // traces have the closed form below, whatever order the batch comes in.
        let trainer = Trainer(model: model, loss: MeanSquaredError<Double>(),
                              optimizer: SGD(parameters: model.parameters, learningRate: 0),
                              trainingData: data, options: TrainingOptions(budget: .steps(steps), batchSize: 4,
                                                                           learningRate: 0, seed: 1))
        let recorder = try RunRecorder<Double>(
            folder: folder,
            description: RunDescription(name: "rnn", seed: 1, config: [:], modelDescription: "recurrence",
                                        dataset: .init(name: "sequences", trainingExamples: 4, validationExamples: 0,
                                                       features: 5, outputs: 1),
                                        optimizer: ["name": "sgd"]),
            options: RecordingOptions(recordEvery: recordEvery, histogramsEvery: 0, thresholds: thresholds))
        trainer.observers = [recorder]
        XCTAssertEqual(trainer.run().status, .completed)
        return trainer
    }

    private func norm(_ v: [Double]) -> Double { v.map { $0 * $0 }.reduce(0, +).squareRoot() }
    private func power(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * x } }

    /// h_t = Σ_{s≤t} a^{t−s} x_s, written out as the sum.
    private func unrolled(_ x: [Double], _ a: Double) -> [Double] {
        (0..<x.count).map { t in (0...t).map { s in power(a, t - s) * x[s] }.reduce(0, +) }
    }

    func testTimestepsHoldTheClosedFormNormsOnRecordedStepsOnly() throws {
        let first = ScalarRecurrence(a: a1, lastOnly: false, hasGate: true), second = ScalarRecurrence(a: a2, lastOnly: true)
        _ = try recordedRun(steps: 5, recordEvery: 2, layers: [first, second])

        // Closed form. Layer 1 sees layer 0's h as its input; the output is its h_T. With MSE over B = 4
        // outputs, g_b = ∂L/∂y_b = 2(y_b − target_b)/4. Then ∂L/∂h2_t = a₂^{T−t} g and, layer 0's h_t
        // reaching the loss through layer 1's h_k for every k ≥ t, ∂L/∂h1_t = Σ_{k=t}^{T} a₁^{k−t} a₂^{T−k} g.
        let T = 5
        let h1 = inputs.map { unrolled($0, a1) }, h2 = h1.map { unrolled($0, a2) }
        let g = zip(h2, targets).map { 2 * ($0.last! - $1) / 4 }
        let gNorm = norm(g)
        let expected: [String: (grad: [Double], hidden: [Double])] = [
            "0": ((1...T).map { t in abs((t...T).map { k in power(a1, k - t) * power(a2, T - k) }.reduce(0, +)) * gNorm },
                  (0..<T).map { t in norm(h1.map { $0[t] }) }),
            "1": ((1...T).map { t in power(a2, T - t) * gNorm }, (0..<T).map { t in norm(h2.map { $0[t] }) }),
        ]

        let table = try CSVTable(url: folder.appendingPathComponent("timesteps.csv"))
        XCTAssertEqual(table.columns, TimeStepRow.columns)
        let rows = try table.timeSteps()
        XCTAssertEqual(rows.map(\.step), [1, 2, 4].flatMap { Array(repeating: $0, count: 2 * T) },
                       "step 1 and every second step, ten rows each")
        XCTAssertEqual(rows.prefix(10).map(\.layer), Array(repeating: "0", count: 5) + Array(repeating: "1", count: 5))
        XCTAssertEqual(rows.prefix(10).map(\.t), Array(1...5) + Array(1...5))
        XCTAssertEqual(Set(rows.map(\.stack)), [0])
        for row in rows {
            let (grad, hidden) = expected[row.layer]!
            XCTAssertEqual(row.gradientNorm, grad[row.t - 1], accuracy: 1e-12 * grad[row.t - 1], "\(row)")
            XCTAssertEqual(row.hiddenNorm, hidden[row.t - 1], accuracy: 1e-12 * hidden[row.t - 1], "\(row)")
            if row.layer == "0" {
                XCTAssertEqual(row.gates.map(\.name), ["f"])
                XCTAssertEqual(row.gate("f")?.mean ?? 0, 0.1 * Double(row.t), accuracy: 1e-15)
                XCTAssertEqual(row.gate("f")?.saturated ?? 0, 0.05 * Double(row.t), accuracy: 1e-15)
            } else {
                XCTAssertTrue(row.gates.isEmpty, "a cell without gates leaves the gate columns empty")
            }
        }
        let fields = table.rows
        XCTAssertEqual(fields[5][table.columns.firstIndex(of: "gate_f_mean")!], "", "layer 1 has no gate f")
        XCTAssertEqual(fields[0][table.columns.firstIndex(of: "gate_i_mean")!], "", "layer 0 has only gate f")

        // Tracing was on for the training passes of steps 1, 2 and 4 only, and never for evaluation.
        for layer in [first, second] {
            XCTAssertEqual(layer.forwardCalls.filter { $0.mode == .training }.map(\.tracing), [true, true, false, true, false])
            XCTAssertFalse(layer.forwardCalls.contains { $0.mode == .evaluation && $0.tracing })
            XCTAssertFalse(layer.isTracingTime, "off once training ended")
        }

        // run.json: every layer's ratio at the last recorded step, and the smallest beside the depth ratio.
        let manifest = try RunManifest.read(from: folder)
        let ratio0 = expected["0"]!.grad[0] / expected["0"]!.grad[T - 1], ratio1 = power(a2, T - 1)
        XCTAssertEqual(manifest.timeRatios?.map(\.layer), ["0", "1"])
        XCTAssertEqual(manifest.timeRatios?[0].ratio ?? 0, ratio0, accuracy: 1e-12)
        XCTAssertEqual(manifest.timeRatios?[1].ratio ?? 0, ratio1, accuracy: 1e-12)
        XCTAssertEqual(manifest.timeRatio ?? 0, min(ratio0, ratio1), accuracy: 1e-12)

        // The one reader reads the file back, and the assessment carries the ratio.
        let run = try RunReader().read(folder)
        XCTAssertEqual(run.timeSteps, rows)
        XCTAssertTrue(run.files.contains("timesteps.csv"))
        XCTAssertEqual(RunAssessment(run: run).timeRatio, manifest.timeRatio)
        XCTAssertNoThrow(try RunFolderContents.checkReplaceable(folder), "train --force accepts the folder")
    }

    func testAModelWithoutRecurrentLayersWritesNoTimesteps() throws {
        let data = Dataset<Double>(inputs: Tensor(shape: [2, 1], scalars: [1, 2]),
                                   targets: .values(Tensor(shape: [2, 1], scalars: [1, 2])))
        var generator = RandomGenerator(seed: 1)
        let model = Sequential<Double>([Dense<Double>(inputFeatures: 1, outputFeatures: 1, initializer: .classic,
                                                      generator: &generator)])
        let trainer = Trainer(model: model, loss: MeanSquaredError<Double>(),
                              optimizer: SGD(parameters: model.parameters, learningRate: 0.1), trainingData: data,
                              options: TrainingOptions(budget: .steps(2), batchSize: 2, learningRate: 0.1))
        trainer.observers = [try RunRecorder<Double>(
            folder: folder,
            description: RunDescription(name: "mlp", seed: 1, config: [:], modelDescription: "1,1",
                                        dataset: .init(name: "d", trainingExamples: 2, validationExamples: 0,
                                                       features: 1, outputs: 1), optimizer: [:]))]
        trainer.run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("timesteps.csv").path))
        let manifest = try RunManifest.read(from: folder)
        XCTAssertNil(manifest.timeRatio)
        XCTAssertNil(manifest.timeRatios)
        XCTAssertTrue(try RunReader().read(folder).timeSteps.isEmpty)
    }

    /// A recurrence with a = 0.1 over T = 5 passes 0.1⁴ = 1e-4 of the gradient back to h_1: the detectors
    /// see the recorded traces and raise `vanishing_through_time` from the first recorded step.
    func testARecurrenceThatForgetsVanishesThroughTime() throws {
        var thresholds = DetectorThresholds()
        thresholds.sustain = 3
        _ = try recordedRun(steps: 4, recordEvery: 1, layers: [ScalarRecurrence(a: 0.1, lastOnly: true)],
                            thresholds: thresholds)
        let findings = try RunReader().read(folder).findings.filter { $0.kind == .vanishingThroughTime }
        XCTAssertEqual(findings.map(\.step), [1])
        XCTAssertEqual(findings.map(\.layer), ["0"])
        XCTAssertEqual(findings.first?.value ?? 0, 1e-4, accuracy: 1e-15)
        XCTAssertEqual(try RunManifest.read(from: folder).timeRatio ?? 0, 1e-4, accuracy: 1e-15)
    }

    func testAMalformedTimestepsFileIsRefusedWithItsLineAndColumn() throws {
        _ = try recordedRun(steps: 1, recordEvery: 1, layers: [ScalarRecurrence(a: 0.5, lastOnly: true)])
        let url = folder.appendingPathComponent("timesteps.csv")
        let original = try String(contentsOf: url, encoding: .utf8)
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let columns = TimeStepRow.columns
        /// The file with field `column` of file line `line` (1 is the header) replaced by `value`.
        func refused(line: Int, column: String, value: String, contains fragment: String,
                     file: StaticString = #filePath, lineNumber: UInt = #line) throws {
            var edited = lines
            var fields = edited[line - 1].components(separatedBy: ",")
            fields[columns.firstIndex(of: column)!] = value
            edited[line - 1] = fields.joined(separator: ",")
            try edited.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try RunReader().read(folder), file: file, line: lineNumber) { error in
                guard case RunFolderError.malformed(let path, let l, let reason) = error else {
                    return XCTFail("expected malformed, got \(error)", file: file, line: lineNumber)
                }
                XCTAssertTrue(path.hasSuffix("timesteps.csv"), path, file: file, line: lineNumber)
                XCTAssertEqual(l, line, file: file, line: lineNumber)
                XCTAssertTrue(reason.contains(fragment), reason, file: file, line: lineNumber)
            }
        }
        try refused(line: 3, column: "t", value: "2.5", contains: "'2.5' in column 't' is not a whole number")
        try refused(line: 4, column: "t", value: "0", contains: "'0' in column 't' is not a time step")
        try refused(line: 3, column: "grad_norm", value: "fast", contains: "'fast' in column 'grad_norm' is not a number")
        try refused(line: 2, column: "stack", value: "-1", contains: "'-1' in column 'stack'")
        try refused(line: 1, column: "stack", value: "layer_stack", contains: "no column 'stack'")
        try original.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try RunReader().read(folder).timeSteps.count, 5)
    }
}
