/* What a keyed window holds, in its two modes, and firing it (operators/window.h).
 *
 * Aggregate mode: a pane, and a window's direct part, is one accumulator in a value
 * state; a window fires with the merge of its panes' accumulators and its direct one.
 * Sliding windows with small accumulators keep all of a key's panes in one value
 * instead (the ring, window.h): a firing then costs one lookup, not one per pane,
 * and the panes it merges are read from one place.
 *
 * Process mode: a pane, and a window's direct part, is a list of records (item
 * header + value) in list state. A window fires with the records of its panes and of
 * its direct list, sorted back into arrival order by their sequence numbers: the
 * panes are time ranges, so concatenating them would give pane order, not arrival
 * order. Each record is stored once, in its pane, however many windows contain it. */
#include <stdlib.h>
#include <string.h>

#include "operators/window.h"

int sg__win_item_parse(sg_ctx *ctx, sg_bytes item, uint64_t *seq, sg_record *rec)
{
    sg__win_item h;
    if (item.len < sizeof(h))
        return sg_ctx_errorf(ctx, SG_ESERDE, "window: a buffered record of %zu bytes is corrupt",
                             item.len);
    memcpy(&h, item.data, sizeof(h));
    *seq = h.seq;
    rec->ts = h.ts;
    rec->key = sg_ctx_key(ctx);
    rec->value.data = (const char *)item.data + sizeof(h);
    rec->value.len = item.len - sizeof(h);
    return SG_OK;
}

