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
 *    and a row the same bits in a group of 8 rows as alone.
 * A path's checks skip where its usable() is 0 (valgrind: no AVX-512). */
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
static const size_t sweep_features[] = {0,  1,  2,  3,  7,  8,  9,   15,  16,  17,
                                        31, 32, 33, 50, 63, 64, 65, 240, 500, 513};
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
