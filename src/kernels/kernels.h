/* BLAS-backed building blocks of the models (DESIGN §2), and, on CPUs with
 * AVX-512 or AVX2+FMA, our own loops in their place: for one-output blocks
 * instead of dgemv (avx512.c, avx2.c), for softmax's k outputs instead of
 * dgemm (avx512_multi.c, avx2_multi.c). Not installed. Every size passed
 * here has been checked to fit BLAS's int by the caller (gd_data_validate
 * checks ldx; blocks come from gdi_block_shape_for). */
#ifndef GDLEARN_KERNELS_H
#define GDLEARN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "core/threads.h"

/* ---- Keeping every BLAS call on the calling thread (src/kernels/affine.c) ----
 *
 * One evaluation is split over our own threads (gdi_run_chunks), each calling
 * BLAS on small blocks of rows. OpenBLAS 0.3.21 (pthread build) hands a call to
 * its own thread pool above fixed sizes: dgemv when m·n ≥ 2304 ·
 * GEMM_MULTITHREAD_THRESHOLD (= 9216 with the default threshold 4,
 * interface/gemv.c), dgemm when M·N·K > 65536 · 4 (interface/gemm.c). Several
 * of our threads each waking the pool for tiny calls is 7× slower than
 * keeping the calls serial (measured on 1M×50, 2 cores: 141 ms against 20 ms
 * per evaluation), so every block and every column panel of it stays below
 * those sizes. A BLAS with lower thresholds is still correct, only slower. */
#define GDI_GEMV_SERIAL_MAX ((size_t)9215)
/* dgemv in OpenBLAS 0.3.21 (interface/gemv.c) also takes m + n + 16 doubles
 * of scratch per call: from the stack when they fit MAX_STACK_ALLOC (2048
 * bytes, 256 doubles), otherwise from its shared memory pool
 * (blas_memory_alloc), under a lock that our threads then take for every
 * block: linear and logistic with m = 500, 8-row blocks, got only 1.1× faster
 * with 2 threads against 1.9× for a read of X. So every dgemv call (a block's
 * rows × a panel of its columns) keeps rows + panel ≤ GDI_GEMV_STACK_SUM: for
 * m < 240 a block has at most 240 − m rows, and for wider rows the block is
 * cut into column panels of 240 − rows. A block given with more rows than
 * that (gd_predict_class's, of up to GDI_BLOCK_ROWS) or with fewer than
 * GDI_GEMV_MIN_ROWS goes row by row through ddot and daxpy, which take no
 * scratch (affine.c, rowwise). */
#define GDI_GEMV_STACK_SUM ((size_t)240)
#define GDI_GEMV_MIN_ROWS ((size_t)4)
#define GDI_GEMM_SERIAL_MAX ((size_t)262144)
/* Elements of X per block: 32 KiB, so a block read for Z is still in L1/L2
 * when Xᵀr reads it again. */
#define GDI_BLOCK_ELEMS ((size_t)4096)
/* Wide one-output rows (m ≥ GDI_GEMV_STACK_SUM) take GDI_WIDE_BLOCK_ROWS rows a
 * block where they fit GDI_WIDE_BLOCK_ELEMS (128 KiB, in L2), not the 8 of
 * 32 KiB at m = 500: fewer, larger dgemv panels (2e5×500, 2 threads,
 * gdlearn-bench: 42–44 ms per evaluation against 44–48). */
#define GDI_WIDE_BLOCK_ROWS ((size_t)16)
#define GDI_WIDE_BLOCK_ELEMS ((size_t)16384)
/* The most elements of X in one block of our own loops (AVX-512 or AVX2)
 * when their usual block would hold fewer than 8 rows (one output: a block
 * of GDI_BLOCK_ELEMS, m > 512; k outputs: GDI_MULTI_WIDE_ELEMS, m > 4096):
 * 1 MiB — in L2 on the 2 MiB-L2 CPU of docs/performance.md; on CPUs with
 * 256–512 KiB of L2, blocks of m ≈ 4k–16k columns are read from L3 for Xᵀr. */
