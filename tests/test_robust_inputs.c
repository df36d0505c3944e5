/* Bad input (issue 6, part 1): the cells of docs/robustness.md that the
 * older suites leave open. test_api.c runs every class of bad data through
 * the linear model; here the same classes go through logistic, softmax and
 * a user's model, and through gd_predict_class, gd_class_weights_balanced
 * and gd_standardize_fit; plus sizes that overflow in a user's model,
 * subnormal weights, the scaler's overflow path, bad CSV options and a
 * callback that stops at once. Outputs are filled with a sentinel byte
 * first and must be untouched after every failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

#define N 9
#define M 2
#define LDX 3 /* one NaN of padding per row: never read */
#define K 3
#define MAX_PARAMS ((M + 1) * K)
#define SENTINEL 0x3D

#define expect_status(call, expected, what)                                               \
    do {                                                                                  \
        const gd_status got_ = (call);                                                    \
        if (got_ != (expected)) {                                                         \
            fail_msg("%s: %s gave %s, expected %s", (what), #call, gd_strerror(got_),     \
                     gd_strerror(expected));                                              \
        }                                                                                 \
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

/* ---- every class of bad data, on every model ---- */

typedef enum model_choice { LOGISTIC, SOFTMAX, CUSTOM, N_MODELS } model_choice;
static const char *const model_names[N_MODELS] = {"logistic", "softmax", "custom"};

/* A user's model that reads data: least squares by loops, with a target check. */
static gd_status custom_loss_grad(const gd_model *self, const double *theta, const gd_data *data,
                                  double *loss, double *grad, double *work)
{
    (void)work;
    *loss = ts_linear_objective(data->x, data->ldx == 0 ? data->n_features : data->ldx, data->y,
                                data->weights, data->n_rows, self->n_features, self->l2, theta,
                                grad);
    return GD_OK;
}

static gd_status custom_predict(const gd_model *self, const double *theta, const gd_data *data,
                                double *out)
{
    const size_t ldx = data->ldx == 0 ? data->n_features : data->ldx;
    for (size_t i = 0; i < data->n_rows; ++i) {
        out[i] = theta[0];
        for (size_t j = 0; j < self->n_features; ++j) {
            out[i] += theta[1 + j] * data->x[i * ldx + j];
        }
    }
    return GD_OK;
}

typedef struct fixture {
    double x[N * LDX];
    double y[N];
    double weights[N];
    gd_model model;
    gd_data data;
} fixture;

static void fixture_init(fixture *f, model_choice which)
{
    for (size_t i = 0; i < N; ++i) {
        f->x[i * LDX] = (double)i - 4.0;
        f->x[i * LDX + 1] = (double)((i * 5) % 7) - 3.0;
        f->x[i * LDX + 2] = NAN;
        f->y[i] = which == LOGISTIC ? (double)(i % 2) : (double)(i % K);
        f->weights[i] = 0.5 + (double)(i % 3);
    }
    switch (which) {
    case LOGISTIC:
        assert_int_equal(gd_model_logistic(&f->model, M, 0.1), GD_OK);
        break;
    case SOFTMAX:
        assert_int_equal(gd_model_softmax(&f->model, M, K, 0.1), GD_OK);
        break;
    default:
        assert_int_equal(
            gd_model_custom(&f->model, M + 1, custom_loss_grad, custom_predict, NULL), GD_OK);
        f->model.n_features = M;
        break;
    }
    gd_data_init(&f->data, f->x, N, M, f->y);
    f->data.ldx = LDX;
    f->data.weights = f->weights;
}

typedef struct bad_data {
    const char *name;
    void (*apply)(fixture *f);
    gd_status status;         /* gd_fit, gd_objective, gd_check_gradient */
    gd_status predict_status; /* gd_predict, gd_predict_class: y and weights ignored */
    gd_status balance_status; /* gd_class_weights_balanced: weights ignored */
    gd_status scaler_status;  /* gd_standardize_fit: y and weights ignored */
} bad_data;

static void null_x(fixture *f) { f->data.x = NULL; }
static void null_y(fixture *f) { f->data.y = NULL; }
static void zero_rows(fixture *f) { f->data.n_rows = 0; }
static void short_stride(fixture *f) { f->data.ldx = 1; }
static void wrong_features(fixture *f) { f->data.n_features = M - 1; }
static void rows_overflow(fixture *f) { f->data.n_rows = SIZE_MAX / 2; }
static void stride_beyond_blas(fixture *f)
{
    f->data.n_rows = 1;
    f->data.ldx = (size_t)INT_MAX + 1;
}
static void nan_x(fixture *f) { f->x[3 * LDX + 1] = NAN; }
static void inf_x(fixture *f) { f->x[0] = INFINITY; }
static void nan_y(fixture *f) { f->y[N - 1] = NAN; }
static void inf_y(fixture *f) { f->y[1] = -INFINITY; }
static void nan_weight(fixture *f) { f->weights[2] = NAN; }
static void inf_weight(fixture *f) { f->weights[0] = INFINITY; }
static void negative_weight(fixture *f) { f->weights[4] = -1.0; }
static void zero_weights(fixture *f) { memset(f->weights, 0, sizeof f->weights); }
static void subnormal_weights(fixture *f)
{
    for (size_t i = 0; i < N; ++i) {
        f->weights[i] = 1e-320; /* S > 0, but 1/S overflows */
    }
}
static void weights_sum_overflows(fixture *f)
{
    for (size_t i = 0; i < N; ++i) {
        f->weights[i] = DBL_MAX / 4.0;
    }
}

static const bad_data bad_data_cases[] = {
    {"x NULL", null_x, GD_ERR_NULL, GD_ERR_NULL, GD_ERR_NULL, GD_ERR_NULL},
    {"y NULL", null_y, GD_ERR_NULL, GD_OK, GD_ERR_NULL, GD_OK},
    {"n_rows 0", zero_rows, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE},
    {"ldx < n_features", short_stride, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE},
    {"n_features not the model's", wrong_features, GD_ERR_SIZE, GD_ERR_SIZE, GD_ERR_SIZE, GD_OK},
    {"n_rows·ldx overflows", rows_overflow, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW,
     GD_ERR_OVERFLOW},
    {"ldx beyond BLAS int", stride_beyond_blas, GD_ERR_OVERFLOW, GD_ERR_OVERFLOW,
     GD_ERR_OVERFLOW, GD_ERR_OVERFLOW},
    {"NaN in X", nan_x, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE},
    {"Inf in X", inf_x, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE, GD_ERR_NONFINITE},
    {"NaN in y", nan_y, GD_ERR_NONFINITE, GD_OK, GD_ERR_NONFINITE, GD_OK},
    {"-Inf in y", inf_y, GD_ERR_NONFINITE, GD_OK, GD_ERR_NONFINITE, GD_OK},
    {"NaN weight", nan_weight, GD_ERR_NONFINITE, GD_OK, GD_OK, GD_OK},
    {"Inf weight", inf_weight, GD_ERR_NONFINITE, GD_OK, GD_OK, GD_OK},
    {"negative weight", negative_weight, GD_ERR_WEIGHT, GD_OK, GD_OK, GD_OK},
    {"all weights 0", zero_weights, GD_ERR_WEIGHT, GD_OK, GD_OK, GD_OK},
    {"subnormal weights", subnormal_weights, GD_ERR_WEIGHT, GD_OK, GD_OK, GD_OK},
    {"weights' sum overflows", weights_sum_overflows, GD_ERR_WEIGHT, GD_OK, GD_OK, GD_OK},
};

static void run_bad_data(model_choice which, const bad_data *c)
{
    fixture *f = malloc(sizeof *f);
    assert_non_null(f);
    fixture_init(f, which);
    c->apply(f);
    char what[128];
    snprintf(what, sizeof what, "%s, %s", model_names[which], c->name);
    const gd_model *model = &f->model;
    const gd_data *data = &f->data;
    const double given[MAX_PARAMS] = {0.1, -0.2, 0.3, 0.05, 0.0, -0.1, 0.2, 0.1, -0.3};

    double theta[MAX_PARAMS];
    gd_report report;
    memset(theta, SENTINEL, sizeof theta);
    memset(&report, SENTINEL, sizeof report);
    gd_options options;
    gd_options_init(&options);
    options.max_iter = 20;
    expect_status(gd_fit(model, data, &options, theta, &report), c->status, what);
    if (c->status != GD_OK) {
        assert_true(untouched(theta, sizeof theta));
        assert_int_equal(report.stop, GD_STOP_NONE);
        assert_int_equal(report.iterations, 0);
    }

    double loss, error;
    memset(&loss, SENTINEL, sizeof loss);
    memset(&error, SENTINEL, sizeof error);
    expect_status(gd_objective(model, given, data, &loss), c->status, what);
    expect_status(gd_check_gradient(model, data, given, 1e-6, &error), c->status, what);
    if (c->status != GD_OK) {
        assert_true(untouched(&loss, sizeof loss));
        assert_true(untouched(&error, sizeof error));
    }

    double out[N * K];
    memset(out, SENTINEL, sizeof out);
    expect_status(gd_predict(model, given, data, out), c->predict_status, what);
    if (c->predict_status != GD_OK) {
        assert_true(untouched(out, sizeof out));
    }
    if (which != CUSTOM) {
        size_t labels[N];
        memset(labels, SENTINEL, sizeof labels);
        expect_status(gd_predict_class(model, given, data, labels), c->predict_status, what);
        if (c->predict_status != GD_OK) {
            assert_true(untouched(labels, sizeof labels));
        }
        double weights[N];
        memset(weights, SENTINEL, sizeof weights);
        expect_status(gd_class_weights_balanced(model, data, weights), c->balance_status, what);
        if (c->balance_status != GD_OK) {
            assert_true(untouched(weights, sizeof weights));
        }
    }
    double mean[M + 1], scale[M + 1];
    memset(mean, SENTINEL, sizeof mean);
    memset(scale, SENTINEL, sizeof scale);
    expect_status(gd_standardize_fit(data, mean, scale), c->scaler_status, what);
    if (c->scaler_status != GD_OK) {
        assert_true(untouched(mean, sizeof mean));
        assert_true(untouched(scale, sizeof scale));
    }
    free(f);
}

static void test_robust_inputs__bad_data_on_every_model(void **state)
{
    (void)state;
    for (int which = 0; which < N_MODELS; ++which) {
        for (size_t k = 0; k < sizeof bad_data_cases / sizeof bad_data_cases[0]; ++k) {
            run_bad_data((model_choice)which, &bad_data_cases[k]);
        }
    }
    /* and every one of them is valid before it is broken */
    for (int which = 0; which < N_MODELS; ++which) {
        fixture f;
        fixture_init(&f, (model_choice)which);
        assert_int_equal(gd_data_validate(&f.data, 1), GD_OK);
        double theta[MAX_PARAMS];
        assert_int_equal(gd_fit(&f.model, &f.data, NULL, theta, NULL), GD_OK);
    }
}

/* Subnormal weights: refused by validation (src/core/data.c); before, 1/S
 * overflowed and every fit "diverged" at its start. */
static void test_robust_inputs__subnormal_weights_are_a_weight_error(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, LOGISTIC);
    subnormal_weights(&f);
    assert_int_equal(gd_data_validate(&f.data, 1), GD_ERR_WEIGHT);
    /* One normal weight among them makes S normal again: accepted. */
    f.weights[0] = 1.0;
    assert_int_equal(gd_data_validate(&f.data, 1), GD_OK);
}

