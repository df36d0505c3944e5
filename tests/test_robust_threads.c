/* Threads (issue 6, part 6): gdlearn.h promises that "every function may be
 * called from several threads at once on different outputs; inputs may be
 * shared read-only". Several pthreads fit independent models at once —
 * linear, logistic and softmax with several optimisers, sgd with a seed, a
 * user's model, and models that split their own evaluation over threads
 * (n_threads = 2) — and every θ and report must equal, bit for bit, the same
 * fit run alone. Half the threads fit on private copies of the data, half
 * on the shared arrays; each thread runs the jobs in its own order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

#define N_THREADS 4
#define ROUNDS 2
#define MAX_PARAMS 33 /* (4 + 1) × 3 for softmax on iris; 11 for diabetes */

typedef enum data_choice { DIABETES, IRIS_BINARY, IRIS_CLASSES } data_choice;

typedef struct job {
    const char *name;
    data_choice data;
    gd_model_kind kind;
    gd_optimizer optimizer;
    int line_search;
    unsigned n_threads;
    uint64_t seed;
    gd_init init;
} job;

static const job jobs[] = {
    {"linear lbfgs", DIABETES, GD_MODEL_LINEAR, GD_OPTIMIZER_LBFGS, 0, 0, 42, GD_INIT_ZERO},
    {"linear gd", DIABETES, GD_MODEL_LINEAR, GD_OPTIMIZER_GD, 0, 0, 42, GD_INIT_ZERO},
    {"linear adam", DIABETES, GD_MODEL_LINEAR, GD_OPTIMIZER_ADAM, 0, 0, 42, GD_INIT_RANDOM},
    {"linear sgd seed 7", DIABETES, GD_MODEL_LINEAR, GD_OPTIMIZER_SGD, 0, 0, 7, GD_INIT_ZERO},
    {"linear nesterov 2 threads", DIABETES, GD_MODEL_LINEAR, GD_OPTIMIZER_NESTEROV, 0, 2, 42,
     GD_INIT_ZERO},
    {"logistic lbfgs", IRIS_BINARY, GD_MODEL_LOGISTIC, GD_OPTIMIZER_LBFGS, 0, 0, 42,
     GD_INIT_ZERO},
    {"logistic nesterov", IRIS_BINARY, GD_MODEL_LOGISTIC, GD_OPTIMIZER_NESTEROV, 0, 0, 42,
     GD_INIT_ZERO},
    {"logistic gd line search", IRIS_BINARY, GD_MODEL_LOGISTIC, GD_OPTIMIZER_GD, 1, 0, 42,
     GD_INIT_ZERO},
    {"logistic sgd seed 11", IRIS_BINARY, GD_MODEL_LOGISTIC, GD_OPTIMIZER_SGD, 0, 0, 11,
     GD_INIT_RANDOM},
    {"softmax lbfgs", IRIS_CLASSES, GD_MODEL_SOFTMAX, GD_OPTIMIZER_LBFGS, 0, 0, 42,
     GD_INIT_ZERO},
    {"softmax momentum", IRIS_CLASSES, GD_MODEL_SOFTMAX, GD_OPTIMIZER_MOMENTUM, 0, 0, 42,
     GD_INIT_ZERO},
    {"softmax adam", IRIS_CLASSES, GD_MODEL_SOFTMAX, GD_OPTIMIZER_ADAM, 0, 0, 42, GD_INIT_ZERO},
    {"softmax sgd seed 3", IRIS_CLASSES, GD_MODEL_SOFTMAX, GD_OPTIMIZER_SGD, 0, 0, 3,
     GD_INIT_ZERO},
    {"softmax lbfgs 2 threads", IRIS_CLASSES, GD_MODEL_SOFTMAX, GD_OPTIMIZER_LBFGS, 0, 2, 42,
     GD_INIT_ZERO},
    {"custom lbfgs", DIABETES, GD_MODEL_CUSTOM, GD_OPTIMIZER_LBFGS, 0, 0, 42, GD_INIT_ZERO},
};
#define N_JOBS (sizeof jobs / sizeof jobs[0])

/* The data sets, loaded by the test's own reader (shared, read-only). */
typedef struct dataset {
    double *x;
    double *y;
    size_t n_rows;
    size_t n_features;
} dataset;

static ts_dataset diabetes, iris;
static double *iris_binary_y;

static dataset shared_data(data_choice which)
{
    switch (which) {
    case DIABETES:
        return (dataset){diabetes.x, diabetes.y, diabetes.n_rows, diabetes.n_features};
    case IRIS_BINARY:
        return (dataset){iris.x, iris_binary_y, iris.n_rows, iris.n_features};
    default:
        return (dataset){iris.x, iris.y, iris.n_rows, iris.n_features};
    }
}

/* A user's model: ridge least squares by plain loops (no BLAS, no scratch). */
static gd_status user_linear(const gd_model *self, const double *theta, const gd_data *data,
                             double *loss, double *grad, double *work)
{
    (void)work;
    *loss = ts_linear_objective(data->x, data->ldx == 0 ? data->n_features : data->ldx, data->y,
                                data->weights, data->n_rows, self->n_features, self->l2, theta,
                                grad);
    return GD_OK;
}

typedef struct result {
    gd_status status;
    double theta[MAX_PARAMS];
    gd_report report;
} result;

