import Backprop
import XCTest

/// Losses against values computed by hand, their stability, and their gradients.
final class LossTests: XCTestCase {
    func testMeanSquaredErrorByHand() {
        let loss = MeanSquaredError<Double>()
        let p = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        let t = Tensor<Double>(shape: [2, 2], scalars: [0, 0, 3, 2])
        // ((1)² + (2)² + 0 + (2)²) / 4 = 9/4
        XCTAssertEqual(loss.forward(p, .values(t)), 2.25)
        // 2(p − t)/N
        XCTAssertEqual(loss.backward().scalars, [0.5, 1, 0, 1])
    }

    func testCrossEntropyByHand() {
        let loss = SoftmaxCrossEntropy<Double>()
        // Two equal logits: −log ½ = log 2.
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 2], scalars: [0, 0]), .classes([0])), log(2), accuracy: 1e-15)
        // logits 1, 2, 3 and class 2: log(e + e² + e³) − 3.
        let expected = log(M_E + M_E * M_E + M_E * M_E * M_E) - 3
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 3], scalars: [1, 2, 3]), .classes([2])), expected, accuracy: 1e-15)
        // Probabilities as targets: ½·(−log p0) + ½·(−log p1) for equal logits = log 2.
        let soft = Tensor<Double>(shape: [1, 2], scalars: [0.5, 0.5])
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 2], scalars: [7, 7]), .values(soft)), log(2), accuracy: 1e-15)
        // Mean over the batch: rows with losses log 2 and log(e+e²+e³) − 3.
        let batch = Tensor<Double>(shape: [2, 3], scalars: [0, 0, 0, 1, 2, 3])
        XCTAssertEqual(loss.forward(batch, .classes([1, 2])), (log(3) + expected) / 2, accuracy: 1e-15)
        // ∂L/∂z = (softmax − onehot)/B
        let g = loss.backward().scalars
        XCTAssertEqual(g[0], (1.0 / 3) / 2, accuracy: 1e-15)
        XCTAssertEqual(g[1], (1.0 / 3 - 1) / 2, accuracy: 1e-15)
    }

    func testCrossEntropyIsStableForHugeLogits() {
        let loss = SoftmaxCrossEntropy<Float>()
        let value = loss.forward(Tensor(shape: [1, 2], scalars: [1000, 0]), .classes([1]))
        XCTAssertEqual(value, 1000, "−log softmax = 1000 exactly, with no overflow")
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 2], scalars: [1000, 0]), .classes([0])), 0)
        XCTAssertFalse(loss.backward().scalars.contains { !$0.isFinite })
    }

    func testBinaryCrossEntropyByHand() {
        let loss = BinaryCrossEntropy<Double>()
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 1], scalars: [0]), .values(Tensor(shape: [1, 1], scalars: [1]))),
                       log(2), accuracy: 1e-15)
        // z = 2, t = 0: log(1 + e²).
        XCTAssertEqual(loss.forward(Tensor(shape: [1, 1], scalars: [2]), .values(Tensor(shape: [1, 1], scalars: [0]))),
                       log(1 + M_E * M_E), accuracy: 1e-14)
        // Large logits: exactly z for a wrong label, no overflow.
        let big = BinaryCrossEntropy<Float>()
        XCTAssertEqual(big.forward(Tensor(shape: [1, 2], scalars: [100, -100]),
                                   .values(Tensor(shape: [1, 2], scalars: [0, 1]))), 100)
        XCTAssertEqual(big.backward().scalars, [0.5, -0.5], "(σ(z) − t)/N for saturated σ")
    }

    func testLossGradientsAgainstCentralDifferences() {
        let checker = FiniteDifferenceCheck()
        let prediction = randomTensor(rows: 4, columns: 3, seed: 1)
        checker.check(MeanSquaredError<Double>(), prediction: prediction,
                      target: .values(randomTensor(rows: 4, columns: 3, seed: 2)))
        checker.check(SoftmaxCrossEntropy<Double>(), prediction: prediction, target: .classes([0, 2, 1, 2]))
        let probabilities = Tensor<Double>(shape: [4, 3], scalars: [0.2, 0.3, 0.5, 1, 0, 0, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4])
        checker.check(SoftmaxCrossEntropy<Double>(), prediction: prediction, target: .values(probabilities))
        let labels = Tensor<Double>(shape: [4, 3], scalars: [1, 0, 1, 0, 0, 1, 1, 1, 0, 0.5, 0.2, 0.9])
        checker.check(BinaryCrossEntropy<Double>(), prediction: prediction, target: .values(labels))
    }

    func testLossNames() {
        XCTAssertEqual(makeLoss(named: "mse", as: Double.self)?.name, "mse")
        XCTAssertEqual(makeLoss(named: "cross_entropy", as: Float.self)?.name, "cross-entropy")
        XCTAssertEqual(makeLoss(named: "bce", as: Float.self)?.name, "bce")
        XCTAssertNil(makeLoss(named: "hinge", as: Float.self))
    }
}
