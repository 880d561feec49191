import RealModule

/// Seeded two-dimensional and small toy datasets, the standard test beds for watching a network learn.
///
/// ```
/// spirals(k arms)  arm j, r = i/n ∈ [0, 1):  θ = 2πj/k + 3π·r,  x = (r cos θ, r sin θ) + noise·N(0, I)
/// moons            upper: (cos t, sin t);  lower: (1 − cos t, 0.5 − sin t),  t ∈ [0, π],  + noise
/// circles          radius 1 (class 0) and `factor` (class 1),  + noise
/// xor              x ∈ U[−1, 1]²,  class = (x₁ > 0) XOR (x₂ > 0),  + noise after labelling
/// checkerboard     x ∈ U[−1, 1]²,  class = (⌊c(x₁+1)/2⌋ + ⌊c(x₂+1)/2⌋) mod 2 for c cells a side
/// blobs            k centres ∈ U[−5, 5]^d,  points N(centre, spread² I)
/// sine             x ∈ U[−π, π],  y = sin x + noise·N(0, 1)                          (regression)
/// teacher          x ∈ N(0, I),  y = T(x) + noise·N(0, 1) for a random tanh MLP T    (regression)
/// ```
/// Examples are interleaved by class (example i belongs to class i mod k) so that any prefix is balanced.
public enum SyntheticData {
    /// The dataset names `make(name:...)` accepts.
    public static let names = ["spirals", "moons", "circles", "xor", "checkerboard", "blobs", "sine", "teacher"]

    /// A dataset by name with default shape parameters: 3-arm spirals, 4 blobs in 2-D, a 3-layer teacher
    /// of width 16 with 2 inputs and 1 output. Nil for an unknown name.
    public static func make<Scalar: TensorScalar>(
        name: String, count: Int, noise: Double, generator: inout RandomGenerator, as: Scalar.Type = Scalar.self
    ) -> Dataset<Scalar>? {
        switch name.lowercased() {
        case "spirals": spirals(count: count, arms: 3, noise: noise, generator: &generator)
        case "moons": moons(count: count, noise: noise, generator: &generator)
        case "circles": circles(count: count, noise: noise, generator: &generator)
        case "xor": xor(count: count, noise: noise, generator: &generator)
        case "checkerboard": checkerboard(count: count, noise: noise, generator: &generator)
        case "blobs": blobs(count: count, centers: 4, features: 2, spread: 1 + noise, generator: &generator)
        case "sine": sine(count: count, noise: noise, generator: &generator)
        case "teacher": teacher(count: count, inputs: 2, outputs: 1, depth: 3, width: 16, noise: noise,
                                generator: &generator)
        default: nil
        }
    }

    public static func spirals<Scalar: TensorScalar>(
        count: Int, arms: Int = 3, noise: Double = 0.1, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        precondition(arms >= 2, "spirals need at least 2 arms, got \(arms)")
        return classification(count: count, classes: arms) { i, label in
            let r = Double(i / arms) / Double(Swift.max(count / arms, 1))
            let angle = 2 * Double.pi * Double(label) / Double(arms) + 3 * Double.pi * r
            return [r * Double.cos(angle) + noise * generator.nextNormal(),
                    r * Double.sin(angle) + noise * generator.nextNormal()]
        }
    }

    public static func moons<Scalar: TensorScalar>(
        count: Int, noise: Double = 0.1, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        classification(count: count, classes: 2) { _, label in
            let t = Double.pi * generator.nextUniform()
            let point = label == 0 ? [Double.cos(t), Double.sin(t)] : [1 - Double.cos(t), 0.5 - Double.sin(t)]
            return point.map { $0 + noise * generator.nextNormal() }
        }
    }

    public static func circles<Scalar: TensorScalar>(
        count: Int, noise: Double = 0.05, factor: Double = 0.5, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        classification(count: count, classes: 2) { _, label in
            let t = 2 * Double.pi * generator.nextUniform()
            let radius = label == 0 ? 1 : factor
            return [radius * Double.cos(t) + noise * generator.nextNormal(),
                    radius * Double.sin(t) + noise * generator.nextNormal()]
        }
    }

