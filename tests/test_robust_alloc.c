#define _POSIX_C_SOURCE 200809L /* mkstemp, mkdtemp, fdopen */
/* Allocation failure (issue 6, part 2): every allocation that a call makes
 * through the caller's gd_allocator is refused in turn, k = 1, 2, … until
 * the call succeeds. Each refused run must give GD_ERR_NOMEM, leave no block
 * live, and leave its outputs as gdlearn.h documents:
 *   gd_fit          θ untouched (a sentinel byte pattern, or the given start);
 *                   the report filled (struct_size, stop = none, no
 *                   iterations or evaluations, loss and grad_max NaN);
 *   gd_csv_read*    the table zeroed, the error message defined;
 *   gd_model_load   the file struct zeroed, the error message defined.
 * The successful run at the end must equal a run with malloc bit for bit.
 * Every refusal is tried two ways: only the k-th call fails, and every call
 * from the k-th on fails. (gd_objective, gd_check_gradient, gd_predict_class
 * and gd_class_weights_balanced take no allocator: test_robust_malloc.c.) */
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

#define N_ROWS 40
#define N_FEATURES 3
#define N_CLASSES 3
#define MAX_PARAMS ((N_FEATURES + 1) * N_CLASSES)
#define SENTINEL 0xC3
#define MAX_TRIES 1000 /* more allocations than any call here makes */

static int all_bytes(const void *p, size_t bytes, unsigned char value)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < bytes; ++i) {
        if (c[i] != value) {
            return 0;
        }
    }
    return 1;
}

/* ---- problems: one data set, the targets each model needs ---- */

typedef struct problem {
    double x[N_ROWS * N_FEATURES];
    double y_linear[N_ROWS];
    double y_binary[N_ROWS];
    double y_class[N_ROWS];
    double weights[N_ROWS];
} problem;

static void problem_init(problem *p)
{
    ts_rng rng;
    ts_rng_seed(&rng, 20261127ULL);
    for (size_t i = 0; i < N_ROWS; ++i) {
        double margin = 0.3;
        double score[N_CLASSES] = {0.0, 0.0, 0.0};
        for (size_t j = 0; j < N_FEATURES; ++j) {
            const double v = ts_rng_uniform(&rng, -2.0, 2.0);
            p->x[i * N_FEATURES + j] = v;
            margin += (j == 1 ? -0.8 : 0.6) * v;
            score[j % N_CLASSES] += v;
        }
        p->y_linear[i] = 1.5 + margin + ts_rng_uniform(&rng, -0.1, 0.1);
        p->y_binary[i] = margin + ts_rng_uniform(&rng, -0.5, 0.5) > 0.0 ? 1.0 : 0.0;
        size_t best = 0;
        for (size_t c = 1; c < N_CLASSES; ++c) {
            if (score[c] > score[best]) {
                best = c;
            }
        }
        p->y_class[i] = (double)best;
        p->weights[i] = 0.5 + (double)(i % 4);
    }
}

/* A user's model that asks for scratch: linear least squares, residuals in
 * `work` (so gd_fit's one allocation also carries the model's workspace). */
static size_t custom_work_size(const gd_model *self, size_t n_rows)
{
    (void)self;
    return n_rows;
}

static gd_status custom_loss_grad(const gd_model *self, const double *theta, const gd_data *data,
                                  double *loss, double *grad, double *work)
{
    const size_t m = self->n_features;
    const size_t ldx = data->ldx == 0 ? m : data->ldx;
    double total = 0.0;
    for (size_t i = 0; i < data->n_rows; ++i) {
        double r = theta[0] - data->y[i];
        for (size_t j = 0; j < m; ++j) {
            r += theta[1 + j] * data->x[i * ldx + j];
        }
        work[i] = r;
        total += 0.5 * r * r;
    }
    *loss = total / (double)data->n_rows;
    if (grad != NULL) {
        memset(grad, 0, (m + 1) * sizeof *grad);
        for (size_t i = 0; i < data->n_rows; ++i) {
            grad[0] += work[i] / (double)data->n_rows;
            for (size_t j = 0; j < m; ++j) {
                grad[1 + j] += work[i] * data->x[i * ldx + j] / (double)data->n_rows;
            }
        }
    }
    return GD_OK;
}

typedef enum model_choice { LINEAR, LOGISTIC, SOFTMAX, CUSTOM, N_MODELS } model_choice;
static const char *const model_names[N_MODELS] = {"linear", "logistic", "softmax", "custom"};

