// A small pool of helper threads for GradLab's matrix products: one job at a time, split in parts, the
// calling thread doing part 0. Dispatch allocates nothing; idle helpers spin briefly, then sleep. And the
// choice of OpenBLAS's kernels where its own choice leaves the processor's vector units unused (BLASCore.c).
#ifndef GRADLAB_CPARALLEL_H
#define GRADLAB_CPARALLEL_H

/// One part of a job: `part` in 0..<parts.
typedef void (*gradlab_parallel_task)(void *context, int part, int parts);

/// Sets the number of threads a job may use, the caller included (1 stops every helper). At most 64.
void gradlab_parallel_set_threads(int threads);

/// The number of threads a job may use, the caller included.
int gradlab_parallel_threads(void);

/// Runs task(context, p, parts) for every p in 0..<parts and returns when all have finished, with
/// parts = min(requested, threads). The caller runs part 0. A call made while another job is running
/// (from another thread, or from inside a task) runs as one part, task(context, 0, 1), on the calling thread.
void gradlab_parallel_run(gradlab_parallel_task task, void *context, int requested);

/// The OpenBLAS core that `gradlab_blas_select_core` switches to, or NULL to keep `current`: a core with
/// AVX2 and FMA kernels ("SkylakeX" when the processor has AVX-512 F, CD, BW, DQ and VL, else "Haswell")
/// when OpenBLAS chose one without them (its fallback for a processor it does not know) on a processor that
/// has AVX2 and FMA. A core OpenBLAS chose with wide kernels is kept.
const char *gradlab_blas_choose_core(const char *current, int has_avx2_fma, int has_avx512);

/// What this processor and its operating system support, as the compiler's runtime reads it (CPUID and
/// XGETBV: a feature whose registers the OS does not save reads as absent): AVX2 with FMA, and AVX-512 F,
/// CD, BW, DQ and VL. Both 0 off x86-64.
void gradlab_processor_features(int *has_avx2_fma, int *has_avx512);

/// Switches a DYNAMIC_ARCH OpenBLAS to the core `gradlab_blas_choose_core` names for this processor, unless
/// OPENBLAS_CORETYPE is set. Returns the core OpenBLAS had chosen when it switched, else NULL. Call it
/// before the first product, with no product running.
const char *gradlab_blas_select_core(void);

#endif
