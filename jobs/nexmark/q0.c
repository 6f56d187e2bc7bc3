/* q0: pass-through. SELECT auction, bidder, price, dateTime, extra FROM bid.
 * Measures the engine's own cost: a type filter, the projection into the SELECT's
 * row (a map, as Flink's Calc builds a new row), and the CSV encoder when the output
 * is a file (null: discards rows without encoding them, as Flink's blackhole sink). */
#include "nx_util.h"

/* The result row: these columns, then extra (nx_pack). */
typedef struct q0_row {
    int64_t auction, bidder, price;
    sg_time date_time;
} q0_row;

static int q0_select(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(udata);
    if (sg_nx_view(in->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q0: not a bid");
    q0_row row = {ev.bid.auction, ev.bid.bidder, ev.bid.price, ev.date_time};
    return nx_pack(ctx, &row, sizeof(row), &ev.extra, 1, &out->value);
}

static int q0_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    q0_row row;
    sg_bytes extra;
    int rc;
    SG_UNUSED(udata);
    if (nx_unpack(rec->value, &row, sizeof(row), &extra, 1) != SG_OK)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q0: not a result row");
    if ((rc = sg_line_add_i64(line, row.auction)) < 0 ||
        (rc = sg_line_add_i64(line, row.bidder)) < 0 ||
        (rc = sg_line_add_i64(line, row.price)) < 0 ||
        (rc = sg_line_add_i64(line, row.date_time)) < 0)
        return rc;
    return sg_line_add_str(line, extra.data, extra.len);
}

static int q0_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *bids = sg_stream_filter(events, "bids", nx_is_bid, NULL);
    sg_stream *rows = sg_stream_map(bids, "select", q0_select, NULL);
    nx_sink(rows, o, "auction,bidder,price,dateTime,extra", q0_encode);
    return sg_job_status(job);
}

const nx_query nx_q0 = {"q0", "pass-through: every bid", q0_build};
