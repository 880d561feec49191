import Backprop
import Foundation
import XCTest

/// What the recurrent layers say about themselves: torch's names, shapes, roles and initialisation,
/// per-example shapes, the ReLU RNN's choices, and time traces that cost nothing when off.
final class RecurrentContractTests: XCTestCase {
    func testNamesShapesAndRolesFollowTorchsStateDict() {
        var generator = RandomGenerator(seed: 1)
        let layers: [(any Layer<Float>, Int)] = [
            (RNN<Float>(inputSize: 3, hiddenSize: 5, numLayers: 2, generator: &generator), 1),
            (LSTM<Float>(inputSize: 3, hiddenSize: 5, numLayers: 2, generator: &generator), 4),
            (GRU<Float>(inputSize: 3, hiddenSize: 5, numLayers: 2, generator: &generator), 3),
        ]
        for (layer, gates) in layers {
            XCTAssertEqual(layer.parameters.map(\.name), [
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            ], layer.kind)
            XCTAssertEqual(layer.parameters.map(\.parameter.value.shape), [
                [gates * 5, 3], [gates * 5, 5], [gates * 5], [gates * 5],
                [gates * 5, 5], [gates * 5, 5], [gates * 5], [gates * 5],
            ], layer.kind)
            XCTAssertEqual(layer.parameters.map(\.role), [.weight, .weight, .bias, .bias, .weight, .weight, .bias, .bias])
        }
        let noBias = GRU<Float>(inputSize: 2, hiddenSize: 3, bias: false, generator: &generator)
        XCTAssertEqual(noBias.parameters.map(\.name), ["weight_ih_l0", "weight_hh_l0"])
        XCTAssertEqual(layers.map(\.0.kind), ["RNN", "LSTM", "GRU"])
        XCTAssertEqual(Embedding<Float>(numEmbeddings: 7, embeddingDim: 2, generator: &generator).parameters.map(\.name), ["weight"])
        XCTAssertTrue(LastTimeStep<Float>().parameters.isEmpty)
    }