#define GDI_AVX512_BLOCK_MAX ((size_t)131072)
/* Blocks of the k-output loops (AVX-512 and AVX2): GDI_BLOCK_ELEMS of X while that
 * holds at least GDI_MULTI_MIN_ROWS rows (m ≤ 128), else up to
 * GDI_MULTI_WIDE_ELEMS (256 KiB, in L2): G += XᵀR loads and stores its
 * accumulators once per block, and on blocks of 8 rows it took 1.4–1.8
 * times as long at m = 300–784, k = 10 (docs/performance.md). */
#define GDI_MULTI_MIN_ROWS ((size_t)32)
#define GDI_MULTI_WIDE_ELEMS ((size_t)32768)
/* The most doubles of Z in one block of the k-output loops (256 KiB),
 * whatever k: m = 10, k = 10⁵ would otherwise take 256 rows, 200 MiB a thread. */
#define GDI_MULTI_Z_MAX ((size_t)32768)

/* A byte range of X brought into cache a line at a time, paced by other
 * work (onepass.c: the next block while this one is computed). A kernel
 * reports work done (in vector multiply-adds, or their equivalent) through
 * gdi_prefetch_work, which asks for one more line per `work_per_line` of it,
 * without waiting: requests then go out evenly over the computation instead
 * of in bursts that fill the core's miss buffers and stall it. Addresses as
 * integers: nothing is dereferenced, and a range may end anywhere. A NULL
 * cursor does nothing. */
typedef struct gdi_prefetch {
    uintptr_t next;
    uintptr_t end;
    size_t work_per_line; /* ≥ 1 */
    size_t credit;        /* work not yet turned into requests */
} gdi_prefetch;

static inline void gdi_prefetch_work(gdi_prefetch *pf, size_t work)
{
#if defined(__GNUC__)
    if (pf == NULL) {
        return;
    }
    pf->credit += work;
    while (pf->credit >= pf->work_per_line && pf->next < pf->end) {
        __builtin_prefetch((const void *)pf->next, 0, 2); /* into L2 */
        pf->next += 64;
        pf->credit -= pf->work_per_line;
    }
#else
    (void)pf;
    (void)work;
#endif
}

/* Per-thread slabs of workspace (onepass.c, gram.c) start on a multiple of
 * GDI_SLAB_ALIGN doubles (64 bytes), so that two threads' hot data never
 * share a cache line. *out = n rounded up to it; 0 if that overflows. */
#define GDI_SLAB_ALIGN ((size_t)8)
static inline int gdi_round_up_slab(size_t n, size_t *out)
{
    size_t padded;
    if (!gdi_add_size(n, GDI_SLAB_ALIGN - 1, &padded)) {
        return 0;
    }
    *out = padded / GDI_SLAB_ALIGN * GDI_SLAB_ALIGN;
    return 1;
}

/* The geometry of one block: `rows` rows of X, cut into column panels of at
 * most `panel` features, such that one BLAS call (rows × panel × n_outputs)
 * stays serial inside OpenBLAS. rows ≥ 1, 1 ≤ panel ≤ n_features. */
typedef struct gdi_block_shape {
    size_t rows;
    size_t panel;
} gdi_block_shape;

gdi_block_shape gdi_block_shape_for(size_t n_features, size_t n_outputs);

/* ---- Threads over contiguous row chunks: gdi_run_chunks, gdi_threads_for,
 * gdi_threads_bound and their constants live in core (src/core/threads.h),
 * which the data validation shares with the kernels. ---- */

/* ---- One-pass loss and gradient of the three built-in models (onepass.c) ---- */

/* Turn z (rows × k row-major: the affine outputs of rows [start, start+rows)
 * of data) into s∘R in place, R the residual of DESIGN §1; add Σ sᵢ lᵢ to
 * *loss and, unless intercept is NULL (no gradient wanted), Σ sᵢ Rᵢc to
 * intercept[c] for each output c. */
typedef gd_status (*gdi_residual_fn)(const gd_data *data, size_t start, size_t rows, size_t k,
                                     double *z, double *loss, double *intercept);

/* The same, leaving s∘R in the lanes layout (GDI_LANES_MAX_OUTPUTS below),
 * reporting its work to gdi_prefetch_work(pf) as it goes. z holds Z
 * row-major on entry, or, with z_lanes, already in the lanes layout
 * (gdi_avx512_affine_rows_multi_lanes). */
