/* state_cache.c — the kv of state.h: a bounded write-back cache in front of a state
 * backend (state_backend.h).
 *
 * Entries live in one array and are found through an open-addressing table of
 * (hash tag, entry index) slots; the hash is XXH3 of the key seeded by (state, key
 * group, namespace). Small keys and values are stored inside the entry, larger ones in
 * blocks from size-class free lists, so a cached get or ref never allocates and a new
 * entry rarely does. Writes stay in the cache (dirty) until sg__kv_flush or eviction
 * writes them in one batch; a full cache evicts an eighth of its entries at a time,
 * chosen by CLOCK (second chance).
 *
 * Invariants:
 *   1. An entry is USED or on the free list; a USED entry is in exactly one slot.
 *   2. TOMB: the entry is known absent (deleted, or a miss the backend confirmed).
 *   3. DIRTY: the backend is behind the entry (a put, or a delete if TOMB).
 *   4. IN_BACKEND: the backend may hold a value for the entry. Without it a delete needs
 *      no backend write. Setting it too eagerly is always safe.
 *   5. A state's 'spilled' is false only while everything the backend holds of the
 *      state is also in the cache (a flush for a checkpoint writes copies and keeps the
 *      entries; only eviction, or state found at open, loses that); then a cache miss is
 *      an absent entry, with no backend read. This is what makes window state that fits
 *      in the cache cost no RocksDB read at all, checkpoints or not.
 *   6. QUEUED: the entry's index is in the dirty list. The flag survives the entry
 *      being freed and reused, so an index is listed at most once and the list never
 *      outgrows the entry array; flush walks only the list, not the whole cache.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/state.h"
#include "engine/state_backend.h"

#define DEFAULT_ENTRIES ((size_t)1 << 20)
#define MAX_ENTRIES ((size_t)1 << 31)
#define FIRST_ENTRIES 1024u /* the entry array grows by doubling up to the capacity */
#define ENTRY_ALIGN 64
#define EVICT_DIVISOR 8 /* a full cache evicts capacity / 8 entries in one go */

#define PREFETCH_LAG 4  /* prefetch calls between a slot's prefetch and its entry's */
#define INLINE_BYTES 32 /* key and value bytes kept inside the entry */
#define POOL_CLASSES 7  /* out-of-line blocks of 64, 128, ..., 4096 bytes */
#define POOL_MIN_SHIFT 6
#define POOL_CHUNK (64 * 1024)
#define POOL_CHUNK_HDR 16 /* the chunk list link, padded to keep blocks 16-aligned */
#define BUF_INLINE 0      /* entry.buf: 0 inline, 1..POOL_CLASSES pool class, or heap */
#define BUF_HEAP 255

enum {
    E_USED = 1 << 0,
    E_DIRTY = 1 << 1,
    E_TOMB = 1 << 2,
    E_IN_BACKEND = 1 << 3,
    E_REF = 1 << 4, /* CLOCK's second-chance bit, set on every access */
    E_QUEUED = 1 << 5,
    E_VICTIM = 1 << 6, /* chosen by the running eviction: the hand may pass it twice */
};

/* One cache line. The buffer holds the key, then the value at the next multiple of 8
 * so that callers of ref may keep aligned structs in it. */
typedef struct entry {
    uint64_t hash;
    int64_t ns;
    uint32_t state; /* while on the free list: the next free index + 1 */
    uint32_t klen;
    uint32_t vlen;
    uint16_t kg;
    uint8_t flags;
    uint8_t buf; /* where the bytes are: BUF_INLINE, a pool class, or BUF_HEAP */
    union {
        unsigned char inl[INLINE_BYTES];
        unsigned char *ptr;
    } u;
} entry;

_Static_assert(sizeof(entry) == 64, "an entry should fill one cache line");

typedef struct slot {
    uint32_t tag; /* the hash's high half: most mismatches never touch the entry */
    uint32_t idx; /* entry index + 1; 0 = empty */
} slot;

typedef struct pool {
    void *free[POOL_CLASSES]; /* free blocks, linked through their first bytes */
    void *chunks;             /* every chunk, linked through its header */
    unsigned char *cur;       /* the uncarved rest of the newest chunk */
    size_t left;
} pool;

typedef struct kv_state {
    char *name;
    uint32_t cf;
    bool spilled; /* invariant 5 */
} kv_state;

struct sg__kv {
    const sg__state_ops *ops;
    sg__state_backend *be;
    kv_state *states;
    uint32_t n_states, cap_states;

    entry *entries; /* ENTRY_ALIGN-aligned, inside entries_raw */
    void *entries_raw;
    uint32_t n_entries;   /* indices handed out so far; all below are used or free */
    uint32_t cap_entries; /* allocated */
    uint32_t max_entries; /* the configured bound */
    uint32_t n_live;
    uint32_t free_head;  /* index + 1 of the first free entry; 0 = none */
    uint32_t hand;       /* CLOCK */
    uint32_t sweep_hand; /* the next entry sg__kv_sweep visits */
    slot *slots;
    size_t mask; /* slot count - 1 */
    uint32_t *dirty, n_dirty;
    uint32_t *victims, max_victims;
    pool pool;

    sg__state_write *writes; /* batch scratch */
    size_t cap_writes;
    unsigned char *keybuf; /* encoded keys of one batch or one get */
    size_t cap_keybuf;
    unsigned char *sweepbuf; /* a sweep step's backend writes, packed (sweep_note) */
    size_t len_sweepbuf, cap_sweepbuf;

    sg__kv_stats stats;
    char err[256];

    /* sg__kv_prefetch's pipeline: hashes whose slot was prefetched, oldest first. */
    uint64_t pf_hash[PREFETCH_LAG];
    unsigned pf_pos;
};

/* ==== Errors ==================================================================== */

static int kv_fail(sg__kv *kv, int rc, const char *fmt, ...) SG_PRINTF(3, 4);

static int kv_fail(sg__kv *kv, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kv->err, sizeof(kv->err), fmt, ap);
    va_end(ap);
    return rc;
}

static int backend_fail(sg__kv *kv, int rc)
{
    return kv_fail(kv, rc, "%s state: %s", kv->ops->name, kv->ops->errmsg(kv->be));
}

