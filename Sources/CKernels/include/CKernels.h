// Elementwise kernels over Float and Double buffers, vectorised at the machine's width and chosen when the
// program loads (on x86-64: AVX-512F, AVX2 or baseline SSE2 clones of each loop; elsewhere one build).
// Every function takes n elements; y or dx may be the same buffer as x (elementwise, index by index).
// The accuracy of each kernel, in ulps against a higher-precision reference over the whole range, is
// stated beside it in Kernels.c and checked by Tests/BackpropTests/KernelAccuracyTests.swift.
#ifndef GRADLAB_CKERNELS_H
#define GRADLAB_CKERNELS_H

/// The clone the loader picks on this processor: "avx512f", "avx2" or "default" (always "default" off x86-64).
const char *gl_kernel_isa(void);

/// y = e^x.
void gl_exp_f32(const float *x, float *y, long n);
void gl_exp_f64(const double *x, double *y, long n);

/// y = tanh x.
void gl_tanh_f32(const float *x, float *y, long n);
void gl_tanh_f64(const double *x, double *y, long n);

/// y = σ(x) = 1 / (1 + e^−x).
void gl_sigmoid_f32(const float *x, float *y, long n);
void gl_sigmoid_f64(const double *x, double *y, long n);

/// y = scale · (x > 0 ? x : alpha · (e^x − 1)): ELU (scale 1) and SELU (scale λ, alpha α).
void gl_elu_f32(const float *x, float *y, long n, float alpha, float scale);
void gl_elu_f64(const double *x, double *y, long n, double alpha, double scale);

/// dx = dy · (x > 0 ? positive : negative · e^x): ELU (1, α) and SELU (λ, λα).
void gl_elu_backward_f32(const float *x, const float *dy, float *dx, long n, float positive, float negative);
void gl_elu_backward_f64(const double *x, const double *dy, double *dx, long n, double positive, double negative);

/// y = x Φ(x), Φ(x) = ½ erfc(−x/√2): exact GELU.
void gl_gelu_f32(const float *x, float *y, long n);
void gl_gelu_f64(const double *x, double *y, long n);

/// dx = dy · (Φ(x) + x φ(x)).
void gl_gelu_backward_f32(const float *x, const float *dy, float *dx, long n);
void gl_gelu_backward_f64(const double *x, const double *dy, double *dx, long n);

/// y = x σ(x): SiLU.
void gl_silu_f32(const float *x, float *y, long n);
void gl_silu_f64(const double *x, double *y, long n);

/// dx = dy · σ(x)(1 + x(1 − σ(x))).
void gl_silu_backward_f32(const float *x, const float *dy, float *dx, long n);
void gl_silu_backward_f64(const double *x, const double *dy, double *dx, long n);

/// y = βx > threshold ? x : log(1 + e^{βx}) / β.
void gl_softplus_f32(const float *x, float *y, long n, float beta, float threshold);
void gl_softplus_f64(const double *x, double *y, long n, double beta, double threshold);

/// dx = dy · (βx > threshold ? 1 : σ(βx)).
void gl_softplus_backward_f32(const float *x, const float *dy, float *dx, long n, float beta, float threshold);
void gl_softplus_backward_f64(const double *x, const double *dy, double *dx, long n, double beta, double threshold);

/// Row-wise log-softmax and softmax of z ([rows, cols], row-major), for the cross-entropy loss:
/// logp = (z − m) − log Σ e^{z − m} and p = e^{z − m} / Σ e^{z − m}, m the row's maximum.
void gl_log_softmax_rows_f32(const float *z, float *logp, float *p, long rows, long cols);
void gl_log_softmax_rows_f64(const double *z, double *logp, double *p, long rows, long cols);

#endif
