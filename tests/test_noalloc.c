/* No allocation inside any optimiser loop (issue 7, part 2; DESIGN §3): for
 * every optimiser and every built-in model, a fit of 10 iterations and a fit
 * of 1000 make the same number of allocations through gd_options.allocator
 * (all of them before the loop), free every block, and never hold more than
 * O((n + m)·k) doubles besides the data. Also with threaded evaluations. */
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

/* A counting allocator: every block carries its size in a header. */
typedef struct counter {
    size_t allocations, frees;
    size_t live_bytes, peak_bytes;
} counter;

typedef union header {
    size_t size;
    max_align_t align;
} header;

static void *counting_alloc(size_t size, void *opaque)
{
    counter *c = opaque;
    header *h = malloc(sizeof *h + size);
    if (h == NULL) {
        return NULL;
    }
    h->size = size;
    c->allocations += 1;
    c->live_bytes += size;
    if (c->live_bytes > c->peak_bytes) {
        c->peak_bytes = c->live_bytes;
    }
    return h + 1;
}

static void counting_free(void *ptr, void *opaque)
{
    if (ptr == NULL) {
        return;
    }
    counter *c = opaque;
    header *h = (header *)ptr - 1;
    c->frees += 1;
    c->live_bytes -= h->size;
    free(h);
}

typedef struct dataset {
    size_t n, m, k;
    double *x, *y;
} dataset;

static void dataset_make(dataset *d, gd_model_kind kind, size_t n, size_t m, size_t k,
                         unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    d->n = n;
    d->m = m;
    d->k = k;
    d->x = malloc(n * m * sizeof *d->x);
    d->y = malloc(n * sizeof *d->y);
    assert_non_null(d->x);
    assert_non_null(d->y);
    for (size_t i = 0; i < n; ++i) {
        double margin = 0.0;
        for (size_t j = 0; j < m; ++j) {
            d->x[i * m + j] = ts_rng_uniform(&rng, -1.0, 1.0);
            margin += d->x[i * m + j] * (double)(j + 1) / (double)m;
        }
        const double noise = ts_rng_uniform(&rng, -1.0, 1.0);
        if (kind == GD_MODEL_LINEAR) {
            d->y[i] = margin + 0.3 * noise;
        } else if (kind == GD_MODEL_LOGISTIC) {
            d->y[i] = margin + noise > 0.0 ? 1.0 : 0.0; /* overlapping classes */
        } else {
            double position = (margin + noise + 3.0) / 6.0 * (double)k;
            position = position < 0.0 ? 0.0 : position;
            d->y[i] = fmin((double)(k - 1), floor(position));
        }
    }
}

static void dataset_free(dataset *d)
{
    free(d->x);
    free(d->y);
}

static void make_model(gd_model_kind kind, const dataset *d, unsigned n_threads,
                       gd_model *model)
{
    gd_status status = kind == GD_MODEL_LINEAR     ? gd_model_linear(model, d->m, 1e-3)
                       : kind == GD_MODEL_LOGISTIC ? gd_model_logistic(model, d->m, 1e-3)
                                                   : gd_model_softmax(model, d->m, d->k, 1e-3);
    assert_int_equal(status, GD_OK);
    model->n_threads = n_threads;
}

/* One fit of max_iter iterations; returns the allocator's counts. */
static counter fit_counting_gram(const gd_model *model, const dataset *d,
                                 gd_optimizer optimizer, size_t max_iter, int gram,
                                 gd_report *report)
{
    counter count = {0, 0, 0, 0};
    const gd_allocator allocator = {counting_alloc, counting_free, &count};
    gd_options options;
    gd_options_init(&options);
    options.optimizer = optimizer;
    options.max_iter = max_iter;
    options.tolerance = 0.0; /* never converged: the iteration count decides */
    options.learning_rate = 0.05;
    options.batch_size = 16;
    options.allocator = &allocator;
    options.linear_gram = gram;
    gd_data data;
    gd_data_init(&data, d->x, d->n, d->m, d->y);
    double *theta = calloc(model->n_params, sizeof *theta);
    assert_non_null(theta);
    gd_status status = gd_fit(model, &data, &options, theta, report);
    /* L-BFGS may run out of progress at machine precision before 1000. */
    assert_true(status == GD_OK || status == GD_ERR_LINE_SEARCH);
    free(theta);
    return count;
}

static counter fit_counting(const gd_model *model, const dataset *d, gd_optimizer optimizer,
                            size_t max_iter, gd_report *report)
{
    return fit_counting_gram(model, d, optimizer, max_iter, 0, report);
}

