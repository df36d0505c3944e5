/* Test helpers: independent of the library's own I/O and solvers. */
#ifndef GDLEARN_TESTSUPPORT_H
#define GDLEARN_TESTSUPPORT_H

#include <stddef.h>

/* A CSV with a header row, every field a number, as columns count; label last.
 * Returns 0 on success; the caller frees x and y with free(). */
typedef struct ts_dataset {
    double *x;     /* n_rows × n_features row-major */
    double *y;     /* n_rows (the last column) */
    size_t n_rows;
    size_t n_features;
} ts_dataset;

int ts_load_csv(const char *name, ts_dataset *out); /* name relative to tests/data */
void ts_free_dataset(ts_dataset *d);

/* Keep only the given feature columns (in that order), in place. */
void ts_select_features(ts_dataset *d, const size_t *columns, size_t n_columns);

/* z-score every feature column in place (population standard deviation). */
void ts_standardize(ts_dataset *d);

/* Least squares with an intercept, by LAPACK's dgels (QR) on [1 X]:
 * theta[0] = b, theta[1..m] = w. Returns LAPACK's info (0 = success). */
int ts_least_squares(const double *x, const double *y, size_t n, size_t m, double *theta);

/* |a − b| / max(|b|, tiny) */
double ts_rel_diff(double a, double b);

#endif
