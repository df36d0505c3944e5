/* The exp and log1p inline in the AVX-512 residuals (src/kernels/
 * avx512_math.h) and the logistic residual built on them
 * (gdi_avx512_logistic_rows, avx512.c), against long-double libm:
 *  - e^x for x ≤ 0 within 2 ulp over [−750, 0] (subnormal and zero results
 *    included: there within 2 units of the subnormal spacing), tiny x, and
 *    exactly 1, 0 and NaN at −0, −∞ and NaN; log1p(x) for x ≥ 0 within 2 ulp
 *    over [0, 1] (the logistic residual's e^−|z|), [0, 200] (softmax's sum
 *    of the other classes' terms) and tiny x, exactly 0, NaN and +∞ at 0, NaN and +∞;
 *  - σ(z) for z < 0 within 0.75 ulp of e/u for the kernel's own e = e^z
 *    and u = 1 + e (so its quotient is corrected, not a plain product);
 *  - every row's loss softplus(z) − y·z within 3 ulp of it and its residual
 *    σ(z) − y within 3 ulp of max(σ, y) (the cancellation of σ − y is in
 *    any form of it), for margins over the whole range of e^−|z| (|z| up to
 *    800, subnormal e^−|z| near 745, tiny |z|, 0), each row alone (the
 *    masked single-lane path) and among n rows (every n mod 8);
 *  - the sums over n rows, with and without weights, added to what *loss and
 *    *intercept held; intercept NULL is left alone; asking for the fused
 *    sweep's rows ahead changes no bit;
 *  - infinite margins give the limits (loss 0 or ∞, residual 0 or ±1), NaN
 *    gives NaN, never a trap;
 *  - a label other than 0 or 1 (2, −1, 0.5, NaN), in any lane of any group,
 *    returns 0.
 * In a build without the AVX-512 loops the same checks run against their
 * plain-C fallbacks (affine.c); in a build with them, they are skipped where
 * the CPU lacks AVX-512 or under valgrind: the model then runs
 * gdi_logistic_rows, checked by test_logistic. Softmax's use of the
 * same exp and log1p is checked by test_multi_kernels (softmax lanes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/kernels.h"
#include "testsupport.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define ROWS_MAX 72
#define ULP_BOUND 3.0

/* Built with the AVX-512 loops, they run only where the CPU has AVX-512
 * (and not under valgrind); built without, the same entry points are the
 * plain-C fallbacks of affine.c (libm and gdi_logistic_rows), which any CPU
 * runs and which must meet the same bounds. */
static void skip_unless_callable(void)
{
#if defined(GDLEARN_HAVE_AVX512_KERNELS)
    if (!gdi_avx512_usable()) {
        print_message("AVX-512 not usable here (CPU or valgrind): skipped\n");
        skip();
    }
#else
    print_message("build without the AVX-512 loops: checking the fallbacks\n");
#endif
}

/* softplus(t) = log(1 + e^t), without overflow. */
static long double softplus(long double t)
{
    return t > 0.0L ? t + log1pl(expl(-t)) : log1pl(expl(t));
}

static long double sigma(long double z)
{
    return z >= 0.0L ? 1.0L / (1.0L + expl(-z)) : expl(z) / (1.0L + expl(z));
}

/* |got − want| in units of the last place of `scale` (a double's spacing
 * there; subnormal spacing below DBL_MIN). */
static double ulps(double got, long double want, long double scale)
{
    const double s = fmax((double)fabsl(scale), DBL_MIN);
    const double spacing = nextafter(s, INFINITY) - s;
    return (double)(fabsl((long double)got - want) / spacing);
}

/* Margins over the whole range, from a seed: uniform in ±4, ±40 and ±800,
 * tiny magnitudes, and the values where e^−|z| turns subnormal and then 0. */
static double margin(ts_rng *rng, size_t i)
{
    static const double special[] = {0.0, -0.0, 708.0, -708.0, 709.9, 745.0, -745.0, 745.2, 746.0,
                                     -746.0, 800.0, 36.7, -36.7, 1e-300, -1e-300};
    switch (i % 6) {
    case 0: return ts_rng_uniform(rng, -4.0, 4.0);
    case 1: return ts_rng_uniform(rng, -40.0, 40.0);
    case 2: return ts_rng_uniform(rng, -800.0, 800.0);
    case 3: return ldexp(ts_rng_uniform(rng, -1.0, 1.0), -(int)ts_rng_uniform(rng, 0.0, 60.0));
    case 4: return special[(size_t)ts_rng_uniform(rng, 0.0, (double)N_ELEMS(special))];
    default: return ts_rng_uniform(rng, -0.7, 0.7);
    }
}

