/* Probe of the in-cache arithmetic of one block (issue 7; not a test: run it
 * by hand on a release build, one thread). docs/performance.md quotes it to
 * show what an evaluation adds to the read of X. It prints ns per row of:
 *   - the one-output block of linear/logistic regression at m = 50: z = Xw
 *     and g += Xᵀr by dgemv on an 81-row block (the dgemv path's
 *     gdi_block_shape_for), and by the library's AVX-512 loops on an 80-row
 *     block (that path's; only when this CPU has AVX-512);
 *   - the softmax block at m = 100, k = 10: Z = XW and G += XᵀR by dgemm on
 *     a 40-row block, and by the library's AVX-512 k-output loops (W and G
 *     transposed; only when this CPU has AVX-512);
 *   - the three phases of that AVX-512 block alone: Z, the residual
 *     (gdi_avx512_softmax_lanes, gathering Z's rows into lanes), G; and the
 *     first two as the evaluation runs them where k ≤ 12 and W needs no
 *     panels: Z straight into the lanes layout
 *     (gdi_avx512_affine_rows_multi_lanes), the residual without gathers
 *     (gdi_avx512_softmax_lanes_from_lanes);
 *   - exp(−|z|) and log1p of it over 64 values: the library's vector math
 *     (gdi_vexp, gdi_vlog1p: libmvec where built with it) against a plain
 *     loop over libm;
 *   - the logistic residual of a group of 16 rows (the fused sweep's):
 *     gdi_logistic_rows (the vector math above) with the labels' check, as
 *     CPUs without AVX-512 run it, against gdi_avx512_logistic_rows (exp and
 *     log1p inline; only when this CPU has AVX-512);
 *   - this core's rate of 8-wide multiply-adds (AVX-512), in registers only
 *     and with G's pattern of loads (two vectors and ten broadcasts per 20),
 *     against which the phases' rates can be read.
 * Best of R rounds of many repetitions each. Usage: block_probe [R]; with
 * `block_probe R m k`, only the three softmax phases at that shape, on a
 * block of the rows the library takes for it. */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_sys.h"
#include "kernels/kernels.h"

static volatile double sink;

enum { LIN_ROWS = 81, AVX_ROWS = 80, LIN_M = 50, SM_ROWS = 40, SM_M = 100, SM_K = 10, VEC = 64 };

static double linear_block(const double *x, const double *w, double *z, double *g)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, LIN_ROWS, LIN_M, 1.0, x, LIN_M, w, 1, 0.0, z, 1);
    for (int i = 0; i < LIN_ROWS; ++i) {
        z[i] *= 1e-9;
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, LIN_ROWS, LIN_M, 1.0, x, LIN_M, z, 1, 1.0, g, 1);
    return g[0];
}

static double avx512_block(const double *x, const double *w, double *z, double *g)
{
    gdi_avx512_affine_rows(x, AVX_ROWS, LIN_M, LIN_M, w, 0.0, z);
    for (int i = 0; i < AVX_ROWS; ++i) {
        z[i] *= 1e-9;
    }
    gdi_avx512_accumulate_xt_r(x, AVX_ROWS, LIN_M, LIN_M, z, g);
    return g[0];
}

static double softmax_block(const double *x, const double *w, double *z, double *g)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, SM_ROWS, SM_K, SM_M, 1.0, x, SM_M, w,
                SM_K, 0.0, z, SM_K);
    for (int i = 0; i < SM_ROWS * SM_K; ++i) {
        z[i] *= 1e-9;
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, SM_M, SM_K, SM_ROWS, 1.0, x, SM_M, z,
                SM_K, 1.0, g, SM_K);
    return g[0];
}

/* The same block through the library's AVX-512 k-output loops, which take W
 * and G transposed (k × m). */
