import Backprop
import Foundation
import XCTest

/// RNN (tanh), LSTM and GRU with two stacked layers against an independent numpy implementation
/// (Reference/recurrent_reference.py): outputs, input gradients, every parameter gradient, and the time
/// traces (‖∂L/∂h_t‖, ‖h_t‖, gate means and saturated fractions), in Double and in Float.
final class RecurrentReferenceTests: XCTestCase {
    struct Named: Decodable { var name: String; var shape: [Int]?; var values: [Double] }
    struct Gate: Decodable { var name: String; var means: [Double]; var saturated_fractions: [Double] }
    struct Trace: Decodable { var stack: Int; var gradient_norms: [Double]; var hidden_norms: [Double]; var gates: [Gate] }
    struct Case: Decodable {
        var kind: String
        var input_size: Int, hidden_size: Int, num_layers: Int, batch: Int, steps: Int
        var parameters: [Named]
        var input: [Double], upstream: [Double], output: [Double], input_gradient: [Double]
        var gradients: [Named]
        var traces: [Trace]
    }
    struct Fixture: Decodable { var cases: [Case] }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Reference/recurrent_reference.json")
        do {
            return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        } catch {
            preconditionFailure("cannot read \(url.path): \(error)")
        }
    }()

    /// The layer of `reference.kind` holding the fixture's tensors.
    static func layer<Scalar: TensorScalar>(_ reference: Case, _: Scalar.Type) -> any Layer<Scalar> {
        var tensors: [String: Tensor<Scalar>] = [:]
        for p in reference.parameters {
            tensors[p.name] = Tensor(shape: p.shape ?? [p.values.count], scalars: p.values.map { Scalar($0) })
        }
        let weights = (0..<reference.num_layers).map { k in
            RecurrentWeights(weightIH: tensors["weight_ih_l\(k)"]!, weightHH: tensors["weight_hh_l\(k)"]!,
                             biasIH: tensors["bias_ih_l\(k)"], biasHH: tensors["bias_hh_l\(k)"])
        }
        switch reference.kind {
        case "RNN": return RNN<Scalar>(weights: weights)
        case "LSTM": return LSTM<Scalar>(weights: weights)
        default: return GRU<Scalar>(weights: weights)
        }
    }

    /// `|a − e| ≤ tolerance · (1 + |e|)` for every element, naming the first that fails.
    func assertClose<Scalar: TensorScalar>(
        _ actual: [Scalar], _ expected: [Double], tolerance: Double, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(Double(a) - e) <= tolerance * (1 + abs(e))) {
            XCTFail("\(what)[\(i)]: GradLab \(a), numpy \(e), tolerance \(tolerance)·(1 + |numpy|)", file: file, line: line)
            return
        }
    }

    func compare<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double, saturatedSlack: Double) {
        for reference in Self.fixture.cases {
            let layer = Self.layer(reference, Scalar.self)
            XCTAssertEqual(layer.parameters.map(\.name), reference.gradients.map(\.name), reference.kind)
            let tracing = layer.timeTracing!
            tracing.isTracingTime = true
            let shape = [reference.batch, reference.steps, reference.input_size]
            let x = Tensor<Scalar>(shape: shape, scalars: reference.input.map { Scalar($0) })
            let y = layer.forward(x, mode: .training)
            XCTAssertEqual(y.shape, [reference.batch, reference.steps, reference.hidden_size])
            assertClose(y.scalars, reference.output, tolerance: tolerance, "\(reference.kind) \(Scalar.self) output")
            layer.zeroGradients()
            let dy = Tensor<Scalar>(shape: y.shape, scalars: reference.upstream.map { Scalar($0) })
            let dx = layer.backward(dy)
            assertClose(dx.scalars, reference.input_gradient, tolerance: tolerance, "\(reference.kind) \(Scalar.self) ∂L/∂x")
            for (named, expected) in zip(layer.parameters, reference.gradients) {
                assertClose(named.parameter.gradient.scalars, expected.values, tolerance: tolerance,
                            "\(reference.kind) \(Scalar.self) ∂L/∂\(named.name)")
            }
            let traces = tracing.timeTraces
            XCTAssertEqual(traces.map(\.stack), reference.traces.map(\.stack), reference.kind)
            for (trace, expected) in zip(traces, reference.traces) {
                let what = "\(reference.kind) \(Scalar.self) stack \(trace.stack)"
                assertClose(trace.gradientNorms, expected.gradient_norms, tolerance: tolerance, "\(what) ‖∂L/∂h_t‖")
                assertClose(trace.hiddenNorms, expected.hidden_norms, tolerance: tolerance, "\(what) ‖h_t‖")
                XCTAssertEqual(trace.gates.map(\.name), expected.gates.map(\.name), what)
                for (gate, e) in zip(trace.gates, expected.gates) {
                    assertClose(gate.means, e.means, tolerance: tolerance, "\(what) gate \(gate.name) mean")
                    for (s, es) in zip(gate.saturatedFractions, e.saturated_fractions) {
                        XCTAssertLessThanOrEqual(abs(s - es), saturatedSlack, "\(what) gate \(gate.name) saturated fraction")
                    }
                }
            }
        }
    }

    /// Double: the same formulas in float64, only the order of summation and tanh's last bits differ:
    /// a few ulp, so 1e−11 leaves room and still catches any wrong term. Saturated fractions count the
    /// same elements exactly.
    func testDoubleMatchesNumpy() {
        compare(Double.self, tolerance: 1e-11, saturatedSlack: 0)
    }

    /// Float: inputs and weights rounded to float32 (relative 6e−8), five steps and two layers of
    /// products of length ≤ 24 and a fast tanh within a few ulp: 2e−5 is about 150 ulp at 1. A gate
    /// value within Float's error of a band's edge may change side: one element of 18 per step.
    func testFloatMatchesNumpy() {
        compare(Float.self, tolerance: 2e-5, saturatedSlack: 1.0 / 18 + 1e-9)
    }

    /// The Float path (σ by `gl_sigmoid_f32`, 64-element blocks and a tail with hidden 13) against the Double
    /// path (`gl_sigmoid_f64`) on the same weights, with pre-activations from about −100 to 100 so that the
    /// gates cover σ's whole range, its underflow included: |f − d| ≤ 1e−5·(1 + |d|), outputs and gradients.
    func testFloatGatesMatchDoubleOverTheWholeSigmoidRange() {
        for kind in ["LSTM", "GRU"] {
            var generator = RandomGenerator(seed: 7)
            var g2 = RandomGenerator(seed: 7)
            let (double, float): (any Layer<Double>, any Layer<Float>) = kind == "LSTM"
                ? (LSTM<Double>(inputSize: 3, hiddenSize: 13, generator: &generator),
                   LSTM<Float>(inputSize: 3, hiddenSize: 13, generator: &g2))
                : (GRU<Double>(inputSize: 3, hiddenSize: 13, generator: &generator),
                   GRU<Float>(inputSize: 3, hiddenSize: 13, generator: &g2))
            // Weights that are exact in Float, so both paths compute the same function.
            for (d, f) in zip(double.parameters, float.parameters) {
                for i in 0..<d.parameter.value.count {
                    let v = Float(d.parameter.value[i] * 4)
                    f.parameter.value[i] = v
                    d.parameter.value[i] = Double(v)
                }
            }
            let x = Tensor<Double>(shape: [2, 4, 3], scalars: (0..<24).map { Double(Float(25 * sin(0.9 * Double($0)))) })
            let dy = Tensor<Double>(shape: [2, 4, 13], scalars: (0..<104).map { Double(Float(cos(0.4 * Double($0)))) })
            let y = double.forward(x, mode: .training).scalars
            let yf = float.forward(Tensor(shape: x.shape, scalars: x.scalars.map { Float($0) }), mode: .training).scalars
            assertClose(yf, y, tolerance: 1e-5, "\(kind) output")
            double.zeroGradients()
            float.zeroGradients()
            let dx = double.backward(dy).scalars
            let dxf = float.backward(Tensor(shape: dy.shape, scalars: dy.scalars.map { Float($0) })).scalars
            assertClose(dxf, dx, tolerance: 1e-5, "\(kind) ∂L/∂x")
            for (d, f) in zip(double.parameters, float.parameters) {
                assertClose(f.parameter.gradient.scalars, d.parameter.gradient.scalars, tolerance: 1e-5, "\(kind) ∂L/∂\(d.name)")
            }
        }
    }

    func testTheFixtureCoversTheThreeCellsWithSaturatedGates() {
        XCTAssertEqual(Self.fixture.cases.map(\.kind), ["RNN", "LSTM", "GRU"])
        for reference in Self.fixture.cases where reference.kind != "RNN" {
            let saturated = reference.traces.flatMap(\.gates).flatMap(\.saturated_fractions)
            XCTAssertTrue(saturated.contains { $0 > 0 }, "\(reference.kind): some gate must saturate, or the test proves little")
        }
    }
}
