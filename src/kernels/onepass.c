/* One-pass loss and gradient of a model Z = XW + 1bᵀ with a per-row loss (the
 * three built-ins), over threads (DESIGN §5).
 *
 * The rows are split into T contiguous chunks (gdi_run_chunks). Each chunk
 * walks its rows a block at a time: Z of the block (serial BLAS, or on a
 * CPU with AVX-512 our own loops — avx512.c for one output, avx512_multi.c
 * for softmax — or with AVX2 avx2.c and avx2_multi.c), the residual in place
 * of Z, then Xᵀ R of the block into the chunk's own partial gradient while
 * the block is still in cache; X is read from memory once. One output on
 * a CPU with AVX-512 or AVX2+FMA and m ≤ GDI_FUSED_MAX_FEATURES: the same
 * three steps a group of 16 rows at a time instead, in one sweep over the
 * chunk (gdi_avx512_fused_rows, else gdi_avx2_fused_rows).
 * The caller then adds the partials in chunk order, so a given T gives the
 * same bits every time. Workspace: one slab per chunk, from the caller's work
 * (no allocation here). */
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"

/* On one thread, the chunk needs only its Z block: its weight and intercept
 * gradients go straight into the output, its loss and weight sum into the
 * task. On more, every chunk t has a slab of its own:
 * [loss, weight sum, intercept sums (k)] | Z block | partial weight gradient
 * (m·k), each part rounded up to 8 doubles (64 bytes) from a 64-byte boundary
 * of work, so that two threads' hot data never share a cache line — nor the
 * caller's: a chunk that summed into the output while another thread read θ
 * shared θ's last cache line with the gradient's first wherever the caller
 * put them side by side (linear regression 1e6×50, 2 threads: 8 % longer
 * with θ and the gradient in adjacent heap blocks, in a one-off A/B). */
#define SLAB_ALIGN GDI_SLAB_ALIGN

typedef struct slab_layout {
    size_t block;   /* Z block: min(block rows, n_rows)·k (rows rounded up to 8: multi_loops) */
    size_t first;   /* the Z block rounded up: one thread's workspace */
    size_t header;  /* 2 + k, rounded up */
    size_t partial; /* header + block, rounded up: the partial gradient's offset */
    size_t slab;    /* partial + m·k (+ 0 with multi_loops), rounded up */
    /* With multi_loops only: W transposed (k rows of ldw ≥ m, rows on 64-byte
     * boundaries) for the k-output loops (AVX-512 or AVX2), and each chunk's partial
     * gradient in the same shape, after the slabs (transposed_parts); else 0. */
    size_t ldw;        /* m rounded up to 8 */
    size_t transposed; /* k·ldw: one such matrix */
} slab_layout;

/* Whether the model's blocks go through our k-output loops on this CPU
 * (avx512_multi.c, else avx2_multi.c): softmax's, with W and the gradients
 * transposed. */
static int multi_loops(const gdi_affine_model *model)
{
    return model->n_outputs > 1 && (gdi_avx512_multi_usable() || gdi_avx2_multi_usable());
}

static int layout_for(const gdi_affine_model *model, gdi_block_shape shape, size_t n_rows,
                      slab_layout *out)
{
    const size_t m = model->n_features;
    const size_t k = model->n_outputs;
    size_t rows = shape.rows < n_rows ? shape.rows : n_rows;
    size_t header, partial, weights = 0, slab;
    out->ldw = 0;
    out->transposed = 0;
    if (multi_loops(model)) {
        rows = (rows + 7) / 8 * 8; /* the lanes layout takes whole groups of 8 rows */
        if (!(gdi_round_up_slab(m, &out->ldw) && out->ldw != 0
              && gdi_mul_size(k, out->ldw, &out->transposed))) {
            return 0;
        }
    } else if (!gdi_mul_size(m, k, &weights)) {
        return 0; /* the slabs' partial gradients: the transposed parts replace them */
    }
    return gdi_mul_size(rows, k, &out->block) && gdi_round_up_slab(out->block, &out->first)
           && gdi_add_size(k, 2, &header) && gdi_round_up_slab(header, &out->header)
           && gdi_add_size(out->header, out->first, &partial)
           && gdi_round_up_slab(partial, &out->partial)
           && gdi_add_size(out->partial, weights, &slab) && gdi_round_up_slab(slab, &out->slab);
}

