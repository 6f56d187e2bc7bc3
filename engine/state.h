/* state.h — the keyed state store ("kv") of one operator subtask.
 *
 * A kv maps (state id, key group, key bytes, namespace) to value bytes. It is a bounded
 * write-back cache (state_cache.c) in front of a backend reached through the
 * sg__state_ops vtable (state_backend.h): RocksDB (state_rocksdb.c) or the heap
 * (state_mem.c). The hot path touches only the cache; the backend sees batched writes
 * on flush and on eviction, and a read only on a cache miss for a state that has ever
 * spilled to it.
 *
 * Layering: callers (the operator context, checkpoints) use this header only; the
 * cache is the only user of the backend vtable. A kv is used from one thread.
 */
#ifndef SG_ENGINE_STATE_H
#define SG_ENGINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

typedef struct sg__kv sg__kv;

typedef enum sg__kv_backend { SG__KV_ROCKSDB, SG__KV_HEAP } sg__kv_backend;

typedef struct sg__kv_config {
    sg__kv_backend backend;
    const char *dir;      /* [borrowed] RocksDB directory, created if missing (its parent
                           * must exist); reopened as is when it holds a database.
                           * Unused for the heap backend. */
    size_t cache_entries; /* write-back cache capacity in entries; 0 = 1<<20 */
} sg__kv_config;

/* Counters since open. cache_hits and cache_misses count the lookups of get and ref;
 * "backend_*" count single operations, including the ones inside write batches;
 * "flushes" counts write batches applied (by sg__kv_flush or by eviction); "evictions"
 * counts entries dropped to make room; "entries" is the number of entries cached now
 * (deletion markers included); "swept" and "sweep_drops" count sg__kv_sweep's visits
 * and removals. */
typedef struct sg__kv_stats {
    uint64_t cache_hits, cache_misses;
    uint64_t backend_gets, backend_puts, backend_deletes;
    uint64_t flushes, evictions, entries;
    uint64_t swept, sweep_drops; /* entries a sweep visited, and removed */
} sg__kv_stats;

/* Rules for every call below:
 *   1. Return SG_OK (0), a positive status (SG_NOTFOUND) or a negative error; after an
 *      error, sg__kv_errmsg says what failed in one line.
 *   2. Bytes handed out (get's *out, ref's *ptr) belong to the kv and stay valid until
 *      the next call on the same kv, so copy them before passing them back in (say, as
 *      the value of a put of another key). Value bytes are 8-byte aligned.
 *   3. Keys and values passed in are [borrowed] for the call only.
 *   4. Keys and values are at most SG__KV_MAX_LEN bytes each.
 *   5. After an error nothing is lost: dirty entries stay cached and dirty. */
#define SG__KV_MAX_LEN ((size_t)1 << 30)

/* Opens a kv. On failure *out is NULL and err (if not NULL) gets one line. */
int sg__kv_open(const sg__kv_config *cfg, sg__kv **out, char *err, size_t errlen);

/* Frees the kv and its backend handle. Does not flush (dirty entries are lost; call
 * sg__kv_flush first to keep them) and never deletes the directory. NULL is a no-op. */
void sg__kv_close(sg__kv *kv);

/* Registers a state by name (a RocksDB column family) and gives its id. Declaring the
 * same name again gives the same id. Ids are small integers from 0, in declaration
 * order. name is [borrowed]. */
int sg__kv_declare(sg__kv *kv, const char *name, uint32_t *id);

/* SG_OK with *out set, or SG_NOTFOUND. */
int sg__kv_get(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, sg_bytes *out);

int sg__kv_put(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, sg_bytes val);

/* A mutable value of exactly 'size' bytes held in the cache, created zero-filled if
 * absent (after consulting the backend when it may hold the entry), and marked dirty.
 * *created tells whether it was absent. *ptr is valid until the next kv call (rule 2).
 * SG_EINVAL if the entry exists with a different size. One hash lookup and no backend
 * call when the entry is cached: this is the hot path of window aggregation. */
int sg__kv_ref(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, size_t size,
               void **ptr, bool *created);

/* Deleting an absent entry is SG_OK. */
int sg__kv_del(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns);

/* Writes every dirty entry (puts and deletes) to the backend in one write batch; the
 * entries stay cached, clean. */
int sg__kv_flush(sg__kv *kv);

/* A hint that (id, kg, key, ns) will be looked up soon: prefetches its cache lines,
 * pipelined over successive calls (state_cache.c). Never fails, never changes state. */
