/* gd_fit / gd_predict and their kin: validate, initialise, optimise, report. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "models/builtin.h"
#include "optim/optim.h"

void gd_options_init(gd_options *options)
{
    if (options == NULL) {
        return;
    }
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->optimizer = GD_OPTIMIZER_LBFGS;
    options->learning_rate = 0.01;
    options->tolerance = 1e-6;
    options->max_iter = 100000;
    options->init = GD_INIT_ZERO;
    options->seed = 42;
    options->init_scale = 0.01;
    options->line_search = 0;
    options->tolerance_relative = 0;
    options->loss_tolerance = 0.0;
    options->momentum = 0.9;
    options->adam_beta1 = 0.9;
    options->adam_beta2 = 0.999;
    options->adam_epsilon = 1e-8;
    options->batch_size = 32;
    options->max_epochs = 0;
    options->decay = 0.0;
    options->lbfgs_memory = 10;
    options->callback = NULL;
    options->callback_user = NULL;
    options->allocator = NULL;
    options->linear_gram = 0;
}

static int finite_nonneg(double v)
{
    return isfinite(v) && v >= 0.0;
}

/* Copy the caller's options over the defaults (an older, shorter struct keeps
 * the defaults of the fields it lacks), then check every field. */
static gd_status resolve_options(const gd_options *given, gd_options *out)
{
    gd_options_init(out);
    if (given == NULL) {
        return GD_OK;
    }
    /* struct_size from gd_options_init of this or an older header: fields an
     * older caller lacks keep their defaults; an unset or newer size is refused. */
    if (given->struct_size < offsetof(gd_options, learning_rate) + sizeof(double)
        || given->struct_size > sizeof *out) {
        return GD_ERR_OPTION;
    }
    size_t size = given->struct_size < sizeof *out ? given->struct_size : sizeof *out;
    memcpy(out, given, size);
    out->struct_size = sizeof *out;

    const gd_options *o = out;
    if ((unsigned)o->optimizer > (unsigned)GD_OPTIMIZER_LBFGS
        || (unsigned)o->init > (unsigned)GD_INIT_GIVEN) {
        return GD_ERR_OPTION;
    }
    if (!isfinite(o->learning_rate) || o->learning_rate <= 0.0 || !finite_nonneg(o->tolerance)
        || o->max_iter == 0 || !finite_nonneg(o->init_scale) || !finite_nonneg(o->loss_tolerance)
        || !finite_nonneg(o->momentum) || o->momentum >= 1.0 || !finite_nonneg(o->adam_beta1)
        || o->adam_beta1 >= 1.0 || !finite_nonneg(o->adam_beta2) || o->adam_beta2 >= 1.0
        || !isfinite(o->adam_epsilon) || o->adam_epsilon <= 0.0 || o->batch_size == 0
        || !finite_nonneg(o->decay) || o->lbfgs_memory == 0
        || !gdi_allocator_ok(o->allocator)) {
        return GD_ERR_OPTION;
    }
    /* sgd's mini-batches need the rows, which the Gram path no longer reads. */
    if (o->linear_gram && o->optimizer == GD_OPTIMIZER_SGD) {
        return GD_ERR_OPTION;
    }
    return GD_OK;
}

/* Checks shared by every entry point that evaluates a model on data. On
 * success *view points at the data to use (an empty view for a model that
 * reads none). */
static gd_status check_model_data(const gd_model *model, const gd_data *data, int need_y,
                                  const gd_data *empty, const gd_data **view)
{
    gd_status status = gd_model_validate(model);
    if (status != GD_OK) {
        return status;
    }
    /* A model that reads no data may be given none: NULL, or an empty view
     * (gd_check_gradient's documentation allows n_rows = 0 for it). */
    if (data == NULL || (model->n_features == 0 && data->n_rows == 0)) {
        if (model->n_features > 0) {
            return GD_ERR_NULL;
        }
        *view = empty;
        return GD_OK;
    }
    /* X is scanned for Inf/NaN on the model's threads, as the kernels read it. */
    status = gdi_data_validate_threads(data, need_y && model->n_features > 0, model->n_threads);
    if (status != GD_OK) {
        return status;
    }
    if (model->n_features > 0 && data->n_features != model->n_features) {
        return GD_ERR_SIZE;
    }
    if (need_y && model->check_data != NULL) {
        status = model->check_data(model, data);
        if (status != GD_OK) {
            return status;
        }
    }
    *view = data;
    return GD_OK;
}

static gd_status model_work_doubles(const gd_model *model, const gd_data *data, size_t *doubles)
{
    *doubles = model->work_size != NULL ? model->work_size(model, data->n_rows) : 0;
    size_t bytes;
    return gdi_mul_size(*doubles, sizeof(double), &bytes) ? GD_OK : GD_ERR_OVERFLOW;
}

