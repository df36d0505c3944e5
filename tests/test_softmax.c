/* Softmax regression (DESIGN §1) against oracles written here: the objective
 * and gradient by plain long-double loops, central differences of that
 * objective, a Newton solver (dense Hessian, LAPACK dposv) for the optimum on
 * iris, binary logistic regression for k = 2, and hand-worked extreme margins. */
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

#define M 4
#define LDX 7     /* padded rows: 3 NaNs after every row's M features */
#define K_MAX 6
#define P_MAX ((M + 1) * K_MAX)

/* LAPACK from OpenBLAS: solves A x = b for a symmetric positive definite A. */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info);

/* ---- data ---------------------------------------------------------------- */

typedef ts_sample sample;

/* x uniform in [−2, 2]; y drawn from softmax(W_trueᵀx + b_true), so the
 * classes overlap; weights in [0.1, 3]; NaN padding after each row. */
static void sample_make(sample *s, size_t n_rows, size_t ldx, size_t k, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    double w_true[(M + 1) * K_MAX];
    for (size_t j = 0; j < (M + 1) * k; ++j) {
        w_true[j] = ts_rng_uniform(&rng, -1.5, 1.5);
    }
    assert_int_equal(ts_sample_alloc(s, n_rows, ldx, M), 0);
    s->k = k;
    for (size_t i = 0; i < n_rows; ++i) {
        for (size_t j = 0; j < ldx; ++j) {
            s->x[i * ldx + j] = j < M ? ts_rng_uniform(&rng, -2.0, 2.0) : NAN;
        }
        double p[K_MAX], total = 0.0;
        for (size_t c = 0; c < k; ++c) {
            double z = w_true[c];
            for (size_t j = 0; j < M; ++j) {
                z += w_true[(j + 1) * k + c] * s->x[i * ldx + j];
            }
            p[c] = exp(z);
            total += p[c];
        }
        double u = ts_rng_uniform(&rng, 0.0, total);
        size_t label = 0;
        while (label + 1 < k && u >= p[label]) {
            u -= p[label];
            label++;
        }
        s->y[i] = (double)label;
        s->weights[i] = ts_rng_uniform(&rng, 0.1, 3.0);
    }
}

/* ---- the oracle: DESIGN §1 by plain loops ------------------------------ */

/* Row i's scores z_c = b_c + Σ_j W[j][c]·x_j, θ laid out (m+1)×k row-major. */
static void scores(const double *x, size_t m, size_t k, const double *theta, long double *z)
{
    for (size_t c = 0; c < k; ++c) {
        z[c] = theta[c];
        for (size_t j = 0; j < m; ++j) {
            z[c] += (long double)theta[(j + 1) * k + c] * x[j];
        }
    }
}

/* log Σ_c e^{z_c}, with the maximum taken out so that no term overflows. */
static long double log_sum_exp(const long double *z, size_t k)
{
    long double max = z[0], sum = 0.0L;
    for (size_t c = 1; c < k; ++c) {
        max = z[c] > max ? z[c] : max;
    }
    for (size_t c = 0; c < k; ++c) {
        sum += expl(z[c] - max);
    }
    return max + logl(sum);
}

/* L(θ) = (1/S)Σ sᵢ(logsumexp(zᵢ) − zᵢ[yᵢ]) + (λ/2)‖W‖²_F and, if grad != NULL,
 * (1/S)Σ sᵢ (Pᵢ − onehot(yᵢ)) ⊗ (1, xᵢ) + λ(0, W). */
