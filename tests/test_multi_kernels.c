/* The k-output kernels of softmax regression (src/kernels/avx512_multi.c and,
 * where noted, avx2_multi.c):
 *  - Z = XW + 1bᵀ (gdi_avx512_affine_rows_multi, W transposed) and G += XᵀR
 *    (gdi_avx512_accumulate_xt_r_multi, row-major and lanes R) — and the
 *    AVX2 pair's (gdi_avx2_*_multi, row-major R) by the same checks — match a
 *    compensated long-double reference over grids of rows, features, classes
 *    and strides, write nothing around their outputs (canaries, the gap
 *    columns of G's rows), and read nothing past X's last row (X ends at a
 *    PROT_NONE page on Linux; the padding between rows is NaN);
 *  - a prefetch cursor changes no bits, and is given the work that
 *    gdi_avx512_multi_work counts;
 *  - a row's Z is the same bits in a 9-row call as alone;
 *  - on wide rows (Z over panels of features, 16 rows at a time), Z against
 *    the reference and a row's bits alone and among 33 rows;
 *  - gdi_avx512_softmax_lanes: loss, intercept sums and the residual in the
 *    lanes layout against long double, with weights, ties, confident rows and
 *    scores of 1e3;
 *  - end to end, gd_model_softmax's loss_grad against a direct long-double
 *    computation (DESIGN §1), with 1 and 2 threads, at m = 13, 300 and 600,
 *    through the pair onepass.c takes (AVX-512's; AVX2's under valgrind);
 *  - the blocks gdi_block_shape_for gives the k-output loops.
 * An AVX-512 case skips where gdi_avx512_multi_usable() is 0 (valgrind: no
 * AVX-512), an AVX2 one where gdi_avx2_multi_usable() is 0. */
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
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const size_t grid_rows[] = {0, 1, 2, 3, 7, 8, 9, 17, 40};
static const size_t grid_features[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 31, 100};
static const size_t grid_outputs[] = {1, 2, 3, 10, 12, 13, 24, 25, 40};

static void skip_unless_avx512(void)
{
    if (!gdi_avx512_multi_usable()) {
        print_message("AVX-512 kernels not usable here (CPU, build or valgrind): skipped\n");
        skip();
    }
}

/* Which pair the Z and G checks call: avx512_multi.c's (0) or
 * avx2_multi.c's (1), set by the tests' setup and teardown. */
static int isa_avx2;

static int use_avx2(void **state)
{
    (void)state;
    isa_avx2 = 1;
    return 0;
}

static int use_avx512(void **state)
{
    (void)state;
    isa_avx2 = 0;
    return 0;
}

static void skip_unless_isa(void)
{
    if (!isa_avx2) {
        skip_unless_avx512();
    } else if (!gdi_avx2_multi_usable()) {
        print_message("AVX2 kernels not usable here (CPU or build): skipped\n");
        skip();
    }
}

static void z_kernel(const double *x, size_t n, size_t m, size_t ldx, const double *wt,
                     size_t ldw, const double *b, size_t k, double *out, gdi_prefetch *pf)
{
    if (isa_avx2) {
        gdi_avx2_affine_rows_multi(x, n, m, ldx, wt, ldw, b, k, out, pf);
    } else {
        gdi_avx512_affine_rows_multi(x, n, m, ldx, wt, ldw, b, k, out, pf);
    }
}

static void g_kernel(const double *x, size_t n, size_t m, size_t ldx, const double *r, size_t k,
                     int lanes, double *gt, size_t ldg, gdi_prefetch *pf)
{
    if (isa_avx2) {
        assert_false(lanes); /* no lanes layout on the AVX2 path */
        gdi_avx2_accumulate_xt_r_multi(x, n, m, ldx, r, k, gt, ldg, pf);
    } else {
        gdi_avx512_accumulate_xt_r_multi(x, n, m, ldx, r, k, lanes, gt, ldg, pf);
    }
}

static size_t multi_work(size_t n, size_t m, size_t k, int with_gradient)
{
    return isa_avx2 ? gdi_avx2_multi_work(n, m, k, with_gradient)
                    : gdi_avx512_multi_work(n, m, k, with_gradient);
}


static size_t round_up8(size_t n)
{
    return (n + 7) / 8 * 8;
}

/* Doubles of a matrix of n rows of m at stride ld, up to the last row's last
 * value (no padding after it). */
static size_t span(size_t n, size_t m, size_t ld)
{
    return n == 0 ? 0 : (n - 1) * ld + m;
}

/* Uniform in [lo, hi) in the first m of each row, NaN in the padding. */
static void fill_rows(double *v, size_t n, size_t m, size_t ld, double lo, double hi, ts_rng *rng)
{
    const size_t count = span(n, m, ld);
    for (size_t e = 0; e < count; ++e) {
        v[e] = e % ld < m ? ts_rng_uniform(rng, lo, hi) : NAN;
    }
}




typedef struct shape {
    size_t n, m, ldx, k, ld; /* ld: ldw for Z, ldg for G */
} shape;

static void check_close(double got, const ts_ref_sum *ref, const char *what, const shape *s,
                        size_t row, size_t col)
{
    const long double expected = ref->sum + ref->comp;
    const double err = (double)fabsl((long double)got - expected);
    const double bound = TOLERANCE * (double)ref->abs_sum + DBL_MIN;
    if (!(err <= bound)) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu k=%zu ld=%zu [%zu][%zu]: got %.17g, "
                    "expected %.17Lg (|err| %g > %g)\n",
                    what, s->n, s->m, s->ldx, s->k, s->ld, row, col, got, expected, err, bound);
        fail();
    }
}


static void check_canaries(const double *v, size_t n, const char *what, const shape *s)
{
    double expected[CANARY];
    ts_fill_canaries(expected, n);
    if (memcmp(v, expected, n * sizeof *v) != 0) {
        print_error("%s: n_rows=%zu m=%zu ldx=%zu k=%zu ld=%zu wrote outside its output\n", what,
                    s->n, s->m, s->ldx, s->k, s->ld);
        fail();
    }
}

/* A prefetch cursor over a buffer of its own (never the kernels' data). */
enum { PF_DOUBLES = 1 << 17 }; /* 1 MiB: more than any shape here asks for */
static double *pf_buffer;

