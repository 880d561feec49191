import Backprop
import XCTest

final class TrainerTests: XCTestCase {
    private func spiralsRun(seed: UInt64, steps: Int, observers: [any TrainingObserver<Float>] = [])
        -> (summary: TrainingSummary, trainer: Trainer<Float>)
    {
        var generator = RandomGenerator(seed: seed)
        let data: Dataset<Float> = SyntheticData.spirals(count: 600, arms: 3, noise: 0.05, generator: &generator)
        let model = Sequential<Float>.multilayerPerceptron(sizes: [2, 64, 64, 3], activation: .relu,
                                                           initializer: .heNormal(), generator: &generator)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Float>(),
                              optimizer: Adam(parameters: model.parameters),
                              trainingData: data,
                              options: TrainingOptions(budget: .steps(steps), batchSize: 64, learningRate: 0.01,
                                                       evaluationInterval: 500, seed: seed))
        trainer.observers = observers
        return (trainer.run(), trainer)
    }

    /// ReLU + Adam learns three interleaved spirals: at least 95% training accuracy with a fixed seed
    /// and 1500 steps.
    func testReLUAndAdamLearnSpirals() throws {
        let (summary, _) = spiralsRun(seed: 7, steps: 1500)
        XCTAssertEqual(summary.status, .completed)
        XCTAssertEqual(summary.stepsCompleted, 1500)
        let accuracy = try XCTUnwrap(summary.lastEvaluation?.trainAccuracy)
        XCTAssertGreaterThanOrEqual(accuracy, 0.95, "seed 7")
    }

    func testSameSeedGivesTheSameLossTrajectoryBitForBit() {
        let a = Recorder(), b = Recorder(), c = Recorder()
        _ = spiralsRun(seed: 3, steps: 60, observers: [a])
        _ = spiralsRun(seed: 3, steps: 60, observers: [b])
        _ = spiralsRun(seed: 4, steps: 60, observers: [c])
        XCTAssertEqual(a.losses.count, 60)
        XCTAssertEqual(a.losses.map(\.bitPattern), b.losses.map(\.bitPattern))
        XCTAssertNotEqual(a.losses, c.losses)
    }

    func testObserversSeeEventsInOrderWithTheRightShapes() {
        let recorder = Recorder(detailEvery: 7)
        let (summary, trainer) = spiralsRun(seed: 5, steps: 30, observers: [recorder])
        XCTAssertEqual(summary.stepsCompleted, 30)
        // begin, then for each step (gradients if detailed) then finish, one evaluation at the end, end.
        var expected = ["begin"]
        for step in 1...30 {
            if step % 7 == 0 { expected.append("gradients \(step)") }
            expected.append("finish \(step)\(step % 7 == 0 ? " detailed" : "")")
        }
        expected += ["evaluation 30", "end completed"]
        XCTAssertEqual(recorder.events, expected)
        // The layer view of step 28 (a full batch: 600 examples make 9 batches of 64 and one of 24):
        // Linear(2,64), ReLU, Linear(64,64), ReLU, Linear(64,3) at batch 64.
        XCTAssertEqual(recorder.layerKinds, ["Linear", "ReLU", "Linear", "ReLU", "Linear"])
        XCTAssertEqual(recorder.outputShapes, [[64, 64], [64, 64], [64, 64], [64, 64], [64, 3]])
        XCTAssertEqual(recorder.outputGradientShapes, recorder.outputShapes)
        XCTAssertEqual(recorder.parameterNames, [["0.weight", "0.bias"], [], ["2.weight", "2.bias"], [],
                                                 ["4.weight", "4.bias"]])
        // The recorded update is the change the optimizer made to the weights (to Float-lane rounding).
        XCTAssertEqual(recorder.updateMatchesWeightChange, [true, true, true, true])
        XCTAssertEqual(trainer.model.parameters.count, recorder.updateCount)
    }

    func testNonFiniteLossStopsTheRunAsDiverged() {
        var generator = RandomGenerator(seed: 1)
        let data: Dataset<Double> = SyntheticData.sine(count: 64, noise: 0, generator: &generator)
        let model = Sequential<Double>.multilayerPerceptron(sizes: [1, 8, 1], activation: .relu,
                                                            initializer: .heNormal(), generator: &generator)
        let recorder = DoubleRecorder()
        // A learning rate of 1e6 on MSE makes the loss overflow within a few steps.
        let trainer = Trainer(model: model, loss: MeanSquaredError<Double>(),
                              optimizer: SGD(parameters: model.parameters),
                              trainingData: data, options: TrainingOptions(budget: .steps(100), batchSize: 16,
                                                                           learningRate: 1e6))
        trainer.observers = [recorder]
        let summary = trainer.run()
        XCTAssertEqual(summary.status, .diverged)
        XCTAssertLessThan(summary.stepsCompleted, 100)
        XCTAssertFalse(recorder.records.last!.loss.isFinite)
        XCTAssertFalse(recorder.records.last!.updated, "the diverged step is not applied")
        XCTAssertEqual(recorder.records.count, summary.stepsCompleted + 1)
    }

    func testEpochBudgetAndClippingAreReported() {
        var generator = RandomGenerator(seed: 2)
        let data: Dataset<Float> = SyntheticData.moons(count: 100, noise: 0.1, generator: &generator)
        let model = Sequential<Float>.multilayerPerceptron(sizes: [2, 8, 2], activation: .tanh,
                                                           generator: &generator)
        let recorder = Recorder()
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Float>(),
                              optimizer: SGD(parameters: model.parameters), trainingData: data,
                              options: TrainingOptions(budget: .epochs(3), batchSize: 32, learningRate: 0.5,
                                                       clipping: .norm(1e-3)))
        trainer.observers = [recorder]
        let summary = trainer.run()
        XCTAssertEqual(summary.stepsCompleted, 12, "3 epochs of ⌈100/32⌉ = 4 batches")
        XCTAssertEqual(recorder.epochs, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        XCTAssertTrue(recorder.clipped.allSatisfy { $0 }, "a 1e−3 threshold clips every step")
        XCTAssertTrue(recorder.norms.allSatisfy { $0 > 1e-3 }, "norms are reported before clipping")
    }
}

