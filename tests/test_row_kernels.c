/* The one-output block kernels (src/kernels/avx512.c, avx2.c, affine.c):
 *  - out = Xw + b and g += Xᵀr on every path (AVX-512 loops, AVX2 loops,
 *    dgemv/ddot/daxpy) match a compensated long-double reference for many
 *    row counts, feature counts (every m mod 8) and strides, and write
 *    nothing around their outputs (canaries on both sides);
 *  - the masked tail loads stop at the end of the last row: X, w and g end
 *    exactly at a PROT_NONE page (Linux);
 *  - gdi_affine_rows / gdi_accumulate_xt_r run the first usable path of
 *    AVX-512, AVX2, BLAS (same bits);
 *  - on our own loops, gdi_block_shape_for(m, 1) gives multiple-of-8 row
 *    blocks within the block limits, a call gives the same bits each time,
 *    and a row the same bits in a group of 8 rows as alone;
 *  - the fused passes (gdi_avx512_fused_rows, gdi_avx2_fused_rows, and
 *    gdi_fused_rows_dispatch, what builds without their loops have) call the
 *    residual once per group of GDI_FUSED_ROWS rows in order (first 0, 16,
 *    32, …, the last group shorter, none for 0 rows), hand it the same z
 *    bits as their ISA's affine_rows and leave g with the same bits as its
 *    accumulate_xt_r on the residuals, writing nothing around g or past
 *    a scratch of min(GDI_FUSED_ROWS, n_rows) doubles; they stop at the
 *    residual's first error (g then holds the groups before it), write no g
 *    when g is NULL, and do not fault on X, w and g that end at a
 *    PROT_NONE page; asked to (residual_asks) with a gradient, the AVX-512
 *    and AVX2 passes hand the residual where the rows GDI_FUSED_AHEAD_ROWS
 *    on lie (the group's first row, the stride, a row's bytes; the test's
 *    residual asks for them, also past the end of X), else NULL, with
 *    the same bits either way.
 * A path's checks skip where its usable() is 0 (valgrind: no AVX-512, so
 * there the AVX2 ones run). */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "kernels/kernels.h"
#include "testsupport.h"
#include "ts_kernels.h"

#define CANARY 16
#define TOLERANCE 1e-14

typedef void (*affine_fn)(const double *, size_t, size_t, size_t, const double *, double,
                          double *);
typedef void (*xt_r_fn)(const double *, size_t, size_t, size_t, const double *, double *);

static int always(void)
{
    return 1;
}

typedef struct kernel_path {
    const char *name;
    int (*usable)(void);
    affine_fn affine;
    xt_r_fn xt_r;
} kernel_path;

/* In the dispatch's order of preference. */
static const kernel_path paths[] = {
    {"avx512", gdi_avx512_usable, gdi_avx512_affine_rows, gdi_avx512_accumulate_xt_r},
    {"avx2", gdi_avx2_usable, gdi_avx2_affine_rows, gdi_avx2_accumulate_xt_r},
    {"blas", always, gdi_blas_affine_rows, gdi_blas_accumulate_xt_r},
};
enum { AVX512, AVX2, BLAS, N_PATHS };

static const size_t sweep_rows[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 81};
static const size_t sweep_features[] = {0,  1,  2,  3,  7,  8,  9,   15,  16,  17,  31, 32,
                                        33, 50, 63, 64, 65, 240, 321, 400, 500, 513};
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Doubles of X for n rows of m features at stride ldx, up to the last
 * row's last feature (no padding after it). */
static size_t x_count(size_t n, size_t m, size_t ldx)
{
    return n == 0 ? 0 : (n - 1) * ldx + m;
}


/* X uniform in [−1, 1), the padding between rows NaN (a read of it shows). */
static void fill_x(double *x, size_t n, size_t m, size_t ldx, ts_rng *rng)
{
    const size_t count = x_count(n, m, ldx);
    for (size_t e = 0; e < count; ++e) {
        x[e] = e % ldx < m ? ts_rng_uniform(rng, -1.0, 1.0) : NAN;
    }
}



static void check_close(double got, const ts_ref_sum *ref, const char *what, size_t n, size_t m,
                        size_t ldx, size_t index)
{
    const long double expected = ref->sum + ref->comp;
    const double err = (double)fabsl((long double)got - expected);
    const double bound = TOLERANCE * (double)ref->abs_sum + DBL_MIN;
    if (!(err <= bound)) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu [%zu]: got %.17g, expected %.17Lg "
                    "(|err| %g > %g)\n",
                    what, n, m, ldx, index, got, expected, err, bound);
        fail();
    }
}

/* out[i] = b + x_i·w and g[j] = g0[j] + Σ r_i x_ij, against the reference. */
static void check_affine_result(const double *x, size_t n, size_t m, size_t ldx, const double *w,
                                double b, const double *out, const char *what)
{
    for (size_t i = 0; i < n; ++i) {
        ts_ref_sum ref = {0.0L, 0.0L, 0.0L};
        ts_ref_add(&ref, b);
        for (size_t j = 0; j < m; ++j) {
            ts_ref_add(&ref, (long double)x[i * ldx + j] * w[j]);
        }
        check_close(out[i], &ref, what, n, m, ldx, i);
    }
}

