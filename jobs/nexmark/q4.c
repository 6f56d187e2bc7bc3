/* q4: average closing price per category.
 *   SELECT Q.category, AVG(Q.final) FROM (
 *     SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
 *     WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
 *     GROUP BY A.id, A.category) Q
 *   GROUP BY Q.category
 *
 * A regular join and two aggregations: the result updates with every bid, so it is
 * written once, at the end of input (nx.h). BETWEEN includes both ends. AVG of a
 * BIGINT is a BIGINT in Flink: the sum divided by the count in integer division
 * (truncated toward zero), and so here. Only auctions with at least one bid in their
 * time range have a closing price (inner join).
 *
 * Plan: project auctions and bids to nx_q4_in (32-odd bytes instead of the whole
 * event) -> key by auction id -> nx_q4_max_op keeps per auction its range, category
 * and highest price in range (one state value, updated in place per bid) and, at the
 * end of input, emits (category, max) -> key by category -> nx_q4_avg_op sums and
 * counts (one state value per category) and emits the averages at the end.
 *
 * Auction ids are unique in Nexmark; a second auction with an id already seen is
 * rejected (keeping both would need every bid stored to be joined with each). */
#include <string.h>

#include "nx_util.h"

static int q4_project(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    nx_q4_in p = {0};
    sg_bytes none = {0}, out = {&p, sizeof(p)};
    SG_UNUSED(udata);
    if (sg_nx_type_of(in->value) == SG_NX_PERSON || sg_nx_view(in->value, &ev) != SG_OK)
        return SG_OK;
    p.date_time = ev.date_time;
    if (ev.type == SG_NX_AUCTION) {
        p.auction = ev.auction.id;
        p.is_auction = 1;
        p.expires = ev.auction.expires;
        p.category = ev.auction.category;
    } else {
        p.auction = ev.bid.auction;
        p.price = ev.bid.price;
    }
    return sg_emit(ctx, in->ts, none, out);
}

/* ---- Highest bid per auction ------------------------------------------------------- */

/* One auction's state. Bids that come before their auction wait in 'pending'. */
typedef struct q4_auction {
    sg_time start, expires;
    int64_t category, max;
    uint8_t has_auction, has_bid, has_pending;
} q4_auction;

/* A bid waiting for its auction. */
typedef struct q4_bid {
    sg_time date_time;
    int64_t price;
} q4_bid;

typedef struct q4_max_self {
    sg_state_id auction; /* VALUE q4_auction, ns 0 */
    sg_state_id pending; /* LIST q4_bid, ns 0 */
} q4_max_self;

static void q4_offer(q4_auction *a, sg_time ts, int64_t price)
{
    if (ts < a->start || ts > a->expires)
        return;
    if (!a->has_bid || price > a->max)
        a->max = price;
    a->has_bid = 1;
}

static int q4_each_pending(sg_ctx *ctx, sg_bytes item, void *ud)
{
    q4_bid b;
    if (item.len != sizeof(b))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a stored bid is corrupt");
    memcpy(&b, item.data, sizeof(b));
    q4_offer(ud, b.date_time, b.price);
    return SG_OK;
}

static int q4_max_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    q4_max_self *s = self;
    SG_UNUSED(restore); /* all state is keyed */
    int rc = sg_state_declare(ctx, "q4-auction", SG_STATE_VALUE, &s->auction);
    return rc < 0 ? rc : sg_state_declare(ctx, "q4-pending", SG_STATE_LIST, &s->pending);
}

static int q4_on_auction(sg_ctx *ctx, q4_max_self *s, const sg_record *rec, const nx_q4_in *in,
                         q4_auction *ref)
{
    int rc;
    if (ref->has_auction) {
        sg_ctx_reject(ctx, rec, "q4: a second auction with the same id");
        return SG_OK;
    }
    q4_auction a = *ref;
    a.start = in->date_time;
    a.expires = in->expires;
    a.category = in->category;
    a.has_auction = 1;
    if (a.has_pending) {
        if ((rc = sg_state_list_each(ctx, s->pending, 0, q4_each_pending, &a)) < 0 ||
            (rc = sg_state_clear(ctx, s->pending, 0)) < 0)
            return rc;
        a.has_pending = 0;
    }
    sg_bytes v = {&a, sizeof(a)};
    if ((rc = sg_state_put(ctx, s->auction, 0, v)) < 0)
        return rc;
    /* The closing price is final only when the input ends. */
    return sg_timer_set(ctx, SG_TIME_EVENT, SG_TIME_MAX);
}

static int q4_max_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    q4_max_self *s = self;
    nx_q4_in in;
    q4_auction *a;
    int rc;
    SG_UNUSED(port);
    if (rec->value.len != sizeof(in))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a projected record is corrupt");
    memcpy(&in, rec->value.data, sizeof(in));
    if ((rc = sg_state_ref(ctx, s->auction, 0, sizeof(*a), (void **)&a, NULL)) < 0)
        return rc;
    if (in.is_auction)
        return q4_on_auction(ctx, s, rec, &in, a);
    if (a->has_auction) {
        q4_offer(a, in.date_time, in.price);
        return SG_OK;
    }
    a->has_pending = 1; /* kept: written through the ref before the next state call */
    q4_bid b = {in.date_time, in.price};
    sg_bytes item = {&b, sizeof(b)};
    return sg_state_list_add(ctx, s->pending, 0, item);
}

