/* List state (SG_STATE_LIST): one serialized value per (key, namespace), items back to
 * back (state_kinds.h). Appending rewrites the value (O(length)); the cache keeps hot
 * lists in memory, so that cost is memory copies, not RocksDB calls. With a TTL,
 * items expire one by one (Flink's per-element TTL): every add and walk drops the
 * expired ones it meets, and the sweep drops the rest. */
#include <string.h>

#include "engine/state_ctx.h"

int sg_state_list_add(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes item)
{
    const sg__state_meta *m;
    sg_bytes old = {NULL, 0};
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_LIST, &m)) < 0)
        return rc;
    if (item.len > UINT32_MAX)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: a list item of %zu bytes is too large", ctx->name,
                             item.len);
    /* item may be bytes of an earlier state read, which the get below may move. */
    if ((rc = sg__state_own(ctx, &item, 1)) < 0)
        return rc;
    if ((rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, &old)) < 0)
        return sg__state_fail(ctx, rc);
    if (rc == SG_NOTFOUND)
        old.len = 0;
    size_t hdr = sg__item_hdr(SG_STATE_LIST, m->has_ttl);
    unsigned char *buf = sg_scratch_alloc(ctx, old.len + hdr + item.len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    size_t at = old.len;
    sg_time now = SG_TIME_MIN;
    if (m->has_ttl) { /* the old items minus the expired ones */
        size_t dropped;
        now = sg__state_now(ctx, m);
        if (sg__items_prune(m, old, now, SG_TIME_MIN, buf, &at, &dropped) < 0)
            return sg_ctx_errorf(ctx, SG_ESERDE, "%s: a list value is corrupt", ctx->name);
    } else if (at) {
        memcpy(buf, old.data, at);
    }
    at += sg__item_write(buf + at, SG_STATE_LIST, m->has_ttl, (sg_bytes){NULL, 0}, item, now);
    rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, (sg_bytes){buf, at});
    return rc < 0 ? sg__state_fail(ctx, rc) : SG_OK;
}

/* For a TTL list: copy drops the expired items (writing that back, as cleanup on read)
 * and, for SG_TTL_ON_READ_AND_WRITE, restamps the live ones. */
static int read_ttl_list(sg_ctx *ctx, const sg__state_meta *m, sg_state_id id, int64_t ns,
                         sg_bytes v, unsigned char *copy, size_t *len)
{
    sg_time now = sg__state_now(ctx, m);
    bool restamp = m->ttl.update == SG_TTL_ON_READ_AND_WRITE;
    size_t dropped;
    if (sg__items_prune(m, v, now, restamp ? now : SG_TIME_MIN, copy, len, &dropped) < 0)
        return sg_ctx_errorf(ctx, SG_ESERDE, "%s: a list value is corrupt", ctx->name);
    return dropped || restamp ? sg__state_store(ctx, id, ns, copy, *len) : SG_OK;
}

int sg_state_list_each(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_list_item_fn fn, void *ud)
{
    const sg__state_meta *m;
    sg_bytes v;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_LIST, &m)) < 0)
        return rc;
    if ((rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, &v)) < 0)
        return sg__state_fail(ctx, rc);
    if (rc == SG_NOTFOUND || v.len == 0)
        return SG_OK;
    /* A copy, so that fn may call state functions (which may move the value). */
    unsigned char *copy = sg_scratch_alloc(ctx, v.len);
    size_t len = v.len;
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    if (m->has_ttl) {
        if ((rc = read_ttl_list(ctx, m, id, ns, v, copy, &len)) < 0)
            return rc;
    } else {
        memcpy(copy, v.data, v.len);
    }
    sg_bytes all = {copy, len};
    sg__item it;
    size_t at = 0;
    while ((rc = sg__item_next(SG_STATE_LIST, m->has_ttl, all, &at, &it)) == 1)
        if ((rc = fn(ctx, it.val, ud)) != 0)
            return rc;
    return rc < 0 ? sg_ctx_errorf(ctx, SG_ESERDE, "%s: a list value is corrupt", ctx->name) : SG_OK;
}
