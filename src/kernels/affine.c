/* The one-output affine map and its gradient through dgemv, in column panels
 * small enough that OpenBLAS runs each call on the calling thread (see
 * kernels.h), and the L2 term. */
#include <cblas.h>
#include <math.h>

#include "kernels/kernels.h"

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

gdi_block_shape gdi_block_shape_for(size_t n_features, size_t n_outputs)
{
    /* The largest X block (rows × panel) one serial BLAS call may take. */
    size_t limit = GDI_GEMV_SERIAL_MAX;
    if (n_outputs > 1) {
        limit = GDI_GEMM_SERIAL_MAX / n_outputs;
        if (limit == 0) {
            limit = 1; /* k > 2¹⁸ classes: no panel keeps dgemm serial */
        }
    }
    const size_t elems = min_size(GDI_BLOCK_ELEMS, limit);
    gdi_block_shape shape;
    /* At most GDI_BLOCK_ROWS rows: the scratch of one block stays what it
     * was (callers size it as ≤ GDI_BLOCK_ROWS · k doubles for one thread). */
    shape.rows = GDI_BLOCK_ROWS;
    if (n_features >= elems) {
        shape.rows = 1;
    } else if (n_features > 0) {
        shape.rows = min_size(elems / n_features, GDI_BLOCK_ROWS);
    }
    if (n_outputs > 1 && n_features > 0 && (gdi_avx512_multi_usable() || gdi_avx2_multi_usable())) {
        /* Softmax through avx512_multi.c or avx2_multi.c: no panels; whole groups of 8 rows
         * (the residual's lanes) filling GDI_BLOCK_ELEMS while that is at
         * least GDI_MULTI_MIN_ROWS rows, else filling GDI_MULTI_WIDE_ELEMS
         * (G's accumulators are loaded and stored once per block and
         * 16 features), at least 8 while 8 rows fit GDI_AVX512_BLOCK_MAX
         * (in L2), else fewer, down to 1. */
        shape.rows = min_size(GDI_BLOCK_ELEMS / n_features / 8 * 8, GDI_BLOCK_ROWS);
        if (shape.rows < GDI_MULTI_MIN_ROWS) {
            shape.rows = min_size(GDI_MULTI_WIDE_ELEMS / n_features / 8 * 8, GDI_BLOCK_ROWS);
        }
        if (shape.rows < 8) {
            shape.rows = min_size(8, GDI_AVX512_BLOCK_MAX / n_features);
        }
        /* Many classes: the Z block (rows·k) at most GDI_MULTI_Z_MAX, so that
         * it stays small and gd_predict's dgemm on the same blocks serial. */
        const size_t z_rows = GDI_MULTI_Z_MAX / n_outputs;
        if (shape.rows > z_rows) {
            shape.rows = z_rows >= 8 ? z_rows / 8 * 8 : z_rows;
        }
        shape.rows = shape.rows == 0 ? 1 : shape.rows;
        shape.panel = n_features;
        return shape;
    }
    if (n_outputs <= 1 && n_features > 0 && (gdi_avx512_usable() || gdi_avx2_usable())) {
        /* Our own loops (avx512.c, avx2.c) take 8 rows at a time, no panels:
         * a multiple of 8 rows filling GDI_BLOCK_ELEMS, at least 8 while 8
         * rows fit GDI_AVX512_BLOCK_MAX (in L2), else fewer, down to 1. */
        shape.rows = min_size(shape.rows / 8 * 8, GDI_BLOCK_ROWS);
        if (shape.rows < 8) {
            shape.rows = min_size(8, GDI_AVX512_BLOCK_MAX / n_features);
            shape.rows = shape.rows == 0 ? 1 : shape.rows;
        }
        shape.panel = n_features;
        return shape;
    }
    if (n_outputs <= 1 && n_features > 0) {
        if (n_features < GDI_GEMV_STACK_SUM) {
            /* dgemv's scratch on the stack (kernels.h): rows + m ≤ 240. */
            shape.rows = min_size(shape.rows, GDI_GEMV_STACK_SUM - n_features);
        } else if (shape.rows < GDI_WIDE_BLOCK_ROWS) {
            /* Wide rows go through dgemv in column panels of 240 − rows:
             * 16 rows a block where 16 rows fit GDI_WIDE_BLOCK_ELEMS. */
            shape.rows = min_size(GDI_WIDE_BLOCK_ROWS, GDI_WIDE_BLOCK_ELEMS / n_features);
            shape.rows = shape.rows == 0 ? 1 : shape.rows;
        }
    }
    shape.panel = n_features == 0 ? 1 : min_size(n_features, limit / shape.rows);
    if (shape.panel == 0) {
        shape.panel = 1;
    }
    return shape;
}

