/* The k-output block kernels of softmax regression (Z = XW + 1bᵀ and
 * G += XᵀR) in AVX-512, for the CPUs that have it (gdi_avx512_usable,
 * affine.c). Built with -mavx512f like avx512.c (src/CMakeLists.txt): nothing
 * in it may run before that check.
 *
 * Both take the weights and the gradient transposed, k × m (one class's m
 * values contiguous; onepass.c transposes W once per evaluation and the
 * gradient once at the end), so that the vectors run along the features:
 *   - Z: two rows at a time against up to NC_MAX classes, 2·nc accumulators
 *     of 8 features each, every weight vector loaded once for both rows; the
 *     accumulators are then summed 8 at a time (gdi_sum_each);
 *   - G: 16 features (two vectors) of up to NC_MAX classes held in 2·nc
 *     registers while the block's rows stream past, each row's residual
 *     broadcast: no load or store of G inside the loop over rows.
 * k = 10 fits one group of classes; larger k is cut into near-equal groups of
 * at most NC_MAX, each walking the block again (from cache). The residual
 * between them (gdi_avx512_softmax_lanes) takes 8 rows at a time, one row
 * per vector lane, and leaves R in that lanes layout for G.
 *
 * Why not dgemm: through dgemm a 2e5×100×10 evaluation cost the read of X
 * plus the arithmetic, one after the other. These loops are cheaper in cache
 * (block_probe) and report their work to gdi_prefetch_work, which asks for
 * the next block a line at a time as they go, so memory delivers it while
 * they compute (docs/performance.md).
 *
 * Sums are in a fixed order: Z[i][c] is the tree of gdi_sum_each over lane
 * j mod 8 of row i, the same for a row in a pair or alone (row bits do not
 * depend on block boundaries), plus b[c]; G[c][j] gets its rows in order;
 * the residual's sums run over the classes in order. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/avx512_lanes.h"
#include "kernels/avx512_math.h"
#include "kernels/kernels.h"

/* Classes per group: 2·NC_MAX accumulators, two row (or feature) vectors and
 * a weight (or broadcast) vector fill 27 of the 32 vector registers. */
#define NC_MAX 12

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* A vector the compiler must hold in a register: a weight vector used by two
 * rows is then loaded once, not folded into both FMAs as two loads. */
#define KEEP_IN_REGISTER(v) __asm__("" : "+v"(v))
/* Loops over classes and accumulators unrolled in full, so that the
 * accumulators are registers, not an array on the stack. */
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 24")
#endif

/* dst[q] = (lane-sum of acc[q]) + bias[q] for q < count (≤ 2·NC_MAX), 8 at
 * a time. */
ALWAYS_INLINE void add_lanes(const __m512d *acc, int count, const double *bias, double *dst)
{
    UNROLL
    for (int g = 0; g < count; g += 8) {
        __m512d lanes[8];
        UNROLL
        for (int q = 0; q < 8; ++q) {
            lanes[q] = g + q < count ? acc[g + q] : _mm512_setzero_pd();
        }
        const int len = count - g < 8 ? count - g : 8;
        const __mmask8 mask = (__mmask8)((1u << len) - 1u);
        const __m512d sums = gdi_sum_each(lanes);
        _mm512_mask_storeu_pd(dst + g, mask,
                              _mm512_add_pd(sums, _mm512_maskz_loadu_pd(mask, bias + g)));
    }
}

/* One specialised copy of the Z and G loops per class count 1 … NC_MAX, so
 * that the accumulators live in registers. */
#define GDI_CASES(CALL)                                                                    \
    case 1: CALL(1); break;                                                                \
    case 2: CALL(2); break;                                                                \
    case 3: CALL(3); break;                                                                \
    case 4: CALL(4); break;                                                                \
    case 5: CALL(5); break;                                                                \
    case 6: CALL(6); break;                                                                \
    case 7: CALL(7); break;                                                                \
    case 8: CALL(8); break;                                                                \
    case 9: CALL(9); break;                                                                \
    case 10: CALL(10); break;                                                              \
    case 11: CALL(11); break;                                                              \
    default: CALL(12); break;

