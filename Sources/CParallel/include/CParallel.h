// A small pool of helper threads for GradLab's matrix products: one job at a time, split in parts, the
// calling thread doing part 0. Dispatch allocates nothing; idle helpers spin briefly, then sleep.
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

#endif
