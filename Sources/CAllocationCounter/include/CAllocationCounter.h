// Counts heap allocations in the benchmark process: this target defines malloc and its relatives, which
// take precedence over glibc's for the whole process (Swift runtime, OpenBLAS and all), count the call
// and forward to glibc's own implementation.
#ifndef GRADLAB_CALLOCATIONCOUNTER_H
#define GRADLAB_CALLOCATIONCOUNTER_H

#include <stdint.h>

/// The number of malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign calls so far.
uint64_t gradlab_allocation_count(void);

#endif
