/* Keyed interval join (Flink's KeyedStream.intervalJoin(..).between(lo, hi)): a and b
 * of one key are joined when a.ts + lo <= b.ts <= a.ts + hi, with ts = max of both.
 *
 * Buffers: each side keeps its records in keyed list state, in buckets of
 * B = hi - lo + 1 ms of event time (namespace = the bucket's floored start). A record
 * of a matches b's records in [ts + lo, ts + hi], a range B wide, so in at most two
 * buckets, found by arithmetic: no index of live buckets and no scan of the key's
 * history. (b's record looks in [ts - hi, ts - lo] of a's buckets.)
 *
 * Lateness: a record with ts < sg_ctx_watermark is dropped and counted, as Flink
 * does. Otherwise it is appended to its side, then joined with every buffered record
 * of the other side in its range.
 *
 * Cleanup, and why it never loses a pair: a record that arrives later and is not late
 * has ts >= sg_ctx_watermark >= the operator's watermark (the carried watermark rule,
 * docs/architecture.md, only ever raises it). So once the operator's watermark wm has
 * passed a.ts + hi, no future b can match a; likewise b once wm > b.ts - lo. A bucket
 * of a is dropped by an event-time timer at (its last ts) + hi + 1, one of b at
 * (its last ts) - lo + 1: a timer at t fires when wm >= t. Flink cleans a at
 * wm >= a.ts + max(hi, 0) (b at wm >= b.ts + max(-lo, 0)): for hi >= 0 that is one
 * millisecond early, and it can miss a b with b.ts == wm, which its own lateness test
 * (ts < wm) accepts. Keeping a record longer never adds a pair
 * (the bounds are checked per record), so the output is every pair of records that
 * are not late and satisfy the bounds, whatever the arrival order and parallelism.
 *
 * The timer says which buckets to drop: t is a's expiry for bucket t - B - hi and b's
 * for bucket t - B + lo; each of them is a real bucket start only if it is a multiple
 * of B, and dropping it at t is right whichever side set the timer. */
#include <string.h>

#include "operators/join_ops.h"

typedef struct ijoin_self {
    sg_state_id side[2]; /* LIST per (key, bucket start): a's and b's records */
} ijoin_self;

/* Bounds are within +-2^60 (the builder checks), so every time computed for such a
 * record (bucket starts, ranges, expiries) stays inside int64. */
#define IJOIN_TS_LIMIT ((sg_time)1 << 62)

static sg_time floor_to(sg_time ts, sg_time unit)
{
    sg_time r = ts % unit;
    return r < 0 ? ts - r - unit : ts - r;
}

/* When bucket bs of side 'port' can be dropped (see the top). */
static sg_time expiry(const sg_interval_join_config *c, int port, sg_time bs)
{
    return port == 0 ? bs + c->bucket + c->hi : bs + c->bucket - c->lo;
}

static int ijoin_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    ijoin_self *s = self;
    SG_UNUSED(restore); /* all state is keyed, and timers are the engine's */
    int rc = sg_state_declare(ctx, "interval-join-a", SG_STATE_LIST, &s->side[0]);
    return rc < 0 ? rc : sg_state_declare(ctx, "interval-join-b", SG_STATE_LIST, &s->side[1]);
}

typedef struct probe {
    const sg_interval_join_config *c;
    const sg_record *rec; /* the new record */
    int port;             /* its side */
    sg_time from, to;     /* the other side's matching range */
} probe;

/* Joins the new record with one buffered record of the other side, if in range. */
static int match(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const probe *p = ud;
    sg_record other;
    if (item.len < sizeof(sg_time))
        return sg_ctx_errorf(ctx, SG_ESERDE, "interval join: a buffered record is corrupt");
    memcpy(&other.ts, item.data, sizeof(other.ts));
    if (other.ts < p->from || other.ts > p->to)
        return SG_OK;
    other.key = p->rec->key;
    other.value.data = (const unsigned char *)item.data + sizeof(sg_time);
    other.value.len = item.len - sizeof(sg_time);
    const sg_record *a = p->port == 0 ? p->rec : &other;
    const sg_record *b = p->port == 0 ? &other : p->rec;
    sg_time ts = a->ts > b->ts ? a->ts : b->ts;
    return p->c->def.join(ctx, sg_ctx_key(ctx), a, b, ts, p->c->udata);
}

static int ijoin_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_interval_join_config *c = sg_ctx_udata(ctx);
    ijoin_self *s = self;
    int rc;
    if (port != 0 && port != 1)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "interval join: record on port %d", port);
    if (rec->ts < -IJOIN_TS_LIMIT || rec->ts > IJOIN_TS_LIMIT) {
        sg_ctx_reject(ctx, rec, "event time too close to the int64 limits for the join bounds");
        return SG_OK;
    }
    if (rec->ts < sg_ctx_watermark(ctx)) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    size_t len = sizeof(sg_time) + rec->value.len;
    unsigned char *item = sg_scratch_alloc(ctx, len);
    if (!item)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(item, &rec->ts, sizeof(rec->ts));
    if (rec->value.len)
        memcpy(item + sizeof(rec->ts), rec->value.data, rec->value.len);
    sg_bytes v = {item, len};
    sg_time bs = floor_to(rec->ts, c->bucket);
    if ((rc = sg_state_list_add(ctx, s->side[port], bs, v)) < 0 ||
        (rc = sg_timer_set(ctx, SG_TIME_EVENT, expiry(c, port, bs))) < 0)
        return rc;
    probe p = {c, rec, port, 0, 0};
    p.from = port == 0 ? rec->ts + c->lo : rec->ts - c->hi;
    p.to = port == 0 ? rec->ts + c->hi : rec->ts - c->lo;
    for (sg_time b = floor_to(p.from, c->bucket); b <= p.to; b += c->bucket)
        if ((rc = sg_state_list_each(ctx, s->side[1 - port], b, match, &p)) < 0)
            return rc;
    return SG_OK;
}

static int ijoin_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time t)
{
    const sg_interval_join_config *c = sg_ctx_udata(ctx);
    ijoin_self *s = self;
    int rc;
    SG_UNUSED(d);
    for (int port = 0; port < 2; port++) {
        sg_time bs = port == 0 ? t - c->bucket - c->hi : t - c->bucket + c->lo;
        if (floor_to(bs, c->bucket) == bs && (rc = sg_state_clear(ctx, s->side[port], bs)) < 0)
            return rc;
    }
    return SG_OK;
}

const sg_operator_def sg_interval_join_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "interval_join",
    .self_size = sizeof(ijoin_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 2,
    .open = ijoin_open,
    .process = ijoin_process,
    .on_timer = ijoin_on_timer,
};
