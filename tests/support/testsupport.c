#include "testsupport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK from OpenBLAS, through the Fortran interface (no LAPACKE needed). */
extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs, double *a,
                   const int *lda, double *b, const int *ldb, double *work, const int *lwork,
                   int *info);

int ts_load_csv(const char *name, ts_dataset *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GDLEARN_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char line[4096];
    size_t columns = 0, rows = 0, cap = 0;
    double *values = NULL;
    if (fgets(line, sizeof line, f) == NULL) { /* header */
        fclose(f);
        return -1;
    }
    for (char *p = line; *p; ++p) {
        columns += (*p == ',');
    }
    columns += 1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '\n' || line[0] == '\0') {
            continue;
        }
        if ((rows + 1) * columns > cap) {
            cap = cap == 0 ? 1024 * columns : cap * 2;
            double *grown = realloc(values, cap * sizeof *values);
            if (grown == NULL) {
                free(values);
                fclose(f);
                return -1;
            }
            values = grown;
        }
        char *p = line;
        for (size_t c = 0; c < columns; ++c) {
            char *end;
            values[rows * columns + c] = strtod(p, &end);
            if (end == p) {
                free(values);
                fclose(f);
                return -1;
            }
            p = end + 1;
        }
        rows++;
    }
    fclose(f);
    size_t m = columns - 1;
    out->n_rows = rows;
    out->n_features = m;
    out->x = malloc(rows * m * sizeof *out->x);
    out->y = malloc(rows * sizeof *out->y);
    if (out->x == NULL || out->y == NULL) {
        free(values);
        ts_free_dataset(out);
        return -1;
    }
    for (size_t i = 0; i < rows; ++i) {
        memcpy(out->x + i * m, values + i * columns, m * sizeof *values);
        out->y[i] = values[i * columns + m];
    }
    free(values);
    return 0;
}

void ts_free_dataset(ts_dataset *d)
{
    free(d->x);
    free(d->y);
    d->x = NULL;
    d->y = NULL;
}

void ts_select_features(ts_dataset *d, const size_t *columns, size_t n_columns)
{
    for (size_t i = 0; i < d->n_rows; ++i) {
        double row[64];
        for (size_t c = 0; c < n_columns; ++c) {
            row[c] = d->x[i * d->n_features + columns[c]];
        }
        memcpy(d->x + i * n_columns, row, n_columns * sizeof *row);
    }
    d->n_features = n_columns;
}

void ts_standardize(ts_dataset *d)
{
    for (size_t j = 0; j < d->n_features; ++j) {
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < d->n_rows; ++i) {
            mean += d->x[i * d->n_features + j];
        }
        mean /= (double)d->n_rows;
        for (size_t i = 0; i < d->n_rows; ++i) {
            double t = d->x[i * d->n_features + j] - mean;
            var += t * t;
        }
        double sd = sqrt(var / (double)d->n_rows);
        if (sd == 0.0) {
            sd = 1.0;
        }
        for (size_t i = 0; i < d->n_rows; ++i) {
            d->x[i * d->n_features + j] = (d->x[i * d->n_features + j] - mean) / sd;
        }
    }
}

int ts_least_squares(const double *x, const double *y, size_t n, size_t m, double *theta)
{
    /* Column-major [1 X] (n × (m+1)) for Fortran. */
    int rows = (int)n, cols = (int)(m + 1), nrhs = 1, info = 0, lwork = -1;
    double *a = malloc(n * (m + 1) * sizeof *a);
    double *b = malloc(n * sizeof *b);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return -1;
    }
    for (size_t i = 0; i < n; ++i) {
        a[i] = 1.0;
        for (size_t j = 0; j < m; ++j) {
            a[(j + 1) * n + i] = x[i * m + j];
        }
        b[i] = y[i];
    }
    double query;
    dgels_("N", &rows, &cols, &nrhs, a, &rows, b, &rows, &query, &lwork, &info);
    lwork = (int)query;
    double *work = malloc((size_t)lwork * sizeof *work);
    if (work == NULL) {
        free(a);
        free(b);
        return -1;
    }
    dgels_("N", &rows, &cols, &nrhs, a, &rows, b, &rows, work, &lwork, &info);
    for (size_t j = 0; j <= m; ++j) {
        theta[j] = b[j];
    }
    free(work);
    free(a);
    free(b);
    return info;
}

