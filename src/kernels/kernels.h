/* BLAS-backed building blocks of the models (DESIGN §2). Not installed.
 * Every size passed here has been checked to fit BLAS's int by the caller
 * (gd_data_validate checks ldx; blocks come from gdi_block_shape_for). */
#ifndef GDLEARN_KERNELS_H
#define GDLEARN_KERNELS_H

#include <stddef.h>

#include "core/internal.h"

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
 * with 2 threads against 1.9× for a read of X. So a block of rows × m stays
 * within rows + m ≤ GDI_GEMV_STACK_SUM, and for m too large for that the one-
 * output kernels go row by row with ddot and daxpy (no scratch; serial below
 * 10000 elements, so they get panels of GDI_GEMV_SERIAL_MAX columns). */
#define GDI_GEMV_STACK_SUM ((size_t)240)
#define GDI_GEMM_SERIAL_MAX ((size_t)262144)
/* Elements of X per block: 32 KiB, so a block read for Z is still in L1/L2
 * when Xᵀr reads it again. */
#define GDI_BLOCK_ELEMS ((size_t)4096)

/* The geometry of one block: `rows` rows of X, cut into column panels of at
 * most `panel` features, such that one BLAS call (rows × panel × n_outputs)
 * stays serial inside OpenBLAS. rows ≥ 1, 1 ≤ panel ≤ n_features. */
typedef struct gdi_block_shape {
    size_t rows;
    size_t panel;
} gdi_block_shape;

gdi_block_shape gdi_block_shape_for(size_t n_features, size_t n_outputs);

/* ---- Threads over contiguous row chunks (src/kernels/chunks.c) ---- */

/* The most threads an explicit gd_model.n_threads is taken up to. */
#define GDI_MAX_THREADS ((size_t)1024)
/* The default (n_threads = 0) uses the online CPUs, but never more than this:
 * the workspace is sized for it without asking the system. */
#define GDI_DEFAULT_THREADS_MAX ((size_t)8)
/* Multiply-adds of X·W each thread must get: a second thread is started from
 * 2·2¹⁷ (2 MiB of X for one output). Starting and joining a thread costs
 * ~10 µs on an idle machine, but far more when the other core is busy:
 * logistic, m = 16, with a niced process on the other core, 2 threads lost
 * 12% at 2¹⁸ multiply-adds, broke even at 2¹⁹ and won 25–30% from 2²⁰. */
#define GDI_THREAD_MIN_WORK ((size_t)131072)
/* Rows each thread must get: the caller adds the T − 1 partial gradients
 * (m·k each) alone, which must stay small against a chunk's own work. */
#define GDI_THREAD_MIN_ROWS ((size_t)64)

/* Threads one evaluation over n_rows rows of `row_work` multiply-adds each
 * will use, for a model asking for `requested` (0: the default). Never more
 * than gdi_threads_bound() with the same arguments, and never decreasing as
 * n_rows grows. 1 for small problems. */
size_t gdi_threads_for(unsigned requested, size_t n_rows, size_t row_work);

/* The largest value gdi_threads_for() can give for these arguments, whatever
 * the machine: what workspace is sized for. */
size_t gdi_threads_bound(unsigned requested, size_t n_rows, size_t row_work);

/* Work on rows [row_begin, row_end) as chunk number `chunk`. */
typedef gd_status (*gdi_chunk_fn)(void *task, size_t chunk, size_t row_begin, size_t row_end);

/* Split rows [0, n_rows) into n_chunks contiguous chunks, as even as possible
 * and fixed by (n_rows, n_chunks) alone, and run fn on each: chunk 0 on the
 * calling thread, the others on threads of their own, all joined before the
 * return. A thread that cannot be started leaves its chunk to the calling
 * thread, so the result is the same. A chunk may be empty (n_chunks >
 * n_rows). Returns the first failing status in chunk order, or GD_OK. */
gd_status gdi_run_chunks(size_t n_chunks, size_t n_rows, gdi_chunk_fn fn, void *task);

/* ---- One-pass loss and gradient of the three built-in models (onepass.c) ---- */

/* Turn z (rows × k row-major: the affine outputs of rows [start, start+rows)
 * of data) into s∘R in place, R the residual of DESIGN §1; add Σ sᵢ lᵢ to
 * *loss and, unless intercept is NULL (no gradient wanted), Σ sᵢ Rᵢc to
 * intercept[c] for each output c. */
typedef gd_status (*gdi_residual_fn)(const gd_data *data, size_t start, size_t rows, size_t k,
                                     double *z, double *loss, double *intercept);

/* A model of the form Z = XW + 1bᵀ, θ = [b (k); W (m×k row-major)], with a
 * per-row loss: the built-ins. */
typedef struct gdi_affine_model {
    size_t n_features;        /* m */
    size_t n_outputs;         /* k */
    double l2;                /* λ on W */
    unsigned n_threads;       /* as gd_model.n_threads */
    gdi_residual_fn residual; /* the per-block loss and residual */
    /* Nonzero if the residual costs about as much as reading its rows
     * (exp, log1p per row): the next block is then prefetched while it
     * runs (onepass.c). Linear regression's is too cheap to hide anything. */
    int costly_residual;
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
 * (see above); n_rows must be at most gdi_block_shape_for(m, k).rows. */

/* out[i] = x_iᵀ w + b for n_rows rows of X (row stride ldx). */
void gdi_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                     const double *w, double b, double *out);

/* g += Xᵀ r over n_rows rows of X. */
void gdi_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
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

/* σ(z) = 1/(1 + e^−z), without overflow for any finite z. */
double gdi_sigmoid(double z);

/* softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^−|z|). */
double gdi_softplus(double z);

/* One row of the logistic loss: returns softplus(z) − y·z for y = positive
 * (0 or 1) and sets *residual = σ(z) − y. */
double gdi_logistic_row(double z, int positive, double *residual);

/* In place, z (n_classes ≥ 1 values) becomes softmax(z), computed with the
 * maximum subtracted; returns logsumexp(z) of the values given. */
double gdi_softmax_row(double *z, size_t n_classes);

#endif /* GDLEARN_KERNELS_H */
