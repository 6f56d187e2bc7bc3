/* upi_source.c — gen:upi (payments) and gen:upi_logins (their logins), generated JSON
 * Lines decoded like a file's (upigen.h makes them).
 *
 * Each runs as one instance, like a file: the watermark each line carries (the max ts
 * before it, less the delay) is then the same at every parallelism, and so is which
 * records are late. Give both the same parameters: line seq of gen:upi_logins is the
 * login of payment seq of gen:upi (when it has one), so the two describe one world. */
#include <sangam/sangam.h>

#include "upi.h"
#include "upigen.h"

/* Checkpoints: line seq is a pure function of (config, seq), so the position is the
 * next seq: u64 version (1) | u64 next. */
#define UPI_SNAP_VERSION 1u

typedef struct upi_source {
    upi_gen_config cfg;
    uint64_t next, count;
    bool logins;
    char line[UPI_GEN_LINE_MAX];
} upi_source;

static int src_open(sg_ctx *ctx, upi_source *s, bool logins, sg_snap_reader *restore)
{
    int64_t count = 1000000, rate = 1000, seed = 42, start = UPI_GEN_START_MS, disorder = 3000,
            payers = 200000;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,rate,seed,start,disorder,payers")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &start)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "disorder", &disorder)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "payers", &payers)) < 0)
        return rc;
    s->cfg = (upi_gen_config){
        .seed = (uint64_t)seed,
        .start_ms = start,
        .rate = rate,
        .max_disorder_ms = disorder,
        .payers = payers,
    };
    if (count < 0 || count > UPI_GEN_COUNT_MAX || upi_gen_check(&s->cfg) < 0)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count in 0..1e12, rate in 1..1e6, disorder in 0..1e9 (ms), "
                             "start in 0..4e18 (epoch ms), payers in 1..1e7",
                             sg_ctx_uri(ctx));
    s->count = (uint64_t)count;
    s->logins = logins;
    if (restore) {
        uint64_t version = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != UPI_SNAP_VERSION ||
            sg_snap_get_u64(restore, &s->next) < 0)
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit this source",
                                 sg_ctx_uri(ctx));
    }
    return sg_source_set_format(ctx, SG_FORMAT_JSONL, logins ? "gen:upi_logins" : "gen:upi");
}

static int txn_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    return src_open(ctx, self, false, restore);
}

static int login_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    return src_open(ctx, self, true, restore);
}

static int src_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, UPI_SNAP_VERSION)) < 0)
        return rc;
    return sg_snap_put_u64(out, ((const upi_source *)self)->next);
}

static int src_poll(sg_ctx *ctx, void *self, size_t budget)
{
    upi_source *s = self;
    for (; budget > 0 && s->next < s->count; s->next++) {
        size_t len = s->logins ? upi_gen_login_line(&s->cfg, s->next, s->line, sizeof(s->line))
                               : upi_gen_txn_line(&s->cfg, s->next, s->line, sizeof(s->line));
        if (len >= sizeof(s->line))
            return sg_ctx_errorf(ctx, SG_EINTERNAL, "generated line %llu is too long",
                                 (unsigned long long)s->next);
        if (len == 0)
            continue; /* payment without a login */
        int rc = sg_source_emit_line(ctx, s->line, len, s->next + 1);
        if (rc < 0)
            return rc;
        budget--;
    }
    return s->next < s->count ? SG_OK : SG_EOF;
}

const sg_source_def upi_txn_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "upi",
    .self_size = sizeof(upi_source),
    .open = txn_open,
    .poll = src_poll,
    .snapshot = src_snapshot,
};

const sg_source_def upi_login_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "upi_logins",
    .self_size = sizeof(upi_source),
    .open = login_open,
    .poll = src_poll,
    .snapshot = src_snapshot,
};