static double softmax_avx512_block(const double *x, const double *w, double *z, double *g)
{
    /* Rows of 104 doubles: on 64-byte boundaries, as onepass.c lays them. */
    enum { LDW = (SM_M + 7) / 8 * 8 };
    static _Alignas(64) double wt[SM_K * LDW], gt[SM_K * LDW];
    static const double b[SM_K];
    for (int c = 0; c < SM_K; ++c) { /* once per evaluation in the library */
        for (int j = 0; j < SM_M; ++j) {
            wt[c * LDW + j] = w[j * SM_K + c];
        }
    }
    gdi_avx512_affine_rows_multi(x, SM_ROWS, SM_M, SM_M, wt, LDW, b, SM_K, z, NULL);
    for (int i = 0; i < SM_ROWS * SM_K; ++i) {
        z[i] *= 1e-9;
    }
    gdi_avx512_accumulate_xt_r_multi(x, SM_ROWS, SM_M, SM_M, z, SM_K, 0, gt, LDW, NULL);
    return gt[0] + g[0];
}

/* The phases of that block one at a time, in cache, on the same buffers:
 * Z; the residual (labels y), run again over its own output (values in
 * [−1, 1], as a block's Z would hold); G from that residual (lanes layout). */
static double *probe_wt(void)
{
    enum { LDW = (SM_M + 7) / 8 * 8 };
    static _Alignas(64) double wt[SM_K * LDW];
    return wt;
}

static double softmax_phase(int phase, const double *x, double *z, const double *y)
{
    enum { LDW = (SM_M + 7) / 8 * 8 };
    static _Alignas(64) double gt[SM_K * LDW];
    static const double b[SM_K];
    double loss = 0.0;
    double icpt[SM_K] = {0};
    switch (phase) {
    case 0: gdi_avx512_affine_rows_multi(x, SM_ROWS, SM_M, SM_M, probe_wt(), LDW, b, SM_K, z, NULL);
        return z[0];
    case 1: (void)gdi_avx512_softmax_lanes(z, SM_ROWS, SM_K, y, NULL, &loss, icpt, NULL);
        return loss;
    case 3:
        (void)gdi_avx512_affine_rows_multi_lanes(x, SM_ROWS, SM_M, SM_M, probe_wt(), LDW, b, SM_K,
                                                 z, NULL);
        return z[0];
    case 4:
        (void)gdi_avx512_softmax_lanes_from_lanes(z, SM_ROWS, SM_K, y, NULL, &loss, icpt, NULL);
        return loss;
    default: gdi_avx512_accumulate_xt_r_multi(x, SM_ROWS, SM_M, SM_M, z, SM_K, 1, gt, LDW, NULL);
        return gt[0];
    }
}

/* A whole decimal number, or −1 (empty, trailing characters, out of range). */
static long parse_long(const char *text)
{
    char *end = NULL;
    errno = 0;
    const long value = strtol(text, &end, 10);
    return errno != 0 || end == text || *end != '\0' ? -1 : value;
}

/* The three AVX-512 phases at m features and k ≤ GDI_LANES_MAX_OUTPUTS
 * classes on a block of the library's rows for that shape
 * (gdi_block_shape_for), each alone, best of `rounds`: ns a row, and the
 * vector multiply-adds a ns of Z and G (k·⌈m/8⌉ a row each). Z and the
 * residual as the evaluation takes them: Z straight into the lanes layout
 * where that applies (k ≤ 12, no panels), else row-major and gathered. */
