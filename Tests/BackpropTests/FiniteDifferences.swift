import Backprop
import XCTest

/// Central differences of `L(θ) = Σ g ⊙ layer(x)` for a fixed random upstream gradient g, so that the
/// layer's backward pass applied to g must equal the numerical gradient for the input and every parameter.
///
/// The rule: |analytic − numeric| ≤ atol + rtol·|numeric|, with h = 1e−6·max(1, |θ|). In Double the
/// central difference has truncation O(h²)·|f'''| ≈ 1e−12 and round-off ≈ ε·|L|/h ≈ 1e−10·|L|, so
/// atol 1e−7 and rtol 1e−6 leave two orders of margin and still catch any wrong term of size 1e−6.
struct FiniteDifferenceCheck {
    var atol = 1e-7
    var rtol = 1e-6
    var step = 1e-6

    /// Checks the input gradient and every parameter gradient of `layer` at `input`.
    func check(
        _ layer: any Layer<Double>, input: Tensor<Double>, mode: Mode = .training, seed: UInt64 = 3,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var generator = RandomGenerator(seed: seed)
        let output = layer.forward(input, mode: mode)
        let upstream = Tensor<Double>(shape: output.shape)
        for i in 0..<upstream.count { upstream[i] = generator.nextNormal() }
        func objective() -> Double {
            let y = layer.forward(input, mode: mode)
            return (0..<y.count).reduce(0) { $0 + y[$1] * upstream[$1] }
        }
        _ = layer.forward(input, mode: mode)
        layer.zeroGradients()
        let analyticInput = layer.backward(upstream).copy()
        let analyticParameters = layer.parameters.map { ($0.name, $0.parameter.gradient.copy()) }

        compare(name: "input", tensor: input, analytic: analyticInput, objective: objective, file: file, line: line)
        for (named, (name, analytic)) in zip(layer.parameters, analyticParameters) {
            compare(name: name, tensor: named.parameter.value, analytic: analytic, objective: objective,
                    file: file, line: line)
        }
    }

    /// Checks the gradient of a loss with respect to the prediction.
    func check(
        _ loss: any Loss<Double>, prediction: Tensor<Double>, target: LossTarget<Double>,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        _ = loss.forward(prediction, target)
        let analytic = loss.backward().copy()
        compare(name: "prediction", tensor: prediction, analytic: analytic,
                objective: { loss.forward(prediction, target) }, file: file, line: line)
    }

    func compare(
        name: String, tensor: Tensor<Double>, analytic: Tensor<Double>, objective: () -> Double,
        file: StaticString, line: UInt
    ) {
        XCTAssertEqual(analytic.shape, tensor.shape, "\(name): gradient shape", file: file, line: line)
        for i in 0..<tensor.count {
            let original = tensor[i]
            let h = step * max(1, abs(original))
            tensor[i] = original + h
            let plus = objective()
            tensor[i] = original - h
            let minus = objective()
            tensor[i] = original
            let numeric = (plus - minus) / (2 * h)
            let error = abs(analytic[i] - numeric)
            if !(error <= atol + rtol * abs(numeric)) {
                XCTFail("\(name)[\(i)]: analytic \(analytic[i]), numeric \(numeric), |error| \(error) > "
                        + "\(atol) + \(rtol)·|numeric|", file: file, line: line)
                return
            }
        }
    }
}

/// A `[rows, columns]` tensor of seeded normal values, optionally pushed away from 0 by `gap`
/// (so that ReLU-like kinks stay out of reach of the finite-difference step).
func randomTensor(
    rows: Int, columns: Int, seed: UInt64, scale: Double = 1, gap: Double = 0
) -> Tensor<Double> {
    var generator = RandomGenerator(seed: seed)
    let t = Tensor<Double>(shape: [rows, columns])
    for i in 0..<t.count {
        let v = generator.nextNormal() * scale
        t[i] = v >= 0 ? v + gap : v - gap
    }
    return t
}