    /// torch's `reset_parameters`: every weight and bias from U(−1/√hidden, 1/√hidden); Embedding N(0, 1).
    func testDefaultInitialisationIsTorchs() {
        var generator = RandomGenerator(seed: 2)
        let lstm = LSTM<Double>(inputSize: 10, hiddenSize: 16, numLayers: 2, generator: &generator)
        let bound = 1 / 16.0.squareRoot()
        for p in lstm.parameters {
            let values = p.parameter.value.scalars
            XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, p.name)
            XCTAssertGreaterThan(values.max()!, 0.8 * bound, "\(p.name) spans the interval")
            XCTAssertLessThan(values.min()!, -0.8 * bound, "\(p.name) spans the interval")
        }
        let embedding = Embedding<Double>(numEmbeddings: 100, embeddingDim: 50, generator: &generator)
        let w = embedding.weight.value.scalars
        let mean = w.reduce(0, +) / Double(w.count)
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.06)
    }

    func testPerExampleShapes() throws {
        var generator = RandomGenerator(seed: 3)
        let lstm = LSTM<Float>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator)
        XCTAssertEqual(try lstm.outputShape(forInputShape: [7, 3]), [7, 4])
        XCTAssertThrowsError(try lstm.outputShape(forInputShape: [7, 2])) { error in
            XCTAssertEqual(error as? ShapeMismatch, ShapeMismatch(kind: "LSTM(3, 4, num_layers=2, batch_first=True)",
                                                                  input: [7, 2], expected: "[T, 3]"))
        }
        XCTAssertThrowsError(try lstm.outputShape(forInputShape: [3]))
        let rnn = RNN<Float>(inputSize: 2, hiddenSize: 3, nonlinearity: .relu, bias: false, generator: &generator)
        XCTAssertThrowsError(try rnn.outputShape(forInputShape: [1, 3])) { error in
            XCTAssertEqual((error as? ShapeMismatch)?.kind, "RNN(2, 3, nonlinearity='relu', bias=False, batch_first=True)")
        }
        XCTAssertEqual(try GRU<Float>(inputSize: 2, hiddenSize: 3, generator: &generator).outputShape(forInputShape: [1, 2]), [1, 3])
        let embedding = Embedding<Float>(numEmbeddings: 9, embeddingDim: 5, generator: &generator)
        XCTAssertEqual(try embedding.outputShape(forInputShape: [6]), [6, 5])
        XCTAssertEqual(try LastTimeStep<Float>().outputShape(forInputShape: [6, 5]), [5])
        XCTAssertThrowsError(try LastTimeStep<Float>().outputShape(forInputShape: [5])) { error in
            XCTAssertEqual(error as? ShapeMismatch, ShapeMismatch(kind: "LastTimeStep", input: [5], expected: "[T, features]"))
        }
        let model = Sequential<Float>([
            embedding, LSTM<Float>(inputSize: 5, hiddenSize: 4, generator: &generator), LastTimeStep<Float>(),
            Dense<Float>(inputFeatures: 4, outputFeatures: 2, generator: &generator),
        ], inputShape: [6])
        XCTAssertEqual(try model.outputShape(forInputShape: [6]), [2])
        let ids = Tensor<Float>(shape: [3, 6], scalars: (0..<18).map { Float($0 % 9) })
        XCTAssertEqual(model.forward(ids, mode: .training).shape, [3, 2])
        XCTAssertEqual(model.backward(Tensor(shape: [3, 2], repeating: 1)).shape, [3, 6])
    }

    /// The ReLU RNN declares a choice kink and reports the side of 0 of every pre-activation; at the
    /// first step of the first stacked layer those are the signs of x_1 W_ihᵀ + b_ih + b_hh.
    func testReLURNNReportsTheSignOfEveryPreActivation() {
        var generator = RandomGenerator(seed: 4)
        let rnn = RNN<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: .relu, generator: &generator)
        XCTAssertEqual(rnn.kinks, [.choice])
        let x = RecurrentGradientTests.sequence(steps: 3, seed: 8)
        _ = rnn.forward(x, mode: .training)
        let choices = rnn.choices!.lastChoices
        XCTAssertEqual(choices.count, 2 * 3 * 2 * 4, "stacks × T × batch × hidden")
        let w = rnn.weights[0]
        for b in 0..<2 {
            for j in 0..<4 {
                var a = w.biasIH![j] + w.biasHH![j]
                for f in 0..<3 { a += x[(b * 3) * 3 + f] * w.weightIH[j, f] }
                XCTAssertEqual(choices[b * 4 + j], a > 0 ? 1 : -1, "example \(b), unit \(j)")
            }
        }
        XCTAssertTrue(choices.contains(1) && choices.contains(-1))
        let tanh = RNN<Double>(inputSize: 3, hiddenSize: 4, generator: &generator)
        XCTAssertEqual(tanh.kinks, [])
        XCTAssertNil(tanh.choices)
        XCTAssertNil(LSTM<Double>(inputSize: 3, hiddenSize: 4, generator: &generator).choices)
    }

    /// Off (the default), a pass leaves no trace; on, the result is the same, every stack has T entries,
    /// and the top stack's last ‖∂L/∂h_T‖ is the output gradient's at T alone (no later step sends any).
    func testTracingIsOffByDefaultAndChangesNothing() {
        var generator = RandomGenerator(seed: 5)
        for layer in [RNN<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator),
                      LSTM<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator),
                      GRU<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, generator: &generator)] as [any Layer<Double>] {
            let tracing = layer.timeTracing!
            XCTAssertFalse(tracing.isTracingTime)
            let x = RecurrentGradientTests.sequence(steps: 6, seed: 1)
            let dy = RecurrentGradientTests.sequence(steps: 6, features: 4, seed: 2)
            func pass() -> (y: [Double], dx: [Double], gradients: [[Double]]) {
                layer.zeroGradients()
                let y = layer.forward(x, mode: .training).scalars
                let dx = layer.backward(dy).scalars
                return (y, dx, layer.parameters.map(\.parameter.gradient.scalars))
            }
            let plain = pass()
            XCTAssertTrue(tracing.timeTraces.isEmpty, layer.kind)
            tracing.isTracingTime = true
            let traced = pass()
            XCTAssertEqual(traced.y, plain.y)
            XCTAssertEqual(traced.dx, plain.dx)
            XCTAssertEqual(traced.gradients, plain.gradients)
            let traces = tracing.timeTraces
            XCTAssertEqual(traces.map(\.stack), [0, 1])
            for trace in traces {
                XCTAssertEqual(trace.gradientNorms.count, 6)
                XCTAssertEqual(trace.hiddenNorms.count, 6)
                XCTAssertEqual(trace.gates.map(\.name), layer.kind == "LSTM" ? ["i", "f", "g", "o"] : layer.kind == "GRU" ? ["r", "z", "n"] : [])
                for gate in trace.gates { XCTAssertEqual(gate.means.count, 6); XCTAssertEqual(gate.saturatedFractions.count, 6) }
            }
            var last = 0.0
            for b in 0..<2 { for j in 0..<4 { last += dy[(b * 6 + 5) * 4 + j] * dy[(b * 6 + 5) * 4 + j] } }
            XCTAssertEqual(traces[1].gradientNorms[5], last.squareRoot(), accuracy: 1e-12, layer.kind)
            tracing.isTracingTime = false
        }
    }
}
