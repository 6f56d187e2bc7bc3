/* event_source.c — gen:ecommerce, the clickstream generator as a source. It emits JSON
 * Lines, so the job's decoder reads them exactly as it reads a file, bad records
 * included.
 *
 * One instance (no SG_SOURCE_PARALLEL), like a file: the watermark each event carries
 * (the max ts before it, less the delay) is then the same at every parallelism, and so
 * is which events are late and which sessions form. A parallel generator would give
 * each instance its own watermark, as Flink's per-split watermarks do. */
#include "ecom.h"
#include "ecomgen.h"

/* Checkpoints: the generator is sequential (each event continues a shopper's visit),
 * so its state is the whole shopper table. Rather than serialise that, the snapshot
 * is the number of events emitted, and a restore regenerates and discards that many
 * (the stream is a pure function of the config): a few million events a second, so
 * a restore deep into a long run costs seconds, which we accept for a demo source.
 * Layout: u64 version (1) | u64 events emitted. */
#define ES_SNAP_VERSION 1u

typedef struct event_source {
    ec_gen *gen;
    uint64_t next, count;
    char line[EC_GEN_LINE_MAX];
} event_source;

static int es_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    event_source *es = self;
    int64_t count = 100000, rate = 20, seed = 2026, disorder = 3000, users = 20000;
    int64_t start = EC_GEN_DEFAULT_START;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,start,disorder,users")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &start)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "disorder", &disorder)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "users", &users)) < 0)
        return rc;
    ec_gen_config cfg = {
        .seed = (uint64_t)seed,
        .start_ms = start,
        .rate = rate,
        .max_disorder_ms = disorder,
        .users = users,
    };
    if (count < 0 || count > INT64_C(1000000000000) ||
        (rc = ec_gen_new(&cfg, &es->gen)) == SG_EINVAL)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count in 0..1e12, rate in 1..1e6, disorder in 0..1e9 "
                             "(ms), users in 1..1e9 and start in 0..1e14 (epoch ms)",
                             sg_ctx_uri(ctx));
    if (rc < 0)
        return sg_ctx_errorf(ctx, rc, "out of memory");
    es->count = (uint64_t)count;
    if (restore) {
        uint64_t version = 0, next = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != ES_SNAP_VERSION ||
            sg_snap_get_u64(restore, &next) < 0 || next > es->count)
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit this source",
                                 sg_ctx_uri(ctx));
        for (; es->next < next; es->next++) /* fast-forward */
            ec_gen_next(es->gen, es->line, sizeof(es->line));
    }
    return sg_source_set_format(ctx, SG_FORMAT_JSONL, "gen:ecommerce");
}

static int es_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, ES_SNAP_VERSION)) < 0)
        return rc;
    return sg_snap_put_u64(out, ((const event_source *)self)->next);
}

static int es_poll(sg_ctx *ctx, void *self, size_t budget)
{
    event_source *es = self;
    for (; budget > 0 && es->next < es->count; budget--) {
        size_t len = ec_gen_next(es->gen, es->line, sizeof(es->line));
        if (len >= sizeof(es->line))
            return sg_ctx_errorf(ctx, SG_EINTERNAL, "generated event %llu is too long",
                                 (unsigned long long)es->next);
        int rc = sg_source_emit_line(ctx, es->line, len, ++es->next);
        if (rc < 0)
            return rc;
    }
    return es->next < es->count ? SG_OK : SG_EOF;
}

static void es_close(sg_ctx *ctx, void *self)
{
    SG_UNUSED(ctx);
    ec_gen_free(((event_source *)self)->gen);
}

const sg_source_def ec_event_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "ecommerce",
    .self_size = sizeof(event_source),
    .open = es_open,
    .poll = es_poll,
    .snapshot = es_snapshot,
    .close = es_close,
};
