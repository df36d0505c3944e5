/* gd_fit with the seed's gradient descent on the diabetes data, against
 * closed-form (weighted, ridge) least squares from LAPACK, against gradient
 * descent steps written out in the test, and every stopping rule.
 *
 * "Relative error" of a coefficient vector here is
 *     max_j |θ_j − θ*_j| / max(|θ*_j|, 1e-3·max_k |θ*_k|):
 * plain relative error per coefficient, except that a coefficient a thousand
 * times smaller than the largest is measured against that floor, so a
 * near-zero optimum does not demand more digits than the problem has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"
#include "ts_assert.h"

#define MAX_PARAMS 11 /* diabetes: 10 features + intercept */
#define BMI ((size_t)2)

static double max_abs(const double *v, size_t n)
{
    double worst = 0.0;
    for (size_t j = 0; j < n; ++j) {
        worst = fmax(worst, fabs(v[j]));
    }
    return worst;
}

static void load_diabetes(ts_dataset *d, int one_feature, int standardize)
{
    assert_int_equal(ts_load_csv("diabetes.csv", d), 0);
    assert_int_equal(d->n_rows, 442);
    assert_int_equal(d->n_features, 10);
    if (one_feature) {
        const size_t bmi = BMI;
        ts_select_features(d, &bmi, 1);
    }
    if (standardize) {
        ts_standardize(d);
    }
}

/* Fit and compare with LAPACK: coefficients and objective to 1e-6. */
static void check_against_least_squares(const ts_dataset *d, const double *weights, double l2,
                                        double learning_rate)
{
    const size_t m = d->n_features, n_params = m + 1;
    double reference[MAX_PARAMS];
    assert_int_equal(
        ts_ridge_least_squares(d->x, m, d->y, weights, d->n_rows, m, l2, reference), 0);

    gd_model model;
    assert_int_equal(gd_model_linear(&model, m, l2), GD_OK);
    gd_data data;
    gd_data_init(&data, d->x, d->n_rows, m, d->y);
    data.weights = weights;
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD; /* the seed's fixed-step descent */
    options.learning_rate = learning_rate;
    /* coefficient error ≲ ε / (smallest Hessian eigenvalue ≈ 0.0086 on all ten
     * standardised features): 1e-10 leaves two orders of margin. */
    options.tolerance = 1e-10;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(report.iterations > 0);
    assert_true(report.evaluations >= report.iterations);
    assert_below(report.grad_max, 1e-10);

    assert_below(ts_coefficient_error(theta, reference, n_params), 1e-6);
    double optimum = ts_linear_objective(d->x, m, d->y, weights, d->n_rows, m, l2, reference,
                                         NULL);
    assert_below(ts_rel_diff(report.loss, optimum), 1e-6);
    /* The optimum is a minimum: GD may tie it but cannot beat it by more than rounding. */
    assert_true(report.loss >= optimum * (1.0 - 1e-12));

    /* The report describes the θ returned. */
    double objective = NAN;
    assert_int_equal(gd_objective(&model, theta, &data, &objective), GD_OK);
    assert_below(ts_rel_diff(report.loss, objective), 1e-14);
    double grad[MAX_PARAMS];
    ts_linear_objective(d->x, m, d->y, weights, d->n_rows, m, l2, theta, grad);
    /* At the optimum the gradient is all cancellation: compare absolutely. */
    assert_below(fabs(max_abs(grad, n_params) - report.grad_max), 1e-11);
}

static void test_fit__one_feature_reaches_least_squares(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 1, 1);
    check_against_least_squares(&d, NULL, 0.0, 0.5);
    ts_free_dataset(&d);
}

/* All ten features: s1, s2 and s5 nearly collinear (condition number ≈ 470
 * after standardising); α = 0.4 < 2/λ_max (λ_max ≈ 4.02). */
static void test_fit__ten_features_reach_least_squares(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 0, 1);
    check_against_least_squares(&d, NULL, 0.0, 0.4);
    ts_free_dataset(&d);
}