/* *size = doubles of the slabs for `threads` chunks (one thread: its Z block
 * only; more: an alignment gap of up to GDI_SLAB_ALIGN − 1 doubles, then one
 * slab per chunk), then of the transposed parts: one alignment gap of up to
 * GDI_SLAB_ALIGN − 1 doubles, W transposed and one partial gradient per
 * chunk. 0 if that overflows a size_t. */
static int slabs_size(const slab_layout *layout, size_t threads, size_t *size)
{
    size_t slabs, total;
    if (threads <= 1) {
        total = layout->transposed == 0 ? layout->block : layout->first;
    } else if (!gdi_mul_size(layout->slab, threads, &slabs)
               || !gdi_add_size(slabs, GDI_SLAB_ALIGN, &total)) {
        return 0;
    }
    if (layout->transposed != 0) {
        size_t parts, count;
        if (!gdi_add_size(threads, 1, &count) || !gdi_mul_size(layout->transposed, count, &parts)
            || !gdi_add_size(total, GDI_SLAB_ALIGN, &total)
            || !gdi_add_size(total, parts, &total)) {
            return 0;
        }
    }
    *size = total;
    return 1;
}

/* Multiply-adds of X·W per row, saturating (it only sizes the thread count). */
static size_t row_work(const gdi_affine_model *model)
{
    size_t work;
    return gdi_mul_size(model->n_features, model->n_outputs, &work) ? work : SIZE_MAX;
}

size_t gdi_affine_work_size(const gdi_affine_model *model, size_t n_rows)
{
    slab_layout layout;
    const size_t threads = gdi_threads_bound(model->n_threads, n_rows, row_work(model));
    if (!layout_for(model, gdi_block_shape_for(model->n_features, model->n_outputs), n_rows,
                    &layout)) {
        return SIZE_MAX;
    }
    size_t total;
    return slabs_size(&layout, threads, &total) ? total : SIZE_MAX;
}

typedef struct affine_task {
    const gdi_affine_model *model;
    const double *theta;
    const gd_data *data;
    double *grad; /* NULL: loss only */
    double *work;
    slab_layout layout;
    gdi_block_shape shape;
    int prefetch; /* prefetch the next block while this one is computed (paced) */
    /* k > 1 on a CPU with AVX-512 or AVX2+FMA: Z and G through
     * avx512_multi.c (multi512) or avx2_multi.c, with W transposed in wt and
     * chunk t's partial gradient in gt + t·transposed (both k rows of
     * layout.ldw); otherwise NULL (dgemm). */
    const double *wt;
    double *gt;
    int multi512;
    int lanes; /* the residual in the lanes layout (residual_lanes), with multi512 */
    size_t threads; /* chunks; more than one: each has a slab (slab_of) */
    double one_loss; /* one chunk: its sums (more: they are in the slabs) */
    double one_weight_sum;
} affine_task;

/* Rows per residual call between prefetches, and the most bytes of X those
 * rows may hold: a longer burst of prefetches fills the core's miss buffers
 * and stalls it instead (m = 500: 19% slower on one thread). */
#define PREFETCH_ROWS ((size_t)4)
#define PREFETCH_MAX_BYTES ((size_t)4096)

/* p, or the first double after it on a 64-byte boundary (at most
 * GDI_SLAB_ALIGN − 1 doubles on). */
static double *line_start(double *p)
{
    const size_t line = GDI_SLAB_ALIGN * sizeof *p;
    const size_t misalign = (size_t)((uintptr_t)p % line);
    return misalign == 0 ? p : p + (line - misalign) / sizeof *p;
}

