/* Keyed event-time session windows with an incremental aggregate (Flink's
 * EventTimeSessionWindows with merging): each record opens [ts, ts + gap); windows
 * that overlap or touch merge into one covering both, and a session fires when the
 * watermark reaches its end - 1.
 *
 * State: one value per key (namespace 0) holding the key's open sessions, sorted by
 * start (a key rarely has more than one or two):
 *
 *   +----------+----------------------------------------------+-----+
 *   | n (u64)  | start (i64) | end (i64) | acc (acc_size, padded to 8) | ... n times
 *   +----------+----------------------------------------------+-----+
 *
 * Timers: one per open session, at its end - 1. A merge deletes the timers of the
 * sessions it absorbs and sets the merged session's.
 *
 * Process mode (sg_session_process_op): a session's acc is instead the namespace
 * (u64, unique in the instance) of a list of its records (state "session-elems",
 * items as in operators/window.h). A merge keeps the list of the first session it
 * absorbs and appends the others' to it; the firing sorts the records back into
 * arrival order by their sequence numbers.
 *
 * Lateness (allowed lateness 0, as Flink): a record is late when the session it would
 * belong to after merging has end - 1 <= watermark; it is dropped and counted. A
 * session the watermark has passed is closed and absorbs nothing more, even before
 * its timer fires, so sessions depend on the input alone (docs/architecture.md). */
#include <string.h>

#include "operators/window.h"

typedef struct session_self {
    sg_state_id sessions;
    sg_state_id elems; /* process mode */
    uint64_t seq;      /* process mode: list namespaces and record arrival numbers */
} session_self;

typedef struct session_hdr {
    sg_time start, end;
} session_hdr;

static bool is_process(const sg_session_config *c)
{
    return c->proc.process != NULL;
}

static size_t acc_stride(const sg_session_config *c)
{
    return is_process(c) ? sizeof(uint64_t) : (c->agg.acc_size + 7) & ~(size_t)7;
}

static size_t entry_size(const sg_session_config *c)
{
    return sizeof(session_hdr) + acc_stride(c);
}

static session_hdr *entry_at(const sg_session_config *c, void *base, uint64_t i)
{
    return (session_hdr *)(void *)((char *)base + sizeof(uint64_t) + i * entry_size(c));
}

static void *acc_of(session_hdr *h)
{
    return h + 1;
}

static int session_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    int rc = sg_state_declare(ctx, "sessions", SG_STATE_VALUE, &s->sessions);
    if (rc < 0 || !is_process(c))
        return rc;
    if ((rc = sg_state_declare(ctx, "session-elems", SG_STATE_LIST, &s->elems)) < 0)
        return rc;
    if (restore && (rc = sg_snap_get_u64(restore, &s->seq)) < 0)
        return sg_ctx_errorf(ctx, rc, "session window: the snapshot is malformed");
    return SG_OK;
}

/* Process mode: list namespaces must stay unique after a restore. */
static int session_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    SG_UNUSED(ctx);
    return sg_snap_put_u64(out, ((session_self *)self)->seq);
}

typedef struct move_ctx {
    sg_state_id id;
    int64_t to;
} move_ctx;

static int append_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const move_ctx *m = ud;
    return sg_state_list_add(ctx, m->id, m->to, item);
}

/* Process mode: the absorbed session h's records join the list 'keep' (the first
 * absorbed session's, or a new one). */
static int absorb_list(sg_ctx *ctx, session_self *s, session_hdr *h, bool first, uint64_t *keep)
{
    uint64_t ns;
    memcpy(&ns, acc_of(h), sizeof(ns));
    if (first) {
        *keep = ns;
        return SG_OK;
    }
    move_ctx m = {s->elems, (int64_t)*keep};
    int rc = sg_state_list_each(ctx, s->elems, (int64_t)ns, append_item, &m);
    return rc < 0 ? rc : sg_state_clear(ctx, s->elems, (int64_t)ns);
}