static void test_fit__ridge_matches_closed_form(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 0, 1);
    check_against_least_squares(&d, NULL, 0.1, 0.4);
    check_against_least_squares(&d, NULL, 2.0, 0.3);

    /* λ must change the answer (the oracle is not ignoring it). */
    double plain[MAX_PARAMS], ridge[MAX_PARAMS];
    assert_int_equal(ts_ridge_least_squares(d.x, 10, d.y, NULL, d.n_rows, 10, 0.0, plain), 0);
    assert_int_equal(ts_ridge_least_squares(d.x, 10, d.y, NULL, d.n_rows, 10, 0.1, ridge), 0);
    assert_true(ts_coefficient_error(ridge, plain, 11) > 1e-3);
    /* The intercept is not penalised: on centred features it stays the mean of y. */
    assert_below(ts_rel_diff(ridge[0], plain[0]), 1e-12);
    ts_free_dataset(&d);
}

static void test_fit__weights_give_weighted_least_squares(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 0, 1);
    double *weights = malloc(d.n_rows * sizeof *weights);
    assert_non_null(weights);
    ts_rng rng;
    ts_rng_seed(&rng, 2024);
    for (size_t i = 0; i < d.n_rows; ++i) {
        weights[i] = ts_rng_uniform(&rng, 0.2, 2.0);
    }
    weights[5] = 0.0; /* a zero weight is allowed: the row drops out */
    check_against_least_squares(&d, weights, 0.0, 0.3);
    check_against_least_squares(&d, weights, 0.5, 0.3);
    free(weights);
    ts_free_dataset(&d);
}

/* Weight 2 on a row is the same objective as that row twice. */
static void test_fit__weight_two_equals_duplicated_row(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 0, 1);
    const size_t n = d.n_rows, m = d.n_features, twice = 17;
    double *weights = malloc(n * sizeof *weights);
    double *x2 = malloc((n + 1) * m * sizeof *x2);
    double *y2 = malloc((n + 1) * sizeof *y2);
    assert_non_null(weights);
    assert_non_null(x2);
    assert_non_null(y2);
    for (size_t i = 0; i < n; ++i) {
        weights[i] = i == twice ? 2.0 : 1.0;
    }
    memcpy(x2, d.x, n * m * sizeof *x2);
    memcpy(x2 + n * m, d.x + twice * m, m * sizeof *x2);
    memcpy(y2, d.y, n * sizeof *y2);
    y2[n] = d.y[twice];

    gd_model model;
    assert_int_equal(gd_model_linear(&model, m, 0.05), GD_OK);
    gd_data weighted, duplicated;
    gd_data_init(&weighted, d.x, n, m, d.y);
    weighted.weights = weights;
    gd_data_init(&duplicated, x2, n + 1, m, y2);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.4;
    options.tolerance = 1e-10;
    double theta_w[MAX_PARAMS], theta_d[MAX_PARAMS];
    gd_report report_w, report_d;
    assert_int_equal(gd_fit(&model, &weighted, &options, theta_w, &report_w), GD_OK);
    assert_int_equal(gd_fit(&model, &duplicated, &options, theta_d, &report_d), GD_OK);
    assert_int_equal(report_w.stop, GD_STOP_CONVERGED);
    assert_int_equal(report_d.stop, GD_STOP_CONVERGED);
    assert_below(ts_coefficient_error(theta_w, theta_d, m + 1), 1e-9);
    assert_below(ts_rel_diff(report_w.loss, report_d.loss), 1e-12);

    /* And the objectives agree at any θ, not only at the optimum. */
    double any[MAX_PARAMS], loss_w, loss_d;
    for (size_t j = 0; j <= m; ++j) {
        any[j] = (double)j - 3.5;
    }
    assert_int_equal(gd_objective(&model, any, &weighted, &loss_w), GD_OK);
    assert_int_equal(gd_objective(&model, any, &duplicated, &loss_d), GD_OK);
    assert_below(ts_rel_diff(loss_w, loss_d), 1e-13);
    free(weights);
    free(x2);
    free(y2);
    ts_free_dataset(&d);
}

/* A callback that records what it saw and stops at a chosen iteration. */
#define HISTORY 64
typedef struct recorder {
    size_t stop_at; /* SIZE_MAX: never stop */
    size_t calls;
    size_t iteration[HISTORY];
    double loss[HISTORY];
    double grad_max[HISTORY];
    double step[HISTORY];
    double theta[HISTORY][MAX_PARAMS];
    size_t n_params;
} recorder;