void sg__kv_prefetch(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns);

/* Visits every entry of one state in one key group, in backend key order (key bytes,
 * then namespace numerically; state_backend.h says how keys that prefix one another
 * interleave). Flushes first, so the visit sees every write made so
 * far. fn must not call the kv; its bytes are valid during the call only. A non-zero
 * return from fn stops the visit and is returned. For snapshots, rescaling and tests;
 * not a hot path. */
typedef int (*sg__kv_scan_fn)(void *ud, sg_bytes key, int64_t ns, sg_bytes val);
int sg__kv_scan(sg__kv *kv, uint32_t id, uint16_t kg, sg__kv_scan_fn fn, void *ud);

/* ---- Sweeps (TTL cleanup) -------------------------------------------------------
 * A sweep step visits a bounded part of the store and lets fn decide each entry's
 * fate: what makes expired state go away even when nobody reads it again. Each
 * step continues where the previous one stopped, in two places:
 *   1. the cache: 'budget' entry slots from the sweep hand, for entries of any of
 *      the states ids[0..n_ids);
 *   2. the backend, per state of ids that has ever spilled: up to 'budget' entries
 *      the cache does not hold (the cache is authoritative for those it holds).
 * fn returns SG__SWEEP_KEEP, SG__SWEEP_DROP, or SG__SWEEP_REWRITE with *rewritten
 * set to the value to store instead (bytes the caller owns, valid until the step
 * returns); or a negative code, which stops the step and is returned. fn must not
 * call the kv. Drops and rewrites in the cache are ordinary dirty writes; those of
 * backend entries go to the backend in one batch at the end of the step. */
enum { SG__SWEEP_KEEP = 0, SG__SWEEP_DROP = 1, SG__SWEEP_REWRITE = 2 };
typedef int (*sg__kv_sweep_fn)(void *ud, uint32_t id, sg_bytes val, sg_bytes *rewritten);
int sg__kv_sweep(sg__kv *kv, const uint32_t *ids, size_t n_ids, size_t budget, sg__kv_sweep_fn fn,
                 void *ud);

/* Checkpoints the kv into the new directory dir (must not exist; its parent must):
 * flushes the cache, then has the backend write a consistent copy there (RocksDB: a
 * checkpoint of hard links to its immutable files, so the cost is what changed since
 * the last one). SG_EINVAL when the backend cannot (the heap). Reopening dir as a
 * RocksDB state directory restores exactly what was stored at the call. */
int sg__kv_checkpoint(sg__kv *kv, const char *dir);

/* ---- Cache images (checkpoints of state that never spilled) ---------------------
 * While no state of the kv has spilled (invariant 5 of state_cache.c), the cache holds
 * all of it, and a checkpoint is a copy of the cache's entries: no flush into the
 * backend, no RocksDB checkpoint. The image is self-contained bytes (its layout is in
 * state_cache.c), copied at memcpy speed so the subtask can go on while a helper
 * thread writes it. */

/* True when some state's entries may be in the backend only (it spilled, or was found
 * there at open): then only sg__kv_checkpoint captures everything. */
bool sg__kv_spilled(const sg__kv *kv);

/* A copy of every live entry of every state, with the states' names, into *data
 * (sg_malloc'd, [owned->caller]) of *len bytes. Changes nothing in the kv. SG_EINVAL
 * when the kv has spilled. */
int sg__kv_image(sg__kv *kv, void **data, size_t *len);

/* Loads an image made by sg__kv_image into kv (normally fresh): declares its states by
 * name and puts every entry (dirty, so an eviction writes it to the backend). data is
 * [borrowed]. SG_ESERDE when the image is malformed. */
int sg__kv_load_image(sg__kv *kv, const void *data, size_t len);

/* The states declared so far: ids 0 .. sg__kv_n_states - 1, each with its name
 * (borrowed, valid while the kv is open). For savepoints, which dump every state by
 * name so that a restore can declare them again in any order. */
uint32_t sg__kv_n_states(const sg__kv *kv);
const char *sg__kv_state_name(const sg__kv *kv, uint32_t id);

/* The number of entries of state id stored: flushes, then counts the backend's.
 * For tests and diagnostics; costs a full pass over the state on RocksDB. */
int sg__kv_count(sg__kv *kv, uint32_t id, uint64_t *n);

void sg__kv_get_stats(const sg__kv *kv, sg__kv_stats *out);

/* The last error, one line; "" if none. Valid until the next call on kv. */
const char *sg__kv_errmsg(const sg__kv *kv);

#endif
