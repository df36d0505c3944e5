/* The one-output block kernels (out = Xw + b, g += Xᵀr) in AVX-512, for the
 * CPUs that have it (gdi_avx512_usable, affine.c). This file alone is built
 * with -mavx512f (src/CMakeLists.txt): nothing in it may run before that
 * check, so it holds these two kernels and nothing else.
 *
 * Why not dgemv: a block's Xᵀr through BLAS runs after its Xw, in cache, with
 * no memory traffic under it, so an evaluation costs the read of X plus the
 * arithmetic (1e6×50 on 2 threads: 1.2–1.3× a plain read of X). These loops
 * take 8 rows at a time — 8 dot products side by side, then the 8 rows'
 * contributions to g in one sweep over it — for less than dgemv's in-cache
 * cost per row (block_probe, m = 50: 7.4 against 9.9 ns), and the core
 * overlaps them with the stream of X
 * (docs/performance.md, "Our own loops against dgemv": figures, commands).
 *
 * Sums are in a fixed order (lane j mod 8 of each row, then the tree of
 * gdi_sum_each, for a row in a group of 8 or alone; g gets its rows in order), so
 * the same input gives the same bits on every AVX-512 CPU, wherever block
 * boundaries fall. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/avx512_lanes.h"
#include "kernels/kernels.h"

#define PREFETCH_ROWS ((size_t)16)
#define PREFETCH_MAX_FEATURES ((size_t)128)
#define WIDE_PREFETCH_FEATURES ((size_t)256)

void gdi_avx512_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                            const double *w, double b, double *out)
{
    const size_t full = n_features / 8 * 8;
    const __mmask8 tail = gdi_tail_mask(n_features);
    const __m512d intercept = _mm512_set1_pd(b);
    /* Narrow rows: ask for the rows 16 further on while these are summed
     * (one prefetch per 64 bytes loaded; prefetches never fault, also past
     * the end of X). In one-off trials on 1e6×50, 2 threads (gdlearn-bench,
     * docs/performance.md): logistic 1.01–1.07 times the plain-C read that
     * was the memory limit then with it, 1.11–1.14 without; at m = 500 it
     * was slower, so wide rows go without. */
    const int prefetch = n_features <= PREFETCH_MAX_FEATURES;
    size_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        const double *rows = x + i * ldx;
        __m512d acc[8];
        for (size_t r = 0; r < 8; ++r) {
            acc[r] = _mm512_setzero_pd();
        }
        if (prefetch) {
            /* The same column of the rows PREFETCH_ROWS further on, as an
             * address, not a pointer into X: those rows may lie past its end,
             * where pointer arithmetic would be undefined. */
            const uintptr_t ahead = (uintptr_t)rows + PREFETCH_ROWS * ldx * sizeof(double);
            for (size_t j = 0; j < full; j += 8) {
                const __m512d wj = _mm512_loadu_pd(w + j);
                for (size_t r = 0; r < 8; ++r) {
                    _mm_prefetch((const char *)(ahead + (r * ldx + j) * sizeof(double)),
                                 _MM_HINT_T0);
                    acc[r] = _mm512_fmadd_pd(_mm512_loadu_pd(rows + r * ldx + j), wj, acc[r]);
                }
            }
        } else {
            for (size_t j = 0; j < full; j += 8) {
                const __m512d wj = _mm512_loadu_pd(w + j);
                for (size_t r = 0; r < 8; ++r) {
                    acc[r] = _mm512_fmadd_pd(_mm512_loadu_pd(rows + r * ldx + j), wj, acc[r]);
                }
            }
        }
        if (tail != 0) {
            const __m512d wj = _mm512_maskz_loadu_pd(tail, w + full);
            for (size_t r = 0; r < 8; ++r) {
                acc[r] = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, rows + r * ldx + full), wj,
                                         acc[r]);
            }
        }
        _mm512_storeu_pd(out + i, _mm512_add_pd(gdi_sum_each(acc), intercept));
    }
    for (; i < n_rows; ++i) { /* the last n_rows % 8 rows, one at a time */
        const double *row = x + i * ldx;
        __m512d acc = _mm512_setzero_pd();
        for (size_t j = 0; j < full; j += 8) {
            acc = _mm512_fmadd_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(w + j), acc);
        }
        if (tail != 0) {
            acc = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, row + full),
                                  _mm512_maskz_loadu_pd(tail, w + full), acc);
        }
        /* Summed by the same tree as a row of an 8-row group, so that a
         * row's bits do not depend on where block boundaries fall. */
        const __m512d zero = _mm512_setzero_pd();
        const __m512d lanes[8] = {acc, zero, zero, zero, zero, zero, zero, zero};
        out[i] = _mm_cvtsd_f64(_mm512_castpd512_pd128(gdi_sum_each(lanes))) + b;
    }
}

