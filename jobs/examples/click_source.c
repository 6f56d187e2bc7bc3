/* click_source.c — gen:clicks, generated page clicks for trying the examples job
 * without data. It emits JSON Lines, so the job's decoder reads them exactly as it
 * reads a file:
 *
 *   {"ts": 1767225600000, "user": "u123", "page": "/p7"}
 *
 * Click i is a pure function of (seed, i), so instance s of P makes clicks s, s + P,
 * s + 2P, ... and a run holds the same clicks at every parallelism. One click in five
 * comes from one of a few "bot" users, which therefore cross the alert threshold.
 * Event time goes up by 1000 / rate ms a click, minus a jitter of up to 'disorder' ms:
 * the input is out of order, as real input is. */
#include <stdio.h>

#include "threshold.h"

/* Checkpoints: each instance's position is its next click index and its stride:
 * u64 version (1) | u64 next | u64 step. */
#define CS_SNAP_VERSION 1u

typedef struct click_source {
    uint64_t next, step, count;
    int64_t rate, users, bots, seed, start, disorder;
    char line[160];
} click_source;

/* splitmix64's finaliser: a well-mixed 64-bit hash. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static int cs_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    click_source *cs = self;
    int64_t count = 100000;
    int rc;
    cs->rate = 1000;
    cs->users = 1000;
    cs->bots = 5;
    cs->seed = 42;
    cs->start = INT64_C(1767225600000); /* 2026-01-01T00:00:00Z */
    cs->disorder = 2000;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,users,bots,seed,start,disorder")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &cs->rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "users", &cs->users)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "bots", &cs->bots)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &cs->seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &cs->start)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "disorder", &cs->disorder)) < 0)
        return rc;
    /* These bounds keep every event time computation far from int64 overflow. */
    if (count < 0 || count > INT64_C(1000000000000) || cs->rate < 1 || cs->rate > 1000000000 ||
        cs->users < 1 || cs->bots < 0 || cs->start < 0 || cs->start > INT64_C(100000000000000) ||
        cs->disorder < 0 || cs->disorder > 1000000000)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count in 0..1e12, rate in 1..1e9, users >= 1, "
                             "bots >= 0, start in 0..1e14 and disorder in 0..1e9 (ms)",
                             sg_ctx_uri(ctx));
    cs->next = (uint64_t)sg_ctx_subtask(ctx);
    cs->step = (uint64_t)sg_ctx_parallelism(ctx);
    cs->count = (uint64_t)count;
    if (restore) {
        uint64_t version = 0, step = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != CS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &cs->next) < 0 || sg_snap_get_u64(restore, &step) < 0 ||
            step != cs->step || cs->next % step != (uint64_t)sg_ctx_subtask(ctx))
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit instance %d of %d",
                                 sg_ctx_uri(ctx), sg_ctx_subtask(ctx), sg_ctx_parallelism(ctx));
    }
    return sg_source_set_format(ctx, SG_FORMAT_JSONL, "gen:clicks");
}

static int cs_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const click_source *cs = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, CS_SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, cs->next)) < 0)
        return rc;
    return sg_snap_put_u64(out, cs->step);
}

static int cs_poll(sg_ctx *ctx, void *self, size_t budget)
{
    click_source *cs = self;
    for (; budget > 0 && cs->next < cs->count; budget--, cs->next += cs->step) {
        uint64_t i = cs->next, h = mix((uint64_t)cs->seed ^ mix(i));
        int64_t ts = cs->start + (int64_t)(i * 1000 / (uint64_t)cs->rate) -
                     (int64_t)((h >> 32) % (uint64_t)(cs->disorder + 1));
        bool bot = cs->bots > 0 && h % 5 == 0;
        uint64_t who = (h >> 8) % (uint64_t)(bot ? cs->bots : cs->users);
        int len = snprintf(
            cs->line, sizeof(cs->line), "{\"ts\": %lld, \"user\": \"%s%llu\", \"page\": \"/p%u\"}",
            (long long)ts, bot ? "bot" : "u", (unsigned long long)who, (unsigned)((h >> 20) % 20));
        int rc = sg_source_emit_line(ctx, cs->line, (size_t)len, i + 1);
        if (rc < 0)
            return rc;
    }
    return cs->next < cs->count ? SG_OK : SG_EOF;
}

const sg_source_def ex_click_source = {
    .abi = SG_SOURCE_ABI_1,
    .name = "clicks",
    .self_size = sizeof(click_source),
    .flags = SG_SOURCE_PARALLEL,
    .open = cs_open,
    .poll = cs_poll,
    .snapshot = cs_snapshot,
};
