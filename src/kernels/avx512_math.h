/* exp and log1p for the residuals of the AVX-512 loops (logistic:
 * gdi_avx512_logistic_rows in avx512.c; softmax: gdi_avx512_softmax_lanes in
 * avx512_multi.c), 8 values a vector, inline. Include only from files built
 * with -mavx512f (src/CMakeLists.txt).
 *
 * Why not libmvec (kernels/vmath.h), as elsewhere: the residual runs between
 * two passes over rows the core is streaming in, 16 rows at a time in the
 * fused sweep, and every vector instruction it saves is time the core can
 * give the stream. Inline, with no calls, the labels checked on the way and
 * Estrin's scheme for short dependency chains, the logistic residual of 16
 * rows costs 2.3 ns a row in cache against 3.0 (block_probe), and a logistic
 * evaluation of 1e6×50 on 2 threads takes ~4 % less time; softmax's
 * residual 12.4 ns a row against 14.9 (docs/performance.md, "Vector math").
 *
 * Only the arguments those residuals take: exp of x ≤ 0 and log1p of x ≥ 0,
 * each with NaN giving NaN. Accuracy against long-double libm
 * (tests/test_residual_math.c): within 2 ulp (worst seen: exp 0.99, log1p
 * 1.39 over 2·10⁷ values; glibc's bound for libmvec's is 4), and the
 * logistic loss and residual built from them within 3 ulp (worst seen 2.04
 * and 2.33 over 4·10⁶ margins; the same formulas through scalar libm: 1.47
 * and 2.22). The same input gives the same bits on every AVX-512 CPU:
 * nothing here depends on the CPU beyond AVX-512F. */
#ifndef GDLEARN_AVX512_MATH_H
#define GDLEARN_AVX512_MATH_H

#include <immintrin.h>

/* 2^(j/8), j = 0 … 7, each rounded to nearest. */
static const double gdi_exp2_eighths[8] = {
    0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0,
    0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0,
};

/* rc_j = 1/(1 + j/16) rounded, and −log(rc_j) rounded (of the rounded rc_j:
 * log(m) = −log(rc_j) + log1p(m·rc_j − 1) holds exactly for that rc_j),
 * j = 0 … 15; rc_0 = 1, so a mantissa near 1 has no table term to cancel. */
static const double gdi_log_rc[16] = {
    0x1.0000000000000p+0, 0x1.e1e1e1e1e1e1ep-1, 0x1.c71c71c71c71cp-1, 0x1.af286bca1af28p-1,
    0x1.999999999999ap-1, 0x1.8618618618618p-1, 0x1.745d1745d1746p-1, 0x1.642c8590b2164p-1,
    0x1.5555555555555p-1, 0x1.47ae147ae147bp-1, 0x1.3b13b13b13b14p-1, 0x1.2f684bda12f68p-1,
    0x1.2492492492492p-1, 0x1.1a7b9611a7b96p-1, 0x1.1111111111111p-1, 0x1.0842108421084p-1,
};
static const double gdi_log_t[16] = {
    0x0.0p+0, 0x1.f0a30c01162a8p-5, 0x1.e27076e2af2eap-4, 0x1.5ff3070a793d6p-3,
    0x1.c8ff7c79a9a20p-3, 0x1.1675cababa60fp-2, 0x1.4618bc21c5ec2p-2, 0x1.739d7f6bbd007p-2,
    0x1.9f323ecbf984dp-2, 0x1.c8ff7c79a9a21p-2, 0x1.f128f5faf06ecp-2, 0x1.0be72e4252a83p-1,
    0x1.1e85f5e7040d1p-1, 0x1.307d7334f10bep-1, 0x1.41d8fe84672afp-1, 0x1.52a2d265bc5abp-1,
};

/* ln 2 = LN2_HI + LN2_LO, LN2_HI with 21 trailing zero bits (n·LN2_HI is
 * exact for |n| < 2^21). */
#define GDI_LN2_HI 0x1.62e42feep-1
#define GDI_LN2_LO 0x1.a39ef35793c76p-33

/* GCC's unoptimised forms of getexp and getmant (macros) convert their
 * all-lanes mask to char, which -Wsign-conversion reports in our code (as
 * avx512_multi.c's gather). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
static inline __m512d gdi_getexp_pd(__m512d u)
{
    return _mm512_getexp_pd(u);
}

static inline __m512d gdi_getmant_1_2_pd(__m512d u)
{
    return _mm512_getmant_pd(u, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* e^x for x ≤ 0 (NaN: NaN). x = n/8·ln 2 + r, n whole, |r| ≤ ln 2/16;
 * e^x = 2^⌊n/8⌋ · 2^((n mod 8)/8) · e^r, e^r − 1 by its Taylor polynomial of
 * degree 8 (remainder below 2^-59 of e^r), evaluated by Estrin's scheme for a
 * short dependency chain; the product with the table entry is one
 * multiply-add, the power of 2 one scalef (which rounds a subnormal result
 * once). Below −746 the result is 0, as exp's. */
