/* gen:irctc — generated bookings as CSV lines (irgen.h), decoded like a file's.
 *
 * One instance, like a file: the watermark each booking carries (the max ts before
 * it, less the delay) is then the same at every parallelism, and so is which
 * bookings are late. A parallel generator would give each instance its own
 * watermark, as Flink's per-split watermarks do, and lateness would depend on the
 * split. */
#include "irctc.h"
#include "irgen.h"

/* Checkpoints: booking i is a pure function of (config, i), so the position is the
 * next index: u64 version (1) | u64 next. The CSV header is known only to the
 * engine's parser, so a restored source sends it again first (line 1, as in a file):
 * the parser takes it as the header and skips it, as it did the first time. */
#define BS_SNAP_VERSION 1u

typedef struct booking_source {
    ir_gen_config cfg;
    uint64_t next, count;
    bool header_sent;
    char line[IR_GEN_LINE_MAX];
} booking_source;

static int bs_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    booking_source *bs = self;
    int64_t count = 1000000, rate = 100, seed = 42, start = IR_GEN_START_MS, disorder = 3000;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,start,disorder")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &start)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "disorder", &disorder)) < 0)
        return rc;
    bs->cfg = (ir_gen_config){
        .seed = (uint64_t)seed, .start_ms = start, .rate = rate, .max_disorder_ms = disorder};
    if (count < 0 || ir_gen_check(&bs->cfg) < 0)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count >= 0, rate in 1..1e9, disorder in 0..1e9 (ms), "
                             "start in 0..4e18 (epoch ms)",
                             sg_ctx_uri(ctx));
    bs->count = (uint64_t)count;
    if (restore) {
        uint64_t version = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != BS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &bs->next) < 0)
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit this source",
                                 sg_ctx_uri(ctx));
    }
    return sg_source_set_format(ctx, SG_FORMAT_CSV, "gen:irctc");
}

static int bs_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, BS_SNAP_VERSION)) < 0)
        return rc;
    return sg_snap_put_u64(out, ((const booking_source *)self)->next);
}

static int bs_poll(sg_ctx *ctx, void *self, size_t budget)
{
    booking_source *bs = self;
    int rc;
    if (!bs->header_sent) { /* line 1, as in a file */
        if ((rc = sg_source_emit_line(ctx, IR_GEN_HEADER, sizeof(IR_GEN_HEADER) - 1, 1)) < 0)
            return rc;
        bs->header_sent = true;
    }
    for (; budget > 0 && bs->next < bs->count; budget--, bs->next++) {
        size_t len = ir_gen_line(&bs->cfg, bs->next, bs->line, sizeof(bs->line));
        if (len >= sizeof(bs->line))
            return sg_ctx_errorf(ctx, SG_EINTERNAL, "generated booking %llu is too long",
                                 (unsigned long long)bs->next);
        if ((rc = sg_source_emit_line(ctx, bs->line, len, bs->next + 2)) < 0)
            return rc;
    }
    return bs->next < bs->count ? SG_OK : SG_EOF;
}

const sg_source_def ir_booking_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "irctc",
    .self_size = sizeof(booking_source),
    .open = bs_open,
    .poll = bs_poll,
    .snapshot = bs_snapshot,
    /* close: NULL; self owns no memory. */
};
