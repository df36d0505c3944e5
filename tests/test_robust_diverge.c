/* A step size far too large (issue 6, part 3), on every model (linear,
 * logistic, softmax, and a user's) with every method. DESIGN §3: "θ never
 * holds NaN/Inf: a diverging fit stops with its own status and keeps the last
 * finite iterate". Every case asserts which of these it gives:
 *
 *   DIVERGED   GD_ERR_DIVERGED, report->stop = diverged: the objective or
 *              gradient became non-finite, or (logistic and softmax, whose
 *              gradients are bounded by max|x|, so that θ grows at most
 *              linearly in α and the objective never overflows) the
 *              objective stayed above its start for 1000 iterations in a row;
 *   RESCUED    GD_OK, converged, to the optimum L-BFGS finds (the line
 *              search shrinks the step; L-BFGS ignores α; Adam's normalised
 *              step on a quadratic);
 *   NO_STEP    GD_ERR_LINE_SEARCH at iteration 0: α is beyond what the
 *              Armijo search can halve back (2⁵⁰), θ is the start;
 *   BOUNCES    GD_OK, stop = max_iter, with a finite objective far above the
 *              start (no case gives it since the run-away rule: asserted
 *              away);
 * and in every case θ is finite and the report describes it: report->loss
 * and grad_max are the objective and gradient max-norm at the returned θ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

#define N_ROWS 60
#define N_FEATURES 3
#define N_CLASSES 3
#define MAX_PARAMS ((N_FEATURES + 1) * N_CLASSES)

typedef enum outcome { DIVERGED, RESCUED, NO_STEP, BOUNCES } outcome;
static const char *const outcome_names[] = {"diverged", "rescued", "no step", "bounces"};

typedef enum model_choice { LINEAR, LOGISTIC, SOFTMAX, CUSTOM, N_MODELS } model_choice;
static const char *const model_names[N_MODELS] = {"linear", "logistic", "softmax", "custom"};

typedef struct method {
    const char *name;
    gd_optimizer optimizer;
    int line_search;
} method;

static const method methods[] = {
    {"gd", GD_OPTIMIZER_GD, 0},
    {"momentum", GD_OPTIMIZER_MOMENTUM, 0},
    {"nesterov", GD_OPTIMIZER_NESTEROV, 0},
    {"adam", GD_OPTIMIZER_ADAM, 0},
    {"sgd", GD_OPTIMIZER_SGD, 0},
    {"gd --line-search", GD_OPTIMIZER_GD, 1},
    {"momentum --line-search", GD_OPTIMIZER_MOMENTUM, 1},
    {"nesterov --line-search", GD_OPTIMIZER_NESTEROV, 1},
    {"lbfgs", GD_OPTIMIZER_LBFGS, 0},
};
#define N_METHODS (sizeof methods / sizeof methods[0])

#define ALPHA_LARGE 1e4     /* too large by ~10⁶ for these data */
#define ALPHA_OVERFLOW 1e306 /* one step of it overflows θ or the objective */

static int model_is_bounded(model_choice model)
{
    return model == LOGISTIC || model == SOFTMAX;
}

/* The outcome each case gives, and why. */
static outcome expected_outcome(model_choice model, const method *m, double alpha)
{
    if (m->optimizer == GD_OPTIMIZER_LBFGS) {
        return RESCUED; /* no step size: its Wolfe search starts from 1 */
    }
    if (m->line_search) {
        return alpha == ALPHA_LARGE ? RESCUED : NO_STEP;
    }
    if (alpha == ALPHA_OVERFLOW) {
        return DIVERGED;
    }
    /* α = 10⁴: the quadratic objectives (linear, the custom bowl) blow up
     * geometrically, except under Adam, whose step is about α per coordinate
     * and shrinks as its moments see the gradient's sign flip. */
    if (model == LINEAR || model == CUSTOM) {
        return m->optimizer == GD_OPTIMIZER_ADAM ? RESCUED : DIVERGED;
    }
    return DIVERGED; /* logistic, softmax: by the run-away rule (optim.h) */
}

/* ---- problems ---- */

typedef struct problem {
    double x[N_ROWS * N_FEATURES];
    double y_linear[N_ROWS];
    double y_binary[N_ROWS];
    double y_class[N_ROWS];
} problem;

static void problem_init(problem *p)
{
    for (size_t i = 0; i < N_ROWS; ++i) {
        const double t = (double)i;
        for (size_t j = 0; j < N_FEATURES; ++j) {
            /* scales 10 and 50: a step of α·∇L lands far off */
            p->x[i * N_FEATURES + j] = 10.0 * sin(1.3 * t + 2.1 * (double)j) + (j == 2 ? 50.0 : 0.0);
        }
        const double *row = p->x + i * N_FEATURES;
        p->y_linear[i] = row[0] - 2.0 * row[1] + 3.0;
        /* noisy labels: not separable, so the optimum is finite */
        p->y_binary[i] = row[0] + 0.3 * row[1] + 8.0 * sin(7.7 * t) > 0.0 ? 1.0 : 0.0;
        p->y_class[i] = (double)(i % N_CLASSES);
    }
}