/* sgd's batches: a batch whose rows carry only subnormal weights must not be
 * taken for a divergence (its own 1/S overflows), whatever the others do. */
static void test_robust_inputs__sgd_batch_of_subnormal_weights(void **state)
{
    (void)state;
    enum { ROWS = 64 };
    double x[ROWS], y[ROWS], weights[ROWS];
    for (size_t i = 0; i < ROWS; ++i) {
        x[i] = (double)i / 16.0 - 2.0;
        y[i] = 1.0 + 2.0 * x[i];
        weights[i] = i < ROWS / 2 ? 1e-320 : 1.0;
    }
    gd_model model;
    assert_int_equal(gd_model_linear(&model, 1, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, ROWS, 1, y);
    data.weights = weights;
    assert_int_equal(gd_data_validate(&data, 1), GD_OK);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_SGD;
    options.batch_size = 4;
    options.learning_rate = 0.05;
    options.max_iter = 20000;
    double theta[2];
    gd_report report;
    const gd_status status = gd_fit(&model, &data, &options, theta, &report);
    if (status != GD_OK) {
        fail_msg("sgd with subnormal-weight batches: %s, stop %s after %zu updates",
                 gd_strerror(status), gd_stop_name(report.stop), report.iterations);
    }
    /* The weighted rows fit y = 1 + 2x exactly. */
    assert_true(fabs(theta[0] - 1.0) < 1e-3);
    assert_true(fabs(theta[1] - 2.0) < 1e-3);
}

/* ---- sizes that overflow in a user's model ---- */

static size_t huge_work(const gd_model *self, size_t n_rows)
{
    (void)self;
    (void)n_rows;
    return SIZE_MAX / 2;
}

static void test_robust_inputs__user_model_sizes_that_overflow(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, CUSTOM);
    double theta[MAX_PARAMS], loss, error;
    const double given[MAX_PARAMS] = {0};
    gd_report report;

    /* θ's length: the constructor takes it, validation refuses it. */
    gd_model model;
    assert_int_equal(gd_model_custom(&model, SIZE_MAX, custom_loss_grad, NULL, NULL), GD_OK);
    assert_int_equal(gd_model_validate(&model), GD_ERR_OVERFLOW);
    memset(theta, SENTINEL, sizeof theta);
    assert_int_equal(gd_fit(&model, NULL, NULL, theta, &report), GD_ERR_OVERFLOW);
    assert_true(untouched(theta, sizeof theta));
    assert_int_equal(report.stop, GD_STOP_NONE);

    /* Scratch: work_size beyond what can be allocated. */
    model = f.model;
    model.work_size = huge_work;
    assert_int_equal(gd_model_validate(&model), GD_OK);
    memset(theta, SENTINEL, sizeof theta);
    memset(&loss, SENTINEL, sizeof loss);
    memset(&error, SENTINEL, sizeof error);
    static const gd_optimizer all[] = {GD_OPTIMIZER_GD,  GD_OPTIMIZER_MOMENTUM,
                                       GD_OPTIMIZER_NESTEROV, GD_OPTIMIZER_ADAM,
                                       GD_OPTIMIZER_SGD, GD_OPTIMIZER_LBFGS};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; ++k) {
        gd_options options;
        gd_options_init(&options);
        options.optimizer = all[k];
        const gd_status status = gd_fit(&model, &f.data, &options, theta, &report);
        if (status != GD_ERR_OVERFLOW) {
            fail_msg("optimizer %d with work_size SIZE_MAX/2: %s", (int)all[k],
                     gd_strerror(status));
        }
        assert_true(untouched(theta, sizeof theta));
    }
    assert_int_equal(gd_objective(&model, given, &f.data, &loss), GD_ERR_OVERFLOW);
    assert_int_equal(gd_check_gradient(&model, &f.data, given, 1e-6, &error), GD_ERR_OVERFLOW);
    assert_true(untouched(&loss, sizeof loss));
    assert_true(untouched(&error, sizeof error));

    /* An sgd batch or an L-BFGS memory whose workspace overflows. */
    gd_options options;
    gd_options_init(&options);
    options.lbfgs_memory = SIZE_MAX / 4; /* pairs are capped at max_iter: lift it too */
    options.max_iter = SIZE_MAX;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, NULL), GD_ERR_OVERFLOW);
    assert_true(untouched(theta, sizeof theta));
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_SGD;
    options.batch_size = SIZE_MAX; /* more rows than the data: one batch of all */
    options.max_iter = 50;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, NULL), GD_OK);
}

