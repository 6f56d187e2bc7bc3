/* Keyed window join (Flink's a.join(b).where(..).equalTo(..).window(..)), tumbling
 * and sliding event-time windows.
 *
 * Panes: like operators/window.c, time is cut into panes of gcd(size, slide) (with
 * slide > size, records between windows are in none and are not stored). Each
 * record is appended once to its side's list of its (key, pane) (namespace = pane
 * end), however many windows contain it. A window [s, e) is the union of the panes
 * ending in (s, e]; when it fires, b's records of those panes are gathered, then each
 * of a's is joined with each of them.
 *
 * Timers: one per (key, window end), at end - 1 (setting it twice keeps one). A record
 * sets the timer of its first open window; a firing window clears the panes no later
 * window needs (those ending by s + slide) and, if other panes remain, sets the timer
 * of the next window. So every window containing a stored record fires, in order.
 *
 * Lateness (allowed lateness 0): a record whose last window has fired
 * (end - 1 <= sg_ctx_watermark) is dropped and counted. The watermark a record
 * carries can be ahead of the timers that fired (docs/architecture.md), so a record
 * may find its first windows closed although they have not fired yet; it must not
 * join in them, or the output would depend on parallelism. Each stored record keeps
 * the end of its first open window, and a firing window skips records whose first
 * window is later than itself. */
#include <string.h>

#include "operators/join_ops.h"

typedef struct wjoin_self {
    sg_state_id side[2]; /* LIST per (key, pane end): a's and b's records */
    unsigned char *buf;  /* b's records of the firing window: | len (u32) | item | ... */
    size_t len, cap;     /* reused from window to window: no allocation per firing */
} wjoin_self;

/* A stored item starts with the record's ts and the end of its first open window. */
typedef struct wjoin_hdr {
    sg_time ts, first_end;
} wjoin_hdr;

/* Floor division, correct for negative timestamps too. */
static sg_time floor_to(sg_time ts, sg_time unit)
{
    sg_time r = ts % unit;
    return r < 0 ? ts - r - unit : ts - r;
}

/* Every window bound computed for ts lies within 2 * size of it: keep them in int64. */
static bool fits(const sg_window_join_config *c, sg_time ts)
{
    sg_time margin = 2 * (c->size > c->slide ? c->size : c->slide);
    return ts >= SG_TIME_MIN + margin && ts <= SG_TIME_MAX - margin;
}

static int wjoin_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    wjoin_self *w = self;
    SG_UNUSED(restore); /* all state is keyed, and timers are the engine's */
    int rc = sg_state_declare(ctx, "window-join-a", SG_STATE_LIST, &w->side[0]);
    return rc < 0 ? rc : sg_state_declare(ctx, "window-join-b", SG_STATE_LIST, &w->side[1]);
}

static void wjoin_close(sg_ctx *ctx, void *self)
{
    SG_UNUSED(ctx);
    sg_free(((wjoin_self *)self)->buf);
}

static int wjoin_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_window_join_config *c = sg_ctx_udata(ctx);
    wjoin_self *w = self;
    sg_time wm = sg_ctx_watermark(ctx);
    if (port != 0 && port != 1)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "window join: record on port %d", port);
    if (!fits(c, rec->ts)) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limits for its windows");
        return SG_OK;
    }
    sg_time last_end = floor_to(rec->ts, c->slide) + c->size;
    if (last_end <= rec->ts) /* slide > size: between two windows, in none (not late) */
        return SG_OK;
    if (last_end - 1 <= wm) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    /* The first window containing ts starts at the first multiple of slide above
     * ts - size; skip those the record's watermark has closed. */
    sg_time first_end = floor_to(rec->ts - c->size, c->slide) + c->slide + c->size;
    if (first_end - 1 <= wm)
        first_end += (floor_to(wm + 1 - first_end, c->slide) / c->slide + 1) * c->slide;
    size_t len = sizeof(wjoin_hdr) + rec->value.len;
    unsigned char *item = sg_scratch_alloc(ctx, len);
    if (!item)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    wjoin_hdr h = {rec->ts, first_end};
    memcpy(item, &h, sizeof(h));
    if (rec->value.len)
        memcpy(item + sizeof(h), rec->value.data, rec->value.len);
    sg_bytes v = {item, len};
    sg_time pane_end = floor_to(rec->ts, c->pane) + c->pane;
    int rc = sg_state_list_add(ctx, w->side[port], pane_end, v);
    return rc < 0 ? rc : sg_timer_set(ctx, SG_TIME_EVENT, first_end - 1);
}