static inline __m512d gdi_exp_nonpositive_pd(__m512d x)
{
    x = _mm512_max_pd(_mm512_set1_pd(-746.0), x); /* NaN stays: max returns it */
    /* n = round(x·8/ln 2), as a double and in the low bits of t (1.5·2^52
     * shifts it there; permutexvar below reads the low 3 bits, n mod 8). */
    const __m512d shift = _mm512_set1_pd(0x1.8p52);
    const __m512d t = _mm512_fmadd_pd(x, _mm512_set1_pd(0x1.71547652b82fep+3), shift);
    const __m512d n = _mm512_sub_pd(t, shift);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(GDI_LN2_HI / 8), x);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(GDI_LN2_LO / 8), r);
    /* e^r − 1 = r + r²·(1/2! + r/3! + … + r⁶/8!). */
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d r4 = _mm512_mul_pd(r2, r2);
    const __m512d c01 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 6), _mm512_set1_pd(0.5));
    const __m512d c23 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 120), _mm512_set1_pd(1.0 / 24));
    const __m512d c45 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 5040), _mm512_set1_pd(1.0 / 720));
    const __m512d d03 = _mm512_fmadd_pd(r2, c23, c01);
    const __m512d d46 = _mm512_fmadd_pd(r2, _mm512_set1_pd(1.0 / 40320), c45);
    const __m512d em1 = _mm512_fmadd_pd(r2, _mm512_fmadd_pd(r4, d46, d03), r);
    const __m512d two_j =
        _mm512_permutexvar_pd(_mm512_castpd_si512(t), _mm512_loadu_pd(gdi_exp2_eighths));
    /* scalef multiplies by 2^⌊n/8⌋: n/8 is exact, scalef takes its floor. */
    return _mm512_scalef_pd(_mm512_fmadd_pd(two_j, em1, two_j),
                            _mm512_mul_pd(n, _mm512_set1_pd(0.125)));
}

/* log1p(x) for finite x ≥ 0 (NaN: NaN; +∞ gives NaN, not +∞: the residuals
 * never pass it, their x is at most k − 1; gdi_avx512_log1p_nonnegative
 * mends it), given u = 1 + x rounded (the caller's) and inv ≈ 1/u (the
 * caller's too: both residuals divide by u anyway).
 * log1p(x) = log(u) + (x − (u − 1))/u: the second term puts back what
 * rounding 1 + x lost, to first order. log(u) = e·ln 2 − log(rc_j) +
 * log1p(ρ) with u = 2^e·m, m ∈ [1, 2), j the top 4 bits of m's fraction and
 * ρ = m·rc_j − 1 ∈ [−2^-56, 1/16] (one rounding; below 0 only where rc_j was
 * rounded down and m = 1 + j/16 exactly); log1p(ρ) by its Taylor
 * polynomial of degree 14 (remainder below 2^-59 of it), Estrin. */
static inline __m512d gdi_log1p_nonnegative_pd(__m512d x, __m512d u, __m512d inv)
{
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d e = gdi_getexp_pd(u);
    const __m512d m = gdi_getmant_1_2_pd(u);
    /* Bits 48–51 of m: permutex2var reads the low 4 bits of each index. */
    const __m512i j = _mm512_srli_epi64(_mm512_castpd_si512(m), 48);
    const __m512d rc = _mm512_permutex2var_pd(_mm512_loadu_pd(gdi_log_rc), j,
                                              _mm512_loadu_pd(gdi_log_rc + 8));
    const __m512d tj = _mm512_permutex2var_pd(_mm512_loadu_pd(gdi_log_t), j,
                                              _mm512_loadu_pd(gdi_log_t + 8));
    const __m512d rho = _mm512_fmsub_pd(m, rc, one);
    /* log1p(ρ) = ρ + ρ²·q(ρ), q(ρ) = Σ_{i=0}^{12} (−1)^(i+1)/(i+2) ρ^i. */
    const __m512d r2 = _mm512_mul_pd(rho, rho);
    const __m512d r4 = _mm512_mul_pd(r2, r2);
    const __m512d r8 = _mm512_mul_pd(r4, r4);
#define GDI_LOG_C(i) _mm512_set1_pd(((i) % 2 != 0 ? 1.0 : -1.0) / (i))
    const __m512d q01 = _mm512_fmadd_pd(rho, GDI_LOG_C(3), GDI_LOG_C(2));
    const __m512d q23 = _mm512_fmadd_pd(rho, GDI_LOG_C(5), GDI_LOG_C(4));
    const __m512d q45 = _mm512_fmadd_pd(rho, GDI_LOG_C(7), GDI_LOG_C(6));
    const __m512d q67 = _mm512_fmadd_pd(rho, GDI_LOG_C(9), GDI_LOG_C(8));
    const __m512d q89 = _mm512_fmadd_pd(rho, GDI_LOG_C(11), GDI_LOG_C(10));
    const __m512d q1011 = _mm512_fmadd_pd(rho, GDI_LOG_C(13), GDI_LOG_C(12));
    const __m512d q812 =
        _mm512_fmadd_pd(r4, GDI_LOG_C(14), _mm512_fmadd_pd(r2, q1011, q89));
    const __m512d q07 = _mm512_fmadd_pd(r4, _mm512_fmadd_pd(r2, q67, q45),
                                        _mm512_fmadd_pd(r2, q23, q01));
#undef GDI_LOG_C
    const __m512d log1p_rho = _mm512_fmadd_pd(r2, _mm512_fmadd_pd(r8, q812, q07), rho);
    /* e·LN2_HI is exact; the small terms are summed first. */
    const __m512d small = _mm512_fmadd_pd(_mm512_sub_pd(x, _mm512_sub_pd(u, one)), inv,
                                          _mm512_fmadd_pd(e, _mm512_set1_pd(GDI_LN2_LO),
                                                          log1p_rho));
    return _mm512_add_pd(_mm512_fmadd_pd(e, _mm512_set1_pd(GDI_LN2_HI), tj), small);
}

#endif /* GDLEARN_AVX512_MATH_H */
