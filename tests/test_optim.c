/* The optimisers behind gd_fit: each reaches the least-squares optimum (a
 * LAPACK oracle) and the Rosenbrock minimum (1, 1) through the same model
 * interface; sgd is reproducible; the stopping rules, line-search failure
 * and divergence end a fit as documented. */
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

#define MAX_FEATURES 16

static double max_abs(const double *v, size_t n)
{
    double top = 0.0;
    for (size_t j = 0; j < n; ++j) {
        top = fmax(top, fabs(v[j]));
    }
    return top;
}

/* ---- standardized diabetes, all 10 features, and its LS optimum ---- */

typedef struct diabetes {
    ts_dataset d;
    gd_model model;
    gd_data data;
    double optimum[MAX_FEATURES + 1];
    double optimum_loss;
} diabetes;

static void diabetes_load(diabetes *f)
{
    assert_int_equal(ts_load_csv("diabetes.csv", &f->d), 0);
    assert_true(f->d.n_features == 10);
    ts_standardize(&f->d);
    const size_t m = f->d.n_features;
    assert_int_equal(ts_least_squares(f->d.x, f->d.y, f->d.n_rows, m, f->optimum), 0);
    f->optimum_loss =
        ts_linear_objective(f->d.x, m, f->d.y, NULL, f->d.n_rows, m, 0.0, f->optimum, NULL);
    assert_int_equal(gd_model_linear(&f->model, m, 0.0), GD_OK);
    gd_data_init(&f->data, f->d.x, f->d.n_rows, m, f->d.y);
}

static double diabetes_loss(const diabetes *f, const double *theta)
{
    const size_t m = f->d.n_features;
    return ts_linear_objective(f->d.x, m, f->d.y, NULL, f->d.n_rows, m, 0.0, theta, NULL);
}

/* ---- Rosenbrock as a user's model that reads no data ---- */

static gd_status rosenbrock(const gd_model *self, const double *theta, const gd_data *data,
                            double *loss, double *grad, double *work)
{
    (void)self;
    (void)data;
    (void)work;
    const double a = 1.0 - theta[0];
    const double b = theta[1] - theta[0] * theta[0];
    *loss = a * a + 100.0 * b * b;
    if (grad != NULL) {
        grad[0] = -2.0 * a - 400.0 * theta[0] * b;
        grad[1] = 200.0 * b;
    }
    return GD_OK;
}

/* ½‖θ − c‖² with the gradient's sign flipped: no step along −"gradient"
 * can decrease it, so every line search must fail. */
static gd_status uphill(const gd_model *self, const double *theta, const gd_data *data,
                        double *loss, double *grad, double *work)
{
    (void)self;
    (void)data;
    (void)work;
    const double c[2] = {3.0, -2.0};
    double sum = 0.0;
    for (size_t j = 0; j < 2; ++j) {
        sum += 0.5 * (theta[j] - c[j]) * (theta[j] - c[j]);
        if (grad != NULL) {
            grad[j] = -(theta[j] - c[j]);
        }
    }
    *loss = sum;
    return GD_OK;
}

typedef struct method {
    const char *name;
    gd_optimizer optimizer;
    int line_search;
    double diabetes_rate; /* α on diabetes (ignored by lbfgs) */
    size_t diabetes_budget;
    double rosenbrock_rate;
    size_t rosenbrock_budget;
} method;

/* Budgets two to three times what each method needs (measured), so that a
 * regression that slows a method down fails the test. */
static const method deterministic[] = {
    {"gd", GD_OPTIMIZER_GD, 0, 0.1, 30000, 1e-3, 100000},
    {"gd+ls", GD_OPTIMIZER_GD, 1, 0.1, 6000, 1e-3, 50000},
    {"momentum", GD_OPTIMIZER_MOMENTUM, 0, 0.1, 3000, 1e-3, 10000},
    {"momentum+ls", GD_OPTIMIZER_MOMENTUM, 1, 0.1, 700, 1e-3, 3000},
    {"nesterov", GD_OPTIMIZER_NESTEROV, 0, 0.1, 3000, 1e-3, 10000},
    {"nesterov+ls", GD_OPTIMIZER_NESTEROV, 1, 0.1, 400, 1e-3, 6000},
    {"adam", GD_OPTIMIZER_ADAM, 0, 0.1, 15000, 1e-2, 15000},
    {"lbfgs", GD_OPTIMIZER_LBFGS, 0, 0.0, 70, 0.0, 100},
};
#define N_DETERMINISTIC (sizeof deterministic / sizeof deterministic[0])