/* Where the transposed parts start in work: after the slabs of `threads`
 * chunks, on a 64-byte boundary. */
static double *transposed_parts(const slab_layout *layout, double *work, size_t threads)
{
    size_t total = 0;
    (void)slabs_size(layout, threads, &total); /* fits: work_size said so */
    return line_start(work + total - GDI_SLAB_ALIGN - (threads + 1) * layout->transposed);
}

/* Chunk t's slab (more than one thread): the t-th after the first 64-byte
 * boundary of work. */
static double *slab_of(const affine_task *task, size_t chunk)
{
    return line_start(task->work) + chunk * task->layout.slab;
}

/* The residual of rows of a chunk, for the fused sweeps: the model's, with
 * the chunk's sums. A group's loss and intercept sums first join those of
 * the groups around it, FUSED_SUM_GROUPS at a time, and only then the
 * chunk's: a chunk of n rows then adds n / (GDI_FUSED_ROWS · 64) terms to
 * its sums instead of n / GDI_FUSED_ROWS, for less rounding (tests/bench/
 * peers.sh, 200000 × 50, 2 threads: the loss gdlearn reports within
 * 9.6e-16 (logistic) and 3.3e-16 (linear) of the objective numpy computes
 * from its θ, against 1.0e-13 and 2.4e-15 with every group's sums straight
 * into the chunk's, and 1.2e-14 and 1.1e-15 with blocks of 80 rows). */
#define FUSED_SUM_GROUPS ((size_t)64)

typedef struct fused_chunk {
    const gdi_affine_model *model;
    const gd_data *data;
    size_t row_begin;
    double *loss;      /* the chunk's sums */
    double *intercept; /* NULL: no gradient */
    double part_loss;  /* of the groups since the last flush */
    double part_intercept;
    size_t groups;
} fused_chunk;

static void fused_flush(fused_chunk *c)
{
    *c->loss += c->part_loss;
    c->part_loss = 0.0;
    if (c->intercept != NULL) {
        *c->intercept += c->part_intercept;
        c->part_intercept = 0.0;
    }
}

static gd_status fused_residual(void *arg, size_t first, size_t n_rows, double *z,
                                const gdi_rows_ahead *ahead)
{
    fused_chunk *c = arg;
    double *intercept = c->intercept != NULL ? &c->part_intercept : NULL;
    const gd_status status =
        c->model->residual_ahead != NULL
            ? c->model->residual_ahead(c->data, c->row_begin + first, n_rows, z, &c->part_loss,
                                       intercept, ahead)
            : c->model->residual(c->data, c->row_begin + first, n_rows, 1, z, &c->part_loss,
                                 intercept);
    if (++c->groups % FUSED_SUM_GROUPS == 0) {
        fused_flush(c);
    }
    return status;
}

