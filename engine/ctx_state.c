/* Keyed state calls of sg_ctx: the current key and key group, plus the namespace the
 * operator gives, address the instance's kv (state.h). The kv is opened on the first
 * declaration, so stateless operators never create a RocksDB. */
#include <string.h>

#include "engine/ctx.h"

static int open_kv(sg_ctx *ctx)
{
    char err[512];
    sg__kv_config cfg = {
        .backend = ctx->backend,
        .dir = ctx->state_dir,
        .cache_entries = ctx->cache_entries,
    };
    if (ctx->backend == SG__KV_ROCKSDB && !ctx->state_dir)
        return sg_ctx_errorf(ctx, SG_ESTATE, "%s: no state directory", ctx->name);
    if (sg__kv_open(&cfg, &ctx->kv, err, sizeof(err)) < 0)
        return sg_ctx_errorf(ctx, SG_ESTATE, "%s: cannot open state: %s", ctx->name, err);
    return SG_OK;
}

int sg_state_declare(sg_ctx *ctx, const char *name, sg_state_kind kind, sg_state_id *id)
{
    int rc;
    if (ctx->kind != SG__INST_OP || !ctx->keyed)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: keyed state needs a keyed operator", ctx->name);
    if (kind != SG_STATE_VALUE)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: unknown state kind %d", ctx->name, kind);
    if (!ctx->kv && (rc = open_kv(ctx)) < 0)
        return rc;
    if ((rc = sg__kv_declare(ctx->kv, name, id)) < 0)
        return sg_ctx_errorf(ctx, rc, "%s: state '%s': %s", ctx->name, name,
                             sg__kv_errmsg(ctx->kv));
    return SG_OK;
}

static int state_error(sg_ctx *ctx, int rc)
{
    if (!ctx->kv)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state used before sg_state_declare", ctx->name);
    return sg_ctx_errorf(ctx, rc, "%s: state: %s", ctx->name, sg__kv_errmsg(ctx->kv));
}

int sg_state_get(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes *out)
{
    if (!ctx->kv)
        return state_error(ctx, SG_EINVAL);
    int rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, out);
    return rc < 0 ? state_error(ctx, rc) : rc;
}

int sg_state_put(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes value)
{
    if (!ctx->kv)
        return state_error(ctx, SG_EINVAL);
    int rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, value);
    return rc < 0 ? state_error(ctx, rc) : rc;
}

int sg_state_clear(sg_ctx *ctx, sg_state_id id, int64_t ns)
{
    if (!ctx->kv)
        return state_error(ctx, SG_EINVAL);
    int rc = sg__kv_del(ctx->kv, id, ctx->kg, ctx->key, ns);
    return rc < 0 ? state_error(ctx, rc) : SG_OK;
}

int sg_state_ref(sg_ctx *ctx, sg_state_id id, int64_t ns, size_t size, void **ptr, bool *created)
{
    bool fresh = false;
    if (!ctx->kv)
        return state_error(ctx, SG_EINVAL);
    int rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, size, ptr, &fresh);
    if (created)
        *created = fresh;
    return rc < 0 ? state_error(ctx, rc) : rc;
}

void sg_state_prefetch(sg_ctx *ctx, sg_state_id id, size_t i, int64_t ns)
{
    if (!ctx->kv || !ctx->batch || i >= ctx->batch_n)
        return;
    const sg_record *rec = &ctx->batch[i];
    int32_t kg = ctx->batch_kgs[i];
    sg__kv_prefetch(ctx->kv, id, kg >= 0 ? (uint16_t)kg : sg__key_group(rec->key), rec->key, ns);
}

int sg_state_get_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t *out)
{
    sg_bytes b;
    int rc = sg_state_get(ctx, id, ns, &b);
    if (rc != SG_OK)
        return rc;
    if (b.len != sizeof(*out))
        return sg_ctx_errorf(ctx, SG_ESERDE, "%s: state value is %zu bytes, not a u64", ctx->name,
                             b.len);
    memcpy(out, b.data, sizeof(*out));
    return SG_OK;
}

int sg_state_put_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t v)
{
    sg_bytes b = {&v, sizeof(v)};
    return sg_state_put(ctx, id, ns, b);
}
