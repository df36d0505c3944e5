/* Binary logistic regression, DESIGN §1: p = σ(wᵀx + b), y ∈ {0,1},
 * L = (1/S)Σ sᵢ (softplus(zᵢ) − yᵢzᵢ) + (λ/2)‖w‖², with ∇ = (1/S)Xᵀ(s∘(p − y)) + λw.
 * Derivation and the stable forms: docs/classification.md. θ = [b, w]. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "models/classify.h"

/* One pass over X: per block of rows, z = X_B w + b, the residual s∘(σ(z) − y)
 * in place of z, then g_w += X_Bᵀ r while the block is still in cache. */
static gd_status logistic_loss_grad(const gd_model *self, const double *theta,
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
            const double s = data->weights != NULL ? data->weights[start + i] : 1.0;
            const double label = data->y[start + i];
            if (label != 0.0 && label != 1.0) {
                return GD_ERR_LABEL; /* gd_fit refuses it first (logistic_check_data) */
            }
            double r;
            sum_loss += s * gdi_logistic_row(residual[i], label == 1.0, &r);
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

/* P(y = 1) per row, written straight into out: no scratch. */
static gd_status logistic_predict(const gd_model *self, const double *theta,
                                  const gd_data *data, double *out)
{
    const size_t ldx = gdi_ldx(data);
    for (size_t start = 0; start < data->n_rows; start += GDI_BLOCK_ROWS) {
        size_t rows = data->n_rows - start;
        if (rows > GDI_BLOCK_ROWS) {
            rows = GDI_BLOCK_ROWS;
        }
        double *p = out + start;
        gdi_affine_rows(data->x + start * ldx, rows, self->n_features, ldx, theta + 1, theta[0],
                        p);
        for (size_t i = 0; i < rows; ++i) {
            p[i] = gdi_sigmoid(p[i]);
        }
    }
    return GD_OK;
}

static gd_status logistic_check_data(const gd_model *self, const gd_data *data)
{
    (void)self;
    return gdi_check_labels(data, 2);
}

static size_t logistic_work_size(const gd_model *self, size_t n_rows)
{
    (void)self;
    return n_rows < GDI_BLOCK_ROWS ? n_rows : GDI_BLOCK_ROWS;
}

gd_status gd_model_logistic(gd_model *model, size_t n_features, double l2)
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
    model->kind = GD_MODEL_LOGISTIC;
    model->n_features = n_features;
    model->n_outputs = 1;
    model->n_classes = 2;
    model->n_params = n_features + 1;
    model->l2 = l2;
    model->loss_grad = logistic_loss_grad;
    model->predict = logistic_predict;
    model->check_data = logistic_check_data;
    model->work_size = logistic_work_size;
    return GD_OK;
}