/* Features of Z between two reports of its work to gdi_prefetch_work: at
 * m = 784 a report per pair of rows asked for ~100 lines at once, and such
 * bursts stall the core (kernels.h); every 64 features the evaluation took
 * 12 % less time on one thread (m = 784, k = 10; 18 % at m = 2000). */
#define Z_REPORT ((size_t)64)
/* Z runs in panels of features (z_group) where a group's weights (nc × m)
 * exceed Z_PANELS_ABOVE bytes, just under the 48 KiB of L1 here, in panels
 * of at most Z_PANEL_BYTES. In cache at k = 10 (one-off timings, one
 * thread), Z took 183 ns a row in panels against 226 without at m = 600
 * (47 KiB of weights), 240 against 296 at m = 784, 609 against 751 at
 * m = 2000; at m = 520 (41 KiB) panels were 8 % slower. */
#define Z_PANELS_ABOVE ((size_t)45056)
#define Z_PANEL_BYTES ((size_t)32768)
#define Z_PANEL_ROWS ((size_t)16)

/* The products of n_rows (1 or 2) rows at x with the nc classes at wt (row
 * stride ldw) over the full vectors of features [j_begin, j_end), added
 * into acc (row r's class c at acc[r·nc + c]), the work reported to pf
 * every Z_REPORT features; z_accumulate_tail adds the masked last vector of
 * m features, if any. Shared by z_rows and z_pair_half: the same products
 * in the same order, so the same bits. */
ALWAYS_INLINE void z_accumulate(int n_rows, int nc, const double *x, size_t ldx, size_t j_begin,
                                size_t j_end, const double *wt, size_t ldw, __m512d *acc,
                                gdi_prefetch *pf)
{
    for (size_t j0 = j_begin; j0 < j_end; j0 += Z_REPORT) {
        const size_t j1 = j_end - j0 < Z_REPORT ? j_end : j0 + Z_REPORT;
        for (size_t j = j0; j < j1; j += 8) {
            const __m512d v0 = _mm512_loadu_pd(x + j);
            const __m512d v1 = n_rows == 2 ? _mm512_loadu_pd(x + ldx + j) : v0;
            UNROLL
            for (int c = 0; c < nc; ++c) {
                __m512d wv = _mm512_loadu_pd(wt + (size_t)c * ldw + j);
                KEEP_IN_REGISTER(wv);
                acc[c] = _mm512_fmadd_pd(v0, wv, acc[c]);
                if (n_rows == 2) {
                    acc[nc + c] = _mm512_fmadd_pd(v1, wv, acc[nc + c]);
                }
            }
        }
        gdi_prefetch_work(pf, (size_t)(n_rows * nc) * ((j1 - j0) / 8));
    }
}

ALWAYS_INLINE void z_accumulate_tail(int n_rows, int nc, const double *x, size_t ldx, size_t m,
                                     const double *wt, size_t ldw, __m512d *acc,
                                     gdi_prefetch *pf)
{
    const size_t full = m / 8 * 8;
    const __mmask8 tail = gdi_tail_mask(m);
    if (tail != 0) {
        const __m512d v0 = _mm512_maskz_loadu_pd(tail, x + full);
        const __m512d v1 = n_rows == 2 ? _mm512_maskz_loadu_pd(tail, x + ldx + full) : v0;
        UNROLL
        for (int c = 0; c < nc; ++c) {
            const __m512d wv = _mm512_maskz_loadu_pd(tail, wt + (size_t)c * ldw + full);
            acc[c] = _mm512_fmadd_pd(v0, wv, acc[c]);
            if (n_rows == 2) {
                acc[nc + c] = _mm512_fmadd_pd(v1, wv, acc[nc + c]);
            }
        }
        gdi_prefetch_work(pf, (size_t)(n_rows * nc));
    }
}

