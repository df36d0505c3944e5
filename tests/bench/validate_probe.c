/* Probe of the NaN/Inf scan of X that gd_fit runs before fitting (issue 7;
 * not a test: run it by hand on a release build). For an n × m X (default
 * 200000 × 50) it prints the best and the median of R runs, in ms, of:
 *   - the scan as it was (isfinite() per element, row by row, one thread);
 *   - the scan now (src/core/data.c): gd_data_validate, and the internal
 *     gdi_data_validate_threads with n_threads = 1, 2 and 0 (the default);
 *   - a plain summing read of X on 1 and 2 threads: the memory floor.
 * Linked with the library's objects for its internal functions.
 * Usage: validate_probe [n [m [R]]] */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_sys.h"
#include "core/internal.h"
#include "gdlearn/gdlearn.h"

/* The scan before issue 7, verbatim: gd_data_validate's loop over rows
 * calling the old gdi_all_finite. */
static int old_all_finite(const double *v, size_t n)
{
    for (size_t j = 0; j < n; ++j) {
        if (!isfinite(v[j])) {
            return 0;
        }
    }
    return 1;
}

static gd_status old_scan(const gd_data *data)
{
    const size_t ldx = gdi_ldx(data);
    for (size_t i = 0; i < data->n_rows; ++i) {
        if (!old_all_finite(data->x + i * ldx, data->n_features)) {
            return GD_ERR_NONFINITE;
        }
    }
    return GD_OK;
}

/* bench_stream_read (bench_sys.c, the read gdlearn-bench takes as its limit). */
static gd_status stream_read(const double *x, size_t n, unsigned threads)
{
    return bench_stream_read(x, n, threads) < 0.0 ? GD_ERR_NOMEM : GD_OK;
}

enum { OLD, PUBLIC, T1, T2, T0, SUM1, SUM2, N_WAYS };
static const char *const way_names[N_WAYS] = {
    "old scan (isfinite per element, 1 thread)",
    "gd_data_validate (new scan, 1 thread)",
    "new scan, n_threads = 1",
    "new scan, n_threads = 2",
    "new scan, n_threads = 0 (default)",
    "summing read of X, 1 thread",
    "summing read of X, 2 threads",
};

static gd_status run_way(int way, const gd_data *data)
{
    switch (way) {
    case OLD:
        return old_scan(data);
    case PUBLIC:
        return gd_data_validate(data, 0);
    case T1:
        return gdi_data_validate_threads(data, 0, 1);
    case T2:
        return gdi_data_validate_threads(data, 0, 2);
    case T0:
        return gdi_data_validate_threads(data, 0, 0);
    case SUM1:
        return stream_read(data->x, data->n_rows * data->n_features, 1);
    default:
        return stream_read(data->x, data->n_rows * data->n_features, 2);
    }
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    const size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 50;
    const int repeats = argc > 3 ? atoi(argv[3]) : 21;
    if (n == 0 || m == 0 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: validate_probe [n [m [R ≤ 1000]]]\n");
        return 2;
    }
    double *x = malloc(n * m * sizeof *x);
    double *times = malloc((size_t)repeats * N_WAYS * sizeof *times);
    if (x == NULL || times == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t state = 12345;
    for (size_t e = 0; e < n * m; ++e) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        x[e] = (double)(state >> 11) * 0x1.0p-53 * 4.0 - 2.0;
    }
    gd_data data;
    gd_data_init(&data, x, n, m, NULL);
    printf("X: %zu x %zu (%.1f MB), best and median of %d runs, interleaved\n", n, m,
           (double)(n * m * sizeof *x) / 1e6, repeats);
    /* Interleaved rounds, so that a busy spell on the machine hits every way. */
    for (int r = 0; r < repeats; ++r) {
        for (int way = 0; way < N_WAYS; ++way) {
            const double start = bench_now();
            const gd_status status = run_way(way, &data);
            times[way * repeats + r] = bench_now() - start;
            if (status != GD_OK) {
                fprintf(stderr, "%s: %s\n", way_names[way], gd_strerror(status));
                return 1;
            }
        }
    }
    for (int way = 0; way < N_WAYS; ++way) {
        double *t = times + way * repeats;
        qsort(t, (size_t)repeats, sizeof *t, compare_double);
        printf("%-44s best %8.2f ms   median %8.2f ms\n", way_names[way], t[0] * 1e3,
               t[repeats / 2] * 1e3);
    }
    /* The scans must still refuse: a NaN in the last element. */
    x[n * m - 1] = NAN;
    if (old_scan(&data) != GD_ERR_NONFINITE
        || gdi_data_validate_threads(&data, 0, 2) != GD_ERR_NONFINITE) {
        fprintf(stderr, "a scan missed the NaN\n");
        return 1;
    }
    free(times);
    free(x);
    return 0;
}
