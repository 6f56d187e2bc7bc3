/* Keyed event-time windows (tumbling and sliding), Flink semantics, with an
 * incremental aggregate or a process-window function (their content and firing:
 * window_content.c), and allowed lateness with late firings.
 *
 * Panes: time is cut into panes of gcd(size, slide); a record goes into the pane
 * of its (key, pane) in keyed state (namespace = the pane's end): one accumulator,
 * or one list of records, so a record costs one state operation however many
 * windows contain it. A window [s, e) is the union of the panes ending in (s, e].
 * With slide > size windows have gaps between them: a record in a gap is in no
 * window and is skipped, never late (Flink assigns it no window too, but counts it
 * late when ts + lateness <= watermark; a record no window wants is not late data),
 * and a window's panes are its own.
 *
 * Timers: a timer at t fires the window that ends at t + 1 on time and, with allowed
 * lateness L > 0, cleans up the window that ends at t + 1 - L (window ends are
 * congruent to size modulo slide; either may not exist). A new pane sets the timer
 * of its first window. A window that fires sets the timer of the next window if
 * panes later windows need remain, and its cleanup timer at end - 1 + L; with L = 0
 * the firing is the cleanup. A cleanup clears the panes whose last window it is, so
 * every pane is cleared by the last window containing it.
 *
 * Lateness. For each window W = [s, e) of a record, with wm = sg_ctx_watermark:
 *   open      e - 1 > wm                W has not fired as far as the record goes;
 *   lateable  e - 1 <= wm < e - 1 + L   W has fired (or should have), not cleaned up;
 *   gone      e - 1 + L <= wm           W is cleaned up (or should be).
 * A record all of whose windows are open goes into its pane: the fast path. One all
 * of whose windows are gone is late (dropped and counted, or sent to late_tag). Any
 * other record is added window by window, in state "window-direct" (namespace = the
 * window's end), never to its pane: the pane also feeds windows that are closed for
 * this record but which the operator may not have fired yet (sg_ctx_watermark can be
 * ahead of the operator's own watermark). Open windows take it as a normal record;
 * gone ones not at all; a lateable one takes it and fires again at once (a late
 * firing) -- unless the operator has not fired it on time yet (e - 1 > w->wm, its own
 * watermark). Then the record waits in the window's pending list ("window-pending"),
 * and the on-time firing, when the timer comes, is followed by one late firing per
 * pending record. Either way a window's firings depend on the input alone: on time
 * with the records that arrived before the watermark reached e - 1, then one late
 * firing per later record, each with the window's whole content. */
#include <string.h>

#include "operators/window.h"

/* Floor division, correct for negative timestamps too. */
static sg_time floor_to(sg_time ts, sg_time unit)
{
    sg_time r = ts % unit;
    return r < 0 ? ts - r - unit : ts - r;
}

/* Every window bound and timer computed for ts lies within 2 * max(size, slide) +
 * lateness of it: keep them in int64. */
static bool fits(const sg_window_config *c, sg_time ts)
{
    sg_time margin = 2 * (c->size > c->slide ? c->size : c->slide) + c->lateness;
    return ts >= SG_TIME_MIN + margin && ts <= SG_TIME_MAX - margin;
}

static bool is_window_end(const sg_window_config *c, sg_time end)
{
    return floor_to(end - c->size, c->slide) == end - c->size;
}

static int window_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    sg__win_self *w = self;
    bool proc = sg__win_is_process(c);
    sg_state_kind kind = proc ? SG_STATE_LIST : SG_STATE_VALUE;
    int64_t wm;
    int rc;
    w->wm = SG_TIME_MIN;
    if ((rc = sg_state_declare(ctx, proc ? "window-elems" : "window-acc", kind, &w->panes)) < 0 ||
        (rc = sg_state_declare(ctx, proc ? "window-direct-elems" : "window-direct", kind,
                               &w->direct)) < 0)
        return rc;
    if (c->lateness > 0 &&
        (rc = sg_state_declare(ctx, "window-pending", SG_STATE_LIST, &w->pending)) < 0)
        return rc;
    if (!restore)
        return SG_OK;
    w->direct_used = true; /* the restored state may hold direct parts */
    if ((rc = sg_snap_get_i64(restore, &wm)) < 0 || (rc = sg_snap_get_u64(restore, &w->seq)) < 0)
        return sg_ctx_errorf(ctx, rc, "window: the snapshot is malformed");
    w->wm = wm;
    return SG_OK;
}

