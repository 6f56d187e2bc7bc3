/* What a keyed window holds, in its two modes, and firing it (operators/window.h).
 *
 * Aggregate mode: a pane, and a window's direct part, is one accumulator in a value
 * state; a window fires with the merge of its panes' accumulators and its direct one.
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
    for (sg_time p = start + c->pane; p <= end; p += c->pane) {
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
    int rc;
    for (sg_time p = start + c->pane; p <= last; p += c->pane)
        if ((rc = sg_state_clear(ctx, w->panes, p)) < 0)
            return rc;
    return w->direct_used ? sg_state_clear(ctx, w->direct, end) : SG_OK;
}