static void method_options(const method *how, gd_options *options, double rate, size_t budget)
{
    gd_options_init(options);
    options->optimizer = how->optimizer;
    options->line_search = how->line_search;
    if (rate > 0.0) {
        options->learning_rate = rate;
    }
    options->max_iter = budget;
}

static void fits_diabetes(const method *how)
{
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    method_options(how, &options, how->diabetes_rate, how->diabetes_budget);
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(report.grad_max < options.tolerance);
    const double loss = diabetes_loss(&f, theta);
    assert_true(ts_rel_diff(loss, f.optimum_loss) < 1e-6);
    assert_true(ts_rel_diff(report.loss, loss) < 1e-12);
    ts_free_dataset(&f.d);
}

static void fits_rosenbrock(const method *how)
{
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 2, rosenbrock, NULL, NULL), GD_OK);
    gd_options options;
    method_options(how, &options, how->rosenbrock_rate, how->rosenbrock_budget);
    options.tolerance = 1e-9;
    options.init = GD_INIT_GIVEN;
    double theta[2] = {-1.2, 1.0}; /* the classic start */
    gd_report report;
    assert_int_equal(gd_fit(&model, NULL, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_true(fabs(theta[0] - 1.0) < 1e-6);
    assert_true(fabs(theta[1] - 1.0) < 1e-6);
}

#define METHOD_CASES(index, tag)                                                              \
    static void test_optim__diabetes_##tag(void **state)                                      \
    {                                                                                         \
        (void)state;                                                                          \
        fits_diabetes(&deterministic[index]);                                                 \
    }                                                                                         \
    static void test_optim__rosenbrock_##tag(void **state)                                    \
    {                                                                                         \
        (void)state;                                                                          \
        fits_rosenbrock(&deterministic[index]);                                               \
    }

METHOD_CASES(0, gd)
METHOD_CASES(1, gd_line_search)
METHOD_CASES(2, momentum)
METHOD_CASES(3, momentum_line_search)
METHOD_CASES(4, nesterov)
METHOD_CASES(5, nesterov_line_search)
METHOD_CASES(6, adam)
METHOD_CASES(7, lbfgs)

/* ---- the update rules, against the textbook formulas written out here ---- */

static void rosenbrock_gradient(const double *theta, double *grad)
{
    double loss;
    assert_int_equal(rosenbrock(NULL, theta, NULL, &loss, grad, NULL), GD_OK);
}

/* k steps of the textbook rule from (−1.2, 1) with α = 1e-3, β = 0.9 and
 * Adam's defaults. Nesterov's θ is reported at its look-ahead point θ + βv. */
static void textbook(gd_optimizer optimizer, size_t k, double *out)
{
    const double rate = 1e-3, beta = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double theta[2] = {-1.2, 1.0}, v[2] = {0.0, 0.0}, m[2] = {0.0, 0.0}, g[2];
    for (size_t t = 1; t <= k; ++t) {
        if (optimizer == GD_OPTIMIZER_NESTEROV) {
            const double ahead[2] = {theta[0] + beta * v[0], theta[1] + beta * v[1]};
            rosenbrock_gradient(ahead, g);
        } else {
            rosenbrock_gradient(theta, g);
        }
        for (size_t j = 0; j < 2; ++j) {
            switch (optimizer) {
            case GD_OPTIMIZER_MOMENTUM:
            case GD_OPTIMIZER_NESTEROV:
                v[j] = beta * v[j] - rate * g[j];
                theta[j] += v[j];
                break;
            case GD_OPTIMIZER_ADAM: {
                m[j] = beta1 * m[j] + (1.0 - beta1) * g[j];
                v[j] = beta2 * v[j] + (1.0 - beta2) * g[j] * g[j];
                const double m_hat = m[j] / (1.0 - pow(beta1, (double)t));
                const double v_hat = v[j] / (1.0 - pow(beta2, (double)t));
                theta[j] -= rate * m_hat / (sqrt(v_hat) + eps);
                break;
            }
            default:
                theta[j] -= rate * g[j];
                break;
            }
        }
    }
    for (size_t j = 0; j < 2; ++j) {
        out[j] = optimizer == GD_OPTIMIZER_NESTEROV ? theta[j] + beta * v[j] : theta[j];
    }
}

static void test_optim__updates_follow_the_textbook_rules(void **state)
{
    (void)state;
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 2, rosenbrock, NULL, NULL), GD_OK);
    const gd_optimizer all[] = {GD_OPTIMIZER_GD, GD_OPTIMIZER_MOMENTUM, GD_OPTIMIZER_NESTEROV,
                                GD_OPTIMIZER_ADAM};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; ++k) {
        gd_options options;
        gd_options_init(&options);
        options.optimizer = all[k];
        options.learning_rate = 1e-3;
        options.max_iter = 200;
        options.init = GD_INIT_GIVEN;
        double theta[2] = {-1.2, 1.0}, expected[2];
        gd_report report;
        assert_int_equal(gd_fit(&model, NULL, &options, theta, &report), GD_OK);
        assert_int_equal(report.stop, GD_STOP_MAX_ITER);
        assert_int_equal(report.evaluations, 201);
        textbook(all[k], 200, expected);
        for (size_t j = 0; j < 2; ++j) {
            assert_true(fabs(theta[j] - expected[j]) <= 1e-12 * fmax(1.0, fabs(expected[j])));
        }
    }
}

