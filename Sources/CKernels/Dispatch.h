// What every CKernels source file shares (not part of the public header).
//
// GL_DISPATCH compiles a loop three times on x86-64 (AVX-512F, AVX2, baseline) and lets the loader pick
// the widest the processor has (target_clones, an ifunc); elsewhere (arm64) it compiles once for the
// target's own vectors.
#ifndef GRADLAB_CKERNELS_DISPATCH_H
#define GRADLAB_CKERNELS_DISPATCH_H

#if defined(__x86_64__)
#define GL_DISPATCH __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GL_DISPATCH
#endif

#endif
