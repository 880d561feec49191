import Backprop
import XCTest

/// RNN, LSTM, GRU, Embedding and LastTimeStep against central differences in Double (input, every
/// weight and bias), over T = 1 and longer sequences, one and two stacked layers, with and without bias.
final class RecurrentGradientTests: XCTestCase {
    let checker = FiniteDifferenceCheck()
    static let batch = 2, features = 3, hidden = 4

    /// A `[batch, T, features]` tensor of seeded normal values.
    static func sequence(steps: Int, features: Int = features, seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var generator = RandomGenerator(seed: seed)
        let t = Tensor<Double>(shape: [batch, steps, features])
        for i in 0..<t.count { t[i] = generator.nextNormal() * scale }
        return t
    }

    /// Every combination of T, num_layers and bias for one kind of layer.
    func checkEveryConfiguration(
        _ make: (_ numLayers: Int, _ bias: Bool, _ generator: inout RandomGenerator) -> any Layer<Double>,
        steps: [Int] = [1, 4], file: StaticString = #filePath, line: UInt = #line
    ) {
        for numLayers in [1, 2] {
            for bias in [true, false] {
                for t in steps {
                    var generator = RandomGenerator(seed: UInt64(10 * numLayers + t))
                    let layer = make(numLayers, bias, &generator)
                    XCTAssertEqual(layer.parameters.count, numLayers * (bias ? 4 : 2), file: file, line: line)
                    checker.check(layer, input: Self.sequence(steps: t, seed: UInt64(t)), file: file, line: line)
                }
            }
        }
    }

    func testRNNTanh() {
        checkEveryConfiguration { numLayers, bias, generator in
            RNN<Double>(inputSize: Self.features, hiddenSize: Self.hidden, numLayers: numLayers, bias: bias,
                        generator: &generator)
        }
    }

    /// The seeds keep every pre-activation far from 0 (the kink) compared with the step of 1e−6.
    func testRNNReLU() {
        checkEveryConfiguration { numLayers, bias, generator in
            RNN<Double>(inputSize: Self.features, hiddenSize: Self.hidden, numLayers: numLayers, nonlinearity: .relu,
                        bias: bias, generator: &generator)
        }
    }

    func testLSTM() {
        checkEveryConfiguration { numLayers, bias, generator in
            LSTM<Double>(inputSize: Self.features, hiddenSize: Self.hidden, numLayers: numLayers, bias: bias,
                         generator: &generator)
        }
    }

    func testGRU() {
        checkEveryConfiguration { numLayers, bias, generator in
            GRU<Double>(inputSize: Self.features, hiddenSize: Self.hidden, numLayers: numLayers, bias: bias,
                        generator: &generator)
        }
    }

    /// Large weights push the gates into saturation, where the cells' derivatives are smallest and a
    /// wrong σ' or tanh' term stands out least; the check must still hold.
    func testGatedCellsWithLargeWeights() {
        var generator = RandomGenerator(seed: 5)
        for layer in [LSTM<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator),
                      GRU<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator)] as [any Layer<Double>] {
            for p in layer.parameters { for i in 0..<p.parameter.value.count { p.parameter.value[i] *= 4 } }
            checker.check(layer, input: Self.sequence(steps: 5, seed: 9, scale: 2))
        }
    }

    /// A hidden size of 11 runs the cells' eight-lane loops and their one-by-one tails.
    func testWiderCellsUseTheVectorLanesAndTheTail() {
        var generator = RandomGenerator(seed: 6)
        for layer in [LSTM<Double>(inputSize: 3, hiddenSize: 11, generator: &generator),
                      GRU<Double>(inputSize: 3, hiddenSize: 11, generator: &generator)] as [any Layer<Double>] {
            checker.check(layer, input: Self.sequence(steps: 3, seed: 2))
        }
    }

    func testLastTimeStep() {
        let layer = LastTimeStep<Double>()
        for t in [1, 3] { checker.check(layer, input: Self.sequence(steps: t, seed: 4)) }
        let x = Self.sequence(steps: 3, seed: 4)
        let y = layer.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [Self.batch, Self.features])
        XCTAssertEqual(y.scalars, [6, 7, 8, 15, 16, 17].map { x[$0] })
        let dx = layer.backward(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(dx.scalars, [0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 4, 5, 6])
    }

    /// The weight's gradient is a scatter-add of the output gradient: checked against central differences
    /// with a token that appears twice; the ids get a zero gradient.
    func testEmbeddingWeightGradient() {
        var generator = RandomGenerator(seed: 3)
        let embedding = Embedding<Double>(numEmbeddings: 5, embeddingDim: 3, generator: &generator)
        let ids = Tensor<Double>(shape: [2, 3], scalars: [4, 0, 2, 2, 1, 4])
        let y = embedding.forward(ids, mode: .training)
        XCTAssertEqual(y.shape, [2, 3, 3])
        XCTAssertEqual(Array(y.scalars[0..<3]), Array(embedding.weight.value.scalars[12..<15]), "row 4 for id 4")
        let upstream = Tensor<Double>(shape: y.shape)
        for i in 0..<upstream.count { upstream[i] = generator.nextNormal() }
        embedding.zeroGradients()
        let dx = embedding.backward(upstream)
        XCTAssertEqual(dx.shape, ids.shape)
        XCTAssertEqual(dx.scalars, Array(repeating: 0, count: 6))
        let gradient = embedding.weight.gradient.scalars
        XCTAssertEqual(Array(gradient[6..<9]), (0..<3).map { upstream[6 + $0] + upstream[9 + $0] }, "id 2 at positions 2, 3")
        XCTAssertEqual(Array(gradient[12..<15]), (0..<3).map { upstream[$0] + upstream[15 + $0] }, "id 4 at positions 0, 5")
        XCTAssertEqual(Array(gradient[9..<12]), [0, 0, 0], "id 3 appears nowhere")
        checker.compare(name: "weight", tensor: embedding.weight.value, analytic: embedding.weight.gradient.copy(),
                        objective: {
                            let out = embedding.forward(ids, mode: .training)
                            return (0..<out.count).reduce(0) { $0 + out[$1] * upstream[$1] }
                        }, file: #filePath, line: #line)
    }

    func testEmbeddingGradientsAccumulate() {
        var generator = RandomGenerator(seed: 3)
        let embedding = Embedding<Double>(numEmbeddings: 3, embeddingDim: 2, generator: &generator)
        let ids = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
        let ones = Tensor<Double>(shape: [1, 2, 2], repeating: 1)
        embedding.zeroGradients()
        for _ in 0..<2 {
            _ = embedding.forward(ids, mode: .training)
            _ = embedding.backward(ones)
        }
        XCTAssertEqual(embedding.weight.gradient.scalars, [0, 0, 4, 4, 0, 0])
    }
}
