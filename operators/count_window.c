/* Keyed tumbling count windows with an incremental aggregate (Flink's
 * countWindow(size): a global window per key, a count trigger, purged on firing).
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
