/* Line searches: Armijo backtracking (gd, momentum, Nesterov with
 * line_search) and a strong Wolfe search (L-BFGS), after Nocedal & Wright,
 * Numerical Optimization, 2nd ed., §3.1 and Algorithms 3.5/3.6.
 * Every trial is a full loss+gradient evaluation, so an accepted trial
 * leaves its gradient ready for the next iteration. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "optim/optim.h"

#define SUFFICIENT_DECREASE 1e-4 /* c₁ */
#define CURVATURE 0.9            /* c₂, the usual choice for quasi-Newton */
#define MAX_HALVINGS 50
#define MAX_EXPANSIONS 50
#define MAX_ZOOM 50
/* Near the optimum the change a step makes falls below the rounding error of
 * L itself, and the sufficient-decrease test on function values turns into a
 * coin toss. There both searches also accept Hager & Zhang's "approximate
 * Armijo" condition, φ'(t) ≤ (2c₁ − 1)φ'(0) with φ(t) ≤ φ(0) + ε|φ(0)|: on a
 * quadratic it is the Armijo condition exactly, and it reads slopes (accurate
 * to the end) instead of differences of objectives (W. W. Hager, H. Zhang,
 * SIAM J. Optim. 16 (2005) 170–192, §4). Slopes come from the model's
 * gradient alone, so a wrong gradient would pass it for ever while L rises
 * in steps too small to see: the condition also asks that the step shrink
 * ‖∇L‖₂, which a wrong gradient cannot fake for long. ε, the rounding
 * allowance: */
#define LOSS_NOISE 1e-12

typedef struct sample {
    double t;
    double loss;
    double slope;
    double grad_norm2; /* ‖∇L‖₂² */
    int finite;
} sample;

/* Evaluate at θ + t·d into the trial buffers. */
static gdi_search_result probe(gdi_problem *problem, gdi_line *line, double t, sample *out,
                               int *moved)
{
    const size_t n = problem->n_params;
    int changed = 0;
    for (size_t j = 0; j < n; ++j) {
        line->trial_theta[j] = line->theta[j] + t * line->direction[j];
        changed |= line->trial_theta[j] != line->theta[j];
    }
    *moved = changed;
    out->t = t;
    int finite;
    gd_status status =
        gdi_eval(problem, line->trial_theta, &out->loss, line->trial_grad, &finite);
    if (status != GD_OK) {
        line->status = status;
        return GDI_SEARCH_ERROR;
    }
    out->finite = finite && gdi_all_finite(line->trial_theta, n);
    out->slope = out->finite ? gdi_dot(line->trial_grad, line->direction, n) : NAN;
    out->grad_norm2 = out->finite ? gdi_dot(line->trial_grad, line->trial_grad, n) : NAN;
    return GDI_SEARCH_OK;
}

static gdi_search_result accept(gdi_line *line, const sample *at)
{
    line->trial_loss = at->loss;
    line->step = at->t;
    return GDI_SEARCH_OK;
}

static int decreases(const gdi_line *line, const sample *at)
{
    if (!at->finite) {
        return 0;
    }
    /* Armijo, with a decrease that shows in the computed values: where
     * c₁tφ'(0) is below the rounding of L, "≤" alone would accept a step that
     * leaves L the same, even one uphill. */
    if (at->loss <= line->loss + SUFFICIENT_DECREASE * at->t * line->slope
        && at->loss < line->loss) {
        return 1;
    }
    return at->loss <= line->loss + LOSS_NOISE * fabs(line->loss)
           && at->slope <= (2.0 * SUFFICIENT_DECREASE - 1.0) * line->slope
           && at->grad_norm2 < line->grad_norm2;
}

gdi_search_result gdi_search_armijo(gdi_problem *problem, gdi_line *line, double t0)
{
    line->grad_norm2 = gdi_dot(line->grad, line->grad, problem->n_params);
    double t = t0;
    for (int k = 0; k <= MAX_HALVINGS; ++k) {
        sample at;
        int moved;
        if (probe(problem, line, t, &at, &moved) == GDI_SEARCH_ERROR) {
            return GDI_SEARCH_ERROR;
        }
        if (!moved) {
            return GDI_SEARCH_FAILED; /* the step no longer changes θ */
        }
        if (decreases(line, &at)) {
            return accept(line, &at);
        }
        t *= 0.5;
    }
    return GDI_SEARCH_FAILED;
}

