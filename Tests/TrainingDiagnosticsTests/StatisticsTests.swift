import Backprop
import CAllocationCounter
import XCTest
@testable import TrainingDiagnostics

final class StatisticsTests: XCTestCase {
    /// A sweep over five gradients (one holding NaN and +∞, so recounted without them) on two threads: each
    /// tensor's statistics equal `TensorStatistics` of that tensor alone, exactly, and a compute on two
    /// threads allocates no more than on one. (A debug build allocates in both; the release benchmark's W2
    /// reports the allocations per step of the release build.)
    func testASplitStatisticsSweepEqualsEachTensorAloneAndAllocatesNothing() {
        let threadsBefore = BLASThreads.count
        defer { BLASThreads.set(threadsBefore) }
        var generator = RandomGenerator(seed: 8)
        let tensors = [37, 40_000, 8, 30_000, 600].map { count in
            Tensor<Float>(shape: [count], scalars: (0..<count).map { _ in Float(generator.nextNormal()) })
        }
        tensors[3][17] = .nan
        tensors[3][900] = .infinity
        tensors[1][5] = 0
        var allocations: [UInt64] = []
        for threads in [1, 2] {
            BLASThreads.set(threads)
            XCTAssertEqual(BLASThreads.count, threads)
            let sweep = TensorStatisticsSweep(tensors)
            sweep.compute()
            let before = gradlab_allocation_count()
            sweep.compute()
            allocations.append(gradlab_allocation_count() - before)
            for (index, tensor) in tensors.enumerated() {
                let alone = tensor.withUnsafeBufferPointer { TensorStatistics($0) }
                XCTAssertEqual(sweep[index], alone, "\(threads) thread(s): tensor \(index)")
            }
            XCTAssertEqual(sweep[3].nonfinite, 2)
            XCTAssertEqual(sweep[1].zeroFraction, 1.0 / 40_000)
        }
        XCTAssertEqual(allocations[1], allocations[0], "the split allocated")
    }

    func testActivationStatisticsCountSaturatedAndDeadUnits() {
        // Three examples × four units; unit 1 is zero for every example.
        let relu = Tensor<Float>(shape: [3, 4], scalars: [1, 0, 2, 0,
                                                          0, 0, 3, 4,
                                                          5, 0, 0, .nan])
        let r = ActivationStatistics(relu, function: .relu)
        XCTAssertEqual(r.deadFraction, 0.25)
        XCTAssertEqual(r.nonfinite, 1)
        XCTAssertEqual(r.min, 0)
        XCTAssertEqual(r.max, 5)
        XCTAssertEqual(r.mean, 15.0 / 11.0, accuracy: 1e-12)
        XCTAssertEqual(r.saturatedFraction, 0)

        let tanh = Tensor<Double>(shape: [2, 2], scalars: [0.99, -0.975, 0.97, 0.1])
        let t = ActivationStatistics(tanh, function: .tanh)
        XCTAssertEqual(t.saturatedFraction, 0.5, "0.97 itself is not beyond the band")
        XCTAssertEqual(t.deadFraction, 0, "only ReLU units can be dead")

        let sigmoid = Tensor<Double>(shape: [1, 4], scalars: [0.02, 0.5, 0.98, 0.03])
        XCTAssertEqual(ActivationStatistics(sigmoid, function: .sigmoid).saturatedFraction, 0.5)
        let hard = Tensor<Double>(shape: [1, 4], scalars: [-1, 1, 0.5, 0.999])
        XCTAssertEqual(ActivationStatistics(hard, function: .hardtanh()).saturatedFraction, 0.5)
    }

