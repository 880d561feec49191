// Elementwise kernels for GradLab's activations and softmax, Float and Double.
//
// Each kernel is a branch-free function of one element (a "lane": range reduction with bit tricks, a
// polynomial, selects for the special values, no libm call), and each buffer function is a plain loop over
// it that clang vectorises. On x86-64 every loop is compiled three times (AVX-512F, AVX2, baseline) and the
// loader picks the widest the processor has (target_clones, an ifunc), so one binary runs on any x86-64;
// elsewhere (arm64) the same loops compile once for the target's own vectors.
//
// Floating-point contraction is off: no clone fuses a multiply and an add that another does not, so every
// clone, and the scalar remainder of each loop, returns the same bits for the same input.
//
// Each kernel's bound and measured error are stated with it in include/CKernels.h. Accuracy is in ulps
// of the exact result, measured against a higher-precision reference (Double's libm
// for Float, Float80's for Double) by Tests/BackpropTests/KernelAccuracyTests.swift over a stride through all
// Float bit patterns and millions of Doubles over every exponent, and for Float once over all 2^32 inputs by
// scripts/kernel-ulps.c. An error at most the type's smallest normal in absolute value is not counted in ulps
// (where a result or an intermediate e^x underflows). Range reduction and the exp/expm1 reconstruction
// follow Muller, "Elementary Functions" (2016), ch. 11, and fdlibm (s_expm1.c, e_log.c); erfc uses a
// Chebyshev fit of erfc(t)·e^{t²}·(1 + 2t) in u = (t − c)/(t + c) made by scripts/fit-erfc.py.

#include "CKernels.h"
#include "Dispatch.h"

#include <stdint.h>


#pragma clang fp contract(off)

#define GL_LANE static inline __attribute__((always_inline))

// ---------------------------------------------------------------------------------------------------------
// Bits.

GL_LANE uint32_t bits_f(float x) { uint32_t u; __builtin_memcpy(&u, &x, sizeof u); return u; }
GL_LANE float float_bits(uint32_t u) { float x; __builtin_memcpy(&x, &u, sizeof x); return x; }
GL_LANE uint64_t bits_d(double x) { uint64_t u; __builtin_memcpy(&u, &x, sizeof u); return u; }
GL_LANE double double_bits(uint64_t u) { double x; __builtin_memcpy(&x, &u, sizeof x); return x; }

// ln 2 in two parts whose high part has trailing zero bits, so k·ln2_hi is exact for the k used here
// (fdlibm's split for Double; 0x3F317200 and its remainder for Float).
#define LN2_HI_F 0.693145751953125f
#define LN2_LO_F 1.428606765330187045e-06f
#define LN2_HI_D 6.93147180369123816490e-01
#define LN2_LO_D 1.90821492927058770002e-10
// Adding 1.5·2^23 (1.5·2^52) to a value below 2^22 (2^51) in magnitude rounds it to an integer k held in the
// low bits of the sum, in two's complement.
#define SHIFT_F 12582912.0f
#define SHIFT_BITS_F 0x4B400000u
#define SHIFT_D 6755399441055744.0
#define SHIFT_BITS_D 0x4338000000000000ull

// ---------------------------------------------------------------------------------------------------------
// Float lanes.

// e^(y + tail), |tail| small beside 1 (a low-order part of the argument). y = k ln2 + r, |r| ≤ ln2/2,
// e^r = 1 + r + r²(1/2! + … + r⁵/7!) (truncation below 1e−8 relative), times 2^k as 2^⌊k/2⌋·2^⌈k/2⌉ so that
// subnormal results round once. y below −104 gives 0, above 89 gives +∞, NaN stays NaN.
GL_LANE float exp_f(float y, float tail) {
    float a = y < -104.0f ? -104.0f : y;
    a = a > 89.0f ? 89.0f : a;
    float shifted = a * 1.44269504f + SHIFT_F;
    float k = shifted - SHIFT_F;
    float r = ((a - k * LN2_HI_F) - k * LN2_LO_F) + tail;
    float q = 1.0f / 5040;
    q = q * r + 1.0f / 720;
    q = q * r + 1.0f / 120;
    q = q * r + 1.0f / 24;
    q = q * r + 1.0f / 6;
    q = q * r + 0.5f;
    float p = 1.0f + (r + (r * r) * q);
    int32_t ki = (int32_t)(bits_f(shifted) - SHIFT_BITS_F);
    int32_t k1 = ki >> 1;
    float s1 = float_bits((uint32_t)(k1 + 127) << 23);
    float s2 = float_bits((uint32_t)(ki - k1 + 127) << 23);
    return (p * s1) * s2;
}

