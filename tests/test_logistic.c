/* Binary logistic regression (DESIGN §1) against oracles written here: the
 * objective and gradient by plain long-double loops, central differences of
 * that objective, a Newton solver (dense Hessian, LAPACK dposv) for the optimum
 * on iris, repeated rows for the weights, and hand-worked extreme margins. */
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

#define M 4
#define LDX 7 /* padded rows: 3 NaNs after every row's M features */

/* GD on standardised iris: a step below 2/L (L ≤ ¼·λ_max(X̃ᵀX̃/n) + λ; steps
 * up to 3 still converge here) and a gradient tolerance small enough that θ,
 * not only the objective, is within 1e−6 (θ's error is about ε/μ_min). */
#define LEARNING_RATE_LOGISTIC 2.0
#define TOLERANCE_LOGISTIC 1e-11

/* LAPACK from OpenBLAS: solves A x = b for a symmetric positive definite A. */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info);

/* ---- data ---------------------------------------------------------------- */

typedef ts_sample sample;

/* x uniform in [−2, 2]; y drawn from σ(w_trueᵀx + b_true), so the classes
 * overlap; weights in [0.1, 3]. Padding is NaN: a read past a row poisons. */
static void sample_make(sample *s, size_t n_rows, size_t ldx, unsigned long long seed)
{
    static const double w_true[M] = {1.5, -2.0, 0.5, 1.0};
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    assert_int_equal(ts_sample_alloc(s, n_rows, ldx, M), 0);
    for (size_t i = 0; i < n_rows; ++i) {
        double z = 0.3;
        for (size_t j = 0; j < ldx; ++j) {
            if (j < M) {
                s->x[i * ldx + j] = ts_rng_uniform(&rng, -2.0, 2.0);
                z += w_true[j] * s->x[i * ldx + j];
            } else {
                s->x[i * ldx + j] = NAN;
            }
        }
        s->y[i] = ts_rng_uniform(&rng, 0.0, 1.0) < 1.0 / (1.0 + exp(-z)) ? 1.0 : 0.0;
        s->weights[i] = ts_rng_uniform(&rng, 0.1, 3.0);
    }
}

/* ---- the oracle: DESIGN §1 by plain loops ------------------------------ */

/* log(1 + e^t) without overflow or log(1): the larger term taken out. */
static long double log1pexp(long double t)
{
    return t > 0.0L ? t + log1pl(expl(-t)) : log1pl(expl(t));
}

/* L(θ) = (1/S)Σ sᵢ(log(1 + e^zᵢ) − yᵢzᵢ) + (λ/2)‖w‖², written as
 * log(1 + e^−z) for y = 1 and log(1 + e^z) for y = 0 (the same for y ∈ {0,1}),
 * and if grad != NULL its gradient (1/S)Σ sᵢ(σ(zᵢ) − yᵢ)(1, xᵢ) + λ(0, w). */
static double direct_objective(const double *x, size_t ldx, const double *y,
                               const double *weights, size_t n, size_t m, double l2,
                               const double *theta, double *grad)
{
    long double sum = 0.0L, total_weight = 0.0L;
    long double g[16] = {0.0L};
    assert_true(m + 1 <= 16);
    for (size_t i = 0; i < n; ++i) {
        long double z = theta[0];
        for (size_t j = 0; j < m; ++j) {
            z += (long double)theta[j + 1] * x[i * ldx + j];
        }
        const long double s = weights != NULL ? weights[i] : 1.0L;
        sum += s * (y[i] == 1.0 ? log1pexp(-z) : log1pexp(z));
        total_weight += s;
        const long double r = 1.0L / (1.0L + expl(-z)) - y[i];
        g[0] += s * r;
        for (size_t j = 0; j < m; ++j) {
            g[j + 1] += s * r * x[i * ldx + j];
        }
    }
    long double penalty = 0.0L;
    for (size_t j = 1; j <= m; ++j) {
        penalty += 0.5L * l2 * (long double)theta[j] * theta[j];
    }
    if (grad != NULL) {
        for (size_t j = 0; j <= m; ++j) {
            grad[j] = (double)(g[j] / total_weight + (j > 0 ? l2 * (long double)theta[j] : 0.0L));
        }
    }
    return (double)(sum / total_weight + penalty);
}

