/* Small AVX2 helpers shared by avx2.c and avx2_multi.c. Include only from
 * files built with -mavx2 -mfma (src/CMakeLists.txt). */
#ifndef GDLEARN_AVX2_LANES_H
#define GDLEARN_AVX2_LANES_H

#include <immintrin.h>
#include <stddef.h>

/* Lane i of the result: the sum of the 4 lanes of a_i (i = 0 … 3), by the
 * same tree for every i. */
static inline __m256d gdi_sum_each4(__m256d a0, __m256d a1, __m256d a2, __m256d a3)
{
    const __m256d h01 = _mm256_hadd_pd(a0, a1); /* a0₀+a0₁, a1₀+a1₁, a0₂+a0₃, a1₂+a1₃ */
    const __m256d h23 = _mm256_hadd_pd(a2, a3);
    return _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20),
                         _mm256_permute2f128_pd(h01, h23, 0x31));
}

/* All-ones in the first n % 4 lanes: the last, partial vector of a row of n
 * values. maskload reads nothing from the lanes left out (no read past a
 * row's end) and gives 0 there. */
static inline __m256i gdi_tail_mask4(size_t n)
{
    const long long left = (long long)(n % 4);
    return _mm256_set_epi64x(left > 3 ? -1 : 0, left > 2 ? -1 : 0, left > 1 ? -1 : 0,
                             left > 0 ? -1 : 0);
}

#endif /* GDLEARN_AVX2_LANES_H */
