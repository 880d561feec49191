import Backprop
import XCTest

/// Every layer's backward pass against central differences in Double: input, weights and biases.
final class LayerGradientTests: XCTestCase {
    let checker = FiniteDifferenceCheck()

    func testDenseWithAndWithoutBias() {
        for bias in [true, false] {
            var generator = RandomGenerator(seed: 11)
            let dense = Dense<Double>(inputFeatures: 5, outputFeatures: 3, bias: bias,
                                      initializer: .xavierNormal(), generator: &generator)
            XCTAssertEqual(dense.parameters.map(\.name), bias ? ["weight", "bias"] : ["weight"])
            checker.check(dense, input: randomTensor(rows: 4, columns: 5, seed: 1))
        }
    }

    func testEveryActivationAwayFromKinks() {
        for activation in Activation.allDefaults {
            // The gap keeps inputs at least 0.1 from the kinks at 0 (ReLU family) and, scaled by 0.6,
            // mostly inside hardtanh's (−1, 1); entries beyond ±1 have derivative 0 on both sides.
            let input = randomTensor(rows: 3, columns: 7, seed: 5, scale: 0.6, gap: 0.1)
            for i in 0..<input.count where abs(abs(input[i]) - 1) < 0.05 { input[i] *= 0.9 }
            checker.check(ActivationLayer<Double>(activation), input: input)
        }
    }

    func testParameterisedActivations() {
        for activation in [Activation.leakyReLU(slope: 0.2), .elu(alpha: 0.5), .softplus(beta: 2, threshold: 5),
                           .hardtanh(min: -2, max: 0.5)] {
            let input = randomTensor(rows: 2, columns: 9, seed: 8, scale: 1.5, gap: 0.1)
            for i in 0..<input.count where abs(input[i] + 2) < 0.05 || abs(input[i] - 0.5) < 0.05 { input[i] += 0.1 }
            checker.check(ActivationLayer<Double>(activation), input: input)
        }
    }

    func testLayerNorm() {
        let norm = LayerNorm<Double>(features: 6)
        var generator = RandomGenerator(seed: 4)
        for p in norm.parameters {
            for i in 0..<p.parameter.value.count { p.parameter.value[i] = generator.nextNormal() }
        }
        checker.check(norm, input: randomTensor(rows: 3, columns: 6, seed: 2, scale: 2))
    }

    func testBatchNormInTrainingAndEvaluation() {
        for mode in [Mode.training, .evaluation] {
            let norm = BatchNorm1d<Double>(features: 4)
            var generator = RandomGenerator(seed: 6)
            for p in norm.parameters {
                for i in 0..<p.parameter.value.count { p.parameter.value[i] = generator.nextNormal() }
            }
            for i in 0..<4 {
                norm.runningMean[i] = generator.nextNormal()
                norm.runningVariance[i] = 0.5 + generator.nextUniform()
            }
            checker.check(norm, input: randomTensor(rows: 5, columns: 4, seed: 3), mode: mode)
        }
    }

    func testDropoutWithFrozenMask() {
        let dropout = Dropout<Double>(probability: 0.3, seed: 9)
        dropout.freezesMask = true
        checker.check(dropout, input: randomTensor(rows: 4, columns: 5, seed: 7))
        checker.check(dropout, input: randomTensor(rows: 4, columns: 5, seed: 7), mode: .evaluation)
    }

