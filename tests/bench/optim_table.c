/* Every optimiser of gd_fit on the same four problems, to the same tolerance:
 * the table and the figures of docs/optimizers.md ("Measurements").
 *
 * usage: optim-table [FIGURE_DIR]
 *
 * Prints a markdown table (one row per problem and method: the step size α
 * used, iterations, loss+gradient evaluations, the median wall-clock time of
 * several fits, the final objective, its gap to the optimum and the stop
 * reason) and, with FIGURE_DIR, writes FIGURE_DIR/optimizers_softmax.svg and
 * FIGURE_DIR/optimizers_diabetes.svg: L(θ_t) − L* on a log scale against the
 * iteration t (log scale), one line per method.
 *
 * The optima L* are computed here independently of the library: closed-form
 * least squares (LAPACK, tests/support) for diabetes, Newton's method with
 * the exact Hessian written out below for the classifiers, and (1, 1) for
 * Rosenbrock. The program exits 1 if a deterministic method fails to reach
 * L* to 1e-6 relative (1e-10 absolute for Rosenbrock, whose L* is 0), so a
 * table it prints is a table of fits that worked. Not a ctest test: it
 * measures time, and is run by hand on a Release build. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

#define TOLERANCE 1e-6 /* on max |∂L/∂θⱼ|, for every method */
#define MAX_P 16       /* parameters of the largest problem (softmax: 5 × 3) */
#define MIN_RUNS 5     /* timed fits per row, at least … */
#define MAX_RUNS 101   /* … and at most, until MIN_SECONDS of fitting */
#define MIN_SECONDS 0.2
#define TRACE_MAX 200000 /* callback records kept per traced fit (the figure's) */

/* ---- the problems ---- */

typedef enum kind { LINEAR, SOFTMAX, LOGISTIC, ROSENBROCK } kind;

typedef struct problem {
    const char *name;
    kind kind;
    ts_dataset d;
    double l2;
    size_t k; /* classes (softmax) */
    gd_model model;
    gd_data data;
    const gd_data *fit_data; /* NULL for Rosenbrock */
    double optimum;          /* L* */
    size_t evaluations;      /* Rosenbrock: calls of its loss_grad, counted */
} problem;

static gd_status rosenbrock(const gd_model *self, const double *theta, const gd_data *data,
                            double *loss, double *grad, double *work)
{
    (void)data;
    (void)work;
    problem *p = self->ctx;
    p->evaluations += 1;
    const double a = 1.0 - theta[0];
    const double b = theta[1] - theta[0] * theta[0];
    *loss = a * a + 100.0 * b * b;
    if (grad != NULL) {
        grad[0] = -2.0 * a - 400.0 * theta[0] * b;
        grad[1] = 200.0 * b;
    }
    return GD_OK;
}

/* The objective of DESIGN §1 for softmax (k ≥ 2 classes, θ (m+1)×k row-major)
 * or logistic (θ = [b, w]), with its gradient and Hessian if asked: written
 * out loop by loop, sharing nothing with the library. */
