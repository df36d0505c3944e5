#include <math.h>

#include "core/internal.h"

void gd_data_init(gd_data *data, const double *x, size_t n_rows, size_t n_features,
                  const double *y)
{
    if (data == NULL) {
        return;
    }
    data->x = x;
    data->n_rows = n_rows;
    data->n_features = n_features;
    data->ldx = n_features;
    data->y = y;
    data->weights = NULL;
}

double gdi_weight_sum(const gd_data *data)
{
    if (data->weights == NULL) {
        return (double)data->n_rows;
    }
    double sum = 0.0;
    for (size_t i = 0; i < data->n_rows; ++i) {
        sum += data->weights[i];
    }
    return sum;
}

double gdi_max_abs(const double *v, size_t n)
{
    double max = 0.0;
    for (size_t j = 0; j < n; ++j) {
        double a = fabs(v[j]);
        if (isnan(a)) {
            return a;
        }
        if (a > max) {
            max = a;
        }
    }
    return max;
}

int gdi_all_finite(const double *v, size_t n)
{
    for (size_t j = 0; j < n; ++j) {
        if (!isfinite(v[j])) {
            return 0;
        }
    }
    return 1;
}

gd_status gd_data_validate(const gd_data *data, int need_y)
{
    if (data == NULL) {
        return GD_ERR_NULL;
    }
    if (data->n_rows == 0) {
        return GD_ERR_SIZE;
    }
    size_t ldx = gdi_ldx(data);
    if (ldx < data->n_features) {
        return GD_ERR_SIZE;
    }
    if ((data->n_features > 0 && data->x == NULL) || (need_y && data->y == NULL)) {
        return GD_ERR_NULL;
    }
    /* The last row ends at (n-1)·ldx + m: that must be addressable, and the
     * sizes handed to BLAS must fit its int. */
    size_t span;
    if (!gdi_mul_size(data->n_rows - 1, ldx, &span) || !gdi_add_size(span, data->n_features, &span)
        || !gdi_mul_size(span, sizeof(double), &span) || !gdi_blas_size_ok(ldx)) {
        return GD_ERR_OVERFLOW;
    }
    for (size_t i = 0; i < data->n_rows; ++i) {
        if (!gdi_all_finite(data->x + i * ldx, data->n_features)) {
            return GD_ERR_NONFINITE;
        }
    }
    if (data->y != NULL && !gdi_all_finite(data->y, data->n_rows)) {
        return GD_ERR_NONFINITE;
    }
    if (data->weights != NULL) {
        if (!gdi_all_finite(data->weights, data->n_rows)) {
            return GD_ERR_NONFINITE;
        }
        double sum = 0.0;
        for (size_t i = 0; i < data->n_rows; ++i) {
            if (data->weights[i] < 0.0) {
                return GD_ERR_WEIGHT;
            }
            sum += data->weights[i];
        }
        /* A sum so small that 1/S overflows (subnormal weights) is as good
         * as zero: the objective's 1/S factor would make it Inf. */
        if (!(sum > 0.0) || !isfinite(sum) || !isfinite(1.0 / sum)) {
            return GD_ERR_WEIGHT;
        }
    }
    return GD_OK;
}
