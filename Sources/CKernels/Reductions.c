// The recorder's one-pass reductions over Float and Double buffers, at the machine's vector width.
//
// Each reduction keeps 16 independent lanes (one AVX-512 vector of Float, two of Double; two and four at
// AVX2) in the buffer's own precision over blocks of 512 values (32 per lane), and adds each block's lanes
// into Double. Lanes are independent sums, so the compiler vectorises the loop without reassociating
// anything: every clone (target_clones, as in Kernels.c) returns the same bits. For Float the relative error
// of a sum is then at most about 32·2⁻²⁴ ≈ 2e-6, far below what a diagnostic needs to tell; for Double it is
// at the level of the last bits. A NaN or ±∞ makes the sums non-finite, and the caller recounts exactly.
//
// The two reductions are written once, as macros over the element type, and expanded for f32 and f64.

#include "CKernels.h"
#include "Dispatch.h"

#pragma clang fp contract(off)


#define GL_LANES 16
#define GL_REDUCTION_BLOCK 512

// Σx, Σx², max |x| and #{x = 0}. ZERO_T is the integer type as wide as T, so the zero count is one more
// vector lane operation.
#define GL_DEFINE_SUMS(NAME, T, ZERO_T, ABS)                                                          \
    GL_DISPATCH gl_buffer_sums NAME(const T *x, long n) {                                             \
        gl_buffer_sums r = {0.0, 0.0, 0.0, 0};                                                        \
        if (n <= 0) return r;                                                                         \
        T maxAbs = 0;                                                                                 \
        long i = 0, vectorEnd = n - n % GL_LANES;                                                     \
        while (i < vectorEnd) {                                                                       \
            long end = vectorEnd - i > GL_REDUCTION_BLOCK ? i + GL_REDUCTION_BLOCK : vectorEnd;       \
            T sum[GL_LANES] = {0}, squares[GL_LANES] = {0}, magnitude[GL_LANES] = {0};                \
            ZERO_T zeros[GL_LANES] = {0};                                                             \
            for (; i < end; i += GL_LANES) {                                                          \
                for (int j = 0; j < GL_LANES; j++) {                                                  \
                    T v = x[i + j], a = ABS(v);                                                       \
                    sum[j] += v;                                                                      \
                    squares[j] += v * v;                                                              \
                    magnitude[j] = a > magnitude[j] ? a : magnitude[j];                               \
                    zeros[j] += (ZERO_T)(v == 0);                                                     \
                }                                                                                     \
            }                                                                                         \
            for (int j = 0; j < GL_LANES; j++) {                                                      \
                r.sum += (double)sum[j];                                                              \
                r.squares += (double)squares[j];                                                      \
                maxAbs = magnitude[j] > maxAbs ? magnitude[j] : maxAbs;                               \
                r.zeros += (long)zeros[j];                                                            \
            }                                                                                         \
        }                                                                                             \
        for (; i < n; i++) {                                                                          \
            T v = x[i], a = ABS(v);                                                                   \
            r.sum += (double)v;                                                                       \
            r.squares += (double)v * (double)v;                                                       \
            maxAbs = a > maxAbs ? a : maxAbs;                                                         \
            r.zeros += v == 0;                                                                        \
        }                                                                                             \
        r.maxAbs = (double)maxAbs;                                                                    \
        return r;                                                                                     \
    }

GL_DEFINE_SUMS(gl_buffer_sums_f32, float, int, __builtin_fabsf)
GL_DEFINE_SUMS(gl_buffer_sums_f64, double, long long, __builtin_fabs)

// Σx, Σx², min, max and the count outside the band: beyond (low, high) when `inclusive` is 0, at or
// beyond its ends otherwise. The band test is chosen once, outside the loop.
#define GL_OUTSIDE(v, low, high, inclusive)                                                           \
    ((inclusive) ? ((v) <= (low)) | ((v) >= (high)) : ((v) < (low)) | ((v) > (high)))
// One block's lanes, with the band test's `inclusive` a constant, so that each expansion is its own loop.
#define GL_ACTIVATION_BLOCK(T, COUNT_T, INCLUSIVE)                                                    \
    for (; i < end; i += GL_LANES) {                                                                  \
        for (int j = 0; j < GL_LANES; j++) {                                                          \
            T v = x[i + j];                                                                           \
            sum[j] += v;                                                                              \
            squares[j] += v * v;                                                                      \
            minimum[j] = v < minimum[j] ? v : minimum[j];                                             \
            maximum[j] = v > maximum[j] ? v : maximum[j];                                             \
            outside[j] += (COUNT_T)GL_OUTSIDE(v, low, high, INCLUSIVE);                               \
        }                                                                                             \
    }
