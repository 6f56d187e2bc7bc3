/* nxb_q5_combine.c — q5's combiner: bids counted per (auction, 2 s pane) before the
 * shuffle (see nxb.h).
 *
 * Why: with Nexmark's defaults an auction takes ~18 bids per pane, ~9 per generator
 * instance, so shuffling one count per (auction, pane) instead of every bid divides the
 * exchange and the window operator's per-record work by ~9 (docs/benchmarks.md,
 * "Profile: keyed windows and joins").
 *
 * Why the results do not change. The window operator decides lateness per record from
 * the watermark the record carries (sg_ctx_watermark). The combiner runs chained
 * behind the source, so it sees the same carried watermark, and it only holds bids
 * that are on time for all their windows (pane end - 1 > carried watermark): the
 * others go on at once, one record each, and the window operator treats them exactly
 * as before. A held pane is emitted from on_watermark, before the watermark that
 * reaches its end - 1 is forwarded; records emitted there carry the watermark the
 * operator forwarded before, which is below the pane's end - 1 (every bid in it was
 * on time with a carried watermark no earlier than that), so the window operator
 * takes them into the pane, as it took the bids. Counts add, so the order of arrival
 * inside a pane does not matter. */
#include <string.h>

#include "nx_util.h"
#include "nxb.h"

typedef struct cslot {
    int64_t auction;
    sg_time pane_end; /* 0 with count 0: empty (pane ends are never 0 with a count) */
    int64_t count;
} cslot;

typedef struct combine_self {
    cslot *slots;
    size_t mask, n;  /* slot count - 1 (0 before the first bid), used slots */
    sg_time min_end; /* the earliest pane end held; SG_TIME_MAX when empty */
    cslot *spare;    /* survivors of a flush, reinserted */
    size_t cap_spare;
} combine_self;

static size_t slot_of(const combine_self *s, int64_t auction, sg_time pane_end)
{
    uint64_t h = (uint64_t)auction * 0x9e3779b97f4a7c15ULL ^ (uint64_t)pane_end;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return (size_t)(h ^ (h >> 32)) & s->mask;
}

static cslot *find_or_add(combine_self *s, int64_t auction, sg_time pane_end)
{
    for (size_t i = slot_of(s, auction, pane_end);; i = (i + 1) & s->mask) {
        cslot *c = &s->slots[i];
        if (c->count == 0) {
            c->auction = auction;
            c->pane_end = pane_end;
            s->n++;
            return c;
        }
        if (c->auction == auction && c->pane_end == pane_end)
            return c;
    }
}

/* Keeps the load at most 1/2. */
static int reserve(combine_self *s)
{
    if (s->mask && 2 * (s->n + 1) <= s->mask + 1)
        return SG_OK;
    size_t cap = s->mask ? 2 * (s->mask + 1) : 1024;
    cslot *old = s->slots;
    size_t old_cap = s->mask ? s->mask + 1 : 0;
    cslot *slots = sg_calloc(cap, sizeof(*slots));
    if (!slots)
        return SG_ENOMEM;
    s->slots = slots;
    s->mask = cap - 1;
    s->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].count)
            find_or_add(s, old[i].auction, old[i].pane_end)->count = old[i].count;
    sg_free(old);
    return SG_OK;
}

static int add(combine_self *s, int64_t auction, sg_time pane_end, int64_t count)
{
    int rc = reserve(s);
    if (rc < 0)
        return rc;
    find_or_add(s, auction, pane_end)->count += count;
    if (pane_end < s->min_end)
        s->min_end = pane_end;
    return SG_OK;
}

static int emit_part(sg_ctx *ctx, int64_t auction, sg_time ts, int64_t count)
{
    nxb_q5_part p = {auction, count};
    sg_bytes none = {0};
    return sg_emit(ctx, ts, none, (sg_bytes){&p, sizeof(p)});
}

static int combine_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    combine_self *s = self;
    sg_nx_event ev;
    SG_UNUSED(port);
    if (sg_nx_type_of(rec->value) != SG_NX_BID)
        return SG_OK; /* persons and auctions (and non-events, rejected below) */
    if (sg_nx_view(rec->value, &ev) != SG_OK) {
        sg_ctx_reject(ctx, rec, "not a Nexmark bid");
        return SG_OK;
    }
    /* Times near the int64 limits go on alone, so the window judges (and rejects)
     * the bid's own time, not its pane's. */
    if (rec->ts >= SG_TIME_MAX - NXB_Q5_EDGE_MS || rec->ts <= SG_TIME_MIN + NXB_Q5_EDGE_MS)
        return emit_part(ctx, ev.bid.auction, rec->ts, 1);
    sg_time pane_end = nx_window_start(rec->ts, NXB_Q5_PANE_MS) + NXB_Q5_PANE_MS;
    /* The pane's end is its first window's end: held only if that window is open. */
    if (pane_end - 1 <= sg_ctx_watermark(ctx))
        return emit_part(ctx, ev.bid.auction, rec->ts, 1);
    int rc = add(s, ev.bid.auction, pane_end, 1);
    return rc < 0 ? sg_ctx_errorf(ctx, rc, "q5: out of memory combining bids") : SG_OK;
}