static void check_xt_r_result(const double *x, size_t n, size_t m, size_t ldx, const double *r,
                              const double *g0, const double *g, const char *what)
{
    for (size_t j = 0; j < m; ++j) {
        ts_ref_sum ref = {0.0L, 0.0L, 0.0L};
        ts_ref_add(&ref, g0[j]);
        for (size_t i = 0; i < n; ++i) {
            ts_ref_add(&ref, (long double)r[i] * x[i * ldx + j]);
        }
        check_close(g[j], &ref, what, n, m, ldx, j);
    }
}


static void check_canaries(const double *v, size_t n, const char *what, size_t n_rows, size_t m,
                           size_t ldx)
{
    double expected[CANARY];
    ts_fill_canaries(expected, n);
    if (memcmp(v, expected, n * sizeof *v) != 0) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu wrote outside its output\n", what, n_rows, m,
                    ldx);
        fail();
    }
}

/* One shape through `affine`: out (between canaries) against the reference. */
static void check_affine_shape(affine_fn affine, const char *what, size_t n, size_t m, size_t ldx,
                               ts_rng *rng)
{
    double *x = ts_alloc_doubles(x_count(n, m, ldx));
    double *w = ts_alloc_doubles(m);
    double *buffer = ts_alloc_doubles(n + 2 * CANARY);
    double *out = buffer + CANARY;
    fill_x(x, n, m, ldx, rng);
    ts_fill(w, m, -1.0, 1.0, rng);
    const double b = ts_rng_uniform(rng, -1.0, 1.0);
    ts_fill_canaries(buffer, CANARY);
    ts_fill_canaries(out + n, CANARY);
    for (size_t i = 0; i < n; ++i) {
        out[i] = NAN; /* a row left unwritten fails below */
    }
    affine(x, n, m, ldx, w, b, out);
    check_affine_result(x, n, m, ldx, w, b, out, what);
    check_canaries(buffer, CANARY, what, n, m, ldx);
    check_canaries(out + n, CANARY, what, n, m, ldx);
    free(buffer);
    free(w);
    free(x);
}

/* One shape through `xt_r`: g = g0 + Xᵀr (between canaries), g0 nonzero. */
static void check_xt_r_shape(xt_r_fn xt_r, const char *what, size_t n, size_t m, size_t ldx,
                             ts_rng *rng)
{
    double *x = ts_alloc_doubles(x_count(n, m, ldx));
    double *r = ts_alloc_doubles(n);
    double *g0 = ts_alloc_doubles(m);
    double *buffer = ts_alloc_doubles(m + 2 * CANARY);
    double *g = buffer + CANARY;
    fill_x(x, n, m, ldx, rng);
    ts_fill(r, n, -1.0, 1.0, rng);
    for (size_t j = 0; j < m; ++j) {
        const double v = ts_rng_uniform(rng, 0.5, 1.5);
        g0[j] = ts_rng_uniform(rng, 0.0, 1.0) < 0.5 ? -v : v;
    }
    ts_fill_canaries(buffer, CANARY);
    ts_fill_canaries(g + m, CANARY);
    memcpy(g, g0, m * sizeof *g);
    xt_r(x, n, m, ldx, r, g);
    check_xt_r_result(x, n, m, ldx, r, g0, g, what);
    check_canaries(buffer, CANARY, what, n, m, ldx);
    check_canaries(g + m, CANARY, what, n, m, ldx);
    free(buffer);
    free(g0);
    free(r);
    free(x);
}

static void skip_unless_usable(const kernel_path *path)
{
    if (!path->usable()) {
        print_message("%s kernels not usable here (CPU, build or valgrind): skipped\n",
                      path->name);
        skip();
    }
}

/* Every shape through one path's affine (which == 0) or xt_r (which == 1). */
static void sweep(const kernel_path *path, int which, unsigned long long seed)
{
    skip_unless_usable(path);
    const affine_fn affine = which == 0 ? path->affine : NULL;
    const xt_r_fn xt_r = which == 1 ? path->xt_r : NULL;
    const char *what = path->name;
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    for (size_t a = 0; a < N_ELEMS(sweep_rows); ++a) {
        for (size_t c = 0; c < N_ELEMS(sweep_features); ++c) {
            const size_t n = sweep_rows[a], m = sweep_features[c];
            for (size_t pad = 0; pad <= 3; pad += 3) {
                if (affine != NULL) {
                    check_affine_shape(affine, what, n, m, m + pad, &rng);
                }
                if (xt_r != NULL) {
                    check_xt_r_shape(xt_r, what, n, m, m + pad, &rng);
                }
            }
        }
    }
}

#define SWEEP_CASE(path, which, fn, seed)           \
    static void test_row_kernels__##fn(void **state) \
    {                                                \
        (void)state;                                 \
        sweep(&paths[path], which, seed);            \
    }
SWEEP_CASE(AVX512, 0, avx512_affine_matches_reference_in_bounds, 11)
SWEEP_CASE(AVX512, 1, avx512_xt_r_matches_reference_in_bounds, 12)
SWEEP_CASE(AVX2, 0, avx2_affine_matches_reference_in_bounds, 13)
SWEEP_CASE(AVX2, 1, avx2_xt_r_matches_reference_in_bounds, 14)
SWEEP_CASE(BLAS, 0, blas_affine_matches_reference_in_bounds, 15)
SWEEP_CASE(BLAS, 1, blas_xt_r_matches_reference_in_bounds, 16)

