/* state_mem.c — the heap state backend: column families as in-memory hash tables of
 * encoded key -> value, with no persistence.
 *
 * It exists for small state and as the reference the RocksDB backend is compared with,
 * so it favours plainness: one allocation per stored entry (only flushes and evictions
 * write here, never the per-event path), linear probing with backward-shift deletion,
 * and ordered iteration by sorting the matching entries on demand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/state_backend.h"

#define MIN_SLOTS 64

typedef struct mem_item {
    uint64_t hash;
    uint32_t klen, vlen;
    unsigned char data[]; /* key bytes, then value bytes */
} mem_item;

typedef struct mem_cf {
    char *name;
    mem_item **slots; /* NULL = empty */
    size_t mask;      /* slot count - 1; the count is a power of two */
    size_t n;
    size_t sweep_at; /* the slot the next sweep starts at */
} mem_cf;

struct sg__state_backend {
    mem_cf *cfs;
    uint32_t n_cfs, cap_cfs;
    char err[256];
};

static int oom(sg__state_backend *b, const char *what)
{
    snprintf(b->err, sizeof(b->err), "heap state: out of memory (%s)", what);
    return SG_ENOMEM;
}

static uint64_t hash_key(sg_bytes key)
{
    return XXH3_64bits(key.data, key.len);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const mem_cf *cf, sg_bytes key, uint64_t h)
{
    for (size_t i = h & cf->mask;; i = (i + 1) & cf->mask) {
        const mem_item *it = cf->slots[i];
        if (!it ||
            (it->hash == h && it->klen == key.len && memcmp(it->data, key.data, key.len) == 0))
            return i;
    }
}

static int grow(mem_cf *cf)
{
    size_t cap = cf->slots ? (cf->mask + 1) * 2 : MIN_SLOTS;
    mem_item **slots = sg_calloc(cap, sizeof(*slots));
    if (!slots)
        return SG_ENOMEM;
    for (size_t i = 0; cf->slots && i <= cf->mask; i++) {
        mem_item *it = cf->slots[i];
        if (!it)
            continue;
        size_t j = it->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = it;
    }
    sg_free(cf->slots);
    cf->slots = slots;
    cf->mask = cap - 1;
    cf->sweep_at = 0;
    return SG_OK;
}

static void mem_close(sg__state_backend *b)
{
    if (!b)
        return;
    for (uint32_t c = 0; c < b->n_cfs; c++) {
        mem_cf *cf = &b->cfs[c];
        for (size_t i = 0; cf->slots && i <= cf->mask; i++)
            sg_free(cf->slots[i]);
        sg_free(cf->slots);
        sg_free(cf->name);
    }
    sg_free(b->cfs);
    sg_free(b);
}

static int mem_open(const sg__kv_config *cfg, sg__state_backend **out, char *err, size_t errlen)
{
    SG_UNUSED(cfg);
    *out = sg_calloc(1, sizeof(**out));
    if (!*out) {
        snprintf(err, errlen, "heap state: out of memory");
        return SG_ENOMEM;
    }
    return SG_OK;
}

static int mem_declare(sg__state_backend *b, const char *name, uint32_t *cf, bool *has_data)
{
    *has_data = false; /* nothing outlives the backend, so a family starts empty */
    for (uint32_t i = 0; i < b->n_cfs; i++) {
        if (strcmp(b->cfs[i].name, name) == 0) {
            *cf = i;
            *has_data = b->cfs[i].n > 0;
            return SG_OK;
        }
    }
    if (b->n_cfs == b->cap_cfs) {
        uint32_t cap = b->cap_cfs ? b->cap_cfs * 2 : 8;
        mem_cf *cfs = sg_realloc(b->cfs, cap * sizeof(*cfs));
        if (!cfs)
            return oom(b, "declaring a state");
        b->cfs = cfs;
        b->cap_cfs = cap;
    }
    char *copy = sg_strdup(name);
    if (!copy)
        return oom(b, "declaring a state");
    b->cfs[b->n_cfs] = (mem_cf){.name = copy};
    *cf = b->n_cfs++;
    return SG_OK;
}

static int mem_get(sg__state_backend *b, uint32_t c, sg_bytes key, sg_bytes *out)
{
    SG_ASSERT(c < b->n_cfs);
    const mem_cf *cf = &b->cfs[c];
    if (!cf->slots)
        return SG_NOTFOUND;
    const mem_item *it = cf->slots[find_slot(cf, key, hash_key(key))];
    if (!it)
        return SG_NOTFOUND;
    out->data = it->data + it->klen;
    out->len = it->vlen;
    return SG_OK;
}

static int mem_put(sg__state_backend *b, uint32_t c, sg_bytes key, sg_bytes val)
{
    SG_ASSERT(c < b->n_cfs);
    mem_cf *cf = &b->cfs[c];
    uint64_t h = hash_key(key);
    /* Keep the load under 0.7 so linear probes stay short. */
    if ((!cf->slots || (cf->n + 1) * 10 > (cf->mask + 1) * 7) && grow(cf) < 0)
        return oom(b, "growing a table");
    size_t i = find_slot(cf, key, h);
    mem_item *old = cf->slots[i];
    if (old && old->vlen == val.len) {
        if (val.len)
            memcpy(old->data + old->klen, val.data, val.len);
        return SG_OK;
    }
    mem_item *it = sg_malloc(sizeof(*it) + key.len + val.len);
    if (!it)
        return oom(b, "storing an entry");
    it->hash = h;
    it->klen = (uint32_t)key.len;
    it->vlen = (uint32_t)val.len;
    memcpy(it->data, key.data, key.len);
    if (val.len)
        memcpy(it->data + key.len, val.data, val.len);
    cf->slots[i] = it;
    if (old)
        sg_free(old);
    else
        cf->n++;
    return SG_OK;
}

