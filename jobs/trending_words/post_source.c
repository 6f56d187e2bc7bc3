/* gen:posts — generated posts as JSON Lines, decoded like a file's. One instance,
 * like a file: the watermark each post carries (the max ts before it, less the
 * delay) is then the same at every parallelism, and so is which posts are late. A
 * parallel generator would give each instance its own watermark, as Flink's
 * per-split watermarks do, and lateness would depend on the split. Generating runs
 * at ~1.5 M posts/s, faster than the rest of the job consumes them. */
#include "postgen.h"
#include "trending.h"

/* Checkpoints: post i is a pure function of (config, i), so the position is the next
 * index and its stride: u64 version (1) | u64 next | u64 step. */
#define PS_SNAP_VERSION 1u

typedef struct post_source {
    tw_postgen *gen;
    uint64_t next, count, step;
    char line[TW_POSTGEN_LINE_MAX];
} post_source;

static int ps_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    post_source *ps = self;
    int64_t count = 1000000, rate = 1000, seed = 42, start = 1732500000000, disorder = 3000;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,start,disorder")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &start)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "disorder", &disorder)) < 0)
        return rc;
    if (count < 0 || rate < 1 || rate > 1000000000 || disorder < 0 || disorder > 1000000000 ||
        start < 0 || start > 4000000000000000000)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count >= 0, rate in 1..1e9, disorder in 0..1e9 (ms), "
                             "start in 0..4e18 (epoch ms)",
                             sg_ctx_uri(ctx));
    tw_postgen_config cfg = {
        .seed = (uint64_t)seed,
        .start_ms = start,
        .rate = rate,
        .max_disorder_ms = disorder,
    };
    if (tw_postgen_new(&cfg, &ps->gen) < 0)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    ps->next = (uint64_t)sg_ctx_subtask(ctx);
    ps->step = (uint64_t)sg_ctx_parallelism(ctx);
    ps->count = (uint64_t)count;
    if (restore) {
        uint64_t version = 0, step = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != PS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &ps->next) < 0 || sg_snap_get_u64(restore, &step) < 0 ||
            step != ps->step || ps->next % step != (uint64_t)sg_ctx_subtask(ctx))
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit this instance",
                                 sg_ctx_uri(ctx));
    }
    return sg_source_set_format(ctx, SG_FORMAT_JSONL, "gen:posts");
}

static int ps_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const post_source *ps = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, PS_SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, ps->next)) < 0)
        return rc;
    return sg_snap_put_u64(out, ps->step);
}

static int ps_poll(sg_ctx *ctx, void *self, size_t budget)
{
    post_source *ps = self;
    for (; budget > 0 && ps->next < ps->count; budget--, ps->next += ps->step) {
        size_t len = tw_postgen_line(ps->gen, ps->next, ps->line, sizeof(ps->line));
        if (len >= sizeof(ps->line))
            return sg_ctx_errorf(ctx, SG_EINTERNAL, "generated post %llu is too long",
                                 (unsigned long long)ps->next);
        int rc = sg_source_emit_line(ctx, ps->line, len, ps->next + 1);
        if (rc < 0)
            return rc;
    }
    return ps->next < ps->count ? SG_OK : SG_EOF;
}

static void ps_close(sg_ctx *ctx, void *self)
{
    SG_UNUSED(ctx);
    tw_postgen_free(((post_source *)self)->gen);
}

const sg_source_def tw_post_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "posts",
    .self_size = sizeof(post_source),
    .open = ps_open,
    .poll = ps_poll,
    .snapshot = ps_snapshot,
    .close = ps_close,
};
