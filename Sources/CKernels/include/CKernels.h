// Elementwise kernels over Float and Double buffers, vectorised at the machine's width and chosen when the
// program loads (on x86-64: AVX-512F, AVX2 or baseline SSE2 clones of each loop; elsewhere one build).
// Every function takes n elements; y or dx may be the same buffer as x (elementwise, index by index).
//
// Each comment states the kernel's bound in ulps of the exact value, Float / Double, which
// Tests/BackpropTests/KernelAccuracyTests.swift asserts, and what was measured: for Float over all 2^32
// inputs (scripts/kernel-ulps.c), for Double over the test's 1.5 million inputs (random significands for every
// exponent, uniform on [−50, 50], windows around the switching points) against Float80's libm, as the test
// prints them with GRADLAB_KERNEL_ULPS=1 in the environment. An error at most the type's smallest normal in
// absolute value is not counted (underflow). Derivatives that cross zero (gelu', silu') count in ulps of the
// larger of their two terms. Special values (±0, ±∞, NaN, subnormals, the largest finite) are those of
// Activation.value in Sources/Backprop/Activation.swift.
#ifndef GRADLAB_CKERNELS_H
#define GRADLAB_CKERNELS_H

/// The clone the loader picks on this processor: "avx512f", "avx2" or "default" (always "default" off x86-64).
const char *gl_kernel_isa(void);

/// y = e^x. Bound 1.5 / 1.5 ulp (measured 1.02 / 0.94); +∞ from the first input whose e^x rounds to +∞,
/// exact 0 below the smallest subnormal.
void gl_exp_f32(const float *x, float *y, long n);
void gl_exp_f64(const double *x, double *y, long n);

/// y = tanh x, odd to the bit. Bound 3 / 3 ulp (measured 2.50 / 2.49).
void gl_tanh_f32(const float *x, float *y, long n);
void gl_tanh_f64(const double *x, double *y, long n);

/// y = σ(x) = 1 / (1 + e^−x). Bound 3 / 3 ulp (measured 2.40 / 2.18).
void gl_sigmoid_f32(const float *x, float *y, long n);
void gl_sigmoid_f64(const double *x, double *y, long n);

/// dx = dy · (1 − y²) and dx = dy · y(1 − y): tanh' and σ' from the forward output y. Exact arithmetic
/// on y, rounded as written (no contraction).
void gl_tanh_backward_f32(const float *y, const float *dy, float *dx, long n);
void gl_tanh_backward_f64(const double *y, const double *dy, double *dx, long n);
void gl_sigmoid_backward_f32(const float *y, const float *dy, float *dx, long n);
void gl_sigmoid_backward_f64(const double *y, const double *dy, double *dx, long n);

/// y = scale · (x > 0 ? x : alpha · (e^x − 1)): ELU (scale 1) and SELU (scale λ, alpha α).
/// Bound ELU 1.5 / 1.5 ulp (measured 0.95 / 1.07), SELU 2.5 / 2.5 (measured 2.15 / 1.84).
void gl_elu_f32(const float *x, float *y, long n, float alpha, float scale);
void gl_elu_f64(const double *x, double *y, long n, double alpha, double scale);

/// dx = dy · (x > 0 ? positive : negative · e^x): ELU (1, α) and SELU (λ, λα).
/// Bound ELU' 1.5 / 1.5 ulp (measured 1.02 / 0.93), SELU' 2 / 2 (measured 1.62 / 1.48).
void gl_elu_backward_f32(const float *x, const float *dy, float *dx, long n, float positive, float negative);
void gl_elu_backward_f64(const double *x, const double *dy, double *dx, long n, double positive, double negative);

/// y = x Φ(x), Φ(x) = ½ erfc(−x/√2): exact GELU. Bound 5 / 6 ulp (measured 4.90 / 4.22, both in the
/// left tail, where x Φ(x) is a product of three rounded factors).
void gl_gelu_f32(const float *x, float *y, long n);
void gl_gelu_f64(const double *x, double *y, long n);

/// dx = dy · (Φ(x) + x φ(x)). Bound 5.5 / 5.5 ulp of max(Φ(x), |x φ(x)|) (measured 5.17 / 4.80, near the
/// zero at x ≈ −0.75 where the two terms cancel).
void gl_gelu_backward_f32(const float *x, const float *dy, float *dx, long n);
void gl_gelu_backward_f64(const double *x, const double *dy, double *dx, long n);