static void check_all_optimizers(gd_model_kind kind, const dataset *d, unsigned n_threads)
{
    static const gd_optimizer optimizers[] = {
        GD_OPTIMIZER_GD,   GD_OPTIMIZER_MOMENTUM, GD_OPTIMIZER_NESTEROV,
        GD_OPTIMIZER_ADAM, GD_OPTIMIZER_SGD,      GD_OPTIMIZER_LBFGS,
    };
    gd_model model;
    make_model(kind, d, n_threads, &model);
    /* O((n + m)·k) doubles beyond the data: the model's blocks and per-thread
     * partial gradients, the optimiser's vectors (L-BFGS: 2·10 + 4 of n_params),
     * sgd's row order. The constants are generous, the growth is the point. */
    const size_t threads = n_threads == 0 ? 8 : n_threads;
    const size_t bound = sizeof(double) * (2 * d->n + (40 + 2 * threads) * (d->m + 1) * d->k
                                           + 300 * d->k * threads + 1024);
    for (size_t o = 0; o < sizeof optimizers / sizeof optimizers[0]; ++o) {
        gd_report short_report, long_report;
        const counter short_fit = fit_counting(&model, d, optimizers[o], 10, &short_report);
        const counter long_fit = fit_counting(&model, d, optimizers[o], 1000, &long_report);
        assert_true(short_fit.allocations >= 1);
        assert_int_equal(short_fit.allocations, long_fit.allocations);
        assert_int_equal(short_fit.frees, short_fit.allocations);
        assert_int_equal(long_fit.frees, long_fit.allocations);
        assert_int_equal(long_fit.live_bytes, 0);
        assert_true(long_fit.peak_bytes <= bound);
        assert_int_equal(short_fit.peak_bytes, long_fit.peak_bytes);
        /* The long fit did run longer. */
        assert_int_equal(short_report.iterations, 10);
        assert_true(long_report.evaluations > short_report.evaluations);
        if (optimizers[o] != GD_OPTIMIZER_LBFGS) {
            assert_int_equal(long_report.iterations, 1000);
        }
    }
}

static void test_noalloc__linear(void **state)
{
    (void)state;
    dataset d;
    dataset_make(&d, GD_MODEL_LINEAR, 100, 5, 1, 1u);
    check_all_optimizers(GD_MODEL_LINEAR, &d, 0);
    dataset_free(&d);
}

static void test_noalloc__logistic(void **state)
{
    (void)state;
    dataset d;
    dataset_make(&d, GD_MODEL_LOGISTIC, 100, 5, 1, 2u);
    check_all_optimizers(GD_MODEL_LOGISTIC, &d, 0);
    dataset_free(&d);
}

static void test_noalloc__softmax(void **state)
{
    (void)state;
    dataset d;
    dataset_make(&d, GD_MODEL_SOFTMAX, 100, 5, 3, 3u);
    check_all_optimizers(GD_MODEL_SOFTMAX, &d, 0);
    dataset_free(&d);
}

/* Work enough for two threads per evaluation (n·m·k ≥ 2·2¹⁷ multiply-adds):
 * the threaded path allocates nothing through the allocator either (10
 * against 300 iterations: each evaluation is large, and valgrind runs it). */
static void test_noalloc__threaded_evaluations(void **state)
{
    (void)state;
    dataset d;
    dataset_make(&d, GD_MODEL_SOFTMAX, 8800, 10, 3, 4u);
    gd_model model;
    make_model(GD_MODEL_SOFTMAX, &d, 2, &model);
    gd_report short_report, long_report;
    const counter short_fit = fit_counting(&model, &d, GD_OPTIMIZER_GD, 10, &short_report);
    const counter long_fit = fit_counting(&model, &d, GD_OPTIMIZER_GD, 300, &long_report);
    assert_int_equal(short_fit.allocations, long_fit.allocations);
    assert_int_equal(long_fit.frees, long_fit.allocations);
    assert_int_equal(short_fit.peak_bytes, long_fit.peak_bytes);
    assert_int_equal(long_report.iterations, 300);
    dataset_free(&d);
}

/* Linear regression through XᵀX (gd_options.linear_gram): the Gram pass's
 * per-thread m² sums live in the same one allocation, sized before the
 * loop; on 1 and on 2 threads (8800 × 10 is 8800·55 multiply-adds of the
 * pass: two threads). */
static void test_noalloc__linear_gram(void **state)
{
    (void)state;
    static const gd_optimizer optimizers[] = {
        GD_OPTIMIZER_GD,   GD_OPTIMIZER_MOMENTUM, GD_OPTIMIZER_NESTEROV,
        GD_OPTIMIZER_ADAM, GD_OPTIMIZER_LBFGS,
    };
    static const size_t rows[] = {100, 8800};
    for (size_t r = 0; r < 2; ++r) {
        dataset d;
        dataset_make(&d, GD_MODEL_LINEAR, rows[r], 10, 1, 5u + r);
        gd_model model;
        make_model(GD_MODEL_LINEAR, &d, 2, &model);
        for (size_t o = 0; o < sizeof optimizers / sizeof optimizers[0]; ++o) {
            gd_report short_report, long_report;
            const counter short_fit =
                fit_counting_gram(&model, &d, optimizers[o], 10, 1, &short_report);
            const counter long_fit =
                fit_counting_gram(&model, &d, optimizers[o], 1000, 1, &long_report);
            assert_int_equal(short_fit.allocations, 1);
            assert_int_equal(long_fit.allocations, 1);
            assert_int_equal(long_fit.frees, long_fit.allocations);
            assert_int_equal(long_fit.live_bytes, 0);
            assert_int_equal(short_fit.peak_bytes, long_fit.peak_bytes);
            /* O(threads·m·(m + block rows)) doubles: no n·m copy of X. */
            assert_true(long_fit.peak_bytes
                        <= sizeof(double) * (2 * (d.m * d.m + 300 * d.m) + 100 * d.m + 1024));
            assert_int_equal(short_report.iterations, 10);
            assert_true(long_report.evaluations > short_report.evaluations);
        }
        dataset_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noalloc__linear),
        cmocka_unit_test(test_noalloc__logistic),
        cmocka_unit_test(test_noalloc__softmax),
        cmocka_unit_test(test_noalloc__threaded_evaluations),
        cmocka_unit_test(test_noalloc__linear_gram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
