/* state_kinds.h — what the keyed state kinds store in the kv, and their TTL stamps.
 *
 * The kv (state.h) stores one value per (state, key group, key, namespace). VALUE
 * and AGGREGATING states store the user's bytes there; LIST and MAP states store a
 * serialized collection (formats below). A state with a TTL adds an 8-byte stamp, the
 * time of its last update, to each value, list item or map entry; a state without
 * TTL stores exactly what it did before TTL existed. The sg_state_* calls
 * (ctx_state.c, state_list.c, state_map.c) and the TTL sweep share these helpers.
 * Layering: byte formats and per-state metadata only; the callers reach the kv.
 */
#ifndef SG_ENGINE_STATE_KINDS_H
#define SG_ENGINE_STATE_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

/* ---- Formats ------------------------------------------------------------------
 *
 * A stamp is an i64, little-endian: the time (ms, in the state's TTL domain) of the
 * last update. Something expires when stamp + ttl_ms <= now (saturating).
 *
 * VALUE / AGGREGATING with TTL: | stamp (8) | value or accumulator |
 *   The stamp comes first so that the user's bytes stay 8-byte aligned.
 *
 * LIST: items back to back, in insertion order; no header (the format predates TTL):
 *   | u32 LE len | stamp (8), TTL states only | len bytes |
 *
 * MAP: a version byte, then entries sorted by key (memcmp; a prefix sorts first):
 *   | 0x01 | entry | entry | ...
 *   entry: | u32 LE klen | u32 LE vlen | stamp (8), TTL states only | key | value |
 *   An empty map is never stored: removing its last entry deletes the value.
 *
 * Why one value per (key, namespace) for maps, not one kv entry per map entry (as
 * Flink's RocksDB backend does): it reuses the cache and both backends unchanged,
 * orders iteration by our own bytes (so both backends agree by construction), and
 * clears in one delete. The cost is O(map size) per put and remove, which is why
 * maps are for bounded, modest sizes (sangam.h says so). */
#define SG__STAMP_LEN 8
#define SG__LIST_HDR 4
#define SG__MAP_VERSION 1
#define SG__MAP_HDR 8

/* What an instance knows of one declared state. */
typedef struct sg__state_meta {
    uint8_t kind; /* sg_state_kind + 1; 0: no state with this id declared here */
    bool special; /* counted in sg_ctx.n_special: plain calls must check this meta */
    bool has_ttl;
    sg_state_ttl ttl;
    sg_state_agg_def agg; /* AGGREGATING only */
    void *agg_udata;
} sg__state_meta;

static inline void sg__stamp_put(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++, u >>= 8)
        p[i] = (unsigned char)u;
}

static inline int64_t sg__stamp_get(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[i];
    return (int64_t)u;
}

static inline void sg__u32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t sg__u32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline bool sg__ttl_expired(const sg__state_meta *m, int64_t stamp, sg_time now)
{
    int64_t end = stamp > INT64_MAX - m->ttl.ttl_ms ? INT64_MAX : stamp + m->ttl.ttl_ms;
    return end <= now;
}

/* ---- Items of lists and maps ------------------------------------------------------
 * One item of a serialized list or map: where it sits in the value and what it holds
 * (key is empty for list items). */
typedef struct sg__item {
    size_t at, len; /* the item's bytes: value[at, at + len) */
    sg_bytes key, val;
    int64_t stamp; /* SG_TIME_MIN without TTL */
} sg__item;

/* Sets *at to where the first item of a LIST or MAP value v starts; SG_ESERDE for a
 * map of an unknown version. */
int sg__items_start(sg_state_kind kind, sg_bytes v, size_t *at);

/* The item of a LIST or MAP value starting at *at (for a map, *at starts at 1, past
 * the version byte); advances *at. 1 with *it, 0 at the end, SG_ESERDE when corrupt.
 * The item's bytes point into v. */
int sg__item_next(sg_state_kind kind, bool ttl, sg_bytes v, size_t *at, sg__item *it);

/* Header bytes of one item (length fields and stamp). */
static inline size_t sg__item_hdr(sg_state_kind kind, bool ttl)
{
    return (kind == SG_STATE_MAP ? SG__MAP_HDR : SG__LIST_HDR) + (ttl ? SG__STAMP_LEN : 0);
}

/* Writes one item at p (sg__item_hdr + key + value bytes); returns the bytes written. */
size_t sg__item_write(unsigned char *p, sg_state_kind kind, bool ttl, sg_bytes key, sg_bytes val,
                      int64_t stamp);

/* Copies the live (unexpired at now) items of a LIST or MAP value v into out (at
 * least v.len bytes), setting their stamps to restamp unless it is SG_TIME_MIN.
 * *out_len gets the new value's length (0 when no item is live: the value should be
 * deleted), *dropped the number of expired items. SG_OK or SG_ESERDE. */
int sg__items_prune(const sg__state_meta *m, sg_bytes v, sg_time now, int64_t restamp,
                    unsigned char *out, size_t *out_len, size_t *dropped);

/* Whether any item of v has expired at now; SG_ESERDE when corrupt, else 0 or 1. */
int sg__items_any_expired(const sg__state_meta *m, sg_bytes v, sg_time now);

#endif
