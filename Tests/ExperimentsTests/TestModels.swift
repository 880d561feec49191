import Backprop
import Foundation

/// Every BatchNorm1d of a model, inside Sequential and Residual containers, in layer order.
func batchNorms<Scalar>(_ layer: any Layer<Scalar>) -> [BatchNorm1d<Scalar>] {
    if let sequential = layer as? Sequential<Scalar> { return sequential.layers.flatMap { batchNorms($0) } }
    if let residual = layer as? Residual<Scalar> { return batchNorms(residual.block) }
    return (layer as? BatchNorm1d<Scalar>).map { [$0] } ?? []
}

/// Sets the k-th scalar of the parameters to ((37 k) mod 101 − 50) / 64 and of the buffers to
/// ((37 k) mod 101 + 16) / 128 (positive: variances sit under a square root), k counting from `offset`
/// through the model, and the BatchNorm counters to 3, 4, ...: values no initialiser produces, exact in
/// Float and Double on every platform, so a load that skips a tensor shows.
func fillDeterministically<Scalar>(_ model: Sequential<Scalar>, offset: Int) {
    var k = offset
    func fill(_ tensor: Tensor<Scalar>, _ value: (Int) -> Double) {
        tensor.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = Scalar(value((37 * k) % 101)); k += 1 }
        }
    }
    for named in model.parameters { fill(named.parameter.value) { Double($0 - 50) / 64 } }
    for named in model.buffers { fill(named.tensor) { Double($0 + 16) / 128 } }
    for (i, layer) in batchNorms(model).enumerated() { layer.batchesTracked = 3 + i }
}

/// A fixed input of `rows` × `features` in [−1, 1].
func sampleInput<Scalar: TensorScalar>(rows: Int, features: Int, as: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
    Tensor(shape: [rows, features], scalars: (0..<(rows * features)).map { Scalar(cos(1.3 * Double($0))) })
}

/// Torch's reference model of the fixture: Sequential(Linear(3, 4), Tanh(), BatchNorm1d(4), Linear(4, 2)).
func referenceModel<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) -> Sequential<Scalar> {
    var generator = RandomGenerator(seed: 5)
    return Sequential([
        Dense<Scalar>(inputFeatures: 3, outputFeatures: 4, generator: &generator),
        ActivationLayer<Scalar>(.tanh),
        BatchNorm1d<Scalar>(features: 4),
        Dense<Scalar>(inputFeatures: 4, outputFeatures: 2, generator: &generator),
    ])
}
