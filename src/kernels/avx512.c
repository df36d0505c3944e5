/* The one-output block kernels (out = Xw + b, g += Xᵀr) in AVX-512, for the
 * CPUs that have it (gdi_avx512_usable, affine.c), the one-pass
 * evaluation's fused sweep over narrow rows (gdi_avx512_fused_rows), and the
 * logistic residual with its exp and log1p inline (gdi_avx512_logistic_rows,
 * at the end). This file and avx512_multi.c alone are built with -mavx512f
 * (src/CMakeLists.txt): nothing in them may run before that check, so they
 * hold these kernels and nothing else.
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
 * Why fused: with blocks of ~80 rows (z of the block, its residual, then
 * Xᵀr from cache), memory idled through each block's residual and Xᵀr.
 * Taking 16 rows through all three steps at once, and asking for the rows
 * 32 ahead half during z and half during Xᵀr, spreads the requests over the
 * whole computation (1e6×50, 2 threads, gdlearn-bench, one-off A/B: linear
 * 1.21 → 1.15 times the read of X, logistic 1.31 → 1.24). A residual with
 * work of its own asks for a quarter of them itself, as it computes
 * (residual_asks, kernels.h: the logistic residual, gdi_avx512_logistic_rows
 * below), so that requests go out during it too.
 *
 * Sums are in a fixed order (lane j mod 8 of each row, then the tree of
 * gdi_sum_each, for a row in a group of 8 or alone; g gets its rows in order), so
 * the same input gives the same bits on every AVX-512 CPU, wherever block
 * boundaries fall. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "kernels/avx512_lanes.h"
#include "kernels/avx512_math.h"
#include "kernels/kernels.h"

#define PREFETCH_ROWS ((size_t)16)
#define PREFETCH_MAX_FEATURES ((size_t)128)
#define WIDE_PREFETCH_FEATURES ((size_t)256)

/* The 8 dot products x_rᵀw of the 8 rows at `rows` (stride ldx), as lanes,
 * by the fixed order of the file's header. Rows [0, pf_rows) of the 8 at
 * `ahead` (an address: those rows may lie past the end of X) are asked for
 * meanwhile, one request per 64 bytes loaded, into L1 or, with to_l2, L2.
 * Always inlined, so that constant pf_rows and to_l2 leave no tests behind. */
static inline __attribute__((always_inline)) __m512d
dot8(const double *rows, size_t ldx, const double *w, size_t full, __mmask8 tail,
     uintptr_t ahead, size_t pf_rows, int to_l2)
{
    __m512d acc[8];
    for (size_t r = 0; r < 8; ++r) {
        acc[r] = _mm512_setzero_pd();
    }
    for (size_t j = 0; j < full; j += 8) {
        const __m512d wj = _mm512_loadu_pd(w + j);
        for (size_t r = 0; r < 8; ++r) {
            if (r < pf_rows) {
                const char *line = (const char *)(ahead + (r * ldx + j) * sizeof(double));
                if (to_l2) {
                    _mm_prefetch(line, _MM_HINT_T1);
                } else {
                    _mm_prefetch(line, _MM_HINT_T0);
                }
            }
            acc[r] = _mm512_fmadd_pd(_mm512_loadu_pd(rows + r * ldx + j), wj, acc[r]);
        }
    }
    if (tail != 0) {
        const __m512d wj = _mm512_maskz_loadu_pd(tail, w + full);
        for (size_t r = 0; r < 8; ++r) {
            acc[r] = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, rows + r * ldx + full), wj,
                                     acc[r]);
        }
    }
    return gdi_sum_each(acc);
}

/* One row's x_iᵀw, summed by the same tree as a row of an 8-row group, so
 * that a row's bits do not depend on where groups and blocks fall. */
static inline double dot1(const double *row, const double *w, size_t full, __mmask8 tail)
{
    __m512d acc = _mm512_setzero_pd();
    for (size_t j = 0; j < full; j += 8) {
        acc = _mm512_fmadd_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(w + j), acc);
    }
    if (tail != 0) {
        acc = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, row + full),
                              _mm512_maskz_loadu_pd(tail, w + full), acc);
    }
    const __m512d zero = _mm512_setzero_pd();
    const __m512d lanes[8] = {acc, zero, zero, zero, zero, zero, zero, zero};
    return _mm_cvtsd_f64(_mm512_castpd512_pd128(gdi_sum_each(lanes)));
}

/* g += Σ r_q x_q over the 8 rows at `rows`, rows in order (a row's terms
 * reach g in the same order alone or in a group). Rows [pf_from, 8) at
 * `ahead` are asked for into L2 meanwhile, one request per 64 bytes; with
 * `wide`, instead, the start of the 8 rows at `ahead`, two lines a step
 * spread over those rows (line L: row L mod 8, its (L / 8)-th 64 bytes;
 * gdi_avx512_accumulate_xt_r says why). */
