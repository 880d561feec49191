import Backprop
import Foundation
import XCTest

/// The NCHW layers against Reference/conv_reference.py, an independent numpy implementation written as
/// direct loops: forward outputs and every gradient, in Float and Double.
///
/// The rule: |value − reference| ≤ atol + rtol·|reference| with (atol, rtol) = (1e−10, 1e−10) in Double
/// (sums of at most a few hundred products in a different order) and (1e−4, 1e−4) in Float (the inputs
/// are rounded to Float first, so the error is ε_F·Σ|terms| ≈ 1e−7·10²).
final class ConvolutionReferenceTests: XCTestCase {
    struct Values: Decodable {
        var shape: [Int]
        var values: [Double]
    }

    struct Case: Decodable {
        var name: String
        var layer: String
        var kernel: [Int]?
        var stride: [Int]?
        var padding: [Int]?
        var dilation: [Int]?
        var x: Values
        var weight: Values?
        var bias: Values?
        var g: Values
        var y: Values
        var dx: Values
        var dweight: Values?
        var dbias: Values?
        var running_mean: Values?
        var running_var: Values?
    }

    struct Fixture: Decodable { var cases: [Case] }

    static func loadCases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Reference/conv_reference.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    func tensor<T: TensorScalar>(_ values: Values) -> Tensor<T> {
        Tensor(shape: values.shape, scalars: values.values.map { T($0) })
    }

    func size(_ pair: [Int]?) -> Size2D { pair.map { Size2D($0[0], $0[1]) } ?? 1 }

    func layer<T: TensorScalar>(for c: Case, _: T.Type) -> any Layer<T> {
        switch c.layer {
        case "Conv2d":
            return Conv2d<T>(weight: tensor(c.weight!), bias: tensor(c.bias!), stride: size(c.stride),
                             padding: size(c.padding), dilation: size(c.dilation))
        case "MaxPool2d": return MaxPool2d<T>(kernelSize: size(c.kernel), stride: size(c.stride), padding: size(c.padding))
        case "AvgPool2d": return AvgPool2d<T>(kernelSize: size(c.kernel), stride: size(c.stride), padding: size(c.padding))
        case "AdaptiveAvgPool2d": return AdaptiveAvgPool2d<T>()
        case "BatchNorm2d":
            let bn = BatchNorm2d<T>(features: c.x.shape[1])
            bn.weight!.value.assign(from: tensor(c.weight!) as Tensor<T>)
            bn.bias!.value.assign(from: tensor(c.bias!) as Tensor<T>)
            return bn
        default: preconditionFailure("no layer \(c.layer) in the fixture's vocabulary")
        }
    }

    func assertClose<T: TensorScalar>(_ actual: Tensor<T>, _ expected: Values, atol: Double, rtol: Double, _ what: String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, what, file: file, line: line)
        guard actual.count == expected.values.count else { return }
        for i in 0..<actual.count {
            let error = abs(Double(actual[i]) - expected.values[i])
            if !(error <= atol + rtol * abs(expected.values[i])) {
                XCTFail("\(what)[\(i)]: \(actual[i]), reference \(expected.values[i]), |error| \(error) > \(atol) + \(rtol)·|ref|",
                        file: file, line: line)
                return
            }
        }
    }

    func check<T: TensorScalar>(_: T.Type, atol: Double, rtol: Double) throws {
        let cases = try Self.loadCases()
        XCTAssertEqual(Set(cases.map(\.layer)), ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d"])
        for c in cases {
            let layer = layer(for: c, T.self)
            let what = "\(c.name) (\(T.self))"
            assertClose(layer.forward(tensor(c.x), mode: .training), c.y, atol: atol, rtol: rtol, "\(what) y")
            layer.zeroGradients()
            assertClose(layer.backward(tensor(c.g)), c.dx, atol: atol, rtol: rtol, "\(what) dx")
            let gradients = Dictionary(uniqueKeysWithValues: layer.parameters.map { ($0.name, $0.parameter.gradient) })
            if let dweight = c.dweight { assertClose(gradients["weight"]!, dweight, atol: atol, rtol: rtol, "\(what) dweight") }
            if let dbias = c.dbias { assertClose(gradients["bias"]!, dbias, atol: atol, rtol: rtol, "\(what) dbias") }
            let buffers = Dictionary(uniqueKeysWithValues: layer.buffers.map { ($0.name, $0.tensor) })
            if let mean = c.running_mean { assertClose(buffers["running_mean"]!, mean, atol: atol, rtol: rtol, "\(what) running_mean") }
            if let variance = c.running_var { assertClose(buffers["running_var"]!, variance, atol: atol, rtol: rtol, "\(what) running_var") }
        }
    }

    func testDoubleMatchesTheNumpyReference() throws { try check(Double.self, atol: 1e-10, rtol: 1e-10) }
    func testFloatMatchesTheNumpyReference() throws { try check(Float.self, atol: 1e-4, rtol: 1e-4) }
}
