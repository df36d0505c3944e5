/* Gradient descent and its momentum variants (docs/optimizers.md):
 *
 *   gd        θ ← θ − α∇L(θ)                       (the seed's)
 *   momentum  v ← βv − α∇L(θ);  θ ← θ + v            (Polyak's heavy ball)
 *   nesterov  v ← βv − α∇L(θ + βv);  θ ← θ + v
 *
 * All three are written with a velocity in gradient units, d ← βd − ∇L, so
 * that v = α·d; the step θ ← θ + t·p then uses p = d (heavy ball) or
 * p = βd − ∇L (Nesterov, iterating on the look-ahead point θ + βv so that
 * each update needs one gradient, where the returned θ is evaluated). For gd,
 * β = 0 and p = −∇L, bit for bit the seed's update.
 *
 * The step t is α, or with options->line_search an Armijo backtracking step;
 * a direction that is not a descent direction, or along which the search
 * fails, restarts the velocity (d = −∇L) before the search gives up. */
#include <string.h>

#include "optim/optim.h"

typedef enum direction_kind {
    DIRECTION_STEEPEST = 0,
    DIRECTION_HEAVY_BALL = 1,
    DIRECTION_NESTEROV = 2
} direction_kind;

typedef struct descent {
    direction_kind kind;
    double beta;
    size_t n;
    double *grad;
    double *velocity;
    double *direction;
    double *spare_theta; /* the trial point, or the previous θ for fixed steps */
    double *spare_grad;  /* the trial gradient, or the previous gradient */
} descent;

static void make_direction(const descent *method)
{
    const double beta = method->beta;
    const double *grad = method->grad;
    double *velocity = method->velocity;
    double *direction = method->direction;
    switch (method->kind) {
    case DIRECTION_STEEPEST:
        for (size_t j = 0; j < method->n; ++j) {
            direction[j] = -grad[j];
        }
        break;
    case DIRECTION_HEAVY_BALL:
        for (size_t j = 0; j < method->n; ++j) {
            velocity[j] = beta * velocity[j] - grad[j];
            direction[j] = velocity[j];
        }
        break;
    case DIRECTION_NESTEROV:
        for (size_t j = 0; j < method->n; ++j) {
            velocity[j] = beta * velocity[j] - grad[j];
            direction[j] = beta * velocity[j] - grad[j];
        }
        break;
    }
}

/* Forget the velocity and rebuild the direction from the gradient alone:
 * always a descent direction. */
static double restart_direction(const descent *method)
{
    memset(method->velocity, 0, method->n * sizeof *method->velocity);
    make_direction(method);
    return gdi_dot(method->grad, method->direction, method->n);
}

static gd_status fixed_steps(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                             const descent *method)
{
    const size_t n = method->n;
    const double rate = monitor->options->learning_rate;
    double *grad = method->grad;
    double *theta_prev = method->spare_theta;
    double *grad_prev = method->spare_grad;
    gd_report *report = monitor->report;
    double loss;
    int finite;

    gd_status status = gdi_start(problem, monitor, theta, &loss, grad);
    if (status != GD_OK) {
        return status;
    }
    double step = 0.0;
    while (gdi_monitor_check(monitor, problem, theta, loss, grad, step) == GD_STOP_NONE) {
        const double loss_prev = loss;
        memcpy(theta_prev, theta, n * sizeof *theta);
        memcpy(grad_prev, grad, n * sizeof *grad);
        make_direction(method);
        for (size_t j = 0; j < n; ++j) {
            theta[j] += rate * method->direction[j];
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

static gd_status searched_steps(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                                const descent *method)
{
    const size_t n = method->n;
    double *grad = method->grad;
    gd_report *report = monitor->report;
    double loss;

    gd_status status = gdi_start(problem, monitor, theta, &loss, grad);
    if (status != GD_OK) {
        return status;
    }
    memset(method->velocity, 0, n * sizeof *method->velocity);
    double step = 0.0;
    while (gdi_monitor_check(monitor, problem, theta, loss, grad, step) == GD_STOP_NONE) {
        make_direction(method);
        double slope = gdi_dot(grad, method->direction, n);
        int restarted = method->kind == DIRECTION_STEEPEST;
        if (!(slope < 0.0)) {
            slope = restart_direction(method);
            restarted = 1;
        }
        /* Try a little more than the last accepted step: the step can grow
         * back after the search had to shrink it. */
        const double first = step > 0.0 ? 2.0 * step : monitor->options->learning_rate;
        gdi_line line = {
            .theta = theta,
            .loss = loss,
            .grad = grad,
            .slope = slope,
            .direction = method->direction,
            .trial_theta = method->spare_theta,
            .trial_grad = method->spare_grad,
        };
        gdi_search_result result = gdi_search_armijo(problem, &line, first);
        if (result == GDI_SEARCH_FAILED && !restarted) {
            line.slope = restart_direction(method);
            result = gdi_search_armijo(problem, &line, first);
        }
        if (result == GDI_SEARCH_ERROR) {
            return gdi_monitor_finish(monitor, problem, GD_STOP_ERROR, line.status, loss, grad);
        }
        if (result == GDI_SEARCH_FAILED) {
            return gdi_monitor_finish(monitor, problem, GD_STOP_LINE_SEARCH, GD_ERR_LINE_SEARCH,
                                      loss, grad);
        }
        memcpy(theta, line.trial_theta, n * sizeof *theta);
        memcpy(grad, line.trial_grad, n * sizeof *grad);
        loss = line.trial_loss;
        step = line.step;
        report->iterations += 1;
    }
    return GD_OK;
}

static gd_status run(gdi_problem *problem, gdi_monitor *monitor, double *theta, double *work,
                     direction_kind kind)
{
    const size_t n = problem->n_params;
    const descent method = {
        .kind = kind,
        .beta = kind == DIRECTION_STEEPEST ? 0.0 : monitor->options->momentum,
        .n = n,
        .grad = work,
        .velocity = work + n,
        .direction = work + 2 * n,
        .spare_theta = work + 3 * n,
        .spare_grad = work + 4 * n,
    };
    memset(method.velocity, 0, n * sizeof *method.velocity);
    if (monitor->options->line_search) {
        return searched_steps(problem, monitor, theta, &method);
    }
    return fixed_steps(problem, monitor, theta, &method);
}

gd_status gdi_optimize_gd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                          double *work)
{
    return run(problem, monitor, theta, work, DIRECTION_STEEPEST);
}

gd_status gdi_optimize_momentum(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                                double *work)
{
    return run(problem, monitor, theta, work, DIRECTION_HEAVY_BALL);
}

gd_status gdi_optimize_nesterov(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                                double *work)
{
    return run(problem, monitor, theta, work, DIRECTION_NESTEROV);
}