/* ---- softmax on standardized iris, against Newton's method written here ---- */

#define IRIS_K 3
#define IRIS_M 4
#define IRIS_P ((IRIS_M + 1) * IRIS_K)
#define IRIS_L2 1e-2

/* DESIGN §1's softmax objective, its gradient and (if hess != NULL) its
 * Hessian, by plain loops; θ is (m+1)×k row-major, row 0 the intercepts. */
static double iris_objective(const ts_dataset *d, const double *theta, double *grad,
                             double *hess)
{
    const size_t n = d->n_rows;
    double total = 0.0;
    if (grad != NULL) {
        memset(grad, 0, IRIS_P * sizeof *grad);
    }
    if (hess != NULL) {
        memset(hess, 0, IRIS_P * IRIS_P * sizeof *hess);
    }
    for (size_t i = 0; i < n; ++i) {
        double a[IRIS_M + 1] = {1.0};
        memcpy(a + 1, d->x + i * IRIS_M, IRIS_M * sizeof *a);
        double z[IRIS_K], top = -INFINITY;
        for (size_t c = 0; c < IRIS_K; ++c) {
            z[c] = 0.0;
            for (size_t r = 0; r <= IRIS_M; ++r) {
                z[c] += a[r] * theta[r * IRIS_K + c];
            }
            top = fmax(top, z[c]);
        }
        double sum = 0.0, prob[IRIS_K];
        for (size_t c = 0; c < IRIS_K; ++c) {
            prob[c] = exp(z[c] - top);
            sum += prob[c];
        }
        const size_t label = (size_t)d->y[i];
        total += top + log(sum) - z[label];
        for (size_t c = 0; c < IRIS_K; ++c) {
            prob[c] /= sum;
        }
        for (size_t r = 0; r <= IRIS_M; ++r) {
            for (size_t c = 0; c < IRIS_K; ++c) {
                const size_t row = r * IRIS_K + c;
                if (grad != NULL) {
                    grad[row] += a[r] * (prob[c] - (c == label ? 1.0 : 0.0)) / (double)n;
                }
                for (size_t q = 0; hess != NULL && q <= IRIS_M; ++q) {
                    for (size_t e = 0; e < IRIS_K; ++e) {
                        const double curvature = (c == e ? prob[c] : 0.0) - prob[c] * prob[e];
                        hess[row * IRIS_P + q * IRIS_K + e] += a[r] * a[q] * curvature / (double)n;
                    }
                }
            }
        }
    }
    total /= (double)n;
    for (size_t j = IRIS_K; j < IRIS_P; ++j) {
        total += 0.5 * IRIS_L2 * theta[j] * theta[j];
        if (grad != NULL) {
            grad[j] += IRIS_L2 * theta[j];
        }
        if (hess != NULL) {
            hess[j * IRIS_P + j] += IRIS_L2;
        }
    }
    return total;
}

/* Solve A x = b (A is IRIS_P × IRIS_P, overwritten) by Gaussian elimination
 * with partial pivoting. */