    func testResidualAroundABlock() {
        var generator = RandomGenerator(seed: 12)
        let block = Sequential<Double>([
            Dense<Double>(inputFeatures: 4, outputFeatures: 6, initializer: .heNormal(), generator: &generator),
            ActivationLayer<Double>(.tanh),
            Dense<Double>(inputFeatures: 6, outputFeatures: 4, initializer: .heNormal(), generator: &generator),
        ])
        let residual = Residual<Double>(block)
        XCTAssertEqual(residual.parameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
        checker.check(residual, input: randomTensor(rows: 3, columns: 4, seed: 1))
    }

    func testWholeModelWithEveryKindOfLayer() {
        var generator = RandomGenerator(seed: 21)
        let model = Sequential<Double>([
            Dense<Double>(inputFeatures: 3, outputFeatures: 8, initializer: .xavierUniform(), generator: &generator),
            LayerNorm<Double>(features: 8),
            ActivationLayer<Double>(.gelu),
            Residual<Double>(Sequential<Double>([
                Dense<Double>(inputFeatures: 8, outputFeatures: 8, initializer: .orthogonal(), generator: &generator),
                ActivationLayer<Double>(.silu),
            ])),
            BatchNorm1d<Double>(features: 8),
            ActivationLayer<Double>(.sigmoid),
            Dense<Double>(inputFeatures: 8, outputFeatures: 2, initializer: .classic, generator: &generator),
        ])
        XCTAssertEqual(
            model.parameters.map(\.name),
            ["0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight", "3.0.bias", "4.weight", "4.bias",
             "6.weight", "6.bias"])
        XCTAssertEqual(model.buffers.map(\.name), ["4.running_mean", "4.running_var"])
        checker.check(model, input: randomTensor(rows: 5, columns: 3, seed: 4))
    }

    func testGradientsAccumulateUntilCleared() {
        var generator = RandomGenerator(seed: 2)
        let dense = Dense<Double>(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let x = randomTensor(rows: 4, columns: 3, seed: 5)
        let g = randomTensor(rows: 4, columns: 2, seed: 6)
        dense.zeroGradients()
        _ = dense.forward(x, mode: .training)
        _ = dense.backward(g)
        let once = dense.weight.gradient.scalars
        _ = dense.forward(x, mode: .training)
        _ = dense.backward(g)
        XCTAssertEqual(dense.weight.gradient.scalars, once.map { 2 * $0 }, "a second backward pass adds (+=)")
        dense.zeroGradients()
        XCTAssertEqual(dense.weight.gradient.scalars, [Double](repeating: 0, count: 6), "cleared gradient reads 0")
        _ = dense.forward(x, mode: .training)
        _ = dense.backward(g)
        XCTAssertEqual(dense.weight.gradient.scalars, once, "after clearing, one pass gives one gradient")
    }

    func testFloatBackwardAgreesWithDouble() {
        // The same MLP in both precisions: Float gradients within Float round-off of Double's.
        for activation in [Activation.tanh, .relu, .sigmoid] {
            var g32 = RandomGenerator(seed: 30), g64 = RandomGenerator(seed: 30)
            let m32 = Sequential<Float>.multilayerPerceptron(sizes: [6, 16, 16, 3], activation: activation,
                                                             initializer: .xavierUniform(), generator: &g32)
            let m64 = Sequential<Double>.multilayerPerceptron(sizes: [6, 16, 16, 3], activation: activation,
                                                              initializer: .xavierUniform(), generator: &g64)
            let x64 = randomTensor(rows: 9, columns: 6, seed: 31)
            let x32 = Tensor<Float>(shape: x64.shape, scalars: x64.scalars.map(Float.init))
            let labels = [0, 1, 2, 0, 1, 2, 0, 1, 2]
            let l32 = SoftmaxCrossEntropy<Float>(), l64 = SoftmaxCrossEntropy<Double>()
            let v32 = l32.forward(m32.forward(x32, mode: .training), .classes(labels))
            let v64 = l64.forward(m64.forward(x64, mode: .training), .classes(labels))
            XCTAssertEqual(Double(v32), v64, accuracy: 1e-5 * max(1, abs(v64)), "\(activation.name) loss")
            m32.zeroGradients(); m64.zeroGradients()
            _ = m32.backward(l32.backward()); _ = m64.backward(l64.backward())
            for (p32, p64) in zip(m32.parameters, m64.parameters) {
                let a = p32.parameter.gradient.scalars, b = p64.parameter.gradient.scalars
                let scale = b.map(abs).max() ?? 1
                for i in a.indices {
                    XCTAssertEqual(Double(a[i]), b[i], accuracy: 1e-5 * max(scale, 1e-3),
                                   "\(activation.name) \(p32.name)[\(i)]")
                }
            }
        }
    }
}