static gdi_prefetch pf_make(size_t work_per_line)
{
    gdi_prefetch pf;
    memset(&pf, 0, sizeof pf);
    pf.next = (uintptr_t)pf_buffer;
    pf.end = (uintptr_t)(pf_buffer + PF_DOUBLES);
    pf.work_per_line = work_per_line;
    return pf;
}

/* The work reported to a cursor made by pf_make, which never reached its
 * end: the lines it asked for and the credit left over. */
static size_t pf_work(const gdi_prefetch *pf)
{
    assert_true(pf->next < pf->end);
    return (size_t)(pf->next - (uintptr_t)pf_buffer) / 64 * pf->work_per_line + pf->credit;
}

static int setup_pf(void **state)
{
    (void)state;
    pf_buffer = calloc(PF_DOUBLES, sizeof *pf_buffer);
    return pf_buffer == NULL ? -1 : 0;
}

static int teardown_pf(void **state)
{
    (void)state;
    free(pf_buffer);
    return 0;
}

/* ---- Z = XW + 1bᵀ ------------------------------------------------------- */

static void check_z_shape(const shape *s, ts_rng *rng)
{
    const size_t n = s->n, m = s->m, ldx = s->ldx, k = s->k, ldw = s->ld;
    ts_guarded gx, gw;
    ts_guarded_alloc(&gx, span(n, m, ldx));
    ts_guarded_alloc(&gw, span(k, m, ldw));
    double *x = gx.data, *wt = gw.data;
    double *b = ts_alloc_doubles(k);
    double *buffer = ts_alloc_doubles(n * k + 2 * CANARY);
    double *out = buffer + CANARY;
    double *out_pf = ts_alloc_doubles(n * k);
    fill_rows(x, n, m, ldx, -1.0, 1.0, rng);
    fill_rows(wt, k, m, ldw, -1.0, 1.0, rng);
    ts_fill(b, k, -1.0, 1.0, rng);
    ts_fill_canaries(buffer, CANARY);
    ts_fill_canaries(out + n * k, CANARY);
    for (size_t e = 0; e < n * k; ++e) {
        out[e] = NAN; /* an output left unwritten fails below */
    }
    z_kernel(x, n, m, ldx, wt, ldw, b, k, out, NULL);
    for (size_t i = 0; i < n; ++i) {
        for (size_t c = 0; c < k; ++c) {
            ts_ref_sum ref = {0.0L, 0.0L, 0.0L};
            ts_ref_add(&ref, b[c]);
            for (size_t j = 0; j < m; ++j) {
                ts_ref_add(&ref, (long double)x[i * ldx + j] * wt[c * ldw + j]);
            }
            check_close(out[i * k + c], &ref, "Z", s, i, c);
        }
    }
    check_canaries(buffer, CANARY, "Z", s);
    check_canaries(out + n * k, CANARY, "Z", s);
    /* A prefetch cursor over another buffer: the same bits, and the work
     * the contract counts (gdi_avx512_multi_work without the residual's). */
    gdi_prefetch pf = pf_make(3);
    z_kernel(x, n, m, ldx, wt, ldw, b, k, out_pf, &pf);
    if (n > 0 && memcmp(out, out_pf, n * k * sizeof *out) != 0) {
        print_error("Z: n_rows=%zu m=%zu k=%zu: other bits with a prefetch cursor\n", n, m, k);
        fail();
    }
    const size_t z_work = multi_work(n, m, k, 0) - (n + 7) / 8 * 4 * k;
    assert_int_equal(pf_work(&pf), z_work);
    free(out_pf);
    free(buffer);
    free(b);
    ts_guarded_free(&gw);
    ts_guarded_free(&gx);
}

/* Every shape of the grids (rows, features, classes), with X's rows m or
 * m + 3 apart and W's (or G's) rows m rounded up to 8 or m + 5 apart, in
 * that order, through check(shape, lanes, rng) from one seed. */
static void sweep_grid_shapes(unsigned long long seed, int lanes,
                              void (*check)(const shape *, int, ts_rng *))
{
    skip_unless_isa();
    ts_rng rng;
    ts_rng_seed(&rng, seed);
    for (size_t a = 0; a < N_ELEMS(grid_rows); ++a) {
        for (size_t f = 0; f < N_ELEMS(grid_features); ++f) {
            for (size_t o = 0; o < N_ELEMS(grid_outputs); ++o) {
                const size_t n = grid_rows[a], m = grid_features[f], k = grid_outputs[o];
                const size_t lds[2] = {round_up8(m), m + 5};
                for (size_t pad = 0; pad <= 3; pad += 3) {
                    for (size_t w = 0; w < (m > 0 ? 2u : 1u); ++w) {
                        const shape s = {n, m, m + pad, k, lds[w] == 0 ? 1 : lds[w]};
                        check(&s, lanes, &rng);
                    }
                }
            }
        }
    }
}

static void check_z_any(const shape *s, int lanes, ts_rng *rng)
{
    (void)lanes;
    check_z_shape(s, rng);
}

static void test_multi_kernels__z_matches_reference_in_bounds(void **state)
{
    (void)state;
    sweep_grid_shapes(101, 0, check_z_any);
}

/* Z of `rows` rows (stride ldx) in one call against each row alone: the
 * same bits, whatever pairs, chunks or panels the call cuts them into. */
static void check_rows_alone(size_t rows, size_t m, size_t ldx, size_t k, ts_rng *rng)
{
    const size_t ldw = round_up8(m);
    double *x = ts_alloc_doubles(span(rows, m, ldx));
    double *wt = ts_alloc_doubles(span(k, m, ldw));
    double *b = ts_alloc_doubles(k), *grouped = ts_alloc_doubles(rows * k);
    double *alone = ts_alloc_doubles(k);
    fill_rows(x, rows, m, ldx, -1.0, 1.0, rng);
    fill_rows(wt, k, m, ldw, -1.0, 1.0, rng);
    ts_fill(b, k, -1.0, 1.0, rng);
    z_kernel(x, rows, m, ldx, wt, ldw, b, k, grouped, NULL);
    for (size_t i = 0; i < rows; ++i) {
        z_kernel(x + i * ldx, 1, m, ldx, wt, ldw, b, k, alone, NULL);
        if (memcmp(alone, grouped + i * k, k * sizeof *alone) != 0) {
            print_error("Z: m=%zu k=%zu row %zu: other bits alone than in a %zu-row call\n", m,
                        k, i, rows);
            fail();
        }
    }
    free(alone);
    free(grouped);
    free(b);
    free(wt);
    free(x);
}