/* Values of x for exp (≤ 0) or log1p (≥ 0), from a seed, over the ranges
 * above. */
static double exp_argument(ts_rng *rng, size_t i)
{
    switch (i % 4) {
    case 0: return ts_rng_uniform(rng, -750.0, 0.0);
    case 1: return ts_rng_uniform(rng, -2.0, 0.0);
    case 2: return -ldexp(ts_rng_uniform(rng, 0.0, 1.0), -(int)ts_rng_uniform(rng, 0.0, 70.0));
    default: return ts_rng_uniform(rng, -40.0, 0.0);
    }
}

static double log1p_argument(ts_rng *rng, size_t i)
{
    switch (i % 3) {
    case 0: return ts_rng_uniform(rng, 0.0, 1.0);
    case 1: return ts_rng_uniform(rng, 0.0, 200.0);
    default: return ldexp(ts_rng_uniform(rng, 0.0, 1.0), -(int)ts_rng_uniform(rng, 0.0, 70.0));
    }
}

enum { MATH_VALUES = 1 << 18, MATH_CHUNK = 61 /* every n mod 8 across calls */ };

static void check_math(int is_exp)
{
    static double x[MATH_CHUNK], out[MATH_CHUNK];
    ts_rng rng;
    ts_rng_seed(&rng, is_exp ? 2613 : 2614);
    double worst = 0.0;
    for (size_t done = 0; done < MATH_VALUES; done += MATH_CHUNK) {
        const size_t n = 1 + done % MATH_CHUNK; /* 1 … 61 values a call */
        for (size_t i = 0; i < n; ++i) {
            x[i] = is_exp ? exp_argument(&rng, done + i) : log1p_argument(&rng, done + i);
        }
        if (is_exp) {
            gdi_avx512_exp_nonpositive(x, out, n);
        } else {
            gdi_avx512_log1p_nonnegative(x, out, n);
        }
        for (size_t i = 0; i < n; ++i) {
            const long double want = is_exp ? expl(x[i]) : log1pl(x[i]);
            const double err = ulps(out[i], want, want);
            if (!(err <= 2.0)) {
                print_error("%s(%a) = %a, want %La (%.2f ulp)\n", is_exp ? "exp" : "log1p", x[i],
                            out[i], want, err);
                fail();
            }
            worst = fmax(worst, err);
        }
    }
    print_message("%s: worst %.2f ulp\n", is_exp ? "exp" : "log1p", worst);
}

static void test_residual_math__exp_within_2_ulp(void **state)
{
    (void)state;
    skip_unless_callable();
    check_math(1);
    const double x[4] = {-0.0, -INFINITY, NAN, -1e-300};
    double out[4];
    gdi_avx512_exp_nonpositive(x, out, 4);
    assert_true(out[0] == 1.0 && out[1] == 0.0 && isnan(out[2]) && out[3] == 1.0);
}

static void test_residual_math__log1p_within_2_ulp(void **state)
{
    (void)state;
    skip_unless_callable();
    check_math(0);
    const double x[4] = {0.0, NAN, DBL_TRUE_MIN, INFINITY};
    double out[4];
    gdi_avx512_log1p_nonnegative(x, out, 4);
    assert_true(out[0] == 0.0 && isnan(out[1]) && out[2] == DBL_TRUE_MIN);
    assert_true(out[3] == INFINITY);
}

