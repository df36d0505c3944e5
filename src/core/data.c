#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "core/threads.h"

void gd_data_init(gd_data *data, const double *x, size_t n_rows, size_t n_features,
                  const double *y)
{
    if (data == NULL) {
        return;
    }
    data->x = x;
    data->n_rows = n_rows;
    data->n_features = n_features;
    data->ldx = n_features;
    data->y = y;
    data->weights = NULL;
}

double gdi_weight_sum(const gd_data *data)
{
    if (data->weights == NULL) {
        return (double)data->n_rows;
    }
    double sum = 0.0;
    for (size_t i = 0; i < data->n_rows; ++i) {
        sum += data->weights[i];
    }
    return sum;
}

double gdi_max_abs(const double *v, size_t n)
{
    double max = 0.0;
    for (size_t j = 0; j < n; ++j) {
        double a = fabs(v[j]);
        if (isnan(a)) {
            return a;
        }
        if (a > max) {
            max = a;
        }
    }
    return max;
}

/* The finiteness scan. A double is Inf or NaN iff its exponent bits are all
 * ones, i.e. iff |bits| (the sign cleared) ≥ 0x7ff0000000000000; adding the
 * exponent's lowest bit then carries into bit 63, which no finite value
 * reaches (|bits| + 2⁵² ≤ 0x7ff0000000000000 − 1 + 2⁵² < 2⁶³). OR-ing those
 * sums over a span leaves bit 63 set iff some element is not finite: and,
 * add and or on 64-bit integers, which GCC vectorises at -O2 with no
 * -ffast-math (isfinite() per element, with its branch, is not). Exact for
 * every bit pattern, whatever the rounding mode. */
#define FINITE_ABS_MASK UINT64_C(0x7fffffffffffffff)
#define FINITE_EXP_LSB UINT64_C(0x0010000000000000)
/* Independent accumulators: the loop body is LANES copies (SLP-vectorised
 * into 2 SSE2 or 1 AVX2 vector). */
#define FINITE_LANES 4
/* Elements between two looks at the flags: the early exit comes after at
 * most 2 KiB more of reading, and the look costs < 1% of a stretch. */
#define FINITE_STRETCH ((size_t)256)

static uint64_t nonfinite_bit(const double *v)
{
    uint64_t bits;
    memcpy(&bits, v, sizeof bits);
    return (bits & FINITE_ABS_MASK) + FINITE_EXP_LSB;
}

/* Bit 63 of the result is set iff some v[j], j < n, is Inf or NaN. */
static uint64_t nonfinite_flags(const double *v, size_t n)
{
    uint64_t flags[FINITE_LANES] = {0};
    const size_t whole = n - n % FINITE_LANES;
    for (size_t j = 0; j < whole; j += FINITE_LANES) {
        for (size_t lane = 0; lane < FINITE_LANES; ++lane) {
            flags[lane] |= nonfinite_bit(v + j + lane);
        }
    }
    for (size_t j = whole; j < n; ++j) {
        flags[0] |= nonfinite_bit(v + j);
    }
    for (size_t lane = 1; lane < FINITE_LANES; ++lane) {
        flags[0] |= flags[lane];
    }
    return flags[0];
}

int gdi_all_finite(const double *v, size_t n)
{
    size_t j = 0;
    for (; n - j > FINITE_STRETCH; j += FINITE_STRETCH) {
        if (nonfinite_flags(v + j, FINITE_STRETCH) >> 63) {
            return 0;
        }
    }
    return (nonfinite_flags(v + j, n - j) >> 63) == 0;
}

/* 1 if the first n_features of rows [row_begin, row_end) of X are finite. */
static int rows_finite(const gd_data *data, size_t ldx, size_t row_begin, size_t row_end)
{
    const size_t m = data->n_features;
    if (m == 0 || row_begin >= row_end) {
        return 1;
    }
    if (ldx == m) {
        /* One contiguous span: no per-row overhead for narrow X. */
        return gdi_all_finite(data->x + row_begin * m, (row_end - row_begin) * m);
    }
    /* Strided: the padding between n_features and ldx is not data (it may
     * hold anything). Rows are gathered into stretches of about
     * FINITE_STRETCH elements between two looks at the flags. */
    size_t i = row_begin;
    while (i < row_end) {
        uint64_t flags = 0;
        size_t scanned = 0;
        do {
            flags |= nonfinite_flags(data->x + i * ldx, m);
            scanned += m;
            ++i;
        } while (i < row_end && scanned < FINITE_STRETCH);
        if (flags >> 63) {
            return 0;
        }
    }
    return 1;
}

typedef struct finite_task {
    const gd_data *data;
    size_t ldx;
} finite_task;

static gd_status rows_finite_chunk(void *task, size_t chunk, size_t row_begin, size_t row_end)
{
    (void)chunk;
    const finite_task *t = task;
    return rows_finite(t->data, t->ldx, row_begin, row_end) ? GD_OK : GD_ERR_NONFINITE;
}

gd_status gdi_data_validate_threads(const gd_data *data, int need_y, unsigned n_threads)
{
    if (data == NULL) {
        return GD_ERR_NULL;
    }
    if (data->n_rows == 0) {
        return GD_ERR_SIZE;
    }
    size_t ldx = gdi_ldx(data);
    if (ldx < data->n_features) {
        return GD_ERR_SIZE;
    }
    if ((data->n_features > 0 && data->x == NULL) || (need_y && data->y == NULL)) {
        return GD_ERR_NULL;
    }
    /* The last row ends at (n-1)·ldx + m: that must be addressable, and the
     * sizes handed to BLAS must fit its int. */
    size_t span;
    if (!gdi_mul_size(data->n_rows - 1, ldx, &span) || !gdi_add_size(span, data->n_features, &span)
        || !gdi_mul_size(span, sizeof(double), &span) || !gdi_blas_size_ok(ldx)) {
        return GD_ERR_OVERFLOW;
    }
    /* The threads a kernel would use for one pass over X (a row's work:
     * n_features reads). Any chunk finding Inf/NaN fails the whole scan;
     * the others finish theirs, which only costs time on bad data. */
    if (data->n_features > 0) {
        finite_task task = {data, ldx};
        gd_status status
            = gdi_run_chunks(gdi_threads_for(n_threads, data->n_rows, data->n_features),
                             data->n_rows, rows_finite_chunk, &task);
        if (status != GD_OK) {
            return status;
        }
    }
    if (data->y != NULL && !gdi_all_finite(data->y, data->n_rows)) {
        return GD_ERR_NONFINITE;
    }
    if (data->weights != NULL) {
        if (!gdi_all_finite(data->weights, data->n_rows)) {
            return GD_ERR_NONFINITE;
        }
        double sum = 0.0;
        for (size_t i = 0; i < data->n_rows; ++i) {
            if (data->weights[i] < 0.0) {
                return GD_ERR_WEIGHT;
            }
            sum += data->weights[i];
        }
        /* A sum so small that 1/S overflows (subnormal weights) is as good
         * as zero: the objective's 1/S factor would make it Inf. */
        if (!(sum > 0.0) || !isfinite(sum) || !isfinite(1.0 / sum)) {
            return GD_ERR_WEIGHT;
        }
    }
    return GD_OK;
}

gd_status gd_data_validate(const gd_data *data, int need_y)
{
    return gdi_data_validate_threads(data, need_y, 1);
}