static gd_status affine_chunk(void *arg, size_t chunk, size_t row_begin, size_t row_end)
{
    affine_task *task = arg;
    const gdi_affine_model *model = task->model;
    const gd_data *data = task->data;
    const size_t m = model->n_features;
    const size_t k = model->n_outputs;
    const size_t ldx = gdi_ldx(data);
    const double *b = task->theta;
    const double *w = task->theta + k;
    double *z = task->work;
    double *g = NULL;         /* weight gradient (m·k) */
    double *intercept = NULL; /* Σ s∘R per output (k) */
    double *slab = NULL;
    if (task->threads <= 1) {
        if (task->grad != NULL) { /* zeroed by the caller */
            intercept = task->grad;
            g = task->grad + k;
        }
    } else {
        slab = slab_of(task, chunk);
        z = slab + task->layout.header;
        if (task->grad != NULL) {
            intercept = slab + 2;
            g = slab + task->layout.partial;
            memset(intercept, 0, k * sizeof *intercept);
            if (task->gt == NULL) {
                memset(g, 0, m * k * sizeof *g);
            }
        }
    }
    if (task->gt != NULL && g != NULL) {
        g = task->gt + chunk * task->layout.transposed;
        memset(g, 0, task->layout.transposed * sizeof *g);
    }
    double loss = 0.0;
    double weight_sum = 0.0;
    /* Narrow rows, one output, AVX-512 or else AVX2+FMA: the whole chunk in
     * one fused sweep, z, residual and Xᵀr a group of GDI_FUSED_ROWS rows at
     * a time, the group's z in group_z (on the stack: 128 bytes). */
    double group_z[GDI_FUSED_ROWS];
    const int fused512 = k == 1 && gdi_avx512_fused_usable(m);
    const int fused = fused512 || (k == 1 && gdi_avx2_fused_usable(m));
    if (fused) {
        fused_chunk sums = {model, data, row_begin, &loss, intercept, 0.0, 0.0, 0};
        const gd_status status =
            fused512 ? gdi_avx512_fused_rows(data->x + row_begin * ldx, row_end - row_begin, m,
                                             ldx, w, b[0], group_z, g, fused_residual, &sums,
                                             model->residual_ahead != NULL)
                     : gdi_avx2_fused_rows(data->x + row_begin * ldx, row_end - row_begin, m,
                                           ldx, w, b[0], group_z, g, fused_residual, &sums,
                                           model->residual_ahead != NULL);
        if (status != GD_OK) {
            return status;
        }
        fused_flush(&sums);
    }
    for (size_t start = row_begin; !fused && start < row_end; start += task->shape.rows) {
        const size_t rows =
            row_end - start < task->shape.rows ? row_end - start : task->shape.rows;
        const double *x = data->x + start * ldx;
        /* The next block is prefetched while this one is computed, a line
         * at a time as the work goes (gdi_prefetch_work): inside the
         * k-output loops (AVX-512, AVX2), paced by their multiply-adds; after each
         * PREFETCH_ROWS rows of the residual and each BLAS call otherwise.
         * Memory then delivers it while the core computes (the hardware
         * prefetcher sees no demand loads while the residual and Xᵀ R run
         * in cache), without bursts of requests that would stall the core
         * on its miss buffers. */
        gdi_prefetch pf = {0, 0, 1, 0};
        gdi_prefetch *ahead = NULL;
        size_t blas_share = 0;
        const size_t rstep = task->prefetch && !task->lanes ? PREFETCH_ROWS : rows;
        const size_t next = start + rows;
        if (task->prefetch && next < row_end) {
            const size_t next_rows = row_end - next < rows ? row_end - next : rows;
            const size_t n = (next_rows - 1) * ldx + m;
            const size_t lines = (n * sizeof(double) + 63) / 64;
            pf.next = (uintptr_t)(data->x + next * ldx);
            pf.end = pf.next + n * sizeof(double);
            if (task->wt != NULL) {
                const size_t work = task->multi512 ? gdi_avx512_multi_work(rows, m, k, g != NULL)
                                                   : gdi_avx2_multi_work(rows, m, k, g != NULL);
                pf.work_per_line = work / lines > 1 ? work / lines : 1;
            } else {
                /* The BLAS path: an equal share of the lines after each
                 * call (Z, each residual step, G). */
                const size_t calls = (rows + rstep - 1) / rstep + 2;
                blas_share = (lines + calls - 1) / calls;
            }
            ahead = &pf;
        }
        int z_lanes = 0;
        if (k == 1) {
            gdi_affine_rows(x, rows, m, ldx, w, b[0], z);
        } else if (task->lanes
                   && gdi_avx512_affine_rows_multi_lanes(x, rows, m, ldx, task->wt,
                                                         task->layout.ldw, b, k, z, ahead)) {
            z_lanes = 1; /* Z already in the residual's lanes layout */
        } else if (task->wt != NULL && task->multi512) {
            gdi_avx512_affine_rows_multi(x, rows, m, ldx, task->wt, task->layout.ldw, b, k, z,
                                         ahead);
        } else if (task->wt != NULL) {
            gdi_avx2_affine_rows_multi(x, rows, m, ldx, task->wt, task->layout.ldw, b, k, z,
                                       ahead);
        } else {
            gdi_affine_rows_multi(x, rows, m, ldx, w, b, k, z);
            gdi_prefetch_work(ahead, blas_share);
        }
        for (size_t i = 0; i < rows; i += rstep) {
            const size_t sub = rows - i < rstep ? rows - i : rstep;
            gd_status status;
            if (task->lanes) {
                status = model->residual_lanes(data, start + i, sub, k, z + i * k, &loss,
                                               intercept, ahead, z_lanes);
            } else {
                status = model->residual(data, start + i, sub, k, z + i * k, &loss, intercept);
                /* With the k-output loops (AVX2, or AVX-512 with k >
                 * GDI_LANES_MAX_OUTPUTS), the residual's share of
                 * gdi_avx512_multi_work / gdi_avx2_multi_work: 4k per 8 rows. */
                gdi_prefetch_work(ahead, task->wt != NULL ? (sub * k + 1) / 2 : blas_share);
            }
            if (status != GD_OK) {
                return status;
            }
        }
        if (g != NULL) {
            if (k == 1) {
                gdi_accumulate_xt_r(x, rows, m, ldx, z, g);
            } else if (task->gt != NULL && task->multi512) {
                gdi_avx512_accumulate_xt_r_multi(x, rows, m, ldx, z, k, task->lanes, g,
                                                 task->layout.ldw, ahead);
            } else if (task->gt != NULL) {
                gdi_avx2_accumulate_xt_r_multi(x, rows, m, ldx, z, k, g, task->layout.ldw,
                                               ahead);
            } else {
                gdi_accumulate_xt_r_multi(x, rows, m, ldx, z, k, g);
                gdi_prefetch_work(ahead, blas_share);
            }
        }
    }
    if (data->weights == NULL) {
        weight_sum = (double)(row_end - row_begin);
    } else {
        for (size_t i = row_begin; i < row_end; ++i) {
            weight_sum += data->weights[i];
        }
    }
    if (slab == NULL) {
        task->one_loss = loss;
        task->one_weight_sum = weight_sum;
    } else {
        slab[0] = loss;
        slab[1] = weight_sum;
    }
    return GD_OK;
}