static void solve_dense(double *a, double *b)
{
    for (size_t col = 0; col < IRIS_P; ++col) {
        size_t pivot = col;
        for (size_t r = col + 1; r < IRIS_P; ++r) {
            if (fabs(a[r * IRIS_P + col]) > fabs(a[pivot * IRIS_P + col])) {
                pivot = r;
            }
        }
        for (size_t c = 0; c < IRIS_P; ++c) {
            const double t = a[col * IRIS_P + c];
            a[col * IRIS_P + c] = a[pivot * IRIS_P + c];
            a[pivot * IRIS_P + c] = t;
        }
        const double t = b[col];
        b[col] = b[pivot];
        b[pivot] = t;
        assert_true(fabs(a[col * IRIS_P + col]) > 1e-14);
        for (size_t r = col + 1; r < IRIS_P; ++r) {
            const double f = a[r * IRIS_P + col] / a[col * IRIS_P + col];
            for (size_t c = col; c < IRIS_P; ++c) {
                a[r * IRIS_P + c] -= f * a[col * IRIS_P + c];
            }
            b[r] -= f * b[col];
        }
    }
    for (size_t r = IRIS_P; r-- > 0;) {
        for (size_t c = r + 1; c < IRIS_P; ++c) {
            b[r] -= a[r * IRIS_P + c] * b[c];
        }
        b[r] /= a[r * IRIS_P + r];
    }
}

/* Newton from θ = 0, damped while far from the optimum. The intercepts are unpenalised and adding the
 * same constant to all k of them changes nothing, so the Hessian is singular
 * along u = (1, …, 1 | 0): H + uuᵀ is not, and since the gradient is
 * orthogonal to u the step is unchanged by it. */
static double iris_newton(const ts_dataset *d, double *theta)
{
    static double hess[IRIS_P * IRIS_P];
    double grad[IRIS_P], step[IRIS_P], trial[IRIS_P];
    memset(theta, 0, IRIS_P * sizeof *theta);
    double loss = iris_objective(d, theta, grad, hess);
    for (int it = 0; it < 100 && max_abs(grad, IRIS_P) > 1e-13; ++it) {
        for (size_t r = 0; r < IRIS_K; ++r) {
            for (size_t c = 0; c < IRIS_K; ++c) {
                hess[r * IRIS_P + c] += 1.0;
            }
        }
        memcpy(step, grad, sizeof step);
        solve_dense(hess, step);
        double t = 1.0, next;
        for (;;) {
            for (size_t j = 0; j < IRIS_P; ++j) {
                trial[j] = theta[j] - t * step[j];
            }
            next = iris_objective(d, trial, NULL, NULL);
            /* near the optimum a full step's decrease is below the rounding
             * of L: there Newton converges quadratically undamped */
            if (next <= loss || t < 1e-10 || max_abs(grad, IRIS_P) < 1e-6) {
                break;
            }
            t *= 0.5;
        }
        memcpy(theta, trial, sizeof trial);
        loss = iris_objective(d, theta, grad, hess);
    }
    assert_true(max_abs(grad, IRIS_P) <= 1e-13);
    return loss;
}

static void center_intercepts(double *theta)
{
    const double mean = (theta[0] + theta[1] + theta[2]) / 3.0;
    for (size_t c = 0; c < IRIS_K; ++c) {
        theta[c] -= mean;
    }
}

static void test_optim__softmax_iris_reaches_newton_optimum(void **state)
{
    (void)state;
    ts_dataset d;
    assert_int_equal(ts_load_csv("iris.csv", &d), 0);
    assert_true(d.n_features == IRIS_M);
    ts_standardize(&d);
    double optimum[IRIS_P];
    const double optimum_loss = iris_newton(&d, optimum);
    center_intercepts(optimum);

    gd_model model;
    assert_int_equal(gd_model_softmax(&model, IRIS_M, IRIS_K, IRIS_L2), GD_OK);
    gd_data data;
    gd_data_init(&data, d.x, d.n_rows, IRIS_M, d.y);
    /* budgets two to three times what each method needs here (measured) */
    const method softmax_methods[] = {
        {"gd", GD_OPTIMIZER_GD, 0, 1.0, 3000, 0, 0},
        {"gd+ls", GD_OPTIMIZER_GD, 1, 1.0, 500, 0, 0},
        {"momentum", GD_OPTIMIZER_MOMENTUM, 0, 0.5, 700, 0, 0},
        {"momentum+ls", GD_OPTIMIZER_MOMENTUM, 1, 0.5, 400, 0, 0},
        {"nesterov", GD_OPTIMIZER_NESTEROV, 0, 0.5, 600, 0, 0},
        {"nesterov+ls", GD_OPTIMIZER_NESTEROV, 1, 0.5, 250, 0, 0},
        {"adam", GD_OPTIMIZER_ADAM, 0, 0.05, 1500, 0, 0},
        {"lbfgs", GD_OPTIMIZER_LBFGS, 0, 0.0, 80, 0, 0},
    };
    for (size_t k = 0; k < sizeof softmax_methods / sizeof softmax_methods[0]; ++k) {
        const method *how = &softmax_methods[k];
        gd_options options;
        method_options(how, &options, how->diabetes_rate, how->diabetes_budget);
        options.tolerance = 1e-8;
        double theta[IRIS_P];
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
        assert_int_equal(report.stop, GD_STOP_CONVERGED);
        assert_true(ts_rel_diff(iris_objective(&d, theta, NULL, NULL), optimum_loss) < 1e-6);
        center_intercepts(theta);
        for (size_t j = 0; j < IRIS_P; ++j) {
            assert_true(fabs(theta[j] - optimum[j]) < 1e-5 * fmax(1.0, fabs(optimum[j])));
        }
    }
    ts_free_dataset(&d);
}

