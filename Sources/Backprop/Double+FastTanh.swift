/// Hyperbolic tangent of a Double buffer, vectorisable, within 2 ulp of libm's `tanh`.
///
/// ```
/// |x| < 0.55:  tanh x = x + x·Σ_{n=1}^{18} c_n x^{2n},  c_n = 2^{2n}(2^{2n} − 1)·B_{2n} / (2n)!
///              (Taylor; the first omitted term is below 8e−18 relative at 0.55)
/// |x| ≥ 0.55:  tanh |x| = 1 − 2 / (e^{2|x|} + 1),  |x| clamped to 20 (tanh 20 rounds to 1 in Double)
/// e^y = 2^k · e^r,  k = round(y / ln 2),  r = y − k·ln2_hi − k·ln2_lo (fdlibm's split of ln 2, whose
///              high part has 21 trailing zero bits, so k·ln2_hi is exact), e^r by its Taylor polynomial
///              to degree 13 on |r| ≤ ln2/2 (truncation below 5e−18 relative)
/// ```
///
/// The switch point 0.55 puts tanh above 1/2 on the exponential path, so 1 − 2/(e + 1) subtracts a
/// number below 1/2 from 1 exactly and keeps the quotient's error; the Taylor path's sum is dominated by
/// its first term x. Every element takes the same path of selects, so the loop vectorises: libm's
/// scalar `tanh` (with its `expm1`) was half of a Double gradient check's time on a tanh MLP. The result
/// keeps the sign of x (tanh(−0) = −0, and tanh(−x) = −tanh(x) exactly), tanh(±∞) = ±1 and NaN stays
/// NaN. Accuracy is checked against `Double.tanh` in the tests (`ActivationTests`). The coefficients
/// are the Bernoulli-number series of tanh (Abramowitz & Stegun 4.5.64) and 1/k!; range reduction as in
/// Muller, *Elementary Functions* (2016), ch. 11.
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
    // Small |x|: the odd Taylor series in Horner form.
    let a2 = a * a
    var p = DoubleVector(repeating: 7.054636946400968e-08)
    p = p * a2 - 1.7406618963571648e-07
    p = p * a2 + 4.294911078273806e-07
    p = p * a2 - 1.0597268320104654e-06
    p = p * a2 + 2.6147711512907546e-06
    p = p * a2 - 6.451689215655431e-06
    p = p * a2 + 1.5918905069328964e-05
    p = p * a2 - 3.927832388331683e-05
    p = p * a2 + 9.691537956929451e-05
    p = p * a2 - 0.00023912911424355248
    p = p * a2 + 0.000590027440945586
    p = p * a2 - 0.0014558343870513183
    p = p * a2 + 0.003592128036572481
    p = p * a2 - 0.008863235529902197
    p = p * a2 + 0.021869488536155203
    p = p * a2 - 0.05396825396825397
    p = p * a2 + 0.13333333333333333
    p = p * a2 - 0.3333333333333333
    let small = a + a * (a2 * p)
    // Large |x|: 1 − 2/(e^{2a} + 1). Adding 1.5·2⁵² rounds t/ln 2 to the integer k in the low bits.
    let t = 2 * a
    let shifted = t * 1.4426950408889634 + 6755399441055744
    let k = shifted - 6755399441055744
    let r = (t - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
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
    q = q * r + 1
    q = q * r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt64>.self) &- 0x4338_0000_0000_0000 &+ 1023) &<< 52
    let large = 1 - 2 / (q * unsafeBitCast(bits, to: DoubleVector.self) + 1)
    let magnitude = large.replacing(with: small, where: a .< 0.55)
    let sign = unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x8000_0000_0000_0000
    let signed = unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<UInt64>.self) | sign, to: DoubleVector.self)
    return signed.replacing(with: x, where: x .!= x)
}
