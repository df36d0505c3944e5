#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "models/builtin.h"

gd_status gd_model_custom(gd_model *model, size_t n_params, gd_loss_grad_fn loss_grad,
                          gd_predict_fn predict, void *ctx)
{
    if (model == NULL || loss_grad == NULL) {
        return GD_ERR_NULL;
    }
    if (n_params == 0) {
        return GD_ERR_SIZE;
    }
    memset(model, 0, sizeof *model);
    model->struct_size = sizeof *model;
    model->kind = GD_MODEL_CUSTOM;
    model->n_outputs = 1;
    model->n_params = n_params;
    model->loss_grad = loss_grad;
    model->predict = predict;
    model->ctx = ctx;
    return GD_OK;
}

/* A built-in's kernels size θ, the outputs and their scratch from m and k:
 * a struct whose fields were edited out of step with each other would make
 * them read or write past the buffers gd_fit and gd_predict size from
 * n_params and n_outputs. */
static gd_status check_builtin_layout(const gd_model *model)
{
    size_t classes;
    size_t outputs;
    switch (model->kind) {
    case GD_MODEL_CUSTOM:
        return GD_OK;
    case GD_MODEL_LINEAR:
        classes = 0;
        outputs = 1;
        break;
    case GD_MODEL_LOGISTIC:
        classes = 2;
        outputs = 1;
        break;
    case GD_MODEL_SOFTMAX:
        classes = model->n_classes >= 2 ? model->n_classes : 2;
        outputs = classes;
        break;
    default:
        return GD_ERR_MODEL;
    }
    size_t n_params;
    if (model->n_features == 0 || model->n_classes != classes || model->n_outputs != outputs
        || !gdi_mul_size(model->n_features + 1, outputs, &n_params)
        || n_params != model->n_params) {
        return GD_ERR_MODEL;
    }
    return GD_OK;
}

gd_status gd_model_validate(const gd_model *model)
{
    if (model == NULL) {
        return GD_ERR_NULL;
    }
    if (model->struct_size < sizeof(gd_model) || model->loss_grad == NULL
        || model->n_params == 0 || model->n_outputs == 0 || !isfinite(model->l2)
        || model->l2 < 0.0) {
        return GD_ERR_MODEL;
    }
    size_t bytes;
    if (!gdi_mul_size(model->n_params, sizeof(double), &bytes)
        || !gdi_blas_size_ok(model->n_params) || !gdi_blas_size_ok(model->n_features)
        || !gdi_blas_size_ok(model->n_outputs)) {
        return GD_ERR_OVERFLOW;
    }
    return check_builtin_layout(model);
}

gd_status gdi_model_builtin_init(gd_model *model, gd_model_kind kind, size_t n_features,
                                 size_t n_classes, double l2)
{
    if (model == NULL) {
        return GD_ERR_NULL;
    }
    const size_t n_outputs = kind == GD_MODEL_SOFTMAX ? n_classes : 1;
    if (n_features == 0 || (kind == GD_MODEL_SOFTMAX && n_classes < 2)) {
        return GD_ERR_SIZE;
    }
    /* θ must be addressable, and every dimension handed to BLAS (m, k, and
     * the (m+1)·k parameters) must fit an int. The workspace is sized (with
     * its own overflow checks) by gdi_affine_work_size. */
    size_t n_params, rows_plus_one, param_bytes;
    if (!gdi_blas_size_ok(n_features) || !gdi_blas_size_ok(n_outputs)
        || !gdi_add_size(n_features, 1, &rows_plus_one)
        || !gdi_mul_size(rows_plus_one, n_outputs, &n_params) || !gdi_blas_size_ok(n_params)
        || !gdi_mul_size(n_params, sizeof(double), &param_bytes)) {
        return GD_ERR_OVERFLOW;
    }
    if (!isfinite(l2) || l2 < 0.0) {
        return GD_ERR_OPTION;
    }
    memset(model, 0, sizeof *model);
    model->struct_size = sizeof *model;
    model->kind = kind;
    model->n_features = n_features;
    model->n_outputs = n_outputs;
    model->n_classes = n_classes;
    model->n_params = n_params;
    model->l2 = l2;
    return GD_OK;
}
