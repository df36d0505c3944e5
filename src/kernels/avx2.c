/* The one-output block kernels of avx512.c (out = Xw + b, g += Xᵀr) for CPUs
 * with AVX2 and FMA but not AVX-512 (gdi_row_kernels, affine.c), and the
 * one-pass evaluation's fused sweep over narrow rows (gdi_avx2_fused_rows,
 * as gdi_avx512_fused_rows: see avx512.c for why). This file alone is built
 * with -mavx2 -mfma (src/CMakeLists.txt): nothing in it may run before that
 * check, so it holds these kernels and nothing else.
 * Same walk as avx512.c — 8 rows at a time, their 8 dot products side by
 * side, then their 8 contributions to g in one sweep — in 4-lane vectors (16
 * registers: 8 accumulators, the shared vector of w and a row's vector). Sums
 * in a fixed order (lane j mod 4 of each row, then a fixed tree). */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/avx2_lanes.h"
#include "kernels/kernels.h"

#define PREFETCH_ROWS ((size_t)16)
#define PREFETCH_MAX_FEATURES ((size_t)128)
#define WIDE_PREFETCH_FEATURES ((size_t)256)

/* The 8 dot products x_rᵀw of the 8 rows at `rows` (stride ldx), rows 0–3
 * as the lanes of *lo, 4–7 of *hi, by the fixed order of the file's header.
 * Rows [0, pf_rows) of the 8 at `ahead` (an address: those rows may lie past
 * the end of X) are asked for meanwhile, once per 64 bytes (every other
 * 4-double load), into L1 or, with to_l2, L2. Always inlined, so that
 * constant pf_rows and to_l2 leave no tests behind. */
static inline __attribute__((always_inline)) void
dot8(const double *rows, size_t ldx, const double *w, size_t full, int has_tail, __m256i tail,
     uintptr_t ahead, size_t pf_rows, int to_l2, __m256d *lo, __m256d *hi)
{
    __m256d acc[8];
    for (size_t r = 0; r < 8; ++r) {
        acc[r] = _mm256_setzero_pd();
    }
    for (size_t j = 0; j < full; j += 4) {
        const __m256d wj = _mm256_loadu_pd(w + j);
        for (size_t r = 0; r < 8; ++r) {
            if (r < pf_rows && j % 8 == 0) {
                const char *line = (const char *)(ahead + (r * ldx + j) * sizeof(double));
                if (to_l2) {
                    _mm_prefetch(line, _MM_HINT_T1);
                } else {
                    _mm_prefetch(line, _MM_HINT_T0);
                }
            }
            acc[r] = _mm256_fmadd_pd(_mm256_loadu_pd(rows + r * ldx + j), wj, acc[r]);
        }
    }
    if (has_tail) {
        const __m256d wj = _mm256_maskload_pd(w + full, tail);
        for (size_t r = 0; r < 8; ++r) {
            acc[r] =
                _mm256_fmadd_pd(_mm256_maskload_pd(rows + r * ldx + full, tail), wj, acc[r]);
        }
    }
    *lo = gdi_sum_each4(acc[0], acc[1], acc[2], acc[3]);
    *hi = gdi_sum_each4(acc[4], acc[5], acc[6], acc[7]);
}

/* One row's x_iᵀw, summed by the same tree as a row of an 8-row group, so
 * that a row's bits do not depend on where groups and blocks fall. */
static inline __attribute__((always_inline)) double
dot1(const double *row, const double *w, size_t full, int has_tail, __m256i tail)
{
    __m256d acc = _mm256_setzero_pd();
    for (size_t j = 0; j < full; j += 4) {
        acc = _mm256_fmadd_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(w + j), acc);
    }
    if (has_tail) {
        acc = _mm256_fmadd_pd(_mm256_maskload_pd(row + full, tail),
                              _mm256_maskload_pd(w + full, tail), acc);
    }
    const __m256d zero = _mm256_setzero_pd();
    double lanes[4];
    _mm256_storeu_pd(lanes, gdi_sum_each4(acc, zero, zero, zero));
    return lanes[0];
}

