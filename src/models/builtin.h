/* What the built-in models' constructors share. Not installed. */
#ifndef GDLEARN_MODELS_BUILTIN_H
#define GDLEARN_MODELS_BUILTIN_H

#include "core/internal.h"
#include "kernels/gram.h"

/* Check a built-in's sizes and λ, then zero *model and fill its struct_size,
 * kind, n_features, n_classes, n_outputs (k for softmax, else 1), n_params =
 * (m+1)·n_outputs and l2; the caller sets the function pointers. Returns
 * GD_ERR_NULL, GD_ERR_SIZE (m = 0; softmax with k < 2), GD_ERR_OVERFLOW (a
 * dimension or (m+1)·k beyond BLAS's int, or θ not addressable),
 * GD_ERR_OPTION (λ not finite or < 0), in that order; *model is untouched on
 * failure. n_classes is 0 (linear), 2 (logistic) or k (softmax). */
gd_status gdi_model_builtin_init(gd_model *model, gd_model_kind kind, size_t n_features,
                                 size_t n_classes, double l2);

/* Linear regression through the Gram matrix (src/models/gram.c), for
 * gd_fit's linear_gram, in three steps:
 * gdi_model_gram_work_size: doubles of the one pass over n_rows rows for
 *   the linear model (returns 0 on overflow);
 * gdi_model_gram: fill *model with the linear objective evaluated from
 *   *gram — a model of n_features = 0 (it reads no data), n_params = m + 1,
 *   whose ctx is the summary (it must outlive the model) — and reset *gram;
 * gdi_model_gram_build: the pass over data (validated, with y), into work,
 *   filling *gram; the model may be evaluated only after it. */
int gdi_model_gram_work_size(const gd_model *linear, size_t n_rows, size_t *doubles);
void gdi_model_gram(gd_model *model, const gd_model *linear, gdi_gram *gram);
gd_status gdi_model_gram_build(const gd_model *linear, const gd_data *data, double *work,
                               gdi_gram *gram);

#endif /* GDLEARN_MODELS_BUILTIN_H */
