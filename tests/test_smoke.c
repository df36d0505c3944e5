/* Smoke: the seed's gradient descent fits bmi → progression on diabetes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

static void test_smoke__linear_1d_reaches_least_squares(void **state)
{
    (void)state;
    ts_dataset d;
    assert_int_equal(ts_load_csv("diabetes.csv", &d), 0);
    const size_t bmi = 2;
    ts_select_features(&d, &bmi, 1);
    ts_standardize(&d);

    double reference[2];
    assert_int_equal(ts_least_squares(d.x, d.y, d.n_rows, 1, reference), 0);

    gd_model model;
    assert_int_equal(gd_model_linear(&model, 1, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, d.x, d.n_rows, 1, d.y);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.5;
    options.tolerance = 1e-9;
    double theta[2];
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(ts_rel_diff(theta[0], reference[0]) < 1e-6);
    assert_true(ts_rel_diff(theta[1], reference[1]) < 1e-6);
    ts_free_dataset(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smoke__linear_1d_reaches_least_squares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