double ts_rel_diff(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

double ts_coefficient_error(const double *theta, const double *reference, size_t n)
{
    double scale = 0.0, worst = 0.0;
    for (size_t j = 0; j < n; ++j) {
        scale = fmax(scale, fabs(reference[j]));
    }
    for (size_t j = 0; j < n; ++j) {
        worst = fmax(worst, fabs(theta[j] - reference[j]) / fmax(fabs(reference[j]), 1e-3 * scale));
    }
    return worst;
}

void ts_rng_seed(ts_rng *rng, unsigned long long seed)
{
    rng->state = seed != 0 ? seed : 0x2545F4914F6CDD1DULL; /* xorshift needs a nonzero state */
}

double ts_rng_uniform(ts_rng *rng, double lo, double hi)
{
    unsigned long long s = rng->state;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    rng->state = s;
    unsigned long long bits = (s * 0x2545F4914F6CDD1DULL) >> 11;
    return lo + (hi - lo) * ((double)bits * 0x1.0p-53);
}

int ts_ridge_least_squares(const double *x, size_t ldx, const double *y, const double *weights,
                           size_t n, size_t m, double l2, double *theta)
{
    size_t extra = l2 > 0.0 ? m : 0;
    size_t rows_total = n + extra;
    int rows = (int)rows_total, cols = (int)(m + 1), nrhs = 1, info = 0, lwork = -1;
    double *a = calloc(rows_total * (m + 1), sizeof *a);
    double *b = calloc(rows_total, sizeof *b);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return -1;
    }
    double sum_weights = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double s = weights != NULL ? weights[i] : 1.0;
        double root = sqrt(s);
        sum_weights += s;
        a[i] = root;
        for (size_t j = 0; j < m; ++j) {
            a[(j + 1) * rows_total + i] = root * x[i * ldx + j];
        }
        b[i] = root * y[i];
    }
    /* Σ sᵢ rᵢ² + Sλ‖w‖² has the same minimiser as the objective (times 2S). */
    for (size_t j = 0; j < extra; ++j) {
        a[(j + 1) * rows_total + n + j] = sqrt(sum_weights * l2);
    }
    double query;
    dgels_("N", &rows, &cols, &nrhs, a, &rows, b, &rows, &query, &lwork, &info);
    lwork = (int)query;
    double *work = malloc((size_t)lwork * sizeof *work);
    if (work == NULL) {
        free(a);
        free(b);
        return -1;
    }
    dgels_("N", &rows, &cols, &nrhs, a, &rows, b, &rows, work, &lwork, &info);
    for (size_t j = 0; j <= m; ++j) {
        theta[j] = b[j];
    }
    free(work);
    free(a);
    free(b);
    return info;
}

double ts_linear_objective(const double *x, size_t ldx, const double *y, const double *weights,
                           size_t n, size_t m, double l2, const double *theta, double *grad)
{
    long double sum_loss = 0.0L, sum_weights = 0.0L, penalty = 0.0L;
    long double *g = calloc(m + 1, sizeof *g);
    if (g == NULL) {
        return NAN;
    }
    for (size_t i = 0; i < n; ++i) {
        long double s = weights != NULL ? weights[i] : 1.0L;
        long double prediction = theta[0];
        for (size_t j = 0; j < m; ++j) {
            prediction += (long double)theta[j + 1] * x[i * ldx + j];
        }
        long double r = prediction - y[i];
        sum_loss += s * 0.5L * r * r;
        sum_weights += s;
        g[0] += s * r;
        for (size_t j = 0; j < m; ++j) {
            g[j + 1] += s * r * x[i * ldx + j];
        }
    }
    for (size_t j = 1; j <= m; ++j) {
        penalty += 0.5L * l2 * (long double)theta[j] * theta[j];
    }
    if (grad != NULL) {
        for (size_t j = 0; j <= m; ++j) {
            long double value = g[j] / sum_weights;
            if (j > 0) {
                value += (long double)l2 * theta[j];
            }
            grad[j] = (double)value;
        }
    }
    free(g);
    return (double)(sum_loss / sum_weights + penalty);
}

/* ---- ts_fail_allocator ---- */

#define TS_BLOCK_MAGIC 0x6764616c6c6f6321ULL /* "gdalloc!" */
#define TS_BLOCK_FREED 0x6672656564626c6bULL /* "freedblk" */

/* The header keeps the block's payload aligned as malloc's would be. */
typedef union ts_block_header {
    unsigned long long magic;
    max_align_t align;
} ts_block_header;

static void *ts_fail_alloc(size_t size, void *opaque)
{
    ts_fail_allocator *a = opaque;
    a->calls += 1;
    if (size > a->peak_bytes) {
        a->peak_bytes = size;
    }
    if (a->fail_at != 0 && (a->calls == a->fail_at || (a->fail_rest && a->calls > a->fail_at))) {
        a->refused += 1;
        return NULL;
    }
    ts_block_header *block =
        size <= (size_t)-1 - sizeof *block ? malloc(sizeof *block + size) : NULL;
    if (block == NULL) {
        a->refused += 1; /* a real failure counts as a refusal too */
        return NULL;
    }
    block->magic = TS_BLOCK_MAGIC;
    a->live += 1;
    return block + 1;
}

