/* Event time on the wall clock, for measuring latency at a fixed input rate.
 *
 * One sg__pace per run maps event time to wall time:
 *
 *     wall(ts) = start + (ts - first_ts) / speed
 *
 * where first_ts is the event time of the first record any source emits and start the
 * moment it was emitted (monotonic clock). With --pace X (speed X > 0) every source
 * waits before emitting a record until wall(ts) has come (sg__pace_wait), so the input
 * rate is the generator's event-time rate times X. The latency: sink records
 * now - wall(ts) per record into a histogram (sg__hist) and merges it into the run's at
 * close; the run summary prints its percentiles.
 *
 * Rules: (1) start and first_ts are set once, by the first record (a source's, or a
 * latency sink's when nothing paces), under mu; readers test 'started' (acquire) first.
 * (2) sg__pace_wait is called only when pacing is on (ctx->pace set on source stages
 * alone), so a run without --pace pays one predictable branch per record.
 * Layering: a leaf; used by ctx.c (the hook), task.c (poll budget), runtime.c and the
 * latency: sink. */
#ifndef SG_ENGINE_PACE_H
#define SG_ENGINE_PACE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sangam/sangam.h>

/* Log-linear buckets as HdrHistogram: values below 2^SUB_BITS exactly, above that
 * 2^SUB_BITS buckets per power of two (relative error under 1/2^SUB_BITS = 3%). */
#define SG__HIST_SUB_BITS 5
#define SG__HIST_BUCKETS ((64 - SG__HIST_SUB_BITS + 1) << SG__HIST_SUB_BITS)

/* A histogram of nanosecond values; fixed size, no allocation when recording. */
typedef struct sg__hist {
    uint64_t count, max; /* of the values recorded */
    uint64_t early;      /* negative values: counted here only (a record before its time) */
    uint64_t b[SG__HIST_BUCKETS];
} sg__hist;

void sg__hist_record(sg__hist *h, int64_t ns);
void sg__hist_merge(sg__hist *into, const sg__hist *from);
/* The value at quantile q (0..1): the upper bound of its bucket, never above max. */
uint64_t sg__hist_quantile(const sg__hist *h, double q);

typedef struct sg__pace {
    double speed; /* --pace X; 0: sources do not wait */
    pthread_mutex_t mu;
    _Atomic bool started;
    int64_t start_ns; /* monotonic; written once under mu before started */
    sg_time first_ts;
    bool has_sink; /* a latency: sink merged its histogram */
    sg__hist hist; /* latency: sinks' histograms, merged under mu */
} sg__pace;

int sg__pace_init(sg__pace *p, double speed);
void sg__pace_destroy(sg__pace *p);
int64_t sg__pace_now_ns(void);
/* Starts the clock at (now, ts) unless it has started (rule 1). */
void sg__pace_start(sg__pace *p, sg_time ts);
/* wall(ts) in monotonic ns; the clock must have started. */
int64_t sg__pace_wall_ns(const sg__pace *p, sg_time ts);
/* Sleeps until wall(ts) (starting the clock with ts if it has not). */
void sg__pace_wait(sg__pace *p, sg_time ts);
/* A paced source's next poll budget from the last one and how long it took: about
 * SG__PACE_POLL_NS of wall time per poll, so that a source waiting for its records'
 * time holds its worker (and the subtasks that share it) only that long. */
#define SG__PACE_POLL_NS 500000
uint32_t sg__pace_next_budget(uint32_t budget, int64_t took_ns, uint32_t max);
/* The run's clock, seen from an instance (NULL outside a run, e.g. in the harness). */
sg__pace *sg__pace_of(const sg_ctx *ctx);

#endif
