/* Linear regression through the centred Gram matrix (issue 7, part 5;
 * gd_options.linear_gram, docs/optimizers.md):
 *  - the quadratic built from one pass over X has the direct linear model's
 *    loss and gradient (DESIGN §1) at random θ: weighted or not, λ = 0 or
 *    not, 1 and 3 threads, also for a y of mean 10⁶ and unit spread, where
 *    the uncentred form yᵀy − 2cᵀθ + θᵀAθ loses the answer (shown below);
 *  - gd_fit with linear_gram reaches LAPACK's least-squares optimum on
 *    diabetes with lbfgs, gd, momentum and adam, and the optimum of the same
 *    fit on the rows (without it);
 *  - it is refused for other models and for sgd;
 *  - the same thread count gives the same bits.
 * The quadratic is reached through the library's internal functions: this
 * test links the library's objects (as test_robust_malloc does). */
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

#include "kernels/gram.h"
#include "testsupport.h"
#include "ts_assert.h"

#define M 7
#define MAX_PARAMS 11 /* diabetes: 10 features + intercept */
/* Raw diabetes features (scales 0.5 … 40, s1/s2 nearly collinear): lbfgs
 * with --tol 1e-12 stops on its line search at grad_max ≈ 8e-12 on the rows
 * and ≈ 1.7e-10 through the Gram path (its objective is a difference of
 * large sums: flatter in the last digits), so ask for 1e-9 there (1e-12 on
 * the standardised features). */
#define RAW_TOLERANCE 1e-9

/* n rows of M features uniform in [−2, 2], padded rows (ldx = M + 2, NaN
 * padding), y = offset + wᵀx + noise, weights in [0, 3] with some zeros. */
typedef struct synthetic {
    size_t n, ldx;
    double offset;
    double *x, *y, *weights;
} synthetic;

static void synthetic_make(synthetic *s, size_t n, double offset, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    s->n = n;
    s->ldx = M + 2;
    s->offset = offset;
    s->x = malloc(n * s->ldx * sizeof *s->x);
    s->y = malloc(n * sizeof *s->y);
    s->weights = malloc(n * sizeof *s->weights);
    assert_non_null(s->x);
    assert_non_null(s->y);
    assert_non_null(s->weights);
    for (size_t i = 0; i < n; ++i) {
        double target = offset + 0.5;
        for (size_t j = 0; j < s->ldx; ++j) {
            if (j < M) {
                /* a feature with a large mean too: column 3 around 1000 */
                const double v = ts_rng_uniform(&rng, -2.0, 2.0) + (j == 3 ? 1000.0 : 0.0);
                s->x[i * s->ldx + j] = v;
                target += (double)(j + 1) * 0.25 * (j == 3 ? v - 1000.0 : v);
            } else {
                s->x[i * s->ldx + j] = NAN;
            }
        }
        s->y[i] = target + ts_rng_uniform(&rng, -0.5, 0.5);
        s->weights[i] = i % 17 == 5 ? 0.0 : ts_rng_uniform(&rng, 0.0, 3.0);
    }
}

static void synthetic_free(synthetic *s)
{
    free(s->x);
    free(s->y);
    free(s->weights);
}

static void view_of(const synthetic *s, int weighted, gd_data *data)
{
    gd_data_init(data, s->x, s->n, M, s->y);
    data->ldx = s->ldx;
    data->weights = weighted ? s->weights : NULL;
}

/* The uncentred form, in double as a naive implementation would have it:
 * A = Σ s [1 x][1 x]ᵀ, c = Σ s y [1 x], yy = Σ s y²,
 * L = (yy − 2cᵀθ + θᵀAθ)/(2S) + (λ/2)‖w‖². */
static double raw_loss(const synthetic *s, const gd_data *data, double l2, const double *theta)
{
    double a[(M + 1) * (M + 1)] = {0};
    double c[M + 1] = {0};
    double yy = 0.0, total = 0.0;
    for (size_t i = 0; i < s->n; ++i) {
        const double weight = data->weights != NULL ? data->weights[i] : 1.0;
        double row[M + 1];
        row[0] = 1.0;
        for (size_t j = 0; j < M; ++j) {
            row[1 + j] = s->x[i * s->ldx + j];
        }
        for (size_t j = 0; j <= M; ++j) {
            c[j] += weight * s->y[i] * row[j];
            for (size_t k = 0; k <= M; ++k) {
                a[j * (M + 1) + k] += weight * row[j] * row[k];
            }
        }
        yy += weight * s->y[i] * s->y[i];
        total += weight;
    }
    double quadratic = yy, norm2 = 0.0;
    for (size_t j = 0; j <= M; ++j) {
        quadratic -= 2.0 * c[j] * theta[j];
        for (size_t k = 0; k <= M; ++k) {
            quadratic += theta[j] * a[j * (M + 1) + k] * theta[k];
        }
        if (j > 0) {
            norm2 += theta[j] * theta[j];
        }
    }
    return quadratic / (2.0 * total) + 0.5 * l2 * norm2;
}