/* L(θ) = ½ Σ c_j (θ_j − j)², c_j = j + 1: curvature up to 4. */
static gd_status bowl(const gd_model *self, const double *theta, const gd_data *data,
                      double *loss, double *grad, double *work)
{
    (void)data;
    (void)work;
    double sum = 0.0;
    for (size_t j = 0; j < self->n_params; ++j) {
        const double c = (double)(j + 1);
        const double d = theta[j] - (double)j;
        sum += 0.5 * c * d * d;
        if (grad != NULL) {
            grad[j] = c * d;
        }
    }
    *loss = sum;
    return GD_OK;
}

static void make_case(const problem *p, model_choice which, gd_model *model, gd_data *data,
                      const gd_data **view)
{
    *view = data;
    switch (which) {
    case LINEAR:
        assert_int_equal(gd_model_linear(model, N_FEATURES, 0.0), GD_OK);
        gd_data_init(data, p->x, N_ROWS, N_FEATURES, p->y_linear);
        break;
    case LOGISTIC:
        assert_int_equal(gd_model_logistic(model, N_FEATURES, 0.0), GD_OK);
        gd_data_init(data, p->x, N_ROWS, N_FEATURES, p->y_binary);
        break;
    case SOFTMAX:
        assert_int_equal(gd_model_softmax(model, N_FEATURES, N_CLASSES, 0.0), GD_OK);
        gd_data_init(data, p->x, N_ROWS, N_FEATURES, p->y_class);
        break;
    default:
        assert_int_equal(gd_model_custom(model, 4, bowl, NULL, NULL), GD_OK);
        *view = NULL; /* reads no data */
        break;
    }
}

static int all_finite(const double *v, size_t n)
{
    for (size_t j = 0; j < n; ++j) {
        if (!isfinite(v[j])) {
            return 0;
        }
    }
    return 1;
}

/* The objective at θ, evaluated afresh (gd_objective). */
static double objective_at(const gd_model *model, const gd_data *data, const double *theta)
{
    double loss = NAN;
    assert_int_equal(gd_objective(model, theta, data, &loss), GD_OK);
    return loss;
}

static void check_case(const problem *p, model_choice which, const method *m, double alpha)
{
    gd_model model;
    gd_data data;
    const gd_data *view;
    make_case(p, which, &model, &data, &view);
    const size_t n = model.n_params;
    char what[160];
    snprintf(what, sizeof what, "%s × %s × α = %g", model_names[which], m->name, alpha);

    gd_options options;
    gd_options_init(&options);
    options.optimizer = m->optimizer;
    options.line_search = m->line_search;
    options.learning_rate = alpha;
    /* sgd is checked once per epoch (4 updates here): the run-away rule needs
     * 1000 epochs. */
    options.max_iter = m->optimizer == GD_OPTIMIZER_SGD ? 5000 : 3000;
    options.batch_size = 16;
    double start[MAX_PARAMS] = {0.0};
    if (which == CUSTOM) {
        const double given[4] = {1.0, -1.0, 2.0, 0.5};
        memcpy(start, given, sizeof given);
        options.init = GD_INIT_GIVEN;
    }
    const double start_loss = objective_at(&model, view, start);

    /* The optimum, by L-BFGS from the same start. */
    gd_options reference = options;
    reference.optimizer = GD_OPTIMIZER_LBFGS;
    reference.line_search = 0;
    reference.tolerance = 1e-9;
    double best[MAX_PARAMS];
    memcpy(best, start, sizeof best);
    gd_report best_report;
    assert_int_equal(gd_fit(&model, view, &reference, best, &best_report), GD_OK);
    assert_int_equal(best_report.stop, GD_STOP_CONVERGED);

    double theta[MAX_PARAMS];
    memcpy(theta, start, sizeof theta);
    gd_report report;
    const gd_status status = gd_fit(&model, view, &options, theta, &report);
    const outcome want = expected_outcome(which, m, alpha);
    outcome got;
    if (status == GD_ERR_DIVERGED && report.stop == GD_STOP_DIVERGED) {
        got = DIVERGED;
    } else if (status == GD_ERR_LINE_SEARCH && report.stop == GD_STOP_LINE_SEARCH
               && report.iterations == 0) {
        got = NO_STEP;
    } else if (status == GD_OK && report.stop == GD_STOP_CONVERGED) {
        got = RESCUED;
    } else if (status == GD_OK && report.stop == GD_STOP_MAX_ITER) {
        got = BOUNCES;
    } else {
        fail_msg("%s: %s, stop %s", what, gd_strerror(status), gd_stop_name(report.stop));
        return;
    }
    if (got != want) {
        fail_msg("%s: %s (%s, stop %s, %zu iterations, loss %g), expected %s", what,
                 outcome_names[got], gd_strerror(status), gd_stop_name(report.stop),
                 report.iterations, report.loss, outcome_names[want]);
    }

    /* Whatever happened: θ finite, and the report describes it. */
    if (!all_finite(theta, n)) {
        fail_msg("%s: θ not finite", what);
    }
    assert_true(isfinite(report.loss));
    assert_true(isfinite(report.grad_max));
    const double loss = objective_at(&model, view, theta);
    if (!(ts_rel_diff(report.loss, loss) <= 1e-12)) {
        fail_msg("%s: report.loss %.17g, objective at θ %.17g", what, report.loss, loss);
    }

    switch (got) {
    case DIVERGED:
        /* The last finite iterate: never worse than garbage, but finite;
         * stopping at the start (a first step that overflows) keeps it. */
        if (report.iterations == 0) {
            assert_memory_equal(theta, start, n * sizeof *theta);
        }
        /* Stopped by the run-away rule: finite, and as far above the start
         * as it was for the last 1000 iterations. */
        if (model_is_bounded(which) && alpha == ALPHA_LARGE) {
            assert_int_equal(report.iterations,
                             m->optimizer == GD_OPTIMIZER_SGD ? 4 * 1000 : 1000);
            assert_true(report.loss > 100.0 * start_loss);
        }
        break;
    case NO_STEP:
        assert_memory_equal(theta, start, n * sizeof *theta);
        assert_true(report.loss == start_loss);
        break;
    case RESCUED:
        assert_true(report.grad_max < options.tolerance);
        if (!(fabs(loss - best_report.loss) <= 1e-6 * fmax(1.0, fabs(best_report.loss)))) {
            fail_msg("%s: rescued to L = %.17g, optimum %.17g", what, loss, best_report.loss);
        }
        break;
    case BOUNCES:
        /* A usable status for a useless θ: documented, and visible in the
         * report (far above where it started). */
        assert_int_equal(report.iterations, options.max_iter);
        assert_true(report.loss > 100.0 * start_loss);
        break;
    }
}

