/* System side of gdlearn-bench: clocks, the memory-limit read, peak RSS, and
 * what the machine and OpenBLAS are. Not part of the library. */
#ifndef GDLEARN_BENCH_SYS_H
#define GDLEARN_BENCH_SYS_H

#include <stddef.h>

/* Monotonic wall clock in seconds. */
double bench_now(void);

/* Sleep for `seconds` (≤ 0: return at once). */
void bench_sleep(double seconds);

/* Read n doubles from `x` once, split into `n_threads` contiguous chunks, one
 * POSIX thread each (the calling thread takes the first chunk), in the
 * widest vector loads this CPU has (bench_read_loads); returns the
 * wall-clock seconds, or a negative value if a thread could not be started.
 * The sum of what was read goes to a volatile sink so the read cannot be
 * optimised away. */
double bench_stream_read(const double *x, size_t n, unsigned n_threads);

/* The same read in plain C, as compiled for the target's baseline (on x86-64,
 * SSE2: 16-byte loads) — gdlearn-bench's one-stream read before 27 Nov 2026,
 * 13:00 UTC (the limit was then the faster of it and a plain-C 8-row read),
 * reported beside the limit: here 14–29 % slower than bench_stream_read. */
double bench_stream_read_scalar(const double *x, size_t n, unsigned n_threads);

/* The same read walked the way the one-output kernels walk X: each thread's
 * rows (n_rows × n_features, contiguous) 8 rows side by side, a vector of
 * each of the 8 in turn — 8 concurrent streams instead of one. The
 * benchmark's limit is the faster of this and bench_stream_read. */
double bench_stream_read_rows(const double *x, size_t n_rows, size_t n_features,
                              unsigned n_threads);

/* The loads those reads use: "avx512" (64 bytes), "avx2" (32) or "c" (plain
 * C, as compiled). */
const char *bench_read_loads(void);

/* Read in loads no wider than `name` ("avx512", "avx2" or "c") from now on,
 * as a CPU without the wider ones would (the widest the CPU has, if
 * narrower). Returns 0, or −1 for an unknown name. */
int bench_limit_read_loads(const char *name);

/* Peak resident set size of this process so far, in MiB (getrusage). */
double bench_peak_rss_mb(void);

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
void bench_cpu_model(char *out, size_t size);

/* The 1-minute load average from /proc/loadavg, or -1. */
double bench_load1(void);

/* CPUs online (sysconf), at least 1. */
unsigned bench_cpus_online(void);

/* OpenBLAS's core name, build configuration and thread count ("n/a" and 0
 * when the BLAS is not OpenBLAS or does not say). */
const char *bench_blas_core(void);
const char *bench_blas_config(void);
int bench_blas_threads(void);

/* Median of n values (sorts them in place); 0 for n = 0. */
double bench_median(double *values, size_t n);

/* Smallest of n values; 0 for n = 0. */
double bench_min(const double *values, size_t n);

#endif /* GDLEARN_BENCH_SYS_H */
