import Backprop

/// Leaky ReLU (slope 0.01) whose backward pass uses the wrong slope, 0.1, for negative inputs only: a
/// wrong derivative in one region of one activation.
final class FaultyLeakyReLU: Layer {
    typealias Scalar = Double
    private var input = Tensor<Double>(shape: [0])
    var kind: String { "LeakyReLU" }
    var kinks: [Kink] { [.inputEquals(0)] }

    func forward(_ x: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        input = x.copy()
        let y = x.copy()
        for i in 0..<y.count where y[i] < 0 { y[i] *= 0.01 }
        return y
    }

    func backward(_ g: Tensor<Double>) -> Tensor<Double> {
        let dx = g.copy()
        for i in 0..<dx.count where input[i] < 0 { dx[i] *= 0.1 }
        return dx
    }
}

/// LayerNorm without affine parameters, y = (x − μ)/σ per row, whose backward pass drops the term
/// −x̂·mean(g ⊙ x̂) of the correct ∂L/∂x = (g − mean(g) − x̂·mean(g ⊙ x̂))/σ.
final class LayerNormMissingTerm: Layer {
    typealias Scalar = Double
    private var normalized = Tensor<Double>(shape: [0])
    private var deviations: [Double] = []
    var kind: String { "LayerNorm" }

    func forward(_ x: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        let rows = x.shape[0], n = x.shape[1]
        let y = Tensor<Double>(shape: x.shape)
        deviations = []
        for r in 0..<rows {
            var mean = 0.0
            for j in 0..<n { mean += x[r, j] / Double(n) }
            var variance = 0.0
            for j in 0..<n { variance += (x[r, j] - mean) * (x[r, j] - mean) / Double(n) }
            let sigma = (variance + 1e-5).squareRoot()
            deviations.append(sigma)
            for j in 0..<n { y[r, j] = (x[r, j] - mean) / sigma }
        }
        normalized = y.copy()
        return y
    }

    func backward(_ g: Tensor<Double>) -> Tensor<Double> {
        let rows = g.shape[0], n = g.shape[1]
        let dx = Tensor<Double>(shape: g.shape)
        for r in 0..<rows {
            var meanG = 0.0
            for j in 0..<n { meanG += g[r, j] / Double(n) }
            for j in 0..<n { dx[r, j] = (g[r, j] - meanG) / deviations[r] }
        }
        return dx
    }
}

/// Dropout (p = 0.5) whose backward pass draws a fresh mask instead of reusing the forward one.
final class DropoutWithFreshBackwardMask: Layer, RandomState {
    typealias Scalar = Double
    var isFrozen = false
    private var generator: RandomGenerator
    private var mask = Tensor<Double>(shape: [0])
    var kind: String { "Dropout" }
    var randomState: (any RandomState)? { self }

    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    private func draw(_ shape: [Int]) -> Tensor<Double> {
        let m = Tensor<Double>(shape: shape)
        for i in 0..<m.count { m[i] = generator.nextUniform() < 0.5 ? 0 : 2 }
        return m
    }

    func forward(_ x: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        if !(isFrozen && mask.shape == x.shape) { mask = draw(x.shape) }
        let y = x.copy()
        for i in 0..<y.count { y[i] *= mask[i] }
        return y
    }

    func backward(_ g: Tensor<Double>) -> Tensor<Double> {
        let fresh = isFrozen ? mask : draw(g.shape)
        let dx = g.copy()
        for i in 0..<dx.count { dx[i] *= fresh[i] }
        return dx
    }
}

/// ReLU whose backward pass doubles the slope above 0 (2 instead of 1): a wrong gradient that the checker
/// meets at the kink when an input sits within the round-off floor above 0.
final class ReLUWithDoubledSlope: Layer {
    typealias Scalar = Double
    private var input = Tensor<Double>(shape: [0])
    var kind: String { "ReLU" }
    var kinks: [Kink] { [.inputEquals(0)] }

    func forward(_ x: Tensor<Double>, mode: Mode) -> Tensor<Double> {
        input = x.copy()
        let y = x.copy()
        for i in 0..<y.count where y[i] < 0 { y[i] = 0 }
        return y
    }

    func backward(_ g: Tensor<Double>) -> Tensor<Double> {
        let dx = g.copy()
        for i in 0..<dx.count { dx[i] *= input[i] > 0 ? 2 : 0 }
        return dx
    }
}