static int record(const gd_progress *progress, void *user)
{
    recorder *r = user;
    size_t k = r->calls < HISTORY ? r->calls : HISTORY - 1;
    r->iteration[k] = progress->iteration;
    r->loss[k] = progress->loss;
    r->grad_max[k] = progress->grad_max;
    r->step[k] = progress->step;
    memcpy(r->theta[k], progress->theta, r->n_params * sizeof(double));
    r->calls += 1;
    return progress->iteration == r->stop_at;
}

/* Shared set-up: standardised diabetes, all features, linear, λ = 0.01. */
typedef struct problem {
    ts_dataset d;
    gd_model model;
    gd_data data;
    gd_options options;
    size_t n_params;
} problem;

static void problem_init(problem *p, int standardize)
{
    load_diabetes(&p->d, 0, standardize);
    assert_int_equal(gd_model_linear(&p->model, 10, 0.01), GD_OK);
    gd_data_init(&p->data, p->d.x, p->d.n_rows, 10, p->d.y);
    gd_options_init(&p->options);
    p->options.optimizer = GD_OPTIMIZER_GD; /* manual_descent is its oracle */
    p->options.learning_rate = 0.2;
    p->n_params = 11;
}

/* θ after k gradient-descent steps from θ₀, written out with the loop oracle. */
static void manual_descent(const problem *p, double *theta, size_t steps)
{
    double grad[MAX_PARAMS];
    for (size_t k = 0; k < steps; ++k) {
        ts_linear_objective(p->d.x, 10, p->d.y, NULL, p->d.n_rows, 10, p->model.l2, theta, grad);
        for (size_t j = 0; j < p->n_params; ++j) {
            theta[j] -= p->options.learning_rate * grad[j];
        }
    }
}

static void test_fit__max_iter_stops_after_exactly_that_many_steps(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    p.options.max_iter = 10;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_ITER);
    assert_int_equal(report.iterations, 10);
    assert_int_equal(report.struct_size, sizeof(gd_report));
    assert_true(report.seconds >= 0.0);

    double expected[MAX_PARAMS] = {0};
    manual_descent(&p, expected, 10);
    assert_below(ts_coefficient_error(theta, expected, p.n_params), 1e-12);

    /* loss and grad_max are those of the returned θ (the gradient is far
     * from zero here, so relative agreement is meaningful). */
    double objective, grad[MAX_PARAMS];
    assert_int_equal(gd_objective(&p.model, theta, &p.data, &objective), GD_OK);
    assert_below(ts_rel_diff(report.loss, objective), 1e-14);
    ts_linear_objective(p.d.x, 10, p.d.y, NULL, p.d.n_rows, 10, p.model.l2, theta, grad);
    assert_below(ts_rel_diff(report.grad_max, max_abs(grad, p.n_params)), 1e-12);
    ts_free_dataset(&p.d);
}

static void test_fit__callback_stops_at_the_iteration_it_chose(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->stop_at = 7;
    r->n_params = p.n_params;
    p.options.callback = record;
    p.options.callback_user = r;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CALLBACK);
    assert_int_equal(report.iterations, 7);
    assert_int_equal(r->calls, 8); /* iterations 0 … 7 */

    double expected[MAX_PARAMS] = {0};
    for (size_t k = 0; k < r->calls; ++k) {
        assert_int_equal(r->iteration[k], k);
        /* What the callback sees is consistent: θ, its loss and gradient. */
        if (k == 0) {
            assert_memory_equal(r->theta[0], expected, p.n_params * sizeof(double));
        } else {
            assert_below(ts_coefficient_error(r->theta[k], expected, p.n_params), 1e-12);
        }
        double grad[MAX_PARAMS];
        double loss = ts_linear_objective(p.d.x, 10, p.d.y, NULL, p.d.n_rows, 10, p.model.l2,
                                          r->theta[k], grad);
        assert_below(ts_rel_diff(r->loss[k], loss), 1e-12);
        assert_below(ts_rel_diff(r->grad_max[k], max_abs(grad, p.n_params)), 1e-12);
        assert_true(r->step[k] == (k == 0 ? 0.0 : p.options.learning_rate));
        if (k > 0) {
            assert_true(r->loss[k] < r->loss[k - 1]); /* a descent method descends */
        }
        manual_descent(&p, expected, 1);
    }
    assert_memory_equal(theta, r->theta[7], p.n_params * sizeof(double));

    /* Stopping at 7 by callback leaves the same θ as max_iter = 7. */
    gd_options plain = p.options;
    plain.callback = NULL;
    plain.max_iter = 7;
    double theta_max_iter[MAX_PARAMS];
    assert_int_equal(gd_fit(&p.model, &p.data, &plain, theta_max_iter, NULL), GD_OK);
    assert_memory_equal(theta, theta_max_iter, p.n_params * sizeof(double));
    free(r);
    ts_free_dataset(&p.d);
}