// e^y − 1 for y ≤ 0: 2^k·p + (2^k − 1) with p = e^r − 1 = r + r²(1/2! + … + r⁶/8!) (fdlibm's
// reconstruction); y below −20 gives −1 (e^−20 is below half an ulp of 1). NaN stays NaN; −0 gives +0.
GL_LANE float expm1_negative_f(float y) {
    float a = y < -20.0f ? -20.0f : y;
    float shifted = a * 1.44269504f + SHIFT_F;
    float k = shifted - SHIFT_F;
    float r = (a - k * LN2_HI_F) - k * LN2_LO_F;
    // q = 1/2! + r/3! + … + r⁶/8! by Estrin's scheme (pairs, then r² and r⁴): a dependency chain five
    // operations deep instead of Horner's twelve, which left the vector loop waiting on latency (tanh, the
    // bulk of a tanh network's elementwise time, went from 0.99 to 0.83 ns per element).
    float r2 = r * r, r4 = r2 * r2;
    float q01 = 0.5f + r * (1.0f / 6), q23 = 1.0f / 24 + r * (1.0f / 120), q45 = 1.0f / 720 + r * (1.0f / 5040);
    float q = (q01 + r2 * q23) + r4 * (q45 + r2 * (1.0f / 40320));
    float p = r + r2 * q;
    float s = float_bits((uint32_t)((int32_t)(bits_f(shifted) - SHIFT_BITS_F) + 127) << 23);
    return s * p + (s - 1.0f);
}

// log(1 + f) for f in [√½ − 1, √2 − 1]: with v = f/(2 + f), log(1 + f) = 2 atanh v = f − (f²/2 − v(f²/2 + R)),
// R = 2v²/3 + 2v⁴/5 + … + 2v¹⁰/11 (|v| ≤ 0.1716; truncation below 1e−10 relative), as fdlibm's e_log.c.
GL_LANE float log1p_core_f(float f) {
    float v = f / (2.0f + f);
    float v2 = v * v;
    float R = 2.0f / 11;
    R = R * v2 + 2.0f / 9;
    R = R * v2 + 2.0f / 7;
    R = R * v2 + 2.0f / 5;
    R = R * v2 + 2.0f / 3;
    R = R * v2;
    float hf = 0.5f * (f * f);
    return f - (hf - v * (hf + R));
}

// log(1 + w) for w in [0, 1]: s = 1 + w rounded, c = w − (s − 1) its rounding error (exact), then
// log s + c/s with s halved above √2. NaN stays NaN.
GL_LANE float log1p_unit_f(float w) {
    float s = 1.0f + w;
    float c = w - (s - 1.0f);
    int big = s > 1.41421356f;
    float m = big ? 0.5f * s : s;
    float k = big ? 1.0f : 0.0f;
    return k * LN2_HI_F + (log1p_core_f(m - 1.0f) + (c / s + k * LN2_LO_F));
}

// tanh |x| = −m/(2 + m), m = e^{−2|x|} − 1, |x| clamped to 10 (tanh 10 rounds to 1); the sign of x put back
// on the magnitude, so tanh(−0) = −0 and tanh(−x) = −tanh(x) exactly.
GL_LANE float tanh_f(float x) {
    float a = __builtin_fabsf(x);
    a = a < 10.0f ? a : 10.0f;
    float m = expm1_negative_f(-2.0f * a);
    float t = -m / (2.0f + m);
    float signed_t = float_bits((bits_f(t) & 0x7FFFFFFFu) | (bits_f(x) & 0x80000000u));
    return x != x ? x : signed_t;
}

// σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) below, e = e^{−|x|}: never an overflow, relative accuracy in
// both tails. σ(±0) = ½, σ(+∞) = 1, σ(−∞) = 0.
GL_LANE float sigmoid_f(float x) {
    float e = exp_f(-__builtin_fabsf(x), 0.0f);
    float numerator = x >= 0.0f ? 1.0f : e;
    return numerator / (1.0f + e);
}