static void ts_fail_free(void *ptr, void *opaque)
{
    ts_fail_allocator *a = opaque;
    if (ptr == NULL) {
        return;
    }
    ts_block_header *block = (ts_block_header *)ptr - 1;
    if (block->magic != TS_BLOCK_MAGIC) {
        a->bad_frees += 1;
        return;
    }
    block->magic = TS_BLOCK_FREED;
    a->live -= 1;
    free(block);
}

void ts_fail_allocator_init(ts_fail_allocator *a, size_t fail_at, int fail_rest)
{
    memset(a, 0, sizeof *a);
    a->allocator.alloc = ts_fail_alloc;
    a->allocator.free = ts_fail_free;
    a->allocator.opaque = a;
    a->fail_at = fail_at;
    a->fail_rest = fail_rest;
}

int ts_sample_alloc(ts_sample *s, size_t n_rows, size_t ldx, size_t m)
{
    s->n_rows = n_rows;
    s->ldx = ldx;
    s->m = m;
    s->k = 0;
    s->x = malloc(n_rows * ldx * sizeof *s->x);
    s->y = malloc(n_rows * sizeof *s->y);
    s->weights = malloc(n_rows * sizeof *s->weights);
    if (s->x == NULL || s->y == NULL || s->weights == NULL) {
        ts_sample_free(s);
        return -1;
    }
    return 0;
}

void ts_sample_free(ts_sample *s)
{
    free(s->x);
    free(s->y);
    free(s->weights);
    s->x = s->y = s->weights = NULL;
}

/* The sample of ts_loss_rounding_error: the mean of loss(z, y) over it. */
static double periodic_sample(ts_sample *s, size_t period, const double *theta, ts_label_fn label,
                              ts_row_loss_fn loss, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    const size_t m = s->m;
    long double sum = 0.0L, comp = 0.0L; /* Neumaier */
    for (size_t i = 0; i < s->n_rows; ++i) {
        const int drawn = i < period;
        long double z = theta[0];
        for (size_t j = 0; j < m; ++j) {
            s->x[i * m + j] = drawn ? ts_rng_uniform(&rng, -2.0, 2.0) : s->x[(i % period) * m + j];
            z += (long double)theta[j + 1] * s->x[i * m + j];
        }
        s->y[i] = drawn ? label(z, &rng) : s->y[i % period];
        const long double term = loss(z, s->y[i]);
        const long double t = sum + term;
        comp += fabsl(sum) >= fabsl(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    return (double)((sum + comp) / (long double)s->n_rows);
}

/* The library's loss on data against expected (ts_loss_rounding_error). */
static double loss_error(const char *what, ts_model_ctor make, const gd_data *data,
                         const double *theta, double expected)
{
    double worst = 0.0;
    for (unsigned threads = 1; threads <= 2; ++threads) {
        gd_model model;
        if (make(&model, data->n_features, 0.0) != GD_OK) {
            return INFINITY;
        }
        model.n_threads = threads;
        const size_t work_doubles = model.work_size(&model, data->n_rows);
        double *work = malloc((work_doubles > 0 ? work_doubles : 1) * sizeof *work);
        double *grad = malloc(model.n_params * sizeof *grad);
        double loss[2] = {NAN, NAN};
        const int ok = work != NULL && grad != NULL &&
                       model.loss_grad(&model, theta, data, &loss[0], grad, work) == GD_OK &&
                       model.loss_grad(&model, theta, data, &loss[1], NULL, work) == GD_OK;
        free(grad);
        free(work);
        if (!ok) {
            return INFINITY;
        }
        for (int with = 0; with < 2; ++with) {
            const double err = ts_rel_diff(loss[with], expected);
            printf("%s, %u thread(s), %s gradient: loss %.17g, rel. error %.3g\n", what,
                   threads, with == 0 ? "with" : "without", loss[with], err);
            worst = err > worst || isnan(err) ? err : worst;
        }
    }
    return worst;
}

double ts_loss_rounding_error(const char *what, ts_model_ctor make, ts_label_fn label,
                              ts_row_loss_fn loss)
{
    enum { M = 3, PERIOD = 16 };
    static const double theta[M + 1] = {0.3, 1.0, -0.8, 0.5};
    ts_sample s;
    if (ts_sample_alloc(&s, TS_ROUNDING_ROWS, M, M) != 0) {
        return INFINITY;
    }
    const double expected = periodic_sample(&s, PERIOD, theta, label, loss, 20261127u);
    gd_data data;
    ts_sample_view(&s, 0, &data);
    const double worst = loss_error(what, make, &data, theta, expected);
    ts_sample_free(&s);
    return worst;
}

void ts_sample_view(const ts_sample *s, int weighted, gd_data *data)
{
    gd_data_init(data, s->x, s->n_rows, s->m, s->y);
    data->ldx = s->ldx;
    data->weights = weighted ? s->weights : NULL;
}

void ts_random_vector(double *v, size_t n, double half_width, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    for (size_t j = 0; j < n; ++j) {
        v[j] = ts_rng_uniform(&rng, -half_width, half_width);
    }
}