/// y = x σ(x): SiLU. Bound 3.5 / 3 ulp (measured 3.39 / 2.63).
void gl_silu_f32(const float *x, float *y, long n);
void gl_silu_f64(const double *x, double *y, long n);

/// dx = dy · σ(x)(1 + x(1 − σ(x))), computed as σ(x) + x σ(x) σ(−x). Bound 5 / 4.5 ulp of
/// max(σ(x), |x σ(x) σ(−x)|) (measured 4.54 / 4.36; it crosses zero at x ≈ −1.28).
void gl_silu_backward_f32(const float *x, const float *dy, float *dx, long n);
void gl_silu_backward_f64(const double *x, const double *dy, double *dx, long n);

/// y = βx > threshold ? x : log(1 + e^{βx}) / β, as max(βx, 0) + log(1 + e^{−|βx|}) so no βx overflows.
/// Bound 2.5 / 2.5 ulp (measured 1.99 / 1.78 at β = 1, threshold 20).
void gl_softplus_f32(const float *x, float *y, long n, float beta, float threshold);
void gl_softplus_f64(const double *x, double *y, long n, double beta, double threshold);

/// dx = dy · (βx > threshold ? 1 : σ(βx)). Bound 3 / 3 ulp (measured 2.40 / 2.18).
void gl_softplus_backward_f32(const float *x, const float *dy, float *dx, long n, float beta, float threshold);
void gl_softplus_backward_f64(const double *x, const double *dy, double *dx, long n, double beta, double threshold);

/// Row-wise log-softmax and softmax of z ([rows, cols], row-major), for the cross-entropy loss:
/// logp = (z − m) − log Σ e^{z − m} and p = e^{z − m} / Σ e^{z − m}, m the row's maximum. A NaN in a row
/// makes that row NaN; the sum runs in index order, so the result does not depend on the clone.
void gl_log_softmax_rows_f32(const float *z, float *logp, float *p, long rows, long cols);
void gl_log_softmax_rows_f64(const double *z, double *logp, double *p, long rows, long cols);

/// Σx, Σx² (both in Double), max |x| and the count of zeros (±0) of a buffer, in one pass (Reductions.c).
/// Lanes add in the buffer's precision over blocks of 512 values, each block in Double: relative error of
/// a sum at most about 2e-6 for Float. A NaN or ±∞ makes sum or squares non-finite (the caller recounts);
/// n ≤ 0 gives all zeros.
typedef struct {
    double sum;
    double squares;
    double maxAbs;
    long zeros;
} gl_buffer_sums;
gl_buffer_sums gl_buffer_sums_f32(const float *x, long n);
gl_buffer_sums gl_buffer_sums_f64(const double *x, long n);

/// Σx, Σx², min and max of a buffer and the count outside the band (low, high): x < low or x > high, or
/// with `inclusive` ≠ 0, x ≤ low or x ≥ high. Same accumulation as gl_buffer_sums; min and max are NaN for
/// n ≤ 0 and meaningful only when sum and squares are finite.
typedef struct {
    double sum;
    double squares;
    double min;
    double max;
    long outside;
} gl_activation_sums;
gl_activation_sums gl_activation_sums_f32(const float *x, long n, float low, float high, int inclusive);
gl_activation_sums gl_activation_sums_f64(const double *x, long n, double low, double high, int inclusive);

/// The optimizer's measured step, one block: theta[i] ← next[i], with (next − theta)², the difference
/// rounded to the buffer's type, added into lanes[0…15] and next² into lanes[16…31]: sixteen lanes in the
/// buffer's precision over blocks of 512 values, each block added lane by lane into the Double lanes, which
/// the caller sums at the end of the tensor (relative error at most about 2e-6 for Float, as gl_buffer_sums).
void gl_apply_update_f32(float *theta, const float *next, long n, double *lanes);
void gl_apply_update_f64(double *theta, const double *next, long n, double *lanes);

/// Max pooling of `images` planes of height × width over 2 × 2 windows at stride 2, no padding (Pooling.c):
/// y[oy, ox] is the window's first element, replaced by each later one (row-major) that is greater or NaN,
/// and winners[oy, ox] its index 0…3 in the window. outHeight ≤ height/2, outWidth ≤ width/2.
void gl_max_pool_2x2_f32(const float *x, long images, long height, long width, long outHeight, long outWidth,
                         float *y, int *winners);
void gl_max_pool_2x2_f64(const double *x, long images, long height, long width, long outHeight, long outWidth,
                         double *y, int *winners);

#endif
