import Backprop
import XCTest

/// The NCHW layers: every backward pass against central differences (Double), output shapes by torch's
/// formula, and the shape mismatches they refuse.
final class ConvolutionTests: XCTestCase {
    /// A `shape` tensor of seeded normal values.
    func images(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var generator = RandomGenerator(seed: seed)
        let t = Tensor<Double>(shape: shape)
        for i in 0..<t.count { t[i] = generator.nextNormal() * scale }
        return t
    }

    func testConv2dGradientsMatchCentralDifferences() {
        let configurations: [(kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D, bias: Bool)] = [
            (3, 1, 0, 1, true),
            (3, 1, 1, 1, true),
            ([2, 3], 2, 0, 1, true),
            ([2, 3], 2, 1, 1, false),
            (3, [2, 1], [1, 2], 2, true),
            ([3, 2], 1, 0, [2, 1], true),
        ]
        for (index, c) in configurations.enumerated() {
            var generator = RandomGenerator(seed: UInt64(10 + index))
            let layer = Conv2d<Double>(inChannels: 2, outChannels: 3, kernelSize: c.kernel, stride: c.stride,
                                       padding: c.padding, dilation: c.dilation, bias: c.bias, generator: &generator)
            XCTAssertEqual(layer.parameters.map(\.name), c.bias ? ["weight", "bias"] : ["weight"])
            // A batch of two runs the batched products, a single image the per-image ones.
            for batch in [2, 1] {
                FiniteDifferenceCheck().check(layer, input: images([batch, 2, 7, 5], seed: UInt64(index)))
            }
        }
    }

