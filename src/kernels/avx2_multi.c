/* The k-output block kernels of softmax regression (Z = XW + 1bᵀ and
 * G += XᵀR) in AVX2+FMA, for CPUs without AVX-512 (gdi_avx2_multi_usable,
 * affine.c): avx512_multi.c's loops in 4-lane vectors. Built with -mavx2
 * -mfma like avx2.c (src/CMakeLists.txt): nothing in it may run before that
 * check.
 *
 * The same layout as avx512_multi.c — the weights and the gradient
 * transposed, k × m, one class's m values contiguous — and the same walk:
 *   - Z: two rows at a time against up to NC_MAX classes, 2·nc accumulators
 *     of 4 features each, every weight vector loaded once for both rows (12
 *     accumulators, two row vectors and a weight vector: 15 of the 16
 *     registers); the accumulators are then summed 4 at a time
 *     (gdi_sum_each4);
 *   - G: 8 features (two vectors) of up to NC_MAX classes held in 2·nc
 *     registers while the block's rows stream past, each row's residual
 *     broadcast: no load or store of G inside the loop over rows.
 * k = 10 is two groups of 5, each walking the block (from cache). R is
 * row-major: the residual is the model's own (with libmvec), not
 * avx512_multi.c's lanes layout. Wide rows are not cut into panels of
 * features (avx512_multi.c's z_panels): at m·nc above a few thousand the
 * group's weights are read from L2 for each pair of rows.
 *
 * Both report their work to gdi_prefetch_work (gdi_avx2_multi_work), which
 * asks for the next block a line at a time as they go.
 *
 * Sums are in a fixed order: Z[i][c] is the tree of gdi_sum_each4 over lane
 * j mod 4 of row i, the same for a row in a pair or alone, plus b[c];
 * G[c][j] gets its rows in order. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/avx2_lanes.h"
#include "kernels/kernels.h"

/* Classes per group: 2·NC_MAX accumulators, two row (or feature) vectors and
 * a weight (or broadcast) vector fill 15 of the 16 vector registers. */
#define NC_MAX 6

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* A weight vector used by two rows is loaded once, not folded into both
 * FMAs as two loads. */
#define KEEP_IN_REGISTER(v) __asm__("" : "+x"(v))
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 12")
#endif

/* Features of Z between two reports of its work (as avx512_multi.c). */
#define Z_REPORT ((size_t)64)

/* dst[q] = (lane-sum of acc[q]) + bias[q] for q < count (≤ 2·NC_MAX), 4 at
 * a time. */
ALWAYS_INLINE void add_lanes4(const __m256d *acc, int count, const double *bias, double *dst)
{
    const __m256d zero = _mm256_setzero_pd();
    UNROLL
    for (int g = 0; g < count; g += 4) {
        const __m256d sums = gdi_sum_each4(acc[g], g + 1 < count ? acc[g + 1] : zero,
                                           g + 2 < count ? acc[g + 2] : zero,
                                           g + 3 < count ? acc[g + 3] : zero);
        if (count - g >= 4) {
            _mm256_storeu_pd(dst + g, _mm256_add_pd(sums, _mm256_loadu_pd(bias + g)));
        } else {
            const __m256i mask = gdi_tail_mask4((size_t)(count - g));
            _mm256_maskstore_pd(dst + g, mask,
                                _mm256_add_pd(sums, _mm256_maskload_pd(bias + g, mask)));
        }
    }
}

/* One specialised copy of the Z and G loops per class count 1 … NC_MAX, so
 * that the accumulators live in registers. */
#define GDI_CASES4(CALL)                                                                   \
    case 1: CALL(1); break;                                                                \
    case 2: CALL(2); break;                                                                \
    case 3: CALL(3); break;                                                                \
    case 4: CALL(4); break;                                                                \
    case 5: CALL(5); break;                                                                \
    default: CALL(6); break;

/* Z of n_rows (1 or 2) rows at x against the nc classes at wt (row stride
 * ldw), plus the intercepts (bb: the nc of them twice over): out[r·k + c]
 * for r < n_rows, c < nc. Reports n_rows·nc·⌈m/4⌉ of work to pf. */
