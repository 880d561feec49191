import Backprop
import XCTest
@testable import GradientCheck

/// The checker holds a model's randomness fixed through the layers' random-state contract, wherever the
/// layer that draws it sits in the tree, and gives it back as it was.
final class RandomStateTests: XCTestCase {
    func testDropoutInsideAResidualBlockIsFrozenForTheCheckAndRestored() {
        for seed in UInt64(0)..<3 {
            var generator = RandomGenerator(seed: seed)
            let model = Sequential<Double>([
                Dense<Double>(inputFeatures: 3, outputFeatures: 6, initializer: .xavierNormal(), generator: &generator),
                Residual<Double>(Sequential([
                    Dense<Double>(inputFeatures: 6, outputFeatures: 6, initializer: .xavierNormal(), generator: &generator),
                    ActivationLayer<Double>(.tanh),
                    Dropout<Double>(probability: 0.5, seed: seed + 100),
                ])),
                Dense<Double>(inputFeatures: 6, outputFeatures: 2, initializer: .xavierNormal(), generator: &generator),
            ], inputShape: [3])
            let states = model.namedLayers.compactMap(\.layer.randomState)
            XCTAssertEqual(states.count, 1, "seed \(seed)")
            let inputs = Tensor<Double>(shape: [5, 3], scalars: (0..<15).map { _ in generator.nextNormal() })
            let (problem, restore) = CheckTargets.model(model, loss: SoftmaxCrossEntropy<Double>(), inputs: inputs,
                                                        target: .classes([0, 1, 1, 0, 1]))
            XCTAssertEqual(states.map(\.isFrozen), [true], "seed \(seed): frozen while the check runs")
            let wrong = GradientChecker(mode: .full).check(problem).flatMap(\.entries).filter { $0.judgement.verdict == .wrong }
            restore()
            XCTAssertEqual(wrong.count, 0, "seed \(seed): \(wrong.prefix(3))")
            XCTAssertEqual(states.map(\.isFrozen), [false], "seed \(seed): given back unfrozen")
        }
    }
}
