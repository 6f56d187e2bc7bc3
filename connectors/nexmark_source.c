/* nexmark_source.c — gen:nexmark, the Nexmark generator as a source:
 *
 *   gen:nexmark?count=N&rate=R&seed=S&base=MS&ooo=G&realtime=1
 *       &people=P&auctions=A&hot_auctions=H&hot_bidders=H&hot_sellers=H
 *
 * Each event is one record: ts = dateTime, empty key, value = the wire layout
 * (sg_nx_encode). count = 0 is unbounded. Parallel: instance k of P makes events
 * k, k + P, k + 2P, ... (interleaved, so event time advances evenly in every instance;
 * sg_nx_gen_seek is O(1)), and the run holds the same events at every parallelism.
 *
 * realtime=1: base (default: the wall clock when the instance opens) is a wall-clock
 * time and no event is emitted before its dateTime (poll returns SG_AGAIN until then),
 * so a run has a fixed input rate and a sink's latency is now - dateTime. Instances
 * open a few ms apart, so without base= their clocks differ by that much. */
#include <string.h>

#include <sangam/nexmark.h>

/* Checkpoints: u64 version (1) | u64 next position | u64 step | i64 base_time (the
 * realtime base must survive a restore, else event times would jump). */
#define NXS_SNAP_VERSION 1u

typedef struct nx_source {
    sg_nx_gen *gen;
    uint64_t next, step, count; /* count 0: unbounded */
    bool realtime;
    int64_t base_time;
    unsigned char *buf;
    size_t cap;
} nx_source;

/* Reads name into *val when present, checking lo <= value <= hi. */
static int get_param(sg_ctx *ctx, const char *name, int64_t lo, int64_t hi, int64_t *val)
{
    int64_t v = *val;
    int rc = sg_ctx_param_i64(ctx, name, &v);
    if (rc < 0)
        return rc;
    if (rc == SG_NOTFOUND)
        return SG_OK;
    if (v < lo || v > hi)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: %s must be in %lld..%lld, not %lld",
                             sg_ctx_uri(ctx), name, (long long)lo, (long long)hi, (long long)v);
    *val = v;
    return SG_OK;
}

