/* z-scoring of feature columns: population standard deviation, and scale 1
 * for a constant column so that it becomes zeros rather than NaN. */
#include <math.h>

#include "core/internal.h"

/* Every value of a column equals its first (a varying column usually shows it
 * within a few rows, so this costs little). */
static int is_constant_column(const double *column, size_t n_rows, size_t ldx)
{
    for (size_t i = 1; i < n_rows; ++i) {
        if (column[i * ldx] != column[0]) {
            return 0;
        }
    }
    return 1;
}

gd_status gd_standardize_fit(const gd_data *data, double *mean, double *scale)
{
    if (data == NULL || mean == NULL || scale == NULL) {
        return GD_ERR_NULL;
    }
    gd_data features = *data;
    features.y = NULL;       /* only X is read */
    features.weights = NULL; /* the scaler ignores weights */
    gd_status status = gd_data_validate(&features, 0);
    if (status != GD_OK) {
        return status;
    }
    const size_t n = data->n_rows;
    const size_t m = data->n_features;
    const size_t ldx = gdi_ldx(data);
    /* Two passes (mean, then squared deviations): the one-pass formula
     * E[x²] − E[x]² cancels catastrophically for columns with a large mean. */
    for (size_t j = 0; j < m; ++j) {
        mean[j] = 0.0;
    }
    for (size_t i = 0; i < n; ++i) {
        const double *row = data->x + i * ldx;
        for (size_t j = 0; j < m; ++j) {
            mean[j] += row[j];
        }
    }
    for (size_t j = 0; j < m; ++j) {
        mean[j] /= (double)n;
        scale[j] = 0.0;
    }
    for (size_t i = 0; i < n; ++i) {
        const double *row = data->x + i * ldx;
        for (size_t j = 0; j < m; ++j) {
            double deviation = row[j] - mean[j];
            scale[j] += deviation * deviation;
        }
    }
    for (size_t j = 0; j < m; ++j) {
        double sd = sqrt(scale[j] / (double)n);
        if (is_constant_column(data->x + j, n, ldx)) {
            /* The rounded mean of equal values may miss them by an ulp, which a
             * tiny sd would blow up to ±1: centre on the value itself. */
            mean[j] = data->x[j];
            sd = 0.0;
        }
        /* A sum of finite values can still overflow (|x| near DBL_MAX).
         * Columns before this one are already written: leave no half-made
         * scaler behind, but one that gd_standardize_apply and
         * gd_model_save refuse. */
        if (!isfinite(mean[j]) || !isfinite(sd)) {
            for (size_t c = 0; c < m; ++c) {
                mean[c] = NAN;
                scale[c] = NAN;
            }
            return GD_ERR_NONFINITE;
        }
        scale[j] = sd > 0.0 ? sd : 1.0;
    }
    return GD_OK;
}

gd_status gd_standardize_apply(double *x, size_t n_rows, size_t n_features, size_t ldx,
                               const double *mean, const double *scale)
{
    if (x == NULL || mean == NULL || scale == NULL) {
        return GD_ERR_NULL;
    }
    if (ldx == 0) {
        ldx = n_features;
    }
    if (ldx < n_features) {
        return GD_ERR_SIZE;
    }
    if (n_rows == 0 || n_features == 0) {
        return GD_ERR_SIZE; /* as gd_data_validate */
    }
    size_t span;
    if (!gdi_mul_size(n_rows - 1, ldx, &span) || !gdi_add_size(span, n_features, &span)
        || !gdi_mul_size(span, sizeof(double), &span)) {
        return GD_ERR_OVERFLOW;
    }
    /* Check every mean and scale before the first write: x is untouched on failure. */
    for (size_t j = 0; j < n_features; ++j) {
        if (!isfinite(mean[j]) || !isfinite(scale[j]) || !(scale[j] > 0.0)) {
            return GD_ERR_NONFINITE;
        }
    }
    for (size_t i = 0; i < n_rows; ++i) {
        double *row = x + i * ldx;
        for (size_t j = 0; j < n_features; ++j) {
            row[j] = (row[j] - mean[j]) / scale[j];
        }
    }
    return GD_OK;
}
