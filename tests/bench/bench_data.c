/* Synthetic data sets of gdlearn-bench (see bench_data.h). */
#include "bench_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: small, fast, and good enough for test data. */
typedef struct bench_rng {
    uint64_t state;
    int have_spare;
    double spare;
} bench_rng;

static uint64_t rng_next(bench_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(bench_rng *rng)
{
    return (double)(rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Marsaglia's polar method). */
static double rng_normal(bench_rng *rng)
{
    if (rng->have_spare) {
        rng->have_spare = 0;
        return rng->spare;
    }
    double u;
    double v;
    double s;
    do {
        u = 2.0 * rng_uniform(rng) - 1.0;
        v = 2.0 * rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double factor = sqrt(-2.0 * log(s) / s);
    rng->spare = v * factor;
    rng->have_spare = 1;
    return u * factor;
}

void bench_data_free(bench_data *data)
{
    if (data == NULL) {
        return;
    }
    free(data->x);
    free(data->y);
    free(data->theta_true);
    memset(data, 0, sizeof *data);
}

int bench_data_make(bench_data *data, gd_model_kind kind, size_t n_rows, size_t n_features,
                    size_t n_classes, uint64_t seed)
{
    memset(data, 0, sizeof *data);
    const size_t outputs = kind == GD_MODEL_SOFTMAX ? n_classes : 1;
    if (n_rows == 0 || n_features == 0 || outputs == 0 || n_rows > SIZE_MAX / n_features / 8) {
        return -1;
    }
    data->kind = kind;
    data->n_rows = n_rows;
    data->n_features = n_features;
    data->n_classes = kind == GD_MODEL_LINEAR ? 0 : kind == GD_MODEL_LOGISTIC ? 2 : n_classes;
    data->n_params = (n_features + 1) * outputs;
    data->x = malloc(n_rows * n_features * sizeof *data->x);
    data->y = malloc(n_rows * sizeof *data->y);
    data->theta_true = malloc(data->n_params * sizeof *data->theta_true);
    double *z = malloc(outputs * sizeof *z);
    if (data->x == NULL || data->y == NULL || data->theta_true == NULL || z == NULL) {
        free(z);
        bench_data_free(data);
        return -1;
    }

    bench_rng rng = {seed, 0, 0.0};
    const double z_scale = kind == GD_MODEL_LINEAR ? 1.0 : 2.0;
    const double w_scale = z_scale / sqrt((double)n_features);
    double *theta = data->theta_true;
    for (size_t c = 0; c < outputs; ++c) {
        theta[c] = 0.5 * rng_normal(&rng); /* row 0: the intercepts */
    }
    for (size_t j = outputs; j < data->n_params; ++j) {
        theta[j] = w_scale * rng_normal(&rng);
    }

    for (size_t i = 0; i < n_rows; ++i) {
        double *row = data->x + i * n_features;
        for (size_t j = 0; j < n_features; ++j) {
            row[j] = rng_normal(&rng);
        }
        for (size_t c = 0; c < outputs; ++c) {
            z[c] = theta[c];
        }
        for (size_t j = 0; j < n_features; ++j) {
            const double *w = theta + (j + 1) * outputs;
            for (size_t c = 0; c < outputs; ++c) {
                z[c] += row[j] * w[c];
            }
        }
        if (kind == GD_MODEL_LINEAR) {
            data->y[i] = z[0] + 0.5 * rng_normal(&rng);
        } else if (kind == GD_MODEL_LOGISTIC) {
            data->y[i] = rng_uniform(&rng) < 1.0 / (1.0 + exp(-z[0])) ? 1.0 : 0.0;
        } else {
            double top = z[0];
            for (size_t c = 1; c < outputs; ++c) {
                top = z[c] > top ? z[c] : top;
            }
            double total = 0.0;
            for (size_t c = 0; c < outputs; ++c) {
                z[c] = exp(z[c] - top);
                total += z[c];
            }
            double u = rng_uniform(&rng) * total;
            size_t label = outputs - 1;
            for (size_t c = 0; c < outputs; ++c) {
                if (u < z[c]) {
                    label = c;
                    break;
                }
                u -= z[c];
            }
            data->y[i] = (double)label;
        }
    }
    free(z);
    return 0;
}

static void write_label(FILE *f, const bench_data *data, size_t i)
{
    if (data->kind == GD_MODEL_LINEAR) {
        fprintf(f, "%.9g", data->y[i]);
    } else {
        fprintf(f, "%d", (int)data->y[i]);
    }
}

int bench_data_write_csv(const bench_data *data, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    for (size_t j = 0; j < data->n_features; ++j) {
        fprintf(f, "x%zu,", j);
    }
    fprintf(f, "y\n");
    for (size_t i = 0; i < data->n_rows; ++i) {
        const double *row = data->x + i * data->n_features;
        for (size_t j = 0; j < data->n_features; ++j) {
            fprintf(f, "%.9g,", row[j]);
        }
        write_label(f, data, i);
        fputc('\n', f);
    }
    int failed = ferror(f);
    return fclose(f) != 0 || failed ? -1 : 0;
}

int bench_data_write_libsvm(const bench_data *data, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    for (size_t i = 0; i < data->n_rows; ++i) {
        const double *row = data->x + i * data->n_features;
        write_label(f, data, i);
        for (size_t j = 0; j < data->n_features; ++j) {
            fprintf(f, " %zu:%.9g", j + 1, row[j]);
        }
        fputc('\n', f);
    }
    int failed = ferror(f);
    return fclose(f) != 0 || failed ? -1 : 0;
}