static double direct_objective(const double *x, size_t ldx, const double *y,
                               const double *weights, size_t n, size_t m, size_t k, double l2,
                               const double *theta, double *grad)
{
    const size_t p = (m + 1) * k;
    long double sum = 0.0L, total_weight = 0.0L;
    long double g[P_MAX] = {0.0L};
    assert_true(p <= P_MAX && k <= K_MAX);
    for (size_t i = 0; i < n; ++i) {
        long double z[K_MAX] = {0.0L};
        scores(x + i * ldx, m, k, theta, z);
        const size_t label = (size_t)y[i];
        const long double s = weights != NULL ? weights[i] : 1.0L;
        const long double lse = log_sum_exp(z, k);
        sum += s * (lse - z[label]);
        total_weight += s;
        for (size_t c = 0; c < k; ++c) {
            const long double r = expl(z[c] - lse) - (c == label ? 1.0L : 0.0L);
            g[c] += s * r;
            for (size_t j = 0; j < m; ++j) {
                g[(j + 1) * k + c] += s * r * x[i * ldx + j];
            }
        }
    }
    long double penalty = 0.0L;
    for (size_t j = k; j < p; ++j) {
        penalty += 0.5L * l2 * (long double)theta[j] * theta[j];
    }
    if (grad != NULL) {
        for (size_t j = 0; j < p; ++j) {
            grad[j] = (double)(g[j] / total_weight + (j >= k ? l2 * (long double)theta[j] : 0.0L));
        }
    }
    return (double)(sum / total_weight + penalty);
}

static double direct_objective_of(const sample *s, int weighted, double l2, const double *theta,
                                  double *grad)
{
    return direct_objective(s->x, s->ldx, s->y, weighted ? s->weights : NULL, s->n_rows, M, s->k,
                            l2, theta, grad);
}

/* The library's own loss and gradient, through the model's function pointer. */
static double model_loss_grad(const gd_model *model, const gd_data *data, const double *theta,
                              double *grad)
{
    size_t work_doubles = model->work_size(model, data->n_rows);
    assert_true(work_doubles >= (data->n_rows < 256 ? data->n_rows : 256) * model->n_classes);
    double *work = malloc(work_doubles * sizeof *work);
    assert_non_null(work);
    double loss = NAN;
    assert_int_equal(model->loss_grad(model, theta, data, &loss, grad, work), GD_OK);
    free(work);
    return loss;
}

/* ---- the oracle's optimum: Newton's method ------------------------------ */

/* The objective is invariant under adding one constant to every intercept,
 * so its Hessian is singular along that direction. Newton minimises
 * L + (μ/2)(Σ_c b_c)² instead: the same minimum value, reached where
 * Σ_c b_c = 0 — where gradient descent from θ = 0 stays too, since the
 * intercepts' gradient Σᵢ sᵢ(Pᵢ − Yᵢ) always sums to zero over the classes. */
#define SHIFT_PENALTY 1.0

static double newton_objective(const double *x, size_t ldx, const double *y, size_t n, size_t m,
                               size_t k, double l2, const double *theta, double *grad)
{
    double value = direct_objective(x, ldx, y, NULL, n, m, k, l2, theta, grad);
    double shift = 0.0;
    for (size_t c = 0; c < k; ++c) {
        shift += theta[c];
    }
    for (size_t c = 0; c < k; ++c) {
        grad[c] += SHIFT_PENALTY * shift;
    }
    return value + 0.5 * SHIFT_PENALTY * shift * shift;
}

/* Hessian entries for θ index (a, c) = a·k + c, x̃ = (1, x):
 * (1/n)Σᵢ x̃_a x̃_b (δ_cd P_c − P_c P_d) + λδ_ab δ_cd [a ≥ 1] + μ[a = b = 0]. */
