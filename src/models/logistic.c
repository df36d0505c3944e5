/* Binary logistic regression, DESIGN §1: p = σ(wᵀx + b), y ∈ {0,1},
 * L = (1/S)Σ sᵢ (softplus(zᵢ) − yᵢzᵢ) + (λ/2)‖w‖², with ∇ = (1/S)Xᵀ(s∘(p − y)) + λw.
 * Derivation and the stable forms: docs/classification.md. θ = [b, w]. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "models/builtin.h"
#include "models/classify.h"

/* One block's residual: z = X_B w + b becomes s∘(σ(z) − y) in place. */
static gd_status logistic_residual(const gd_data *data, size_t start, size_t rows, size_t k,
                                   double *z, double *loss, double *intercept)
{
    (void)k;
    const double *y = data->y + start;
    const double *weights = data->weights != NULL ? data->weights + start : NULL;
    int bad_label = 0; /* no early exit: the loop vectorises */
    for (size_t i = 0; i < rows; ++i) {
        bad_label |= (y[i] != 0.0) & (y[i] != 1.0);
    }
    if (bad_label) {
        return GD_ERR_LABEL; /* gd_fit refuses it first (logistic_check_data) */
    }
    double sum_residual;
    const double sum_loss = gdi_logistic_rows(z, y, weights, rows, &sum_residual);
    *loss += sum_loss;
    if (intercept != NULL) {
        intercept[0] += sum_residual;
    }
    return GD_OK;
}

/* The same on CPUs with AVX-512: exp and log1p inline, labels checked on the
 * way, the fused sweep's rows ahead asked for as it goes (kernels.h,
 * kernels/avx512_math.h; docs/performance.md, "Vector math"). */
static gd_status logistic_residual_ahead(const gd_data *data, size_t start, size_t rows,
                                         double *z, double *loss, double *intercept,
                                         const gdi_rows_ahead *ahead)
{
    const double *weights = data->weights != NULL ? data->weights + start : NULL;
    return gdi_avx512_logistic_rows(z, data->y + start, weights, rows, loss, intercept, ahead)
               ? GD_OK
               : GD_ERR_LABEL;
}

/* The same for blocks (wider rows), asking for nothing. */
static gd_status logistic_residual_avx512(const gd_data *data, size_t start, size_t rows,
                                          size_t k, double *z, double *loss, double *intercept)
{
    (void)k;
    return logistic_residual_ahead(data, start, rows, z, loss, intercept, NULL);
}

/* The same on other CPUs (the AVX2 fused sweep): the residual above 8 rows at
 * a time, asking for the rows ahead before each 8, so that the requests are
 * spread over the group's residual (1e6×50, 2 threads, build without the
 * AVX-512 loops, gdlearn-bench, two one-off A/Bs of 4 and 5 alternate
 * rounds: 1.3 and 2.5 % less time per evaluation; docs/performance.md). */
static gd_status logistic_residual_asking(const gd_data *data, size_t start, size_t rows,
                                         double *z, double *loss, double *intercept,
                                         const gdi_rows_ahead *ahead)
{
    for (size_t i = 0; i < rows; i += 8) {
        gdi_rows_ahead_step(ahead, i);
        const size_t n = rows - i < 8 ? rows - i : 8;
        const gd_status status = logistic_residual(data, start + i, n, 1, z + i, loss, intercept);
        if (status != GD_OK) {
            return status;
        }
    }
    return GD_OK;
}

static gdi_affine_model logistic_affine(const gd_model *self)
{
    const int avx512 = gdi_avx512_usable();
    const gdi_affine_model affine = {
        .n_features = self->n_features,
        .n_outputs = 1,
        .l2 = self->l2,
        .n_threads = self->n_threads,
        .residual = avx512 ? logistic_residual_avx512 : logistic_residual,
        .residual_ahead = avx512 ? logistic_residual_ahead : logistic_residual_asking,
        /* Vectorised exp/log1p (kernels/vmath.h): ~2 ns a row, too little
         * to hide prefetches behind — 1e6×50 on 2 threads, gdlearn-bench:
         * 28.2 ms per evaluation without, 34.8 with. */
        .costly_residual = 0,
    };
    return affine;
}

/* X is read once: per block of rows (on CPUs with AVX2 or AVX-512 and m ≤ 400,
 * groups of 16 rows in one sweep), z = X_B w + b, the residual s∘(σ(z) − y)
 * in place of z, then g_w += X_Bᵀ r while the block is still in cache, on
 * self->n_threads threads (src/kernels/onepass.c). */
static gd_status logistic_loss_grad(const gd_model *self, const double *theta,
                                    const gd_data *data, double *loss, double *grad,
                                    double *work)
{
    const gdi_affine_model affine = logistic_affine(self);
    return gdi_affine_loss_grad(&affine, theta, data, loss, grad, work);
}

static void sigmoid_block(double *out, size_t rows, size_t k)
{
    (void)k;
    gdi_sigmoid_rows(out, rows);
}

/* P(y = 1) per row, written straight into out: no scratch. */
static gd_status logistic_predict(const gd_model *self, const double *theta,
                                  const gd_data *data, double *out)
{
    const gdi_affine_model affine = logistic_affine(self);
    return gdi_affine_predict(&affine, theta, data, out, sigmoid_block);
}

static gd_status logistic_check_data(const gd_model *self, const gd_data *data)
{
    (void)self;
    return gdi_check_labels(data, 2);
}

static size_t logistic_work_size(const gd_model *self, size_t n_rows)
{
    const gdi_affine_model affine = logistic_affine(self);
    return gdi_affine_work_size(&affine, n_rows);
}

gd_status gd_model_logistic(gd_model *model, size_t n_features, double l2)
{
    const gd_status status = gdi_model_builtin_init(model, GD_MODEL_LOGISTIC, n_features, 2, l2);
    if (status != GD_OK) {
        return status;
    }
    model->loss_grad = logistic_loss_grad;
    model->predict = logistic_predict;
    model->check_data = logistic_check_data;
    model->work_size = logistic_work_size;
    return GD_OK;
}