/* ---- sgd ---- */

static void sgd_options(gd_options *options, uint64_t seed)
{
    gd_options_init(options);
    options->optimizer = GD_OPTIMIZER_SGD;
    options->learning_rate = 0.2;
    options->decay = 0.02;
    options->batch_size = 32;
    options->max_epochs = 500;
    options->seed = seed;
}

static void test_optim__sgd_same_seed_is_bit_identical(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    sgd_options(&options, 7);
    options.max_epochs = 20;
    double first[MAX_FEATURES + 1], second[MAX_FEATURES + 1], other[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, first, &report), GD_OK);
    assert_int_equal(gd_fit(&f.model, &f.data, &options, second, &report), GD_OK);
    assert_memory_equal(first, second, 11 * sizeof first[0]);
    options.seed = 8;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, other, &report), GD_OK);
    int differs = 0;
    for (size_t j = 0; j < 11; ++j) {
        differs |= other[j] != first[j];
    }
    assert_true(differs);
    ts_free_dataset(&f.d);
}

static void test_optim__sgd_with_decay_reaches_least_squares(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    sgd_options(&options, 1);
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_EPOCHS);
    /* 442 rows in batches of 32: 14 updates per epoch */
    assert_int_equal(report.iterations, 500 * 14);
    assert_true(ts_rel_diff(diabetes_loss(&f, theta), f.optimum_loss) < 1e-3);
    ts_free_dataset(&f.d);
}

static void test_optim__sgd_max_iter_stops_mid_epoch(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    sgd_options(&options, 1);
    options.max_iter = 20;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_ITER);
    assert_int_equal(report.iterations, 20);
    /* the report's loss is the full objective at the returned θ */
    assert_true(ts_rel_diff(report.loss, diabetes_loss(&f, theta)) < 1e-12);
    ts_free_dataset(&f.d);
}

/* For a model that reads no rows, an sgd epoch is one full step: with no
 * decay that is gd, update for update. */
static void test_optim__sgd_without_rows_is_gd(void **state)
{
    (void)state;
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 2, rosenbrock, NULL, NULL), GD_OK);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 1e-3;
    options.max_iter = 500;
    double gd_theta[2], sgd_theta[2];
    gd_report gd_report_, sgd_report;
    assert_int_equal(gd_fit(&model, NULL, &options, gd_theta, &gd_report_), GD_OK);
    options.optimizer = GD_OPTIMIZER_SGD;
    assert_int_equal(gd_fit(&model, NULL, &options, sgd_theta, &sgd_report), GD_OK);
    assert_memory_equal(gd_theta, sgd_theta, sizeof gd_theta);
    assert_int_equal(sgd_report.iterations, gd_report_.iterations);
    assert_int_equal(sgd_report.stop, GD_STOP_MAX_ITER);
}

/* Rows of weight zero may fill whole batches: those carry no information
 * and must not turn into 0/0 (skipped, not counted as updates). The fit
 * approaches the weighted optimum, only approximately: each batch is
 * normalised by its own weight sum, so a looser tolerance than elsewhere. */