gd_status gdi_affine_loss_grad(const gdi_affine_model *model, const double *theta,
                               const gd_data *data, double *loss, double *grad, double *work)
{
    const size_t m = model->n_features;
    const size_t k = model->n_outputs;
    affine_task task = {
        .model = model,
        .theta = theta,
        .data = data,
        .grad = grad,
        .work = work,
        .shape = gdi_block_shape_for(m, k),
        .prefetch = model->costly_residual
                    && m <= PREFETCH_MAX_BYTES / PREFETCH_ROWS / sizeof(double),
        .wt = NULL,
        .gt = NULL,
        .multi512 = 0,
        .lanes = 0,
        .threads = 1,
        .one_loss = 0.0,
        .one_weight_sum = 0.0,
    };
    if (!layout_for(model, task.shape, data->n_rows, &task.layout)) {
        return GD_ERR_OVERFLOW; /* work_size said SIZE_MAX: no caller gets here */
    }
    const size_t n_params = (m + 1) * k; /* the constructors checked it fits */
    const size_t threads = gdi_threads_for(model->n_threads, data->n_rows, row_work(model));
    task.threads = threads;
    if (grad != NULL) {
        memset(grad, 0, n_params * sizeof *grad);
    }
    if (multi_loops(model)) {
        double *wt = transposed_parts(&task.layout, work, threads);
        const double *w = theta + k;
        for (size_t c = 0; c < k; ++c) {
            for (size_t j = 0; j < m; ++j) {
                wt[c * task.layout.ldw + j] = w[j * k + c];
            }
        }
        task.wt = wt;
        task.gt = wt + task.layout.transposed;
        task.multi512 = gdi_avx512_multi_usable();
        task.lanes = task.multi512 && model->residual_lanes != NULL
                     && k <= GDI_LANES_MAX_OUTPUTS;
        /* Paced by the loops' work, prefetches come in no bursts: any m. */
        task.prefetch = model->costly_residual;
    }
    gd_status status = gdi_run_chunks(threads, data->n_rows, affine_chunk, &task);
    if (status != GD_OK) {
        return status;
    }

    /* Reduce in chunk order: the same sums, in the same order, every call. */
    if (grad != NULL && task.gt != NULL) {
        /* The transposed partials into the weight gradient, chunk 0 first. */
        const size_t ldw = task.layout.ldw;
        double *g = grad + k;
        for (size_t t = 0; t < threads; ++t) {
            const double *gt = task.gt + t * task.layout.transposed;
            for (size_t j = 0; j < m; ++j) {
                for (size_t c = 0; c < k; ++c) {
                    g[j * k + c] += gt[c * ldw + j];
                }
            }
        }
    }
    /* One chunk: its sums are already in place. More: every chunk's slab in
     * order, added to the zeroed gradient (chunk 0's first: 0 + x is x, the
     * bits it would have summed in place). */
    double sum_loss = task.one_loss;
    double weight_sum = task.one_weight_sum;
    for (size_t t = 0; threads > 1 && t < threads; ++t) {
        const double *slab = slab_of(&task, t);
        sum_loss += slab[0];
        weight_sum += slab[1];
        if (grad != NULL) {
            for (size_t c = 0; c < k; ++c) {
                grad[c] += slab[2 + c];
            }
            if (task.gt == NULL) {
                const double *partial = slab + task.layout.partial;
                double *g = grad + k;
                for (size_t j = 0; j < m * k; ++j) {
                    g[j] += partial[j];
                }
            }
        }
    }
    const double inv_s = 1.0 / weight_sum;
    const double *w = theta + k;
    double penalty;
    if (grad != NULL) {
        for (size_t j = 0; j < n_params; ++j) {
            grad[j] *= inv_s;
        }
        penalty = gdi_l2_term(w, m * k, model->l2, grad + k);
    } else {
        penalty = gdi_l2_term(w, m * k, model->l2, NULL);
    }
    *loss = sum_loss * inv_s + penalty;
    return GD_OK;
}