int sg__win_list_add(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t seq, const sg_record *rec)
{
    size_t len = sizeof(sg__win_item) + rec->value.len;
    unsigned char *buf = sg_scratch_alloc(ctx, len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    sg__win_item h = {seq, rec->ts};
    memcpy(buf, &h, sizeof(h));
    if (rec->value.len)
        memcpy(buf + sizeof(h), rec->value.data, rec->value.len);
    sg_bytes item = {buf, len};
    return sg_state_list_add(ctx, id, ns, item);
}

int sg__win_add(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_state_id id, int64_t ns,
                const sg_record *rec, bool *created)
{
    void *acc;
    int rc;
    if (sg__win_is_process(c)) {
        *created = true;
        return sg__win_list_add(ctx, id, ns, w->seq++, rec);
    }
    if ((rc = sg_state_ref(ctx, id, ns, c->agg.acc_size, &acc, created)) < 0)
        return rc;
    if (*created && c->agg.init)
        c->agg.init(acc, c->udata);
    return c->agg.add(acc, rec, c->udata);
}

/* ---- Aggregate mode: the ring ------------------------------------------------- */

/* A ring holds at most this many panes (one bit each), in at most this many bytes;
 * larger layouts keep a state entry per pane. */
#define RING_MAX_SLOTS 32
#define RING_MAX_BYTES 4096

void sg__win_ring_setup(const sg_window_config *c, sg__win_self *w)
{
    w->ring_slots = 0;
    if (sg__win_is_process(c) || c->slide >= c->size)
        return; /* tumbling windows are one pane already; with gaps, windows share none */
    sg_time k = c->size / c->pane;
    /* A window's panes and as many again: room for records ahead of the watermark. */
    sg_time slots = 2 * k < RING_MAX_SLOTS ? 2 * k : RING_MAX_SLOTS;
    size_t stride = (c->agg.acc_size + 7) & ~(size_t)7; /* keeps accumulators aligned */
    if (k > RING_MAX_SLOTS || stride == 0 || (size_t)slots * stride > RING_MAX_BYTES)
        return;
    w->ring_slots = (uint32_t)slots;
    w->ring_stride = stride;
}

static size_t ring_bytes(const sg__win_self *w)
{
    return sizeof(sg__win_ring) + w->ring_slots * w->ring_stride;
}

/* The slot of the pane ending at p (pane ends are multiples of the pane). */
static uint32_t ring_slot(const sg_window_config *c, const sg__win_self *w, sg_time p)
{
    sg_time r = (p / c->pane) % (sg_time)w->ring_slots;
    return (uint32_t)(r < 0 ? r + (sg_time)w->ring_slots : r);
}

/* Bit of the pane ending at p if the ring holds it, else 0. */
static uint32_t ring_has(const sg_window_config *c, const sg__win_self *w, const sg__win_ring *h,
                         sg_time p)
{
    if (p < h->base || p >= h->base + (sg_time)w->ring_slots * c->pane)
        return 0;
    return h->bits & (1u << ring_slot(c, w, p));
}

/* Whether the pane ending at p can be in the ring with the panes it holds; moves the
 * range's base if that makes it fit (slots do not move: they depend on p alone). */
static bool ring_fit(const sg_window_config *c, const sg__win_self *w, sg__win_ring *h, sg_time p)
{
    sg_time span = (sg_time)w->ring_slots * c->pane, lo = SG_TIME_MAX, hi = SG_TIME_MIN;
    if (!h->bits) {
        h->base = p;
        return true;
    }
    if (p >= h->base && p < h->base + span)
        return true;
    for (sg_time q = h->base; q < h->base + span; q += c->pane)
        if (ring_has(c, w, h, q)) {
            lo = q < lo ? q : lo;
            hi = q;
        }
    if (p < lo ? hi - p >= span : p - lo >= span)
        return false;
    h->base = p < lo ? p : lo;
    return true;
}

static int ring_put_header(sg_ctx *ctx, sg__win_self *w, const sg__win_ring *h)
{
    void *ring;
    int rc;
    if (!h->bits && !h->spilled) /* the key has no panes left */
        return sg_state_clear(ctx, w->ring, 0);
    if ((rc = sg_state_ref(ctx, w->ring, 0, ring_bytes(w), &ring, NULL)) < 0)
        return rc;
    memcpy(ring, h, sizeof(*h));
    return SG_OK;
}

int sg__win_pane_add(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time pane_end,
                     const sg_record *rec, bool *created)
{
    unsigned char *ring;
    sg__win_ring h;
    void *acc;
    int rc;
    if (!w->ring_slots)
        return sg__win_add(ctx, c, w, w->panes, pane_end, rec, created);
    if ((rc = sg_state_ref(ctx, w->ring, 0, ring_bytes(w), &acc, NULL)) < 0)
        return rc;
    ring = acc;
    memcpy(&h, ring, sizeof(h));
    if (ring_fit(c, w, &h, pane_end)) {
        uint32_t slot = ring_slot(c, w, pane_end);
        acc = ring + sizeof(h) + slot * w->ring_stride;
        *created = !(h.bits & (1u << slot));
        if (*created) {
            memset(acc, 0, c->agg.acc_size);
            if (c->agg.init)
                c->agg.init(acc, c->udata);
            h.bits |= 1u << slot;
        }
        memcpy(ring, &h, sizeof(h));
        return c->agg.add(acc, rec, c->udata);
    }
    /* Too far from the key's other panes: a state entry of its own. */
    if ((rc = sg__win_add(ctx, c, w, w->panes, pane_end, rec, created)) < 0 || !*created)
        return rc;
    h.spilled++;
    return ring_put_header(ctx, w, &h);
}

/* Folds accumulator acc into *sum (defined below). */
static int fold(sg_ctx *ctx, const sg_window_config *c, void **sum, const void *acc);

/* The panes of the window ending at 'end' that end by 'last', in a ring layout, in
 * pane order: each is folded into *sum (if sum is given); with 'clear' those that no
 * later window needs (ending by start + slide) are cleared; *remain is set if the
 * others exist. */
static int ring_walk(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end,
                     sg_time last, bool clear, void **sum, bool *remain)
{
    sg_time start = end - c->size;
    sg__win_ring h;
    sg_bytes v, acc;
    int rc = sg_state_get(ctx, w->ring, 0, &v);
    if (rc != SG_OK)
        return rc < 0 ? rc : SG_OK;
    if (v.len != ring_bytes(w))
        return sg_ctx_errorf(ctx, SG_ESERDE, "window: a pane ring of %zu bytes is corrupt", v.len);
    memcpy(&h, v.data, sizeof(h));
    sg__win_ring now = h;
    const unsigned char *ring = v.data;
    if (h.spilled) { /* the lookups below invalidate v: work on a copy */
        void *copy = sg_scratch_alloc(ctx, v.len);
        if (!copy)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        ring = memcpy(copy, v.data, v.len);
    }
    for (sg_time p = start + c->pane; p <= last; p += c->pane) {
        bool gone = clear && p <= start + c->slide;
        uint32_t bit = ring_has(c, w, &h, p);
        if (bit) {
            const void *a = ring + sizeof(h) + ring_slot(c, w, p) * w->ring_stride;
            if (sum && (rc = fold(ctx, c, sum, a)) < 0)
                return rc;
            if (gone)
                now.bits &= ~bit;
            else if (p > start + c->slide)
                *remain = true;
        }
        if (!h.spilled)
            continue;
        if ((rc = sg_state_get(ctx, w->panes, p, &acc)) < 0)
            return rc;
        if (rc == SG_NOTFOUND)
            continue;
        if (sum && (rc = fold(ctx, c, sum, acc.data)) < 0)
            return rc;
        if (gone) {
            if ((rc = sg_state_clear(ctx, w->panes, p)) < 0)
                return rc;
            now.spilled--;
        } else if (p > start + c->slide) {
            *remain = true;
        }
    }
    if (now.bits == h.bits && now.spilled == h.spilled)
        return SG_OK;
    return ring_put_header(ctx, w, &now);
}

/* ---- Aggregate mode ------------------------------------------------------------ */

/* Folds the accumulator acc into *sum: the first part found is copied (so a window
 * of one part needs no merge), later ones are merged. */
static int fold(sg_ctx *ctx, const sg_window_config *c, void **sum, const void *acc)
{
    if (*sum) {
        c->agg.merge(*sum, acc, c->udata);
        return SG_OK;
    }
    if (!(*sum = sg_scratch_alloc(ctx, c->agg.acc_size)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(*sum, acc, c->agg.acc_size);
    return SG_OK;
}

static int fire_aggregate(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end,
                          bool clear, bool *fired, bool *remain)
{
    sg_time start = end - c->size;
    void *sum = NULL;
    sg_bytes acc;
    int rc;
    if (w->ring_slots && (rc = ring_walk(ctx, c, w, end, end, clear, &sum, remain)) < 0)
        return rc;
    for (sg_time p = start + c->pane; !w->ring_slots && p <= end; p += c->pane) {
        if ((rc = sg_state_get(ctx, w->panes, p, &acc)) < 0)
            return rc;
        if (rc == SG_NOTFOUND)
            continue;
        if ((rc = fold(ctx, c, &sum, acc.data)) < 0)
            return rc;
        /* Panes ending by start + slide belong to no later window. */
        if (p > start + c->slide)
            *remain = true;
        else if (clear && (rc = sg_state_clear(ctx, w->panes, p)) < 0)
            return rc;
    }
    if (!w->direct_used)
        rc = SG_NOTFOUND;
    else if ((rc = sg_state_get(ctx, w->direct, end, &acc)) < 0)
        return rc;
    if (rc == SG_OK) {
        if ((rc = fold(ctx, c, &sum, acc.data)) < 0)
            return rc;
        if (clear && (rc = sg_state_clear(ctx, w->direct, end)) < 0)
            return rc;
    }
    *fired = sum != NULL;
    if (!sum)
        return SG_OK;
    return c->agg.result(ctx, sg_ctx_key(ctx), start, end, sum, c->udata);
}

/* ---- Process mode -------------------------------------------------------------- */

/* sg_list_item_fn: keeps a copy of one buffered record (the item is borrowed). */
static int collect_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    sg__win_collector *col = ud;
    if (col->n == col->cap) {
        size_t cap = col->cap ? col->cap * 2 : 16;
        sg__win_elem *v = sg_scratch_alloc(ctx, cap * sizeof(*v));
        if (!v)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        if (col->n)
            memcpy(v, col->v, col->n * sizeof(*v));
        col->v = v;
        col->cap = cap;
    }
    void *copy = sg_scratch_alloc(ctx, item.len);
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(copy, item.data, item.len);
    sg_bytes own = {copy, item.len};
    sg__win_elem *e = &col->v[col->n];
    int rc = sg__win_item_parse(ctx, own, &e->seq, &e->rec);
    if (rc < 0)
        return rc;
    col->n++;
    return SG_OK;
}

int sg__win_collect(sg_ctx *ctx, sg_state_id id, int64_t ns, sg__win_collector *col)
{
    return sg_state_list_each(ctx, id, ns, collect_item, col);
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const sg__win_elem *)a)->seq, y = ((const sg__win_elem *)b)->seq;
    return x < y ? -1 : x > y;
}