static int check_args(sg__kv *kv, uint32_t id, sg_bytes key)
{
    if (SG_UNLIKELY(id >= kv->n_states))
        return kv_fail(kv, SG_EINVAL, "state id %u was never declared", (unsigned)id);
    if (SG_UNLIKELY(key.len > SG__KV_MAX_LEN || (key.len && !key.data)))
        return kv_fail(kv, SG_EINVAL, "bad state key (%zu bytes)", key.len);
    return SG_OK;
}

/* ==== Byte storage ============================================================== */

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static void *pool_alloc(pool *p, unsigned cls)
{
    size_t size = (size_t)1 << (POOL_MIN_SHIFT + cls - 1);
    void *b = p->free[cls - 1];
    if (b) {
        memcpy(&p->free[cls - 1], b, sizeof(void *));
        return b;
    }
    if (p->left < size) { /* the old chunk's tail is wasted: at most 1/16 of it */
        unsigned char *chunk = sg_malloc(POOL_CHUNK);
        if (!chunk)
            return NULL;
        /* The chunk's first bytes hold the link to the previous chunk. */
        // cppcheck-suppress pointerSize
        memcpy(chunk, &p->chunks, sizeof(void *));
        p->chunks = chunk;
        p->cur = chunk + POOL_CHUNK_HDR;
        p->left = POOL_CHUNK - POOL_CHUNK_HDR;
    }
    b = p->cur;
    p->cur += size;
    p->left -= size;
    return b;
}

static void pool_free(pool *p, unsigned cls, void *b)
{
    memcpy(b, &p->free[cls - 1], sizeof(void *));
    p->free[cls - 1] = b;
}

static void pool_destroy(pool *p)
{
    while (p->chunks) {
        void *next;
        memcpy(&next, p->chunks, sizeof(void *));
        sg_free(p->chunks);
        p->chunks = next;
    }
}

static unsigned char *entry_buf(entry *e)
{
    return e->buf == BUF_INLINE ? e->u.inl : e->u.ptr;
}

static unsigned char *entry_val(entry *e)
{
    return entry_buf(e) + round8(e->klen);
}

/* Bytes usable in e's buffer. A heap buffer is allocated at exactly the size computed
 * here from its key and value, so this is a lower bound even after the value shrank. */
static size_t buf_cap(const entry *e)
{
    if (e->buf == BUF_INLINE)
        return INLINE_BYTES;
    if (e->buf == BUF_HEAP)
        return round8(e->klen) + round8(e->vlen);
    return (size_t)1 << (POOL_MIN_SHIFT + e->buf - 1);
}

static void free_buf(sg__kv *kv, entry *e)
{
    if (e->buf == BUF_HEAP)
        sg_free(e->u.ptr);
    else if (e->buf != BUF_INLINE)
        pool_free(&kv->pool, e->buf, e->u.ptr);
    e->buf = BUF_INLINE;
}

/* Gives e a buffer for klen key bytes and vlen value bytes, keeping the key. The value
 * bytes are not kept: every caller writes a new value. On failure e is unchanged. */
static int set_vlen(sg__kv *kv, entry *e, size_t vlen)
{
    size_t need = round8(e->klen) + vlen;
    if (need <= buf_cap(e)) {
        e->vlen = (uint32_t)vlen;
        return SG_OK;
    }
    unsigned cls = 1;
    unsigned char *nb;
    while (cls <= POOL_CLASSES && ((size_t)1 << (POOL_MIN_SHIFT + cls - 1)) < need)
        cls++;
    if (need <= INLINE_BYTES) {
        cls = BUF_INLINE;
        nb = NULL;
    } else if (cls <= POOL_CLASSES) {
        nb = pool_alloc(&kv->pool, cls);
    } else {
        cls = BUF_HEAP;
        nb = sg_malloc(round8(e->klen) + round8(vlen));
    }
    if (cls != BUF_INLINE && !nb)
        return kv_fail(kv, SG_ENOMEM, "out of memory caching a %zu-byte state value", vlen);
    if (cls == BUF_INLINE) { /* only from a heap buffer whose value shrank to nothing */
        unsigned char tmp[INLINE_BYTES];
        memcpy(tmp, entry_buf(e), e->klen);
        free_buf(kv, e);
        memcpy(e->u.inl, tmp, e->klen);
    } else {
        memcpy(nb, entry_buf(e), e->klen);
        free_buf(kv, e);
        e->u.ptr = nb;
    }
    e->buf = (uint8_t)cls;
    e->vlen = (uint32_t)vlen;
    return SG_OK;
}

/* ==== The hash table ============================================================ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t entry_hash(uint32_t id, uint16_t kg, sg_bytes key, int64_t ns)
{
    uint64_t seed = mix64((uint64_t)ns ^ ((uint64_t)id << 16 | kg) * 0x9e3779b97f4a7c15ULL);
    return XXH3_64bits_withSeed(key.data, key.len, seed);
}

/* memcmp for the short keys of the hot path without a library call: two overlapping
 * loads cover any length from 4 to 16 (keys are usually 8-byte ids). */
static bool key_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
    if (len >= 8 && len <= 16) {
        uint64_t a0, b0, a1, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + len - 8, 8);
        memcpy(&b1, b + len - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t a0, b0, a1, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + len - 4, 4);
        memcpy(&b1, b + len - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return len == 0 || memcmp(a, b, len) == 0;
}

/* The index of the entry for (id, kg, key, ns), or UINT32_MAX. */
static uint32_t lookup(const sg__kv *kv, uint64_t h, uint32_t id, uint16_t kg, sg_bytes key,
                       int64_t ns)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & kv->mask;; i = (i + 1) & kv->mask) {
        slot s = kv->slots[i];
        if (!s.idx)
            return UINT32_MAX;
        if (s.tag != tag)
            continue;
        const entry *e = &kv->entries[s.idx - 1];
        if (e->hash == h && e->ns == ns && e->state == id && e->kg == kg && e->klen == key.len &&
            key_equal(e->buf == BUF_INLINE ? e->u.inl : e->u.ptr, key.data, key.len))
            return s.idx - 1;
    }
}

static void link_slot(sg__kv *kv, uint32_t idx)
{
    uint64_t h = kv->entries[idx].hash;
    size_t i = h & kv->mask;
    while (kv->slots[i].idx)
        i = (i + 1) & kv->mask;
    kv->slots[i] = (slot){(uint32_t)(h >> 32), idx + 1};
}

