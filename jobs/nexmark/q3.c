/* q3: local item suggestion.
 *   SELECT P.name, P.city, P.state, A.id
 *   FROM auction A INNER JOIN person P ON A.seller = P.id
 *   WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')
 *
 * A regular (unwindowed) inner join, append-only: every matching pair is emitted
 * once, when its second side arrives, whatever the order and however late. Both
 * filters run before the exchange, on the event itself, so bids and most persons
 * and auctions never leave their worker. Each side is then a compact record keyed by
 * the person id (an auction's seller), and one keyed operator holds both sides in
 * list state: a person waits for auctions that come later, and the other way round
 * (Flink keeps both sides of a regular join for ever too). */
#include <string.h>

#include "nx_util.h"

enum { Q3_STRS = 3 };

static bool q3_state_matches(sg_bytes s)
{
    return s.len == 2 && (memcmp(s.data, "OR", 2) == 0 || memcmp(s.data, "ID", 2) == 0 ||
                          memcmp(s.data, "CA", 2) == 0);
}

static int q3_project(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    sg_bytes out, none = {0};
    int rc;
    SG_UNUSED(udata);
    int type = sg_nx_type_of(in->value);
    if (type == SG_NX_BID || sg_nx_view(in->value, &ev) != SG_OK)
        return SG_OK;
    if (type == SG_NX_PERSON) {
        if (!q3_state_matches(ev.person.state))
            return SG_OK;
        nx_q3_head h = {ev.person.id, 0, 1};
        sg_bytes s[Q3_STRS] = {ev.person.name, ev.person.city, ev.person.state};
        rc = nx_pack(ctx, &h, sizeof(h), s, Q3_STRS, &out);
    } else {
        if (ev.auction.category != 10)
            return SG_OK;
        nx_q3_head h = {ev.auction.seller, ev.auction.id, 0};
        rc = nx_pack(ctx, &h, sizeof(h), NULL, 0, &out);
    }
    return rc < 0 ? rc : sg_emit(ctx, in->ts, none, out);
}

/* ---- The join ------------------------------------------------------------------- */

typedef struct q3_self {
    sg_state_id persons;  /* LIST: | name, city, state | packed with an empty head */
    sg_state_id auctions; /* LIST: auction ids (int64) */
} q3_self;

typedef struct q3_match {
    sg_time ts;
    sg_bytes person; /* when walking the auctions */
    int64_t auction; /* when walking the persons */
} q3_match;

/* A result row: | int64 auction id | name, city, state |. */
static int q3_emit(sg_ctx *ctx, sg_time ts, sg_bytes person, int64_t auction)
{
    sg_bytes s[Q3_STRS], out, none = {0};
    char empty;
    int rc;
    if (nx_unpack(person, &empty, 0, s, Q3_STRS) != SG_OK)
        return sg_ctx_errorf(ctx, SG_ESERDE, "q3: a stored person is corrupt");
    if ((rc = nx_pack(ctx, &auction, sizeof(auction), s, Q3_STRS, &out)) < 0)
        return rc;
    return sg_emit(ctx, ts, none, out);
}

static int q3_each_auction(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const q3_match *m = ud;
    return q3_emit(ctx, m->ts, m->person, nx_i64_of(item));
}

static int q3_each_person(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const q3_match *m = ud;
    return q3_emit(ctx, m->ts, item, m->auction);
}

static int q3_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    q3_self *s = self;
    SG_UNUSED(restore); /* all state is keyed */
    int rc = sg_state_declare(ctx, "q3-persons", SG_STATE_LIST, &s->persons);
    return rc < 0 ? rc : sg_state_declare(ctx, "q3-auctions", SG_STATE_LIST, &s->auctions);
}

static int q3_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    q3_self *s = self;
    nx_q3_head h;
    sg_bytes strs[Q3_STRS];
    int rc;
    SG_UNUSED(port);
    if (rec->value.len < sizeof(h))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q3: a projected record is corrupt");
    memcpy(&h, rec->value.data, sizeof(h));
    bool person = h.is_person != 0;
    if (nx_unpack(rec->value, &h, sizeof(h), strs, person ? Q3_STRS : 0) != SG_OK)
        return sg_ctx_errorf(ctx, SG_ESERDE, "q3: a projected record is corrupt");
    if (person) {
        /* The stored person is its strings alone: the key is the person id. */
        sg_bytes stored = {(const unsigned char *)rec->value.data + sizeof(h),
                           rec->value.len - sizeof(h)};
        q3_match m = {rec->ts, stored, 0};
        if ((rc = sg_state_list_each(ctx, s->auctions, 0, q3_each_auction, &m)) < 0)
            return rc;
        return sg_state_list_add(ctx, s->persons, 0, stored);
    }
    q3_match m = {rec->ts, {0}, h.id};
    if ((rc = sg_state_list_each(ctx, s->persons, 0, q3_each_person, &m)) < 0)
        return rc;
    sg_bytes id = {&h.id, sizeof(h.id)};
    return sg_state_list_add(ctx, s->auctions, 0, id);
}

const sg_operator_def nx_q3_join_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "q3-join",
    .self_size = sizeof(q3_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = q3_open,
    .process = q3_process,
};

/* ---- Output ---------------------------------------------------------------------- */

static int q3_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    int64_t id;
    sg_bytes s[Q3_STRS];
    int rc;
    SG_UNUSED(udata);
    if (nx_unpack(rec->value, &id, sizeof(id), s, Q3_STRS) != SG_OK)
        return sg_ctx_errorf(ctx, SG_ESERDE, "q3: a result row is corrupt");
    for (int i = 0; i < Q3_STRS; i++)
        if ((rc = sg_line_add_str(line, s[i].data, s[i].len)) < 0)
            return rc;
    return sg_line_add_i64(line, id);
}

static int q3_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *sides = sg_stream_flat_map(events, "q3-filter", q3_project, NULL);
    sg_stream *keyed = sg_stream_key_by(sides, "by-person", nx_key_i64, NULL);
    sg_stream *joined = sg_stream_process(keyed, &nx_q3_join_op, NULL);
    nx_sink(joined, o, "name,city,state,id", q3_encode);
    return sg_job_status(job);
}

const nx_query nx_q3 = {"q3", "local item suggestion: sellers in OR, ID, CA of category 10",
                        q3_build};