/* ---- the scaler ---- */

static void test_robust_inputs__standardize_overflow_leaves_a_refused_scaler(void **state)
{
    (void)state;
    /* Finite values whose column variance overflows: (±DBL_MAX/2)². */
    double x[4 * 2] = {1.0, DBL_MAX / 2, 2.0, -DBL_MAX / 2, 3.0, DBL_MAX / 2, 4.0, -DBL_MAX / 2};
    gd_data data;
    gd_data_init(&data, x, 4, 2, NULL);
    double mean[2], scale[2];
    memset(mean, SENTINEL, sizeof mean);
    memset(scale, SENTINEL, sizeof scale);
    assert_int_equal(gd_standardize_fit(&data, mean, scale), GD_ERR_NONFINITE);
    /* "every mean and scale is NaN": the first column's too, not half a scaler */
    for (size_t j = 0; j < 2; ++j) {
        assert_true(isnan(mean[j]));
        assert_true(isnan(scale[j]));
    }
    double copy[8];
    memcpy(copy, x, sizeof x);
    assert_int_equal(gd_standardize_apply(x, 4, 2, 0, mean, scale), GD_ERR_NONFINITE);
    assert_memory_equal(x, copy, sizeof x);

    gd_model_file file;
    memset(&file, 0, sizeof file);
    assert_int_equal(gd_model_linear(&file.model, 2, 0.0), GD_OK);
    const double theta[3] = {0.0, 1.0, 2.0};
    file.theta = (double *)theta;
    file.mean = mean;
    file.scale = scale;
    file.label_column = SIZE_MAX;
    assert_int_equal(gd_model_save("/nonexistent-dir/never-written.model", &file),
                     GD_ERR_NONFINITE);
}

