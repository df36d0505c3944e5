/* gd_predict_class and gd_class_weights_balanced, for the built-in
 * classifiers and a user's own, against argmax of scores computed here, class
 * counts made here, and the intercept's optimality condition. */
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

#define M 3
#define LDX 5 /* padded rows: 2 NaNs after every row's M features */
#define K_MAX 5

/* n_rows rows, x uniform in [−2, 2], NaN padding after each row's M features. */
static double *make_rows(size_t n_rows, size_t ldx, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    double *x = malloc(n_rows * ldx * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n_rows; ++i) {
        for (size_t j = 0; j < ldx; ++j) {
            x[i * ldx + j] = j < M ? ts_rng_uniform(&rng, -2.0, 2.0) : NAN;
        }
    }
    return x;
}

/* The class with the largest score b_c + Σ_j W[j][c]·x_j (k ≥ 2), or for a
 * logistic θ = (b, w), whether wᵀx + b ≥ 0: σ is increasing and softmax keeps
 * the order of the scores, so these are the most probable classes. */
static size_t expected_class(const double *x, const double *theta, size_t k, int logistic)
{
    if (logistic) {
        double z = theta[0];
        for (size_t j = 0; j < M; ++j) {
            z += theta[j + 1] * x[j];
        }
        return z >= 0.0 ? 1u : 0u;
    }
    size_t best = 0;
    double best_score = -INFINITY;
    for (size_t c = 0; c < k; ++c) {
        double z = theta[c];
        for (size_t j = 0; j < M; ++j) {
            z += theta[(j + 1) * k + c] * x[j];
        }
        if (z > best_score) {
            best_score = z;
            best = c;
        }
    }
    return best;
}

/* Over 700 padded rows (three 256-row blocks), for logistic and k = 2, 3, 5. */
static void test_classify__predict_class_is_argmax_of_scores(void **state)
{
    (void)state;
    const size_t n = 700;
    double *x = make_rows(n, LDX, 11u);
    size_t *labels = malloc(n * sizeof *labels);
    assert_non_null(labels);
    static const size_t class_counts[] = {0, 2, 3, 5}; /* 0: logistic */
    for (size_t kc = 0; kc < 4; ++kc) {
        const size_t k = class_counts[kc];
        gd_model model;
        if (k == 0) {
            assert_int_equal(gd_model_logistic(&model, M, 0.0), GD_OK);
        } else {
            assert_int_equal(gd_model_softmax(&model, M, k, 0.0), GD_OK);
        }
        double theta[(M + 1) * K_MAX];
        ts_random_vector(theta, model.n_params, 2.0, 20u + kc);
        gd_data data;
        gd_data_init(&data, x, n, M, NULL);
        data.ldx = LDX;
        for (size_t i = 0; i < n; ++i) {
            labels[i] = SIZE_MAX;
        }
        assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
        for (size_t i = 0; i < n; ++i) {
            assert_int_equal(labels[i], expected_class(x + i * LDX, theta, k, k == 0));
        }
    }
    free(labels);
    free(x);
}

/* Logistic: p ≥ 0.5 is class 1, so z = 0 exactly (p = 0.5) is class 1 and
 * the smallest negative margins are class 0. */
static void test_classify__logistic_threshold_is_one_half(void **state)
{
    (void)state;
    const double x[5] = {0.0, -1e-9, 1e-9, -5.0, 5.0};
    const size_t expected[5] = {1, 0, 1, 0, 1};
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, 1, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, 5, 1, NULL);
    const double theta[2] = {0.0, 1.0};
    size_t labels[5];
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
    for (size_t i = 0; i < 5; ++i) {
        assert_int_equal(labels[i], expected[i]);
    }
}

/* A user's classifier: three classes, scores (x, 1 − x, 0.8) per row; it
 * counts the rows it is asked for, which must add up over the blocks. */
typedef struct user_classifier {
    size_t rows_seen;
    int fail;
} user_classifier;

static gd_status user_loss_grad(const gd_model *self, const double *theta, const gd_data *data,
                                double *loss, double *grad, double *work)
{
    (void)self;
    (void)data;
    (void)work;
    *loss = theta[0] * theta[0];
    if (grad != NULL) {
        grad[0] = 2.0 * theta[0];
    }
    return GD_OK;
}

