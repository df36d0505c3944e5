/* Standardisation: against the test-support z-scoring and long double
 * moments, constant columns, strides, and checks before any write. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

static void check_against_testsupport(const char *name)
{
    ts_dataset expected, actual;
    assert_int_equal(ts_load_csv(name, &expected), 0);
    assert_int_equal(ts_load_csv(name, &actual), 0);
    const size_t n = actual.n_rows, m = actual.n_features;

    /* Population moments in long double, two passes. */
    double *mean = malloc(m * sizeof *mean);
    double *scale = malloc(m * sizeof *scale);
    assert_non_null(mean);
    assert_non_null(scale);
    gd_data data;
    gd_data_init(&data, actual.x, n, m, actual.y);
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_OK);
    for (size_t j = 0; j < m; ++j) {
        long double sum = 0.0L, squares = 0.0L;
        for (size_t i = 0; i < n; ++i) {
            sum += actual.x[i * m + j];
        }
        long double mu = sum / (long double)n;
        for (size_t i = 0; i < n; ++i) {
            long double t = actual.x[i * m + j] - mu;
            squares += t * t;
        }
        double sd = (double)sqrtl(squares / (long double)n);
        assert_true(ts_rel_diff(mean[j], (double)mu) < 1e-14);
        assert_true(ts_rel_diff(scale[j], sd) < 1e-14);
    }

    ts_standardize(&expected);
    assert_int_equal(gd_standardize_apply(actual.x, n, m, 0, mean, scale), GD_OK);
    for (size_t k = 0; k < n * m; ++k) {
        if (fabs(actual.x[k] - expected.x[k]) > 1e-15 * fmax(1.0, fabs(expected.x[k]))) {
            fail_msg("%s element %zu: %.17g vs %.17g", name, k, actual.x[k], expected.x[k]);
        }
    }
    free(mean);
    free(scale);
    ts_free_dataset(&expected);
    ts_free_dataset(&actual);
}

static void test_standardize__matches_testsupport_on_iris(void **state)
{
    (void)state;
    check_against_testsupport("iris.csv");
}

static void test_standardize__matches_testsupport_on_diabetes(void **state)
{
    (void)state;
    check_against_testsupport("diabetes.csv");
}

/* A constant column gets scale 1 and becomes exact zeros — also when its
 * value is one (0.1) whose rounded mean is not the value itself. */
static void test_standardize__constant_column_becomes_zeros(void **state)
{
    (void)state;
    enum { N = 7, M = 3 };
    double x[N * M];
    for (size_t i = 0; i < N; ++i) {
        x[i * M + 0] = 0.1;
        x[i * M + 1] = (double)i;
        x[i * M + 2] = -3.0;
    }
    double naive = 0.0;
    for (size_t i = 0; i < N; ++i) {
        naive += 0.1;
    }
    assert_true(naive / N != 0.1); /* the trap this case is about */

    gd_data data;
    gd_data_init(&data, x, N, M, NULL);
    double mean[M], scale[M];
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_OK);
    assert_true(scale[0] == 1.0 && scale[2] == 1.0);
    assert_true(mean[1] == 3.0 && fabs(scale[1] - 2.0) < 1e-15); /* sd of 0..6 is 2 */
    assert_int_equal(gd_standardize_apply(x, N, M, 0, mean, scale), GD_OK);
    for (size_t i = 0; i < N; ++i) {
        assert_true(x[i * M + 0] == 0.0);
        assert_true(x[i * M + 2] == 0.0);
        assert_true(fabs(x[i * M + 1] - ((double)i - 3.0) / 2.0) < 1e-15);
    }
    /* One row: every column is constant. */
    gd_data_init(&data, x, 1, M, NULL);
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_OK);
    assert_true(scale[0] == 1.0 && scale[1] == 1.0 && scale[2] == 1.0);
}

/* A row stride wider than the features: the padding is neither read nor written. */
static void test_standardize__respects_the_row_stride(void **state)
{
    (void)state;
    enum { N = 4, M = 2, LDX = 3 };
    double x[N * LDX] = {1, 10, NAN, 2, 20, NAN, 3, 30, NAN, 4, 40, NAN};
    gd_data data;
    gd_data_init(&data, x, N, M, NULL);
    data.ldx = LDX;
    double mean[M], scale[M];
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_OK);
    assert_true(mean[0] == 2.5 && mean[1] == 25.0);
    assert_true(fabs(scale[0] - sqrt(1.25)) < 1e-15 && fabs(scale[1] - sqrt(125.0)) < 1e-13);
    assert_int_equal(gd_standardize_apply(x, N, M, LDX, mean, scale), GD_OK);
    for (size_t i = 0; i < N; ++i) {
        assert_true(isnan(x[i * LDX + 2]));
        assert_true(fabs(x[i * LDX] - ((double)i + 1.0 - 2.5) / sqrt(1.25)) < 1e-15);
    }
}