static void make_case(const problem *p, model_choice which, gd_model *model, gd_data *data)
{
    const double *y = p->y_linear;
    switch (which) {
    case LINEAR:
        assert_int_equal(gd_model_linear(model, N_FEATURES, 0.01), GD_OK);
        break;
    case LOGISTIC:
        assert_int_equal(gd_model_logistic(model, N_FEATURES, 0.01), GD_OK);
        y = p->y_binary;
        break;
    case SOFTMAX:
        assert_int_equal(gd_model_softmax(model, N_FEATURES, N_CLASSES, 0.01), GD_OK);
        y = p->y_class;
        break;
    default:
        assert_int_equal(gd_model_custom(model, N_FEATURES + 1, custom_loss_grad, NULL, NULL),
                         GD_OK);
        model->n_features = N_FEATURES;
        model->work_size = custom_work_size;
        break;
    }
    gd_data_init(data, p->x, N_ROWS, N_FEATURES, y);
    if (which != CUSTOM) {
        data->weights = p->weights;
    }
}

typedef struct method {
    const char *name;
    gd_optimizer optimizer;
    int line_search;
} method;

static const method methods[] = {
    {"gd", GD_OPTIMIZER_GD, 0},
    {"gd --line-search", GD_OPTIMIZER_GD, 1},
    {"momentum", GD_OPTIMIZER_MOMENTUM, 0},
    {"nesterov", GD_OPTIMIZER_NESTEROV, 0},
    {"nesterov --line-search", GD_OPTIMIZER_NESTEROV, 1},
    {"adam", GD_OPTIMIZER_ADAM, 0},
    {"sgd", GD_OPTIMIZER_SGD, 0},
    {"lbfgs", GD_OPTIMIZER_LBFGS, 0},
};
#define N_METHODS (sizeof methods / sizeof methods[0])

/* The options every allocation sweep starts from: the method, a step, and
 * few iterations. */
static void method_options(const method *which, gd_options *options)
{
    gd_options_init(options);
    options->optimizer = which->optimizer;
    options->line_search = which->line_search;
    options->learning_rate = 0.05;
    options->max_iter = 15;
}

/* One model × optimiser × init: refuse allocation k = 1, 2, … until gd_fit
 * succeeds; returns how many allocations the successful fit made. */
static size_t check_fit(const gd_model *model, const gd_data *data, const gd_options *base,
                        int fail_rest, int with_report, const char *what)
{
    const size_t n = model->n_params;
    double start[MAX_PARAMS];
    for (size_t j = 0; j < MAX_PARAMS; ++j) {
        start[j] = 0.05 * (double)j - 0.1;
    }

    /* The reference: the same fit with malloc. */
    double expected[MAX_PARAMS];
    memcpy(expected, start, sizeof expected);
    gd_report expected_report;
    const gd_status expected_status = gd_fit(model, data, base, expected, &expected_report);
    assert_true(expected_status == GD_OK || expected_status == GD_ERR_LINE_SEARCH);

    ts_fail_allocator a;
    gd_options options = *base;
    options.allocator = &a.allocator;
    for (size_t k = 1; k <= MAX_TRIES; ++k) {
        ts_fail_allocator_init(&a, k, fail_rest);
        double theta[MAX_PARAMS];
        double before[MAX_PARAMS];
        if (options.init == GD_INIT_GIVEN) {
            memcpy(theta, start, sizeof theta);
        } else {
            memset(theta, SENTINEL, sizeof theta);
        }
        memcpy(before, theta, sizeof before);
        gd_report report;
        memset(&report, SENTINEL, sizeof report);
        const gd_status status =
            gd_fit(model, data, &options, theta, with_report ? &report : NULL);
        if (a.live != 0 || a.bad_frees != 0) {
            fail_msg("%s: allocation %zu refused: %zu blocks live, %zu bad frees", what, k,
                     a.live, a.bad_frees);
        }
        if (a.refused == 0) {
            /* Every allocation succeeded: the fit is the reference, bit for bit. */
            if (status != expected_status) {
                fail_msg("%s: with every allocation granted: %s, expected %s", what,
                         gd_strerror(status), gd_strerror(expected_status));
            }
            assert_memory_equal(theta, expected, n * sizeof *theta);
            if (with_report) {
                assert_int_equal(report.stop, expected_report.stop);
                assert_int_equal(report.iterations, expected_report.iterations);
                assert_int_equal(report.evaluations, expected_report.evaluations);
                assert_memory_equal(&report.loss, &expected_report.loss, sizeof report.loss);
            }
            assert_true(k >= 2); /* a fit allocates its workspace */
            return k - 1;
        }
        if (status != GD_ERR_NOMEM) {
            fail_msg("%s: allocation %zu refused gave %s", what, k, gd_strerror(status));
        }
        /* "Untouched when the fit fails before it starts". */
        assert_memory_equal(theta, before, sizeof theta);
        if (with_report) {
            /* "filled (also on failure: stop says why)" */
            assert_int_equal(report.struct_size, sizeof report);
            assert_int_equal(report.stop, GD_STOP_NONE);
            assert_int_equal(report.iterations, 0);
            assert_int_equal(report.evaluations, 0);
            assert_true(isnan(report.loss));
            assert_true(isnan(report.grad_max));
            assert_false(all_bytes(&report.seconds, sizeof report.seconds, SENTINEL));
        }
    }
    fail_msg("%s: still failing after %d refused allocations", what, MAX_TRIES);
    return 0;
}

