import Backprop
import XCTest

/// Initialiser means and variances over 10⁵ draws, within five standard errors.
///
/// For n draws of a distribution with variance σ², the sample mean has standard error σ/√n and the
/// sample variance about σ²·√(2/n) (the normal's; the uniform's is smaller), so 5 standard errors are
/// 0.016σ for the mean and 2.2% of σ² for the variance at n = 10⁵: a wrong scale factor such as
/// fan_in for fan_out, or √2 for 2, is far outside.
final class InitializerTests: XCTestCase {
    let fanOut = 250, fanIn = 400  // 10⁵ weights

    private func moments(_ initializer: Initializer, seed: UInt64 = 1) -> (mean: Double, variance: Double) {
        var generator = RandomGenerator(seed: seed)
        let w = Tensor<Double>(shape: [fanOut, fanIn])
        initializer.fill(w, fanIn: fanIn, fanOut: fanOut, generator: &generator)
        let values = w.scalars
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance)
    }

    private func assertMoments(
        _ initializer: Initializer, variance expected: Double, mean expectedMean: Double = 0,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let n = Double(fanIn * fanOut)
        let (mean, variance) = moments(initializer)
        XCTAssertEqual(mean, expectedMean, accuracy: 5 * expected.squareRoot() / n.squareRoot(),
                       "\(initializer) mean", file: file, line: line)
        XCTAssertEqual(variance, expected, accuracy: 5 * expected * (2 / n).squareRoot(),
                       "\(initializer) variance", file: file, line: line)
    }

    func testVariancesFollowTheirFormulas() {
        let fi = Double(fanIn), fo = Double(fanOut)
        // U[−a, a] has variance a²/3.
        assertMoments(.classic, variance: (1 / fi) / 3)
        assertMoments(.xavierUniform(), variance: (6 / (fi + fo)) / 3)
        assertMoments(.xavierUniform(gain: 5.0 / 3.0), variance: 25.0 / 9.0 * (6 / (fi + fo)) / 3)
        assertMoments(.xavierNormal(), variance: 2 / (fi + fo))
        assertMoments(.heUniform(), variance: 2 / fi)
        assertMoments(.heNormal(), variance: 2 / fi)
        assertMoments(.heNormal(gain: 2.0.squareRoot(), mode: .fanOut), variance: 2 / fo)
        assertMoments(.lecunNormal, variance: 1 / fi)
        assertMoments(.uniform(low: 1, high: 3), variance: 4.0 / 12.0, mean: 2)
        assertMoments(.normal(mean: -1, standardDeviation: 0.5), variance: 0.25, mean: -1)
    }

    func testConstantsAndZeros() {
        var generator = RandomGenerator(seed: 1)
        let w = Tensor<Float>(shape: [3, 4])
        Initializer.constant(0.25).fill(w, fanIn: 4, fanOut: 3, generator: &generator)
        XCTAssertEqual(w.scalars, [Float](repeating: 0.25, count: 12))
        Initializer.zeros.fill(w, fanIn: 4, fanOut: 3, generator: &generator)
        XCTAssertEqual(w.scalars, [Float](repeating: 0, count: 12))
    }

    func testOrthogonalRowsOrColumnsAreOrthonormal() {
        for (rows, columns) in [(4, 9), (9, 4), (6, 6)] {
            var generator = RandomGenerator(seed: 3)
            let w = Tensor<Double>(shape: [rows, columns])
            Initializer.orthogonal(gain: 2).fill(w, fanIn: columns, fanOut: rows, generator: &generator)
            // WWᵀ = gain²·I for wide matrices, WᵀW = gain²·I for tall ones.
            let small = min(rows, columns), large = max(rows, columns)
            func entry(_ i: Int, _ k: Int) -> Double { rows <= columns ? w[i, k] : w[k, i] }
            for i in 0..<small {
                for j in 0..<small {
                    let dot = (0..<large).reduce(0) { $0 + entry(i, $1) * entry(j, $1) }
                    XCTAssertEqual(dot, i == j ? 4 : 0, accuracy: 1e-12, "\(rows)×\(columns) Gram entry [\(i), \(j)]")
                }
            }
        }
    }

    func testGainsAreTorchs() {
        XCTAssertEqual(Initializer.gain(for: .tanh), 5.0 / 3.0)
        XCTAssertEqual(Initializer.gain(for: .relu), 2.0.squareRoot())
        XCTAssertEqual(Initializer.gain(for: .leakyReLU(slope: 0.2)), (2 / 1.04).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Initializer.gain(for: .selu), 0.75)
        XCTAssertEqual(Initializer.gain(for: .sigmoid), 1)
        XCTAssertEqual(Initializer(name: "he-normal", activation: .tanh), .heNormal(gain: 5.0 / 3.0))
        XCTAssertEqual(Initializer(name: "xavier_uniform", activation: .tanh), .xavierUniform(gain: 1))
        XCTAssertNil(Initializer(name: "glorot-cauchy"))
    }

    func testClassicBiasIsTorchsLinearDefault() {
        var generator = RandomGenerator(seed: 5)
        let dense = Dense<Double>(inputFeatures: 100, outputFeatures: 1000, initializer: .classic, generator: &generator)
        let bias = dense.bias!.value.scalars
        XCTAssertTrue(bias.allSatisfy { abs($0) <= 0.1 }, "bias within ±1/√100")
        XCTAssertGreaterThan(bias.map(abs).max()!, 0.09, "bias spread over the whole interval")
        let he = Dense<Double>(inputFeatures: 100, outputFeatures: 10, initializer: .heNormal(), generator: &generator)
        XCTAssertEqual(he.bias!.value.scalars, [Double](repeating: 0, count: 10), "other schemes start biases at 0")
    }
}
