/* Keyed event-time session windows (Flink's EventTimeSessionWindows with merging),
 * with an incremental aggregate or a process-window function, allowed lateness and
 * a late-data side output. Each record opens [ts, ts + gap); windows that overlap or
 * touch merge into one covering both; a session fires when the watermark reaches
 * its end - 1 and is cleaned up at end - 1 + L (L = allowed lateness; with L = 0
 * the firing is the cleanup).
 *
 * State: one value per key (namespace 0) holding the key's sessions, sorted by start
 * (a key rarely has more than one or two), and its deferred records (below):
 *
 *   +----------+---------------+------------------+-------------------------------+
 *   | n (u64)  | pending (u64) | pending_at (i64) | start | end | acc (padded to 8) | ...
 *   +----------+---------------+------------------+-------------------------------+
 *                                                   n times
 *
 * Process mode (sg_session_process_op): a session's acc is instead the namespace
 * (u64, unique in the instance) of a list of its records (state "session-elems",
 * items as in operators/window.h). A merge keeps the list of the first session it
 * absorbs and appends the others' to it; a firing sorts the records back into arrival
 * order by their sequence numbers.
 *
 * Timers, for a session [s, e): e - 1 fires it on time (then, with L > 0, sets its
 * cleanup timer e - 1 + L); e - 1 + L cleans it up. A timer callback does whatever is
 * due at its time (see session_on_timer), so a timer left behind by a merge is
 * harmless. The on-time timer is lazy: a session not fired yet has one pending timer
 * at some t <= e - 1 (set at the end it had then), and when t fires before e - 1 the
 * callback re-arms it at e - 1. A record that extends or merges sessions not fired
 * yet thus sets and deletes no timer (a busy session costs one timer per gap instead
 * of a delete and a set per record); the merged session inherits their timers. Merges
 * of sessions fired already (L > 0) delete the absorbed ones' cleanup timers unless
 * something may still need that time.
 *
 * Lateness, with R = sg_ctx_watermark (the later of the operator's watermark and the
 * one the record carries: docs/architecture.md) and W = the operator's own watermark:
 *   (1) A session is alive for the record while e - 1 + L > R; a dead one absorbs
 *       nothing more, even before its cleanup timer fires. The record's window merges
 *       with the alive sessions it overlaps or touches into M.
 *   (2) If M.end - 1 + L <= R the record is late: dropped and counted, or sent to
 *       late_tag (it then touched no alive session, or M would end later).
 *   (3) If M.end - 1 > R, M takes the record and waits for its timer. Otherwise M
 *       is due and takes the record and fires again at once with its whole content
 *       (a late firing: Flink's EventTimeTrigger fires on such an element).
 *   (4) With L > 0 a record can reach sessions that are due for it but that the
 *       operator has not fired yet (W < e - 1 <= R). Merging it now would lose or
 *       mix up their on-time firings, so it is deferred: kept in the key's pending
 *       list ("session-pending", namespace T = R) with a timer at T, and handled by
 *       that timer after everything due by T, judged with watermark T. While a key
 *       has deferred records its later records are deferred too, in order. The
 *       firings of a session thus depend on the input alone, at any parallelism.
 * With L = 0, (4) never happens: M due means late. */
#include <string.h>

#include "operators/window.h"

typedef struct session_self {
    sg_state_id sessions;
    sg_state_id elems;   /* process mode */
    sg_state_id pending; /* lateness > 0: deferred records, namespace = their time */
    uint64_t seq;        /* process mode: list namespaces and record arrival numbers */
    sg_time wm;          /* the last watermark on_watermark saw: timers <= wm fired */
} session_self;

typedef struct session_hdr {
    sg_time start, end;
} session_hdr;

/* The head of a key's state value. */
typedef struct key_hdr {
    uint64_t n;         /* sessions */
    uint64_t pending;   /* deferred records */
    sg_time pending_at; /* the latest namespace of a deferred record */
} key_hdr;

/* A key's state, loaded into scratch memory with room for one more session. */
typedef struct key_state {
    key_hdr *hdr;
    void *buf;
} key_state;

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
    return (session_hdr *)(void *)((char *)base + sizeof(key_hdr) + i * entry_size(c));
}

