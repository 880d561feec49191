import Backprop
import CAllocationCounter
import CBLAS
import Foundation
import GradientCheck
import RunFormat
import TrainingDiagnostics

/// The GradLab side of the peer comparison (docs/BENCHMARKS.md): exports the initial weights and batches
/// so that PyTorch, JAX and numpy start from exactly the same numbers, and times W1–W4 on them.
///
/// W1  MLP 64 → 8 × 128 tanh → 10, softmax cross-entropy, batch 128, SGD (lr 0.01): one training step.
/// W2  W1 plus, every step, per-tensor gradient norm, max |g|, mean, std, zero fraction, weight norm and
///     update ratio of the applied update (measured by the optimizer's own loop), appended to a CSV file.
///     W1 and W2 also report heap allocations per step ("… allocations").
/// W3  MLP 1024 → 4 × 1024 relu → 10, batch 256, Float: forward + backward as GFLOP/s, and sgemm's rate.
/// W4  gradient check of 8 → 3 × 16 tanh → 4, batch 4, MSE, Double: full and direction modes; and of
///     8 → 3 × 64 tanh → 4 (9,156 parameters) in full mode ("W4 wide full").
/// W6, W7  the convolution workloads (`ConvolutionWorkloads`): a digits convnet's training step, and a
///     large convolution's forward + backward as GFLOP/s beside sgemm on the same products.
/// W8  LSTM(16, 128) over T 50, batch 32 → LastTimeStep → Linear(128, 1), MSE, SGD, Float
///     (`LSTMWorkload`): one training step.
struct PeerWorkloads {
    let folder: URL
    let seed: UInt64
    let steps: Int
    let rounds: Int
    /// The workload groups to run (`groups`).
    var selected = Set(groups)
    /// The names `--workloads` takes: w1 (W1 and W2), w3, w4, w6 (W6 and W7), w8.
    static let groups = ["w1", "w3", "w4", "w6", "w8"]
    static let w1Sizes = [64] + Array(repeating: 128, count: 8) + [10]
    static let pool = 16

    struct Timing: Codable {
        var median: Double
        var p10: Double
        var p90: Double
        var unit: String
        init(_ samples: [Double], unit: String = "ms") {
            let s = samples.sorted()
            median = s[s.count / 2]
            p10 = s[s.count / 10]
            p90 = s[min(s.count - 1, s.count * 9 / 10)]
            self.unit = unit
        }
    }

    /// Exports the workloads' data into `folder`, times the selected workloads and writes their results
    /// there. A file that cannot be written fails in words (`FileAccessError`), not in Foundation's.
    func run() throws {
        do { try measure() } catch let error as FileAccessError { throw error } catch {
            throw FileAccessError(path: folder.path, problem: "cannot write the benchmark's files: "
                                  + FileAccess.words(for: error))
        }
    }

    private func measure() throws {
        try FileAccess.prepareFolder(folder.path)
        var results: [String: Timing] = [:]
        let (x, y) = batches()
        try export(x: x, y: y)
        if selected.contains("w1") {
            for (type, run) in [("Float", { trainAlternating(Float.self, x: x, y: y) }),
                                ("Double", { trainAlternating(Double.self, x: x, y: y) })] {
                let (w1, w2, floor) = run()
                results["W1 \(type) product floor"] = floor
                results["W1 \(type)"] = w1.time
                results["W1 \(type) allocations"] = w1.allocations
                results["W2 \(type)"] = w2.time
                results["W2 \(type) allocations"] = w2.allocations
            }
        }
        if selected.contains("w3") {
            let (w3, sgemm) = w3Rates()
            results["W3 GFLOP/s"] = w3
            results["W3 sgemm GFLOP/s"] = sgemm
        }
        if selected.contains("w4") {
            let (full, direction) = w4()
            results["W4 full"] = full
            results["W4 direction"] = direction
            results["W4 wide full"] = w4(width: 64, repeats: 3).full
        }
        if selected.contains("w6") {
            let convolutions = ConvolutionWorkloads(seed: seed, steps: steps, warmup: 20)
            try convolutions.export(to: folder, rounds: rounds)
            results["W6 Float"] = Timing(convolutions.digitsStep(rounds: rounds).times)
            var w7: [Double] = [], w7sgemm: [Double] = []
            for _ in 0..<rounds {
                let large = convolutions.largeConvolution(steps: Swift.max(10, steps / 10))
                w7.append(large.gflops)
                w7sgemm.append(large.sgemmGflops)
            }
            results["W7 GFLOP/s"] = Timing(w7, unit: "GFLOP/s")
            results["W7 sgemm GFLOP/s"] = Timing(w7sgemm, unit: "GFLOP/s")
        }
        if selected.contains("w8") {
            let lstm = LSTMWorkload(seed: seed)
            try lstm.export(to: folder)
            results["W8 LSTM Float"] = Timing(lstm.time(rounds: rounds, steps: steps).samples)
        }
        let info: [String: String] = [
            "openblas_core": BLASThreads.core.name,
            "openblas_core_replaced": BLASThreads.core.replaced ?? "",
            "openblas_threads": "\(openblas_get_num_threads())",
            "gradlab_threads": "\(BLASThreads.count)",
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: folder.appendingPathComponent("gradlab.json"))
        try encoder.encode(info).write(to: folder.appendingPathComponent("gradlab-info.json"))
        for (name, t) in results.sorted(by: { $0.key < $1.key }) {
            print(String(format: "%-18@ median %.4f %@ (p10 %.4f, p90 %.4f)", name as NSString, t.median, t.unit, t.p10, t.p90))
        }
    }