static int mem_del(sg__state_backend *b, uint32_t c, sg_bytes key)
{
    SG_ASSERT(c < b->n_cfs);
    mem_cf *cf = &b->cfs[c];
    if (!cf->slots)
        return SG_OK;
    size_t i = find_slot(cf, key, hash_key(key));
    if (!cf->slots[i])
        return SG_OK;
    sg_free(cf->slots[i]);
    cf->slots[i] = NULL;
    cf->n--;
    /* Backward shift: pull later members of the probe run into the hole so that lookups
     * can keep stopping at the first empty slot (no deletion markers to accumulate). */
    for (size_t j = (i + 1) & cf->mask; cf->slots[j]; j = (j + 1) & cf->mask) {
        size_t home = cf->slots[j]->hash & cf->mask;
        if (((j - home) & cf->mask) >= ((j - i) & cf->mask)) {
            cf->slots[i] = cf->slots[j];
            cf->slots[j] = NULL;
            i = j;
        }
    }
    return SG_OK;
}

static int mem_apply(sg__state_backend *b, const sg__state_write *w, size_t n)
{
    int rc = SG_OK;
    for (size_t i = 0; i < n && rc == SG_OK; i++)
        rc = w[i].del ? mem_del(b, w[i].cf, w[i].key) : mem_put(b, w[i].cf, w[i].key, w[i].val);
    return rc;
}

/* RocksDB's bytewise order: memcmp, and a prefix sorts first. */
static int cmp_items(const void *pa, const void *pb)
{
    const mem_item *a = *(const mem_item *const *)pa, *b = *(const mem_item *const *)pb;
    int c = memcmp(a->data, b->data, SG_MIN(a->klen, b->klen));
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static int mem_iter_kg(sg__state_backend *b, uint32_t c, uint16_t kg, sg__state_iter_fn fn,
                       void *ud)
{
    SG_ASSERT(c < b->n_cfs);
    const mem_cf *cf = &b->cfs[c];
    const unsigned char prefix[2] = {(unsigned char)(kg >> 8), (unsigned char)kg};
    mem_item **hits = sg_malloc((cf->n ? cf->n : 1) * sizeof(*hits));
    size_t n = 0;
    int rc = SG_OK;
    if (!hits)
        return oom(b, "iterating");
    for (size_t i = 0; cf->slots && i <= cf->mask; i++) {
        mem_item *it = cf->slots[i];
        if (it && it->klen >= 2 && memcmp(it->data, prefix, 2) == 0)
            hits[n++] = it;
    }
    if (n > 1)
        qsort(hits, n, sizeof(*hits), cmp_items);
    for (size_t i = 0; i < n && rc == SG_OK; i++) {
        sg_bytes k = {hits[i]->data, hits[i]->klen};
        sg_bytes v = {hits[i]->data + hits[i]->klen, hits[i]->vlen};
        rc = fn(ud, k, v);
    }
    sg_free(hits);
    return rc;
}

/* Walks slots, not keys: a table never shrinks, so a round is one pass over the
 * slot array. A delete made between two steps may shift a not yet visited entry
 * behind the position (backward shift), so a round can miss an entry that moved;
 * the next round visits it. Growth rehashes everything and restarts the round. */
static int mem_sweep(sg__state_backend *b, uint32_t c, size_t max, sg__state_iter_fn fn, void *ud,
                     bool *wrapped)
{
    SG_ASSERT(c < b->n_cfs);
    mem_cf *cf = &b->cfs[c];
    int rc = SG_OK;
    *wrapped = false;
    if (!cf->slots || cf->sweep_at > cf->mask) {
        cf->sweep_at = 0;
        *wrapped = true;
        return SG_OK;
    }
    /* Empty slots cost a load each: bound them too, so a sparse table is no trap. */
    size_t seen = 0, slots = 0, max_slots = 4 * max + 16;
    while (seen < max && slots < max_slots && cf->sweep_at <= cf->mask && rc == SG_OK) {
        const mem_item *it = cf->slots[cf->sweep_at++];
        slots++;
        if (!it)
            continue;
        seen++;
        rc = fn(ud, (sg_bytes){it->data, it->klen}, (sg_bytes){it->data + it->klen, it->vlen});
    }
    if (cf->sweep_at > cf->mask) {
        cf->sweep_at = 0;
        *wrapped = true;
    }
    return rc;
}

static int mem_count(sg__state_backend *b, uint32_t c, uint64_t *n)
{
    SG_ASSERT(c < b->n_cfs);
    *n = b->cfs[c].n;
    return SG_OK;
}

static const char *mem_errmsg(const sg__state_backend *b)
{
    return b->err;
}

const sg__state_ops sg__state_mem_ops = {
    .version = SG__STATE_OPS_V2,
    .name = "heap",
    .open = mem_open,
    .declare = mem_declare,
    .get = mem_get,
    .put = mem_put,
    .del = mem_del,
    .apply = mem_apply,
    .iter_kg = mem_iter_kg,
    .errmsg = mem_errmsg,
    .close = mem_close,
    .sweep = mem_sweep,
    .count = mem_count,
};