static double direct_objective_of(const sample *s, int weighted, double l2, const double *theta,
                                  double *grad)
{
    return direct_objective(s->x, s->ldx, s->y, weighted ? s->weights : NULL, s->n_rows, M, l2,
                            theta, grad);
}

/* The library's own loss and gradient, through the model's function pointer. */
static double model_loss_grad(const gd_model *model, const gd_data *data, const double *theta,
                              double *grad)
{
    size_t work_doubles = model->work_size(model, data->n_rows);
    double *work = malloc((work_doubles > 0 ? work_doubles : 1) * sizeof *work);
    assert_non_null(work);
    double loss = NAN;
    assert_int_equal(model->loss_grad(model, theta, data, &loss, grad, work), GD_OK);
    free(work);
    return loss;
}

/* ---- the oracle's optimum: Newton's method ------------------------------ */

/* Minimise the logistic objective by Newton steps with backtracking; the
 * Hessian is (1/S)Σ sᵢpᵢ(1 − pᵢ)x̃ᵢx̃ᵢᵀ + λ·diag(0, 1, …, 1), x̃ = (1, x). */
static void newton_logistic(const double *x, size_t ldx, const double *y, size_t n, size_t m,
                            double l2, double *theta)
{
    const size_t p = m + 1;
    double hessian[16 * 16], grad[16], trial[16];
    assert_true(p <= 16);
    memset(theta, 0, p * sizeof *theta);
    double loss = direct_objective(x, ldx, y, NULL, n, m, l2, theta, grad);
    for (int iteration = 0; iteration < 100; ++iteration) {
        double grad_max = 0.0;
        for (size_t j = 0; j < p; ++j) {
            grad_max = fmax(grad_max, fabs(grad[j]));
        }
        if (grad_max < 1e-14) {
            return;
        }
        memset(hessian, 0, sizeof hessian);
        for (size_t i = 0; i < n; ++i) {
            double z = theta[0];
            for (size_t j = 0; j < m; ++j) {
                z += theta[j + 1] * x[i * ldx + j];
            }
            const double prob = 1.0 / (1.0 + exp(-z));
            const double curvature = prob * (1.0 - prob) / (double)n;
            for (size_t a = 0; a < p; ++a) {
                const double xa = a == 0 ? 1.0 : x[i * ldx + a - 1];
                for (size_t b = 0; b < p; ++b) {
                    const double xb = b == 0 ? 1.0 : x[i * ldx + b - 1];
                    hessian[a * p + b] += curvature * xa * xb;
                }
            }
        }
        for (size_t j = 1; j < p; ++j) {
            hessian[j * p + j] += l2;
        }
        double step[16];
        for (size_t j = 0; j < p; ++j) {
            step[j] = -grad[j];
        }
        int order = (int)p, nrhs = 1, info = 0;
        dposv_("U", &order, &nrhs, hessian, &order, step, &order, &info);
        assert_int_equal(info, 0);
        double t = 1.0, trial_loss = INFINITY;
        double trial_grad[16];
        for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
            for (size_t j = 0; j < p; ++j) {
                trial[j] = theta[j] + t * step[j];
            }
            trial_loss = direct_objective(x, ldx, y, NULL, n, m, l2, trial, trial_grad);
            if (trial_loss <= loss) {
                break;
            }
        }
        memcpy(theta, trial, p * sizeof *theta);
        memcpy(grad, trial_grad, p * sizeof *grad);
        loss = trial_loss;
    }
    fail_msg("Newton did not converge");
}

/* ---- tests -------------------------------------------------------------- */

/* gd_check_gradient, and central differences of the oracle's objective
 * against the library's gradient: with and without λ and weights, compact
 * and padded rows, and row counts on both sides of the 256-row blocks. */