/* Prefetching the auction state of the record this many places ahead hides most of
 * a state lookup's memory latency (as operators/window.c does). */
#define Q4_PREFETCH_AHEAD 8

static int q4_max_process_batch(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n)
{
    q4_max_self *s = self;
    for (size_t i = 0; i < n && i < Q4_PREFETCH_AHEAD; i++)
        sg_state_prefetch(ctx, s->auction, i, 0);
    for (size_t i = 0; i < n; i++) {
        if (i + Q4_PREFETCH_AHEAD < n)
            sg_state_prefetch(ctx, s->auction, i + Q4_PREFETCH_AHEAD, 0);
        sg_ctx_select(ctx, i);
        int rc = q4_max_process(ctx, self, port, &recs[i]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

static int q4_max_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    q4_max_self *s = self;
    sg_bytes v, none = {0};
    q4_auction a;
    int rc;
    SG_UNUSED(d);
    if ((rc = sg_state_get(ctx, s->auction, 0, &v)) != SG_OK)
        return rc < 0 ? rc : SG_OK;
    if (v.len != sizeof(a))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a stored auction is corrupt");
    memcpy(&a, v.data, sizeof(a));
    if (!a.has_bid)
        return SG_OK;
    nx_q4_final f = {a.category, a.max};
    sg_bytes out = {&f, sizeof(f)};
    return sg_emit(ctx, ts, none, out);
}

const sg_operator_def nx_q4_max_op = {
    .abi = SG_OPERATOR_ABI_2,
    .name = "q4-max-per-auction",
    .self_size = sizeof(q4_max_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = q4_max_open,
    .process = q4_max_process,
    .on_timer = q4_max_on_timer,
    .process_batch = q4_max_process_batch,
};

/* ---- Average per category ---------------------------------------------------------- */

typedef struct q4_avg_acc {
    int64_t sum, count;
} q4_avg_acc;

typedef struct q4_avg_self {
    sg_state_id acc; /* VALUE q4_avg_acc, ns 0 */
} q4_avg_self;

static int q4_avg_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    SG_UNUSED(restore);
    return sg_state_declare(ctx, "q4-avg", SG_STATE_VALUE, &((q4_avg_self *)self)->acc);
}

static int q4_avg_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    q4_avg_self *s = self;
    nx_q4_final f;
    q4_avg_acc *acc;
    bool created;
    int rc;
    SG_UNUSED(port);
    if (rec->value.len != sizeof(f))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a closing price record is corrupt");
    memcpy(&f, rec->value.data, sizeof(f));
    if ((rc = sg_state_ref(ctx, s->acc, 0, sizeof(*acc), (void **)&acc, &created)) < 0)
        return rc;
    /* Flink sums a BIGINT AVG in a BIGINT, wrapping on overflow; so does this. */
    acc->sum = (int64_t)((uint64_t)acc->sum + (uint64_t)f.final);
    acc->count++;
    return created ? sg_timer_set(ctx, SG_TIME_EVENT, SG_TIME_MAX) : SG_OK;
}

static int q4_avg_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    q4_avg_self *s = self;
    sg_bytes v, none = {0};
    q4_avg_acc acc;
    int rc;
    SG_UNUSED(d);
    if ((rc = sg_state_get(ctx, s->acc, 0, &v)) != SG_OK)
        return rc < 0 ? rc : SG_OK;
    if (v.len != sizeof(acc))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a stored average is corrupt");
    memcpy(&acc, v.data, sizeof(acc));
    nx_q4_final f = {nx_i64_of(sg_ctx_key(ctx)), acc.sum / acc.count};
    sg_bytes out = {&f, sizeof(f)};
    return sg_emit(ctx, ts, none, out);
}

const sg_operator_def nx_q4_avg_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "q4-avg-per-category",
    .self_size = sizeof(q4_avg_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = q4_avg_open,
    .process = q4_avg_process,
    .on_timer = q4_avg_on_timer,
};

/* ---- Output ------------------------------------------------------------------------ */

static int q4_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    nx_q4_final f;
    int rc;
    SG_UNUSED(udata);
    if (rec->value.len != sizeof(f))
        return sg_ctx_errorf(ctx, SG_ESERDE, "q4: a result row is corrupt");
    memcpy(&f, rec->value.data, sizeof(f));
    if ((rc = sg_line_add_i64(line, f.category)) < 0)
        return rc;
    return sg_line_add_i64(line, f.final);
}

static int q4_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *proj = sg_stream_flat_map(events, "q4-project", q4_project, NULL);
    sg_stream *by_auction = sg_stream_key_by(proj, "by-auction", nx_key_i64, NULL);
    sg_stream *finals = sg_stream_process(by_auction, &nx_q4_max_op, NULL);
    sg_stream *by_category = sg_stream_key_by(finals, "by-category", nx_key_i64, NULL);
    sg_stream *avgs = sg_stream_process(by_category, &nx_q4_avg_op, NULL);
    nx_sink(avgs, o, "category,final", q4_encode);
    return sg_job_status(job);
}

const nx_query nx_q4 = {"q4", "average closing price per category (written at end of input)",
                        q4_build};
