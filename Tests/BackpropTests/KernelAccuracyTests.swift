import Backprop
import CKernels
import Foundation
import XCTest

/// The C kernels (CKernels) against a higher-precision reference over the whole range: Double's libm for
/// the Float kernels, Float80's (`tanhl`, `expl`, `expm1l`, `erfcl`, `log1pl`) for the Double ones.
///
/// Error rule: |y − f(x)| in ulps of the exact f(x) (for gelu' and silu', which cross zero, of the larger of
/// their two terms: Φ(x) and x φ(x), σ(x) and x σ(x) σ(−x)); an error at most the type's smallest normal
/// in absolute value is not counted (where the result or an intermediate e^x underflows). A NaN must give
/// NaN, and where the rounded reference is infinite the kernel must return that infinity. Each kernel's
/// bound is the one its comment in Kernels.c states. Inputs: Float, every 4093rd of the 2^32 bit patterns
/// and the patterns around each overflow and underflow edge; Double, 256 random significands for every
/// exponent and sign, 200 000 uniform points on [−50, 50] and windows around the switching points.
final class KernelAccuracyTests: XCTestCase {
    private static let seluAlpha = Activation.seluAlpha, seluScale = Activation.seluScale
    private static let chunk = 1 << 16

    // MARK: Float

    private struct FloatKernel {
        var name: String
        var bound: Double
        var run: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
        /// The exact value and the scale its error is measured in (0: the value itself).
        var reference: (Double) -> (Double, Double)
    }