static double classifier_objective(const problem *p, const double *theta, double *grad,
                                   double *hess)
{
    const size_t n = p->d.n_rows, m = p->d.n_features;
    const size_t k = p->kind == SOFTMAX ? p->k : 1;
    const size_t n_params = (m + 1) * k;
    double total = 0.0;
    if (grad != NULL) {
        memset(grad, 0, n_params * sizeof *grad);
    }
    if (hess != NULL) {
        memset(hess, 0, n_params * n_params * sizeof *hess);
    }
    for (size_t i = 0; i < n; ++i) {
        double a[MAX_P] = {1.0};
        memcpy(a + 1, p->d.x + i * m, m * sizeof *a);
        const size_t label = (size_t)p->d.y[i];
        double prob[MAX_P], residual[MAX_P];
        if (p->kind == SOFTMAX) {
            double z[MAX_P] = {0}, top = -INFINITY, sum = 0.0;
            for (size_t c = 0; c < k; ++c) {
                z[c] = 0.0;
                for (size_t r = 0; r <= m; ++r) {
                    z[c] += a[r] * theta[r * k + c];
                }
                top = fmax(top, z[c]);
            }
            for (size_t c = 0; c < k; ++c) {
                sum += exp(z[c] - top);
            }
            total += top + log(sum) - z[label];
            for (size_t c = 0; c < k; ++c) {
                prob[c] = exp(z[c] - top) / sum;
                residual[c] = prob[c] - (c == label ? 1.0 : 0.0);
            }
        } else {
            double z = 0.0;
            for (size_t r = 0; r <= m; ++r) {
                z += a[r] * theta[r];
            }
            /* softplus(z) − y z, stably */
            total += (z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z))) - p->d.y[i] * z;
            prob[0] = 1.0 / (1.0 + exp(-z));
            residual[0] = prob[0] - p->d.y[i];
        }
        for (size_t r = 0; r <= m; ++r) {
            for (size_t c = 0; c < k; ++c) {
                const size_t row = r * k + c;
                if (grad != NULL) {
                    grad[row] += a[r] * residual[c] / (double)n;
                }
                for (size_t q = 0; hess != NULL && q <= m; ++q) {
                    for (size_t e = 0; e < k; ++e) {
                        /* softmax: ∂p_c/∂z_e = p_c(δ_ce − p_e); logistic: p(1 − p) */
                        const double curvature =
                            prob[c] * ((c == e ? 1.0 : 0.0) - prob[e]);
                        hess[row * n_params + q * k + e] += a[r] * a[q] * curvature / (double)n;
                    }
                }
            }
        }
    }
    total /= (double)n;
    for (size_t j = k; j < n_params; ++j) { /* every row but the intercepts' */
        total += 0.5 * p->l2 * theta[j] * theta[j];
        if (grad != NULL) {
            grad[j] += p->l2 * theta[j];
        }
        if (hess != NULL) {
            hess[j * n_params + j] += p->l2;
        }
    }
    return total;
}

static double max_abs(const double *v, size_t n)
{
    double top = 0.0;
    for (size_t j = 0; j < n; ++j) {
        top = fmax(top, fabs(v[j]));
    }
    return top;
}

/* Solve A x = b in place (A is n × n, overwritten; b becomes x) by Gaussian
 * elimination with partial pivoting; 0 on success, -1 if A is singular. */
static int solve_dense(double *a, double *b, size_t n)
{
    for (size_t col = 0; col < n; ++col) {
        size_t pivot = col;
        for (size_t r = col + 1; r < n; ++r) {
            if (fabs(a[r * n + col]) > fabs(a[pivot * n + col])) {
                pivot = r;
            }
        }
        if (!(fabs(a[pivot * n + col]) > 1e-300)) {
            return -1;
        }
        for (size_t c = 0; c < n; ++c) {
            const double t = a[col * n + c];
            a[col * n + c] = a[pivot * n + c];
            a[pivot * n + c] = t;
        }
        const double t = b[col];
        b[col] = b[pivot];
        b[pivot] = t;
        for (size_t r = col + 1; r < n; ++r) {
            const double f = a[r * n + col] / a[col * n + col];
            for (size_t c = col; c < n; ++c) {
                a[r * n + c] -= f * a[col * n + c];
            }
            b[r] -= f * b[col];
        }
    }
    for (size_t r = n; r-- > 0;) {
        for (size_t c = r + 1; c < n; ++c) {
            b[r] -= a[r * n + c] * b[c];
        }
        b[r] /= a[r * n + r];
    }
    return 0;
}

/* Damped Newton from θ = 0 to a gradient below 1e-12; L* or NAN on failure.
 * Softmax's Hessian is singular along u = (1, …, 1 | 0) (adding a constant to
 * every intercept changes nothing); the gradient is orthogonal to u, so
 * solving with H + uuᵀ gives the same step. */