/* a is higher than b beyond the rounding allowance */
static int higher(const gdi_line *line, const sample *a, const sample *b)
{
    return a->loss > b->loss + LOSS_NOISE * fabs(line->loss);
}

static int flat_enough(const gdi_line *line, const sample *at)
{
    return fabs(at->slope) <= -CURVATURE * line->slope;
}

/* A trial step in the bracket [lo, hi] (either order): the minimiser of the
 * cubic through both ends' values and slopes (N&W eq. 3.59), kept a tenth of
 * the bracket away from its ends; bisection when the cubic is unusable. */
static double interpolate(const sample *lo, const sample *hi)
{
    const double mid = 0.5 * (lo->t + hi->t);
    if (!lo->finite || !hi->finite) {
        return mid;
    }
    const double d1 = lo->slope + hi->slope - 3.0 * (lo->loss - hi->loss) / (lo->t - hi->t);
    const double radicand = d1 * d1 - lo->slope * hi->slope;
    if (!(radicand >= 0.0) || !isfinite(radicand)) {
        return mid;
    }
    const double d2 = copysign(sqrt(radicand), hi->t - lo->t);
    const double t = hi->t
                     - (hi->t - lo->t) * (hi->slope + d2 - d1)
                           / (hi->slope - lo->slope + 2.0 * d2);
    const double left = fmin(lo->t, hi->t);
    const double right = fmax(lo->t, hi->t);
    const double margin = 0.1 * (right - left);
    if (!isfinite(t) || t < left + margin || t > right - margin) {
        return mid;
    }
    return t;
}

/* The search ran out of trials: settle for the best point that decreased
 * the objective enough, if any (L-BFGS skips the update if its curvature is
 * wrong). Its values are recomputed into the trial buffers. */
static gdi_search_result settle(gdi_problem *problem, gdi_line *line, const sample *best)
{
    if (!(best->t > 0.0)) {
        return GDI_SEARCH_FAILED;
    }
    sample at;
    int moved;
    if (probe(problem, line, best->t, &at, &moved) == GDI_SEARCH_ERROR) {
        return GDI_SEARCH_ERROR;
    }
    if (!moved || !decreases(line, &at)) {
        return GDI_SEARCH_FAILED;
    }
    return accept(line, &at);
}

/* N&W Alg. 3.6: lo satisfies sufficient decrease with the lowest objective
 * seen, and the bracket holds a point satisfying the strong Wolfe conditions. */
static gdi_search_result zoom(gdi_problem *problem, gdi_line *line, sample lo, sample hi)
{
    for (int k = 0; k < MAX_ZOOM; ++k) {
        const double t = interpolate(&lo, &hi);
        if (t == lo.t || t == hi.t) {
            break; /* the bracket is as narrow as doubles allow */
        }
        sample at;
        int moved;
        if (probe(problem, line, t, &at, &moved) == GDI_SEARCH_ERROR) {
            return GDI_SEARCH_ERROR;
        }
        if (!decreases(line, &at) || higher(line, &at, &lo)) {
            hi = at;
            continue;
        }
        if (flat_enough(line, &at)) {
            return accept(line, &at);
        }
        if (at.slope * (hi.t - lo.t) >= 0.0) {
            hi = lo;
        }
        lo = at;
    }
    return settle(problem, line, &lo);
}

/* N&W Alg. 3.5: grow the step until it brackets an acceptable one. */
gdi_search_result gdi_search_wolfe(gdi_problem *problem, gdi_line *line, double t0)
{
    line->grad_norm2 = gdi_dot(line->grad, line->grad, problem->n_params);
    sample previous = {
        .t = 0.0,
        .loss = line->loss,
        .slope = line->slope,
        .grad_norm2 = line->grad_norm2,
        .finite = 1,
    };
    double t = t0;
    for (int k = 0; k < MAX_EXPANSIONS; ++k) {
        sample at;
        int moved;
        if (probe(problem, line, t, &at, &moved) == GDI_SEARCH_ERROR) {
            return GDI_SEARCH_ERROR;
        }
        if (!decreases(line, &at) || (k > 0 && higher(line, &at, &previous))) {
            return zoom(problem, line, previous, at);
        }
        if (flat_enough(line, &at)) {
            return accept(line, &at);
        }
        if (at.slope >= 0.0) {
            return zoom(problem, line, at, previous);
        }
        previous = at;
        t *= 2.0;
        if (!isfinite(t) || t > DBL_MAX / 4.0) {
            break;
        }
    }
    return settle(problem, line, &previous);
}