/* Each row alone: its loss and residual within ULP_BOUND. */
static void test_residual_math__each_row_within_3_ulp(void **state)
{
    (void)state;
    skip_unless_callable();
    ts_rng rng;
    ts_rng_seed(&rng, 2611);
    double worst_loss = 0.0, worst_residual = 0.0;
    for (size_t i = 0; i < 300000; ++i) {
        const double z0 = margin(&rng, i);
        const double y = (double)(ts_rng_uniform(&rng, 0.0, 1.0) < 0.5);
        double z = z0, loss = 0.0, intercept = 0.0;
        assert_int_equal(gdi_avx512_logistic_rows(&z, &y, NULL, 1, &loss, &intercept, NULL), 1);
        const long double lz = z0;
        const long double want_loss = y == 1.0 ? softplus(-lz) : softplus(lz);
        const long double s = sigma(lz);
        const long double want_residual = s - (long double)y;
        const double e_loss = ulps(loss, want_loss, want_loss);
        const double e_res = ulps(z, want_residual, s > (long double)y ? s : (long double)y);
        if (!(e_loss <= ULP_BOUND) || !(e_res <= ULP_BOUND)) {
            print_error("z = %a, y = %g: loss %a (want %La, %.2f ulp), residual %a (want %La, "
                        "%.2f ulp)\n",
                        z0, y, loss, want_loss, e_loss, z, want_residual, e_res);
            fail();
        }
        assert_true(z == intercept); /* one row: the sum is the residual */
        worst_loss = fmax(worst_loss, e_loss);
        worst_residual = fmax(worst_residual, e_res);
    }
    print_message("worst: loss %.2f ulp, residual %.2f ulp\n", worst_loss, worst_residual);
}

/* σ(z) for z < 0 is e/u, e = e^z and u = 1 + e rounded: taken as e·(1/u)
 * and then corrected by the product's remainder, it is within SIGMA_ULP of
 * the exact quotient of the kernel's own e and u: its rounding alone, half
 * an ulp (the uncorrected product e·(1/u) is 0.82 ulp off at z = −2.1). The
 * residual of a row with y = 0 is σ. */
#define SIGMA_ULP 0.75
static void test_residual_math__sigma_is_the_quotient_of_its_exp(void **state)
{
    (void)state;
    skip_unless_callable();
    ts_rng rng;
    ts_rng_seed(&rng, 2615);
    double worst = 0.0;
    for (size_t i = 0; i < 400000; ++i) {
        const double z0 = i % 2 ? ts_rng_uniform(&rng, -3.0, 0.0) : ts_rng_uniform(&rng, -40.0, 0.0);
        double e;
        gdi_avx512_exp_nonpositive(&z0, &e, 1);
        double z = z0, loss = 0.0;
        const double y = 0.0;
        assert_int_equal(gdi_avx512_logistic_rows(&z, &y, NULL, 1, &loss, NULL, NULL), 1);
        const double u = 1.0 + e; /* rounded, as the kernel's */
        const long double want = (long double)e / (long double)u;
        const double err = ulps(z, want, want);
        if (!(err <= SIGMA_ULP)) {
            print_error("z = %a: sigma %a, e/u of its e = %a: %La (%.2f ulp)\n", z0, z, e, want,
                        err);
            fail();
        }
        worst = fmax(worst, err);
    }
    print_message("sigma: worst %.2f ulp of e/u\n", worst);
}

/* n rows at once, every n mod 8, weighted or not: each residual as above
 * (times its weight), and the sums added to the values *loss and
 * *intercept held. */
