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
    if (kind != SG_STATE_VALUE && kind != SG_STATE_LIST)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: unknown state kind %d", ctx->name, kind);
    if (!ctx->kv && (rc = open_kv(ctx)) < 0)
        return rc;
    if ((rc = sg__kv_declare(ctx->kv, name, id)) < 0)
        return sg_ctx_errorf(ctx, rc, "%s: state '%s': %s", ctx->name, name,
                             sg__kv_errmsg(ctx->kv));
    if (*id < sizeof(ctx->state_kinds)) {
        uint8_t k = (uint8_t)(kind + 1);
        if (ctx->state_kinds[*id] && ctx->state_kinds[*id] != k)
            return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state '%s' declared with two kinds",
                                 ctx->name, name);
        ctx->state_kinds[*id] = k;
    }
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

/* ---- Lists ---------------------------------------------------------------------------
 * A list is one value: items back to back, each a 4-byte little-endian length and its
 * bytes. Appending rewrites the value (O(length)); the cache keeps hot lists in memory,
 * so that cost is memory copies, not RocksDB calls. */

static int check_list(sg_ctx *ctx, sg_state_id id)
{
    if (!ctx->kv)
        return state_error(ctx, SG_EINVAL);
    if (id < sizeof(ctx->state_kinds) && ctx->state_kinds[id] != SG_STATE_LIST + 1)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state %u is not a list", ctx->name, id);
    return SG_OK;
}

int sg_state_list_add(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes item)
{
    sg_bytes old = {NULL, 0};
    int rc;
    if ((rc = check_list(ctx, id)) < 0)
        return rc;
    if (item.len > UINT32_MAX)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: a list item of %zu bytes is too large", ctx->name,
                             item.len);
    /* item may be bytes of an earlier state read, which the get below may move. */
    if (item.len) {
        void *copy = sg_scratch_alloc(ctx, item.len);
        if (!copy)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        memcpy(copy, item.data, item.len);
        item.data = copy;
    }
    if ((rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, &old)) < 0)
        return state_error(ctx, rc);
    size_t len = (rc == SG_OK ? old.len : 0) + 4 + item.len;
    unsigned char *buf = sg_scratch_alloc(ctx, len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    size_t at = rc == SG_OK ? old.len : 0;
    if (at)
        memcpy(buf, old.data, at);
    uint32_t n = (uint32_t)item.len;
    buf[at] = (unsigned char)n;
    buf[at + 1] = (unsigned char)(n >> 8);
    buf[at + 2] = (unsigned char)(n >> 16);
    buf[at + 3] = (unsigned char)(n >> 24);
    if (item.len)
        memcpy(buf + at + 4, item.data, item.len);
    sg_bytes v = {buf, len};
    rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, v);
    return rc < 0 ? state_error(ctx, rc) : SG_OK;
}

int sg_state_list_each(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_list_item_fn fn, void *ud)
{
    sg_bytes v;
    int rc;
    if ((rc = check_list(ctx, id)) < 0)
        return rc;
    if ((rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, &v)) < 0)
        return state_error(ctx, rc);
    if (rc == SG_NOTFOUND || v.len == 0)
        return SG_OK;
    /* A copy, so that fn may call state functions (which may move the value). */
    unsigned char *copy = sg_scratch_alloc(ctx, v.len);
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(copy, v.data, v.len);
    for (size_t at = 0; at < v.len;) {
        if (v.len - at < 4)
            return sg_ctx_errorf(ctx, SG_ESERDE, "%s: a list value is corrupt", ctx->name);
        uint32_t n = (uint32_t)copy[at] | (uint32_t)copy[at + 1] << 8 |
                     (uint32_t)copy[at + 2] << 16 | (uint32_t)copy[at + 3] << 24;
        if (n > v.len - at - 4)
            return sg_ctx_errorf(ctx, SG_ESERDE, "%s: a list value is corrupt", ctx->name);
        sg_bytes item = {copy + at + 4, n};
        if ((rc = fn(ctx, item, ud)) != 0)
            return rc;
        at += 4 + (size_t)n;
    }
    return SG_OK;
}
