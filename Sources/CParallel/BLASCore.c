// The OpenBLAS kernel set a product runs on: see CParallel.h, gradlab_blas_choose_core.
//
// OpenBLAS built with DYNAMIC_ARCH (Debian's libopenblas0) picks its kernels from the processor's family and
// model number when the library loads, and "for cpu generations not included in this list, the
// corresponding older model is used" (its README, "Support for multiple targets in a single library"). For
// a model newer than the library that can be Prescott, the SSE3 kernels: Debian bookworm's 0.3.21 does so
// on an Intel Xeon of family 6, model 207, where a 512×512 sgemm on one thread then runs at 31 GFLOP/s
// against 108 with the SkylakeX kernels (measured here, best of 10), the core numpy's own OpenBLAS 0.3.31
// chooses on that machine. The selection honours the
// OPENBLAS_CORETYPE environment variable, and the library exports gotoblas_dynamic_quit and
// gotoblas_dynamic_init, which drop and redo it. All three entry points are looked up with dlsym, so a
// BLAS without them (built for a single target, or another library) is left as it is.
#include "CParallel.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/// OpenBLAS's x86-64 cores whose single-precision and double-precision products use AVX2 and FMA or wider.
static const char *const wide_cores[] = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator"};

const char *gradlab_blas_choose_core(const char *current, int has_avx2_fma, int has_avx512) {
    if (current == NULL || !has_avx2_fma) return NULL;
    for (size_t i = 0; i < sizeof wide_cores / sizeof wide_cores[0]; i++) {
        if (strcasecmp(current, wide_cores[i]) == 0) return NULL;
    }
    return has_avx512 ? "SkylakeX" : "Haswell";
}

void gradlab_processor_features(int *has_avx2_fma, int *has_avx512) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    *has_avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // SkylakeX's kernels use the F, CD, BW, DQ and VL subsets.
    *has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl");
#else
    *has_avx2_fma = 0;
    *has_avx512 = 0;
#endif
}

static char fallback_core[32];

const char *gradlab_blas_select_core(void) {
    fallback_core[0] = 0;
    if (getenv("OPENBLAS_CORETYPE") != NULL) return NULL;  // the user's choice stands
    char *(*corename)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (corename == NULL || quit == NULL || init == NULL) return NULL;
    int has_avx2_fma = 0, has_avx512 = 0;
    gradlab_processor_features(&has_avx2_fma, &has_avx512);
    const char *current = corename();
    const char *chosen = gradlab_blas_choose_core(current, has_avx2_fma, has_avx512);
    if (chosen == NULL) return NULL;
    strncpy(fallback_core, current, sizeof fallback_core - 1);
    fallback_core[sizeof fallback_core - 1] = 0;
    setenv("OPENBLAS_CORETYPE", chosen, 1);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");  // not passed on to the programs GradLab starts
    return fallback_core;
}