/* Build the summary on n_threads threads; the caller frees *work. */
static void build(const gd_data *data, unsigned n_threads, double l2, gdi_gram *gram,
                  double **work)
{
    size_t doubles = 0;
    assert_true(gdi_gram_work_size(M, n_threads, data->n_rows, &doubles));
    *work = malloc(doubles * sizeof **work);
    assert_non_null(*work);
    assert_int_equal(gdi_gram_build(M, n_threads, l2, data, *work, gram), GD_OK);
}

static double grad_error(const double *got, const double *expected, size_t n)
{
    double scale = 0.0, worst = 0.0;
    for (size_t j = 0; j < n; ++j) {
        scale = fmax(scale, fabs(expected[j]));
    }
    for (size_t j = 0; j < n; ++j) {
        worst = fmax(worst, fabs(got[j] - expected[j]) / fmax(scale, 1e-300));
    }
    return worst;
}

/* (a): the quadratic against the direct model at random θ near the data's
 * level (b around the offset, so that the loss is O(1) and every digit of it
 * matters). */
static void check_quadratic(double offset)
{
    synthetic s;
    /* 20000 rows × M = 7: 20000·28 multiply-adds, enough for 3 threads. */
    synthetic_make(&s, 20000, offset, 11u);
    for (int weighted = 0; weighted < 2; ++weighted) {
        for (int penalised = 0; penalised < 2; ++penalised) {
            const double l2 = penalised ? 0.3 : 0.0;
            for (unsigned threads = 1; threads <= 3; threads += 2) {
                gd_data data;
                view_of(&s, weighted, &data);
                gd_model model;
                assert_int_equal(gd_model_linear(&model, M, l2), GD_OK);
                model.n_threads = threads;
                gdi_gram gram;
                double *work;
                build(&data, threads, l2, &gram, &work);
                double *model_work = malloc(model.work_size(&model, s.n) * sizeof *model_work);
                assert_non_null(model_work);
                ts_rng rng;
                ts_rng_seed(&rng, 100u + threads);
                for (int trial = 0; trial < 5; ++trial) {
                    double theta[M + 1];
                    theta[0] = offset + 0.5 + ts_rng_uniform(&rng, -1.0, 1.0);
                    for (size_t j = 1; j <= M; ++j) {
                        theta[j] = ts_rng_uniform(&rng, -2.0, 2.0);
                    }
                    /* keep the prediction near y despite column 3's mean of 1000 */
                    theta[0] -= 1000.0 * theta[4];
                    double direct = NAN, objective = NAN, quadratic = NAN, loss_only = NAN;
                    double direct_grad[M + 1], quadratic_grad[M + 1];
                    double scratch[M];
                    assert_int_equal(model.loss_grad(&model, theta, &data, &direct, direct_grad,
                                                     model_work),
                                     GD_OK);
                    assert_int_equal(gd_objective(&model, theta, &data, &objective), GD_OK);
                    gdi_gram_loss_grad(&gram, theta, &quadratic, quadratic_grad, scratch);
                    gdi_gram_loss_grad(&gram, theta, &loss_only, NULL, scratch);
                    assert_below(ts_rel_diff(quadratic, direct), 1e-10);
                    assert_below(ts_rel_diff(quadratic, objective), 1e-10);
                    assert_true(loss_only == quadratic);
                    /* An independent reference too (long double loops, no BLAS). */
                    double reference_grad[M + 1];
                    const double reference = ts_linear_objective(
                        s.x, s.ldx, s.y, data.weights, s.n, M, l2, theta, reference_grad);
                    assert_below(ts_rel_diff(quadratic, reference), 1e-10);
                    /* the direct model agrees with the reference to ~1e-12 here */
                    assert_below(grad_error(quadratic_grad, reference_grad, M + 1), 1e-10);
                    assert_below(grad_error(quadratic_grad, direct_grad, M + 1), 1e-10);
                    if (offset >= 1e6) {
                        /* The uncentred form: yy/(2S) ≈ 5·10¹¹, and the
                         * rounding of its sums swamps an O(1) loss: measured
                         * 5.7e-4 … 1.7e-3 relative error here, against
                         * < 1e-10 for the centred one. Assert the failure, so
                         * that this data set does test the centring. */
                        const double raw = raw_loss(&s, &data, l2, theta);
                        assert_true(ts_rel_diff(raw, reference) > 1e-8);
                    }
                }
                free(model_work);
                free(work);
            }
        }
    }
    synthetic_free(&s);
}

