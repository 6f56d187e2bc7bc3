/* q2: selection. SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0.
 * One filter that reads the event's type and auction id, the projection into the
 * result row (a map), then the CSV encoder (not for null:, as Flink's blackhole). */
#include "nx_util.h"

typedef struct q2_row {
    int64_t auction, price;
} q2_row;

static bool q2_keep(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    return sg_nx_type_of(in->value) == SG_NX_BID && sg_nx_view(in->value, &ev) == SG_OK &&
           ev.bid.auction % 123 == 0;
}

static int q2_select(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(udata);
    if (sg_nx_view(in->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q2: not a bid");
    q2_row row = {ev.bid.auction, ev.bid.price};
    return nx_pack(ctx, &row, sizeof(row), NULL, 0, &out->value);
}

static int q2_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    q2_row row;
    int rc;
    SG_UNUSED(udata);
    if (nx_unpack(rec->value, &row, sizeof(row), NULL, 0) != SG_OK)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q2: not a result row");
    if ((rc = sg_line_add_i64(line, row.auction)) < 0)
        return rc;
    return sg_line_add_i64(line, row.price);
}

static int q2_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *picked = sg_stream_filter(events, "auction-mod-123", q2_keep, NULL);
    sg_stream *rows = sg_stream_map(picked, "select", q2_select, NULL);
    nx_sink(rows, o, "auction,price", q2_encode);
    return sg_job_status(job);
}

const nx_query nx_q2 = {"q2", "selection: bids on every 123rd auction", q2_build};