static void newton_softmax(const double *x, size_t ldx, const double *y, size_t n, size_t m,
                           size_t k, double l2, double *theta)
{
    const size_t p = (m + 1) * k;
    double hessian[P_MAX * P_MAX], grad[P_MAX], trial[P_MAX], trial_grad[P_MAX], step[P_MAX];
    assert_true(p <= P_MAX);
    memset(theta, 0, p * sizeof *theta);
    double loss = newton_objective(x, ldx, y, n, m, k, l2, theta, grad);
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
            long double z[K_MAX] = {0.0L};
            double prob[K_MAX];
            scores(x + i * ldx, m, k, theta, z);
            const long double lse = log_sum_exp(z, k);
            for (size_t c = 0; c < k; ++c) {
                prob[c] = (double)expl(z[c] - lse);
            }
            for (size_t a = 0; a <= m; ++a) {
                const double xa = a == 0 ? 1.0 : x[i * ldx + a - 1];
                for (size_t b = 0; b <= m; ++b) {
                    const double xb = b == 0 ? 1.0 : x[i * ldx + b - 1];
                    for (size_t c = 0; c < k; ++c) {
                        for (size_t d = 0; d < k; ++d) {
                            const double curvature =
                                (c == d ? prob[c] : 0.0) - prob[c] * prob[d];
                            hessian[(a * k + c) * p + b * k + d] +=
                                xa * xb * curvature / (double)n;
                        }
                    }
                }
            }
        }
        for (size_t j = k; j < p; ++j) {
            hessian[j * p + j] += l2;
        }
        for (size_t c = 0; c < k; ++c) {
            for (size_t d = 0; d < k; ++d) {
                hessian[c * p + d] += SHIFT_PENALTY;
            }
        }
        for (size_t j = 0; j < p; ++j) {
            step[j] = -grad[j];
        }
        int order = (int)p, nrhs = 1, info = 0;
        dposv_("U", &order, &nrhs, hessian, &order, step, &order, &info);
        assert_int_equal(info, 0);
        double t = 1.0, trial_loss = INFINITY;
        for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
            for (size_t j = 0; j < p; ++j) {
                trial[j] = theta[j] + t * step[j];
            }
            trial_loss = newton_objective(x, ldx, y, n, m, k, l2, trial, trial_grad);
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
 * and padded rows, row counts on both sides of the 256-row blocks (at k = 3),
 * and k = 2 and 5 over two blocks of padded rows. */