/* A row's outputs are the same bits in a 9-row call (4 pairs and a leftover)
 * as alone: block and chunk boundaries do not change results. */
static void test_multi_kernels__z_row_bits_independent_of_grouping(void **state)
{
    (void)state;
    skip_unless_isa();
    static const size_t features[] = {1, 5, 8, 13, 50, 67};
    static const size_t outputs[] = {1, 3, 10, 12, 13, 25, 40};
    ts_rng rng;
    ts_rng_seed(&rng, 4343);
    for (size_t f = 0; f < N_ELEMS(features); ++f) {
        for (size_t o = 0; o < N_ELEMS(outputs); ++o) {
            check_rows_alone(9, features[f], features[f] + 1, outputs[o], &rng);
        }
    }
}

/* Wide rows, where a group's weights exceed L1 and Z runs in panels of
 * features over 16 rows at a time (avx512_multi.c, Z_PANELS_ABOVE): against
 * the reference as above, and a row's bits the same alone as among 33 rows
 * (pairs, chunks of 16 and a leftover row). */
static void test_multi_kernels__z_wide_rows_in_panels(void **state)
{
    (void)state;
    skip_unless_isa();
    static const size_t rows[] = {1, 2, 3, 17, 33};
    static const size_t features[] = {569, 600, 1000};
    static const size_t outputs[] = {10, 12, 24};
    ts_rng rng;
    ts_rng_seed(&rng, 6161);
    for (size_t f = 0; f < N_ELEMS(features); ++f) {
        for (size_t o = 0; o < N_ELEMS(outputs); ++o) {
            const size_t m = features[f], k = outputs[o];
            for (size_t a = 0; a < N_ELEMS(rows); ++a) {
                /* Within the prefetch buffer of check_z_shape's cursor. */
                if (multi_work(rows[a], m, k, 0) < 45000) {
                    const shape s = {rows[a], m, m + 3, k, round_up8(m)};
                    check_z_shape(&s, &rng);
                }
            }
            check_rows_alone(33, m, m + 3, k, &rng);
        }
    }
}

/* Z straight into the residual's lanes layout (gdi_avx512_affine_rows_multi_lanes):
 * where it applies — one group of classes (k ≤ 12) and no panels of features
 * (a group's full vectors of W within 44 KiB: m ≤ 567 at k = 10) — each row's
 * outputs are the bits of the row-major Z, at their place in the layout, with
 * nothing written past the last group's 8·k doubles and the work reported as
 * the row-major Z's; elsewhere it does nothing and returns 0. */
static size_t lanes_index(size_t i, size_t c, size_t k)
{
    const size_t g = i / 8 * 8;
    return g * k + 8 * c + (i - g);
}

static void test_multi_kernels__z_lanes_same_bits_as_row_major(void **state)
{
    (void)state;
    skip_unless_avx512();
    static const size_t rows[] = {1, 2, 7, 8, 9, 13, 16, 17, 40};
    static const size_t features[] = {1, 5, 8, 13, 100, 471, 472, 567, 568};
    static const size_t outputs[] = {1, 2, 3, 10, 12, 13};
    ts_rng rng;
    ts_rng_seed(&rng, 7373);
    for (size_t f = 0; f < N_ELEMS(features); ++f) {
        for (size_t o = 0; o < N_ELEMS(outputs); ++o) {
            for (size_t a = 0; a < N_ELEMS(rows); ++a) {
                const size_t n = rows[a], m = features[f], k = outputs[o];
                const size_t ldx = m + 3, ldw = round_up8(m), room = round_up8(n) * k;
                const shape s = {n, m, ldx, k, ldw};
                double *x = ts_alloc_doubles(span(n, m, ldx));
                double *wt = ts_alloc_doubles(span(k, m, ldw));
                double *b = ts_alloc_doubles(k), *row_major = ts_alloc_doubles(n * k);
                double *buffer = ts_alloc_doubles(room + CANARY);
                fill_rows(x, n, m, ldx, -1.0, 1.0, &rng);
                fill_rows(wt, k, m, ldw, -1.0, 1.0, &rng);
                ts_fill(b, k, -1.0, 1.0, &rng);
                ts_fill_canaries(buffer + room, CANARY);
                gdi_avx512_affine_rows_multi(x, n, m, ldx, wt, ldw, b, k, row_major, NULL);
                gdi_prefetch pf = pf_make(3);
                const int applies = k <= 12 && m / 8 * 8 <= 45056 / sizeof(double) / k;
                const int done =
                    gdi_avx512_affine_rows_multi_lanes(x, n, m, ldx, wt, ldw, b, k, buffer, &pf);
                if (done != applies) {
                    print_error("Z lanes: m=%zu k=%zu: returned %d\n", m, k, done);
                    fail();
                }
                for (size_t i = 0; done && i < n; ++i) {
                    for (size_t c = 0; c < k; ++c) {
                        if (memcmp(&buffer[lanes_index(i, c, k)], &row_major[i * k + c],
                                   sizeof *buffer) != 0) {
                            print_error("Z lanes: n=%zu m=%zu k=%zu row %zu class %zu: %a, "
                                        "row-major %a\n",
                                        n, m, k, i, c, buffer[lanes_index(i, c, k)],
                                        row_major[i * k + c]);
                            fail();
                        }
                    }
                }
                if (done) {
                    check_canaries(buffer + room, CANARY, "Z lanes", &s);
                    assert_int_equal(pf_work(&pf),
                                     gdi_avx512_multi_work(n, m, k, 0) - (n + 7) / 8 * 4 * k);
                }
                free(buffer);
                free(row_major);
                free(b);
                free(wt);
                free(x);
            }
        }
    }
}

/* ---- G += XᵀR -------------------------------------------------------------- */

/* R[i][c] of n rows × k in r: row-major, or the lanes layout (kernels.h,
 * above GDI_LANES_MAX_OUTPUTS): groups of 8 rows from row 0, class c of a
 * group in 8 consecutive doubles at 8·c, a last short group padded to 8. */
