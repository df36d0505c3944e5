/* Adam (Kingma & Ba, 2015), on the full gradient:
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
 *   θ ← θ − α · m̂ / (√v̂ + ε),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ).
 * line_search does not apply (the step is per coordinate). A non-finite
 * objective or gradient stops with GD_ERR_DIVERGED at the last finite θ. */
#include <math.h>
#include <string.h>

#include "optim/optim.h"

gd_status gdi_optimize_adam(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                            double *work)
{
    const size_t n = problem->n_params;
    const gd_options *options = monitor->options;
    const double rate = options->learning_rate;
    const double beta1 = options->adam_beta1;
    const double beta2 = options->adam_beta2;
    const double epsilon = options->adam_epsilon;
    double *grad = work;
    double *first = work + n;
    double *second = work + 2 * n;
    double *theta_prev = work + 3 * n;
    double *grad_prev = work + 4 * n;
    gd_report *report = monitor->report;
    double loss;
    int finite;

    gd_status status = gdi_start(problem, monitor, theta, &loss, grad);
    if (status != GD_OK) {
        return status;
    }
    memset(first, 0, n * sizeof *first);
    memset(second, 0, n * sizeof *second);
    /* β₁ᵗ and β₂ᵗ as running products: exact for the powers that matter and
     * they underflow harmlessly to 0. */
    double beta1_t = 1.0;
    double beta2_t = 1.0;
    double step = 0.0;
    while (gdi_monitor_check(monitor, problem, theta, loss, grad, step) == GD_STOP_NONE) {
        const double loss_prev = loss;
        memcpy(theta_prev, theta, n * sizeof *theta);
        memcpy(grad_prev, grad, n * sizeof *grad);
        beta1_t *= beta1;
        beta2_t *= beta2;
        const double correct1 = 1.0 / (1.0 - beta1_t);
        const double correct2 = 1.0 / (1.0 - beta2_t);
        for (size_t j = 0; j < n; ++j) {
            first[j] = beta1 * first[j] + (1.0 - beta1) * grad[j];
            second[j] = beta2 * second[j] + (1.0 - beta2) * grad[j] * grad[j];
            theta[j] -= rate * (first[j] * correct1) / (sqrt(second[j] * correct2) + epsilon);
        }
        step = rate;
        status = gdi_eval(problem, theta, &loss, grad, &finite);
        if (status != GD_OK || !finite || !gdi_all_finite(theta, n)) {
            memcpy(theta, theta_prev, n * sizeof *theta);
            return gdi_monitor_finish(monitor, problem,
                                      status != GD_OK ? GD_STOP_ERROR : GD_STOP_DIVERGED,
                                      status != GD_OK ? status : GD_ERR_DIVERGED, loss_prev,
                                      grad_prev);
        }
        report->iterations += 1;
    }
    return GD_OK;
}