static void test_logistic__gradient_matches_central_differences(void **state)
{
    (void)state;
    static const size_t row_counts[] = {1, 255, 256, 257, 700};
    for (size_t rc = 0; rc < sizeof row_counts / sizeof row_counts[0]; ++rc) {
        for (size_t padded = 0; padded < 2; ++padded) {
            sample s;
            sample_make(&s, row_counts[rc], padded ? LDX : M, 100u + rc);
            for (int weighted = 0; weighted < 2; ++weighted) {
                for (int with_l2 = 0; with_l2 < 2; ++with_l2) {
                    const double l2 = with_l2 ? 0.3 : 0.0;
                    gd_model model;
                    assert_int_equal(gd_model_logistic(&model, M, l2), GD_OK);
                    gd_data data;
                    ts_sample_view(&s, weighted, &data);
                    double theta[M + 1], grad[M + 1], probe[M + 1];
                    ts_random_vector(theta, M + 1, 1.5, 7u + rc);

                    double checker = -1.0;
                    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &checker),
                                     GD_OK);
                    assert_true(checker >= 0.0 && checker < 1e-6);

                    (void)model_loss_grad(&model, &data, theta, grad);
                    memcpy(probe, theta, sizeof probe);
                    for (size_t j = 0; j <= M; ++j) {
                        const double h = 1e-5 * fmax(1.0, fabs(theta[j]));
                        probe[j] = theta[j] + h;
                        const double plus = direct_objective_of(&s, weighted, l2, probe, NULL);
                        probe[j] = theta[j] - h;
                        const double minus = direct_objective_of(&s, weighted, l2, probe, NULL);
                        probe[j] = theta[j];
                        const double numeric = (plus - minus) / (2.0 * h);
                        const double error = fabs(grad[j] - numeric) / fmax(1.0, fabs(numeric));
                        if (!(error < 1e-7)) {
                            print_error("n=%zu ldx=%zu w=%d l2=%g j=%zu: %.17g vs %.17g\n",
                                        s.n_rows, s.ldx, weighted, l2, j, grad[j], numeric);
                        }
                        assert_true(error < 1e-7);
                    }
                }
            }
            ts_sample_free(&s);
        }
    }
}

/* The objective (gd_objective and loss_grad) and the gradient equal the
 * oracle's loops to rounding, at small and large θ. */
static void test_logistic__objective_and_gradient_match_direct_loops(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 700, LDX, 31u);
    static const double scales[] = {0.01, 1.0, 30.0};
    for (size_t sc = 0; sc < 3; ++sc) {
        for (int weighted = 0; weighted < 2; ++weighted) {
            const double l2 = weighted ? 0.05 : 0.0;
            gd_model model;
            assert_int_equal(gd_model_logistic(&model, M, l2), GD_OK);
            gd_data data;
            ts_sample_view(&s, weighted, &data);
            double theta[M + 1], grad[M + 1], expected_grad[M + 1];
            ts_random_vector(theta, M + 1, scales[sc], 40u + sc);
            const double expected = direct_objective_of(&s, weighted, l2, theta, expected_grad);
            double loss = NAN;
            assert_int_equal(gd_objective(&model, theta, &data, &loss), GD_OK);
            assert_true(ts_rel_diff(loss, expected) < 1e-12);
            assert_true(ts_rel_diff(model_loss_grad(&model, &data, theta, grad), expected)
                        < 1e-12);
            for (size_t j = 0; j <= M; ++j) {
                assert_true(fabs(grad[j] - expected_grad[j])
                            <= 1e-12 * fmax(1.0, fabs(expected_grad[j])));
            }
        }
    }
    ts_sample_free(&s);
}

/* The loss of many rows keeps its rounding small: 200000 rows of 3 features
 * (16 random rows repeated, so that every group of 16 rows has the same sum
 * and the rounding of a long running sum piles up in one direction instead
 * of averaging out), per-row losses O(1), against log(1 + e^z) − yz per row
 * in long double, summed with compensation. The one-pass sweep adds a
 * group's sum to those of the 63 groups around it before the chunk's total
 * (src/kernels/onepass.c, FUSED_SUM_GROUPS): measured within 3.6e-15 (one
 * thread) and 2.2e-15 (two). With every group's sum straight into the
 * chunk's total (84094b6) it was 1.3e-13 and 1.1e-13, 12500 and 6250 terms
 * a running sum; the bound sits about 5x from either. */
#define MANY_ROWS_REL_TOL 2e-14