/* NaN in the data gd_standardize_apply transforms is not checked (only the
 * scaler is): it stays NaN, and gd_data_validate refuses it later. */
static void test_robust_inputs__standardize_apply_passes_nan_through(void **state)
{
    (void)state;
    double x[4] = {1.0, NAN, 3.0, INFINITY};
    const double mean[2] = {1.0, 1.0}, scale[2] = {2.0, 2.0};
    assert_int_equal(gd_standardize_apply(x, 2, 2, 0, mean, scale), GD_OK);
    assert_true(x[0] == 0.0 && x[2] == 1.0);
    assert_true(isnan(x[1]) && isinf(x[3]));
    gd_data data;
    gd_data_init(&data, x, 2, 2, NULL);
    assert_int_equal(gd_data_validate(&data, 0), GD_ERR_NONFINITE);
}

/* ---- Inf/NaN anywhere in a large X, found on any thread ----
 *
 * gd_fit and kin scan X on the model's threads (src/core/data.c), with the
 * partition of the kernels: 100000 × 7 is 5 threads' worth of work, so
 * n_threads = 2 and 4 split it into 2 and 4 chunks of 50000 and 25000 rows.
 * The bad value goes at the first and last element, at chunk boundaries and
 * in the middle; the oracle is isfinite(), element by element. */

