/* Bad input for every public entry point of the foundation: each gives its
 * documented status and changes nothing (outputs are filled with a sentinel
 * byte pattern first and compared byte for byte after). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

#define N 6
#define M 2
#define LDX 3 /* one double of padding per row, NaN: never read */
#define SENTINEL 0xA7

#define expect_status(call, expected, what)                                            \
    do {                                                                               \
        gd_status got_ = (call);                                                       \
        if (got_ != (expected)) {                                                      \
            print_error("%s: %s gave %d (%s), expected %d\n", (what), #call, (int)got_, \
                        gd_strerror(got_), (int)(expected));                           \
        }                                                                              \
        assert_int_equal(got_, (expected));                                            \
    } while (0)

static int untouched(const void *p, size_t bytes)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < bytes; ++i) {
        if (c[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

/* A small valid problem; each case breaks one thing in a copy of it. */
typedef struct fixture {
    double x[N * LDX];
    double y[N];
    double weights[N];
    gd_model model;
    gd_data data;
    gd_options options;
    double theta[M + 1];
} fixture;

static void fixture_init(fixture *f)
{
    for (size_t i = 0; i < N; ++i) {
        f->x[i * LDX] = (double)i;
        f->x[i * LDX + 1] = (double)((i * 7) % 5) - 2.0;
        f->x[i * LDX + 2] = NAN;
        f->y[i] = 1.0 + 0.5 * (double)i - 0.25 * f->x[i * LDX + 1];
        f->weights[i] = 1.0 + (double)(i % 3);
    }
    assert_int_equal(gd_model_linear(&f->model, M, 0.1), GD_OK);
    gd_data_init(&f->data, f->x, N, M, f->y);
    f->data.ldx = LDX;
    f->data.weights = f->weights;
    gd_options_init(&f->options);
    f->options.optimizer = GD_OPTIMIZER_GD; /* the seed's fixed step: α below is used */
    f->options.learning_rate = 0.02;
    f->options.max_iter = 5;
    f->theta[0] = 0.5;
    f->theta[1] = -1.0;
    f->theta[2] = 2.0;
}

/* Every evaluating entry point on (model, data) with valid other arguments:
 * gd_fit, gd_objective and gd_check_gradient give `status`, gd_predict
 * `predict_status`; failures leave every output as it was. */
static void expect_everywhere(const fixture *f, const gd_model *model, const gd_data *data,
                              gd_status status, gd_status predict_status, const char *what)
{
    double theta[M + 1], out[N], loss, error;
    gd_report report;

    memset(theta, SENTINEL, sizeof theta);
    expect_status(gd_fit(model, data, &f->options, theta, &report), status, what);
    if (status != GD_OK) {
        assert_true(untouched(theta, sizeof theta));
        assert_int_equal(report.stop, GD_STOP_NONE);
    }
    /* With a given start as well (θ must then stay exactly as given). */
    gd_options given = f->options;
    given.init = GD_INIT_GIVEN;
    memcpy(theta, f->theta, sizeof theta);
    expect_status(gd_fit(model, data, &given, theta, NULL), status, what);
    if (status != GD_OK) {
        assert_memory_equal(theta, f->theta, sizeof theta);
    }

    memset(&loss, SENTINEL, sizeof loss);
    expect_status(gd_objective(model, f->theta, data, &loss), status, what);
    if (status != GD_OK) {
        assert_true(untouched(&loss, sizeof loss));
    }
    memset(&error, SENTINEL, sizeof error);
    expect_status(gd_check_gradient(model, data, f->theta, 1e-6, &error), status, what);
    if (status != GD_OK) {
        assert_true(untouched(&error, sizeof error));
    }
    memset(out, SENTINEL, sizeof out);
    expect_status(gd_predict(model, f->theta, data, out), predict_status, what);
    if (predict_status != GD_OK) {
        assert_true(untouched(out, sizeof out));
    } else {
        for (size_t i = 0; i < data->n_rows; ++i) {
            double expected = f->theta[0] + f->theta[1] * data->x[i * LDX]
                              + f->theta[2] * data->x[i * LDX + 1];
            assert_true(fabs(out[i] - expected) < 1e-12);
        }
    }
}

/* ---- data ---- */

typedef struct bad_data {
    const char *name;
    void (*apply)(fixture *f);
    gd_status validate_status; /* gd_data_validate(data, need_y = 1) */
    gd_status status;          /* gd_fit, gd_objective, gd_check_gradient */
    gd_status predict_status;  /* gd_predict ignores y and the weights */
} bad_data;

static void zero_rows(fixture *f) { f->data.n_rows = 0; }
static void short_stride(fixture *f) { f->data.ldx = 1; }
static void null_x(fixture *f) { f->data.x = NULL; }
static void null_y(fixture *f) { f->data.y = NULL; }
static void wrong_features(fixture *f) { f->data.n_features = 1; }
static void rows_overflow(fixture *f) { f->data.n_rows = SIZE_MAX / 2; }
static void stride_beyond_blas(fixture *f)
{
    f->data.n_rows = 1;
    f->data.ldx = (size_t)INT_MAX + 1;
}
static void stride_overflow(fixture *f) { f->data.ldx = SIZE_MAX / 4; }
static void nan_x(fixture *f) { f->x[4 * LDX + 1] = NAN; }
static void inf_x(fixture *f) { f->x[0] = -INFINITY; }
static void nan_y(fixture *f) { f->y[N - 1] = NAN; }
static void inf_y(fixture *f) { f->y[2] = INFINITY; }
static void nan_weight(fixture *f) { f->weights[3] = NAN; }
static void inf_weight(fixture *f) { f->weights[0] = INFINITY; }
static void negative_weight(fixture *f) { f->weights[1] = -0.5; }
static void zero_weights(fixture *f) { memset(f->weights, 0, sizeof f->weights); }

static const bad_data bad_data_cases[] = {
    {"n_rows = 0", zero_rows, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE},
    {"ldx < n_features", short_stride, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE},
    {"x NULL", null_x, GD_ERR_NULL, GD_ERR_NULL, GD_ERR_NULL},
    {"y NULL", null_y, GD_ERR_NULL, GD_ERR_NULL, GD_OK},
    {"n_features not the model's", wrong_features, GD_OK, GD_ERR_SIZE, GD_ERR_SIZE},
    {"n_rows·ldx overflows", rows_overflow, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW},
    {"ldx beyond BLAS int", stride_beyond_blas, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW,
     GD_ERR_OVERFLOW},
    {"ldx·n_rows overflows", stride_overflow, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW},
    {"NaN in X", nan_x, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE},
    {"-Inf in X", inf_x, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE},
    {"NaN in y", nan_y, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_OK},
    {"Inf in y", inf_y, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_OK},
    {"NaN weight", nan_weight, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_OK},
    {"Inf weight", inf_weight, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_OK},
    {"negative weight", negative_weight, GD_ERR_WEIGHT, GD_ERR_WEIGHT, GD_OK},
    {"all weights zero", zero_weights, GD_ERR_WEIGHT, GD_ERR_WEIGHT, GD_OK},
};

static void test_api__bad_data_is_refused_everywhere(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad_data_cases / sizeof bad_data_cases[0]; ++k) {
        const bad_data *c = &bad_data_cases[k];
        fixture *f = malloc(sizeof *f);
        assert_non_null(f);
        fixture_init(f);
        c->apply(f);
        double x[N * LDX], y[N], weights[N];
        memcpy(x, f->x, sizeof x);
        memcpy(y, f->y, sizeof y);
        memcpy(weights, f->weights, sizeof weights);
        expect_status(gd_data_validate(&f->data, 1), c->validate_status, c->name);
        expect_everywhere(f, &f->model, &f->data, c->status, c->predict_status, c->name);
        /* Inputs are borrowed read-only. */
        assert_memory_equal(f->x, x, sizeof x);
        assert_memory_equal(f->y, y, sizeof y);
        assert_memory_equal(f->weights, weights, sizeof weights);
        free(f);
    }
}

/* L(θ) = ½‖θ‖²: a model that reads no data. */
static gd_status sum_of_squares(const gd_model *self, const double *theta, const gd_data *data,
                                double *loss, double *grad, double *work)
{
    (void)data;
    (void)work;
    double sum = 0.0;
    for (size_t j = 0; j < self->n_params; ++j) {
        sum += 0.5 * theta[j] * theta[j];
        if (grad != NULL) {
            grad[j] = theta[j];
        }
    }
    *loss = sum;
    return GD_OK;
}

static void test_api__valid_data_passes(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_int_equal(gd_data_validate(&f.data, 1), GD_OK); /* NaN padding is not data */
    f.data.y = NULL;
    assert_int_equal(gd_data_validate(&f.data, 0), GD_OK);
    /* ldx = 0 means n_features: the NaN padding is then read as data. */
    f.data.ldx = 0;
    assert_int_equal(gd_data_validate(&f.data, 0), GD_ERR_NONFINITE);
    const double dense[4] = {1.0, 2.0, 3.0, 4.0};
    gd_data plain = {dense, 2, 2, 0, NULL, NULL};
    assert_int_equal(gd_data_validate(&plain, 0), GD_OK);
    f.weights[2] = 0.0; /* some zero weights are fine */
    f.data.y = f.y;
    f.data.ldx = LDX;
    assert_int_equal(gd_data_validate(&f.data, 1), GD_OK);
    expect_everywhere(&f, &f.model, &f.data, GD_OK, GD_OK, "valid data");

    /* A data view for a data-free model may be NULL or empty (n_rows = 0). */
    const gd_data empty = {0};
    double error = -1.0;
    gd_model custom;
    assert_int_equal(gd_model_custom(&custom, M + 1, sum_of_squares, NULL, NULL), GD_OK);
    assert_int_equal(gd_data_validate(&empty, 0), GD_ERR_SIZE);
    assert_int_equal(gd_check_gradient(&custom, &empty, f.theta, 1e-6, &error), GD_OK);
    assert_true(error >= 0.0 && error < 1e-6);
    error = -1.0;
    assert_int_equal(gd_check_gradient(&custom, NULL, f.theta, 1e-6, &error), GD_OK);
    assert_true(error >= 0.0 && error < 1e-6);
    double theta[M + 1], loss = -1.0;
    assert_int_equal(gd_fit(&custom, &empty, NULL, theta, NULL), GD_OK);
    assert_int_equal(gd_objective(&custom, f.theta, &empty, &loss), GD_OK);
    assert_true(fabs(loss - 0.5 * (0.25 + 1.0 + 4.0)) < 1e-15);
}

static void test_api__null_arguments(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    double theta[M + 1], out[N], loss, error;
    gd_report report;
    memset(theta, SENTINEL, sizeof theta);
    memset(out, SENTINEL, sizeof out);
    memset(&loss, SENTINEL, sizeof loss);
    memset(&error, SENTINEL, sizeof error);

    expect_status(gd_fit(NULL, &f.data, &f.options, theta, &report), GD_ERR_NULL, "fit model");
    assert_int_equal(report.stop, GD_STOP_NONE);
    expect_status(gd_fit(&f.model, NULL, &f.options, theta, &report), GD_ERR_NULL, "fit data");
    expect_status(gd_fit(&f.model, &f.data, &f.options, NULL, &report), GD_ERR_NULL, "fit theta");
    assert_int_equal(report.stop, GD_STOP_NONE);
    assert_true(untouched(theta, sizeof theta));

    expect_status(gd_predict(NULL, f.theta, &f.data, out), GD_ERR_NULL, "predict model");
    expect_status(gd_predict(&f.model, NULL, &f.data, out), GD_ERR_NULL, "predict theta");
    expect_status(gd_predict(&f.model, f.theta, NULL, out), GD_ERR_NULL, "predict data");
    expect_status(gd_predict(&f.model, f.theta, &f.data, NULL), GD_ERR_NULL, "predict out");
    assert_true(untouched(out, sizeof out));

    expect_status(gd_objective(NULL, f.theta, &f.data, &loss), GD_ERR_NULL, "objective model");
    expect_status(gd_objective(&f.model, NULL, &f.data, &loss), GD_ERR_NULL, "objective theta");
    expect_status(gd_objective(&f.model, f.theta, NULL, &loss), GD_ERR_NULL, "objective data");
    expect_status(gd_objective(&f.model, f.theta, &f.data, NULL), GD_ERR_NULL, "objective out");
    assert_true(untouched(&loss, sizeof loss));

    expect_status(gd_check_gradient(NULL, &f.data, f.theta, 1e-6, &error), GD_ERR_NULL, "check");
    expect_status(gd_check_gradient(&f.model, NULL, f.theta, 1e-6, &error), GD_ERR_NULL,
                  "check data");
    expect_status(gd_check_gradient(&f.model, &f.data, NULL, 1e-6, &error), GD_ERR_NULL,
                  "check theta");
    expect_status(gd_check_gradient(&f.model, &f.data, f.theta, 1e-6, NULL), GD_ERR_NULL,
                  "check out");
    assert_true(untouched(&error, sizeof error));

    expect_status(gd_model_validate(NULL), GD_ERR_NULL, "validate");
    expect_status(gd_data_validate(NULL, 1), GD_ERR_NULL, "data validate");

    /* The void initialisers ignore NULL. */
    gd_options_init(NULL);
    gd_data_init(NULL, f.x, N, M, f.y);
}

static void test_api__nonfinite_theta_is_refused(void **state)
{
    (void)state;
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < 3; ++k) {
        for (size_t j = 0; j <= M; ++j) {
            fixture f;
            fixture_init(&f);
            f.theta[j] = bad[k];
            double out[N], loss, error, theta[M + 1];
            memset(out, SENTINEL, sizeof out);
            memset(&loss, SENTINEL, sizeof loss);
            memset(&error, SENTINEL, sizeof error);
            expect_status(gd_predict(&f.model, f.theta, &f.data, out), GD_ERR_NONFINITE, "predict");
            expect_status(gd_objective(&f.model, f.theta, &f.data, &loss), GD_ERR_NONFINITE,
                          "objective");
            expect_status(gd_check_gradient(&f.model, &f.data, f.theta, 1e-6, &error),
                          GD_ERR_NONFINITE, "check");
            assert_true(untouched(out, sizeof out));
            assert_true(untouched(&loss, sizeof loss));
            assert_true(untouched(&error, sizeof error));

            memcpy(theta, f.theta, sizeof theta);
            f.options.init = GD_INIT_GIVEN;
            gd_report report;
            expect_status(gd_fit(&f.model, &f.data, &f.options, theta, &report), GD_ERR_NONFINITE,
                          "fit given");
            assert_memory_equal(theta, f.theta, sizeof theta);
            assert_int_equal(report.stop, GD_STOP_NONE);
            /* θ is only an output under the other inits: NaN in it is fine. */
            f.options.init = GD_INIT_ZERO;
            assert_int_equal(gd_fit(&f.model, &f.data, &f.options, theta, &report), GD_OK);
            for (size_t i = 0; i <= M; ++i) {
                assert_true(isfinite(theta[i]));
            }
        }
    }
}

/* ---- models ---- */

typedef struct bad_model {
    const char *name;
    void (*apply)(gd_model *model);
    gd_status status;
} bad_model;

static void model_struct_size_zero(gd_model *m) { m->struct_size = 0; }
static void model_struct_size_short(gd_model *m) { m->struct_size = sizeof *m - 1; }
static void model_no_loss_grad(gd_model *m) { m->loss_grad = NULL; }
static void model_no_params(gd_model *m) { m->n_params = 0; }
static void model_no_outputs(gd_model *m) { m->n_outputs = 0; }
static void model_negative_l2(gd_model *m) { m->l2 = -0.1; }
static void model_nan_l2(gd_model *m) { m->l2 = NAN; }
static void model_inf_l2(gd_model *m) { m->l2 = INFINITY; }
static void model_params_overflow(gd_model *m) { m->n_params = SIZE_MAX / 4; }
static void model_features_beyond_blas(gd_model *m) { m->n_features = (size_t)INT_MAX + 1; }

static const bad_model bad_model_cases[] = {
    {"struct_size 0", model_struct_size_zero, GD_ERR_MODEL},
    {"struct_size short", model_struct_size_short, GD_ERR_MODEL},
    {"loss_grad NULL", model_no_loss_grad, GD_ERR_MODEL},
    {"n_params 0", model_no_params, GD_ERR_MODEL},
    {"n_outputs 0", model_no_outputs, GD_ERR_MODEL},
    {"l2 < 0", model_negative_l2, GD_ERR_MODEL},
    {"l2 NaN", model_nan_l2, GD_ERR_MODEL},
    {"l2 Inf", model_inf_l2, GD_ERR_MODEL},
    {"n_params·8 overflows", model_params_overflow, GD_ERR_OVERFLOW},
    {"n_features beyond BLAS int", model_features_beyond_blas, GD_ERR_OVERFLOW},
};

static void test_api__bad_models_are_refused_everywhere(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_int_equal(gd_model_validate(&f.model), GD_OK);
    for (size_t k = 0; k < sizeof bad_model_cases / sizeof bad_model_cases[0]; ++k) {
        const bad_model *c = &bad_model_cases[k];
        gd_model model = f.model;
        c->apply(&model);
        expect_status(gd_model_validate(&model), c->status, c->name);
        expect_everywhere(&f, &model, &f.data, c->status, c->status, c->name);
    }
}

static gd_status never_called(const gd_model *self, const double *theta, const gd_data *data,
                              double *loss, double *grad, double *work)
{
    (void)self;
    (void)theta;
    (void)data;
    (void)grad;
    (void)work;
    *loss = 0.0;
    fail_msg("a model function ran for a model that failed construction");
    return GD_OK;
}

static void test_api__model_constructors_refuse_bad_arguments(void **state)
{
    (void)state;
    gd_model model;
    memset(&model, SENTINEL, sizeof model);
    expect_status(gd_model_linear(NULL, 2, 0.0), GD_ERR_NULL, "linear NULL");
    expect_status(gd_model_linear(&model, 0, 0.0), GD_ERR_SIZE, "linear m = 0");
    expect_status(gd_model_linear(&model, (size_t)INT_MAX + 1, 0.0), GD_ERR_OVERFLOW,
                  "linear m beyond int");
    expect_status(gd_model_linear(&model, SIZE_MAX, 0.0), GD_ERR_OVERFLOW, "linear m = SIZE_MAX");
    expect_status(gd_model_linear(&model, 2, -1e-3), GD_ERR_OPTION, "linear l2 < 0");
    expect_status(gd_model_linear(&model, 2, NAN), GD_ERR_OPTION, "linear l2 NaN");
    expect_status(gd_model_linear(&model, 2, INFINITY), GD_ERR_OPTION, "linear l2 Inf");
    expect_status(gd_model_linear(&model, 2, -INFINITY), GD_ERR_OPTION, "linear l2 -Inf");
    assert_true(untouched(&model, sizeof model));

    int ctx = 0;
    expect_status(gd_model_custom(NULL, 2, never_called, NULL, &ctx), GD_ERR_NULL, "custom NULL");
    expect_status(gd_model_custom(&model, 2, NULL, NULL, &ctx), GD_ERR_NULL, "custom no loss");
    expect_status(gd_model_custom(&model, 0, never_called, NULL, &ctx), GD_ERR_SIZE,
                  "custom n_params 0");
    assert_true(untouched(&model, sizeof model));

    /* and the successful constructions fill every field */
    assert_int_equal(gd_model_custom(&model, 3, never_called, NULL, &ctx), GD_OK);
    assert_int_equal(model.struct_size, sizeof model);
    assert_int_equal(model.kind, GD_MODEL_CUSTOM);
    assert_int_equal(model.n_features, 0);
    assert_int_equal(model.n_outputs, 1);
    assert_int_equal(model.n_classes, 0);
    assert_int_equal(model.n_params, 3);
    assert_true(model.l2 == 0.0);
    assert_int_equal(model.n_threads, 0);
    assert_ptr_equal(model.loss_grad, never_called);
    assert_null(model.predict);
    assert_null(model.check_data);
    assert_null(model.work_size);
    assert_ptr_equal(model.ctx, &ctx);
    assert_int_equal(gd_model_validate(&model), GD_OK);

    memset(&model, SENTINEL, sizeof model);
    assert_int_equal(gd_model_linear(&model, 4, 0.25), GD_OK);
    assert_int_equal(model.struct_size, sizeof model);
    assert_int_equal(model.kind, GD_MODEL_LINEAR);
    assert_int_equal(model.n_features, 4);
    assert_int_equal(model.n_outputs, 1);
    assert_int_equal(model.n_classes, 0);
    assert_int_equal(model.n_params, 5);
    assert_true(model.l2 == 0.25);
    assert_non_null(model.loss_grad);
    assert_non_null(model.predict);
    assert_null(model.ctx);
    assert_int_equal(gd_model_validate(&model), GD_OK);
}

static void test_api__data_init_fills_a_plain_view(void **state)
{
    (void)state;
    const double x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {1, 2, 3};
    gd_data data;
    memset(&data, SENTINEL, sizeof data);
    gd_data_init(&data, x, 3, 2, y);
    assert_ptr_equal(data.x, x);
    assert_int_equal(data.n_rows, 3);
    assert_int_equal(data.n_features, 2);
    assert_int_equal(data.ldx, 2);
    assert_ptr_equal(data.y, y);
    assert_null(data.weights);
    assert_int_equal(gd_data_validate(&data, 1), GD_OK);
}

/* ---- options ---- */

typedef struct bad_option {
    const char *name;
    void (*apply)(gd_options *o);
} bad_option;

static void opt_struct_size_zero(gd_options *o) { o->struct_size = 0; }
static void opt_struct_size_tiny(gd_options *o) { o->struct_size = sizeof(size_t); }
static void opt_struct_size_newer(gd_options *o) { o->struct_size = sizeof *o + 8; }
static void opt_rate_zero(gd_options *o) { o->learning_rate = 0.0; }
static void opt_rate_negative(gd_options *o) { o->learning_rate = -0.1; }
static void opt_rate_nan(gd_options *o) { o->learning_rate = NAN; }
static void opt_rate_inf(gd_options *o) { o->learning_rate = INFINITY; }
static void opt_tolerance_negative(gd_options *o) { o->tolerance = -1e-9; }
static void opt_tolerance_nan(gd_options *o) { o->tolerance = NAN; }
static void opt_tolerance_inf(gd_options *o) { o->tolerance = INFINITY; }
static void opt_max_iter_zero(gd_options *o) { o->max_iter = 0; }
static void opt_optimizer_bad(gd_options *o) { o->optimizer = (gd_optimizer)99; }
static void opt_optimizer_negative(gd_options *o) { o->optimizer = (gd_optimizer)-1; }
static void opt_init_bad(gd_options *o) { o->init = (gd_init)3; }
static void opt_init_scale_negative(gd_options *o) { o->init_scale = -0.01; }
static void opt_init_scale_nan(gd_options *o) { o->init_scale = NAN; }
static void opt_loss_tolerance_negative(gd_options *o) { o->loss_tolerance = -1e-6; }
static void opt_loss_tolerance_nan(gd_options *o) { o->loss_tolerance = NAN; }
static void opt_momentum_nan(gd_options *o) { o->momentum = NAN; }
static void opt_momentum_negative(gd_options *o) { o->momentum = -0.5; }
static void opt_momentum_one(gd_options *o) { o->momentum = 1.0; }
static void opt_beta1_one(gd_options *o) { o->adam_beta1 = 1.0; }
static void opt_beta2_negative(gd_options *o) { o->adam_beta2 = -0.1; }
static void opt_epsilon_zero(gd_options *o) { o->adam_epsilon = 0.0; }
static void opt_batch_zero(gd_options *o) { o->batch_size = 0; }
static void opt_decay_negative(gd_options *o) { o->decay = -1.0; }
static void opt_lbfgs_memory_zero(gd_options *o) { o->lbfgs_memory = 0; }

static const bad_option bad_option_cases[] = {
    {"struct_size 0", opt_struct_size_zero},
    {"struct_size too small", opt_struct_size_tiny},
    {"struct_size from a newer header", opt_struct_size_newer},
    {"learning_rate 0", opt_rate_zero},
    {"learning_rate < 0", opt_rate_negative},
    {"learning_rate NaN", opt_rate_nan},
    {"learning_rate Inf", opt_rate_inf},
    {"tolerance < 0", opt_tolerance_negative},
    {"tolerance NaN", opt_tolerance_nan},
    {"tolerance Inf", opt_tolerance_inf},
    {"max_iter 0", opt_max_iter_zero},
    {"optimizer 99", opt_optimizer_bad},
    {"optimizer -1", opt_optimizer_negative},
    {"init 3", opt_init_bad},
    {"init_scale < 0", opt_init_scale_negative},
    {"init_scale NaN", opt_init_scale_nan},
    {"loss_tolerance < 0", opt_loss_tolerance_negative},
    {"loss_tolerance NaN", opt_loss_tolerance_nan},
    {"momentum NaN", opt_momentum_nan},
    {"momentum < 0", opt_momentum_negative},
    {"momentum 1", opt_momentum_one},
    {"adam_beta1 1", opt_beta1_one},
    {"adam_beta2 < 0", opt_beta2_negative},
    {"adam_epsilon 0", opt_epsilon_zero},
    {"batch_size 0", opt_batch_zero},
    {"decay < 0", opt_decay_negative},
    {"lbfgs_memory 0", opt_lbfgs_memory_zero},
};

static void test_api__bad_options_are_refused(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    for (size_t k = 0; k < sizeof bad_option_cases / sizeof bad_option_cases[0]; ++k) {
        const bad_option *c = &bad_option_cases[k];
        gd_options options = f.options;
        c->apply(&options);
        for (int init = 0; init < 3; ++init) {
            options.init = init == 0   ? GD_INIT_ZERO
                           : init == 1 ? GD_INIT_RANDOM
                                       : GD_INIT_GIVEN;
            if (c->apply == opt_init_bad) {
                options.init = (gd_init)3;
            }
            double theta[M + 1];
            memcpy(theta, f.theta, sizeof theta);
            gd_report report;
            memset(&report, SENTINEL, sizeof report);
            expect_status(gd_fit(&f.model, &f.data, &options, theta, &report), GD_ERR_OPTION,
                          c->name);
            assert_memory_equal(theta, f.theta, sizeof theta);
            assert_int_equal(report.stop, GD_STOP_NONE);
            assert_int_equal(report.iterations, 0);
        }
    }
}

static void test_api__options_defaults(void **state)
{
    (void)state;
    gd_options o;
    memset(&o, SENTINEL, sizeof o);
    gd_options_init(&o);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.optimizer, GD_OPTIMIZER_LBFGS);
    assert_true(o.learning_rate == 0.01);
    assert_true(o.tolerance == 1e-6);
    assert_int_equal(o.max_iter, 100000);
    assert_int_equal(o.init, GD_INIT_ZERO);
    assert_int_equal(o.seed, 42);
    assert_true(o.init_scale == 0.01);
    assert_int_equal(o.line_search, 0);
    assert_int_equal(o.tolerance_relative, 0);
    assert_true(o.loss_tolerance == 0.0);
    assert_true(o.momentum == 0.9);
    assert_true(o.adam_beta1 == 0.9);
    assert_true(o.adam_beta2 == 0.999);
    assert_true(o.adam_epsilon == 1e-8);
    assert_int_equal(o.batch_size, 32);
    assert_int_equal(o.max_epochs, 0);
    assert_true(o.decay == 0.0);
    assert_int_equal(o.lbfgs_memory, 10);
    assert_null(o.callback);
    assert_null(o.callback_user);
    assert_null(o.allocator);

    /* NULL options are the defaults. */
    fixture f;
    fixture_init(&f);
    double with_null[M + 1], with_defaults[M + 1];
    gd_report r1, r2;
    assert_int_equal(gd_fit(&f.model, &f.data, NULL, with_null, &r1), GD_OK);
    assert_int_equal(gd_fit(&f.model, &f.data, &o, with_defaults, &r2), GD_OK);
    assert_memory_equal(with_null, with_defaults, sizeof with_null);
    assert_int_equal(r1.iterations, r2.iterations);
    assert_int_equal(r1.stop, r2.stop);
    /* The default (L-BFGS, no step size to choose) solves this small problem. */
    assert_int_equal(r1.stop, GD_STOP_CONVERGED);
}

