/* Timer heap with a dedup index (timer.h). Each timer is one allocation holding its
 * key; the heap orders pointers by (ts, seq) and each timer remembers its heap slot
 * so a delete can sift it out. */
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>

#include "engine/timer.h"

void sg__timers_init(sg__timers *t)
{
    memset(t, 0, sizeof(*t));
}

void sg__timers_free(sg__timers *t)
{
    for (size_t i = 0; i < t->n; i++)
        sg_free(t->heap[i]);
    while (t->pool) {
        sg__timer *x = t->pool;
        t->pool = x->hnext;
        sg_free(x);
    }
    sg_free(t->heap);
    sg_free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static bool before(const sg__timer *a, const sg__timer *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_place(sg__timers *t, size_t i, sg__timer *x)
{
    t->heap[i] = x;
    x->heap_idx = i;
}

static void sift_up(sg__timers *t, size_t i)
{
    sg__timer *x = t->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(x, t->heap[parent]))
            break;
        heap_place(t, i, t->heap[parent]);
        i = parent;
    }
    heap_place(t, i, x);
}

static void sift_down(sg__timers *t, size_t i)
{
    sg__timer *x = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->n)
            break;
        if (c + 1 < t->n && before(t->heap[c + 1], t->heap[c]))
            c++;
        if (!before(t->heap[c], x))
            break;
        heap_place(t, i, t->heap[c]);
        i = c;
    }
    heap_place(t, i, x);
}

static uint64_t timer_hash(sg_bytes key, sg_time ts)
{
    return XXH3_64bits_withSeed(key.data, key.len, (uint64_t)ts);
}

static sg__timer **find_slot(sg__timers *t, uint64_t h, sg_bytes key, sg_time ts)
{
    sg__timer **p = &t->buckets[h & (t->n_buckets - 1)];
    for (; *p; p = &(*p)->hnext) {
        sg__timer *x = *p;
        if (x->hash == h && x->ts == ts && x->key_len == key.len &&
            (key.len == 0 || memcmp(x->key, key.data, key.len) == 0))
            return p;
    }
    return p;
}

static int grow_index(sg__timers *t)
{
    size_t nb = t->n_buckets ? t->n_buckets * 2 : 1024;
    sg__timer **b = sg_calloc(nb, sizeof(*b));
    if (!b)
        return SG_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        sg__timer *x = t->heap[i];
        size_t s = x->hash & (nb - 1);
        x->hnext = b[s];
        b[s] = x;
    }
    sg_free(t->buckets);
    t->buckets = b;
    t->n_buckets = nb;
    return SG_OK;
}

static sg__timer *new_timer(sg__timers *t, size_t key_len)
{
    sg__timer *x;
    if (key_len <= SG__TIMER_SMALL_KEY && t->pool) {
        x = t->pool;
        t->pool = x->hnext;
        return x;
    }
    size_t cap = key_len <= SG__TIMER_SMALL_KEY ? SG__TIMER_SMALL_KEY : key_len;
    if (!(x = sg_malloc(sizeof(*x) + cap)))
        return NULL;
    x->key_cap = (uint32_t)cap;
    return x;
}

void sg__timers_release(sg__timers *t, sg__timer *x)
{
    if (x->key_cap == SG__TIMER_SMALL_KEY) {
        x->hnext = t->pool;
        t->pool = x;
    } else {
        sg_free(x);
    }
}

int sg__timers_set(sg__timers *t, uint16_t kg, sg_bytes key, sg_time ts)
{
    if (t->n >= t->n_buckets && grow_index(t) < 0)
        return SG_ENOMEM;
    uint64_t h = timer_hash(key, ts);
    sg__timer **slot = find_slot(t, h, key, ts);
    if (*slot)
        return SG_OK;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        sg__timer **heap = sg_realloc(t->heap, cap * sizeof(*heap));
        if (!heap)
            return SG_ENOMEM;
        t->heap = heap;
        t->cap = cap;
    }
    sg__timer *x = new_timer(t, key.len);
    if (!x)
        return SG_ENOMEM;
    x->ts = ts;
    x->seq = t->next_seq++;
    x->hash = h;
    x->kg = kg;
    x->key_len = (uint32_t)key.len;
    if (key.len)
        memcpy(x->key, key.data, key.len);
    x->hnext = NULL;
    *slot = x;
    heap_place(t, t->n++, x);
    sift_up(t, t->n - 1);
    return SG_OK;
}

/* Unlinks x from its bucket by identity: no key comparisons. */
static void unlink_index(sg__timers *t, sg__timer *x)
{
    sg__timer **p = &t->buckets[x->hash & (t->n_buckets - 1)];
    while (*p && *p != x)
        p = &(*p)->hnext;
    if (*p)
        *p = x->hnext;
}

static void heap_remove(sg__timers *t, size_t i)
{
    sg__timer *last = t->heap[--t->n];
    if (i == t->n)
        return;
    heap_place(t, i, last);
    sift_down(t, i);
    sift_up(t, last->heap_idx);
}

int sg__timers_delete(sg__timers *t, sg_bytes key, sg_time ts)
{
    if (!t->n_buckets)
        return SG_NOTFOUND;
    sg__timer **slot = find_slot(t, timer_hash(key, ts), key, ts);
    sg__timer *x = *slot;
    if (!x)
        return SG_NOTFOUND;
    *slot = x->hnext;
    heap_remove(t, x->heap_idx);
    sg__timers_release(t, x);
    return SG_OK;
}

sg__timer *sg__timers_peek(const sg__timers *t)
{
    return t->n ? t->heap[0] : NULL;
}

sg__timer *sg__timers_pop(sg__timers *t)
{
    if (!t->n)
        return NULL;
    sg__timer *x = t->heap[0];
    unlink_index(t, x);
    heap_remove(t, 0);
    return x;
}

static int by_firing_order(const void *a, const void *b)
{
    const sg__timer *x = *(sg__timer *const *)a, *y = *(sg__timer *const *)b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

int sg__timers_snapshot(const sg__timers *t, sg_snap_writer *w)
{
    int rc = sg_snap_put_u64(w, t->n);
    if (rc < 0 || t->n == 0)
        return rc;
    sg__timer **order = sg_malloc(t->n * sizeof(*order));
    if (!order)
        return SG_ENOMEM;
    memcpy(order, t->heap, t->n * sizeof(*order));
    qsort(order, t->n, sizeof(*order), by_firing_order);
    for (size_t i = 0; i < t->n && rc >= 0; i++) {
        if ((rc = sg_snap_put_i64(w, order[i]->ts)) >= 0 &&
            (rc = sg_snap_put_u64(w, order[i]->kg)) >= 0)
            rc = sg_snap_put_bytes(w, order[i]->key, order[i]->key_len);
    }
    sg_free(order);
    return rc;
}

int sg__timers_restore(sg__timers *t, sg_snap_reader *r)
{
    uint64_t n, kg;
    int64_t ts;
    sg_bytes key;
    int rc = sg_snap_get_u64(r, &n);
    for (uint64_t i = 0; i < n && rc >= 0; i++) {
        if ((rc = sg_snap_get_i64(r, &ts)) < 0 || (rc = sg_snap_get_u64(r, &kg)) < 0 ||
            (rc = sg_snap_get_bytes(r, &key)) < 0)
            break;
        if (kg >= 65536)
            return SG_ESERDE;
        rc = sg__timers_set(t, (uint16_t)kg, key, ts);
    }
    return rc;
}