#define BIG_ROWS ((size_t)100000)
#define BIG_FEATURES ((size_t)7)

typedef struct big_data {
    double *x;
    double *y;
    size_t ldx;
} big_data;

/* X with row stride ldx (padding NaN: never data), every value finite. */
static big_data big_data_make(size_t ldx)
{
    big_data b;
    b.ldx = ldx;
    b.x = malloc(BIG_ROWS * ldx * sizeof *b.x);
    b.y = malloc(BIG_ROWS * sizeof *b.y);
    assert_non_null(b.x);
    assert_non_null(b.y);
    for (size_t i = 0; i < BIG_ROWS; ++i) {
        double sum = 0.0;
        for (size_t j = 0; j < ldx; ++j) {
            const double v = (double)((i * 7 + j * 3) % 13) * 0.25 - 1.5;
            b.x[i * ldx + j] = j < BIG_FEATURES ? v : NAN;
            sum += j < BIG_FEATURES ? v : 0.0;
        }
        b.y[i] = 0.5 * sum + 1.0;
    }
    return b;
}

static void big_data_free(big_data *b)
{
    free(b->x);
    free(b->y);
}

/* Data positions (row, column) that a bad value is put at. */
static const size_t big_spots[][2] = {
    {0, 0},                           /* the first element */
    {BIG_ROWS - 1, BIG_FEATURES - 1}, /* the last */
    {BIG_ROWS / 2, 3},                /* the middle */
    {BIG_ROWS / 4 - 1, BIG_FEATURES - 1}, /* last of chunk 0 of 4 */
    {BIG_ROWS / 4, 0},                /* first of chunk 1 of 4 */
    {3 * BIG_ROWS / 4 + 1, 5},        /* in chunk 3 of 4 */
};

static const unsigned big_threads[] = {1, 2, 4};

static void test_robust_inputs__nonfinite_anywhere_in_a_large_x(void **state)
{
    (void)state;
    const double bad[3] = {NAN, INFINITY, -INFINITY};
    gd_options options;
    gd_options_init(&options);
    options.max_iter = 1;
    double theta[BIG_FEATURES + 1];
    for (size_t ldx = BIG_FEATURES; ldx <= BIG_FEATURES + 1; ++ldx) {
        big_data b = big_data_make(ldx);
        for (size_t s = 0; s < sizeof big_spots / sizeof big_spots[0]; ++s) {
            double *cell = &b.x[big_spots[s][0] * ldx + big_spots[s][1]];
            const double saved = *cell;
            for (size_t v = 0; v < 3; ++v) {
                *cell = bad[v];
                gd_data data;
                gd_data_init(&data, b.x, BIG_ROWS, BIG_FEATURES, b.y);
                data.ldx = ldx;
                assert_int_equal(gd_data_validate(&data, 1), GD_ERR_NONFINITE);
                assert_int_equal(gd_data_validate(&data, 0), GD_ERR_NONFINITE);
                for (size_t t = 0; t < sizeof big_threads / sizeof big_threads[0]; ++t) {
                    gd_model model;
                    assert_int_equal(gd_model_linear(&model, BIG_FEATURES, 0.0), GD_OK);
                    model.n_threads = big_threads[t];
                    gd_report report;
                    if (gd_fit(&model, &data, &options, theta, &report) != GD_ERR_NONFINITE) {
                        fail_msg("ldx %zu, spot %zu, value %g, %u threads: not refused", ldx, s,
                                 bad[v], big_threads[t]);
                    }
                    assert_int_equal(report.stop, GD_STOP_NONE);
                }
            }
            *cell = saved;
        }
        big_data_free(&b);
    }
}

/* Padding between n_features and ldx is not data: Inf and NaN there (in
 * every row) are never reported, on any thread count. */
static void test_robust_inputs__nonfinite_padding_is_not_data(void **state)
{
    (void)state;
    big_data b = big_data_make(BIG_FEATURES + 1);
    for (size_t i = 0; i < BIG_ROWS; i += 3) {
        b.x[i * b.ldx + BIG_FEATURES] = i % 2 == 0 ? INFINITY : -INFINITY;
    }
    gd_data data;
    gd_data_init(&data, b.x, BIG_ROWS, BIG_FEATURES, b.y);
    data.ldx = b.ldx;
    assert_int_equal(gd_data_validate(&data, 1), GD_OK);
    gd_options options;
    gd_options_init(&options);
    options.max_iter = 2;
    for (size_t t = 0; t < sizeof big_threads / sizeof big_threads[0]; ++t) {
        gd_model model;
        assert_int_equal(gd_model_linear(&model, BIG_FEATURES, 0.0), GD_OK);
        model.n_threads = big_threads[t];
        double theta[BIG_FEATURES + 1];
        assert_int_equal(gd_fit(&model, &data, &options, theta, NULL), GD_OK);
        for (size_t j = 0; j < BIG_FEATURES + 1; ++j) {
            assert_true(isfinite(theta[j]));
        }
    }
    big_data_free(&b);
}

