// Max pooling over 2 × 2 windows at stride 2 without padding, Float and Double: the most common pooling,
// in C so that the choice is made with selects (a compare mask and a blend) rather than branches, which
// random data mispredicts. The windows of a row are taken a block at a time in vectors (clang's
// ext_vector_type, lowered to the clone's instruction set by GL_DISPATCH): a block of N windows loads 2·N
// elements of the top and of the bottom row and splits each into its even and odd elements, which are the
// windows' left and right columns. The rest of the row is taken one window at a time, by the same rule.

#include "CKernels.h"
#include "Dispatch.h"

typedef float gl_f32x16 __attribute__((ext_vector_type(16)));
typedef float gl_f32x8 __attribute__((ext_vector_type(8)));
typedef float gl_f32x4 __attribute__((ext_vector_type(4)));
typedef int gl_i32x8 __attribute__((ext_vector_type(8)));
typedef int gl_i32x4 __attribute__((ext_vector_type(4)));
typedef double gl_f64x8 __attribute__((ext_vector_type(8)));
typedef double gl_f64x4 __attribute__((ext_vector_type(4)));
typedef long gl_i64x4 __attribute__((ext_vector_type(4)));

// One step of the rule on a block: `take` is all ones in the lanes where v is greater than best or NaN
// (a comparison of ext vectors gives -1 or 0 per lane), and those lanes take v and the window index K.
#define GL_POOL_TAKE(V, K, MASK)                                                                     \
    do {                                                                                             \
        MASK take = (V > best) | (V != V);                                                           \
        best = (__typeof__(best))((take & (MASK)V) | (~take & (MASK)best));                       \
        winner = (take & (MASK)(K)) | (~take & winner);                                              \
    } while (0)

// N windows starting at window `ox` of the row: WIDE holds 2·N elements, HALF N, MASK N lanes of the
// element's width, INTS N int lanes for the window indices.
#define GL_POOL_BLOCK(N, WIDE, HALF, MASK, INTS, EVENS, ODDS)                                     \
    for (; ox + N <= outWidth; ox += N) {                                                            \
        WIDE a, b;                                                                                   \
        __builtin_memcpy(&a, top + 2 * ox, sizeof a);                                                \
        __builtin_memcpy(&b, bottom + 2 * ox, sizeof b);                                             \
        HALF best = __builtin_shufflevector(a, a, EVENS);                                            \
        MASK winner = (MASK)(0);                                                                     \
        HALF v = __builtin_shufflevector(a, a, ODDS);                                                \
        GL_POOL_TAKE(v, 1, MASK);                                                                    \
        v = __builtin_shufflevector(b, b, EVENS);                                                    \
        GL_POOL_TAKE(v, 2, MASK);                                                                    \
        v = __builtin_shufflevector(b, b, ODDS);                                                     \
        GL_POOL_TAKE(v, 3, MASK);                                                                    \
        INTS index = __builtin_convertvector(winner, INTS);                                          \
        __builtin_memcpy(yr + ox, &best, sizeof best);                                               \
        __builtin_memcpy(wr + ox, &index, sizeof index);                                             \
    }

// Each window takes its first element, then each later one (top right, bottom left, bottom right) that is
// greater or NaN, as torch does; `winners` gets the index in the window, 0…3.
#define GL_DEFINE_MAX_POOL_2X2(NAME, T, BLOCKS)                                                      \
    GL_DISPATCH void NAME(const T *x, long images, long height, long width, long outHeight, long outWidth, \
                          T *y, int *winners) {                                                       \
        for (long image = 0; image < images; image++) {                                               \
            const T *plane = x + image * height * width;                                              \
            long out = image * outHeight * outWidth;                                                  \
            for (long oy = 0; oy < outHeight; oy++) {                                                 \
                const T *top = plane + 2 * oy * width, *bottom = top + width;                         \
                T *yr = y + out + oy * outWidth;                                                      \
                int *wr = winners + out + oy * outWidth;                                              \
                long ox = 0;                                                                          \
                BLOCKS                                                                                \
                for (; ox < outWidth; ox++) {                                                         \
                    T best = top[2 * ox], v;                                                          \
                    int winner = 0, take;                                                             \
                    v = top[2 * ox + 1]; take = (v > best) | (v != v);                               \
                    best = take ? v : best; winner = take ? 1 : winner;                               \
                    v = bottom[2 * ox]; take = (v > best) | (v != v);                                 \
                    best = take ? v : best; winner = take ? 2 : winner;                               \
                    v = bottom[2 * ox + 1]; take = (v > best) | (v != v);                             \
                    best = take ? v : best; winner = take ? 3 : winner;                               \
                    yr[ox] = best;                                                                    \
                    wr[ox] = winner;                                                                  \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

#define GL_EVENS8 0, 2, 4, 6, 8, 10, 12, 14
#define GL_ODDS8 1, 3, 5, 7, 9, 11, 13, 15
#define GL_EVENS4 0, 2, 4, 6
#define GL_ODDS4 1, 3, 5, 7

GL_DEFINE_MAX_POOL_2X2(gl_max_pool_2x2_f32, float,
    GL_POOL_BLOCK(8, gl_f32x16, gl_f32x8, gl_i32x8, gl_i32x8, GL_EVENS8, GL_ODDS8)
    GL_POOL_BLOCK(4, gl_f32x8, gl_f32x4, gl_i32x4, gl_i32x4, GL_EVENS4, GL_ODDS4))
GL_DEFINE_MAX_POOL_2X2(gl_max_pool_2x2_f64, double,
    GL_POOL_BLOCK(4, gl_f64x8, gl_f64x4, gl_i64x4, gl_i32x4, GL_EVENS4, GL_ODDS4))