/* The watermark and the arrival counter are the instance's own state: the watermark
 * says which windows have fired, so a restored instance must not forget it. */
static int window_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const sg__win_self *w = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_i64(out, w->wm)) < 0)
        return rc;
    return sg_snap_put_u64(out, w->seq);
}

static int window_on_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    SG_UNUSED(ctx);
    ((sg__win_self *)self)->wm = wm; /* every timer <= wm has fired (operator rule 3) */
    return SG_OK;
}

static int drop_late(sg_ctx *ctx, const sg_window_config *c, const sg_record *rec)
{
    if (c->late_tag) /* Flink counts only the late records it drops */
        return sg_emit_side(ctx, c->late_tag, rec->ts, rec->key, rec->value);
    sg_ctx_count_late(ctx, 1);
    return SG_OK;
}

/* A lateable window the operator has fired already: add rec and fire again. */
static int late_firing(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w,
                       const sg_record *rec, sg_time end)
{
    bool created, fired, remain;
    int rc;
    if ((rc = sg__win_add(ctx, c, w, w->direct, end, rec, &created)) < 0 ||
        (rc = sg__win_fire(ctx, c, w, end, false, &fired, &remain)) < 0)
        return rc;
    /* Set already if the window fired on time; not if it was empty then. */
    return sg_timer_set(ctx, SG_TIME_EVENT, end - 1 + c->lateness);
}

/* A record not all of whose windows are open (see the top). Its windows are taken
 * latest first, as Flink assigns them, so several late firings for one record come
 * in that order. */
static int add_closed(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, const sg_record *rec,
                      sg_time first_end, sg_time wm)
{
    sg_time last_end = floor_to(rec->ts, c->slide) + c->size;
    bool created;
    int rc = SG_OK;
    if (last_end - 1 + c->lateness <= wm)
        return drop_late(ctx, c, rec);
    w->direct_used = true; /* direct parts, and pending records replayed into them */
    for (sg_time end = last_end; end >= first_end && rc >= 0; end -= c->slide) {
        if (end - 1 + c->lateness <= wm)
            continue; /* gone */
        if (end - 1 > wm) {
            rc = sg__win_add(ctx, c, w, w->direct, end, rec, &created);
            if (rc >= 0 && created)
                rc = sg_timer_set(ctx, SG_TIME_EVENT, end - 1);
        } else if (end - 1 > w->wm) {
            rc = sg__win_list_add(ctx, w->pending, end, w->seq++, rec);
            if (rc >= 0) /* the window may have been empty: make sure it fires */
                rc = sg_timer_set(ctx, SG_TIME_EVENT, end - 1);
        } else {
            rc = late_firing(ctx, c, w, rec, end);
        }
    }
    return rc;
}

static int window_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    sg__win_self *w = self;
    sg_time wm = sg_ctx_watermark(ctx);
    void *acc;
    bool created;
    int rc;
    SG_UNUSED(port);
    if (w->wm > wm) /* restored, before the first watermark */
        wm = w->wm;
    if (!fits(c, rec->ts)) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limits for its windows");
        return SG_OK;
    }
    /* With slide > size a record between two windows belongs to none: it is not
     * assigned, and not late either. */
    if (c->slide > c->size && floor_to(rec->ts, c->slide) + c->size <= rec->ts)
        return SG_OK;
    sg_time first_end = floor_to(rec->ts - c->size, c->slide) + c->slide + c->size;
    if (first_end - 1 <= wm)
        return add_closed(ctx, c, w, rec, first_end, wm);
    sg_time pane_end = floor_to(rec->ts, c->pane) + c->pane;
    if (sg__win_is_process(c)) {
        if ((rc = sg__win_list_add(ctx, w->panes, pane_end, w->seq++, rec)) < 0)
            return rc;
        return sg_timer_set(ctx, SG_TIME_EVENT, first_end - 1);
    }
    if ((rc = sg_state_ref(ctx, w->panes, pane_end, c->agg.acc_size, &acc, &created)) < 0)
        return rc;
    if (created && c->agg.init)
        c->agg.init(acc, c->udata);
    if ((rc = c->agg.add(acc, rec, c->udata)) < 0)
        return rc;
    /* An existing pane already has a pending timer covering it (see the top). */
    if (!created)
        return SG_OK;
    return sg_timer_set(ctx, SG_TIME_EVENT, first_end - 1);
}

