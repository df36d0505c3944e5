/* The one-pass, multi-threaded loss+gradient kernels (issue 7, part 1):
 * for every built-in model and n_threads = 1 … 4, the loss, gradient and
 * predictions agree with a plain two-pass reference computed here (long
 * double sums, no BLAS, no blocks) to ~1e-12 relative; repeated evaluations
 * at one thread count are the same bits; sizes that are not multiples of the
 * block, strided rows, weights, and fewer rows than threads are covered. */
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

typedef enum kind { LINEAR, LOGISTIC, SOFTMAX } kind;

typedef struct problem {
    kind kind;
    size_t n, m, ldx, k; /* k: outputs (1, 1, classes) */
    double *x, *y, *weights, *theta;
} problem;

static void problem_make(problem *p, kind which, size_t n, size_t m, size_t pad, int weighted,
                         unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    p->kind = which;
    p->n = n;
    p->m = m;
    p->ldx = m + pad;
    p->k = which == SOFTMAX ? 4 : 1;
    p->x = malloc(n * p->ldx * sizeof *p->x);
    p->y = malloc(n * sizeof *p->y);
    p->weights = weighted ? malloc(n * sizeof *p->weights) : NULL;
    p->theta = malloc((m + 1) * p->k * sizeof *p->theta);
    assert_non_null(p->x);
    assert_non_null(p->y);
    assert_non_null(p->theta);
    for (size_t i = 0; i < n * p->ldx; ++i) {
        p->x[i] = ts_rng_uniform(&rng, -2.0, 2.0);
    }
    for (size_t j = 0; j < (m + 1) * p->k; ++j) {
        p->theta[j] = ts_rng_uniform(&rng, -0.5, 0.5);
    }
    for (size_t i = 0; i < n; ++i) {
        const double u = ts_rng_uniform(&rng, 0.0, 1.0);
        p->y[i] = which == LINEAR     ? ts_rng_uniform(&rng, -3.0, 3.0)
                  : which == LOGISTIC ? (u < 0.5 ? 0.0 : 1.0)
                                      : (double)(size_t)(u * (double)p->k);
        if (weighted) {
            assert_non_null(p->weights);
            p->weights[i] = ts_rng_uniform(&rng, 0.0, 2.0);
        }
    }
}

static void problem_free(problem *p)
{
    free(p->x);
    free(p->y);
    free(p->weights);
    free(p->theta);
}

static void problem_model(const problem *p, unsigned n_threads, double l2, gd_model *model)
{
    gd_status status = p->kind == LINEAR     ? gd_model_linear(model, p->m, l2)
                       : p->kind == LOGISTIC ? gd_model_logistic(model, p->m, l2)
                                             : gd_model_softmax(model, p->m, p->k, l2);
    assert_int_equal(status, GD_OK);
    model->n_threads = n_threads;
}

static void problem_view(const problem *p, gd_data *data)
{
    gd_data_init(data, p->x, p->n, p->m, p->y);
    data->ldx = p->ldx;
    data->weights = p->weights;
}

static long double softplus_l(long double z)
{
    return (z > 0 ? z : 0.0L) + log1pl(expl(-fabsl(z)));
}

/* Pass 1: Z, the residual and the loss, row by row. Pass 2: Xᵀ(s∘R). The
 * gradient's scale (for the tolerance) is (1/S) Σ |sᵢ Rᵢc xᵢⱼ| + λ|θⱼ|. */