static void *acc_of(session_hdr *h)
{
    return h + 1;
}

static int session_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    int64_t wm;
    int rc;
    s->wm = SG_TIME_MIN;
    if ((rc = sg_state_declare(ctx, "sessions", SG_STATE_VALUE, &s->sessions)) < 0)
        return rc;
    if (is_process(c) &&
        (rc = sg_state_declare(ctx, "session-elems", SG_STATE_LIST, &s->elems)) < 0)
        return rc;
    if (c->lateness > 0 &&
        (rc = sg_state_declare(ctx, "session-pending", SG_STATE_LIST, &s->pending)) < 0)
        return rc;
    if (!restore)
        return SG_OK;
    if ((rc = sg_snap_get_u64(restore, &s->seq)) < 0 || (rc = sg_snap_get_i64(restore, &wm)) < 0)
        return sg_ctx_errorf(ctx, rc, "session window: the snapshot is malformed");
    s->wm = wm;
    return SG_OK;
}

/* List namespaces must stay unique after a restore, and the watermark says which
 * sessions have fired. */
static int session_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const session_self *s = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, s->seq)) < 0)
        return rc;
    return sg_snap_put_i64(out, s->wm);
}

static int session_on_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    SG_UNUSED(ctx);
    ((session_self *)self)->wm = wm; /* every timer <= wm has fired (operator rule 3) */
    return SG_OK;
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

