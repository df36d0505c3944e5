/* Numerically stable pieces of the classification losses (DESIGN §1):
 * nothing here takes log(0) or lets exp overflow, whatever the margin.
 * Derivations: docs/classification.md. */
#include <math.h>

#include "kernels/kernels.h"

double gdi_sigmoid(double z)
{
    /* exp of a non-positive argument only: no overflow, and 1 − σ is never
     * formed by cancellation. */
    if (z >= 0.0) {
        return 1.0 / (1.0 + exp(-z));
    }
    const double e = exp(z);
    return e / (1.0 + e);
}

double gdi_softplus(double z)
{
    return fmax(z, 0.0) + log1p(exp(-fabs(z)));
}

double gdi_logistic_row(double z, int positive, double *residual)
{
    /* σ(z) and softplus(±z) share e^−|z|: one exp per row instead of two,
     * with the same values as gdi_sigmoid and gdi_softplus give. */
    const double e = exp(-fabs(z));
    const double sigma = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    *residual = sigma - (positive ? 1.0 : 0.0);
    /* softplus(z) − y·z is softplus(−z) for y = 1: the form without the
     * cancellation of two large terms when z ≫ 0. */
    return fmax(positive ? -z : z, 0.0) + log1p(e);
}

double gdi_softmax_row(double *z, size_t n_classes)
{
    double max = z[0];
    for (size_t c = 1; c < n_classes; ++c) {
        if (z[c] > max) {
            max = z[c];
        }
    }
    /* With the maximum subtracted every exponent is ≤ 0 and one is exactly 0,
     * so the sum lies in [1, k]: no overflow, and its log is never log(0). */
    double sum = 0.0;
    for (size_t c = 0; c < n_classes; ++c) {
        z[c] = exp(z[c] - max);
        sum += z[c];
    }
    const double inv_sum = 1.0 / sum;
    for (size_t c = 0; c < n_classes; ++c) {
        z[c] *= inv_sum;
    }
    return max + log(sum);
}
