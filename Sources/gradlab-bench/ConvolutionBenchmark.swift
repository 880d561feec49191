import Backprop
import CAllocationCounter
import CBLAS
import Foundation
import GradientCheck

/// The convolution workloads of `gradlab-bench` and of the peer comparison.
///
/// W6  digits convnet, one training step: [64, 1, 8, 8] → Conv2d(1, 16, 3, padding=1) → ReLU →
///     Conv2d(16, 32, 3, padding=1) → ReLU → MaxPool2d(2) → Flatten → Linear(512, 10), softmax
///     cross-entropy, SGD (lr 0.01), Float, one thread.
/// W7  Conv2d(64, 64, 3, padding=1) forward + backward on [8, 64, 32, 32], Float: GFLOP/s (three products
///     of 2·64·576·8192 each), beside cblas_sgemm on the same three product shapes in the same run.
struct ConvolutionWorkloads {
    let seed: UInt64
    let steps: Int
    let warmup: Int
    static let pool = 16, batch = 64

    /// W6's model with weights drawn in Double (torch's default initialisation) and rounded to `Scalar`.
    func digitsModel<Scalar: TensorScalar>(_ type: Scalar.Type) -> Sequential<Scalar> {
        func build<T: TensorScalar>(_: T.Type) -> Sequential<T> {
            var generator = RandomGenerator(seed: seed)
            return Sequential<T>([
                Conv2d<T>(inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1, generator: &generator),
                ActivationLayer<T>(.relu),
                Conv2d<T>(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, generator: &generator),
                ActivationLayer<T>(.relu), MaxPool2d<T>(kernelSize: 2), Flatten<T>(),
                Dense<T>(inputFeatures: 512, outputFeatures: 10, generator: &generator),
            ], inputShape: [1, 8, 8])
        }
        let model = build(Scalar.self)
        CheckTargets.copyValues(from: build(Double.self), to: model)
        return model
    }

    /// `pool` batches: inputs N(0, 1) of shape [64, 1, 8, 8], labels uniform in 0..<10.
    func digitsBatches() -> ([[Double]], [[Int]]) {
        var generator = RandomGenerator(seed: seed &+ 6)
        let x = (0..<Self.pool).map { _ in (0..<(Self.batch * 64)).map { _ in generator.nextNormal() } }
        let y = (0..<Self.pool).map { _ in (0..<Self.batch).map { _ in generator.nextInt(below: 10) } }
        return (x, y)
    }

