/* state_kinds.c — walking and pruning the serialized lists and maps of
 * state_kinds.h. Pure byte work: no kv, no context, so the TTL sweep can run it on
 * any stored value. */
#include <string.h>

#include "engine/state_kinds.h"

int sg__item_next(sg_state_kind kind, bool ttl, sg_bytes v, size_t *at, sg__item *it)
{
    const unsigned char *p = v.data;
    size_t hdr = sg__item_hdr(kind, ttl);
    if (*at == v.len)
        return 0;
    if (*at > v.len || v.len - *at < hdr)
        return SG_ESERDE;
    const unsigned char *h = p + *at;
    size_t klen = 0, vlen;
    if (kind == SG_STATE_MAP) {
        klen = sg__u32_get(h);
        vlen = sg__u32_get(h + 4);
    } else {
        vlen = sg__u32_get(h);
    }
    if (klen > v.len - *at - hdr || vlen > v.len - *at - hdr - klen)
        return SG_ESERDE;
    it->at = *at;
    it->len = hdr + klen + vlen;
    it->stamp = ttl ? sg__stamp_get(h + hdr - SG__STAMP_LEN) : SG_TIME_MIN;
    it->key = (sg_bytes){h + hdr, klen};
    it->val = (sg_bytes){h + hdr + klen, vlen};
    *at += it->len;
    return 1;
}

size_t sg__item_write(unsigned char *p, sg_state_kind kind, bool ttl, sg_bytes key, sg_bytes val,
                      int64_t stamp)
{
    size_t hdr = sg__item_hdr(kind, ttl);
    if (kind == SG_STATE_MAP) {
        sg__u32_put(p, (uint32_t)key.len);
        sg__u32_put(p + 4, (uint32_t)val.len);
        if (key.len)
            memcpy(p + hdr, key.data, key.len);
    } else {
        sg__u32_put(p, (uint32_t)val.len);
        key.len = 0;
    }
    if (ttl)
        sg__stamp_put(p + hdr - SG__STAMP_LEN, stamp);
    if (val.len)
        memcpy(p + hdr + key.len, val.data, val.len);
    return hdr + key.len + val.len;
}

int sg__items_start(sg_state_kind kind, sg_bytes v, size_t *at)
{
    *at = 0;
    if (kind != SG_STATE_MAP || v.len == 0)
        return SG_OK;
    if (*(const unsigned char *)v.data != SG__MAP_VERSION)
        return SG_ESERDE;
    *at = 1;
    return SG_OK;
}

int sg__items_prune(const sg__state_meta *m, sg_bytes v, sg_time now, int64_t restamp,
                    unsigned char *out, size_t *out_len, size_t *dropped)
{
    sg_state_kind kind = (sg_state_kind)(m->kind - 1);
    size_t at, len, live = 0;
    sg__item it;
    int rc = sg__items_start(kind, v, &at);
    *dropped = 0;
    *out_len = 0;
    if (rc < 0)
        return rc;
    len = at;
    if (kind == SG_STATE_MAP && v.len)
        out[0] = SG__MAP_VERSION;
    while ((rc = sg__item_next(kind, m->has_ttl, v, &at, &it)) == 1) {
        if (m->has_ttl && sg__ttl_expired(m, it.stamp, now)) {
            (*dropped)++;
            continue;
        }
        memcpy(out + len, (const unsigned char *)v.data + it.at, it.len);
        if (m->has_ttl && restamp != SG_TIME_MIN)
            sg__stamp_put(out + len + sg__item_hdr(kind, true) - SG__STAMP_LEN, restamp);
        len += it.len;
        live++;
    }
    *out_len = live ? len : 0;
    return rc < 0 ? rc : SG_OK;
}

int sg__items_any_expired(const sg__state_meta *m, sg_bytes v, sg_time now)
{
    sg_state_kind kind = (sg_state_kind)(m->kind - 1);
    size_t at;
    sg__item it;
    int rc = sg__items_start(kind, v, &at);
    if (rc < 0 || !m->has_ttl)
        return rc;
    while ((rc = sg__item_next(kind, true, v, &at, &it)) == 1)
        if (sg__ttl_expired(m, it.stamp, now))
            return 1;
    return rc;
}