static gd_status user_predict(const gd_model *self, const double *theta, const gd_data *data,
                              double *out)
{
    (void)theta;
    user_classifier *user = self->ctx;
    if (user->fail) {
        return GD_ERR_CALLBACK;
    }
    user->rows_seen += data->n_rows;
    const size_t ldx = data->ldx == 0 ? data->n_features : data->ldx;
    for (size_t i = 0; i < data->n_rows; ++i) {
        const double v = data->x[i * ldx];
        out[3 * i] = v;
        out[3 * i + 1] = 1.0 - v;
        out[3 * i + 2] = 0.8;
    }
    return GD_OK;
}

static void test_classify__works_for_a_user_classifier(void **state)
{
    (void)state;
    const size_t n = 600;
    double *x = malloc(n * sizeof *x);
    size_t *labels = malloc(n * sizeof *labels);
    assert_non_null(x);
    assert_non_null(labels);
    for (size_t i = 0; i < n; ++i) {
        x[i] = (double)(i % 10) / 9.0; /* 0, 1/9, …, 1 */
    }
    user_classifier user = {0, 0};
    gd_model model;
    assert_int_equal(gd_model_custom(&model, 1, user_loss_grad, user_predict, &user), GD_OK);
    model.n_features = 1;
    gd_data data;
    gd_data_init(&data, x, n, 1, NULL);
    const double theta[1] = {0.0};
    /* Not yet a classifier: n_classes is 0. */
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_ERR_MODEL);
    model.n_classes = 3;
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_ERR_MODEL); /* 1 output */
    model.n_outputs = 3;
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_OK);
    assert_int_equal(user.rows_seen, n);
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i]; /* never 0.2 or 0.8: no ties */
        const size_t expected = v > 0.8 ? 0u : (v < 0.2 ? 1u : 2u);
        assert_int_equal(labels[i], expected);
    }
    /* A failure of the user's predict comes back as its status. */
    user.fail = 1;
    assert_int_equal(gd_predict_class(&model, theta, &data, labels), GD_ERR_CALLBACK);
    free(labels);
    free(x);
}