/* Weights and labels play no part in the scaler. */
static void test_standardize__ignores_weights_and_labels(void **state)
{
    (void)state;
    double x[] = {1, 2, 4, 8};
    double y[] = {NAN, 0, 1, 2};
    double weights[] = {-1, 0, 5, 1};
    gd_data data;
    gd_data_init(&data, x, 4, 1, NULL);
    double mean_plain, scale_plain, mean_other, scale_other;
    assert_int_equal(gd_standardize_fit(&data, &mean_plain, &scale_plain), GD_OK);
    data.y = y;
    data.weights = weights;
    assert_int_equal(gd_standardize_fit(&data, &mean_other, &scale_other), GD_OK);
    assert_true(mean_plain == 3.75 && mean_other == mean_plain && scale_other == scale_plain);
}

/* apply checks every mean and scale before it writes anything. */
static void test_standardize__apply_rejects_bad_scaler_and_leaves_x(void **state)
{
    (void)state;
    double x[6] = {1, 2, 3, 4, 5, 6};
    const double original[6] = {1, 2, 3, 4, 5, 6};
    const double mean[3] = {0, 0, 0};
    const double scale_ok[3] = {1, 1, 1};
    const double bad_means[][3] = {{0, 0, NAN}, {INFINITY, 0, 0}};
    const double bad_scales[][3] = {{1, 1, 0}, {1, -1, 1}, {1, 1, NAN}, {INFINITY, 1, 1}};
    for (size_t t = 0; t < 2; ++t) {
        assert_int_equal(gd_standardize_apply(x, 2, 3, 0, bad_means[t], scale_ok),
                         GD_ERR_NONFINITE);
        assert_memory_equal(x, original, sizeof x);
    }
    for (size_t t = 0; t < 4; ++t) {
        assert_int_equal(gd_standardize_apply(x, 2, 3, 0, mean, bad_scales[t]), GD_ERR_NONFINITE);
        assert_memory_equal(x, original, sizeof x);
    }
    assert_int_equal(gd_standardize_apply(NULL, 2, 3, 0, mean, scale_ok), GD_ERR_NULL);
    assert_int_equal(gd_standardize_apply(x, 2, 3, 0, NULL, scale_ok), GD_ERR_NULL);
    assert_int_equal(gd_standardize_apply(x, 2, 3, 0, mean, NULL), GD_ERR_NULL);
    assert_int_equal(gd_standardize_apply(x, 2, 3, 2, mean, scale_ok), GD_ERR_SIZE);
    assert_int_equal(gd_standardize_apply(x, 0, 3, 0, mean, scale_ok), GD_ERR_SIZE);
    assert_int_equal(gd_standardize_apply(x, SIZE_MAX, 3, 0, mean, scale_ok), GD_ERR_OVERFLOW);
    assert_memory_equal(x, original, sizeof x);
}

static void test_standardize__fit_rejects_bad_data(void **state)
{
    (void)state;
    double x[4] = {1, 2, NAN, 4};
    double mean[2] = {7, 7}, scale[2] = {7, 7};
    gd_data data;
    gd_data_init(&data, x, 2, 2, NULL);
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_ERR_NONFINITE);
    assert_int_equal(gd_standardize_fit(NULL, mean, scale), GD_ERR_NULL);
    assert_int_equal(gd_standardize_fit(&data, NULL, scale), GD_ERR_NULL);
    assert_int_equal(gd_standardize_fit(&data, mean, NULL), GD_ERR_NULL);
    data.n_rows = 0;
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_ERR_SIZE);
    /* Finite values whose sum overflows. */
    double huge[2] = {DBL_MAX, DBL_MAX};
    gd_data_init(&data, huge, 2, 1, NULL);
    huge[1] = DBL_MAX * 0.75;
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_ERR_NONFINITE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standardize__matches_testsupport_on_iris),
        cmocka_unit_test(test_standardize__matches_testsupport_on_diabetes),
        cmocka_unit_test(test_standardize__constant_column_becomes_zeros),
        cmocka_unit_test(test_standardize__respects_the_row_stride),
        cmocka_unit_test(test_standardize__ignores_weights_and_labels),
        cmocka_unit_test(test_standardize__apply_rejects_bad_scaler_and_leaves_x),
        cmocka_unit_test(test_standardize__fit_rejects_bad_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
