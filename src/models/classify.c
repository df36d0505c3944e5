/* What every classifier shares: label checks, the most probable class, and
 * balanced class weights. Works on any model with n_classes ≥ 2, the user's
 * own included, through its public fields only. */
#include <math.h>
#include <string.h>

#include "models/classify.h"

gd_status gdi_check_labels(const gd_data *data, size_t n_classes)
{
    if (data->y == NULL) {
        return GD_ERR_NULL;
    }
    for (size_t i = 0; i < data->n_rows; ++i) {
        size_t label;
        if (!gdi_label_index(data->y[i], n_classes, &label)) {
            return GD_ERR_LABEL;
        }
    }
    return GD_OK;
}

/* The model's outputs must be readable as class scores: one P(y = 1) for a
 * binary model, or one value per class. */
static gd_status check_classifier(const gd_model *model)
{
    gd_status status = gd_model_validate(model);
    if (status != GD_OK) {
        return status;
    }
    if (model->n_classes < 2) {
        return GD_ERR_MODEL;
    }
    if (model->n_outputs != model->n_classes
        && !(model->n_outputs == 1 && model->n_classes == 2)) {
        return GD_ERR_MODEL;
    }
    return GD_OK;
}

/* Index of the largest of n values (the first of ties). */
static size_t argmax(const double *v, size_t n)
{
    size_t best = 0;
    for (size_t c = 1; c < n; ++c) {
        if (v[c] > v[best]) {
            best = c;
        }
    }
    return best;
}

gd_status gd_predict_class(const gd_model *model, const double *theta, const gd_data *data,
                           size_t *labels)
{
    gd_status status = check_classifier(model);
    if (status != GD_OK) {
        return status;
    }
    if (data == NULL || theta == NULL || labels == NULL) {
        return GD_ERR_NULL;
    }
    if (model->predict == NULL) {
        return GD_ERR_MODEL;
    }
    /* As gd_predict: the targets and weights play no part in a prediction. */
    gd_data rows = *data;
    rows.y = NULL;
    rows.weights = NULL;
    status = gd_data_validate(&rows, 0);
    if (status != GD_OK) {
        return status;
    }
    if (model->n_features > 0 && rows.n_features != model->n_features) {
        return GD_ERR_SIZE;
    }
    if (!gdi_all_finite(theta, model->n_params)) {
        return GD_ERR_NONFINITE;
    }

    /* Probabilities for one block of rows at a time: bounded scratch,
     * whatever n_rows is. */
    const size_t k = model->n_outputs;
    const size_t ldx = gdi_ldx(&rows);
    const size_t block = rows.n_rows < GDI_BLOCK_ROWS ? rows.n_rows : GDI_BLOCK_ROWS;
    size_t bytes;
    if (!gdi_mul_size(block, k, &bytes) || !gdi_mul_size(bytes, sizeof(double), &bytes)) {
        return GD_ERR_OVERFLOW;
    }
    double *proba = gdi_alloc(NULL, bytes);
    if (proba == NULL) {
        return GD_ERR_NOMEM;
    }
    for (size_t start = 0; start < rows.n_rows && status == GD_OK; start += GDI_BLOCK_ROWS) {
        gd_data part = rows;
        part.n_rows = rows.n_rows - start < GDI_BLOCK_ROWS ? rows.n_rows - start : GDI_BLOCK_ROWS;
        part.x = rows.x != NULL ? rows.x + start * ldx : NULL;
        status = model->predict(model, theta, &part, proba);
        for (size_t i = 0; i < part.n_rows && status == GD_OK; ++i) {
            labels[start + i] = k == 1 ? (proba[i] >= 0.5 ? 1u : 0u) : argmax(proba + i * k, k);
        }
    }
    gdi_free(NULL, proba);
    return status;
}

gd_status gd_class_weights_balanced(const gd_model *model, const gd_data *data, double *weights)
{
    gd_status status = check_classifier(model);
    if (status != GD_OK) {
        return status;
    }
    if (data == NULL || weights == NULL) {
        return GD_ERR_NULL;
    }
    /* The caller's own weights do not enter: the counts are of rows. */
    gd_data rows = *data;
    rows.weights = NULL;
    status = gd_data_validate(&rows, 1);
    if (status != GD_OK) {
        return status;
    }
    if (model->n_features > 0 && rows.n_features != model->n_features) {
        return GD_ERR_SIZE;
    }
    const size_t k = model->n_classes;
    status = gdi_check_labels(&rows, k);
    if (status == GD_OK && model->check_data != NULL) {
        status = model->check_data(model, &rows);
    }
    if (status != GD_OK) {
        return status;
    }
    size_t bytes;
    if (!gdi_mul_size(k, sizeof(size_t), &bytes)) {
        return GD_ERR_OVERFLOW;
    }
    size_t *counts = gdi_alloc(NULL, bytes);
    if (counts == NULL) {
        return GD_ERR_NOMEM;
    }
    memset(counts, 0, bytes);
    for (size_t i = 0; i < rows.n_rows; ++i) {
        counts[(size_t)rows.y[i]]++;
    }
    /* As scikit-learn, k counts the classes that occur, so that the weights
     * sum to n; a class with no rows needs no weight, as no row looks it up. */
    size_t present = 0;
    for (size_t c = 0; c < k; ++c) {
        present += counts[c] > 0;
    }
    const double n = (double)rows.n_rows;
    for (size_t i = 0; i < rows.n_rows; ++i) {
        weights[i] = n / ((double)present * (double)counts[(size_t)rows.y[i]]);
    }
    gdi_free(NULL, counts);
    return GD_OK;
}