    private static func floatKernels(ones: UnsafePointer<Float>) -> [FloatKernel] {
        let alpha = Float(seluAlpha), scale = Float(seluScale), alphaScale = Float(seluScale * seluAlpha)
        func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        func cdf(_ x: Double) -> Double { erfc(-x / 2.0.squareRoot()) / 2 }
        func pdf(_ x: Double) -> Double { Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        return [
            FloatKernel(name: "exp", bound: 1.5, run: { gl_exp_f32($0, $1, $2) }) { (Foundation.exp($0), 0) },
            FloatKernel(name: "tanh", bound: 3, run: { gl_tanh_f32($0, $1, $2) }) { (Foundation.tanh($0), 0) },
            FloatKernel(name: "sigmoid", bound: 3, run: { gl_sigmoid_f32($0, $1, $2) }) { (sigmoid($0), 0) },
            FloatKernel(name: "elu", bound: 1.5, run: { gl_elu_f32($0, $1, $2, 1, 1) }) { ($0 > 0 ? $0 : expm1($0), 0) },
            FloatKernel(name: "elu'", bound: 1.5, run: { gl_elu_backward_f32($0, ones, $1, $2, 1, 1) }) {
                ($0 > 0 ? 1 : Foundation.exp($0), 0)
            },
            FloatKernel(name: "selu", bound: 2.5, run: { gl_elu_f32($0, $1, $2, alpha, scale) }) {
                (Double(scale) * ($0 > 0 ? $0 : Double(alpha) * expm1($0)), 0)
            },
            FloatKernel(name: "selu'", bound: 2, run: { gl_elu_backward_f32($0, ones, $1, $2, scale, alphaScale) }) {
                ($0 > 0 ? Double(scale) : Double(alphaScale) * Foundation.exp($0), 0)
            },
            FloatKernel(name: "gelu", bound: 5, run: { gl_gelu_f32($0, $1, $2) }) {
                ($0.isInfinite ? ($0 > 0 ? $0 : 0) : $0 * cdf($0), 0)
            },
            FloatKernel(name: "gelu'", bound: 5.5, run: { gl_gelu_backward_f32($0, ones, $1, $2) }) { x in
                if x.isInfinite { return (x > 0 ? 1 : 0, 0) }
                return (cdf(x) + x * pdf(x), max(cdf(x), abs(x * pdf(x))))
            },
            FloatKernel(name: "silu", bound: 3.5, run: { gl_silu_f32($0, $1, $2) }) {
                ($0.isInfinite ? ($0 > 0 ? $0 : 0) : $0 * sigmoid($0), 0)
            },
            FloatKernel(name: "silu'", bound: 5, run: { gl_silu_backward_f32($0, ones, $1, $2) }) { x in
                if x.isInfinite { return (x > 0 ? 1 : 0, 0) }
                let s = sigmoid(x), t = x * s * sigmoid(-x)
                return (s + t, max(s, abs(t)))
            },
            FloatKernel(name: "softplus", bound: 2.5, run: { gl_softplus_f32($0, $1, $2, 1, 20) }) { x in
                (x > 20 ? x : (x > 0 ? x + log1p(Foundation.exp(-x)) : log1p(Foundation.exp(x))), 0)
            },
            FloatKernel(name: "softplus(β=2)", bound: 2.5, run: { gl_softplus_f32($0, $1, $2, 2, 20) }) { x in
                let z = 2 * x
                return (z > 20 ? x : (z > 0 ? z + log1p(Foundation.exp(-z)) : log1p(Foundation.exp(z))) / 2, 0)
            },
            FloatKernel(name: "softplus'", bound: 3, run: { gl_softplus_backward_f32($0, ones, $1, $2, 1, 20) }) {
                ($0 > 20 ? 1 : sigmoid($0), 0)
            },
        ]
    }

    /// Every 4093rd Float bit pattern (scripts/kernel-ulps.c runs all 2^32 of them), and 4096 patterns on each side of exp's edges: the largest finite
    /// result (x ≈ 88.72), the smallest normal (x ≈ −87.34) and the smallest subnormal (x ≈ −103.28).
    private static func floatInputs() -> [Float] {
        var inputs: [Float] = []
        inputs.reserveCapacity((1 << 32) / 4093 + 60_000)
        var bits: UInt64 = 0
        while bits < (1 << 32) { inputs.append(Float(bitPattern: UInt32(bits))); bits += 4093 }
        for edge: Float in [88.72284, -87.33655, -103.27893, 20, -20, 10, 15] {
            let center = edge.bitPattern
            for offset in -4096...4096 { inputs.append(Float(bitPattern: UInt32(Int64(center) + Int64(offset)))) }
        }
        return inputs
    }

    func testFloatKernelsAgainstDoubleReference() {
        let ones = UnsafeMutablePointer<Float>.allocate(capacity: Self.chunk)
        ones.initialize(repeating: 1, count: Self.chunk)
        defer { ones.deallocate() }
        let inputs = Self.floatInputs()
        var outputs = [Float](repeating: 0, count: Self.chunk)
        for kernel in Self.floatKernels(ones: ones) {
            var worst = WorstError()
            inputs.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { y in
                    var start = 0
                    while start < x.count {
                        let n = min(Self.chunk, x.count - start)
                        kernel.run(x.baseAddress! + start, y.baseAddress!, n)
                        for i in 0..<n {
                            let v = x[start + i]
                            let (exact, scale) = kernel.reference(Double(v))
                            worst.add(input: Double(v), output: y[i], exact: exact, scale: scale)
                        }
                        start += n
                    }
                }
            }
            worst.check(kernel.name, "Float", bound: kernel.bound)
        }
    }

    // MARK: Double

    #if arch(x86_64)
    private struct DoubleKernel {
        var name: String
        var bound: Double
        var run: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void
        var reference: (Float80) -> (Float80, Float80)
    }