// Φ(−|x|) = a·m and e = e^{−x²/2}. For |x| ≥ 1/√2 (t = |x|/√2 ≥ ½): a = ½ erfc(t)·e^{t²} and m = e, with x²
// split exactly into hi + lo (x's high 12 bits squared, and (|x| − high)(|x| + high)) so that e keeps its
// relative accuracy where x²/2 is large, and |x| clamped to 15, past which e underflows to 0. Below: a = ½ −
// ½ erf(t) by erf's Taylor series to t¹³ (truncation below 1e−9 relative) and m = 1, where the fit's
// rounding near t = 0 would cost a few ulps.
typedef struct { float a, m, e, x; int small; } gelu_parts_f;
GL_LANE gelu_parts_f gelu_split_f(float x) {
    float ax = __builtin_fabsf(x);
    ax = ax > 15.0f ? 15.0f : ax;
    float high = float_bits(bits_f(ax) & 0xFFFFF000u);
    float hi = 0.5f * (high * high);
    float lo = 0.5f * ((ax - high) * (ax + high));
    float e = exp_f(-hi, -lo);
    float t = ax * 0.707106781f;
    float u = (t - 2.0f) / (t + 2.0f);
    // scripts/fit-erfc.py: c = 2, degree 12.
    float h = -2.01089315e-05f;
    h = h * u + 6.31001822e-05f;
    h = h * u + 2.21105453e-04f;
    h = h * u + -3.57177894e-04f;
    h = h * u + -1.46351173e-03f;
    h = h * u + 1.21666549e-03f;
    h = h * u + 8.72429460e-03f;
    h = h * u + -8.01863614e-03f;
    h = h * u + -5.42201847e-02f;
    h = h * u + 1.64049402e-01f;
    h = h * u + -1.66030392e-01f;
    h = h * u + -9.27637592e-02f;
    h = h * u + 1.27697837e+00f;
    float tail = (0.5f * h) / (1.0f + 2.0f * t);
    // erf t = (2/√π) t Σ (−t²)ⁿ / (n! (2n + 1))
    float s = t * t;
    float E = 1.0f / 75600;
    E = E * -s + 1.0f / 9360;
    E = E * -s + 1.0f / 1320;
    E = E * -s + 1.0f / 216;
    E = E * -s + 1.0f / 42;
    E = E * -s + 1.0f / 10;
    E = E * -s + 1.0f / 3;
    E = E * -s + 1.0f;
    float half_erf = (0.564189584f * t) * E;
    int small = t < 0.5f;
    gelu_parts_f g = { small ? 0.5f - half_erf : tail, small ? 1.0f : e, e, __builtin_copysignf(ax, x), small };
    return g;
}

// x Φ(x): (x·a)·m for x ≤ 0 (one rounding into the subnormals), x(1 − a·m) above; gelu(−∞) = 0.
GL_LANE float gelu_f(float x) {
    gelu_parts_f g = gelu_split_f(x);
    float y = x > 0.0f ? x * (1.0f - g.a * g.m) : (x * g.a) * g.m;
    return x == -__builtin_inff() ? 0.0f : y;
}

// Φ(x) + x φ(x) = a·m + x·e/√(2π) for x ≤ 0, (1 − a·m) + x·e/√(2π) above; 1 at +∞, 0 at −∞. Where e is the
// multiplier (|x| ≥ 1/√2, x ≤ 0), e(a + x/√(2π)) keeps the sum from rounding twice into the subnormals.
GL_LANE float gelu_derivative_f(float x) {
    gelu_parts_f g = gelu_split_f(x);
    const float inverse_root_2pi = 0.398942280f;
    float below = g.small ? g.a + g.x * (g.e * inverse_root_2pi) : g.e * (g.a + g.x * inverse_root_2pi);
    float d = x > 0.0f ? (1.0f - g.a * g.m) + g.x * (g.e * inverse_root_2pi) : below;
    return x == -__builtin_inff() ? 0.0f : d;
}

// x σ(x) as x/(1 + e) for x ≥ 0 and (x·e)/(1 + e) below, e = e^{−|x|}; silu(−∞) = 0.
GL_LANE float silu_f(float x) {
    float e = exp_f(-__builtin_fabsf(x), 0.0f);
    float y = (x >= 0.0f ? x : x * e) / (1.0f + e);
    return x == -__builtin_inff() ? 0.0f : y;
}