#if defined(__linux__)
/* X, w (affine) and g (xt_r) end at a guard page: the call must not fault
 * and must match the reference. */
static void guarded_case(affine_fn affine, xt_r_fn xt_r, const char *what, size_t n, size_t m,
                         ts_rng *rng)
{
    ts_guarded gx, gw, gg;
    ts_guarded_alloc(&gx, x_count(n, m, m));
    ts_guarded_alloc(&gw, m);
    ts_guarded_alloc(&gg, m);
    double *out = ts_alloc_doubles(n);
    double *r = ts_alloc_doubles(n);
    double *g0 = ts_alloc_doubles(m);
    fill_x(gx.data, n, m, m, rng);
    ts_fill(gw.data, m, -1.0, 1.0, rng);
    ts_fill(r, n, -1.0, 1.0, rng);
    ts_fill(g0, m, 0.5, 1.5, rng);
    memcpy(gg.data, g0, m * sizeof *g0);
    const double b = 0.25;
    affine(gx.data, n, m, m, gw.data, b, out);
    xt_r(gx.data, n, m, m, r, gg.data);
    check_affine_result(gx.data, n, m, m, gw.data, b, out, what);
    check_xt_r_result(gx.data, n, m, m, r, g0, gg.data, what);
    free(g0);
    free(r);
    free(out);
    ts_guarded_free(&gg);
    ts_guarded_free(&gw);
    ts_guarded_free(&gx);
}
#endif

static void test_row_kernels__tail_loads_stop_at_row_end(void **state)
{
    (void)state;
#if defined(__linux__)
    static const size_t rows[] = {1, 2, 7, 8, 9, 16, 17, 65};
    static const size_t features[] = {1, 2, 3, 7, 9, 15, 17, 50, 65, 513};
    ts_rng rng;
    ts_rng_seed(&rng, 21);
    for (size_t p = 0; p < N_PATHS; ++p) {
        if (!paths[p].usable()) {
            print_message("%s kernels not usable here: not checked\n", paths[p].name);
            continue;
        }
        for (size_t a = 0; a < N_ELEMS(rows); ++a) {
            for (size_t c = 0; c < N_ELEMS(features); ++c) {
                guarded_case(paths[p].affine, paths[p].xt_r, paths[p].name, rows[a], features[c],
                             &rng);
            }
        }
    }
#else
    skip();
#endif
}

/* Runs affine then xt_r on fixed inputs (g starts from g0) into out, g. */
typedef struct fixed_case {
    size_t n, m, ldx;
    double *x, *w, *r, *g0;
} fixed_case;

static void fixed_make(fixed_case *f, size_t n, size_t m, size_t ldx, unsigned long long seed)
{
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    f->n = n;
    f->m = m;
    f->ldx = ldx;
    f->x = ts_alloc_doubles(x_count(n, m, ldx));
    f->w = ts_alloc_doubles(m);
    f->r = ts_alloc_doubles(n);
    f->g0 = ts_alloc_doubles(m);
    fill_x(f->x, n, m, ldx, &rng);
    ts_fill(f->w, m, -1.0, 1.0, &rng);
    ts_fill(f->r, n, -1.0, 1.0, &rng);
    ts_fill(f->g0, m, -1.0, 1.0, &rng);
}

static void fixed_run(const fixed_case *f, affine_fn affine, xt_r_fn xt_r, double *out, double *g)
{
    affine(f->x, f->n, f->m, f->ldx, f->w, -0.375, out);
    memcpy(g, f->g0, f->m * sizeof *g);
    xt_r(f->x, f->n, f->m, f->ldx, f->r, g);
}

static void fixed_free(fixed_case *f)
{
    free(f->g0);
    free(f->r);
    free(f->w);
    free(f->x);
}

static const size_t fixed_shapes[][3] = {
    {81, 500, 503}, {64, 513, 513}, {17, 33, 33}, {9, 240, 243}, {65, 7, 10}, {8, 50, 50}};

static void test_row_kernels__dispatch_runs_the_usable_path(void **state)
{
    (void)state;
    size_t chosen = 0;
    while (!paths[chosen].usable()) {
        ++chosen; /* BLAS always is */
    }
    print_message("dispatch expected on the %s path\n", paths[chosen].name);
    int differs_from_blas = 0;
    for (size_t s = 0; s < N_ELEMS(fixed_shapes); ++s) {
        fixed_case f;
        fixed_make(&f, fixed_shapes[s][0], fixed_shapes[s][1], fixed_shapes[s][2], 31 + s);
        double *out = ts_alloc_doubles(f.n), *g = ts_alloc_doubles(f.m);
        double *out_path = ts_alloc_doubles(f.n), *g_path = ts_alloc_doubles(f.m);
        double *out_blas = ts_alloc_doubles(f.n), *g_blas = ts_alloc_doubles(f.m);
        fixed_run(&f, gdi_affine_rows, gdi_accumulate_xt_r, out, g);
        fixed_run(&f, paths[chosen].affine, paths[chosen].xt_r, out_path, g_path);
        fixed_run(&f, gdi_blas_affine_rows, gdi_blas_accumulate_xt_r, out_blas, g_blas);
        assert_memory_equal(out, out_path, f.n * sizeof *out);
        assert_memory_equal(g, g_path, f.m * sizeof *g);
        if (memcmp(out_path, out_blas, f.n * sizeof *out) != 0 ||
            memcmp(g_path, g_blas, f.m * sizeof *g) != 0) {
            differs_from_blas = 1;
        }
        free(g_blas);
        free(out_blas);
        free(g_path);
        free(out_path);
        free(g);
        free(out);
        fixed_free(&f);
    }
    /* Rounded in different orders, our loops and dgemv differ somewhere in
     * these shapes; otherwise the memcmp above could not tell which ran. */
    if (chosen != BLAS) {
        assert_true(differs_from_blas);
    }
}

