import Backprop
import Experiments
import Foundation
import XCTest

final class DataSourceTests: XCTestCase {
    func testDigitsAreTheUCIImages() {
        let digits: Dataset<Float> = Digits.dataset()
        XCTAssertEqual(digits.inputs.shape, [1797, 1, 8, 8])
        XCTAssertEqual(digits.exampleShape, [1, 8, 8])
        XCTAssertEqual(digits.features, 64)
        guard case .classes(let labels, let classes) = digits.targets else { return XCTFail("digits are classes") }
        XCTAssertEqual(classes, 10)
        // The class counts of the UCI test set (scikit-learn's load_digits documents the same 1,797).
        XCTAssertEqual((0..<10).map { c in labels.filter { $0 == c }.count }, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        let pixels = digits.inputs.scalars
        XCTAssertEqual(pixels.min(), 0)
        XCTAssertEqual(pixels.max(), 16)
        XCTAssertTrue(pixels.allSatisfy { $0 == $0.rounded() })
        // The first image of the file, a zero.
        XCTAssertEqual(labels[0], 0)
        XCTAssertEqual(Array(pixels[0..<16]), [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0])
    }

    func testAddingProblemHasTwoMarkersOneInEachHalfAndTheirSum() {
        var g = RandomGenerator(seed: 3)
        let n = 4000, t = 30
        guard let data: Dataset<Double> = SequenceTasks.make(name: "adding", count: n, length: t, generator: &g),
              case .values(let y) = data.targets else { return XCTFail("adding is regression") }
        XCTAssertEqual(data.inputs.shape, [n, t, 2])
        var squaredErrorOfOne = 0.0
        for i in 0..<n {
            let marked = (0..<t).filter { data.inputs[(i * t + $0) * 2 + 1] == 1 }
            XCTAssertEqual(marked.count, 2)
            XCTAssertLessThan(marked[0], t / 2)
            XCTAssertGreaterThanOrEqual(marked[1], t / 2)
            let sum = marked.reduce(0.0) { $0 + data.inputs[(i * t + $1) * 2] }
            XCTAssertEqual(y[i], sum, accuracy: 1e-12)
            squaredErrorOfOne += (y[i] - 1) * (y[i] - 1)
        }
        // Predicting 1 scores MSE 1/6 (the variance of a sum of two U(0, 1)); 4000 draws: ±0.01.
        XCTAssertEqual(squaredErrorOfOne / Double(n), 1.0 / 6, accuracy: 0.012)
    }

    func testCopyAndTemporalOrderLabelsAreWhatTheInputsShow() {
        var g = RandomGenerator(seed: 5)
        let t = 20
        guard let copy: Dataset<Float> = SequenceTasks.make(name: "copy", count: 200, length: t, generator: &g),
              case .classes(let labels, let k) = copy.targets else { return XCTFail("copy is classification") }
        let f = SequenceTasks.copySymbols + 2
        XCTAssertEqual(copy.inputs.shape, [200, t, f])
        XCTAssertEqual(k, SequenceTasks.copySymbols)
        for i in 0..<200 {
            XCTAssertEqual(copy.inputs[(i * t) * f + labels[i]], 1)
            XCTAssertEqual(copy.inputs[(i * t + t - 1) * f + f - 1], 1, "the recall marker at the last step")
            XCTAssertEqual((0..<(t * f)).reduce(Float(0)) { $0 + copy.inputs[i * t * f + $1] }, Float(t), "one-hot at every step")
        }
        guard let order: Dataset<Float> = SequenceTasks.make(name: "temporal-order", count: 300, length: 50, generator: &g),
              case .classes(let classes, let four) = order.targets else { return XCTFail("temporal-order is classification") }
        XCTAssertEqual(four, 4)
        XCTAssertEqual(Set(classes), [0, 1, 2, 3])
        for i in 0..<300 {
            let relevant = (0..<50).compactMap { s -> Int? in
                order.inputs[(i * 50 + s) * 6 + 4] == 1 ? 0 : order.inputs[(i * 50 + s) * 6 + 5] == 1 ? 1 : nil
            }
            XCTAssertEqual(relevant.count, 2)
            XCTAssertEqual(relevant[0] * 2 + relevant[1], classes[i])
        }
    }

    func testSafetensorsDatasetsAndTheirProblems() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ entries: [SafeTensors.Entry]) throws -> String {
            let path = folder.appendingPathComponent("\(UUID().uuidString).safetensors").path
            try SafeTensors(entries: entries).write(to: URL(fileURLWithPath: path))
            return path
        }
        let x = Tensor<Float>(shape: [3, 4, 2], scalars: (0..<24).map { Float($0) / 10 })
        let good = try write([.init(name: "inputs", tensor: x), .init(name: "labels", shape: [3], integers: [0, 2, 1])])
        let data: Dataset<Float> = try SafeTensorsDataset.load(path: good)
        XCTAssertEqual(data.exampleShape, [4, 2])
        XCTAssertEqual(data.inputs.scalars, x.scalars)
        guard case .classes(let labels, 3) = data.targets else { return XCTFail("three classes") }
        XCTAssertEqual(labels, [0, 2, 1])

