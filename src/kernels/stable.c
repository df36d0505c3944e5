/* Numerically stable pieces of the classification losses (DESIGN §1):
 * nothing here takes log(0) or lets exp overflow, whatever the margin.
 * Derivations: docs/classification.md. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/vmath.h"

/* σ(z) from e = e^−|z| ∈ (0, 1]: 1/(1 + e) for z ≥ 0, e/(1 + e) for z < 0 —
 * exp of a non-positive argument only, so no overflow, and 1 − σ is never
 * formed by cancellation; one select, which the vectoriser takes. */
static inline double sigmoid_from(double z, double e)
{
    return (z >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* Rows per group of the block forms below: their scratch (a few arrays of
 * this many doubles) lives on the stack. */
#define VEC_ROWS ((size_t)64)

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

void gdi_sigmoid_rows(double *z, size_t n)
{
    double e[VEC_ROWS];
    for (size_t start = 0; start < n; start += VEC_ROWS) {
        const size_t len = min_size(n - start, VEC_ROWS);
        double *zb = z + start;
        for (size_t i = 0; i < len; ++i) {
            e[i] = -fabs(zb[i]);
        }
        gdi_vexp(e, e, len);
        for (size_t i = 0; i < len; ++i) {
            zb[i] = sigmoid_from(zb[i], e[i]);
        }
    }
}

/* One row of the logistic loss, for logistic_rows below: adds
 * s(softplus(z) − y·z) to loss and r = s(σ(z) − y) to residuals, sets out = r.
 * σ(z) and softplus(±z) = max(±z, 0) + log1p(e^−|z|) share e^−|z|: one exp
 * per row. softplus(z) − y·z is softplus(−z) for y = 1: the form without the
 * cancellation of two large terms when z ≫ 0. (t > 0 ? t : 0 is fmax(t, 0),
 * NaN included, in a form the vectoriser takes.) */
#define LOGISTIC_ROW(zi, yi, weight, loss, residuals, out)                         \
    do {                                                                          \
        const double e_ = exp(-fabs(zi));                                        \
        const double sigma_ = sigmoid_from((zi), e_);                            \
        const double t_ = (yi) == 1.0 ? -(zi) : (zi);                            \
        const double r_ = (weight) * (sigma_ - (yi));                           \
        (loss) += (weight) * ((t_ > 0.0 ? t_ : 0.0) + log1p(e_));                \
        (residuals) += r_;                                                        \
        (out) = r_;                                                               \
    } while (0)

GDI_VEC_CLONES
double logistic_rows(double *z, const double *y, const double *s, size_t n,
                     double *sum_residual)
{
    double loss = 0.0;
    double residuals = 0.0;
    /* Two loops rather than a per-row test of s: each vectorises whole. */
    if (s != NULL) {
        GDI_VEC_LOOP_SUM(loss, residuals)
        for (size_t i = 0; i < n; ++i) {
            const double zi = z[i];
            LOGISTIC_ROW(zi, y[i], s[i], loss, residuals, z[i]);
        }
    } else {
        GDI_VEC_LOOP_SUM(loss, residuals)
        for (size_t i = 0; i < n; ++i) {
            const double zi = z[i];
            LOGISTIC_ROW(zi, y[i], 1.0, loss, residuals, z[i]);
        }
    }
    *sum_residual = residuals;
    return loss;
}

double gdi_logistic_rows(double *z, const double *y, const double *s, size_t n,
                         double *sum_residual)
{
    return logistic_rows(z, y, s, n, sum_residual);
}

void gdi_softmax_rows(double *z, size_t n_rows, size_t n_classes, double *row_max,
                      double *log_sum)
{
    double max[VEC_ROWS];
    double rest[VEC_ROWS]; /* Σ e^(z_c − max) over c ≠ argmax */
    size_t argmax[VEC_ROWS];
    for (size_t start = 0; start < n_rows; start += VEC_ROWS) {
        const size_t len = min_size(n_rows - start, VEC_ROWS);
        double *zb = z + start * n_classes;
        for (size_t i = 0; i < len; ++i) {
            double *row = zb + i * n_classes;
            size_t top = 0;
            for (size_t c = 1; c < n_classes; ++c) {
                if (row[c] > row[top]) {
                    top = c;
                }
            }
            /* With the maximum subtracted every exponent is ≤ 0 and one is
             * exactly 0, so the sum lies in [1, k]: no overflow, and its
             * log is never log(0). */
            const double m = row[top];
            for (size_t c = 0; c < n_classes; ++c) {
                row[c] -= m;
            }
            max[i] = m;
            argmax[i] = top;
        }
        gdi_vexp(zb, zb, len * n_classes); /* the group's rows are contiguous */
        for (size_t i = 0; i < len; ++i) {
            double *row = zb + i * n_classes;
            /* The sum is 1 + the others: kept apart so that the log is
             * log1p of the others, exact to an ulp of them even when they
             * are far below an ulp of 1 (a confident row's loss). */
            row[argmax[i]] = 1.0;
            double others = 0.0;
            for (size_t c = 0; c < n_classes; ++c) {
                others += c == argmax[i] ? 0.0 : row[c];
            }
            const double inv = 1.0 / (1.0 + others);
            for (size_t c = 0; c < n_classes; ++c) {
                row[c] *= inv;
            }
            rest[i] = others;
        }
        if (log_sum != NULL) {
            gdi_vlog1p(rest, log_sum + start, len);
            memcpy(row_max + start, max, len * sizeof *max);
        }
    }
}