    private static func doubleKernels(ones: UnsafePointer<Double>) -> [DoubleKernel] {
        let alpha = seluAlpha, scale = seluScale, alphaScale = seluScale * seluAlpha
        func sigmoid(_ x: Float80) -> Float80 { x >= 0 ? 1 / (1 + expl(-x)) : expl(x) / (1 + expl(x)) }
        func cdf(_ x: Float80) -> Float80 { erfcl(-x / Float80(2).squareRoot()) / 2 }
        func pdf(_ x: Float80) -> Float80 { expl(-x * x / 2) / (2 * Float80.pi).squareRoot() }
        return [
            DoubleKernel(name: "exp", bound: 1.5, run: { gl_exp_f64($0, $1, $2) }) { (expl($0), 0) },
            DoubleKernel(name: "tanh", bound: 3, run: { gl_tanh_f64($0, $1, $2) }) { (tanhl($0), 0) },
            DoubleKernel(name: "sigmoid", bound: 3, run: { gl_sigmoid_f64($0, $1, $2) }) { (sigmoid($0), 0) },
            DoubleKernel(name: "elu", bound: 1.5, run: { gl_elu_f64($0, $1, $2, 1, 1) }) { ($0 > 0 ? $0 : expm1l($0), 0) },
            DoubleKernel(name: "elu'", bound: 1.5, run: { gl_elu_backward_f64($0, ones, $1, $2, 1, 1) }) {
                ($0 > 0 ? 1 : expl($0), 0)
            },
            DoubleKernel(name: "selu", bound: 2.5, run: { gl_elu_f64($0, $1, $2, alpha, scale) }) {
                (Float80(scale) * ($0 > 0 ? $0 : Float80(alpha) * expm1l($0)), 0)
            },
            DoubleKernel(name: "selu'", bound: 2, run: { gl_elu_backward_f64($0, ones, $1, $2, scale, alphaScale) }) {
                ($0 > 0 ? Float80(scale) : Float80(alphaScale) * expl($0), 0)
            },
            DoubleKernel(name: "gelu", bound: 6, run: { gl_gelu_f64($0, $1, $2) }) {
                ($0.isInfinite ? ($0 > 0 ? $0 : 0) : $0 * cdf($0), 0)
            },
            DoubleKernel(name: "gelu'", bound: 5.5, run: { gl_gelu_backward_f64($0, ones, $1, $2) }) { x in
                if x.isInfinite { return (x > 0 ? 1 : 0, 0) }
                return (cdf(x) + x * pdf(x), max(cdf(x), abs(x * pdf(x))))
            },
            DoubleKernel(name: "silu", bound: 3, run: { gl_silu_f64($0, $1, $2) }) {
                ($0.isInfinite ? ($0 > 0 ? $0 : 0) : $0 * sigmoid($0), 0)
            },
            DoubleKernel(name: "silu'", bound: 4.5, run: { gl_silu_backward_f64($0, ones, $1, $2) }) { x in
                if x.isInfinite { return (x > 0 ? 1 : 0, 0) }
                let s = sigmoid(x), t = x * s * sigmoid(-x)
                return (s + t, max(s, abs(t)))
            },
            DoubleKernel(name: "softplus", bound: 2.5, run: { gl_softplus_f64($0, $1, $2, 1, 20) }) { x in
                (x > 20 ? x : (x > 0 ? x + log1pl(expl(-x)) : log1pl(expl(x))), 0)
            },
            DoubleKernel(name: "softplus'", bound: 3, run: { gl_softplus_backward_f64($0, ones, $1, $2, 1, 20) }) {
                ($0 > 20 ? 1 : sigmoid($0), 0)
            },
        ]
    }

    /// 256 random significands for each exponent and sign (subnormals included), 200 000 uniform points on
    /// [−50, 50], and 20 000 points within 1e−3 of each switching point: exp's overflow (709.78), normal
    /// (−708.40) and zero (−745.13) edges, tanh's clamp (±20), expm1's (−40), gelu's erf/erfc switch (±1/√2)
    /// and clamp (±38.6), softplus's threshold (20) and log1p's √2 switch (±0.8814).
    private static func doubleInputs() -> [Double] {
        var generator = RandomGenerator(seed: 19)
        var inputs: [Double] = []
        for exponent in -1074...1023 {
            for _ in 0..<256 {
                let significand = generator.next() >> 12
                let value: Double
                if exponent < -1022 {
                    let bits = 52 - (-1022 - exponent)
                    value = Double(bitPattern: (significand & ((1 << UInt64(bits)) - 1)) | (1 << UInt64(bits)))
                } else {
                    value = Double(sign: .plus, exponent: exponent, significand: 1 + Double(significand) * 0x1p-52)
                }
                inputs.append(value)
                inputs.append(-value)
            }
        }
        for _ in 0..<200_000 { inputs.append(Double.random(in: -50...50, using: &generator)) }
        for edge in [709.78, -708.40, -745.13, 20, -20, -40, 0.7071067811865476, -0.7071067811865476, 38.6, -38.6,
                     0.8813735870195430, -0.8813735870195430] {
            for _ in 0..<20_000 { inputs.append(edge + Double.random(in: -1e-3...1e-3, using: &generator)) }
        }
        return inputs
    }

