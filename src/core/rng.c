#include <time.h>

#include "core/internal.h"

void gdi_rng_seed(gdi_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, full period 2^64. */
uint64_t gdi_rng_next(gdi_rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double gdi_rng_uniform(gdi_rng *rng)
{
    /* the top 53 bits, scaled into [0, 1) */
    return (double)(gdi_rng_next(rng) >> 11) * 0x1.0p-53;
}

double gdi_now_seconds(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) {
        return 0.0;
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
