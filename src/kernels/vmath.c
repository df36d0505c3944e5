/* exp and log1p over arrays, for the residuals of the classification
 * losses (logistic: one exp and one log1p per row; softmax: k exps and one
 * log1p per row) and their predictions. On CPUs with AVX-512 the
 * evaluations' residuals take their own inline exp and log1p instead
 * (kernels/avx512_math.h: gdi_avx512_logistic_rows, the softmax lanes);
 * these serve the other CPUs, softmax above GDI_LANES_MAX_OUTPUTS classes
 * and gd_predict.
 *
 * With GCC on x86-64 glibc (GDLEARN_HAVE_LIBMVEC, found by src/CMakeLists.txt)
 * the loops are vectorised with glibc's libmvec — the vector variants of the
 * same libm functions, ≤ 4 ulp (glibc's libmvec ulps table; 1–2 ulp measured),
 * reached through `#pragma omp simd` (-fopenmp-simd: no OpenMP runtime) —
 * and compiled three times (target_clones): AVX-512, AVX2 and baseline SSE2,
 * picked once at load time by the CPU. exp(−|z|) and log1p of it on the
 * project's 2-core Xeon (AVX-512 build; tests/bench/block_probe): 1.65 ns a
 * value, 8.24 with scalar libm. Elsewhere these are plain loops over libm.
 *
 * The bits may differ from scalar libm in the last place and between the
 * clones, so between CPUs; on one machine a call gives the same bits every
 * time for the same n: GCC vectorises these loops without peeling for
 * alignment, so which elements go through the 8-wide body, the 4-wide
 * epilogue or the scalar tail depends on n alone, and n is fixed by the row
 * partition (a given thread count). */
#include "kernels/kernels.h"
#include "kernels/vmath.h"

GDI_VEC_CLONES
void vexp(const double *in, double *out, size_t n)
{
    GDI_VEC_LOOP
    for (size_t i = 0; i < n; ++i) {
        out[i] = exp(in[i]);
    }
}

GDI_VEC_CLONES
void vlog1p(const double *in, double *out, size_t n)
{
    GDI_VEC_LOOP
    for (size_t i = 0; i < n; ++i) {
        out[i] = log1p(in[i]);
    }
}

void gdi_vexp(const double *in, double *out, size_t n)
{
    vexp(in, out, n);
}

void gdi_vlog1p(const double *in, double *out, size_t n)
{
    vlog1p(in, out, n);
}
