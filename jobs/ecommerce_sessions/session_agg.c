/* session_agg.c — what a session accumulates, and how a closed session is written.
 *
 * The built-in session operator (operators/session.c) owns the windows: it merges
 * them and gives the result callback [start, end). The accumulator also keeps the
 * earliest and latest event time, so the result can check the operator's window
 * against the events themselves (start = earliest ts, end = latest ts + gap, as the
 * issue defines them): a disagreement is an engine bug, and fails the job loudly
 * rather than writing a wrong line. */
#include <string.h>

#include "ecom.h"

static void agg_init(void *acc, void *udata)
{
    ec_acc *a = acc;
    SG_UNUSED(udata);
    a->min_ts = SG_TIME_MAX;
    a->max_ts = SG_TIME_MIN;
}

static void add_revenue(ec_acc *a, uint64_t lo, uint64_t hi)
{
    uint64_t sum = a->revenue_lo + lo;
    a->revenue_hi += hi + (sum < lo); /* carry */
    a->revenue_lo = sum;
}

static int agg_add(void *acc, const sg_record *rec, void *udata)
{
    ec_acc *a = acc;
    ec_event ev;
    SG_UNUSED(udata);
    memcpy(&ev, rec->value.data, sizeof(ev));
    a->min_ts = rec->ts < a->min_ts ? rec->ts : a->min_ts;
    a->max_ts = rec->ts > a->max_ts ? rec->ts : a->max_ts;
    a->events++;
    if (ev.type == EC_VIEW)
        a->views++;
    else if (ev.type == EC_CART)
        a->carts++;
    else {
        a->purchases++;
        add_revenue(a, (uint64_t)ev.amount_paise, 0);
    }
    return SG_OK;
}

static void agg_merge(void *acc, const void *other, void *udata)
{
    ec_acc *a = acc;
    const ec_acc *b = other;
    SG_UNUSED(udata);
    a->min_ts = b->min_ts < a->min_ts ? b->min_ts : a->min_ts;
    a->max_ts = b->max_ts > a->max_ts ? b->max_ts : a->max_ts;
    a->events += b->events;
    a->views += b->views;
    a->carts += b->carts;
    a->purchases += b->purchases;
    add_revenue(a, b->revenue_lo, b->revenue_hi);
}

static int agg_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    const ec_config *cfg = udata;
    ec_acc a;
    memcpy(&a, acc, sizeof(a));
    if (a.events == 0 || start != a.min_ts || end != a.max_ts + cfg->gap_ms)
        return sg_ctx_errorf(ctx, SG_EINTERNAL,
                             "session [%lld, %lld) disagrees with its %llu events (ts %lld..%lld)",
                             (long long)start, (long long)end, (unsigned long long)a.events,
                             (long long)a.min_ts, (long long)a.max_ts);
    ec_session s = {
        .start = start,
        .end = end,
        .events = a.events,
        .views = a.views,
        .carts = a.carts,
        .purchases = a.purchases,
        .revenue_lo = a.revenue_lo,
        .revenue_hi = a.revenue_hi,
    };
    sg_bytes value = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, value);
}

const sg_aggregate_def ec_session_agg = {
    .abi = SG_AGGREGATE_ABI_1,
    .acc_size = sizeof(ec_acc),
    .init = agg_init,
    .add = agg_add,
    .merge = agg_merge,
    .result = agg_result,
};

size_t ec_u128_format(uint64_t hi, uint64_t lo, char *buf)
{
    char tmp[40];
    size_t n = 0;
    /* Long division by 10 on 32-bit limbs: portable, and the common case (hi == 0)
     * takes the same path, which keeps it tested. */
    uint32_t limb[4] = {(uint32_t)(hi >> 32), (uint32_t)hi, (uint32_t)(lo >> 32), (uint32_t)lo};
    do {
        uint64_t rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        tmp[n++] = (char)('0' + rem);
    } while (limb[0] | limb[1] | limb[2] | limb[3]);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

int ec_encode_session(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    ec_session s;
    char revenue[40];
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&s, rec->value.data, sizeof(s));
    size_t len = ec_u128_format(s.revenue_hi, s.revenue_lo, revenue);
    if ((rc = sg_line_add_str(line, rec->key.data, rec->key.len)) < 0 ||
        (rc = sg_line_add_i64(line, s.start)) < 0 || (rc = sg_line_add_i64(line, s.end)) < 0 ||
        (rc = sg_line_add_u64(line, s.events)) < 0 || (rc = sg_line_add_u64(line, s.views)) < 0 ||
        (rc = sg_line_add_u64(line, s.carts)) < 0 ||
        (rc = sg_line_add_u64(line, s.purchases)) < 0 ||
        (rc = sg_line_add_str(line, revenue, len)) < 0)
        return rc;
    return sg_line_add_u64(line, s.purchases > 0 ? 1 : 0);
}
