/* threshold_op.c — the example custom operator of docs/operators.md: a keyed threshold
 * alert over tumbling event-time windows.
 *
 * For each key and window [start, end) it counts records in keyed state (namespace =
 * the window end) and emits an alert the moment the count reaches the threshold, not
 * when the window closes: the built-in window aggregate cannot do that. A timer at
 * end - 1 clears the count once the watermark passes the window, and reports the total
 * of a key that alerted. Records of a window that has closed are late: counted, dropped.
 * Everything the operator remembers is keyed state, so it needs no snapshot callback. */
#include "threshold.h"

typedef struct threshold_self {
    sg_state_id count; /* keyed u64 per (key, window end): records seen so far */
} threshold_self;

static int th_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    threshold_self *t = self;
    SG_UNUSED(restore); /* nothing outside keyed state to restore */
    return sg_state_declare(ctx, "count", SG_STATE_VALUE, &t->count);
}

/* Emits one output row for the current key and the window that ends at 'end'. */
static int emit_row(sg_ctx *ctx, sg_time ts, sg_time end, uint64_t count, uint64_t kind)
{
    const ex_threshold_config *cfg = sg_ctx_udata(ctx);
    ex_alert a = {.start = end - cfg->window_ms, .end = end, .count = count, .kind = kind};
    sg_bytes value = {&a, sizeof(a)};
    return sg_emit(ctx, ts, sg_ctx_key(ctx), value); /* copied: a may live on the stack */
}

static int th_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const ex_threshold_config *cfg = sg_ctx_udata(ctx);
    threshold_self *t = self;
    sg_time w = cfg->window_ms, r, end;
    uint64_t n = 0; /* stays 0 when the get returns SG_NOTFOUND: the window's first record */
    int rc;
    SG_UNUSED(port);
    /* A window end beyond int64 has no meaning: bad data, not a reason to fail the job. */
    if (rec->ts < SG_TIME_MIN + w || rec->ts > SG_TIME_MAX - w) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limits");
        return SG_OK;
    }
    r = rec->ts % w;
    end = rec->ts - (r < 0 ? r + w : r) + w; /* floor, right for negative times too */
    if (end - 1 <= sg_ctx_watermark(ctx)) {  /* the window has closed (or is closing) */
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if ((rc = sg_state_get_u64(ctx, t->count, end, &n)) < 0)
        return rc;
    if ((rc = sg_state_put_u64(ctx, t->count, end, ++n)) < 0)
        return rc;
    /* == rather than >=: the alert goes out once, however many records follow. */
    if (n == cfg->threshold && (rc = emit_row(ctx, rec->ts, end, n, EX_ALERT)) < 0)
        return rc;
    /* Idempotent per (key, end): setting it again costs a hash lookup, and saves us
     * remembering whether it was set. */
    return sg_timer_set(ctx, SG_TIME_EVENT, end - 1);
}

static int th_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const ex_threshold_config *cfg = sg_ctx_udata(ctx);
    threshold_self *t = self;
    sg_time end = ts + 1; /* the timer was set at end - 1, Flink's window firing time */
    uint64_t n = 0;
    int rc;
    SG_UNUSED(d); /* only event-time timers are set */
    if ((rc = sg_state_get_u64(ctx, t->count, end, &n)) < 0)
        return rc;
    if (n >= cfg->threshold && (rc = emit_row(ctx, ts, end, n, EX_CLOSED)) < 0)
        return rc;
    return sg_state_clear(ctx, t->count, end); /* without this, state grows forever */
}

const sg_operator_def ex_threshold_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "threshold-alert",
    .self_size = sizeof(threshold_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = th_open,
    .process = th_process,
    .on_timer = th_on_timer,
    /* on_watermark, snapshot, finish, close: NULL. Timers do the watermark's work, all
     * state is keyed, the final watermark fires every timer, and self owns no memory. */
};