/// Records the events a trainer sends.
final class Recorder: TrainingObserver {
    typealias Scalar = Float
    let detailEvery: Int?
    var events: [String] = []
    var losses: [Float] = []
    var epochs: [Int] = []
    var clipped: [Bool] = []
    var norms: [Double] = []
    var layerKinds: [String] = []
    var outputShapes: [[Int]] = []
    var outputGradientShapes: [[Int]] = []
    var parameterNames: [[String]] = []
    var updateMatchesWeightChange: [Bool] = []
    var updateCount = 0
    private var weightsBefore: [[Float]] = []

    init(detailEvery: Int? = nil) { self.detailEvery = detailEvery }

    func trainingWillBegin(_ trainer: Trainer<Float>) { events.append("begin") }
    func wantsDetails(atStep step: Int) -> Bool { detailEvery.map { step % $0 == 0 } ?? false }
    func stepDidComputeGradients(_ details: StepDetails<Float>) {
        events.append("gradients \(details.step)")
        layerKinds = details.layers.map(\.kind)
        outputShapes = details.layers.map(\.output.shape)
        outputGradientShapes = details.layers.map { $0.outputGradient?.shape ?? [] }
        parameterNames = details.layers.map { $0.parameters.map(\.name) }
        weightsBefore = details.layers.flatMap(\.parameters).map(\.parameter.value.scalars)
    }
    func stepDidFinish(_ record: StepRecord, details: StepDetails<Float>?) {
        events.append("finish \(record.step)\(details == nil ? "" : " detailed")")
        losses.append(Float(record.loss))
        epochs.append(record.epoch)
        clipped.append(record.clipped)
        norms.append(record.gradientNorm)
        if let details {
            let after = details.layers.flatMap(\.parameters).map(\.parameter.value.scalars)
            // The norms the optimizer measured against those of the weights' change, computed here.
            let norm = { (v: [Float]) in v.map { Double($0) * Double($0) }.reduce(0, +).squareRoot() }
            let change = zip(after, weightsBefore).map { zip($0, $1).map { $0 - $1 } }
            // Float lanes over 256-element blocks: about 1e-6 relative at most.
            let close = { (a: Double, b: Double) in abs(a - b) <= 4e-6 * max(abs(b), 1e-30) }
            updateMatchesWeightChange.append(details.updates.count == change.count && zip(details.updates, zip(change, after))
                .allSatisfy { close($0.updateNorm, norm($1.0)) && close($0.weightNorm, norm($1.1)) && $0.updateNorm > 0 })
            updateCount = details.updates.count
        }
    }
    func evaluationDidFinish(_ record: EvaluationRecord) { events.append("evaluation \(record.step)") }
    func trainingDidEnd(_ summary: TrainingSummary) { events.append("end \(summary.status.rawValue)") }
}

final class DoubleRecorder: TrainingObserver {
    typealias Scalar = Double
    var records: [StepRecord] = []
    func stepDidFinish(_ record: StepRecord, details: StepDetails<Double>?) { records.append(record) }
}