/* Whether a block goes row by row (ddot, daxpy) rather than through dgemv:
 * when dgemv's scratch would leave a panel narrower than min(m, 120) columns
 * on the stack (rows + panel ≤ GDI_GEMV_STACK_SUM, kernels.h), or when the
 * block has fewer than GDI_GEMV_MIN_ROWS rows (m > 4096: one ddot over up to
 * 9215 columns beats dgemv panels of 1 × 239). */
static int rowwise(size_t n_rows, size_t n_features)
{
    const size_t narrowest = min_size(n_features, GDI_GEMV_STACK_SUM / 2);
    return n_rows < GDI_GEMV_MIN_ROWS || n_rows > GDI_GEMV_STACK_SUM - narrowest;
}

/* Features per dgemv call for a block of n_rows rows: serial inside OpenBLAS,
 * and rows + panel ≤ GDI_GEMV_STACK_SUM so that its scratch is on the stack. */
static size_t gemv_panel(size_t n_rows, size_t n_features)
{
    size_t panel = n_rows == 0 ? n_features : GDI_GEMV_SERIAL_MAX / n_rows;
    panel = min_size(panel, GDI_GEMV_STACK_SUM - n_rows); /* n_rows < 240: !rowwise */
    return panel == 0 ? 1 : min_size(panel, n_features);
}

void gdi_blas_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                          const double *w, double b, double *out)
{
    for (size_t i = 0; i < n_rows; ++i) {
        out[i] = b;
    }
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    if (rowwise(n_rows, n_features)) {
        for (size_t j = 0; j < n_features; j += GDI_GEMV_SERIAL_MAX) {
            const size_t cols = min_size(GDI_GEMV_SERIAL_MAX, n_features - j);
            for (size_t i = 0; i < n_rows; ++i) {
                out[i] += cblas_ddot((int)cols, x + i * ldx + j, 1, w + j, 1);
            }
        }
        return;
    }
    const size_t panel = gemv_panel(n_rows, n_features);
    for (size_t j = 0; j < n_features; j += panel) {
        const size_t cols = min_size(panel, n_features - j);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n_rows, (int)cols, 1.0, x + j, (int)ldx,
                    w + j, 1, 1.0, out, 1);
    }
}

void gdi_blas_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *r, double *g)
{
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    if (rowwise(n_rows, n_features)) {
        for (size_t j = 0; j < n_features; j += GDI_GEMV_SERIAL_MAX) {
            const size_t cols = min_size(GDI_GEMV_SERIAL_MAX, n_features - j);
            for (size_t i = 0; i < n_rows; ++i) {
                cblas_daxpy((int)cols, r[i], x + i * ldx + j, 1, g + j, 1);
            }
        }
        return;
    }
    const size_t panel = gemv_panel(n_rows, n_features);
    for (size_t j = 0; j < n_features; j += panel) {
        const size_t cols = min_size(panel, n_features - j);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n_rows, (int)cols, 1.0, x + j, (int)ldx, r,
                    1, 1.0, g + j, 1);
    }
}