/* Z of n_rows (1 or 2) rows at x against the nc classes at wt (row stride
 * ldw), plus the intercepts (bb: the nc of them twice over): out[r·k + c]
 * for r < n_rows, c < nc. Reports n_rows·nc·⌈m/8⌉ of work to pf.
 *
 * In parts, for z_panels: the full vectors of features [j_begin,
 * j_end) only, the accumulators starting from `from` (NULL: from 0) and
 * left in `to` (NULL: this is the last part: the masked tail, the lane sums
 * and out follow). A row's lanes add the same products in the same order
 * whatever the parts, so the bits do not depend on them. */
ALWAYS_INLINE void z_rows(int n_rows, int nc, const double *x, size_t ldx, size_t m,
                          size_t j_begin, size_t j_end, const __m512d *from, __m512d *to,
                          const double *wt, size_t ldw, const double *bb, double *out, size_t k,
                          gdi_prefetch *pf)
{
    __m512d acc[2 * NC_MAX];
    UNROLL
    for (int q = 0; q < n_rows * nc; ++q) {
        acc[q] = from != NULL ? from[q] : _mm512_setzero_pd();
    }
    z_accumulate(n_rows, nc, x, ldx, j_begin, j_end, wt, ldw, acc, pf);
    if (to != NULL) {
        UNROLL
        for (int q = 0; q < n_rows * nc; ++q) {
            to[q] = acc[q];
        }
        return;
    }
    z_accumulate_tail(n_rows, nc, x, ldx, m, wt, ldw, acc, pf);
    if ((size_t)nc == k) {
        /* One group holds every class: the rows' outputs are contiguous,
         * in the order of acc; bb holds b once per row. */
        add_lanes(acc, n_rows * nc, bb, out);
        return;
    }
    double sums[2 * NC_MAX];
    add_lanes(acc, n_rows * nc, bb, sums);
    UNROLL
    for (int r = 0; r < n_rows; ++r) {
        UNROLL
        for (int c = 0; c < nc; ++c) {
            out[(size_t)r * k + (size_t)c] = sums[r * nc + c];
        }
    }
}

/* Rows [i, i + len) of Z in pairs (and a last row alone), each over features
 * [j_begin, j_end) from state (NULL: from 0) to state (last: to out), pair
 * p's accumulators at state + p·2·nc. */
ALWAYS_INLINE void z_part(int nc, const double *x, size_t len, size_t ldx, size_t m,
                          size_t j_begin, size_t j_end, int first, int last, __m512d *state,
                          const double *wt, size_t ldw, const double *bb, double *out, size_t k,
                          gdi_prefetch *pf)
{
    size_t i = 0;
    for (; i < len; i += 2) {
        const int rows = len - i >= 2 ? 2 : 1;
        __m512d *st = state == NULL ? NULL : state + i * (size_t)nc;
        if (rows == 2) {
            z_rows(2, nc, x + i * ldx, ldx, m, j_begin, j_end, first ? NULL : st,
                   last ? NULL : st, wt, ldw, bb, out + i * k, k, pf);
        } else {
            z_rows(1, nc, x + i * ldx, ldx, m, j_begin, j_end, first ? NULL : st,
                   last ? NULL : st, wt, ldw, bb, out + i * k, k, pf);
        }
    }
}

/* Z in panels of features where a group's weights (their full vectors:
 * nc × m rounded down to 8) exceed Z_PANELS_ABOVE:
 * Z_PANEL_ROWS rows at a time, each panel of W read from L2 once for them
 * instead of once per pair of rows. Out of line: its state on the stack
 * slowed the plain path by a fifth when inlined into it. */