static void test_optim__sgd_skips_batches_of_zero_weight(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    const size_t n = f.d.n_rows;
    double *weights = malloc(n * sizeof *weights);
    assert_non_null(weights);
    for (size_t i = 0; i < n; ++i) {
        weights[i] = i < 300 ? 1.0 : 0.0;
    }
    f.data.weights = weights;
    gd_options options;
    sgd_options(&options, 3);
    options.learning_rate = 0.05;
    options.decay = 0.1;
    options.batch_size = 4;
    options.max_epochs = 200;
    double theta[MAX_FEATURES + 1], reference[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_EPOCHS);
    /* 111 batches an epoch, and some of them held only rows of weight 0 */
    assert_true(report.iterations < 200 * 111);
    assert_true(report.iterations > 200 * 100);
    assert_int_equal(ts_ridge_least_squares(f.d.x, 10, f.d.y, weights, n, 10, 0.0, reference),
                     0);
    const double best = ts_linear_objective(f.d.x, 10, f.d.y, weights, n, 10, 0.0, reference,
                                            NULL);
    const double got = ts_linear_objective(f.d.x, 10, f.d.y, weights, n, 10, 0.0, theta, NULL);
    assert_true(ts_rel_diff(got, best) < 2e-2);
    free(weights);
    ts_free_dataset(&f.d);
}

/* ---- weights ---- */

static void test_optim__weight_two_equals_row_twice_lbfgs(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    const size_t n = f.d.n_rows, m = f.d.n_features;
    double *x2 = malloc((n + 1) * m * sizeof *x2);
    double *y2 = malloc((n + 1) * sizeof *y2);
    double *weights = malloc(n * sizeof *weights);
    assert_non_null(x2);
    assert_non_null(y2);
    assert_non_null(weights);
    memcpy(x2, f.d.x, n * m * sizeof *x2);
    memcpy(y2, f.d.y, n * sizeof *y2);
    memcpy(x2 + n * m, f.d.x + 5 * m, m * sizeof *x2); /* row 5 again */
    y2[n] = f.d.y[5];
    for (size_t i = 0; i < n; ++i) {
        weights[i] = i == 5 ? 2.0 : 1.0;
    }
    gd_data weighted = f.data;
    weighted.weights = weights;
    gd_data twice;
    gd_data_init(&twice, x2, n + 1, m, y2);

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_LBFGS;
    options.tolerance = 1e-10;
    double a[MAX_FEATURES + 1], b[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &weighted, &options, a, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_int_equal(gd_fit(&f.model, &twice, &options, b, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    for (size_t j = 0; j <= m; ++j) {
        assert_true(fabs(a[j] - b[j]) <= 1e-8 * fmax(1.0, fabs(b[j])));
    }
    free(x2);
    free(y2);
    free(weights);
    ts_free_dataset(&f.d);
}

/* ---- the callback ---- */

typedef struct stopper {
    size_t stop_at;
    size_t calls;
    size_t last_iteration;
    double first_grad_max;
    double previous_grad_max; /* at the call before the last */
    double last_grad_max;
    double last_theta[MAX_FEATURES + 1];
    size_t n_params;
} stopper;

static int stop_at_iteration(const gd_progress *progress, void *user)
{
    stopper *s = user;
    s->calls += 1;
    s->last_iteration = progress->iteration;
    if (s->calls == 1) {
        s->first_grad_max = progress->grad_max;
    }
    s->previous_grad_max = s->last_grad_max;
    s->last_grad_max = progress->grad_max;
    memcpy(s->last_theta, progress->theta, s->n_params * sizeof *s->last_theta);
    return progress->iteration >= s->stop_at;
}

static void stops_by_callback(gd_optimizer optimizer, int line_search, size_t batch_size,
                              size_t stop_at, size_t expected_calls)
{
    diabetes f;
    diabetes_load(&f);
    stopper s = {.stop_at = stop_at, .n_params = 11};
    gd_options options;
    gd_options_init(&options);
    options.optimizer = optimizer;
    options.line_search = line_search;
    options.learning_rate = 0.05;
    options.batch_size = batch_size;
    options.callback = stop_at_iteration;
    options.callback_user = &s;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CALLBACK);
    assert_int_equal(report.iterations, stop_at);
    assert_int_equal(s.last_iteration, stop_at);
    assert_int_equal(s.calls, expected_calls);
    assert_memory_equal(s.last_theta, theta, 11 * sizeof theta[0]);
    ts_free_dataset(&f.d);
}

static void test_optim__callback_stops_every_optimizer(void **state)
{
    (void)state;
    const gd_optimizer all[] = {GD_OPTIMIZER_GD, GD_OPTIMIZER_MOMENTUM, GD_OPTIMIZER_NESTEROV,
                                GD_OPTIMIZER_ADAM, GD_OPTIMIZER_LBFGS};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; ++k) {
        stops_by_callback(all[k], 0, 32, 5, 6);
        if (all[k] != GD_OPTIMIZER_ADAM && all[k] != GD_OPTIMIZER_LBFGS) {
            stops_by_callback(all[k], 1, 32, 5, 6);
        }
    }
    /* sgd calls back once per epoch: 2 batches of 221 rows, so after
     * updates 0, 2, 4, 6 */
    stops_by_callback(GD_OPTIMIZER_SGD, 0, 221, 6, 4);
}

/* ---- line-search failure and divergence ---- */

static void test_optim__line_search_failure_keeps_last_good_theta(void **state)
{
    (void)state;
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 2, uphill, NULL, NULL), GD_OK);
    const gd_optimizer searched[] = {GD_OPTIMIZER_GD, GD_OPTIMIZER_MOMENTUM,
                                     GD_OPTIMIZER_NESTEROV, GD_OPTIMIZER_LBFGS};
    for (size_t k = 0; k < sizeof searched / sizeof searched[0]; ++k) {
        gd_options options;
        gd_options_init(&options);
        options.optimizer = searched[k];
        options.line_search = 1;
        options.init = GD_INIT_GIVEN;
        double theta[2] = {0.5, 0.25};
        gd_report report;
        assert_int_equal(gd_fit(&model, NULL, &options, theta, &report), GD_ERR_LINE_SEARCH);
        assert_int_equal(report.stop, GD_STOP_LINE_SEARCH);
        assert_int_equal(report.iterations, 0);
        assert_true(theta[0] == 0.5 && theta[1] == 0.25);
        /* ½((0.5 − 3)² + (0.25 + 2)²) */
        assert_true(fabs(report.loss - 0.5 * (6.25 + 5.0625)) < 1e-15);
    }
}