/* Emits every pane whose end - 1 <= wm (ts = end - 1, inside the pane) and keeps the
 * others. Slot order is a function of the input, so the output order is too. */
static int flush(sg_ctx *ctx, combine_self *s, sg_time wm)
{
    size_t cap = s->mask + 1, kept = 0;
    if (s->cap_spare < s->n) {
        cslot *spare = sg_realloc(s->spare, s->n * sizeof(*spare));
        if (!spare)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "q5: out of memory combining bids");
        s->spare = spare;
        s->cap_spare = s->n;
    }
    for (size_t i = 0; i < cap; i++) {
        cslot *c = &s->slots[i];
        if (!c->count)
            continue;
        if (c->pane_end - 1 <= wm) {
            int rc = emit_part(ctx, c->auction, c->pane_end - 1, c->count);
            if (rc < 0)
                return rc;
        } else {
            s->spare[kept++] = *c;
        }
    }
    memset(s->slots, 0, cap * sizeof(*s->slots));
    s->n = 0;
    s->min_end = SG_TIME_MAX;
    for (size_t i = 0; i < kept; i++) /* fits: fewer than before */
        if (add(s, s->spare[i].auction, s->spare[i].pane_end, s->spare[i].count) < 0)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "q5: out of memory combining bids");
    return SG_OK;
}

static int combine_on_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    combine_self *s = self;
    if (s->n == 0 || s->min_end - 1 > wm)
        return SG_OK;
    return flush(ctx, s, wm);
}

/* Snapshot: the number of held counts, then (auction, pane end, count) each. */
static int combine_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const combine_self *s = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, s->n)) < 0)
        return rc;
    for (size_t i = 0; s->n && i <= s->mask; i++) {
        const cslot *c = &s->slots[i];
        if (c->count && ((rc = sg_snap_put_i64(out, c->auction)) < 0 ||
                         (rc = sg_snap_put_i64(out, c->pane_end)) < 0 ||
                         (rc = sg_snap_put_i64(out, c->count)) < 0))
            return rc;
    }
    return SG_OK;
}

static int combine_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    combine_self *s = self;
    uint64_t n;
    int rc;
    s->min_end = SG_TIME_MAX;
    if (!restore)
        return SG_OK;
    if ((rc = sg_snap_get_u64(restore, &n)) < 0)
        return sg_ctx_errorf(ctx, rc, "q5: a bad combiner snapshot");
    for (uint64_t i = 0; i < n; i++) {
        int64_t auction, pane_end, count;
        if ((rc = sg_snap_get_i64(restore, &auction)) < 0 ||
            (rc = sg_snap_get_i64(restore, &pane_end)) < 0 ||
            (rc = sg_snap_get_i64(restore, &count)) < 0 || count <= 0)
            return sg_ctx_errorf(ctx, rc < 0 ? rc : SG_ESERDE, "q5: a bad combiner snapshot");
        if ((rc = add(s, auction, pane_end, count)) < 0)
            return sg_ctx_errorf(ctx, rc, "q5: out of memory restoring the combiner");
    }
    return SG_OK;
}

static void combine_close(sg_ctx *ctx, void *self)
{
    combine_self *s = self;
    SG_UNUSED(ctx);
    sg_free(s->slots);
    sg_free(s->spare);
}

const sg_operator_def nxb_q5_combine_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "q5_combine",
    .self_size = sizeof(combine_self),
    .n_inputs = 1,
    .open = combine_open,
    .process = combine_process,
    .on_watermark = combine_on_watermark,
    .snapshot = combine_snapshot,
    .close = combine_close,
};

int nxb_key_part(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(udata);
    if (in->value.len != sizeof(nxb_q5_part))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q5: a keyed count of %zu bytes", in->value.len);
    *key =
        (sg_bytes){(const char *)in->value.data + offsetof(nxb_q5_part, auction), sizeof(int64_t)};
    return SG_OK;
}

int nxb_part_add(void *acc, const sg_record *rec, void *udata)
{
    nxb_q5_part p;
    SG_UNUSED(udata);
    if (rec->value.len != sizeof(p))
        return SG_EINTERNAL;
    memcpy(&p, rec->value.data, sizeof(p));
    *(uint64_t *)acc += (uint64_t)p.count;
    return SG_OK;
}
