/* The one pass over X of linear regression through the centred Gram matrix,
 * and the objective evaluated from it (src/kernels/gram.h; derivation in
 * docs/optimizers.md, "Linear regression through XᵀX").
 *
 * Numerically stable sums (Chan, Golub & LeVeque's pairwise update): each
 * block of rows is centred on its own weighted mean, its centred sums are
 * formed (Cxx by dgemm tiles, Cxy by a plain loop) and merged into the chunk's
 * running sums with the parallel-axis correction
 *   M2 = M2_a + M2_b + δδᵀ·S_a·S_b/(S_a + S_b),  δ = x̄_b − x̄_a;
 * the chunks are then merged the same way, in chunk order, so a given
 * thread count gives the same bits every time. Sums of raw products
 * (yᵀy − 2cᵀθ + θᵀAθ) would lose every digit of a y with mean 10⁶ and a
 * spread of 1 (docs/optimizers.md). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels/gram.h"
#include "kernels/kernels.h"

#define SLAB_ALIGN GDI_SLAB_ALIGN
/* Every BLAS call of the pass runs on one of our threads and must stay serial
 * inside OpenBLAS (kernels.h: several of our threads each waking its pool is
 * many times slower; measured here: 689 ms for the pass over 10⁶ × 50 on two
 * threads with one dsyrk per 256-row block, against 131 ms with
 * OPENBLAS_NUM_THREADS=1; OpenBLAS 0.3.21's dsyrk evidently went to its
 * pool at these sizes). So Cxx is formed as dgemm tiles of at most GRAM_TILE × GRAM_TILE with
 * rows·tile² ≤ GDI_GEMM_SERIAL_MAX, and the small
 * pieces (Cxy, the rank-one merges) are plain loops. */
#define GRAM_TILE ((size_t)64)
#define GRAM_SMALL_TILE ((size_t)32)
#define GRAM_MIN_ROWS ((size_t)32)
#define GRAM_MAX_ROWS ((size_t)256)

/* One chunk's slab: [S, ȳ, Cyy] | x̄ (m) | Cxy (m) | Cxx (m²) | block of
 * centred rows (rows·m) | its centred y (rows) | the block's x̄ (m) | the
 * shift (m), each part rounded up to 8 doubles. Slab 0 ends as the summary.
 * The means are those of x − x₀ and y − y₀ (row 0 of the data, the shift):
 * small numbers, kept apart from the shift, so that a mean of 10⁶ keeps the
 * digits below its ulp (the intercept's gradient needs them). */
typedef struct gram_layout {
    size_t rows; /* block rows */
    size_t mean, xy, xx, block, block_y, block_mean, shift, slab;
} gram_layout;

/* offset += gdi_round_up_slab(size), remembering where the part starts. */
static int place(size_t *offset, size_t size, size_t *start)
{
    size_t padded;
    *start = *offset;
    return gdi_round_up_slab(size, &padded) && gdi_add_size(*offset, padded, offset);
}

/* Tiles of 32 up to m = 128 (the diagonal tiles are computed whole: at
 * m = 50, tiles of 64 doubled the multiply-adds, 144 ms against 102 for the
 * pass over 10⁶ rows), of 64 above (m = 500: 643 ms against 690). */
static size_t tile_for(size_t m)
{
    return m <= GRAM_SMALL_TILE ? m : m <= 4 * GRAM_SMALL_TILE ? GRAM_SMALL_TILE : GRAM_TILE;
}

static int layout_for(size_t m, size_t n_rows, gram_layout *out)
{
    const size_t tile = tile_for(m);
    size_t rows = GDI_GEMM_SERIAL_MAX / (tile * tile);
    rows = rows < GRAM_MIN_ROWS ? GRAM_MIN_ROWS : rows > GRAM_MAX_ROWS ? GRAM_MAX_ROWS : rows;
    rows = rows < n_rows ? rows : (n_rows > 0 ? n_rows : 1);
    out->rows = rows;
    size_t offset = SLAB_ALIGN; /* the three scalars */
    size_t squared, block;
    return gdi_mul_size(m, m, &squared) && gdi_mul_size(rows, m, &block)
           && place(&offset, m, &out->mean) && place(&offset, m, &out->xy)
           && place(&offset, squared, &out->xx) && place(&offset, block, &out->block)
           && place(&offset, rows, &out->block_y) && place(&offset, m, &out->block_mean)
           && place(&offset, m, &out->shift) && (out->slab = offset, 1);
}

/* Multiply-adds per row of the pass (m(m+1)/2), saturating: sizes threads only. */
static size_t row_work(size_t m)
{
    size_t work;
    return gdi_mul_size(m, m + 1, &work) ? work / 2 : SIZE_MAX;
}