typedef gd_status (*gdi_residual_lanes_fn)(const gd_data *data, size_t start, size_t rows,
                                           size_t k, double *z, double *loss, double *intercept,
                                           gdi_prefetch *pf, int z_lanes);

/* One output: the same as gdi_residual_fn, asking for the rows at `ahead`
 * as it goes (GDI_FUSED_AHEAD_ROWS below; NULL: none). */
struct gdi_rows_ahead;
typedef gd_status (*gdi_residual_ahead_fn)(const gd_data *data, size_t start, size_t rows,
                                           double *z, double *loss, double *intercept,
                                           const struct gdi_rows_ahead *ahead);

/* A model of the form Z = XW + 1bᵀ, θ = [b (k); W (m×k row-major)], with a
 * per-row loss: the built-ins. */
typedef struct gdi_affine_model {
    size_t n_features;        /* m */
    size_t n_outputs;         /* k */
    double l2;                /* λ on W */
    unsigned n_threads;       /* as gd_model.n_threads */
    gdi_residual_fn residual; /* the per-block loss and residual */
    /* Nonzero if the residual costs about as much as reading its rows
     * (softmax: k exps per row): the next block is then prefetched while it
     * runs (onepass.c). Linear regression's is too cheap to hide anything,
     * and so is logistic regression's since its exp/log1p are vectorised. */
    int costly_residual;
    /* The residual again, but leaving s∘R in the lanes layout (GDI_LANES
     * below) for the AVX-512 k-output loops, or NULL: softmax's, used when
     * gdi_avx512_multi_usable() and k ≤ GDI_LANES_MAX_OUTPUTS. Called on whole
     * blocks (its groups of 8 rows start at the block's first row). */
    gdi_residual_lanes_fn residual_lanes;
    /* One output: the residual again, asking for the fused sweep's rows
     * ahead as it goes (gdi_rows_ahead_step, for each 8 rows), or NULL:
     * logistic regression's (inline on CPUs with AVX-512, 8 rows of
     * libmvec at a time elsewhere). Used by the fused sweeps. */
    gdi_residual_ahead_fn residual_ahead;
} gdi_affine_model;

/* Doubles of workspace gdi_affine_loss_grad needs for n_rows rows, or
 * SIZE_MAX if that does not fit a size_t. Never decreasing in n_rows. */
size_t gdi_affine_work_size(const gdi_affine_model *model, size_t n_rows);

/* L(θ) and, if grad != NULL, ∇L(θ): X is read once, per block of rows, on
 * gdi_threads_for() threads; for a given thread count the result is the same
 * bits from call to call. work: gdi_affine_work_size() doubles. */
gd_status gdi_affine_loss_grad(const gdi_affine_model *model, const double *theta,
                               const gd_data *data, double *loss, double *grad, double *work);

/* out = XW + 1bᵀ for every row (n_rows × k), with the same threads; then,
 * if finish != NULL, finish(block of outputs, rows, k) on each block. */
typedef void (*gdi_finish_fn)(double *out, size_t rows, size_t k);
gd_status gdi_affine_predict(const gdi_affine_model *model, const double *theta,
                             const gd_data *data, double *out, gdi_finish_fn finish);

/* ---- BLAS pieces (affine.c, affine_multi.c) ----
 * Each splits the features into panels so that every BLAS call stays serial
 * (see above); n_rows must be at most gdi_block_shape_for(m, k).rows. The
 * two one-output functions run our own loops instead where the CPU allows
 * (see below), for any n_rows. */

/* out[i] = x_iᵀ w + b for n_rows rows of X (row stride ldx). */
void gdi_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                     const double *w, double b, double *out);

/* g += Xᵀ r over n_rows rows of X. */
void gdi_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                         const double *r, double *g);

