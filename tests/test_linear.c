/* The built-in linear model: its gradient against central differences, its
 * objective, gradient and predictions against plain loops (DESIGN §1), over
 * more rows than one kernel block, with weights, λ and padded rows. */
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

#define M 5
#define LDX 8 /* padded rows: 3 doubles of NaN after every row's M features */

/* Synthetic rows: x uniform in [−2, 2], y = wᵀx + b + noise. The padding is
 * NaN so that any read past a row's features poisons the result. */
typedef ts_sample synthetic;

static void synthetic_make(synthetic *s, size_t n_rows, size_t ldx, unsigned long long seed)
{
    static const double w_true[M] = {1.5, -2.0, 0.25, 3.0, -0.75};
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    assert_int_equal(ts_sample_alloc(s, n_rows, ldx, M), 0);
    for (size_t i = 0; i < n_rows; ++i) {
        double target = 0.7;
        for (size_t j = 0; j < ldx; ++j) {
            if (j < M) {
                s->x[i * ldx + j] = ts_rng_uniform(&rng, -2.0, 2.0);
                target += w_true[j] * s->x[i * ldx + j];
            } else {
                s->x[i * ldx + j] = NAN;
            }
        }
        s->y[i] = target + ts_rng_uniform(&rng, -0.5, 0.5);
        s->weights[i] = ts_rng_uniform(&rng, 0.1, 3.0);
    }
}

/* Every combination of weights, λ and stride, at several random θ. */
static void test_linear__gradient_matches_central_differences(void **state)
{
    (void)state;
    static const double lambdas[] = {0.0, 0.3};
    static const size_t strides[] = {M, LDX};
    for (size_t k = 0; k < 2; ++k) {
        synthetic s;
        synthetic_make(&s, 1000, strides[k], 11u + k);
        for (size_t l = 0; l < 2; ++l) {
            gd_model model;
            assert_int_equal(gd_model_linear(&model, M, lambdas[l]), GD_OK);
            for (int weighted = 0; weighted < 2; ++weighted) {
                gd_data data;
                ts_sample_view(&s, weighted, &data);
                for (unsigned long long t = 0; t < 3; ++t) {
                    double theta[M + 1];
                    ts_random_vector(theta, M + 1, 3.0, 100u + t);
                    double error = -1.0;
                    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &error),
                                     GD_OK);
                    if (!(error >= 0.0 && error < 1e-6)) {
                        print_error("ldx %zu, lambda %g, weighted %d: error %g\n", s.ldx,
                                    lambdas[l], weighted, error);
                    }
                    assert_true(error >= 0.0 && error < 1e-6);
                }
            }
        }
        ts_sample_free(&s);
    }
}

/* Objective and gradient through the model's own loss_grad (as gd_fit calls
 * it) against plain loops, for row counts on both sides of a block edge. */
static void test_linear__objective_and_gradient_match_direct_loops(void **state)
{
    (void)state;
    static const size_t row_counts[] = {1, 255, 256, 257, 512, 1000};
    for (size_t r = 0; r < sizeof row_counts / sizeof row_counts[0]; ++r) {
        synthetic s;
        synthetic_make(&s, row_counts[r], LDX, 7u + r);
        for (int weighted = 0; weighted < 2; ++weighted) {
            const double l2 = weighted ? 0.2 : 0.0;
            gd_model model;
            assert_int_equal(gd_model_linear(&model, M, l2), GD_OK);
            gd_data data;
            ts_sample_view(&s, weighted, &data);
            double theta[M + 1];
            ts_random_vector(theta, M + 1, 3.0, 300u + r);

            double expected_grad[M + 1];
            double expected = ts_linear_objective(s.x, s.ldx, s.y, data.weights, s.n_rows, M,
                                                  l2, theta, expected_grad);

            size_t work_doubles = model.work_size != NULL ? model.work_size(&model, s.n_rows) : 0;
            double *work = malloc((work_doubles + 1) * sizeof *work);
            assert_non_null(work);
            double loss = NAN, grad[M + 1];
            assert_int_equal(model.loss_grad(&model, theta, &data, &loss, grad, work), GD_OK);
            double loss_only = NAN;
            assert_int_equal(model.loss_grad(&model, theta, &data, &loss_only, NULL, work),
                             GD_OK);
            free(work);

            double objective = NAN;
            assert_int_equal(gd_objective(&model, theta, &data, &objective), GD_OK);

            if (!(ts_rel_diff(loss, expected) < 1e-12)) {
                print_error("n %zu: loss %.17g, expected %.17g\n", s.n_rows, loss, expected);
            }
            assert_true(ts_rel_diff(loss, expected) < 1e-12);
            assert_true(ts_rel_diff(loss_only, expected) < 1e-12);
            assert_true(ts_rel_diff(objective, expected) < 1e-12);
            assert_true(ts_coefficient_error(grad, expected_grad, M + 1) < 1e-12);
        }
        ts_sample_free(&s);
    }
}

