/* Probe of how this machine overlaps a stream from memory with arithmetic on
 * it (issue 7; not a test: run it by hand on a release build).
 * docs/performance.md quotes it to show what the memory limit allows an
 * evaluation whose arithmetic takes about as long as the read of X, as
 * softmax's does at m = 100, k = 10.
 *
 * A buffer as large as that case's X (152.6 MiB) is read by `threads`
 * threads, each its contiguous share, as gdlearn-bench's memory limit reads
 * X. For intensities F = 0 … 8, the arithmetic done per 64-byte line is F
 * rounds of 8 independent 8-wide multiply-adds (AVX-512) that do not depend
 * on the loads, and it prints,
 * medians of R rounds (ms):
 *   - M: the memory limit, bench_stream_read (the arithmetic's loads, no
 *     arithmetic);
 *   - C: the arithmetic alone, the same loop over 32 KiB per thread (in L1);
 *   - T: both, the simplest stream there is: each line loaded, its
 *     arithmetic done, the line 64 further on prefetched into L2;
 * and C/M, T/M (the benchmark's "ratio") and T/max(C, M) (what overlapping
 * them costs). An evaluation does more than this loop: a block's Z,
 * residual and G each walk it in turn.
 * Usage: overlap_probe [threads [rounds]] (defaults: CPUs online, 7). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_sys.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define PROBE_TARGET __attribute__((target("avx512f")))

enum {
    LINE_DOUBLES = 8,
    AHEAD_LINES = 64,      /* prefetch distance of T */
    HOT_LINES = 512,       /* C's buffer: 32 KiB per thread */
    MAX_THREADS = 64,
    MAX_INTENSITY = 8,
};

/* 152.6 MiB: softmax-2e5x100x10's X (gdlearn-bench). */
#define BUFFER_DOUBLES ((size_t)200000 * 100)

static volatile double sink;

typedef struct job {
    const double *x; /* this thread's share (T) or its hot buffer (C) */
    size_t lines;    /* lines of arithmetic to do */
    size_t wrap;     /* lines in x (C: HOT_LINES; T: = lines) */
    int intensity;
    int stream;      /* 1: T (prefetch ahead), 0: C */
    double sum;      /* what the job computed, summed after the join */
} job;

/* F rounds of 8 independent multiply-adds per line, which do not use the
 * line's values (these feed one sum, so that the loads cannot be dropped):
 * the arithmetic never waits for a load, the most overlap there can be. */
PROBE_TARGET static void *run_job(void *arg)
{
    job *jb = arg;
    __m512d acc[8];
    for (int q = 0; q < 8; ++q) {
        acc[q] = _mm512_set1_pd(1e-3 * (double)q);
    }
    __m512d a = _mm512_set1_pd(0.9999999);
    const __m512d c = _mm512_set1_pd(1e-9);
    __m512d sum = _mm512_setzero_pd();
    size_t line = 0;
    for (size_t n = 0; n < jb->lines; ++n) {
        const double *p = jb->x + line * LINE_DOUBLES;
        if (jb->stream) {
            /* An address, not a pointer: it may lie past the share's end. */
            _mm_prefetch((const char *)((uintptr_t)p + AHEAD_LINES * 64), _MM_HINT_T1);
        }
        sum = _mm512_add_pd(sum, _mm512_load_pd(p));
        for (int f = 0; f < jb->intensity; ++f) {
#pragma GCC unroll 8
            for (int q = 0; q < 8; ++q) {
                acc[q] = _mm512_fmadd_pd(acc[q], a, c);
            }
            __asm__("" : "+v"(a));
        }
        line = line + 1 == jb->wrap ? 0 : line + 1;
    }
    for (int q = 0; q < 8; ++q) {
        sum = _mm512_add_pd(sum, acc[q]);
    }
    jb->sum = _mm512_reduce_add_pd(sum);
    return NULL;
}

/* Wall-clock seconds of jobs[0 … n) on n threads (the caller runs job 0), or
 * −1 if a thread could not be started. */
static double run_threads(job *jobs, unsigned n)
{
    pthread_t threads[MAX_THREADS];
    unsigned started = 1;
    const double start = bench_now();
    for (; started < n; ++started) {
        if (pthread_create(&threads[started], NULL, run_job, &jobs[started]) != 0) {
            break;
        }
    }
    run_job(&jobs[0]);
    for (unsigned t = 1; t < started; ++t) {
        (void)pthread_join(threads[t], NULL);
    }
    const double seconds = bench_now() - start;
    for (unsigned t = 0; t < started; ++t) {
        sink = sink + jobs[t].sum; /* after the joins: no thread writes it */
    }
    return started == n ? seconds : -1.0;
}

/* A whole number in [1, max], or −1. */
static long parse_count(const char *text, long max)
{
    char *end = NULL;
    errno = 0;
    const long value = strtol(text, &end, 10);
    return errno != 0 || end == text || *end != '\0' || value < 1 || value > max ? -1 : value;
}