static double newton(const problem *p)
{
    const size_t n_params = p->model.n_params;
    double theta[MAX_P] = {0}, grad[MAX_P], step[MAX_P], trial[MAX_P];
    double hess[MAX_P * MAX_P];
    double loss = classifier_objective(p, theta, grad, hess);
    for (int it = 0; it < 200 && max_abs(grad, n_params) > 1e-12; ++it) {
        if (p->kind == SOFTMAX) {
            for (size_t r = 0; r < p->k; ++r) {
                for (size_t c = 0; c < p->k; ++c) {
                    hess[r * n_params + c] += 1.0;
                }
            }
        }
        memcpy(step, grad, n_params * sizeof *step);
        if (solve_dense(hess, step, n_params) != 0) {
            return NAN;
        }
        double t = 1.0, next;
        for (;;) {
            for (size_t j = 0; j < n_params; ++j) {
                trial[j] = theta[j] - t * step[j];
            }
            next = classifier_objective(p, trial, NULL, NULL);
            /* near the optimum a full step's decrease is below L's rounding */
            if (next <= loss || t < 1e-10 || max_abs(grad, n_params) < 1e-6) {
                break;
            }
            t *= 0.5;
        }
        memcpy(theta, trial, n_params * sizeof *theta);
        loss = classifier_objective(p, theta, grad, hess);
    }
    return max_abs(grad, n_params) <= 1e-12 ? loss : NAN;
}

static int load(problem *p, const char *file)
{
    if (ts_load_csv(file, &p->d) != 0) {
        fprintf(stderr, "optim-table: cannot read tests/data/%s\n", file);
        return -1;
    }
    return 0;
}

/* Iris rows of classes 1 and 2 (versicolor, virginica) as labels 0/1. */
static void keep_two_classes(ts_dataset *d)
{
    const size_t m = d->n_features;
    size_t kept = 0;
    for (size_t i = 0; i < d->n_rows; ++i) {
        if (d->y[i] != 0.0) {
            memmove(d->x + kept * m, d->x + i * m, m * sizeof *d->x);
            d->y[kept] = d->y[i] - 1.0;
            kept += 1;
        }
    }
    d->n_rows = kept;
}

/* Build a problem and its optimum L*; 0 on success. */
static int problem_init(problem *p, kind what)
{
    memset(p, 0, sizeof *p);
    p->kind = what;
    gd_status status = GD_OK;
    switch (what) {
    case LINEAR:
        p->name = "linear, diabetes (442 × 10, standardised)";
        if (load(p, "diabetes.csv") != 0) {
            return -1;
        }
        ts_standardize(&p->d);
        status = gd_model_linear(&p->model, p->d.n_features, 0.0);
        break;
    case SOFTMAX:
        p->name = "softmax, iris (150 × 4, 3 classes, standardised, λ = 0.01)";
        p->k = 3;
        p->l2 = 1e-2;
        if (load(p, "iris.csv") != 0) {
            return -1;
        }
        ts_standardize(&p->d);
        status = gd_model_softmax(&p->model, p->d.n_features, p->k, p->l2);
        break;
    case LOGISTIC:
        p->name = "logistic, iris versicolor/virginica (100 × 4, standardised)";
        if (load(p, "iris.csv") != 0) {
            return -1;
        }
        keep_two_classes(&p->d);
        ts_standardize(&p->d);
        status = gd_model_logistic(&p->model, p->d.n_features, 0.0);
        break;
    case ROSENBROCK:
        p->name = "Rosenbrock (a user's model, from (−1.2, 1))";
        status = gd_model_custom(&p->model, 2, rosenbrock, NULL, p);
        p->optimum = 0.0;
        return status == GD_OK ? 0 : -1;
    }
    if (status != GD_OK) {
        return -1;
    }
    gd_data_init(&p->data, p->d.x, p->d.n_rows, p->d.n_features, p->d.y);
    p->fit_data = &p->data;
    const size_t m = p->d.n_features;
    if (what == LINEAR) {
        double theta[MAX_P];
        if (ts_least_squares(p->d.x, p->d.y, p->d.n_rows, m, theta) != 0) {
            return -1;
        }
        p->optimum = ts_linear_objective(p->d.x, m, p->d.y, NULL, p->d.n_rows, m, 0.0, theta,
                                         NULL);
    } else {
        p->optimum = newton(p);
        /* The oracle's objective is the library's (DESIGN §1) at any θ. */
        double probe[MAX_P], mine, library;
        for (size_t j = 0; j < p->model.n_params; ++j) {
            probe[j] = 0.3 * (double)(j % 5) - 0.5;
        }
        mine = classifier_objective(p, probe, NULL, NULL);
        if (gd_objective(&p->model, probe, &p->data, &library) != GD_OK
            || !(fabs(mine - library) <= 1e-12 * fabs(library))) {
            fprintf(stderr, "optim-table: %s: the oracle's objective is not the library's\n",
                    p->name);
            return -1;
        }
    }
    return isfinite(p->optimum) ? 0 : -1;
}