// σ(x)(1 + x σ(−x)), both σ from one e = e^{−|x|}; 1 at +∞, 0 at −∞; a NaN returned as it came (the sign
// of a NaN made inside depends on the order the vector code gives commuting operands).
GL_LANE float silu_derivative_f(float x) {
    float e = exp_f(-__builtin_fabsf(x), 0.0f);
    float d = 1.0f + e;
    float s = (x >= 0.0f ? 1.0f : e) / d;
    float s_minus = (x >= 0.0f ? e : 1.0f) / d;
    float v = s * (1.0f + x * s_minus);
    v = x == __builtin_inff() ? 1.0f : v;
    v = x == -__builtin_inff() ? 0.0f : v;
    return x != x ? x : v;
}

// log(1 + e^z)/β = (max(z, 0) + log(1 + e^{−|z|}))/β, z = βx: no overflow for any z; x where z > threshold.
GL_LANE float softplus_f(float x, float beta, float threshold) {
    float z = beta * x;
    float l = log1p_unit_f(exp_f(-__builtin_fabsf(z), 0.0f));
    float v = ((z > 0.0f ? z : 0.0f) + l) / beta;
    return z > threshold ? x : v;
}

// log Σ for a sum s ≥ 1 (a softmax denominator, one of whose terms is e^0): s = 2^k·m, m in [√½, √2).
static float log_sum_f(float s) {
    if (!(s < __builtin_inff())) return s;
    uint32_t b = bits_f(s);
    int k = (int)(b >> 23) - 127;
    float m = float_bits((b & 0x007FFFFFu) | 0x3F800000u);
    if (m > 1.41421356f) { m *= 0.5f; k += 1; }
    return (float)k * LN2_HI_F + (log1p_core_f(m - 1.0f) + (float)k * LN2_LO_F);
}

// ---------------------------------------------------------------------------------------------------------
// Double lanes: the same algorithms with Double's polynomial degrees and clamps.

// q = 1/2! + r/3! + … + r¹¹/13!, so that e^r − 1 = r + r²q, by Estrin's scheme (pairs, then powers r², r⁴,
// r⁸): a dependency chain of about six operations instead of Horner's 24, which left the vector loop waiting
// on latency. Shared by exp_d and expm1_negative_d.
GL_LANE double exp_series_d(double r) {
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q01 = 0.5 + r * (1.0 / 6.0), q23 = 1.0 / 24.0 + r * (1.0 / 120.0);
    double q45 = 1.0 / 720.0 + r * (1.0 / 5040.0), q67 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    double q89 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0), q1011 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    double q0_3 = q01 + r2 * q23, q4_7 = q45 + r2 * q67, q8_11 = q89 + r2 * q1011;
    return (q0_3 + r4 * q4_7) + r8 * q8_11;
}

// e^(y + tail): e^r to r¹³/13! (truncation below 5e−18 relative); y below −746 gives 0, above 710 +∞.
GL_LANE double exp_d(double y, double tail) {
    double a = y < -746.0 ? -746.0 : y;
    a = a > 710.0 ? 710.0 : a;
    double shifted = a * 1.4426950408889634 + SHIFT_D;
    double k = shifted - SHIFT_D;
    double r = ((a - k * LN2_HI_D) - k * LN2_LO_D) + tail;
    double p = 1.0 + (r + (r * r) * exp_series_d(r));
    int64_t ki = (int64_t)(bits_d(shifted) - SHIFT_BITS_D);
    int64_t k1 = ki >> 1;
    double s1 = double_bits((uint64_t)(k1 + 1023) << 52);
    double s2 = double_bits((uint64_t)(ki - k1 + 1023) << 52);
    return (p * s1) * s2;
}

// e^y − 1 for y ≤ 0, p = e^r − 1 to r¹³/13!; y below −40 gives −1.
GL_LANE double expm1_negative_d(double y) {
    double a = y < -40.0 ? -40.0 : y;
    double shifted = a * 1.4426950408889634 + SHIFT_D;
    double k = shifted - SHIFT_D;
    double r = (a - k * LN2_HI_D) - k * LN2_LO_D;
    double p = r + (r * r) * exp_series_d(r);
    double s = double_bits((uint64_t)((int64_t)(bits_d(shifted) - SHIFT_BITS_D) + 1023) << 52);
    return s * p + (s - 1.0);
}