static void run_job(const job *j, const dataset *d, result *out)
{
    gd_model model;
    gd_status status;
    switch (j->kind) {
    case GD_MODEL_LINEAR:
        status = gd_model_linear(&model, d->n_features, 1e-3);
        break;
    case GD_MODEL_LOGISTIC:
        status = gd_model_logistic(&model, d->n_features, 1e-2);
        break;
    case GD_MODEL_SOFTMAX:
        status = gd_model_softmax(&model, d->n_features, 3, 1e-2);
        break;
    default:
        status = gd_model_custom(&model, d->n_features + 1, user_linear, NULL, NULL);
        model.n_features = d->n_features;
        model.l2 = 1e-3;
        break;
    }
    model.n_threads = j->n_threads;
    gd_data data;
    gd_data_init(&data, d->x, d->n_rows, d->n_features, d->y);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = j->optimizer;
    options.line_search = j->line_search;
    options.learning_rate = j->optimizer == GD_OPTIMIZER_SGD ? 0.01 : 0.05;
    options.max_iter = 150;
    options.batch_size = 16;
    options.seed = j->seed;
    options.init = j->init;
    memset(out, 0, sizeof *out);
    out->status = status == GD_OK ? gd_fit(&model, &data, &options, out->theta, &out->report)
                                  : status;
}

typedef struct worker {
    size_t index;
    int private_copy;
    result results[ROUNDS][N_JOBS];
    int failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    dataset own[3];
    for (int k = 0; k < 3; ++k) {
        own[k] = shared_data((data_choice)k);
        if (w->private_copy) {
            const size_t nx = own[k].n_rows * own[k].n_features;
            double *x = malloc(nx * sizeof *x);
            double *y = malloc(own[k].n_rows * sizeof *y);
            if (x == NULL || y == NULL) {
                free(x);
                free(y);
                w->failed = 1;
                return NULL;
            }
            memcpy(x, own[k].x, nx * sizeof *x);
            memcpy(y, own[k].y, own[k].n_rows * sizeof *y);
            own[k].x = x;
            own[k].y = y;
        }
    }
    for (size_t round = 0; round < ROUNDS; ++round) {
        for (size_t i = 0; i < N_JOBS; ++i) {
            /* each thread and round its own order: rotated, odd threads backwards */
            const size_t r = (i + round * 5 + w->index * 3) % N_JOBS;
            const size_t k = w->index % 2 == 1 ? N_JOBS - 1 - r : r;
            run_job(&jobs[k], &own[jobs[k].data], &w->results[round][k]);
        }
    }
    if (w->private_copy) {
        for (int k = 0; k < 3; ++k) {
            free(own[k].x);
            free(own[k].y);
        }
    }
    return NULL;
}

static int load_data(void **state)
{
    (void)state;
    if (ts_load_csv("diabetes.csv", &diabetes) != 0 || ts_load_csv("iris.csv", &iris) != 0) {
        return -1;
    }
    ts_standardize(&diabetes);
    iris_binary_y = malloc(iris.n_rows * sizeof *iris_binary_y);
    if (iris_binary_y == NULL) {
        return -1;
    }
    for (size_t i = 0; i < iris.n_rows; ++i) {
        iris_binary_y[i] = iris.y[i] == 2.0 ? 1.0 : 0.0; /* virginica: not separable */
    }
    return 0;
}

static int free_data(void **state)
{
    (void)state;
    ts_free_dataset(&diabetes);
    ts_free_dataset(&iris);
    free(iris_binary_y);
    return 0;
}

static void test_robust_threads__concurrent_fits_equal_serial_fits_bit_for_bit(void **state)
{
    (void)state;
    static result serial[N_JOBS];
    for (size_t k = 0; k < N_JOBS; ++k) {
        const dataset d = shared_data(jobs[k].data);
        run_job(&jobs[k], &d, &serial[k]);
        if (serial[k].status != GD_OK) {
            fail_msg("%s: %s", jobs[k].name, gd_strerror(serial[k].status));
        }
        assert_true(serial[k].report.iterations > 0);
    }

    worker *workers = calloc(N_THREADS, sizeof *workers);
    assert_non_null(workers);
    pthread_t threads[N_THREADS];
    for (size_t t = 0; t < N_THREADS; ++t) {
        workers[t].index = t;
        workers[t].private_copy = (int)(t % 2 == 0);
        assert_int_equal(pthread_create(&threads[t], NULL, worker_main, &workers[t]), 0);
    }
    for (size_t t = 0; t < N_THREADS; ++t) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    }
    for (size_t t = 0; t < N_THREADS; ++t) {
        assert_false(workers[t].failed);
        for (size_t round = 0; round < ROUNDS; ++round) {
            for (size_t k = 0; k < N_JOBS; ++k) {
                const result *got = &workers[t].results[round][k];
                const result *want = &serial[k];
                if (got->status != want->status
                    || memcmp(got->theta, want->theta, sizeof got->theta) != 0
                    || got->report.iterations != want->report.iterations
                    || got->report.evaluations != want->report.evaluations
                    || got->report.stop != want->report.stop
                    || memcmp(&got->report.loss, &want->report.loss, sizeof(double)) != 0
                    || memcmp(&got->report.grad_max, &want->report.grad_max, sizeof(double))
                           != 0) {
                    fail_msg("%s, thread %zu, round %zu: differs from the serial fit "
                             "(loss %.17g vs %.17g, %zu vs %zu iterations)",
                             jobs[k].name, t, round, got->report.loss, want->report.loss,
                             got->report.iterations, want->report.iterations);
                }
            }
        }
    }
    free(workers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_threads__concurrent_fits_equal_serial_fits_bit_for_bit),
    };
    return cmocka_run_group_tests(tests, load_data, free_data);
}
