/* How src/kernels/vmath.c and stable.c reach glibc's vector math (libmvec).
 * Not installed; include only from .c files compiled with -fopenmp-simd
 * (src/CMakeLists.txt sets it on them when GDLEARN_HAVE_LIBMVEC).
 *
 * GDI_VEC_CLONES before a function compiles it three times (AVX-512, AVX2,
 * baseline x86-64) and picks one at load time by the CPU. It makes the
 * function static: GCC 12 exports the dispatcher of a non-static clone from
 * the shared library whatever its visibility, so each cloned function is
 * reached through a plain internal wrapper. GDI_VEC_LOOP before
 * a loop asks for it to be vectorised (its iterations are independent),
 * GDI_VEC_LOOP_SUM(a, b) likewise with a and b summed across iterations —
 * lane by lane and then the lanes, an order fixed by the loop's length. exp
 * and log1p in such loops become calls to libmvec's vector variants. Without
 * libmvec (other compilers, libcs, CPUs) all three are empty. */
#ifndef GDLEARN_KERNELS_VMATH_H
#define GDLEARN_KERNELS_VMATH_H

#include <math.h>

#if defined(GDLEARN_HAVE_LIBMVEC) && defined(__GNUC__) && !defined(__clang__) \
    && defined(__x86_64__)
/* glibc's <math.h> declares these only under -ffast-math; the declarations
 * are the same functions with their vector variants named (libmvec ABI). */
double exp(double) __attribute__((simd("notinbranch")));
double log1p(double) __attribute__((simd("notinbranch")));
#define GDI_VEC_CLONES static __attribute__((target_clones("avx512f", "avx2", "default")))
#define GDI_VEC_LOOP _Pragma("omp simd")
#define GDI_VEC_PRAGMA(text) _Pragma(#text)
#define GDI_VEC_LOOP_SUM(a, b) GDI_VEC_PRAGMA(omp simd reduction(+ : a, b))
#else
#define GDI_VEC_CLONES static
#define GDI_VEC_LOOP
#define GDI_VEC_LOOP_SUM(a, b)
#endif

#endif