int gdi_avx512_usable(void)
{
#if defined(GDLEARN_HAVE_AVX512_KERNELS)
    /* Also checks that the OS saves the AVX-512 registers (libgcc reads
     * XCR0); cheap after the first call. */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

int gdi_avx512_multi_usable(void)
{
#if defined(GDLEARN_HAVE_AVX512_MULTI)
    return gdi_avx512_usable();
#else
    return 0;
#endif
}

int gdi_avx512_fused_usable(size_t n_features)
{
    return n_features <= GDI_FUSED_MAX_FEATURES && gdi_avx512_usable();
}

int gdi_avx2_usable(void)
{
#if defined(GDLEARN_HAVE_AVX2_KERNELS)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
#else
    return 0;
#endif
}

int gdi_avx2_fused_usable(size_t n_features)
{
    return n_features <= GDI_FUSED_MAX_FEATURES && gdi_avx2_usable();
}

gd_status gdi_fused_rows_dispatch(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                  const double *w, double b, double *z, double *g,
                                  gdi_rows_residual_fn residual, void *ctx, int residual_asks)
{
    (void)residual_asks; /* no rows asked for ahead */
    const size_t piece = gdi_block_shape_for(n_features, 1).rows;
    for (size_t i = 0; i < n_rows; i += GDI_FUSED_ROWS) {
        const size_t count = min_size(n_rows - i, GDI_FUSED_ROWS);
        for (size_t q = 0; q < count; q += piece) {
            gdi_affine_rows(x + (i + q) * ldx, min_size(count - q, piece), n_features, ldx, w, b,
                            z + q);
        }
        const gd_status status = residual(ctx, i, count, z, NULL);
        if (status != GD_OK) {
            return status;
        }
        for (size_t q = 0; g != NULL && q < count; q += piece) {
            gdi_accumulate_xt_r(x + (i + q) * ldx, min_size(count - q, piece), n_features, ldx,
                                z + q, g);
        }
    }
    return GD_OK;
}

/* A build without one of the two pairs: never called through the dispatch
 * below (its usable() is 0); defined so that callers and tests link the same
 * way in every build. */
#if !defined(GDLEARN_HAVE_AVX512_KERNELS)
void gdi_avx512_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                            const double *w, double b, double *out)
{
    gdi_blas_affine_rows(x, n_rows, n_features, ldx, w, b, out);
}

void gdi_avx512_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *r, double *g)
{
    gdi_blas_accumulate_xt_r(x, n_rows, n_features, ldx, r, g);
}

gd_status gdi_avx512_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *w, double b, double *z, double *g,
                                gdi_rows_residual_fn residual, void *ctx, int residual_asks)
{
    return gdi_fused_rows_dispatch(x, n_rows, n_features, ldx, w, b, z, g, residual, ctx,
                                   residual_asks);
}

int gdi_avx512_logistic_rows(double *z, const double *y, const double *s, size_t n,
                             double *loss, double *intercept, const gdi_rows_ahead *ahead)
{
    (void)ahead;
    int bad = 0;
    for (size_t i = 0; i < n; ++i) {
        bad |= (y[i] != 0.0) & (y[i] != 1.0);
    }
    double sum_residual;
    *loss += gdi_logistic_rows(z, y, s, n, &sum_residual);
    if (intercept != NULL) {
        *intercept += sum_residual;
    }
    return !bad;
}

void gdi_avx512_exp_nonpositive(const double *x, double *out, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        out[i] = exp(x[i]);
    }
}

void gdi_avx512_log1p_nonnegative(const double *x, double *out, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        out[i] = log1p(x[i]);
    }
}

#endif
#if !defined(GDLEARN_HAVE_AVX2_KERNELS)
void gdi_avx2_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                          const double *w, double b, double *out)
{
    gdi_blas_affine_rows(x, n_rows, n_features, ldx, w, b, out);
}

