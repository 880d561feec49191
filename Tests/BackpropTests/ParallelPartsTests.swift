@testable import Backprop
import CAllocationCounter
import XCTest

/// Loops split over the product threads (`ParallelParts`): every index exactly once, and a convolution
/// whose im2col and col2im are split over its batch is the same to the bit as on one thread.
final class ParallelPartsTests: XCTestCase {
    private var threadsBefore = 1
    override func setUp() { threadsBefore = BLASThreads.count }
    override func tearDown() { BLASThreads.set(threadsBefore) }

    /// Records the ranges it is given, from any thread.
    private final class Ranges: ParallelTask {
        private let lock = NSLock()
        private(set) var seen: [Range<Int>] = []
        func run(_ range: Range<Int>) { lock.lock(); seen.append(range); lock.unlock() }
        var sorted: [Range<Int>] { seen.sorted { $0.lowerBound < $1.lowerBound } }
    }

    func testEveryIndexRunsOnceInConsecutiveRanges() {
        BLASThreads.set(2)
        for count in [2, 3, 7, 64] {
            let task = Ranges()
            ParallelParts.forEachRange(of: count, elements: ParallelParts.minimumElements, task)
            let ranges = task.sorted
            XCTAssertEqual(ranges.count, 2, "count \(count): two threads, two parts")
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, count)
            XCTAssertEqual(ranges[0].upperBound, ranges[1].lowerBound, "count \(count): no gap, no overlap")
            XCTAssertLessThanOrEqual(abs(ranges[0].count - ranges[1].count), 1, "count \(count): even shares")
        }
        let small = Ranges()
        ParallelParts.forEachRange(of: 64, elements: ParallelParts.minimumElements - 1, small)
        XCTAssertEqual(small.seen, [0..<64], "a small loop stays whole on the calling thread")
        BLASThreads.set(1)
        let single = Ranges()
        ParallelParts.forEachRange(of: 64, elements: 1 << 30, single)
        XCTAssertEqual(single.seen, [0..<64], "one thread: one part")
    }

    func testWeightedRangesCoverEveryIndexOnceWithBalancedWeights() {
        BLASThreads.set(2)
        // W1's parameters (64 → 8 × 128 → 10), one heavy item at either end, two equal ones.
        let w1 = [8192, 128] + Array(repeating: [16384, 128], count: 7).flatMap { $0 } + [1280, 10]
        for weights in [w1, [1, 1, 1 << 17], [1 << 17, 1, 1], [40000, 40000]] {
            var cumulative = [0]
            for w in weights { cumulative.append(cumulative[cumulative.count - 1] + w) }
            let task = Ranges()
            cumulative.withUnsafeBufferPointer { ParallelParts.forEachRange(weighted: $0, task) }
            XCTAssertEqual(task.seen.count, 2, "\(weights): two threads, two parts")
            let ranges = task.sorted.filter { !$0.isEmpty }
            XCTAssertEqual(ranges.first?.lowerBound, 0, "\(weights)")
            XCTAssertEqual(ranges.last?.upperBound, weights.count, "\(weights)")
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "\(weights): gap or overlap") }
            // No part holds more than half the total plus its largest item.
            let total = cumulative.last!
            for range in ranges {
                let weight = weights[range].reduce(0, +)
                XCTAssertLessThanOrEqual(weight, total / 2 + weights[range].max()!, "\(weights): part \(range)")
            }
        }
        let small = Ranges()
        [0, 10, 20].withUnsafeBufferPointer { ParallelParts.forEachRange(weighted: $0, small) }
        XCTAssertEqual(small.seen, [0..<2], "a light loop stays whole on the calling thread")
    }

    /// Every optimizer's step, plain and measured, split over its parameters on two threads: the weights and
    /// the measured norms equal those of one thread to the bit, and the split allocates nothing more.
    func testASplitOptimizerStepIsBitIdenticalAndAllocatesNothing() {
        func run(_ kind: OptimizerKind, threads: Int) -> (weights: [[UInt32]], updates: [AppliedUpdate], allocations: UInt64) {
            BLASThreads.set(threads)
            var generator = RandomGenerator(seed: 21)
            let parameters = [37, 40_000, 8, 30_000, 600].enumerated().map { index, count in
                let value = Tensor<Float>(shape: [count], scalars: (0..<count).map { _ in Float(generator.nextNormal()) })
                return NamedParameter(name: "p\(index)", parameter: Parameter(value), role: .weight)
            }
            let optimizer = kind.make(parameters: parameters, learningRate: 0.05, weightDecay: 0.01)
            var updates: [AppliedUpdate] = [], allocations: UInt64 = 0
            for step in 0..<4 {
                for named in parameters {
                    for i in 0..<named.parameter.value.count { named.parameter.gradient[i] = Float(generator.nextNormal()) }
                }
                let before = gradlab_allocation_count()
                if step % 2 == 0 { optimizer.step() } else { optimizer.step(measuringInto: &updates) }
                if step >= 2 { allocations += gradlab_allocation_count() - before }
            }
            return (parameters.map { $0.parameter.value.scalars.map(\.bitPattern) }, updates, allocations)
        }
        for kind in OptimizerKind.allCases {
            let one = run(kind, threads: 1), two = run(kind, threads: 2)
            XCTAssertEqual(one.weights, two.weights, "\(kind): weights differ on two threads")
            XCTAssertEqual(one.updates, two.updates, "\(kind): measured norms differ on two threads")
            XCTAssertEqual(one.updates.count, 5, "\(kind)")
            XCTAssertEqual(two.allocations, one.allocations, "\(kind): the split allocated")
        }
    }

    /// The output and all gradients of a 3×3 convolution with padding 1 on two threads equal those on one,
    /// bit for bit, in both layouts of its products:
    /// - batched: [8, 4, 16, 16] to 8 channels (im2col of 73,728 elements, above the split threshold), and
    ///   [6, 8, 47, 39] to 4 channels with stride 2 and dilation 2 (188,784): the unfolding and folding are
    ///   split by images.
    /// - per image: [2, 16, 24, 24] to 8 channels (a block of 82,944 elements per image) and [2, 16, 47, 39]
    ///   to 8 channels with stride 2 (69,120): the unfolding and folding are split by channels; and
    ///   [2, 8, 24, 24] to 16 channels, whose output gradient's transposed unfolding (82,944) is split.
    /// Every product stays below the product split: OpenBLAS's bits depend on the shape of the block it is
    /// given (its Zen kernels, for one, round a product split in two column blocks differently), so a split
    /// product is not claimed to be the same to the bit.
    func testASplitConvolutionIsBitIdentical() {
        for (shape, outChannels, stride, dilation) in [([8, 4, 16, 16], 8, 1, 1), ([6, 8, 47, 39], 4, 2, 2),
                                                       ([2, 16, 24, 24], 8, 1, 1), ([2, 16, 47, 39], 8, 2, 1),
                                                       ([2, 8, 24, 24], 16, 1, 1)] {
            func run(threads: Int) -> [[UInt32]] {
                BLASThreads.set(threads)
                var generator = RandomGenerator(seed: 5)
                let layer = Conv2d<Float>(inChannels: shape[1], outChannels: outChannels, kernelSize: 3, stride: Size2D(stride),
                                          padding: 1, dilation: Size2D(dilation), bias: true, generator: &generator)
                let x = Tensor<Float>(shape: shape)
                for i in 0..<x.count { x[i] = Float(generator.nextNormal()) }
                let y = layer.forward(x, mode: .training)
                let dy = Tensor<Float>(shape: y.shape)
                for i in 0..<dy.count { dy[i] = Float(generator.nextNormal()) }
                layer.zeroGradients()
                let dx = layer.backward(dy)
                let tensors = [y, dx] + layer.parameters.map(\.parameter.gradient)
                return tensors.map { $0.scalars.map(\.bitPattern) }
            }
            let one = run(threads: 1), two = run(threads: 2)
            XCTAssertEqual(one.count, 4)
            for (index, name) in ["output", "input gradient", "weight gradient", "bias gradient"].enumerated() {
                XCTAssertEqual(one[index], two[index], "\(shape): \(name) differs between one and two threads")
            }
        }
    }

    /// An activation layer over 30,023 elements (split in blocks of 64, the last partial) on two threads:
    /// forward and backward equal the same layer's on one thread, bit for bit, for a C kernel, a Swift loop
    /// and a scalar reference path.
    func testASplitActivationIsBitIdentical() {
        for function in [Activation.gelu, .tanh, .softsign] {
            func run(threads: Int) -> [[UInt64]] {
                BLASThreads.set(threads)
                var generator = RandomGenerator(seed: 9)
                let x = Tensor<Double>(shape: [7, 4289])
                for i in 0..<x.count { x[i] = generator.nextNormal() * 3 }
                let layer = ActivationLayer<Double>(function)
                let y = layer.forward(x, mode: .training)
                let dy = Tensor<Double>(shape: y.shape)
                for i in 0..<dy.count { dy[i] = generator.nextNormal() }
                let dx = layer.backward(dy)
                return [y.scalars.map(\.bitPattern), dx.scalars.map(\.bitPattern)]
            }
            let one = run(threads: 1), two = run(threads: 2)
            XCTAssertEqual(one[0].count, 30_023)
            XCTAssertEqual(one[0], two[0], "\(function): output differs between one and two threads")
            XCTAssertEqual(one[1], two[1], "\(function): input gradient differs between one and two threads")
        }
    }
}
