/* q1: currency conversion. SELECT auction, bidder, 0.908 * price AS price, dateTime,
 * extra FROM bid.
 *
 * 0.908 * price is a DECIMAL in Flink (DECIMAL(23, 3) here): exact, three places. So
 * it is computed in integers, never in floating point: price * 908 thousandths,
 * split so that no step overflows int64 for any non-negative price. The map computes
 * it into the result row (the query's work, done for every output); the encoder only
 * prints it, and null: does not encode (as Flink's blackhole sink). */
#include <stdio.h>

#include "nx_util.h"

/* 0.908 * |price| as whole units and thousandths. */
typedef struct q1_decimal {
    uint64_t whole;
    uint32_t frac;     /* 0..999 */
    uint32_t negative; /* 1: the price was negative */
} q1_decimal;

static q1_decimal q1_convert(int64_t price)
{
    uint64_t m = price < 0 ? 0 - (uint64_t)price : (uint64_t)price;
    /* m * 908 = (m / 1000) * 908 * 1000 + (m % 1000) * 908 */
    uint64_t low = (m % 1000) * 908;
    return (q1_decimal){(m / 1000) * 908 + low / 1000, (uint32_t)(low % 1000), price < 0};
}

static int q1_format(q1_decimal d, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s%llu.%03u", d.negative ? "-" : "", (unsigned long long)d.whole,
                    d.frac);
}

/* Writes 0.908 * price with three decimals ("908.000"); returns the length, as
 * snprintf. Prices are never negative (the decoder rejects them); a negative one
 * is formatted with its sign all the same. */
int nx_q1_format_price(int64_t price, char *buf, size_t cap)
{
    return q1_format(q1_convert(price), buf, cap);
}

/* The result row: these columns, then extra (nx_pack). */
typedef struct q1_row {
    int64_t auction, bidder;
    q1_decimal price;
    sg_time date_time;
} q1_row;

static int q1_select(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(udata);
    if (sg_nx_view(in->value, &ev) != SG_OK || ev.type != SG_NX_BID)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q1: not a bid");
    q1_row row = {ev.bid.auction, ev.bid.bidder, q1_convert(ev.bid.price), ev.date_time};
    return nx_pack(ctx, &row, sizeof(row), &ev.extra, 1, &out->value);
}

static int q1_encode(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    q1_row row;
    sg_bytes extra;
    char price[32];
    int rc;
    SG_UNUSED(udata);
    if (nx_unpack(rec->value, &row, sizeof(row), &extra, 1) != SG_OK)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "q1: not a result row");
    int n = q1_format(row.price, price, sizeof(price));
    if ((rc = sg_line_add_i64(line, row.auction)) < 0 ||
        (rc = sg_line_add_i64(line, row.bidder)) < 0 ||
        (rc = sg_line_add_str(line, price, (size_t)n)) < 0 ||
        (rc = sg_line_add_i64(line, row.date_time)) < 0)
        return rc;
    return sg_line_add_str(line, extra.data, extra.len);
}

static int q1_build(sg_job *job, sg_stream *events, const nx_options *o)
{
    sg_stream *bids = sg_stream_filter(events, "bids", nx_is_bid, NULL);
    sg_stream *rows = sg_stream_map(bids, "select", q1_select, NULL);
    nx_sink(rows, o, "auction,bidder,price,dateTime,extra", q1_encode);
    return sg_job_status(job);
}

const nx_query nx_q1 = {"q1", "currency conversion: every bid's price in euros (0.908 *)",
                        q1_build};