static void test_row_kernels__own_loops_block_shape(void **state)
{
    (void)state;
    if (!gdi_avx512_usable() && !gdi_avx2_usable()) {
        print_message("neither AVX-512 nor AVX2 kernels usable here: skipped\n");
        skip();
    }
    static const size_t features[] = {1,     8,     50,    100,   500,   512,   513,
                                      4096,  5000,  16384, 16385, 20000, 200000};
    const size_t elems_max =
        GDI_BLOCK_ELEMS > GDI_AVX512_BLOCK_MAX ? GDI_BLOCK_ELEMS : GDI_AVX512_BLOCK_MAX;
    for (size_t c = 0; c < N_ELEMS(features); ++c) {
        const size_t m = features[c];
        const gdi_block_shape shape = gdi_block_shape_for(m, 1);
        print_message("m=%zu: rows=%zu panel=%zu\n", m, shape.rows, shape.panel);
        assert_true(shape.rows >= 1);
        assert_true(shape.rows <= GDI_BLOCK_ROWS);
        if (8 * m <= GDI_AVX512_BLOCK_MAX) {
            assert_int_equal(shape.rows % 8, 0);
        }
        /* A single row wider than the limit is still one row. */
        assert_true(shape.rows == 1 || shape.rows * m <= elems_max);
        assert_true(shape.panel >= 1 && shape.panel <= m);
    }
}

static void same_bits_each_call(const kernel_path *path)
{
    skip_unless_usable(path);
    for (size_t s = 0; s < N_ELEMS(fixed_shapes); ++s) {
        fixed_case f;
        fixed_make(&f, fixed_shapes[s][0], fixed_shapes[s][1], fixed_shapes[s][2], 41 + s);
        double *out1 = ts_alloc_doubles(f.n), *g1 = ts_alloc_doubles(f.m);
        double *out2 = ts_alloc_doubles(f.n), *g2 = ts_alloc_doubles(f.m);
        fixed_run(&f, path->affine, path->xt_r, out1, g1);
        fixed_run(&f, path->affine, path->xt_r, out2, g2);
        assert_memory_equal(out1, out2, f.n * sizeof *out1);
        assert_memory_equal(g1, g2, f.m * sizeof *g1);
        free(g2);
        free(out2);
        free(g1);
        free(out1);
        fixed_free(&f);
    }
}

static void test_row_kernels__avx512_same_bits_each_call(void **state)
{
    (void)state;
    same_bits_each_call(&paths[AVX512]);
}

static void test_row_kernels__avx2_same_bits_each_call(void **state)
{
    (void)state;
    same_bits_each_call(&paths[AVX2]);
}

/* A row's z is the same bits whether the row is computed in a group of 8 or
 * alone (a leftover row, or a 1-row call): block and chunk boundaries do not
 * change results. 9 rows: the 9th is a leftover; each row again alone. */
static void row_bits_independent_of_grouping(const kernel_path *path)
{
    if (!path->usable()) {
        skip();
    }
    static const size_t features[] = {1, 5, 8, 13, 50, 67};
    enum { ROWS = 9 };
    ts_rng rng;
    ts_rng_seed(&rng, 4242);
    for (size_t f = 0; f < N_ELEMS(features); ++f) {
        const size_t m = features[f];
        double *x = ts_alloc_doubles(ROWS * m);
        double *w = ts_alloc_doubles(m);
        double grouped[ROWS];
        ts_fill(x, ROWS * m, -1.0, 1.0, &rng);
        ts_fill(w, m, -1.0, 1.0, &rng);
        path->affine(x, ROWS, m, m, w, 0.25, grouped);
        for (size_t i = 0; i < ROWS; ++i) {
            double alone;
            path->affine(x + i * m, 1, m, m, w, 0.25, &alone);
            if (memcmp(&alone, &grouped[i], sizeof alone) != 0) {
                print_error("%s: m=%zu row %zu: %.17g alone, %.17g in the 9-row call\n",
                            path->name, m, i, alone, grouped[i]);
                fail();
            }
        }
        free(w);
        free(x);
    }
}

static void test_row_kernels__avx512_row_bits_independent_of_grouping(void **state)
{
    (void)state;
    row_bits_independent_of_grouping(&paths[AVX512]);
}

static void test_row_kernels__avx2_row_bits_independent_of_grouping(void **state)
{
    (void)state;
    row_bits_independent_of_grouping(&paths[AVX2]);
}

/* The fused pass. The residual r_i = z_i − y_i of fused_residual records
 * each call's first row and row count and the z it saw (by row, into
 * seen_z), checks the rows ahead it is handed (expect_ahead: those
 * GDI_FUSED_AHEAD_ROWS rows on, of X at x_addr; else NULL) and asks for
 * them, and returns GD_ERR_LABEL on call number fail_on (1-based; 0:
 * never) — after turning z into r all the same, so that a pass which added
 * that group to g before looking at the status shows. */