static void unlink_slot(sg__kv *kv, uint32_t idx)
{
    size_t i = kv->entries[idx].hash & kv->mask;
    while (kv->slots[i].idx != idx + 1)
        i = (i + 1) & kv->mask;
    kv->slots[i].idx = 0;
    /* Backward shift (as in state_mem.c): no deletion markers, so probes stay short
     * however many entries eviction removes. */
    for (size_t j = (i + 1) & kv->mask; kv->slots[j].idx; j = (j + 1) & kv->mask) {
        size_t home = kv->entries[kv->slots[j].idx - 1].hash & kv->mask;
        if (((j - home) & kv->mask) >= ((j - i) & kv->mask)) {
            kv->slots[i] = kv->slots[j];
            kv->slots[j].idx = 0;
            i = j;
        }
    }
}

/* Sizes the slot array for cap entries at load <= 1/2 and relinks every entry. */
static int resize_slots(sg__kv *kv, size_t cap)
{
    size_t n = 16;
    while (n < 2 * cap)
        n *= 2;
    if (kv->slots && n == kv->mask + 1)
        return SG_OK;
    slot *slots = sg_calloc(n, sizeof(*slots));
    if (!slots)
        return SG_ENOMEM;
    sg_free(kv->slots);
    kv->slots = slots;
    kv->mask = n - 1;
    for (uint32_t i = 0; i < kv->n_entries; i++)
        if (kv->entries[i].flags & E_USED)
            link_slot(kv, i);
    return SG_OK;
}

/* Grows the entry array (and what is sized by it) towards max_entries. */
static int grow_entries(sg__kv *kv)
{
    uint32_t cap = kv->cap_entries ? kv->cap_entries * 2 : FIRST_ENTRIES;
    cap = (uint32_t)SG_MIN(cap, kv->max_entries);
    /* Not sg_realloc: the allocator promises 16-byte alignment, and an entry that
     * straddles two cache lines costs two misses instead of one. Growth is rare. */
    void *raw = sg_malloc(cap * sizeof(entry) + ENTRY_ALIGN - 1);
    if (!raw)
        return kv_fail(kv, SG_ENOMEM, "out of memory growing the state cache");
    entry *entries = (entry *)(((uintptr_t)raw + ENTRY_ALIGN - 1) & ~(uintptr_t)(ENTRY_ALIGN - 1));
    if (kv->n_entries)
        memcpy(entries, kv->entries, kv->n_entries * sizeof(entry));
    sg_free(kv->entries_raw);
    kv->entries_raw = raw;
    kv->entries = entries;
    uint32_t *dirty = sg_realloc(kv->dirty, cap * sizeof(*dirty));
    if (!dirty)
        return kv_fail(kv, SG_ENOMEM, "out of memory growing the state cache");
    kv->dirty = dirty;
    if (resize_slots(kv, cap) < 0)
        return kv_fail(kv, SG_ENOMEM, "out of memory growing the state cache");
    kv->cap_entries = cap;
    return SG_OK;
}

/* ==== Entries =================================================================== */

static void release_index(sg__kv *kv, uint32_t idx)
{
    entry *e = &kv->entries[idx];
    e->flags &= E_QUEUED; /* invariant 6 */
    e->state = kv->free_head;
    kv->free_head = idx + 1;
}

static void drop_entry(sg__kv *kv, uint32_t idx)
{
    unlink_slot(kv, idx);
    free_buf(kv, &kv->entries[idx]);
    release_index(kv, idx);
    kv->n_live--;
}

static void mark_dirty(sg__kv *kv, uint32_t idx)
{
    entry *e = &kv->entries[idx];
    e->flags |= E_DIRTY;
    if (!(e->flags & E_QUEUED)) {
        e->flags |= E_QUEUED;
        kv->dirty[kv->n_dirty++] = idx;
    }
}

static int ensure_scratch(sg__kv *kv, size_t n_writes, size_t key_bytes)
{
    if (n_writes > kv->cap_writes) {
        size_t cap = SG_MAX(n_writes, 2 * kv->cap_writes);
        sg__state_write *w = sg_realloc(kv->writes, cap * sizeof(*w));
        if (!w)
            return kv_fail(kv, SG_ENOMEM, "out of memory writing state");
        kv->writes = w;
        kv->cap_writes = cap;
    }
    if (key_bytes > kv->cap_keybuf) {
        size_t cap = SG_MAX(key_bytes, 2 * kv->cap_keybuf);
        unsigned char *k = sg_realloc(kv->keybuf, cap);
        if (!k)
            return kv_fail(kv, SG_ENOMEM, "out of memory writing state");
        kv->keybuf = k;
        kv->cap_keybuf = cap;
    }
    return SG_OK;
}

/* Writes the dirty entries among idx[0..n) to the backend in one batch; on success they
 * are clean. Entries that are free or clean are skipped. */
static int write_dirty(sg__kv *kv, const uint32_t *idx, size_t n)
{
    size_t nw = 0, key_bytes = 0, puts = 0;
    for (size_t i = 0; i < n; i++) {
        const entry *e = &kv->entries[idx[i]];
        if ((e->flags & (E_USED | E_DIRTY)) == (E_USED | E_DIRTY)) {
            nw++;
            key_bytes += sg__state_key_len(e->klen);
        }
    }
    if (nw == 0)
        return SG_OK;
    int rc = ensure_scratch(kv, nw, key_bytes);
    if (rc < 0)
        return rc;
    unsigned char *k = kv->keybuf;
    sg__state_write *w = kv->writes;
    for (size_t i = 0; i < n; i++) {
        entry *e = &kv->entries[idx[i]];
        if ((e->flags & (E_USED | E_DIRTY)) != (E_USED | E_DIRTY))
            continue;
        sg_bytes key = {entry_buf(e), e->klen};
        size_t klen = sg__state_key_len(e->klen);
        sg__state_key_encode(k, e->kg, key, e->ns);
        *w = (sg__state_write){kv->states[e->state].cf, (e->flags & E_TOMB) != 0,
                               (sg_bytes){k, klen}, (sg_bytes){entry_val(e), e->vlen}};
        if (!w->del) {
            /* Before the write, not after: a failed heap batch may have applied part of
             * itself, and invariant 4 allows erring only on this side. */
            e->flags |= E_IN_BACKEND;
            puts++;
        }
        k += klen;
        w++;
    }
    if ((rc = kv->ops->apply(kv->be, kv->writes, nw)) < 0)
        return backend_fail(kv, rc);
    for (size_t i = 0; i < n; i++) {
        entry *e = &kv->entries[idx[i]];
        if ((e->flags & (E_USED | E_DIRTY)) != (E_USED | E_DIRTY))
            continue;
        e->flags &= (uint8_t)~E_DIRTY;
        if (e->flags & E_TOMB)
            e->flags &= (uint8_t)~E_IN_BACKEND;
    }
    kv->stats.flushes++;
    kv->stats.backend_puts += puts;
    kv->stats.backend_deletes += nw - puts;
    return SG_OK;
}