    /// The convolution summed out from its definition: y, ∂L/∂x, ∂L/∂W and ∂L/∂b of `layer` at `x`, for
    /// the output gradient `g`.
    func definition(_ layer: Conv2d<Double>, _ x: Tensor<Double>, _ g: Tensor<Double>)
        -> (y: [Double], dx: [Double], dW: [Double], db: [Double]) {
        let (batch, inputs, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outputs, outHeight, outWidth) = (g.shape[1], g.shape[2], g.shape[3])
        let (kh, kw) = (layer.kernelSize.height, layer.kernelSize.width)
        let (s, p, d) = (layer.stride, layer.padding, layer.dilation)
        let w = layer.weight.value, b = layer.bias?.value
        var y = [Double](repeating: 0, count: g.count), dx = [Double](repeating: 0, count: x.count)
        var dW = [Double](repeating: 0, count: w.count), db = [Double](repeating: 0, count: outputs)
        for n in 0..<batch {
            for o in 0..<outputs {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let k = ((n * outputs + o) * outHeight + oy) * outWidth + ox
                        var sum = b?[o] ?? 0
                        db[o] += g[k]
                        for ci in 0..<inputs {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let iy = oy * s.height - p.height + i * d.height
                                    let ix = ox * s.width - p.width + j * d.width
                                    guard (0..<height).contains(iy) && (0..<width).contains(ix) else { continue }
                                    let xi = ((n * inputs + ci) * height + iy) * width + ix
                                    let wi = ((o * inputs + ci) * kh + i) * kw + j
                                    sum += w[wi] * x[xi]
                                    dx[xi] += w[wi] * g[k]
                                    dW[wi] += x[xi] * g[k]
                                }
                            }
                        }
                        y[k] = sum
                    }
                }
            }
        }
        return (y, dx, dW, db)
    }

    /// `layer`'s forward and backward at `x` (with the output gradient drawn from `seed`) against
    /// `definition`, to `accuracy`.
    func checkAgainstTheDefinition(_ layer: Conv2d<Double>, _ x: Tensor<Double>, seed: UInt64, accuracy: Double,
                                   _ what: String) {
        let y = layer.forward(x, mode: .training)
        let g = images(y.shape, seed: seed)
        layer.zeroGradients()
        let dx = layer.backward(g)
        let expected = definition(layer, x, g)
        var gradients = [("y", y.scalars, expected.y), ("∂L/∂x", dx.scalars, expected.dx),
                         ("∂L/∂W", layer.weight.gradient.scalars, expected.dW)]
        if let bias = layer.bias { gradients.append(("∂L/∂b", bias.gradient.scalars, expected.db)) }
        for (name, got, wanted) in gradients {
            XCTAssertEqual(got.count, wanted.count, "\(what): \(name)")
            var worst = 0.0
            for (a, e) in zip(got, wanted) { worst = max(worst, abs(a - e)) }
            XCTAssertLessThanOrEqual(worst, accuracy, "\(what): \(name) differs from the definition by \(worst)")
        }
    }

    /// The geometries where the output's rows are as long as the input's (stride 1, W_out = W), which
    /// unfold and fold as one shifted block per (c, i, j) and image, against the definition. The cases have
    /// padding columns on either side, dilation, vertical padding only, rows left wholly in the padding
    /// (padding 3 on 2 rows) and a kernel column that never lands inside (5 wide on 1 column).
    func testShiftedBlockGeometriesMatchTheDefinition() {
        let cases: [(kernel: Size2D, padding: Size2D, dilation: Size2D, height: Int, width: Int)] = [
            (3, 1, 1, 6, 5), (5, 2, 1, 5, 7), (3, 2, 2, 7, 6), ([3, 1], [2, 0], 1, 4, 3), ([1, 1], [3, 0], 1, 2, 4),
            ([2, 5], [0, 2], 1, 3, 1), ([2, 3], [1, 1], [2, 1], 5, 8),
        ]
        for (index, c) in cases.enumerated() {
            var generator = RandomGenerator(seed: UInt64(40 + index))
            let layer = Conv2d<Double>(inChannels: 3, outChannels: 2, kernelSize: c.kernel,
                                       padding: c.padding, dilation: c.dilation, generator: &generator)
            let x = images([2, 3, c.height, c.width], seed: UInt64(index))
            XCTAssertEqual(try layer.outputShape(forInputShape: [3, c.height, c.width])[2], c.width,
                           "case \(index): W_out = W")
            checkAgainstTheDefinition(layer, x, seed: UInt64(90 + index), accuracy: 1e-12, "case \(index)")
        }
    }

    /// Images whose column block has at least `perImageColumns` elements run their products one image at a
    /// time, straight into NCHW, with ∂L/∂W and ∂L/∂b summed over the images; at stride 1 with padding at
    /// most d·(k − 1), ∂L/∂x is the transposed convolution of ∂L/∂y (one unfolding, with padding
    /// d·(k − 1) − p, and one product), else a product folded back. Against the definition for a batch of
    /// three: "same" padding with and without bias (the transposed unfolding's shifted blocks), no padding,
    /// dilation 2 and a 3 × 2 kernel (its row loops), and padding 3 on a 3 × 3 kernel and stride 2 (folded).
    func testPerImageProductsMatchTheDefinition() {
        let cases: [(kernel: Size2D, stride: Int, padding: Size2D, dilation: Int, size: Int, bias: Bool)] = [
            (3, 1, 1, 1, 16, true), (3, 1, 1, 1, 16, false), (3, 1, 0, 1, 18, true), (3, 1, 1, 2, 18, true),
            ([3, 2], 1, [1, 0], 1, 20, true), (3, 1, 3, 1, 12, true), (3, 2, 1, 1, 31, true),
        ]
        for (index, c) in cases.enumerated() {
            var generator = RandomGenerator(seed: UInt64(70 + index))
            let layer = Conv2d<Double>(inChannels: 16, outChannels: 5, kernelSize: c.kernel, stride: Size2D(c.stride),
                                       padding: c.padding, dilation: Size2D(c.dilation), bias: c.bias,
                                       generator: &generator)
            let out = try! layer.outputShape(forInputShape: [16, c.size, c.size])
            XCTAssertGreaterThanOrEqual(16 * c.kernel.height * c.kernel.width * out[1] * out[2],
                                        Conv2d<Double>.perImageColumns, "case \(index) must take the per-image products")
            checkAgainstTheDefinition(layer, images([3, 16, c.size, c.size], seed: UInt64(index)),
                                      seed: UInt64(80 + index), accuracy: 1e-11, "per image, case \(index)")
        }
    }

    func testConv2dForwardIsTheDefinitionOnAHandCase() throws {
        // One 2×2 kernel of ones over a 3×3 ramp, padding 1: each output sums the window inside the image.
        let weight = Tensor<Double>(shape: [1, 1, 2, 2], repeating: 1)
        let layer = Conv2d<Double>(weight: weight, bias: Tensor(shape: [1], scalars: [0.5]), padding: 1)
        let x = Tensor<Double>(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = layer.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [1, 1, 4, 4])
        XCTAssertEqual(y.scalars, [1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9].map { $0 + 0.5 })
    }

    func testPoolingGradientsMatchCentralDifferences() {
        let x = images([2, 2, 7, 5], seed: 5)
        FiniteDifferenceCheck().check(MaxPool2d<Double>(kernelSize: 2), input: x)
        FiniteDifferenceCheck().check(MaxPool2d<Double>(kernelSize: 3, stride: 2, padding: 1), input: x)
        FiniteDifferenceCheck().check(MaxPool2d<Double>(kernelSize: [2, 3], stride: 1, dilation: 2), input: x)
        FiniteDifferenceCheck().check(AvgPool2d<Double>(kernelSize: 2), input: x)
        FiniteDifferenceCheck().check(AvgPool2d<Double>(kernelSize: 3, stride: 2, padding: 1), input: x)
        FiniteDifferenceCheck().check(AvgPool2d<Double>(kernelSize: 3, stride: 2, padding: 1,
                                                        countIncludesPadding: false), input: x)
        FiniteDifferenceCheck().check(AvgPool2d<Double>(kernelSize: [2, 3], stride: 1), input: x)
        FiniteDifferenceCheck().check(AdaptiveAvgPool2d<Double>(), input: x)
        FiniteDifferenceCheck().check(Flatten<Double>(), input: x)
    }

    func testAveragePoolingDividesByTheKernelOrByTheCellsInside() {
        let x = Tensor<Double>(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        // Window (0, 0) of a 2×2 kernel with padding 1 holds only x[0, 0] = 1.
        XCTAssertEqual(AvgPool2d<Double>(kernelSize: 2, padding: 1).forward(x, mode: .training).scalars, [0.25, 0.5, 0.75, 1])
        XCTAssertEqual(AvgPool2d<Double>(kernelSize: 2, padding: 1, countIncludesPadding: false)
            .forward(x, mode: .training).scalars, [1, 2, 3, 4])
    }

    func testMaxPoolingReportsEachWindowsWinnerAndTakesTheFirstOfATie() {
        let pool = MaxPool2d<Double>(kernelSize: 2)
        XCTAssertEqual(pool.kinks, [.choice])
        XCTAssertNotNil(pool.choices)
        // Window 0: 5 at offset 3; window 1: a tie of 7s at offsets 0 and 1, the first wins.
        let x = Tensor<Double>(shape: [1, 1, 2, 4], scalars: [1, 2, 7, 7, 0, 5, -1, 3])
        XCTAssertEqual(pool.forward(x, mode: .training).scalars, [5, 7])
        XCTAssertEqual(pool.choices?.lastChoices, [3, 0])
        let dx = pool.backward(Tensor(shape: [1, 1, 1, 2], scalars: [10, 20]))
        XCTAssertEqual(dx.scalars, [0, 0, 20, 0, 0, 10, 0, 0])
        // Padding is −∞: a window of negatives next to it still takes an input element.
        let padded = MaxPool2d<Double>(kernelSize: 2, stride: 1, padding: 1)
        let y = padded.forward(Tensor(shape: [1, 1, 1, 1], scalars: [-3]), mode: .training)
        XCTAssertEqual(y.scalars, [-3, -3, -3, -3])
    }

    func testBatchNorm2dGradientsInTrainingAndEvaluation() {
        let x = images([3, 2, 4, 5], seed: 7, scale: 2)
        let layer = BatchNorm2d<Double>(features: 2)
        for i in 0..<2 { layer.weight!.value[i] = 0.5 + Double(i); layer.bias!.value[i] = -0.3 * Double(i) }
        FiniteDifferenceCheck().check(layer, input: x, mode: .training)
        layer.runningMean[0] = 0.4; layer.runningVariance[1] = 2.5
        FiniteDifferenceCheck().check(layer, input: x, mode: .evaluation)
        let plain = BatchNorm2d<Double>(features: 2, affine: false)
        XCTAssertTrue(plain.parameters.isEmpty)
        FiniteDifferenceCheck().check(plain, input: x, mode: .training)
    }

    func testBatchNorm2dNormalisesEachChannelAndTracksUnbiasedVariance() {
        let x = images([2, 3, 3, 4], seed: 8, scale: 3)
        let layer = BatchNorm2d<Double>(features: 3)
        let y = layer.forward(x, mode: .training)
        XCTAssertEqual(layer.batchesTracked, 1)
        XCTAssertEqual(layer.buffers.map(\.name), ["running_mean", "running_var"])
        XCTAssertEqual(layer.counters.map(\.name), ["num_batches_tracked"])
        XCTAssertEqual(layer.parameters.map(\.role), [.scale, .bias])
        let m = 2 * 12
        for c in 0..<3 {
            let values = (0..<2).flatMap { n in (0..<12).map { x[(n * 3 + c) * 12 + $0] } }
            let outputs = (0..<2).flatMap { n in (0..<12).map { y[(n * 3 + c) * 12 + $0] } }
            let mean = values.reduce(0, +) / Double(m)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            XCTAssertEqual(outputs.reduce(0, +) / Double(m), 0, accuracy: 1e-12)
            XCTAssertEqual(layer.runningMean[c], 0.1 * mean, accuracy: 1e-12)
            XCTAssertEqual(layer.runningVariance[c], 0.9 + 0.1 * variance * Double(m) / Double(m - 1), accuracy: 1e-12)
        }
    }

    func testDropout2dZeroesWholeChannelsAndIsCheckedWithItsMaskFrozen() {
        let layer = Dropout2d<Double>(probability: 0.5, seed: 3)
        let x = images([4, 6, 3, 3], seed: 9)
        let y = layer.forward(x, mode: .training)
        var dropped = 0
        for k in 0..<24 {
            let ratios = (0..<9).map { y[k * 9 + $0] / x[k * 9 + $0] }
            XCTAssertTrue(ratios.allSatisfy { $0 == 0 } || ratios.allSatisfy { abs($0 - 2) < 1e-12 }, "channel \(k): \(ratios)")
            if ratios[0] == 0 { dropped += 1 }
        }
        XCTAssertTrue(dropped > 0 && dropped < 24, "\(dropped) of 24 channels dropped")
        layer.randomState?.isFrozen = true
        FiniteDifferenceCheck().check(layer, input: x)
        XCTAssertEqual(layer.forward(x, mode: .evaluation).scalars, x.scalars)
    }

    func testOutputShapesFollowTorchsFormula() throws {
        var generator = RandomGenerator(seed: 1)
        let conv = Conv2d<Double>(inChannels: 3, outChannels: 8, kernelSize: [3, 2], stride: 2, padding: 1,
                                  generator: &generator)
        // H: ⌊(7 + 2 − 2 − 1)/2⌋ + 1 = 4;  W: ⌊(5 + 2 − 1 − 1)/2⌋ + 1 = 3
        XCTAssertEqual(try conv.outputShape(forInputShape: [3, 7, 5]), [8, 4, 3])
        XCTAssertEqual(conv.forward(images([2, 3, 7, 5], seed: 1), mode: .training).shape, [2, 8, 4, 3])
        let dilated = Conv2d<Double>(inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 2, generator: &generator)
        XCTAssertEqual(try dilated.outputShape(forInputShape: [1, 7, 5]), [1, 3, 1])
        XCTAssertEqual(try MaxPool2d<Double>(kernelSize: 2).outputShape(forInputShape: [4, 7, 5]), [4, 3, 2])
        XCTAssertEqual(try AvgPool2d<Double>(kernelSize: 3, stride: 2, padding: 1).outputShape(forInputShape: [4, 7, 5]),
                       [4, 4, 3])
        XCTAssertEqual(try AdaptiveAvgPool2d<Double>().outputShape(forInputShape: [4, 7, 5]), [4, 1, 1])
        XCTAssertEqual(try Flatten<Double>().outputShape(forInputShape: [4, 7, 5]), [140])
        XCTAssertEqual(try BatchNorm2d<Double>(features: 4).outputShape(forInputShape: [4, 7, 5]), [4, 7, 5])
        let model = Sequential<Double>([
            conv, BatchNorm2d(features: 8), ActivationLayer(.relu), MaxPool2d(kernelSize: 2), Flatten(),
            Dense(inputFeatures: 16, outputFeatures: 10, generator: &generator)], inputShape: [3, 7, 5])
        XCTAssertEqual(try model.outputShape(forInputShape: [3, 7, 5]), [10])
    }

    func testShapeMismatchesNameTheExpectedShape() {
        var generator = RandomGenerator(seed: 1)
        let conv = Conv2d<Double>(inChannels: 3, outChannels: 8, kernelSize: 3, generator: &generator)
        func mismatch(_ layer: any Layer<Double>, _ shape: [Int], file: StaticString = #filePath, line: UInt = #line)
            -> ShapeMismatch?
        {
            do {
                let output = try layer.outputShape(forInputShape: shape)
                XCTFail("\(layer.kind) took \(shape) to \(output)", file: file, line: line)
            } catch let error as ShapeMismatch {
                return error
            } catch {
                XCTFail("\(error)", file: file, line: line)
            }
            return nil
        }
        XCTAssertEqual(mismatch(conv, [4, 7, 5])?.expected, "[3, H, W]")
        XCTAssertEqual(mismatch(conv, [3, 7, 5, 1])?.expected, "[3, H, W]")
        XCTAssertEqual(mismatch(conv, [12])?.expected, "[3, H, W]")
        XCTAssertEqual(mismatch(conv, [3, 2, 9])?.expected, "[3, H, W] with H ≥ 3 and W ≥ 3")
        XCTAssertEqual(mismatch(conv, [4, 7, 5])?.kind, "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))")
        XCTAssertEqual(mismatch(MaxPool2d<Double>(kernelSize: 2), [3, 1, 4])?.expected, "[C, H, W] with H ≥ 2 and W ≥ 2")
        XCTAssertEqual(mismatch(MaxPool2d<Double>(kernelSize: 2), [8])?.expected, "[C, H, W]")
        XCTAssertEqual(mismatch(AvgPool2d<Double>(kernelSize: 2), [3, 4])?.expected, "[C, H, W]")
        XCTAssertEqual(mismatch(AdaptiveAvgPool2d<Double>(), [3])?.expected, "[C, H, W]")
        XCTAssertEqual(mismatch(BatchNorm2d<Double>(features: 3), [4, 5, 5])?.expected, "[3, H, W]")
        let model = Sequential<Double>([conv, Flatten()])
        XCTAssertEqual(mismatch(model, [1, 7, 5])?.layer, "0")
    }

    func testConvolutionFansAndDefaultInitialisationAreTorchs() {
        XCTAssertTrue(Initializer.fans(forWeightShape: [16, 3, 5, 5]) == (75, 400))
        XCTAssertTrue(Initializer.fans(forWeightShape: [4, 7]) == (7, 4))
        var generator = RandomGenerator(seed: 2)
        let conv = Conv2d<Float>(inChannels: 4, outChannels: 32, kernelSize: [3, 2], generator: &generator)
        XCTAssertEqual(conv.weight.value.shape, [32, 4, 3, 2])
        XCTAssertEqual(conv.bias?.value.shape, [32])
        let bound = Float(1 / Double(24).squareRoot())
        for tensor in [conv.weight.value, conv.bias!.value] {
            let values = tensor.scalars
            XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, "U[±1/√fan_in] with fan_in 24")
            XCTAssertGreaterThan(values.map { abs($0) }.max()!, bound * 0.8, "the draws fill the range")
        }
    }

    /// MaxPool2d's 2 × 2, stride 2 path (selects in vector blocks of 8 and 4 windows in Float, 4 in
    /// Double, then one window at a time) against the rule of the general loop written out here: the same
    /// outputs and each gradient at the same winner, with ties, NaN, −∞ and odd sizes (the last row and
    /// column are left out), on widths whose rows take no block (3), a block of 4 (9), one of 8 (16) and
    /// 8 + 4 + one window (27).
    func testMaxPoolTwoByTwoPathEqualsTheGeneralLoop() {
        for width in [3, 9, 16, 27] {
            checkMaxPoolTwoByTwo(Float.self, height: 7, width: width)
            checkMaxPoolTwoByTwo(Double.self, height: 7, width: width)
        }
    }

    private func checkMaxPoolTwoByTwo<Scalar: TensorScalar>(_: Scalar.Type, height: Int, width: Int) {
        var generator = RandomGenerator(seed: 4)
        let x = Tensor<Scalar>(shape: [3, 2, height, width])
        for i in 0..<x.count {
            switch i % 13 {
            case 0: x[i] = .nan
            case 5: x[i] = -.infinity
            case 7, 8: x[i] = 1  // ties
            default: x[i] = Scalar(generator.nextNormal())
            }
        }
        let fast = MaxPool2d<Scalar>(kernelSize: 2)
        let y = fast.forward(x, mode: .training)
        let (outHeight, outWidth) = (height / 2, width / 2)
        XCTAssertEqual(y.shape, [3, 2, outHeight, outWidth])
        let dy = Tensor<Scalar>(shape: y.shape)
        for i in 0..<dy.count { dy[i] = Scalar(i + 1) }
        let dx = fast.backward(dy)
        let label = "\(Scalar.self), width \(width)"
        for image in 0..<6 {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    // The reference choice: the first element, then each later one greater or NaN.
                    var best = -Scalar.infinity, winner = (0, 0)
                    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let v = x[image * height * width + (2 * oy + i) * width + 2 * ox + j]
                        if v > best || v.isNaN { best = v; winner = (i, j) }
                    }
                    let k = (image * outHeight + oy) * outWidth + ox
                    XCTAssertTrue(y[k] == best && y[k].sign == best.sign || y[k].isNaN && best.isNaN,
                                  "\(label): image \(image) (\(oy), \(ox)): \(y[k]), expected \(best)")
                    let source = image * height * width + (2 * oy + winner.0) * width + 2 * ox + winner.1
                    XCTAssertEqual(dx[source], dy[k], "\(label): the gradient goes to the winner at (\(oy), \(ox))")
                }
            }
        }
        XCTAssertEqual(dx.scalars.reduce(0, +), dy.scalars.reduce(0, +), "\(label): every gradient lands once")
    }
}