static size_t r_index(size_t i, size_t c, size_t k, int lanes)
{
    if (!lanes) {
        return i * k + c;
    }
    const size_t g = i / 8 * 8;
    return g * k + 8 * c + (i - g);
}

/* Doubles R takes: n_rows × k, or in the lanes layout n_rows rounded up to 8
 * times k. */
static size_t r_count(size_t n, size_t k, int lanes)
{
    return (lanes ? round_up8(n) : n) * k;
}

#define GAP_VALUE 777.25

static void check_g_shape(const shape *s, int lanes, ts_rng *rng)
{
    const size_t n = s->n, m = s->m, ldx = s->ldx, k = s->k, ldg = s->ld;
    const char *what = lanes ? "G (lanes R)" : "G (row-major R)";
    ts_guarded gx;
    ts_guarded_alloc(&gx, span(n, m, ldx));
    double *x = gx.data;
    const size_t r_size = r_count(n, k, lanes);
    double *r = ts_alloc_doubles(r_size);
    double *g0 = ts_alloc_doubles(k * ldg);
    double *buffer = ts_alloc_doubles(k * ldg + 2 * CANARY);
    double *gt = buffer + CANARY;
    double *gt_pf = ts_alloc_doubles(k * ldg);
    fill_rows(x, n, m, ldx, -1.0, 1.0, rng);
    /* NaN in the lanes layout's padding past the last row: never read. */
    for (size_t e = 0; e < r_size; ++e) {
        r[e] = NAN;
    }
    for (size_t i = 0; i < n; ++i) {
        for (size_t c = 0; c < k; ++c) {
            r[r_index(i, c, k, lanes)] = ts_rng_uniform(rng, -1.0, 1.0);
        }
    }
    for (size_t e = 0; e < k * ldg; ++e) {
        const double v = ts_rng_uniform(rng, 0.5, 1.5);
        g0[e] = e % ldg >= m ? GAP_VALUE : ts_rng_uniform(rng, 0.0, 1.0) < 0.5 ? -v : v;
    }
    ts_fill_canaries(buffer, CANARY);
    ts_fill_canaries(gt + k * ldg, CANARY);
    memcpy(gt, g0, k * ldg * sizeof *gt);
    memcpy(gt_pf, g0, k * ldg * sizeof *gt);
    g_kernel(x, n, m, ldx, r, k, lanes, gt, ldg, NULL);
    for (size_t c = 0; c < k; ++c) {
        for (size_t j = 0; j < m; ++j) {
            ts_ref_sum ref = {0.0L, 0.0L, 0.0L};
            ts_ref_add(&ref, g0[c * ldg + j]);
            for (size_t i = 0; i < n; ++i) {
                ts_ref_add(&ref, (long double)x[i * ldx + j] * r[r_index(i, c, k, lanes)]);
            }
            check_close(gt[c * ldg + j], &ref, what, s, c, j);
        }
        for (size_t j = m; j < ldg; ++j) {
            if (memcmp(&gt[c * ldg + j], &g0[c * ldg + j], sizeof *gt) != 0) {
                print_error("%s: n_rows=%zu m=%zu k=%zu ldg=%zu: gap column %zu of row %zu "
                            "written\n",
                            what, n, m, k, ldg, j, c);
                fail();
            }
        }
    }
    check_canaries(buffer, CANARY, what, s);
    check_canaries(gt + k * ldg, CANARY, what, s);
    gdi_prefetch pf = pf_make(3);
    g_kernel(x, n, m, ldx, r, k, lanes, gt_pf, ldg, &pf);
    if (memcmp(gt, gt_pf, k * ldg * sizeof *gt) != 0) {
        print_error("%s: n_rows=%zu m=%zu k=%zu: other bits with a prefetch cursor\n", what, n,
                    m, k);
        fail();
    }
    const size_t g_work = multi_work(n, m, k, 1) - multi_work(n, m, k, 0);
    assert_int_equal(pf_work(&pf), g_work);
    free(gt_pf);
    free(buffer);
    free(g0);
    free(r);
    ts_guarded_free(&gx);
}

static void test_multi_kernels__g_row_major_matches_reference_in_bounds(void **state)
{
    (void)state;
    sweep_grid_shapes(201, 0, check_g_shape);
}

static void test_multi_kernels__g_lanes_matches_reference_in_bounds(void **state)
{
    (void)state;
    sweep_grid_shapes(202, 1, check_g_shape);
}

/* ---- The softmax residual in the lanes layout ------------------------------ */

enum { SM_K_MAX = 128, SM_ROWS_MAX = 64 }; /* SM_K_MAX: GDI_LANES_MAX_OUTPUTS */

/* How a case's scores are drawn. */
enum score_kind { SCORES_PLAIN, SCORES_TIES, SCORES_CONFIDENT, SCORES_LARGE, SCORES_MIXED };

static void make_scores(double *z, size_t *label, size_t n, size_t k, enum score_kind kind,
                        ts_rng *rng)
{
    for (size_t i = 0; i < n; ++i) {
        double *row = z + i * k;
        label[i] = (size_t)ts_rng_uniform(rng, 0.0, (double)k) % k;
        enum score_kind row_kind = kind;
        if (kind == SCORES_MIXED) {
            row_kind = (enum score_kind)(i % 4);
        }
        switch (row_kind) {
        case SCORES_PLAIN:
            ts_fill(row, k, -4.0, 4.0, rng);
            break;
        case SCORES_TIES: {
            /* Two equal largest scores; the label one of them on odd rows. */
            ts_fill(row, k, -4.0, 2.0, rng);
            const size_t a = i % k, b = (a + 1 + i / 3 % (k - 1)) % k;
            row[a] = 3.5;
            row[b] = 3.5;
            if (i % 2 == 1) {
                label[i] = b;
            }
            break;
        }
        case SCORES_CONFIDENT:
            /* The label far ahead: loss ≈ (k − 1)·e^−gap, tiny. */
            for (size_t c = 0; c < k; ++c) {
                row[c] = c == label[i] ? 0.0 : -700.0 + ts_rng_uniform(rng, -1.0, 1.0);
            }
            if (i % 3 == 1) {
                for (size_t c = 0; c < k; ++c) {
                    row[c] = c == label[i] ? 0.0 : -30.0 - (double)c;
                }
            }
            break;
        default: /* SCORES_LARGE */
            ts_fill(row, k, -1000.0, 1000.0, rng);
            break;
        }
    }
}

