/* System side of gdlearn-bench (see bench_sys.h). POSIX: threads, getrusage,
 * sysconf, clock_gettime. */
#define _POSIX_C_SOURCE 200809L

#include "bench_sys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef GDLEARN_BENCH_OPENBLAS
#include <cblas.h>
#endif

/* Where every stream read leaves its sum: volatile, so the compiler must do
 * the reads. */
static volatile double stream_sink;

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_sleep(double seconds)
{
    if (seconds <= 0.0) {
        return;
    }
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* One thread's part of a read: n doubles from x (one stream), or n rows of
 * n_features doubles (8 rows side by side). */
typedef struct read_chunk {
    const double *x;
    size_t n;
    size_t n_features;
    double sum;
} read_chunk;

/* The reads come in the widest vector loads this CPU has (AVX-512, else
 * AVX2, else plain C). The same one-stream loop in plain C, which the
 * compiler builds for the baseline x86-64 (SSE2, 16-byte loads), took 14–29 %
 * longer here than in 64-byte loads on 2 threads (docs/performance.md, table
 * 1b). The evaluation loads X 64 bytes at a time, so the limit must too. */
enum { READ_C = 0, READ_AVX2 = 1, READ_AVX512 = 2 };

/* Eight independent accumulators, so the adds are not one dependency chain
 * and the loop runs at memory speed, not at the latency of one add. */
static void *scalar_worker(void *arg)
{
    read_chunk *chunk = arg;
    const double *x = chunk->x;
    const size_t n = chunk->n;
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (size_t a = 0; a < 8; ++a) {
            acc[a] += x[i + a];
        }
    }
    for (; i < n; ++i) {
        acc[0] += x[i];
    }
    chunk->sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return NULL;
}

static void *scalar_rows_worker(void *arg)
{
    read_chunk *chunk = arg;
    const size_t m = chunk->n_features;
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 8 <= chunk->n; i += 8) {
        const double *rows = chunk->x + i * m;
        for (size_t j = 0; j < m; ++j) {
            for (size_t r = 0; r < 8; ++r) {
                acc[r] += rows[r * m + j];
            }
        }
    }
    for (; i < chunk->n; ++i) {
        for (size_t j = 0; j < m; ++j) {
            acc[0] += chunk->x[i * m + j];
        }
    }
    chunk->sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return NULL;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define HAVE_WIDE_READS 1

/* One stream: two vector accumulators; the last n mod 2·width doubles one by one. */
__attribute__((target("avx512f"))) static void *avx512_worker(void *arg)
{
    read_chunk *chunk = arg;
    const double *x = chunk->x;
    __m512d a0 = _mm512_setzero_pd();
    __m512d a1 = _mm512_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= chunk->n; i += 16) {
        a0 = _mm512_add_pd(a0, _mm512_loadu_pd(x + i));
        a1 = _mm512_add_pd(a1, _mm512_loadu_pd(x + i + 8));
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    for (; i < chunk->n; ++i) {
        sum += x[i];
    }
    chunk->sum = sum;
    return NULL;
}

/* 8 rows side by side, a vector of each in turn (as the one-output loops
 * walk X); a row's last m mod 8 doubles one by one. */
__attribute__((target("avx512f"))) static void *avx512_rows_worker(void *arg)
{
    read_chunk *chunk = arg;
    const size_t m = chunk->n_features;
    __m512d acc[8];
    for (size_t r = 0; r < 8; ++r) {
        acc[r] = _mm512_setzero_pd();
    }
    double sum = 0.0;
    size_t i = 0;
    for (; i + 8 <= chunk->n; i += 8) {
        const double *rows = chunk->x + i * m;
        size_t j = 0;
        for (; j + 8 <= m; j += 8) {
            for (size_t r = 0; r < 8; ++r) {
                acc[r] = _mm512_add_pd(acc[r], _mm512_loadu_pd(rows + r * m + j));
            }
        }
        for (; j < m; ++j) {
            for (size_t r = 0; r < 8; ++r) {
                sum += rows[r * m + j];
            }
        }
    }
    for (; i < chunk->n; ++i) {
        for (size_t j = 0; j < m; ++j) {
            sum += chunk->x[i * m + j];
        }
    }
    for (size_t r = 0; r < 8; ++r) {
        sum += _mm512_reduce_add_pd(acc[r]);
    }
    chunk->sum = sum;
    return NULL;
}