static void reference(const problem *p, double l2, double *loss, double *grad, double *scale,
                      double *predictions)
{
    const size_t n = p->n, m = p->m, k = p->k;
    long double *r = calloc(n * k, sizeof *r);
    long double *g = calloc((m + 1) * k, sizeof *g);
    long double *a = calloc((m + 1) * k, sizeof *a);
    assert_non_null(r);
    assert_non_null(g);
    assert_non_null(a);
    long double total = 0.0L, weight_sum = 0.0L;
    for (size_t i = 0; i < n; ++i) {
        const double *x = p->x + i * p->ldx;
        const long double s = p->weights != NULL ? p->weights[i] : 1.0L;
        long double z[8] = {0.0L};
        assert_true(k <= 8);
        for (size_t c = 0; c < k; ++c) {
            z[c] = p->theta[c];
            for (size_t j = 0; j < m; ++j) {
                z[c] += (long double)x[j] * p->theta[(j + 1) * k + c];
            }
        }
        weight_sum += s;
        if (p->kind == LINEAR) {
            predictions[i] = (double)z[0];
            r[i] = z[0] - p->y[i];
            total += s * 0.5L * r[i] * r[i];
        } else if (p->kind == LOGISTIC) {
            const long double prob = 1.0L / (1.0L + expl(-z[0]));
            predictions[i] = (double)prob;
            r[i] = prob - p->y[i];
            total += s * (p->y[i] == 1.0 ? softplus_l(-z[0]) : softplus_l(z[0]));
        } else {
            long double max = z[0], sum = 0.0L;
            for (size_t c = 1; c < k; ++c) {
                max = z[c] > max ? z[c] : max;
            }
            for (size_t c = 0; c < k; ++c) {
                sum += expl(z[c] - max);
            }
            const size_t label = (size_t)p->y[i];
            total += s * (max + logl(sum) - z[label]);
            for (size_t c = 0; c < k; ++c) {
                const long double prob = expl(z[c] - max) / sum;
                predictions[i * k + c] = (double)prob;
                r[i * k + c] = prob - (c == label ? 1.0L : 0.0L);
            }
        }
        for (size_t c = 0; c < k; ++c) {
            r[i * k + c] *= s;
        }
    }
    for (size_t i = 0; i < n; ++i) {
        const double *x = p->x + i * p->ldx;
        for (size_t c = 0; c < k; ++c) {
            g[c] += r[i * k + c];
            a[c] += fabsl(r[i * k + c]);
            for (size_t j = 0; j < m; ++j) {
                g[(j + 1) * k + c] += r[i * k + c] * x[j];
                a[(j + 1) * k + c] += fabsl(r[i * k + c] * x[j]);
            }
        }
    }
    long double penalty = 0.0L;
    for (size_t j = k; j < (m + 1) * k; ++j) {
        penalty += 0.5L * l2 * (long double)p->theta[j] * p->theta[j];
    }
    *loss = (double)(total / weight_sum + penalty);
    for (size_t j = 0; j < (m + 1) * k; ++j) {
        const long double ridge = j >= k ? l2 * (long double)p->theta[j] : 0.0L;
        grad[j] = (double)(g[j] / weight_sum + ridge);
        scale[j] = (double)(a[j] / weight_sum + fabsl(ridge));
    }
    free(r);
    free(g);
    free(a);
}

/* One evaluation with a workspace of exactly work_size doubles, so that ASan
 * and valgrind see any write past it. */
static gd_status evaluate(const gd_model *model, const gd_data *data, const double *theta,
                          double *loss, double *grad)
{
    const size_t doubles = model->work_size(model, data->n_rows);
    double *work = malloc((doubles > 0 ? doubles : 1) * sizeof *work);
    assert_non_null(work);
    gd_status status = model->loss_grad(model, theta, data, loss, grad, work);
    free(work);
    return status;
}

/* Everything this file asserts about one problem. Returns the gradient and
 * loss of n_threads = 1 and 2 (for the caller to compare). */
static void check_problem(const problem *p, double l2, double *loss_by_threads,
                          double *grad_by_threads)
{
    const size_t n_params = (p->m + 1) * p->k;
    double ref_loss;
    double *ref_grad = malloc(n_params * sizeof *ref_grad);
    double *ref_scale = malloc(n_params * sizeof *ref_scale);
    double *ref_pred = malloc(p->n * p->k * sizeof *ref_pred);
    double *grad = malloc(n_params * sizeof *grad);
    double *again = malloc(n_params * sizeof *again);
    double *pred = malloc(p->n * p->k * sizeof *pred);
    assert_non_null(ref_grad);
    assert_non_null(ref_scale);
    assert_non_null(ref_pred);
    assert_non_null(grad);
    assert_non_null(again);
    assert_non_null(pred);
    reference(p, l2, &ref_loss, ref_grad, ref_scale, ref_pred);

    gd_data data;
    problem_view(p, &data);
    for (unsigned threads = 0; threads <= 4; ++threads) {
        gd_model model;
        problem_model(p, threads, l2, &model);
        double loss;
        assert_int_equal(evaluate(&model, &data, p->theta, &loss, grad), GD_OK);
        assert_true(fabs(loss - ref_loss) <= 1e-12 * fmax(1.0, fabs(ref_loss)));
        for (size_t j = 0; j < n_params; ++j) {
            assert_true(fabs(grad[j] - ref_grad[j]) <= 1e-12 * fmax(1e-3, ref_scale[j]));
        }
        /* Same thread count, same bits: three more times, and the loss alone. */
        for (int repeat = 0; repeat < 3; ++repeat) {
            double loss_again;
            assert_int_equal(evaluate(&model, &data, p->theta, &loss_again, again), GD_OK);
            assert_memory_equal(&loss_again, &loss, sizeof loss);
            assert_memory_equal(again, grad, n_params * sizeof *grad);
        }
        double loss_only;
        assert_int_equal(evaluate(&model, &data, p->theta, &loss_only, NULL), GD_OK);
        assert_memory_equal(&loss_only, &loss, sizeof loss);
        if (threads >= 1 && threads <= 2) {
            loss_by_threads[threads - 1] = loss;
            memcpy(grad_by_threads + (threads - 1) * n_params, grad, n_params * sizeof *grad);
        }
        /* Predictions, on the same threads. */
        assert_int_equal(gd_predict(&model, p->theta, &data, pred), GD_OK);
        for (size_t i = 0; i < p->n * p->k; ++i) {
            assert_true(fabs(pred[i] - ref_pred[i]) <= 1e-12 * fmax(1.0, fabs(ref_pred[i])));
        }
    }
    free(ref_grad);
    free(ref_scale);
    free(ref_pred);
    free(grad);
    free(again);
    free(pred);
}