    public static func xor<Scalar: TensorScalar>(
        count: Int, noise: Double = 0.05, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        gridClassification(count: count, noise: noise, generator: &generator) { x, y in (x > 0) != (y > 0) ? 1 : 0 }
    }

    public static func checkerboard<Scalar: TensorScalar>(
        count: Int, cells: Int = 4, noise: Double = 0.0, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        let c = Double(cells)
        return gridClassification(count: count, noise: noise, generator: &generator) { x, y in
            let i = Int(Swift.min(c - 1, ((x + 1) / 2 * c).rounded(.down)))
            let j = Int(Swift.min(c - 1, ((y + 1) / 2 * c).rounded(.down)))
            return (i + j) % 2
        }
    }

    public static func blobs<Scalar: TensorScalar>(
        count: Int, centers: Int = 4, features: Int = 2, spread: Double = 1, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        let centres = (0..<centers).map { _ in (0..<features).map { _ in generator.nextUniform(in: -5, 5) } }
        return classification(count: count, classes: centers) { _, label in
            centres[label].map { $0 + spread * generator.nextNormal() }
        }
    }

    public static func sine<Scalar: TensorScalar>(
        count: Int, noise: Double = 0.1, generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        let x = Tensor<Scalar>(shape: [count, 1]), y = Tensor<Scalar>(shape: [count, 1])
        for i in 0..<count {
            let v = generator.nextUniform(in: -Double.pi, Double.pi)
            x[i] = Scalar(v)
            y[i] = Scalar(Double.sin(v) + noise * generator.nextNormal())
        }
        return Dataset(inputs: x, targets: .values(y), featureNames: ["x"])
    }

    /// Regression onto a random teacher network: a tanh MLP `inputs → width × (depth − 1) → outputs` with
    /// Xavier-uniform weights (gain 5/3) drawn from `generator`.
    public static func teacher<Scalar: TensorScalar>(
        count: Int, inputs: Int, outputs: Int, depth: Int, width: Int, noise: Double = 0,
        generator: inout RandomGenerator
    ) -> Dataset<Scalar> {
        precondition(depth >= 1, "a teacher needs at least one layer, got depth \(depth)")
        let sizes = [inputs] + Array(repeating: width, count: depth - 1) + [outputs]
        let network = Sequential<Double>.multilayerPerceptron(
            sizes: sizes, activation: .tanh, initializer: .xavierUniform(gain: 5.0 / 3.0), generator: &generator)
        let x = Tensor<Double>(shape: [count, inputs])
        for i in 0..<x.count { x[i] = generator.nextNormal() }
        let clean = network.forward(x, mode: .evaluation)
        let y = Tensor<Scalar>(shape: [count, outputs])
        for i in 0..<y.count { y[i] = Scalar(clean[i] + noise * generator.nextNormal()) }
        return Dataset(inputs: Tensor(shape: x.shape, scalars: x.scalars.map { Scalar($0) }), targets: .values(y))
    }

    private static func classification<Scalar: TensorScalar>(
        count: Int, classes: Int, point: (Int, Int) -> [Double]
    ) -> Dataset<Scalar> {
        precondition(count > 0, "a dataset needs at least one example, got \(count)")
        var labels = [Int](repeating: 0, count: count)
        var values: [Scalar] = []
        var features = 0
        for i in 0..<count {
            let label = i % classes
            let p = point(i, label)
            features = p.count
            values.append(contentsOf: p.map { Scalar($0) })
            labels[i] = label
        }
        return Dataset(inputs: Tensor(shape: [count, features], scalars: values),
                       targets: .classes(labels, classCount: classes))
    }

    private static func gridClassification<Scalar: TensorScalar>(
        count: Int, noise: Double, generator: inout RandomGenerator, label: (Double, Double) -> Int
    ) -> Dataset<Scalar> {
        var labels: [Int] = []
        var values: [Scalar] = []
        for _ in 0..<count {
            let x = generator.nextUniform(in: -1, 1), y = generator.nextUniform(in: -1, 1)
            labels.append(label(x, y))
            values.append(Scalar(x + noise * generator.nextNormal()))
            values.append(Scalar(y + noise * generator.nextNormal()))
        }
        return Dataset(inputs: Tensor(shape: [count, 2], scalars: values), targets: .classes(labels, classCount: 2))
    }
}