/* Finite extremes pass: ±DBL_MAX, the smallest normal and subnormal, −0.0,
 * at the first, last and middle elements and scattered through X. With
 * θ = 0 gd_predict gives 0 for every row, whatever X holds. */
static void test_robust_inputs__finite_extremes_pass_on_threads(void **state)
{
    (void)state;
    const double extremes[] = {DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN,
                               -DBL_TRUE_MIN, DBL_MIN / 3.0, -0.0, 0.0};
    const size_t n_extremes = sizeof extremes / sizeof extremes[0];
    big_data b = big_data_make(BIG_FEATURES);
    const size_t n = BIG_ROWS * BIG_FEATURES;
    for (size_t e = 0; e < n; e += 997) {
        b.x[e] = extremes[(e / 997) % n_extremes];
    }
    b.x[0] = DBL_MAX;
    b.x[n - 1] = -DBL_MAX;
    b.x[n / 2] = DBL_TRUE_MIN;
    b.x[n / 2 + 1] = -0.0;
    for (size_t e = 0; e < n; ++e) {
        assert_true(isfinite(b.x[e]));
    }
    gd_data data;
    gd_data_init(&data, b.x, BIG_ROWS, BIG_FEATURES, b.y);
    assert_int_equal(gd_data_validate(&data, 1), GD_OK);
    double *out = malloc(BIG_ROWS * sizeof *out);
    assert_non_null(out);
    const double theta[BIG_FEATURES + 1] = {0.0};
    for (size_t t = 0; t < sizeof big_threads / sizeof big_threads[0]; ++t) {
        gd_model model;
        assert_int_equal(gd_model_linear(&model, BIG_FEATURES, 0.0), GD_OK);
        model.n_threads = big_threads[t];
        memset(out, SENTINEL, BIG_ROWS * sizeof *out);
        assert_int_equal(gd_predict(&model, theta, &data, out), GD_OK);
        for (size_t i = 0; i < BIG_ROWS; ++i) {
            assert_true(out[i] == 0.0);
        }
    }
    free(out);
    big_data_free(&b);
}

/* The bit test against isfinite() for every exponent (both signs, several
 * mantissas), then one Inf/NaN at every position of spans of the lengths
 * around the scan's lanes (4) and stretches (256): contiguous (one row),
 * one column (n rows × 1) and strided with NaN padding. */
static void test_robust_inputs__finite_scan_agrees_with_isfinite(void **state)
{
    (void)state;
    const uint64_t mantissas[] = {0, 1, UINT64_C(1) << 51, (UINT64_C(1) << 52) - 1};
    for (uint64_t sign = 0; sign < 2; ++sign) {
        for (uint64_t exponent = 0; exponent < 2048; ++exponent) {
            for (size_t k = 0; k < sizeof mantissas / sizeof mantissas[0]; ++k) {
                const uint64_t bits = sign << 63 | exponent << 52 | mantissas[k];
                double value;
                memcpy(&value, &bits, sizeof value);
                gd_data data;
                gd_data_init(&data, &value, 1, 1, NULL);
                const gd_status want = isfinite(value) ? GD_OK : GD_ERR_NONFINITE;
                if (gd_data_validate(&data, 0) != want) {
                    fail_msg("bits %016llx: not %s", (unsigned long long)bits,
                             gd_strerror(want));
                }
            }
        }
    }
    const size_t lengths[] = {1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 260, 511, 512, 513, 1027};
    double *x = malloc(2 * 1027 * sizeof *x);
    assert_non_null(x);
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; ++l) {
        const size_t len = lengths[l];
        for (size_t layout = 0; layout < 3; ++layout) {
            const size_t stride = layout == 2 ? 2 : 1;
            for (size_t e = 0; e < stride * len; ++e) {
                x[e] = e % stride == 0 ? (double)e - 300.5 : NAN;
            }
            gd_data data;
            gd_data_init(&data, x, layout == 0 ? 1 : len, layout == 0 ? len : 1, NULL);
            data.ldx = layout == 0 ? len : stride;
            assert_int_equal(gd_data_validate(&data, 0), GD_OK);
            for (size_t p = 0; p < len; ++p) {
                const double saved = x[p * stride];
                x[p * stride] = p % 2 == 0 ? NAN : -INFINITY;
                if (gd_data_validate(&data, 0) != GD_ERR_NONFINITE) {
                    fail_msg("length %zu, layout %zu, position %zu: not refused", len, layout,
                             p);
                }
                x[p * stride] = saved;
            }
        }
    }
    free(x);
}

