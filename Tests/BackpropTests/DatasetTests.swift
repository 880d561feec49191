import Backprop
import XCTest

final class DatasetTests: XCTestCase {
    func testSyntheticDatasetsHaveTheirShapesAndBalancedClasses() {
        for name in SyntheticData.names {
            var g = RandomGenerator(seed: 1), h = RandomGenerator(seed: 1)
            let a: Dataset<Double>? = SyntheticData.make(name: name, count: 300, noise: 0.1, generator: &g)
            let b: Dataset<Double>? = SyntheticData.make(name: name, count: 300, noise: 0.1, generator: &h)
            guard let a, let b else { return XCTFail("\(name) is not known") }
            XCTAssertEqual(a.count, 300, name)
            XCTAssertEqual(a.inputs.scalars, b.inputs.scalars, "\(name) is seeded")
            XCTAssertTrue(a.inputs.scalars.allSatisfy(\.isFinite), name)
            if case .classes(let labels, let k) = a.targets {
                let counts = (0..<k).map { c in labels.filter { $0 == c }.count }
                if name == "xor" || name == "checkerboard" {
                    // Labelled by region of a uniform square: balanced in expectation, within 5σ of n/2.
                    XCTAssertEqual(Double(counts[0]), 150, accuracy: 5 * (300 * 0.25).squareRoot(), "\(name) \(counts)")
                } else {
                    XCTAssertEqual(counts.max()! - counts.min()!, 0 + (300 % k == 0 ? 0 : 1), "\(name) \(counts)")
                }
            }
        }
        var g = RandomGenerator(seed: 1)
        let unknown: Dataset<Float>? = SyntheticData.make(name: "mnist", count: 10, noise: 0, generator: &g)
        XCTAssertNil(unknown)
    }

    func testXorAndCheckerboardLabelsFollowTheirRules() {
        var g = RandomGenerator(seed: 4)
        let xor: Dataset<Double> = SyntheticData.xor(count: 200, noise: 0, generator: &g)
        guard case .classes(let labels, _) = xor.targets else { return XCTFail() }
        for i in 0..<200 {
            XCTAssertEqual(labels[i], (xor.inputs[i, 0] > 0) != (xor.inputs[i, 1] > 0) ? 1 : 0)
        }
        let board: Dataset<Double> = SyntheticData.checkerboard(count: 200, cells: 2, noise: 0, generator: &g)
        guard case .classes(let cells, _) = board.targets else { return XCTFail() }
        for i in 0..<200 {  // 2 cells a side: the quadrants alternate, like XOR's complement
            XCTAssertEqual(cells[i], (board.inputs[i, 0] > 0) == (board.inputs[i, 1] > 0) ? 0 : 1)
        }
    }

    func testSplitAndStandardiseUseTheTrainingPartOnly() {
        var g = RandomGenerator(seed: 2)
        let data: Dataset<Double> = SyntheticData.blobs(count: 1000, centers: 3, features: 4, spread: 2, generator: &g)
        let (train, validation) = data.split(validationFraction: 0.2, generator: &g)
        XCTAssertEqual([train.count, validation.count], [800, 200])
        let standardizer = Standardizer<Double>(fitting: train.inputs)
        let validationBefore = validation.inputs.scalars
        standardizer.apply(to: train)
        standardizer.apply(to: validation)
        let after = Standardizer<Double>(fitting: train.inputs)
        for j in 0..<4 {
            XCTAssertEqual(after.mean[j], 0, accuracy: 1e-12)
            XCTAssertEqual(after.standardDeviation[j], 1, accuracy: 1e-12)
        }
        // Validation rows use the training statistics.
        XCTAssertEqual(validation.inputs[0, 1], (validationBefore[1] - standardizer.mean[1]) / standardizer.standardDeviation[1],
                       accuracy: 1e-12)
        let constant = Standardizer<Double>(fitting: Tensor(shape: [3, 1], repeating: 5))
        XCTAssertEqual(constant.standardDeviation, [1], "a constant feature keeps σ = 1")
    }

    func testBatchSamplerCoversEveryExampleOncePerEpoch() {
        let labels = Array(0..<10).map { $0 % 2 }
        let x = Tensor<Float>(shape: [10, 1], scalars: (0..<10).map(Float.init))
        let data = Dataset(inputs: x, targets: .classes(labels, classCount: 2))
        var keep = BatchSampler(dataset: data, batchSize: 4, seed: 1)
        XCTAssertEqual(keep.batchesPerEpoch, 3)
        var firstEpoch: [Float] = [], sizes: [Int] = []
        for _ in 0..<3 {
            let batch = keep.next()
            firstEpoch += batch.inputs.scalars
            sizes.append(batch.inputs.shape[0])
            guard case .classes(let l) = batch.target else { return XCTFail() }
            XCTAssertEqual(l, batch.inputs.scalars.map { Int($0) % 2 }, "labels travel with their rows")
        }
        XCTAssertEqual(sizes, [4, 4, 2], "the last partial batch is kept")
        XCTAssertEqual(firstEpoch.sorted(), (0..<10).map(Float.init))
        XCTAssertNotEqual(firstEpoch, (0..<10).map(Float.init), "shuffled")
        var secondEpoch: [Float] = []
        for _ in 0..<3 { secondEpoch += keep.next().inputs.scalars }
        XCTAssertEqual(keep.epoch, 1)
        XCTAssertEqual(secondEpoch.sorted(), (0..<10).map(Float.init))
        XCTAssertNotEqual(secondEpoch, firstEpoch, "reshuffled every epoch")

        var drop = BatchSampler(dataset: data, batchSize: 4, dropsLastPartialBatch: true, seed: 1)
        XCTAssertEqual(drop.batchesPerEpoch, 2)
        XCTAssertEqual((0..<5).map { _ in drop.next().inputs.shape[0] }, [4, 4, 4, 4, 4])
        XCTAssertEqual(drop.epoch, 2)
    }
}
