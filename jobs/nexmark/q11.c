/* q11 user sessions: per bidder, session windows of event time with a 10 s gap, the
 * number of bids and the session's start and end (Flink's SESSION_START: the first
 * bid's dateTime, SESSION_END: the last one's + 10 s), as nexmark's q11.sql:
 * SELECT bidder, bid_count, starttime, endtime.
 *
 * Sessions that touch merge (a bid exactly 10 s after the last one extends the
 * session), as Flink's TimeWindow.intersects; the engine's session operator
 * (operators/session.c) does so. A session fires when the watermark reaches its
 * end - 1; a bid too late for every session it could join is dropped and counted.
 *
 * Which sessions a bid finds open (so whether it is late, or bridges two) depends on
 * its bidder's bids before it, so they must reach the session operator in the
 * source's order. An exchange between the source and the key_by would interleave its
 * instances' records in any order (a file is read by one instance; the operators run
 * at the job's parallelism: a rebalance), so the bid filter runs at the source's
 * parallelism, chained to it, and the key_by's is the first exchange. */
#include <string.h>

#include "nxb.h"

#define Q11_GAP_MS 10000

typedef struct q11_row {
    int64_t bidder, count;
    sg_time start, end;
} q11_row;

static int q11_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    q11_row r = {.bidder = nxb_i64_at(key, 0), .start = start, .end = end};
    uint64_t count = *(const uint64_t *)acc;
    sg_bytes none = {0};
    SG_UNUSED(udata);
    r.count = (int64_t)count;
    return sg_emit(ctx, end - 1, none, (sg_bytes){&r, sizeof(r)});
}

static const sg_aggregate_def q11_count = {
    .abi = SG_AGGREGATE_ABI_1,
    .acc_size = sizeof(uint64_t),
    .add = sg_count_add,
    .merge = sg_count_merge,
    .result = q11_result,
};

static int q11_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    q11_row r;
    int rc;
    SG_UNUSED(udata);
    if (rec->value.len != sizeof(r))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q11: a result of %zu bytes", rec->value.len);
    memcpy(&r, rec->value.data, sizeof(r));
    if ((rc = sg_line_add_i64(line, r.bidder)) < 0 || (rc = sg_line_add_i64(line, r.count)) < 0 ||
        (rc = sg_line_add_i64(line, r.start)) < 0)
        return rc;
    return sg_line_add_i64(line, r.end);
}

static int q11_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    /* gen:nexmark runs at the job's parallelism (SG_SOURCE_PARALLEL), a file at 1. */
    int source_p = strncmp(o->input, "gen:", 4) == 0 ? sg_job_parallelism(job) : 1;
    sg_stream *s = sg_stream_flat_map(events, "q11_bids", nxb_bids_only, NULL);
    s = sg_stream_set_parallelism(s, source_p);
    s = sg_stream_key_by(s, "q11_by_bidder", nxb_key_bidder, NULL);
    s = sg_stream_session_aggregate(s, "q11_sessions", Q11_GAP_MS, &q11_count, NULL);
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1,
                      .header = "bidder,bid_count,starttime,endtime",
                      .encode = q11_encode};
    sg_stream_sink(s, "q11_out", o->output, &enc);
    return sg_job_status(job);
}

const nx_query nx_q11 = {"q11", "user sessions: bids per bidder session (10 s gap)", q11_build};
