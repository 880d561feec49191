import Backprop
import RunFormat
import XCTest
@testable import GradientCheck

/// Issue 17, item 5: correct models are never `wrong`, in every mode, including the regimes where a
/// fixed step of 1e-6 used to cross ReLU kinks by the hundred (deep nets whose activations vanish).
final class CorrectModelZooTests: XCTestCase {
    /// One correct model of the zoo, built from a seed.
    struct Specimen {
        var name: String
        var build: (inout RandomGenerator) -> [any Layer<Double>]
        /// Steps of plain SGD at `learningRate` before the check (a checkpoint after training).
        var trainingSteps = 0
        var learningRate = 0.0
        /// The per-example input shape: `[features]` for the MLPs, `[C, H, W]` for the convnets,
        /// `[T, features]` for the recurrent nets.
        var inputShape = [CorrectModelZooTests.features]
    }

    static let features = 3, classes = 3, batch = 4

    /// Dense layers of `width`, `depth` hidden layers, each followed by `activation`.
    static func mlp(depth: Int, width: Int, activation: Activation, initializer: Initializer)
        -> (inout RandomGenerator) -> [any Layer<Double>]
    {
        { generator in
            var layers: [any Layer<Double>] = []
            var input = features
            for _ in 0..<depth {
                layers.append(Dense<Double>(inputFeatures: input, outputFeatures: width, initializer: initializer,
                                            generator: &generator))
                layers.append(ActivationLayer<Double>(activation))
                input = width
            }
            layers.append(Dense<Double>(inputFeatures: input, outputFeatures: classes, initializer: initializer,
                                        generator: &generator))
            return layers
        }
    }

