import Foundation

import RealModule

/// An elementwise activation function with its derivative, as PyTorch defines both.
///
/// ```
/// sigmoid σ(x) = 1 / (1 + e^−x)                    σ' = σ(1 − σ)
/// tanh                                             tanh' = 1 − tanh²
/// relu  max(0, x)                                  relu'(x) = 1 if x > 0 else 0   (relu'(0) = 0)
/// leaky-relu  x if x > 0 else slope·x              slope at and below 0
/// elu   x if x > 0 else α(e^x − 1)                 α e^x at and below 0
/// selu  λ·elu_α(x), λ ≈ 1.0507, α ≈ 1.6733         (Klambauer et al. 2017)
/// gelu  x Φ(x) = ½x(1 + erf(x/√2))                 Φ(x) + x φ(x)       (Hendrycks & Gimpel 2016)
/// gelu-tanh  ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
/// silu  x σ(x)                                     σ(x)(1 + x(1 − σ(x)))
/// softplus  (1/β) log(1 + e^{βx}), or x where βx > threshold     σ(βx), or 1
/// softsign  x / (1 + |x|)                          1 / (1 + |x|)²
/// hardtanh  clamp(x, min, max)                     1 strictly inside, 0 at and beyond the bounds
/// ```
///
/// Derivatives at kinks are PyTorch's (`threshold_backward`, `elu_backward`, `hardtanh_backward`), so a
/// gradient GradLab computes matches torch's bit for bit in the choice of one-sided derivative.
/// At ±∞, functions of the form x·g(x) (gelu, silu) and softsign return their limits rather than the
/// NaN of ∞·0 or ∞/∞, and so do their derivatives.
///
/// Reference: torch.nn activation documentation; torch/csrc ATen `Activation.cpp`.
public enum Activation: Sendable, Equatable {
    case identity
    case sigmoid
    case tanh
    case relu
    /// Negative slope, torch's default 0.01.
    case leakyReLU(slope: Double = 0.01)
    /// torch's default alpha 1.
    case elu(alpha: Double = 1)
    case selu
    /// Exact GELU with the Gaussian CDF through `erf` (torch `approximate='none'`).
    case gelu
    /// GELU's tanh approximation (torch `approximate='tanh'`).
    case geluTanh
    /// x·σ(x), also called swish.
    case silu
    /// torch's defaults beta 1, threshold 20.
    case softplus(beta: Double = 1, threshold: Double = 20)
    case softsign
    /// torch's defaults min −1, max 1.
    case hardtanh(min: Double = -1, max: Double = 1)

    /// SELU's λ and α (Klambauer et al. 2017, eq. 2; the constants torch uses).
    public static let seluScale = 1.0507009873554804934193349852946
    public static let seluAlpha = 1.6732632423543772848170429916717

    /// The name of the equivalent PyTorch module class.
    public var torchName: String {
        switch self {
        case .identity: "Identity"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .relu: "ReLU"
        case .leakyReLU: "LeakyReLU"
        case .elu: "ELU"
        case .selu: "SELU"
        case .gelu, .geluTanh: "GELU"
        case .silu: "SiLU"
        case .softplus: "Softplus"
        case .softsign: "Softsign"
        case .hardtanh: "Hardtanh"
        }
    }

    /// The command-line name: `relu`, `leaky-relu`, `gelu-tanh`.
    public var name: String {
        switch self {
        case .identity: "identity"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .relu: "relu"
        case .leakyReLU: "leaky-relu"
        case .elu: "elu"
        case .selu: "selu"
        case .gelu: "gelu"
        case .geluTanh: "gelu-tanh"
        case .silu: "silu"
        case .softplus: "softplus"
        case .softsign: "softsign"
        case .hardtanh: "hardtanh"
        }
    }

    /// The inputs at which the derivative jumps: ReLU and leaky ReLU at 0 (unless the slope is 1), ELU
    /// at 0 unless α = 1, SELU at 0, Hardtanh at its bounds. The smooth functions have none; softplus's
    /// switch to x at βx = threshold changes the slope by less than e^−threshold and is not listed.
    public var kinks: [Kink] {
        switch self {
        case .relu: [.inputEquals(0)]
        case .leakyReLU(let slope): slope == 1 ? [] : [.inputEquals(0)]
        case .elu(let alpha): alpha == 1 ? [] : [.inputEquals(0)]
        case .selu: [.inputEquals(0)]
        case .hardtanh(let low, let high): [.inputEquals(low), .inputEquals(high)]
        case .identity, .sigmoid, .tanh, .gelu, .geluTanh, .silu, .softplus, .softsign: []
        }
    }

