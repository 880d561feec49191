import Backprop
import XCTest

/// What layers say about themselves: shapes, children and names, kinks, random state, counters, and
/// what the trainer shows observers of a model with a residual block.
final class LayerContractTests: XCTestCase {
    /// Linear(2, 4), ReLU, Residual(Linear(4, 4), Hardtanh, Dropout), Linear(4, 3).
    private func residualModel<Scalar: TensorScalar>(_: Scalar.Type = Scalar.self, seed: UInt64 = 3) -> Sequential<Scalar> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<Scalar>([
            Dense<Scalar>(inputFeatures: 2, outputFeatures: 4, generator: &generator),
            ActivationLayer<Scalar>(.relu),
            Residual<Scalar>(Sequential<Scalar>([
                Dense<Scalar>(inputFeatures: 4, outputFeatures: 4, generator: &generator),
                ActivationLayer<Scalar>(.hardtanh(min: -2, max: 3)),
                Dropout<Scalar>(probability: 0.5, seed: 11),
            ])),
            Dense<Scalar>(inputFeatures: 4, outputFeatures: 3, generator: &generator),
        ], inputShape: [2])
    }

    func testOutputShapesOfEachKindOfLayer() throws {
        var generator = RandomGenerator(seed: 1)
        let dense = Dense<Float>(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        XCTAssertEqual(try dense.outputShape(forInputShape: [3]), [2])
        XCTAssertEqual(try dense.outputShape(forInputShape: [5, 3]), [5, 2], "Linear acts on the last axis")
        XCTAssertThrowsError(try dense.outputShape(forInputShape: [4])) { error in
            XCTAssertEqual(error as? ShapeMismatch,
                           ShapeMismatch(kind: "Linear(3, 2)", input: [4], expected: "[..., 3]"))
        }
        for elementwise in [ActivationLayer<Float>(.tanh), Dropout<Float>(probability: 0.2, seed: 1)] as [any Layer<Float>] {
            for shape in [[7], [2, 3], [2, 3, 4]] {
                XCTAssertEqual(try elementwise.outputShape(forInputShape: shape), shape, "\(elementwise.kind) \(shape)")
            }
        }
        let norm = BatchNorm1d<Float>(features: 4)
        XCTAssertEqual(try norm.outputShape(forInputShape: [4]), [4])
        XCTAssertThrowsError(try norm.outputShape(forInputShape: [4, 5]), "torch's [N, C, L] is not supported")
        XCTAssertThrowsError(try LayerNorm<Float>(features: 4).outputShape(forInputShape: [3]))
        XCTAssertEqual(try residualModel(Float.self).outputShape(forInputShape: [2]), [3])
    }

    func testAMismatchInsideABlockNamesTheInnerLayer() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential<Float>([
            Dense<Float>(inputFeatures: 2, outputFeatures: 3, generator: &generator),
            Residual<Float>(Sequential<Float>([
                ActivationLayer<Float>(.relu),
                Dense<Float>(inputFeatures: 4, outputFeatures: 3, generator: &generator),
            ])),
        ])
        XCTAssertThrowsError(try model.outputShape(forInputShape: [2])) { error in
            XCTAssertEqual((error as? ShapeMismatch)?.layer, "1.1")
            XCTAssertEqual("\(error)", "layer 1.1 (Linear(4, 3)) takes per-example input [..., 4], got [3]")
        }
        let changesWidth = Residual<Float>(Dense<Float>(inputFeatures: 3, outputFeatures: 2, generator: &generator))
        XCTAssertThrowsError(try Sequential<Float>([changesWidth]).outputShape(forInputShape: [3])) { error in
            XCTAssertEqual((error as? ShapeMismatch)?.layer, "0")
            XCTAssertEqual((error as? ShapeMismatch)?.kind, "Residual")
        }
    }

    /// Dense on `[batch, steps, in]` is Dense on the `[batch·steps, in]` matrix, forward and backward.
    func testDenseOnARankThreeInputIsTheFlattenedProduct() {
        var generator = RandomGenerator(seed: 4)
        let dense = Dense<Double>(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let values = (0..<24).map { Double($0) / 7 - 1.5 }
        let flat = dense.forward(Tensor(shape: [8, 3], scalars: values), mode: .training).scalars
        let flatGradient = dense.backward(Tensor(shape: [8, 2], repeating: 0.5)).scalars
        let y = dense.forward(Tensor(shape: [2, 4, 3], scalars: values), mode: .training)
        XCTAssertEqual(y.shape, [2, 4, 2])
        XCTAssertEqual(y.scalars, flat)
        let dx = dense.backward(Tensor(shape: [2, 4, 2], repeating: 0.5))
        XCTAssertEqual(dx.shape, [2, 4, 3])
        XCTAssertEqual(dx.scalars, flatGradient)
        let relu = ActivationLayer<Double>(.relu)
        XCTAssertEqual(relu.forward(Tensor(shape: [2, 4, 3], scalars: values), mode: .training).scalars,
                       values.map { max(0, $0) })
    }

    func testNamedLayersWalkTheTreeAsTorchNamesIt() {
        let model = residualModel(Float.self)
        XCTAssertEqual(model.namedLayers.map(\.name), ["", "0", "1", "2", "2.0", "2.1", "2.2", "3"])
        XCTAssertEqual(model.namedLayers.map(\.layer.kind),
                       ["Sequential", "Linear", "ReLU", "Residual", "Linear", "Hardtanh", "Dropout", "Linear"])
        XCTAssertEqual(model.parameters.map(\.name),
                       ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "3.weight", "3.bias"])
        XCTAssertEqual(model.parameters.map(\.role), [.weight, .bias, .weight, .bias, .weight, .bias])
        guard model.namedLayers.count == 8 else { return XCTFail("the walk has \(model.namedLayers.count) layers, not 8") }
        let residual = model.namedLayers[3].layer
        XCTAssertEqual(residual.children.map(\.name), ["0", "1", "2"])
        XCTAssertTrue(residual.ownParameters.isEmpty, "a container holds no parameters of its own")
        XCTAssertEqual(model.namedLayers[4].layer.ownParameters.map(\.name), ["weight", "bias"])
        var generator = RandomGenerator(seed: 2)
        let aroundOne = Sequential<Float>([Residual<Float>(Dense<Float>(inputFeatures: 2, outputFeatures: 2, generator: &generator))])
        XCTAssertEqual(aroundOne.namedLayers.map(\.name), ["", "0"], "a residual around one layer is a leaf")
        XCTAssertEqual(aroundOne.parameters.map(\.name), ["0.weight", "0.bias"])
    }

    func testBatchNormStatesItsBuffersAndCounterByName() {
        let model = Sequential<Float>([Residual<Float>(Sequential<Float>([BatchNorm1d<Float>(features: 3)]))])
        XCTAssertEqual(model.buffers.map(\.name), ["0.0.running_mean", "0.0.running_var"])
        XCTAssertEqual(model.counters.map(\.name), ["0.0.num_batches_tracked"])
        XCTAssertEqual(model.parameters.map(\.role), [.scale, .bias])
        _ = model.forward(Tensor(shape: [4, 3], scalars: (0..<12).map(Float.init)), mode: .training)
        XCTAssertEqual(model.counters.first?.counter.value, 1, "the counter is the layer's own, by reference")
    }

    func testKinksAreDeclaredByTheLayersThatHaveThem() {
        XCTAssertEqual(ActivationLayer<Float>(.relu).kinks, [.inputEquals(0)])
        XCTAssertEqual(ActivationLayer<Float>(.leakyReLU(slope: 0.1)).kinks, [.inputEquals(0)])
        XCTAssertEqual(ActivationLayer<Float>(.hardtanh(min: -2, max: 3)).kinks, [.inputEquals(-2), .inputEquals(3)])
        XCTAssertEqual(ActivationLayer<Float>(.elu(alpha: 0.5)).kinks, [.inputEquals(0)])
        for smooth in [Activation.tanh, .sigmoid, .gelu, .silu, .softsign, .elu(alpha: 1), .leakyReLU(slope: 1)] {
            XCTAssertEqual(ActivationLayer<Float>(smooth).kinks, [], "\(smooth)")
        }
        var generator = RandomGenerator(seed: 1)
        XCTAssertEqual(Dense<Float>(inputFeatures: 2, outputFeatures: 2, generator: &generator).kinks, [])
        XCTAssertEqual(Residual<Float>(ActivationLayer<Float>(.relu)).kinks, [.inputEquals(0)])
        let model = residualModel(Float.self)
        XCTAssertEqual(model.namedLayers.filter { !$0.layer.kinks.isEmpty }.map(\.name), ["1", "2.1"])
        XCTAssertEqual(model.namedLayers.compactMap(\.layer.nonlinearity), [.relu, .hardtanh(min: -2, max: 3)])
    }

    /// The dropout inside the block is found and frozen through the walk, without knowing its type.
    func testRandomStateFreezesAndUnfreezesDropoutMasks() {
        let model = residualModel(Double.self)
        let states = model.namedLayers.compactMap(\.layer.randomState)
        guard states.count == 1 else { return XCTFail("found \(states.count) random states, not 1") }
        let x = Tensor<Double>(shape: [16, 2], scalars: (0..<32).map { Double($0) / 8 - 2 })
        let first = model.forward(x, mode: .training).scalars
        states[0].isFrozen = true
        XCTAssertEqual(model.forward(x, mode: .training).scalars, first, "a frozen mask is reused")
        states[0].isFrozen = false
        XCTAssertNotEqual(model.forward(x, mode: .training).scalars, first, "an unfrozen mask is drawn again")
    }

    /// Observers see every layer of the tree by its full name, with the shapes and order of the passes.
    func testObserversSeeTheLayersInsideAResidualBlock() {
        var generator = RandomGenerator(seed: 5)
        let data: Dataset<Float> = SyntheticData.spirals(count: 40, arms: 3, noise: 0.05, generator: &generator)
        let model = residualModel(Float.self)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy<Float>(), optimizer: SGD(parameters: model.parameters),
                              trainingData: data,
                              options: TrainingOptions(budget: .steps(2), batchSize: 8, learningRate: 0.1))
        let watcher = TreeWatcher()
        trainer.observers = [watcher]
        trainer.run()
        XCTAssertEqual(watcher.names, ["0", "1", "2", "2.0", "2.1", "2.2", "3"])
        XCTAssertEqual(watcher.parameterNames, [["0.weight", "0.bias"], [], [], ["2.0.weight", "2.0.bias"], [], [],
                                                ["3.weight", "3.bias"]])
        XCTAssertEqual(watcher.outputShapes, [[8, 4], [8, 4], [8, 4], [8, 4], [8, 4], [8, 4], [8, 3]])
        XCTAssertEqual(watcher.forward, ["0", "1", "2.0", "2.1", "2.2", "2", "3"])
        XCTAssertEqual(watcher.backward, ["3", "2", "2.2", "2.1", "2.0", "1", "0"])
        XCTAssertTrue(watcher.innerOutputIsTheActivationOfTheInnerLinear, "2.1's output is Hardtanh(2.0's output)")
    }
}

final class TreeWatcher: TrainingObserver {
    typealias Scalar = Float
    var names: [String] = []
    var parameterNames: [[String]] = []
    var outputShapes: [[Int]] = []
    var forward: [String] = []
    var backward: [String] = []
    var innerOutputIsTheActivationOfTheInnerLinear = false
    func wantsDetails(atStep step: Int) -> Bool { true }
    func stepDidComputeGradients(_ details: StepDetails<Float>) {
        names = details.layers.map(\.name)
        parameterNames = details.layers.map { $0.parameters.map(\.name) }
        outputShapes = details.layers.map(\.output.shape)
        forward = details.forwardOrder.map { details.layers[$0].name }
        backward = details.backwardOrder.map { details.layers[$0].name }
        guard details.layers.count > 4 else { return }
        let linear = details.layers[3].output.scalars, activated = details.layers[4].output.scalars
        innerOutputIsTheActivationOfTheInnerLinear = zip(linear, activated).allSatisfy { $1 == min(3, max(-2, $0)) }
    }
}