static void init_theta(const gd_options *options, size_t n, double *theta)
{
    if (options->init == GD_INIT_ZERO) {
        memset(theta, 0, n * sizeof *theta);
    } else if (options->init == GD_INIT_RANDOM) {
        gdi_rng rng;
        gdi_rng_seed(&rng, options->seed);
        for (size_t j = 0; j < n; ++j) {
            theta[j] = options->init_scale * (2.0 * gdi_rng_uniform(&rng) - 1.0);
        }
    }
}

gd_status gd_fit(const gd_model *model, const gd_data *data, const gd_options *options,
                 double *theta, gd_report *report)
{
    const double started = gdi_now_seconds();
    gd_report local_report;
    gd_report *rep = report != NULL ? report : &local_report;
    memset(rep, 0, sizeof *rep);
    rep->struct_size = sizeof *rep;
    rep->stop = GD_STOP_NONE;
    rep->loss = NAN;
    rep->grad_max = NAN;

    gd_options opts;
    gd_status status = resolve_options(options, &opts);
    if (status != GD_OK) {
        return status;
    }
    /* The Gram path knows the built-in linear objective only. */
    if (opts.linear_gram && model != NULL && model->kind != GD_MODEL_LINEAR) {
        return GD_ERR_OPTION;
    }
    const gd_data empty = {0};
    const gd_data *view = NULL;
    status = check_model_data(model, data, 1, &empty, &view);
    if (status != GD_OK) {
        return status;
    }
    if (theta == NULL) {
        return GD_ERR_NULL;
    }
    const size_t n = model->n_params;
    if (opts.init == GD_INIT_GIVEN && !gdi_all_finite(theta, n)) {
        return GD_ERR_NONFINITE;
    }

    /* With linear_gram, the optimiser sees the quadratic of the Gram summary
     * (a model that reads no data) in place of the linear model; the summary
     * is formed by one pass over X after the allocation. */
    gdi_gram gram;
    gd_model quadratic;
    const gd_model *fit_model = model;
    const gd_data *fit_view = view;
    size_t gram_doubles = 0;
    if (opts.linear_gram) {
        if (!gdi_model_gram_work_size(model, view->n_rows, &gram_doubles)) {
            return GD_ERR_OVERFLOW;
        }
        gdi_model_gram(&quadratic, model, &gram);
        fit_model = &quadratic;
        fit_view = &empty;
    }

    /* All workspace, once: the iterate, the optimiser's, the model's scratch,
     * then the Gram pass's. */
    size_t model_doubles, optim_doubles, optim_indices, index_bytes, total, bytes;
    status = model_work_doubles(fit_model, fit_view, &model_doubles);
    if (status != GD_OK) {
        return status;
    }
    if (!gdi_optimizer_work_size(&opts, n, fit_view, &optim_doubles, &optim_indices)
        || !gdi_add_size(model_doubles, optim_doubles, &total) || !gdi_add_size(total, n, &total)
        || !gdi_add_size(total, gram_doubles, &total)
        || !gdi_mul_size(total, sizeof(double), &bytes)
        || !gdi_mul_size(optim_indices, sizeof(size_t), &index_bytes)
        || !gdi_add_size(bytes, index_bytes, &bytes)) {
        return GD_ERR_OVERFLOW;
    }
    double *buffer = gdi_alloc(opts.allocator, bytes);
    if (buffer == NULL) {
        return GD_ERR_NOMEM;
    }
    double *current = buffer;
    double *optim_work = buffer + n;
    if (opts.linear_gram) {
        /* Not an evaluation: report.evaluations counts the quadratic's. */
        status = gdi_model_gram_build(model, view, buffer + n + optim_doubles + model_doubles,
                                      &gram);
        if (status != GD_OK) {
            gdi_free(opts.allocator, buffer);
            return status;
        }
    }
    gdi_problem problem = {
        .model = fit_model,
        .data = fit_view,
        .model_work = model_doubles > 0 ? buffer + n + optim_doubles : NULL,
        .n_params = n,
        .evaluations = 0,
    };
    if (opts.init == GD_INIT_GIVEN) {
        memcpy(current, theta, n * sizeof *theta);
    } else {
        init_theta(&opts, n, current);
    }

    gdi_monitor monitor;
    gdi_monitor_init(&monitor, &opts, rep);
    /* sgd's row order follows the doubles (optim.h asserts the alignment). */
    size_t *optim_indices_work = optim_indices > 0 ? (size_t *)(void *)(buffer + total) : NULL;
    status = gdi_optimize(&problem, &monitor, current, optim_work, optim_indices_work);
    rep->evaluations = problem.evaluations;
    /* θ is fully defined on success and on divergence (the last finite
     * iterate); on a model's error it is left as the caller gave it. */
    if ((status == GD_OK || status == GD_ERR_DIVERGED || status == GD_ERR_LINE_SEARCH)
        && gdi_all_finite(current, n)) {
        memcpy(theta, current, n * sizeof *theta);
    }
    gdi_free(opts.allocator, buffer);
    rep->seconds = gdi_now_seconds() - started;
    return status;
}