// log(1 + f), R to 2v²²/23 (truncation below 1e−19 relative).
GL_LANE double log1p_core_d(double f) {
    double v = f / (2.0 + f);
    double v2 = v * v;
    double R = 2.0 / 23;
    R = R * v2 + 2.0 / 21;
    R = R * v2 + 2.0 / 19;
    R = R * v2 + 2.0 / 17;
    R = R * v2 + 2.0 / 15;
    R = R * v2 + 2.0 / 13;
    R = R * v2 + 2.0 / 11;
    R = R * v2 + 2.0 / 9;
    R = R * v2 + 2.0 / 7;
    R = R * v2 + 2.0 / 5;
    R = R * v2 + 2.0 / 3;
    R = R * v2;
    double hf = 0.5 * (f * f);
    return f - (hf - v * (hf + R));
}

GL_LANE double log1p_unit_d(double w) {
    double s = 1.0 + w;
    double c = w - (s - 1.0);
    int big = s > 1.4142135623730951;
    double m = big ? 0.5 * s : s;
    double k = big ? 1.0 : 0.0;
    return k * LN2_HI_D + (log1p_core_d(m - 1.0) + (c / s + k * LN2_LO_D));
}

// |x| clamped to 20 (tanh 20 rounds to 1 in Double).
GL_LANE double tanh_d(double x) {
    double a = __builtin_fabs(x);
    a = a < 20.0 ? a : 20.0;
    double m = expm1_negative_d(-2.0 * a);
    double t = -m / (2.0 + m);
    double signed_t = double_bits((bits_d(t) & 0x7FFFFFFFFFFFFFFFull) | (bits_d(x) & 0x8000000000000000ull));
    return x != x ? x : signed_t;
}

GL_LANE double sigmoid_d(double x) {
    double e = exp_d(-__builtin_fabs(x), 0.0);
    double numerator = x >= 0.0 ? 1.0 : e;
    return numerator / (1.0 + e);
}

// x² split at 26 high bits; |x| clamped to 40 (e^{−x²/2} underflows past 38.6); erf's series to t²⁵
// (truncation below 1e−19 relative) below t = ½.
typedef struct { double a, m, e, x; int small; } gelu_parts_d;
GL_LANE gelu_parts_d gelu_split_d(double x) {
    double ax = __builtin_fabs(x);
    ax = ax > 40.0 ? 40.0 : ax;
    double high = double_bits(bits_d(ax) & 0xFFFFFFFFF8000000ull);
    double hi = 0.5 * (high * high);
    double lo = 0.5 * ((ax - high) * (ax + high));
    double e = exp_d(-hi, -lo);
    double t = ax * 0.70710678118654752;
    double u = (t - 3.0) / (t + 3.0);
    // scripts/fit-erfc.py: c = 3, degree 26.
    double h = -1.9639168580541081e-10;
    h = h * u + -3.5596455016217064e-11;
    h = h * u + 2.1159626719890731e-09;
    h = h * u + 1.2087504427200233e-09;
    h = h * u + -1.1887923223951075e-08;
    h = h * u + -1.3924844635302213e-08;
    h = h * u + 4.7208067319922200e-08;
    h = h * u + 1.0280982449402661e-07;
    h = h * u + -1.4710961394997167e-07;
    h = h * u + -6.1759226467275329e-07;
    h = h * u + 3.6059375955111935e-07;
    h = h * u + 3.4730449918834743e-06;
    h = h * u + -7.3324471730649869e-07;
    h = h * u + -2.0100852729251828e-05;
    h = h * u + 4.9500234180295395e-06;
    h = h * u + 1.2509943856881694e-04;
    h = h * u + -1.0515990906392902e-04;
    h = h * u + -7.7983228909197036e-04;
    h = h * u + 1.8886903728657109e-03;
    h = h * u + 2.5293918181241806e-03;
    h = h * u + -2.3770514919609846e-02;
    h = h * u + 6.8308027343839742e-02;
    h = h * u + -1.1927366341527554e-01;
    h = h * u + 1.2964515870276491e-01;
    h = h * u + -4.7562294353451176e-02;
    h = h * u + -1.3562110612458123e-01;
    h = h * u + 1.2530080582697296e+00;
    double tail = (0.5 * h) / (1.0 + 2.0 * t);
    double s = t * t;
    double E = 1.0 / 11975040000.0;
    E = E * -s + 1.0 / 918086400.0;
    E = E * -s + 1.0 / 76204800.0;
    E = E * -s + 1.0 / 6894720.0;
    E = E * -s + 1.0 / 685440.0;
    E = E * -s + 1.0 / 75600.0;
    E = E * -s + 1.0 / 9360.0;
    E = E * -s + 1.0 / 1320.0;
    E = E * -s + 1.0 / 216.0;
    E = E * -s + 1.0 / 42.0;
    E = E * -s + 1.0 / 10.0;
    E = E * -s + 1.0 / 3.0;
    E = E * -s + 1.0;
    double half_erf = (0.56418958354775629 * t) * E;
    int small = t < 0.5;
    gelu_parts_d g = { small ? 0.5 - half_erf : tail, small ? 1.0 : e, e, __builtin_copysign(ax, x), small };
    return g;
}

