import RealModule

/// How a weight tensor `[fan_out, fan_in]` gets its first values.
///
/// ```
/// classic           U[−1/√fan_in, 1/√fan_in]       Glorot & Bengio (2010) eq. 1, "the standard
///                                                  initialization"; also torch's default for nn.Linear
/// xavier-uniform    U[−a, a],  a = gain·√(6/(fan_in + fan_out))      Glorot & Bengio (2010) eq. 16
/// xavier-normal     N(0, σ²),  σ = gain·√(2/(fan_in + fan_out))
/// he-uniform        U[−b, b],  b = gain·√(3/fan)                     He et al. (2015), fan = fan_in or fan_out
/// he-normal         N(0, σ²),  σ = gain/√fan
/// lecun-normal      N(0, σ²),  σ = 1/√fan_in                         LeCun et al. (1998); Klambauer et al. (2017)
/// orthogonal        gain · Q, Q from the QR decomposition of a normal matrix, signs fixed by diag(R)
///                                                  Saxe et al. (2014); torch.nn.init.orthogonal_
/// uniform, normal, constant, zeros   as named
/// ```
/// Biases start at zero, except with `classic`, whose biases are drawn from the same U[±1/√fan_in] as
/// torch's `nn.Linear`. LeCun normal is the untruncated normal (JAX truncates it).
/// Reference: torch.nn.init documentation.
public enum Initializer: Sendable, Equatable {
    public enum FanMode: Sendable, Equatable { case fanIn, fanOut }

    case zeros
    case constant(Double)
    case uniform(low: Double, high: Double)
    case normal(mean: Double, standardDeviation: Double)
    case classic
    /// torch's default gain is 1.
    case xavierUniform(gain: Double = 1)
    case xavierNormal(gain: Double = 1)
    /// torch's default is fan_in with the gain of ReLU, √2.
    case heUniform(gain: Double = 2.0.squareRoot(), mode: FanMode = .fanIn)
    case heNormal(gain: Double = 2.0.squareRoot(), mode: FanMode = .fanIn)
    case lecunNormal
    case orthogonal(gain: Double = 1)

    /// The command-line names of the initialisers that need no parameter (see `init(name:activation:)` for
    /// those that take one).
    public static let knownNames = [
        "classic", "xavier-uniform", "xavier-normal", "he-uniform", "he-normal", "lecun-normal", "orthogonal", "zeros",
    ]

