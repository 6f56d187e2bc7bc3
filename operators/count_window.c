/* Keyed count windows with an incremental aggregate: tumbling (Flink's
 * countWindow(size): a global window per key, a count trigger, purged on firing)
 * and sliding (countWindow(size, slide), below).
 * Every size records of a key form one window, fired the moment its last record
 * arrives. A window that has not filled when the input ends is not fired, as in
 * Flink. Count windows are never late.
 *
 * Departure from Flink: the result gets start = the first record's ts and end = the
 * last record's ts + 1 (Flink gives a global window, whose results carry the
 * largest timestamp), so sg_emit(ctx, end - 1, ...) stamps a result with its last
 * record's event time, which later event-time operators can use.
 *
 * State: one value per key (namespace 0): count, first ts, last ts, accumulator. */
#include <string.h>

#include "operators/builtin_ops.h"

typedef struct count_self {
    sg_state_id win;
} count_self;

typedef struct count_hdr {
    uint64_t n;
    sg_time first, last;
} count_hdr;

static int count_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    SG_UNUSED(restore);
    return sg_state_declare(ctx, "count-window", SG_STATE_VALUE, &((count_self *)self)->win);
}

static int count_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_count_window_config *c = sg_ctx_udata(ctx);
    count_self *s = self;
    void *v;
    bool created;
    int rc;
    SG_UNUSED(port);
    size_t size = sizeof(count_hdr) + c->agg.acc_size;
    if ((rc = sg_state_ref(ctx, s->win, 0, size, &v, &created)) < 0)
        return rc;
    count_hdr h;
    memcpy(&h, v, sizeof(h));
    void *acc = (char *)v + sizeof(count_hdr);
    if (created) {
        h.first = rec->ts;
        h.last = rec->ts;
        if (c->agg.init)
            c->agg.init(acc, c->udata);
    }
    h.first = rec->ts < h.first ? rec->ts : h.first;
    h.last = rec->ts > h.last ? rec->ts : h.last;
    h.n++;
    memcpy(v, &h, sizeof(h));
    if ((rc = c->agg.add(acc, rec, c->udata)) < 0)
        return rc;
    if (h.n < c->size)
        return SG_OK;
    /* The window is full: fire and purge. The result reads the accumulator before
     * the clear (state bytes stay valid until the next state call). */
    if ((rc = c->agg.result(ctx, sg_ctx_key(ctx), h.first, h.last + 1, acc, c->udata)) < 0)
        return rc;
    return sg_state_clear(ctx, s->win, 0);
}

const sg_operator_def sg_count_window_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "count_window",
    .self_size = sizeof(count_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = count_open,
    .process = count_process,
};

/* ---- Sliding count windows ------------------------------------------------------
 * Flink's countWindow(size, slide): a global window per key, CountTrigger.of(slide),
 * CountEvictor.of(size). Every slide-th record fires a window over the key's last
 * min(size, count) records. Flink keeps the records and re-aggregates them on each
 * firing; here records are pre-aggregated in chunks of g = gcd(size, slide)
 * consecutive records, so a key keeps size / g accumulators, not size records: every
 * window, and every "last size records", is a whole number of chunks (the count at
 * a firing is a multiple of slide, hence of g). A firing merges the last chunks,
 * oldest first. The chunks are a ring; a chunk is reset when its first record comes.
 *
 * State: one value per key (namespace 0), in "count-slide-window":
 *
 *   +-------------+-------------------------------------------------+
 *   | count (u64) | min ts (i64) | max ts (i64) | acc (padded to 8) | ... size / g times
 *   +-------------+-------------------------------------------------+
 *
 * It is never cleared: a global window is never purged. */

typedef struct chunk_hdr {
    sg_time min, max;
} chunk_hdr;

static size_t chunk_stride(const sg_count_window_config *c)
{
    return sizeof(chunk_hdr) + ((c->agg.acc_size + 7) & ~(size_t)7);
}

static chunk_hdr *chunk_at(const sg_count_window_config *c, void *v, uint64_t i)
{
    return (chunk_hdr *)(void *)((char *)v + sizeof(uint64_t) + i * chunk_stride(c));
}

static int slide_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    SG_UNUSED(restore);
    return sg_state_declare(ctx, "count-slide-window", SG_STATE_VALUE, &((count_self *)self)->win);
}

/* Fires the window of the m chunks that end with chunk 'last'. */
static int slide_fire(sg_ctx *ctx, const sg_count_window_config *c, void *v, uint64_t last,
                      uint64_t m)
{
    uint64_t k = c->size / c->chunk, i = (last + k - (m - 1)) % k;
    chunk_hdr *h = chunk_at(c, v, i);
    sg_time start = h->min, end = h->max;
    const void *acc = h + 1;
    if (m > 1) {
        void *sum = sg_scratch_alloc(ctx, c->agg.acc_size);
        if (!sum)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        memcpy(sum, acc, c->agg.acc_size);
        for (uint64_t j = 1; j < m; j++) {
            h = chunk_at(c, v, (i + j) % k);
            c->agg.merge(sum, h + 1, c->udata);
            start = h->min < start ? h->min : start;
            end = h->max > end ? h->max : end;
        }
        acc = sum;
    }
    return c->agg.result(ctx, sg_ctx_key(ctx), start, end + 1, acc, c->udata);
}

static int slide_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_count_window_config *c = sg_ctx_udata(ctx);
    count_self *s = self;
    uint64_t k = c->size / c->chunk, count;
    void *v;
    bool created;
    int rc;
    SG_UNUSED(port);
    if (rec->ts == SG_TIME_MAX) { /* end = ts + 1 must fit */
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limit for a count window");
        return SG_OK;
    }
    if ((rc = sg_state_ref(ctx, s->win, 0, sizeof(uint64_t) + k * chunk_stride(c), &v, &created)) <
        0)
        return rc;
    memcpy(&count, v, sizeof(count));
    uint64_t i = (count / c->chunk) % k;
    chunk_hdr *h = chunk_at(c, v, i);
    if (count % c->chunk == 0) { /* the chunk's first record: reuse the ring slot */
        memset(h + 1, 0, chunk_stride(c) - sizeof(*h));
        if (c->agg.init)
            c->agg.init(h + 1, c->udata);
        h->min = h->max = rec->ts;
    }
    h->min = rec->ts < h->min ? rec->ts : h->min;
    h->max = rec->ts > h->max ? rec->ts : h->max;
    if ((rc = c->agg.add(h + 1, rec, c->udata)) < 0)
        return rc;
    count++;
    memcpy(v, &count, sizeof(count));
    if (count % c->slide)
        return SG_OK;
    return slide_fire(ctx, c, v, i, (count < c->size ? count : c->size) / c->chunk);
}

const sg_operator_def sg_count_slide_window_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "count_slide_window",
    .self_size = sizeof(count_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = slide_open,
    .process = slide_process,
};
