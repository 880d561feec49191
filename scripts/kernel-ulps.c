// The Float kernels of Sources/CKernels against Double's libm over every one of the 2^32 Float inputs (or
// every STRIDE-th): the largest error in ulps per kernel, and how many inputs miss a special value (NaN for
// NaN, an infinity where the rounded reference is one). An error at most FLT_MIN in absolute value is not
// counted in ulps; gelu' and silu' count in ulps of the larger of their two terms (they cross zero).
//
//   clang -O2 -I Sources/CKernels/include scripts/kernel-ulps.c Sources/CKernels/Kernels.c -lm -o /tmp/kernel-ulps
//   /tmp/kernel-ulps [STRIDE] [KERNEL]
#include "CKernels.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double selu_alpha = 1.6732632423543772848170429916717, selu_scale = 1.0507009873554804934193349852946;

static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
static double cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
static double pdf(double x) { return exp(-0.5 * x * x) / sqrt(2 * M_PI); }

// Reference value and the scale its error is measured against (0: the value itself).
static double reference(const char *kernel, double x, double *scale) {
    *scale = 0;
    float fa = (float)selu_alpha, fs = (float)selu_scale;
    if (!strcmp(kernel, "exp")) return exp(x);
    if (!strcmp(kernel, "tanh")) return tanh(x);
    if (!strcmp(kernel, "sigmoid")) return sigmoid(x);
    if (!strcmp(kernel, "elu")) return x > 0 ? x : expm1(x);
    if (!strcmp(kernel, "elu'")) return x > 0 ? 1 : exp(x);
    if (!strcmp(kernel, "selu")) return (double)fs * (x > 0 ? x : (double)fa * expm1(x));
    if (!strcmp(kernel, "selu'")) return x > 0 ? (double)fs : (double)(float)(selu_scale * selu_alpha) * exp(x);
    if (!strcmp(kernel, "gelu")) return isinf(x) ? (x > 0 ? x : 0) : x * cdf(x);
    if (!strcmp(kernel, "gelu'")) {
        if (isinf(x)) return x > 0 ? 1 : 0;
        *scale = fmax(cdf(x), fabs(x * pdf(x)));
        return cdf(x) + x * pdf(x);
    }
    if (!strcmp(kernel, "silu")) return isinf(x) ? (x > 0 ? x : 0) : x * sigmoid(x);
    if (!strcmp(kernel, "silu'")) {
        if (isinf(x)) return x > 0 ? 1 : 0;
        double s = sigmoid(x), t = x * s * sigmoid(-x);
        *scale = fmax(s, fabs(t));
        return s + t;
    }
    if (!strcmp(kernel, "softplus")) return x > 20 ? x : (x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)));
    if (!strcmp(kernel, "softplus'")) return x > 20 ? 1 : sigmoid(x);
    fprintf(stderr, "unknown kernel %s\n", kernel);
    exit(2);
}

static void run(const char *kernel, const float *x, float *y, long n) {
    static float ones[1 << 20];
    if (ones[0] != 1) for (long i = 0; i < (1 << 20); i++) ones[i] = 1;
    if (!strcmp(kernel, "exp")) gl_exp_f32(x, y, n);
    else if (!strcmp(kernel, "tanh")) gl_tanh_f32(x, y, n);
    else if (!strcmp(kernel, "sigmoid")) gl_sigmoid_f32(x, y, n);
    else if (!strcmp(kernel, "elu")) gl_elu_f32(x, y, n, 1, 1);
    else if (!strcmp(kernel, "elu'")) gl_elu_backward_f32(x, ones, y, n, 1, 1);
    else if (!strcmp(kernel, "selu")) gl_elu_f32(x, y, n, (float)selu_alpha, (float)selu_scale);
    else if (!strcmp(kernel, "selu'")) gl_elu_backward_f32(x, ones, y, n, (float)selu_scale, (float)(selu_scale * selu_alpha));
    else if (!strcmp(kernel, "gelu")) gl_gelu_f32(x, y, n);
    else if (!strcmp(kernel, "gelu'")) gl_gelu_backward_f32(x, ones, y, n);
    else if (!strcmp(kernel, "silu")) gl_silu_f32(x, y, n);
    else if (!strcmp(kernel, "silu'")) gl_silu_backward_f32(x, ones, y, n);
    else if (!strcmp(kernel, "softplus")) gl_softplus_f32(x, y, n, 1, 20);
    else if (!strcmp(kernel, "softplus'")) gl_softplus_backward_f32(x, ones, y, n, 1, 20);
}

// One ulp of Float at the magnitude of v (a double), 2^-149 in the subnormals.
static double ulp(double v) {
    int e;
    frexp(fabs(v), &e);
    return ldexp(1.0, (e - 24) < -149 ? -149 : e - 24);
}

int main(int argc, char **argv) {
    long stride = argc > 1 ? atol(argv[1]) : 1;
    const char *all[] = {"exp", "tanh", "sigmoid", "elu", "elu'", "selu", "selu'", "gelu", "gelu'",
                         "silu", "silu'", "softplus", "softplus'"};
    int count = sizeof all / sizeof *all;
    static float x[1 << 20], y[1 << 20];
    for (int k = 0; k < count; k++) {
        if (argc > 2 && strcmp(argv[2], all[k])) continue;
        double worst = 0, worstX = 0;
        long misses = 0, checked = 0;
        uint64_t bits = 0;
        while (bits < (1ull << 32)) {
            long n = 0;
            for (; n < (1 << 20) && bits < (1ull << 32); n++, bits += (uint64_t)stride) {
                uint32_t b = (uint32_t)bits;
                memcpy(&x[n], &b, 4);
            }
            run(all[k], x, y, n);
            for (long i = 0; i < n; i++) {
                double scale, r = reference(all[k], x[i], &scale);
                checked++;
                if (isnan(r) || isnan(y[i])) { misses += isnan(r) != isnan(y[i]); continue; }
                float rounded = (float)r;
                if (isinf(rounded) || isinf(y[i])) { misses += rounded != y[i]; continue; }
                double error = fabs((double)y[i] - r);
                if (error <= FLT_MIN) continue;
                double ulps = error / ulp(fmax(fabs(r), scale));
                if (ulps > worst) { worst = ulps; worstX = x[i]; }
            }
        }
        printf("%-10s max %.3f ulp at x = %.9g   special-value misses %ld   inputs %ld\n", all[k], worst, worstX, misses, checked);
        fflush(stdout);
    }
    return 0;
}