void gdi_avx2_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *r, double *g)
{
    gdi_blas_accumulate_xt_r(x, n_rows, n_features, ldx, r, g);
}

gd_status gdi_avx2_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *w, double b, double *z, double *g,
                              gdi_rows_residual_fn residual, void *ctx, int residual_asks)
{
    return gdi_fused_rows_dispatch(x, n_rows, n_features, ldx, w, b, z, g, residual, ctx,
                                   residual_asks);
}
#endif
int gdi_avx2_multi_usable(void)
{
#if defined(GDLEARN_HAVE_AVX2_MULTI)
    return gdi_avx2_usable();
#else
    return 0;
#endif
}

size_t gdi_avx2_multi_work(size_t n_rows, size_t n_features, size_t n_outputs, int with_gradient)
{
    /* As reported: Z 2·nc·⌈m/4⌉ a pair of rows (nc a row alone), the
     * residual's share 4k per 8 rows (onepass.c), Xᵀ R nc a row per 4
     * features. */
    const size_t vectors = (n_features + 3) / 4;
    size_t work = n_rows * n_outputs * vectors + (n_rows + 7) / 8 * 4 * n_outputs;
    if (with_gradient) {
        work += n_rows * n_outputs * vectors;
    }
    return work;
}

/* The k-output pair in plain loops, for a build without one of its vector
 * versions (below): never called there through onepass.c. */
#if !defined(GDLEARN_HAVE_AVX2_MULTI) || !defined(GDLEARN_HAVE_AVX512_MULTI)
static inline void plain_affine_rows_multi(const double *x, size_t n_rows, size_t n_features,
                                           size_t ldx, const double *wt, size_t ldw,
                                           const double *b, size_t n_outputs, double *out)
{
    for (size_t i = 0; i < n_rows; ++i) {
        for (size_t c = 0; c < n_outputs; ++c) {
            double sum = 0.0;
            for (size_t j = 0; j < n_features; ++j) {
                sum += x[i * ldx + j] * wt[c * ldw + j];
            }
            out[i * n_outputs + c] = sum + b[c];
        }
    }
}

static inline void plain_accumulate_xt_r_multi(const double *x, size_t n_rows,
                                               size_t n_features, size_t ldx, const double *r,
                                               size_t n_outputs, int lanes, double *gt,
                                               size_t ldg)
{
    for (size_t i = 0; i < n_rows; ++i) {
        const size_t group = i / 8 * 8;
        for (size_t c = 0; c < n_outputs; ++c) {
            const double rc = lanes ? r[group * n_outputs + c * 8 + (i - group)]
                                    : r[i * n_outputs + c];
            for (size_t j = 0; j < n_features; ++j) {
                gt[c * ldg + j] += x[i * ldx + j] * rc;
            }
        }
    }
}
#endif

/* A build without the AVX2 k-output loops (avx2_multi.c: GDLEARN_HAVE_AVX2_MULTI,
 * which needs GDLEARN_HAVE_AVX2_KERNELS; the fuzz build leaves them out). */
#if !defined(GDLEARN_HAVE_AVX2_MULTI)
void gdi_avx2_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *wt, size_t ldw, const double *b, size_t n_outputs,
                                double *out, gdi_prefetch *pf)
{
    (void)pf;
    plain_affine_rows_multi(x, n_rows, n_features, ldx, wt, ldw, b, n_outputs, out);
}

void gdi_avx2_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                    size_t ldx, const double *r, size_t n_outputs, double *gt,
                                    size_t ldg, gdi_prefetch *pf)
{
    (void)pf;
    plain_accumulate_xt_r_multi(x, n_rows, n_features, ldx, r, n_outputs, 0, gt, ldg);
}
#endif
/* A build without the AVX-512 k-output loops (avx512_multi.c:
 * GDLEARN_HAVE_AVX512_MULTI, which needs GDLEARN_HAVE_AVX512_KERNELS; the
 * fuzz build leaves them out): never called through onepass.c
 * (gdi_avx512_multi_usable() is 0), defined so that callers and tests link
 * the same way. */