#define GL_DEFINE_ACTIVATION_SUMS(NAME, T, COUNT_T)                                                   \
    GL_DISPATCH gl_activation_sums NAME(const T *x, long n, T low, T high, int inclusive) {           \
        gl_activation_sums r = {0.0, 0.0, __builtin_nan(""), __builtin_nan(""), 0};                   \
        if (n <= 0) return r;                                                                         \
        T lowest = x[0], highest = x[0];                                                              \
        long i = 0, vectorEnd = n - n % GL_LANES;                                                     \
        while (i < vectorEnd) {                                                                       \
            long end = vectorEnd - i > GL_REDUCTION_BLOCK ? i + GL_REDUCTION_BLOCK : vectorEnd;       \
            T sum[GL_LANES] = {0}, squares[GL_LANES] = {0}, minimum[GL_LANES], maximum[GL_LANES];     \
            COUNT_T outside[GL_LANES] = {0};                                                          \
            for (int j = 0; j < GL_LANES; j++) { minimum[j] = x[i]; maximum[j] = x[i]; }              \
            if (inclusive) {                                                                          \
                GL_ACTIVATION_BLOCK(T, COUNT_T, 1)                                                    \
            } else {                                                                                  \
                GL_ACTIVATION_BLOCK(T, COUNT_T, 0)                                                    \
            }                                                                                         \
            for (int j = 0; j < GL_LANES; j++) {                                                      \
                r.sum += (double)sum[j];                                                              \
                r.squares += (double)squares[j];                                                      \
                lowest = minimum[j] < lowest ? minimum[j] : lowest;                                   \
                highest = maximum[j] > highest ? maximum[j] : highest;                                \
                r.outside += (long)outside[j];                                                        \
            }                                                                                         \
        }                                                                                             \
        for (; i < n; i++) {                                                                          \
            T v = x[i];                                                                               \
            r.sum += (double)v;                                                                       \
            r.squares += (double)v * (double)v;                                                       \
            lowest = v < lowest ? v : lowest;                                                         \
            highest = v > highest ? v : highest;                                                      \
            r.outside += GL_OUTSIDE(v, low, high, inclusive);                                         \
        }                                                                                             \
        r.min = (double)lowest;                                                                       \
        r.max = (double)highest;                                                                      \
        return r;                                                                                     \
    }

GL_DEFINE_ACTIVATION_SUMS(gl_activation_sums_f32, float, int)
GL_DEFINE_ACTIVATION_SUMS(gl_activation_sums_f64, double, long long)

// Applies one block of an optimizer's update and measures it: theta[i] ← next[i], adding (next − theta)²
// (the difference taken in T, as the tensor's own type computes it) and next² into sixteen lanes each.
// The lanes are ACC (Float's own precision for Float over at most GL_REDUCTION_BLOCK values, as in
// gl_buffer_sums; Double for Double), added lane by lane into the caller's Double lanes, lanes[0…15] for
// the change and lanes[16…31] for the value, once per GL_REDUCTION_BLOCK values: the caller keeps them
// over the blocks of a tensor and sums them once, so no serial sum is paid per block.
#define GL_DEFINE_APPLY_UPDATE(NAME, T, ACC)                                                          \
    GL_DISPATCH void NAME(T *restrict theta, const T *restrict next, long n, double *restrict lanes) {  \
        long i = 0;                                                                                   \
        while (i < n) {                                                                               \
            long end = n - i > GL_REDUCTION_BLOCK ? i + GL_REDUCTION_BLOCK : n;                       \
            ACC changes[GL_LANES] = {0}, values[GL_LANES] = {0};                                      \
            for (; i + GL_LANES <= end; i += GL_LANES) {                                              \
                for (int j = 0; j < GL_LANES; j++) {                                                  \
                    T after = next[i + j];                                                            \
                    ACC change = (ACC)(T)(after - theta[i + j]), value = (ACC)after;                  \
                    changes[j] += change * change;                                                    \
                    values[j] += value * value;                                                       \
                    theta[i + j] = after;                                                             \
                }                                                                                     \
            }                                                                                         \
            for (int j = 0; i < end; i++, j++) {                                                      \
                T after = next[i];                                                                    \
                ACC change = (ACC)(T)(after - theta[i]), value = (ACC)after;                          \
                changes[j] += change * change;                                                        \
                values[j] += value * value;                                                           \
                theta[i] = after;                                                                     \
            }                                                                                         \
            for (int j = 0; j < GL_LANES; j++) {                                                      \
                lanes[j] += (double)changes[j];                                                       \
                lanes[GL_LANES + j] += (double)values[j];                                             \
            }                                                                                         \
        }                                                                                             \
    }

GL_DEFINE_APPLY_UPDATE(gl_apply_update_f32, float, float)
GL_DEFINE_APPLY_UPDATE(gl_apply_update_f64, double, double)