ALWAYS_INLINE void z_panels(int nc, const double *x, size_t n_rows, size_t ldx, size_t m,
                            const double *wt, size_t ldw, const double *bb, double *out,
                            size_t k, gdi_prefetch *pf, size_t panel)
{
    const size_t full = m / 8 * 8;
    __m512d state[Z_PANEL_ROWS * NC_MAX];
    for (size_t i = 0; i < n_rows; i += Z_PANEL_ROWS) {
        const size_t len = n_rows - i < Z_PANEL_ROWS ? n_rows - i : Z_PANEL_ROWS;
        for (size_t j0 = 0; j0 < full; j0 += panel) {
            const size_t j1 = full - j0 <= panel ? full : j0 + panel;
            z_part(nc, x + i * ldx, len, ldx, m, j0, j1, j0 == 0, j1 == full, state, wt, ldw,
                   bb, out + i * k, k, pf);
        }
    }
}

__attribute__((noinline)) static void z_panels_of(int nc, const double *x, size_t n_rows,
                                                  size_t ldx, size_t m, const double *wt,
                                                  size_t ldw, const double *bb, double *out,
                                                  size_t k, gdi_prefetch *pf, size_t panel)
{
#define ZP_CALL(NC) z_panels(NC, x, n_rows, ldx, m, wt, ldw, bb, out, k, pf, panel)
    switch (nc) { GDI_CASES(ZP_CALL) }
#undef ZP_CALL
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
    const size_t full = m / 8 * 8;
    const size_t most = Z_PANEL_BYTES / sizeof(double) / (size_t)nc;
    if (full <= Z_PANELS_ABOVE / sizeof(double) / (size_t)nc) {
        z_part(nc, x, n_rows, ldx, m, 0, full, 1, 1, NULL, wt, ldw, bb, out, k, pf);
        return;
    }
    /* Near-equal panels of whole vectors, of `most` features or up to 7
     * more (rounded up to a vector). */
    const size_t panels = (full + most - 1) / most;
    const size_t panel = (full / panels + 7) / 8 * 8;
    z_panels_of(nc, x, n_rows, ldx, m, wt, ldw, bb, out, k, pf, panel);
}

/* Z straight into the lanes layout (kernels.h), for one group of classes
 * (nc = k ≤ NC_MAX) without panels: each pair of rows as z_rows, but the
 * first level of gdi_sum_each taken across the pair (row i and i + 1 of
 * class c: unpacklo + unpackhi), kept for the group of 8 rows; then per
 * class the last two levels over the group's 4 pairs give the 8 rows' sums
 * in lane order: the same tree, so the same bits as add_lanes. */
ALWAYS_INLINE void z_pair_half(int n_rows, int nc, const double *x, size_t ldx, size_t m,
                               const double *wt, size_t ldw, __m512d *half, gdi_prefetch *pf)
{
    __m512d acc[2 * NC_MAX];
    UNROLL
    for (int q = 0; q < 2 * nc; ++q) {
        acc[q] = _mm512_setzero_pd();
    }
    z_accumulate(n_rows, nc, x, ldx, 0, m / 8 * 8, wt, ldw, acc, pf);
    z_accumulate_tail(n_rows, nc, x, ldx, m, wt, ldw, acc, pf);
    UNROLL
    for (int c = 0; c < nc; ++c) {
        const __m512d a = acc[c], b = acc[nc + c];
        half[c] = _mm512_add_pd(_mm512_unpacklo_pd(a, b), _mm512_unpackhi_pd(a, b));
    }
}

