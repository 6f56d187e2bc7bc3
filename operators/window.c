/* Keyed event-time window aggregation (tumbling and sliding), Flink semantics.
 *
 * Panes: time is cut into panes of gcd(size, slide); a record updates the one
 * accumulator of its (key, pane) in keyed state (namespace = the pane's end), so a
 * record costs one state lookup however many windows contain it. A window [s, e)
 * is the union of the panes ending in (s, e]; when it fires its panes are merged.
 *
 * Timers: a key has at most one pending timer per window end. A new pane sets a
 * timer at the end - 1 of its first window that has not fired; when a window fires
 * it clears the panes no later window needs and, if panes remain, sets the timer
 * of the next window. So every pane is cleared by the last window containing it.
 *
 * Lateness (allowed lateness 0): a record is late when the last window containing it
 * has fired (end - 1 <= watermark); it is dropped and counted. A record for which
 * only some of its windows are closed must not reach the closed ones, which its pane
 * could still feed (the watermark sg_ctx_watermark gives may be ahead of the timers
 * that fired); such a rare record goes straight into a per-window accumulator of
 * each open window (state "window-direct", namespace = window end). */
#include <string.h>

#include "operators/builtin_ops.h"

typedef struct window_self {
    sg_state_id acc;    /* per (key, pane end) */
    sg_state_id direct; /* per (key, window end): partly late records */
} window_self;

/* Floor division, correct for negative timestamps too. */
static sg_time floor_to(sg_time ts, sg_time unit)
{
    sg_time r = ts % unit;
    return r < 0 ? ts - r - unit : ts - r;
}

/* Every window bound computed for ts lies within 2 * size of it: keep them in int64. */
static bool fits(const sg_window_config *c, sg_time ts)
{
    return ts >= SG_TIME_MIN + 2 * c->size && ts <= SG_TIME_MAX - 2 * c->size;
}

static int window_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    window_self *w = self;
    SG_UNUSED(restore);
    int rc = sg_state_declare(ctx, "window-acc", SG_STATE_VALUE, &w->acc);
    return rc < 0 ? rc : sg_state_declare(ctx, "window-direct", SG_STATE_VALUE, &w->direct);
}

/* The end of the first window containing the pane that ends at pane_end and has not
 * fired at watermark wm. Window ends are congruent to size modulo slide. */
static sg_time first_open_window_end(const sg_window_config *c, sg_time pane_end, sg_time wm)
{
    sg_time end = floor_to(pane_end - c->size, c->slide) + c->size;
    if (end < pane_end)
        end += c->slide;
    if (end - 1 <= wm)
        end += (floor_to(wm + 1 - end, c->slide) / c->slide + 1) * c->slide;
    return end;
}

/* A record some of whose windows are closed: add it to each open one directly. */
static int add_direct(sg_ctx *ctx, const sg_window_config *c, window_self *w, const sg_record *rec,
                      sg_time end, sg_time wm)
{
    sg_time last_end = floor_to(rec->ts, c->slide) + c->size;
    int rc;
    for (; end <= last_end; end += c->slide) {
        if (end - 1 <= wm)
            continue;
        void *acc;
        bool created;
        if ((rc = sg_state_ref(ctx, w->direct, end, c->agg.acc_size, &acc, &created)) < 0)
            return rc;
        if (created && c->agg.init)
            c->agg.init(acc, c->udata);
        if ((rc = c->agg.add(acc, rec, c->udata)) < 0)
            return rc;
        if (created && (rc = sg_timer_set(ctx, SG_TIME_EVENT, end - 1)) < 0)
            return rc;
    }
    return SG_OK;
}

