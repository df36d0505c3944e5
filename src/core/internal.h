/* Internal helpers shared by the library's layers. Not installed. */
#ifndef GDLEARN_CORE_INTERNAL_H
#define GDLEARN_CORE_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "gdlearn/gdlearn.h"

/* Allocation through the caller's allocator (NULL: malloc/free). */
void *gdi_alloc(const gd_allocator *allocator, size_t size);
/* 1 if the allocator is NULL, or has both alloc and free, or neither. */
int gdi_allocator_ok(const gd_allocator *allocator);
void gdi_free(const gd_allocator *allocator, void *ptr);

/* a * b without overflow; returns 0 and leaves *out alone on overflow. */
static inline int gdi_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return 0;
    }
    *out = a * b;
    return 1;
}

/* a + b without overflow. */
static inline int gdi_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) {
        return 0;
    }
    *out = a + b;
    return 1;
}

/* BLAS takes int sizes: every size handed to a BLAS call passes here first. */
static inline int gdi_blas_size_ok(size_t n)
{
    return n <= (size_t)INT_MAX;
}

/* Rows per block in the one-pass kernels: small enough that a block of X
 * stays in cache between computing its residual and accumulating Xᵀr. */
#define GDI_BLOCK_ROWS ((size_t)256)

/* Effective row stride of a view. */
static inline size_t gdi_ldx(const gd_data *data)
{
    return data->ldx == 0 ? data->n_features : data->ldx;
}

/* Sum of the sample weights (n_rows when there are none). */
double gdi_weight_sum(const gd_data *data);

/* Largest |v_j|; NaN if any v_j is NaN. */
double gdi_max_abs(const double *v, size_t n);

/* 1 if every v_j is finite (a branch-free scan, vectorised: src/core/data.c). */
int gdi_all_finite(const double *v, size_t n);

/* gd_data_validate, with the scan of X split over the threads one kernel
 * evaluation would use for a model asking for n_threads (gdi_threads_for, a
 * row's work n_features; 0: the default). Same checks, same order, same
 * statuses: GD_ERR_NONFINITE whichever chunk of rows holds the Inf/NaN. */
gd_status gdi_data_validate_threads(const gd_data *data, int need_y, unsigned n_threads);

/* Seeded generator (splitmix64): no global state. */
typedef struct gdi_rng {
    uint64_t state;
} gdi_rng;
void gdi_rng_seed(gdi_rng *rng, uint64_t seed);
uint64_t gdi_rng_next(gdi_rng *rng);
/* Uniform in [0, 1). */
double gdi_rng_uniform(gdi_rng *rng);

/* Wall-clock seconds (C11 timespec_get). */
double gdi_now_seconds(void);

#endif /* GDLEARN_CORE_INTERNAL_H */
