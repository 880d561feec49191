/// Central finite differences of a scalar function of a vector, in Double.
///
/// ```
/// ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h,   h = step · max(1, |x_i|)
/// ```
/// The error is O(h²) truncation plus about ε·|f|/h round-off; step 1e−6 balances the two for smooth
/// functions of moderate size in Double (Nocedal & Wright, *Numerical Optimization*, §8.1).
public enum CentralDifference {
    /// The numerical gradient of `f` at `x`; `f` is called 2·x.count times.
    public static func gradient(
        of f: ([Double]) -> Double, at x: [Double], step: Double = 1e-6
    ) -> [Double] {
        var point = x
        return x.indices.map { i in
            let h = step * Swift.max(1, abs(x[i]))
            point[i] = x[i] + h
            let plus = f(point)
            point[i] = x[i] - h
            let minus = f(point)
            point[i] = x[i]
            return (plus - minus) / (2 * h)
        }
    }
}