static void diverges(gd_optimizer optimizer, double rate)
{
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = optimizer;
    options.learning_rate = rate;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_ERR_DIVERGED);
    assert_int_equal(report.stop, GD_STOP_DIVERGED);
    for (size_t j = 0; j <= f.d.n_features; ++j) {
        assert_true(isfinite(theta[j]));
    }
    /* the report describes the returned θ */
    assert_true(isfinite(report.loss));
    assert_true(ts_rel_diff(report.loss, diabetes_loss(&f, theta)) < 1e-12);
    ts_free_dataset(&f.d);
}

static void test_optim__huge_step_diverges_with_finite_theta(void **state)
{
    (void)state;
    diverges(GD_OPTIMIZER_MOMENTUM, 10.0);
    diverges(GD_OPTIMIZER_NESTEROV, 10.0);
    /* Adam's steps are ±α whatever the gradient: only an α whose square
     * overflows the objective diverges. */
    diverges(GD_OPTIMIZER_ADAM, 1e200);
    diverges(GD_OPTIMIZER_SGD, 10.0);
}

/* ---- the other stopping rules ---- */

static void test_optim__loss_change_stops(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.1;
    options.tolerance = 0.0;
    options.loss_tolerance = 1e-12;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_LOSS_CHANGE);
    assert_true(report.iterations < options.max_iter);
    assert_true(ts_rel_diff(diabetes_loss(&f, theta), f.optimum_loss) < 1e-6);
    ts_free_dataset(&f.d);
}

static void test_optim__relative_tolerance_stops_lbfgs(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    stopper s = {.stop_at = SIZE_MAX, .n_params = 11};
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_LBFGS;
    options.tolerance = 1e-6;
    options.tolerance_relative = 1;
    options.callback = stop_at_iteration;
    options.callback_user = &s;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    /* it stopped at the first iterate below 1e-6 × the first gradient, which
     * at θ = 0 is |−mean(y)|, the intercept's entry */
    double mean = 0.0;
    for (size_t i = 0; i < f.d.n_rows; ++i) {
        mean += f.d.y[i];
    }
    mean /= (double)f.d.n_rows;
    assert_true(fabs(s.first_grad_max - mean) < 1e-9 * mean);
    const double threshold = 1e-6 * s.first_grad_max;
    assert_true(report.grad_max < threshold);
    assert_true(report.grad_max == s.last_grad_max);
    assert_true(s.calls >= 2 && s.previous_grad_max >= threshold);
    ts_free_dataset(&f.d);
}

static void test_optim__max_epochs_stops_sgd(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    sgd_options(&options, 5);
    options.max_epochs = 3;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_MAX_EPOCHS);
    assert_int_equal(report.iterations, 3 * 14);
    /* 42 batch evaluations and a full one at the start and after each epoch */
    assert_int_equal(report.evaluations, 42 + 4);
    ts_free_dataset(&f.d);
}

