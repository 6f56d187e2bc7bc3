/* flat.h — the baselines' hash table: open addressing with linear probing, uint64_t
 * keys, fixed-size values stored inline, one allocation per table (grown by doubling at
 * 50% load). This is what "a flat hash aggregation" means in docs/benchmarks.md: the
 * practical limit a tight single-threaded loop reaches, with no engine in the way.
 *
 * Header-only and libc-only, so every baseline is one .c file plus its generator.
 * Values start zero-filled. Iterate with: for (i = 0; i < t.cap; i++) if (t.used[i])
 * ... flat_key(&t, i), flat_val(&t, i) ... . Deletion shifts the following entries back
 * (no tombstones), so a table that deletes keeps probing short. */
#ifndef BASELINE_FLAT_H
#define BASELINE_FLAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct flat {
    uint64_t *keys;
    unsigned char *used; /* 1 where keys[i] / vals[i] hold an entry */
    unsigned char *vals; /* cap * vsize bytes */
    size_t vsize, cap, n;
} flat;

static inline uint64_t flat_hash(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Exits on out of memory: a baseline has nothing better to do. */
static inline void *flat_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "baseline: out of memory\n");
        exit(1);
    }
    return p;
}

static inline void flat_init(flat *t, size_t vsize, size_t expected)
{
    size_t cap = 16;
    while (cap < 2 * expected)
        cap *= 2;
    t->vsize = vsize;
    t->cap = cap;
    t->n = 0;
    t->keys = flat_alloc(cap * sizeof(*t->keys));
    t->used = flat_alloc(cap);
    t->vals = flat_alloc(cap * vsize);
}

static inline void flat_free(flat *t)
{
    free(t->keys);
    free(t->used);
    free(t->vals);
    memset(t, 0, sizeof(*t));
}

static inline uint64_t flat_key(const flat *t, size_t i)
{
    return t->keys[i];
}

static inline void *flat_val(const flat *t, size_t i)
{
    return t->vals + i * t->vsize;
}

/* The slot of key, or of the empty slot where it would go. */
static inline size_t flat_slot(const flat *t, uint64_t key)
{
    size_t mask = t->cap - 1, i = (size_t)flat_hash(key) & mask;
    while (t->used[i] && t->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

/* key's value, or NULL. */
static inline void *flat_get(const flat *t, uint64_t key)
{
    size_t i = flat_slot(t, key);
    return t->used[i] ? flat_val(t, i) : NULL;
}

static inline void flat_grow(flat *t)
{
    flat old = *t;
    flat_init(t, old.vsize, old.cap);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i]) {
            size_t j = flat_slot(t, old.keys[i]);
            t->used[j] = 1;
            t->keys[j] = old.keys[i];
            memcpy(flat_val(t, j), flat_val(&old, i), old.vsize);
            t->n++;
        }
    flat_free(&old);
}

/* key's value, inserted zero-filled when absent (then *created, if given, is true). The
 * pointer is valid until the next put or delete. */
static inline void *flat_put(flat *t, uint64_t key, bool *created)
{
    size_t i = flat_slot(t, key);
    if (created)
        *created = !t->used[i];
    if (t->used[i])
        return flat_val(t, i);
    if (2 * (t->n + 1) > t->cap) {
        flat_grow(t);
        i = flat_slot(t, key);
    }
    t->used[i] = 1;
    t->keys[i] = key;
    memset(flat_val(t, i), 0, t->vsize);
    t->n++;
    return flat_val(t, i);
}

/* Removes key if present (backward-shift deletion). */
static inline void flat_del(flat *t, uint64_t key)
{
    size_t mask = t->cap - 1, i = flat_slot(t, key);
    if (!t->used[i])
        return;
    t->used[i] = 0;
    t->n--;
    for (size_t j = (i + 1) & mask; t->used[j]; j = (j + 1) & mask) {
        size_t home = (size_t)flat_hash(t->keys[j]) & mask;
        /* Move j back into the hole i unless its home lies cyclically in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            t->keys[i] = t->keys[j];
            memcpy(flat_val(t, i), flat_val(t, j), t->vsize);
            t->used[i] = 1;
            t->used[j] = 0;
            i = j;
        }
    }
}

#endif