/* Bad input for gd_predict_class: every failure leaves the labels untouched. */
static void test_classify__predict_class_rejects_bad_input(void **state)
{
    (void)state;
    double x[6 * LDX];
    for (size_t j = 0; j < 6 * LDX; ++j) {
        x[j] = (double)j / 10.0;
    }
    gd_model logistic, linear;
    assert_int_equal(gd_model_logistic(&logistic, M, 0.0), GD_OK);
    assert_int_equal(gd_model_linear(&linear, M, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, 6, M, NULL);
    data.ldx = LDX;
    double theta[M + 1] = {0.1, 0.2, -0.3, 0.4};
    size_t labels[6];
    for (size_t i = 0; i < 6; ++i) {
        labels[i] = SIZE_MAX;
    }

    assert_int_equal(gd_predict_class(&linear, theta, &data, labels), GD_ERR_MODEL);
    assert_int_equal(gd_predict_class(NULL, theta, &data, labels), GD_ERR_NULL);
    assert_int_equal(gd_predict_class(&logistic, NULL, &data, labels), GD_ERR_NULL);
    assert_int_equal(gd_predict_class(&logistic, theta, NULL, labels), GD_ERR_NULL);
    assert_int_equal(gd_predict_class(&logistic, theta, &data, NULL), GD_ERR_NULL);

    gd_model no_predict = logistic;
    no_predict.predict = NULL;
    assert_int_equal(gd_predict_class(&no_predict, theta, &data, labels), GD_ERR_MODEL);

    theta[2] = NAN;
    assert_int_equal(gd_predict_class(&logistic, theta, &data, labels), GD_ERR_NONFINITE);
    theta[2] = -0.3;

    gd_data wrong = data;
    wrong.n_features = M - 1;
    assert_int_equal(gd_predict_class(&logistic, theta, &wrong, labels), GD_ERR_SIZE);
    wrong = data;
    wrong.n_rows = 0;
    assert_int_equal(gd_predict_class(&logistic, theta, &wrong, labels), GD_ERR_SIZE);
    wrong = data;
    wrong.ldx = M - 1;
    assert_int_equal(gd_predict_class(&logistic, theta, &wrong, labels), GD_ERR_SIZE);

    x[4 * LDX + 1] = NAN;
    assert_int_equal(gd_predict_class(&logistic, theta, &data, labels), GD_ERR_NONFINITE);
    for (size_t i = 0; i < 6; ++i) {
        assert_int_equal(labels[i], SIZE_MAX);
    }
    x[4 * LDX + 1] = 0.0;

    /* Labels and weights play no part: NaN labels and negative weights are fine. */
    double y[6] = {NAN, NAN, NAN, NAN, NAN, NAN}, weights[6] = {-1, -1, -1, -1, -1, -1};
    data.y = y;
    data.weights = weights;
    assert_int_equal(gd_predict_class(&logistic, theta, &data, labels), GD_OK);
    for (size_t i = 0; i < 6; ++i) {
        assert_int_equal(labels[i], expected_class(x + i * LDX, theta, 2, 1));
    }
}

/* weights[i] = n / (k·n_{yᵢ}), by counts made here, k the classes present
 * (a class with no rows is allowed, and not counted, as in scikit-learn):
 * every class present carries n/k, the weights sum to n, and the caller's
 * own weights play no part. */
static void test_classify__balanced_weights_equalise_classes(void **state)
{
    (void)state;
    const size_t n = 610;
    double *x = make_rows(n, M, 31u);
    double *y = malloc(n * sizeof *y);
    double *weights = malloc(n * sizeof *weights);
    double *own = malloc(n * sizeof *own);
    assert_non_null(y);
    assert_non_null(weights);
    assert_non_null(own);
    static const size_t class_counts[] = {0, 3, 5}; /* 0: logistic */
    for (size_t kc = 0; kc < 3; ++kc) {
        const size_t k = class_counts[kc] == 0 ? 2 : class_counts[kc];
        gd_model model;
        if (class_counts[kc] == 0) {
            assert_int_equal(gd_model_logistic(&model, M, 0.0), GD_OK);
        } else {
            assert_int_equal(gd_model_softmax(&model, M, k, 0.0), GD_OK);
        }
        /* Imbalanced: class 0 most rows, class 1 a tenth, class 3 (k = 5) a
         * handful; class 2 (and 4) none. */
        size_t counts[K_MAX] = {0};
        for (size_t i = 0; i < n; ++i) {
            size_t label = 0;
            if (i % 10 == 3) {
                label = 1;
            } else if (k > 3 && i % 50 == 7) {
                label = 3;
            }
            y[i] = (double)label;
            counts[label]++;
            own[i] = 1.0 + (double)(i % 7);
        }
        gd_data data;
        gd_data_init(&data, x, n, M, y);
        data.weights = own;
        assert_int_equal(gd_class_weights_balanced(&model, &data, weights), GD_OK);
        size_t present = 0;
        for (size_t c = 0; c < k; ++c) {
            present += counts[c] > 0;
        }
        assert_int_equal(present, k == 5 ? 3 : 2);
        double per_class[K_MAX] = {0.0}, total = 0.0;
        for (size_t i = 0; i < n; ++i) {
            const size_t label = (size_t)y[i];
            const double expected = (double)n / ((double)present * (double)counts[label]);
            assert_true(ts_rel_diff(weights[i], expected) < 1e-15);
            per_class[label] += weights[i];
            total += weights[i];
        }
        for (size_t c = 0; c < k; ++c) {
            if (counts[c] > 0) {
                assert_true(ts_rel_diff(per_class[c], (double)n / (double)present) < 1e-12);
            }
        }
        assert_true(ts_rel_diff(total, (double)n) < 1e-12);
    }
    free(own);
    free(weights);
    free(y);
    free(x);
}

/* Fitted with balanced weights, a logistic model's intercept condition
 * ∂L/∂b = (1/S)Σ sᵢ(pᵢ − yᵢ) = 0 says the weighted mean of p is the weight
 * of class 1, S/2: the classes count equally however many rows each has. */
static void test_classify__balanced_weights_fit_centres_probability(void **state)
{
    (void)state;
    const size_t n = 400;
    double *x = make_rows(n, M, 41u);
    double *y = malloc(n * sizeof *y);
    double *weights = malloc(n * sizeof *weights);
    double *p = malloc(n * sizeof *p);
    assert_non_null(y);
    assert_non_null(weights);
    assert_non_null(p);
    size_t ones = 0;
    for (size_t i = 0; i < n; ++i) {
        /* one row in eight is class 1, mostly where x₀ is large */
        y[i] = (x[i * M] > 1.0 && i % 2 == 0) || i % 40 == 0 ? 1.0 : 0.0;
        ones += y[i] == 1.0;
    }
    assert_true(ones > 20 && ones < n / 4);
    gd_model model;
    assert_int_equal(gd_model_logistic(&model, M, 0.1), GD_OK);
    gd_data data;
    gd_data_init(&data, x, n, M, y);
    assert_int_equal(gd_class_weights_balanced(&model, &data, weights), GD_OK);
    data.weights = weights;
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 1.0;
    options.tolerance = 1e-10;
    double theta[M + 1];
    gd_report report;
    assert_int_equal(gd_fit(&model, &data, &options, theta, &report), GD_OK);
    assert_int_equal(report.stop, GD_STOP_CONVERGED);
    assert_int_equal(gd_predict(&model, theta, &data, p), GD_OK);
    double mean = 0.0, total = 0.0;
    for (size_t i = 0; i < n; ++i) {
        mean += weights[i] * p[i];
        total += weights[i];
    }
    mean /= total;
    assert_true(fabs(mean - 0.5) < 1e-9);
    free(p);
    free(weights);
    free(y);
    free(x);
}

/* Bad input for gd_class_weights_balanced: the weights untouched on failure. */
static void test_classify__balanced_weights_reject_bad_input(void **state)
{
    (void)state;
    double x[4 * M] = {0.0};
    double y[4] = {0.0, 1.0, 2.0, 1.0};
    double weights[4] = {-7.0, -7.0, -7.0, -7.0};
    gd_model softmax, logistic, linear;
    assert_int_equal(gd_model_softmax(&softmax, M, 3, 0.0), GD_OK);
    assert_int_equal(gd_model_logistic(&logistic, M, 0.0), GD_OK);
    assert_int_equal(gd_model_linear(&linear, M, 0.0), GD_OK);
    gd_data data;
    gd_data_init(&data, x, 4, M, y);

    assert_int_equal(gd_class_weights_balanced(&linear, &data, weights), GD_ERR_MODEL);
    assert_int_equal(gd_class_weights_balanced(&logistic, &data, weights), GD_ERR_LABEL);
    assert_int_equal(gd_class_weights_balanced(NULL, &data, weights), GD_ERR_NULL);
    assert_int_equal(gd_class_weights_balanced(&softmax, NULL, weights), GD_ERR_NULL);
    assert_int_equal(gd_class_weights_balanced(&softmax, &data, NULL), GD_ERR_NULL);
    static const double bad[] = {3.0, -1.0, 0.5};
    for (size_t b = 0; b < 3; ++b) {
        y[3] = bad[b];
        assert_int_equal(gd_class_weights_balanced(&softmax, &data, weights), GD_ERR_LABEL);
    }
    y[3] = NAN;
    assert_int_equal(gd_class_weights_balanced(&softmax, &data, weights), GD_ERR_NONFINITE);
    y[3] = 1.0;
    gd_data wrong = data;
    wrong.y = NULL;
    assert_int_equal(gd_class_weights_balanced(&softmax, &wrong, weights), GD_ERR_NULL);
    wrong = data;
    wrong.n_features = M + 1;
    assert_int_equal(gd_class_weights_balanced(&softmax, &wrong, weights), GD_ERR_SIZE);
    for (size_t i = 0; i < 4; ++i) {
        assert_true(weights[i] == -7.0);
    }
    assert_int_equal(gd_class_weights_balanced(&softmax, &data, weights), GD_OK);
    /* counts 1, 2, 1 of n = 4, k = 3 */
    assert_true(fabs(weights[0] - 4.0 / 3.0) < 1e-15);
    assert_true(fabs(weights[1] - 2.0 / 3.0) < 1e-15);
    assert_true(fabs(weights[2] - 4.0 / 3.0) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify__predict_class_is_argmax_of_scores),
        cmocka_unit_test(test_classify__logistic_threshold_is_one_half),
        cmocka_unit_test(test_classify__works_for_a_user_classifier),
        cmocka_unit_test(test_classify__predict_class_rejects_bad_input),
        cmocka_unit_test(test_classify__balanced_weights_equalise_classes),
        cmocka_unit_test(test_classify__balanced_weights_fit_centres_probability),
        cmocka_unit_test(test_classify__balanced_weights_reject_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