gd_status gd_predict(const gd_model *model, const double *theta, const gd_data *data,
                     double *out)
{
    const gd_data empty = {0};
    const gd_data *view = NULL;
    if (data == NULL) {
        return GD_ERR_NULL;
    }
    /* y and the weights play no part in a prediction: rows whose targets are
     * unknown (NaN), or a training view with its weights, must not be refused. */
    gd_data rows = *data;
    rows.y = NULL;
    rows.weights = NULL;
    gd_status status = check_model_data(model, &rows, 0, &empty, &view);
    if (status != GD_OK) {
        return status;
    }
    if (theta == NULL || out == NULL) {
        return GD_ERR_NULL;
    }
    if (model->predict == NULL) {
        return GD_ERR_MODEL;
    }
    size_t count;
    if (!gdi_mul_size(data->n_rows, model->n_outputs, &count)
        || !gdi_mul_size(count, sizeof(double), &count)) {
        return GD_ERR_OVERFLOW;
    }
    if (!gdi_all_finite(theta, model->n_params)) {
        return GD_ERR_NONFINITE;
    }
    return model->predict(model, theta, view, out);
}

/* One buffer of `extra` doubles followed by the model's scratch. */
static gd_status alloc_eval_buffer(const gd_model *model, const gd_data *view, size_t extra,
                                   double **buffer, double **model_work)
{
    size_t doubles, total, bytes;
    gd_status status = model_work_doubles(model, view, &doubles);
    if (status != GD_OK) {
        return status;
    }
    if (!gdi_add_size(doubles, extra, &total) || !gdi_mul_size(total, sizeof(double), &bytes)) {
        return GD_ERR_OVERFLOW;
    }
    *buffer = gdi_alloc(NULL, bytes);
    if (*buffer == NULL) {
        return GD_ERR_NOMEM;
    }
    *model_work = doubles > 0 ? *buffer + extra : NULL;
    return GD_OK;
}

/* Loss (and gradient) at θ; *loss is written only on success. */
static gd_status evaluate_once(const gd_model *model, const gd_data *view, const double *theta,
                               double *loss, double *grad, double *work)
{
    double value = NAN;
    gd_status status = model->loss_grad(model, theta, view, &value, grad, work);
    if (status == GD_OK) {
        *loss = value;
    }
    return status;
}

gd_status gd_objective(const gd_model *model, const double *theta, const gd_data *data,
                       double *loss)
{
    const gd_data empty = {0};
    const gd_data *view = NULL;
    gd_status status = check_model_data(model, data, 1, &empty, &view);
    if (status != GD_OK) {
        return status;
    }
    if (theta == NULL || loss == NULL) {
        return GD_ERR_NULL;
    }
    if (!gdi_all_finite(theta, model->n_params)) {
        return GD_ERR_NONFINITE;
    }
    double *buffer, *work;
    status = alloc_eval_buffer(model, view, 0, &buffer, &work);
    if (status != GD_OK) {
        return status;
    }
    status = evaluate_once(model, view, theta, loss, NULL, work);
    gdi_free(NULL, buffer);
    return status;
}

gd_status gd_check_gradient(const gd_model *model, const gd_data *data, const double *theta,
                            double step, double *max_rel_error)
{
    const gd_data empty = {0};
    const gd_data *view = NULL;
    gd_status status = check_model_data(model, data, 1, &empty, &view);
    if (status != GD_OK) {
        return status;
    }
    if (theta == NULL || max_rel_error == NULL) {
        return GD_ERR_NULL;
    }
    const size_t n = model->n_params;
    if (!gdi_all_finite(theta, n)) {
        return GD_ERR_NONFINITE;
    }
    if (!(step > 0.0) || !isfinite(step)) {
        step = 1e-6;
    }
    double *buffer, *work;
    status = alloc_eval_buffer(model, view, 2 * n, &buffer, &work);
    if (status != GD_OK) {
        return status;
    }
    double *grad = buffer;
    double *probe = buffer + n;
    double loss;
    status = evaluate_once(model, view, theta, &loss, grad, work);
    memcpy(probe, theta, n * sizeof *probe);
    double worst = 0.0;
    for (size_t j = 0; j < n && status == GD_OK; ++j) {
        const double h = step * fmax(1.0, fabs(theta[j]));
        double plus, minus;
        probe[j] = theta[j] + h;
        status = evaluate_once(model, view, probe, &plus, NULL, work);
        if (status == GD_OK) {
            probe[j] = theta[j] - h;
            status = evaluate_once(model, view, probe, &minus, NULL, work);
        }
        probe[j] = theta[j];
        if (status != GD_OK) {
            break;
        }
        const double numeric = (plus - minus) / (2.0 * h);
        const double error =
            fabs(grad[j] - numeric) / fmax(1.0, fmax(fabs(grad[j]), fabs(numeric)));
        if (!(error <= worst)) {
            worst = error; /* also carries a NaN through */
        }
    }
    gdi_free(NULL, buffer);
    if (status == GD_OK) {
        *max_rel_error = worst;
    }
    return status;
}