static void test_robust_alloc__fit_every_model_and_optimizer(void **state)
{
    (void)state;
    problem *p = malloc(sizeof *p);
    assert_non_null(p);
    problem_init(p);
    for (int which = 0; which < N_MODELS; ++which) {
        gd_model model;
        gd_data data;
        make_case(p, (model_choice)which, &model, &data);
        for (size_t k = 0; k < N_METHODS; ++k) {
            for (int init = 0; init < 3; ++init) {
                gd_options options;
                method_options(&methods[k], &options);
                options.batch_size = 8;
                options.init = init == 0 ? GD_INIT_ZERO : init == 1 ? GD_INIT_RANDOM : GD_INIT_GIVEN;
                char what[160];
                snprintf(what, sizeof what, "%s × %s × init %d", model_names[which],
                         methods[k].name, init);
                size_t allocations = 0;
                for (int fail_rest = 0; fail_rest < 2; ++fail_rest) {
                    for (int with_report = 0; with_report < 2; ++with_report) {
                        const size_t got =
                            check_fit(&model, &data, &options, fail_rest, with_report, what);
                        if (allocations != 0) {
                            assert_int_equal(got, allocations);
                        }
                        allocations = got;
                    }
                }
                /* DESIGN §3: workspace is sized once per fit. */
                if (allocations != 1) {
                    fail_msg("%s: %zu allocations per fit, expected 1", what, allocations);
                }
            }
        }
    }
    free(p);
}

/* Linear regression through XᵀX (linear_gram): the Gram pass's workspace
 * is in the fit's one allocation; every optimiser but sgd (which refuses the
 * option), with and without weights. */
static void test_robust_alloc__fit_linear_gram(void **state)
{
    (void)state;
    problem *p = malloc(sizeof *p);
    assert_non_null(p);
    problem_init(p);
    for (int weighted = 0; weighted < 2; ++weighted) {
        gd_model model;
        gd_data data;
        make_case(p, LINEAR, &model, &data);
        if (!weighted) {
            data.weights = NULL;
        }
        for (size_t k = 0; k < N_METHODS; ++k) {
            if (methods[k].optimizer == GD_OPTIMIZER_SGD) {
                continue;
            }
            gd_options options;
            method_options(&methods[k], &options);
            options.linear_gram = 1;
            options.init = GD_INIT_GIVEN;
            char what[160];
            snprintf(what, sizeof what, "linear_gram × %s × weighted %d", methods[k].name,
                     weighted);
            for (int fail_rest = 0; fail_rest < 2; ++fail_rest) {
                if (check_fit(&model, &data, &options, fail_rest, 1, what) != 1) {
                    fail_msg("%s: more than one allocation per fit", what);
                }
            }
        }
    }
    free(p);
}

/* A model that reads no data (n_features = 0, data NULL) also allocates
 * through the caller's allocator only. */
static gd_status bowl(const gd_model *self, const double *theta, const gd_data *data,
                      double *loss, double *grad, double *work)
{
    (void)data;
    (void)work;
    double sum = 0.0;
    for (size_t j = 0; j < self->n_params; ++j) {
        const double d = theta[j] - (double)j;
        sum += 0.5 * d * d;
        if (grad != NULL) {
            grad[j] = d;
        }
    }
    *loss = sum;
    return GD_OK;
}