/* ---- Firing a window ---------------------------------------------------------------- */

typedef struct fire {
    const sg_window_join_config *c;
    wjoin_self *w;
    sg_time end;
    bool seen; /* the pane being read has items */
} fire;

/* Splits an item into its header and a record view (key: the current key). */
static int parse_item(sg_ctx *ctx, sg_bytes item, wjoin_hdr *h, sg_record *rec)
{
    if (item.len < sizeof(*h))
        return sg_ctx_errorf(ctx, SG_ESERDE, "window join: a stored record is corrupt");
    memcpy(h, item.data, sizeof(*h));
    rec->ts = h->ts;
    rec->key = sg_ctx_key(ctx);
    rec->value.data = (const unsigned char *)item.data + sizeof(*h);
    rec->value.len = item.len - sizeof(*h);
    return SG_OK;
}

/* Copies one of b's items into w->buf, if it belongs to the firing window. */
static int gather_b(sg_ctx *ctx, sg_bytes item, void *ud)
{
    fire *f = ud;
    wjoin_self *w = f->w;
    wjoin_hdr h;
    sg_record rec;
    int rc;
    f->seen = true;
    if ((rc = parse_item(ctx, item, &h, &rec)) < 0)
        return rc;
    if (h.first_end > f->end)
        return SG_OK;
    size_t need = w->len + sizeof(uint32_t) + item.len;
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < need)
            cap *= 2;
        unsigned char *p = sg_realloc(w->buf, cap);
        if (!p)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory gathering a join window");
        w->buf = p;
        w->cap = cap;
    }
    uint32_t n = (uint32_t)item.len; /* list items are at most UINT32_MAX bytes */
    memcpy(w->buf + w->len, &n, sizeof(n));
    memcpy(w->buf + w->len + sizeof(n), item.data, item.len);
    w->len = need;
    return SG_OK;
}

/* Joins one of a's items with every gathered b. */
static int join_a(sg_ctx *ctx, sg_bytes item, void *ud)
{
    fire *f = ud;
    wjoin_hdr h;
    sg_record a, b;
    int rc;
    f->seen = true;
    if ((rc = parse_item(ctx, item, &h, &a)) < 0)
        return rc;
    if (h.first_end > f->end)
        return SG_OK;
    for (size_t at = 0; at < f->w->len;) {
        uint32_t n;
        memcpy(&n, f->w->buf + at, sizeof(n));
        sg_bytes bi = {f->w->buf + at + sizeof(n), n};
        if ((rc = parse_item(ctx, bi, &h, &b)) < 0)
            return rc;
        if ((rc = f->c->def.join(ctx, a.key, &a, &b, f->end - 1, f->c->udata)) < 0)
            return rc;
        at += sizeof(n) + n;
    }
    return SG_OK;
}

/* Reads side 'port' of every pane of the window through fn; clears the panes no
 * later window needs and tells whether any other pane has items. */
static int walk_side(sg_ctx *ctx, fire *f, int port, sg_list_item_fn fn, bool *remain)
{
    const sg_window_join_config *c = f->c;
    sg_time start = f->end - c->size;
    int rc;
    for (sg_time p = start + c->pane; p <= f->end; p += c->pane) {
        f->seen = false;
        if ((rc = sg_state_list_each(ctx, f->w->side[port], p, fn, f)) < 0)
            return rc;
        if (!f->seen)
            continue;
        if (p > start + c->slide)
            *remain = true;
        else if ((rc = sg_state_clear(ctx, f->w->side[port], p)) < 0)
            return rc;
    }
    return SG_OK;
}

static int wjoin_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    fire f = {sg_ctx_udata(ctx), self, ts + 1, false};
    bool remain = false;
    int rc;
    SG_UNUSED(d);
    f.w->len = 0;
    if ((rc = walk_side(ctx, &f, 1, gather_b, &remain)) < 0 ||
        (rc = walk_side(ctx, &f, 0, join_a, &remain)) < 0)
        return rc;
    f.w->len = 0;
    return remain ? sg_timer_set(ctx, SG_TIME_EVENT, f.end + f.c->slide - 1) : SG_OK;
}

const sg_operator_def sg_window_join_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "window_join",
    .self_size = sizeof(wjoin_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 2,
    .open = wjoin_open,
    .process = wjoin_process,
    .on_timer = wjoin_on_timer,
    .close = wjoin_close,
};
