#include <cblas.h>

#include "kernels/kernels.h"

void gdi_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                     const double *w, double b, double *out)
{
    for (size_t i = 0; i < n_rows; ++i) {
        out[i] = b;
    }
    if (n_features == 0) {
        return;
    }
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n_rows, (int)n_features, 1.0, x, (int)ldx,
                w, 1, 1.0, out, 1);
}

void gdi_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                         const double *r, double *g)
{
    if (n_features == 0) {
        return;
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n_rows, (int)n_features, 1.0, x, (int)ldx, r,
                1, 1.0, g, 1);
}

double gdi_l2_term(const double *w, size_t n, double l2, double *g)
{
    if (l2 == 0.0 || n == 0) {
        return 0.0;
    }
    if (g != NULL) {
        cblas_daxpy((int)n, l2, w, 1, g, 1);
    }
    return 0.5 * l2 * cblas_ddot((int)n, w, 1, w, 1);
}
