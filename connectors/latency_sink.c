/* latency: sink. Like null: it writes nothing; for every record it measures how long
 * after the record's event time, mapped to the wall clock by the run's clock (pace.h),
 * the record reached the sink, into a histogram (no allocation per record). At close
 * each instance merges its histogram into the run's; the run summary prints p50, p99,
 * max and the count.
 *
 * What the figure includes: wall(ts) is when the source was due to emit an event with
 * event time ts under --pace. A result of a window carries ts = window end - 1, so its
 * latency counts from the moment the window's last event time passed: the watermark
 * delay (--max-delay-ms or the job's), batching, queueing and firing. Without --pace
 * sources run ahead of the clock and the figure means nothing. Records that arrive
 * before their time (windows fired by the end of input) are counted apart as 'early'.
 *
 * Unlike the other connectors it reaches into the engine (pace.h) for the run's clock. */
#include <sangam/sangam.h>

#include "engine/pace.h"

static int lat_write(sg_ctx *ctx, void *self, const sg_record *rec)
{
    sg__hist *h = self;
    sg__pace *p = sg__pace_of(ctx);
    if (!p) { /* outside a run: no clock to measure against */
        sg__hist_record(h, 0);
        return SG_OK;
    }
    sg__pace_start(p, rec->ts);
    sg__hist_record(h, sg__pace_now_ns() - sg__pace_wall_ns(p, rec->ts));
    return SG_OK;
}

static void lat_close(sg_ctx *ctx, void *self)
{
    sg__pace *p = sg__pace_of(ctx);
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    sg__hist_merge(&p->hist, self);
    p->has_sink = true;
    pthread_mutex_unlock(&p->mu);
}

/* Exactly-once as null: is: it keeps nothing. */
const sg_sink_def sg__latency_sink = {
    .abi = SG_SINK_ABI_1,
    .name = "latency",
    .self_size = sizeof(sg__hist),
    .flags = SG_SINK_EXACTLY_ONCE,
    .write = lat_write,
    .close = lat_close,
};