#define FUSED_MAX_CALLS 16

typedef struct fused_ctx {
    const double *y;
    double *seen_z;
    const double *scratch;
    size_t n_rows;
    size_t fail_on;
    size_t calls;
    size_t first[FUSED_MAX_CALLS];
    size_t count[FUSED_MAX_CALLS];
    int bad_call; /* rows out of [0, n_rows), none, or z not the scratch */
    uintptr_t x_addr;
    size_t ldx, m;
    int expect_ahead;
    int bad_ahead; /* rows ahead handed when none were expected, or not those */
} fused_ctx;

static gd_status fused_residual(void *vctx, size_t first, size_t n_rows, double *z,
                                const gdi_rows_ahead *ahead)
{
    fused_ctx *c = vctx;
    if (!c->expect_ahead) {
        c->bad_ahead |= ahead != NULL;
    } else if (ahead == NULL
               || ahead->group
                      != c->x_addr + (first + GDI_FUSED_AHEAD_ROWS) * c->ldx * sizeof(double)
               || ahead->stride != c->ldx * sizeof(double)
               || ahead->bytes != c->m * sizeof(double)) {
        c->bad_ahead = 1;
    } else {
        for (size_t q = 0; q < n_rows; q += 8) {
            gdi_rows_ahead_step(ahead, q); /* may lie past the end of X: no fault */
        }
    }
    if (c->calls < FUSED_MAX_CALLS) {
        c->first[c->calls] = first;
        c->count[c->calls] = n_rows;
    }
    ++c->calls;
    if (n_rows == 0 || n_rows > GDI_FUSED_ROWS || first > c->n_rows ||
        n_rows > c->n_rows - first || z != c->scratch) {
        c->bad_call = 1;
        return GD_OK;
    }
    memcpy(c->seen_z + first, z, n_rows * sizeof *z);
    for (size_t q = 0; q < n_rows; ++q) {
        z[q] -= c->y[first + q];
    }
    return c->calls == c->fail_on ? GD_ERR_LABEL : GD_OK;
}

static size_t fused_groups(size_t n)
{
    return (n + GDI_FUSED_ROWS - 1) / GDI_FUSED_ROWS;
}

/* A fused pass and the separate kernels of its ISA it must match. */
typedef gd_status (*fused_fn)(const double *x, size_t n_rows, size_t n_features, size_t ldx,
                              const double *w, double b, double *z, double *g,
                              gdi_rows_residual_fn residual, void *ctx, int residual_asks);
typedef struct fused_path {
    const char *name;
    int (*usable)(size_t n_features);
    fused_fn fused;
    const kernel_path *separate;
    int hands_ahead; /* hands the residual the rows ahead when it asks */
} fused_path;

/* The dispatch (gdi_affine_rows, gdi_accumulate_xt_r) where it runs our own
 * loops, whose bits do not depend on how rows are grouped: the reference of
 * gdi_fused_rows_dispatch, which calls them 16 rows at a time. (On the dgemv
 * path a call may take no more rows than gdi_block_shape_for allows, and
 * its bits may depend on the grouping: skipped there.) */
static int own_loops_usable(void)
{
    return gdi_avx512_usable() || gdi_avx2_usable();
}

static int dispatch_fused_usable(size_t n_features)
{
    return n_features <= GDI_FUSED_MAX_FEATURES && own_loops_usable();
}

static const kernel_path dispatch_path = {"dispatch", own_loops_usable, gdi_affine_rows,
                                          gdi_accumulate_xt_r};

static const fused_path fused_paths[] = {
    {"avx512 fused", gdi_avx512_fused_usable, gdi_avx512_fused_rows, &paths[AVX512], 1},
    {"avx2 fused", gdi_avx2_fused_usable, gdi_avx2_fused_rows, &paths[AVX2], 1},
    {"dispatch fused", dispatch_fused_usable, gdi_fused_rows_dispatch, &dispatch_path, 0},
};
enum { FUSED_AVX512, FUSED_AVX2, FUSED_DISPATCH };

/* fp->fused on x (n rows of m at stride ldx), w, b, y and g (holding g0 on
 * entry; NULL: no gradient), the residual asking for the rows ahead or not
 * (asks) and failing on call fail_on (0: never), against the affine_rows
 * and accumulate_xt_r of the same ISA (bits): the calls, the rows ahead
 * handed, the z seen, g. The scratch lies between canaries. */