    /// Every activation with its default parameters, in the order the documentation lists them.
    public static let allDefaults: [Activation] = [
        .identity, .sigmoid, .tanh, .relu, .leakyReLU(), .elu(), .selu, .gelu, .geluTanh, .silu,
        .softplus(), .softsign, .hardtanh(),
    ]

    /// Parses a command-line name: `relu`, `leaky-relu` or `leaky_relu`, `swish` for `silu`, with an
    /// optional parameter after a colon (`leaky-relu:0.2`, `elu:0.5`, `softplus:2`). Nil if unknown.
    public init?(name: String) {
        let parts = name.lowercased().replacingOccurrences(of: "_", with: "-").split(separator: ":")
        guard let head = parts.first, parts.count <= 2 else { return nil }
        var parameter: Double?
        if parts.count == 2 {
            guard let value = Double(parts[1]), value.isFinite else { return nil }
            parameter = value
        }
        switch head {
        case "identity", "linear", "none": self = .identity
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "relu": self = .relu
        case "leaky-relu", "leakyrelu": self = .leakyReLU(slope: parameter ?? 0.01)
        case "elu": self = .elu(alpha: parameter ?? 1)
        case "selu": self = .selu
        case "gelu": self = .gelu
        case "gelu-tanh": self = .geluTanh
        case "silu", "swish": self = .silu
        case "softplus": self = .softplus(beta: parameter ?? 1)
        case "softsign": self = .softsign
        case "hardtanh": self = .hardtanh()
        default: return nil
        }
        let takesParameter = ["leaky-relu", "elu", "softplus"].contains(self.name)
        if parameter != nil, !takesParameter { return nil }
        if case .softplus(let beta, _) = self, !(beta > 0) { return nil }
    }

    /// The names `init(name:)` accepts, for error messages and `--help`.
    public static let knownNames = allDefaults.map(\.name)