__attribute__((target("avx2"))) static double avx2_sum(__m256d v)
{
    const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

__attribute__((target("avx2"))) static void *avx2_worker(void *arg)
{
    read_chunk *chunk = arg;
    const double *x = chunk->x;
    __m256d a0 = _mm256_setzero_pd();
    __m256d a1 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= chunk->n; i += 8) {
        a0 = _mm256_add_pd(a0, _mm256_loadu_pd(x + i));
        a1 = _mm256_add_pd(a1, _mm256_loadu_pd(x + i + 4));
    }
    double sum = avx2_sum(_mm256_add_pd(a0, a1));
    for (; i < chunk->n; ++i) {
        sum += x[i];
    }
    chunk->sum = sum;
    return NULL;
}

__attribute__((target("avx2"))) static void *avx2_rows_worker(void *arg)
{
    read_chunk *chunk = arg;
    const size_t m = chunk->n_features;
    __m256d acc[8];
    for (size_t r = 0; r < 8; ++r) {
        acc[r] = _mm256_setzero_pd();
    }
    double sum = 0.0;
    size_t i = 0;
    for (; i + 8 <= chunk->n; i += 8) {
        const double *rows = chunk->x + i * m;
        size_t j = 0;
        for (; j + 4 <= m; j += 4) {
            for (size_t r = 0; r < 8; ++r) {
                acc[r] = _mm256_add_pd(acc[r], _mm256_loadu_pd(rows + r * m + j));
            }
        }
        for (; j < m; ++j) {
            for (size_t r = 0; r < 8; ++r) {
                sum += rows[r * m + j];
            }
        }
    }
    for (; i < chunk->n; ++i) {
        for (size_t j = 0; j < m; ++j) {
            sum += chunk->x[i * m + j];
        }
    }
    for (size_t r = 0; r < 8; ++r) {
        sum += avx2_sum(acc[r]);
    }
    chunk->sum = sum;
    return NULL;
}
#endif

static int read_cap = READ_AVX512; /* bench_limit_read_loads */

static int read_level(void)
{
#ifdef HAVE_WIDE_READS
    if (read_cap >= READ_AVX512 && __builtin_cpu_supports("avx512f")) {
        return READ_AVX512;
    }
    if (read_cap >= READ_AVX2 && __builtin_cpu_supports("avx2")) {
        return READ_AVX2;
    }
#endif
    return READ_C;
}

static const char *const read_names[] = {"c", "avx2", "avx512"};

const char *bench_read_loads(void)
{
    return read_names[read_level()];
}

int bench_limit_read_loads(const char *name)
{
    for (int level = READ_C; level <= READ_AVX512; ++level) {
        if (strcmp(name, read_names[level]) == 0) {
            read_cap = level;
            return 0;
        }
    }
    return -1;
}

static void *(*stream_worker_for(void))(void *)
{
#ifdef HAVE_WIDE_READS
    switch (read_level()) {
    case READ_AVX512: return avx512_worker;
    case READ_AVX2: return avx2_worker;
    default: break;
    }
#endif
    return scalar_worker;
}

static void *(*rows_worker_for(void))(void *)
{
#ifdef HAVE_WIDE_READS
    switch (read_level()) {
    case READ_AVX512: return avx512_rows_worker;
    case READ_AVX2: return avx2_rows_worker;
    default: break;
    }
#endif
    return scalar_rows_worker;
}

#define BENCH_MAX_THREADS 1024

static unsigned clamp_threads(unsigned n_threads)
{
    return n_threads == 0 ? 1 : n_threads > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : n_threads;
}

/* Runs worker on chunks[0 … n_threads−1], one POSIX thread each (the calling
 * thread takes chunk 0); their sums go to the volatile sink. Returns the
 * wall-clock seconds, or −1 if a thread could not be started. */