static void test_gram__quadratic_equals_the_linear_model(void **state)
{
    (void)state;
    check_quadratic(0.0);
}

static void test_gram__quadratic_is_exact_for_a_large_mean(void **state)
{
    (void)state;
    check_quadratic(1e6);
}

/* Wider rows: Cxx is formed in tiles of 32 (m ≤ 128) or 64 columns, with
 * partial tiles at the edge; m = 70 and 150, 600 rows (several blocks). */
static void check_wide(size_t m, unsigned threads)
{
    const size_t n = 600;
    ts_rng rng;
    ts_rng_seed(&rng, 500u + m);
    double *x = malloc(n * m * sizeof *x);
    double *y = malloc(n * sizeof *y);
    double *weights = malloc(n * sizeof *weights);
    double *theta = malloc((m + 1) * sizeof *theta);
    double *direct_grad = malloc((m + 1) * sizeof *direct_grad);
    double *quadratic_grad = malloc((m + 1) * sizeof *quadratic_grad);
    double *scratch = malloc(m * sizeof *scratch);
    assert_true(x && y && weights && theta && direct_grad && quadratic_grad && scratch);
    for (size_t i = 0; i < n; ++i) {
        y[i] = 5.0;
        for (size_t j = 0; j < m; ++j) {
            x[i * m + j] = ts_rng_uniform(&rng, -1.0, 1.0) + (double)(j % 3);
            y[i] += x[i * m + j] * (double)(j % 5) * 0.1;
        }
        y[i] += ts_rng_uniform(&rng, -0.3, 0.3);
        weights[i] = ts_rng_uniform(&rng, 0.5, 2.0);
    }
    for (size_t j = 0; j <= m; ++j) {
        theta[j] = ts_rng_uniform(&rng, -0.5, 0.5);
    }
    gd_data data;
    gd_data_init(&data, x, n, m, y);
    data.weights = weights;
    gd_model model;
    assert_int_equal(gd_model_linear(&model, m, 0.1), GD_OK);
    model.n_threads = threads;
    size_t doubles = 0;
    assert_true(gdi_gram_work_size(m, threads, n, &doubles));
    double *work = malloc(doubles * sizeof *work);
    assert_non_null(work);
    gdi_gram gram;
    assert_int_equal(gdi_gram_build(m, threads, 0.1, &data, work, &gram), GD_OK);
    double quadratic = NAN;
    gdi_gram_loss_grad(&gram, theta, &quadratic, quadratic_grad, scratch);
    const double direct =
        ts_linear_objective(x, m, y, weights, n, m, 0.1, theta, direct_grad);
    assert_below(ts_rel_diff(quadratic, direct), 1e-10);
    assert_below(grad_error(quadratic_grad, direct_grad, m + 1), 1e-10);
    free(work);
    free(x);
    free(y);
    free(weights);
    free(theta);
    free(direct_grad);
    free(quadratic_grad);
    free(scratch);
}

static void test_gram__quadratic_for_wide_rows(void **state)
{
    (void)state;
    check_wide(70, 1);
    check_wide(150, 1);
    check_wide(150, 2);
}

/* ---- gd_fit with linear_gram on diabetes ---- */

static void load_diabetes(ts_dataset *d, int standardize)
{
    assert_int_equal(ts_load_csv("diabetes.csv", d), 0);
    assert_int_equal(d->n_rows, 442);
    assert_int_equal(d->n_features, 10);
    if (standardize) {
        ts_standardize(d);
    }
}

typedef struct method {
    const char *name;
    gd_optimizer optimizer;
    double learning_rate;
    size_t max_iter;
} method;

/* Standardised diabetes: λ_max ≈ 4.02, condition ≈ 470 (tests/test_fit.c).
 * gd at α = 0.4 needs ~10⁴ iterations per decade: cheap at O(m²) a step. */