static int window_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    window_self *w = self;
    sg_time wm = sg_ctx_watermark(ctx);
    void *acc;
    bool created;
    int rc;
    SG_UNUSED(port);
    if (!fits(c, rec->ts)) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limits for its windows");
        return SG_OK;
    }
    if (floor_to(rec->ts, c->slide) + c->size - 1 <= wm) {
        if (c->late_tag) /* Flink counts only the late records it drops */
            return sg_emit_side(ctx, c->late_tag, rec->ts, rec->key, rec->value);
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    sg_time pane_end = floor_to(rec->ts, c->pane) + c->pane;
    sg_time first_end = floor_to(rec->ts - c->size, c->slide) + c->slide + c->size;
    if (first_end - 1 <= wm)
        return add_direct(ctx, c, w, rec, first_end, wm);
    if ((rc = sg_state_ref(ctx, w->acc, pane_end, c->agg.acc_size, &acc, &created)) < 0)
        return rc;
    if (created && c->agg.init)
        c->agg.init(acc, c->udata);
    if ((rc = c->agg.add(acc, rec, c->udata)) < 0)
        return rc;
    /* An existing pane already has a pending timer covering it (see the top). */
    if (!created)
        return SG_OK;
    return sg_timer_set(ctx, SG_TIME_EVENT, first_open_window_end(c, pane_end, wm) - 1);
}

/* Prefetching this many records ahead hides most of a state lookup's memory latency
 * (sg_state_prefetch pipelines the slot and the entry over successive calls). */
#define PREFETCH_AHEAD 8

static int window_process_batch(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    window_self *w = self;
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        if (fits(c, recs[i].ts))
            sg_state_prefetch(ctx, w->acc, i, floor_to(recs[i].ts, c->pane) + c->pane);
    for (size_t i = 0; i < n; i++) {
        size_t ahead = i + PREFETCH_AHEAD;
        if (ahead < n && fits(c, recs[ahead].ts))
            sg_state_prefetch(ctx, w->acc, ahead, floor_to(recs[ahead].ts, c->pane) + c->pane);
        sg_ctx_select(ctx, i);
        int rc = window_process(ctx, self, port, &recs[i]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

static int fire_tumbling(sg_ctx *ctx, const sg_window_config *c, window_self *w, sg_time end)
{
    sg_bytes acc;
    int rc = sg_state_get(ctx, w->acc, end, &acc);
    if (rc != SG_OK)
        return rc < 0 ? rc : SG_OK;
    if ((rc = c->agg.result(ctx, sg_ctx_key(ctx), end - c->size, end, acc.data, c->udata)) < 0)
        return rc;
    return sg_state_clear(ctx, w->acc, end);
}

static int fire_sliding(sg_ctx *ctx, const sg_window_config *c, window_self *w, sg_time end)
{
    sg_time start = end - c->size;
    void *sum = sg_scratch_alloc(ctx, c->agg.acc_size);
    bool any = false, remain = false;
    int rc;
    if (!sum)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memset(sum, 0, c->agg.acc_size);
    if (c->agg.init)
        c->agg.init(sum, c->udata);
    for (sg_time p = start + c->pane; p <= end; p += c->pane) {
        sg_bytes acc;
        if ((rc = sg_state_get(ctx, w->acc, p, &acc)) < 0)
            return rc;
        if (rc == SG_NOTFOUND)
            continue;
        c->agg.merge(sum, acc.data, c->udata);
        any = true;
        /* Panes ending by start + slide belong to no later window. */
        if (p <= start + c->slide) {
            if ((rc = sg_state_clear(ctx, w->acc, p)) < 0)
                return rc;
        } else {
            remain = true;
        }
    }
    sg_bytes direct;
    if ((rc = sg_state_get(ctx, w->direct, end, &direct)) < 0)
        return rc;
    if (rc == SG_OK) {
        c->agg.merge(sum, direct.data, c->udata);
        any = true;
        if ((rc = sg_state_clear(ctx, w->direct, end)) < 0)
            return rc;
    }
    if (any && (rc = c->agg.result(ctx, sg_ctx_key(ctx), start, end, sum, c->udata)) < 0)
        return rc;
    return remain ? sg_timer_set(ctx, SG_TIME_EVENT, end + c->slide - 1) : SG_OK;
}

static int window_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    SG_UNUSED(d);
    if (c->pane == c->size)
        return fire_tumbling(ctx, c, self, ts + 1);
    return fire_sliding(ctx, c, self, ts + 1);
}

const sg_operator_def sg_window_aggregate_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "window_aggregate",
    .self_size = sizeof(window_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = window_open,
    .process = window_process,
    .on_timer = window_on_timer,
    .process_batch = window_process_batch,
};
