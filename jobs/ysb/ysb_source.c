/* ysb_source.c — gen:ysb, the YSB event generator as a parallel record source.
 *
 * Instance i of P emits events i, i + P, i + 2P, ... as records (ts = event time, no
 * key, value = the 40-byte ysb_event): no text to format or parse, as in the original
 * benchmark's in-process generator. Each instance's timestamps never decrease, so a
 * watermark delay of 0 is exact, and the run holds the same events at every
 * parallelism. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ysb.h"

/* Checkpoints: u64 version (1) | u64 next | u64 step. */
#define YS_SNAP_VERSION 1u

typedef struct ysb_source {
    ysb_gen_config cfg;
    uint64_t next, count, step;
} ysb_source;

static int ys_params(sg_ctx *ctx, ysb_source *ys)
{
    int64_t count = 10000000, seed = YSB_DEFAULT_SEED, users, pages;
    int rc;
    ysb_gen_config_default(&ys->cfg);
    users = (int64_t)ys->cfg.users;
    pages = (int64_t)ys->cfg.pages;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,start,users,pages")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &ys->cfg.rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &ys->cfg.start_ms)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "users", &users)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "pages", &pages)) < 0)
        return rc;
    if (count < 0 || count > INT64_C(1000000000000000) || users < 1 || pages < 1 ||
        users > UINT32_MAX || pages > UINT32_MAX)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count in 0..1e15, users and pages in 1..4294967295",
                             sg_ctx_uri(ctx));
    ys->cfg.seed = (uint64_t)seed;
    ys->cfg.users = (uint64_t)users;
    ys->cfg.pages = (uint64_t)pages;
    ys->count = (uint64_t)count;
    const char *why = ysb_gen_config_check(&ys->cfg);
    if (why)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: %s", sg_ctx_uri(ctx), why);
    return SG_OK;
}

static int ys_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    ysb_source *ys = self;
    int rc = ys_params(ctx, ys);
    if (rc < 0)
        return rc;
    ys->next = (uint64_t)sg_ctx_subtask(ctx);
    ys->step = (uint64_t)sg_ctx_parallelism(ctx);
    if (restore) {
        uint64_t version = 0, step = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != YS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &ys->next) < 0 || sg_snap_get_u64(restore, &step) < 0 ||
            step != ys->step || ys->next % step != (uint64_t)sg_ctx_subtask(ctx))
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit instance %d of %d",
                                 sg_ctx_uri(ctx), sg_ctx_subtask(ctx), sg_ctx_parallelism(ctx));
    }
    return SG_OK;
}

static int ys_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const ysb_source *ys = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, YS_SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, ys->next)) < 0)
        return rc;
    return sg_snap_put_u64(out, ys->step);
}

static int ys_poll(sg_ctx *ctx, void *self, size_t budget)
{
    ysb_source *ys = self;
    sg_bytes none = {0};
    for (; budget > 0 && ys->next < ys->count; budget--, ys->next += ys->step) {
        ysb_event ev;
        ysb_gen_event(&ys->cfg, ys->next, &ev);
        sg_bytes value = {&ev, sizeof(ev)};
        int rc = sg_emit(ctx, ev.event_time, none, value);
        if (rc < 0)
            return rc;
    }
    return ys->next < ys->count ? SG_OK : SG_EOF;
}

const sg_source_def ysb_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "ysb",
    .self_size = sizeof(ysb_source),
    .flags = SG_SOURCE_PARALLEL,
    .open = ys_open,
    .poll = ys_poll,
    .snapshot = ys_snapshot,
};

int ysb_uri_seed(const char *uri, int64_t *seed)
{
    static const char prefix[] = "gen:ysb?";
    if (strncmp(uri, prefix, sizeof(prefix) - 1) != 0)
        return SG_NOTFOUND;
    for (const char *p = uri + sizeof(prefix) - 1; p;
         p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, "seed=", 5) != 0)
            continue;
        char *end;
        errno = 0;
        long long v = strtoll(p + 5, &end, 10);
        if (end == p + 5 || errno == ERANGE || (*end && *end != '&'))
            return SG_EINVAL;
        *seed = v;
        return SG_OK;
    }
    return SG_NOTFOUND;
}
