/* Helpers of the kernel tests (test_row_kernels.c, test_multi_kernels.c):
 * buffers, a compensated reference sum, canaries, and buffers that end at
 * a PROT_NONE page. Include after <cmocka.h>; on Linux define
 * _DEFAULT_SOURCE before any header (MAP_ANONYMOUS). */
#ifndef GDLEARN_TS_KERNELS_H
#define GDLEARN_TS_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "testsupport.h"

/* n doubles from malloc (at least one), checked. */
static inline double *ts_alloc_doubles(size_t n)
{
    double *p = malloc((n == 0 ? 1 : n) * sizeof *p);
    assert_non_null(p);
    return p;
}

/* v[j] uniform in [lo, hi) for j < n. */
static inline void ts_fill(double *v, size_t n, double lo, double hi, ts_rng *rng)
{
    for (size_t j = 0; j < n; ++j) {
        v[j] = ts_rng_uniform(rng, lo, hi);
    }
}

/* Neumaier-compensated long-double sum (exact enough also where long double
 * is double, as under valgrind), with the sum of the terms' magnitudes for
 * a relative bound. Start from {0, 0, 0}. */
typedef struct ts_ref_sum {
    long double sum, comp, abs_sum;
} ts_ref_sum;

static inline void ts_ref_add(ts_ref_sum *s, long double term)
{
    const long double t = s->sum + term;
    s->comp += fabsl(s->sum) >= fabsl(term) ? (s->sum - t) + term : (term - t) + s->sum;
    s->sum = t;
    s->abs_sum += fabsl(term);
}

/* Values no kernel writes: compare them back with memcmp. */
static inline void ts_fill_canaries(double *v, size_t n)
{
    for (size_t j = 0; j < n; ++j) {
        v[j] = -1234.5 - (double)j;
    }
}

/* count doubles ending exactly where a PROT_NONE page starts (Linux; a
 * read past them faults); elsewhere plain malloc. */
typedef struct ts_guarded {
    unsigned char *base;
    size_t length;
    double *data;
} ts_guarded;

static inline void ts_guarded_alloc(ts_guarded *g, size_t count)
{
#if defined(__linux__)
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = count * sizeof(double);
    const size_t data_pages = bytes / page + 1;
    g->length = (data_pages + 1) * page;
    void *base = mmap(NULL, g->length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    g->base = base;
    assert_int_equal(mprotect(g->base + data_pages * page, page, PROT_NONE), 0);
    g->data = (double *)(void *)(g->base + data_pages * page - bytes);
#else
    g->base = NULL;
    g->length = 0;
    g->data = ts_alloc_doubles(count);
#endif
}

static inline void ts_guarded_free(ts_guarded *g)
{
#if defined(__linux__)
    assert_int_equal(munmap(g->base, g->length), 0);
#else
    free(g->data);
#endif
}

#endif /* GDLEARN_TS_KERNELS_H */