static void test_softmax__gradient_matches_central_differences(void **state)
{
    (void)state;
    static const size_t row_counts[] = {1, 256, 257, 700, 300, 300};
    static const size_t class_counts[] = {3, 3, 3, 3, 2, 5};
    for (size_t rc = 0; rc < sizeof row_counts / sizeof row_counts[0]; ++rc) {
        const size_t k = class_counts[rc];
        for (size_t padded = k == 3 ? 0 : 1; padded < 2; ++padded) {
            sample s;
            sample_make(&s, row_counts[rc], padded ? LDX : M, k, 100u + rc);
            for (int weighted = 0; weighted < 2; ++weighted) {
                for (int with_l2 = 0; with_l2 < 2; ++with_l2) {
                    const double l2 = with_l2 ? 0.3 : 0.0;
                    gd_model model;
                    assert_int_equal(gd_model_softmax(&model, M, k, l2), GD_OK);
                    const size_t p = (M + 1) * k;
                    assert_int_equal(model.n_params, p);
                    gd_data data;
                    ts_sample_view(&s, weighted, &data);
                    double theta[P_MAX], grad[P_MAX], probe[P_MAX];
                    ts_random_vector(theta, p, 1.5, 7u + rc);

                    double checker = -1.0;
                    assert_int_equal(
                        gd_check_gradient(&model, &data, theta, 1e-6, &checker), GD_OK);
                    assert_true(checker >= 0.0 && checker < 1e-6);

                    (void)model_loss_grad(&model, &data, theta, grad);
                    memcpy(probe, theta, p * sizeof *probe);
                    for (size_t j = 0; j < p; ++j) {
                        const double h = 1e-5 * fmax(1.0, fabs(theta[j]));
                        probe[j] = theta[j] + h;
                        const double plus = direct_objective_of(&s, weighted, l2, probe, NULL);
                        probe[j] = theta[j] - h;
                        const double minus =
                            direct_objective_of(&s, weighted, l2, probe, NULL);
                        probe[j] = theta[j];
                        const double numeric = (plus - minus) / (2.0 * h);
                        const double error =
                            fabs(grad[j] - numeric) / fmax(1.0, fabs(numeric));
                        if (!(error < 1e-7)) {
                            print_error("n=%zu ldx=%zu k=%zu w=%d l2=%g j=%zu: %.17g vs "
                                        "%.17g\n",
                                        s.n_rows, s.ldx, k, weighted, l2, j, grad[j],
                                        numeric);
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
static void test_softmax__objective_and_gradient_match_direct_loops(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 700, LDX, 4, 31u);
    static const double scales[] = {0.01, 1.0, 30.0};
    const size_t p = (M + 1) * 4;
    for (size_t sc = 0; sc < 3; ++sc) {
        for (int weighted = 0; weighted < 2; ++weighted) {
            const double l2 = weighted ? 0.05 : 0.0;
            gd_model model;
            assert_int_equal(gd_model_softmax(&model, M, 4, l2), GD_OK);
            gd_data data;
            ts_sample_view(&s, weighted, &data);
            double theta[P_MAX], grad[P_MAX], expected_grad[P_MAX];
            ts_random_vector(theta, p, scales[sc], 40u + sc);
            const double expected = direct_objective_of(&s, weighted, l2, theta, expected_grad);
            double loss = NAN;
            assert_int_equal(gd_objective(&model, theta, &data, &loss), GD_OK);
            assert_true(ts_rel_diff(loss, expected) < 1e-12);
            assert_true(ts_rel_diff(model_loss_grad(&model, &data, theta, grad), expected)
                        < 1e-12);
            for (size_t j = 0; j < p; ++j) {
                assert_true(fabs(grad[j] - expected_grad[j])
                            <= 1e-12 * fmax(1.0, fabs(expected_grad[j])));
            }
        }
    }
    ts_sample_free(&s);
}

/* gd_predict gives softmax(z) row by row: equal to the oracle's, each in
 * [0, 1], summing to 1 within 1e−12 — also where z reaches ±1e4. */
static void test_softmax__probabilities_sum_to_one(void **state)
{
    (void)state;
    const size_t k = 5, p = (M + 1) * 5;
    sample s;
    sample_make(&s, 600, LDX, k, 51u);
    gd_model model;
    assert_int_equal(gd_model_softmax(&model, M, k, 0.0), GD_OK);
    assert_int_equal(model.n_outputs, k);
    assert_int_equal(model.n_classes, k);
    assert_int_equal(model.kind, GD_MODEL_SOFTMAX);
    gd_data data;
    ts_sample_view(&s, 0, &data);
    data.y = NULL;
    double *prob = malloc(s.n_rows * k * sizeof *prob);
    assert_non_null(prob);
    static const double scales[] = {1.0, 1000.0};
    for (size_t sc = 0; sc < 2; ++sc) {
        double theta[P_MAX];
        ts_random_vector(theta, p, scales[sc], 52u + sc);
        assert_int_equal(gd_predict(&model, theta, &data, prob), GD_OK);
        for (size_t i = 0; i < s.n_rows; ++i) {
            long double z[K_MAX] = {0.0L};
            scores(s.x + i * LDX, M, k, theta, z);
            const long double lse = log_sum_exp(z, k);
            double total = 0.0;
            for (size_t c = 0; c < k; ++c) {
                const double v = prob[i * k + c];
                assert_true(v >= 0.0 && v <= 1.0);
                /* z is a sum of terms up to ~1e4: its rounding bounds the agreement. */
                assert_true(fabs(v - (double)expl(z[c] - lse)) <= (sc == 0 ? 1e-15 : 1e-9));
                total += v;
            }
            assert_true(fabs(total - 1.0) <= 1e-12);
        }
    }
    free(prob);
    ts_sample_free(&s);
}

/* Every row's loss and residual with k = 13 classes (not a multiple of any
 * vector width) and scores over ±700, each within 1e−13 relative of a
 * long-double logsumexp: the row is picked out by giving it the only non-zero
 * weight, so the loss is its loss and ∇b its residual P − onehot(y), computed
 * where it sits in the block (vectorised exp/log, src/kernels/vmath.c). */
static void test_softmax__every_row_accurate_over_wide_scores(void **state)
{
    (void)state;
    enum { N = 37, K = 13 };
    double x[N], y[N], weights[N];
    for (size_t i = 0; i < N; ++i) {
        x[i] = -1.0 + 2.0 * (double)i / (double)(N - 1);
        y[i] = (double)(i % K);
        weights[i] = 0.0;
    }
    double theta[2 * K]; /* b (K), then W (1 × K) */
    for (size_t c = 0; c < K; ++c) {
        theta[c] = 3.0 * (double)c - 20.0;
        theta[K + c] = 700.0 * ((double)c / (double)(K - 1) - 0.5) * ((c % 2) ? 1.0 : -0.7);
    }
    gd_model model;
    assert_int_equal(gd_model_softmax(&model, 1, K, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, N, 1, y);
    data.weights = weights;
    long double loss_sum = 0.0L;
    for (size_t row = 0; row < N; ++row) {
        weights[row] = 1.0;
        double grad[2 * K];
        const double loss = model_loss_grad(&model, &data, theta, grad);
        weights[row] = 0.0;
        long double z[K];
        scores(&x[row], 1, K, theta, z);
        const size_t label = (size_t)y[row];
        /* (max − z_label) + log(1 + Σ_{c ≠ argmax} e^(z_c − max)): lse − z_label
         * would cancel even in long double (1e−10 off for a loss of 1e−8). */
        size_t top = 0;
        for (size_t c = 1; c < K; ++c) {
            top = z[c] > z[top] ? c : top;
        }
        long double others = 0.0L;
        for (size_t c = 0; c < K; ++c) {
            others += c == top ? 0.0L : expl(z[c] - z[top]);
        }
        const double expected_loss = (double)((z[top] - z[label]) + log1pl(others));
        /* Formed as logsumexp − z_label (two ~300s), a confident row's loss
         * (~1e−5) was off by 1e−11 relative; now only z's own rounding. */
        assert_true(ts_rel_diff(loss, expected_loss) < 1e-13);
        loss_sum += (z[top] - z[label]) + log1pl(others);
        for (size_t c = 0; c < K; ++c) {
            /* P_c − [c = label] from the same split: e^(z_c − lse) would
             * cancel z_c against lse, which under valgrind (long double
             * computed as double) is 2.7e−14 off. */
            const long double p_c = (c == top ? 1.0L : expl(z[c] - z[top])) / (1.0L + others);
            const long double residual =
                c != label ? p_c : (c == top ? -others / (1.0L + others) : p_c - 1.0L);
            const double expected = (double)residual;
            assert_true(fabs(grad[c] - expected) <= 1e-14 * fmax(1.0, fabs(expected)));
        }
    }
    /* The same rows without weights (the unweighted branch): the mean loss. */
    data.weights = NULL;
    double grad[2 * K];
    const double mean_loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(ts_rel_diff(mean_loss, (double)(loss_sum / N)) < 1e-13);
}

/* Margins of ±1000: e^1000 overflows a double. By hand, k = 3, m = 1,
 * b = 0, W = (1000, 0, −1000): for x = 1, z = (1000, 0, −1000), P = (1, 0, 0);
 * for x = −1, z = (−1000, 0, 1000), P = (0, 0, 1). Rows (x, y) = (1, 0),
 * (1, 2), (−1, 2), (−1, 1) lose 0, 2000, 0, 1000 (mean 750); their residuals
 * P − Y are 0, (1, 0, −1), 0, (0, −1, 1), so ∇b = (1, −1, 0)/4 and
 * ∇W = (1·(1, 0, −1) − 1·(0, −1, 1))/4 = (1, 1, −2)/4. */
static void test_softmax__extreme_margins_stay_finite(void **state)
{
    (void)state;
    const double x[4] = {1.0, 1.0, -1.0, -1.0}, y[4] = {0.0, 2.0, 2.0, 1.0};
    gd_model model;
    assert_int_equal(gd_model_softmax(&model, 1, 3, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, 4, 1, y);
    const double theta[6] = {0.0, 0.0, 0.0, 1000.0, 0.0, -1000.0};
    const double expected[6] = {0.25, -0.25, 0.0, 0.25, 0.25, -0.5};
    double grad[6];
    const double loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(fabs(loss - 750.0) < 1e-12);
    for (size_t j = 0; j < 6; ++j) {
        assert_true(fabs(grad[j] - expected[j]) < 1e-15);
    }
    double max_error = -1.0;
    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &max_error), GD_OK);
    assert_true(max_error < 1e-6);
    double prob[12];
    assert_int_equal(gd_predict(&model, theta, &data, prob), GD_OK);
    assert_true(prob[0] == 1.0 && prob[1] == 0.0 && prob[2] == 0.0);
    assert_true(prob[9] == 0.0 && prob[10] == 0.0 && prob[11] == 1.0);

    /* Far beyond: z = ±1e300 still gives a finite loss, |Δz| per bad row. */
    const double far[6] = {0.0, 0.0, 0.0, 1e300, 0.0, -1e300};
    double far_loss = NAN;
    assert_int_equal(gd_objective(&model, far, &data, &far_loss), GD_OK);
    assert_true(isfinite(far_loss));
    assert_true(ts_rel_diff(far_loss, 0.75e300) < 1e-15);
}

/* Fit both models with gd_fit (the seed's GD, tuned step and tolerance). */
static void fit(const gd_model *model, const gd_data *data, double learning_rate,
                double tolerance, double *theta, gd_report *report)
{
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = learning_rate;
    options.tolerance = tolerance;
    options.max_iter = 1000000;
    assert_int_equal(gd_fit(model, data, &options, theta, report), GD_OK);
    assert_int_equal(report->stop, GD_STOP_CONVERGED);
}

/* With k = 2, softmax is logistic regression in w = W₁ − W₀, b = b₁ − b₀: at
 * their optima P(class 1) agree (1e−6). The softmax penalty (λ/2)(‖W₀‖² +
 * ‖W₁‖²) is least, for a given difference, at W₁ = −W₀ = w/2, where it is
 * (λ/4)‖w‖²: softmax at λ matches logistic at λ/2. */
static void test_softmax__two_classes_match_logistic(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, 400, LDX, 2, 91u);
    static const double l2s[] = {0.0, 0.02};
    double *p_logistic = malloc(s.n_rows * sizeof *p_logistic);
    double *p_softmax = malloc(2 * s.n_rows * sizeof *p_softmax);
    assert_non_null(p_logistic);
    assert_non_null(p_softmax);
    for (size_t c = 0; c < 2; ++c) {
        gd_model logistic, softmax;
        assert_int_equal(gd_model_logistic(&logistic, M, l2s[c] / 2.0), GD_OK);
        assert_int_equal(gd_model_softmax(&softmax, M, 2, l2s[c]), GD_OK);
        gd_data data;
        ts_sample_view(&s, 1, &data);
        double theta_logistic[M + 1], theta_softmax[2 * (M + 1)];
        gd_report report;
        fit(&logistic, &data, 1.0, 1e-10, theta_logistic, &report);
        fit(&softmax, &data, 1.0, 1e-10, theta_softmax, &report);
        assert_int_equal(gd_predict(&logistic, theta_logistic, &data, p_logistic), GD_OK);
        assert_int_equal(gd_predict(&softmax, theta_softmax, &data, p_softmax), GD_OK);
        double worst = 0.0;
        for (size_t i = 0; i < s.n_rows; ++i) {
            worst = fmax(worst, fabs(p_softmax[2 * i + 1] - p_logistic[i]));
        }
        if (!(worst < 1e-6)) {
            print_error("l2=%g: P(class 1) differs by %g\n", l2s[c], worst);
        }
        assert_true(worst < 1e-6);
        for (size_t j = 0; j <= M; ++j) {
            const double difference = theta_softmax[2 * j + 1] - theta_softmax[2 * j];
            assert_true(fabs(difference - theta_logistic[j])
                        < 1e-5 * fmax(1.0, fabs(theta_logistic[j])));
        }
    }
    free(p_logistic);
    free(p_softmax);
    ts_sample_free(&s);
}

/* All of iris, three classes, standardised, λ = 1e−2 (unregularised softmax
 * on iris is all but separable): gd_fit with GD reaches the Newton optimum,
 * the objective to 1e−6 relative and θ to 1e−6 of its size. */
static void test_softmax__iris_fit_matches_newton(void **state)
{
    (void)state;
    ts_dataset set;
    assert_int_equal(ts_load_csv("iris.csv", &set), 0);
    assert_int_equal(set.n_rows, 150);
    assert_int_equal(set.n_features, M);
    ts_standardize(&set);
    const double l2 = 1e-2;
    const size_t k = 3, p = (M + 1) * 3;
    double optimum[P_MAX];
    newton_softmax(set.x, M, set.y, set.n_rows, M, k, l2, optimum);
    const double optimum_loss =
        direct_objective(set.x, M, set.y, NULL, set.n_rows, M, k, l2, optimum, NULL);

    gd_model model;
    assert_int_equal(gd_model_softmax(&model, M, k, l2), GD_OK);
    gd_data data;
    gd_data_init(&data, set.x, set.n_rows, M, set.y);
    double theta[P_MAX];
    gd_report report;
    fit(&model, &data, 1.0, 1e-10, theta, &report);
    print_message("%zu iterations; loss %.17g vs Newton's %.17g\n", report.iterations,
                  report.loss, optimum_loss);
    assert_true(ts_rel_diff(report.loss, optimum_loss) < 1e-6);
    double theta_size = 1.0, theta_error = 0.0;
    for (size_t j = 0; j < p; ++j) {
        theta_size = fmax(theta_size, fabs(optimum[j]));
        theta_error = fmax(theta_error, fabs(theta[j] - optimum[j]));
    }
    print_message("θ error %g (size %g)\n", theta_error, theta_size);
    assert_true(theta_error < 1e-6 * theta_size);

    /* The fitted model classifies iris's training rows well (≥ 95%). */
    size_t labels[150], correct = 0;
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
    for (size_t i = 0; i < set.n_rows; ++i) {
        correct += labels[i] == (size_t)set.y[i];
    }
    assert_true(correct >= 143);
    ts_free_dataset(&set);
}

/* A label that is not an integer in [0, k) — negative, k or beyond, or not
 * an integer — is refused before any work, θ and the outputs untouched. */
static void test_softmax__invalid_labels_are_refused(void **state)
{
    (void)state;
    static const double bad[] = {-1.0, 3.0, 0.5, 2.5, 1e300, -1e-300};
    const size_t k = 3, p = (M + 1) * 3;
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; ++b) {
        sample s;
        sample_make(&s, 300, LDX, k, 71u);
        s.y[299 - b * 37] = bad[b];
        gd_model model;
        assert_int_equal(gd_model_softmax(&model, M, k, 0.0), GD_OK);
        gd_data data;
        ts_sample_view(&s, 1, &data);
        double theta[P_MAX];
        for (size_t j = 0; j < p; ++j) {
            theta[j] = (double)j + 0.5;
        }
        gd_report report;
        assert_int_equal(gd_fit(&model, &data, NULL, theta, &report), GD_ERR_LABEL);
        assert_int_equal(report.stop, GD_STOP_NONE);
        for (size_t j = 0; j < p; ++j) {
            assert_true(theta[j] == (double)j + 0.5);
        }
        double loss = 42.0, error = 42.0;
        assert_int_equal(gd_objective(&model, theta, &data, &loss), GD_ERR_LABEL);
        assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &error), GD_ERR_LABEL);
        assert_true(loss == 42.0 && error == 42.0);
        double grad[P_MAX];
        double *work = malloc(model.work_size(&model, data.n_rows) * sizeof *work);
        assert_non_null(work);
        assert_int_equal(model.loss_grad(&model, theta, &data, &loss, grad, work), GD_ERR_LABEL);
        free(work);
        ts_sample_free(&s);
    }
}

/* A class with no rows is allowed. Its intercept has no finite optimum
 * (P(class) → 0 lowers every row's loss, and intercepts are not penalised),
 * so the fit runs to its budget with a finite θ; that class's probability is
 * the smallest of every row, and the gradient is still right. */
static void test_softmax__class_without_rows_is_allowed(void **state)
{
    (void)state;
    const size_t k = 4;
    sample s;
    sample_make(&s, 300, LDX, 3, 81u);
    for (size_t i = 0; i < s.n_rows; ++i) {
        if (s.y[i] == 2.0) {
            s.y[i] = 3.0; /* classes 0, 1, 3: none in 2 */
        }
    }
    s.k = k;
    gd_model model;
    assert_int_equal(gd_model_softmax(&model, M, k, 0.05), GD_OK);
    gd_data data;
    ts_sample_view(&s, 1, &data);
    double theta[P_MAX];
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 1.0;
    options.max_iter = 1000;
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    assert_true(report.stop == GD_STOP_MAX_ITER || report.stop == GD_STOP_CONVERGED);
    for (size_t j = 0; j < (M + 1) * k; ++j) {
        assert_true(isfinite(theta[j]));
    }
    assert_true(theta[2] < theta[0] - 3.0 && theta[2] < theta[1] - 3.0
                && theta[2] < theta[3] - 3.0);
    double check = -1.0;
    assert_int_equal(gd_check_gradient(&model, &data, theta, 1e-6, &check), GD_OK);
    assert_true(check < 1e-6);
    double grad[P_MAX];
    const double loss = model_loss_grad(&model, &data, theta, grad);
    assert_true(ts_rel_diff(loss, direct_objective_of(&s, 1, 0.05, theta, NULL)) < 1e-12);
    double *prob = malloc(s.n_rows * k * sizeof *prob);
    assert_non_null(prob);
    assert_int_equal(gd_predict(&model, theta, &data, prob), GD_OK);
    for (size_t i = 0; i < s.n_rows; ++i) {
        const double *row = prob + i * k;
        assert_true(row[2] < row[0] && row[2] < row[1] && row[2] < row[3]);
        assert_true(fabs(row[0] + row[1] + row[2] + row[3] - 1.0) <= 1e-12);
    }
    free(prob);
    ts_sample_free(&s);
}

/* The constructor's bad input, the model untouched on every failure. */
static void test_softmax__constructor_rejects_bad_input(void **state)
{
    (void)state;
    gd_model model, before;
    memset(&model, 0xA5, sizeof model);
    before = model;
    assert_int_equal(gd_model_softmax(NULL, 3, 3, 0.0), GD_ERR_NULL);
    assert_int_equal(gd_model_softmax(&model, 0, 3, 0.0), GD_ERR_SIZE);
    assert_int_equal(gd_model_softmax(&model, 3, 0, 0.0), GD_ERR_SIZE);
    assert_int_equal(gd_model_softmax(&model, 3, 1, 0.0), GD_ERR_SIZE);
    assert_int_equal(gd_model_softmax(&model, 3, 3, NAN), GD_ERR_OPTION);
    assert_int_equal(gd_model_softmax(&model, 3, 3, -INFINITY), GD_ERR_OPTION);
    assert_int_equal(gd_model_softmax(&model, 3, 3, -1.0), GD_ERR_OPTION);
    assert_int_equal(gd_model_softmax(&model, SIZE_MAX, 3, 0.0), GD_ERR_OVERFLOW);
    assert_int_equal(gd_model_softmax(&model, 3, SIZE_MAX, 0.0), GD_ERR_OVERFLOW);
    /* (m + 1)·k beyond BLAS's int though each factor fits. */
    assert_int_equal(gd_model_softmax(&model, (size_t)INT_MAX / 2, 4, 0.0), GD_ERR_OVERFLOW);
    assert_memory_equal(&model, &before, sizeof model);
    assert_int_equal(gd_model_softmax(&model, 3, 4, 0.5), GD_OK);
    assert_int_equal(gd_model_validate(&model), GD_OK);
    assert_int_equal(model.n_params, 16);
    assert_int_equal(model.n_outputs, 4);
    assert_int_equal(model.n_classes, 4);
    assert_true(model.l2 == 0.5);
    assert_non_null(model.check_data);
    assert_non_null(model.work_size);
    assert_null(model.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax__gradient_matches_central_differences),
        cmocka_unit_test(test_softmax__objective_and_gradient_match_direct_loops),
        cmocka_unit_test(test_softmax__probabilities_sum_to_one),
        cmocka_unit_test(test_softmax__extreme_margins_stay_finite),
        cmocka_unit_test(test_softmax__every_row_accurate_over_wide_scores),
        cmocka_unit_test(test_softmax__two_classes_match_logistic),
        cmocka_unit_test(test_softmax__iris_fit_matches_newton),
        cmocka_unit_test(test_softmax__invalid_labels_are_refused),
        cmocka_unit_test(test_softmax__class_without_rows_is_allowed),
        cmocka_unit_test(test_softmax__constructor_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