typedef struct size_case {
    size_t n, m, pad;
    int weighted;
} size_case;

static void check_sizes(kind which)
{
    /* 3 rows < 4 threads; 257 and 1000 rows (not multiples of any block);
     * 30011 × 19 (× 4 for softmax) is work enough for 4 threads (4 · 2¹⁷
     * multiply-adds: src/kernels/kernels.h); 10007 and 70001 features are
     * cut into column panels (dgemv beyond 9215, dgemm beyond 2¹⁸/k). */
    static const size_case cases[] = {
        {1, 3, 0, 0},     {3, 5, 1, 1},       {257, 7, 0, 0},  {1000, 33, 3, 1},
        {30011, 19, 0, 1}, {5, 10007, 0, 0}, {2, 70001, 1, 1},
        /* m + block rows > 240: one output goes through dgemv in column
         * panels of 240 − rows (224 + 76 here), on several threads
         * (kernels.h, GDI_GEMV_STACK_SUM). */
        {3001, 300, 2, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        problem p;
        problem_make(&p, which, cases[c].n, cases[c].m, cases[c].pad, cases[c].weighted,
                     1000u + c);
        const size_t n_params = (p.m + 1) * p.k;
        double losses[2];
        double *grads = malloc(2 * n_params * sizeof *grads);
        assert_non_null(grads);
        check_problem(&p, c % 2 == 0 ? 0.0 : 0.05, losses, grads);
        if (cases[c].n == 30011) {
            /* The large case really is split: the sums of two chunks are
             * rounded otherwise than one sum over every row (with this many
             * random terms, some bit of the loss or gradient differs). */
            assert_true(memcmp(&losses[0], &losses[1], sizeof losses[0]) != 0
                        || memcmp(grads, grads + n_params, n_params * sizeof *grads) != 0);
        }
        free(grads);
        problem_free(&p);
    }
}

static void test_threads_kernel__linear_matches_two_pass_reference(void **state)
{
    (void)state;
    check_sizes(LINEAR);
}

static void test_threads_kernel__logistic_matches_two_pass_reference(void **state)
{
    (void)state;
    check_sizes(LOGISTIC);
}

static void test_threads_kernel__softmax_matches_two_pass_reference(void **state)
{
    (void)state;
    check_sizes(SOFTMAX);
}

/* A bad label in the last chunk: every thread is joined and the status comes
 * back, whatever the thread count (30011 × 11: 2 threads for logistic, 4 for
 * softmax). */
static void test_threads_kernel__label_error_in_a_late_chunk(void **state)
{
    (void)state;
    for (int which = LOGISTIC; which <= SOFTMAX; ++which) {
        problem p;
        problem_make(&p, (kind)which, 30011, 11, 0, 0, 77u);
        p.y[p.n - 2] = 7.5;
        gd_data data;
        problem_view(&p, &data);
        for (unsigned threads = 1; threads <= 4; ++threads) {
            gd_model model;
            problem_model(&p, threads, 0.0, &model);
            double loss, grad[12 * 4];
            assert_int_equal(evaluate(&model, &data, p.theta, &loss, grad), GD_ERR_LABEL);
        }
        problem_free(&p);
    }
}

/* SGD sizes the workspace once for every row, then evaluates mini-batches:
 * a workspace for n rows serves any view of fewer rows. */
static void test_threads_kernel__work_size_never_shrinks(void **state)
{
    (void)state;
    for (int which = LINEAR; which <= SOFTMAX; ++which) {
        for (unsigned threads = 0; threads <= 5; ++threads) {
            gd_model model;
            const problem shape = {.kind = (kind)which, .m = 9, .k = which == SOFTMAX ? 4 : 1};
            problem_model(&shape, threads, 0.0, &model);
            size_t previous = 0;
            for (size_t n = 0; n < 200000; n = n * 3 + 1) {
                const size_t size = model.work_size(&model, n);
                assert_true(size >= previous);
                previous = size;
            }
        }
    }
    problem p;
    problem_make(&p, LINEAR, 30011, 11, 0, 0, 5u);
    gd_model model;
    problem_model(&p, 4, 0.0, &model);
    const size_t doubles = model.work_size(&model, p.n);
    double *work = malloc(doubles * sizeof *work);
    assert_non_null(work);
    gd_data data;
    problem_view(&p, &data);
    for (size_t rows = 1; rows <= p.n; rows = rows * 5 + 3) {
        data.n_rows = rows;
        double loss, grad[12], alone_loss, alone_grad[12];
        assert_int_equal(model.loss_grad(&model, p.theta, &data, &loss, grad, work), GD_OK);
        assert_int_equal(evaluate(&model, &data, p.theta, &alone_loss, alone_grad), GD_OK);
        assert_memory_equal(&loss, &alone_loss, sizeof loss);
        assert_memory_equal(grad, alone_grad, sizeof grad);
    }
    free(work);
    problem_free(&p);
}

/* The caller's workspace may start on any double: on 2–4 threads, with the
 * workspace 1 … 7 doubles past a malloc'd address (so every 8-byte offset
 * from a 64-byte line) and exactly work_size doubles long, the loss and
 * gradient are the bits of an evaluation with a workspace of its own. The
 * slabs are aligned inside it (onepass.c): a wrong gap would write past the
 * end, which ASan and valgrind report, or change the sums. */
static void test_threads_kernel__workspace_at_any_offset(void **state)
{
    (void)state;
    for (int which = LINEAR; which <= SOFTMAX; ++which) {
        problem p;
        problem_make(&p, (kind)which, 30011, 11, 0, which == LOGISTIC, 17u + (unsigned)which);
        gd_data data;
        problem_view(&p, &data);
        for (unsigned threads = 2; threads <= 4; ++threads) {
            gd_model model;
            problem_model(&p, threads, 0.01, &model);
            const size_t n_params = model.n_params;
            double ref_loss = 0.0, ref_grad[60], loss = 0.0, grad[60];
            assert_true(n_params <= 60);
            assert_int_equal(evaluate(&model, &data, p.theta, &ref_loss, ref_grad), GD_OK);
            const size_t doubles = model.work_size(&model, p.n);
            for (size_t offset = 1; offset < 8; ++offset) {
                double *buffer = malloc((doubles + offset) * sizeof *buffer);
                assert_non_null(buffer);
                assert_int_equal(model.loss_grad(&model, p.theta, &data, &loss, grad, buffer + offset),
                                 GD_OK);
                free(buffer);
                assert_memory_equal(&loss, &ref_loss, sizeof loss);
                assert_memory_equal(grad, ref_grad, n_params * sizeof *grad);
            }
        }
        problem_free(&p);
    }
}

/* A fit on 2 threads reaches the optimum a fit on 1 thread reaches. */
static void test_threads_kernel__fit_on_threads_reaches_the_same_optimum(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, LINEAR, 30011, 11, 0, 0, 9u);
    gd_data data;
    problem_view(&p, &data);
    double theta[2][12];
    for (unsigned threads = 1; threads <= 2; ++threads) {
        gd_model model;
        problem_model(&p, threads, 0.0, &model);
        gd_options options;
        gd_options_init(&options);
        options.optimizer = GD_OPTIMIZER_LBFGS;
        options.tolerance = 1e-10;
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta[threads - 1], &report), GD_OK);
        assert_int_equal(report.stop, GD_STOP_CONVERGED);
    }
    double least_squares[12];
    assert_int_equal(ts_least_squares(p.x, p.y, p.n, p.m, least_squares), 0);
    for (size_t j = 0; j < 12; ++j) {
        assert_true(fabs(theta[0][j] - least_squares[j]) < 1e-8);
        assert_true(fabs(theta[1][j] - least_squares[j]) < 1e-8);
    }
    problem_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_kernel__linear_matches_two_pass_reference),
        cmocka_unit_test(test_threads_kernel__logistic_matches_two_pass_reference),
        cmocka_unit_test(test_threads_kernel__softmax_matches_two_pass_reference),
        cmocka_unit_test(test_threads_kernel__label_error_in_a_late_chunk),
        cmocka_unit_test(test_threads_kernel__work_size_never_shrinks),
        cmocka_unit_test(test_threads_kernel__workspace_at_any_offset),
        cmocka_unit_test(test_threads_kernel__fit_on_threads_reaches_the_same_optimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