static void test_robust_diverge__huge_step_on_every_model_and_method(void **state)
{
    (void)state;
    problem *p = malloc(sizeof *p);
    assert_non_null(p);
    problem_init(p);
    static const double alphas[] = {ALPHA_LARGE, ALPHA_OVERFLOW};
    for (int which = 0; which < N_MODELS; ++which) {
        for (size_t k = 0; k < N_METHODS; ++k) {
            for (size_t a = 0; a < 2; ++a) {
                check_case(p, (model_choice)which, &methods[k], alphas[a]);
            }
        }
    }
    free(p);
}

/* A user's model whose objective turns NaN (not Inf) away from its domain,
 * or whose gradient alone overflows: both are divergence, at the last
 * finite iterate. */
typedef struct trap {
    int nan_loss; /* 1: L = NaN beyond |θ| > 10; 0: ∇L = ±Inf there */
} trap;

static gd_status trapped_bowl(const gd_model *self, const double *theta, const gd_data *data,
                              double *loss, double *grad, double *work)
{
    const trap *t = self->ctx;
    gd_status status = bowl(self, theta, data, loss, grad, work);
    for (size_t j = 0; j < self->n_params; ++j) {
        if (fabs(theta[j]) > 10.0) {
            if (t->nan_loss) {
                *loss = NAN;
            } else if (grad != NULL) {
                grad[j] = theta[j] > 0.0 ? INFINITY : -INFINITY;
            }
        }
    }
    return status;
}

static void test_robust_diverge__nan_objective_or_inf_gradient_keeps_the_last_finite_theta(
    void **state)
{
    (void)state;
    for (int nan_loss = 0; nan_loss < 2; ++nan_loss) {
        trap t = {nan_loss};
        gd_model model;
        assert_int_equal(gd_model_custom(&model, 4, trapped_bowl, NULL, &t), GD_OK);
        for (size_t k = 0; k < N_METHODS; ++k) {
            if (methods[k].line_search || methods[k].optimizer == GD_OPTIMIZER_LBFGS) {
                continue; /* they reject such trial points; see the case above */
            }
            gd_options options;
            gd_options_init(&options);
            options.optimizer = methods[k].optimizer;
            options.learning_rate = 1.2; /* αc = 4.8 for c = 4: unstable for all three */
            options.init = GD_INIT_GIVEN;
            double theta[4] = {0.5, 1.5, 2.5, 3.5};
            gd_report report;
            const gd_status status = gd_fit(&model, NULL, &options, theta, &report);
            if (methods[k].optimizer == GD_OPTIMIZER_ADAM) {
                /* Adam's steps are ~α per coordinate: it never leaves |θ| ≤ 10. */
                assert_int_equal(status, GD_OK);
                continue;
            }
            if (status != GD_ERR_DIVERGED) {
                fail_msg("%s, %s: %s", methods[k].name, nan_loss ? "NaN loss" : "Inf gradient",
                         gd_strerror(status));
            }
            assert_int_equal(report.stop, GD_STOP_DIVERGED);
            assert_true(report.iterations > 0);
            for (size_t j = 0; j < 4; ++j) {
                assert_true(fabs(theta[j]) <= 10.0); /* the last iterate inside */
            }
            assert_true(isfinite(report.loss));
            assert_true(isfinite(report.grad_max));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_diverge__huge_step_on_every_model_and_method),
        cmocka_unit_test(test_robust_diverge__nan_objective_or_inf_gradient_keeps_the_last_finite_theta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