    /// Parses a command-line name (`he-normal`, `xavier_uniform`, `kaiming-uniform`), with the gain the
    /// `activation` calls for where the scheme has one: He's gain is `gain(for: activation)`, as
    /// `kaiming_normal_(nonlinearity=...)`; Xavier keeps gain 1 as in Glorot & Bengio's derivation and
    /// torch's default. A number after a colon sets the gain (`xavier-normal:4`, `he-normal:1`,
    /// `orthogonal:2`), the deviation of `normal:0.5` (N(0, 0.25)) or the bound of `uniform:0.1`
    /// (U[−0.1, 0.1]): this is how to ask for a deliberately large initialisation. Nil if the name is unknown.
    public init?(name: String, activation: Activation = .relu) {
        let parts = name.lowercased().replacingOccurrences(of: "_", with: "-").split(separator: ":",
                                                                                    omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let parameter: Double?
        if parts.count == 2 {
            guard let value = Double(parts[1]), value.isFinite, value >= 0 else { return nil }
            parameter = value
        } else {
            parameter = nil
        }
        let gain = parameter ?? Self.gain(for: activation)
        switch parts[0] {
        case "classic" where parameter == nil, "default" where parameter == nil, "standard" where parameter == nil:
            self = .classic
        case "xavier-uniform", "glorot-uniform": self = .xavierUniform(gain: parameter ?? 1)
        case "xavier-normal", "glorot-normal": self = .xavierNormal(gain: parameter ?? 1)
        case "he-uniform", "kaiming-uniform": self = .heUniform(gain: gain)
        case "he-normal", "kaiming-normal": self = .heNormal(gain: gain)
        case "lecun-normal" where parameter == nil: self = .lecunNormal
        case "orthogonal": self = .orthogonal(gain: gain)
        case "zeros" where parameter == nil: self = .zeros
        case "normal" where parameter != nil: self = .normal(mean: 0, standardDeviation: parameter!)
        case "uniform" where parameter != nil: self = .uniform(low: -parameter!, high: parameter!)
        default: return nil
        }
    }

    /// The recommended gain for an activation, torch's `nn.init.calculate_gain`.
    ///
    /// ```
    /// identity, sigmoid: 1    tanh: 5/3    relu: √2    leaky-relu(s): √(2/(1 + s²))    selu: 3/4
    /// ```
    /// torch defines no gain for elu, gelu, silu, softplus, softsign and hardtanh; GradLab uses ReLU's √2
    /// for the ReLU-like first four and 1 for the bounded two.
    public static func gain(for activation: Activation) -> Double {
        switch activation {
        case .identity, .sigmoid: 1
        case .tanh: 5.0 / 3.0
        case .relu: 2.0.squareRoot()
        case .leakyReLU(let slope): (2 / (1 + slope * slope)).squareRoot()
        case .selu: 0.75
        case .elu, .gelu, .geluTanh, .silu, .softplus: 2.0.squareRoot()
        case .softsign, .hardtanh: 1
        }
    }

    /// The fans of a weight tensor, torch's `nn.init._calculate_fan_in_and_fan_out`:
    ///
    /// ```
    /// [out, in]:               fan_in = in,              fan_out = out
    /// [out, in, k₁, k₂, ...]:  fan_in = in · k₁ · k₂ ···,  fan_out = out · k₁ · k₂ ···   (convolutions)
    /// ```
    public static func fans(forWeightShape shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fans need a weight of rank 2 or more, got shape \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Fills `tensor` (shape `[fan_out, fan_in]`, or any shape with the fans given: `fans(forWeightShape:)`
    /// gives a convolution's `[out, in, kh, kw]` torch's fans) with initial values.
    public func fill<Scalar: TensorScalar>(
        _ tensor: Tensor<Scalar>, fanIn: Int, fanOut: Int, generator: inout RandomGenerator
    ) {
        precondition(fanIn > 0 && fanOut > 0, "initialiser needs positive fans, got in \(fanIn), out \(fanOut)")
        let n = tensor.count
        func uniform(_ bound: Double) {
            for i in 0..<n { tensor.base[i] = Scalar(generator.nextUniform(in: -bound, bound)) }
        }
        func normal(_ std: Double) {
            for i in 0..<n { tensor.base[i] = Scalar(generator.nextNormal(standardDeviation: std)) }
        }
        switch self {
        case .zeros: tensor.fill(0)
        case .constant(let value): tensor.fill(Scalar(value))
        case .uniform(let low, let high):
            for i in 0..<n { tensor.base[i] = Scalar(generator.nextUniform(in: low, high)) }
        case .normal(let mean, let std):
            for i in 0..<n { tensor.base[i] = Scalar(generator.nextNormal(mean: mean, standardDeviation: std)) }
        case .classic: uniform(1 / Double(fanIn).squareRoot())
        case .xavierUniform(let gain): uniform(gain * (6 / Double(fanIn + fanOut)).squareRoot())
        case .xavierNormal(let gain): normal(gain * (2 / Double(fanIn + fanOut)).squareRoot())
        case .heUniform(let gain, let mode):
            uniform(gain * (3 / Double(mode == .fanIn ? fanIn : fanOut)).squareRoot())
        case .heNormal(let gain, let mode):
            normal(gain / Double(mode == .fanIn ? fanIn : fanOut).squareRoot())
        case .lecunNormal: normal(1 / Double(fanIn).squareRoot())
        case .orthogonal(let gain):
            let rows = tensor.rank >= 1 ? tensor.shape[0] : 1
            let values = Self.orthogonalMatrix(rows: rows, columns: n / Swift.max(rows, 1), generator: &generator)
            for i in 0..<n { tensor.base[i] = Scalar(gain * values[i]) }
        }
    }

    /// Fills a bias vector: U[±1/√fan_in] for `classic` (torch's nn.Linear), zeros otherwise.
    public func fillBias<Scalar: TensorScalar>(
        _ tensor: Tensor<Scalar>, fanIn: Int, generator: inout RandomGenerator
    ) {
        if self == .classic {
            let bound = 1 / Double(fanIn).squareRoot()
            for i in 0..<tensor.count { tensor.base[i] = Scalar(generator.nextUniform(in: -bound, bound)) }
        } else {
            tensor.fill(0)
        }
    }

    /// A `rows × columns` matrix with orthonormal rows (rows ≤ columns) or columns (rows > columns),
    /// row-major, by modified Gram–Schmidt on a normal matrix; equal in distribution to torch's
    /// QR with the diag(R) sign fix, which makes Q Haar-distributed (Mezzadri 2007).
    static func orthogonalMatrix(rows: Int, columns: Int, generator: inout RandomGenerator) -> [Double] {
        // Orthonormalise the vectors of the smaller dimension: work on a `small × large` matrix.
        let transpose = rows > columns
        let small = transpose ? columns : rows, large = transpose ? rows : columns
        var m = (0..<(small * large)).map { _ in generator.nextNormal() }
        for i in 0..<small {
            for j in 0..<i {
                var dot = 0.0
                for k in 0..<large { dot += m[i * large + k] * m[j * large + k] }
                for k in 0..<large { m[i * large + k] -= dot * m[j * large + k] }
            }
            var norm = 0.0
            for k in 0..<large { norm += m[i * large + k] * m[i * large + k] }
            norm = norm.squareRoot()
            for k in 0..<large { m[i * large + k] /= norm }
        }
        guard transpose else { return m }
        var result = [Double](repeating: 0, count: rows * columns)
        for i in 0..<small { for k in 0..<large { result[k * columns + i] = m[i * large + k] } }
        return result
    }
}