    /// `pool` batches of 128 examples: inputs N(0, 1), labels uniform in 0..<10, in Double.
    func batches() -> ([[Double]], [[Int]]) {
        var generator = RandomGenerator(seed: seed &+ 1)
        let x = (0..<Self.pool).map { _ in (0..<(128 * 64)).map { _ in generator.nextNormal() } }
        let y = (0..<Self.pool).map { _ in (0..<128).map { _ in generator.nextInt(below: 10) } }
        return (x, y)
    }

    func model<Scalar: TensorScalar>(_ type: Scalar.Type) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        let double = Sequential<Double>.multilayerPerceptron(sizes: Self.w1Sizes, activation: .tanh,
                                                             initializer: .xavierUniform(), generator: &generator)
        var g2 = RandomGenerator(seed: seed)
        let model = Sequential<Scalar>.multilayerPerceptron(sizes: Self.w1Sizes, activation: .tanh,
                                                            initializer: .xavierUniform(), generator: &g2)
        CheckTargets.copyValues(from: double, to: model)
        return model
    }

    /// Raw little-endian float64 files and a manifest the Python side reads.
    func export(x: [[Double]], y: [[Int]]) throws {
        let m = model(Double.self)
        var manifest: [[String: Any]] = []
        for named in m.parameters {
            let file = "w1-\(named.name).f64"
            try Data(bytes: named.parameter.value.scalars, count: named.parameter.value.count * 8)
                .write(to: folder.appendingPathComponent(file))
            manifest.append(["name": named.name, "shape": named.parameter.value.shape, "file": file])
        }
        let flat = x.flatMap { $0 }
        try Data(bytes: flat, count: flat.count * 8).write(to: folder.appendingPathComponent("w1-x.f64"))
        let labels = y.flatMap { $0 }.map(Int64.init)
        try Data(bytes: labels, count: labels.count * 8).write(to: folder.appendingPathComponent("w1-y.i64"))
        let json: [String: Any] = ["parameters": manifest, "pool": Self.pool, "batch": 128, "features": 64,
                                   "sizes": Self.w1Sizes, "lr": 0.01, "steps": steps, "rounds": rounds]
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("w1.json"))
    }

    /// W1's or W2's training loop on its own model, optimizer and (for W2) CSV file, run a round at a time.
    final class TrainingLoop<Scalar: TensorScalar> {
        let model: Sequential<Scalar>
        let loss = SoftmaxCrossEntropy<Scalar>()
        let optimizer: any Optimizer<Scalar>
        let inputs: [Tensor<Scalar>]
        let targets: [LossTarget<Scalar>]
        let writer: CSVTableWriter<GradientRow>?
        /// W2's gradient statistics, one sweep over every parameter's gradient (as `RunRecorder` does).
        let statistics: TensorStatisticsSweep<Scalar>
        var updates: [AppliedUpdate] = []
        var samples: [Double] = [], allocations: [Double] = []
        var step = 0
        /// Nanoseconds spent, over the timed rounds, in the optimizer step and (W2) in the statistics and
        /// the CSV rows: where W2's extra time goes.
        var optimizerNanoseconds: UInt64 = 0, statisticsNanoseconds: UInt64 = 0, rowsNanoseconds: UInt64 = 0

        init(model: Sequential<Scalar>, x: [[Double]], y: [[Int]], csv: URL?) {
            self.model = model
            optimizer = OptimizerKind.sgd.make(parameters: model.parameters, learningRate: 0.01)
            statistics = TensorStatisticsSweep(model.parameters.map(\.parameter.gradient))
            inputs = x.map { Tensor<Scalar>(shape: [128, 64], scalars: $0.map { Scalar($0) }) }
            targets = y.map { LossTarget<Scalar>.classes($0) }
            if let csv { try? FileManager.default.removeItem(at: csv) }
            writer = csv.flatMap { try? CSVTableWriter<GradientRow>(url: $0) }
        }

        /// `steps` steps, timed one by one into `samples` unless `timed` is false (the warm-up round), and
        /// the round's heap allocations per step into `allocations`.
        func round(steps: Int, timed: Bool) {
            let parameters = model.parameters
            // The samples' own growth is the benchmark's, not the step's: reserved before the count starts.
            if timed { samples.reserveCapacity(samples.count + steps) }
            let allocationsBefore = gradlab_allocation_count()
            for _ in 0..<steps {
                let start = DispatchTime.now().uptimeNanoseconds
                let b = step % PeerWorkloads.pool
                step += 1
                model.zeroGradients()
                _ = loss.forward(model.forward(inputs[b], mode: .training), targets[b])
                _ = model.backward(loss.backward())
                let optimizerStart = DispatchTime.now().uptimeNanoseconds
                if let writer {
                    optimizer.step(measuringInto: &updates)
                    let statisticsStart = DispatchTime.now().uptimeNanoseconds
                    var rowNanoseconds: UInt64 = 0
                    statistics.compute()
                    for (index, named) in parameters.enumerated() {
                        let g = statistics[index]
                        let applied = updates[index]
                        let rowStart = DispatchTime.now().uptimeNanoseconds
                        writer.append(GradientRow(step: step, parameter: named.name, layer: "", norm: g.norm,
                                                  mean: g.mean, standardDeviation: g.standardDeviation, maxAbs: g.maxAbs,
                                                  zeroFraction: g.zeroFraction, nonfinite: g.nonfinite,
                                                  weightNorm: applied.weightNorm, updateNorm: applied.updateNorm,
                                                  updateRatio: applied.updateNorm / applied.weightNorm))
                        rowNanoseconds += DispatchTime.now().uptimeNanoseconds - rowStart
                    }
                    if step % 100 == 99 { try? writer.flush() }
                    let end = DispatchTime.now().uptimeNanoseconds
                    if timed {
                        optimizerNanoseconds += statisticsStart - optimizerStart
                        statisticsNanoseconds += end - statisticsStart - rowNanoseconds
                        rowsNanoseconds += rowNanoseconds
                    }
                } else {
                    optimizer.step()
                    if timed { optimizerNanoseconds += DispatchTime.now().uptimeNanoseconds - optimizerStart }
                }
                if timed { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            if timed { allocations.append(Double(gradlab_allocation_count() - allocationsBefore) / Double(steps)) }
        }
    }

    /// W1 and W2 in `Scalar`: milliseconds per step over `rounds` × `steps` steps after a warm-up round,
    /// and heap allocations per step over each timed round; and W1's product floor. Their rounds alternate
    /// (W1, W2, floor, W1, …), so a change in the machine's speed during the run reaches all three alike
    /// and W2/W1 and W1/floor stay the cost of recording and of the work beside the products.
    func trainAlternating<Scalar: TensorScalar>(_ type: Scalar.Type, x: [[Double]], y: [[Int]])
        -> (w1: (time: Timing, allocations: Timing), w2: (time: Timing, allocations: Timing), floor: Timing) {
        let plain = TrainingLoop(model: model(Scalar.self), x: x, y: y, csv: nil)
        let recording = TrainingLoop(model: model(Scalar.self), x: x, y: y,
                                     csv: folder.appendingPathComponent("w2-gradlab-\(Scalar.self).csv"))
        let floor = ProductFloorLoop<Scalar>(seed: seed)
        for round in 0...rounds {
            for loop in [plain, recording] { loop.round(steps: steps, timed: round > 0) }
            floor.round(steps: steps, timed: round > 0)
        }
        try? recording.writer?.flush()
        for (name, loop) in [("W1", plain), ("W2", recording)] {
            let steps = Double(Swift.max(1, loop.samples.count))
            let parts = [("optimizer step", loop.optimizerNanoseconds), ("gradient statistics", loop.statisticsNanoseconds),
                         ("CSV rows", loop.rowsNanoseconds)].filter { name == "W2" || $0.1 > 0 }
            let perStep = parts.map { String(format: "%@ %.4f ms", $0.0, Double($0.1) / 1e6 / steps) }
            print("\(name) \(Scalar.self) per step: " + perStep.joined(separator: ", "))
        }
        return ((Timing(plain.samples), Timing(plain.allocations, unit: "allocations/step")),
                (Timing(recording.samples), Timing(recording.allocations, unit: "allocations/step")),
                Timing(floor.samples))
    }

    /// The products of one W1 step alone, as `Dense` calls them (forward y = x·Wᵀ, backward dW = dyᵀ·x and
    /// dx = dy·W for every layer) through the same `gemm`, in milliseconds: W1's floor at this run's rate.
    /// Run a round at a time, alternating with W1's and W2's rounds.
    final class ProductFloorLoop<Scalar: TensorScalar> {
        let sizes = PeerWorkloads.w1Sizes, batch = 128
        let weights: [[Scalar]], activations: [[Scalar]]
        var outputs: [[Scalar]], gradients: [[Scalar]]
        var samples: [Double] = []

        init(seed: UInt64) {
            var generator = RandomGenerator(seed: seed)
            func random(_ count: Int) -> [Scalar] { (0..<count).map { _ in Scalar(generator.nextNormal()) } }
            let sizes = PeerWorkloads.w1Sizes, batch = 128
            let weights = zip(sizes, sizes.dropFirst()).map { random($0 * $1) }
            self.weights = weights
            activations = sizes.map { random(batch * $0) }
            outputs = sizes.map { [Scalar](repeating: 0, count: batch * $0) }
            gradients = weights.map { [Scalar](repeating: 0, count: $0.count) }
        }

        func round(steps: Int, timed: Bool) {
            if timed { samples.reserveCapacity(samples.count + steps) }
            for _ in 0..<steps {
                let start = DispatchTime.now().uptimeNanoseconds
                for layer in 0..<weights.count {
                    let (n, k) = (sizes[layer + 1], sizes[layer])
                    Scalar.gemm(transposeA: false, transposeB: true, m: batch, n: n, k: k, alpha: 1,
                                a: activations[layer], lda: k, b: weights[layer], ldb: k, beta: 0,
                                c: &outputs[layer + 1], ldc: n)
                }
                for layer in (0..<weights.count).reversed() {
                    let (n, k) = (sizes[layer + 1], sizes[layer])
                    Scalar.gemm(transposeA: true, transposeB: false, m: n, n: k, k: batch, alpha: 1,
                                a: activations[layer + 1], lda: n, b: activations[layer], ldb: k, beta: 0,
                                c: &gradients[layer], ldc: k)
                    Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: k, k: n, alpha: 1,
                                a: activations[layer + 1], lda: n, b: weights[layer], ldb: k, beta: 0,
                                c: &outputs[layer], ldc: k)
                }
                if timed { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
        }
    }

    func w3Rates() -> (Timing, Timing) {
        let bench = GradLabBench.forPeers(seed: seed, steps: steps)
        var rates: [Double] = [], sgemm: [Double] = []
        for _ in 0..<rounds {
            rates.append(bench.measure(Float.self, sizes: [1024, 1024, 1024, 1024, 1024, 10], activation: .relu, batch: 256).gflops)
            sgemm.append(bench.sgemmRate(m: 256, n: 1024, k: 1024).gflops)
        }
        return (Timing(rates, unit: "GFLOP/s"), Timing(sgemm, unit: "GFLOP/s"))
    }

    /// W4 (width 16, 756 parameters) or its wide twin (width 64, 9,156 parameters): full and direction
    /// mode, `repeats` times each (at least `rounds · 5` and 9 for the narrow one).
    func w4(width: Int = 16, repeats: Int? = nil) -> (full: Timing, direction: Timing) {
        var generator = RandomGenerator(seed: seed)
        let model = Sequential<Double>.multilayerPerceptron(sizes: [8, width, width, width, 4], activation: .tanh,
                                                            initializer: .xavierUniform(), generator: &generator)
        let x = Tensor<Double>(shape: [4, 8]), y = Tensor<Double>(shape: [4, 4])
        for i in 0..<x.count { x[i] = generator.nextNormal() }
        for i in 0..<y.count { y[i] = generator.nextNormal() }
        var full: [Double] = [], direction: [Double] = []
        for _ in 0..<(repeats ?? max(rounds * 5, 9)) {
            for (mode, into) in [(CheckMode.full, 0), (.direction, 1)] {
                let start = DispatchTime.now().uptimeNanoseconds
                let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(), inputs: x, target: .values(y))
                let checks = GradientChecker(mode: mode).check(problem)
                restore()
                precondition(checks.allSatisfy(\.passed), "the W4 model must pass its check")
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                if into == 0 { full.append(ms) } else { direction.append(ms) }
            }
        }
        return (Timing(full), Timing(direction))
    }
}

extension GradLabBench {
    /// A benchmark value with the given settings, to reuse its measurements.
    static func forPeers(seed: UInt64, steps: Int) -> GradLabBench {
        var bench = GradLabBench()
        bench.seed = seed
        bench.steps = steps
        bench.warmup = 20
        return bench
    }
}
