/* The seed's gradient descent: θ ← θ − α∇L(θ) until max|∂L/∂θⱼ| < ε or
 * max_iter updates. A non-finite objective or gradient after a step stops the
 * fit with GD_ERR_DIVERGED, θ back at the last finite iterate. */
#include <string.h>

#include "optim/optim.h"

gd_status gdi_optimize_gd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                          double *work)
{
    const size_t n = problem->n_params;
    const double rate = monitor->options->learning_rate;
    double *grad = work;
    double *theta_prev = work + n;
    double *grad_prev = work + 2 * n;
    gd_report *report = monitor->report;
    double loss;
    int finite;

    gd_status status = gdi_eval(problem, theta, &loss, grad, &finite);
    if (status != GD_OK) {
        report->stop = GD_STOP_ERROR;
        return status;
    }
    if (!finite) {
        report->stop = GD_STOP_DIVERGED;
        return GD_ERR_DIVERGED;
    }
    double step = 0.0;
    while (gdi_monitor_check(monitor, problem, theta, loss, grad, step) == GD_STOP_NONE) {
        double loss_prev = loss;
        memcpy(theta_prev, theta, n * sizeof *theta);
        memcpy(grad_prev, grad, n * sizeof *grad);
        for (size_t j = 0; j < n; ++j) {
            theta[j] -= rate * grad[j];
        }
        step = rate;
        status = gdi_eval(problem, theta, &loss, grad, &finite);
        if (status != GD_OK || !finite || !gdi_all_finite(theta, n)) {
            memcpy(theta, theta_prev, n * sizeof *theta);
            memcpy(grad, grad_prev, n * sizeof *grad);
            report->loss = loss_prev;
            report->grad_max = gdi_max_abs(grad, n);
            report->evaluations = problem->evaluations;
            report->stop = status != GD_OK ? GD_STOP_ERROR : GD_STOP_DIVERGED;
            return status != GD_OK ? status : GD_ERR_DIVERGED;
        }
        report->iterations += 1;
    }
    return GD_OK;
}