static void test_robust_alloc__fit_of_a_data_free_model(void **state)
{
    (void)state;
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 4, bowl, NULL, NULL), GD_OK);
    for (size_t k = 0; k < N_METHODS; ++k) {
        gd_options options;
        gd_options_init(&options);
        options.optimizer = methods[k].optimizer;
        options.line_search = methods[k].line_search;
        options.learning_rate = 0.1;
        options.max_iter = 30;
        for (int fail_rest = 0; fail_rest < 2; ++fail_rest) {
            assert_int_equal(check_fit(&model, NULL, &options, fail_rest, 1, methods[k].name), 1);
        }
    }
}

/* ---- CSV ---- */

static void check_csv(const char *path, const char *text, size_t size,
                      const gd_csv_options *base, const char *what)
{
    gd_table expected;
    gd_error_info error;
    gd_status status = path != NULL ? gd_csv_read(path, base, &expected, &error)
                                    : gd_csv_read_buffer(text, size, base, &expected, &error);
    assert_int_equal(status, GD_OK);

    for (int fail_rest = 0; fail_rest < 2; ++fail_rest) {
        ts_fail_allocator a;
        gd_csv_options options = *base;
        options.allocator = &a.allocator;
        size_t k = 1;
        for (; k <= MAX_TRIES; ++k) {
            ts_fail_allocator_init(&a, k, fail_rest);
            gd_table table;
            memset(&table, SENTINEL, sizeof table);
            memset(&error, SENTINEL, sizeof error);
            status = path != NULL ? gd_csv_read(path, &options, &table, &error)
                                  : gd_csv_read_buffer(text, size, &options, &table, &error);
            if (a.refused == 0) {
                assert_int_equal(status, GD_OK);
                assert_int_equal(table.n_rows, expected.n_rows);
                assert_int_equal(table.n_features, expected.n_features);
                assert_int_equal(table.label_column, expected.label_column);
                assert_memory_equal(table.x, expected.x,
                                    table.n_rows * table.n_features * sizeof(double));
                if (expected.y != NULL) {
                    assert_memory_equal(table.y, expected.y, table.n_rows * sizeof(double));
                }
                assert_true((table.column_names == NULL) == (expected.column_names == NULL));
                if (table.column_names != NULL) {
                    for (size_t c = 0; c < table.n_columns; ++c) {
                        assert_string_equal(table.column_names[c], expected.column_names[c]);
                    }
                }
                gd_table_free(&table);
                assert_int_equal(a.live, 0);
                break;
            }
            if (status != GD_ERR_NOMEM) {
                fail_msg("%s: allocation %zu refused gave %s", what, k, gd_strerror(status));
            }
            if (a.live != 0 || a.bad_frees != 0) {
                fail_msg("%s: allocation %zu refused: %zu live, %zu bad frees", what, k, a.live,
                         a.bad_frees);
            }
            assert_true(all_bytes(&table, sizeof table, 0)); /* "zeroed on failure" */
            assert_true(memchr(error.message, '\0', sizeof error.message) != NULL);
            assert_true(strstr(error.message, "memory") != NULL);
        }
        assert_true(k >= 3 && k <= MAX_TRIES);
    }
    gd_table_free(&expected);
}

static void test_robust_alloc__csv_every_allocation(void **state)
{
    (void)state;
    /* Header names, a label chosen by name in the middle, enough rows for
     * the arrays to grow several times. */
    const size_t rows = 3000;
    char *text = malloc(rows * 48 + 64);
    assert_non_null(text);
    size_t used = (size_t)sprintf(text, "alpha,beta,target,gamma\r\n");
    for (size_t i = 0; i < rows; ++i) {
        used += (size_t)sprintf(text + used, "%zu.5,%g,%zu,-%zu\n", i, 0.25 * (double)i, i % 3,
                                i % 11);
    }
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_name = "target";
    check_csv(NULL, text, used, &options, "buffer, label by name");
    options.label_name = NULL;
    options.label_index = GD_LABEL_NONE;
    check_csv(NULL, text, used, &options, "buffer, no label");

    char path[] = "/tmp/gdlearn_robust_alloc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *stream = fdopen(fd, "wb");
    assert_non_null(stream);
    assert_int_equal(fwrite(text, 1, used, stream), used);
    assert_int_equal(fclose(stream), 0);
    gd_csv_options_init(&options);
    options.label_index = 2;
    check_csv(path, NULL, 0, &options, "file, label by index");
    options.label_index = GD_LABEL_LAST;
    options.header = 1;
    check_csv(path, NULL, 0, &options, "file, last column");
    assert_int_equal(remove(path), 0);

    char data_path[1024];
    snprintf(data_path, sizeof data_path, "%s/iris.csv", GDLEARN_TEST_DATA_DIR);
    gd_csv_options_init(&options);
    check_csv(data_path, NULL, 0, &options, "iris.csv");
    free(text);
}

