/* nexmark_jrand.h — java.util.Random, call for call (the JDK's 48-bit linear
 * congruential generator), for the Nexmark generator (nexmark_gen.c) and its tests.
 * Internal: not part of the public API. */
#ifndef SG_NEXMARK_JRAND_H
#define SG_NEXMARK_JRAND_H

#include <stdint.h>

#define JR_MULT UINT64_C(0x5DEECE66D)
#define JR_MASK ((UINT64_C(1) << 48) - 1)

/* new Random(seed) is jr_seed; next(bits), nextInt(), nextInt(bound), nextLong()
 * and nextDouble() are jr_next, jr_int, jr_int_bound, jr_long and jr_double. */
typedef struct jrand {
    uint64_t s;
} jrand;

static inline void jr_seed(jrand *r, uint64_t seed)
{
    r->s = (seed ^ JR_MULT) & JR_MASK;
}

static inline int32_t jr_next(jrand *r, int bits)
{
    r->s = (r->s * JR_MULT + 0xB) & JR_MASK;
    return (int32_t)(uint32_t)(r->s >> (48 - bits));
}

static inline int32_t jr_int(jrand *r)
{
    return jr_next(r, 32);
}

/* nextInt(bound), bound > 0: the power-of-two shortcut, else rejection of the top
 * values, where Java's int overflow test "u - r + m < 0" is done in 64 bits. */
static inline int32_t jr_int_bound(jrand *r, int32_t bound)
{
    int32_t rv = jr_next(r, 31), m = bound - 1;
    if ((bound & m) == 0)
        return (int32_t)(((int64_t)bound * rv) >> 31);
    for (int32_t u = rv; (int64_t)u - (rv = u % bound) + m > INT32_MAX; u = jr_next(r, 31))
        ;
    return rv;
}

static inline int64_t jr_long(jrand *r)
{
    int64_t hi = jr_next(r, 32);
    int64_t lo = jr_next(r, 32);
    return (int64_t)((uint64_t)hi << 32) + lo;
}

static inline double jr_double(jrand *r)
{
    int64_t hi = jr_next(r, 26);
    int64_t lo = jr_next(r, 27);
    return (double)((hi << 27) + lo) * 0x1.0p-53;
}

#endif