    static var zoo: [Specimen] {
        var zoo: [Specimen] = []
        // The vanishing regime: deep ReLU and leaky-ReLU nets, Xavier (gain 1 halves the variance at every
        // ReLU) and a small normal init, so that deep activations are 1e-5 and far below.
        for (activation, depths) in [(Activation.relu, [15, 20, 30, 50]), (.leakyReLU(), [15, 30, 50])] {
            for depth in depths {
                zoo.append(Specimen(name: "\(activation.name) depth \(depth) xavier-normal",
                                    build: mlp(depth: depth, width: depth >= 30 ? 6 : 8, activation: activation,
                                               initializer: .xavierNormal())))
            }
            for depth in [15, 25] {
                zoo.append(Specimen(name: "\(activation.name) depth \(depth) normal(0, 0.1)",
                                    build: mlp(depth: depth, width: 8, activation: activation,
                                               initializer: .normal(mean: 0, standardDeviation: 0.1))))
            }
        }
        // Every activation in a small net.
        for activation in Activation.allDefaults {
            zoo.append(Specimen(name: "\(activation.name) depth 2",
                                build: mlp(depth: 2, width: 8, activation: activation, initializer: .xavierNormal())))
        }
        // Dead units: a bias of −10 keeps half the units of the first ReLU layer at 0 for every example.
        zoo.append(Specimen(name: "relu with dead units", build: { generator in
            let layers = mlp(depth: 3, width: 8, activation: .relu, initializer: .heNormal())(&generator)
            if let first = layers.first?.parameters.first(where: { $0.role == .bias }) {
                for i in 0..<4 { first.parameter.value[i] = -10 }
            }
            return layers
        }))
        // Checkpoints after training at a high learning rate.
        for activation in [Activation.relu, .tanh, .leakyReLU()] {
            zoo.append(Specimen(name: "\(activation.name) after 30 steps at lr 1", build: mlp(
                depth: 4, width: 8, activation: activation, initializer: .heNormal()), trainingSteps: 30, learningRate: 1))
        }
        // Normalisation, residual blocks, dropout.
        zoo.append(Specimen(name: "batchnorm relu", build: { generator in
            [Dense<Double>(inputFeatures: features, outputFeatures: 8, initializer: .heNormal(), generator: &generator),
             BatchNorm1d<Double>(features: 8), ActivationLayer<Double>(.relu),
             Dense<Double>(inputFeatures: 8, outputFeatures: classes, initializer: .xavierNormal(), generator: &generator)]
        }))
        zoo.append(Specimen(name: "layernorm gelu", build: { generator in
            [Dense<Double>(inputFeatures: features, outputFeatures: 8, initializer: .heNormal(), generator: &generator),
             LayerNorm<Double>(features: 8), ActivationLayer<Double>(.gelu),
             Dense<Double>(inputFeatures: 8, outputFeatures: classes, initializer: .xavierNormal(), generator: &generator)]
        }))
        zoo.append(Specimen(name: "residual relu depth 10", build: { generator in
            var layers: [any Layer<Double>] = [
                Dense<Double>(inputFeatures: features, outputFeatures: 8, initializer: .heNormal(), generator: &generator)]
            for _ in 0..<10 {
                layers.append(Residual<Double>(Sequential([
                    Dense<Double>(inputFeatures: 8, outputFeatures: 8, initializer: .xavierNormal(), generator: &generator),
                    ActivationLayer<Double>(.relu)])))
            }
            layers.append(Dense<Double>(inputFeatures: 8, outputFeatures: classes, initializer: .xavierNormal(),
                                        generator: &generator))
            return layers
        }))
        zoo.append(Specimen(name: "dropout relu", build: { generator in
            [Dense<Double>(inputFeatures: features, outputFeatures: 8, initializer: .heNormal(), generator: &generator),
             ActivationLayer<Double>(.relu), Dropout<Double>(probability: 0.5, seed: generator.next()),
             Dense<Double>(inputFeatures: 8, outputFeatures: classes, initializer: .xavierNormal(), generator: &generator)]
        }))
        zoo.append(Specimen(name: "deep layernorm residual hardtanh", build: { generator in
            var layers: [any Layer<Double>] = [
                Dense<Double>(inputFeatures: features, outputFeatures: 8, initializer: .heNormal(), generator: &generator)]
            for _ in 0..<6 {
                layers.append(Residual<Double>(Sequential([
                    LayerNorm<Double>(features: 8),
                    Dense<Double>(inputFeatures: 8, outputFeatures: 8, initializer: .xavierNormal(), generator: &generator),
                    ActivationLayer<Double>(.hardtanh()), Dropout<Double>(probability: 0.2, seed: generator.next())])))
            }
            layers.append(Dense<Double>(inputFeatures: 8, outputFeatures: classes, initializer: .xavierNormal(),
                                        generator: &generator))
            return layers
        }))
        // Convolutional nets on [2, 6, 6] images: convolution, batch norm, max- and average-pooling,
        // channel dropout, flatten.
        zoo.append(Specimen(name: "convnet batchnorm maxpool avgpool dropout2d", build: { generator in
            [Conv2d<Double>(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, generator: &generator),
             BatchNorm2d<Double>(features: 3), ActivationLayer<Double>(.relu), MaxPool2d<Double>(kernelSize: 2),
             AvgPool2d<Double>(kernelSize: 2, stride: 1), Dropout2d<Double>(probability: 0.3, seed: generator.next()),
             Flatten<Double>(),
             Dense<Double>(inputFeatures: 12, outputFeatures: classes, initializer: .xavierNormal(), generator: &generator)]
        }, inputShape: [2, 6, 6]))
        zoo.append(Specimen(name: "convnet strided dilated global average", build: { generator in
            [Conv2d<Double>(inChannels: 2, outChannels: 4, kernelSize: [2, 3], stride: 2, padding: 1,
                            generator: &generator),
             ActivationLayer<Double>(.tanh),
             Conv2d<Double>(inChannels: 4, outChannels: 4, kernelSize: 2, dilation: 2, initializer: .heNormal(),
                            generator: &generator),
             ActivationLayer<Double>(.relu), MaxPool2d<Double>(kernelSize: 2, stride: 1, padding: 1),
             AdaptiveAvgPool2d<Double>(), Flatten<Double>(),
             Dense<Double>(inputFeatures: 4, outputFeatures: classes, initializer: .xavierNormal(), generator: &generator)]
        }, inputShape: [2, 6, 6]))
        // Recurrent layers, two stacked layers each, read at their last time step.
        let hidden = 5
        let recurrent: [(String, (inout RandomGenerator) -> any Layer<Double>)] = [
            ("rnn tanh", { RNN<Double>(inputSize: features, hiddenSize: hidden, numLayers: 2, generator: &$0) }),
            ("rnn relu", { RNN<Double>(inputSize: features, hiddenSize: hidden, numLayers: 2, nonlinearity: .relu,
                                       generator: &$0) }),
            ("lstm", { LSTM<Double>(inputSize: features, hiddenSize: hidden, numLayers: 2, generator: &$0) }),
            ("gru", { GRU<Double>(inputSize: features, hiddenSize: hidden, numLayers: 2, generator: &$0) }),
        ]
        for (name, make) in recurrent {
            zoo.append(Specimen(name: "\(name) 2 layers, last step, linear", build: { generator in
                [make(&generator), LastTimeStep<Double>(),
                 Dense<Double>(inputFeatures: hidden, outputFeatures: classes, generator: &generator)]
            }, inputShape: [4, features]))
        }
        return zoo
    }

