/* Synthetic data sets of gdlearn-bench, made in memory from a seed, and their
 * CSV / LIBSVM form for tests/bench/peers.py. Not part of the library. */
#ifndef GDLEARN_BENCH_DATA_H
#define GDLEARN_BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

#include <gdlearn/gdlearn.h>

/* One generated problem: X (n × m, row-major, i.i.d. standard normal), y and
 * the θ it was drawn from (laid out as the model's θ, DESIGN §1). */
typedef struct bench_data {
    gd_model_kind kind;
    size_t n_rows;
    size_t n_features;
    size_t n_classes; /* 0 linear, 2 logistic, k softmax */
    double *x;
    double *y;
    double *theta_true; /* n_params values */
    size_t n_params;
} bench_data;

/* Make a data set: linear y = wᵀx + b + N(0, 0.5²); logistic y ~ Bernoulli(σ(z));
 * softmax y ~ Categorical(softmax(z)), with z = xᵀW + b and the weights drawn
 * so that z has a standard deviation of about 1 (linear) or 2 (classifiers).
 * Returns 0, or -1 when memory runs out (then nothing is left allocated). */
int bench_data_make(bench_data *data, gd_model_kind kind, size_t n_rows, size_t n_features,
                    size_t n_classes, uint64_t seed);

void bench_data_free(bench_data *data);

/* Write the data as CSV: a header x0,…,x{m−1},y then one row per sample,
 * numbers as %.9g (labels of classifiers as integers). Returns 0 or -1. */
int bench_data_write_csv(const bench_data *data, const char *path);

/* Write the data in LIBSVM/LIBLINEAR's sparse text format ("y 1:v 2:v …"),
 * the same numbers as the CSV. Returns 0 or -1. */
int bench_data_write_libsvm(const bench_data *data, const char *path);

#endif /* GDLEARN_BENCH_DATA_H */