int gdi_gram_work_size(size_t n_features, unsigned n_threads, size_t n_rows, size_t *doubles)
{
    gram_layout layout;
    if (n_features == 0 || !gdi_blas_size_ok(n_features)
        || !layout_for(n_features, n_rows, &layout)) {
        return 0;
    }
    const size_t threads = gdi_threads_bound(n_threads, n_rows, row_work(n_features));
    return gdi_mul_size(layout.slab, threads, doubles);
}

/* A chunk's running sums, inside its slab. */
typedef struct gram_sums {
    double *scalars; /* S, ȳ, Cyy */
    double *mean, *xy, *xx;
} gram_sums;

static gram_sums sums_of(double *slab, const gram_layout *layout)
{
    const gram_sums sums = {slab, slab + layout->mean, slab + layout->xy, slab + layout->xx};
    return sums;
}

/* Merge a group (weight sum s_b > 0, means mean_b / y_b, centred Cyy yy_b)
 * whose centred Cxx and Cxy have ALREADY been added into a's: the
 * parallel-axis corrections, then the means. delta (m) is overwritten. */
static void merge_corrections(gram_sums *a, size_t m, double s_b, double *mean_b, double y_b,
                              double yy_b)
{
    const double s_a = a->scalars[0];
    if (s_a == 0.0) {
        memcpy(a->mean, mean_b, m * sizeof *mean_b);
        a->scalars[0] = s_b;
        a->scalars[1] = y_b;
        a->scalars[2] += yy_b;
        return;
    }
    const double total = s_a + s_b;
    const double share = s_b / total;
    const double factor = s_a * share; /* S_a·S_b/(S_a + S_b) without overflow */
    double *delta = mean_b;
    for (size_t j = 0; j < m; ++j) {
        delta[j] -= a->mean[j];
    }
    const double delta_y = y_b - a->scalars[1];
    for (size_t j = 0; j < m; ++j) { /* upper triangle += factor·δδᵀ */
        const double scaled = factor * delta[j];
        double *row = a->xx + j * m;
        for (size_t k = j; k < m; ++k) {
            row[k] += scaled * delta[k];
        }
    }
    for (size_t j = 0; j < m; ++j) {
        a->xy[j] += factor * delta_y * delta[j];
        a->mean[j] += share * delta[j];
    }
    a->scalars[2] += yy_b + factor * delta_y * delta_y;
    a->scalars[1] += share * delta_y;
    a->scalars[0] = total;
}

typedef struct gram_task {
    const gd_data *data;
    size_t m;
    gram_layout layout;
    double *work;
} gram_task;

static gd_status gram_chunk(void *task_pointer, size_t chunk, size_t row_begin, size_t row_end)
{
    const gram_task *task = task_pointer;
    const gd_data *data = task->data;
    const size_t m = task->m;
    const size_t ldx = gdi_ldx(data);
    double *slab = task->work + chunk * task->layout.slab;
    gram_sums sums = sums_of(slab, &task->layout);
    double *block = slab + task->layout.block;
    double *block_y = slab + task->layout.block_y;
    double *block_mean = slab + task->layout.block_mean;
    memset(slab, 0, task->layout.block * sizeof *slab); /* scalars, x̄, Cxy, Cxx */
    const double *x_shift = data->x;
    const double y_shift = data->y[0];

    for (size_t start = row_begin; start < row_end; start += task->layout.rows) {
        const size_t rows =
            row_end - start < task->layout.rows ? row_end - start : task->layout.rows;
        const double *x = data->x + start * ldx;
        const double *y = data->y + start;
        const double *s = data->weights != NULL ? data->weights + start : NULL;
        /* The block's weighted means of x − x₀, y − y₀. */
        double weight_sum = 0.0;
        double y_sum = 0.0;
        memset(block_mean, 0, m * sizeof *block_mean);
        for (size_t i = 0; i < rows; ++i) {
            const double weight = s != NULL ? s[i] : 1.0;
            if (weight == 0.0) {
                continue;
            }
            weight_sum += weight;
            y_sum += weight * (y[i] - y_shift);
            for (size_t j = 0; j < m; ++j) {
                block_mean[j] += weight * (x[i * ldx + j] - x_shift[j]);
            }
        }
        if (weight_sum == 0.0) {
            continue; /* rows of weight zero add nothing */
        }
        const double y_mean = y_sum / weight_sum;
        for (size_t j = 0; j < m; ++j) {
            block_mean[j] /= weight_sum;
        }
        /* √s·(x − x̄_B) and √s·(y − ȳ_B): their Gram matrix is the block's Cxx. */
        double yy = 0.0;
        for (size_t i = 0; i < rows; ++i) {
            const double root = s != NULL ? sqrt(s[i]) : 1.0;
            for (size_t j = 0; j < m; ++j) {
                block[i * m + j] = root * ((x[i * ldx + j] - x_shift[j]) - block_mean[j]);
            }
            block_y[i] = root * ((y[i] - y_shift) - y_mean);
            yy += block_y[i] * block_y[i];
        }
        /* Cxx += BᵀB on the tiles of the upper triangle (diagonal tiles whole). */
        const size_t tile = tile_for(m);
        for (size_t i0 = 0; i0 < m; i0 += tile) {
            const size_t p = m - i0 < tile ? m - i0 : tile;
            for (size_t j0 = i0; j0 < m; j0 += tile) {
                const size_t q = m - j0 < tile ? m - j0 : tile;
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, (int)q, (int)rows,
                            1.0, block + i0, (int)m, block + j0, (int)m, 1.0,
                            sums.xx + i0 * m + j0, (int)m);
            }
        }
        for (size_t i = 0; i < rows; ++i) { /* Cxy += Bᵀ(√s∘(y − ȳ_B)) */
            const double r = block_y[i];
            const double *row = block + i * m;
            for (size_t j = 0; j < m; ++j) {
                sums.xy[j] += r * row[j];
            }
        }
        merge_corrections(&sums, m, weight_sum, block_mean, y_mean, yy);
    }
    return GD_OK;
}

