/* Lane helpers shared by the AVX-512 kernels (avx512.c, avx512_multi.c).
 * Include only from files built with -mavx512f (src/CMakeLists.txt). */
#ifndef GDLEARN_AVX512_LANES_H
#define GDLEARN_AVX512_LANES_H

#include <immintrin.h>
#include <stddef.h>

/* The 8 lane-sums of a0 … a7, in that order: lane i of the result is the sum
 * of the 8 lanes of a_i, always by the same tree ((l0+l1)+(l2+l3)) +
 * ((l4+l5)+(l6+l7)), whichever slot a_i sits in and whatever the other
 * slots hold. Pairs of rows, then 128-bit lanes, then halves. */
static inline __m512d gdi_sum_each(const __m512d a[8])
{
    const __m512d s01 = _mm512_add_pd(_mm512_unpacklo_pd(a[0], a[1]), _mm512_unpackhi_pd(a[0], a[1]));
    const __m512d s23 = _mm512_add_pd(_mm512_unpacklo_pd(a[2], a[3]), _mm512_unpackhi_pd(a[2], a[3]));
    const __m512d s45 = _mm512_add_pd(_mm512_unpacklo_pd(a[4], a[5]), _mm512_unpackhi_pd(a[4], a[5]));
    const __m512d s67 = _mm512_add_pd(_mm512_unpacklo_pd(a[6], a[7]), _mm512_unpackhi_pd(a[6], a[7]));
    /* 0x88 picks 128-bit lanes (0, 2) of each operand, 0xDD lanes (1, 3). */
    const __m512d p = _mm512_add_pd(_mm512_shuffle_f64x2(s01, s23, 0x88),
                                    _mm512_shuffle_f64x2(s01, s23, 0xDD));
    const __m512d q = _mm512_add_pd(_mm512_shuffle_f64x2(s45, s67, 0x88),
                                    _mm512_shuffle_f64x2(s45, s67, 0xDD));
    return _mm512_add_pd(_mm512_shuffle_f64x2(p, q, 0x88), _mm512_shuffle_f64x2(p, q, 0xDD));
}

/* The first n % 8 lanes: the last, partial vector of a row of n values.
 * Masked loads do not touch the lanes left out (no read past a row's end). */
static inline __mmask8 gdi_tail_mask(size_t n)
{
    return (__mmask8)((1u << (n % 8)) - 1u);
}

#endif /* GDLEARN_AVX512_LANES_H */