ALWAYS_INLINE void z_rows(int n_rows, int nc, const double *x, size_t ldx, size_t m,
                          const double *wt, size_t ldw, const double *bb, double *out, size_t k,
                          gdi_prefetch *pf)
{
    __m256d acc[2 * NC_MAX];
    UNROLL
    for (int q = 0; q < n_rows * nc; ++q) {
        acc[q] = _mm256_setzero_pd();
    }
    const size_t full = m / 4 * 4;
    for (size_t j0 = 0; j0 < full; j0 += Z_REPORT) {
        const size_t j1 = full - j0 < Z_REPORT ? full : j0 + Z_REPORT;
        for (size_t j = j0; j < j1; j += 4) {
            const __m256d v0 = _mm256_loadu_pd(x + j);
            const __m256d v1 = n_rows == 2 ? _mm256_loadu_pd(x + ldx + j) : v0;
            UNROLL
            for (int c = 0; c < nc; ++c) {
                __m256d wv = _mm256_loadu_pd(wt + (size_t)c * ldw + j);
                KEEP_IN_REGISTER(wv);
                acc[c] = _mm256_fmadd_pd(v0, wv, acc[c]);
                if (n_rows == 2) {
                    acc[nc + c] = _mm256_fmadd_pd(v1, wv, acc[nc + c]);
                }
            }
        }
        gdi_prefetch_work(pf, (size_t)(n_rows * nc) * ((j1 - j0) / 4));
    }
    if (m % 4 != 0) {
        const __m256i tail = gdi_tail_mask4(m);
        const __m256d v0 = _mm256_maskload_pd(x + full, tail);
        const __m256d v1 = n_rows == 2 ? _mm256_maskload_pd(x + ldx + full, tail) : v0;
        UNROLL
        for (int c = 0; c < nc; ++c) {
            const __m256d wv = _mm256_maskload_pd(wt + (size_t)c * ldw + full, tail);
            acc[c] = _mm256_fmadd_pd(v0, wv, acc[c]);
            if (n_rows == 2) {
                acc[nc + c] = _mm256_fmadd_pd(v1, wv, acc[nc + c]);
            }
        }
        gdi_prefetch_work(pf, (size_t)(n_rows * nc));
    }
    if ((size_t)nc == k) {
        /* One group holds every class: the rows' outputs are contiguous,
         * in the order of acc; bb holds b once per row. */
        add_lanes4(acc, n_rows * nc, bb, out);
        return;
    }
    double sums[2 * NC_MAX];
    add_lanes4(acc, n_rows * nc, bb, sums);
    UNROLL
    for (int r = 0; r < n_rows; ++r) {
        UNROLL
        for (int c = 0; c < nc; ++c) {
            out[(size_t)r * k + (size_t)c] = sums[r * nc + c];
        }
    }
}

ALWAYS_INLINE void z_group(int nc, const double *x, size_t n_rows, size_t ldx, size_t m,
                           const double *wt, size_t ldw, const double *b, double *out, size_t k,
                           gdi_prefetch *pf)
{
    double bb[2 * NC_MAX];
    UNROLL
    for (int c = 0; c < nc; ++c) {
        bb[c] = b[c];
        bb[nc + c] = b[c];
    }
    size_t i = 0;
    for (; i + 2 <= n_rows; i += 2) {
        z_rows(2, nc, x + i * ldx, ldx, m, wt, ldw, bb, out + i * k, k, pf);
    }
    if (i < n_rows) {
        z_rows(1, nc, x + i * ldx, ldx, m, wt, ldw, bb, out + i * k, k, pf);
    }
}

/* G[c][j …] += Σ_i x_i[j …]·R[i][c] over n_rows rows (R row-major, k
 * apart), for the nc classes from c0 at gt (row stride ldg) and n_vec (1 or
 * 2) vectors of features at x; with `masked`, the last vector limited to the
 * lanes of `last` (maskload/maskstore), else both whole. */