#if !defined(GDLEARN_HAVE_AVX512_MULTI)
void gdi_avx512_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                  const double *wt, size_t ldw, const double *b,
                                  size_t n_outputs, double *out, gdi_prefetch *pf)
{
    (void)pf;
    plain_affine_rows_multi(x, n_rows, n_features, ldx, wt, ldw, b, n_outputs, out);
}

void gdi_avx512_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                      size_t ldx, const double *r, size_t n_outputs, int lanes,
                                      double *gt, size_t ldg, gdi_prefetch *pf)
{
    (void)pf;
    plain_accumulate_xt_r_multi(x, n_rows, n_features, ldx, r, n_outputs, lanes, gt, ldg);
}

/* Unreachable in such a build: onepass.c takes the lanes residual only when
 * gdi_avx512_multi_usable(); the tests skip it there too. */
int gdi_avx512_softmax_lanes(double *z, size_t n_rows, size_t n_classes, const double *y,
                             const double *weights, double *loss, double *intercept,
                             gdi_prefetch *pf)
{
    (void)z;
    (void)n_rows;
    (void)n_classes;
    (void)y;
    (void)weights;
    (void)loss;
    (void)intercept;
    (void)pf;
    return 0;
}

/* Nothing done (the caller then takes gdi_avx512_affine_rows_multi). */
int gdi_avx512_affine_rows_multi_lanes(const double *x, size_t n_rows, size_t n_features,
                                       size_t ldx, const double *wt, size_t ldw, const double *b,
                                       size_t n_outputs, double *out, gdi_prefetch *pf)
{
    (void)x;
    (void)n_rows;
    (void)n_features;
    (void)ldx;
    (void)wt;
    (void)ldw;
    (void)b;
    (void)n_outputs;
    (void)out;
    (void)pf;
    return 0;
}

int gdi_avx512_softmax_lanes_from_lanes(double *z, size_t n_rows, size_t n_classes,
                                        const double *y, const double *weights, double *loss,
                                        double *intercept, gdi_prefetch *pf)
{
    return gdi_avx512_softmax_lanes(z, n_rows, n_classes, y, weights, loss, intercept, pf);
}

size_t gdi_avx512_multi_work(size_t n_rows, size_t n_features, size_t n_outputs,
                             int with_gradient)
{
    (void)n_rows;
    (void)n_features;
    (void)n_outputs;
    (void)with_gradient;
    return 1;
}
#endif

void gdi_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                     const double *w, double b, double *out)
{
    if (gdi_avx512_usable()) {
        gdi_avx512_affine_rows(x, n_rows, n_features, ldx, w, b, out);
    } else if (gdi_avx2_usable()) {
        gdi_avx2_affine_rows(x, n_rows, n_features, ldx, w, b, out);
    } else {
        gdi_blas_affine_rows(x, n_rows, n_features, ldx, w, b, out);
    }
}

void gdi_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                         const double *r, double *g)
{
    if (gdi_avx512_usable()) {
        gdi_avx512_accumulate_xt_r(x, n_rows, n_features, ldx, r, g);
    } else if (gdi_avx2_usable()) {
        gdi_avx2_accumulate_xt_r(x, n_rows, n_features, ldx, r, g);
    } else {
        gdi_blas_accumulate_xt_r(x, n_rows, n_features, ldx, r, g);
    }
}

double gdi_l2_term(const double *w, size_t n, double l2, double *g)
{
    if (l2 == 0.0 || n == 0) {
        return 0.0;
    }
    double sum = 0.0;
    for (size_t j = 0; j < n; ++j) {
        sum += w[j] * w[j];
    }
    if (g != NULL) {
        for (size_t j = 0; j < n; ++j) {
            g[j] += l2 * w[j];
        }
    }
    return 0.5 * l2 * sum;
}