typedef struct predict_task {
    const gdi_affine_model *model;
    const double *theta;
    const gd_data *data;
    double *out;
    gdi_finish_fn finish;
    gdi_block_shape shape;
} predict_task;

static gd_status predict_chunk(void *arg, size_t chunk, size_t row_begin, size_t row_end)
{
    (void)chunk;
    const predict_task *task = arg;
    const size_t m = task->model->n_features;
    const size_t k = task->model->n_outputs;
    const size_t ldx = gdi_ldx(task->data);
    for (size_t start = row_begin; start < row_end; start += task->shape.rows) {
        const size_t rows =
            row_end - start < task->shape.rows ? row_end - start : task->shape.rows;
        const double *x = task->data->x + start * ldx;
        double *out = task->out + start * k;
        if (k == 1) {
            gdi_affine_rows(x, rows, m, ldx, task->theta + 1, task->theta[0], out);
        } else {
            gdi_affine_rows_multi(x, rows, m, ldx, task->theta + k, task->theta, k, out);
        }
        if (task->finish != NULL) {
            task->finish(out, rows, k);
        }
    }
    return GD_OK;
}

gd_status gdi_affine_predict(const gdi_affine_model *model, const double *theta,
                             const gd_data *data, double *out, gdi_finish_fn finish)
{
    predict_task task = {
        .model = model,
        .theta = theta,
        .data = data,
        .out = out,
        .finish = finish,
        .shape = gdi_block_shape_for(model->n_features, model->n_outputs),
    };
    const size_t threads = gdi_threads_for(model->n_threads, data->n_rows, row_work(model));
    return gdi_run_chunks(threads, data->n_rows, predict_chunk, &task);
}