/* Frees a chunk of the cache: CLOCK picks entries not touched since the hand last
 * passed, their dirty ones go to the backend in one batch, then they are dropped.
 * Evicting many at once amortises the batch and the sweep. */
static int evict(sg__kv *kv)
{
    uint32_t n = 0;
    /* Two turns of the hand always suffice: the first clears every second chance. */
    for (uint64_t step = 0; n < kv->max_victims && step < 2ULL * kv->n_entries; step++) {
        uint32_t i = kv->hand;
        entry *e = &kv->entries[i];
        kv->hand = i + 1 == kv->n_entries ? 0 : i + 1;
        if ((e->flags & (E_USED | E_VICTIM)) != E_USED)
            continue;
        if (e->flags & E_REF) {
            e->flags &= (uint8_t)~E_REF;
        } else {
            e->flags |= E_VICTIM;
            kv->victims[n++] = i;
        }
    }
    int rc = write_dirty(kv, kv->victims, n);
    if (rc < 0) {
        for (uint32_t i = 0; i < n; i++)
            kv->entries[kv->victims[i]].flags &= (uint8_t)~E_VICTIM;
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        entry *e = &kv->entries[kv->victims[i]];
        if (e->flags & E_IN_BACKEND) /* the backend now holds what the cache does not */
            kv->states[e->state].spilled = true;
        drop_entry(kv, kv->victims[i]);
    }
    kv->stats.evictions += n;
    return SG_OK;
}

/* A free entry index, evicting if the cache is full. */
static int take_index(sg__kv *kv, uint32_t *idx)
{
    if (!kv->free_head && kv->n_entries == kv->cap_entries) {
        int rc = kv->cap_entries < kv->max_entries ? grow_entries(kv) : evict(kv);
        if (rc < 0)
            return rc;
    }
    if (kv->free_head) {
        *idx = kv->free_head - 1;
        kv->free_head = kv->entries[*idx].state;
    } else {
        SG_ASSERT(kv->n_entries < kv->cap_entries);
        *idx = kv->n_entries++;
        kv->entries[*idx].flags = 0;
    }
    return SG_OK;
}

/* Makes the taken index idx the entry for the key with room for vlen value bytes
 * (uninitialised). On failure the index is released. */
static int fill_entry(sg__kv *kv, uint32_t idx, uint64_t h, uint32_t id, uint16_t kg, sg_bytes key,
                      int64_t ns, size_t vlen, uint8_t flags)
{
    entry *e = &kv->entries[idx];
    e->hash = h;
    e->ns = ns;
    e->state = id;
    e->kg = kg;
    e->klen = 0; /* nothing to keep when set_vlen moves the buffer */
    e->vlen = 0;
    e->buf = BUF_INLINE;
    int rc = set_vlen(kv, e, round8(key.len) + vlen);
    if (rc < 0) {
        release_index(kv, idx);
        return rc;
    }
    e->klen = (uint32_t)key.len;
    e->vlen = (uint32_t)vlen;
    if (key.len)
        memcpy(entry_buf(e), key.data, key.len);
    e->flags = (uint8_t)((e->flags & E_QUEUED) | E_USED | E_REF | flags);
    link_slot(kv, idx);
    kv->n_live++;
    return SG_OK;
}

/* Reads the backend for a cache miss into the taken index idx: a found value becomes a
 * clean entry, an absent one a clean deletion marker, so a hot key read once stays
 * cached either way. */
static int load_entry(sg__kv *kv, uint32_t idx, uint64_t h, uint32_t id, uint16_t kg, sg_bytes key,
                      int64_t ns)
{
    size_t len = sg__state_key_len(key.len);
    sg_bytes v = {NULL, 0};
    int rc = ensure_scratch(kv, 0, len);
    if (rc == SG_OK) {
        sg__state_key_encode(kv->keybuf, kg, key, ns);
        kv->stats.backend_gets++;
        rc = kv->ops->get(kv->be, kv->states[id].cf, (sg_bytes){kv->keybuf, len}, &v);
        if (rc < 0)
            rc = backend_fail(kv, rc);
    }
    if (rc < 0) {
        release_index(kv, idx);
        return rc;
    }
    bool found = rc == SG_OK;
    if (found && v.len > SG__KV_MAX_LEN) {
        release_index(kv, idx);
        return kv_fail(kv, SG_ESTATE, "state value of %zu bytes is too large", v.len);
    }
    rc = fill_entry(kv, idx, h, id, kg, key, ns, found ? v.len : 0, found ? E_IN_BACKEND : E_TOMB);
    if (rc == SG_OK && found && v.len)
        memcpy(entry_val(&kv->entries[idx]), v.data, v.len);
    return rc;
}

/* ==== The kv API ================================================================ */

int sg__kv_open(const sg__kv_config *cfg, sg__kv **out, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    *out = NULL;
    if (cfg->backend != SG__KV_ROCKSDB && cfg->backend != SG__KV_HEAP) {
        snprintf(err, errlen, "unknown state backend %d", (int)cfg->backend);
        return SG_EINVAL;
    }
    sg__kv *kv = sg_calloc(1, sizeof(*kv));
    if (!kv) {
        snprintf(err, errlen, "out of memory opening state");
        return SG_ENOMEM;
    }
    kv->ops = cfg->backend == SG__KV_HEAP ? &sg__state_mem_ops : &sg__state_rocksdb_ops;
    size_t max = cfg->cache_entries ? cfg->cache_entries : DEFAULT_ENTRIES;
    kv->max_entries = (uint32_t)SG_MIN(max, MAX_ENTRIES);
    kv->max_victims = SG_MAX(1, kv->max_entries / EVICT_DIVISOR);
    kv->victims = sg_malloc(kv->max_victims * sizeof(*kv->victims));
    int rc = kv->victims ? grow_entries(kv) : SG_ENOMEM;
    if (rc < 0) {
        snprintf(err, errlen, "out of memory opening state");
        sg__kv_close(kv);
        return rc;
    }
    if ((rc = kv->ops->open(cfg, &kv->be, err, errlen)) < 0) {
        sg__kv_close(kv);
        return rc;
    }
    *out = kv;
    return SG_OK;
}

