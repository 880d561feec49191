import Backprop
import TrainingDiagnostics

/// The gradient of every Linear layer's weight after one backward pass of a fresh network: the first
/// picture of vanishing or exploding gradients, before any training.
///
/// The batch is seeded Gaussian inputs with labels from a random linear teacher, so that two networks
/// built with the same seed see the same data.
public struct GradientFlowSnapshot: Sendable {
    /// One Linear layer's weight gradient.
    public struct LayerGradient: Sendable {
        public var parameter: String
        public var statistics: TensorStatistics
    }

    public var label: String
    public var loss: Double
    public var layers: [LayerGradient]

    /// The ratio of the first Linear layer's gradient norm to the last one's: far below 1 means the
    /// gradient vanishes on its way back to the input.
    public var depthRatio: Double {
        guard let first = layers.first?.statistics.norm, let last = layers.last?.statistics.norm, last > 0 else {
            return .nan
        }
        return first / last
    }

    /// Builds an MLP of `sizes` with `activation` and `initializer`, runs one forward and backward pass
    /// with softmax cross-entropy on a seeded batch, and records each weight's gradient statistics.
    public static func measure(
        label: String, sizes: [Int], activation: Activation, initializer: Initializer,
        batch: Int = 64, seed: UInt64
    ) -> GradientFlowSnapshot {
        var generator = RandomGenerator(seed: seed)
        let model = Sequential<Double>.multilayerPerceptron(
            sizes: sizes, activation: activation, initializer: initializer, generator: &generator)
        var dataGenerator = RandomGenerator(seed: seed &+ 1)
        let inputs = sizes[0], classes = sizes[sizes.count - 1]
        let x = Tensor<Double>(shape: [batch, inputs])
        for i in 0..<x.count { x[i] = dataGenerator.nextNormal() }
        let teacher = (0..<(inputs * classes)).map { _ in dataGenerator.nextNormal() }
        let labels = (0..<batch).map { row in
            (0..<classes).max { a, b in
                score(x, row, teacher, a, inputs) < score(x, row, teacher, b, inputs)
            } ?? 0
        }
        let loss = SoftmaxCrossEntropy<Double>()
        let value = loss.forward(model.forward(x, mode: .training), .classes(labels))
        model.zeroGradients()
        _ = model.backward(loss.backward())
        let layers = model.parameters.filter { $0.name.hasSuffix("weight") }.map { named in
            named.parameter.gradient.withUnsafeBufferPointer {
                LayerGradient(parameter: named.name, statistics: TensorStatistics($0))
            }
        }
        return GradientFlowSnapshot(label: label, loss: value, layers: layers)
    }

    private static func score(_ x: Tensor<Double>, _ row: Int, _ teacher: [Double], _ c: Int, _ inputs: Int) -> Double {
        (0..<inputs).reduce(0) { $0 + x[row, $1] * teacher[c * inputs + $1] }
    }
}