static int load(sg_ctx *ctx, const sg_session_config *c, const session_self *s, key_state *k)
{
    sg_bytes v;
    key_hdr hdr = {0, 0, SG_TIME_MIN};
    int rc = sg_state_get(ctx, s->sessions, 0, &v);
    if (rc < 0)
        return rc;
    if (rc == SG_OK) {
        if (v.len >= sizeof(hdr))
            memcpy(&hdr, v.data, sizeof(hdr));
        if (v.len < sizeof(hdr) || hdr.n > v.len || v.len != sizeof(hdr) + hdr.n * entry_size(c))
            return sg_ctx_errorf(ctx, SG_ESERDE, "session state of %zu bytes is corrupt", v.len);
    }
    size_t len = sizeof(hdr) + (hdr.n + 1) * entry_size(c);
    if (!(k->buf = sg_scratch_alloc(ctx, len)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    if (rc == SG_OK)
        memcpy(k->buf, v.data, v.len);
    k->hdr = k->buf;
    *k->hdr = hdr;
    return SG_OK;
}

static int store(sg_ctx *ctx, const sg_session_config *c, const session_self *s, const key_state *k)
{
    if (k->hdr->n == 0 && k->hdr->pending == 0)
        return sg_state_clear(ctx, s->sessions, 0);
    sg_bytes v = {k->buf, sizeof(key_hdr) + k->hdr->n * entry_size(c)};
    return sg_state_put(ctx, s->sessions, 0, v);
}

/* Writes the sessions of k not absorbed, with merged in start order, into out. */
static void rebuild(const sg_session_config *c, const key_state *k, const bool *absorbed,
                    const session_hdr *merged, const void *acc, key_state *out)
{
    uint64_t m = 0, n = k->hdr->n;
    bool placed = false;
    *out->hdr = *k->hdr;
    for (uint64_t i = 0; i <= n; i++) {
        session_hdr *h = i < n ? entry_at(c, k->buf, i) : NULL;
        if (!placed && (!h || h->start >= merged->start)) {
            session_hdr *o = entry_at(c, out->buf, m++);
            *o = *merged;
            memcpy(acc_of(o), acc, acc_stride(c));
            placed = true;
        }
        if (h && !absorbed[i])
            memcpy(entry_at(c, out->buf, m++), h, entry_size(c));
    }
    out->hdr->n = m;
}

/* Combines the absorbed sessions' contents into acc (an accumulator, or in process
 * mode the namespace of the joined list) and adds rec. */
static int combine(sg_ctx *ctx, const sg_session_config *c, session_self *s, const key_state *k,
                   const bool *absorbed, void *acc, const sg_record *rec)
{
    bool first = true;
    uint64_t keep = 0;
    int rc;
    for (uint64_t i = 0; i < k->hdr->n; i++) {
        session_hdr *h = entry_at(c, k->buf, i);
        if (!absorbed[i])
            continue;
        if (!is_process(c))
            c->agg.merge(acc, acc_of(h), c->udata);
        else if ((rc = absorb_list(ctx, s, h, first, &keep)) < 0)
            return rc;
        first = false;
    }
    if (!is_process(c))
        return c->agg.add(acc, rec, c->udata);
    if (first)
        keep = s->seq++;
    memcpy(acc, &keep, sizeof(keep));
    return sg__win_list_add(ctx, s->elems, (int64_t)keep, s->seq++, rec);
}

/* Whether a timer at t may still be wanted by one of the sessions of k, the
 * operator's watermark being w: as its on-time, lazy (an unfired session's pending
 * timer is somewhere in (w, e - 1]) or cleanup timer. */
static bool timer_needed(const sg_session_config *c, const key_state *k, sg_time t, sg_time w)
{
    for (uint64_t i = 0; i < k->hdr->n; i++) {
        const session_hdr *h = entry_at(c, k->buf, i);
        if ((t > w && t <= h->end - 1) || (c->lateness > 0 && h->end - 1 + c->lateness == t))
            return true;
    }
    return false;
}

/* Deletes the timers of the absorbed sessions that nothing in out needs. With
 * deferred records pending a timer may be theirs: keep them all (a spare timer does
 * nothing, see the top). */
static int delete_timers(sg_ctx *ctx, const sg_session_config *c, const key_state *k,
                         const bool *absorbed, const key_state *out, sg_time w)
{
    if (out->hdr->pending > 0 || c->lateness == 0)
        return SG_OK; /* with L = 0 every absorbed session is unfired: see below */
    for (uint64_t i = 0; i < k->hdr->n; i++) {
        const session_hdr *h = entry_at(c, k->buf, i);
        /* Unfired (e - 1 > w): its lazy timer is the merged session's now. Fired: its
         * on-time timer is gone, its cleanup timer may remain. */
        if (!absorbed[i] || h->end - 1 > w)
            continue;
        sg_time t = h->end - 1 + c->lateness;
        int rc = timer_needed(c, out, t, w) ? SG_OK : sg_timer_delete(ctx, SG_TIME_EVENT, t);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

static int drop_late(sg_ctx *ctx, const sg_session_config *c, const sg_record *rec)
{
    if (c->late_tag) /* Flink counts only the late records it drops */
        return sg_emit_side(ctx, c->late_tag, rec->ts, rec->key, rec->value);
    sg_ctx_count_late(ctx, 1);
    return SG_OK;
}

/* Fires session h with everything it holds; 'clear' drops its records too (process
 * mode; an accumulator goes with the session's entry). */
static int fire(sg_ctx *ctx, const sg_session_config *c, session_self *s, session_hdr *h,
                bool clear)
{
    if (!is_process(c))
        return c->agg.result(ctx, sg_ctx_key(ctx), h->start, h->end, acc_of(h), c->udata);
    uint64_t ns;
    sg__win_collector col = {NULL, 0, 0};
    memcpy(&ns, acc_of(h), sizeof(ns));
    int rc = sg__win_collect(ctx, s->elems, (int64_t)ns, &col);
    if (rc < 0 || (rc = sg__win_call(ctx, &c->proc, c->udata, h->start, h->end, &col)) < 0)
        return rc;
    return clear ? sg_state_clear(ctx, s->elems, (int64_t)ns) : SG_OK;
}

/* Rule (4): keeps rec for the timer at T, after the key's earlier deferred records. */
static int defer(sg_ctx *ctx, const sg_session_config *c, session_self *s, key_state *k,
                 const sg_record *rec, sg_time r)
{
    sg_time t = k->hdr->pending > 0 && k->hdr->pending_at > r ? k->hdr->pending_at : r;
    int rc = sg__win_list_add(ctx, s->pending, t, 0, rec);
    if (rc < 0)
        return rc;
    k->hdr->pending++;
    k->hdr->pending_at = t;
    if ((rc = store(ctx, c, s, k)) < 0)
        return rc;
    return sg_timer_set(ctx, SG_TIME_EVENT, t);
}

static bool due(const session_hdr *h, sg_time w, sg_time r)
{
    return h->end - 1 > w && h->end - 1 <= r;
}

/* Handles rec with watermark r, the operator's own being w (see the top); a replay
 * of a deferred record passes r == w. */
static int add_record(sg_ctx *ctx, const sg_session_config *c, session_self *s,
                      const sg_record *rec, sg_time r, sg_time w)
{
    key_state k, out;
    void *acc;
    bool *absorbed, defer_it, inherits;
    int rc;
    if ((rc = load(ctx, c, s, &k)) < 0)
        return rc;
    size_t len = sizeof(key_hdr) + (k.hdr->n + 1) * entry_size(c);
    if (!(out.buf = sg_scratch_alloc(ctx, len)) || !(acc = sg_scratch_alloc(ctx, acc_stride(c))) ||
        !(absorbed = sg_scratch_alloc(ctx, k.hdr->n + 1)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    out.hdr = out.buf;
    /* Behind deferred records of the key nothing can be judged yet: they change its
     * sessions. */
    if (r > w && k.hdr->pending > 0)
        return defer(ctx, c, s, &k, rec, r);
    session_hdr merged = {rec->ts, rec->ts + c->gap};
    defer_it = inherits = false;
    for (uint64_t i = 0; i < k.hdr->n; i++) {
        session_hdr *h = entry_at(c, k.buf, i);
        absorbed[i] =
            h->end - 1 + c->lateness > r && h->start <= rec->ts + c->gap && h->end >= rec->ts;
        if (!absorbed[i])
            continue;
        defer_it = defer_it || due(h, w, r);
        inherits = inherits || h->end - 1 > w; /* unfired: its timer is pending */
        merged.start = h->start < merged.start ? h->start : merged.start;
        merged.end = h->end > merged.end ? h->end : merged.end;
    }
    if (merged.end - 1 + c->lateness <= r)
        return drop_late(ctx, c, rec);
    if (c->lateness > 0 && (defer_it || due(&merged, w, r)))
        return defer(ctx, c, s, &k, rec, r);
    memset(acc, 0, acc_stride(c));
    if (!is_process(c) && c->agg.init)
        c->agg.init(acc, c->udata);
    if ((rc = combine(ctx, c, s, &k, absorbed, acc, rec)) < 0)
        return rc;
    rebuild(c, &k, absorbed, &merged, acc, &out);
    if ((rc = store(ctx, c, s, &out)) < 0 ||
        (rc = delete_timers(ctx, c, &k, absorbed, &out, w)) < 0)
        return rc;
    /* Waits for its timer: an absorbed unfired session's (lazy, re-armed when it fires
     * before merged.end - 1), or a new one. */
    if (merged.end - 1 > r)
        return inherits ? SG_OK : sg_timer_set(ctx, SG_TIME_EVENT, merged.end - 1);
    /* Due, and fired on time already (merged.end - 1 <= w): a late firing. */
    for (uint64_t i = 0; i < out.hdr->n; i++) {
        session_hdr *h = entry_at(c, out.buf, i);
        if (h->start == merged.start && h->end == merged.end &&
            (rc = fire(ctx, c, s, h, false)) < 0)
            return rc;
    }
    return sg_timer_set(ctx, SG_TIME_EVENT, merged.end - 1 + c->lateness);
}

static int session_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    sg_time r = sg_ctx_watermark(ctx);
    SG_UNUSED(port);
    if (rec->ts > SG_TIME_MAX - c->gap - c->lateness) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limit for its session");
        return SG_OK;
    }
    if (s->wm > r) /* restored, before the first watermark */
        r = s->wm;
    return add_record(ctx, c, s, rec, r, s->wm);
}

/* Loading the key's sessions of the record this many places ahead hides most of a
 * state lookup's memory latency (as operators/window.c does). */
#define PREFETCH_AHEAD 8

static int session_process_batch(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n)
{
    const session_self *s = self;
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        sg_state_prefetch(ctx, s->sessions, i, 0);
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            sg_state_prefetch(ctx, s->sessions, i + PREFETCH_AHEAD, 0);
        sg_ctx_select(ctx, i); /* also resets scratch memory, which load uses per record */
        int rc = session_process(ctx, self, port, &recs[i]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

typedef struct replay {
    const sg_session_config *c;
    session_self *s;
    sg_time t;
    uint64_t n;
} replay;

/* sg_list_item_fn: handles one deferred record as if the watermark were t. */
static int replay_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    replay *p = ud;
    uint64_t seq;
    sg_record rec;
    void *copy = sg_scratch_alloc(ctx, item.len);
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(copy, item.data, item.len);
    sg_bytes own = {copy, item.len};
    int rc = sg__win_item_parse(ctx, own, &seq, &rec);
    if (rc < 0)
        return rc;
    p->n++;
    return add_record(ctx, p->c, p->s, &rec, p->t, p->t);
}

/* The deferred records of time t, in arrival order, then the key's count of them. */
static int replay_pending(sg_ctx *ctx, const sg_session_config *c, session_self *s, sg_time t)
{
    replay p = {c, s, t, 0};
    key_state k;
    int rc = sg_state_list_each(ctx, s->pending, t, replay_item, &p);
    if (rc < 0 || p.n == 0)
        return rc;
    if ((rc = sg_state_clear(ctx, s->pending, t)) < 0 || (rc = load(ctx, c, s, &k)) < 0)
        return rc;
    k.hdr->pending -= p.n < k.hdr->pending ? p.n : k.hdr->pending;
    return store(ctx, c, s, &k);
}

/* Does what is due at ts for the current key: fires the session ending at ts + 1 on
 * time (and sets its cleanup timer, or with L = 0 cleans it up), cleans up the
 * session whose cleanup time is ts, then handles the records deferred to ts. */
static int session_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const sg_session_config *c = sg_ctx_udata(ctx);
    session_self *s = self;
    key_state k;
    uint64_t m = 0;
    bool changed = false;
    int rc;
    SG_UNUSED(d);
    if ((rc = load(ctx, c, s, &k)) < 0)
        return rc;
    for (uint64_t i = 0; i < k.hdr->n; i++) {
        session_hdr *h = entry_at(c, k.buf, i);
        bool on_time = h->end - 1 == ts, gone = h->end - 1 + c->lateness == ts;
        /* Perhaps its lazy timer (set at an end it has outgrown, so at or after its
         * start + gap - 1): re-armed at its end. A spare set is deduplicated. */
        if (h->end - 1 > ts && ts >= h->start + c->gap - 1 &&
            (rc = sg_timer_set(ctx, SG_TIME_EVENT, h->end - 1)) < 0)
            return rc;
        if (on_time && (rc = fire(ctx, c, s, h, gone)) < 0)
            return rc;
        if (on_time && !gone && (rc = sg_timer_set(ctx, SG_TIME_EVENT, ts + c->lateness)) < 0)
            return rc;
        if (gone && !on_time && is_process(c)) {
            uint64_t ns;
            memcpy(&ns, acc_of(h), sizeof(ns));
            if ((rc = sg_state_clear(ctx, s->elems, (int64_t)ns)) < 0)
                return rc;
        }
        changed = changed || gone;
        if (!gone && m++ != i)
            memmove(entry_at(c, k.buf, m - 1), h, entry_size(c));
    }
    k.hdr->n = m;
    if (changed && (rc = store(ctx, c, s, &k)) < 0)
        return rc;
    return k.hdr->pending > 0 ? replay_pending(ctx, c, s, ts) : SG_OK;
}

const sg_operator_def sg_session_aggregate_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "session_aggregate",
    .self_size = sizeof(session_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = session_open,
    .process = session_process,
    .on_watermark = session_on_watermark,
    .on_timer = session_on_timer,
    .snapshot = session_snapshot,
    .process_batch = session_process_batch,
};

const sg_operator_def sg_session_process_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "session_process",
    .self_size = sizeof(session_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = session_open,
    .process = session_process,
    .on_watermark = session_on_watermark,
    .on_timer = session_on_timer,
    .snapshot = session_snapshot,
    .process_batch = session_process_batch,
};
