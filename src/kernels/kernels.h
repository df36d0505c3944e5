/* BLAS-backed building blocks of the models (DESIGN §2). Not installed.
 * Every size passed here has been checked to fit BLAS's int by the caller
 * (gd_data_validate checks ldx; blocks are at most GDI_BLOCK_ROWS rows). */
#ifndef GDLEARN_KERNELS_H
#define GDLEARN_KERNELS_H

#include <stddef.h>

/* out[i] = x_iᵀ w + b for n_rows rows of X (row stride ldx): one dgemv. */
void gdi_affine_rows(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                     const double *w, double b, double *out);

/* g += Xᵀ r over n_rows rows of X: one dgemv with X transposed. */
void gdi_accumulate_xt_r(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                         const double *r, double *g);

/* g += λ·w (the L2 term of the gradient); returns (λ/2)‖w‖². */
double gdi_l2_term(const double *w, size_t n, double l2, double *g);

#endif /* GDLEARN_KERNELS_H */