/* Copies the key's sessions into scratch memory with room for one more. */
static int load(sg_ctx *ctx, const sg_session_config *c, const session_self *s, void **buf,
                uint64_t *n)
{
    sg_bytes v;
    int rc = sg_state_get(ctx, s->sessions, 0, &v);
    if (rc < 0)
        return rc;
    *n = 0;
    if (rc == SG_OK) {
        memcpy(n, v.data, sizeof(*n));
        if (v.len != sizeof(uint64_t) + *n * entry_size(c))
            return sg_ctx_errorf(ctx, SG_ESERDE, "session state of %zu bytes is corrupt", v.len);
    }
    size_t len = sizeof(uint64_t) + (*n + 1) * entry_size(c);
    if (!(*buf = sg_scratch_alloc(ctx, len)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    if (rc == SG_OK)
        memcpy(*buf, v.data, v.len);
    return SG_OK;
}

static int store(sg_ctx *ctx, const sg_session_config *c, const session_self *s, void *buf,
                 uint64_t n)
{
    if (n == 0)
        return sg_state_clear(ctx, s->sessions, 0);
    memcpy(buf, &n, sizeof(n));
    sg_bytes v = {buf, sizeof(uint64_t) + n * entry_size(c)};
    return sg_state_put(ctx, s->sessions, 0, v);
}

/* Writes the sessions of buf not absorbed, with merged in start order, into out. */
static uint64_t rebuild(const sg_session_config *c, void *buf, uint64_t n, const bool *absorbed,
                        const session_hdr *merged, const void *acc, void *out)
{
    uint64_t m = 0;
    bool placed = false;
    for (uint64_t i = 0; i <= n; i++) {
        session_hdr *h = i < n ? entry_at(c, buf, i) : NULL;
        if (!placed && (!h || h->start >= merged->start)) {
            session_hdr *o = entry_at(c, out, m++);
            *o = *merged;
            memcpy(acc_of(o), acc, acc_stride(c));
            placed = true;
        }
        if (h && !absorbed[i])
            memcpy(entry_at(c, out, m++), h, entry_size(c));
    }
    return m;
}

/* Combines the absorbed sessions' contents into acc (an accumulator, or in process
 * mode the namespace of the joined list), deletes their timers, and adds rec. */
static int combine(sg_ctx *ctx, const sg_session_config *c, session_self *s, void *buf, uint64_t n,
                   const bool *absorbed, const session_hdr *merged, void *acc, const sg_record *rec)
{
    bool first = true;
    uint64_t keep = 0;
    int rc;
    for (uint64_t i = 0; i < n; i++) {
        session_hdr *h = entry_at(c, buf, i);
        if (!absorbed[i])
            continue;
        if (!is_process(c))
            c->agg.merge(acc, acc_of(h), c->udata);
        else if ((rc = absorb_list(ctx, s, h, first, &keep)) < 0)
            return rc;
        first = false;
        if (h->end != merged->end && (rc = sg_timer_delete(ctx, SG_TIME_EVENT, h->end - 1)) < 0)
            return rc;
    }
    if (!is_process(c))
        return c->agg.add(acc, rec, c->udata);
    if (first)
        keep = s->seq++;
    memcpy(acc, &keep, sizeof(keep));
    return sg__win_list_add(ctx, s->elems, (int64_t)keep, s->seq++, rec);
}

static int session_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    sg_time wm = sg_ctx_watermark(ctx);
    void *buf, *out, *acc;
    bool *absorbed;
    uint64_t n;
    int rc;
    SG_UNUSED(port);
    if (rec->ts > SG_TIME_MAX - c->gap) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limit for its session");
        return SG_OK;
    }
    if ((rc = load(ctx, c, s, &buf, &n)) < 0)
        return rc;
    size_t len = sizeof(uint64_t) + (n + 1) * entry_size(c);
    if (!(out = sg_scratch_alloc(ctx, len)) || !(acc = sg_scratch_alloc(ctx, acc_stride(c))) ||
        !(absorbed = sg_scratch_alloc(ctx, n + 1)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    /* The record's window [ts, ts + gap) absorbs every open session it overlaps or
     * touches. A session whose end - 1 the watermark has passed is closed, as if its
     * timer had fired already (it fires when the operator's watermark gets there):
     * it takes nothing more, whatever the timing of the threads. */
    session_hdr merged = {rec->ts, rec->ts + c->gap};
    memset(acc, 0, acc_stride(c));
    if (!is_process(c) && c->agg.init)
        c->agg.init(acc, c->udata);
    for (uint64_t i = 0; i < n; i++) {
        session_hdr *h = entry_at(c, buf, i);
        absorbed[i] = h->end - 1 > wm && h->start <= rec->ts + c->gap && h->end >= rec->ts;
        if (!absorbed[i])
            continue;
        merged.start = h->start < merged.start ? h->start : merged.start;
        merged.end = h->end > merged.end ? h->end : merged.end;
    }
    if (merged.end - 1 <= wm) { /* nothing open absorbed it, and its own window closed */
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if ((rc = combine(ctx, c, s, buf, n, absorbed, &merged, acc, rec)) < 0)
        return rc;
    uint64_t m = rebuild(c, buf, n, absorbed, &merged, acc, out);
    if ((rc = store(ctx, c, s, out, m)) < 0)
        return rc;
    return sg_timer_set(ctx, SG_TIME_EVENT, merged.end - 1);
}

static int fire(sg_ctx *ctx, const sg_session_config *c, session_self *s, session_hdr *h)
{
    if (!is_process(c))
        return c->agg.result(ctx, sg_ctx_key(ctx), h->start, h->end, acc_of(h), c->udata);
    uint64_t ns;
    sg__win_collector col = {NULL, 0, 0};
    memcpy(&ns, acc_of(h), sizeof(ns));
    int rc = sg__win_collect(ctx, s->elems, (int64_t)ns, &col);
    if (rc < 0 || (rc = sg__win_call(ctx, &c->proc, c->udata, h->start, h->end, &col)) < 0)
        return rc;
    return sg_state_clear(ctx, s->elems, (int64_t)ns);
}

static int session_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    void *buf;
    uint64_t n;
    int rc;
    SG_UNUSED(d);
    if ((rc = load(ctx, c, s, &buf, &n)) < 0)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        session_hdr *h = entry_at(c, buf, i);
        if (h->end - 1 != ts)
            continue;
        if ((rc = fire(ctx, c, s, h)) < 0)
            return rc;
        memmove(h, entry_at(c, buf, i + 1), (size_t)(n - i - 1) * entry_size(c));
        return store(ctx, c, s, buf, n - 1);
    }
    return SG_OK; /* a session merged away after its timer was set */
}

const sg_operator_def sg_session_aggregate_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "session_aggregate",
    .self_size = sizeof(session_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = session_open,
    .process = session_process,
    .on_timer = session_on_timer,
};

const sg_operator_def sg_session_process_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "session_process",
    .self_size = sizeof(session_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = session_open,
    .process = session_process,
    .on_timer = session_on_timer,
    .snapshot = session_snapshot,
};