static double timed_read(void *(*worker)(void *), read_chunk *chunks, unsigned n_threads)
{
    pthread_t threads[BENCH_MAX_THREADS];
    double started = bench_now();
    unsigned launched = 1;
    int failed = 0;
    for (unsigned t = 1; t < n_threads; ++t) {
        if (pthread_create(&threads[t], NULL, worker, &chunks[t]) != 0) {
            failed = 1;
            break;
        }
        ++launched;
    }
    worker(&chunks[0]);
    double total = chunks[0].sum;
    for (unsigned t = 1; t < launched; ++t) {
        pthread_join(threads[t], NULL);
        total += chunks[t].sum;
    }
    double elapsed = bench_now() - started;
    stream_sink = stream_sink + total;
    return failed ? -1.0 : elapsed;
}

static double stream_read(void *(*worker)(void *), const double *x, size_t n,
                          unsigned n_threads)
{
    read_chunk chunks[BENCH_MAX_THREADS];
    n_threads = clamp_threads(n_threads);
    /* Chunks start on 8-double (64-byte) boundaries relative to x. */
    size_t per = (n / n_threads + 7) / 8 * 8;
    size_t start = 0;
    for (unsigned t = 0; t < n_threads; ++t) {
        size_t count = start < n ? n - start : 0;
        if (count > per && t + 1 < n_threads) {
            count = per;
        }
        chunks[t] = (read_chunk){x + start, count, 1, 0.0};
        start += count;
    }
    return timed_read(worker, chunks, n_threads);
}

double bench_stream_read(const double *x, size_t n, unsigned n_threads)
{
    return stream_read(stream_worker_for(), x, n, n_threads);
}

double bench_stream_read_scalar(const double *x, size_t n, unsigned n_threads)
{
    return stream_read(scalar_worker, x, n, n_threads);
}

double bench_stream_read_rows(const double *x, size_t n_rows, size_t n_features,
                              unsigned n_threads)
{
    read_chunk chunks[BENCH_MAX_THREADS];
    n_threads = clamp_threads(n_threads);
    /* Equal row counts; the last thread also takes the remainder. */
    size_t start = 0;
    for (unsigned t = 0; t < n_threads; ++t) {
        const size_t end = t + 1 == n_threads ? n_rows : n_rows / n_threads * (t + 1);
        chunks[t] = (read_chunk){x + start * n_features, end - start, n_features, 0.0};
        start = end;
    }
    return timed_read(rows_worker_for(), chunks, n_threads);
}

double bench_peak_rss_mb(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) {
        return -1.0;
    }
    return (double)usage.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

void bench_cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon != NULL) {
                colon += 1;
                while (*colon == ' ' || *colon == '\t') {
                    ++colon;
                }
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, size, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

double bench_load1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL) {
        return -1.0;
    }
    double load = -1.0;
    if (fscanf(f, "%lf", &load) != 1) {
        load = -1.0;
    }
    fclose(f);
    return load;
}

unsigned bench_cpus_online(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1u : (unsigned)cpus;
}

const char *bench_blas_core(void)
{
#ifdef GDLEARN_BENCH_OPENBLAS
    const char *name = openblas_get_corename();
    return name != NULL ? name : "n/a";
#else
    return "n/a";
#endif
}

const char *bench_blas_config(void)
{
#ifdef GDLEARN_BENCH_OPENBLAS
    const char *config = openblas_get_config();
    return config != NULL ? config : "n/a";
#else
    return "n/a";
#endif
}

int bench_blas_threads(void)
{
#ifdef GDLEARN_BENCH_OPENBLAS
    return openblas_get_num_threads();
#else
    return 0;
#endif
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *values, size_t n)
{
    if (n == 0) {
        return 0.0;
    }
    qsort(values, n, sizeof *values, compare_doubles);
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double bench_min(const double *values, size_t n)
{
    double best = n > 0 ? values[0] : 0.0;
    for (size_t i = 1; i < n; ++i) {
        if (values[i] < best) {
            best = values[i];
        }
    }
    return best;
}