    /// The activation's value at `x`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func value<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
        switch self {
        case .identity: return x
        case .sigmoid: return Self.sigmoid(x)
        case .tanh: return Scalar.tanh(x)
        case .relu: return x > 0 ? x : (x.isNaN ? x : 0)
        case .leakyReLU(let slope): return x > 0 ? x : Scalar(slope) * x
        case .elu(let alpha): return x > 0 ? x : Scalar(alpha) * Scalar.expMinusOne(x)
        case .selu:
            let elu = x > 0 ? x : Scalar(Self.seluAlpha) * Scalar.expMinusOne(x)
            return Scalar(Self.seluScale) * elu
        case .gelu:
            if x.isInfinite { return x > 0 ? x : 0 }
            return x * Self.standardNormalCDF(x)
        case .geluTanh:
            if x.isInfinite { return x > 0 ? x : 0 }
            return x * (1 + Scalar.tanh(Self.geluTanhArgument(x))) / 2
        case .silu:
            if x.isInfinite { return x > 0 ? x : 0 }
            return x * Self.sigmoid(x)
        case .softplus(let beta, let threshold):
            let bx = Scalar(beta) * x
            return bx > Scalar(threshold) ? x : Scalar.log(onePlus: Scalar.exp(bx)) / Scalar(beta)
        case .softsign:
            if x.isInfinite { return x > 0 ? 1 : -1 }
            return x / (1 + abs(x))
        case .hardtanh(let lo, let hi):
            if x.isNaN { return x }
            return Swift.min(Swift.max(x, Scalar(lo)), Scalar(hi))
        }
    }

    /// The derivative at `x`, where `y` is the activation's value at `x` (some derivatives use it).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func derivative<Scalar: TensorScalar>(_ x: Scalar, output y: Scalar) -> Scalar {
        switch self {
        case .identity: return 1
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .relu: return x <= 0 ? 0 : 1
        case .leakyReLU(let slope): return x > 0 ? 1 : Scalar(slope)
        case .elu(let alpha): return x > 0 ? 1 : Scalar(alpha) * Scalar.exp(x)
        case .selu:
            return x > 0 ? Scalar(Self.seluScale) : Scalar(Self.seluScale * Self.seluAlpha) * Scalar.exp(x)
        case .gelu:
            if x.isInfinite { return x > 0 ? 1 : 0 }
            // Φ(x) + x φ(x), φ(x) = e^{−x²/2} / √(2π)
            let pdf = Scalar.exp(-x * x / 2) / Scalar(2 * Double.pi).squareRoot()
            return Self.standardNormalCDF(x) + x * pdf
        case .geluTanh:
            if x.isInfinite { return x > 0 ? 1 : 0 }
            let t = Scalar.tanh(Self.geluTanhArgument(x))
            let k = Scalar((2 / Double.pi).squareRoot())
            let du = k * (1 + 3 * Scalar(0.044715) * x * x)
            return (1 + t) / 2 + x * (1 - t * t) * du / 2
        case .silu:
            if x.isInfinite { return x > 0 ? 1 : 0 }
            let s = Self.sigmoid(x)
            return s * (1 + x * (1 - s))
        case .softplus(let beta, let threshold):
            let bx = Scalar(beta) * x
            return bx > Scalar(threshold) ? 1 : Self.sigmoid(bx)
        case .softsign:
            let d = 1 + abs(x)
            return 1 / (d * d)
        case .hardtanh(let lo, let hi):
            return (x <= Scalar(lo) || x >= Scalar(hi)) ? 0 : 1
        }
    }

    /// `y[i] = f(x[i])` over a buffer: the C kernels (CKernels) for sigmoid, tanh, ELU, SELU, GELU, SiLU and
    /// softplus, within the ulps each states of the exact value, with `value(_:)`'s special values; `value`
    /// stays the scalar reference they are tested against.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply<Scalar: TensorScalar>(
        _ x: UnsafeBufferPointer<Scalar>, into y: UnsafeMutableBufferPointer<Scalar>
    ) {
        precondition(x.count == y.count, "\(name): input has \(x.count) elements, output \(y.count)")
        switch self {
        case .tanh:
            Scalar.tanh(x, into: y)
        case .relu:
            Scalar.relu(x, into: y)
        case .sigmoid:
            Kernels.apply(.sigmoid, x, into: y)
        case .elu(let alpha):
            Kernels.apply(.elu(alpha: alpha, scale: 1), x, into: y)
        case .selu:
            Kernels.apply(.elu(alpha: Self.seluAlpha, scale: Self.seluScale), x, into: y)
        case .gelu:
            Kernels.apply(.gelu, x, into: y)
        case .silu:
            Kernels.apply(.silu, x, into: y)
        case .softplus(let beta, let threshold):
            Kernels.apply(.softplus(beta: beta, threshold: threshold), x, into: y)
        case .identity, .leakyReLU, .geluTanh, .softsign, .hardtanh:
            for i in 0..<x.count { y[i] = value(x[i]) }
        }
    }

    /// `dx[i] = dy[i] · f'(x[i])`, given the forward pass's input `x` and output `y`: the C kernels for tanh
    /// and sigmoid (from `y`), ELU, SELU, GELU, SiLU and softplus.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward<Scalar: TensorScalar>(
        input x: UnsafeBufferPointer<Scalar>, output y: UnsafeBufferPointer<Scalar>,
        outputGradient dy: UnsafeBufferPointer<Scalar>, into dx: UnsafeMutableBufferPointer<Scalar>
    ) {
        precondition(x.count == y.count && x.count == dy.count && x.count == dx.count,
                     "\(name) backward: buffers of \(x.count), \(y.count), \(dy.count), \(dx.count) elements")
        switch self {
        case .tanh:
            Kernels.backward(.tanhOfOutput, input: y, outputGradient: dy, into: dx)
        case .relu:
            Scalar.reluBackward(input: x, outputGradient: dy, into: dx)
        case .sigmoid:
            Kernels.backward(.sigmoidOfOutput, input: y, outputGradient: dy, into: dx)
        case .elu(let alpha):
            Kernels.backward(.elu(positive: 1, negative: alpha), input: x, outputGradient: dy, into: dx)
        case .selu:
            Kernels.backward(.elu(positive: Self.seluScale, negative: Self.seluScale * Self.seluAlpha),
                             input: x, outputGradient: dy, into: dx)
        case .gelu:
            Kernels.backward(.gelu, input: x, outputGradient: dy, into: dx)
        case .silu:
            Kernels.backward(.silu, input: x, outputGradient: dy, into: dx)
        case .softplus(let beta, let threshold):
            Kernels.backward(.softplus(beta: beta, threshold: threshold), input: x, outputGradient: dy, into: dx)
        case .identity, .leakyReLU, .geluTanh, .softsign, .hardtanh:
            for i in 0..<x.count { dx[i] = dy[i] * derivative(x[i], output: y[i]) }
        }
    }

    /// Numerically stable logistic function: no overflow of e^−x for large negative x.
    @inline(__always)
    static func sigmoid<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
        if x >= 0 { return 1 / (1 + Scalar.exp(-x)) }
        let e = Scalar.exp(x)
        return e / (1 + e)
    }

    /// Φ(x) = ½ erfc(−x/√2), accurate in both tails.
    @inline(__always)
    static func standardNormalCDF<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
        Scalar.erfc(-x / Scalar(2.0.squareRoot())) / 2
    }

    @inline(__always)
    static func geluTanhArgument<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
        Scalar((2 / Double.pi).squareRoot()) * (x + Scalar(0.044715) * x * x * x)
    }
}
