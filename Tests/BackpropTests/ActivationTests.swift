import Backprop
import XCTest

/// Activation values at hand-computed points, at 0, ±large, ±∞ and NaN, in Float and Double.
final class ActivationTests: XCTestCase {
    /// Values worked out by hand from the definitions (Φ(1) = 0.8413447460685429, e = 2.718281828459045).
    func testValuesAtOneAndMinusOne() {
        let cases: [(Activation, Double, Double)] = [
            (.sigmoid, 1, 1 / (1 + 1 / M_E)),
            (.tanh, 1, 0.7615941559557649),
            (.relu, -1, 0),
            (.leakyReLU(slope: 0.01), -1, -0.01),
            (.elu(alpha: 1), -1, 1 / M_E - 1),
            (.selu, -1, 1.0507009873554805 * 1.6732632423543772 * (1 / M_E - 1)),
            (.selu, 1, 1.0507009873554805),
            (.gelu, 1, 0.8413447460685429),
            (.gelu, -1, -(1 - 0.8413447460685429)),
            (.geluTanh, 1, 0.5 * (1 + tanh((2 / Double.pi).squareRoot() * 1.044715))),
            (.silu, 1, 1 / (1 + 1 / M_E)),
            (.softplus(), 1, log(1 + M_E)),
            (.softplus(beta: 2, threshold: 20), 1, log(1 + M_E * M_E) / 2),
            (.softsign, 1, 0.5),
            (.hardtanh(), -3, -1),
            (.identity, -3, -3),
        ]
        for (activation, x, expected) in cases {
            XCTAssertEqual(activation.value(x), expected, accuracy: 1e-15, "\(activation.name)(\(x))")
            XCTAssertEqual(Double(activation.value(Float(x))), expected, accuracy: 1e-6, "\(activation.name)(\(x)) Float")
        }
    }

    /// One-sided derivatives at kinks are torch's: relu'(0) = 0, leaky'(0) = slope, elu'(0) = α,
    /// hardtanh' = 0 on its bounds.
    func testDerivativesAtKinksFollowTorch() {
        XCTAssertEqual(Activation.relu.derivative(0.0, output: 0), 0)
        XCTAssertEqual(Activation.leakyReLU(slope: 0.2).derivative(0.0, output: 0), 0.2)
        XCTAssertEqual(Activation.elu(alpha: 0.5).derivative(0.0, output: 0), 0.5)
        XCTAssertEqual(Activation.selu.derivative(0.0, output: 0), Activation.seluScale * Activation.seluAlpha, accuracy: 1e-15)
        XCTAssertEqual(Activation.hardtanh().derivative(1.0, output: 1), 0)
        XCTAssertEqual(Activation.hardtanh().derivative(-1.0, output: -1), 0)
        XCTAssertEqual(Activation.hardtanh().derivative(0.999, output: 0.999), 1)
        XCTAssertEqual(Activation.softplus(beta: 1, threshold: 20).derivative(25.0, output: 25), 1)
    }

    func testSpecialValuesInFloatAndDouble() {
        checkSpecialValues(Float.self)
        checkSpecialValues(Double.self)
    }

