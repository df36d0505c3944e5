/* Linear regression, DESIGN §1: ŷ = wᵀx + b, L = (1/S)Σ sᵢ ½(ŷᵢ − yᵢ)² + (λ/2)‖w‖².
 * Derivation: docs/math.md. θ = [b, w]. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "kernels/kernels.h"
#include "models/builtin.h"

/* One block's residual: z = X_B w + b becomes s∘(z − y) in place. */
static gd_status linear_residual(const gd_data *data, size_t start, size_t rows, size_t k,
                                 double *z, double *loss, double *intercept)
{
    (void)k;
    const double *y = data->y + start;
    const double *weights = data->weights != NULL ? data->weights + start : NULL;
    double sum_loss = 0.0;
    double sum_residual = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        const double r = z[i] - y[i];
        const double s = weights != NULL ? weights[i] : 1.0;
        sum_loss += s * 0.5 * r * r;
        z[i] = s * r;
        sum_residual += s * r;
    }
    *loss += sum_loss;
    if (intercept != NULL) {
        intercept[0] += sum_residual;
    }
    return GD_OK;
}

static gdi_affine_model linear_affine(const gd_model *self)
{
    const gdi_affine_model affine = {
        .n_features = self->n_features,
        .n_outputs = 1,
        .l2 = self->l2,
        .n_threads = self->n_threads,
        .residual = linear_residual,
    };
    return affine;
}

/* X is read once: per block of rows (on CPUs with AVX2 or AVX-512 and m ≤ 400,
 * groups of 16 rows in one sweep), r = X_B w + b − y_B, then g_w += X_Bᵀ(s∘r)
 * while the block is still in cache, on self->n_threads threads
 * (src/kernels/onepass.c). */
static gd_status linear_loss_grad(const gd_model *self, const double *theta,
                                  const gd_data *data, double *loss, double *grad,
                                  double *work)
{
    const gdi_affine_model affine = linear_affine(self);
    return gdi_affine_loss_grad(&affine, theta, data, loss, grad, work);
}

static gd_status linear_predict(const gd_model *self, const double *theta, const gd_data *data,
                                double *out)
{
    const gdi_affine_model affine = linear_affine(self);
    return gdi_affine_predict(&affine, theta, data, out, NULL);
}

static size_t linear_work_size(const gd_model *self, size_t n_rows)
{
    const gdi_affine_model affine = linear_affine(self);
    return gdi_affine_work_size(&affine, n_rows);
}

gd_status gd_model_linear(gd_model *model, size_t n_features, double l2)
{
    const gd_status status = gdi_model_builtin_init(model, GD_MODEL_LINEAR, n_features, 0, l2);
    if (status != GD_OK) {
        return status;
    }
    model->loss_grad = linear_loss_grad;
    model->predict = linear_predict;
    model->work_size = linear_work_size;
    return GD_OK;
}
