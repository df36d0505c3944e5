/* What every optimiser shares: evaluation, the stopping rules and the
 * report, workspace sizing and the dispatcher. */
#include <math.h>

#include "optim/optim.h"

gd_status gdi_eval_on(gdi_problem *problem, const gd_data *data, const double *theta,
                      double *loss, double *grad, int *finite)
{
    const gd_model *model = problem->model;
    double value = NAN;
    problem->evaluations += 1;
    gd_status status = model->loss_grad(model, theta, data, &value, grad, problem->model_work);
    if (status != GD_OK) {
        *finite = 0;
        return status;
    }
    *loss = value;
    *finite = isfinite(value) && (grad == NULL || gdi_all_finite(grad, problem->n_params));
    return GD_OK;
}

gd_status gdi_eval(gdi_problem *problem, const double *theta, double *loss, double *grad,
                   int *finite)
{
    return gdi_eval_on(problem, problem->data, theta, loss, grad, finite);
}

void gdi_monitor_init(gdi_monitor *monitor, const gd_options *options, gd_report *report)
{
    monitor->options = options;
    monitor->report = report;
    monitor->tolerance = options->tolerance;
    monitor->previous_loss = NAN;
    monitor->start_loss = NAN;
    monitor->above_start = 0;
    monitor->started = 0;
}

gd_stop gdi_monitor_check(gdi_monitor *monitor, const gdi_problem *problem,
                          const double *theta, double loss, const double *grad, double step)
{
    const gd_options *options = monitor->options;
    gd_report *report = monitor->report;
    double grad_max = gdi_max_abs(grad, problem->n_params);

    report->loss = loss;
    report->grad_max = grad_max;
    report->evaluations = problem->evaluations;
    if (!monitor->started && options->tolerance_relative) {
        monitor->tolerance = options->tolerance * grad_max;
    }

    if (!monitor->started) {
        monitor->start_loss = loss;
    } else if (loss > monitor->start_loss + GDI_RUNAWAY_MARGIN * fabs(monitor->start_loss)) {
        monitor->above_start += 1;
    } else {
        monitor->above_start = 0;
    }

    gd_stop stop = GD_STOP_NONE;
    if (grad_max < monitor->tolerance || grad_max == 0.0) {
        stop = GD_STOP_CONVERGED;
    } else if (monitor->started && options->loss_tolerance > 0.0
               && fabs(monitor->previous_loss - loss)
                      <= options->loss_tolerance * fmax(fabs(loss), 1.0)) {
        stop = GD_STOP_LOSS_CHANGE;
    } else if (monitor->above_start >= GDI_RUNAWAY_ITERATIONS) {
        stop = GD_STOP_DIVERGED;
    }
    if (options->callback != NULL) {
        gd_progress progress = {
            .iteration = report->iterations,
            .evaluations = problem->evaluations,
            .loss = loss,
            .grad_max = grad_max,
            .step = step,
            .theta = theta,
        };
        if (options->callback(&progress, options->callback_user) != 0 && stop == GD_STOP_NONE) {
            stop = GD_STOP_CALLBACK;
        }
    }
    if (stop == GD_STOP_NONE && report->iterations >= options->max_iter) {
        stop = GD_STOP_MAX_ITER;
    }
    monitor->started = 1;
    monitor->previous_loss = loss;
    report->stop = stop;
    return stop;
}

gd_status gdi_monitor_finish(gdi_monitor *monitor, const gdi_problem *problem, gd_stop stop,
                             gd_status status, double loss, const double *grad)
{
    gd_report *report = monitor->report;
    report->loss = loss;
    report->grad_max = grad != NULL ? gdi_max_abs(grad, problem->n_params) : NAN;
    report->evaluations = problem->evaluations;
    report->stop = stop;
    return status;
}

gd_status gdi_start(gdi_problem *problem, gdi_monitor *monitor, const double *theta,
                    double *loss, double *grad)
{
    int finite;
    gd_status status = gdi_eval(problem, theta, loss, grad, &finite);
    if (status != GD_OK) {
        return gdi_monitor_finish(monitor, problem, GD_STOP_ERROR, status, NAN, NULL);
    }
    if (!finite) {
        return gdi_monitor_finish(monitor, problem, GD_STOP_DIVERGED, GD_ERR_DIVERGED, NAN, NULL);
    }
    return GD_OK;
}

int gdi_optimizer_work_size(const gd_options *options, size_t n_params, const gd_data *data,
                            size_t *doubles, size_t *indices)
{
    *indices = 0;
    switch (options->optimizer) {
    case GD_OPTIMIZER_GD:
    case GD_OPTIMIZER_MOMENTUM:
    case GD_OPTIMIZER_NESTEROV:
        return gdi_mul_size(GDI_GD_VECTORS, n_params, doubles);
    case GD_OPTIMIZER_ADAM:
        return gdi_mul_size(GDI_ADAM_VECTORS, n_params, doubles);
    case GD_OPTIMIZER_SGD:
        return gdi_sgd_work_size(options, n_params, data, doubles, indices);
    case GD_OPTIMIZER_LBFGS:
        return gdi_lbfgs_work_size(options, n_params, doubles);
    default:
        *doubles = 0;
        return 1;
    }
}

static gd_status dispatch(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                          double *work, size_t *indices)
{
    switch (monitor->options->optimizer) {
    case GD_OPTIMIZER_GD:
        return gdi_optimize_gd(problem, monitor, theta, work);
    case GD_OPTIMIZER_MOMENTUM:
        return gdi_optimize_momentum(problem, monitor, theta, work);
    case GD_OPTIMIZER_NESTEROV:
        return gdi_optimize_nesterov(problem, monitor, theta, work);
    case GD_OPTIMIZER_ADAM:
        return gdi_optimize_adam(problem, monitor, theta, work);
    case GD_OPTIMIZER_SGD:
        return gdi_optimize_sgd(problem, monitor, theta, work, indices);
    case GD_OPTIMIZER_LBFGS:
        return gdi_optimize_lbfgs(problem, monitor, theta, work);
    default:
        return GD_ERR_OPTION;
    }
}

gd_status gdi_optimize(gdi_problem *problem, gdi_monitor *monitor, double *theta, double *work,
                       size_t *indices)
{
    const gd_status status = dispatch(problem, monitor, theta, work, indices);
    /* A run-away objective (gdi_monitor_check) ends the loop as a stop
     * reason; the fit's status says it diverged, θ the last (finite) iterate. */
    if (status == GD_OK && monitor->report->stop == GD_STOP_DIVERGED) {
        return GD_ERR_DIVERGED;
    }
    return status;
}
