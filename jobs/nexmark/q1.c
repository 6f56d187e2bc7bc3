/* q1: currency conversion. SELECT auction, bidder, 0.908 * price AS price, dateTime,
 * extra FROM bid.
 *
 * 0.908 * price is a DECIMAL in Flink (DECIMAL(23, 3) here): exact, three places. So
 * it is computed in integers, never in floating point: price * 908 thousandths,
 * split so that no step overflows int64 for any non-negative price. */
#include <stdio.h>

#include "nx_util.h"

/* Writes 0.908 * price with three decimals ("908.000"); returns the length, as
 * snprintf. Prices are never negative (the decoder rejects them); a negative one
 * is formatted with its sign all the same. */
int nx_q1_format_price(int64_t price, char *buf, size_t cap)
{
    uint64_t m = price < 0 ? 0 - (uint64_t)price : (uint64_t)price;
    /* m * 908 = (m / 1000) * 908 * 1000 + (m % 1000) * 908 */
    uint64_t low = (m % 1000) * 908;
    uint64_t whole = (m / 1000) * 908 + low / 1000, frac = low % 1000;
    return snprintf(buf, cap, "%s%llu.%03llu", price < 0 ? "-" : "", (unsigned long long)whole,
                    (unsigned long long)frac);
}

static int q1_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    sg_nx_event ev;
    char price[32];
    int rc;
    SG_UNUSED(udata);
    if (sg_nx_view(rec->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q1: not a bid");
    int n = nx_q1_format_price(ev.bid.price, price, sizeof(price));
    if ((rc = sg_line_add_i64(line, ev.bid.auction)) < 0 ||
        (rc = sg_line_add_i64(line, ev.bid.bidder)) < 0 ||
        (rc = sg_line_add_str(line, price, (size_t)n)) < 0 ||
        (rc = sg_line_add_i64(line, ev.date_time)) < 0)
        return rc;
    return sg_line_add_str(line, ev.extra.data, ev.extra.len);
}

static int q1_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *bids = sg_stream_filter(events, "bids", nx_is_bid, NULL);
    nx_sink(bids, o, "auction,bidder,price,dateTime,extra", q1_encode);
    return sg_job_status(job);
}

const nx_query nx_q1 = {"q1", "currency conversion: every bid's price in euros (0.908 *)",
                        q1_build};
