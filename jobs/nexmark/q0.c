/* q0: pass-through. SELECT auction, bidder, price, dateTime, extra FROM bid.
 * Measures the engine's own cost: a type filter and the CSV encoder. */
#include "nx_util.h"

static int q0_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    sg_nx_event ev;
    int rc;
    SG_UNUSED(udata);
    if (sg_nx_view(rec->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q0: not a bid");
    if ((rc = sg_line_add_i64(line, ev.bid.auction)) < 0 ||
        (rc = sg_line_add_i64(line, ev.bid.bidder)) < 0 ||
        (rc = sg_line_add_i64(line, ev.bid.price)) < 0 ||
        (rc = sg_line_add_i64(line, ev.date_time)) < 0)
        return rc;
    return sg_line_add_str(line, ev.extra.data, ev.extra.len);
}

static int q0_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *bids = sg_stream_filter(events, "bids", nx_is_bid, NULL);
    nx_sink(bids, o, "auction,bidder,price,dateTime,extra", q0_encode);
    return sg_job_status(job);
}

const nx_query nx_q0 = {"q0", "pass-through: every bid", q0_build};