typedef struct softmax_ref {
    long double loss, loss_abs;
    long double intercept[SM_K_MAX], intercept_abs[SM_K_MAX];
    long double residual[SM_ROWS_MAX * SM_K_MAX]; /* lanes layout, 0 in its padding */
} softmax_ref;

static void softmax_reference(const double *z, size_t n, size_t k, const size_t *label,
                              const double *weights, softmax_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    for (size_t i = 0; i < n; ++i) {
        const double *row = z + i * k;
        const long double s = weights != NULL ? weights[i] : 1.0L;
        long double max = row[0];
        for (size_t c = 1; c < k; ++c) {
            max = row[c] > max ? row[c] : max;
        }
        long double sum = 0.0L, others = 0.0L;
        for (size_t c = 0; c < k; ++c) {
            const long double e = expl((long double)row[c] - max);
            sum += e;
            if (c != label[i]) {
                others += expl((long double)row[c] - row[label[i]]);
            }
        }
        /* logsumexp − z_label = log(1 + Σ_{c≠label} e^(z_c − z_label)):
         * accurate also when the loss is tiny. */
        const long double loss_i = (long double)row[label[i]] == max && others < 1.0L
                                       ? log1pl(others)
                                       : max + logl(sum) - row[label[i]];
        ref->loss += s * loss_i;
        ref->loss_abs += fabsl(s * loss_i);
        for (size_t c = 0; c < k; ++c) {
            const long double p = expl((long double)row[c] - max) / sum;
            const long double res = s * (p - (c == label[i] ? 1.0L : 0.0L));
            ref->intercept[c] += res;
            ref->intercept_abs[c] += s * (p + (c == label[i] ? 1.0L : 0.0L));
            ref->residual[r_index(i, c, k, 1)] = res;
        }
    }
}

static void softmax_case(size_t n, size_t k, enum score_kind kind, int weighted, int with_icpt,
                         double loss_start, ts_rng *rng)
{
    /* Static: a quarter of a MiB in all at k = 128 (one test thread). */
    static double buffer[SM_ROWS_MAX * SM_K_MAX + CANARY];
    static double z0[SM_ROWS_MAX * SM_K_MAX];
    static softmax_ref ref;
    double weights[SM_ROWS_MAX], icpt0[SM_K_MAX], icpt[SM_K_MAX];
    size_t label[SM_ROWS_MAX];
    double *z = buffer;
    /* z has room for whole groups of 8 rows (kernels.h); the lanes layout
     * leaves 0 past the last row. */
    const size_t z_size = round_up8(n) * k;
    make_scores(z0, label, n, k, kind, rng);
    ts_fill(weights, n, 0.1, 3.0, rng);
    ts_fill(icpt0, k, -2.0, 2.0, rng);
    memcpy(icpt, icpt0, sizeof icpt);
    memcpy(z, z0, n * k * sizeof *z);
    for (size_t e = n * k; e < z_size; ++e) {
        z[e] = NAN; /* the room past the last row: never read */
    }
    ts_fill_canaries(z + z_size, CANARY);
    const double *s = weighted ? weights : NULL;
    softmax_reference(z0, n, k, label, s, &ref);
    double y[SM_ROWS_MAX]; /* the labels as the kernel takes them */
    for (size_t i = 0; i < n; ++i) {
        y[i] = (double)label[i];
    }
    double loss = loss_start;
    gdi_prefetch pf = pf_make(3);
    assert_int_equal(gdi_avx512_softmax_lanes(z, n, k, y, s, &loss, with_icpt ? icpt : NULL, &pf),
                     1);
    /* The residual's share of gdi_avx512_multi_work (with m = 0, all of it). */
    assert_int_equal(pf_work(&pf), gdi_avx512_multi_work(n, 0, k, 0));
    const shape sh = {n, k, k, k, k};
    check_canaries(z + z_size, CANARY, "softmax lanes", &sh);
    /* The loss: relative 1e-13 of its terms (1e-12 for confident rows,
     * whose tiny loss must not be lost to cancellation). */
    const long double expected_loss = loss_start + ref.loss;
    const double loss_bound = 1e-12 * (double)(fabs(loss_start) + ref.loss_abs) + DBL_TRUE_MIN;
    if (!((double)fabsl((long double)loss - expected_loss) <= loss_bound)) {
        print_error("softmax lanes: n_rows=%zu k=%zu kind=%d weighted=%d: loss %.17g, expected "
                    "%.17Lg\n",
                    n, k, (int)kind, weighted, loss, expected_loss);
        fail();
    }
    for (size_t e = 0; e < z_size; ++e) {
        const double scale = weighted ? 3.0 : 1.0;
        if (!((double)fabsl((long double)z[e] - ref.residual[e]) <= 1e-13 * scale)) {
            print_error("softmax lanes: n_rows=%zu k=%zu kind=%d: z[%zu] = %.17g, expected "
                        "%.17Lg (lanes layout)\n",
                        n, k, (int)kind, e, z[e], ref.residual[e]);
            fail();
        }
    }
    for (size_t c = 0; c < k; ++c) {
        if (!with_icpt) {
            assert_memory_equal(&icpt[c], &icpt0[c], sizeof *icpt);
            continue;
        }
        const long double expected = icpt0[c] + ref.intercept[c];
        const double bound = 1e-13 * (double)(fabs(icpt0[c]) + ref.intercept_abs[c]);
        if (!((double)fabsl((long double)icpt[c] - expected) <= bound)) {
            print_error("softmax lanes: n_rows=%zu k=%zu kind=%d: intercept[%zu] = %.17g, "
                        "expected %.17Lg\n",
                        n, k, (int)kind, c, icpt[c], expected);
            fail();
        }
    }
}