/* ---- workspace: one allocation per fit, whatever the method ---- */

typedef struct counting {
    size_t allocs;
    size_t frees;
} counting;

static void *counting_alloc(size_t size, void *opaque)
{
    ((counting *)opaque)->allocs += 1;
    return malloc(size);
}

static void counting_free(void *ptr, void *opaque)
{
    if (ptr != NULL) {
        ((counting *)opaque)->frees += 1;
    }
    free(ptr);
}

static void test_optim__one_allocation_per_fit(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    for (int optimizer = GD_OPTIMIZER_GD; optimizer <= GD_OPTIMIZER_LBFGS; ++optimizer) {
        for (int line_search = 0; line_search < 2; ++line_search) {
            counting count = {0, 0};
            gd_allocator allocator = {counting_alloc, counting_free, &count};
            gd_options options;
            gd_options_init(&options);
            options.optimizer = (gd_optimizer)optimizer;
            options.line_search = line_search;
            options.learning_rate = 0.05;
            options.max_iter = 300;
            options.allocator = &allocator;
            double theta[MAX_FEATURES + 1];
            gd_report report;
            assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_OK);
            assert_true(report.iterations > 0);
            assert_int_equal(count.allocs, 1);
            assert_int_equal(count.frees, 1);
        }
    }
    ts_free_dataset(&f.d);
}

/* The workspace size is checked before anything is allocated. */
static void test_optim__huge_lbfgs_memory_is_refused(void **state)
{
    (void)state;
    diabetes f;
    diabetes_load(&f);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_LBFGS;
    options.lbfgs_memory = SIZE_MAX / 4;
    options.max_iter = SIZE_MAX;
    double theta[MAX_FEATURES + 1];
    gd_report report;
    assert_int_equal(gd_fit(&f.model, &f.data, &options, theta, &report), GD_ERR_OVERFLOW);
    ts_free_dataset(&f.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optim__diabetes_gd),
        cmocka_unit_test(test_optim__diabetes_gd_line_search),
        cmocka_unit_test(test_optim__diabetes_momentum),
        cmocka_unit_test(test_optim__diabetes_momentum_line_search),
        cmocka_unit_test(test_optim__diabetes_nesterov),
        cmocka_unit_test(test_optim__diabetes_nesterov_line_search),
        cmocka_unit_test(test_optim__diabetes_adam),
        cmocka_unit_test(test_optim__diabetes_lbfgs),
        cmocka_unit_test(test_optim__rosenbrock_gd),
        cmocka_unit_test(test_optim__rosenbrock_gd_line_search),
        cmocka_unit_test(test_optim__rosenbrock_momentum),
        cmocka_unit_test(test_optim__rosenbrock_momentum_line_search),
        cmocka_unit_test(test_optim__rosenbrock_nesterov),
        cmocka_unit_test(test_optim__rosenbrock_nesterov_line_search),
        cmocka_unit_test(test_optim__rosenbrock_adam),
        cmocka_unit_test(test_optim__rosenbrock_lbfgs),
        cmocka_unit_test(test_optim__updates_follow_the_textbook_rules),
        cmocka_unit_test(test_optim__softmax_iris_reaches_newton_optimum),
        cmocka_unit_test(test_optim__sgd_same_seed_is_bit_identical),
        cmocka_unit_test(test_optim__sgd_with_decay_reaches_least_squares),
        cmocka_unit_test(test_optim__sgd_max_iter_stops_mid_epoch),
        cmocka_unit_test(test_optim__sgd_without_rows_is_gd),
        cmocka_unit_test(test_optim__sgd_skips_batches_of_zero_weight),
        cmocka_unit_test(test_optim__weight_two_equals_row_twice_lbfgs),
        cmocka_unit_test(test_optim__callback_stops_every_optimizer),
        cmocka_unit_test(test_optim__line_search_failure_keeps_last_good_theta),
        cmocka_unit_test(test_optim__huge_step_diverges_with_finite_theta),
        cmocka_unit_test(test_optim__loss_change_stops),
        cmocka_unit_test(test_optim__relative_tolerance_stops_lbfgs),
        cmocka_unit_test(test_optim__max_epochs_stops_sgd),
        cmocka_unit_test(test_optim__one_allocation_per_fit),
        cmocka_unit_test(test_optim__huge_lbfgs_memory_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
