import Backprop
import CAllocationCounter
import CBLAS
import Foundation

/// W8, an LSTM training step: LSTM(16, 128) over T = 50, batch 32, then LastTimeStep → Linear(128, 1),
/// MSE against a normal target, plain SGD (lr 0.01), Float, on the threads `BLASThreads` gives. The same step with
/// torch's `nn.LSTM` is timed by the peers script from the weights and batches exported here.
struct LSTMWorkload {
    static let input = 16, hidden = 128, steps = 50, batch = 32, pool = 8, learningRate = 0.01

    let seed: UInt64

    /// The model in Double (the exported weights) or rounded from them into `Scalar`.
    func model<Scalar: TensorScalar>(_: Scalar.Type) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        let double = Sequential<Double>([
            LSTM<Double>(inputSize: Self.input, hiddenSize: Self.hidden, generator: &generator),
            LastTimeStep<Double>(),
            Dense<Double>(inputFeatures: Self.hidden, outputFeatures: 1, generator: &generator),
        ], inputShape: [Self.steps, Self.input])
        var g2 = RandomGenerator(seed: seed)
        let model = Sequential<Scalar>([
            LSTM<Scalar>(inputSize: Self.input, hiddenSize: Self.hidden, generator: &g2),
            LastTimeStep<Scalar>(),
            Dense<Scalar>(inputFeatures: Self.hidden, outputFeatures: 1, generator: &g2),
        ], inputShape: [Self.steps, Self.input])
        for (d, s) in zip(model.parameters, double.parameters) {
            for i in 0..<d.parameter.value.count { d.parameter.value[i] = Scalar(s.parameter.value[i]) }
        }
        return model
    }

    /// `pool` batches: inputs `[batch, T, input]` and targets `[batch, 1]`, N(0, 1), in Double.
    func batches() -> (x: [[Double]], y: [[Double]]) {
        var generator = RandomGenerator(seed: seed &+ 6)
        let x = (0..<Self.pool).map { _ in (0..<(Self.batch * Self.steps * Self.input)).map { _ in generator.nextNormal() } }
        let y = (0..<Self.pool).map { _ in (0..<Self.batch).map { _ in generator.nextNormal() } }
        return (x, y)
    }

    /// Milliseconds of each of `rounds × steps` training steps after a warm-up round, and heap
    /// allocations per step over the timed steps.
    func time(rounds: Int, steps: Int) -> (samples: [Double], allocationsPerStep: Double, loss: Double) {
        let model = model(Float.self)
        let (x, y) = batches()
        let inputs = x.map { Tensor<Float>(shape: [Self.batch, Self.steps, Self.input], scalars: $0.map { Float($0) }) }
        let targets = y.map { LossTarget<Float>.values(Tensor(shape: [Self.batch, 1], scalars: $0.map { Float($0) })) }
        let loss = MeanSquaredError<Float>()
        let optimizer = SGD<Float>(parameters: model.parameters, learningRate: Self.learningRate)
        // On the threads OPENBLAS_NUM_THREADS asks for (`BLASThreads`): one in `make bench-peers`' first pass.
        var samples: [Double] = [], allocations: UInt64 = 0, last: Float = 0
        samples.reserveCapacity(rounds * steps)
        for round in 0...rounds {
            let before = gradlab_allocation_count()
            for step in 0..<steps {
                let start = DispatchTime.now().uptimeNanoseconds
                let b = step % Self.pool
                model.zeroGradients()
                last = loss.forward(model.forward(inputs[b], mode: .training), targets[b])
                _ = model.backward(loss.backward())
                optimizer.step()
                if round > 0 { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            if round > 0 { allocations += gradlab_allocation_count() - before }
        }
        precondition(last.isFinite, "the LSTM benchmark's loss became non-finite")
        return (samples, Double(allocations) / Double(rounds * steps), Double(last))
    }

    /// Raw little-endian float64 files and a manifest (w8.json) for the peers script.
    func export(to folder: URL) throws {
        let m = model(Double.self)
        var manifest: [[String: Any]] = []
        for named in m.parameters {
            let file = "w8-\(named.name).f64"
            try Data(bytes: named.parameter.value.scalars, count: named.parameter.value.count * 8)
                .write(to: folder.appendingPathComponent(file))
            manifest.append(["name": named.name, "shape": named.parameter.value.shape, "file": file])
        }
        let (x, y) = batches()
        // The first batch's loss in Double, for the peers script to confirm it runs the same model.
        let prediction = m.forward(Tensor(shape: [Self.batch, Self.steps, Self.input], scalars: x[0]), mode: .training)
        let firstLoss = MeanSquaredError<Double>().forward(prediction, .values(Tensor(shape: [Self.batch, 1], scalars: y[0])))
        let fx = x.flatMap { $0 }, fy = y.flatMap { $0 }
        try Data(bytes: fx, count: fx.count * 8).write(to: folder.appendingPathComponent("w8-x.f64"))
        try Data(bytes: fy, count: fy.count * 8).write(to: folder.appendingPathComponent("w8-y.f64"))
        let json: [String: Any] = ["parameters": manifest, "pool": Self.pool, "batch": Self.batch, "steps": Self.steps,
                                   "input": Self.input, "hidden": Self.hidden, "lr": Self.learningRate,
                                   "first_loss": firstLoss]
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("w8.json"))
    }
}

extension GradLabBench {
    /// W8 on its own: median, p10 and p90 milliseconds per step and allocations per step.
    func lstmTimings() {
        let (samples, allocations, loss) = LSTMWorkload(seed: seed).time(rounds: 3, steps: max(steps / 4, 25))
        let s = samples.sorted()
        print(String(format: "(W8) LSTM(16, 128) T 50 batch 32 → LastTimeStep → Linear(128, 1), MSE, SGD, Float: "
                     + "median %.3f ms per step (p10 %.3f, p90 %.3f), %.2f allocations per step, last loss %.4f",
                     s[s.count / 2], s[s.count / 10], s[s.count * 9 / 10], allocations, loss))
    }
}