/* The loss of many rows keeps its rounding small: 200000 rows of 3 features
 * (16 random rows repeated, so that every group of 16 rows has the same sum
 * and the rounding of a long running sum piles up in one direction instead
 * of averaging out), residuals O(1), against ½(z − y)² per row in long
 * double, summed with compensation. The one-pass sweep adds a group's sum to
 * those of the 63 groups around it before the chunk's total
 * (src/kernels/onepass.c, FUSED_SUM_GROUPS): measured within 3.1e-15 (one
 * thread) and 4.0e-16 (two). With every group's sum straight into the
 * chunk's total (84094b6) it was 1.1e-13 and 9.4e-14; the bound sits about
 * 5x from either. */
#define MANY_ROWS_REL_TOL 2e-14

static double many_rows_label(long double z, ts_rng *rng)
{
    return (double)z + ts_rng_uniform(rng, -2.0, 2.0);
}

static long double many_rows_row_loss(long double z, double y)
{
    const long double r = z - (long double)y;
    return 0.5L * r * r;
}

static void test_linear__loss_of_many_rows_keeps_rounding_small(void **state)
{
    (void)state;
    assert_true(ts_loss_rounding_error("linear", gd_model_linear, many_rows_label, many_rows_row_loss) <
                MANY_ROWS_REL_TOL);
}

static void test_linear__predict_equals_xw_plus_b(void **state)
{
    (void)state;
    synthetic s;
    synthetic_make(&s, 1000, LDX, 5u);
    gd_model model;
    assert_int_equal(gd_model_linear(&model, M, 0.0), GD_OK);
    gd_data data;
    ts_sample_view(&s, 0, &data);
    data.y = NULL; /* predict needs no targets */
    double theta[M + 1];
    ts_random_vector(theta, M + 1, 3.0, 9u);
    double *out = malloc(s.n_rows * sizeof *out);
    assert_non_null(out);
    assert_int_equal(gd_predict(&model, theta, &data, out), GD_OK);
    for (size_t i = 0; i < s.n_rows; ++i) {
        long double expected = theta[0];
        for (size_t j = 0; j < M; ++j) {
            expected += (long double)theta[j + 1] * s.x[i * s.ldx + j];
        }
        assert_true(fabs(out[i] - (double)expected) <= 1e-12 * fmax(1.0, fabs((double)expected)));
    }
    free(out);
    ts_sample_free(&s);
}

/* A model wrapping the built-in linear one, with a mistake in its gradient:
 * the checker must notice. */
typedef struct wrong_gradient {
    const gd_model *inner;
    int mistake; /* 0: forget λw; 1: swap two components */
} wrong_gradient;

