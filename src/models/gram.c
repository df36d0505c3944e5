/* The objective of linear regression evaluated from the centred Gram matrix
 * (src/kernels/gram.h), as a model that reads no data: gd_fit hands it to
 * the user's optimiser in place of the linear model when
 * gd_options.linear_gram is set (docs/optimizers.md). */
#include <string.h>

#include "models/builtin.h"

static gd_status gram_loss_grad(const gd_model *self, const double *theta, const gd_data *data,
                                double *loss, double *grad, double *work)
{
    (void)data;
    gdi_gram_loss_grad(self->ctx, theta, loss, grad, work);
    return GD_OK;
}

static size_t gram_work_size(const gd_model *self, size_t n_rows)
{
    (void)n_rows;
    return self->n_params - 1;
}

int gdi_model_gram_work_size(const gd_model *linear, size_t n_rows, size_t *doubles)
{
    return gdi_gram_work_size(linear->n_features, linear->n_threads, n_rows, doubles);
}

void gdi_model_gram(gd_model *model, const gd_model *linear, gdi_gram *gram)
{
    memset(gram, 0, sizeof *gram);
    gram->n_features = linear->n_features;
    gram->l2 = linear->l2;
    memset(model, 0, sizeof *model);
    model->struct_size = sizeof *model;
    model->kind = GD_MODEL_CUSTOM; /* internal: never seen outside gd_fit */
    model->n_features = 0;         /* reads no data */
    model->n_outputs = 1;
    model->n_params = linear->n_params;
    model->l2 = linear->l2;
    model->n_threads = 1;
    model->loss_grad = gram_loss_grad;
    model->work_size = gram_work_size;
    model->ctx = gram;
}

gd_status gdi_model_gram_build(const gd_model *linear, const gd_data *data, double *work,
                               gdi_gram *gram)
{
    return gdi_gram_build(linear->n_features, linear->n_threads, linear->l2, data, work, gram);
}