/* ---- CSV options ---- */

static void test_robust_inputs__csv_options_out_of_range(void **state)
{
    (void)state;
    static const char text[] = "a,b\n1,2\n";
    for (int k = 0; k < 5; ++k) {
        gd_csv_options options;
        gd_csv_options_init(&options);
        switch (k) {
        case 0: options.struct_size = 0; break;
        case 1: options.struct_size = sizeof options + 8; break;
        case 2: options.header = 2; break;
        case 3: options.header = -2; break;
        default: options.label_index = -3; break;
        }
        gd_table table;
        memset(&table, SENTINEL, sizeof table);
        gd_error_info error;
        const gd_status status = gd_csv_read_buffer(text, sizeof text - 1, &options, &table, &error);
        if (status != GD_ERR_OPTION) {
            fail_msg("CSV option case %d: %s", k, gd_strerror(status));
        }
        for (size_t i = 0; i < sizeof table; ++i) {
            assert_int_equal(((unsigned char *)&table)[i], 0); /* zeroed on failure */
        }
    }
}

/* ---- a callback that stops at its first call, on every model ---- */

static int stop_now(const gd_progress *progress, void *user)
{
    size_t *calls = user;
    *calls += 1;
    return progress->iteration == 0 ? 1 : 0;
}

static void test_robust_inputs__callback_stops_at_once_on_every_model(void **state)
{
    (void)state;
    static const gd_optimizer all[] = {GD_OPTIMIZER_GD,  GD_OPTIMIZER_MOMENTUM,
                                       GD_OPTIMIZER_NESTEROV, GD_OPTIMIZER_ADAM,
                                       GD_OPTIMIZER_SGD, GD_OPTIMIZER_LBFGS};
    for (int which = 0; which < N_MODELS; ++which) {
        fixture f;
        fixture_init(&f, (model_choice)which);
        for (size_t k = 0; k < sizeof all / sizeof all[0]; ++k) {
            size_t calls = 0;
            gd_options options;
            gd_options_init(&options);
            options.optimizer = all[k];
            options.init = GD_INIT_GIVEN;
            options.callback = stop_now;
            options.callback_user = &calls;
            double theta[MAX_PARAMS] = {0.25, -0.5, 0.75, 0.1, 0.2, 0.3, -0.1, -0.2, -0.3};
            double start[MAX_PARAMS];
            memcpy(start, theta, sizeof start);
            gd_report report;
            assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
            assert_int_equal(report.stop, GD_STOP_CALLBACK);
            assert_int_equal(report.iterations, 0);
            assert_int_equal(calls, 1);
            assert_memory_equal(theta, start, sizeof theta);
            double loss;
            assert_int_equal(gd_objective(&f.model, theta, &f.data, &loss), GD_OK);
            assert_true(ts_rel_diff(report.loss, loss) < 1e-12);
        }
    }
}

/* gd_check_gradient on a model whose objective is NaN near θ: GD_OK, and the
 * NaN is carried into the error (gdlearn.h), never hidden as a small one. */
static gd_status nan_beyond_one(const gd_model *self, const double *theta, const gd_data *data,
                                double *loss, double *grad, double *work)
{
    (void)self;
    (void)data;
    (void)work;
    *loss = theta[0] > 1.0 ? NAN : 0.5 * theta[0] * theta[0];
    if (grad != NULL) {
        grad[0] = theta[0];
    }
    return GD_OK;
}

static void test_robust_inputs__check_gradient_carries_a_models_nan(void **state)
{
    (void)state;
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 1, nan_beyond_one, NULL, NULL), GD_OK);
    double error = -1.0;
    const double at_edge[1] = {1.0}, inside[1] = {0.5};
    assert_int_equal(gd_check_gradient(&model, NULL, at_edge, 1e-6, &error), GD_OK);
    assert_true(isnan(error));
    assert_int_equal(gd_check_gradient(&model, NULL, inside, 1e-6, &error), GD_OK);
    assert_true(error >= 0.0 && error < 1e-6);
}

/* A built-in whose fields were edited out of step with each other (found by
 * review: the kernels size θ and outputs from m and k, gd_fit and gd_predict
 * from n_params and n_outputs) is refused before any evaluation. */
