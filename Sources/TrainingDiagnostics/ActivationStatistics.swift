import Backprop

/// Statistics of one activation layer's output `[batch, units]` on one batch, in a single pass.
///
/// ```
/// saturated:  tanh |a| > 0.97;  sigmoid a < 0.03 or a > 0.97;  hardtanh a ≤ min or a ≥ max
/// dead:       a ReLU unit whose output is 0 for every example of the batch
/// ```
/// The saturation bands are where the derivative has fallen below about 6% of its peak (tanh' =
/// 1 − 0.97² ≈ 0.059; σ' at 0.97 ≈ 0.029 of a peak of 0.25, i.e. 12%): gradients through such units are
/// mostly gone, the effect Glorot & Bengio (2010, section 3) show for saturated sigmoid layers. Dead
/// ReLUs pass no gradient at all; only the ReLU outputs exact zeros over a whole batch, so the other
/// activations report a dead fraction of 0.
public struct ActivationStatistics: Sendable, Equatable {
    public var mean: Double
    public var standardDeviation: Double
    public var min: Double
    public var max: Double
    public var saturatedFraction: Double
    public var deadFraction: Double
    public var nonfinite: Int

    /// The band outside which an output of `function` counts as saturated, or nil when it cannot saturate.
    static func saturationBand(_ function: Activation) -> (low: Double, high: Double, inclusive: Bool)? {
        switch function {
        case .tanh: (-0.97, 0.97, false)
        case .sigmoid: (0.03, 0.97, false)
        case .hardtanh(let low, let high): (low, high, true)
        default: nil
        }
    }

    /// The statistics of `output`, `[batch, units]`, produced by `function` (nil for a layer that is not an
    /// activation: no saturation, no dead units).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init<Scalar: TensorScalar>(_ output: Tensor<Scalar>, function: Activation?) {
        let rows = output.rank == 2 ? output.shape[0] : 1
        let units = output.rank == 2 ? output.shape[1] : output.count
        let band = function.flatMap(Self.saturationBand)
        let tracksDead = function == .relu
        var alive = [Bool](repeating: false, count: tracksDead ? units : 0)
        var sum = 0.0, squares = 0.0, low = Double.infinity, high = -Double.infinity
        var saturated = 0, nonfinite = 0
        output.withUnsafeBufferPointer { x in
        for r in 0..<rows {
            let row = r * units
            for c in 0..<units {
                let v = Double(x[row + c])
                guard v.isFinite else { nonfinite += 1; continue }
                sum += v
                squares += v * v
                if v < low { low = v }
                if v > high { high = v }
                if let band {
                    if band.inclusive ? (v <= band.low || v >= band.high) : (v < band.low || v > band.high) {
                        saturated += 1
                    }
                }
                if tracksDead && v != 0 { alive[c] = true }
            }
        }
        }
        let finite = output.count - nonfinite
        let n = Double(Swift.max(finite, 1))
        mean = sum / n
        standardDeviation = Swift.max(0, squares / n - mean * mean).squareRoot()
        min = finite > 0 ? low : .nan
        max = finite > 0 ? high : .nan
        saturatedFraction = output.count > 0 ? Double(saturated) / Double(output.count) : 0
        deadFraction = tracksDead && units > 0 ? Double(alive.lazy.filter { !$0 }.count) / Double(units) : 0
        self.nonfinite = nonfinite
    }
}