void gdi_avx512_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *r, double *g)
{
    const size_t full = n_features / 8 * 8;
    const __mmask8 tail = gdi_tail_mask(n_features);
    /* Wide rows (at least WIDE_PREFETCH_FEATURES): this sweep re-reads the
     * group's rows from cache while memory idles, so it asks for the start
     * of the next 8 rows meanwhile, two lines a step spread over those rows
     * (line L: row L mod 8, its (L / 8)-th 64 bytes), into L2. In one-off
     * A/B runs (gdlearn-bench, 2 threads, 160–763 MiB of X), one line a
     * step took 3–18 % off the evaluation at m = 300–5000 (logistic 2e5×500:
     * 0.92–0.94 times the plain-C read of the time against 0.98–1.04), and
     * two lines a step 1–5 % more (27 Nov, logistic 2e5×500 31.5–31.7 ms
     * against 32.3–32.4, linear 31.4 against 32.3; m = 300, 1024, 2000,
     * 5000: −4.3, −1.2, −0.9, −5.4 %); eight a step were 5 % slower. At
     * m = 136–200 one line a step was no faster, so narrower rows go
     * without. */
    const int ahead = n_features >= WIDE_PREFETCH_FEATURES;
    size_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        const double *rows = x + i * ldx;
        /* An address, not a pointer into X: those rows may lie past its end. */
        const uintptr_t next = (uintptr_t)(rows) + 8 * ldx * sizeof(double);
        __m512d coef[8];
        for (size_t q = 0; q < 8; ++q) {
            coef[q] = _mm512_set1_pd(r[i + q]);
        }
        if (ahead) {
            for (size_t j = 0; j < full; j += 8) {
                for (size_t line = j / 4; line < j / 4 + 2; ++line) {
                    _mm_prefetch(
                        (const char *)(next + ((line % 8) * ldx + line / 8 * 8) * sizeof(double)),
                        _MM_HINT_T1);
                }
                __m512d gj = _mm512_loadu_pd(g + j);
                for (size_t q = 0; q < 8; ++q) {
                    gj = _mm512_fmadd_pd(coef[q], _mm512_loadu_pd(rows + q * ldx + j), gj);
                }
                _mm512_storeu_pd(g + j, gj);
            }
        } else { /* the same sweep, without (narrower rows) */
            for (size_t j = 0; j < full; j += 8) {
                __m512d gj = _mm512_loadu_pd(g + j);
                for (size_t q = 0; q < 8; ++q) {
                    gj = _mm512_fmadd_pd(coef[q], _mm512_loadu_pd(rows + q * ldx + j), gj);
                }
                _mm512_storeu_pd(g + j, gj);
            }
        }
        if (tail != 0) {
            __m512d gj = _mm512_maskz_loadu_pd(tail, g + full);
            for (size_t q = 0; q < 8; ++q) {
                gj = _mm512_fmadd_pd(coef[q], _mm512_maskz_loadu_pd(tail, rows + q * ldx + full),
                                     gj);
            }
            _mm512_mask_storeu_pd(g + full, tail, gj);
        }
    }
    for (; i < n_rows; ++i) {
        const double *row = x + i * ldx;
        const __m512d coef = _mm512_set1_pd(r[i]);
        for (size_t j = 0; j < full; j += 8) {
            _mm512_storeu_pd(g + j, _mm512_fmadd_pd(coef, _mm512_loadu_pd(row + j),
                                                    _mm512_loadu_pd(g + j)));
        }
        if (tail != 0) {
            const __m512d gj = _mm512_maskz_loadu_pd(tail, g + full);
            _mm512_mask_storeu_pd(g + full, tail,
                                  _mm512_fmadd_pd(coef, _mm512_maskz_loadu_pd(tail, row + full), gj));
        }
    }
}