GL_LANE double gelu_d(double x) {
    gelu_parts_d g = gelu_split_d(x);
    double y = x > 0.0 ? x * (1.0 - g.a * g.m) : (x * g.a) * g.m;
    return x == -__builtin_inf() ? 0.0 : y;
}

GL_LANE double gelu_derivative_d(double x) {
    gelu_parts_d g = gelu_split_d(x);
    const double inverse_root_2pi = 0.39894228040143268;
    double below = g.small ? g.a + g.x * (g.e * inverse_root_2pi) : g.e * (g.a + g.x * inverse_root_2pi);
    double d = x > 0.0 ? (1.0 - g.a * g.m) + g.x * (g.e * inverse_root_2pi) : below;
    return x == -__builtin_inf() ? 0.0 : d;
}

GL_LANE double silu_d(double x) {
    double e = exp_d(-__builtin_fabs(x), 0.0);
    double y = (x >= 0.0 ? x : x * e) / (1.0 + e);
    return x == -__builtin_inf() ? 0.0 : y;
}

GL_LANE double silu_derivative_d(double x) {
    double e = exp_d(-__builtin_fabs(x), 0.0);
    double d = 1.0 + e;
    double s = (x >= 0.0 ? 1.0 : e) / d;
    double s_minus = (x >= 0.0 ? e : 1.0) / d;
    double v = s * (1.0 + x * s_minus);
    v = x == __builtin_inf() ? 1.0 : v;
    v = x == -__builtin_inf() ? 0.0 : v;
    return x != x ? x : v;
}

GL_LANE double softplus_d(double x, double beta, double threshold) {
    double z = beta * x;
    double l = log1p_unit_d(exp_d(-__builtin_fabs(z), 0.0));
    double v = ((z > 0.0 ? z : 0.0) + l) / beta;
    return z > threshold ? x : v;
}