/* An options struct from an older, shorter header: the fields it lacks keep
 * their defaults, whatever garbage lies beyond its struct_size. */
static int must_not_be_called(const gd_progress *progress, void *user)
{
    (void)progress;
    (void)user;
    fail_msg("a callback beyond the caller's struct_size was called");
    return 1;
}

static void test_api__older_options_struct_keeps_defaults_beyond_its_size(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    gd_options old = f.options;
    old.struct_size = offsetof(gd_options, max_iter);
    old.max_iter = 0;                       /* invalid, but beyond the old struct */
    old.init = (gd_init)77;                 /* likewise */
    old.callback = must_not_be_called;     /* likewise */
    double theta[M + 1], expected[M + 1];
    gd_report report, expected_report;
    assert_int_equal(gd_fit(&f.model, &f.data, &old, theta, &report), GD_OK);

    gd_options current;
    gd_options_init(&current);
    current.optimizer = f.options.optimizer;
    current.learning_rate = f.options.learning_rate;
    current.tolerance = f.options.tolerance;
    assert_int_equal(gd_fit(&f.model, &f.data, &current, expected, &expected_report), GD_OK);
    assert_memory_equal(theta, expected, sizeof theta);
    assert_int_equal(report.iterations, expected_report.iterations);
}

static void test_api__check_gradient_step_defaults(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    static const double steps[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t k = 0; k < 4; ++k) {
        double error = -1.0;
        assert_int_equal(gd_check_gradient(&f.model, &f.data, f.theta, steps[k], &error), GD_OK);
        assert_true(error >= 0.0 && error < 1e-6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api__bad_data_is_refused_everywhere),
        cmocka_unit_test(test_api__valid_data_passes),
        cmocka_unit_test(test_api__null_arguments),
        cmocka_unit_test(test_api__nonfinite_theta_is_refused),
        cmocka_unit_test(test_api__bad_models_are_refused_everywhere),
        cmocka_unit_test(test_api__model_constructors_refuse_bad_arguments),
        cmocka_unit_test(test_api__data_init_fills_a_plain_view),
        cmocka_unit_test(test_api__bad_options_are_refused),
        cmocka_unit_test(test_api__options_defaults),
        cmocka_unit_test(test_api__older_options_struct_keeps_defaults_beyond_its_size),
        cmocka_unit_test(test_api__check_gradient_step_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
