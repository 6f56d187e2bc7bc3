/* Event time on the wall clock (pace.h): the run's clock, source pacing, and the
 * latency histogram. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/ctx.h"
#include "engine/pace.h"

/* ---- Histogram ---------------------------------------------------------------- */

static unsigned bucket_of(uint64_t v)
{
    if (v < (1u << SG__HIST_SUB_BITS))
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS */
    unsigned shift = e - SG__HIST_SUB_BITS;
    unsigned sub = (unsigned)(v >> shift) & ((1u << SG__HIST_SUB_BITS) - 1);
    return ((shift + 1) << SG__HIST_SUB_BITS) + sub;
}

/* The largest value that falls into bucket i. */
static uint64_t bucket_top(unsigned i)
{
    if (i < (1u << SG__HIST_SUB_BITS))
        return i;
    unsigned shift = (i >> SG__HIST_SUB_BITS) - 1;
    uint64_t sub = i & ((1u << SG__HIST_SUB_BITS) - 1);
    uint64_t lo = ((1ull << SG__HIST_SUB_BITS) | sub) << shift;
    return lo + ((1ull << shift) - 1);
}

void sg__hist_record(sg__hist *h, int64_t ns)
{
    if (ns < 0) { /* before its time: counted apart, not as a latency */
        h->early++;
        return;
    }
    uint64_t v = (uint64_t)ns;
    h->b[bucket_of(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

void sg__hist_merge(sg__hist *into, const sg__hist *from)
{
    for (unsigned i = 0; i < SG__HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->early += from->early;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t sg__hist_quantile(const sg__hist *h, double q)
{
    if (!h->count)
        return 0;
    /* The rank of the value at q, 1-based, as HdrHistogram's getValueAtPercentile. */
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < SG__HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return top < h->max ? top : h->max;
        }
    }
    return h->max;
}

/* ---- The run's clock ----------------------------------------------------------- */

int sg__pace_init(sg__pace *p, double speed)
{
    memset(p, 0, sizeof(*p));
    p->speed = speed;
    atomic_store(&p->started, false);
    return pthread_mutex_init(&p->mu, NULL) == 0 ? SG_OK : SG_ENOMEM;
}

void sg__pace_destroy(sg__pace *p)
{
    pthread_mutex_destroy(&p->mu);
}

int64_t sg__pace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sg__pace_start(sg__pace *p, sg_time ts)
{
    if (atomic_load_explicit(&p->started, memory_order_acquire))
        return;
    pthread_mutex_lock(&p->mu);
    if (!atomic_load_explicit(&p->started, memory_order_relaxed)) {
        p->start_ns = sg__pace_now_ns();
        p->first_ts = ts;
        atomic_store_explicit(&p->started, true, memory_order_release);
    }
    pthread_mutex_unlock(&p->mu);
}

int64_t sg__pace_wall_ns(const sg__pace *p, sg_time ts)
{
    double speed = p->speed > 0 ? p->speed : 1.0;
    return p->start_ns + (int64_t)((double)(ts - p->first_ts) * 1e6 / speed);
}

void sg__pace_wait(sg__pace *p, sg_time ts)
{
    sg__pace_start(p, ts);
    int64_t due = sg__pace_wall_ns(p, ts);
    if (due <= sg__pace_now_ns())
        return;
    struct timespec until = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

uint32_t sg__pace_next_budget(uint32_t budget, int64_t took_ns, uint32_t max)
{
    if (took_ns > SG__PACE_POLL_NS && budget > 1)
        return budget / 2;
    if (took_ns < SG__PACE_POLL_NS / 2 && budget < max)
        return budget * 2 > max ? max : budget * 2;
    return budget;
}

sg__pace *sg__pace_of(const sg_ctx *ctx)
{
    return ctx->run_pace;
}
