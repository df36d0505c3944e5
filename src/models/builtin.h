/* What the built-in models' constructors share. Not installed. */
#ifndef GDLEARN_MODELS_BUILTIN_H
#define GDLEARN_MODELS_BUILTIN_H

#include "core/internal.h"

/* Check a built-in's sizes and λ, then zero *model and fill its struct_size,
 * kind, n_features, n_classes, n_outputs (k for softmax, else 1), n_params =
 * (m+1)·n_outputs and l2; the caller sets the function pointers. Returns
 * GD_ERR_NULL, GD_ERR_SIZE (m = 0; softmax with k < 2), GD_ERR_OVERFLOW (a
 * dimension or (m+1)·k beyond BLAS's int, or θ not addressable),
 * GD_ERR_OPTION (λ not finite or < 0), in that order; *model is untouched on
 * failure. n_classes is 0 (linear), 2 (logistic) or k (softmax). */
gd_status gdi_model_builtin_init(gd_model *model, gd_model_kind kind, size_t n_features,
                                 size_t n_classes, double l2);

#endif /* GDLEARN_MODELS_BUILTIN_H */