static double many_rows_label(long double z, ts_rng *rng)
{
    return ts_rng_uniform(rng, 0.0, 1.0) < 1.0 / (1.0 + exp(-(double)z)) ? 1.0 : 0.0;
}

/* softplus(z) − y·z. */
static long double many_rows_row_loss(long double z, double y)
{
    return log1pexp(z) - (long double)y * z;
}

static void test_logistic__loss_of_many_rows_keeps_rounding_small(void **state)
{
    (void)state;
    assert_true(ts_loss_rounding_error("logistic", gd_model_logistic, many_rows_label, many_rows_row_loss) <
                MANY_ROWS_REL_TOL);
}

/* gd_predict gives σ(wᵀx + b), crossing block boundaries with padded rows. */
static void test_logistic__predict_is_sigmoid_of_margin(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 600, LDX, 51u);
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, M, 0.0), GD_OK);
    assert_int_equal(model.n_outputs, 1);
    assert_int_equal(model.n_classes, 2);
    assert_int_equal(model.n_params, M + 1);
    assert_int_equal(model.kind, GD_MODEL_LOGISTIC);
    gd_data data;
    ts_sample_view(&s, 0, &data);
    data.y = NULL;
    double theta[M + 1];
    ts_random_vector(theta, M + 1, 2.0, 52u);
    double *p = malloc(s.n_rows * sizeof *p);
    assert_non_null(p);
    assert_int_equal(gd_predict(&model, theta, &data, p), GD_OK);
    for (size_t i = 0; i < s.n_rows; ++i) {
        long double z = theta[0];
        for (size_t j = 0; j < M; ++j) {
            z += (long double)theta[j + 1] * s.x[i * LDX + j];
        }
        const double expected = (double)(1.0L / (1.0L + expl(-z)));
        assert_true(fabs(p[i] - expected) <= 1e-15);
    }
    free(p);
    ts_sample_free(&s);
}

/* Margins of ±1000 (and beyond): e^1000 overflows a double, so a naive
 * log(1 + e^z) gives Inf and σ gives NaN. By hand, with θ = (b, w) = (0, 1000)
 * and rows (x, y) = (1, 1), (1, 0), (−1, 1), (−1, 0): the losses are 0, 1000,
 * 1000, 0 (mean 500), the residuals σ(z) − y are 0, 1, −1, 0, so ∂L/∂b = 0
 * and ∂L/∂w = (0 + 1 + 1 + 0)/4 = 0.5. */
static void test_logistic__extreme_margins_stay_finite(void **state)
{
    (void)state;
    const double x[4] = {1.0, 1.0, -1.0, -1.0}, y[4] = {1.0, 0.0, 1.0, 0.0};
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, 1, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, 4, 1, y);
    const double theta[2] = {0.0, 1000.0};
    double grad[2];
    const double loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(fabs(loss - 500.0) < 1e-12);
    assert_true(fabs(grad[0]) < 1e-15);
    assert_true(fabs(grad[1] - 0.5) < 1e-15);

    double max_error = -1.0;
    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &max_error), GD_OK);
    assert_true(max_error < 1e-6);

    double p[4];
    assert_int_equal(gd_predict(&model, theta, &data, p), GD_OK);
    assert_true(p[0] == 1.0 && p[1] == 1.0 && p[2] == 0.0 && p[3] == 0.0);

    /* Far beyond: z = ±1e300 still gives finite values (the loss is |z| per
     * misclassified row). */
    const double far[2] = {0.0, 1e300};
    double far_loss = NAN;
    assert_int_equal(gd_objective(&model, far, &data, &far_loss), GD_OK);
    assert_true(isfinite(far_loss));
    assert_true(ts_rel_diff(far_loss, 0.5e300) < 1e-15);

    /* At z = 40 with y = 1 the loss is log(1 + e^−40) ≈ 4.25e−18: written as
     * softplus(z) − z it would cancel to 0; the stable form keeps it. */
    const double one_x[1] = {1.0}, one_y[1] = {1.0};
    gd_data one;
    gd_data_init(&one, one_x, 1, 1, one_y);
    const double at40[2] = {0.0, 40.0};
    double loss40 = NAN;
    assert_int_equal(gd_objective(&model, at40, &one, &loss40), GD_OK);
    assert_true(ts_rel_diff(loss40, log1p(exp(-40.0))) < 1e-14);
}