    private func checkSpecialValues<T: TensorScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) {
        // (activation, f(+∞), f(−∞)) — the limits.
        let limits: [(Activation, Double, Double)] = [
            (.identity, .infinity, -.infinity), (.sigmoid, 1, 0), (.tanh, 1, -1), (.relu, .infinity, 0),
            (.leakyReLU(), .infinity, -.infinity), (.elu(), .infinity, -1),
            (.selu, .infinity, -Activation.seluScale * Activation.seluAlpha), (.gelu, .infinity, 0),
            (.geluTanh, .infinity, 0), (.silu, .infinity, 0), (.softplus(), .infinity, 0), (.softsign, 1, -1),
            (.hardtanh(), 1, -1),
        ]
        for (activation, plus, minus) in limits {
            let name = "\(activation.name) in \(T.self)"
            XCTAssertEqual(Double(activation.value(T.infinity)), plus, accuracy: 1e-6, "\(name)(+∞)", file: file, line: line)
            XCTAssertEqual(Double(activation.value(-T.infinity)), minus, accuracy: 1e-6, "\(name)(−∞)", file: file, line: line)
            XCTAssertTrue(activation.value(T.nan).isNaN, "\(name)(NaN) must stay NaN", file: file, line: line)
            let atZero = activation == .sigmoid ? 0.5 : activation == .softplus() ? log(2) : 0
            XCTAssertEqual(Double(activation.value(T(0))), atZero, accuracy: 1e-7, "\(name)(0)", file: file, line: line)
            for x in [T(50), T(-50), T.infinity, -T.infinity, T(0)] {
                let y = activation.value(x)
                let d = activation.derivative(x, output: y)
                XCTAssertTrue(d.isFinite, "\(name)'(\(x)) = \(d) must be finite", file: file, line: line)
            }
            for x in [T(50), T(-50)] {
                XCTAssertTrue(activation.value(x).isFinite, "\(name)(\(x)) must be finite", file: file, line: line)
            }
        }
    }

    /// The buffer kernels agree with the scalar definitions, including the special values and buffer lengths
    /// that leave a remainder after the vector loop: the C kernels (CKernels) within the ulps Kernels.c states
    /// of the exact value (an error at most the smallest normal not counted), with the sign of the result,
    /// the others exactly.
    func testBufferKernelsAgreeWithScalarDefinitions() {
        var generator = RandomGenerator(seed: 42)
        var values: [Float] = [0, -0.0, 1e-30, -1e-30, 0.29999, 0.3, 0.30001, 8.99, 9, 9.01, 20, -20, .infinity,
                               -.infinity, .nan, Float.leastNonzeroMagnitude, -Float.greatestFiniteMagnitude]
        for _ in 0..<10_000 { values.append(Float(generator.nextNormal(standardDeviation: 3))) }
        for _ in 0..<200 { values.append(Float(generator.nextUniform(in: -1e-3, 1e-3))) }
        for activation in Activation.allDefaults {
            var output = [Float](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { activation.apply(x, into: $0) } }
            for (x, y) in zip(values, output) {
                let exact = activation.value(Double(x))
                if exact.isNaN {
                    XCTAssertTrue(y.isNaN, "\(activation.name)(\(x)) = \(y), expected NaN")
                } else if Float(exact).isInfinite {
                    XCTAssertEqual(y, Float(exact), "\(activation.name)(\(x)) = \(y), exact \(exact)")
                } else if let ulps = Self.statedFloatBound(activation) {
                    let error = abs(Double(y) - exact)
                    let tolerance = max(ulps * Double(Float(exact).ulp), Double(Float.leastNormalMagnitude))
                    XCTAssertLessThanOrEqual(error, tolerance,
                                             "\(activation.name)(\(x)) = \(y), exact \(exact)")
                    XCTAssertEqual(y.sign, activation.value(x).sign, "\(activation.name)(\(x)) = \(y): sign")
                } else {
                    XCTAssertEqual(y, activation.value(x), "\(activation.name)(\(x)) buffer vs scalar")
                }
            }
        }
    }

    /// The ulp bounds Kernels.c states for the Float kernels the activations go through.
    private static func statedFloatBound(_ activation: Activation) -> Double? {
        switch activation {
        case .tanh, .sigmoid: 3
        case .elu: 1.5
        case .selu, .softplus: 2.5
        case .gelu: 5
        case .silu: 3.5
        default: nil
        }
    }

    /// Double's vectorised tanh is within 3 ulp of libm's, odd to the bit, and exact at the special values;
    /// the lengths leave every remainder after the 8-lane loop.
    func testDoubleTanhKernelIsWithinThreeUlpOfLibm() {
        var generator = RandomGenerator(seed: 44)
        var values: [Double] = [0, -0.0, 1e-300, -1e-300, .leastNonzeroMagnitude, 0.5499999999, 0.55, 0.5500000001,
                                19.9, 20, 20.1, 40, -40, 710, .infinity, -.infinity, .nan, -.greatestFiniteMagnitude]
        for _ in 0..<20_000 { values.append(generator.nextNormal(standardDeviation: 3)) }
        for _ in 0..<2_000 { values.append(generator.nextUniform(in: -0.6, 0.6)) }
        for _ in 0..<500 { values.append(generator.nextUniform(in: -1e-6, 1e-6)) }
        for length in [values.count, values.count - 1, 7, 3, 1] {
            let x = Array(values.prefix(length))
            var y = [Double](repeating: 0, count: length), negated = y
            x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { Double.tanh(xb, into: $0) } }
            x.map { -$0 }.withUnsafeBufferPointer { xb in negated.withUnsafeMutableBufferPointer { Double.tanh(xb, into: $0) } }
            for (i, v) in x.enumerated() {
                let exact = Double.tanh(v)
                if exact.isNaN { XCTAssertTrue(y[i].isNaN, "tanh(\(v)) = \(y[i]), expected NaN"); continue }
                XCTAssertLessThanOrEqual(abs(y[i] - exact), 3 * exact.ulp, "tanh(\(v)) = \(y[i]), libm \(exact)")
                XCTAssertEqual(y[i].sign, v.sign, "tanh keeps the sign of \(v)")
                XCTAssertEqual(negated[i].bitPattern, (-y[i]).bitPattern, "tanh(−\(v)) = −tanh(\(v))")
            }
        }
    }

    func testBackwardKernelsAgreeWithScalarDerivatives() {
        var generator = RandomGenerator(seed: 43)
        let count = 1_003  // not a multiple of 8
        let x = (0..<count).map { i in i % 50 == 0 ? 0 : Double(generator.nextNormal(standardDeviation: 2)) }
        let dy = (0..<count).map { _ in generator.nextNormal() }
        for activation in Activation.allDefaults {
            let y = x.map { activation.value($0) }
            var dx = [Double](repeating: 0, count: count)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    dy.withUnsafeBufferPointer { gb in
                        dx.withUnsafeMutableBufferPointer {
                            activation.backward(input: xb, output: yb, outputGradient: gb, into: $0)
                        }
                    }
                }
            }
            for i in 0..<count {
                XCTAssertEqual(dx[i], dy[i] * activation.derivative(x[i], output: y[i]), accuracy: 1e-15,
                               "\(activation.name) backward at \(x[i])")
            }
        }
    }

    func testNamesParse() {
        XCTAssertEqual(Activation(name: "leaky_relu"), .leakyReLU(slope: 0.01))
        XCTAssertEqual(Activation(name: "leaky-relu:0.2"), .leakyReLU(slope: 0.2))
        XCTAssertEqual(Activation(name: "swish"), .silu)
        XCTAssertEqual(Activation(name: "GELU"), .gelu)
        XCTAssertNil(Activation(name: "tanh:2"), "tanh takes no parameter")
        XCTAssertNil(Activation(name: "relu6"))
        for activation in Activation.allDefaults {
            XCTAssertEqual(Activation(name: activation.name), activation, "round trip of \(activation.name)")
        }
    }
}