void sg__kv_close(sg__kv *kv)
{
    if (!kv)
        return;
    for (uint32_t i = 0; i < kv->n_entries; i++)
        if ((kv->entries[i].flags & E_USED) && kv->entries[i].buf == BUF_HEAP)
            sg_free(kv->entries[i].u.ptr);
    pool_destroy(&kv->pool);
    for (uint32_t i = 0; i < kv->n_states; i++)
        sg_free(kv->states[i].name);
    if (kv->be)
        kv->ops->close(kv->be);
    sg_free(kv->states);
    sg_free(kv->entries_raw);
    sg_free(kv->slots);
    sg_free(kv->dirty);
    sg_free(kv->victims);
    sg_free(kv->writes);
    sg_free(kv->keybuf);
    sg_free(kv->sweepbuf);
    sg_free(kv);
}

int sg__kv_declare(sg__kv *kv, const char *name, uint32_t *id)
{
    if (!name || !*name)
        return kv_fail(kv, SG_EINVAL, "a state needs a name");
    for (uint32_t i = 0; i < kv->n_states; i++) {
        if (strcmp(kv->states[i].name, name) == 0) {
            *id = i;
            return SG_OK;
        }
    }
    if (kv->n_states == kv->cap_states) {
        uint32_t cap = kv->cap_states ? kv->cap_states * 2 : 8;
        kv_state *states = sg_realloc(kv->states, cap * sizeof(*states));
        if (!states)
            return kv_fail(kv, SG_ENOMEM, "out of memory declaring state %s", name);
        kv->states = states;
        kv->cap_states = cap;
    }
    kv_state *st = &kv->states[kv->n_states];
    bool has_data = true;
    int rc = kv->ops->declare(kv->be, name, &st->cf, &has_data);
    if (rc < 0)
        return backend_fail(kv, rc);
    if (!(st->name = sg_strdup(name)))
        return kv_fail(kv, SG_ENOMEM, "out of memory declaring state %s", name);
    st->spilled = has_data;
    *id = kv->n_states++;
    return SG_OK;
}

uint32_t sg__kv_n_states(const sg__kv *kv)
{
    return kv->n_states;
}

const char *sg__kv_state_name(const sg__kv *kv, uint32_t id)
{
    return id < kv->n_states ? kv->states[id].name : NULL;
}

int sg__kv_get(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, sg_bytes *out)
{
    int rc = check_args(kv, id, key);
    if (rc < 0)
        return rc;
    uint64_t h = entry_hash(id, kg, key, ns);
    uint32_t idx = lookup(kv, h, id, kg, key, ns);
    if (idx != UINT32_MAX) {
        kv->stats.cache_hits++;
    } else {
        kv->stats.cache_misses++;
        if (!kv->states[id].spilled)
            return SG_NOTFOUND; /* invariant 5 */
        if ((rc = take_index(kv, &idx)) < 0 || (rc = load_entry(kv, idx, h, id, kg, key, ns)) < 0)
            return rc;
    }
    entry *e = &kv->entries[idx];
    e->flags |= E_REF;
    if (e->flags & E_TOMB)
        return SG_NOTFOUND;
    out->data = entry_val(e);
    out->len = e->vlen;
    return SG_OK;
}

int sg__kv_put(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, sg_bytes val)
{
    int rc = check_args(kv, id, key);
    if (rc < 0)
        return rc;
    if (val.len > SG__KV_MAX_LEN || (val.len && !val.data))
        return kv_fail(kv, SG_EINVAL, "bad state value (%zu bytes)", val.len);
    uint64_t h = entry_hash(id, kg, key, ns);
    uint32_t idx = lookup(kv, h, id, kg, key, ns);
    if (idx != UINT32_MAX) {
        entry *e = &kv->entries[idx];
        if ((rc = set_vlen(kv, e, val.len)) < 0)
            return rc;
        e->flags = (uint8_t)((e->flags & ~E_TOMB) | E_REF);
    } else {
        /* A blind write: no backend read. Whether the backend holds an older value only
         * matters to a later delete, which then errs on the safe side (invariant 4). */
        uint8_t flags = kv->states[id].spilled ? E_IN_BACKEND : 0;
        if ((rc = take_index(kv, &idx)) < 0 ||
            (rc = fill_entry(kv, idx, h, id, kg, key, ns, val.len, flags)) < 0)
            return rc;
    }
    if (val.len) /* memmove: harmless if a caller passes this entry's own value back */
        memmove(entry_val(&kv->entries[idx]), val.data, val.len);
    mark_dirty(kv, idx);
    return SG_OK;
}

int sg__kv_ref(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns, size_t size,
               void **ptr, bool *created)
{
    int rc = check_args(kv, id, key);
    if (rc < 0)
        return rc;
    if (size > SG__KV_MAX_LEN)
        return kv_fail(kv, SG_EINVAL, "bad state value size %zu", size);
    uint64_t h = entry_hash(id, kg, key, ns);
    uint32_t idx = lookup(kv, h, id, kg, key, ns);
    if (idx != UINT32_MAX) {
        kv->stats.cache_hits++;
    } else {
        kv->stats.cache_misses++;
        if ((rc = take_index(kv, &idx)) < 0)
            return rc;
        if (kv->states[id].spilled) /* else known absent: make room for the value now */
            rc = load_entry(kv, idx, h, id, kg, key, ns);
        else
            rc = fill_entry(kv, idx, h, id, kg, key, ns, size, E_TOMB);
        if (rc < 0)
            return rc;
    }
    entry *e = &kv->entries[idx];
    e->flags |= E_REF;
    *created = (e->flags & E_TOMB) != 0;
    if (*created) {
        if ((rc = set_vlen(kv, e, size)) < 0)
            return rc;
        e->flags &= (uint8_t)~E_TOMB;
        memset(entry_val(e), 0, size);
    } else if (e->vlen != size) {
        return kv_fail(kv, SG_EINVAL, "state '%s' holds a %u-byte value, not %zu bytes",
                       kv->states[id].name, (unsigned)e->vlen, size);
    }
    mark_dirty(kv, idx);
    *ptr = entry_val(e);
    return SG_OK;
}