ALWAYS_INLINE void g_cols(int n_vec, int nc, int masked, __m256i last, const double *x,
                          size_t n_rows, size_t ldx, const double *r, size_t k, double *gt,
                          size_t ldg, size_t c0, gdi_prefetch *pf)
{
    __m256d acc[2 * NC_MAX];
    /* Whole vectors load plainly; only a masked last one goes through
     * maskload (slower on some CPUs). */
#define G_LOAD(p, is_last)                                                                 \
    (masked && (is_last) ? _mm256_maskload_pd((p), last) : _mm256_loadu_pd(p))
    UNROLL
    for (int c = 0; c < nc; ++c) {
        acc[c] = G_LOAD(gt + (size_t)c * ldg, n_vec == 1);
        if (n_vec == 2) {
            acc[nc + c] = G_LOAD(gt + (size_t)c * ldg + 4, 1);
        }
    }
    for (size_t g0 = 0; g0 < n_rows; g0 += 8) {
        const size_t len = n_rows - g0 < 8 ? n_rows - g0 : 8;
        for (size_t q = 0; q < len; ++q) {
            const double *row = x + (g0 + q) * ldx;
            const __m256d v0 = G_LOAD(row, n_vec == 1);
            const __m256d v1 = n_vec == 2 ? G_LOAD(row + 4, 1) : v0;
            const double *ri = r + (g0 + q) * k + c0;
            UNROLL
            for (int c = 0; c < nc; ++c) {
                const __m256d coef = _mm256_broadcast_sd(ri + c);
                acc[c] = _mm256_fmadd_pd(v0, coef, acc[c]);
                if (n_vec == 2) {
                    acc[nc + c] = _mm256_fmadd_pd(v1, coef, acc[nc + c]);
                }
            }
        }
        gdi_prefetch_work(pf, len * (size_t)(n_vec * nc));
    }
#undef G_LOAD
    UNROLL
    for (int c = 0; c < nc; ++c) {
        double *first = gt + (size_t)c * ldg;
        if (masked && n_vec == 1) {
            _mm256_maskstore_pd(first, last, acc[c]);
        } else {
            _mm256_storeu_pd(first, acc[c]);
        }
        if (n_vec == 2) {
            if (masked) {
                _mm256_maskstore_pd(first + 4, last, acc[nc + c]);
            } else {
                _mm256_storeu_pd(first + 4, acc[nc + c]);
            }
        }
    }
}

ALWAYS_INLINE void g_group(int nc, const double *x, size_t n_rows, size_t ldx, size_t m,
                           const double *r, size_t k, double *gt, size_t ldg, size_t c0,
                           gdi_prefetch *pf)
{
    const __m256i all = _mm256_set1_epi64x(-1);
    size_t j = 0;
    for (; j + 8 <= m; j += 8) {
        g_cols(2, nc, 0, all, x + j, n_rows, ldx, r, k, gt + j, ldg, c0, pf);
    }
    const size_t left = m - j;
    if (left > 4) {
        g_cols(2, nc, 1, gdi_tail_mask4(left), x + j, n_rows, ldx, r, k, gt + j, ldg, c0, pf);
    } else if (left == 4) {
        g_cols(1, nc, 0, all, x + j, n_rows, ldx, r, k, gt + j, ldg, c0, pf);
    } else if (left > 0) {
        g_cols(1, nc, 1, gdi_tail_mask4(left), x + j, n_rows, ldx, r, k, gt + j, ldg, c0, pf);
    }
}

void gdi_avx2_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *wt, size_t ldw, const double *b, size_t n_outputs,
                                double *out, gdi_prefetch *pf)
{
    const size_t groups = (n_outputs + NC_MAX - 1) / NC_MAX;
    for (size_t g = 0; g < groups; ++g) {
        size_t c0;
        const int nc = gdi_class_group(n_outputs, g, groups, &c0);
        const double *wg = wt + c0 * ldw;
#define Z_CALL(NC) z_group(NC, x, n_rows, ldx, n_features, wg, ldw, b + c0, out + c0, n_outputs, pf)
        switch (nc) { GDI_CASES4(Z_CALL) }
#undef Z_CALL
    }
}

void gdi_avx2_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                    size_t ldx, const double *r, size_t n_outputs, double *gt,
                                    size_t ldg, gdi_prefetch *pf)
{
    const size_t groups = (n_outputs + NC_MAX - 1) / NC_MAX;
    for (size_t g = 0; g < groups; ++g) {
        size_t c0;
        const int nc = gdi_class_group(n_outputs, g, groups, &c0);
        double *gg = gt + c0 * ldg;
#define G_CALL(NC) g_group(NC, x, n_rows, ldx, n_features, r, n_outputs, gg, ldg, c0, pf)
        switch (nc) { GDI_CASES4(G_CALL) }
#undef G_CALL
    }
}