int main(int argc, char **argv)
{
    if (argc > 3) {
        fprintf(stderr, "usage: overlap_probe [threads [rounds]]\n");
        return 2;
    }
    const long threads_arg = argc > 1 ? parse_count(argv[1], MAX_THREADS) : (long)bench_cpus_online();
    const long rounds = argc > 2 ? parse_count(argv[2], 1000) : 7;
    if (threads_arg < 1 || rounds < 1) {
        fprintf(stderr, "overlap_probe: threads must be 1-%d, rounds 1-1000\n", MAX_THREADS);
        return 2;
    }
    const unsigned threads = (unsigned)(threads_arg > MAX_THREADS ? MAX_THREADS : threads_arg);
    if (!__builtin_cpu_supports("avx512f")) {
        printf("overlap_probe: this CPU has no AVX-512; nothing to measure\n");
        return 0;
    }
    double *x = aligned_alloc(64, BUFFER_DOUBLES * sizeof *x);
    double *hot = aligned_alloc(64, (size_t)threads * HOT_LINES * 64);
    double *times = malloc((size_t)rounds * 3 * (MAX_INTENSITY + 1) * sizeof *times);
    if (x == NULL || hot == NULL || times == NULL) {
        fprintf(stderr, "overlap_probe: out of memory\n");
        free(x), free(hot), free(times);
        return 1;
    }
    for (size_t e = 0; e < BUFFER_DOUBLES; ++e) {
        x[e] = 1e-9 * (double)(e % 1000);
    }
    for (size_t e = 0; e < (size_t)threads * HOT_LINES * LINE_DOUBLES; ++e) {
        hot[e] = 1e-9 * (double)(e % 1000);
    }
    /* Shares of whole lines; the last thread takes the remainder. */
    const size_t lines = BUFFER_DOUBLES / LINE_DOUBLES;
    job stream[MAX_THREADS], alone[MAX_THREADS];
    for (unsigned t = 0; t < threads; ++t) {
        const size_t first = lines / threads * t;
        const size_t count = t + 1 == threads ? lines - first : lines / threads;
        stream[t] = (job){x + first * LINE_DOUBLES, count, count, 0, 1, 0.0};
        alone[t] = (job){hot + (size_t)t * HOT_LINES * LINE_DOUBLES, count, HOT_LINES, 0, 0, 0.0};
    }
    int failed = bench_stream_read(x, BUFFER_DOUBLES, threads) < 0.0; /* warm-up */
    for (long r = 0; r < rounds && !failed; ++r) {
        for (int f = 0; f <= MAX_INTENSITY && !failed; ++f) {
            double *at = times + ((size_t)r * (MAX_INTENSITY + 1) + (size_t)f) * 3;
            for (unsigned t = 0; t < threads; ++t) {
                stream[t].intensity = f;
                alone[t].intensity = f;
            }
            at[0] = bench_stream_read(x, BUFFER_DOUBLES, threads);
            at[1] = run_threads(alone, threads);
            at[2] = run_threads(stream, threads);
            failed = at[0] < 0.0 || at[1] < 0.0 || at[2] < 0.0;
        }
    }
    if (failed) {
        fprintf(stderr, "overlap_probe: could not start a thread\n");
        free(x), free(hot), free(times);
        return 1;
    }
    printf("overlap_probe: %u thread(s), %.1f MiB, median of %ld rounds (ms)\n", threads,
           (double)BUFFER_DOUBLES * sizeof *x / 1048576.0, rounds);
    printf("%9s %8s %8s %8s %6s %6s %12s\n", "intensity", "M", "C", "T", "C/M", "T/M",
           "T/max(C,M)");
    for (int f = 0; f <= MAX_INTENSITY; ++f) {
        double med[3];
        double *column = malloc((size_t)rounds * sizeof *column);
        if (column == NULL) {
            fprintf(stderr, "overlap_probe: out of memory\n");
            free(x), free(hot), free(times);
            return 1;
        }
        for (int which = 0; which < 3; ++which) {
            for (long r = 0; r < rounds; ++r) {
                column[r] = times[((size_t)r * (MAX_INTENSITY + 1) + (size_t)f) * 3 + (size_t)which];
            }
            med[which] = 1e3 * bench_median(column, (size_t)rounds);
        }
        free(column);
        const double most = med[1] > med[0] ? med[1] : med[0];
        printf("%9d %8.2f %8.2f %8.2f %6.2f %6.2f %12.2f\n", f, med[0], med[1], med[2],
               med[1] / med[0], med[2] / med[0], med[2] / most);
    }
    free(x), free(hot), free(times);
    return 0;
}
#else
int main(void)
{
    printf("overlap_probe: built for x86-64 with GCC or clang only\n");
    return 0;
}
#endif