/* Prefetching this many records ahead hides most of a state lookup's memory latency
 * (sg_state_prefetch pipelines the slot and the entry over successive calls). */
#define PREFETCH_AHEAD 8

static int window_process_batch(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    sg__win_self *w = self;
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        if (fits(c, recs[i].ts))
            sg_state_prefetch(ctx, w->panes, i, floor_to(recs[i].ts, c->pane) + c->pane);
    for (size_t i = 0; i < n; i++) {
        size_t ahead = i + PREFETCH_AHEAD;
        if (ahead < n && fits(c, recs[ahead].ts))
            sg_state_prefetch(ctx, w->panes, ahead, floor_to(recs[ahead].ts, c->pane) + c->pane);
        sg_ctx_select(ctx, i);
        int rc = window_process(ctx, self, port, &recs[i]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

/* The fast path of tumbling aggregates without lateness: one pane, no direct part
 * (a tumbling window's only window is its pane's), fire and clear. */
static int fire_tumbling(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end)
{
    sg_bytes acc;
    int rc = sg_state_get(ctx, w->panes, end, &acc);
    if (rc != SG_OK)
        return rc < 0 ? rc : SG_OK;
    if ((rc = c->agg.result(ctx, sg_ctx_key(ctx), end - c->size, end, acc.data, c->udata)) < 0)
        return rc;
    return sg_state_clear(ctx, w->panes, end);
}

typedef struct replay {
    const sg_window_config *c;
    sg__win_self *w;
    sg_time end;
    size_t n; /* records replayed */
} replay;

/* sg_list_item_fn: one pending record joins its window, which fires again. */
static int replay_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    replay *r = ud;
    uint64_t seq;
    sg_record rec;
    bool created, fired, remain;
    int rc;
    if ((rc = sg__win_item_parse(ctx, item, &seq, &rec)) < 0)
        return rc;
    if (sg__win_is_process(r->c))
        rc = sg__win_list_add(ctx, r->w->direct, r->end, seq, &rec);
    else
        rc = sg__win_add(ctx, r->c, r->w, r->w->direct, r->end, &rec, &created);
    if (rc < 0)
        return rc;
    r->n++;
    return sg__win_fire(ctx, r->c, r->w, r->end, false, &fired, &remain);
}

/* The on-time firing of the window ending at 'end', then its pending late records. */
static int fire_on_time(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end)
{
    bool clear = c->lateness == 0, fired, remain;
    int rc = sg__win_fire(ctx, c, w, end, clear, &fired, &remain);
    if (rc < 0)
        return rc;
    if (remain && (rc = sg_timer_set(ctx, SG_TIME_EVENT, end + c->slide - 1)) < 0)
        return rc;
    if (clear)
        return SG_OK;
    replay r = {c, w, end, 0};
    if ((rc = sg_state_list_each(ctx, w->pending, end, replay_item, &r)) < 0)
        return rc;
    if (r.n > 0) {
        if ((rc = sg_state_clear(ctx, w->pending, end)) < 0)
            return rc;
        fired = true;
    }
    return fired ? sg_timer_set(ctx, SG_TIME_EVENT, end - 1 + c->lateness) : SG_OK;
}

static int window_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const sg_window_config *c = sg_ctx_udata(ctx);
    sg__win_self *w = self;
    int rc;
    SG_UNUSED(d);
    if (c->lateness == 0 && c->pane == c->size && !sg__win_is_process(c))
        return fire_tumbling(ctx, c, w, ts + 1);
    if (c->lateness > 0 && is_window_end(c, ts + 1 - c->lateness) &&
        (rc = sg__win_clear(ctx, c, w, ts + 1 - c->lateness)) < 0)
        return rc;
    return is_window_end(c, ts + 1) ? fire_on_time(ctx, c, w, ts + 1) : SG_OK;
}

const sg_operator_def sg_window_aggregate_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "window_aggregate",
    .self_size = sizeof(sg__win_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = window_open,
    .process = window_process,
    .on_watermark = window_on_watermark,
    .on_timer = window_on_timer,
    .snapshot = window_snapshot,
    .process_batch = window_process_batch,
};

const sg_operator_def sg_window_process_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "window_process",
    .self_size = sizeof(sg__win_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = window_open,
    .process = window_process,
    .on_watermark = window_on_watermark,
    .on_timer = window_on_timer,
    .snapshot = window_snapshot,
    .process_batch = window_process_batch,
};