static gd_status wrong_loss_grad(const gd_model *self, const double *theta, const gd_data *data,
                                 double *loss, double *grad, double *work)
{
    const wrong_gradient *wrong = self->ctx;
    gd_status status = wrong->inner->loss_grad(wrong->inner, theta, data, loss, grad, work);
    if (status != GD_OK || grad == NULL) {
        return status;
    }
    if (wrong->mistake == 0) {
        for (size_t j = 1; j < self->n_params; ++j) {
            grad[j] -= wrong->inner->l2 * theta[j];
        }
    } else {
        double t = grad[1];
        grad[1] = grad[2];
        grad[2] = t;
    }
    return GD_OK;
}

static size_t wrong_work_size(const gd_model *self, size_t n_rows)
{
    const wrong_gradient *wrong = self->ctx;
    return wrong->inner->work_size(wrong->inner, n_rows);
}

static void test_linear__checker_catches_a_wrong_gradient(void **state)
{
    (void)state;
    synthetic s;
    synthetic_make(&s, 1000, LDX, 21u);
    gd_model inner;
    assert_int_equal(gd_model_linear(&inner, M, 0.5), GD_OK);
    gd_data data;
    ts_sample_view(&s, 1, &data);
    double theta[M + 1];
    ts_random_vector(theta, M + 1, 3.0, 23u);

    double correct = -1.0;
    assert_int_equal(gd_check_gradient(&inner, &data, theta, 0.0, &correct), GD_OK);
    assert_true(correct < 1e-6);
    for (int mistake = 0; mistake < 2; ++mistake) {
        wrong_gradient wrong = {&inner, mistake};
        gd_model model;
        assert_int_equal(gd_model_custom(&model, M + 1, wrong_loss_grad, NULL, &wrong), GD_OK);
        model.n_features = M;
        model.work_size = wrong_work_size;
        double error = -1.0;
        assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &error), GD_OK);
        if (!(error > 0.1)) {
            print_error("mistake %d: error %g\n", mistake, error);
        }
        assert_true(error > 0.1);
    }
    ts_sample_free(&s);
}

/* The objective at a known θ on a tiny problem worked by hand:
 * rows (x, y) = (1, 1), (2, 3), weights 1 and 3, θ = (b, w) = (0.5, 1), λ = 0.5.
 * Residuals 0.5 and −0.5, so L = (1·0.125 + 3·0.125)/4 + 0.25 = 0.375;
 * ∂L/∂b = (0.5 − 1.5)/4 = −0.25, ∂L/∂w = (0.5 − 3)/4 + 0.5 = −0.125. */
static void test_linear__hand_worked_example(void **state)
{
    (void)state;
    const double x[2] = {1.0, 2.0}, y[2] = {1.0, 3.0}, weights[2] = {1.0, 3.0};
    const double theta[2] = {0.5, 1.0};
    gd_model model;
    assert_int_equal(gd_model_linear(&model, 1, 0.5), GD_OK);
    assert_int_equal(model.kind, GD_MODEL_LINEAR);
    assert_int_equal(model.n_params, 2);
    assert_int_equal(model.n_outputs, 1);
    gd_data data;
    gd_data_init(&data, x, 2, 1, y);
    data.weights = weights;
    double work[2] = {0.0, 0.0}; /* work_size(2) ≤ 2 rows */
    assert_true(model.work_size(&model, 2) <= 2);
    double loss, grad[2];
    assert_int_equal(model.loss_grad(&model, theta, &data, &loss, grad, work), GD_OK);
    assert_true(fabs(loss - 0.375) < 1e-15);
    assert_true(fabs(grad[0] + 0.25) < 1e-15);
    assert_true(fabs(grad[1] + 0.125) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear__gradient_matches_central_differences),
        cmocka_unit_test(test_linear__objective_and_gradient_match_direct_loops),
        cmocka_unit_test(test_linear__loss_of_many_rows_keeps_rounding_small),
        cmocka_unit_test(test_linear__predict_equals_xw_plus_b),
        cmocka_unit_test(test_linear__checker_catches_a_wrong_gradient),
        cmocka_unit_test(test_linear__hand_worked_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
