import Backprop

/// The built-in sequence tasks (`--dataset adding|copy|temporal-order --seq-len T`): problems whose answer
/// depends on inputs far back in time, where a gradient that vanishes through time shows as a network that
/// cannot learn. Every example is `[T, features]` floats, so the dataset is `[count, T, features]`.
///
/// ```
/// adding          features 2: a value u_t ~ U(0, 1) and a marker m_t ∈ {0, 1}; exactly two markers, one at a
///                 uniform position in the first half, one in the second half; target y = Σ_t m_t·u_t
///                 (regression). y has mean 1 and variance 2/12, so predicting the constant 1 scores MSE 1/6.
/// copy            features K + 2 (K = 8 symbols): the symbol s ~ U{0..K−1} one-hot at t = 1, the blank channel K
///                 at t = 2...T−1, the recall channel K + 1 at t = T; the label is s (K classes). Chance is 1/K,
///                 cross-entropy ln K ≈ 2.08 for the uniform guess.
/// temporal-order  features 6, symbols a, b, c, d (distractors) and X, Y: a random distractor at every step but
///                 t₁ ~ U[⌊T/10⌋, ⌊2T/10⌋] and t₂ ~ U[⌊5T/10⌋, ⌊6T/10⌋], where X or Y stands; the label is the
///                 pair in order, XX, XY, YX, YY (4 classes).
/// ```
/// Sources: the adding problem is Hochreiter & Schmidhuber (1997), "Long short-term memory", experiment 4,
/// in the form of Le, Jaitly & Hinton (2015) (values in [0, 1], one marker in each half); the temporal
/// order problem is their experiment 6a, the task Pascanu, Mikolov & Bengio (2013) use in section 5.2;
/// `copy` is a one-symbol delayed recall, the simplest case of the copy-memory task of Hochreiter &
/// Schmidhuber's experiment 2 and of Arjovsky, Shah & Bengio (2016).
public enum SequenceTasks {
    public static let names = ["adding", "copy", "temporal-order"]
    /// The symbols of `copy`.
    public static let copySymbols = 8
    /// The default sequence length: long enough that a vanilla RNN's gradient vanishes through it.
    public static let defaultLength = 50

    /// The smallest length each task has room for (two halves; a start, a delay and a recall; ten tenths).
    public static func minimumLength(_ name: String) -> Int {
        switch name {
        case "adding": 2
        case "copy": 2
        default: 10
        }
    }

    /// `count` examples of the task `name` with sequences of `length` steps, or nil for an unknown name.
    public static func make<Scalar: TensorScalar>(name: String, count: Int, length: Int,
                                                  generator: inout RandomGenerator) -> Dataset<Scalar>? {
        switch name {
        case "adding": return adding(count: count, length: length, generator: &generator)
        case "copy": return copy(count: count, length: length, generator: &generator)
        case "temporal-order": return temporalOrder(count: count, length: length, generator: &generator)
        default: return nil
        }
    }

    static func adding<Scalar: TensorScalar>(count: Int, length T: Int, generator: inout RandomGenerator) -> Dataset<Scalar> {
        let x = Tensor<Scalar>(shape: [count, T, 2])
        let y = Tensor<Scalar>(shape: [count, 1])
        let half = T / 2
        for n in 0..<count {
            for t in 0..<T { x[(n * T + t) * 2] = Scalar(generator.nextUniform()) }
            let first = Int(generator.next() % UInt64(half))
            let second = half + Int(generator.next() % UInt64(T - half))
            x[(n * T + first) * 2 + 1] = 1
            x[(n * T + second) * 2 + 1] = 1
            y[n] = x[(n * T + first) * 2] + x[(n * T + second) * 2]
        }
        return Dataset(inputs: x, targets: .values(y), featureNames: ["value", "marker"])
    }

    static func copy<Scalar: TensorScalar>(count: Int, length T: Int, generator: inout RandomGenerator) -> Dataset<Scalar> {
        let k = copySymbols, f = k + 2
        let x = Tensor<Scalar>(shape: [count, T, f])
        var labels: [Int] = []
        for n in 0..<count {
            let symbol = Int(generator.next() % UInt64(k))
            x[(n * T) * f + symbol] = 1
            for t in 1..<(T - 1) { x[(n * T + t) * f + k] = 1 }
            x[(n * T + T - 1) * f + k + 1] = 1
            labels.append(symbol)
        }
        let names = (0..<k).map { "symbol_\($0)" } + ["blank", "recall"]
        return Dataset(inputs: x, targets: .classes(labels, classCount: k), featureNames: names)
    }

    static func temporalOrder<Scalar: TensorScalar>(count: Int, length T: Int,
                                                   generator: inout RandomGenerator) -> Dataset<Scalar> {
        let f = 6  // a, b, c, d, X, Y
        let x = Tensor<Scalar>(shape: [count, T, f])
        var labels: [Int] = []
        func uniform(_ low: Int, _ high: Int) -> Int { low + Int(generator.next() % UInt64(high - low + 1)) }
        for n in 0..<count {
            for t in 0..<T { x[(n * T + t) * f + Int(generator.next() % 4)] = 1 }
            let t1 = uniform(T / 10, 2 * T / 10), t2 = uniform(5 * T / 10, 6 * T / 10)
            let first = Int(generator.next() % 2), second = Int(generator.next() % 2)
            for (t, symbol) in [(t1, first), (t2, second)] {
                for j in 0..<4 { x[(n * T + t) * f + j] = 0 }
                x[(n * T + t) * f + 4 + symbol] = 1
            }
            labels.append(first * 2 + second)
        }
        return Dataset(inputs: x, targets: .classes(labels, classCount: 4),
                       featureNames: ["a", "b", "c", "d", "X", "Y"])
    }
}