int sg__win_call(sg_ctx *ctx, const sg_window_process_def *proc, void *udata, sg_time start,
                 sg_time end, sg__win_collector *col)
{
    if (!col->n)
        return SG_OK;
    qsort(col->v, col->n, sizeof(*col->v), by_seq);
    sg_record *recs = sg_scratch_alloc(ctx, col->n * sizeof(*recs));
    if (!recs)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < col->n; i++)
        recs[i] = col->v[i].rec;
    return proc->process(ctx, sg_ctx_key(ctx), start, end, recs, col->n, udata);
}

static int fire_process(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end,
                        bool clear, bool *fired, bool *remain)
{
    sg_time start = end - c->size;
    sg__win_collector col = {NULL, 0, 0};
    int rc;
    for (sg_time p = start + c->pane; p <= end; p += c->pane) {
        size_t before = col.n;
        if ((rc = sg__win_collect(ctx, w->panes, p, &col)) < 0)
            return rc;
        if (col.n == before)
            continue;
        if (p > start + c->slide)
            *remain = true;
        else if (clear && (rc = sg_state_clear(ctx, w->panes, p)) < 0)
            return rc;
    }
    size_t before = col.n;
    if (w->direct_used && (rc = sg__win_collect(ctx, w->direct, end, &col)) < 0)
        return rc;
    if (clear && col.n > before && (rc = sg_state_clear(ctx, w->direct, end)) < 0)
        return rc;
    *fired = col.n > 0;
    return sg__win_call(ctx, &c->proc, c->udata, start, end, &col);
}

int sg__win_fire(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end, bool clear,
                 bool *fired, bool *remain)
{
    *fired = *remain = false;
    if (sg__win_is_process(c))
        return fire_process(ctx, c, w, end, clear, fired, remain);
    return fire_aggregate(ctx, c, w, end, clear, fired, remain);
}

int sg__win_clear(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end)
{
    sg_time start = end - c->size;
    /* Panes ending by start + slide are this window's alone; with slide > size the
     * window's own panes end by start + size, and the gap after it has none. */
    sg_time last = c->slide < c->size ? start + c->slide : end;
    bool remain = false;
    int rc;
    if (w->ring_slots && (rc = ring_walk(ctx, c, w, end, last, true, NULL, &remain)) < 0)
        return rc;
    for (sg_time p = start + c->pane; !w->ring_slots && p <= last; p += c->pane)
        if ((rc = sg_state_clear(ctx, w->panes, p)) < 0)
            return rc;
    return w->direct_used ? sg_state_clear(ctx, w->direct, end) : SG_OK;
}
