/* L-BFGS (Nocedal & Wright, Alg. 7.4 and 7.5): the direction d = −H∇L from
 * the two-loop recursion over the last lbfgs_memory pairs s = θ₊ − θ,
 * y = ∇L₊ − ∇L, with H₀ = (sᵀy / yᵀy)·I from the newest pair; the step
 * from a strong Wolfe line search starting at t = 1 (at 1/‖∇L‖₂ when there
 * is no curvature information yet). learning_rate and line_search are not
 * used. A pair with sᵀy ≤ ε_mach‖s‖‖y‖ would make H indefinite: it is not
 * stored. A direction that is not a descent direction, or along which the
 * search fails, drops the memory and retries along −∇L; if that fails too,
 * the fit stops with GD_ERR_LINE_SEARCH at the last accepted θ. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "optim/optim.h"

static size_t memory_pairs(const gd_options *options)
{
    /* more pairs than updates can never be filled */
    return options->lbfgs_memory < options->max_iter ? options->lbfgs_memory : options->max_iter;
}

int gdi_lbfgs_work_size(const gd_options *options, size_t n_params, size_t *doubles)
{
    const size_t pairs = memory_pairs(options);
    size_t vectors, total, scalars;
    /* gradient, direction, trial θ, trial gradient; s and y per pair; ρ and
     * the first loop's coefficients per pair */
    return gdi_mul_size(pairs, 2, &vectors) && gdi_add_size(vectors, 4, &vectors)
           && gdi_mul_size(vectors, n_params, &total) && gdi_mul_size(pairs, 2, &scalars)
           && gdi_add_size(total, scalars, doubles);
}

typedef struct history {
    size_t n;
    size_t capacity;
    size_t count;  /* pairs held */
    size_t newest; /* slot of the newest pair (when count > 0) */
    double *s;     /* capacity × n */
    double *y;     /* capacity × n */
    double *rho;   /* 1 / sᵀy */
    double *alpha; /* the first loop's coefficients */
} history;

/* direction = −H·grad by the two-loop recursion. */
static void two_loop(const history *h, const double *grad, double *direction)
{
    const size_t n = h->n;
    for (size_t j = 0; j < n; ++j) {
        direction[j] = grad[j];
    }
    size_t slot = h->newest;
    for (size_t k = 0; k < h->count; ++k) {
        const double *s = h->s + slot * n;
        const double *y = h->y + slot * n;
        const double a = h->rho[slot] * gdi_dot(s, direction, n);
        h->alpha[slot] = a;
        for (size_t j = 0; j < n; ++j) {
            direction[j] -= a * y[j];
        }
        slot = slot == 0 ? h->capacity - 1 : slot - 1;
    }
    const double *y_new = h->y + h->newest * n;
    const double gamma = 1.0 / (h->rho[h->newest] * gdi_dot(y_new, y_new, n));
    for (size_t j = 0; j < n; ++j) {
        direction[j] *= gamma;
    }
    /* slot is now just before the oldest pair */
    for (size_t k = 0; k < h->count; ++k) {
        slot = slot + 1 == h->capacity ? 0 : slot + 1;
        const double *s = h->s + slot * n;
        const double *y = h->y + slot * n;
        const double b = h->rho[slot] * gdi_dot(y, direction, n);
        const double a = h->alpha[slot];
        for (size_t j = 0; j < n; ++j) {
            direction[j] += (a - b) * s[j];
        }
    }
    for (size_t j = 0; j < n; ++j) {
        direction[j] = -direction[j];
    }
}

/* −grad, with the first step 1/‖grad‖₂: a unit move in θ. */
static double steepest(const double *grad, double *direction, size_t n, double *slope)
{
    for (size_t j = 0; j < n; ++j) {
        direction[j] = -grad[j];
    }
    const double squared = gdi_dot(grad, grad, n);
    *slope = -squared;
    const double first = 1.0 / sqrt(squared);
    return first > 0.0 && first < HUGE_VAL ? first : 1.0; /* ‖grad‖ under/overflowed */
}

/* Store the pair from θ → trial if its curvature is positive. */
static void remember(history *h, const double *theta, const double *grad,
                     const double *trial_theta, const double *trial_grad)
{
    const size_t n = h->n;
    double sy = 0.0, ss = 0.0, yy = 0.0;
    for (size_t j = 0; j < n; ++j) {
        const double s = trial_theta[j] - theta[j];
        const double y = trial_grad[j] - grad[j];
        sy += s * y;
        ss += s * s;
        yy += y * y;
    }
    if (!(sy > DBL_EPSILON * sqrt(ss) * sqrt(yy))) {
        return;
    }
    const size_t slot = h->count == 0 ? 0 : (h->newest + 1 == h->capacity ? 0 : h->newest + 1);
    for (size_t j = 0; j < n; ++j) {
        h->s[slot * n + j] = trial_theta[j] - theta[j];
        h->y[slot * n + j] = trial_grad[j] - grad[j];
    }
    h->rho[slot] = 1.0 / sy;
    h->newest = slot;
    if (h->count < h->capacity) {
        h->count += 1;
    }
}

gd_status gdi_optimize_lbfgs(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                             double *work)
{
    const size_t n = problem->n_params;
    const size_t pairs = memory_pairs(monitor->options);
    double *grad = work;
    double *direction = work + n;
    double *trial_theta = work + 2 * n;
    double *trial_grad = work + 3 * n;
    history h = {
        .n = n,
        .capacity = pairs,
        .count = 0,
        .newest = 0,
        .s = work + 4 * n,
        .y = work + 4 * n + pairs * n,
        .rho = work + 4 * n + 2 * pairs * n,
        .alpha = work + 4 * n + 2 * pairs * n + pairs,
    };
    gd_report *report = monitor->report;
    double loss;

    gd_status status = gdi_start(problem, monitor, theta, &loss, grad);
    if (status != GD_OK) {
        return status;
    }
    double step = 0.0;
    while (gdi_monitor_check(monitor, problem, theta, loss, grad, step) == GD_STOP_NONE) {
        double slope = 0.0;
        double first = 1.0;
        if (h.count > 0) {
            two_loop(&h, grad, direction);
            slope = gdi_dot(grad, direction, n);
        }
        if (!(slope < 0.0)) {
            h.count = 0;
            first = steepest(grad, direction, n, &slope);
        }
        gdi_line line = {
            .theta = theta,
            .loss = loss,
            .grad = grad,
            .slope = slope,
            .direction = direction,
            .trial_theta = trial_theta,
            .trial_grad = trial_grad,
        };
        gdi_search_result result = gdi_search_wolfe(problem, &line, first);
        if (result == GDI_SEARCH_FAILED && h.count > 0) {
            h.count = 0;
            first = steepest(grad, direction, n, &line.slope);
            result = gdi_search_wolfe(problem, &line, first);
        }
        if (result == GDI_SEARCH_ERROR) {
            return gdi_monitor_finish(monitor, problem, GD_STOP_ERROR, line.status, loss, grad);
        }
        if (result == GDI_SEARCH_FAILED) {
            return gdi_monitor_finish(monitor, problem, GD_STOP_LINE_SEARCH, GD_ERR_LINE_SEARCH,
                                      loss, grad);
        }
        remember(&h, theta, grad, trial_theta, trial_grad);
        memcpy(theta, trial_theta, n * sizeof *theta);
        memcpy(grad, trial_grad, n * sizeof *grad);
        loss = line.trial_loss;
        step = line.step;
        report->iterations += 1;
    }
    return GD_OK;
}
