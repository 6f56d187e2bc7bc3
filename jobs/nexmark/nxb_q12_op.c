/* nxb_q12_op.c — per-bidder counts in tumbling processing-time windows (q12, nxb.h).
 *
 * Processing time only moves forward, so a key has at most one open window: its
 * state is one (end, count) value. A processing-time timer at end - 1 emits it
 * (Flink's ProcessingTimeTrigger fires at window.maxTimestamp()); a record that finds
 * an older window still open (its timer not run yet) emits that one first. As in
 * Flink, processing-time timers pending at the end of input are dropped, but Nexmark
 * expects every bid counted, so an event-time timer at SG_TIME_MAX, which fires when
 * the input ends, flushes the open window. Both timers are set once per window, not
 * per bid, and a timer that finds another window than its own does nothing. */
#include <string.h>

#include "nxb.h"

typedef struct q12_win {
    sg_time end;
    int64_t count;
} q12_win;

typedef struct q12_self {
    sg_state_id win;
} q12_self;

static int q12_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    q12_self *s = self;
    SG_UNUSED(restore); /* all state is keyed */
    return sg_state_declare(ctx, "q12_window", SG_STATE_VALUE, &s->win);
}

static int emit_window(sg_ctx *ctx, const q12_win *w)
{
    nxb_q12_row r = {.bidder = nxb_i64_at(sg_ctx_key(ctx), 0),
                     .count = w->count,
                     .start = w->end - NXB_Q12_WINDOW_MS,
                     .end = w->end};
    sg_bytes none = {0};
    return sg_emit(ctx, w->end - 1, none, (sg_bytes){&r, sizeof(r)});
}

static sg_time window_end(sg_time now)
{
    sg_time start = now - now % NXB_Q12_WINDOW_MS;
    if (now % NXB_Q12_WINDOW_MS < 0)
        start -= NXB_Q12_WINDOW_MS; /* floor for times before the epoch */
    return start + NXB_Q12_WINDOW_MS;
}

static int q12_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    q12_self *s = self;
    void *p;
    q12_win w;
    int rc;
    SG_UNUSED(port);
    SG_UNUSED(rec);
    sg_time end = window_end(sg_ctx_processing_time(ctx));
    if ((rc = sg_state_ref(ctx, s->win, 0, sizeof(w), &p, NULL)) < 0)
        return rc;
    memcpy(&w, p, sizeof(w));
    if (w.count > 0 && w.end == end) {
        w.count++;
        memcpy(p, &w, sizeof(w));
        return SG_OK;
    }
    q12_win fresh = {.end = end, .count = 1};
    memcpy(p, &fresh, sizeof(fresh));
    if (w.count > 0 && (rc = emit_window(ctx, &w)) < 0) /* an older window, not fired yet */
        return rc;
    if ((rc = sg_timer_set(ctx, SG_TIME_PROCESSING, end - 1)) < 0)
        return rc;
    return sg_timer_set(ctx, SG_TIME_EVENT, SG_TIME_MAX);
}

static int q12_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    q12_self *s = self;
    sg_bytes v;
    q12_win w;
    int rc = sg_state_get(ctx, s->win, 0, &v);
    if (rc < 0 || rc == SG_NOTFOUND)
        return rc < 0 ? rc : SG_OK;
    if (v.len != sizeof(w))
        return sg_ctx_errorf(ctx, SG_ESTATE, "q12: a window state of %zu bytes", v.len);
    memcpy(&w, v.data, sizeof(w));
    if (w.count <= 0 || (d == SG_TIME_PROCESSING && w.end - 1 != ts))
        return SG_OK; /* the timer of a window emitted already */
    if ((rc = emit_window(ctx, &w)) < 0)
        return rc;
    return sg_state_clear(ctx, s->win, 0);
}

const sg_operator_def nxb_q12_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "q12_proctime_count",
    .self_size = sizeof(q12_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = q12_open,
    .process = q12_process,
    .on_timer = q12_on_timer,
};