    /// Milliseconds per W6 step (forward, loss, backward, SGD), and heap allocations per step after the warm-up.
    func digitsStep(rounds: Int = 1) -> (times: [Double], allocationsPerStep: Double) {
        let model = digitsModel(Float.self)
        let (x, y) = digitsBatches()
        let inputs = x.map { Tensor<Float>(shape: [Self.batch, 1, 8, 8], scalars: $0.map { Float($0) }) }
        let targets = y.map { LossTarget<Float>.classes($0) }
        let loss = SoftmaxCrossEntropy<Float>()
        let optimizer = OptimizerKind.sgd.make(parameters: model.parameters, learningRate: 0.01)
        var sink: Float = 0
        func step(_ s: Int) {
            model.zeroGradients()
            sink += loss.forward(model.forward(inputs[s % Self.pool], mode: .training), targets[s % Self.pool])
            _ = model.backward(loss.backward())
            optimizer.step()
        }
        for s in 0..<warmup { step(s) }
        var times: [Double] = []
        times.reserveCapacity(steps * rounds)
        let before = gradlab_allocation_count()
        for s in 0..<(steps * rounds) {
            let start = DispatchTime.now().uptimeNanoseconds
            step(s)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let allocations = gradlab_allocation_count() - before
        precondition(sink.isFinite, "the convnet's loss became non-finite")
        return (times, Double(allocations) / Double(steps * rounds))
    }

    /// W7: milliseconds per forward + backward of the large convolution, its GFLOP/s, and sgemm's GFLOP/s on
    /// the same three products timed in the same run.
    func largeConvolution(steps: Int) -> (times: [Double], gflops: Double, sgemmGflops: Double) {
        let (batch, channels, size) = (8, 64, 32)
        var generator = RandomGenerator(seed: seed)
        let conv = Conv2d<Float>(inChannels: channels, outChannels: channels, kernelSize: 3, padding: 1,
                                 generator: &generator)
        let x = Tensor<Float>(shape: [batch, channels, size, size])
        let g = Tensor<Float>(shape: [batch, channels, size, size])
        for i in 0..<x.count { x[i] = Float(generator.nextNormal()); g[i] = Float(generator.nextNormal()) }
        func pass() {
            conv.zeroGradients()
            _ = conv.forward(x, mode: .training)
            _ = conv.backward(g)
        }
        for _ in 0..<3 { pass() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            pass()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        // The products: Y = W·cols (m 64, n 8192, k 576), dW = dY·colsᵀ (64, 576, 8192), dcols = Wᵀ·dY (576, 8192, 64).
        let (m, n, k) = (channels, batch * size * size, channels * 9)
        let flops = 3 * 2 * Double(m) * Double(n) * Double(k)
        let a = (0..<(m * k)).map { _ in Float(generator.nextNormal()) }
        let cols = (0..<(k * n)).map { _ in Float(generator.nextNormal()) }
        let dy = (0..<(m * n)).map { _ in Float(generator.nextNormal()) }
        var y = [Float](repeating: 0, count: m * n), dw = [Float](repeating: 0, count: m * k)
        var dcols = [Float](repeating: 0, count: k * n)
        var sgemm: [Double] = []
        for round in 0..<(steps + 3) {
            let start = DispatchTime.now().uptimeNanoseconds
            // Through the engine's gemm, so that the reference runs on the same threads (`BLASThreads`).
            Float.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k,
                       alpha: 1, a: a, lda: k, b: cols, ldb: n, beta: 0, c: &y, ldc: n)
            Float.gemm(transposeA: false, transposeB: true, m: m, n: k, k: n,
                       alpha: 1, a: dy, lda: n, b: cols, ldb: n, beta: 0, c: &dw, ldc: k)
            Float.gemm(transposeA: true, transposeB: false, m: k, n: n, k: m,
                       alpha: 1, a: a, lda: k, b: dy, ldb: n, beta: 0, c: &dcols, ldc: n)
            if round >= 3 { sgemm.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let median = times.sorted()[times.count / 2], sgemmMedian = sgemm.sorted()[sgemm.count / 2]
        return (times, flops / (median * 1e6), flops / (sgemmMedian * 1e6))
    }

    /// Raw little-endian float64 files of W6's weights and batches, and a manifest the Python side reads.
    func export(to folder: URL, rounds: Int) throws {
        let model = digitsModel(Double.self)
        var manifest: [[String: Any]] = []
        for named in model.parameters {
            let file = "w6-\(named.name).f64"
            try Data(bytes: named.parameter.value.scalars, count: named.parameter.value.count * 8)
                .write(to: folder.appendingPathComponent(file))
            manifest.append(["name": named.name, "shape": named.parameter.value.shape, "file": file])
        }
        let (x, y) = digitsBatches()
        let flat = x.flatMap { $0 }
        try Data(bytes: flat, count: flat.count * 8).write(to: folder.appendingPathComponent("w6-x.f64"))
        let labels = y.flatMap { $0 }.map(Int64.init)
        try Data(bytes: labels, count: labels.count * 8).write(to: folder.appendingPathComponent("w6-y.i64"))
        let json: [String: Any] = ["parameters": manifest, "pool": Self.pool, "batch": Self.batch, "lr": 0.01,
                                   "steps": steps, "rounds": rounds]
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("w6.json"))
    }
}

extension GradLabBench {
    /// `--only conv`: W6 and W7 with their targets.
    func convolutionTimings() {
        let workloads = ConvolutionWorkloads(seed: seed, steps: steps, warmup: warmup)
        // On the threads OPENBLAS_NUM_THREADS asks for (`BLASThreads`): one in `make bench-peers`' first pass.
        let digits = workloads.digitsStep()
        let sorted = digits.times.sorted()
        print(String(format: "(c) digits convnet [64,1,8,8] conv16-conv32-maxpool-linear, SGD step, Float: "
                     + "median %.3f ms (p10 %.3f, p90 %.3f), %.2f allocations per step",
                     sorted[sorted.count / 2], sorted[sorted.count / 10], sorted[sorted.count * 9 / 10],
                     digits.allocationsPerStep))
        let large = workloads.largeConvolution(steps: Swift.max(10, steps / 10))
        let t = large.times.sorted()
        print(String(format: "(d) Conv2d(64, 64, 3, padding=1) on [8,64,32,32], forward+backward, Float: "
                     + "median %.2f ms, %.1f GFLOP/s; sgemm on the same three products %.1f GFLOP/s: %.1f%% "
                     + "(target 60%%)", t[t.count / 2], large.gflops, large.sgemmGflops,
                     100 * large.gflops / large.sgemmGflops))
    }
}