/* g += Σ r_q x_q over the 8 rows at `rows`, rows in order (a row's terms
 * reach g in the same order alone or in a group). Rows [pf_from, 8) at
 * `ahead` (an address) are asked for into L2 meanwhile, once per 64 bytes
 * (every other 4-double step); with `wide`, instead, the start of the 8
 * rows at `ahead`, one line a step spread over those rows (line L: row
 * L mod 8, its (L / 8)-th 64 bytes), as avx512.c. */
static inline __attribute__((always_inline)) void
sweep8(const double *rows, size_t ldx, size_t full, int has_tail, __m256i tail, const double *r,
       double *g, uintptr_t ahead, size_t pf_from, int wide)
{
    __m256d coef[8];
    for (size_t q = 0; q < 8; ++q) {
        coef[q] = _mm256_set1_pd(r[q]);
    }
    for (size_t j = 0; j < full; j += 4) {
        if (wide) {
            const size_t line = j / 4;
            _mm_prefetch(
                (const char *)(ahead + ((line % 8) * ldx + line / 8 * 8) * sizeof(double)),
                _MM_HINT_T1);
        }
        __m256d gj = _mm256_loadu_pd(g + j);
        for (size_t q = 0; q < 8; ++q) {
            if (q >= pf_from && j % 8 == 0) {
                _mm_prefetch((const char *)(ahead + (q * ldx + j) * sizeof(double)),
                             _MM_HINT_T1);
            }
            gj = _mm256_fmadd_pd(coef[q], _mm256_loadu_pd(rows + q * ldx + j), gj);
        }
        _mm256_storeu_pd(g + j, gj);
    }
    if (has_tail) {
        __m256d gj = _mm256_maskload_pd(g + full, tail);
        for (size_t q = 0; q < 8; ++q) {
            gj = _mm256_fmadd_pd(coef[q], _mm256_maskload_pd(rows + q * ldx + full, tail), gj);
        }
        _mm256_maskstore_pd(g + full, tail, gj);
    }
}

/* g += r·x for one row. */
static inline __attribute__((always_inline)) void
sweep1(const double *row, size_t full, int has_tail, __m256i tail, double r, double *g)
{
    const __m256d coef = _mm256_set1_pd(r);
    for (size_t j = 0; j < full; j += 4) {
        _mm256_storeu_pd(g + j,
                         _mm256_fmadd_pd(coef, _mm256_loadu_pd(row + j), _mm256_loadu_pd(g + j)));
    }
    if (has_tail) {
        const __m256d gj = _mm256_maskload_pd(g + full, tail);
        _mm256_maskstore_pd(g + full, tail,
                            _mm256_fmadd_pd(coef, _mm256_maskload_pd(row + full, tail), gj));
    }
}

void gdi_avx2_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                          const double *w, double b, double *out)
{
    const size_t full = n_features / 4 * 4;
    const int has_tail = n_features % 4 != 0;
    const __m256i tail = gdi_tail_mask4(n_features);
    const __m256d intercept = _mm256_set1_pd(b);
    /* Narrow rows: prefetch as avx512.c does (there: why and how measured).
     * (The one-pass evaluation now takes narrow rows through
     * gdi_avx2_fused_rows; this serves gd_predict.) */
    const int prefetch = n_features <= PREFETCH_MAX_FEATURES;
    size_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        const double *rows = x + i * ldx;
        /* The same column of the rows PREFETCH_ROWS further on, as an
         * address, not a pointer into X: those rows may lie past its end,
         * where pointer arithmetic would be undefined. */
        const uintptr_t ahead = (uintptr_t)rows + PREFETCH_ROWS * ldx * sizeof(double);
        __m256d lo, hi;
        if (prefetch) {
            dot8(rows, ldx, w, full, has_tail, tail, ahead, 8, 0, &lo, &hi);
        } else {
            dot8(rows, ldx, w, full, has_tail, tail, ahead, 0, 0, &lo, &hi);
        }
        _mm256_storeu_pd(out + i, _mm256_add_pd(lo, intercept));
        _mm256_storeu_pd(out + i + 4, _mm256_add_pd(hi, intercept));
    }
    for (; i < n_rows; ++i) { /* the last n_rows % 8 rows, one at a time */
        out[i] = dot1(x + i * ldx, w, full, has_tail, tail) + b;
    }
}