static void test_robust_inputs__edited_builtin_models_are_refused(void **state)
{
    (void)state;
    double x[4 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0, 1};
    double y[4] = {0, 1, 2, 1};
    gd_data data;
    gd_data_init(&data, x, 4, 3, y);
    double theta[64];
    double out[64];
    for (size_t i = 0; i < 64; ++i) {
        theta[i] = 0.25;
        out[i] = -7.0;
    }
    gd_options options;
    gd_options_init(&options);
    options.init = GD_INIT_GIVEN;
    options.optimizer = GD_OPTIMIZER_GD;

    for (int edit = 0; edit < 7; ++edit) {
        gd_model model;
        if (edit < 3) {
            assert_int_equal(gd_model_linear(&model, 2, 0.1), GD_OK);
        } else if (edit < 5) {
            assert_int_equal(gd_model_logistic(&model, 3, 0.0), GD_OK);
        } else {
            assert_int_equal(gd_model_softmax(&model, 3, 3, 0.0), GD_OK);
        }
        assert_int_equal(gd_model_validate(&model), GD_OK);
        switch (edit) {
        case 0: model.n_features = 3; break;                 /* n_params still 3 */
        case 1: model.n_params = 5; break;
        case 2: model.n_classes = 2; break;
        case 3: model.n_classes = 3; break;
        case 4: model.kind = (gd_model_kind)9; break;
        case 5: model.n_outputs = 1; break;                  /* predict writes k per row */
        default: model.n_classes = 4; model.n_outputs = 4; break; /* n_params (3+1)·3 */
        }
        assert_int_equal(gd_model_validate(&model), GD_ERR_MODEL);
        double before[64];
        memcpy(before, theta, sizeof before);
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_ERR_MODEL);
        assert_memory_equal(theta, before, sizeof before);
        if (model.n_features == 3) {
            assert_int_equal(gd_predict(&model, theta, &data, out), GD_ERR_MODEL);
            for (size_t i = 0; i < 64; ++i) {
                assert_true(out[i] == -7.0);
            }
        }
    }
}

static void *arena_alloc(size_t size, void *opaque)
{
    (void)opaque;
    return malloc(size);
}

static void arena_free(void *ptr, void *opaque)
{
    (void)opaque;
    free(ptr);
}

/* An allocator with only one of alloc and free would hand memory from one
 * to the other (found by review): refused before anything is allocated. */
static void test_robust_inputs__half_set_allocator_is_refused(void **state)
{
    (void)state;
    const gd_allocator halves[2] = {{arena_alloc, NULL, NULL}, {NULL, arena_free, NULL}};
    double x[3] = {1, 2, 3};
    double y[3] = {2, 4, 6.5};
    gd_data data;
    gd_data_init(&data, x, 3, 1, y);
    gd_model model;
    assert_int_equal(gd_model_linear(&model, 1, 0.0), GD_OK);
    for (int h = 0; h < 2; ++h) {
        gd_options options;
        gd_options_init(&options);
        options.allocator = &halves[h];
        double theta[2] = {3.0, 4.0};
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_ERR_OPTION);
        assert_true(theta[0] == 3.0 && theta[1] == 4.0);

        gd_csv_options csv;
        gd_csv_options_init(&csv);
        csv.allocator = &halves[h];
        gd_table table;
        const char text[] = "a,b\n1,2\n";
        assert_int_equal(gd_csv_read_buffer(text, sizeof text - 1, &csv, &table, NULL),
                         GD_ERR_OPTION);
        assert_null(table.x);

        gd_model_file file;
        assert_int_equal(gd_model_load("/nonexistent/never.model", &halves[h], &file, NULL),
                         GD_ERR_NULL);
    }
    /* Both set is fine. */
    const gd_allocator both = {arena_alloc, arena_free, NULL};
    gd_options options;
    gd_options_init(&options);
    options.allocator = &both;
    double theta[2];
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_inputs__bad_data_on_every_model),
        cmocka_unit_test(test_robust_inputs__subnormal_weights_are_a_weight_error),
        cmocka_unit_test(test_robust_inputs__sgd_batch_of_subnormal_weights),
        cmocka_unit_test(test_robust_inputs__user_model_sizes_that_overflow),
        cmocka_unit_test(test_robust_inputs__standardize_overflow_leaves_a_refused_scaler),
        cmocka_unit_test(test_robust_inputs__standardize_apply_passes_nan_through),
        cmocka_unit_test(test_robust_inputs__csv_options_out_of_range),
        cmocka_unit_test(test_robust_inputs__callback_stops_at_once_on_every_model),
        cmocka_unit_test(test_robust_inputs__check_gradient_carries_a_models_nan),
        cmocka_unit_test(test_robust_inputs__edited_builtin_models_are_refused),
        cmocka_unit_test(test_robust_inputs__half_set_allocator_is_refused),
        cmocka_unit_test(test_robust_inputs__nonfinite_anywhere_in_a_large_x),
        cmocka_unit_test(test_robust_inputs__nonfinite_padding_is_not_data),
        cmocka_unit_test(test_robust_inputs__finite_extremes_pass_on_threads),
        cmocka_unit_test(test_robust_inputs__finite_scan_agrees_with_isfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
