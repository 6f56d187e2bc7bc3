/* Timer heap with a dedup index (timer.h). */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "engine/timer.h"

#define FIRST_SLOTS 1024

void sg__timers_init(sg__timers *t)
{
    memset(t, 0, sizeof(*t));
}

void sg__timers_free(sg__timers *t)
{
    for (size_t i = 0; i < t->n_heap; i++)
        sg_free(t->heap[i].t); /* every node, deleted or not, has one heap entry */
    while (t->pool) {
        sg__timer *x = t->pool;
        t->pool = x->next_free;
        sg_free(x);
    }
    sg_free(t->heap);
    sg_free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* ---- The heap of (ts, seq, node), ordered by (ts, seq) -------------------------------- */

static bool before(const sg__timer_ref *a, const sg__timer_ref *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void sift_up(sg__timers *t, size_t i)
{
    sg__timer_ref x = t->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&x, &t->heap[parent]))
            break;
        t->heap[i] = t->heap[parent];
        i = parent;
    }
    t->heap[i] = x;
}

static void sift_down(sg__timers *t, size_t i)
{
    sg__timer_ref x = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->n_heap)
            break;
        if (c + 1 < t->n_heap && before(&t->heap[c + 1], &t->heap[c]))
            c++;
        if (!before(&t->heap[c], &x))
            break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    t->heap[i] = x;
}

static sg__timer *heap_pop_top(sg__timers *t)
{
    sg__timer *x = t->heap[0].t;
    t->heap[0] = t->heap[--t->n_heap];
    if (t->n_heap)
        sift_down(t, 0);
    return x;
}

/* ---- The index: open addressing over (hash, node), backward-shift deletion ------------ */

static uint64_t timer_hash(sg_bytes key, sg_time ts)
{
    return XXH3_64bits_withSeed(key.data, key.len, (uint64_t)ts);
}

static bool same(const sg__timer *x, uint64_t h, sg_bytes key, sg_time ts)
{
    return x->hash == h && x->ts == ts && x->key_len == key.len &&
           (key.len == 0 || memcmp(x->key, key.data, key.len) == 0);
}

/* The slot holding (key, ts), or the empty slot where it would go. */
static size_t find_slot(const sg__timers *t, uint64_t h, sg_bytes key, sg_time ts)
{
    size_t i = h & t->mask;
    while (t->slots[i].t && !(t->slots[i].hash == h && same(t->slots[i].t, h, key, ts)))
        i = (i + 1) & t->mask;
    return i;
}

static void place(sg__timers *t, sg__timer *x)
{
    size_t i = x->hash & t->mask;
    while (t->slots[i].t)
        i = (i + 1) & t->mask;
    t->slots[i].hash = x->hash;
    t->slots[i].t = x;
}

static int grow_index(sg__timers *t)
{
    size_t n = t->slots ? (t->mask + 1) * 2 : FIRST_SLOTS;
    sg__timer_slot *old = t->slots;
    size_t old_n = t->slots ? t->mask + 1 : 0;
    if (!(t->slots = sg_calloc(n, sizeof(*t->slots)))) {
        t->slots = old;
        return SG_ENOMEM;
    }
    t->mask = n - 1;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].t)
            place(t, old[i].t);
    sg_free(old);
    return SG_OK;
}

static void unlink_slot(sg__timers *t, size_t i)
{
    t->slots[i].t = NULL;
    for (size_t j = (i + 1) & t->mask; t->slots[j].t; j = (j + 1) & t->mask) {
        size_t home = t->slots[j].hash & t->mask;
        if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
            t->slots[i] = t->slots[j];
            t->slots[j].t = NULL;
            i = j;
        }
    }
}

static void unlink_index(sg__timers *t, const sg__timer *x)
{
    size_t i = x->hash & t->mask;
    while (t->slots[i].t != x)
        i = (i + 1) & t->mask;
    unlink_slot(t, i);
}

/* ---- Nodes ------------------------------------------------------------------------------ */

static sg__timer *new_timer(sg__timers *t, size_t key_len)
{
    sg__timer *x;
    if (key_len <= SG__TIMER_SMALL_KEY && t->pool) {
        x = t->pool;
        t->pool = x->next_free;
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
        x->next_free = t->pool;
        t->pool = x;
    } else {
        sg_free(x);
    }
}

/* ---- Operations --------------------------------------------------------------------------- */

int sg__timers_set(sg__timers *t, uint16_t kg, sg_bytes key, sg_time ts)
{
    /* The index stays at most half full, so probes are short. */
    if ((t->n_live + 1) * 2 > (t->slots ? t->mask + 1 : 0) && grow_index(t) < 0)
        return SG_ENOMEM;
    uint64_t h = timer_hash(key, ts);
    size_t slot = find_slot(t, h, key, ts);
    if (t->slots[slot].t)
        return SG_OK;
    if (t->n_heap == t->cap_heap) {
        size_t cap = t->cap_heap ? t->cap_heap * 2 : 1024;
        sg__timer_ref *heap = sg_realloc(t->heap, cap * sizeof(*heap));
        if (!heap)
            return SG_ENOMEM;
        t->heap = heap;
        t->cap_heap = cap;
    }
    sg__timer *x = new_timer(t, key.len);
    if (!x)
        return SG_ENOMEM;
    x->ts = ts;
    x->seq = t->next_seq++;
    x->hash = h;
    x->deleted = false;
    x->kg = kg;
    x->key_len = (uint32_t)key.len;
    if (key.len)
        memcpy(x->key, key.data, key.len);
    t->slots[slot].hash = h;
    t->slots[slot].t = x;
    t->n_live++;
    t->heap[t->n_heap] = (sg__timer_ref){ts, x->seq, x};
    sift_up(t, t->n_heap++);
    return SG_OK;
}

int sg__timers_delete(sg__timers *t, sg_bytes key, sg_time ts)
{
    if (!t->slots)
        return SG_NOTFOUND;
    size_t slot = find_slot(t, timer_hash(key, ts), key, ts);
    sg__timer *x = t->slots[slot].t;
    if (!x)
        return SG_NOTFOUND;
    unlink_slot(t, slot);
    x->deleted = true; /* its heap entry goes when it reaches the top */
    t->n_live--;
    return SG_OK;
}

sg__timer *sg__timers_peek(sg__timers *t)
{
    while (t->n_heap && t->heap[0].t->deleted)
        sg__timers_release(t, heap_pop_top(t));
    return t->n_heap ? t->heap[0].t : NULL;
}

sg__timer *sg__timers_pop(sg__timers *t)
{
    if (!sg__timers_peek(t))
        return NULL;
    sg__timer *x = heap_pop_top(t);
    unlink_index(t, x);
    t->n_live--;
    return x;
}

/* ---- Snapshots ---------------------------------------------------------------------------- */

static int by_firing_order(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

int sg__timers_snapshot(const sg__timers *t, sg_snap_writer *w)
{
    int rc = sg_snap_put_u64(w, t->n_live);
    if (rc < 0 || t->n_live == 0)
        return rc;
    sg__timer_ref *order = sg_malloc(t->n_heap * sizeof(*order));
    if (!order)
        return SG_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_heap; i++)
        if (!t->heap[i].t->deleted)
            order[n++] = t->heap[i];
    qsort(order, n, sizeof(*order), by_firing_order);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const sg__timer *x = order[i].t;
        if ((rc = sg_snap_put_i64(w, x->ts)) >= 0 && (rc = sg_snap_put_u64(w, x->kg)) >= 0)
            rc = sg_snap_put_bytes(w, x->key, x->key_len);
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