ALWAYS_INLINE void z_lanes_group(int nc, const double *x, size_t n_rows, size_t ldx, size_t m,
                                 const double *wt, size_t ldw, const double *b, double *out,
                                 gdi_prefetch *pf)
{
    __m512d half[4][NC_MAX];
    for (size_t g0 = 0; g0 < n_rows; g0 += 8) {
        /* Not unrolled: four copies of the pair's loop ran out of general
         * registers (W's row pointers reloaded from the stack, a weight
         * vector spilled every step). */
        _Pragma("GCC unroll 1")
        for (int p = 0; p < 4; ++p) {
            const size_t i = g0 + 2 * (size_t)p;
            if (i + 2 <= n_rows) {
                z_pair_half(2, nc, x + i * ldx, ldx, m, wt, ldw, half[p], pf);
            } else if (i < n_rows) {
                z_pair_half(1, nc, x + i * ldx, ldx, m, wt, ldw, half[p], pf);
            } else {
                UNROLL
                for (int c = 0; c < nc; ++c) {
                    half[p][c] = _mm512_setzero_pd();
                }
            }
        }
        double *og = out + g0 * (size_t)nc;
        UNROLL
        for (int c = 0; c < nc; ++c) {
            const __m512d s01 = half[0][c], s23 = half[1][c], s45 = half[2][c], s67 = half[3][c];
            const __m512d pp = _mm512_add_pd(_mm512_shuffle_f64x2(s01, s23, 0x88),
                                             _mm512_shuffle_f64x2(s01, s23, 0xDD));
            const __m512d qq = _mm512_add_pd(_mm512_shuffle_f64x2(s45, s67, 0x88),
                                             _mm512_shuffle_f64x2(s45, s67, 0xDD));
            const __m512d sums = _mm512_add_pd(_mm512_shuffle_f64x2(pp, qq, 0x88),
                                               _mm512_shuffle_f64x2(pp, qq, 0xDD));
            _mm512_storeu_pd(og + 8 * (size_t)c, _mm512_add_pd(sums, _mm512_set1_pd(b[c])));
        }
    }
}

int gdi_avx512_affine_rows_multi_lanes(const double *x, size_t n_rows, size_t n_features,
                                       size_t ldx, const double *wt, size_t ldw, const double *b,
                                       size_t n_outputs, double *out, gdi_prefetch *pf)
{
    if (n_outputs == 0 || n_outputs > NC_MAX
        || n_features / 8 * 8 > Z_PANELS_ABOVE / sizeof(double) / n_outputs) {
        return 0;
    }
#define ZL_CALL(NC) z_lanes_group(NC, x, n_rows, ldx, n_features, wt, ldw, b, out, pf)
    switch (n_outputs) { GDI_CASES(ZL_CALL) }
#undef ZL_CALL
    return 1;
}

/* G[c][j …] += Σ_i x_i[j …]·R[i][c] over n_rows rows, for the nc classes at
 * gt (row stride ldg) and n_vec (1 or 2) vectors of features at x, the last
 * one limited to the lanes of `last`. */
ALWAYS_INLINE void g_cols(int n_vec, int nc, __mmask8 last, const double *x, size_t n_rows,
                          size_t ldx, const double *r, size_t k, int lanes, double *gt,
                          size_t ldg, size_t c0, gdi_prefetch *pf)
{
    const __mmask8 first = n_vec == 2 ? (__mmask8)0xFF : last;
    __m512d acc[2 * NC_MAX];
    UNROLL
    for (int c = 0; c < nc; ++c) {
        acc[c] = _mm512_maskz_loadu_pd(first, gt + (size_t)c * ldg);
        if (n_vec == 2) {
            acc[nc + c] = _mm512_maskz_loadu_pd(last, gt + (size_t)c * ldg + 8);
        }
    }
    /* The rows in groups of 8 from the first: in the lanes layout
     * (GDI_LANES_MAX_OUTPUTS) a group's class c starts 8·c further on, its
     * rows one apart; in R's rows, k apart, classes one apart. */
    const size_t class_step = lanes ? 8 : 1;
    const size_t row_step = lanes ? 1 : k;
    for (size_t g0 = 0; g0 < n_rows; g0 += 8) {
        const size_t len = n_rows - g0 < 8 ? n_rows - g0 : 8;
        const double *rg = r + g0 * k;
        for (size_t q = 0; q < len; ++q) {
            const double *row = x + (g0 + q) * ldx;
            const __m512d v0 = _mm512_maskz_loadu_pd(first, row);
            const __m512d v1 = n_vec == 2 ? _mm512_maskz_loadu_pd(last, row + 8) : v0;
            const double *ri = rg + q * row_step + c0 * class_step;
            UNROLL
            for (int c = 0; c < nc; ++c) {
                const __m512d coef = _mm512_set1_pd(ri[(size_t)c * class_step]);
                acc[c] = _mm512_fmadd_pd(v0, coef, acc[c]);
                if (n_vec == 2) {
                    acc[nc + c] = _mm512_fmadd_pd(v1, coef, acc[nc + c]);
                }
            }
        }
        gdi_prefetch_work(pf, len * (size_t)(n_vec * nc));
    }
    UNROLL
    for (int c = 0; c < nc; ++c) {
        _mm512_mask_storeu_pd(gt + (size_t)c * ldg, first, acc[c]);
        if (n_vec == 2) {
            _mm512_mask_storeu_pd(gt + (size_t)c * ldg + 8, last, acc[nc + c]);
        }
    }
}

