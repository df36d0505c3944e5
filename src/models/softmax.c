/* Softmax regression, DESIGN §1: P = softmax(xᵀW + b), y ∈ {0 … k−1},
 * L = (1/S)Σ sᵢ (logsumexp(zᵢ) − zᵢ[yᵢ]) + (λ/2)‖W‖²_F, with
 * ∇_W = (1/S)Xᵀ(s∘(P − Y)) + λW and ∇_b = (1/S)Σ sᵢ(Pᵢ − Yᵢ), Y the one-hot labels.
 * Derivation and the stable forms: docs/classification.md.
 * θ is (m+1)×k row-major: row 0 the k intercepts b, rows 1…m the weights W. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "models/builtin.h"
#include "models/classify.h"

/* One block's residual: each row of Z_B = X_B W + 1bᵀ becomes s∘(P − Y) in
 * place, P = softmax(z). */
static gd_status softmax_residual(const gd_data *data, size_t start, size_t rows, size_t k,
                                  double *z_block, double *loss, double *intercept)
{
    const double *y = data->y + start;
    const double *weights = data->weights != NULL ? data->weights + start : NULL;
    double sum_loss = 0.0;
    /* A group of rows at a time: the labels' z first, then softmax and
     * logsumexp of the whole group (vectorised exp/log), then the residual. */
    enum { GROUP = 64 };
    size_t label[GROUP];
    double z_label[GROUP];
    double row_max[GROUP];
    double log_sum[GROUP];
    for (size_t g = 0; g < rows; g += GROUP) {
        const size_t len = rows - g < GROUP ? rows - g : GROUP;
        double *zg = z_block + g * k;
        for (size_t i = 0; i < len; ++i) {
            /* gd_fit has checked the labels (softmax_check_data); checked
             * again here because the index addresses memory, and a caller
             * may call loss_grad directly. */
            if (!gdi_label_index(y[g + i], k, &label[i])) {
                return GD_ERR_LABEL;
            }
            z_label[i] = zg[i * k + label[i]];
        }
        gdi_softmax_rows(zg, len, k, row_max, log_sum);
        for (size_t i = 0; i < len; ++i) {
            double *z = zg + i * k;
            const double s = weights != NULL ? weights[g + i] : 1.0;
            /* logsumexp − z_label, without the cancellation of two large
             * terms when the label's score is the largest by far. */
            sum_loss += s * ((row_max[i] - z_label[i]) + log_sum[i]);
            z[label[i]] -= 1.0;
            if (weights != NULL) {
                for (size_t c = 0; c < k; ++c) {
                    z[c] *= s;
                }
            }
            if (intercept != NULL) {
                for (size_t c = 0; c < k; ++c) {
                    intercept[c] += z[c];
                }
            }
        }
    }
    *loss += sum_loss;
    return GD_OK;
}

/* The same residual in the lanes layout (kernels.h), through the AVX-512
 * kernel, which also checks the labels. */
static gd_status softmax_residual_lanes(const gd_data *data, size_t start, size_t rows, size_t k,
                                        double *z_block, double *loss, double *intercept,
                                        gdi_prefetch *pf, int z_lanes)
{
    const double *weights = data->weights != NULL ? data->weights + start : NULL;
    const int ok = z_lanes ? gdi_avx512_softmax_lanes_from_lanes(z_block, rows, k, data->y + start,
                                                                 weights, loss, intercept, pf)
                           : gdi_avx512_softmax_lanes(z_block, rows, k, data->y + start, weights,
                                                      loss, intercept, pf);
    return ok ? GD_OK
               : GD_ERR_LABEL;
}

static gdi_affine_model softmax_affine(const gd_model *self)
{
    const gdi_affine_model affine = {
        .n_features = self->n_features,
        .n_outputs = self->n_classes,
        .l2 = self->l2,
        .n_threads = self->n_threads,
        .residual = softmax_residual,
        .costly_residual = 1,
        .residual_lanes = softmax_residual_lanes,
    };
    return affine;
}

/* X is read once: per block of rows, Z_B = X_B W + 1bᵀ (dgemm), each row of Z
 * turned in place into s∘(P − Y), then G_W += X_Bᵀ R_B (dgemm) while the block
 * is still in cache, on self->n_threads threads (src/kernels/onepass.c). */
static gd_status softmax_loss_grad(const gd_model *self, const double *theta,
                                   const gd_data *data, double *loss, double *grad,
                                   double *work)
{
    const gdi_affine_model affine = softmax_affine(self);
    return gdi_affine_loss_grad(&affine, theta, data, loss, grad, work);
}

static void softmax_block(double *out, size_t rows, size_t k)
{
    gdi_softmax_rows(out, rows, k, NULL, NULL);
}

/* k probabilities per row, computed straight into out: no scratch. */
static gd_status softmax_predict(const gd_model *self, const double *theta, const gd_data *data,
                                 double *out)
{
    const gdi_affine_model affine = softmax_affine(self);
    return gdi_affine_predict(&affine, theta, data, out, softmax_block);
}

static gd_status softmax_check_data(const gd_model *self, const gd_data *data)
{
    return gdi_check_labels(data, self->n_classes);
}

static size_t softmax_work_size(const gd_model *self, size_t n_rows)
{
    const gdi_affine_model affine = softmax_affine(self);
    return gdi_affine_work_size(&affine, n_rows);
}

gd_status gd_model_softmax(gd_model *model, size_t n_features, size_t n_classes, double l2)
{
    const gd_status status =
        gdi_model_builtin_init(model, GD_MODEL_SOFTMAX, n_features, n_classes, l2);
    if (status != GD_OK) {
        return status;
    }
    model->loss_grad = softmax_loss_grad;
    model->predict = softmax_predict;
    model->check_data = softmax_check_data;
    model->work_size = softmax_work_size;
    return GD_OK;
}