static void check_fused(const fused_path *fp, const double *x, size_t n, size_t m, size_t ldx,
                        const double *w, double b, const double *y, const double *g0, double *g,
                        int asks, size_t fail_on, const char *what)
{
    const size_t groups = fused_groups(n);
    const size_t expected_calls = fail_on == 0 || fail_on > groups ? groups : fail_on;
    /* Rows whose z the residual sees, and rows that reach g. */
    const size_t seen = fail_on == 0 ? n : (expected_calls * GDI_FUSED_ROWS < n
                                                 ? expected_calls * GDI_FUSED_ROWS
                                                 : n);
    const size_t summed = fail_on == 0 || fail_on > groups ? n : (fail_on - 1) * GDI_FUSED_ROWS;
    const gd_status expected_status = fail_on == 0 || fail_on > groups ? GD_OK : GD_ERR_LABEL;

    /* min(GDI_FUSED_ROWS, n) doubles: all a one-thread evaluation's Z block
     * holds when n < GDI_FUSED_ROWS. */
    const size_t scratch_len = n < GDI_FUSED_ROWS ? n : GDI_FUSED_ROWS;
    double *scratch_buffer = ts_alloc_doubles(scratch_len + 2 * CANARY);
    double *scratch = scratch_buffer + CANARY;
    ts_fill_canaries(scratch_buffer, CANARY);
    ts_fill_canaries(scratch + scratch_len, CANARY);
    double *seen_z = ts_alloc_doubles(n);
    for (size_t i = 0; i < n; ++i) {
        seen_z[i] = NAN; /* a row the residual never saw fails below */
    }
    fused_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.y = y;
    ctx.seen_z = seen_z;
    ctx.scratch = scratch;
    ctx.n_rows = n;
    ctx.fail_on = fail_on;
    ctx.x_addr = (uintptr_t)x;
    ctx.ldx = ldx;
    ctx.m = m;
    ctx.expect_ahead = asks && g != NULL && fp->hands_ahead;

    const gd_status status =
        fp->fused(x, n, m, ldx, w, b, scratch, g, fused_residual, &ctx, asks);

    /* The separate kernels on the same rows. */
    double *z_ref = ts_alloc_doubles(n);
    double *r_ref = ts_alloc_doubles(n);
    fp->separate->affine(x, n, m, ldx, w, b, z_ref);
    for (size_t i = 0; i < n; ++i) {
        r_ref[i] = z_ref[i] - y[i];
    }

    if (status != expected_status) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu fail_on=%zu: status %d, expected %d\n", what,
                    n, m, ldx, fail_on, (int)status, (int)expected_status);
        fail();
    }
    if (ctx.bad_call || ctx.calls != expected_calls) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu fail_on=%zu: %zu residual calls (expected "
                    "%zu)%s\n",
                    what, n, m, ldx, fail_on, ctx.calls, expected_calls,
                    ctx.bad_call ? ", one with rows out of range or z not the scratch" : "");
        fail();
    }
    if (ctx.bad_ahead) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu asks=%d: rows ahead %s\n", what, n, m, ldx,
                    asks, ctx.expect_ahead ? "not those GDI_FUSED_AHEAD_ROWS on" : "handed");
        fail();
    }
    size_t total = 0;
    for (size_t k = 0; k < ctx.calls; ++k) {
        const size_t first = k * GDI_FUSED_ROWS;
        const size_t count = n - first < GDI_FUSED_ROWS ? n - first : GDI_FUSED_ROWS;
        if (ctx.first[k] != first || ctx.count[k] != count) {
            print_error("%s: n_rows=%zu m=%zu ldx=%zu: call %zu got rows [%zu, +%zu), expected "
                        "[%zu, +%zu)\n",
                        what, n, m, ldx, k, ctx.first[k], ctx.count[k], first, count);
            fail();
        }
        total += ctx.count[k];
    }
    if (total != seen) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu: %zu rows through the residual, expected %zu\n",
                    what, n, m, ldx, total, seen);
        fail();
    }
    for (size_t i = 0; i < seen; ++i) {
        if (memcmp(&seen_z[i], &z_ref[i], sizeof z_ref[i]) != 0) {
            print_error("%s: n_rows=%zu m=%zu ldx=%zu row %zu: z %.17g, affine_rows %.17g\n",
                        what, n, m, ldx, i, seen_z[i], z_ref[i]);
            fail();
        }
    }
    for (size_t i = seen; i < n; ++i) {
        if (!isnan(seen_z[i])) {
            print_error("%s: n_rows=%zu m=%zu ldx=%zu: row %zu past the error seen\n", what, n, m,
                        ldx, i);
            fail();
        }
    }
    if (g != NULL) {
        double *g_ref = ts_alloc_doubles(m);
        memcpy(g_ref, g0, m * sizeof *g_ref);
        fp->separate->xt_r(x, summed, m, ldx, r_ref, g_ref);
        for (size_t j = 0; j < m; ++j) {
            if (memcmp(&g[j], &g_ref[j], sizeof g[j]) != 0) {
                print_error("%s: n_rows=%zu m=%zu ldx=%zu fail_on=%zu g[%zu]: %.17g, "
                            "accumulate_xt_r on %zu rows %.17g\n",
                            what, n, m, ldx, fail_on, j, g[j], summed, g_ref[j]);
                fail();
            }
        }
        free(g_ref);
    }
    check_canaries(scratch_buffer, CANARY, what, n, m, ldx);
    check_canaries(scratch + scratch_len, CANARY, what, n, m, ldx);
    free(r_ref);
    free(z_ref);
    free(seen_z);
    free(scratch_buffer);
}

static void skip_unless_fused_usable(const fused_path *fp)
{
    if (!fp->usable(0)) {
        print_message("%s not usable here (CPU, build or valgrind): skipped\n", fp->name);
        skip();
    }
}

