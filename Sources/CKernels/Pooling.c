// Max pooling over 2 × 2 windows at stride 2 without padding, Float and Double: the most common pooling,
// in C so that the choice is made with selects (a compare mask and a blend) rather than branches, which
// random data mispredicts. Written once as a macro over the element type.

#include "CKernels.h"
#include "Dispatch.h"

// Each window takes its first element, then each later one (top right, bottom left, bottom right) that is
// greater or NaN, as torch does; `winners` gets the index in the window, 0…3.
#define GL_DEFINE_MAX_POOL_2X2(NAME, T)                                                               \
    GL_DISPATCH void NAME(const T *x, long images, long height, long width, long outHeight, long outWidth, \
                          T *y, int *winners) {                                                       \
        for (long image = 0; image < images; image++) {                                               \
            const T *plane = x + image * height * width;                                              \
            long out = image * outHeight * outWidth;                                                  \
            for (long oy = 0; oy < outHeight; oy++) {                                                 \
                const T *top = plane + 2 * oy * width, *bottom = top + width;                         \
                T *yr = y + out + oy * outWidth;                                                      \
                int *wr = winners + out + oy * outWidth;                                              \
                for (long ox = 0; ox < outWidth; ox++) {                                              \
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

GL_DEFINE_MAX_POOL_2X2(gl_max_pool_2x2_f32, float)
GL_DEFINE_MAX_POOL_2X2(gl_max_pool_2x2_f64, double)