/* ---- model files ---- */

static void check_load(const char *path, const char *what)
{
    gd_model_file expected;
    gd_error_info error;
    assert_int_equal(gd_model_load(path, NULL, &expected, &error), GD_OK);
    for (int fail_rest = 0; fail_rest < 2; ++fail_rest) {
        ts_fail_allocator a;
        size_t k = 1;
        for (; k <= MAX_TRIES; ++k) {
            ts_fail_allocator_init(&a, k, fail_rest);
            gd_model_file file;
            memset(&file, SENTINEL, sizeof file);
            memset(&error, SENTINEL, sizeof error);
            const gd_status status = gd_model_load(path, &a.allocator, &file, &error);
            if (a.refused == 0) {
                assert_int_equal(status, GD_OK);
                assert_int_equal(file.model.kind, expected.model.kind);
                assert_int_equal(file.model.n_params, expected.model.n_params);
                assert_memory_equal(file.theta, expected.theta,
                                    file.model.n_params * sizeof(double));
                assert_true((file.mean == NULL) == (expected.mean == NULL));
                gd_model_file_free(&file);
                assert_int_equal(a.live, 0);
                break;
            }
            if (status != GD_ERR_NOMEM) {
                fail_msg("%s: allocation %zu refused gave %s", what, k, gd_strerror(status));
            }
            if (a.live != 0 || a.bad_frees != 0) {
                fail_msg("%s: allocation %zu refused: %zu live, %zu bad frees", what, k, a.live,
                         a.bad_frees);
            }
            assert_true(all_bytes(&file, sizeof file, 0)); /* "zeroed on failure" */
            assert_true(memchr(error.message, '\0', sizeof error.message) != NULL);
        }
        assert_true(k >= 2 && k <= MAX_TRIES);
    }
    gd_model_file_free(&expected);
}

static void test_robust_alloc__model_load_every_kind(void **state)
{
    (void)state;
    char directory[] = "/tmp/gdlearn_robust_model_XXXXXX";
    assert_non_null(mkdtemp(directory));
    char path[256];
    snprintf(path, sizeof path, "%s/m.model", directory);
    double theta[MAX_PARAMS], mean[N_FEATURES], scale[N_FEATURES];
    for (size_t j = 0; j < MAX_PARAMS; ++j) {
        theta[j] = 0.1 * (double)j - 0.3;
    }
    for (size_t j = 0; j < N_FEATURES; ++j) {
        mean[j] = (double)j;
        scale[j] = 1.0 + (double)j;
    }
    for (int which = 0; which < 3; ++which) {
        for (int scaler = 0; scaler < 2; ++scaler) {
            gd_model_file file;
            memset(&file, 0, sizeof file);
            if (which == 0) {
                assert_int_equal(gd_model_linear(&file.model, N_FEATURES, 0.0), GD_OK);
            } else if (which == 1) {
                assert_int_equal(gd_model_logistic(&file.model, N_FEATURES, 0.5), GD_OK);
            } else {
                assert_int_equal(gd_model_softmax(&file.model, N_FEATURES, N_CLASSES, 0.0),
                                 GD_OK);
            }
            file.theta = theta;
            file.mean = scaler ? mean : NULL;
            file.scale = scaler ? scale : NULL;
            file.n_columns = N_FEATURES + 1;
            file.label_column = N_FEATURES;
            assert_int_equal(gd_model_save(path, &file), GD_OK);
            check_load(path, model_names[which]);
        }
    }
    assert_int_equal(remove(path), 0);
    assert_int_equal(remove(directory), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_alloc__fit_every_model_and_optimizer),
        cmocka_unit_test(test_robust_alloc__fit_linear_gram),
        cmocka_unit_test(test_robust_alloc__fit_of_a_data_free_model),
        cmocka_unit_test(test_robust_alloc__csv_every_allocation),
        cmocka_unit_test(test_robust_alloc__model_load_every_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
