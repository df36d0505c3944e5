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

/* Largest relative error of theta against reference (n values), each taken
 * against max(|reference_j|, 1e-3 · max_j |reference_j|) so that a
 * coefficient near zero is judged on the scale of the others. */
double ts_coefficient_error(const double *theta, const double *reference, size_t n);

/* ---- added for the foundation suite (test_linear, test_fit, test_custom, test_api) ---- */

/* A small seeded generator (xorshift64*), deliberately not the library's. */
typedef struct ts_rng {
    unsigned long long state;
} ts_rng;
void ts_rng_seed(ts_rng *rng, unsigned long long seed);
double ts_rng_uniform(ts_rng *rng, double lo, double hi); /* uniform in [lo, hi) */

/* Weighted ridge least squares with an unpenalised intercept: the minimiser of
 * (1/S) Σ sᵢ ½(wᵀxᵢ + b − yᵢ)² + (λ/2)‖w‖² (DESIGN §1), by dgels (QR) on the
 * augmented system [√sᵢ·(1, xᵢ) ; (0, √(Sλ)·I)] θ ≈ [√sᵢ·yᵢ ; 0]. X has row
 * stride ldx; weights NULL means all 1. Returns LAPACK's info (0 = success). */
int ts_ridge_least_squares(const double *x, size_t ldx, const double *y, const double *weights,
                           size_t n, size_t m, double l2, double *theta);

/* The linear objective of DESIGN §1 and (if grad != NULL) its gradient, by
 * plain loops with long double sums: no BLAS, no blocks. */
double ts_linear_objective(const double *x, size_t ldx, const double *y, const double *weights,
                           size_t n, size_t m, double l2, const double *theta, double *grad);

/* ---- added for the robustness suite (tests/test_robust_*.c) ---- */

#include <gdlearn/gdlearn.h>

/* A gd_allocator that counts its blocks and refuses chosen allocations:
 * the fail_at-th call (1-based; 0 = none), and with fail_rest every call
 * after it too. Each block carries a header, so a free of a pointer that
 * this allocator did not hand out is counted in bad_frees rather than
 * passed to free() (under ASan or valgrind the header read itself is
 * reported as well). Pass &a->allocator. */
typedef struct ts_fail_allocator {
    gd_allocator allocator; /* {alloc, free, this} */
    size_t fail_at;         /* the call to refuse, 1-based; 0: never */
    int fail_rest;          /* nonzero: refuse every call after fail_at too */
    size_t calls;           /* alloc calls so far */
    size_t refused;         /* alloc calls answered with NULL */
    size_t live;            /* blocks handed out and not yet freed */
    size_t peak_bytes;      /* largest single request seen */
    size_t bad_frees;       /* frees of pointers without this allocator's header */
} ts_fail_allocator;

/* Reset every counter and set the failure point. */
void ts_fail_allocator_init(ts_fail_allocator *a, size_t fail_at, int fail_rest);

/* ---- synthetic samples (test_linear, test_logistic, test_softmax) ---- */

/* n_rows rows of m features stored with stride ldx ≥ m, their y and weights;
 * each test fills them with its own generator. k: classes, for softmax. */
typedef struct ts_sample {
    double *x; /* n_rows × ldx */
    double *y;
    double *weights;
    size_t n_rows;
    size_t ldx;
    size_t m;
    size_t k;
} ts_sample;

/* Allocate x, y and weights (contents unset) and set the sizes (k = 0).
 * Returns 0, or -1 with nothing allocated when out of memory. */
int ts_sample_alloc(ts_sample *s, size_t n_rows, size_t ldx, size_t m);
void ts_sample_free(ts_sample *s);

/* A view of the sample's m features and y, with its weights or without. */
void ts_sample_view(const ts_sample *s, int weighted, gd_data *data);

/* The check of the loss-rounding tests (test_linear, test_logistic). A
 * sample of TS_ROUNDING_ROWS rows of 3 features whose first 16 rows have x
 * uniform in [−2, 2) and y = label(z) for z = θ₀ + Σⱼ θⱼ₊₁xⱼ (long double),
 * θ = (0.3, 1, −0.8, 0.5), x before y in each row from one ts_rng; every
 * later row a copy of row i mod 16, so that every group of 16 rows sums
 * alike and the rounding of a long running sum piles up one way instead
 * of averaging out. The reference is the mean of loss(z, y) over the rows,
 * summed in long double with compensation. Returns the largest relative
 * difference from it of the library's loss at θ, of the model
 * make(&model, 3, 0.0) makes, on 1 and 2 threads, with the gradient and
 * without (each printed), or INFINITY if something failed. */
#define TS_ROUNDING_ROWS ((size_t)200000)
typedef double (*ts_label_fn)(long double z, ts_rng *rng);
typedef long double (*ts_row_loss_fn)(long double z, double y);
typedef gd_status (*ts_model_ctor)(gd_model *model, size_t n_features, double l2);
double ts_loss_rounding_error(const char *what, ts_model_ctor make, ts_label_fn label,
                              ts_row_loss_fn loss);

/* v[j] uniform in [−half_width, half_width) for j < n, from a ts_rng seeded
 * with seed. */
void ts_random_vector(double *v, size_t n, double half_width, unsigned long long seed);

#endif
