/* q5 hot items: per HOP window (size 10 s, slide 2 s) the auctions with the most bids
 * (all of them on a tie), as nexmark's q5.sql: SELECT auction, num.
 *
 *   bids -> counts per (auction, 2 s pane) before the shuffle (nxb_q5_combine.c)
 *   -> key_by auction -> count per window (the engine's sliding window keeps
 *   one count per auction and 2 s pane: a bid touches one pane, and a window adds up
 *   its 5 panes when it fires) -> per window, the auctions whose count is the
 *   maximum: locally at the job's parallelism, then globally at parallelism 1 -> CSV.
 *
 * A window fires when the watermark reaches its end - 1; bids later than that for
 * all their windows are dropped and counted (Flink's window aggregation). */
#include "nxb.h"

#define Q5_SIZE_MS 10000
#define Q5_SLIDE_MS 2000

static nxb_winmax_cfg q5_local = {.lag = 0, .final = false};
static nxb_winmax_cfg q5_global = {.lag = 0, .final = true};

/* One auction's count in one window, as a window-maximum candidate: payload auction. */
static int q5_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                     void *udata)
{
    char buf[sizeof(nxb_cand) + sizeof(int64_t)];
    uint64_t count = *(const uint64_t *)acc;
    int64_t auction = nxb_i64_at(key, 0);
    nxb_cand c = {.end = end, .v = (int64_t)count, .member = 1};
    sg_bytes none = {0};
    SG_UNUSED(start);
    SG_UNUSED(udata);
    size_t len = nxb_cand_write(buf, &c, &auction, sizeof(auction));
    return sg_emit(ctx, end - 1, none, (sg_bytes){buf, len});
}

static const sg_aggregate_def q5_count = {
    .abi = SG_AGGREGATE_ABI_1,
    .acc_size = sizeof(uint64_t),
    .add = nxb_part_add,
    .merge = sg_count_merge,
    .result = q5_result,
};

static int q5_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    nxb_cand c;
    sg_bytes payload;
    int rc;
    SG_UNUSED(udata);
    if (nxb_cand_read(rec->value, &c, &payload) != SG_OK)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q5: a result of %zu bytes", rec->value.len);
    if ((rc = sg_line_add_i64(line, nxb_i64_at(payload, 0))) < 0)
        return rc;
    return sg_line_add_i64(line, c.v);
}

static int q5_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_window win = {.size_ms = Q5_SIZE_MS, .slide_ms = Q5_SLIDE_MS};
    _Static_assert(Q5_SLIDE_MS % NXB_Q5_PANE_MS == 0 && Q5_SIZE_MS % NXB_Q5_PANE_MS == 0,
                   "the combiner's panes must be the window's");
    sg_stream *s = sg_stream_process(events, &nxb_q5_combine_op, NULL);
    s = sg_stream_key_by(s, "q5_by_auction", nxb_key_part, NULL);
    s = sg_stream_window_aggregate(s, "q5_count", &win, &q5_count, NULL);
    s = sg_stream_process(s, &nxb_winmax_local_op, &q5_local);
    s = sg_stream_set_parallelism(sg_stream_process(s, &nxb_winmax_global_op, &q5_global), 1);
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1, .header = "auction,num", .encode = q5_encode};
    sg_stream_sink(s, "q5_out", o->output, &enc);
    return sg_job_status(job);
}

const nx_query nx_q5 = {
    "q5", "hot items: the auctions with the most bids per 10 s window, every 2 s", q5_build};