static void test_multi_kernels__softmax_lanes_matches_reference(void **state)
{
    (void)state;
    skip_unless_avx512();
    static const size_t classes[] = {2, 3, 8, 9, 10, 16, 31, 32, 33, 64, 100, 128};
    static const size_t rows[] = {1, 7, 8, 9, 23, 64};
    static const enum score_kind kinds[] = {SCORES_PLAIN, SCORES_TIES, SCORES_LARGE,
                                            SCORES_MIXED};
    ts_rng rng;
    ts_rng_seed(&rng, 303);
    for (size_t o = 0; o < N_ELEMS(classes); ++o) {
        for (size_t a = 0; a < N_ELEMS(rows); ++a) {
            for (size_t t = 0; t < N_ELEMS(kinds); ++t) {
                for (int variant = 0; variant < 4; ++variant) {
                    softmax_case(rows[a], classes[o], kinds[t], variant & 1, variant >> 1, 2.75,
                                 &rng);
                }
            }
        }
    }
}

/* A label that is not a whole number in [0, k) — in any row of a group,
 * also the last row of a short group — makes the kernel return 0; the
 * rows' other lanes (past the last row) are never checked. */
static void test_multi_kernels__softmax_lanes_refuses_bad_labels(void **state)
{
    (void)state;
    skip_unless_avx512();
    static const double bad[] = {-1.0, 3.0, 0.5, 2.5, NAN, INFINITY, -INFINITY, 1e300};
    /* Up to 130 rows: a bad label in the second and third 64-row piece. */
    static const size_t counts[] = {1, 10, 19, 75, 130};
    for (size_t b = 0; b < N_ELEMS(bad); ++b) {
        for (size_t ci = 0; ci < N_ELEMS(counts); ++ci) {
            const size_t n = counts[ci];
            for (size_t at = 0; at < n; at += n > 1 ? n - 1 : 1) {
                double z[136 * 3] = {0.0};
                double y[136] = {0.0};
                y[at] = bad[b];
                double loss = 0.0;
                if (gdi_avx512_softmax_lanes(z, n, 3, y, NULL, &loss, NULL, NULL) != 0) {
                    print_error("label %g at row %zu of %zu accepted\n", bad[b], at, n);
                    fail();
                }
            }
        }
    }
    /* Whole numbers in range, −0 included, pass; the lanes past n_rows
     * hold garbage that is never looked at. */
    double z[8 * 3] = {0.0};
    double y[8] = {-0.0, 1.0, 2.0, NAN, NAN, NAN, NAN, NAN};
    double loss = 0.0;
    assert_int_equal(gdi_avx512_softmax_lanes(z, 3, 3, y, NULL, &loss, NULL, NULL), 1);
}

/* Rows whose label is far ahead: the loss (≈ 2e−304 to 1e−13 a row) accurate
 * to relative 1e-12 against long double, so *loss starts at 0 here. */
static void test_multi_kernels__softmax_lanes_confident_rows(void **state)
{
    (void)state;
    skip_unless_avx512();
    static const size_t classes[] = {2, 3, 9, 32, 128};
    static const size_t rows[] = {1, 8, 9, 23};
    ts_rng rng;
    ts_rng_seed(&rng, 404);
    for (size_t o = 0; o < N_ELEMS(classes); ++o) {
        for (size_t a = 0; a < N_ELEMS(rows); ++a) {
            for (int variant = 0; variant < 4; ++variant) {
                softmax_case(rows[a], classes[o], SCORES_CONFIDENT, variant & 1, variant >> 1,
                             0.0, &rng);
            }
        }
    }
    /* 0, −700, −700: loss 2e^−700, a normal double. */
    double z[3 * 8] = {0.0, -700.0, -700.0}; /* room for a group of 8 rows */
    const double label = 0.0;
    double loss = 0.0;
    assert_int_equal(gdi_avx512_softmax_lanes(z, 1, 3, &label, NULL, &loss, NULL, NULL), 1);
    const long double expected = log1pl(2.0L * expl(-700.0L));
    assert_true(expected > 0.0L);
    assert_true(fabsl((long double)loss - expected) <= 1e-12L * expected);
}

/* ---- End to end: gd_model_softmax's loss_grad ------------------------------ */

/* m = 13: blocks of 256 rows (GDI_BLOCK_ELEMS, capped at GDI_BLOCK_ROWS;
 * 248 at k = 130, GDI_MULTI_Z_MAX); 203 rows are one block, not a multiple
 * of 8, on one thread whatever n_threads (gdi_threads_for: too little
 * work); 2003 rows make several blocks, and two threads for k ≥ 13 where
 * the machine has two CPUs. k = 130 is above GDI_LANES_MAX_OUTPUTS: the
 * residual row by row between the k-output loops. m = 300: blocks of 104
 * rows (GDI_MULTI_WIDE_ELEMS), several of them and a short last one either
 * way; m = 600, k = 10: blocks of 48 rows, Z in panels of features. Rows
 * are m + 3 apart, the padding NaN. */
enum { E2E_ROWS_MAX = 2003, E2E_M_MAX = 600, E2E_K_MAX = 130, E2E_PAD = 3 };

/* DESIGN §1 by plain loops in long double: the loss, and the gradient with
 * for each component the scale Σ|terms| its tolerance is taken against. */
static long double direct_loss_grad(const double *x, const double *y, const double *weights,
                                    size_t n, size_t m, size_t k, double l2, const double *theta,
                                    long double *grad, long double *grad_scale)
{
    const size_t ldx = m + E2E_PAD, p = (m + 1) * k;
    long double sum = 0.0L, total = 0.0L;
    for (size_t e = 0; e < p; ++e) {
        grad[e] = 0.0L;
        grad_scale[e] = 0.0L;
    }
    for (size_t i = 0; i < n; ++i) {
        const double *row = x + i * ldx;
        const size_t label = (size_t)y[i];
        const long double s = weights != NULL ? weights[i] : 1.0L;
        long double z[E2E_K_MAX] = {0.0L}, max = -INFINITY, lse = 0.0L;
        assert_true(label < k);
        for (size_t c = 0; c < k; ++c) {
            z[c] = theta[c];
            for (size_t j = 0; j < m; ++j) {
                z[c] += (long double)theta[(j + 1) * k + c] * row[j];
            }
            max = z[c] > max ? z[c] : max;
        }
        for (size_t c = 0; c < k; ++c) {
            lse += expl(z[c] - max);
        }
        lse = max + logl(lse);
        sum += s * (lse - z[label]);
        total += s;
        for (size_t c = 0; c < k; ++c) {
            const long double p_c = expl(z[c] - lse);
            const long double res = s * (p_c - (c == label ? 1.0L : 0.0L));
            const long double res_abs = s * (p_c + (c == label ? 1.0L : 0.0L));
            grad[c] += res;
            grad_scale[c] += res_abs;
            for (size_t j = 0; j < m; ++j) {
                grad[(j + 1) * k + c] += res * row[j];
                grad_scale[(j + 1) * k + c] += res_abs * fabsl((long double)row[j]);
            }
        }
    }
    long double penalty = 0.0L;
    for (size_t e = 0; e < p; ++e) {
        grad[e] /= total;
        grad_scale[e] /= total;
        if (e >= k) {
            penalty += 0.5L * l2 * (long double)theta[e] * theta[e];
            grad[e] += l2 * (long double)theta[e];
            grad_scale[e] += fabsl(l2 * (long double)theta[e]);
        }
    }
    return sum / total + penalty;
}

