/* Threads over contiguous chunks of rows, for one evaluation (DESIGN §5) or
 * one scan of X for NaN/Inf (gdi_data_validate_threads, src/core/data.c).
 *
 * Threads are started per call and joined before it returns: a gd_model has
 * no life cycle in which a pool could be made and destroyed, and the library
 * keeps no global state. Starting and joining one thread costs ~10 µs here,
 * so a thread is only started for GDI_THREAD_MIN_WORK multiply-adds or more.
 * The partition depends on (n_rows, n_chunks) alone and each chunk is summed
 * in row order, so for a given thread count the result is the same bits from
 * call to call, whichever threads actually ran. */
#define _POSIX_C_SOURCE 200809L

#include "core/internal.h"
#include "core/threads.h"

#ifdef GDLEARN_HAVE_PTHREAD
#include <pthread.h>
#include <unistd.h>
#endif

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Threads the work justifies: one per GDI_THREAD_MIN_WORK multiply-adds and
 * GDI_THREAD_MIN_ROWS rows, at least 1. */
static size_t threads_for_work(size_t n_rows, size_t row_work)
{
    size_t total;
    if (!gdi_mul_size(n_rows, row_work == 0 ? 1 : row_work, &total)) {
        total = SIZE_MAX;
    }
    size_t threads = total / GDI_THREAD_MIN_WORK;
    threads = min_size(threads, n_rows / GDI_THREAD_MIN_ROWS);
    return threads == 0 ? 1 : threads;
}

static size_t cpus_online(void)
{
#ifdef GDLEARN_HAVE_PTHREAD
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus >= 1 ? (size_t)cpus : 1;
#else
    return 1;
#endif
}

size_t gdi_threads_bound(unsigned requested, size_t n_rows, size_t row_work)
{
#ifdef GDLEARN_HAVE_PTHREAD
    const size_t cap = requested == 0 ? GDI_DEFAULT_THREADS_MAX
                                      : min_size((size_t)requested, GDI_MAX_THREADS);
    return min_size(cap, threads_for_work(n_rows, row_work));
#else
    (void)requested;
    (void)n_rows;
    (void)row_work;
    return 1;
#endif
}

size_t gdi_threads_for(unsigned requested, size_t n_rows, size_t row_work)
{
    size_t threads = gdi_threads_bound(requested, n_rows, row_work);
    /* glibc's sysconf reads /sys on every call: ask only when it can matter
     * (a small problem runs on one thread whatever the CPU count). */
    if (requested == 0 && threads > 1) {
        threads = min_size(threads, cpus_online());
    }
    return threads;
}

typedef struct chunk_job {
    gdi_chunk_fn fn;
    void *task;
    size_t chunk;
    size_t row_begin;
    size_t row_end;
    gd_status status;
} chunk_job;

static void chunk_bounds(size_t n_rows, size_t n_chunks, size_t chunk, size_t *begin,
                         size_t *end)
{
    const size_t base = n_rows / n_chunks;
    const size_t extra = n_rows % n_chunks;
    *begin = chunk * base + min_size(chunk, extra);
    *end = *begin + base + (chunk < extra ? 1 : 0);
}

static void run_job(chunk_job *job)
{
    job->status = job->fn(job->task, job->chunk, job->row_begin, job->row_end);
}

#ifdef GDLEARN_HAVE_PTHREAD
static void *thread_main(void *arg)
{
    run_job(arg);
    return NULL;
}
#endif

/* Chunks handled per call; more are run in rounds of this many threads. */
#define CHUNKS_PER_ROUND ((size_t)64)

gd_status gdi_run_chunks(size_t n_chunks, size_t n_rows, gdi_chunk_fn fn, void *task)
{
    if (n_chunks <= 1) {
        return fn(task, 0, 0, n_rows);
    }
    gd_status first_failure = GD_OK;
    /* Bounded stack use whatever n_chunks: rounds of CHUNKS_PER_ROUND. */
    for (size_t round = 0; round < n_chunks; round += CHUNKS_PER_ROUND) {
        chunk_job jobs[CHUNKS_PER_ROUND];
        const size_t count = min_size(CHUNKS_PER_ROUND, n_chunks - round);
        for (size_t c = 0; c < count; ++c) {
            jobs[c].fn = fn;
            jobs[c].task = task;
            jobs[c].chunk = round + c;
            chunk_bounds(n_rows, n_chunks, round + c, &jobs[c].row_begin, &jobs[c].row_end);
            jobs[c].status = GD_OK;
        }
#ifdef GDLEARN_HAVE_PTHREAD
        pthread_t threads[CHUNKS_PER_ROUND];
        int started[CHUNKS_PER_ROUND];
        for (size_t c = 1; c < count; ++c) {
            started[c] = pthread_create(&threads[c], NULL, thread_main, &jobs[c]) == 0;
        }
        run_job(&jobs[0]);
        for (size_t c = 1; c < count; ++c) {
            if (started[c]) {
                (void)pthread_join(threads[c], NULL);
            } else {
                run_job(&jobs[c]); /* could not start a thread: same chunk, here */
            }
        }
#else
        for (size_t c = 0; c < count; ++c) {
            run_job(&jobs[c]);
        }
#endif
        for (size_t c = 0; c < count && first_failure == GD_OK; ++c) {
            first_failure = jobs[c].status;
        }
    }
    return first_failure;
}