/* Every row's loss and residual, for margins over the whole range the double
 * exponent allows (|z| ≤ 800, including 0 and ±745 where e^−|z| is
 * subnormal), each within 1e−14 relative of long-double libm. A row is picked
 * out by giving it the only non-zero weight, so the loss is that row's loss
 * and ∂L/∂b its residual σ(z) − y, computed where the row sits among n rows —
 * through the vectorised body, its epilogue or the scalar tail of the vector
 * math (src/kernels/vmath.c). */
static void test_logistic__every_row_accurate_over_all_margins(void **state)
{
    (void)state;
    enum { N = 203 }; /* not a multiple of any vector width */
    double x[N], y[N], weights[N];
    for (size_t i = 0; i < N; ++i) {
        /* −800 … 800, denser near 0 where neither term dominates */
        const double t = -1.0 + 2.0 * (double)i / (double)(N - 1);
        x[i] = 800.0 * t * t * t;
        y[i] = (double)(i % 2);
        weights[i] = 0.0;
    }
    x[N / 2] = 0.0;
    x[7] = -745.0;
    x[8] = 745.0;
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, 1, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, N, 1, y);
    data.weights = weights;
    const double theta[2] = {0.0, 1.0};
    long double loss_sum = 0.0L, residual_sum = 0.0L;
    for (size_t row = 0; row < N; ++row) {
        weights[row] = 1.0;
        double grad[2];
        const double loss = model_loss_grad(&model, &data, theta, grad);
        weights[row] = 0.0;
        const long double z = x[row];
        const long double expected_loss = y[row] == 1.0 ? log1pexp(-z) : log1pexp(z);
        const long double sigma =
            z >= 0.0L ? 1.0L / (1.0L + expl(-z)) : expl(z) / (1.0L + expl(z));
        const double expected_residual = (double)(sigma - y[row]);
        assert_true(ts_rel_diff(loss, (double)expected_loss) < 1e-14
                    || fabs(loss - (double)expected_loss) < 1e-300);
        loss_sum += expected_loss;
        residual_sum += sigma - y[row];
        /* σ(z) − y cancels for a well classified row (as in any form of
         * it): the residual is good to an ulp of 1, not of itself. */
        assert_true(fabs(grad[0] - expected_residual) <= 1e-15);
        assert_true(fabs(grad[1] - expected_residual * x[row]) <= 1e-15 * fmax(1.0, fabs(x[row])));
    }
    /* The same rows without weights (the unweighted loop): the mean loss
     * and mean residual. */
    data.weights = NULL;
    double grad[2];
    const double mean_loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(ts_rel_diff(mean_loss, (double)(loss_sum / N)) < 1e-14);
    assert_true(fabs(grad[0] - (double)(residual_sum / N)) <= 1e-15);
    /* Predictions, every row: σ(z) within 1e−14 relative. */
    double p[N];
    assert_int_equal(gd_predict(&model, theta, &data, p), GD_OK);
    for (size_t i = 0; i < N; ++i) {
        const long double z = x[i];
        const long double sigma =
            z >= 0.0L ? 1.0L / (1.0L + expl(-z)) : expl(z) / (1.0L + expl(z));
        assert_true(ts_rel_diff(p[i], (double)sigma) < 1e-14 || fabs(p[i] - (double)sigma) < 1e-300);
    }
}

/* Linearly separable data with λ = 0 has no minimiser: the weights grow
 * without bound. gd_fit (the seed's GD) must stop by its budget or tolerance,
 * with a finite θ that separates the classes — also with a reckless step. */
