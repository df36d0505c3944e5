/* Users' own models through gd_model_custom: a quadratic that reads no data,
 * a hand-written linear model that reads rows, models that fail. */
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

#define DIM 4

/* L(θ) = ½(θ − c)ᵀA(θ − c), A symmetric positive definite. */
typedef struct quadratic {
    double a[DIM][DIM];
    double c[DIM];
    size_t calls;
} quadratic;

static gd_status quadratic_loss_grad(const gd_model *self, const double *theta,
                                     const gd_data *data, double *loss, double *grad,
                                     double *work)
{
    (void)data;
    (void)work;
    quadratic *q = self->ctx;
    q->calls += 1;
    double d[DIM], value = 0.0;
    for (size_t i = 0; i < DIM; ++i) {
        d[i] = theta[i] - q->c[i];
    }
    for (size_t i = 0; i < DIM; ++i) {
        double ad = 0.0;
        for (size_t j = 0; j < DIM; ++j) {
            ad += q->a[i][j] * d[j];
        }
        value += 0.5 * d[i] * ad;
        if (grad != NULL) {
            grad[i] = ad;
        }
    }
    *loss = value;
    return GD_OK;
}

/* A = BᵀB + I with B fixed: symmetric, eigenvalues ≥ 1. */
static void quadratic_init(quadratic *q)
{
    static const double b[DIM][DIM] = {
        {1.0, 0.5, 0.0, -0.3}, {0.2, 1.5, 0.4, 0.0}, {0.0, -0.6, 0.8, 0.1}, {0.7, 0.0, 0.3, 1.2}};
    static const double c[DIM] = {1.25, -3.0, 0.5, 7.0};
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i < DIM; ++i) {
        for (size_t j = 0; j < DIM; ++j) {
            double sum = i == j ? 1.0 : 0.0;
            for (size_t k = 0; k < DIM; ++k) {
                sum += b[k][i] * b[k][j];
            }
            q->a[i][j] = sum;
        }
        q->c[i] = c[i];
    }
}

/* 1 / trace(A) ≤ 1 / λ_max: a safe fixed step. */
static double quadratic_safe_step(const quadratic *q)
{
    double trace = 0.0;
    for (size_t i = 0; i < DIM; ++i) {
        trace += q->a[i][i];
    }
    return 1.0 / trace;
}

