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

/* Z = X W + 1bᵀ for n_rows rows (W is n_features × n_outputs row-major, b has
 * n_outputs values; Z is n_rows × n_outputs row-major): one dgemm. */
void gdi_affine_rows_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                           const double *w, const double *b, size_t n_outputs, double *out);

/* G += Xᵀ R over n_rows rows of X (R is n_rows × n_outputs, G is
 * n_features × n_outputs, both row-major): one dgemm with X transposed. */
void gdi_accumulate_xt_r_multi(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                               const double *r, size_t n_outputs, double *g);

/* Stable forms (src/kernels/stable.c, docs/classification.md). */

/* σ(z) = 1/(1 + e^−z), without overflow for any finite z. */
double gdi_sigmoid(double z);

/* softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^−|z|). */
double gdi_softplus(double z);

/* One row of the logistic loss: returns softplus(z) − y·z for y = positive
 * (0 or 1) and sets *residual = σ(z) − y. */
double gdi_logistic_row(double z, int positive, double *residual);

/* In place, z (n_classes ≥ 1 values) becomes softmax(z), computed with the
 * maximum subtracted; returns logsumexp(z) of the values given. */
double gdi_softmax_row(double *z, size_t n_classes);

#endif /* GDLEARN_KERNELS_H */
