/* Map state (SG_STATE_MAP, Flink's MapState): one serialized value per (key,
 * namespace) holding the entries sorted by map key (state_kinds.h says why one value
 * rather than one kv entry per map entry). Reads scan the value; writes rebuild it in
 * scratch memory and put it back, dropping expired entries on the way when the state
 * has a TTL (per-entry expiry, as in Flink). */
#include <string.h>

#include "engine/state_ctx.h"

/* Map key order: bytewise, a prefix first (RocksDB's and memcmp's order). */
static int key_cmp(sg_bytes a, sg_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.data, b.data, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int corrupt(sg_ctx *ctx, sg_state_id id)
{
    return sg_ctx_errorf(ctx, SG_ESERDE, "%s: map state %u holds a corrupt value", ctx->name,
                         (unsigned)id);
}

/* Reads the map of (id, ns): SG_OK with *v, or SG_NOTFOUND. */
static int read_map(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes *v, size_t *first)
{
    int rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, v);
    if (rc != SG_OK)
        return rc < 0 ? sg__state_fail(ctx, rc) : rc;
    return sg__items_start(SG_STATE_MAP, *v, first) < 0 ? corrupt(ctx, id) : SG_OK;
}

/* Rebuilds the map v into a new value without the entry 'key' (and without expired
 * entries), then with (key, *val) in its place if val is not NULL. Stores the result
 * (deleting an empty map) and sets *found to whether a live entry 'key' was there. */
static int rebuild(sg_ctx *ctx, const sg__state_meta *m, sg_state_id id, int64_t ns, sg_bytes v,
                   size_t first, sg_bytes key, const sg_bytes *val, bool *found)
{
    bool ttl = m->has_ttl;
    size_t add = val ? sg__item_hdr(SG_STATE_MAP, ttl) + key.len + val->len : 0;
    unsigned char *buf = sg_scratch_alloc(ctx, 1 + v.len + add);
    sg_time now = ttl ? sg__state_now(ctx, m) : SG_TIME_MIN;
    size_t at = first, len = 1, dropped = 0;
    bool placed = !val;
    sg__item it;
    int rc;
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory", ctx->name);
    buf[0] = SG__MAP_VERSION;
    *found = false;
    while ((rc = sg__item_next(SG_STATE_MAP, ttl, v, &at, &it)) == 1) {
        if (ttl && sg__ttl_expired(m, it.stamp, now)) {
            dropped++;
            continue;
        }
        int c = key_cmp(it.key, key);
        if (!placed && c >= 0) {
            len += sg__item_write(buf + len, SG_STATE_MAP, ttl, key, *val, now);
            placed = true;
        }
        if (c == 0) {
            *found = true;
            continue;
        }
        memcpy(buf + len, (const unsigned char *)v.data + it.at, it.len);
        len += it.len;
    }
    if (rc < 0)
        return corrupt(ctx, id);
    if (!placed)
        len += sg__item_write(buf + len, SG_STATE_MAP, ttl, key, *val, now);
    if (!val && !*found && !dropped)
        return SG_OK; /* nothing changed: no write */
    return sg__state_store(ctx, id, ns, buf, len > 1 ? len : 0);
}

int sg_state_map_put(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key, sg_bytes value)
{
    const sg__state_meta *m;
    sg_bytes in[2] = {key, value}, v = {NULL, 0};
    size_t first = 1;
    bool found;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_MAP, &m)) < 0)
        return rc;
    if (key.len > UINT32_MAX || value.len > UINT32_MAX)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: a map entry of %zu + %zu bytes is too large",
                             ctx->name, key.len, value.len);
    if ((rc = sg__state_own(ctx, in, 2)) < 0 || (rc = read_map(ctx, id, ns, &v, &first)) < 0)
        return rc;
    if (rc == SG_NOTFOUND) { /* a new map */
        v.len = 0;
        first = 0;
    }
    return rebuild(ctx, m, id, ns, v, first, in[0], &in[1], &found);
}

int sg_state_map_remove(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key)
{
    const sg__state_meta *m;
    sg_bytes v;
    size_t first;
    bool found;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_MAP, &m)) < 0 ||
        (rc = sg__state_own(ctx, &key, 1)) < 0 || (rc = read_map(ctx, id, ns, &v, &first)) != 0)
        return rc;
    if ((rc = rebuild(ctx, m, id, ns, v, first, key, NULL, &found)) < 0)
        return rc;
    return found ? SG_OK : SG_NOTFOUND;
}

int sg_state_map_get(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key, sg_bytes *out)
{
    const sg__state_meta *m;
    sg_bytes v;
    size_t at;
    sg__item it;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_MAP, &m)) < 0 ||
        (rc = sg__state_own(ctx, &key, 1)) < 0 || (rc = read_map(ctx, id, ns, &v, &at)) != 0)
        return rc;
    int c = 1;
    while ((rc = sg__item_next(SG_STATE_MAP, m->has_ttl, v, &at, &it)) == 1 &&
           (c = key_cmp(it.key, key)) < 0)
        ;
    if (rc < 0)
        return corrupt(ctx, id);
    if (rc == 0 || c != 0)
        return SG_NOTFOUND;
    if (m->has_ttl) {
        sg_time now = sg__state_now(ctx, m);
        bool found;
        if (sg__ttl_expired(m, it.stamp, now)) /* cleanup on read, then absent */
            return (rc = rebuild(ctx, m, id, ns, v, 1, key, NULL, &found)) < 0 ? rc : SG_NOTFOUND;
        if (m->ttl.update == SG_TTL_ON_READ_AND_WRITE) {
            /* Restamp in place: the map is cached (just read), so one more lookup. */
            void *p;
            if ((rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, v.len, &p, &found)) < 0)
                return sg__state_fail(ctx, rc);
            unsigned char *entry = (unsigned char *)p + it.at;
            sg__stamp_put(entry + sg__item_hdr(SG_STATE_MAP, true) - SG__STAMP_LEN, now);
            it.val.data = (unsigned char *)p +
                          ((const unsigned char *)it.val.data - (const unsigned char *)v.data);
        }
    }
    if (out)
        *out = it.val;
    return SG_OK;
}

int sg_state_map_each(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_map_entry_fn fn, void *ud)
{
    const sg__state_meta *m;
    sg_bytes v;
    size_t at;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_MAP, &m)) < 0 ||
        (rc = read_map(ctx, id, ns, &v, &at)) != 0)
        return rc == SG_NOTFOUND ? SG_OK : rc;
    /* A copy, so that fn may call state functions (which may move the value). */
    unsigned char *copy = sg_scratch_alloc(ctx, v.len);
    size_t len = v.len;
    if (!copy)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory", ctx->name);
    if (m->has_ttl) {
        sg_time now = sg__state_now(ctx, m);
        bool restamp = m->ttl.update == SG_TTL_ON_READ_AND_WRITE;
        size_t dropped;
        if (sg__items_prune(m, v, now, restamp ? now : SG_TIME_MIN, copy, &len, &dropped) < 0)
            return corrupt(ctx, id);
        if ((dropped || restamp) && (rc = sg__state_store(ctx, id, ns, copy, len)) < 0)
            return rc;
        if (!len) /* every entry had expired */
            return SG_OK;
    } else {
        memcpy(copy, v.data, v.len);
    }
    sg_bytes all = {copy, len};
    sg__item it;
    while ((rc = sg__item_next(SG_STATE_MAP, m->has_ttl, all, &at, &it)) == 1)
        if ((rc = fn(ctx, it.key, it.val, ud)) != 0)
            return rc;
    return rc < 0 ? corrupt(ctx, id) : SG_OK;
}