static const method methods[] = {
    {"lbfgs", GD_OPTIMIZER_LBFGS, 0.01, 10000},
    {"gd", GD_OPTIMIZER_GD, 0.4, 2000000},
    {"momentum", GD_OPTIMIZER_MOMENTUM, 0.04, 2000000},
    {"adam", GD_OPTIMIZER_ADAM, 0.01, 2000000},
};

static gd_status fit(const ts_dataset *d, const double *weights, double l2, const method *how,
                     double tolerance, int gram, double *theta, gd_report *report)
{
    gd_model model;
    assert_int_equal(gd_model_linear(&model, d->n_features, l2), GD_OK);
    gd_data data;
    gd_data_init(&data, d->x, d->n_rows, d->n_features, d->y);
    data.weights = weights;
    gd_options options;
    gd_options_init(&options);
    options.optimizer = how->optimizer;
    options.learning_rate = how->learning_rate;
    options.max_iter = how->max_iter;
    options.tolerance = tolerance;
    options.linear_gram = gram;
    return gd_fit(&model, &data, &options, theta, report);
}

static void check_optimum(const ts_dataset *d, const double *weights, double l2,
                          const method *how, double tolerance)
{
    const size_t m = d->n_features;
    double reference[MAX_PARAMS];
    assert_int_equal(ts_ridge_least_squares(d->x, m, d->y, weights, d->n_rows, m, l2, reference),
                     0);
    double with[MAX_PARAMS], without[MAX_PARAMS];
    gd_report report, plain_report;
    gd_status status = fit(d, weights, l2, how, tolerance, 1, with, &report);
    if (status != GD_OK) {
        print_error("%s: %s, grad_max %g after %zu iterations\n", how->name,
                    gd_strerror(status), report.grad_max, report.iterations);
    }
    assert_int_equal(status, GD_OK);
    if (report.stop != GD_STOP_CONVERGED) {
        print_error("%s: stopped %s after %zu iterations, grad_max %g\n", how->name,
                    gd_stop_name(report.stop), report.iterations, report.grad_max);
    }
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(report.evaluations >= 1);
    assert_below(ts_coefficient_error(with, reference, m + 1), 1e-8);
    /* The report's loss is the quadratic's; the objective of θ on the data agrees. */
    const double objective =
        ts_linear_objective(d->x, m, d->y, weights, d->n_rows, m, l2, with, NULL);
    assert_below(ts_rel_diff(report.loss, objective), 1e-10);

    /* The same fit on the rows, without linear_gram: the same optimum. */
    status = fit(d, weights, l2, how, tolerance, 0, without, &plain_report);
    assert_true(status == GD_OK || status == GD_ERR_LINE_SEARCH);
    assert_below(ts_coefficient_error(with, without, m + 1), 1e-8);
}

static void test_gram__fit_reaches_least_squares(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 1);
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; ++k) {
        check_optimum(&d, NULL, 0.0, &methods[k], 1e-12);
    }
    ts_free_dataset(&d);
}

static void test_gram__fit_weighted_ridge_and_raw_features(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 1);
    double weights[442];
    for (size_t i = 0; i < d.n_rows; ++i) {
        weights[i] = 0.25 + (double)(i % 5);
    }
    check_optimum(&d, weights, 0.05, &methods[0], 1e-12);
    check_optimum(&d, weights, 0.05, &methods[1], 1e-12);
    ts_free_dataset(&d);
    /* Raw features (means up to ~190, scales 0.5 … 40): lbfgs only. */
    load_diabetes(&d, 0);
    check_optimum(&d, NULL, 0.0, &methods[0], RAW_TOLERANCE);
    ts_free_dataset(&d);
}

/* (d): refused before any work, θ and the report as for any refused option. */
/* Sizes: a feature count beyond BLAS's int, or per-thread m² sums that do
 * not fit a size_t, are refused by the sizing (gd_fit: GD_ERR_OVERFLOW). */
static void test_gram__workspace_overflow(void **state)
{
    (void)state;
    size_t doubles = 0;
    assert_true(gdi_gram_work_size(10, 1, 100, &doubles));
    assert_true(doubles >= 100 + 10 * 10);
    assert_false(gdi_gram_work_size(0, 1, 100, &doubles));
    assert_false(gdi_gram_work_size((size_t)2147483648u, 1, 100, &doubles));
    /* m = 2³¹ − 1: m² ≈ 4.6·10¹⁸ doubles a thread, 8 threads overflow. */
    assert_false(gdi_gram_work_size((size_t)2147483647u, 8, SIZE_MAX / 4, &doubles));
}