    static let modes: [CheckMode] = [.full, .sample(count: 6), .direction]
    static let seeds: [UInt64] = [1, 2]

    /// The model, its batch and its loss, trained first when the specimen says so.
    static func problem(_ specimen: Specimen, seed: UInt64) -> (CheckProblem, () -> Void) {
        var generator = RandomGenerator(seed: seed)
        let model = Sequential<Double>(specimen.build(&generator), inputShape: specimen.inputShape)
        let inputs = Tensor<Double>(shape: [batch] + specimen.inputShape)
        for i in 0..<inputs.count { inputs[i] = generator.nextNormal() }
        let target = LossTarget<Double>.classes((0..<batch).map { $0 % classes })
        let loss = SoftmaxCrossEntropy<Double>()
        for _ in 0..<specimen.trainingSteps {
            model.zeroGradients()
            _ = loss.forward(model.forward(inputs, mode: .training), target)
            _ = model.backward(loss.backward())
            for named in model.parameters {
                let value = named.parameter.value, gradient = named.parameter.gradient
                for i in 0..<value.count { value[i] -= specimen.learningRate * gradient[i] }
            }
        }
        return CheckTargets.model(model, loss: loss, inputs: inputs, target: target)
    }

    func testTheZooOfCorrectModelsIsNeverWrongInAnyMode() {
        let zoo = Self.zoo
        XCTAssertGreaterThanOrEqual(zoo.count, 30)
        var counts: [EntryVerdict: Int] = [:]
        var checks = 0
        for specimen in zoo {
            for seed in Self.seeds {
                for mode in Self.modes {
                    let (problem, restore) = Self.problem(specimen, seed: seed)
                    let results = GradientChecker(mode: mode, seed: seed).check(problem)
                    restore()
                    checks += 1
                    for entry in results.flatMap(\.entries) { counts[entry.judgement.verdict, default: 0] += 1 }
                    let wrong = results.flatMap(\.entries).filter { $0.judgement.verdict == .wrong }
                    XCTAssertEqual(wrong.count, 0, "\(specimen.name), seed \(seed), \(mode.name) mode: "
                                   + wrong.prefix(3).map { "\($0.tensor)[\($0.index)] \($0.judgement)" }.joined(separator: "; "))
                }
            }
        }
        XCTAssertEqual(checks, zoo.count * Self.seeds.count * Self.modes.count)
        print("correct-model zoo: \(zoo.count) models × \(Self.seeds.count) seeds × \(Self.modes.count) modes = \(checks) checks; "
              + EntryVerdict.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", "))
        XCTAssertGreaterThan(counts[.ok, default: 0], 0)
        XCTAssertEqual(counts[.wrong, default: 0], 0)
    }

    /// A deep ReLU net in the vanishing regime: h = 1e-6 crosses kinks, and the checker judges those
    /// entries on a smaller step that crosses none, saying so in the evidence.
    func testDeepReLUEntriesAreJudgedOnAStepThatCrossesNoKink() {
        let specimen = Specimen(name: "relu depth 20", build: Self.mlp(depth: 20, width: 8, activation: .relu,
                                                                         initializer: .xavierNormal()))
        let (problem, restore) = Self.problem(specimen, seed: 3)
        defer { restore() }
        let entries = GradientChecker(mode: .full).check(problem).flatMap(\.entries)
        let shrunk = entries.filter { $0.judgement.kink != nil && !$0.judgement.crossedKink }
        XCTAssertFalse(shrunk.isEmpty, "some entries needed a smaller step than 1e-6")
        for entry in shrunk {
            XCTAssertLessThan(entry.judgement.step, 1e-6, "\(entry.tensor)[\(entry.index)]")
            XCTAssertNotEqual(entry.judgement.verdict, .wrong, "\(entry.tensor)[\(entry.index)] \(entry.judgement)")
        }
        for entry in entries where entry.judgement.verdict == .kink {
            XCTAssertTrue(entry.judgement.crossedKink, "a kink verdict names the unit it crossed")
            XCTAssertNotNil(entry.judgement.kink)
        }
    }
}
