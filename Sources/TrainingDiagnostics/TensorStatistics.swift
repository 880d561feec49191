/// Summary statistics of one tensor, computed in a single pass over its buffer.
///
/// ```
/// norm = √Σ g²   mean = Σ g / n   std = √(Σ g²/n − mean²) (population)   maxAbs = max |g|
/// zeroFraction = #{g = 0} / n     nonfinite = #{g NaN or ±∞}   (non-finite values are left out of the sums)
/// ```
public struct TensorStatistics: Sendable, Equatable {
    public var count: Int
    public var norm: Double
    public var mean: Double
    public var standardDeviation: Double
    public var maxAbs: Double
    public var zeroFraction: Double
    public var nonfinite: Int

    /// The statistics of `values`, accumulated in Double.
    public init<Scalar: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<Scalar>) {
        var sum = 0.0, squares = 0.0, maxAbs = 0.0
        var zeros = 0, nonfinite = 0
        for value in values {
            let v = Double(value)
            if !v.isFinite { nonfinite += 1; continue }
            sum += v
            squares += v * v
            if v == 0 { zeros += 1 }
            if abs(v) > maxAbs { maxAbs = abs(v) }
        }
        let finite = values.count - nonfinite
        let mean = finite > 0 ? sum / Double(finite) : 0
        self.count = values.count
        self.norm = squares.squareRoot()
        self.mean = mean
        self.standardDeviation = finite > 0 ? Swift.max(0, squares / Double(finite) - mean * mean).squareRoot() : 0
        self.maxAbs = maxAbs
        self.zeroFraction = values.isEmpty ? 0 : Double(zeros) / Double(values.count)
        self.nonfinite = nonfinite
    }
}