static double log_sum_d(double s) {
    if (!(s < __builtin_inf())) return s;
    uint64_t b = bits_d(s);
    int k = (int)(b >> 52) - 1023;
    double m = double_bits((b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    if (m > 1.4142135623730951) { m *= 0.5; k += 1; }
    return (double)k * LN2_HI_D + (log1p_core_d(m - 1.0) + (double)k * LN2_LO_D);
}

// ---------------------------------------------------------------------------------------------------------
// Buffer functions.
//
// Blocks of 64 elements are copied into a local array first and the lane reads only that copy, so the
// output may be the input (in-place calls, as the recurrent cells make): without the copy, clang guards the
// vector loop with a run-time overlap check that sends an in-place call to the scalar loop. The last
// n mod 64 elements run one at a time through the same lane, which returns the same bits.
#define GL_BLOCK 64
// Each lane is a long chain of dependent operations (a polynomial, a division); a vector loop that
// works on one vector at a time waits on that chain. Interleaving several vectors per iteration gives the
// processor independent chains to overlap. It changes no result: every element still takes the same
// operations in the same order.
#ifndef GL_INTERLEAVE_COUNT
#define GL_INTERLEAVE_COUNT 4
#endif
#define GL_PRAGMA(x) _Pragma(#x)
#define GL_INTERLEAVE_WITH(n) GL_PRAGMA(clang loop vectorize(enable) interleave_count(n))
#define GL_INTERLEAVE GL_INTERLEAVE_WITH(GL_INTERLEAVE_COUNT)
#define GL_MAP(T, x, y, n, v, EXPR)                                                                  \
    long i = 0;                                                                                      \
    for (; i + GL_BLOCK <= n; i += GL_BLOCK) {                                                       \
        T in[GL_BLOCK];                                                                              \
        __builtin_memcpy(in, x + i, sizeof in);                                                      \
        GL_INTERLEAVE for (int j = 0; j < GL_BLOCK; j++) { T v = in[j]; y[i + j] = (EXPR); }          \
    }                                                                                                \
    for (; i < n; i++) { T v = x[i]; y[i] = (EXPR); }
// dx = dy · EXPR(x).
#define GL_ZIP(T, x, dy, dx, n, v, EXPR)                                                             \
    long i = 0;                                                                                      \
    for (; i + GL_BLOCK <= n; i += GL_BLOCK) {                                                       \
        T in[GL_BLOCK], g[GL_BLOCK];                                                                 \
        __builtin_memcpy(in, x + i, sizeof in);                                                      \
        __builtin_memcpy(g, dy + i, sizeof g);                                                       \
        GL_INTERLEAVE for (int j = 0; j < GL_BLOCK; j++) { T v = in[j]; dx[i + j] = g[j] * (EXPR); }  \
    }                                                                                                \
    for (; i < n; i++) { T v = x[i]; dx[i] = dy[i] * (EXPR); }

GL_DISPATCH void gl_exp_f32(const float *x, float *y, long n) { GL_MAP(float, x, y, n, v, exp_f(v, 0.0f)) }
GL_DISPATCH void gl_exp_f64(const double *x, double *y, long n) { GL_MAP(double, x, y, n, v, exp_d(v, 0.0)) }

GL_DISPATCH void gl_tanh_f32(const float *x, float *y, long n) { GL_MAP(float, x, y, n, v, tanh_f(v)) }
GL_DISPATCH void gl_tanh_f64(const double *x, double *y, long n) { GL_MAP(double, x, y, n, v, tanh_d(v)) }

GL_DISPATCH void gl_sigmoid_f32(const float *x, float *y, long n) { GL_MAP(float, x, y, n, v, sigmoid_f(v)) }
GL_DISPATCH void gl_sigmoid_f64(const double *x, double *y, long n) { GL_MAP(double, x, y, n, v, sigmoid_d(v)) }

// The derivatives of tanh and σ from the forward output y: 1 − y² and y(1 − y), exactly as rounded by the
// Swift loops they replace (no contraction), so a result does not depend on which ran.
GL_DISPATCH void gl_tanh_backward_f32(const float *y, const float *dy, float *dx, long n) {
    GL_ZIP(float, y, dy, dx, n, t, (1.0f - t * t))
}
GL_DISPATCH void gl_tanh_backward_f64(const double *y, const double *dy, double *dx, long n) {
    GL_ZIP(double, y, dy, dx, n, t, (1.0 - t * t))
}
GL_DISPATCH void gl_sigmoid_backward_f32(const float *y, const float *dy, float *dx, long n) {
    GL_ZIP(float, y, dy, dx, n, s, (s * (1.0f - s)))
}
GL_DISPATCH void gl_sigmoid_backward_f64(const double *y, const double *dy, double *dx, long n) {
    GL_ZIP(double, y, dy, dx, n, s, (s * (1.0 - s)))
}

// α(e^x − 1) keeps the sign of x = −0 (expm1_negative gives +0 there).
GL_LANE float elu_f(float v, float alpha, float scale) {
    float m = expm1_negative_f(v > 0.0f ? 0.0f : v);
    return scale * (v > 0.0f ? v : alpha * (v == 0.0f ? v : m));
}
GL_LANE double elu_d(double v, double alpha, double scale) {
    double m = expm1_negative_d(v > 0.0 ? 0.0 : v);
    return scale * (v > 0.0 ? v : alpha * (v == 0.0 ? v : m));
}
GL_DISPATCH void gl_elu_f32(const float *x, float *y, long n, float alpha, float scale) {
    GL_MAP(float, x, y, n, v, elu_f(v, alpha, scale))
}
GL_DISPATCH void gl_elu_f64(const double *x, double *y, long n, double alpha, double scale) {
    GL_MAP(double, x, y, n, v, elu_d(v, alpha, scale))
}

GL_DISPATCH void gl_elu_backward_f32(const float *x, const float *dy, float *dx, long n, float positive, float negative) {
    GL_ZIP(float, x, dy, dx, n, v, v > 0.0f ? positive : negative * exp_f(v > 0.0f ? 0.0f : v, 0.0f))
}
GL_DISPATCH void gl_elu_backward_f64(const double *x, const double *dy, double *dx, long n, double positive, double negative) {
    GL_ZIP(double, x, dy, dx, n, v, v > 0.0 ? positive : negative * exp_d(v > 0.0 ? 0.0 : v, 0.0))
}

GL_DISPATCH void gl_gelu_f32(const float *x, float *y, long n) { GL_MAP(float, x, y, n, v, gelu_f(v)) }
GL_DISPATCH void gl_gelu_f64(const double *x, double *y, long n) { GL_MAP(double, x, y, n, v, gelu_d(v)) }

GL_DISPATCH void gl_gelu_backward_f32(const float *x, const float *dy, float *dx, long n) {
    GL_ZIP(float, x, dy, dx, n, v, gelu_derivative_f(v))
}
GL_DISPATCH void gl_gelu_backward_f64(const double *x, const double *dy, double *dx, long n) {
    GL_ZIP(double, x, dy, dx, n, v, gelu_derivative_d(v))
}

GL_DISPATCH void gl_silu_f32(const float *x, float *y, long n) { GL_MAP(float, x, y, n, v, silu_f(v)) }
GL_DISPATCH void gl_silu_f64(const double *x, double *y, long n) { GL_MAP(double, x, y, n, v, silu_d(v)) }

GL_DISPATCH void gl_silu_backward_f32(const float *x, const float *dy, float *dx, long n) {
    GL_ZIP(float, x, dy, dx, n, v, silu_derivative_f(v))
}
GL_DISPATCH void gl_silu_backward_f64(const double *x, const double *dy, double *dx, long n) {
    GL_ZIP(double, x, dy, dx, n, v, silu_derivative_d(v))
}

GL_DISPATCH void gl_softplus_f32(const float *x, float *y, long n, float beta, float threshold) {
    GL_MAP(float, x, y, n, v, softplus_f(v, beta, threshold))
}
GL_DISPATCH void gl_softplus_f64(const double *x, double *y, long n, double beta, double threshold) {
    GL_MAP(double, x, y, n, v, softplus_d(v, beta, threshold))
}

GL_DISPATCH void gl_softplus_backward_f32(const float *x, const float *dy, float *dx, long n, float beta, float threshold) {
    GL_ZIP(float, x, dy, dx, n, v, beta * v > threshold ? 1.0f : sigmoid_f(beta * v))
}
GL_DISPATCH void gl_softplus_backward_f64(const double *x, const double *dy, double *dx, long n, double beta, double threshold) {
    GL_ZIP(double, x, dy, dx, n, v, beta * v > threshold ? 1.0 : sigmoid_d(beta * v))
}

// The same order of preference as the target_clones resolver.
const char *gl_kernel_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "default";
}

// Per row: the maximum m (the first of equal ones; a NaN elsewhere than first is never the maximum, and
// makes the row's sum NaN), z − m into logp, then e^{z−m} for the whole buffer at once (the vectorised part),
// then the row's sum in index order, its log, and both outputs.
void gl_log_softmax_rows_f32(const float *z, float *logp, float *p, long rows, long cols) {
    if (rows <= 0 || cols <= 0) return;
    for (long r = 0; r < rows; r++) {
        const float *zr = z + r * cols;
        float *lr = logp + r * cols;
        float m = zr[0];
        for (long c = 1; c < cols; c++) if (zr[c] > m) m = zr[c];
        for (long c = 0; c < cols; c++) lr[c] = zr[c] - m;
    }
    gl_exp_f32(logp, p, rows * cols);
    for (long r = 0; r < rows; r++) {
        float *lr = logp + r * cols, *pr = p + r * cols;
        float sum = 0.0f;
        for (long c = 0; c < cols; c++) sum += pr[c];
        float logSum = log_sum_f(sum);
        for (long c = 0; c < cols; c++) { lr[c] -= logSum; pr[c] /= sum; }
    }
}
void gl_log_softmax_rows_f64(const double *z, double *logp, double *p, long rows, long cols) {
    if (rows <= 0 || cols <= 0) return;
    for (long r = 0; r < rows; r++) {
        const double *zr = z + r * cols;
        double *lr = logp + r * cols;
        double m = zr[0];
        for (long c = 1; c < cols; c++) if (zr[c] > m) m = zr[c];
        for (long c = 0; c < cols; c++) lr[c] = zr[c] - m;
    }
    gl_exp_f64(logp, p, rows * cols);
    for (long r = 0; r < rows; r++) {
        double *lr = logp + r * cols, *pr = p + r * cols;
        double sum = 0.0;
        for (long c = 0; c < cols; c++) sum += pr[c];
        double logSum = log_sum_d(sum);
        for (long c = 0; c < cols; c++) { lr[c] -= logSum; pr[c] /= sum; }
    }
}