static void test_logistic__separable_fit_stays_finite(void **state)
{
    (void)state;
    enum { N = 20 };
    double x[N * 2], y[N];
    for (size_t i = 0; i < N; ++i) {
        const double t = -3.0 + 6.0 * (double)i / (N - 1);
        x[2 * i] = t;
        x[2 * i + 1] = 0.5 * sin((double)i);
        y[i] = t > 0.0 ? 1.0 : 0.0;
    }
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, 2, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, N, 2, y);
    static const double rates[] = {0.01, 1e4};
    for (size_t r = 0; r < 2; ++r) {
        gd_options options;
        gd_options_init(&options);
        options.optimizer = GD_OPTIMIZER_GD;
        options.learning_rate = rates[r];
        options.max_iter = r == 0 ? 20000 : 2000;
        double theta[3] = {NAN, NAN, NAN};
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
        assert_true(report.stop == GD_STOP_MAX_ITER || report.stop == GD_STOP_CONVERGED);
        assert_true(isfinite(theta[0]) && isfinite(theta[1]) && isfinite(theta[2]));
        assert_true(isfinite(report.loss) && report.loss >= 0.0 && report.loss < 0.05);
        assert_true(isfinite(report.grad_max));
        assert_true(theta[1] > 0.0);
        size_t labels[N];
        assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
        for (size_t i = 0; i < N; ++i) {
            assert_int_equal(labels[i], (size_t)y[i]);
        }
    }
}

/* Iris versicolor (1) against virginica (2), relabelled 0/1, standardised.
 * The two overlap, so the unregularised optimum exists. */
static void load_versicolor_virginica(ts_dataset *out)
{
    ts_dataset all;
    assert_int_equal(ts_load_csv("iris.csv", &all), 0);
    assert_int_equal(all.n_features, 4);
    size_t n = 0;
    for (size_t i = 0; i < all.n_rows; ++i) {
        n += all.y[i] >= 1.0;
    }
    assert_int_equal(n, 100);
    out->n_rows = n;
    out->n_features = 4;
    out->x = malloc(n * 4 * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    assert_non_null(out->x);
    assert_non_null(out->y);
    size_t row = 0;
    for (size_t i = 0; i < all.n_rows; ++i) {
        if (all.y[i] >= 1.0) {
            memcpy(out->x + row * 4, all.x + i * 4, 4 * sizeof *out->x);
            out->y[row] = all.y[i] - 1.0;
            row++;
        }
    }
    ts_free_dataset(&all);
    ts_standardize(out);
}

/* gd_fit with the seed's gradient descent (GD) reaches the Newton optimum: the
 * objective to 1e−6 relative and θ to 1e−6 of its size, with λ = 0 and λ > 0. */
static void test_logistic__iris_fit_matches_newton(void **state)
{
    (void)state;
    ts_dataset set;
    load_versicolor_virginica(&set);
    static const double l2s[] = {0.0, 1e-2};
    for (size_t c = 0; c < 2; ++c) {
        const double l2 = l2s[c];
        double optimum[5];
        newton_logistic(set.x, 4, set.y, set.n_rows, 4, l2, optimum);
        const double optimum_loss =
            direct_objective(set.x, 4, set.y, NULL, set.n_rows, 4, l2, optimum, NULL);

        gd_model model;
        assert_int_equal(gd_model_logistic(&model, 4, l2), GD_OK);
        gd_data data;
        gd_data_init(&data, set.x, set.n_rows, 4, set.y);
        gd_options options;
        gd_options_init(&options);
        options.optimizer = GD_OPTIMIZER_GD;
        options.learning_rate = LEARNING_RATE_LOGISTIC;
        options.tolerance = TOLERANCE_LOGISTIC;
        options.max_iter = 1000000;
        double theta[5];
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
        assert_int_equal(report.stop, GD_STOP_CONVERGED);
        assert_true(ts_rel_diff(report.loss, optimum_loss) < 1e-6);
        double theta_size = 1.0, theta_error = 0.0;
        for (size_t j = 0; j < 5; ++j) {
            theta_size = fmax(theta_size, fabs(optimum[j]));
            theta_error = fmax(theta_error, fabs(theta[j] - optimum[j]));
        }
        print_message("l2=%g: %zu iterations; loss %.17g vs Newton's %.17g; θ error %g "
                      "(size %g)\n",
                      l2, report.iterations, report.loss, optimum_loss, theta_error, theta_size);
        assert_true(theta_error < 1e-6 * theta_size);
    }
    ts_free_dataset(&set);
}

/* A sample weight of c is the row repeated c times (DESIGN §1's S = Σ sᵢ). */
static void test_logistic__weights_equal_repeated_rows(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 300, M, 61u);
    double *repeated_x = malloc(3 * s.n_rows * M * sizeof *repeated_x);
    double *repeated_y = malloc(3 * s.n_rows * sizeof *repeated_y);
    double *weights = malloc(s.n_rows * sizeof *weights);
    assert_non_null(repeated_x);
    assert_non_null(repeated_y);
    assert_non_null(weights);
    size_t rows = 0;
    for (size_t i = 0; i < s.n_rows; ++i) {
        weights[i] = (double)(i % 3); /* 0, 1, 2: a zero weight drops the row */
        for (size_t copy = 0; copy < i % 3; ++copy) {
            memcpy(repeated_x + rows * M, s.x + i * M, M * sizeof *repeated_x);
            repeated_y[rows] = s.y[i];
            rows++;
        }
    }
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, M, 0.1), GD_OK);
    gd_data weighted, repeated;
    gd_data_init(&weighted, s.x, s.n_rows, M, s.y);
    weighted.weights = weights;
    gd_data_init(&repeated, repeated_x, rows, M, repeated_y);
    double theta[M + 1], grad_weighted[M + 1], grad_repeated[M + 1];
    ts_random_vector(theta, M + 1, 1.0, 62u);
    const double a = model_loss_grad(&model, &weighted, theta, grad_weighted);
    const double b = model_loss_grad(&model, &repeated, theta, grad_repeated);
    assert_true(ts_rel_diff(a, b) < 1e-13);
    for (size_t j = 0; j <= M; ++j) {
        assert_true(fabs(grad_weighted[j] - grad_repeated[j]) < 1e-13);
    }
    free(repeated_x);
    free(repeated_y);
    free(weights);
    ts_sample_free(&s);
}