static void test_fit__random_init_is_reproducible_from_the_seed(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    p.options.init = GD_INIT_RANDOM;
    p.options.init_scale = 0.5;
    p.options.seed = 12345;
    p.options.max_iter = 20;
    double first[MAX_PARAMS], second[MAX_PARAMS], other[MAX_PARAMS];
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, first, NULL), GD_OK);
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, second, NULL), GD_OK);
    assert_memory_equal(first, second, sizeof first);
    p.options.seed = 12346;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, other, NULL), GD_OK);
    assert_memory_not_equal(first, other, sizeof first);

    /* The start itself (stop at iteration 0): uniform in [−scale, scale], not zero. */
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->stop_at = 0;
    r->n_params = p.n_params;
    p.options.seed = 12345;
    p.options.callback = record;
    p.options.callback_user = r;
    double start[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, start, &report), GD_OK);
    assert_int_equal(report.iterations, 0);
    double lowest = 0.0, highest = 0.0;
    for (size_t j = 0; j < p.n_params; ++j) {
        assert_true(fabs(start[j]) <= 0.5);
        lowest = fmin(lowest, start[j]);
        highest = fmax(highest, start[j]);
    }
    /* both signs among 11 draws, and most of the interval covered */
    assert_true(lowest < -0.1 && highest > 0.1);
    /* …and 20 steps of descent from it give the seeded fit. */
    manual_descent(&p, start, 20);
    assert_below(ts_coefficient_error(first, start, p.n_params), 1e-12);
    free(r);
    ts_free_dataset(&p.d);
}

static void test_fit__given_init_starts_from_theta(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    double optimum[MAX_PARAMS];
    assert_int_equal(
        ts_ridge_least_squares(p.d.x, 10, p.d.y, NULL, p.d.n_rows, 10, p.model.l2, optimum), 0);
    p.options.init = GD_INIT_GIVEN;
    p.options.tolerance = 1e-6;
    double theta[MAX_PARAMS];
    memcpy(theta, optimum, sizeof theta);
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_int_equal(report.iterations, 0);
    assert_memory_equal(theta, optimum, sizeof theta);

    /* From somewhere else, one step is θ₀ − α∇L(θ₀). */
    double start[MAX_PARAMS], expected[MAX_PARAMS];
    for (size_t j = 0; j < p.n_params; ++j) {
        start[j] = optimum[j] + (double)(j % 3) - 1.0;
    }
    memcpy(theta, start, sizeof theta);
    memcpy(expected, start, sizeof expected);
    manual_descent(&p, expected, 1);
    p.options.max_iter = 1;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_ITER);
    assert_int_equal(report.iterations, 1);
    assert_below(ts_coefficient_error(theta, expected, p.n_params), 1e-12);
    ts_free_dataset(&p.d);
}

static void test_fit__relative_tolerance_stops_on_the_first_iterate_below(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->stop_at = SIZE_MAX;
    r->n_params = p.n_params;
    p.options.tolerance = 0.05;
    p.options.tolerance_relative = 1;
    p.options.callback = record;
    p.options.callback_user = r;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(r->calls < HISTORY);

    const double zero[MAX_PARAMS] = {0};
    double grad[MAX_PARAMS];
    ts_linear_objective(p.d.x, 10, p.d.y, NULL, p.d.n_rows, 10, p.model.l2, zero, grad);
    const double threshold = 0.05 * max_abs(grad, p.n_params);
    assert_true(report.iterations > 0);
    assert_true(report.grad_max < threshold);
    assert_true(r->grad_max[r->calls - 2] >= threshold);
    /* The absolute tolerance of 0.05 alone would have stopped much later or
     * never this early: the relative rule is what stopped it. */
    assert_true(report.grad_max > 0.05);
    free(r);
    ts_free_dataset(&p.d);
}