static void model_run(gd_model *model, const double *theta, const gd_data *data, double *loss,
                      double *grad)
{
    const size_t work_doubles = model->work_size(model, data->n_rows);
    assert_true(work_doubles != SIZE_MAX);
    double *work = ts_alloc_doubles(work_doubles);
    *loss = NAN;
    assert_int_equal(model->loss_grad(model, theta, data, loss, grad, work), GD_OK);
    free(work);
}

static void test_multi_kernels__softmax_model_matches_direct(void **state)
{
    (void)state;
    /* Through whichever pair onepass.c takes here: AVX-512's, else AVX2's
     * (under valgrind, which has no AVX-512). */
    if (!gdi_avx512_multi_usable() && !gdi_avx2_multi_usable()) {
        print_message("neither k-output pair usable here (CPU or build): skipped\n");
        skip();
    }
    static const size_t shapes[][2] = {/* m, k */
                                       {13, 3},   {13, 10}, {13, 13}, {13, 40}, {13, 130},
                                       {300, 3}, {300, 10}, {300, 13}, {600, 10}};
    static const size_t rows[] = {203, E2E_ROWS_MAX};
    const double l2 = 0.125;
    const size_t p_max = (E2E_M_MAX + 1) * E2E_K_MAX;
    double *x = ts_alloc_doubles(E2E_ROWS_MAX * (E2E_M_MAX + E2E_PAD));
    double *y = ts_alloc_doubles(E2E_ROWS_MAX), *weights = ts_alloc_doubles(E2E_ROWS_MAX);
    double *theta = ts_alloc_doubles(p_max), *grad1 = ts_alloc_doubles(p_max);
    double *grad1b = ts_alloc_doubles(p_max), *grad2 = ts_alloc_doubles(p_max);
    long double *grad_ref = calloc(p_max, sizeof *grad_ref);
    long double *grad_scale = calloc(p_max, sizeof *grad_scale);
    assert_non_null(grad_ref);
    assert_non_null(grad_scale);
    ts_rng rng;
    ts_rng_seed(&rng, 505);
    int two_threads_seen = 0;
    for (size_t a = 0; a < N_ELEMS(rows); ++a) {
        for (size_t o = 0; o < N_ELEMS(shapes); ++o) {
            const size_t n = rows[a], m = shapes[o][0], k = shapes[o][1], p = (m + 1) * k;
            const size_t ldx = m + E2E_PAD;
            if (m > 13) {
                assert_true(gdi_block_shape_for(m, k).rows < n); /* several blocks */
            }
            fill_rows(x, n, m, ldx, -2.0, 2.0, &rng);
            for (size_t i = 0; i < n; ++i) {
                for (size_t j = m; j < ldx; ++j) {
                    x[i * ldx + j] = NAN; /* the padding, also past the last row */
                }
                y[i] = (double)((size_t)ts_rng_uniform(&rng, 0.0, (double)k) % k);
                weights[i] = ts_rng_uniform(&rng, 0.1, 3.0);
            }
            ts_fill(theta, p, -0.8, 0.8, &rng);
            if (m > 13) { /* scores of a few units, as at m = 13 */
                for (size_t e = k; e < p; ++e) {
                    theta[e] *= 0.2;
                }
            }
            for (int weighted = 0; weighted <= 1; ++weighted) {
                gd_data data;
                gd_data_init(&data, x, n, m, y);
                data.ldx = ldx;
                data.weights = weighted ? weights : NULL;
                const long double loss_ref = direct_loss_grad(x, y, data.weights, n, m, k, l2,
                                                              theta, grad_ref, grad_scale);
                two_threads_seen |= gdi_threads_for(2, n, m * k) == 2;
                gd_model model;
                assert_int_equal(gd_model_softmax(&model, m, k, l2), GD_OK);
                double loss1, loss1b, loss2;
                model.n_threads = 1;
                model_run(&model, theta, &data, &loss1, grad1);
                model_run(&model, theta, &data, &loss1b, grad1b);
                model.n_threads = 2;
                model_run(&model, theta, &data, &loss2, grad2);
                if (!((double)fabsl((long double)loss1 - loss_ref) <= 1e-13 * (double)loss_ref)) {
                    print_error("model n=%zu m=%zu k=%zu weighted=%d: loss %.17g, direct %.17Lg\n",
                                n, m, k, weighted, loss1, loss_ref);
                    fail();
                }
                for (size_t e = 0; e < p; ++e) {
                    const double bound = 1e-13 * (double)grad_scale[e] + DBL_MIN;
                    if (!((double)fabsl((long double)grad1[e] - grad_ref[e]) <= bound)) {
                        print_error("model n=%zu m=%zu k=%zu weighted=%d: grad[%zu] = %.17g, "
                                    "direct %.17Lg (bound %g)\n",
                                    n, m, k, weighted, e, grad1[e], grad_ref[e], bound);
                        fail();
                    }
                    if (!((double)fabsl((long double)grad2[e] - grad_ref[e]) <= bound)) {
                        print_error("model n=%zu m=%zu k=%zu weighted=%d, 2 threads: grad[%zu] = "
                                    "%.17g, direct %.17Lg\n",
                                    n, m, k, weighted, e, grad2[e], grad_ref[e]);
                        fail();
                    }
                    assert_true(fabs(grad2[e] - grad1[e]) <= bound);
                }
                assert_memory_equal(&loss1, &loss1b, sizeof loss1);
                assert_memory_equal(grad1, grad1b, p * sizeof *grad1);
                assert_true(ts_rel_diff(loss2, loss1) <= 1e-13);
            }
        }
    }
    if (!two_threads_seen) {
        print_message("one CPU only: n_threads = 2 ran on one thread here\n");
    }
    free(grad_scale);
    free(grad_ref);
    free(grad2);
    free(grad1b);
    free(grad1);
    free(theta);
    free(weights);
    free(y);
    free(x);
}