static void test_gram__refused_where_it_does_not_apply(void **state)
{
    (void)state;
    ts_dataset d;
    load_diabetes(&d, 1);
    const size_t m = d.n_features;
    double binary[442];
    for (size_t i = 0; i < d.n_rows; ++i) {
        binary[i] = d.y[i] > 140.0 ? 1.0 : 0.0;
    }
    gd_data data;
    gd_data_init(&data, d.x, d.n_rows, m, binary);
    gd_options options;
    gd_options_init(&options);
    options.linear_gram = 1;
    double theta[(MAX_PARAMS) * 2];
    memset(theta, 0x5A, sizeof theta);
    double before[(MAX_PARAMS) * 2];
    memcpy(before, theta, sizeof before);
    gd_report report;

    gd_model model;
    assert_int_equal(gd_model_logistic(&model, m, 0.0), GD_OK);
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_ERR_OPTION);
    assert_int_equal(report.stop, GD_STOP_NONE);
    assert_memory_equal(theta, before, sizeof theta);
    assert_int_equal(gd_model_softmax(&model, m, 2, 0.0), GD_OK);
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_ERR_OPTION);

    /* sgd's batches need the rows. */
    gd_data_init(&data, d.x, d.n_rows, m, d.y);
    assert_int_equal(gd_model_linear(&model, m, 0.0), GD_OK);
    options.optimizer = GD_OPTIMIZER_SGD;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_ERR_OPTION);
    assert_memory_equal(theta, before, sizeof theta);
    /* A linear model with another optimiser is taken. */
    options.optimizer = GD_OPTIMIZER_LBFGS;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    /* A struct from before linear_gram existed: the option is off. */
    gd_options old;
    gd_options_init(&old);
    old.optimizer = GD_OPTIMIZER_SGD;
    old.max_iter = 5;
    old.linear_gram = 1; /* beyond the size given: ignored */
    old.struct_size = offsetof(gd_options, linear_gram);
    assert_int_equal(gd_fit(&model, &data, &old, theta, &report), GD_OK);
    ts_free_dataset(&d);
}

/* (e): the same thread count gives the same bits; 1 and 3 threads agree. */
static void test_gram__same_bits_for_a_thread_count(void **state)
{
    (void)state;
    synthetic s;
    synthetic_make(&s, 20000, 3.0, 12u);
    gd_data data;
    view_of(&s, 1, &data);
    double theta[3][M + 1];
    const unsigned threads[3] = {3, 3, 1};
    for (int run = 0; run < 3; ++run) {
        gd_model model;
        assert_int_equal(gd_model_linear(&model, M, 0.01), GD_OK);
        model.n_threads = threads[run];
        gd_options options;
        gd_options_init(&options);
        options.linear_gram = 1;
        options.tolerance = 1e-10;
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta[run], &report), GD_OK);
        assert_int_equal(report.stop, GD_STOP_CONVERGED);
    }
    assert_memory_equal(theta[0], theta[1], sizeof theta[0]);
    assert_below(ts_coefficient_error(theta[2], theta[0], M + 1), 1e-8);
    /* And the summaries themselves, bit for bit, from two builds. */
    gdi_gram first, second;
    double *work_first, *work_second;
    build(&data, 3, 0.01, &first, &work_first);
    build(&data, 3, 0.01, &second, &work_second);
    assert_true(first.weight_sum == second.weight_sum && first.y_mean == second.y_mean
                && first.yy == second.yy);
    assert_memory_equal(first.xx, second.xx, M * M * sizeof *first.xx);
    assert_memory_equal(first.xy, second.xy, M * sizeof *first.xy);
    assert_memory_equal(first.x_mean, second.x_mean, M * sizeof *first.x_mean);
    free(work_first);
    free(work_second);
    synthetic_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gram__quadratic_equals_the_linear_model),
        cmocka_unit_test(test_gram__quadratic_is_exact_for_a_large_mean),
        cmocka_unit_test(test_gram__quadratic_for_wide_rows),
        cmocka_unit_test(test_gram__fit_reaches_least_squares),
        cmocka_unit_test(test_gram__fit_weighted_ridge_and_raw_features),
        cmocka_unit_test(test_gram__workspace_overflow),
        cmocka_unit_test(test_gram__refused_where_it_does_not_apply),
        cmocka_unit_test(test_gram__same_bits_for_a_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
