/// The logistic function of a Float buffer in place, vectorisable: the gates of the LSTM and GRU cells.
///
/// ```
/// σ(x) = 1 / (1 + e^y),  y = −x clamped to [−87, 87] (e^{±87} and 2^k stay finite and normal in Float)
/// e^y = 2^k · e^r,  k = round(y / ln 2),  r = y − k·ln 2 (ln 2 split in two for an exact product),
/// e^r by its Taylor polynomial to degree 7 on |r| ≤ ln2/2 (truncation < 3e−9 relative)
/// ```
/// Every element takes the same path, so the loop runs eight lanes at a time; the tail is padded into
/// one more vector. σ(+∞) = 1, σ(−∞) = 1/(1 + e^87) ≈ 1.6e−38 (0 to Float's working accuracy) and NaN
/// stays NaN. About half the work of σ(x) = (1 + tanh(x/2))/2 through `fastTanh`, which needs both of
/// that kernel's branches. Reference: Muller, *Elementary Functions* (2016), ch. 11 (range reduction).
func fastSigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(x + i).storeBytes(of: fastSigmoid(v), as: SIMD8<Float>.self)
        i += 8
    }
    guard i < count else { return }
    var tail = SIMD8<Float>(repeating: 0)
    for j in 0..<(count - i) { tail[j] = x[i + j] }
    let result = fastSigmoid(tail)
    for j in 0..<(count - i) { x[i + j] = result[j] }
}

@inline(__always)
private func fastSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var y = -x
    y = y.replacing(with: 87, where: y .> 87)
    y = y.replacing(with: -87, where: y .< -87)
    // Adding 1.5·2²³ rounds y/ln 2 to an integer k held in the low bits of `shifted` (k may be negative).
    let shifted = y * 1.4426950408889634 + 12582912
    let k = shifted - 12582912
    let r = (y - k * 0.693145751953125) - k * 1.428606765330187045e-06
    var q = SIMD8<Float>(repeating: 1.0 / 5040.0)
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = q * r + 1
    q = q * r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let s = 1 / (1 + q * unsafeBitCast(bits, to: SIMD8<Float>.self))
    return s.replacing(with: x, where: x .!= x)
}