void gdi_avx2_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *r, double *g)
{
    const size_t full = n_features / 4 * 4;
    const int has_tail = n_features % 4 != 0;
    const __m256i tail = gdi_tail_mask4(n_features);
    /* Wide rows: the start of the next 8 rows meanwhile, as avx512.c: two
     * lines per 8 doubles, one per step of 4. */
    const int ahead = n_features >= WIDE_PREFETCH_FEATURES;
    size_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        const double *rows = x + i * ldx;
        /* An address, not a pointer into X: those rows may lie past its end. */
        const uintptr_t next = (uintptr_t)(rows) + 8 * ldx * sizeof(double);
        if (ahead) {
            sweep8(rows, ldx, full, has_tail, tail, r + i, g, next, 8, 1);
        } else { /* the same sweep, without (narrower rows) */
            sweep8(rows, ldx, full, has_tail, tail, r + i, g, next, 8, 0);
        }
    }
    for (; i < n_rows; ++i) {
        sweep1(x + i * ldx, full, has_tail, tail, r[i], g);
    }
}

gd_status gdi_avx2_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *w, double b, double *z, double *g,
                              gdi_rows_residual_fn residual, void *ctx, int residual_asks)
{
    const size_t full = n_features / 4 * 4;
    const int has_tail = n_features % 4 != 0;
    const __m256i tail = gdi_tail_mask4(n_features);
    const __m256d intercept = _mm256_set1_pd(b);
    const size_t group = GDI_FUSED_ROWS;
    for (size_t i = 0; i < n_rows; i += group) {
        const size_t count = n_rows - i < group ? n_rows - i : group;
        const double *rows = x + i * ldx;
        /* As avx512.c: the rows GDI_FUSED_AHEAD_ROWS further on into L2,
         * rows 0–3 of each 8 while their z is summed and 4–7 while they go
         * into g (or 4 and 5 while the residual runs, when it asks, and 6
         * and 7 into g), once per 64 bytes; without a gradient, all while z
         * is summed. An address: those rows may lie past the end of X. */
        const gdi_rows_ahead rows_ahead = gdi_rows_ahead_of(rows, ldx, n_features);
        const uintptr_t ahead = rows_ahead.group;
        size_t q = 0;
        for (; q + 8 <= count; q += 8) {
            const double *sub = rows + q * ldx;
            const uintptr_t sub_ahead = ahead + q * ldx * sizeof(double);
            __m256d lo, hi;
            if (g != NULL) {
                dot8(sub, ldx, w, full, has_tail, tail, sub_ahead, 4, 1, &lo, &hi);
            } else {
                dot8(sub, ldx, w, full, has_tail, tail, sub_ahead, 8, 1, &lo, &hi);
            }
            _mm256_storeu_pd(z + q, _mm256_add_pd(lo, intercept));
            _mm256_storeu_pd(z + q + 4, _mm256_add_pd(hi, intercept));
        }
        for (; q < count; ++q) {
            z[q] = dot1(rows + q * ldx, w, full, has_tail, tail) + b;
        }
        const gd_status status =
            residual(ctx, i, count, z, residual_asks && g != NULL ? &rows_ahead : NULL);
        if (status != GD_OK) {
            return status;
        }
        if (g == NULL) {
            continue;
        }
        for (q = 0; q + 8 <= count; q += 8) {
            const uintptr_t sub_ahead = ahead + q * ldx * sizeof(double);
            if (residual_asks) {
                sweep8(rows + q * ldx, ldx, full, has_tail, tail, z + q, g, sub_ahead, 6, 0);
            } else {
                sweep8(rows + q * ldx, ldx, full, has_tail, tail, z + q, g, sub_ahead, 4, 0);
            }
        }
        for (; q < count; ++q) {
            sweep1(rows + q * ldx, full, has_tail, tail, z[q], g);
        }
    }
    return GD_OK;
}