/* The blocks of the k-output loops (gdi_block_shape_for, affine.c): whole
 * groups of 8 rows where 8 rows fit, never more X than the larger of
 * GDI_BLOCK_ELEMS and GDI_MULTI_WIDE_ELEMS unless 8 rows do not fit those
 * (then at most 8, in GDI_AVX512_BLOCK_MAX), never more Z than
 * GDI_MULTI_Z_MAX, and at least GDI_MULTI_MIN_ROWS rows wherever those fit
 * both: G's accumulators go through memory once per block. */
static void test_multi_kernels__block_shape(void **state)
{
    (void)state;
    if (!gdi_avx512_multi_usable() && !gdi_avx2_multi_usable()) {
        print_message("neither k-output pair usable here (CPU or build): skipped\n");
        skip();
    }
    static const size_t features[] = {1, 8, 13, 100, 128, 129, 200, 300, 784, 1024, 1025, 2000,
                                      4096, 5000, 16384, 16385, 200000};
    static const size_t classes[] = {2, 10, 40, 1000, 5000, 100000};
    const size_t x_max =
        GDI_BLOCK_ELEMS > GDI_MULTI_WIDE_ELEMS ? GDI_BLOCK_ELEMS : GDI_MULTI_WIDE_ELEMS;
    for (size_t a = 0; a < N_ELEMS(features); ++a) {
        for (size_t b = 0; b < N_ELEMS(classes); ++b) {
            const size_t m = features[a], k = classes[b];
            const gdi_block_shape block = gdi_block_shape_for(m, k);
            const size_t rows = block.rows;
            assert_int_equal(block.panel, m);
            assert_true(rows >= 1 && rows <= GDI_BLOCK_ROWS);
            assert_true(rows == 1 || rows * k <= GDI_MULTI_Z_MAX);
            if (rows > 8) {
                assert_true(rows * m <= x_max);
            } else {
                assert_true(rows == 1 || rows * m <= GDI_AVX512_BLOCK_MAX);
            }
            if (8 * m <= GDI_AVX512_BLOCK_MAX && 8 * k <= GDI_MULTI_Z_MAX) {
                assert_int_equal(rows % 8, 0);
            }
            if (GDI_MULTI_MIN_ROWS * m <= x_max && GDI_MULTI_MIN_ROWS * k <= GDI_MULTI_Z_MAX) {
                if (rows < GDI_MULTI_MIN_ROWS) {
                    print_error("m=%zu k=%zu: %zu rows a block\n", m, k, rows);
                    fail();
                }
            }
            /* Narrow rows keep the 32 KiB blocks; wide ones fill 256 KiB, in
             * whole groups of 8 rows, unless a cap (rows, Z) comes first. */
            if (GDI_MULTI_MIN_ROWS * m <= GDI_BLOCK_ELEMS) {
                assert_true(rows * m <= GDI_BLOCK_ELEMS);
            } else if (8 * m <= GDI_MULTI_WIDE_ELEMS) {
                size_t fill = GDI_MULTI_WIDE_ELEMS / m / 8 * 8;
                fill = fill < GDI_BLOCK_ROWS ? fill : GDI_BLOCK_ROWS;
                const size_t z_rows = GDI_MULTI_Z_MAX / k;
                if (z_rows < fill) {
                    fill = z_rows >= 8 ? z_rows / 8 * 8 : (z_rows == 0 ? 1 : z_rows);
                }
                if (rows != fill) {
                    print_error("m=%zu k=%zu: %zu rows a block, not %zu\n", m, k, rows, fill);
                    fail();
                }
            }
        }
    }
}

/* The AVX2 pair (avx2_multi.c) through the same checks: set up by use_avx2. */
static void test_multi_kernels__avx2_z_matches_reference_in_bounds(void **state)
{
    test_multi_kernels__z_matches_reference_in_bounds(state);
}

static void test_multi_kernels__avx2_z_row_bits_independent_of_grouping(void **state)
{
    test_multi_kernels__z_row_bits_independent_of_grouping(state);
}

static void test_multi_kernels__avx2_z_wide_rows(void **state)
{
    test_multi_kernels__z_wide_rows_in_panels(state);
}

static void test_multi_kernels__avx2_g_row_major_matches_reference_in_bounds(void **state)
{
    test_multi_kernels__g_row_major_matches_reference_in_bounds(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_kernels__z_matches_reference_in_bounds),
        cmocka_unit_test(test_multi_kernels__z_row_bits_independent_of_grouping),
        cmocka_unit_test(test_multi_kernels__z_wide_rows_in_panels),
        cmocka_unit_test(test_multi_kernels__z_lanes_same_bits_as_row_major),
        cmocka_unit_test(test_multi_kernels__g_row_major_matches_reference_in_bounds),
        cmocka_unit_test(test_multi_kernels__g_lanes_matches_reference_in_bounds),
        cmocka_unit_test(test_multi_kernels__softmax_lanes_matches_reference),
        cmocka_unit_test(test_multi_kernels__softmax_lanes_confident_rows),
        cmocka_unit_test(test_multi_kernels__softmax_lanes_refuses_bad_labels),
        cmocka_unit_test(test_multi_kernels__softmax_model_matches_direct),
        cmocka_unit_test(test_multi_kernels__block_shape),
        cmocka_unit_test_setup_teardown(test_multi_kernels__avx2_z_matches_reference_in_bounds,
                                        use_avx2, use_avx512),
        cmocka_unit_test_setup_teardown(
            test_multi_kernels__avx2_z_row_bits_independent_of_grouping, use_avx2, use_avx512),
        cmocka_unit_test_setup_teardown(test_multi_kernels__avx2_z_wide_rows, use_avx2,
                                        use_avx512),
        cmocka_unit_test_setup_teardown(
            test_multi_kernels__avx2_g_row_major_matches_reference_in_bounds, use_avx2,
            use_avx512),
    };
    return cmocka_run_group_tests(tests, setup_pf, teardown_pf);
}
