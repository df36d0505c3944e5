/* The k-output affine map of softmax regression and its gradient, through
 * dgemm: the matrix analogues of gdi_affine_rows / gdi_accumulate_xt_r. */
#include <cblas.h>
#include <string.h>

#include "kernels/kernels.h"

void gdi_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                           const double *w, const double *b, size_t n_outputs, double *out)
{
    for (size_t i = 0; i < n_rows; ++i) {
        memcpy(out + i * n_outputs, b, n_outputs * sizeof *out);
    }
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n_rows, (int)n_outputs,
                (int)n_features, 1.0, x, (int)ldx, w, (int)n_outputs, 1.0, out,
                (int)n_outputs);
}

void gdi_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                               const double *r, size_t n_outputs, double *g)
{
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_features, (int)n_outputs,
                (int)n_rows, 1.0, x, (int)ldx, r, (int)n_outputs, 1.0, g, (int)n_outputs);
}
