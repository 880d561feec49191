import Backprop

/// Statistics of one activation layer's output `[batch, ...]` on one batch, in a single pass.
///
/// ```
/// saturated:  tanh |a| > 0.97;  sigmoid a < 0.03 or a > 0.97;  hardtanh a ≤ min or a ≥ max
/// dead:       a ReLU unit whose output is 0 for every example of the batch
/// unit:       for [batch, features], a feature; for a convolution's [N, C, H, W], a channel (a dead
///             channel is 0 at every position of every example); for other ranks, one element of an example
/// saturated_fraction = elements in the band / all elements;  dead_fraction = dead units / units
/// ```
/// Saturation is counted per element whatever the rank; death per unit, because a convolution's filter
/// dies as a whole: once its pre-activation is negative everywhere, no position passes a gradient back
/// to its weights.
/// The saturation bands are where the derivative has fallen below about 6% of its peak (tanh' =
/// 1 − 0.97² ≈ 0.059; σ' at 0.97 ≈ 0.029 of a peak of 0.25, i.e. 12%): gradients through such units are
/// mostly gone, the effect Glorot & Bengio (2010, section 3) show for saturated sigmoid layers. Dead
/// ReLUs pass no gradient at all; only the ReLU outputs exact zeros over a whole batch, so the other
/// activations report a dead fraction of 0. Sums accumulate as `sums` does.
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

    /// The statistics of `output`, `[batch, units]` or `[N, C, H, W]` (units are channels), produced by
    /// `function` (nil for a layer that is not an activation: no saturation, no dead units).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init<Scalar: TensorScalar>(_ output: Tensor<Scalar>, function: Activation?) {
        // A unit is a channel of an `[N, C, H, W]` image batch, otherwise one element of an example: for
        // `[batch, ...]`, everything but the batch axis.
        let batch = output.rank >= 2 ? output.shape[0] : 1
        let isImage = output.rank == 4 && batch > 0
        let units = isImage ? output.shape[1] : output.rank >= 2 && batch > 0 ? output.count / batch : output.count
        let band = function.flatMap(Self.saturationBand)
        let values = output.withUnsafeBufferPointer { $0 }
        var sum = 0.0, squares = 0.0, lowest = Double.infinity, highest = -Double.infinity
        var saturated = 0, nonfinite = 0
        // One pass: the sums come out finite exactly when every value is (a NaN or ±∞ makes them
        // non-finite; finite values whose squares overflow are then recounted exactly too).
        let low = band?.low ?? -.infinity, high = band?.high ?? .infinity, inclusive = band?.inclusive ?? false
        let raw = UnsafeRawPointer(values.baseAddress)
        let r = Scalar.self == Float.self
            ? Kernels.activationSums(UnsafeBufferPointer(start: raw?.assumingMemoryBound(to: Float.self),
                                                         count: values.count),
                                     low: Float(low), high: Float(high), inclusive: inclusive)
            : Kernels.activationSums(UnsafeBufferPointer(start: raw?.assumingMemoryBound(to: Double.self),
                                                         count: values.count),
                                     low: low, high: high, inclusive: inclusive)
        if r.sum.isFinite && r.squares.isFinite {
            sum = r.sum; squares = r.squares; lowest = r.min; highest = r.max
            saturated = band == nil ? 0 : r.outside
        } else {
            for value in values {
                let v = Double(value)
                guard v.isFinite else { nonfinite += 1; continue }
                sum += v
                squares += v * v
                lowest = Swift.min(lowest, v)
                highest = Swift.max(highest, v)
                if let band, band.inclusive ? (v <= band.low || v >= band.high) : (v < band.low || v > band.high) {
                    saturated += 1
                }
            }
        }
        let finite = output.count - nonfinite
        let n = Double(Swift.max(finite, 1))
        mean = sum / n
        standardDeviation = Swift.max(0, squares / n - mean * mean).squareRoot()
        min = finite > 0 ? lowest : .nan
        max = finite > 0 ? highest : .nan
        saturatedFraction = output.count > 0 ? Double(saturated) / Double(output.count) : 0
        if function == .relu && units > 0 {
            let dead = isImage
                ? Self.deadChannels(values, batch: batch, channels: units, plane: output.count / (batch * units))
                : Self.deadUnits(values, units: units)
            deadFraction = Double(dead) / Double(units)
        } else {
            deadFraction = 0
        }
        self.nonfinite = nonfinite
    }

    /// Channels of an `[N, C, H, W]` batch (`plane` = H·W) that are exactly zero at every position of every
    /// example.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func deadChannels<Scalar: TensorScalar>(
        _ values: UnsafeBufferPointer<Scalar>, batch: Int, channels: Int, plane: Int
    ) -> Int {
        var dead = 0
        for c in 0..<channels {
            var alive = false
            for n in 0..<batch where !alive {
                let start = (n * channels + c) * plane
                for p in start..<(start + plane) where values[p] != 0 { alive = true; break }
            }
            if !alive { dead += 1 }
        }
        return dead
    }

    /// Units (columns) that are exactly zero in every row.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func deadUnits<Scalar: TensorScalar>(_ values: UnsafeBufferPointer<Scalar>, units: Int) -> Int {
        var magnitude = [Scalar](repeating: 0, count: units)
        let rows = values.count / units
        magnitude.withUnsafeMutableBufferPointer { m in
            for r in 0..<rows {
                let row = r * units
                for c in 0..<units {
                    let v = values[row + c]
                    m[c] = Swift.max(m[c], v != 0 ? 1 : 0)
                }
            }
        }
        return magnitude.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
    }
}