/* g0 nonzero, of both signs. */
static void fill_g0(double *g0, size_t m, ts_rng *rng)
{
    for (size_t j = 0; j < m; ++j) {
        const double v = ts_rng_uniform(rng, 0.5, 1.5);
        g0[j] = ts_rng_uniform(rng, 0.0, 1.0) < 0.5 ? -v : v;
    }
}

/* One shape through the fused pass, g (from g0, between canaries) or none. */
static void check_fused_shape(const fused_path *fp, size_t n, size_t m, size_t ldx,
                              int with_gradient, int asks, size_t fail_on, ts_rng *rng)
{
    char what[64];
    snprintf(what, sizeof what, "%s%s", fp->name, with_gradient ? "" : " (no g)");
    const size_t count = x_count(n, m, ldx);
    double *x = ts_alloc_doubles(count);
    double *w = ts_alloc_doubles(m);
    double *y = ts_alloc_doubles(n);
    double *g0 = ts_alloc_doubles(m);
    double *buffer = ts_alloc_doubles(m + 2 * CANARY);
    double *g = buffer + CANARY;
    fill_x(x, n, m, ldx, rng);
    ts_fill(w, m, -1.0, 1.0, rng);
    ts_fill(y, n, -1.0, 1.0, rng);
    fill_g0(g0, m, rng);
    const double b = ts_rng_uniform(rng, -1.0, 1.0);
    ts_fill_canaries(buffer, CANARY);
    ts_fill_canaries(g + m, CANARY);
    memcpy(g, g0, m * sizeof *g);
    /* Copies of the inputs: nothing writes them. */
    double *x_copy = ts_alloc_doubles(count);
    double *w_copy = ts_alloc_doubles(m);
    memcpy(x_copy, x, count * sizeof *x);
    memcpy(w_copy, w, m * sizeof *w);
    check_fused(fp, x, n, m, ldx, w, b, y, g0, with_gradient ? g : NULL, asks, fail_on, what);
    if (!with_gradient && memcmp(g, g0, m * sizeof *g) != 0) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu: g written\n", what, n, m, ldx);
        fail();
    }
    if (memcmp(x_copy, x, count * sizeof *x) != 0 || memcmp(w_copy, w, m * sizeof *w) != 0) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu: X or w written\n", what, n, m, ldx);
        fail();
    }
    check_canaries(buffer, CANARY, what, n, m, ldx);
    check_canaries(g + m, CANARY, what, n, m, ldx);
    free(w_copy);
    free(x_copy);
    free(buffer);
    free(g0);
    free(y);
    free(w);
    free(x);
}

/* sweep_rows and a few around the group size, by sweep_features up to
 * GDI_FUSED_MAX_FEATURES, rows packed and padded. */
static const size_t fused_extra_rows[] = {31, 32, 33, 48};

static void fused_sweep(const fused_path *fp, int with_gradient, unsigned long long seed)
{
    skip_unless_fused_usable(fp);
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    const size_t n_rows_cases = N_ELEMS(sweep_rows) + N_ELEMS(fused_extra_rows);
    for (size_t a = 0; a < n_rows_cases; ++a) {
        const size_t n = a < N_ELEMS(sweep_rows) ? sweep_rows[a]
                                                 : fused_extra_rows[a - N_ELEMS(sweep_rows)];
        for (size_t c = 0; c < N_ELEMS(sweep_features); ++c) {
            const size_t m = sweep_features[c];
            if (m > GDI_FUSED_MAX_FEATURES) {
                continue;
            }
            for (size_t pad = 0; pad <= 3; pad += 3) {
                for (int asks = 0; asks <= 1; ++asks) {
                    check_fused_shape(fp, n, m, m + pad, with_gradient, asks, 0, &rng);
                }
            }
        }
    }
}

static void fused_matches_separate_kernels(const fused_path *fp)
{
    fused_sweep(fp, 1, 51);
}

static void fused_without_gradient(const fused_path *fp)
{
    fused_sweep(fp, 0, 52);
}

/* 40 rows (groups of 16, 16, 8), 50 features: the residual fails on its
 * 2nd call (and, around it, the 1st and the last). */
static void fused_stops_at_residual_error(const fused_path *fp)
{
    skip_unless_fused_usable(fp);
    ts_rng rng;
    ts_rng_seed(&rng, 53);
    for (size_t fail_on = 1; fail_on <= 3; ++fail_on) {
        for (size_t pad = 0; pad <= 3; pad += 3) {
            for (int asks = 0; asks <= 1; ++asks) {
                check_fused_shape(fp, 40, 50, 50 + pad, 1, asks, fail_on, &rng);
                check_fused_shape(fp, 40, 50, 50 + pad, 0, asks, fail_on, &rng);
            }
        }
    }
}

/* X, w and g end at a guard page (feature counts mostly not multiples of
 * 8): the fused pass must not fault (its prefetches past the end of X do
 * not) and gives the bits of the separate kernels. */