/* ---- One-output blocks in AVX-512 (avx512.c) or AVX2+FMA (avx2.c) ----
 * gdi_affine_rows and gdi_accumulate_xt_r run the AVX-512 pair instead of
 * dgemv when gdi_avx512_usable() — built in (GDLEARN_HAVE_AVX512_KERNELS) and
 * this CPU and OS run AVX-512 — else the AVX2 pair when gdi_avx2_usable()
 * (GDLEARN_HAVE_AVX2_KERNELS, AVX2 and FMA); valgrind's CPU has AVX2 but not
 * AVX-512. Any n_rows and n_features; same contract as the two above. In a
 * build without one of them its functions are the dgemv path. The tests call
 * every path. */
int gdi_avx512_usable(void);
/* gdi_avx512_usable() and the k-output loops below built in
 * (GDLEARN_HAVE_AVX512_MULTI): softmax then goes through them. */
int gdi_avx512_multi_usable(void);
void gdi_avx512_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                            const double *w, double b, double *out);
void gdi_avx512_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *r, double *g);
/* The one-pass evaluation's fused sweep over narrow rows (avx512.c), where
 * gdi_avx512_fused_usable(m): per group of GDI_FUSED_ROWS rows (the last
 * one shorter), z = X_G w + b into z[0, rows), then residual(ctx, first row
 * of the group, rows, z), which turns z into r in place, then g += X_Gᵀ r
 * while the group is still in L1 (skipped when g is NULL) — X is read from
 * memory once, with no burst of in-cache work between its loads. z: scratch
 * of min(GDI_FUSED_ROWS, n_rows) doubles (only z[0, rows of the group) is
 * written). z and g get the same bits as from
 * gdi_avx512_affine_rows and gdi_avx512_accumulate_xt_r on the same rows.
 * Stops at, and returns, the first status other than GD_OK the residual
 * returns (g then holds the groups before it). In a build without the
 * AVX-512 loops: the same groups and calls through gdi_affine_rows and
 * gdi_accumulate_xt_r (never called there through onepass.c). */
#define GDI_FUSED_ROWS ((size_t)16)
/* Rows of up to this many features go through the fused sweep: 16 of them
 * (50 KiB at 400) still come back from L1 or near it for Xᵀr. In one-off
 * A/Bs against the block loops (gdlearn-bench, 2 threads, 3 rounds, X of
 * 763 MiB) the sweep took 4–15 % less time at m = 300 and 400 on both
 * ISAs, 2–4 % more at m = 500, and 24 % more at m = 1000 (AVX2)
 * (docs/performance.md, table 12). */
#define GDI_FUSED_MAX_FEATURES ((size_t)400)
/* Rows the sweep asks for into L2 go out while it computes, spread over it
 * (avx512.c says why): rows 0–3 of each 8 of the group GDI_FUSED_AHEAD_ROWS
 * rows on while z is summed, 4–7 while the rows go into g — or, with
 * residual_asks, 4 and 5 while the residual runs, which asks for them as it
 * goes (gdi_rows_ahead_step), and 6 and 7 while the rows go into g. The
 * residual is then handed where they lie; otherwise its `ahead` is NULL.
 * (Only a residual with work of its own should ask: linear regression's
 * does not.)
 * (1e6×50 logistic, 2 threads, gdlearn-bench, one-off A/B of 5 rounds:
 * 3.7 % less time per evaluation with its residual asking;
 * docs/performance.md, table 13.) */
#define GDI_FUSED_AHEAD_ROWS ((size_t)32)
typedef struct gdi_rows_ahead {
    uintptr_t group; /* the group's first row: an address, it may lie past X's end */
    size_t stride;   /* bytes from a row to the next (ldx · 8) */
    size_t bytes;    /* bytes of a row (n_features · 8) */
} gdi_rows_ahead;

/* The rows GDI_FUSED_AHEAD_ROWS on from the group at `rows` (n_features of
 * them at stride ldx), as the sweeps hand them to a residual. The address is
 * an integer: those rows may lie past the end of X. */
static inline gdi_rows_ahead gdi_rows_ahead_of(const double *rows, size_t ldx, size_t n_features)
{
    const gdi_rows_ahead ahead = {
        (uintptr_t)rows + GDI_FUSED_AHEAD_ROWS * ldx * sizeof(double),
        ldx * sizeof(double),
        n_features * sizeof(double),
    };
    return ahead;
}