static void test_fit__loss_tolerance_stops_when_the_objective_stalls(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->stop_at = SIZE_MAX;
    r->n_params = p.n_params;
    p.options.tolerance = 0.0; /* never converged by the gradient rule */
    p.options.loss_tolerance = 1e-3;
    p.options.callback = record;
    p.options.callback_user = r;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_LOSS_CHANGE);
    assert_true(r->calls >= 3 && r->calls < HISTORY);
    const size_t last = r->calls - 1;
    assert_int_equal(report.iterations, r->iteration[last]);
    assert_true(report.loss == r->loss[last]);
    assert_true(fabs(r->loss[last - 1] - r->loss[last]) <= 1e-3 * fmax(fabs(r->loss[last]), 1.0));
    assert_true(fabs(r->loss[last - 2] - r->loss[last - 1])
                > 1e-3 * fmax(fabs(r->loss[last - 1]), 1.0));
    free(r);
    ts_free_dataset(&p.d);
}

static void test_fit__divergence_is_reported_with_a_finite_theta(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 0); /* raw features: s1 is in the hundreds */
    p.options.learning_rate = 1e3;
    double theta[MAX_PARAMS];
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_ERR_DIVERGED);
    assert_int_equal(report.stop, GD_STOP_DIVERGED);
    for (size_t j = 0; j < p.n_params; ++j) {
        assert_true(isfinite(theta[j]));
    }
    assert_true(isfinite(report.loss));
    /* The last finite iterate, and the report describes it. */
    double objective;
    assert_int_equal(gd_objective(&p.model, theta, &p.data, &objective), GD_OK);
    assert_below(ts_rel_diff(report.loss, objective), 1e-12);
    ts_free_dataset(&p.d);
}

typedef struct counting {
    size_t allocs;
    size_t frees;
    int fail;
} counting;

static void *counting_alloc(size_t size, void *opaque)
{
    counting *c = opaque;
    if (c->fail) {
        return NULL;
    }
    c->allocs += 1;
    return malloc(size);
}

static void counting_free(void *ptr, void *opaque)
{
    counting *c = opaque;
    if (ptr != NULL) {
        c->frees += 1;
    }
    free(ptr);
}

static void test_fit__failing_allocator_gives_nomem_and_leaves_theta(void **state)
{
    (void)state;
    problem p;
    problem_init(&p, 1);
    counting c = {0, 0, 1};
    const gd_allocator allocator = {counting_alloc, counting_free, &c};
    p.options.allocator = &allocator;
    double theta[MAX_PARAMS], before[MAX_PARAMS];
    memset(theta, 0x5A, sizeof theta);
    memcpy(before, theta, sizeof theta);
    gd_report report;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, theta, &report), GD_ERR_NOMEM);
    assert_int_equal(report.stop, GD_STOP_NONE);
    assert_memory_equal(theta, before, sizeof theta);

    /* A working allocator is used, balanced, and changes nothing in the result. */
    c.fail = 0;
    p.options.max_iter = 50;
    double with_allocator[MAX_PARAMS], with_malloc[MAX_PARAMS];
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, with_allocator, NULL), GD_OK);
    assert_true(c.allocs >= 1);
    assert_int_equal(c.allocs, c.frees);
    p.options.allocator = NULL;
    assert_int_equal(gd_fit(&p.model, &p.data, &p.options, with_malloc, NULL), GD_OK);
    assert_memory_equal(with_allocator, with_malloc, sizeof with_malloc);
    ts_free_dataset(&p.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit__one_feature_reaches_least_squares),
        cmocka_unit_test(test_fit__ten_features_reach_least_squares),
        cmocka_unit_test(test_fit__ridge_matches_closed_form),
        cmocka_unit_test(test_fit__weights_give_weighted_least_squares),
        cmocka_unit_test(test_fit__weight_two_equals_duplicated_row),
        cmocka_unit_test(test_fit__max_iter_stops_after_exactly_that_many_steps),
        cmocka_unit_test(test_fit__callback_stops_at_the_iteration_it_chose),
        cmocka_unit_test(test_fit__random_init_is_reproducible_from_the_seed),
        cmocka_unit_test(test_fit__given_init_starts_from_theta),
        cmocka_unit_test(test_fit__relative_tolerance_stops_on_the_first_iterate_below),
        cmocka_unit_test(test_fit__loss_tolerance_stops_when_the_objective_stalls),
        cmocka_unit_test(test_fit__divergence_is_reported_with_a_finite_theta),
        cmocka_unit_test(test_fit__failing_allocator_gives_nomem_and_leaves_theta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