static int nxs_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    nx_source *s = self;
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    int64_t count = 100000, rate = (int64_t)cfg.rate, seed = 0, base = -1, ooo = 1, rt = 0;
    int64_t people = cfg.num_active_people, auctions = cfg.num_in_flight_auctions;
    int64_t hot_a = cfg.hot_auction_ratio, hot_b = cfg.hot_bidders_ratio;
    int64_t hot_s = cfg.hot_sellers_ratio;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,base,ooo,realtime,people,auctions,"
                                       "hot_auctions,hot_bidders,hot_sellers")) < 0 ||
        (rc = get_param(ctx, "count", 0, INT64_C(1000000000000000), &count)) < 0 ||
        (rc = get_param(ctx, "rate", 1, 1000000000, &rate)) < 0 ||
        (rc = get_param(ctx, "seed", INT64_MIN, INT64_MAX, &seed)) < 0 ||
        (rc = get_param(ctx, "base", 0, INT64_C(100000000000000), &base)) < 0 ||
        (rc = get_param(ctx, "ooo", 1, 1000000000, &ooo)) < 0 ||
        (rc = get_param(ctx, "realtime", 0, 1, &rt)) < 0 ||
        (rc = get_param(ctx, "people", 1, 1000000000, &people)) < 0 ||
        (rc = get_param(ctx, "auctions", 1, 1000000000, &auctions)) < 0 ||
        (rc = get_param(ctx, "hot_auctions", 1, 1000000, &hot_a)) < 0 ||
        (rc = get_param(ctx, "hot_bidders", 1, 1000000, &hot_b)) < 0 ||
        (rc = get_param(ctx, "hot_sellers", 1, 1000000, &hot_s)) < 0)
        return rc;
    s->realtime = rt != 0;
    if (base < 0)
        base = s->realtime ? sg_ctx_processing_time(ctx) : cfg.base_time;
    s->step = (uint64_t)sg_ctx_parallelism(ctx);
    s->next = (uint64_t)sg_ctx_subtask(ctx);
    s->count = (uint64_t)count;
    if (restore) {
        uint64_t version = 0, step = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != NXS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &s->next) < 0 || sg_snap_get_u64(restore, &step) < 0 ||
            sg_snap_get_i64(restore, &base) < 0 || step != s->step ||
            s->next % step != (uint64_t)sg_ctx_subtask(ctx))
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit instance %d of %d",
                                 sg_ctx_uri(ctx), sg_ctx_subtask(ctx), sg_ctx_parallelism(ctx));
    }
    s->base_time = base;
    cfg.count = s->count;
    cfg.rate = (double)rate;
    cfg.seed = (uint64_t)seed;
    cfg.base_time = base;
    cfg.out_of_order_group_size = (uint32_t)ooo;
    cfg.num_active_people = (uint32_t)people;
    cfg.num_in_flight_auctions = (uint32_t)auctions;
    cfg.hot_auction_ratio = (uint32_t)hot_a;
    cfg.hot_bidders_ratio = (uint32_t)hot_b;
    cfg.hot_sellers_ratio = (uint32_t)hot_s;
    const char *err = NULL;
    if (!(s->gen = sg_nx_gen_new(&cfg, &err)))
        return sg_ctx_errorf(ctx, err && strcmp(err, "out of memory") ? SG_EINVAL : SG_ENOMEM,
                             "%s: %s", sg_ctx_uri(ctx), err ? err : "out of memory");
    /* Room for the largest event: the strings are short, but for extra (< 1.2 x the
     * average size) and a description (< 100 bytes). */
    s->cap = 1024 + (size_t)(cfg.avg_auction_size > cfg.avg_person_size
                                 ? (cfg.avg_auction_size > cfg.avg_bid_size ? cfg.avg_auction_size
                                                                            : cfg.avg_bid_size)
                                 : (cfg.avg_person_size > cfg.avg_bid_size ? cfg.avg_person_size
                                                                           : cfg.avg_bid_size)) *
                        2;
    if (!(s->buf = sg_malloc(s->cap)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    return sg_source_set_format(ctx, SG_FORMAT_RECORDS, "gen:nexmark");
}

static int nxs_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const nx_source *s = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, NXS_SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, s->next)) < 0 || (rc = sg_snap_put_u64(out, s->step)) < 0)
        return rc;
    return sg_snap_put_i64(out, s->base_time);
}

static int nxs_poll(sg_ctx *ctx, void *self, size_t budget)
{
    nx_source *s = self;
    sg_time now = s->realtime ? sg_ctx_processing_time(ctx) : 0;
    sg_nx_event ev;
    for (; budget > 0 && (s->count == 0 || s->next < s->count); budget--) {
        sg_nx_gen_seek(s->gen, s->next);
        if (sg_nx_gen_next(s->gen, &ev) != SG_OK)
            break;
        if (s->realtime && ev.date_time > now)
            return SG_AGAIN; /* not due yet: the same position next poll */
        size_t len = sg_nx_encode(&ev, s->buf, s->cap);
        if (len == 0)
            return sg_ctx_errorf(ctx, SG_EINTERNAL, "%s: event %llu does not encode",
                                 sg_ctx_uri(ctx), (unsigned long long)s->next);
        s->next += s->step;
        int rc = sg_emit(ctx, ev.date_time, (sg_bytes){NULL, 0}, (sg_bytes){s->buf, len});
        if (rc < 0)
            return rc;
    }
    return s->count == 0 || s->next < s->count ? SG_OK : SG_EOF;
}

static void nxs_close(sg_ctx *ctx, void *self)
{
    nx_source *s = self;
    SG_UNUSED(ctx);
    sg_nx_gen_free(s->gen);
    sg_free(s->buf);
}

const sg_source_def sg_nexmark_source = {
    .abi = SG_SOURCE_ABI_1,
    .name = "nexmark",
    .self_size = sizeof(nx_source),
    .flags = SG_SOURCE_PARALLEL,
    .open = nxs_open,
    .poll = nxs_poll,
    .snapshot = nxs_snapshot,
    .close = nxs_close,
};