/* ---- the methods ---- */

typedef struct method {
    const char *name;
    gd_optimizer optimizer;
    int line_search;
    const char *colour;
} method;

static const method methods[] = {
    {"gd", GD_OPTIMIZER_GD, 0, "#1f77b4"},
    {"gd + line search", GD_OPTIMIZER_GD, 1, "#aec7e8"},
    {"momentum", GD_OPTIMIZER_MOMENTUM, 0, "#ff7f0e"},
    {"momentum + line search", GD_OPTIMIZER_MOMENTUM, 1, "#ffbb78"},
    {"nesterov", GD_OPTIMIZER_NESTEROV, 0, "#2ca02c"},
    {"nesterov + line search", GD_OPTIMIZER_NESTEROV, 1, "#98df8a"},
    {"adam", GD_OPTIMIZER_ADAM, 0, "#9467bd"},
    {"sgd", GD_OPTIMIZER_SGD, 0, "#8c564b"},
    {"lbfgs", GD_OPTIMIZER_LBFGS, 0, "#d62728"},
};
#define N_METHODS (sizeof methods / sizeof methods[0])
#define SGD_INDEX 7

/* The step sizes tried for every method that takes one (sgd aside): the
 * method's row uses the α of this grid that reached the tolerance in the
 * fewest evaluations (with a line search α is the first trial step). */
static const double rate_grid[] = {10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4, 1e-4};
#define N_RATES (sizeof rate_grid / sizeof rate_grid[0])
#define BUDGET ((size_t)1000000)

/* sgd does not reach a tolerance of 1e-6 (its steps are noisy to the end):
 * hand-picked α per problem (LINEAR, SOFTMAX, LOGISTIC, ROSENBROCK), with
 * batch 16, decay 0.05 and 1000 epochs. */
static const double sgd_rates[4] = {0.03, 0.3, 0.3, 1e-3};

static void method_options(size_t index, double rate, gd_options *options)
{
    const method *how = &methods[index];
    gd_options_init(options);
    options->optimizer = how->optimizer;
    options->line_search = how->line_search;
    options->tolerance = TOLERANCE;
    options->max_iter = BUDGET;
    if (rate > 0.0) {
        options->learning_rate = rate;
    }
    if (how->optimizer == GD_OPTIMIZER_SGD) {
        options->batch_size = 16;
        options->decay = 0.05;
        options->max_epochs = 1000;
        options->seed = 42;
    }
}

/* ---- one fit, traced; then timed ---- */

typedef struct trace {
    size_t *iteration;
    double *loss;
    size_t count;
} trace;

