/* q8: monitor new users.
 *   SELECT P.id, P.name, P.starttime FROM
 *     (SELECT id, name, window_start AS starttime, window_end AS endtime
 *      FROM TUMBLE(person, dateTime, 10 s) GROUP BY id, name, window_start, window_end) P
 *   JOIN
 *     (SELECT seller, window_start AS starttime, window_end AS endtime
 *      FROM TUMBLE(auction, dateTime, 10 s) GROUP BY seller, window_start, window_end) A
 *   ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
 *
 * Both sides are grouped before the join, so a person who opened several auctions in
 * a window is one row, not one per auction: a window join's |a| x |b| pairs would be
 * wrong here. One keyed operator (key: person id = seller) keeps per key and window a
 * flag "has an auction" and the person's names, and when the window fires emits one
 * row per distinct name if the flag is set. An auction costs one in-place state
 * update; bids never leave their worker.
 *
 * Windows fire when the watermark reaches end - 1; a record whose window has fired
 * (end - 1 <= sg_ctx_watermark) is late, dropped and counted, as Flink's window
 * aggregation drops it. At the end of input every window fires. */
#include <string.h>

#include "nx_util.h"

#define Q8_WINDOW_MS 10000

static int q8_project(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    sg_bytes out, none = {0};
    int rc;
    SG_UNUSED(udata);
    if (sg_nx_type_of(in->value) == SG_NX_BID || sg_nx_view(in->value, &ev) != SG_OK)
        return SG_OK;
    if (ev.type == SG_NX_PERSON) {
        nx_q8_head h = {ev.person.id, 1};
        rc = nx_pack(ctx, &h, sizeof(h), &ev.person.name, 1, &out);
    } else {
        nx_q8_head h = {ev.auction.seller, 0};
        rc = nx_pack(ctx, &h, sizeof(h), NULL, 0, &out);
    }
    return rc < 0 ? rc : sg_emit(ctx, in->ts, none, out);
}

/* ---- The windowed join -------------------------------------------------------------- */

typedef struct q8_self {
    sg_state_id seen;  /* VALUE q8_seen per (key, window end) */
    sg_state_id names; /* LIST of the person's names per (key, window end) */
} q8_self;

typedef struct q8_seen {
    uint8_t auction, person;
} q8_seen;

static int q8_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    q8_self *s = self;
    SG_UNUSED(restore); /* all state is keyed; timers are the engine's */
    int rc = sg_state_declare(ctx, "q8-seen", SG_STATE_VALUE, &s->seen);
    return rc < 0 ? rc : sg_state_declare(ctx, "q8-names", SG_STATE_LIST, &s->names);
}

static int q8_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    q8_self *s = self;
    nx_q8_head h;
    sg_bytes name;
    q8_seen *seen;
    bool created;
    int rc;
    SG_UNUSED(port);
    if (rec->value.len < sizeof(h))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q8: a projected record is corrupt");
    memcpy(&h, rec->value.data, sizeof(h));
    if (nx_unpack(rec->value, &h, sizeof(h), &name, h.is_person ? 1 : 0) != SG_OK)
        return sg_ctx_errorf(ctx, SG_ESERDE, "q8: a projected record is corrupt");
    if (rec->ts > SG_TIME_MAX - Q8_WINDOW_MS) {
        sg_ctx_reject(ctx, rec, "q8: dateTime too close to the int64 limit for its window");
        return SG_OK;
    }
    sg_time end = nx_window_start(rec->ts, Q8_WINDOW_MS) + Q8_WINDOW_MS;
    if (end - 1 <= sg_ctx_watermark(ctx)) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if ((rc = sg_state_ref(ctx, s->seen, end, sizeof(*seen), (void **)&seen, &created)) < 0)
        return rc;
    if (!h.is_person) {
        seen->auction = 1;
    } else {
        seen->person = 1;
        if ((rc = sg_state_list_add(ctx, s->names, end, name)) < 0)
            return rc;
    }
    return created ? sg_timer_set(ctx, SG_TIME_EVENT, end - 1) : SG_OK;
}

/* Prefetching the window state of the record this many places ahead hides most of a
 * state lookup's memory latency (as operators/window.c does). */
#define Q8_PREFETCH_AHEAD 8

static void q8_prefetch(sg_ctx *ctx, const q8_self *s, const sg_record *recs, size_t i)
{
    if (recs[i].ts <= SG_TIME_MAX - Q8_WINDOW_MS)
        sg_state_prefetch(ctx, s->seen, i,
                          nx_window_start(recs[i].ts, Q8_WINDOW_MS) + Q8_WINDOW_MS);
}

