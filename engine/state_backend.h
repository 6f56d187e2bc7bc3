/* state_backend.h — the state backend vtable and the key layout every backend stores.
 *
 * A backend is a store of column families (one per declared state) mapping encoded keys
 * to value bytes. The write-back cache (state_cache.c) is its only caller. Two
 * implementations: state_rocksdb.c (the default, on disk) and state_mem.c (the heap).
 * Backends know nothing of the cache; they may call only the allocator and their store.
 */
#ifndef SG_ENGINE_STATE_BACKEND_H
#define SG_ENGINE_STATE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sangam/sangam.h>

#include "engine/state.h"

/* ---- Key layout -------------------------------------------------------------
 *
 * Every entry's key, as stored in its state's column family:
 *
 *    0         2                    2+n                    2+n+8
 *    +---------+--------------------+----------------------+
 *    | kg      | key bytes          | namespace            |
 *    | u16, BE | n bytes, as given  | i64 as u64, BE, with |
 *    |         |                    | the sign bit flipped |
 *    +---------+--------------------+----------------------+
 *
 * - The key group comes first so that one key group is one contiguous range: snapshots
 *   and rescaling read key groups with a prefix scan.
 * - The namespace (a window end, usually) is last and fixed-size, so decoding needs no
 *   length field. Flipping the sign bit makes the big-endian bytes sort numerically,
 *   negative namespaces first.
 * - Known limit: keys are not length-prefixed, so when one key is a prefix of another
 *   their entries interleave in key order. Nothing scans per key today; a per-key scan
 *   would need a length prefix (a new layout version).
 * - There is no per-key version byte (it would cost a byte per entry and break the key
 *   group prefix); SG__STATE_KEY_LAYOUT is recorded by whoever persists the store (the
 *   checkpoint metadata) instead.
 * Values are stored exactly as the caller gave them. */
#define SG__STATE_KEY_LAYOUT 1
#define SG__STATE_KEY_EXTRA 10 /* kg + namespace */

static inline size_t sg__state_key_len(size_t klen)
{
    return klen + SG__STATE_KEY_EXTRA;
}

static inline void sg__state_key_encode(unsigned char *dst, uint16_t kg, sg_bytes key, int64_t ns)
{
    uint64_t u = (uint64_t)ns ^ ((uint64_t)1 << 63);
    dst[0] = (unsigned char)(kg >> 8);
    dst[1] = (unsigned char)kg;
    if (key.len)
        memcpy(dst + 2, key.data, key.len);
    dst += 2 + key.len;
    for (int i = 7; i >= 0; i--, u >>= 8)
        dst[i] = (unsigned char)u;
}

/* SG_ESTATE when enc is too short to be a key of this layout. */
static inline int sg__state_key_decode(sg_bytes enc, uint16_t *kg, sg_bytes *key, int64_t *ns)
{
    const unsigned char *p = enc.data;
    uint64_t u = 0;
    if (enc.len < SG__STATE_KEY_EXTRA)
        return SG_ESTATE;
    *kg = (uint16_t)(p[0] << 8 | p[1]);
    key->data = p + 2;
    key->len = enc.len - SG__STATE_KEY_EXTRA;
    p += 2 + key->len;
    for (int i = 0; i < 8; i++)
        u = u << 8 | p[i];
    *ns = (int64_t)(u ^ ((uint64_t)1 << 63));
    return SG_OK;
}

/* ---- The vtable -------------------------------------------------------------- */

typedef struct sg__state_backend sg__state_backend; /* each implementation's own struct */

/* One operation of a write batch. key is encoded as above; both are [borrowed]. */
typedef struct sg__state_write {
    uint32_t cf;
    bool del; /* a delete; val is ignored */
    sg_bytes key;
    sg_bytes val;
} sg__state_write;

/* Called once per entry by iter_kg, in key order; bytes valid during the call only.
 * Must not call the backend. A non-zero return stops the iteration and is returned. */
typedef int (*sg__state_iter_fn)(void *ud, sg_bytes key, sg_bytes val);

#define SG__STATE_OPS_V1 1
#define SG__STATE_OPS_V2 2 /* adds sweep and count */
#define SG__STATE_OPS_V3 3 /* adds checkpoint */

/* Every function but open and close returns SG_OK, SG_NOTFOUND (get only) or a
 * negative code with errmsg() saying what failed. Fields are only ever appended;
 * callers read a field only if version says it exists. */
typedef struct sg__state_ops {
    uint32_t version; /* SG__STATE_OPS_V2 */
    const char *name; /* for messages: "rocksdb", "heap" */
    /* A new backend for cfg; err gets one line on failure. */
    int (*open)(const sg__kv_config *cfg, sg__state_backend **out, char *err, size_t errlen);
    /* Finds or creates the column family 'name' ([borrowed]). *has_data is false only
     * when the family is known to be empty (it did not exist before, or holds nothing). */
    int (*declare)(sg__state_backend *b, const char *name, uint32_t *cf, bool *has_data);
    /* *out is owned by the backend, valid until its next call. */
    int (*get)(sg__state_backend *b, uint32_t cf, sg_bytes key, sg_bytes *out);
    int (*put)(sg__state_backend *b, uint32_t cf, sg_bytes key, sg_bytes val);
    int (*del)(sg__state_backend *b, uint32_t cf, sg_bytes key);
    /* Applies n operations in order as one batch: all or nothing on RocksDB; the heap may
     * stop half-way on SG_ENOMEM, which is harmless because every operation is idempotent
     * and the cache keeps the batch's entries dirty for a retry. */
    int (*apply)(sg__state_backend *b, const sg__state_write *w, size_t n);
    /* Visits the entries of cf whose key starts with key group kg, in key order. */
    int (*iter_kg)(sg__state_backend *b, uint32_t cf, uint16_t kg, sg__state_iter_fn fn, void *ud);
    const char *(*errmsg)(const sg__state_backend *b);
    void (*close)(sg__state_backend *b); /* NULL is a no-op */
    /* V2. Visits up to max entries of cf, resuming where the previous sweep of cf
     * stopped (the backend keeps one position per family), in an order of its
     * choosing; every entry present throughout a full round is visited in it. Sets
     * *wrapped when the round ended (the next sweep starts a new one). fn as for
     * iter_kg; this is how TTL cleanup reaches entries the cache no longer holds. */
    int (*sweep)(sg__state_backend *b, uint32_t cf, size_t max, sg__state_iter_fn fn, void *ud,
                 bool *wrapped);
    /* V2. The number of entries cf holds now. Not a hot path (tests, stats). */
    int (*count)(sg__state_backend *b, uint32_t cf, uint64_t *n);
    /* V3, optional (NULL: the backend cannot checkpoint). Writes a consistent copy of
     * everything stored into the new directory dir (which must not exist), cheaply:
     * RocksDB flushes its memtables and hard-links the immutable files. */
    int (*checkpoint)(sg__state_backend *b, const char *dir);
} sg__state_ops;

extern const sg__state_ops sg__state_rocksdb_ops;
extern const sg__state_ops sg__state_mem_ops;

#endif