/* For the residual of a group: ask for rows first + 4 and first + 5 of the
 * group ahead, one request per 64 bytes, into L2, `first` the residual's
 * row (a multiple of 8) in its own group. NULL: nothing. */
static inline void gdi_rows_ahead_step(const gdi_rows_ahead *ahead, size_t first)
{
#if defined(__GNUC__)
    if (ahead == NULL) {
        return;
    }
    for (size_t row = first + 4; row < first + 6; ++row) {
        const uintptr_t start = ahead->group + row * ahead->stride;
        for (size_t offset = 0; offset < ahead->bytes; offset += 64) {
            __builtin_prefetch((const void *)(start + offset), 0, 2);
        }
    }
#else
    (void)ahead;
    (void)first;
#endif
}

typedef gd_status (*gdi_rows_residual_fn)(void *ctx, size_t first, size_t n_rows, double *z,
                                          const gdi_rows_ahead *ahead);
int gdi_avx512_fused_usable(size_t n_features);
gd_status gdi_avx512_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *w, double b, double *z, double *g,
                                gdi_rows_residual_fn residual, void *ctx, int residual_asks);
/* The logistic residual of n rows (avx512.c), where gdi_avx512_usable():
 * as gdi_logistic_rows below, with its exp and log1p inline
 * (kernels/avx512_math.h), and the labels checked on the way. Adds
 * Σ sᵢ(softplus(zᵢ) − yᵢzᵢ) to *loss and Σ rᵢ to *intercept (unless NULL),
 * sets z[i] = rᵢ = sᵢ(σ(zᵢ) − yᵢ); s NULL: all 1. Returns 1, or 0 when a
 * label is neither 0 nor 1 (the sums and z are then of no use). Sums run
 * lane i mod 8 of row i, then the lanes: the same bits for the same n. For
 * each 8 rows, asks for the fused sweep's rows ahead (gdi_rows_ahead_step;
 * ahead NULL: none). In a build without the AVX-512 loops: the same through
 * gdi_logistic_rows, asking for nothing. */
int gdi_avx512_logistic_rows(double *z, const double *y, const double *s, size_t n,
                             double *loss, double *intercept, const gdi_rows_ahead *ahead);
/* The exp and log1p of those residuals (kernels/avx512_math.h) over arrays,
 * for the tests: out[i] = e^x[i] for x[i] ≤ 0, log1p(x[i]) for x[i] ≥ 0
 * (+∞ included; NaN: NaN), within 2 ulp. In a build
 * without the AVX-512 loops: libm's exp and log1p. */
void gdi_avx512_exp_nonpositive(const double *x, double *out, size_t n);
void gdi_avx512_log1p_nonnegative(const double *x, double *out, size_t n);
int gdi_avx2_usable(void);
void gdi_avx2_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                          const double *w, double b, double *out);
void gdi_avx2_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *r, double *g);
/* The same fused sweep in AVX2+FMA (avx2.c), for CPUs without AVX-512:
 * gdi_avx2_fused_usable(m) is m ≤ GDI_FUSED_MAX_FEATURES and
 * gdi_avx2_usable(). Same contract as gdi_avx512_fused_rows, with the bits
 * of gdi_avx2_affine_rows and gdi_avx2_accumulate_xt_r on the same rows. In
 * a build without its loops, as gdi_avx512_fused_rows in one without those,
 * the same groups and calls through gdi_affine_rows / gdi_accumulate_xt_r
 * (never called there through onepass.c). */
int gdi_avx2_fused_usable(size_t n_features);
gd_status gdi_avx2_fused_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *w, double b, double *z, double *g,
                              gdi_rows_residual_fn residual, void *ctx, int residual_asks);
/* The same sweep, its groups and calls, through gdi_affine_rows and
 * gdi_accumulate_xt_r (the first usable path) in pieces BLAS takes
 * serially: gdi_avx512_fused_rows and gdi_avx2_fused_rows in a build
 * without their loops (never called there through onepass.c). z and g get
 * the bits of those two functions; on our own loops, for any grouping. It
 * asks for no rows ahead: the residual's `ahead` is NULL. */
gd_status gdi_fused_rows_dispatch(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                  const double *w, double b, double *z, double *g,
                                  gdi_rows_residual_fn residual, void *ctx, int residual_asks);
