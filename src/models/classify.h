/* What the classifiers (logistic.c, softmax.c) and classify.c share. Not installed. */
#ifndef GDLEARN_MODELS_CLASSIFY_H
#define GDLEARN_MODELS_CLASSIFY_H

#include <stddef.h>

#include "core/internal.h"

/* A label is a class index stored in a double: an integer in [0, n_classes).
 * Returns 1 and sets *index for a valid label (NaN is never one). */
static inline int gdi_label_index(double label, size_t n_classes, size_t *index)
{
    if (!(label >= 0.0 && label < (double)n_classes) || label != (double)(size_t)label) {
        return 0;
    }
    *index = (size_t)label;
    return 1;
}

/* GD_ERR_LABEL unless every y is a valid label for n_classes classes
 * (GD_ERR_NULL if y is missing). */
gd_status gdi_check_labels(const gd_data *data, size_t n_classes);

#endif /* GDLEARN_MODELS_CLASSIFY_H */