static int shape_phases(size_t m, size_t k, int rounds)
{
    const size_t rows = gdi_block_shape_for(m, k).rows;
    const size_t ldw = (m + 7) / 8 * 8, groups = (rows + 7) / 8;
    double *x = malloc(rows * m * sizeof *x), *y = malloc(rows * sizeof *y);
    double *b = calloc(k, sizeof *b), *icpt = calloc(k, sizeof *icpt);
    double *z = malloc(groups * 8 * k * sizeof *z);
    double *wt = aligned_alloc(64, k * ldw * sizeof *wt), *gt = aligned_alloc(64, k * ldw * sizeof *gt);
    if (x == NULL || y == NULL || b == NULL || icpt == NULL || z == NULL || wt == NULL
        || gt == NULL) {
        fprintf(stderr, "block_probe: out of memory\n");
        free(x), free(y), free(b), free(icpt), free(z), free(wt), free(gt);
        return 1;
    }
    for (size_t e = 0; e < rows * m; ++e) {
        x[e] = (double)(e % 17) * 0.01 - 0.08;
    }
    for (size_t e = 0; e < k * ldw; ++e) {
        wt[e] = 0.001 * (double)(e % 97);
        gt[e] = 0.0;
    }
    for (size_t i = 0; i < rows; ++i) {
        y[i] = (double)(i % k);
    }
    const double vectors = (double)(k * ((m + 7) / 8));
    const long reps = (long)(2e8 / (double)(rows * m * k)) + 3;
    double best[3] = {INFINITY, INFINITY, INFINITY};
    /* Whether Z goes straight into the lanes layout at this shape. */
    const int z_lanes = gdi_avx512_affine_rows_multi_lanes(x, rows, m, m, wt, ldw, b, k, z, NULL);
    for (int r = 0; r < rounds; ++r) {
        double loss = 0.0;
        for (int phase = 0; phase < 3; ++phase) {
            const double start = bench_now();
            for (long t = 0; t < reps; ++t) {
                if (phase == 0 && z_lanes) {
                    (void)gdi_avx512_affine_rows_multi_lanes(x, rows, m, m, wt, ldw, b, k, z, NULL);
                } else if (phase == 0) {
                    gdi_avx512_affine_rows_multi(x, rows, m, m, wt, ldw, b, k, z, NULL);
                } else if (phase == 1 && z_lanes) {
                    (void)gdi_avx512_softmax_lanes_from_lanes(z, rows, k, y, NULL, &loss, icpt,
                                                              NULL);
                } else if (phase == 1) {
                    (void)gdi_avx512_softmax_lanes(z, rows, k, y, NULL, &loss, icpt, NULL);
                } else {
                    gdi_avx512_accumulate_xt_r_multi(x, rows, m, m, z, k, 1, gt, ldw, NULL);
                }
            }
            const double ns = (bench_now() - start) * 1e9 / ((double)reps * (double)rows);
            best[phase] = ns < best[phase] ? ns : best[phase];
        }
        sink = sink + loss + gt[0];
    }
    printf("softmax block, AVX-512, m = %zu, k = %zu, %zu rows, ns a row: Z %.1f (%.2f vector "
           "multiply-adds a ns), residual %.1f, G %.1f (%.2f)%s\n",
           m, k, rows, best[0], vectors / best[0], best[1], best[2], vectors / best[2],
           z_lanes ? "; Z into lanes" : "");
    free(x), free(y), free(b), free(icpt), free(z), free(wt), free(gt);
    return 0;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define PEAK_TARGET __attribute__((target("avx512f")))
/* Vector multiply-adds a nanosecond, one core: 16 independent chains in
 * registers, or 20 chains fed like G's loop (two vectors and ten broadcast
 * scalars loaded per 20, from a buffer in L1). */
PEAK_TARGET static double fma_rate(int with_loads, long reps)
{
    static _Alignas(64) double buf[64 * 32];
    for (int i = 0; i < 64 * 32; ++i) {
        buf[i] = 1e-9 * (double)i;
    }
    __m512d acc[20];
    for (int i = 0; i < 20; ++i) {
        acc[i] = _mm512_set1_pd(1e-3 * (double)i);
    }
    __m512d a = _mm512_set1_pd(0.9999999);
    const __m512d c = _mm512_set1_pd(1e-9);
    const double start = bench_now();
    for (long n = 0; n < reps; ++n) {
        if (with_loads) {
            const double *p = buf + (n & 63) * 32;
            const __m512d v0 = _mm512_load_pd(p);
            const __m512d v1 = _mm512_load_pd(p + 8);
#pragma GCC unroll 10
            for (int q = 0; q < 10; ++q) {
                const __m512d s = _mm512_set1_pd(p[16 + q]);
                acc[q] = _mm512_fmadd_pd(v0, s, acc[q]);
                acc[10 + q] = _mm512_fmadd_pd(v1, s, acc[10 + q]);
            }
        } else {
#pragma GCC unroll 16
            for (int q = 0; q < 16; ++q) {
                acc[q] = _mm512_fmadd_pd(acc[q], a, c);
            }
            __asm__("" : "+v"(a));
        }
    }
    const double seconds = bench_now() - start;
    __m512d sum = acc[0];
    for (int i = 1; i < 20; ++i) {
        sum = _mm512_add_pd(sum, acc[i]);
    }
    sink = sink + _mm512_reduce_add_pd(sum);
    return (with_loads ? 20.0 : 16.0) * (double)reps / seconds * 1e-9;
}
#endif

static double vector_math(const double *z, double *e, double *l)
{
    for (int i = 0; i < VEC; ++i) {
        e[i] = -fabs(z[i]);
    }
    gdi_vexp(e, e, VEC);
    gdi_vlog1p(e, l, VEC);
    return l[0];
}

static double scalar_math(const double *z, double *e, double *l)
{
    for (int i = 0; i < VEC; ++i) {
        e[i] = exp(-fabs(z[i]));
        l[i] = log1p(e[i]);
    }
    return l[0];
}

/* The logistic residual of GROUP rows, either way, in place: a call's
 * residuals are the margins of the call BUFFERS later (in (−1, 1), as a fit's
 * z mostly are; no copy, whose stores a vector load could not take from the
 * store buffer), so that calls overlap as the fused sweep's groups can. */
enum { GROUP = 16, BUFFERS = 8 };
static double logistic_residual(int inline_math, const double *y, double (*buffers)[GROUP])
{
    static unsigned turn;
    double *z = buffers[turn++ % BUFFERS];
    double loss = 0.0, intercept = 0.0;
    if (inline_math) {
        if (!gdi_avx512_logistic_rows(z, y, NULL, GROUP, &loss, &intercept, NULL)) {
            return NAN;
        }
    } else {
        int bad = 0;
        for (int i = 0; i < GROUP; ++i) {
            bad |= (y[i] != 0.0) & (y[i] != 1.0);
        }
        if (bad) {
            return NAN;
        }
        loss = gdi_logistic_rows(z, y, NULL, GROUP, &intercept);
    }
    return loss + intercept;
}

int main(int argc, char **argv)
{
    const long rounds = argc > 1 ? parse_long(argv[1]) : 7;
    if (rounds < 1 || rounds > 1000 || argc == 3 || argc > 4) {
        fprintf(stderr, "usage: block_probe [rounds >= 1 [m k]]\n");
        return 2;
    }
    if (argc == 4) {
        /* Only the softmax phases at that shape. */
        const long m = parse_long(argv[2]), k = parse_long(argv[3]);
        if (m < 1 || m > 100000 || k < 2 || (size_t)k > GDI_LANES_MAX_OUTPUTS) {
            fprintf(stderr, "block_probe: m in [1, 100000], k in [2, %zu]\n",
                    (size_t)GDI_LANES_MAX_OUTPUTS);
            return 2;
        }
        if (!gdi_avx512_multi_usable()) {
            printf("softmax block, AVX-512: n/a on this CPU or build\n");
            return 0;
        }
        return shape_phases((size_t)m, (size_t)k, (int)rounds);
    }
    static double x[SM_ROWS * SM_M > LIN_ROWS * LIN_M ? SM_ROWS * SM_M : LIN_ROWS * LIN_M];
    static double w[SM_M * SM_K], z[SM_ROWS * SM_K], g[SM_M * SM_K];
    static double e[VEC], l[VEC], v[VEC];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; ++i) {
        x[i] = (double)(i % 17) * 0.01 - 0.08;
    }
    for (size_t j = 0; j < sizeof w / sizeof w[0]; ++j) {
        w[j] = 0.001 * (double)j;
    }
    for (int i = 0; i < VEC; ++i) {
        v[i] = 20.0 * ((double)i / VEC - 0.5);
    }
    static double labels[SM_ROWS];
    static double binary[GROUP];
    static double margins[BUFFERS][GROUP];
    for (int i = 0; i < GROUP; ++i) {
        binary[i] = (double)(i % 3 == 0);
        for (int b = 0; b < BUFFERS; ++b) {
            margins[b][i] = v[(i * 4 + b) % VEC];
        }
    }
    double *wt = probe_wt();
    for (int c = 0; c < SM_K; ++c) {
        for (int j = 0; j < SM_M; ++j) {
            wt[c * ((SM_M + 7) / 8 * 8) + j] = w[j * SM_K + c];
        }
    }
    for (int i = 0; i < SM_ROWS; ++i) {
        labels[i] = (double)(i % SM_K);
    }
    const struct {
        const char *name;
        int kind;
        long reps;
        int rows; /* per call */
    } ways[] = {
        {"linear/logistic block, m = 50, 81 rows: dgemv + dgemv (T)", 0, 20000, LIN_ROWS},
        {"linear/logistic block, m = 50, 80 rows: AVX-512 loops", 4, 20000, AVX_ROWS},
        {"softmax block, m = 100, k = 10, 40 rows: dgemm + dgemm (T)", 1, 5000, SM_ROWS},
        {"softmax block, m = 100, k = 10, 40 rows: AVX-512 loops", 5, 5000, SM_ROWS},
        {"softmax block, AVX-512, alone: Z = XW + 1b'", 6, 20000, SM_ROWS},
        {"softmax block, AVX-512, alone: the residual (lanes)", 7, 20000, SM_ROWS},
        {"softmax block, AVX-512, alone: G += X'R", 8, 20000, SM_ROWS},
        {"softmax block, AVX-512, alone: Z into the lanes layout", 11, 20000, SM_ROWS},
        {"softmax block, AVX-512, alone: the residual from lanes Z", 12, 20000, SM_ROWS},
        {"exp(-|z|) + log1p, 64 values: gdi_vexp + gdi_vlog1p", 2, 200000, VEC},
        {"exp(-|z|) + log1p, 64 values: scalar libm", 3, 200000, VEC},
        {"logistic residual, 16 rows: gdi_logistic_rows + label check", 9, 500000, GROUP},
        {"logistic residual, 16 rows: gdi_avx512_logistic_rows", 10, 500000, GROUP},
    };
    printf("block_probe: one thread, in cache, best of %ld rounds (ns per row or value)\n", rounds);
    for (size_t k = 0; k < sizeof ways / sizeof ways[0]; ++k) {
        if (((ways[k].kind == 4 || ways[k].kind == 10) && !gdi_avx512_usable())
            || (((ways[k].kind >= 5 && ways[k].kind <= 8) || ways[k].kind >= 11)
                && !gdi_avx512_multi_usable())) {
            printf("%-62s %7s\n", ways[k].name, "n/a");
            continue;
        }
        double best = INFINITY;
        for (int r = 0; r < rounds; ++r) {
            const double start = bench_now();
            double acc = 0.0;
            for (long t = 0; t < ways[k].reps; ++t) {
                switch (ways[k].kind) {
                case 0: acc += linear_block(x, w, z, g); break;
                case 1: acc += softmax_block(x, w, z, g); break;
                case 2: acc += vector_math(v, e, l); break;
                case 4: acc += avx512_block(x, w, z, g); break;
                case 5: acc += softmax_avx512_block(x, w, z, g); break;
                case 6: acc += softmax_phase(0, x, z, labels); break;
                case 7: acc += softmax_phase(1, x, z, labels); break;
                case 8: acc += softmax_phase(2, x, z, labels); break;
                case 11: acc += softmax_phase(3, x, z, labels); break;
                case 12: acc += softmax_phase(4, x, z, labels); break;
                case 9: acc += logistic_residual(0, binary, margins); break;
                case 10: acc += logistic_residual(1, binary, margins); break;
                default: acc += scalar_math(v, e, l); break;
                }
            }
            sink = sink + acc;
            const double ns = (bench_now() - start) * 1e9 / ((double)ways[k].reps * ways[k].rows);
            best = ns < best ? ns : best;
        }
        printf("%-62s %7.2f\n", ways[k].name, best);
    }
#if defined(__GNUC__) && defined(__x86_64__)
    if (gdi_avx512_usable()) {
        double peak = 0.0, fed = 0.0;
        for (int r = 0; r < rounds; ++r) {
            const double a = fma_rate(0, 20000000);
            const double b = fma_rate(1, 20000000);
            peak = a > peak ? a : peak;
            fed = b > fed ? b : fed;
        }
        printf("8-wide multiply-adds a ns, one core (best of %ld): in registers %.2f; "
               "loads as G's loop %.2f\n", rounds, peak, fed);
    }
#endif
    return 0;
}