static int q8_process_batch(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n)
{
    for (size_t i = 0; i < n && i < Q8_PREFETCH_AHEAD; i++)
        q8_prefetch(ctx, self, recs, i);
    for (size_t i = 0; i < n; i++) {
        if (i + Q8_PREFETCH_AHEAD < n)
            q8_prefetch(ctx, self, recs, i + Q8_PREFETCH_AHEAD);
        sg_ctx_select(ctx, i);
        int rc = q8_process(ctx, self, port, &recs[i]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

/* The distinct names of the firing window, in scratch memory. */
typedef struct q8_names {
    sg_bytes *v;
    size_t n, cap;
} q8_names;

static int q8_each_name(sg_ctx *ctx, sg_bytes item, void *ud)
{
    q8_names *names = ud;
    for (size_t i = 0; i < names->n; i++)
        if (names->v[i].len == item.len && memcmp(names->v[i].data, item.data, item.len) == 0)
            return SG_OK;
    if (names->n == names->cap) {
        size_t cap = names->cap ? 2 * names->cap : 4;
        sg_bytes *v = sg_scratch_alloc(ctx, cap * sizeof(*v));
        if (!v)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        if (names->n)
            memcpy(v, names->v, names->n * sizeof(*v));
        names->v = v;
        names->cap = cap;
    }
    /* item is borrowed for this call: keep a copy for the emits after the walk. */
    void *copy = sg_scratch_alloc(ctx, item.len ? item.len : 1);
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    if (item.len)
        memcpy(copy, item.data, item.len);
    names->v[names->n++] = (sg_bytes){copy, item.len};
    return SG_OK;
}

static int q8_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    q8_self *s = self;
    sg_time end = ts + 1;
    sg_bytes v, out, none = {0};
    q8_seen seen;
    q8_names names = {0};
    int rc;
    SG_UNUSED(d);
    if ((rc = sg_state_get(ctx, s->seen, end, &v)) < 0)
        return rc;
    if (rc == SG_NOTFOUND || v.len != sizeof(seen))
        return rc == SG_NOTFOUND ? SG_OK : sg_ctx_errorf(ctx, SG_ESERDE, "q8: corrupt state");
    memcpy(&seen, v.data, sizeof(seen));
    if (seen.person && seen.auction &&
        (rc = sg_state_list_each(ctx, s->names, end, q8_each_name, &names)) < 0)
        return rc;
    /* A result row: | int64 id, int64 starttime | name |. */
    int64_t row[2] = {nx_i64_of(sg_ctx_key(ctx)), end - Q8_WINDOW_MS};
    for (size_t i = 0; i < names.n; i++)
        if ((rc = nx_pack(ctx, row, sizeof(row), &names.v[i], 1, &out)) < 0 ||
            (rc = sg_emit(ctx, ts, none, out)) < 0)
            return rc;
    if ((rc = sg_state_clear(ctx, s->seen, end)) < 0)
        return rc;
    return seen.person ? sg_state_clear(ctx, s->names, end) : SG_OK;
}

const sg_operator_def nx_q8_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "q8-new-users",
    .self_size = sizeof(q8_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = q8_open,
    .process = q8_process,
    .on_timer = q8_on_timer,
    .process_batch = q8_process_batch,
};

/* ---- Output ------------------------------------------------------------------------- */

static int q8_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    int64_t row[2];
    sg_bytes name;
    int rc;
    SG_UNUSED(udata);
    if (nx_unpack(rec->value, row, sizeof(row), &name, 1) != SG_OK)
        return sg_ctx_errorf(ctx, SG_ESERDE, "q8: a result row is corrupt");
    if ((rc = sg_line_add_i64(line, row[0])) < 0 ||
        (rc = sg_line_add_str(line, name.data, name.len)) < 0)
        return rc;
    return sg_line_add_i64(line, row[1]);
}

static int q8_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *proj = sg_stream_flat_map(events, "q8-project", q8_project, NULL);
    sg_stream *keyed = sg_stream_key_by(proj, "by-person", nx_key_i64, NULL);
    sg_stream *rows = sg_stream_process(keyed, &nx_q8_op, NULL);
    nx_sink(rows, o, "id,name,starttime", q8_encode);
    return sg_job_status(job);
}

const nx_query nx_q8 = {"q8",
                        "monitor new users: persons who opened an auction in their 10 s "
                        "window",
                        q8_build};
