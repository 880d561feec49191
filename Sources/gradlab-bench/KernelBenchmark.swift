import Backprop
import CKernels
import Foundation

/// `--only kernels`: nanoseconds per element of each elementwise kernel, Float and Double, through the
/// path the library takes (`Activation.apply` / `backward` into CKernels, at the clone the loader picked)
/// next to the scalar Swift reference loop (`Activation.value` / `derivative`, `Scalar.exp`), on 4096
/// inputs spread over [−8, 8] (in cache). Each figure is the median of 7 rounds of 200 passes.
func kernelTimings() {
    print("elementwise kernels, clone \(String(cString: gl_kernel_isa())), 4096 elements, ns per element")
    print("kernel          Float C   Float ref    speed-up   Double C  Double ref    speed-up")
    let rows: [(String, Activation?, Bool)] = [
        ("exp", nil, false), ("tanh", .tanh, false), ("sigmoid", .sigmoid, false),
        ("elu", .elu(), false), ("elu'", .elu(), true), ("selu", .selu, false), ("selu'", .selu, true),
        ("gelu", .gelu, false), ("gelu'", .gelu, true), ("silu", .silu, false), ("silu'", .silu, true),
        ("softplus", .softplus(), false), ("softplus'", .softplus(), true),
    ]
    for (name, activation, isDerivative) in rows {
        let f = KernelTiming<Float>(activation: activation, derivative: isDerivative)
        let d = KernelTiming<Double>(activation: activation, derivative: isDerivative)
        print(name.padding(toLength: 14, withPad: " ", startingAt: 0)
              + String(format: "%9.2f %11.2f %10.1fx %10.2f %11.2f %10.1fx",
                       f.kernel, f.reference, f.reference / f.kernel, d.kernel, d.reference, d.reference / d.kernel))
    }
    let sf = SoftmaxTiming<Float>(), sd = SoftmaxTiming<Double>()
    print("softmax rows".padding(toLength: 14, withPad: " ", startingAt: 0)
          + String(format: "%9.2f %11.2f %10.1fx %10.2f %11.2f %10.1fx  ([128, 10] logits)",
                   sf.kernel, sf.reference, sf.reference / sf.kernel, sd.kernel, sd.reference, sd.reference / sd.kernel))
}

/// Median ns per element of `body` over 7 rounds of `passes` calls on `count` elements.
private func nanosecondsPerElement(count: Int, passes: Int = 200, _ body: () -> Void) -> Double {
    body()
    var rounds: [Double] = []
    for _ in 0..<7 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<passes { body() }
        rounds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(passes * count))
    }
    return rounds.sorted()[3]
}

private struct KernelTiming<Scalar: TensorScalar> {
    var kernel = 0.0
    var reference = 0.0

    init(activation: Activation?, derivative: Bool) {
        let n = 4096
        let x = (0..<n).map { Scalar(-8 + 16 * Double($0) / Double(n - 1)) }
        var y = [Scalar](repeating: 0, count: n), dx = y
        let dy = [Scalar](repeating: 1, count: n)
        x.withUnsafeBufferPointer { xb in
            dy.withUnsafeBufferPointer { dyb in
                y.withUnsafeMutableBufferPointer { yb in
                    dx.withUnsafeMutableBufferPointer { dxb in
                        guard let activation else {
                            kernel = nanosecondsPerElement(count: n) { exp(xb, into: yb) }
                            reference = nanosecondsPerElement(count: n) { for i in 0..<n { yb[i] = Scalar.exp(xb[i]) } }
                            return
                        }
                        activation.apply(xb, into: yb)
                        let output = UnsafeBufferPointer(yb)
                        if derivative {
                            kernel = nanosecondsPerElement(count: n) {
                                activation.backward(input: xb, output: output, outputGradient: dyb, into: dxb)
                            }
                            reference = nanosecondsPerElement(count: n) {
                                for i in 0..<n { dxb[i] = dyb[i] * activation.derivative(xb[i], output: output[i]) }
                            }
                        } else {
                            kernel = nanosecondsPerElement(count: n) { activation.apply(xb, into: yb) }
                            reference = nanosecondsPerElement(count: n) { for i in 0..<n { yb[i] = activation.value(xb[i]) } }
                        }
                    }
                }
            }
        }
    }

    private func exp(_ x: UnsafeBufferPointer<Scalar>, into y: UnsafeMutableBufferPointer<Scalar>) {
        if Scalar.self == Float.self {
            gl_exp_f32(UnsafeRawPointer(x.baseAddress!).assumingMemoryBound(to: Float.self),
                       UnsafeMutableRawPointer(y.baseAddress!).assumingMemoryBound(to: Float.self), x.count)
        } else {
            gl_exp_f64(UnsafeRawPointer(x.baseAddress!).assumingMemoryBound(to: Double.self),
                       UnsafeMutableRawPointer(y.baseAddress!).assumingMemoryBound(to: Double.self), x.count)
        }
    }
}

/// The cross-entropy loss's forward pass (its softmax rows through CKernels) next to the same rows computed
/// by the scalar loop the loss had before (max, Σ e^{z−m}, log, e^{logp}), per logit.
private struct SoftmaxTiming<Scalar: TensorScalar> {
    var kernel = 0.0
    var reference = 0.0

    init() {
        let rows = 128, classes = 10, n = rows * classes
        var generator = RandomGenerator(seed: 3)
        let logits = Tensor<Scalar>(shape: [rows, classes],
                                    scalars: (0..<n).map { _ in Scalar(Double.random(in: -6...6, using: &generator)) })
        let labels = (0..<rows).map { $0 % classes }
        let loss = SoftmaxCrossEntropy<Scalar>()
        kernel = nanosecondsPerElement(count: n) { _ = loss.forward(logits, .classes(labels)) }
        var p = [Scalar](repeating: 0, count: n)
        let scalars = logits.scalars
        reference = nanosecondsPerElement(count: n) {
            var total: Scalar = 0
            p.withUnsafeMutableBufferPointer { pb in
                scalars.withUnsafeBufferPointer { zb in
                for row in 0..<rows {
                    let z = zb.baseAddress! + row * classes
                    var m = z[0]
                    for c in 1..<classes where z[c] > m { m = z[c] }
                    var sum: Scalar = 0
                    for c in 0..<classes { sum += Scalar.exp(z[c] - m) }
                    let logSum = Scalar.log(sum)
                    for c in 0..<classes {
                        let logProbability = z[c] - m - logSum
                        pb[row * classes + c] = Scalar.exp(logProbability)
                        if c == labels[row] { total -= logProbability }
                    }
                }
                }
            }
            precondition(total.isFinite)
        }
    }
}