static int record(const gd_progress *progress, void *user)
{
    trace *t = user;
    if (t->count < TRACE_MAX) {
        t->iteration[t->count] = progress->iteration;
        t->loss[t->count] = progress->loss;
        t->count += 1;
    }
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct row {
    gd_status status;
    gd_report report;
    double seconds; /* median */
    size_t runs;
    double gap;     /* (L − L*)/|L*|, or L − L* when L* = 0 */
    int ok;         /* reached L* to the check's accuracy */
} row;

static gd_status fit(problem *p, const gd_options *options, gd_report *report)
{
    double theta[MAX_P] = {-1.2, 1.0};
    p->evaluations = 0;
    return gd_fit(&p->model, p->fit_data, options, theta, report);
}

static double gap_of(const problem *p, double loss)
{
    return p->optimum != 0.0 ? (loss - p->optimum) / fabs(p->optimum) : loss - p->optimum;
}

/* The α of rate_grid that reaches the tolerance in the fewest evaluations;
 * 0 if none does. From the largest down: a run needs no more iterations than
 * the best so far to beat it, and two that do not beat it end the search. */
static double best_rate(problem *p, size_t index)
{
    double best = 0.0;
    size_t best_evaluations = SIZE_MAX, misses = 0;
    for (size_t r = 0; r < N_RATES && misses < 2; ++r) {
        gd_options options;
        method_options(index, rate_grid[r], &options);
        options.init = p->kind == ROSENBROCK ? GD_INIT_GIVEN : GD_INIT_ZERO;
        if (best_evaluations < SIZE_MAX) {
            options.max_iter = best_evaluations;
        }
        gd_report report;
        if (fit(p, &options, &report) == GD_OK && report.stop == GD_STOP_CONVERGED
            && report.evaluations < best_evaluations) {
            best = rate_grid[r];
            best_evaluations = report.evaluations;
            misses = 0;
        } else if (best > 0.0) {
            misses += 1;
        }
    }
    return best;
}

static int run(problem *p, size_t index, double rate, trace *t, row *out)
{
    gd_options options;
    method_options(index, rate, &options);
    if (p->kind == ROSENBROCK) {
        options.init = GD_INIT_GIVEN;
    }
    /* The traced fit. */
    gd_options traced = options;
    traced.callback = record;
    traced.callback_user = t;
    t->count = 0;
    out->status = fit(p, &traced, &out->report);
    if (t->count == TRACE_MAX) {
        fprintf(stderr, "optim-table: %s: only the first %d iterations are drawn\n",
                methods[index].name, TRACE_MAX);
    }
    if (p->kind == ROSENBROCK && p->evaluations != out->report.evaluations) {
        fprintf(stderr, "optim-table: %s: report.evaluations %zu, calls counted %zu\n",
                methods[index].name, out->report.evaluations, p->evaluations);
        return -1;
    }
    /* The timed fits, without a callback. */
    double seconds[MAX_RUNS], total = 0.0;
    size_t runs = 0;
    while (runs < MAX_RUNS && (runs < MIN_RUNS || total < MIN_SECONDS)) {
        gd_report report;
        if (fit(p, &options, &report) != out->status
            || report.iterations != out->report.iterations) {
            fprintf(stderr, "optim-table: %s: a repeated fit differs\n", methods[index].name);
            return -1;
        }
        seconds[runs++] = report.seconds;
        total += report.seconds;
    }
    qsort(seconds, runs, sizeof *seconds, compare_doubles);
    out->seconds = seconds[runs / 2];
    out->runs = runs;
    out->gap = gap_of(p, out->report.loss);
    out->ok = out->status == GD_OK && out->report.stop == GD_STOP_CONVERGED
              && fabs(out->gap) < (p->optimum != 0.0 ? 1e-6 : 1e-10);
    return 0;
}

/* ---- the figure: log-log, L − L* against the iteration ---- */

#define SVG_W 800.0
#define SVG_H 500.0
#define LEFT 70.0
#define RIGHT 240.0
#define TOP 40.0
#define BOTTOM 50.0
#define GAP_FLOOR 1e-16

static double to_px(double v, double lo, double hi, double p0, double p1)
{
    return p0 + (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) * (p1 - p0);
}

static int write_figure(const char *path, const problem *p, trace *const traces,
                        const row *rows)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t x_hi = 10;
    for (size_t k = 0; k < N_METHODS; ++k) {
        const trace *t = &traces[k];
        if (t->count > 0 && t->iteration[t->count - 1] > x_hi) {
            x_hi = t->iteration[t->count - 1];
        }
    }
    double y_hi = 1.0, y_lo = 1.0;
    for (size_t k = 0; k < N_METHODS; ++k) {
        for (size_t i = 0; i < traces[k].count; ++i) {
            const double g = gap_of(p, traces[k].loss[i]);
            y_hi = fmax(y_hi, g);
            y_lo = fmin(y_lo, fmax(g, GAP_FLOOR));
        }
    }
    const double xmax = pow(10.0, ceil(log10((double)x_hi)));
    const double ymax = pow(10.0, ceil(log10(y_hi)));
    /* an even decade at or below the smallest gap, so the ticks (every two
     * decades) start at the bottom edge */
    const double ymin = pow(10.0, 2.0 * floor(log10(y_lo) / 2.0));
    const double x0 = LEFT, x1 = SVG_W - RIGHT, y0 = SVG_H - BOTTOM, y1 = TOP;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    fprintf(f, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n",
            (x0 + x1) / 2.0, p->name);
    /* grid and ticks: decades */
    for (double v = 1.0; v <= xmax * 1.0001; v *= 10.0) {
        const double x = to_px(v, 1.0, xmax, x0, x1);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                x, y0, x, y1, x, y0 + 16.0, v);
    }
    for (double e = log10(ymin); e <= log10(ymax) + 1e-9; e += 2.0) { /* 1e-16, 1e-14, … */
        const double y = to_px(pow(10.0, e), ymin, ymax, y0, y1);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n",
                x0, y, x1, y, x0 - 6.0, y + 4.0, (int)lround(e));
    }
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"black\"/>\n",
            x0, y1, x1 - x0, y0 - y1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">iteration</text>\n",
            (x0 + x1) / 2.0, SVG_H - 12.0);
    fprintf(f,
            "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">"
            "%s</text>\n",
            (y0 + y1) / 2.0, (y0 + y1) / 2.0,
            p->optimum != 0.0 ? "(L − L*) / |L*|" : "L − L*");
    for (size_t k = 0; k < N_METHODS; ++k) {
        const trace *t = &traces[k];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                methods[k].colour);
        /* iteration 0 is off a log axis; beyond it, one point per 1 % of
         * the iteration count is plenty at this size */
        double next = 1.0;
        for (size_t i = 0; i < t->count; ++i) {
            const double it = (double)t->iteration[i];
            if (it < 1.0 || (it < next && i + 1 < t->count)) {
                continue;
            }
            next = it * 1.01;
            const double g = fmax(gap_of(p, t->loss[i]), ymin);
            fprintf(f, "%.1f,%.1f ", to_px(it, 1.0, xmax, x0, x1),
                    to_px(fmin(g, ymax), ymin, ymax, y0, y1));
        }
        fprintf(f, "\"/>\n");
        const double ly = y1 + 14.0 + 18.0 * (double)k;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"3\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\">%s (%zu)</text>\n",
                x1 + 12.0, ly - 4.0, x1 + 32.0, ly - 4.0, methods[k].colour, x1 + 38.0, ly,
                methods[k].name, rows[k].report.iterations);
    }
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">(iterations to "
            "max|∂L/∂θ| &lt; %g;</text>\n"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">sgd: updates, "
            "drawn per epoch;</text>\n"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">values below %g "
            "drawn at %g)</text>\n",
            x1 + 12.0, y1 + 18.0 * (double)N_METHODS + 20.0, TOLERANCE, x1 + 12.0,
            y1 + 18.0 * (double)N_METHODS + 35.0, x1 + 12.0,
            y1 + 18.0 * (double)N_METHODS + 50.0, ymin, ymin);
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