static void fused_loads_stop_at_row_end(const fused_path *fp)
{
#if defined(__linux__)
    skip_unless_fused_usable(fp);
    char what[64], what_no_g[64];
    snprintf(what, sizeof what, "%s (guarded)", fp->name);
    snprintf(what_no_g, sizeof what_no_g, "%s (guarded, no g)", fp->name);
    static const size_t rows[] = {1, 7, 8, 9, 16, 17, 33, 65};
    static const size_t features[] = {1, 3, 7, 8, 9, 15, 17, 50, 65, 127, 128};
    ts_rng rng;
    ts_rng_seed(&rng, 54);
    for (size_t a = 0; a < N_ELEMS(rows); ++a) {
        for (size_t c = 0; c < N_ELEMS(features); ++c) {
            for (size_t pad = 0; pad <= 3; pad += 3) {
                const size_t n = rows[a], m = features[c], ldx = m + pad;
                ts_guarded gx, gw, gg;
                ts_guarded_alloc(&gx, x_count(n, m, ldx));
                ts_guarded_alloc(&gw, m);
                ts_guarded_alloc(&gg, m);
                double *y = ts_alloc_doubles(n);
                double *g0 = ts_alloc_doubles(m);
                fill_x(gx.data, n, m, ldx, &rng);
                ts_fill(gw.data, m, -1.0, 1.0, &rng);
                ts_fill(y, n, -1.0, 1.0, &rng);
                fill_g0(g0, m, &rng);
                memcpy(gg.data, g0, m * sizeof *g0);
                for (int asks = 0; asks <= 1; ++asks) {
                    memcpy(gg.data, g0, m * sizeof *g0);
                    check_fused(fp, gx.data, n, m, ldx, gw.data, 0.25, y, g0, gg.data, asks, 0,
                                what);
                    check_fused(fp, gx.data, n, m, ldx, gw.data, 0.25, y, g0, NULL, asks, 0,
                                what_no_g);
                }
                free(g0);
                free(y);
                ts_guarded_free(&gg);
                ts_guarded_free(&gw);
                ts_guarded_free(&gx);
            }
        }
    }
#else
    (void)fp;
    skip();
#endif
}

/* Each check of the fused passes on each path. */
#define FUSED_CASE(path, check, name)                  \
    static void test_row_kernels__##name(void **state) \
    {                                                  \
        (void)state;                                   \
        check(&fused_paths[path]);                     \
    }
FUSED_CASE(FUSED_AVX512, fused_matches_separate_kernels, avx512_fused_matches_separate_kernels)
FUSED_CASE(FUSED_AVX2, fused_matches_separate_kernels, avx2_fused_matches_separate_kernels)
FUSED_CASE(FUSED_DISPATCH, fused_matches_separate_kernels, dispatch_fused_matches_separate_kernels)
FUSED_CASE(FUSED_AVX512, fused_without_gradient, avx512_fused_without_gradient)
FUSED_CASE(FUSED_AVX2, fused_without_gradient, avx2_fused_without_gradient)
FUSED_CASE(FUSED_DISPATCH, fused_without_gradient, dispatch_fused_without_gradient)
FUSED_CASE(FUSED_AVX512, fused_stops_at_residual_error, avx512_fused_stops_at_residual_error)
FUSED_CASE(FUSED_AVX2, fused_stops_at_residual_error, avx2_fused_stops_at_residual_error)
FUSED_CASE(FUSED_DISPATCH, fused_stops_at_residual_error, dispatch_fused_stops_at_residual_error)
FUSED_CASE(FUSED_AVX512, fused_loads_stop_at_row_end, avx512_fused_loads_stop_at_row_end)
FUSED_CASE(FUSED_AVX2, fused_loads_stop_at_row_end, avx2_fused_loads_stop_at_row_end)
FUSED_CASE(FUSED_DISPATCH, fused_loads_stop_at_row_end, dispatch_fused_loads_stop_at_row_end)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_kernels__avx512_affine_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__avx512_xt_r_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__avx2_affine_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__avx2_xt_r_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__blas_affine_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__blas_xt_r_matches_reference_in_bounds),
        cmocka_unit_test(test_row_kernels__tail_loads_stop_at_row_end),
        cmocka_unit_test(test_row_kernels__dispatch_runs_the_usable_path),
        cmocka_unit_test(test_row_kernels__own_loops_block_shape),
        cmocka_unit_test(test_row_kernels__avx512_same_bits_each_call),
        cmocka_unit_test(test_row_kernels__avx2_same_bits_each_call),
        cmocka_unit_test(test_row_kernels__avx512_row_bits_independent_of_grouping),
        cmocka_unit_test(test_row_kernels__avx2_row_bits_independent_of_grouping),
        cmocka_unit_test(test_row_kernels__avx512_fused_matches_separate_kernels),
        cmocka_unit_test(test_row_kernels__avx2_fused_matches_separate_kernels),
        cmocka_unit_test(test_row_kernels__avx512_fused_stops_at_residual_error),
        cmocka_unit_test(test_row_kernels__avx2_fused_stops_at_residual_error),
        cmocka_unit_test(test_row_kernels__avx512_fused_without_gradient),
        cmocka_unit_test(test_row_kernels__avx2_fused_without_gradient),
        cmocka_unit_test(test_row_kernels__avx512_fused_loads_stop_at_row_end),
        cmocka_unit_test(test_row_kernels__avx2_fused_loads_stop_at_row_end),
        cmocka_unit_test(test_row_kernels__dispatch_fused_matches_separate_kernels),
        cmocka_unit_test(test_row_kernels__dispatch_fused_stops_at_residual_error),
        cmocka_unit_test(test_row_kernels__dispatch_fused_without_gradient),
        cmocka_unit_test(test_row_kernels__dispatch_fused_loads_stop_at_row_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
