import ArgumentParser
import Backprop
import CAllocationCounter
import CBLAS
import Foundation
import RunFormat
import TrainingDiagnostics

/// `gradlab-bench`: forward+backward timings of the reference MLPs, with heap allocations counted.
///
/// Build and run it in release: `swift run -c release gradlab-bench` (or `make bench`).
@main
struct GradLabBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradlab-bench",
        abstract: "Time GradLab's forward+backward passes and compare with this machine's sgemm rate.",
        discussion: """
            (a) MLP 64 → 8 hidden layers of 128 (tanh) → 10, batch 128, softmax cross-entropy, Float and \
            Double: median milliseconds per step and heap allocations per step after the first step.
            (b) MLP 1024 → 4 × 1024 (relu) → 10, batch 256, Float: achieved GFLOP/s (2·m·n·k per product) \
            next to cblas_sgemm on a 256×1024 · 1024×1024 product measured in the same run.
            (c) digits convnet training step, [64, 1, 8, 8], Float, one thread; (d) Conv2d(64, 64, 3, \
            padding=1) forward+backward on [8, 64, 32, 32] as GFLOP/s next to sgemm on the same products. \
            (kernels) ns per element of each elementwise C kernel, Float and Double, next to the scalar Swift loop.
            A step is forward, loss, backward and clearing the gradients. Build with -c release.
            """
    )

    @Option(help: "Timed steps per workload (after the warm-up).")
    var steps: Int = 400

    @Option(help: "Untimed warm-up steps per workload.")
    var warmup: Int = 20

    @Option(help: "Seed for weights and data.")
    var seed: UInt64 = 1

    @Option(help: "Run only this workload: a-float, a-double, b (with the sgemm reference), train, record, gradcheck, lstm, conv or kernels.")
    var only: String?

    @Option(help: ArgumentHelp("Export W1's weights and batches into this folder and time W1–W4 there, for "
                               + "the peer comparison (make bench-peers).", valueName: "folder"))
    var peers: String?

    @Option(help: "Rounds per workload in --peers mode.")
    var rounds = 3

    @Option(help: ArgumentHelp("In --peers mode, only these workloads, comma-separated: "
                               + PeerWorkloads.groups.joined(separator: ", ") + " (w1 is W1 and W2, w6 is W6 and W7).",
                               valueName: "list"))
    var workloads: String?

    func validate() throws {
        guard steps >= 5 else { throw ValidationError("--steps must be at least 5, got \(steps)") }
        guard warmup >= 1 else { throw ValidationError("--warmup must be at least 1, got \(warmup)") }
        if let only, !["a-float", "a-double", "b", "train", "record", "gradcheck", "lstm", "conv", "kernels"].contains(only) {
            throw ValidationError("--only takes a-float, a-double, b, train, record, gradcheck, lstm, conv or kernels, got '\(only)'")
        }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
        if let peers {
            // Refused before any work, in words: a file in the way, a folder that cannot be written.
            do { try FileAccess.checkFolderCanBePrepared(peers) } catch {
                throw ValidationError("--peers \(peers): \(FileAccess.words(for: error))")
            }
        }
        if let workloads {
            guard peers != nil else { throw ValidationError("--workloads needs --peers FOLDER") }
            let unknown = selectedWorkloads.subtracting(PeerWorkloads.groups)
            guard unknown.isEmpty, !selectedWorkloads.isEmpty else {
                throw ValidationError("--workloads takes a comma-separated list of "
                                      + PeerWorkloads.groups.joined(separator: ", ") + ", got '\(workloads)'")
            }
        }
    }

    private var selectedWorkloads: Set<String> {
        Set((workloads ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    func run() throws {
        if let peers {
            try PeerWorkloads(folder: URL(fileURLWithPath: peers), seed: seed, steps: steps, rounds: rounds,
                              selected: workloads == nil ? Set(PeerWorkloads.groups) : selectedWorkloads).run()
            return
        }
        #if DEBUG
        print("warning: this is a debug build; figures are only meaningful with -c release")
        #endif
        let small = [64] + Array(repeating: 128, count: 8) + [10]
        let large = [1024, 1024, 1024, 1024, 1024, 10]
        print("workload                                   median ms   p10 ms   p90 ms   allocs/step   GFLOP/s")
        func wanted(_ name: String) -> Bool { only == nil || only == name }
        let threads = BLASThreads.count
        print("threads (BLASThreads): \(threads)")
        let core = BLASThreads.core
        print("OpenBLAS core: \(core.name)" + (core.replaced.map { " (OpenBLAS chose \($0), which has no AVX2 kernels)" } ?? ""))
        if wanted("a-float") {
            let a32 = measure(Float.self, sizes: small, activation: .tanh, batch: 128)
            report("(a) MLP 64-128x8-10 tanh, batch 128, Float", a32)
            print(String(format: "(a) Float: %.3f ms per step (target 0.5), %.2f allocations per step (target 0)",
                         a32.median, a32.allocationsPerStep))
            if threads > 1 {
                // The same step on one thread, to show what the helper threads bring.
                BLASThreads.set(1)
                let single = measure(Float.self, sizes: small, activation: .tanh, batch: 128)
                BLASThreads.set(threads)
                report("(a) same, on 1 thread", single)
            }
        }
        if wanted("a-double") {
            let a64 = measure(Double.self, sizes: small, activation: .tanh, batch: 128)
            report("(a) MLP 64-128x8-10 tanh, batch 128, Double", a64)
        }
        if wanted("train") {
            print("training (a)'s MLP on 4096 blobs in 64-D, 10 classes, batch 128, with the Trainer:")
            for optimizer in [OptimizerKind.sgd, .adam] {
                trainingRate(Float.self, optimizer)
                trainingRate(Double.self, optimizer)
            }
        }
        if wanted("record") { try recordingOverhead() }
        if wanted("gradcheck") { gradientCheckTimings() }
        if wanted("lstm") { lstmTimings() }
        if wanted("conv") { convolutionTimings() }
        if wanted("kernels") { kernelTimings() }
        guard wanted("b") else { return }
        let b = measure(Float.self, sizes: large, activation: .relu, batch: 256)
        report("(b) MLP 1024-1024x4-10 relu, b. 256, Float", b)
        let sgemm = sgemmRate(m: 256, n: 1024, k: 1024)
        print(String(format: "cblas_sgemm 256x1024 · 1024x1024: median %.3f ms, %.1f GFLOP/s", sgemm.milliseconds, sgemm.gflops))
        print(String(format: "(b) reaches %.1f%% of the sgemm rate (target 85%%)", 100 * b.gflops / sgemm.gflops))
    }

    struct Result {
        var median: Double
        var p10: Double
        var p90: Double
        var allocationsPerStep: Double
        var gflops: Double
    }

    func report(_ name: String, _ r: Result) {
        print(name.padding(toLength: 43, withPad: " ", startingAt: 0)
              + String(format: "%9.3f %8.3f %8.3f %13.2f %9.1f", r.median, r.p10, r.p90, r.allocationsPerStep, r.gflops))
    }

    func measure<Scalar: TensorScalar>(
        _ type: Scalar.Type, sizes: [Int], activation: Activation, batch: Int
    ) -> Result {
        var generator = RandomGenerator(seed: seed)
        let model = Sequential<Scalar>.multilayerPerceptron(
            sizes: sizes, activation: activation, initializer: .xavierUniform(), generator: &generator)
        let x = Tensor<Scalar>(shape: [batch, sizes[0]])
        for i in 0..<x.count { x[i] = Scalar(generator.nextNormal()) }
        let labels = (0..<batch).map { _ in generator.nextInt(below: sizes[sizes.count - 1]) }
        let target = LossTarget<Scalar>.classes(labels)
        let loss = SoftmaxCrossEntropy<Scalar>()
        var sink: Scalar = 0
        func step() {
            model.zeroGradients()
            sink += loss.forward(model.forward(x, mode: .training), target)
            _ = model.backward(loss.backward())
        }
        for _ in 0..<warmup { step() }
        var times = [Double](repeating: 0, count: steps)
        let allocationsBefore = gradlab_allocation_count()
        for i in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step()
            times[i] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        let allocations = gradlab_allocation_count() - allocationsBefore
        precondition(sink.isFinite, "the benchmark's loss became non-finite")
        times.sort()
        let median = times[times.count / 2]
        let products = zip(sizes, sizes.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let flops = 3 * 2 * Double(batch) * products  // forward, weight gradient, input gradient
        return Result(
            median: median, p10: times[times.count / 10], p90: times[times.count * 9 / 10],
            allocationsPerStep: Double(allocations) / Double(steps), gflops: flops / (median * 1e6))
    }

    /// Steps per second of the whole training loop: batch sampling, forward, loss, backward, optimizer.
    func trainingRate<Scalar: TensorScalar>(_ type: Scalar.Type, _ optimizer: OptimizerKind) {
        var generator = RandomGenerator(seed: seed)
        let data: Dataset<Scalar> = SyntheticData.blobs(count: 4096, centers: 10, features: 64, spread: 3,
                                                        generator: &generator)
        let model = Sequential<Scalar>.multilayerPerceptron(
            sizes: [64] + Array(repeating: 128, count: 8) + [10], activation: .tanh,
            initializer: .xavierUniform(), generator: &generator)
        let options = TrainingOptions(budget: .steps(warmup + steps), batchSize: 128,
                                      learningRate: optimizer.defaultLearningRate, evaluationInterval: Int.max,
                                      seed: seed)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Scalar>(),
                              optimizer: optimizer.make(parameters: model.parameters), trainingData: data,
                              options: options)
        let timer = StepTimer<Scalar>(warmup: warmup)
        trainer.observers = [timer]
        trainer.run()
        timer.times.sort()
        let median = timer.times[timer.times.count / 2]
        print("  \(optimizer.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) \(Scalar.self): "
              + String(format: "%.0f steps/s (median step %.3f ms, p10 %.3f, p90 %.3f)", 1000 / median, median,
                       timer.times[timer.times.count / 10], timer.times[timer.times.count * 9 / 10]))
    }

    /// Training with the run recorder (every step, histograms every 100) against the same training with no
    /// observer: whole runs of `steps` steps, alternated for five rounds, medians compared (and minima, the
    /// least disturbed rounds).
    func recordingOverhead() throws {
        func run(recording: Bool, checking: Bool = false, every: Int = 1) throws -> Double {
            var generator = RandomGenerator(seed: seed)
            let data: Dataset<Float> = SyntheticData.blobs(count: 4096, centers: 10, features: 64, spread: 3,
                                                           generator: &generator)
            let model = Sequential<Float>.multilayerPerceptron(
                sizes: [64] + Array(repeating: 128, count: 8) + [10], activation: .tanh,
                initializer: .xavierUniform(), generator: &generator)
            let options = TrainingOptions(budget: .steps(steps), batchSize: 128, learningRate: 0.01,
                                          evaluationInterval: Int.max, seed: seed)
            let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Float>(),
                                  optimizer: OptimizerKind.sgd.make(parameters: model.parameters, learningRate: 0.01),
                                  trainingData: data, options: options)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            if recording {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let recorder = try RunRecorder<Float>(
                    folder: folder,
                    description: RunDescription(name: "bench", seed: seed, config: [:], modelDescription: "64,128x8,10",
                                                dataset: .init(name: "blobs", trainingExamples: 4096,
                                                               validationExamples: 0, features: 64, outputs: 10),
                                                optimizer: ["name": "sgd"]),
                    options: RecordingOptions(recordEvery: every, histogramsEvery: 100))
                trainer.observers = [recorder]
                if checking {
                    var twinGenerator = RandomGenerator(seed: seed)
                    let twin = Sequential<Double>.multilayerPerceptron(
                        sizes: [64] + Array(repeating: 128, count: 8) + [10], activation: .tanh,
                        initializer: .xavierUniform(), generator: &twinGenerator)
                    trainer.observers.append(try GradientCheckObserver<Float>(
                        folder: folder, every: 1000, burnIn: 10, twin: twin, loss: SoftmaxCrossEntropy<Double>(),
                        finding: { recorder.add($0) }))
                }
            }
            return trainer.run().seconds
        }
        _ = try run(recording: false)
        var plain: [Double] = [], recorded: [Double] = [], checked: [Double] = [], sparse: [Double] = []
        for _ in 0..<5 {
            plain.append(try run(recording: false))
            recorded.append(try run(recording: true))
            checked.append(try run(recording: true, checking: true))
            sparse.append(try run(recording: true, every: 10))
        }
        let p = plain.sorted()[2], r = recorded.sorted()[2], c = checked.sorted()[2], e = sparse.sorted()[2]
        print(String(format: "recording overhead, SGD Float 64-128x8-10 tanh, %d steps: plain %.3f s, recorded %.3f s "
                     + "(every step, histograms every 100): ratio %.3f (target 1.05); plain rounds %@, recorded %@",
                     steps, p, r, r / p, plain.map { String(format: "%.3f", $0) }.joined(separator: " "),
                     recorded.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        print(String(format: "  with gradient checks after 10 and every 1000 steps (direction mode, 16 examples, Double twin): %.3f s, ratio %.3f to "
                     + "plain, %.3f to recording alone", c, c / p, c / r))
        print(String(format: "  recording every 10th step (histograms every 100): %.3f s, ratio %.3f", e, e / p))
        print(String(format: "  minima over the rounds: plain %.3f s, recorded %.3f (ratio %.3f), with checks %.3f (%.3f), "
                     + "every 10th %.3f (%.3f)", plain.min()!, recorded.min()!, recorded.min()! / plain.min()!,
                     checked.min()!, checked.min()! / plain.min()!, sparse.min()!, sparse.min()! / plain.min()!))
    }

    func sgemmRate(m: Int, n: Int, k: Int) -> (milliseconds: Double, gflops: Double) {
        var generator = RandomGenerator(seed: seed)
        let a = (0..<(m * k)).map { _ in Float(generator.nextNormal()) }
        let b = (0..<(k * n)).map { _ in Float(generator.nextNormal()) }
        var c = [Float](repeating: 0, count: m * n)
        var times: [Double] = []
        for round in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            // Through the engine's gemm, so that the reference runs on the same threads (`BLASThreads`).
            Float.gemm(transposeA: false, transposeB: true, m: m, n: n, k: k,
                       alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, c: &c, ldc: n)
            if round >= warmup { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        times.sort()
        let median = times[times.count / 2]
        return (median, 2 * Double(m) * Double(n) * Double(k) / (median * 1e6))
    }
}

/// Step durations from the trainer's own clock, after a warm-up.
final class StepTimer<Scalar: TensorScalar>: TrainingObserver {
    let warmup: Int
    var times: [Double] = []
    private var last = 0.0

    init(warmup: Int) { self.warmup = warmup }

    func stepDidFinish(_ record: StepRecord, details: StepDetails<Scalar>?) {
        if record.step > warmup { times.append((record.seconds - last) * 1000) }
        last = record.seconds
    }
}