static void test_residual_math__rows_and_sums_match(void **state)
{
    (void)state;
    skip_unless_callable();
    static const size_t counts[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 64, 71};
    ts_rng rng;
    ts_rng_seed(&rng, 2612);
    for (size_t a = 0; a < N_ELEMS(counts); ++a) {
        for (int weighted = 0; weighted < 2; ++weighted) {
            const size_t n = counts[a];
            double z[ROWS_MAX], z0[ROWS_MAX], y[ROWS_MAX], s[ROWS_MAX];
            long double want_loss = 0.0L, loss_abs = 0.0L, want_icpt = 0.0L, icpt_abs = 0.0L;
            for (size_t i = 0; i < n; ++i) {
                z0[i] = z[i] = margin(&rng, i + a);
                y[i] = (double)(i % 3 == 1);
                s[i] = weighted ? ts_rng_uniform(&rng, 0.0, 3.0) : 1.0;
                const long double lz = z0[i];
                const long double row = s[i] * (y[i] == 1.0 ? softplus(-lz) : softplus(lz));
                const long double r = s[i] * (sigma(lz) - (long double)y[i]);
                want_loss += row;
                loss_abs += fabsl(row);
                want_icpt += r;
                icpt_abs += fabsl(r);
            }
            double loss = 0.25, intercept = -0.5;
            assert_int_equal(gdi_avx512_logistic_rows(z, y, weighted ? s : NULL, n, &loss,
                                                      &intercept, NULL),
                             1);
            for (size_t i = 0; i < n; ++i) {
                const long double sg = sigma(z0[i]);
                const long double scale = s[i] * (sg > (long double)y[i] ? sg : (long double)y[i]);
                const long double want = s[i] * (sg - (long double)y[i]);
                if (!(ulps(z[i], want, scale) <= ULP_BOUND + 1.0)) { /* + the weight's product */
                    print_error("n = %zu, row %zu: z = %a, residual %a, want %La\n", n, i, z0[i],
                                z[i], want);
                    fail();
                }
            }
            /* Sums: rounding of n terms, each within a few ulp. */
            const double bound = 1e-15 * (double)n;
            assert_true(fabsl((long double)loss - (0.25L + want_loss))
                        <= bound * (double)(0.25L + loss_abs) + DBL_TRUE_MIN);
            assert_true(fabsl((long double)intercept - (-0.5L + want_icpt))
                        <= bound * (double)(0.5L + icpt_abs));
            /* Without intercept, asking for rows ahead (of a buffer here:
             * rows 4 and 5 of each 8 from 2 on, past its end too): the same
             * loss and residuals, nothing else touched. */
            double r_first[ROWS_MAX];
            memcpy(r_first, z, n * sizeof *z);
            double loss2 = 0.25;
            for (size_t i = 0; i < n; ++i) {
                z[i] = z0[i];
            }
            const gdi_rows_ahead ahead = {(uintptr_t)(z0 + 2), 3 * sizeof(double),
                                          2 * sizeof(double)};
            assert_int_equal(gdi_avx512_logistic_rows(z, y, weighted ? s : NULL, n, &loss2, NULL,
                                                      &ahead),
                             1);
            assert_true(loss2 == loss);
            assert_memory_equal(z, r_first, n * sizeof *z);
        }
    }
}

/* z = ±∞ and NaN, both labels: the limits, and NaN in, NaN out. */
static void test_residual_math__infinite_and_nan_margins(void **state)
{
    (void)state;
    skip_unless_callable();
    const double z0[5] = {INFINITY, -INFINITY, INFINITY, -INFINITY, NAN};
    const double y[5] = {0.0, 0.0, 1.0, 1.0, 1.0};
    const double want_residual[4] = {1.0, 0.0, 0.0, -1.0};
    const double want_loss[4] = {INFINITY, 0.0, 0.0, INFINITY};
    for (size_t i = 0; i < 5; ++i) {
        double z = z0[i], loss = 0.0, intercept = 0.0;
        assert_int_equal(gdi_avx512_logistic_rows(&z, &y[i], NULL, 1, &loss, &intercept, NULL), 1);
        if (i == 4) {
            assert_true(isnan(z) && isnan(loss) && isnan(intercept));
        } else {
            assert_true(z == want_residual[i]);
            assert_true(loss == want_loss[i]);
        }
    }
}

/* A bad label anywhere among 9 rows (two groups, the second of one row):
 * 0 returned. */
static void test_residual_math__bad_labels_refused(void **state)
{
    (void)state;
    skip_unless_callable();
    const double bad[] = {2.0, -1.0, 0.5, NAN, INFINITY, 1e-300};
    for (size_t b = 0; b < N_ELEMS(bad); ++b) {
        for (size_t at = 0; at < 9; ++at) {
            double z[9], y[9];
            for (size_t i = 0; i < 9; ++i) {
                z[i] = 0.5 * (double)i - 2.0;
                y[i] = (double)(i % 2);
            }
            y[at] = bad[b];
            double loss = 0.0, intercept = 0.0;
            assert_int_equal(gdi_avx512_logistic_rows(z, y, NULL, 9, &loss, &intercept, NULL), 0);
        }
    }
    /* -0.0 is a label 0. */
    double z[2] = {1.0, -1.0}, y[2] = {-0.0, 1.0}, loss = 0.0;
    assert_int_equal(gdi_avx512_logistic_rows(z, y, NULL, 2, &loss, NULL, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_residual_math__exp_within_2_ulp),
        cmocka_unit_test(test_residual_math__log1p_within_2_ulp),
        cmocka_unit_test(test_residual_math__each_row_within_3_ulp),
        cmocka_unit_test(test_residual_math__sigma_is_the_quotient_of_its_exp),
        cmocka_unit_test(test_residual_math__rows_and_sums_match),
        cmocka_unit_test(test_residual_math__infinite_and_nan_margins),
        cmocka_unit_test(test_residual_math__bad_labels_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
