/* Softmax regression, DESIGN §1: P = softmax(xᵀW + b), y ∈ {0 … k−1},
 * L = (1/S)Σ sᵢ (logsumexp(zᵢ) − zᵢ[yᵢ]) + (λ/2)‖W‖²_F, with
 * ∇_W = (1/S)Xᵀ(s∘(P − Y)) + λW and ∇_b = (1/S)Σ sᵢ(Pᵢ − Yᵢ), Y the one-hot labels.
 * Derivation and the stable forms: docs/classification.md.
 * θ is (m+1)×k row-major: row 0 the k intercepts b, rows 1…m the weights W. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "models/classify.h"

static size_t block_rows(size_t n_rows)
{
    return n_rows < GDI_BLOCK_ROWS ? n_rows : GDI_BLOCK_ROWS;
}

/* One pass over X: per block of rows, Z_B = X_B W + 1bᵀ (dgemm) in the scratch,
 * each row of Z turned in place into s∘(P − Y), then G_W += X_Bᵀ R_B (dgemm)
 * while the block is still in cache. */
static gd_status softmax_loss_grad(const gd_model *self, const double *theta,
                                   const gd_data *data, double *loss, double *grad,
                                   double *work)
{
    const size_t m = self->n_features;
    const size_t k = self->n_classes;
    const size_t ldx = gdi_ldx(data);
    const double *b = theta;
    const double *w = theta + k;
    double sum_loss = 0.0;

    if (grad != NULL) {
        memset(grad, 0, self->n_params * sizeof *grad);
    }
    for (size_t start = 0; start < data->n_rows; start += GDI_BLOCK_ROWS) {
        const size_t rows = block_rows(data->n_rows - start);
        const double *x = data->x + start * ldx;
        gdi_affine_rows_multi(x, rows, m, ldx, w, b, k, work);
        for (size_t i = 0; i < rows; ++i) {
            double *z = work + i * k;
            const double s = data->weights != NULL ? data->weights[start + i] : 1.0;
            /* gd_fit has checked the labels (softmax_check_data); checked
             * again here because the index addresses memory, and a caller
             * may call loss_grad directly. */
            size_t label;
            if (!gdi_label_index(data->y[start + i], k, &label)) {
                return GD_ERR_LABEL;
            }
            const double z_label = z[label];
            sum_loss += s * (gdi_softmax_row(z, k) - z_label);
            z[label] -= 1.0;
            for (size_t c = 0; c < k; ++c) {
                z[c] *= s;
            }
            if (grad != NULL) {
                for (size_t c = 0; c < k; ++c) {
                    grad[c] += z[c];
                }
            }
        }
        if (grad != NULL) {
            gdi_accumulate_xt_r_multi(x, rows, m, ldx, work, k, grad + k);
        }
    }
    const double inv_s = 1.0 / gdi_weight_sum(data);
    const size_t n_weights = self->n_params - k;
    double penalty;
    if (grad != NULL) {
        for (size_t j = 0; j < self->n_params; ++j) {
            grad[j] *= inv_s;
        }
        penalty = gdi_l2_term(w, n_weights, self->l2, grad + k);
    } else {
        penalty = gdi_l2_term(w, n_weights, self->l2, NULL);
    }
    *loss = sum_loss * inv_s + penalty;
    return GD_OK;
}

/* k probabilities per row, computed straight into out: no scratch. */
static gd_status softmax_predict(const gd_model *self, const double *theta, const gd_data *data,
                                 double *out)
{
    const size_t k = self->n_classes;
    const size_t ldx = gdi_ldx(data);
    for (size_t start = 0; start < data->n_rows; start += GDI_BLOCK_ROWS) {
        const size_t rows = block_rows(data->n_rows - start);
        double *p = out + start * k;
        gdi_affine_rows_multi(data->x + start * ldx, rows, self->n_features, ldx, theta + k,
                              theta, k, p);
        for (size_t i = 0; i < rows; ++i) {
            (void)gdi_softmax_row(p + i * k, k);
        }
    }
    return GD_OK;
}

static gd_status softmax_check_data(const gd_model *self, const gd_data *data)
{
    return gdi_check_labels(data, self->n_classes);
}

static size_t softmax_work_size(const gd_model *self, size_t n_rows)
{
    /* Cannot overflow: the constructor checked GDI_BLOCK_ROWS · k. */
    return block_rows(n_rows) * self->n_classes;
}

gd_status gd_model_softmax(gd_model *model, size_t n_features, size_t n_classes, double l2)
{
    if (model == NULL) {
        return GD_ERR_NULL;
    }
    if (n_features == 0 || n_classes < 2) {
        return GD_ERR_SIZE;
    }
    /* θ and a block of Z must be addressable, and every dimension handed to
     * dgemm (m, k, and the (m+1)·k parameters for daxpy/ddot) must fit an int. */
    size_t n_params, rows_plus_one, block_bytes;
    if (!gdi_blas_size_ok(n_features) || !gdi_blas_size_ok(n_classes)
        || !gdi_add_size(n_features, 1, &rows_plus_one)
        || !gdi_mul_size(rows_plus_one, n_classes, &n_params) || !gdi_blas_size_ok(n_params)
        || !gdi_mul_size(n_params, sizeof(double), &block_bytes)
        || !gdi_mul_size(GDI_BLOCK_ROWS, n_classes, &block_bytes)
        || !gdi_mul_size(block_bytes, sizeof(double), &block_bytes)) {
        return GD_ERR_OVERFLOW;
    }
    if (!isfinite(l2) || l2 < 0.0) {
        return GD_ERR_OPTION;
    }
    memset(model, 0, sizeof *model);
    model->struct_size = sizeof *model;
    model->kind = GD_MODEL_SOFTMAX;
    model->n_features = n_features;
    model->n_outputs = n_classes;
    model->n_classes = n_classes;
    model->n_params = n_params;
    model->l2 = l2;
    model->loss_grad = softmax_loss_grad;
    model->predict = softmax_predict;
    model->check_data = softmax_check_data;
    model->work_size = softmax_work_size;
    return GD_OK;
}