static inline __attribute__((always_inline)) void
sweep8(const double *rows, size_t ldx, size_t full, __mmask8 tail, const double *r, double *g,
       uintptr_t ahead, size_t pf_from, int wide)
{
    __m512d coef[8];
    for (size_t q = 0; q < 8; ++q) {
        coef[q] = _mm512_set1_pd(r[q]);
    }
    for (size_t j = 0; j < full; j += 8) {
        for (size_t line = j / 4; wide && line < j / 4 + 2; ++line) {
            _mm_prefetch(
                (const char *)(ahead + ((line % 8) * ldx + line / 8 * 8) * sizeof(double)),
                _MM_HINT_T1);
        }
        __m512d gj = _mm512_loadu_pd(g + j);
        for (size_t q = 0; q < 8; ++q) {
            if (q >= pf_from) {
                _mm_prefetch((const char *)(ahead + (q * ldx + j) * sizeof(double)),
                             _MM_HINT_T1);
            }
            gj = _mm512_fmadd_pd(coef[q], _mm512_loadu_pd(rows + q * ldx + j), gj);
        }
        _mm512_storeu_pd(g + j, gj);
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

/* g += r·x for one row. */
static inline void sweep1(const double *row, size_t full, __mmask8 tail, double r, double *g)
{
    const __m512d coef = _mm512_set1_pd(r);
    for (size_t j = 0; j < full; j += 8) {
        _mm512_storeu_pd(g + j,
                         _mm512_fmadd_pd(coef, _mm512_loadu_pd(row + j), _mm512_loadu_pd(g + j)));
    }
    if (tail != 0) {
        const __m512d gj = _mm512_maskz_loadu_pd(tail, g + full);
        _mm512_mask_storeu_pd(g + full, tail,
                              _mm512_fmadd_pd(coef, _mm512_maskz_loadu_pd(tail, row + full), gj));
    }
}

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
     * was slower, so wide rows go without. (The one-pass evaluation now
     * takes narrow rows through gdi_avx512_fused_rows; this serves
     * gd_predict.) */
    const int prefetch = n_features <= PREFETCH_MAX_FEATURES;
    size_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        const double *rows = x + i * ldx;
        /* The same column of the rows PREFETCH_ROWS further on, as an
         * address, not a pointer into X: those rows may lie past its end,
         * where pointer arithmetic would be undefined. */
        const uintptr_t ahead = (uintptr_t)rows + PREFETCH_ROWS * ldx * sizeof(double);
        const __m512d z = prefetch ? dot8(rows, ldx, w, full, tail, ahead, 8, 0)
                                   : dot8(rows, ldx, w, full, tail, ahead, 0, 0);
        _mm512_storeu_pd(out + i, _mm512_add_pd(z, intercept));
    }
    for (; i < n_rows; ++i) { /* the last n_rows % 8 rows, one at a time */
        out[i] = dot1(x + i * ldx, w, full, tail) + b;
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
        if (ahead) {
            sweep8(rows, ldx, full, tail, r + i, g, next, 8, 1);
        } else { /* the same sweep, without (narrower rows) */
            sweep8(rows, ldx, full, tail, r + i, g, next, 8, 0);
        }
    }
    for (; i < n_rows; ++i) {
        sweep1(x + i * ldx, full, tail, r[i], g);
    }
}

gd_status gdi_avx512_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *w, double b, double *z, double *g,
                                gdi_rows_residual_fn residual, void *ctx, int residual_asks)
{
    const size_t full = n_features / 8 * 8;
    const __mmask8 tail = gdi_tail_mask(n_features);
    const __m512d intercept = _mm512_set1_pd(b);
    const size_t group = GDI_FUSED_ROWS;
    for (size_t i = 0; i < n_rows; i += group) {
        const size_t count = n_rows - i < group ? n_rows - i : group;
        const double *rows = x + i * ldx;
        /* The rows GDI_FUSED_AHEAD_ROWS further on are asked for into L2,
         * rows 0–3 of each 8 while their z is summed, then 4–7 while they
         * go into g or, when the residual asks (residual_asks), 4 and 5
         * while it runs and 6 and 7 while they go into g: one request per 64
         * bytes loaded, so requests go out evenly over the whole group.
         * Without a gradient, all while z is summed. An address: those rows
         * may lie past the end of X. */
        const gdi_rows_ahead rows_ahead = gdi_rows_ahead_of(rows, ldx, n_features);
        const uintptr_t ahead = rows_ahead.group;
        size_t q = 0;
        for (; q + 8 <= count; q += 8) {
            const double *sub = rows + q * ldx;
            const uintptr_t sub_ahead = ahead + q * ldx * sizeof(double);
            const __m512d zq = g != NULL ? dot8(sub, ldx, w, full, tail, sub_ahead, 4, 1)
                                         : dot8(sub, ldx, w, full, tail, sub_ahead, 8, 1);
            _mm512_storeu_pd(z + q, _mm512_add_pd(zq, intercept));
        }
        for (; q < count; ++q) {
            z[q] = dot1(rows + q * ldx, w, full, tail) + b;
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
                sweep8(rows + q * ldx, ldx, full, tail, z + q, g, sub_ahead, 6, 0);
            } else {
                sweep8(rows + q * ldx, ldx, full, tail, z + q, g, sub_ahead, 4, 0);
            }
        }
        for (; q < count; ++q) {
            sweep1(rows + q * ldx, full, tail, z[q], g);
        }
    }
    return GD_OK;
}