    func testDoubleKernelsAgainstFloat80Reference() {
        let ones = UnsafeMutablePointer<Double>.allocate(capacity: Self.chunk)
        ones.initialize(repeating: 1, count: Self.chunk)
        defer { ones.deallocate() }
        let inputs = Self.doubleInputs()
        var outputs = [Double](repeating: 0, count: Self.chunk)
        for kernel in Self.doubleKernels(ones: ones) {
            var worst = WorstError()
            inputs.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { y in
                    var start = 0
                    while start < x.count {
                        let n = min(Self.chunk, x.count - start)
                        kernel.run(x.baseAddress! + start, y.baseAddress!, n)
                        for i in 0..<n {
                            let v = x[start + i]
                            let (exact, scale) = kernel.reference(Float80(v))
                            worst.add(input: v, output: y[i], exact: exact, scale: scale)
                        }
                        start += n
                    }
                }
            }
            worst.check(kernel.name, "Double", bound: kernel.bound)
        }
    }
    #else
    func testDoubleKernelsAgainstFloat80Reference() throws {
        throw XCTSkip("Float80 and its libm functions exist on x86-64 only")
    }
    #endif

    // MARK: Special values, tails, routing

    /// Through `Activation.apply` and `backward` (the C kernels), the special inputs give exactly the scalar
    /// reference `value(_:)` (bit for bit, the sign of zero included) and `derivative(_:output:)` (as numbers):
    /// ±0, ±∞, NaN, the smallest subnormal and normal, the largest finite. Softplus's value near 0, ln 2/β,
    /// is the one transcendental among them: within 2 ulp.
    func testSpecialValuesMatchTheScalarReference() {
        specialValues(Float.self)
        specialValues(Double.self)
    }

    private func specialValues<Scalar: TensorScalar>(_: Scalar.Type) {
        let specials: [Scalar] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                  .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
                                  -.greatestFiniteMagnitude]
        let activations: [Activation] = [.sigmoid, .tanh, .elu(), .elu(alpha: 0.5), .selu, .gelu, .silu, .softplus(),
                                         .softplus(beta: 2, threshold: 10)]
        let ones = [Scalar](repeating: 1, count: specials.count)
        for activation in activations {
            var y = [Scalar](repeating: 0, count: specials.count), dx = y
            specials.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { activation.apply(x, into: $0) }
                y.withUnsafeBufferPointer { yb in
                    ones.withUnsafeBufferPointer { dy in
                        dx.withUnsafeMutableBufferPointer {
                            activation.backward(input: x, output: yb, outputGradient: dy, into: $0)
                        }
                    }
                }
            }
            for (i, x) in specials.enumerated() {
                let value = activation.value(x), slope = activation.derivative(x, output: value)
                let label = "\(activation.name)(\(x)) in \(Scalar.self)"
                if value.isNaN {
                    XCTAssertTrue(y[i].isNaN, "\(label) = \(y[i]), expected NaN")
                } else if case .softplus = activation, value.isFinite, value != 0, value != x {
                    XCTAssertLessThanOrEqual(abs(y[i] - value), 2 * value.ulp, "\(label) = \(y[i]), reference \(value)")
                } else {
                    XCTAssertTrue(y[i] == value && y[i].sign == value.sign, "\(label) = \(y[i]), reference \(value)")
                }
                if slope.isNaN {
                    XCTAssertTrue(dx[i].isNaN, "\(activation.name)'(\(x)) = \(dx[i]), expected NaN")
                } else {
                    XCTAssertEqual(dx[i], slope, "\(activation.name)'(\(x)) in \(Scalar.self) = \(dx[i]), reference \(slope)")
                }
            }
        }
    }

    /// e^x at its special values exactly, and on both sides of its overflow and underflow edges: the largest
    /// input whose rounded e^x is finite gives a finite result and the next one +∞; the smallest input whose
    /// rounded e^x is not 0 gives the smallest subnormal, and the one below it 0.
    func testExpSpecialValuesAndEdges() {
        func exp32(_ x: Float) -> Float { var y: Float = 0; var v = x; gl_exp_f32(&v, &y, 1); return y }
        func exp64(_ x: Double) -> Double { var y = 0.0; var v = x; gl_exp_f64(&v, &y, 1); return y }
        for (x, expected) in [(Float(0), Float(1)), (-0.0, 1), (.infinity, .infinity), (-.infinity, 0),
                              (.leastNonzeroMagnitude, 1), (-.leastNonzeroMagnitude, 1),
                              (.greatestFiniteMagnitude, .infinity), (-.greatestFiniteMagnitude, 0)] {
            XCTAssertEqual(exp32(x).bitPattern, expected.bitPattern, "exp(\(x)) = \(exp32(x)), expected \(expected)")
        }
        XCTAssertTrue(exp32(.nan).isNaN)
        var high: Float = 88
        while Float(Foundation.exp(Double(high.nextUp))).isFinite { high = high.nextUp }
        XCTAssertTrue(exp32(high).isFinite && exp32(high.nextUp) == .infinity, "exp(\(high)) = \(exp32(high))")
        var low: Float = -104
        while Float(Foundation.exp(Double(low))) == 0 { low = low.nextUp }
        XCTAssertEqual(exp32(low), .leastNonzeroMagnitude, "exp(\(low))")
        XCTAssertEqual(exp32(low.nextDown), 0, "exp(\(low.nextDown))")
        for (x, expected) in [(0.0, 1.0), (-0.0, 1), (.infinity, .infinity), (-.infinity, 0), (.leastNonzeroMagnitude, 1),
                              (-.leastNonzeroMagnitude, 1), (.greatestFiniteMagnitude, .infinity),
                              (-.greatestFiniteMagnitude, 0)] {
            XCTAssertEqual(exp64(x).bitPattern, expected.bitPattern, "exp(\(x)) = \(exp64(x)), expected \(expected)")
        }
        XCTAssertTrue(exp64(.nan).isNaN)
        #if arch(x86_64)
        var highD = 709.7827128933839  // a few ulps below log(greatestFiniteMagnitude)
        while Double(expl(Float80(highD.nextUp))).isFinite { highD = highD.nextUp }
        XCTAssertTrue(exp64(highD).isFinite && exp64(highD.nextUp) == .infinity, "exp(\(highD)) = \(exp64(highD))")
        var lowD = -745.1332191019412
        while Double(expl(Float80(lowD))) == 0 { lowD = lowD.nextUp }
        while Double(expl(Float80(lowD.nextDown))) != 0 { lowD = lowD.nextDown }
        XCTAssertEqual(exp64(lowD), .leastNonzeroMagnitude, "exp(\(lowD))")
        XCTAssertEqual(exp64(lowD.nextDown), 0, "exp(\(lowD.nextDown))")
        #endif
    }

    /// The buffer path (64-element blocks, then one element at a time) returns the same bits as the kernel
    /// called on each element alone, for every length 0…67 and in place, so a tail never differs.
    func testBufferPathEqualsPerElementPath() {
        var generator = RandomGenerator(seed: 7)
        let pool: [Float] = (0..<67).map { i in
            i % 11 == 0 ? [Float.nan, .infinity, -.infinity, 0, -0.0, Float.leastNormalMagnitude / 3][i / 11 % 6] : Float.random(in: -30...30, using: &generator)
        }
        let ones = [Float](repeating: 1, count: 67)
        let kernels: [(String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)] = [
            ("exp", { gl_exp_f32($0, $1, $2) }), ("tanh", { gl_tanh_f32($0, $1, $2) }),
            ("sigmoid", { gl_sigmoid_f32($0, $1, $2) }), ("elu", { gl_elu_f32($0, $1, $2, 0.7, 1.1) }),
            ("elu'", { x, y, n in ones.withUnsafeBufferPointer { gl_elu_backward_f32(x, $0.baseAddress!, y, n, 1.1, 0.8) } }),
            ("gelu", { gl_gelu_f32($0, $1, $2) }),
            ("gelu'", { x, y, n in ones.withUnsafeBufferPointer { gl_gelu_backward_f32(x, $0.baseAddress!, y, n) } }),
            ("silu", { gl_silu_f32($0, $1, $2) }),
            ("silu'", { x, y, n in ones.withUnsafeBufferPointer { gl_silu_backward_f32(x, $0.baseAddress!, y, n) } }),
            ("softplus", { gl_softplus_f32($0, $1, $2, 1.5, 12) }),
            ("softplus'", { x, y, n in ones.withUnsafeBufferPointer { gl_softplus_backward_f32(x, $0.baseAddress!, y, n, 1.5, 12) } }),
            ("tanh' of y", { x, y, n in ones.withUnsafeBufferPointer { gl_tanh_backward_f32(x, $0.baseAddress!, y, n) } }),
            ("sigmoid' of y", { x, y, n in ones.withUnsafeBufferPointer { gl_sigmoid_backward_f32(x, $0.baseAddress!, y, n) } }),
        ]
        for (name, kernel) in kernels {
            for length in 0...67 {
                var x = Array(pool.prefix(length)), buffer = [Float](repeating: 7, count: length), single = buffer
                x.withUnsafeBufferPointer { xb in
                    buffer.withUnsafeMutableBufferPointer { if length > 0 { kernel(xb.baseAddress!, $0.baseAddress!, length) } }
                    single.withUnsafeMutableBufferPointer { yb in
                        for i in 0..<length { kernel(xb.baseAddress! + i, yb.baseAddress! + i, 1) }
                    }
                }
                x.withUnsafeMutableBufferPointer { if length > 0 { kernel($0.baseAddress!, $0.baseAddress!, length) } }
                XCTAssertEqual(buffer.map(\.bitPattern), single.map(\.bitPattern), "\(name), length \(length)")
                XCTAssertEqual(x.map(\.bitPattern), single.map(\.bitPattern), "\(name) in place, length \(length)")
            }
        }
        // Double, through the same macros: two kernels suffice to reach both loop shapes.
        let poolD = pool.map(Double.init), onesD = [Double](repeating: 1, count: 67)
        for length in 0...67 {
            let x = Array(poolD.prefix(length))
            var buffer = [Double](repeating: 7, count: length), single = buffer, dBuffer = buffer, dSingle = buffer
            if length > 0 {
                gl_tanh_f64(x, &buffer, length)
                gl_gelu_backward_f64(x, onesD, &dBuffer, length)
            }
            for i in 0..<length {
                var v = x[i], y = 0.0, d = 0.0, one = 1.0
                gl_tanh_f64(&v, &y, 1)
                gl_gelu_backward_f64(&v, &one, &d, 1)
                single[i] = y
                dSingle[i] = d
            }
            XCTAssertEqual(buffer.map(\.bitPattern), single.map(\.bitPattern), "tanh Double, length \(length)")
            XCTAssertEqual(dBuffer.map(\.bitPattern), dSingle.map(\.bitPattern), "gelu' Double, length \(length)")
        }
    }

    /// tanh' and σ' from the forward output: the rounding of `dy · (1 − y²)` and `dy · (y(1 − y))` as written,
    /// bit for bit, in Float and Double, on outputs across (−1, 1) and (0, 1), their ends, ±0, NaN and ±∞.
    func testDerivativesFromTheOutputRoundAsWritten() {
        var generator = RandomGenerator(seed: 11)
        let specials: [Double] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, 1e-300, 0.5, 1 - 1e-16]
        let y = specials + (0..<1_000).map { _ in Double.random(in: -1...1, using: &generator) }
        let dy = y.indices.map { i in i < specials.count ? [1, -2.5, .nan, 0][i % 4] : generator.nextNormal() }
        func check<T: BinaryFloatingPoint>(_: T.Type, _ tanh: ([T], [T], inout [T]) -> Void,
                                           _ sigmoid: ([T], [T], inout [T]) -> Void) {
            let yt = y.map { T($0) }, gt = dy.map { T($0) }
            var dt = [T](repeating: 7, count: y.count), ds = dt
            tanh(yt, gt, &dt)
            sigmoid(yt, gt, &ds)
            for i in y.indices {
                let t = yt[i], g = gt[i]
                let expectedTanh = g * (1 - t * t), expectedSigmoid = g * (t * (1 - t))
                XCTAssertTrue(dt[i] == expectedTanh || (dt[i].isNaN && expectedTanh.isNaN), "\(T.self) tanh' at y = \(t)")
                XCTAssertTrue(ds[i] == expectedSigmoid || (ds[i].isNaN && expectedSigmoid.isNaN), "\(T.self) σ' at y = \(t)")
                if !dt[i].isNaN { XCTAssertEqual(dt[i].sign, expectedTanh.sign, "\(T.self) tanh' sign at y = \(t)") }
            }
        }
        check(Float.self, { gl_tanh_backward_f32($0, $1, &$2, $0.count) }, { gl_sigmoid_backward_f32($0, $1, &$2, $0.count) })
        check(Double.self, { gl_tanh_backward_f64($0, $1, &$2, $0.count) }, { gl_sigmoid_backward_f64($0, $1, &$2, $0.count) })
    }

    /// The softmax rows: probabilities sum to 1 within a few ulps, logp = log p within a few ulps, the
    /// largest logit's row is exact where the others underflow, and a NaN poisons only its own row.
    func testLogSoftmaxRows() {
        let z: [Double] = [1, 2, 3, 0, 0, 0, 1000, 0, -1000, .nan, 1, 2]
        var logp = [Double](repeating: 0, count: 12), p = logp
        gl_log_softmax_rows_f64(z, &logp, &p, 4, 3)
        let expected = [1.0, 2, 3].map { $0 - 3 - log(exp(-2.0) + exp(-1.0) + 1) }
        for c in 0..<3 {
            XCTAssertEqual(logp[c], expected[c], accuracy: 4 * abs(expected[c]).ulp, "row 0, class \(c)")
            XCTAssertEqual(p[c], exp(expected[c]), accuracy: 4 * exp(expected[c]).ulp, "row 0, class \(c)")
            XCTAssertEqual(logp[3 + c], -log(3.0), accuracy: 2 * log(3.0).ulp)
        }
        XCTAssertEqual(logp[6], 0)
        XCTAssertEqual(p[6], 1)
        XCTAssertEqual(logp[7], -1000)
        XCTAssertEqual(p[8], 0)
        XCTAssertTrue(logp[9...11].allSatisfy(\.isNaN) && p[9...11].allSatisfy(\.isNaN), "NaN row: \(logp[9...11])")
    }
}