/* Deletes the cached entry idx of a state that has spilled or not. */
static void del_cached(sg__kv *kv, uint32_t idx, bool spilled)
{
    entry *e = &kv->entries[idx];
    e->vlen = 0;
    if (e->flags & E_IN_BACKEND) {
        e->flags |= E_TOMB;
        mark_dirty(kv, idx);
    } else if (spilled) {
        /* Known absent and never written: keep the marker so that a later get of this
         * key needs no backend read, but write nothing. */
        e->flags = (uint8_t)((e->flags | E_TOMB) & ~E_DIRTY);
    } else {
        drop_entry(kv, idx);
    }
}

int sg__kv_del(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns)
{
    int rc = check_args(kv, id, key);
    if (rc < 0)
        return rc;
    bool spilled = kv->states[id].spilled;
    uint64_t h = entry_hash(id, kg, key, ns);
    uint32_t idx = lookup(kv, h, id, kg, key, ns);
    if (idx == UINT32_MAX) {
        if (!spilled)
            return SG_OK; /* invariant 5: it exists nowhere */
        /* A blind delete marker, written with the next batch. */
        if ((rc = take_index(kv, &idx)) < 0 ||
            (rc = fill_entry(kv, idx, h, id, kg, key, ns, 0, E_TOMB | E_IN_BACKEND)) < 0)
            return rc;
        mark_dirty(kv, idx);
        return SG_OK;
    }
    del_cached(kv, idx, spilled);
    return SG_OK;
}

int sg__kv_flush(sg__kv *kv)
{
    int rc = write_dirty(kv, kv->dirty, kv->n_dirty);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < kv->n_dirty; i++)
        kv->entries[kv->dirty[i]].flags &= (uint8_t)~E_QUEUED;
    kv->n_dirty = 0;
    return SG_OK;
}

typedef struct scan_ctx {
    sg__kv_scan_fn fn;
    void *ud;
    int fn_rc; /* what fn returned, told apart from the backend's own errors */
    bool corrupt;
} scan_ctx;

static int scan_one(void *ud, sg_bytes enc, sg_bytes val)
{
    scan_ctx *sc = ud;
    uint16_t kg;
    sg_bytes key;
    int64_t ns;
    if (sg__state_key_decode(enc, &kg, &key, &ns) < 0) {
        sc->corrupt = true;
        return SG_ESTATE;
    }
    return sc->fn_rc = sc->fn(sc->ud, key, ns, val);
}

int sg__kv_scan(sg__kv *kv, uint32_t id, uint16_t kg, sg__kv_scan_fn fn, void *ud)
{
    if (id >= kv->n_states)
        return kv_fail(kv, SG_EINVAL, "state id %u was never declared", (unsigned)id);
    int rc = sg__kv_flush(kv);
    if (rc < 0)
        return rc;
    scan_ctx sc = {fn, ud, SG_OK, false};
    rc = kv->ops->iter_kg(kv->be, kv->states[id].cf, kg, scan_one, &sc);
    if (sc.corrupt)
        return kv_fail(kv, SG_ESTATE, "%s state '%s': corrupt key (shorter than %d bytes)",
                       kv->ops->name, kv->states[id].name, SG__STATE_KEY_EXTRA);
    if (sc.fn_rc != 0) /* fn stopped the visit: its code, its message */
        return sc.fn_rc;
    return rc < 0 ? backend_fail(kv, rc) : rc;
}

/* ==== Sweeps ==================================================================== */