        let tokens = try write([.init(name: "inputs", shape: [2, 3], integers: [1, 4, 2, 0, 0, 9]),
                                .init(name: "targets", tensor: Tensor<Float>(shape: [2, 1], scalars: [0.5, -1]))])
        let ids: Dataset<Double> = try SafeTensorsDataset.load(path: tokens)
        XCTAssertEqual(ids.inputs.scalars, [1, 4, 2, 0, 0, 9])
        XCTAssertTrue(SafeTensorsDataset.holdsTokenIDs(path: tokens))

        // Token ids beyond the model's Embedding are refused before training, naming both files.
        let model = folder.appendingPathComponent("tokens.yaml").path
        try "input: [3]\nlayers:\n  - Embedding: {num_embeddings: 5, embedding_dim: 2}\n  - LSTM: {hidden_size: 2}\n  - LastTimeStep\n  - Linear: {out_features: 1}\n"
            .write(toFile: model, atomically: true, encoding: .utf8)
        var config = ExperimentConfig()
        config.model = model
        config.data = tokens
        config.validation = 0
        XCTAssertThrowsError(try Experiment(config).makeTrainer(as: Float.self)) {
            XCTAssertEqual(($0 as? ExperimentError)?.setting, "data")
            XCTAssertTrue(String(describing: $0).contains("token id 9"), String(describing: $0))
            XCTAssertTrue(String(describing: $0).contains(model), String(describing: $0))
        }

        func message(_ entries: [SafeTensors.Entry]) throws -> String {
            let path = try write(entries)
            do {
                let _: Dataset<Float> = try SafeTensorsDataset.load(path: path)
                return "loaded"
            } catch let error as ExperimentError {
                XCTAssertTrue(error.message.contains(path), error.message)
                return error.message
            }
        }
        XCTAssertTrue(try message([.init(name: "x", tensor: x)]).contains("no tensor 'inputs'"))
        XCTAssertTrue(try message([.init(name: "inputs", tensor: x)]).contains("neither 'labels'"))
        XCTAssertTrue(try message([.init(name: "inputs", tensor: x), .init(name: "labels", shape: [2], integers: [0, 1])])
            .contains("I64 [3]"))
        XCTAssertTrue(try message([.init(name: "inputs", tensor: x), .init(name: "labels", shape: [3], integers: [0, -1, 1])])
            .contains("-1"))
        XCTAssertTrue(try message([.init(name: "inputs", shape: [3, 1, 2], integers: [0, 1, 2, 3, 4, 5]),
                                   .init(name: "labels", shape: [3], integers: [0, 1, 1])]).contains("[N, T]"))
        let nan = Tensor<Float>(shape: [3, 1], scalars: [0, .nan, 1])
        XCTAssertTrue(try message([.init(name: "inputs", tensor: nan), .init(name: "labels", shape: [3], integers: [0, 1, 1])])
            .contains("finite"))
    }

    func testCSVRowsTakeTheInputShapeWhenTheColumnsAddUp() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csvshape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("img.csv").path
        var text = "a,b,c,d,y\n"
        for i in 0..<10 { text += "\(i),\(i + 1),\(i + 2),\(i + 3),\(i % 2)\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var config = ExperimentConfig()
        config.data = path
        config.label = "y"
        config.inputShape = [1, 2, 2]
        config.validation = 0
        config.standardize = false
        let (train, _) = try Experiment(config).makeData(as: Float.self)
        XCTAssertEqual(train.inputs.shape, [10, 1, 2, 2])
        XCTAssertEqual(Array(train.inputs.scalars[4..<8]), [1, 2, 3, 4])
        config.inputShape = [3, 2]
        XCTAssertThrowsError(try Experiment(config).makeData(as: Float.self)) {
            XCTAssertEqual(($0 as? ExperimentError)?.setting, "input-shape")
            XCTAssertTrue(String(describing: $0).contains("4 input columns"), String(describing: $0))
        }
        config.inputShape = [4]
        config.data = nil
        config.label = nil
        XCTAssertThrowsError(try Experiment(config)) { XCTAssertEqual(($0 as? ExperimentError)?.setting, "input-shape") }
    }
}