/* A label outside {0, 1} is refused before any work, θ and the loss untouched. */
static void test_logistic__invalid_labels_are_refused(void **state)
{
    (void)state;
    static const double bad[] = {2.0, -1.0, 0.5, 1e300, 1e-300};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; ++b) {
        sample s;
        sample_make(&s, 300, LDX, 71u);
        s.y[299 - b * 37] = bad[b];
        gd_model model;
        assert_int_equal(gd_model_logistic(&model, M, 0.0), GD_OK);
        gd_data data;
        ts_sample_view(&s, 0, &data);
        double theta[M + 1] = {1.0, 2.0, 3.0, 4.0, 5.0};
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, NULL, theta, &report), GD_ERR_LABEL);
        assert_int_equal(report.stop, GD_STOP_NONE);
        for (size_t j = 0; j <= M; ++j) {
            assert_true(theta[j] == (double)(j + 1));
        }
        double loss = 42.0, error = 42.0;
        assert_int_equal(gd_objective(&model, theta, &data, &loss), GD_ERR_LABEL);
        assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &error), GD_ERR_LABEL);
        assert_true(loss == 42.0 && error == 42.0);
        /* Called directly, the model's own function refuses it too. */
        double work[256], grad[M + 1];
        assert_int_equal(model.loss_grad(&model, theta, &data, &loss, grad, work), GD_ERR_LABEL);
        /* Predictions ignore the labels. */
        double *p = malloc(s.n_rows * sizeof *p);
        assert_non_null(p);
        assert_int_equal(gd_predict(&model, theta, &data, p), GD_OK);
        free(p);
        ts_sample_free(&s);
    }
}

/* Every row in one class is allowed: with λ > 0 the optimum is finite and
 * predicts that class; the intercept alone carries it. */
static void test_logistic__single_class_is_allowed(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 50, M, 81u);
    for (size_t i = 0; i < s.n_rows; ++i) {
        s.y[i] = 0.0;
    }
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, M, 0.1), GD_OK);
    gd_data data;
    ts_sample_view(&s, 1, &data);
    double theta[M + 1];
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.5;
    options.max_iter = 5000;
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    assert_true(theta[0] < -1.0);
    double check = -1.0;
    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &check), GD_OK);
    assert_true(check < 1e-6);
    size_t labels[50];
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
    for (size_t i = 0; i < s.n_rows; ++i) {
        assert_int_equal(labels[i], 0);
    }
    ts_sample_free(&s);
}