    func testMagnitudeBinsAreHalfDecadesWithZeroTinyHugeAndNonFiniteBins() {
        let bins = HistogramBins.magnitudes
        XCTAssertEqual(bins.edges.count, 32)
        XCTAssertEqual(bins.bin(of: 0), 0)
        XCTAssertEqual(bins.bin(of: -1e-13), 1)
        XCTAssertEqual(bins.bin(of: 1e-12), 2)
        XCTAssertEqual(bins.bin(of: 5e-12), 3, "10^-11.5 ≈ 3.16e-12 starts the second half-decade")
        XCTAssertEqual(bins.bin(of: -0.5), 25, "0.5 lies in [10^-0.5, 1), the 24th half-decade above 1e-12")
        XCTAssertEqual(bins.bin(of: 99), 29)
        XCTAssertEqual(bins.bin(of: 100), 30)
        XCTAssertEqual(bins.bin(of: .nan), 31)
        XCTAssertEqual(bins.bin(of: -.infinity), 31)
        for value in [1e-12, 3e-9, 0.5, 7.0, 42.0] {
            let edge = bins.edges[bins.bin(of: value)]
            XCTAssertTrue(edge.lo <= value && value < edge.hi, "\(value) in [\(edge.lo), \(edge.hi))")
        }
        let values: [Float] = [0, 0, 1e-3, 1e3, .nan]
        let counts = values.withUnsafeBufferPointer { bins.counts($0) }
        XCTAssertEqual(counts.reduce(0, +), values.count)
        XCTAssertEqual(counts[0], 2)
        XCTAssertEqual(counts[30], 1)
        XCTAssertEqual(counts[31], 1)
    }

    func testLinearBinsHaveUnderflowAndOverflow() {
        let bins = HistogramBins.linear(lo: -1, hi: 1, bins: 4)
        XCTAssertEqual([-2, -1, -0.4, 0, 0.99, 1, 1.5].map { bins.bin(of: $0) }, [0, 1, 2, 3, 4, 4, 5])
        XCTAssertEqual(bins.bin(of: .nan), 6)
    }

    func testDetectorsNeedASustainedConditionAndReportOnce() {
        var thresholds = DetectorThresholds()
        thresholds.sustain = 3
        var detectors = Detectors(thresholds: thresholds)
        func step(_ n: Int, firstNorm: Double) -> RecordedStep {
            RecordedStep(step: n, weights: [.init(parameter: "0.weight", layer: "0", norm: firstNorm, updateRatio: 1e-3),
                                            .init(parameter: "2.weight", layer: "2", norm: 1, updateRatio: 1e-3)],
                         activations: [])
        }
        XCTAssertTrue(detectors.observe(step(1, firstNorm: 1e-5)).isEmpty)
        XCTAssertTrue(detectors.observe(step(2, firstNorm: 1e-5)).isEmpty)
        XCTAssertTrue(detectors.observe(step(3, firstNorm: 0.5)).isEmpty, "the streak is broken")
        XCTAssertTrue(detectors.observe(step(4, firstNorm: 1e-5)).isEmpty)
        XCTAssertTrue(detectors.observe(step(5, firstNorm: 1e-5)).isEmpty)
        let found = detectors.observe(step(6, firstNorm: 1e-5))
        XCTAssertEqual(found.map(\.kind), [.vanishing])
        XCTAssertEqual(found.first?.step, 4, "since the streak began")
        XCTAssertEqual(found.first?.layer, "0")
        XCTAssertTrue(detectors.observe(step(7, firstNorm: 1e-5)).isEmpty, "reported once")
    }

    func testExplodingByBoundAndByGrowth() {
        var detectors = Detectors()
        XCTAssertTrue(detectors.observe(step: 1, loss: 1, gradientNorm: 1).isEmpty)
        XCTAssertTrue(detectors.observe(step: 2, loss: 1, gradientNorm: 50).isEmpty)
        let grown = detectors.observe(step: 3, loss: 1, gradientNorm: 150)
        XCTAssertEqual(grown.map(\.kind), [.exploding])
        XCTAssertEqual(grown.first?.step, 1)
        var other = Detectors()
        XCTAssertEqual(other.observe(step: 1, loss: 1, gradientNorm: 2e4).map(\.kind), [.exploding])
    }
}
