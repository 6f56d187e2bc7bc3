/* q7 highest bid: the bids whose price is the maximum of a 10 s tumbling window, as
 * nexmark's q7.sql: SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid
 * B JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime FROM TUMBLE(...)
 * GROUP BY window_start, window_end) B1 ON B.price = B1.maxprice WHERE B.dateTime
 * BETWEEN B1.dateTime - 10 s AND B1.dateTime. The columns are written in that order
 * (the sink table names them auction, bidder, price: Flink's INSERT is positional,
 * the header follows the SELECT).
 *
 * Both ends of BETWEEN are inclusive, so a bid matches the window it belongs to,
 * [end - 10 s, end), and a bid exactly at a window's end also matches that window
 * (it is compared to its maximum, which it does not count for): it may be written
 * twice. The split operator turns each bid into one window-maximum member and, on a
 * boundary, one extra for the window ending there; then a local and a global window
 * maximum (nxb_winmax.c) keep per window only the bids that tie or lead.
 *
 * Lateness. window_end is not a time attribute, so Flink runs this as a regular
 * join, which keeps every bid of side B whenever it comes; only the MAX (a window
 * aggregate) drops a bid whose window has fired (watermark >= end - 1). So a late
 * bid is counted late and goes on as an extra of its own window: it does not count
 * for the maximum but is written when it equals it, and a bid at a window's end
 * that comes after that window was emitted is matched the same way. The global
 * phase keeps the maxima of the last Q7_KEEP windows for them (a day of 10 s
 * windows, 16 bytes each; Flink keeps join state forever): a bid later than that is
 * dropped and counted. */
#include <string.h>

#include "nxb.h"

#define Q7_SIZE_MS 10000
/* Event times this close to the int64 limits have no window end: rejected. */
#define Q7_TS_LIMIT (SG_TIME_MAX - 4 * Q7_SIZE_MS)
#define Q7_KEEP 8640 /* window maxima kept for late bids: a day of event time */

static nxb_winmax_cfg q7_local = {.lag = 1, .final = false};
static nxb_winmax_cfg q7_global = {.lag = 1, .final = true, .keep = Q7_KEEP};

/* The payload of a q7 candidate: the bid's columns, then its extra's bytes. */
typedef struct q7_bid {
    int64_t auction, bidder, price;
    sg_time date_time;
} q7_bid;

static sg_time window_end(sg_time ts)
{
    sg_time start = ts - ts % Q7_SIZE_MS;
    if (ts % Q7_SIZE_MS < 0)
        start -= Q7_SIZE_MS; /* floor for times before the epoch */
    return start + Q7_SIZE_MS;
}

static int q7_split_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    sg_nx_event ev;
    int rc;
    SG_UNUSED(self);
    SG_UNUSED(port);
    if (sg_nx_type_of(rec->value) != SG_NX_BID)
        return SG_OK;
    if (sg_nx_view(rec->value, &ev) != SG_OK || ev.date_time != rec->ts ||
        rec->ts <= -Q7_TS_LIMIT || rec->ts >= Q7_TS_LIMIT) {
        sg_ctx_reject(ctx, rec, "q7: not a Nexmark bid with a usable dateTime");
        return SG_OK;
    }
    sg_time wm = sg_ctx_watermark(ctx), end = window_end(rec->ts);
    bool late = wm >= end - 1; /* its window has fired: Flink drops it from the MAX */
    if (late)
        sg_ctx_count_late(ctx, 1);
    size_t len = sizeof(nxb_cand) + sizeof(q7_bid) + ev.extra.len;
    char *buf = sg_scratch_alloc(ctx, len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "q7: out of memory");
    q7_bid b = {ev.bid.auction, ev.bid.bidder, ev.bid.price, rec->ts};
    nxb_cand c = {.end = end, .v = ev.bid.price, .member = !late};
    nxb_cand_write(buf, &c, &b, sizeof(b));
    if (ev.extra.len)
        memcpy(buf + sizeof(c) + sizeof(b), ev.extra.data, ev.extra.len);
    sg_bytes none = {0};
    if ((rc = sg_emit(ctx, rec->ts, none, (sg_bytes){buf, len})) < 0)
        return rc;
    if (rec->ts != end - Q7_SIZE_MS)
        return SG_OK;
    /* On a boundary: also an extra for the window [ts - 10 s, ts), as BETWEEN's upper
     * end (emitted or not: see the top). Only the header differs. */
    c.end = rec->ts;
    c.member = 0;
    memcpy(buf, &c, sizeof(c));
    return sg_emit(ctx, rec->ts, none, (sg_bytes){buf, len});
}

const sg_operator_def nxb_q7_split_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "q7_split",
    .n_inputs = 1,
    .process = q7_split_process,
};

static int q7_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    nxb_cand c;
    sg_bytes payload;
    q7_bid b;
    int rc;
    SG_UNUSED(udata);
    if (nxb_cand_read(rec->value, &c, &payload) != SG_OK || payload.len < sizeof(b))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q7: a result of %zu bytes", rec->value.len);
    memcpy(&b, payload.data, sizeof(b));
    if ((rc = sg_line_add_i64(line, b.auction)) < 0 || (rc = sg_line_add_i64(line, b.price)) < 0 ||
        (rc = sg_line_add_i64(line, b.bidder)) < 0 || (rc = sg_line_add_i64(line, b.date_time)) < 0)
        return rc;
    return sg_line_add_str(line, (const char *)payload.data + sizeof(b), payload.len - sizeof(b));
}

static int q7_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *s = sg_stream_process(events, &nxb_q7_split_op, NULL);
    s = sg_stream_process(s, &nxb_winmax_local_op, &q7_local);
    s = sg_stream_set_parallelism(sg_stream_process(s, &nxb_winmax_global_op, &q7_global), 1);
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1,
                      .header = "auction,price,bidder,dateTime,extra",
                      .encode = q7_encode};
    sg_stream_sink(s, "q7_out", o->output, &enc);
    return sg_job_status(job);
}

const nx_query nx_q7 = {"q7", "highest bid: the bids at the maximum price of each 10 s window",
                        q7_build};
