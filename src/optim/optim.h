/* The optimisers' view of a problem: a model seen only through its function
 * pointers (DESIGN §2: optim never includes a model). Not installed.
 * The methods, their update rules and stopping rules: docs/optimizers.md. */
#ifndef GDLEARN_OPTIM_H
#define GDLEARN_OPTIM_H

#include "core/internal.h"

/* The index workspace (sgd's row permutation) lives in the same allocation
 * as the doubles, right after them: it is aligned only if a size_t needs no
 * stricter alignment than a double. */
_Static_assert(_Alignof(size_t) <= _Alignof(double),
               "size_t workspace placed after doubles must be aligned");

typedef struct gdi_problem {
    const gd_model *model;
    const gd_data *data;  /* never NULL: an empty view for data-free models */
    double *model_work;   /* model->work_size(n_rows) doubles, allocated once; sgd
                           * reuses it for its smaller batches, so work_size is
                           * assumed not to decrease with n_rows */
    size_t n_params;
    size_t evaluations;   /* counted by gdi_eval */
} gdi_problem;

/* Loss and (if grad != NULL) gradient at theta on problem->data. Returns the
 * model's status. *finite is set to 0 if the loss or the gradient holds NaN/Inf. */
gd_status gdi_eval(gdi_problem *problem, const double *theta, double *loss, double *grad,
                   int *finite);

/* As gdi_eval, on another view of the data (sgd's mini-batches). */
gd_status gdi_eval_on(gdi_problem *problem, const gd_data *data, const double *theta,
                      double *loss, double *grad, int *finite);

/* Stopping rules, the callback and the report, shared by every optimiser. */
typedef struct gdi_monitor {
    const gd_options *options;
    gd_report *report;      /* iterations, evaluations, loss, grad_max, stop */
    double tolerance;       /* absolute ε, resolved at the first iterate */
    double previous_loss;
    double start_loss;      /* L(θ₀), the objective of the first iterate */
    size_t above_start;     /* consecutive iterates with L well above L(θ₀) */
    int started;
} gdi_monitor;

/* A fit whose objective stays well above its starting value (by more than
 * GDI_RUNAWAY_MARGIN relative) for GDI_RUNAWAY_ITERATIONS consecutive
 * iterates is declared diverged: a step far too large on a model whose
 * gradient is bounded (logistic, softmax) makes θ bounce with a finite but
 * useless objective, which no non-finite check would catch. Monotone methods
 * (line searches, L-BFGS) never trigger it. docs/optimizers.md. */
#define GDI_RUNAWAY_ITERATIONS ((size_t)1000)
#define GDI_RUNAWAY_MARGIN 1e-3

void gdi_monitor_init(gdi_monitor *monitor, const gd_options *options, gd_report *report);

/* Record the current iterate (after report->iterations updates) and decide:
 * GD_STOP_NONE to go on, or the reason to stop. */
gd_stop gdi_monitor_check(gdi_monitor *monitor, const gdi_problem *problem,
                          const double *theta, double loss, const double *grad, double step);

/* End the fit at an iterate whose loss and gradient are known (grad may be
 * NULL when none is): fill the report with them and the reason; returns status. */
gd_status gdi_monitor_finish(gdi_monitor *monitor, const gdi_problem *problem, gd_stop stop,
                             gd_status status, double loss, const double *grad);

/* The first evaluation of every method, at the starting θ: GD_OK, or the
 * status that ends the fit (a model's error, GD_ERR_DIVERGED), report filled. */
gd_status gdi_start(gdi_problem *problem, gdi_monitor *monitor, const double *theta,
                    double *loss, double *grad);

/* Workspace an optimiser needs, sized once per fit (DESIGN §3: no allocation
 * inside the loop): *doubles doubles and *indices size_t's (sgd's row order).
 * data is the view the fit uses (n_rows 0 for a data-free model).
 * Returns 0 if a size overflows. */
int gdi_optimizer_work_size(const gd_options *options, size_t n_params, const gd_data *data,
                            size_t *doubles, size_t *indices);

/* Run the optimiser chosen in options from theta (in place). work and
 * indices have the sizes gdi_optimizer_work_size gave (indices may be NULL
 * when that size is 0). Returns GD_OK for a usable θ, or GD_ERR_DIVERGED /
 * GD_ERR_LINE_SEARCH (θ at the last good iterate) / a model's status. */
gd_status gdi_optimize(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                       double *work, size_t *indices);

/* ---- the methods (one file each; gd.c holds gd, momentum and Nesterov) ---- */

#define GDI_GD_VECTORS ((size_t)5)
gd_status gdi_optimize_gd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                          double *work);
gd_status gdi_optimize_momentum(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                                double *work);
gd_status gdi_optimize_nesterov(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                                double *work);

#define GDI_ADAM_VECTORS ((size_t)5)
gd_status gdi_optimize_adam(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                            double *work);

int gdi_sgd_work_size(const gd_options *options, size_t n_params, const gd_data *data,
                      size_t *doubles, size_t *indices);
gd_status gdi_optimize_sgd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                           double *work, size_t *order);

int gdi_lbfgs_work_size(const gd_options *options, size_t n_params, size_t *doubles);
gd_status gdi_optimize_lbfgs(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                             double *work);

/* ---- line searches (linesearch.c) ---- */

typedef enum gdi_search_result {
    GDI_SEARCH_OK = 0,     /* a step was accepted: the trial point holds it */
    GDI_SEARCH_FAILED = 1, /* no acceptable step: θ is unchanged */
    GDI_SEARCH_ERROR = 2   /* the model returned an error status */
} gdi_search_result;

/* A line search along `direction` from θ, where L(θ) = loss, ∇L(θ) = grad
 * and the slope gradᵀ·direction < 0. On GDI_SEARCH_OK, trial_theta =
 * θ + t·direction, trial_loss and trial_grad are L and ∇L there, step = t.
 * On GDI_SEARCH_ERROR, status is the model's. */
typedef struct gdi_line {
    const double *theta;
    double loss;
    const double *grad;
    double slope;
    const double *direction;
    double *trial_theta;
    double *trial_grad;
    double trial_loss;
    double step;
    gd_status status;
    double grad_norm2; /* set by the search */
} gdi_line;

/* Armijo backtracking from t0: halve until L(θ + t d) ≤ L(θ) + c₁ t gᵀd. */
gdi_search_result gdi_search_armijo(gdi_problem *problem, gdi_line *line, double t0);

/* A step from t0 satisfying the strong Wolfe conditions (Nocedal & Wright,
 * Alg. 3.5 bracketing and 3.6 zoom with cubic interpolation). */
gdi_search_result gdi_search_wolfe(gdi_problem *problem, gdi_line *line, double t0);

/* ---- small vector helpers ---- */

static inline double gdi_dot(const double *a, const double *b, size_t n)
{
    double sum = 0.0;
    for (size_t j = 0; j < n; ++j) {
        sum += a[j] * b[j];
    }
    return sum;
}

#endif /* GDLEARN_OPTIM_H */