int gdi_avx512_logistic_rows(double *z, const double *y, const double *s, size_t n,
                             double *loss, double *intercept, const gdi_rows_ahead *ahead)
{
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d zero = _mm512_setzero_pd();
    __m512d loss_sum = zero;
    __m512d residual_sum = zero;
    __mmask8 bad = 0;
    for (size_t i = 0; i < n; i += 8) {
        const size_t len = n - i < 8 ? n - i : 8;
        const __mmask8 live = (__mmask8)((1u << len) - 1u);
        gdi_rows_ahead_step(ahead, i);
        const __m512d zi = _mm512_maskz_loadu_pd(live, z + i);
        const __m512d yi = _mm512_maskz_loadu_pd(live, y + i);
        const __mmask8 is_one = _mm512_cmp_pd_mask(yi, one, _CMP_EQ_OQ);
        bad = (__mmask8)(bad | (live & ~(is_one | _mm512_cmp_pd_mask(yi, zero, _CMP_EQ_OQ))));
        /* Dead lanes: weight 0, so they add 0 to both sums. */
        const __m512d si =
            s != NULL ? _mm512_maskz_loadu_pd(live, s + i) : _mm512_maskz_mov_pd(live, one);
        /* e = e^−|z|; σ = 1/(1 + e) for z ≥ 0, e/(1 + e) for z < 0. */
        const __m512d e = gdi_exp_nonpositive_pd(_mm512_sub_pd(zero, _mm512_abs_pd(zi)));
        const __m512d u = _mm512_add_pd(one, e);
        const __m512d inv = _mm512_div_pd(one, u);
        const __mmask8 nonnegative = _mm512_cmp_pd_mask(zi, zero, _CMP_GE_OQ);
        /* e/u as e·inv, corrected by the product's remainder e − u·q. */
        const __m512d q = _mm512_mul_pd(e, inv);
        const __m512d quotient = _mm512_fmadd_pd(_mm512_fnmadd_pd(u, q, e), inv, q);
        const __m512d sigma = _mm512_mask_mov_pd(quotient, nonnegative, inv);
        const __m512d r = _mm512_mul_pd(si, _mm512_sub_pd(sigma, yi));
        /* softplus(z) − y·z = max(t, 0) + log1p(e), t = −z for y = 1, else z. */
        const __m512d t = _mm512_mask_sub_pd(zi, is_one, zero, zi);
        const __m512d row_loss =
            _mm512_add_pd(_mm512_max_pd(t, zero), gdi_log1p_nonnegative_pd(e, u, inv));
        loss_sum = _mm512_fmadd_pd(si, row_loss, loss_sum);
        residual_sum = _mm512_add_pd(residual_sum, r);
        _mm512_mask_storeu_pd(z + i, live, r);
    }
    *loss += _mm512_reduce_add_pd(loss_sum);
    if (intercept != NULL) {
        *intercept += _mm512_reduce_add_pd(residual_sum);
    }
    return bad == 0;
}

void gdi_avx512_exp_nonpositive(const double *x, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        const __mmask8 live = (__mmask8)((1u << (n - i < 8 ? n - i : 8)) - 1u);
        _mm512_mask_storeu_pd(out + i, live,
                              gdi_exp_nonpositive_pd(_mm512_maskz_loadu_pd(live, x + i)));
    }
}

void gdi_avx512_log1p_nonnegative(const double *x, double *out, size_t n)
{
    const __m512d one = _mm512_set1_pd(1.0);
    for (size_t i = 0; i < n; i += 8) {
        const __mmask8 live = (__mmask8)((1u << (n - i < 8 ? n - i : 8)) - 1u);
        const __m512d v = _mm512_maskz_loadu_pd(live, x + i);
        const __m512d u = _mm512_add_pd(one, v);
        const __m512d r = gdi_log1p_nonnegative_pd(v, u, _mm512_div_pd(one, u));
        /* log1p(+∞) = +∞, as libm's (the inline form gives NaN there; the
         * residuals never pass it +∞, so only this wrapper mends it). */
        const __mmask8 inf = _mm512_cmp_pd_mask(v, _mm512_set1_pd(HUGE_VAL), _CMP_EQ_OQ);
        _mm512_mask_storeu_pd(out + i, live, _mm512_mask_mov_pd(r, inf, v));
    }
}