/// The largest error seen over one kernel's inputs, in ulps, and the inputs that miss a special value.
private struct WorstError {
    var ulps = 0.0
    var input = 0.0
    var output = ""
    var exact = ""
    var misses: [String] = []

    mutating func add<Scalar: BinaryFloatingPoint, Wide: BinaryFloatingPoint>(
        input x: Double, output y: Scalar, exact: Wide, scale: Wide
    ) {
        if exact.isNaN || y.isNaN {
            if exact.isNaN != y.isNaN, misses.count < 5 { misses.append("f(\(x)) = \(y), expected \(exact)") }
            return
        }
        let rounded = Scalar(exact)
        if rounded.isInfinite || y.isInfinite {
            if rounded != y, misses.count < 5 { misses.append("f(\(x)) = \(y), expected \(rounded)") }
            return
        }
        let error = abs(Wide(y) - exact)
        if error <= Wide(Scalar.leastNormalMagnitude) { return }
        let unit = Wide(Scalar(Swift.max(abs(exact), scale)).ulp)
        let ulps = Double(error / unit)
        if ulps > self.ulps {
            self.ulps = ulps
            input = x
            output = "\(y)"
            self.exact = "\(exact)"
        }
    }

    /// Asserts the bound. With GRADLAB_KERNEL_ULPS set in the environment, first prints the worst error: the
    /// figures CKernels.h states as measured for Double.
    func check(_ name: String, _ type: String, bound: Double, file: StaticString = #filePath, line: UInt = #line) {
        if ProcessInfo.processInfo.environment["GRADLAB_KERNEL_ULPS"] != nil {
            print("\(type) \(name): max \(String(format: "%.3f", ulps)) ulp at x = \(input) (bound \(bound))")
        }
        XCTAssertTrue(misses.isEmpty, "\(type) \(name): special values missed: \(misses)", file: file, line: line)
        XCTAssertLessThanOrEqual(ulps, bound, "\(type) \(name): \(ulps) ulp at x = \(input): \(output), exact \(exact)",
                                 file: file, line: line)
    }
}