ALWAYS_INLINE void g_group(int nc, const double *x, size_t n_rows, size_t ldx, size_t m,
                           const double *r, size_t k, int lanes, double *gt, size_t ldg,
                           size_t c0, gdi_prefetch *pf)
{
    size_t j = 0;
    for (; j + 16 <= m; j += 16) {
        g_cols(2, nc, (__mmask8)0xFF, x + j, n_rows, ldx, r, k, lanes, gt + j, ldg, c0, pf);
    }
    const size_t left = m - j;
    if (left > 8) {
        g_cols(2, nc, gdi_tail_mask(left), x + j, n_rows, ldx, r, k, lanes, gt + j, ldg, c0, pf);
    } else if (left > 0) {
        const __mmask8 last = left == 8 ? (__mmask8)0xFF : gdi_tail_mask(left);
        g_cols(1, nc, last, x + j, n_rows, ldx, r, k, lanes, gt + j, ldg, c0, pf);
    }
}


void gdi_avx512_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                  const double *wt, size_t ldw, const double *b,
                                  size_t n_outputs, double *out, gdi_prefetch *pf)
{
    const size_t groups = (n_outputs + NC_MAX - 1) / NC_MAX;
    for (size_t g = 0; g < groups; ++g) {
        size_t c0;
        const int nc = gdi_class_group(n_outputs, g, groups, &c0);
        const double *wg = wt + c0 * ldw;
#define Z_CALL(NC) z_group(NC, x, n_rows, ldx, n_features, wg, ldw, b + c0, out + c0, n_outputs, pf)
        switch (nc) { GDI_CASES(Z_CALL) }
#undef Z_CALL
    }
}

void gdi_avx512_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                      size_t ldx, const double *r, size_t n_outputs, int lanes,
                                      double *gt, size_t ldg, gdi_prefetch *pf)
{
    const size_t groups = (n_outputs + NC_MAX - 1) / NC_MAX;
    for (size_t g = 0; g < groups; ++g) {
        size_t c0;
        const int nc = gdi_class_group(n_outputs, g, groups, &c0);
        double *gg = gt + c0 * ldg;
#define G_CALL(NC) g_group(NC, x, n_rows, ldx, n_features, r, n_outputs, 0, gg, ldg, c0, pf)
#define G_CALL_LANES(NC) g_group(NC, x, n_rows, ldx, n_features, r, n_outputs, 1, gg, ldg, c0, pf)
        if (lanes) {
            switch (nc) { GDI_CASES(G_CALL_LANES) }
        } else {
            switch (nc) { GDI_CASES(G_CALL) }
        }
#undef G_CALL
#undef G_CALL_LANES
    }
}

size_t gdi_avx512_multi_work(size_t n_rows, size_t n_features, size_t n_outputs,
                             int with_gradient)
{
    /* As reported: Z 2·nc·⌈m/8⌉ a pair of rows (nc a row alone), the
     * residual 4k per 8 rows, Xᵀ R 2·nc a row per 16 features (nc for a
     * last chunk of ≤ 8). */
    const size_t vectors = (n_features + 7) / 8;
    size_t work = n_rows * n_outputs * vectors + (n_rows + 7) / 8 * 4 * n_outputs;
    if (with_gradient) {
        work += n_rows * n_outputs * vectors;
    }
    return work;
}

