/// Hyperbolic tangent of a Double buffer, vectorisable, within 3 ulp of libm's `tanh` (2 on most inputs).
///
/// ```
/// tanh |x| = −m / (2 + m),   m = e^{−2|x|} − 1 (expm1),   |x| clamped to 20 (tanh 20 rounds to 1 in Double)
/// m = 2^k·p + (2^k − 1),   y = −2|x| = k·ln 2 + r,   k = round(y / ln 2),   r = y − k·ln2_hi − k·ln2_lo
/// p = e^r − 1 = r + r²·(1/2! + r/3! + … + r¹¹/13!)   on |r| ≤ ln2/2 (truncation below 5e−18 relative)
/// ```
/// ln2_hi and ln2_lo are fdlibm's split of ln 2, whose high part has 21 trailing zero bits, so k·ln2_hi is
/// exact. Computing expm1 rather than e^y keeps the relative accuracy for small |x| (m ≈ −2|x|), where
/// 1 − 2/(e^{2x} + 1) would cancel, so one path serves every element: the loop vectorises with no select
/// between two polynomials. libm's scalar `tanh` (with its `expm1`) was half of a Double gradient check's
/// time on a tanh MLP. The result keeps the sign of x (tanh(−0) = −0, and tanh(−x) = −tanh(x) exactly),
/// tanh(±∞) = ±1 and NaN stays NaN. Accuracy is checked against `Double.tanh` in the tests
/// (`ActivationTests`). Range reduction and expm1 as in Muller, *Elementary Functions* (2016), ch. 11,
/// and fdlibm's `s_expm1.c` (the reconstruction 2^k·p + (2^k − 1)).
func fastTanh(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == y.count, "tanh: input has \(x.count) elements, output \(y.count)")
    guard let source = x.baseAddress, let destination = y.baseAddress else { return }
    let lanes = DoubleVector.scalarCount
    var i = 0
    while i + lanes <= x.count {
        let v = UnsafeRawPointer(source + i).loadUnaligned(as: DoubleVector.self)
        UnsafeMutableRawPointer(destination + i).storeBytes(of: fastTanh(v), as: DoubleVector.self)
        i += lanes
    }
    if i < x.count {
        // The tail through the same lanes, padded with zeros: one code path for every element.
        var v = DoubleVector(repeating: 0)
        for lane in 0..<(x.count - i) { v[lane] = source[i + lane] }
        let t = fastTanh(v)
        for lane in 0..<(x.count - i) { destination[i + lane] = t[lane] }
    }
}

typealias DoubleVector = SIMD8<Double>

@inline(__always)
func fastTanh(_ x: DoubleVector) -> DoubleVector {
    let m = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: DoubleVector.self)
    let a = m.replacing(with: 20, where: .!(m .< 20))  // NaN → 20 as well; restored at the end
    let y = -2 * a
    // Adding 1.5·2⁵² rounds y/ln 2 to the integer k, held in the low bits of `shifted` (k ≤ 0 here).
    let shifted = y * 1.4426950408889634 + 6755399441055744
    let k = shifted - 6755399441055744
    let r = (y - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
    var q = DoubleVector(repeating: 1.6059043836821613e-10)
    q = q * r + 2.08767569878681e-09
    q = q * r + 2.505210838544172e-08
    q = q * r + 2.755731922398589e-07
    q = q * r + 2.7557319223985893e-06
    q = q * r + 2.48015873015873e-05
    q = q * r + 0.0001984126984126984
    q = q * r + 0.001388888888888889
    q = q * r + 0.008333333333333333
    q = q * r + 0.041666666666666664
    q = q * r + 0.16666666666666666
    q = q * r + 0.5
    let p = r + (r * r) * q
    // 2^k from k's bits: k + 1023 in the exponent field (two's complement arithmetic on the low bits).
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt64>.self) &- 0x4338_0000_0000_0000 &+ 1023) &<< 52
    let scale = unsafeBitCast(bits, to: DoubleVector.self)
    let expm1 = scale * p + (scale - 1)
    // The quotient is −0 at x = ±0: its sign bit is cleared before x's is put in.
    let magnitude = unsafeBitCast(-expm1 / (2 + expm1), to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF
    let sign = unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x8000_0000_0000_0000
    let signed = unsafeBitCast(magnitude | sign, to: DoubleVector.self)
    return signed.replacing(with: x, where: x .!= x)
}