gd_status gdi_gram_build(size_t n_features, unsigned n_threads, double l2, const gd_data *data,
                         double *work, gdi_gram *gram)
{
    const size_t m = n_features;
    gram_task task = {.data = data, .m = m, .work = work};
    if (!layout_for(m, data->n_rows, &task.layout)) {
        return GD_ERR_OVERFLOW; /* not reached: gdi_gram_work_size checked it */
    }
    const size_t threads = gdi_threads_for(n_threads, data->n_rows, row_work(m));
    const gd_status status = gdi_run_chunks(threads, data->n_rows, gram_chunk, &task);
    if (status != GD_OK) {
        return status;
    }
    /* Chunks 1 … T−1 into chunk 0, in order. */
    gram_sums total = sums_of(work, &task.layout);
    for (size_t t = 1; t < threads; ++t) {
        double *slab = work + t * task.layout.slab;
        const gram_sums part = sums_of(slab, &task.layout);
        if (part.scalars[0] == 0.0) {
            continue;
        }
        for (size_t e = 0; e < m * m; ++e) {
            total.xx[e] += part.xx[e];
        }
        for (size_t j = 0; j < m; ++j) {
            total.xy[j] += part.xy[j];
        }
        merge_corrections(&total, m, part.scalars[0], part.mean, part.scalars[1],
                          part.scalars[2]);
    }
    double *shift = work + task.layout.shift;
    memcpy(shift, data->x, m * sizeof *shift);
    gram->n_features = m;
    gram->l2 = l2;
    gram->x_shift = shift;
    gram->y_shift = data->y[0];
    gram->weight_sum = total.scalars[0];
    gram->y_mean = total.scalars[1];
    gram->yy = total.scalars[2];
    gram->x_mean = total.mean;
    gram->xy = total.xy;
    gram->xx = total.xx;
    return GD_OK;
}

void gdi_gram_loss_grad(const gdi_gram *gram, const double *theta, double *loss, double *grad,
                        double *work)
{
    const size_t m = gram->n_features;
    const double *w = theta + 1;
    /* work = Cxx w */
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)m, 1.0, gram->xx, (int)m, w, 1, 0.0, work, 1);
    /* u = b + wᵀx̄ − ȳ with x̄ = x₀ + mean, ȳ = y₀ + mean: the large parts
     * and the small ones summed apart. */
    double large = theta[0] - gram->y_shift;
    double small = -gram->y_mean;
    double quadratic = 0.0; /* wᵀCxx w − 2wᵀCxy */
    double norm2 = 0.0;
    for (size_t j = 0; j < m; ++j) {
        large += w[j] * gram->x_shift[j];
        small += w[j] * gram->x_mean[j];
        quadratic += w[j] * (work[j] - 2.0 * gram->xy[j]);
        norm2 += w[j] * w[j];
    }
    const double u = large + small;
    const double inverse = 1.0 / gram->weight_sum;
    *loss = 0.5 * inverse * (quadratic + gram->yy) + 0.5 * u * u + 0.5 * gram->l2 * norm2;
    if (grad != NULL) {
        grad[0] = u;
        for (size_t j = 0; j < m; ++j) {
            grad[1 + j] = (work[j] - gram->xy[j]) * inverse
                          + u * (gram->x_shift[j] + gram->x_mean[j]) + gram->l2 * w[j];
        }
    }
}
