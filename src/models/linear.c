/* Linear regression, DESIGN §1: ŷ = wᵀx + b, L = (1/S)Σ sᵢ ½(ŷᵢ − yᵢ)² + (λ/2)‖w‖².
 * Derivation: docs/math.md. θ = [b, w]. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "kernels/kernels.h"

/* One pass over X: per block of rows, r = X_B w + b − y_B, then g_w += X_Bᵀ(s∘r)
 * while the block is still in cache. */
static gd_status linear_loss_grad(const gd_model *self, const double *theta,
                                  const gd_data *data, double *loss, double *grad,
                                  double *work)
{
    const size_t m = self->n_features;
    const size_t ldx = gdi_ldx(data);
    const double b = theta[0];
    const double *w = theta + 1;
    double *residual = work;
    double sum_loss = 0.0;
    double sum_residual = 0.0;

    if (grad != NULL) {
        memset(grad, 0, (m + 1) * sizeof *grad);
    }
    for (size_t start = 0; start < data->n_rows; start += GDI_BLOCK_ROWS) {
        size_t rows = data->n_rows - start;
        if (rows > GDI_BLOCK_ROWS) {
            rows = GDI_BLOCK_ROWS;
        }
        const double *x = data->x + start * ldx;
        gdi_affine_rows(x, rows, m, ldx, w, b, residual);
        for (size_t i = 0; i < rows; ++i) {
            double r = residual[i] - data->y[start + i];
            double s = data->weights != NULL ? data->weights[start + i] : 1.0;
            sum_loss += s * 0.5 * r * r;
            residual[i] = s * r;
            sum_residual += s * r;
        }
        if (grad != NULL) {
            gdi_accumulate_xt_r(x, rows, m, ldx, residual, grad + 1);
        }
    }
    const double inv_s = 1.0 / gdi_weight_sum(data);
    double penalty;
    if (grad != NULL) {
        grad[0] = sum_residual * inv_s;
        for (size_t j = 1; j <= m; ++j) {
            grad[j] *= inv_s;
        }
        penalty = gdi_l2_term(w, m, self->l2, grad + 1);
    } else {
        penalty = gdi_l2_term(w, m, self->l2, NULL);
    }
    *loss = sum_loss * inv_s + penalty;
    return GD_OK;
}

static gd_status linear_predict(const gd_model *self, const double *theta, const gd_data *data,
                                double *out)
{
    const size_t ldx = gdi_ldx(data);
    for (size_t start = 0; start < data->n_rows; start += GDI_BLOCK_ROWS) {
        size_t rows = data->n_rows - start;
        if (rows > GDI_BLOCK_ROWS) {
            rows = GDI_BLOCK_ROWS;
        }
        gdi_affine_rows(data->x + start * ldx, rows, self->n_features, ldx, theta + 1, theta[0],
                        out + start);
    }
    return GD_OK;
}

static size_t linear_work_size(const gd_model *self, size_t n_rows)
{
    (void)self;
    return n_rows < GDI_BLOCK_ROWS ? n_rows : GDI_BLOCK_ROWS;
}

gd_status gd_model_linear(gd_model *model, size_t n_features, double l2)
{
    if (model == NULL) {
        return GD_ERR_NULL;
    }
    if (n_features == 0) {
        return GD_ERR_SIZE;
    }
    if (!gdi_blas_size_ok(n_features) || n_features == SIZE_MAX) {
        return GD_ERR_OVERFLOW;
    }
    if (!isfinite(l2) || l2 < 0.0) {
        return GD_ERR_OPTION;
    }
    memset(model, 0, sizeof *model);
    model->struct_size = sizeof *model;
    model->kind = GD_MODEL_LINEAR;
    model->n_features = n_features;
    model->n_outputs = 1;
    model->n_classes = 0;
    model->n_params = n_features + 1;
    model->l2 = l2;
    model->loss_grad = linear_loss_grad;
    model->predict = linear_predict;
    model->work_size = linear_work_size;
    return GD_OK;
}
