/* q2: selection. SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0.
 * One filter that reads the event's type and auction id, then the CSV encoder. */
#include "nx_util.h"

static bool q2_keep(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    return sg_nx_type_of(in->value) == SG_NX_BID && sg_nx_view(in->value, &ev) == SG_OK &&
           ev.bid.auction % 123 == 0;
}

static int q2_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    sg_nx_event ev;
    int rc;
    SG_UNUSED(udata);
    if (sg_nx_view(rec->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q2: not a bid");
    if ((rc = sg_line_add_i64(line, ev.bid.auction)) < 0)
        return rc;
    return sg_line_add_i64(line, ev.bid.price);
}

static int q2_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *picked = sg_stream_filter(events, "auction-mod-123", q2_keep, NULL);
    nx_sink(picked, o, "auction,price", q2_encode);
    return sg_job_status(job);
}

const nx_query nx_q2 = {"q2", "selection: bids on every 123rd auction", q2_build};