/* docs/classification.md's worked example: rows (x, y) = (0, 0), (1, 1) at
 * θ = 0: z = 0, p = ½, each row loses log 2, so L = log 2; the residuals are
 * ½ and −½, so ∂L/∂b = 0 and ∂L/∂w = (0·½ + 1·(−½))/2 = −¼. With λ = 0.5 and
 * w = 2, b = −1: z = (−1, 1), both rows lose softplus(−1) = log(1 + e^−1), the
 * penalty adds ¼·4 = 1, residuals σ(−1) and σ(1) − 1 = −σ(−1), so ∂L/∂b = 0
 * and ∂L/∂w = −σ(−1)/2 + 0.5·2. */
static void test_logistic__hand_worked_example(void **state)
{
    (void)state;
    const double x[2] = {0.0, 1.0}, y[2] = {0.0, 1.0};
    gd_data data;
    gd_data_init(&data, x, 2, 1, y);
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, 1, 0.0), GD_OK);
    const double zero[2] = {0.0, 0.0};
    double grad[2];
    double loss = model_loss_grad(&model, &data, zero, grad);
    assert_true(fabs(loss - log(2.0)) < 1e-15);
    assert_true(fabs(grad[0]) < 1e-15 && fabs(grad[1] + 0.25) < 1e-15);

    assert_int_equal(gd_model_logistic(&model, 1, 0.5), GD_OK);
    const double theta[2] = {-1.0, 2.0};
    const double sigma_minus_one = 1.0 / (1.0 + exp(1.0));
    loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(fabs(loss - (log1p(exp(-1.0)) + 1.0)) < 1e-15);
    assert_true(fabs(grad[0]) < 1e-15);
    assert_true(fabs(grad[1] - (1.0 - 0.5 * sigma_minus_one)) < 1e-15);
}

/* The constructor's bad input, the model untouched on every failure. */
static void test_logistic__constructor_rejects_bad_input(void **state)
{
    (void)state;
    gd_model model, before;
    memset(&model, 0xA5, sizeof model);
    before = model;
    assert_int_equal(gd_model_logistic(NULL, 3, 0.0), GD_ERR_NULL);
    assert_int_equal(gd_model_logistic(&model, 0, 0.0), GD_ERR_SIZE);
    assert_int_equal(gd_model_logistic(&model, 3, NAN), GD_ERR_OPTION);
    assert_int_equal(gd_model_logistic(&model, 3, INFINITY), GD_ERR_OPTION);
    assert_int_equal(gd_model_logistic(&model, 3, -1e-9), GD_ERR_OPTION);
    assert_int_equal(gd_model_logistic(&model, SIZE_MAX, 0.0), GD_ERR_OVERFLOW);
    assert_memory_equal(&model, &before, sizeof model);
    assert_int_equal(gd_model_logistic(&model, 3, 0.25), GD_OK);
    assert_int_equal(gd_model_validate(&model), GD_OK);
    assert_true(model.l2 == 0.25);
    assert_int_equal(model.n_features, 3);
    assert_non_null(model.check_data);
    assert_null(model.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic__gradient_matches_central_differences),
        cmocka_unit_test(test_logistic__objective_and_gradient_match_direct_loops),
        cmocka_unit_test(test_logistic__loss_of_many_rows_keeps_rounding_small),
        cmocka_unit_test(test_logistic__predict_is_sigmoid_of_margin),
        cmocka_unit_test(test_logistic__extreme_margins_stay_finite),
        cmocka_unit_test(test_logistic__every_row_accurate_over_all_margins),
        cmocka_unit_test(test_logistic__separable_fit_stays_finite),
        cmocka_unit_test(test_logistic__iris_fit_matches_newton),
        cmocka_unit_test(test_logistic__weights_equal_repeated_rows),
        cmocka_unit_test(test_logistic__invalid_labels_are_refused),
        cmocka_unit_test(test_logistic__single_class_is_allowed),
        cmocka_unit_test(test_logistic__hand_worked_example),
        cmocka_unit_test(test_logistic__constructor_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
