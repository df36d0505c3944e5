/* Linear regression through the centred Gram matrix (issue 7, part 5;
 * docs/optimizers.md, "Linear regression through XᵀX"). Not installed.
 *
 * One pass over X gives the weighted means x̄, ȳ, the weight sum S and the
 * centred sums Cxx = Σ s (x − x̄)(x − x̄)ᵀ, Cxy = Σ s (x − x̄)(y − ȳ),
 * Cyy = Σ s (y − ȳ)²; the linear objective of DESIGN §1 and its gradient are
 * then, with u = b + wᵀx̄ − ȳ,
 *   L = (wᵀCxx w − 2wᵀCxy + Cyy)/(2S) + u²/2 + (λ/2)‖w‖²,
 *   ∂L/∂b = u,  ∂L/∂w = (Cxx w − Cxy)/S + u·x̄ + λw,
 * in O(m²) with no data (derivation: docs/optimizers.md). */
#ifndef GDLEARN_KERNELS_GRAM_H
#define GDLEARN_KERNELS_GRAM_H

#include <stddef.h>

#include "core/internal.h"

/* The summary of one pass. The pointers point into the workspace given to
 * gdi_gram_build. xx is m×m row-major; only its upper triangle is set.
 * The means are kept as shift + mean, the shift being row 0 of the data:
 * x̄ = x_shift + x_mean, ȳ = y_shift + y_mean. */
typedef struct gdi_gram {
    size_t n_features; /* m */
    double l2;         /* λ */
    double weight_sum; /* S */
    double y_shift;    /* y₀ */
    double y_mean;     /* ȳ − y₀ */
    double yy;         /* Cyy */
    const double *x_shift; /* x₀ (m) */
    const double *x_mean;  /* x̄ − x₀ (m) */
    const double *xy;     /* Cxy (m) */
    const double *xx;     /* Cxx (m×m, upper triangle) */
} gdi_gram;

/* Doubles of workspace gdi_gram_build needs for a linear model of m features
 * with n_threads (as gd_model.n_threads) over n_rows rows: per thread, Cxx
 * (m²), the means and Cxy, and a block of centred rows. Returns 0 if that
 * does not fit a size_t. */
int gdi_gram_work_size(size_t n_features, unsigned n_threads, size_t n_rows, size_t *doubles);

/* The pass over data (validated, y required, S > 0) on up to n_threads
 * threads (gdi_threads_for, a row's work m(m+1)/2): for a given thread count
 * the same bits from call to call. Fills *gram, whose arrays live in work. */
gd_status gdi_gram_build(size_t n_features, unsigned n_threads, double l2, const gd_data *data,
                         double *work, gdi_gram *gram);

/* L(θ) and, if grad != NULL, ∇L(θ) from the summary; θ = [b, w]. work: m doubles. */
void gdi_gram_loss_grad(const gdi_gram *gram, const double *theta, double *loss, double *grad,
                        double *work);

#endif /* GDLEARN_KERNELS_GRAM_H */