/* The k-output pair in AVX-512 (avx512_multi.c): Z = XW + 1bᵀ and G += XᵀR
 * as gdi_affine_rows_multi / gdi_accumulate_xt_r_multi below, but with the
 * weights wt and the gradient gt transposed (n_outputs rows of n_features,
 * row strides ldw, ldg ≥ n_features: one class's weights contiguous; rows
 * starting on 64-byte boundaries spare the loads of W a cache-line split
 * each). Any n_rows, n_features, n_outputs. Only when
 * gdi_avx512_multi_usable(); in a build without them they are plain loops
 * (never called there). */
void gdi_avx512_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                  const double *wt, size_t ldw, const double *b,
                                  size_t n_outputs, double *out, gdi_prefetch *pf);
void gdi_avx512_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                      size_t ldx, const double *r, size_t n_outputs, int lanes,
                                      double *gt, size_t ldg, gdi_prefetch *pf);
/* The same pair in AVX2+FMA (avx2_multi.c), for CPUs without AVX-512: same
 * layout and contract, R row-major only (no lanes layout), each row's Z the
 * tree of its 4 lanes (other bits than the AVX-512 pair's). Only when
 * gdi_avx2_multi_usable() (built in and the CPU has AVX2 and FMA: also on a
 * CPU with AVX-512, where onepass.c takes the AVX-512 pair); plain loops in
 * a build without them. gdi_avx2_multi_work is their work as reported to
 * gdi_prefetch_work, with 4 per class per 8 rows for the residual. */
int gdi_avx2_multi_usable(void);
void gdi_avx2_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                                const double *wt, size_t ldw, const double *b, size_t n_outputs,
                                double *out, gdi_prefetch *pf);
void gdi_avx2_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features,
                                    size_t ldx, const double *r, size_t n_outputs, double *gt,
                                    size_t ldg, gdi_prefetch *pf);
size_t gdi_avx2_multi_work(size_t n_rows, size_t n_features, size_t n_outputs,
                           int with_gradient);
/* The classes [*c0, *c0 + return) of group g of `groups`: k classes cut
 * into near-equal groups (the k-output loops take at most a register file's
 * worth of classes at a time). */
static inline int gdi_class_group(size_t k, size_t g, size_t groups, size_t *c0)
{
    const size_t base = k / groups;
    const size_t extra = k % groups;
    *c0 = g * base + (g < extra ? g : extra);
    return (int)(base + (g < extra ? 1 : 0));
}
/* The work the two above and gdi_avx512_softmax_lanes report to
 * gdi_prefetch_work for a block of n_rows rows: their vector multiply-adds
 * (and, for the residual, 4 per class per 8 rows). */
size_t gdi_avx512_multi_work(size_t n_rows, size_t n_features, size_t n_outputs,
                             int with_gradient);
/* The lanes layout of a block's residual R (n_rows × k): each group of 8
 * rows from the block's start holds class c's residuals of its rows in 8
 * consecutive doubles at 8·c, i.e. R[i][c] = r[g·k + 8·c + (i − g)] for the
 * group starting at row g; a last group of fewer than 8 rows also takes 8·k
 * doubles (0 past its last row), so r has room for n_rows rounded up to 8.
 * Up to 128 classes: the residual keeps a group's 8·k scores and intercept
 * sums on the stack (16 KiB at k = 128). Above, softmax's residual runs row
 * by row (gdi_softmax_rows): at k = 40–128 that took 14–20 % longer per
 * evaluation at m = 100, 57–59 % at m = 8 (docs/performance.md, table 8). */
#define GDI_LANES_MAX_OUTPUTS ((size_t)128)

/* Softmax regression's residual of a block in that layout, for n_classes ≤
 * GDI_LANES_MAX_OUTPUTS (AVX-512): z (n_rows × k, row-major on entry, with
 * room for n_rows rounded up to 8) becomes s∘(P − Y) in the lanes layout;
 * adds Σ sᵢ lᵢ to *loss and, unless intercept is NULL, Σ sᵢ(Pᵢc − Yᵢc) to
 * intercept[c]. y holds the rows' labels as doubles, weights NULL (all 1)
 * or the rows' weights. Returns 0 if a label is not a whole number in
 * [0, k) (then z, *loss and intercept are partly updated: discard them),
 * else 1. */
