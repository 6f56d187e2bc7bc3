/* The keyed join operators and their configurations (Flink's window join and interval
 * join). Like the other built-ins they use the public API alone; the builders in
 * engine/job_join.c validate the arguments, put a configuration in the job and pass
 * it as the operator's udata. Input a arrives on port 0, input b on port 1.
 *
 * Keyed state, per key (the layouts are in host byte order; they live in one
 * instance's state and its snapshots, never on the wire):
 *
 *   window join   "window-join-a", "window-join-b": LIST, namespace = pane end
 *                 item: | ts (i64) | first window end (i64) | value bytes ... |
 *   interval join "interval-join-a", "interval-join-b": LIST, namespace = bucket
 *                 start (a multiple of bucket, floored)
 *                 item: | ts (i64) | value bytes ... |
 */
#ifndef SG_OPERATORS_JOIN_OPS_H
#define SG_OPERATORS_JOIN_OPS_H

#include <sangam/sangam.h>

/* Window join over windows [start, start + size), starts multiples of slide; records
 * are stored once, per pane of gcd(size, slide). */
typedef struct sg_window_join_config {
    sg_time size, slide, pane;
    sg_join_def def;
    void *udata;
} sg_window_join_config;

extern const sg_operator_def sg_window_join_op;

/* Interval join: a.ts + lo <= b.ts <= a.ts + hi. Each side is bucketed by event time
 * in buckets of 'bucket' ms (hi - lo + 1), so a record's matches lie in at most two
 * buckets of the other side. */
typedef struct sg_interval_join_config {
    sg_time lo, hi, bucket;
    sg_join_def def;
    void *udata;
} sg_interval_join_config;

extern const sg_operator_def sg_interval_join_op;

/* Bucket width for bounds lo <= hi: the width of the interval (at least 1 ms). */
static inline sg_time sg_interval_join_bucket(sg_time lo, sg_time hi)
{
    return hi - lo + 1;
}

#endif
