/* The k-output affine map of softmax regression and its gradient, through
 * dgemm: the matrix analogues of gdi_affine_rows / gdi_accumulate_xt_r, with
 * the same column panels (kernels.h). */
#include <cblas.h>
#include <string.h>

#include "kernels/kernels.h"

/* Features per dgemm call for a block of n_rows rows and k outputs. */
static size_t gemm_panel(size_t n_rows, size_t n_features, size_t n_outputs)
{
    size_t per_feature = n_rows * n_outputs; /* ≤ rows·k of a block: no overflow */
    size_t panel = per_feature == 0 ? n_features : GDI_GEMM_SERIAL_MAX / per_feature;
    if (panel == 0) {
        panel = 1;
    }
    return panel < n_features ? panel : n_features;
}

void gdi_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                           const double *w, const double *b, size_t n_outputs, double *out)
{
    for (size_t i = 0; i < n_rows; ++i) {
        memcpy(out + i * n_outputs, b, n_outputs * sizeof *out);
    }
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    const size_t panel = gemm_panel(n_rows, n_features, n_outputs);
    for (size_t j = 0; j < n_features; j += panel) {
        const size_t cols = panel < n_features - j ? panel : n_features - j;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n_rows, (int)n_outputs,
                    (int)cols, 1.0, x + j, (int)ldx, w + j * n_outputs, (int)n_outputs, 1.0,
                    out, (int)n_outputs);
    }
}

void gdi_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                               const double *r, size_t n_outputs, double *g)
{
    if (n_features == 0 || n_rows == 0) {
        return;
    }
    const size_t panel = gemm_panel(n_rows, n_features, n_outputs);
    for (size_t j = 0; j < n_features; j += panel) {
        const size_t cols = panel < n_features - j ? panel : n_features - j;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cols, (int)n_outputs,
                    (int)n_rows, 1.0, x + j, (int)ldx, r, (int)n_outputs, 1.0,
                    g + j * n_outputs, (int)n_outputs);
    }
}