static bool in_ids(const uint32_t *ids, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* Step 1 of a sweep: 'budget' slots of the entry array from the sweep hand. The hand
 * is not CLOCK's and sets no second chance: a sweep is not a use. */
static int sweep_cache(sg__kv *kv, const uint32_t *ids, size_t n_ids, size_t budget,
                       sg__kv_sweep_fn fn, void *ud)
{
    for (size_t step = 0; step < budget && step < kv->n_entries; step++) {
        uint32_t i = kv->sweep_hand < kv->n_entries ? kv->sweep_hand : 0;
        kv->sweep_hand = i + 1;
        entry *e = &kv->entries[i];
        if ((e->flags & (E_USED | E_TOMB)) != E_USED || !in_ids(ids, n_ids, e->state))
            continue;
        sg_bytes nv = {NULL, 0};
        kv->stats.swept++;
        int r = fn(ud, e->state, (sg_bytes){entry_val(e), e->vlen}, &nv);
        if (r < 0)
            return r;
        if (r == SG__SWEEP_DROP) {
            del_cached(kv, i, kv->states[e->state].spilled);
            kv->stats.sweep_drops++;
        } else if (r == SG__SWEEP_REWRITE) {
            if ((r = set_vlen(kv, e, nv.len)) < 0)
                return r;
            if (nv.len)
                memcpy(entry_val(e), nv.data, nv.len);
            mark_dirty(kv, i);
        }
    }
    return SG_OK;
}

typedef struct sweep_be {
    sg__kv *kv;
    uint32_t id;
    sg__kv_sweep_fn fn;
    void *ud;
    int rc; /* fn's error or SG_ENOMEM, told apart from the backend's */
    size_t n_writes, drops;
} sweep_be;

#define SWEEP_NOTE_HDR 9 /* u8 del | u32 key length | u32 value length, host order */

/* Remembers one backend write of a sweep step in sweepbuf: the iteration may not call
 * the backend, so the writes wait for its end. */
static int sweep_note(sg__kv *kv, bool del, sg_bytes key, sg_bytes val)
{
    size_t need = kv->len_sweepbuf + SWEEP_NOTE_HDR + key.len + val.len;
    if (need > kv->cap_sweepbuf) {
        size_t cap = SG_MAX(need, 2 * kv->cap_sweepbuf);
        unsigned char *b = sg_realloc(kv->sweepbuf, cap);
        if (!b)
            return kv_fail(kv, SG_ENOMEM, "out of memory sweeping state");
        kv->sweepbuf = b;
        kv->cap_sweepbuf = cap;
    }
    unsigned char *p = kv->sweepbuf + kv->len_sweepbuf;
    uint32_t klen = (uint32_t)key.len, vlen = (uint32_t)val.len;
    p[0] = del;
    memcpy(p + 1, &klen, 4);
    memcpy(p + 5, &vlen, 4);
    memcpy(p + SWEEP_NOTE_HDR, key.data, key.len);
    if (vlen)
        memcpy(p + SWEEP_NOTE_HDR + klen, val.data, vlen);
    kv->len_sweepbuf = need;
    return SG_OK;
}

static int sweep_backend_one(void *ud, sg_bytes enc, sg_bytes val)
{
    sweep_be *sb = ud;
    sg__kv *kv = sb->kv;
    uint16_t kg;
    sg_bytes key;
    int64_t ns;
    if (sg__state_key_decode(enc, &kg, &key, &ns) < 0)
        return SG_OK; /* not a key of ours: nothing to judge */
    if (lookup(kv, entry_hash(sb->id, kg, key, ns), sb->id, kg, key, ns) != UINT32_MAX)
        return SG_OK; /* the cache holds it (step 1), and may be ahead of the backend */
    kv->stats.swept++;
    sg_bytes nv = {NULL, 0};
    int r = sb->fn(sb->ud, sb->id, val, &nv);
    if (r < 0)
        return sb->rc = r;
    if (r == SG__SWEEP_KEEP)
        return SG_OK;
    bool drop = r == SG__SWEEP_DROP;
    if ((r = sweep_note(kv, drop, enc, nv)) < 0)
        return sb->rc = r;
    sb->n_writes++;
    sb->drops += drop;
    return SG_OK;
}

/* Step 2 of a sweep for one state: entries only the backend holds. */
static int sweep_backend(sg__kv *kv, uint32_t id, size_t budget, sg__kv_sweep_fn fn, void *ud)
{
    if (!kv->states[id].spilled || kv->ops->version < SG__STATE_OPS_V2 || !kv->ops->sweep)
        return SG_OK;
    sweep_be sb = {kv, id, fn, ud, SG_OK, 0, 0};
    bool wrapped = false;
    kv->len_sweepbuf = 0;
    int rc = kv->ops->sweep(kv->be, kv->states[id].cf, budget, sweep_backend_one, &sb, &wrapped);
    if (sb.rc < 0)
        return sb.rc;
    if (rc < 0)
        return backend_fail(kv, rc);
    if (!sb.n_writes)
        return SG_OK;
    if ((rc = ensure_scratch(kv, sb.n_writes, 0)) < 0)
        return rc;
    const unsigned char *p = kv->sweepbuf;
    for (size_t i = 0; i < sb.n_writes; i++) {
        uint32_t klen, vlen;
        memcpy(&klen, p + 1, 4);
        memcpy(&vlen, p + 5, 4);
        kv->writes[i] =
            (sg__state_write){kv->states[id].cf, p[0] != 0, (sg_bytes){p + SWEEP_NOTE_HDR, klen},
                              (sg_bytes){p + SWEEP_NOTE_HDR + klen, vlen}};
        p += SWEEP_NOTE_HDR + klen + vlen;
    }
    if ((rc = kv->ops->apply(kv->be, kv->writes, sb.n_writes)) < 0)
        return backend_fail(kv, rc);
    kv->stats.flushes++;
    kv->stats.backend_deletes += sb.drops;
    kv->stats.backend_puts += sb.n_writes - sb.drops;
    kv->stats.sweep_drops += sb.drops;
    return SG_OK;
}

int sg__kv_sweep(sg__kv *kv, const uint32_t *ids, size_t n_ids, size_t budget, sg__kv_sweep_fn fn,
                 void *ud)
{
    for (size_t i = 0; i < n_ids; i++)
        if (ids[i] >= kv->n_states)
            return kv_fail(kv, SG_EINVAL, "state id %u was never declared", (unsigned)ids[i]);
    int rc = sweep_cache(kv, ids, n_ids, budget, fn, ud);
    for (size_t i = 0; i < n_ids && rc == SG_OK; i++)
        rc = sweep_backend(kv, ids[i], budget, fn, ud);
    return rc;
}

int sg__kv_count(sg__kv *kv, uint32_t id, uint64_t *n)
{
    *n = 0;
    if (id >= kv->n_states)
        return kv_fail(kv, SG_EINVAL, "state id %u was never declared", (unsigned)id);
    if (kv->ops->version < SG__STATE_OPS_V2 || !kv->ops->count)
        return kv_fail(kv, SG_EINVAL, "%s state cannot count entries", kv->ops->name);
    int rc = sg__kv_flush(kv);
    if (rc < 0)
        return rc;
    rc = kv->ops->count(kv->be, kv->states[id].cf, n);
    return rc < 0 ? backend_fail(kv, rc) : SG_OK;
}

int sg__kv_checkpoint(sg__kv *kv, const char *dir)
{
    if (kv->ops->version < SG__STATE_OPS_V3 || !kv->ops->checkpoint)
        return kv_fail(kv, SG_EINVAL, "%s state cannot be checkpointed", kv->ops->name);
    int rc = sg__kv_flush(kv);
    if (rc < 0)
        return rc;
    rc = kv->ops->checkpoint(kv->be, dir);
    return rc < 0 ? backend_fail(kv, rc) : SG_OK;
}

void sg__kv_get_stats(const sg__kv *kv, sg__kv_stats *out)
{
    *out = kv->stats;
    out->entries = kv->n_live;
}

const char *sg__kv_errmsg(const sg__kv *kv)
{
    return kv->err;
}

/* Two stages, one call each: this call prefetches the slot of (id, kg, key, ns), and
 * the slot prefetched PREFETCH_LAG calls ago, by now in cache, leads to its entry,
 * which it prefetches. A caller that runs a few records ahead of its lookups thus
 * finds both cache lines present. A stale or colliding slot only wastes a prefetch. */
void sg__kv_prefetch(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns)
{
    if (!kv->slots || id >= kv->n_states)
        return;
    uint64_t h = entry_hash(id, kg, key, ns);
    __builtin_prefetch(&kv->slots[h & kv->mask]);
    unsigned pos = kv->pf_pos++ % PREFETCH_LAG;
    uint64_t old = kv->pf_hash[pos];
    kv->pf_hash[pos] = h;
    slot s = kv->slots[old & kv->mask];
    if (s.idx && s.tag == (uint32_t)(old >> 32) && s.idx - 1 < kv->n_entries)
        __builtin_prefetch(&kv->entries[s.idx - 1]);
}

/* ==== Cache images ============================================================== *
 *
 * What sg__kv_image writes; every integer little-endian:
 *
 *   offset 0         8
 *          +---------+----------------+--------------------------------------------+
 *          | SGKVIMG1| u32 n_states,  | u64 n_entries, then per entry:             |
 *          |  magic  | per state: u32 |   u32 state  u16 kg  u64 ns (two's compl.) |
 *          | +version| len, name      |   u32 klen  u32 vlen  key bytes  value     |
 *          +---------+----------------+--------------------------------------------+
 *
 * Entries are in cache order (no order is promised). Values are the stored bytes
 * (state_kinds.h encodings, TTL stamps included), so an image restores every kind. The
 * checkpoint's _metadata carries the file's XXH64, so the image has no checksum. */

#define IMAGE_MAGIC "SGKVIMG1"
#define IMAGE_ENTRY_HDR 22

static unsigned char *put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        *p++ = (unsigned char)v;
    return p;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

bool sg__kv_spilled(const sg__kv *kv)
{
    for (uint32_t i = 0; i < kv->n_states; i++)
        if (kv->states[i].spilled)
            return true;
    return false;
}

int sg__kv_image(sg__kv *kv, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (sg__kv_spilled(kv))
        return kv_fail(kv, SG_EINVAL, "state has spilled to %s: no cache image", kv->ops->name);
    /* Two passes, sizes then bytes: one allocation, and the copy runs at memcpy speed
     * (this is the synchronous part of a checkpoint). */
    size_t size = 8 + 4 + 8;
    uint64_t n = 0;
    for (uint32_t i = 0; i < kv->n_states; i++)
        size += 4 + strlen(kv->states[i].name);
    for (uint32_t i = 0; i < kv->n_entries; i++) {
        const entry *e = &kv->entries[i];
        if ((e->flags & (E_USED | E_TOMB)) != E_USED)
            continue;
        size += IMAGE_ENTRY_HDR + e->klen + e->vlen;
        n++;
    }
    unsigned char *buf = sg_malloc(size), *p = buf;
    if (!buf)
        return kv_fail(kv, SG_ENOMEM, "out of memory copying the state cache (%zu bytes)", size);
    memcpy(p, IMAGE_MAGIC, 8);
    p = put_le(p + 8, kv->n_states, 4);
    for (uint32_t i = 0; i < kv->n_states; i++) {
        size_t l = strlen(kv->states[i].name);
        p = put_le(p, l, 4);
        memcpy(p, kv->states[i].name, l);
        p += l;
    }
    p = put_le(p, n, 8);
    for (uint32_t i = 0; i < kv->n_entries; i++) {
        entry *e = &kv->entries[i];
        if ((e->flags & (E_USED | E_TOMB)) != E_USED)
            continue;
        p = put_le(p, e->state, 4);
        p = put_le(p, e->kg, 2);
        p = put_le(p, (uint64_t)e->ns, 8);
        p = put_le(p, e->klen, 4);
        p = put_le(p, e->vlen, 4);
        if (e->klen)
            memcpy(p, entry_buf(e), e->klen);
        p += e->klen;
        if (e->vlen)
            memcpy(p, entry_val(e), e->vlen);
        p += e->vlen;
    }
    SG_ASSERT((size_t)(p - buf) == size);
    *data = buf;
    *len = size;
    return SG_OK;
}

int sg__kv_load_image(sg__kv *kv, const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    uint32_t *ids = NULL;
    char *name = NULL;
    int rc = SG_OK;
    if (len < 20 || memcmp(p, IMAGE_MAGIC, 8) != 0)
        return kv_fail(kv, SG_ESERDE, "state image: bad magic");
    uint64_t n_states = get_le(p + 8, 4);
    p += 12;
    if (n_states > (size_t)(end - p) / 4)
        return kv_fail(kv, SG_ESERDE, "state image: truncated");
    if (n_states && !(ids = sg_malloc(n_states * sizeof(*ids))))
        return kv_fail(kv, SG_ENOMEM, "out of memory loading a state image");
    /* Declared by name: the ids of this run need not be the ids of the image's. Any
     * length sg__kv_declare accepted loads (no fixed buffer), so every image restores. */
    for (uint64_t i = 0; i < n_states && rc == SG_OK; i++) {
        uint64_t l = (size_t)(end - p) >= 4 ? get_le(p, 4) : UINT64_MAX;
        if (l == 0 || l > (size_t)(end - p) - 4 || memchr(p + 4, '\0', l)) {
            rc = kv_fail(kv, SG_ESERDE, "state image: bad state name");
            break;
        }
        if (!(name = sg_malloc(l + 1))) {
            rc = kv_fail(kv, SG_ENOMEM, "out of memory loading a state image");
            break;
        }
        memcpy(name, p + 4, l);
        name[l] = '\0';
        p += 4 + l;
        rc = sg__kv_declare(kv, name, &ids[i]);
        sg_free(name);
    }
    uint64_t n = 0;
    if (rc == SG_OK) {
        if ((size_t)(end - p) < 8)
            rc = kv_fail(kv, SG_ESERDE, "state image: truncated");
        else
            n = get_le(p, 8), p += 8;
    }
    for (uint64_t i = 0; i < n && rc == SG_OK; i++) {
        if ((size_t)(end - p) < IMAGE_ENTRY_HDR) {
            rc = kv_fail(kv, SG_ESERDE, "state image: truncated");
            break;
        }
        uint64_t st = get_le(p, 4), klen = get_le(p + 14, 4), vlen = get_le(p + 18, 4);
        uint16_t kg = (uint16_t)get_le(p + 4, 2);
        int64_t ns = (int64_t)get_le(p + 6, 8);
        p += IMAGE_ENTRY_HDR;
        if (st >= n_states || klen + vlen > (size_t)(end - p)) {
            rc = kv_fail(kv, SG_ESERDE, "state image: bad entry %llu", (unsigned long long)i);
            break;
        }
        rc = sg__kv_put(kv, ids[st], kg, (sg_bytes){p, klen}, ns, (sg_bytes){p + klen, vlen});
        p += klen + vlen;
    }
    if (rc == SG_OK && p != end)
        rc = kv_fail(kv, SG_ESERDE, "state image: %zu bytes after the last entry",
                     (size_t)(end - p));
    sg_free(ids);
    return rc;
}
