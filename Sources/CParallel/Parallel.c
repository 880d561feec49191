// The helper-thread pool behind CParallel.h.
//
// A job is one 64-bit word, `job`: its generation (bits 16–63), its part count (bits 8–15) and the next
// part to claim (bits 0–7). The caller writes the task and context, resets `done`, then stores a word of a
// new generation (release). Every participant, the caller included, claims parts by compare-and-swap on
// that word and runs them; the caller then waits until `done` counts every part. So a helper that is
// late (descheduled, or still asleep) costs nothing: the caller runs the parts nobody claimed, and waits
// only for parts a running helper has taken. A stale helper cannot claim a part of a finished job (its
// word has no part left), and it reads the task only after a claim succeeds, while the job is running
// and its fields cannot change.
//
// Idle helpers spin on `job` for SPIN_ROUNDS pauses (a few hundred microseconds, longer than the gaps
// between the products of a training step), then sleep on a condition variable; the caller signals it
// only when some helper sleeps.
#include "CParallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void relax(void) { __asm__ __volatile__("yield"); }
#else
static inline void relax(void) {}
#endif

enum { MAX_THREADS = 64, SPIN_ROUNDS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  // guards sleeping, stopping and the helper set
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t helpers[MAX_THREADS];
static int helper_count = 0;               // helpers running: threads − 1
static int sleeping = 0;                   // helpers waiting on `wake`
static bool stopping = false;

static _Atomic uint64_t job = 0;           // generation << 16 | parts << 8 | next part
static atomic_int done = 0;                // parts of the current job finished
static atomic_bool busy = false;           // a job is running, or the helpers are changing
static gradlab_parallel_task job_task;
static void *job_context;

static inline uint64_t generation_of(uint64_t word) { return word >> 16; }

/// Claims and runs parts of the job of generation `generation` until none is left.
static void take_parts(uint64_t generation) {
    uint64_t word = atomic_load_explicit(&job, memory_order_acquire);
    for (;;) {
        int parts = (int)((word >> 8) & 0xFF), next = (int)(word & 0xFF);
        if (generation_of(word) != generation || next >= parts) return;
        if (!atomic_compare_exchange_weak_explicit(&job, &word, word + 1, memory_order_acq_rel,
                                                   memory_order_acquire)) continue;
        job_task(job_context, next, parts);
        atomic_fetch_add_explicit(&done, 1, memory_order_release);
        word = atomic_load_explicit(&job, memory_order_acquire);
    }
}

static void *helper_main(void *argument) {
    (void)argument;
    uint64_t seen = generation_of(atomic_load_explicit(&job, memory_order_acquire));
    for (;;) {
        uint64_t now = seen;
        for (int spin = 0; spin < SPIN_ROUNDS && now == seen; spin++) {
            now = generation_of(atomic_load_explicit(&job, memory_order_acquire));
            if (now == seen) relax();
        }
        if (now == seen) {
            pthread_mutex_lock(&lock);
            sleeping++;
            while ((now = generation_of(atomic_load_explicit(&job, memory_order_acquire))) == seen && !stopping) {
                pthread_cond_wait(&wake, &lock);
            }
            sleeping--;
            bool stop = stopping;
            pthread_mutex_unlock(&lock);
            if (stop) return NULL;
        }
        seen = now;
        take_parts(now);
    }
}

static void stop_helpers(void) {
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < helper_count; i++) pthread_join(helpers[i], NULL);
    helper_count = 0;
    stopping = false;
}

void gradlab_parallel_set_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    bool expected = false;
    // Waits for a running job to finish, and keeps new ones out while the helpers change.
    while (!atomic_compare_exchange_weak(&busy, &expected, true)) { expected = false; relax(); }
    if (threads - 1 != helper_count) {
        stop_helpers();
        for (int i = 0; i < threads - 1; i++) {
            if (pthread_create(&helpers[i], NULL, helper_main, NULL) != 0) break;
            helper_count = i + 1;
        }
    }
    atomic_store(&busy, false);
}

int gradlab_parallel_threads(void) { return helper_count + 1; }

void gradlab_parallel_run(gradlab_parallel_task task, void *context, int requested) {
    int parts = requested < helper_count + 1 ? requested : helper_count + 1;
    bool expected = false;
    if (parts <= 1 || !atomic_compare_exchange_strong(&busy, &expected, true)) {
        task(context, 0, 1);  // the whole job as one part, on this thread
        return;
    }
    job_task = task;
    job_context = context;
    atomic_store_explicit(&done, 0, memory_order_relaxed);
    uint64_t generation = generation_of(atomic_load_explicit(&job, memory_order_relaxed)) + 1;
    atomic_store_explicit(&job, generation << 16 | (uint64_t)parts << 8, memory_order_release);
    pthread_mutex_lock(&lock);
    if (sleeping > 0) pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    take_parts(generation);
    while (atomic_load_explicit(&done, memory_order_acquire) < parts) relax();
    atomic_store_explicit(&busy, false, memory_order_release);
}