static void test_custom__quadratic_is_fitted_to_its_centre(void **state)
{
    (void)state;
    quadratic q;
    quadratic_init(&q);
    gd_model model;
    assert_int_equal(gd_model_custom(&model, DIM, quadratic_loss_grad, NULL, &q), GD_OK);
    assert_int_equal(model.kind, GD_MODEL_CUSTOM);
    assert_int_equal(model.n_features, 0);
    assert_int_equal(model.n_params, DIM);
    assert_int_equal(model.n_outputs, 1);
    assert_ptr_equal(model.ctx, &q);
    assert_int_equal(gd_model_validate(&model), GD_OK);

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = quadratic_safe_step(&q);
    options.tolerance = 1e-12;
    double theta[DIM];
    gd_report report;
    assert_int_equal(gd_fit(&model, NULL, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(report.iterations > 0);
    /* Every evaluation went through the user's function. */
    assert_int_equal(q.calls, report.evaluations);
    /* |θ − c| ≤ ‖A⁻¹‖·‖∇L‖ ≤ 1·2·1e-12 (λ_min(A) ≥ 1). */
    for (size_t i = 0; i < DIM; ++i) {
        assert_true(fabs(theta[i] - q.c[i]) < 1e-10);
    }
    assert_true(report.loss >= 0.0 && report.loss < 1e-20);
}

static void test_custom__gradient_checker_accepts_the_quadratic(void **state)
{
    (void)state;
    quadratic q;
    quadratic_init(&q);
    gd_model model;
    assert_int_equal(gd_model_custom(&model, DIM, quadratic_loss_grad, NULL, &q), GD_OK);
    ts_rng rng;
    ts_rng_seed(&rng, 99);
    for (int t = 0; t < 5; ++t) {
        double theta[DIM];
        for (size_t i = 0; i < DIM; ++i) {
            theta[i] = ts_rng_uniform(&rng, -10.0, 10.0);
        }
        double error = -1.0;
        assert_int_equal(gd_check_gradient(&model, NULL, theta, 1e-6, &error), GD_OK);
        assert_true(error >= 0.0 && error < 1e-6);
    }
    /* A model that reads no data may be given a data view all the same. */
    const double x[2] = {1.0, 2.0}, y[2] = {0.0, 1.0};
    gd_data data;
    gd_data_init(&data, x, 2, 1, y);
    double theta[DIM] = {0.0, 0.0, 0.0, 0.0}, error = -1.0;
    assert_int_equal(gd_check_gradient(&model, &data, theta, 0.0, &error), GD_OK);
    assert_true(error >= 0.0 && error < 1e-6);
}

/* The quadratic with a wrong gradient (A's transpose would be the same; use 2A). */
static gd_status doubled_loss_grad(const gd_model *self, const double *theta,
                                   const gd_data *data, double *loss, double *grad, double *work)
{
    gd_status status = quadratic_loss_grad(self, theta, data, loss, grad, work);
    if (grad != NULL) {
        for (size_t i = 0; i < DIM; ++i) {
            grad[i] *= 2.0;
        }
    }
    return status;
}

/* …and one whose every component is too small by 1: the error must be
 * measured in absolute value, whatever the sign of the mistake. */
static gd_status shifted_loss_grad(const gd_model *self, const double *theta,
                                   const gd_data *data, double *loss, double *grad, double *work)
{
    gd_status status = quadratic_loss_grad(self, theta, data, loss, grad, work);
    if (grad != NULL) {
        for (size_t i = 0; i < DIM; ++i) {
            grad[i] -= 1.0;
        }
    }
    return status;
}

static void test_custom__gradient_checker_rejects_a_wrong_gradient(void **state)
{
    (void)state;
    quadratic q;
    quadratic_init(&q);
    gd_model model;
    assert_int_equal(gd_model_custom(&model, DIM, doubled_loss_grad, NULL, &q), GD_OK);
    const double theta[DIM] = {3.0, 1.0, -2.0, 0.0};
    double error = -1.0;
    assert_int_equal(gd_check_gradient(&model, NULL, theta, 1e-6, &error), GD_OK);
    assert_true(error > 0.4); /* |2g − g| / |2g| = ½ on the largest component */

    assert_int_equal(gd_model_custom(&model, DIM, shifted_loss_grad, NULL, &q), GD_OK);
    error = -1.0;
    assert_int_equal(gd_check_gradient(&model, NULL, theta, 1e-6, &error), GD_OK);
    assert_true(error > 0.05); /* 1 / max(1, |g|, |d|) with |g| ≲ 20 here */
}

/* Linear regression written by hand, through the data view: plain loops, no
 * scratch, no BLAS. ctx counts the predictions made. */
static gd_status hand_linear_loss_grad(const gd_model *self, const double *theta,
                                       const gd_data *data, double *loss, double *grad,
                                       double *work)
{
    (void)work;
    const size_t m = self->n_features;
    const size_t ldx = data->ldx == 0 ? m : data->ldx;
    double sum = 0.0, total_weight = 0.0;
    if (grad != NULL) {
        memset(grad, 0, (m + 1) * sizeof *grad);
    }
    for (size_t i = 0; i < data->n_rows; ++i) {
        const double s = data->weights != NULL ? data->weights[i] : 1.0;
        double r = theta[0] - data->y[i];
        for (size_t j = 0; j < m; ++j) {
            r += theta[j + 1] * data->x[i * ldx + j];
        }
        sum += s * 0.5 * r * r;
        total_weight += s;
        if (grad != NULL) {
            grad[0] += s * r;
            for (size_t j = 0; j < m; ++j) {
                grad[j + 1] += s * r * data->x[i * ldx + j];
            }
        }
    }
    if (grad != NULL) {
        for (size_t j = 0; j <= m; ++j) {
            grad[j] /= total_weight;
        }
    }
    *loss = sum / total_weight;
    return GD_OK;
}

static gd_status hand_linear_predict(const gd_model *self, const double *theta,
                                     const gd_data *data, double *out)
{
    size_t *predictions = self->ctx;
    const size_t m = self->n_features;
    const size_t ldx = data->ldx == 0 ? m : data->ldx;
    for (size_t i = 0; i < data->n_rows; ++i) {
        out[i] = theta[0];
        for (size_t j = 0; j < m; ++j) {
            out[i] += theta[j + 1] * data->x[i * ldx + j];
        }
    }
    *predictions += data->n_rows;
    return GD_OK;
}

static void test_custom__hand_written_linear_model_matches_the_builtin(void **state)
{
    (void)state;
    ts_dataset d;
    assert_int_equal(ts_load_csv("diabetes.csv", &d), 0);
    ts_standardize(&d);
    const size_t m = d.n_features;
    size_t predictions = 0;
    gd_model custom, builtin;
    assert_int_equal(
        gd_model_custom(&custom, m + 1, hand_linear_loss_grad, hand_linear_predict, &predictions),
        GD_OK);
    custom.n_features = m;
    assert_int_equal(gd_model_linear(&builtin, m, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, d.x, d.n_rows, m, d.y);

    double error = -1.0, probe[11] = {150.0, 1.0, -2.0, 3.0, 0.5, -1.0, 2.0, 0.0, 1.0, 4.0, 2.0};
    assert_int_equal(gd_check_gradient(&custom, &data, probe, 1e-6, &error), GD_OK);
    assert_true(error < 1e-6);

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.4;
    options.tolerance = 1e-10;
    double theta_custom[11], theta_builtin[11], reference[11];
    gd_report report_custom, report_builtin;
    assert_int_equal(gd_fit(&custom, &data, &options, theta_custom, &report_custom), GD_OK);
    assert_int_equal(gd_fit(&builtin, &data, &options, theta_builtin, &report_builtin), GD_OK);
    assert_int_equal(report_custom.stop, GD_STOP_CONVERGED);
    assert_int_equal(report_builtin.stop, GD_STOP_CONVERGED);
    assert_int_equal(ts_least_squares(d.x, d.y, d.n_rows, m, reference), 0);
    for (size_t j = 0; j <= m; ++j) {
        /* Same descent, different rounding only. */
        assert_true(fabs(theta_custom[j] - theta_builtin[j])
                    <= 1e-9 * fmax(1.0, fabs(reference[j])));
        assert_true(ts_rel_diff(theta_custom[j], reference[j]) < 1e-6);
    }
    assert_true(ts_rel_diff(report_custom.loss, report_builtin.loss) < 1e-12);

    /* gd_predict goes through the user's predict, and agrees with the built-in. */
    double *out_custom = malloc(d.n_rows * sizeof *out_custom);
    double *out_builtin = malloc(d.n_rows * sizeof *out_builtin);
    assert_non_null(out_custom);
    assert_non_null(out_builtin);
    assert_int_equal(gd_predict(&custom, theta_builtin, &data, out_custom), GD_OK);
    assert_int_equal(predictions, d.n_rows);
    assert_int_equal(gd_predict(&builtin, theta_builtin, &data, out_builtin), GD_OK);
    for (size_t i = 0; i < d.n_rows; ++i) {
        assert_true(fabs(out_custom[i] - out_builtin[i])
                    <= 1e-10 * fmax(1.0, fabs(out_builtin[i])));
    }
    /* n_features is enforced for a custom model that reads data. */
    gd_data narrow;
    gd_data_init(&narrow, d.x, d.n_rows, m - 1, d.y);
    assert_int_equal(gd_fit(&custom, &narrow, &options, theta_custom, NULL), GD_ERR_SIZE);
    free(out_custom);
    free(out_builtin);
    ts_free_dataset(&d);
}

/* The quadratic, failing with a chosen status at a chosen evaluation. */
typedef struct failing {
    quadratic q;
    size_t fail_at; /* 1-based evaluation that fails */
    gd_status status;
    size_t calls;
} failing;

static gd_status failing_loss_grad(const gd_model *self, const double *theta,
                                   const gd_data *data, double *loss, double *grad, double *work)
{
    failing *f = self->ctx;
    f->calls += 1;
    if (f->calls == f->fail_at) {
        if (grad != NULL) {
            grad[0] = NAN; /* scribbling on the outputs must not leak into θ */
        }
        *loss = NAN;
        return f->status;
    }
    gd_model inner = *self;
    inner.ctx = &f->q;
    return quadratic_loss_grad(&inner, theta, data, loss, grad, work);
}

static void test_custom__model_error_aborts_the_fit_and_leaves_theta(void **state)
{
    (void)state;
    static const size_t fail_at[] = {1, 2, 6};
    static const gd_status statuses[] = {GD_ERR_CALLBACK, GD_ERR_LABEL, GD_ERR_IO};
    for (size_t k = 0; k < 3; ++k) {
        failing f;
        quadratic_init(&f.q);
        f.fail_at = fail_at[k];
        f.status = statuses[k];
        f.calls = 0;
        gd_model model;
        assert_int_equal(gd_model_custom(&model, DIM, failing_loss_grad, NULL, &f), GD_OK);
        gd_options options;
        gd_options_init(&options);
        options.optimizer = GD_OPTIMIZER_GD;
        options.learning_rate = quadratic_safe_step(&f.q);
        options.init = k == 2 ? GD_INIT_GIVEN : GD_INIT_ZERO;
        double theta[DIM] = {0.5, -0.5, 2.0, 1.0}, before[DIM];
        memcpy(before, theta, sizeof theta);
        gd_report report;
        assert_int_equal(gd_fit(&model, NULL, &options, theta, &report), statuses[k]);
        assert_int_equal(f.calls, fail_at[k]); /* stopped at once */
        assert_int_equal(report.stop, GD_STOP_ERROR);
        assert_memory_equal(theta, before, sizeof theta);

        /* gd_objective and gd_check_gradient pass the status on too. */
        double loss = 123.0, error = 456.0;
        f.calls = 0;
        f.fail_at = 1;
        assert_int_equal(gd_objective(&model, theta, NULL, &loss), statuses[k]);
        assert_true(loss == 123.0);
        f.calls = 0;
        f.fail_at = 3; /* a finite-difference probe */
        assert_int_equal(gd_check_gradient(&model, NULL, theta, 1e-6, &error), statuses[k]);
        assert_true(error == 456.0);
    }
}

static void test_custom__predict_without_a_predict_function_is_a_model_error(void **state)
{
    (void)state;
    quadratic q;
    quadratic_init(&q);
    gd_model model;
    assert_int_equal(gd_model_custom(&model, DIM, quadratic_loss_grad, NULL, &q), GD_OK);
    assert_null(model.predict);
    const double x[3] = {1.0, 2.0, 3.0};
    gd_data data;
    gd_data_init(&data, x, 3, 1, NULL);
    const double theta[DIM] = {1.0, 2.0, 3.0, 4.0};
    double out[3] = {-7.0, -7.0, -7.0};
    assert_int_equal(gd_predict(&model, theta, &data, out), GD_ERR_MODEL);
    for (size_t i = 0; i < 3; ++i) {
        assert_true(out[i] == -7.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom__quadratic_is_fitted_to_its_centre),
        cmocka_unit_test(test_custom__gradient_checker_accepts_the_quadratic),
        cmocka_unit_test(test_custom__gradient_checker_rejects_a_wrong_gradient),
        cmocka_unit_test(test_custom__hand_written_linear_model_matches_the_builtin),
        cmocka_unit_test(test_custom__model_error_aborts_the_fit_and_leaves_theta),
        cmocka_unit_test(test_custom__predict_without_a_predict_function_is_a_model_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