int gdi_avx512_softmax_lanes(double *z, size_t n_rows, size_t n_classes, const double *y,
                             const double *weights, double *loss, double *intercept,
                             gdi_prefetch *pf);
/* Z straight into the lanes layout (same bits as gdi_avx512_affine_rows_multi
 * gives row-major) where n_outputs <= 12 and W needs no panels; returns 0
 * (nothing done) otherwise. out has room for n_rows rounded up to 8. */
int gdi_avx512_affine_rows_multi_lanes(const double *x, size_t n_rows, size_t n_features,
                                       size_t ldx, const double *wt, size_t ldw, const double *b,
                                       size_t n_outputs, double *out, gdi_prefetch *pf);
/* gdi_avx512_softmax_lanes with z already in the lanes layout on entry. */
int gdi_avx512_softmax_lanes_from_lanes(double *z, size_t n_rows, size_t n_classes,
                                        const double *y, const double *weights, double *loss,
                                        double *intercept, gdi_prefetch *pf);
/* The dgemv (or ddot/daxpy) path, whatever the CPU: for the tests. */
void gdi_blas_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                          const double *w, double b, double *out);
void gdi_blas_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *r, double *g);

/* g += λ·w (the L2 term of the gradient); returns (λ/2)‖w‖². Plain loops:
 * BLAS would hand long vectors to its thread pool. */
double gdi_l2_term(const double *w, size_t n, double l2, double *g);

/* Z = X W + 1bᵀ for n_rows rows (W is n_features × n_outputs row-major, b has
 * n_outputs values; Z is n_rows × n_outputs row-major). */
void gdi_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                           const double *w, const double *b, size_t n_outputs, double *out);

/* G += Xᵀ R over n_rows rows of X (R is n_rows × n_outputs, G is
 * n_features × n_outputs, both row-major). */
void gdi_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                               const double *r, size_t n_outputs, double *g);

/* Stable forms (src/kernels/stable.c, docs/classification.md). */

/* σ(z) = 1/(1 + e^−z) and softplus(z) = log(1 + e^z) = max(z, 0) +
 * log1p(e^−|z|), over arrays, through the vector math below (exp/log1p from
 * gdi_v*): only e^−|z| is ever taken, so nothing overflows for any z. */

/* In place, z[i] becomes σ(z[i]) for i < n. */
void gdi_sigmoid_rows(double *z, size_t n);

/* The logistic loss of n rows with margins z, labels y (each 0 or 1: the
 * caller checks) and weights s (NULL: all 1): returns Σ sᵢ(softplus(zᵢ) − yᵢzᵢ),
 * sets *sum_residual = Σ rᵢ and z[i] = rᵢ = sᵢ(σ(zᵢ) − yᵢ) in place. */
double gdi_logistic_rows(double *z, const double *y, const double *s, size_t n,
                         double *sum_residual);

/* In place, each of the n_rows rows of z (n_rows × n_classes, contiguous)
 * becomes its softmax, with the row maximum subtracted. Unless log_sum is
 * NULL, logsumexp of row i as given is row_max[i] + log_sum[i], with log_sum[i]
 * = log1p(Σ of the row's other terms e^(z_c − max)): kept apart so that a
 * caller can form logsumexp − z_label as (max − z_label) + log_sum, exact
 * to an ulp also for a confident row's tiny loss. */
void gdi_softmax_rows(double *z, size_t n_rows, size_t n_classes, double *row_max,
                      double *log_sum);

/* ---- exp and log1p over arrays (src/kernels/vmath.c) ----
 * out[i] = f(in[i]) for i < n; out == in is allowed (no other overlap). With
 * GCC on x86-64 glibc they go through libmvec, vectorised for the CPU (≤ 4 ulp
 * from libm's scalar result); the bits depend only on the CPU and n. */
void gdi_vexp(const double *in, double *out, size_t n);
void gdi_vlog1p(const double *in, double *out, size_t n);


#endif /* GDLEARN_KERNELS_H */
