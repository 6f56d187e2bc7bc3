/* q12 processing-time windows: per bidder, bids counted in 10 s tumbling windows of
 * processing time (Flink's PROCTIME()), as nexmark's q12.sql: SELECT bidder,
 * bid_count, starttime, endtime (window_start, window_end: wall-clock epoch ms).
 *
 * The engine's windows are event-time only, so the window is a custom keyed operator
 * with processing-time timers (nxb_q12_op.c). Which rows come out depends on timing;
 * what does not is that, per bidder, the bid_counts add up to the bidder's bids, and
 * at the end of input every open window is written. */
#include <string.h>

#include "nxb.h"

static int q12_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    nxb_q12_row r;
    int rc;
    SG_UNUSED(udata);
    if (rec->value.len != sizeof(r))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q12: a result of %zu bytes", rec->value.len);
    memcpy(&r, rec->value.data, sizeof(r));
    if ((rc = sg_line_add_i64(line, r.bidder)) < 0 || (rc = sg_line_add_i64(line, r.count)) < 0 ||
        (rc = sg_line_add_i64(line, r.start)) < 0)
        return rc;
    return sg_line_add_i64(line, r.end);
}

static int q12_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *s = sg_stream_flat_map(events, "q12_bids", nxb_bids_only, NULL);
    s = sg_stream_key_by(s, "q12_by_bidder", nxb_key_bidder, NULL);
    s = sg_stream_process(s, &nxb_q12_op, NULL);
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1,
                      .header = "bidder,bid_count,starttime,endtime",
                      .encode = q12_encode};
    sg_stream_sink(s, "q12_out", o->output, &enc);
    return sg_job_status(job);
}

const nx_query nx_q12 = {"q12", "processing-time windows: bids per bidder per 10 s of wall clock",
                         q12_build};