/* base[offset[l]] in lane l. GCC's unoptimised form of the intrinsic (a
 * macro) converts its all-lanes mask 0xFF to char, which -Wsign-conversion
 * reports in our code. */
static inline __m512d gather(__m512i offset, const double *base)
{
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
    return _mm512_i64gather_pd(offset, base, 8);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
}

/* The softmax residual of a block, 8 rows at a time in the lanes of k
 * vectors (kernels.h, GDI_LANES): gathered from Z's rows, the row maximum,
 * its first index, z − max and its exp, the others' sum (class by class, the
 * maximum's term left out), p, log1p of the others, the loss and s∘(P − Y),
 * written back over the group's Z in the lanes layout; the intercept sums in
 * a vector per class until the end. exp and log1p inline
 * (kernels/avx512_math.h). Same formulas as stable.c's gdi_softmax_rows and
 * softmax.c's residual (docs/classification.md). */
ALWAYS_INLINE int softmax_lanes(double *z, size_t n_rows, size_t n_classes, const double *y,
                                const double *weights, double *loss, double *intercept,
                                gdi_prefetch *pf, int z_lanes)
{
    const size_t k = n_classes;
    _Alignas(64) double zt[GDI_LANES_MAX_OUTPUTS * 8];
    _Alignas(64) double icpt[GDI_LANES_MAX_OUTPUTS * 8];
    if (intercept != NULL) {
        memset(icpt, 0, k * 8 * sizeof *icpt);
    }
    const long long kk = (long long)k; /* ≤ GDI_LANES_MAX_OUTPUTS */
    const __m512i row_offset =
        _mm512_set_epi64(7 * kk, 6 * kk, 5 * kk, 4 * kk, 3 * kk, 2 * kk, kk, 0);
    const __m512d n_labels = _mm512_set1_pd((double)k);
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d loss_sum = _mm512_setzero_pd();
    for (size_t start = 0; start < n_rows; start += 8) {
        const size_t len = n_rows - start < 8 ? n_rows - start : 8;
        const __mmask8 live = (__mmask8)((1u << len) - 1u);
        double *zg = z + start * k;
        /* The labels: whole numbers in [0, k), as gdi_label_index
         * (classify.h) checks them one by one; NaN fails every test. */
        const __m512d yv = _mm512_maskz_loadu_pd(live, y + start);
        const __mmask8 in_range =
            (__mmask8)(_mm512_cmp_pd_mask(yv, _mm512_setzero_pd(), _CMP_GE_OQ)
                       & _mm512_cmp_pd_mask(yv, n_labels, _CMP_LT_OQ));
        /* Converted where in range only (exact there; no FE_INVALID from
         * NaN or huge labels), then whole if converting back gives y. */
        const __m256i whole = _mm512_maskz_cvttpd_epi32(in_range, yv);
        const __mmask8 valid = (__mmask8)(
            in_range & _mm512_cmp_pd_mask(yv, _mm512_cvtepi32_pd(whole), _CMP_EQ_OQ));
        if ((valid & live) != live) {
            return 0;
        }
        const __m512i lab = _mm512_cvtepi32_epi64(whole);
        const __m512d s = weights != NULL ? _mm512_maskz_loadu_pd(live, weights + start)
                                          : _mm512_maskz_mov_pd(live, one);
        /* Class c of the group's rows, z[row·k + c], gathered into lanes
         * (vector loads: a vector read of values just stored one by one
         * would wait for the stores); lanes past the last row read row 0
         * again, then are set to 0. */
        const __m512i offset = _mm512_maskz_mov_epi64(live, row_offset);
        __m512d top = _mm512_set1_pd(-HUGE_VAL);
        if (z_lanes) {
            /* Z already in the lanes layout: no gathers; dead lanes 0. */
            for (size_t c = 0; c < k; ++c) {
                const __m512d v = _mm512_maskz_loadu_pd(live, zg + c * 8);
                _mm512_store_pd(zt + c * 8, v);
                top = _mm512_max_pd(top, v);
            }
        } else {
            for (size_t c = 0; c < k; ++c) {
                const __m512d v = _mm512_maskz_mov_pd(live, gather(offset, zg + c));
                _mm512_store_pd(zt + c * 8, v);
                top = _mm512_max_pd(top, v);
            }
        }
        /* The first class reaching the maximum, the label's z, e^(z − max),
         * and the others' sum (the maximum's term, 1, left out). */
        __m512i first = _mm512_setzero_si512();
        __mmask8 found = 0;
        __m512d z_label = _mm512_setzero_pd();
        __m512d rest = _mm512_setzero_pd();
        for (size_t c = 0; c < k; ++c) {
            const __m512d v = _mm512_load_pd(zt + c * 8);
            const __m512i cv = _mm512_set1_epi64((long long)c);
            const __mmask8 hit = (__mmask8)(_mm512_cmp_pd_mask(v, top, _CMP_EQ_OQ) & ~found);
            first = _mm512_mask_mov_epi64(first, hit, cv);
            found = (__mmask8)(found | hit);
            z_label = _mm512_mask_mov_pd(z_label, _mm512_cmpeq_epi64_mask(lab, cv), v);
            const __m512d ev = gdi_exp_nonpositive_pd(_mm512_sub_pd(v, top));
            _mm512_store_pd(zt + c * 8, ev);
            rest = _mm512_mask_add_pd(rest, (__mmask8)~hit, rest, ev);
        }
        const __m512d u = _mm512_add_pd(one, rest);
        const __m512d inv = _mm512_div_pd(one, u);
        /* The loss: logsumexp − z_label as (max − z_label) + log1p(others);
         * dead lanes have weight 0. */
        const __m512d row_loss = _mm512_add_pd(_mm512_sub_pd(top, z_label),
                                               gdi_log1p_nonnegative_pd(rest, u, inv));
        loss_sum = _mm512_fmadd_pd(s, row_loss, loss_sum);
        for (size_t c = 0; c < k; ++c) {
            const __m512i cv = _mm512_set1_epi64((long long)c);
            const __mmask8 own = _mm512_cmpeq_epi64_mask(first, cv);
            __m512d p =
                _mm512_mask_mov_pd(_mm512_mul_pd(_mm512_load_pd(zt + c * 8), inv), own, inv);
            p = _mm512_mask_sub_pd(p, _mm512_cmpeq_epi64_mask(lab, cv), p, one);
            p = _mm512_maskz_mul_pd(live, p, s);
            if (intercept != NULL) {
                _mm512_store_pd(icpt + c * 8, _mm512_add_pd(_mm512_load_pd(icpt + c * 8), p));
            }
            /* Over the group's 8·k doubles of z (the caller's z has room
             * for whole groups; every value of the group was gathered
             * above); 0 past the last row. */
            _mm512_storeu_pd(zg + c * 8, p);
        }
        gdi_prefetch_work(pf, 4 * k);
    }
    *loss += _mm512_reduce_add_pd(loss_sum);
    if (intercept != NULL) {
        for (size_t c = 0; c < k; ++c) {
            intercept[c] += _mm512_reduce_add_pd(_mm512_load_pd(icpt + c * 8));
        }
    }
    return 1;
}

int gdi_avx512_softmax_lanes(double *z, size_t n_rows, size_t n_classes, const double *y,
                             const double *weights, double *loss, double *intercept,
                             gdi_prefetch *pf)
{
    return softmax_lanes(z, n_rows, n_classes, y, weights, loss, intercept, pf, 0);
}

int gdi_avx512_softmax_lanes_from_lanes(double *z, size_t n_rows, size_t n_classes,
                                        const double *y, const double *weights, double *loss,
                                        double *intercept, gdi_prefetch *pf)
{
    return softmax_lanes(z, n_rows, n_classes, y, weights, loss, intercept, pf, 1);
}