/* ---- main ---- */

static const char *stop_text(const row *r)
{
    return r->status == GD_OK ? gd_stop_name(r->report.stop) : gd_strerror(r->status);
}

int main(int argc, char **argv)
{
    const char *figure_dir = argc > 1 ? argv[1] : NULL;
    static trace traces[N_METHODS];
    for (size_t k = 0; k < N_METHODS; ++k) {
        traces[k].iteration = malloc(TRACE_MAX * sizeof *traces[k].iteration);
        traces[k].loss = malloc(TRACE_MAX * sizeof *traces[k].loss);
        if (traces[k].iteration == NULL || traces[k].loss == NULL) {
            fprintf(stderr, "optim-table: out of memory\n");
            return 1;
        }
    }
    int failures = 0;
    printf("Tolerance: max |∂L/∂θⱼ| < %g; θ₀ = 0 (Rosenbrock: (−1.2, 1)); time: median of "
           "%d to %d fits (report.seconds).\n",
           TOLERANCE, MIN_RUNS, MAX_RUNS);
    printf("gdlearn %s.\n", gd_version());
    const kind order[] = {LINEAR, SOFTMAX, LOGISTIC, ROSENBROCK};
    for (size_t q = 0; q < sizeof order / sizeof order[0]; ++q) {
        problem p;
        if (problem_init(&p, order[q]) != 0) {
            fprintf(stderr, "optim-table: could not set up problem %zu\n", q);
            return 1;
        }
        printf("\n**%s** — L* = %.15g\n\n", p.name, p.optimum);
        printf("| method | α | iterations | evaluations | time | L | gap | stop |\n");
        printf("|---|--:|--:|--:|--:|--:|--:|---|\n");
        row rows[N_METHODS];
        for (size_t k = 0; k < N_METHODS; ++k) {
            double rate = 0.0;
            if (methods[k].optimizer == GD_OPTIMIZER_SGD) {
                rate = sgd_rates[p.kind];
            } else if (methods[k].optimizer != GD_OPTIMIZER_LBFGS) {
                rate = best_rate(&p, k);
                if (rate == 0.0) {
                    fprintf(stderr, "optim-table: %s, %s: no α of the grid converges\n",
                            p.name, methods[k].name);
                    failures += 1;
                    rate = 0.01;
                }
            }
            if (run(&p, k, rate, &traces[k], &rows[k]) != 0) {
                return 1;
            }
            const row *r = &rows[k];
            char rate_text[32];
            snprintf(rate_text, sizeof rate_text, rate > 0.0 ? "%g" : "—", rate);
            printf("| %s | %s | %zu | %zu | %.3g ms | %.10g | %.1e | %s |\n", methods[k].name,
                   rate_text, r->report.iterations, r->report.evaluations, 1e3 * r->seconds,
                   r->report.loss, r->gap, stop_text(r));
            /* sgd is not held to the optimum: it stops by its epoch budget */
            if (!r->ok && k != SGD_INDEX) {
                fprintf(stderr, "optim-table: %s, %s: did not reach L* (gap %.3g, %s)\n",
                        p.name, methods[k].name, r->gap, stop_text(r));
                failures += 1;
            }
        }
        /* What a user who does not tune α gets from the seed's method. */
        gd_options plain;
        method_options(0, 0.0, &plain);
        plain.init = p.kind == ROSENBROCK ? GD_INIT_GIVEN : GD_INIT_ZERO;
        gd_report report;
        const gd_status status = fit(&p, &plain, &report);
        printf("\ngd with the default α = %g: %zu iterations, %.3g ms, gap %.1e, %s.\n",
               plain.learning_rate, report.iterations, 1e3 * report.seconds,
               gap_of(&p, report.loss),
               status == GD_OK ? gd_stop_name(report.stop) : gd_strerror(status));
        if (figure_dir != NULL && (p.kind == SOFTMAX || p.kind == LINEAR)) {
            char path[4096];
            snprintf(path, sizeof path, "%s/optimizers_%s.svg", figure_dir,
                     p.kind == SOFTMAX ? "softmax" : "diabetes");
            if (write_figure(path, &p, traces, rows) != 0) {
                failures += 1;
            }
        }
        ts_free_dataset(&p.d);
    }
    for (size_t k = 0; k < N_METHODS; ++k) {
        free(traces[k].iteration);
        free(traces[k].loss);
    }
    return failures == 0 ? 0 : 1;
}
