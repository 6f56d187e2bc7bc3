/* The timer service of one operator instance: timers keyed by (key, ts), fired in
 * (ts, insertion) order so equal deadlines fire in the order they were set, with an
 * index that makes setting a timer twice a no-op. Single-threaded: owned by the
 * instance's task.
 *
 * Layout, for a window operator's 100 K timers per window end: the heap holds
 * (ts, seq, node) by value, so sifting compares without touching the nodes; the index
 * is open addressing over (hash, node), so a lookup touches a node only when hashes
 * match. A delete unlinks the node from the index and marks it; its heap entry is
 * dropped when it reaches the top. */
#ifndef SG_ENGINE_TIMER_H
#define SG_ENGINE_TIMER_H

#include <stdint.h>

#include <sangam/sangam.h>

typedef struct sg__timer {
    sg_time ts;
    uint64_t seq;
    uint64_t hash;
    struct sg__timer *next_free;
    bool deleted;
    uint16_t kg;
    uint32_t key_len;
    uint32_t key_cap; /* SG__TIMER_SMALL_KEY: a pooled node; else its own allocation */
    char key[];       /* the timer's key bytes */
} sg__timer;

/* Timers with keys up to this size come from a free list: window operators set and
 * fire one timer per key and window, and a malloc each would show in profiles. */
#define SG__TIMER_SMALL_KEY 32

typedef struct sg__timer_ref {
    sg_time ts;
    uint64_t seq;
    sg__timer *t;
} sg__timer_ref;

typedef struct sg__timer_slot {
    uint64_t hash;
    sg__timer *t; /* NULL: empty */
} sg__timer_slot;

typedef struct sg__timers {
    sg__timer_ref *heap;
    size_t n_heap, cap_heap;
    sg__timer_slot *slots;
    size_t mask, n_live;
    uint64_t next_seq;
    sg__timer *pool; /* released small nodes */
} sg__timers;

void sg__timers_init(sg__timers *t);
void sg__timers_free(sg__timers *t);
/* SG_OK (set, or already set) or SG_ENOMEM. */
int sg__timers_set(sg__timers *t, uint16_t kg, sg_bytes key, sg_time ts);
/* SG_OK, or SG_NOTFOUND when no such timer. */
int sg__timers_delete(sg__timers *t, sg_bytes key, sg_time ts);
/* The earliest timer, or NULL (drops deleted timers that reached the top). */
sg__timer *sg__timers_peek(sg__timers *t);
/* Removes the earliest timer and returns it; the caller hands it back with
 * sg__timers_release once done with its key. */
sg__timer *sg__timers_pop(sg__timers *t);
void sg__timers_release(sg__timers *t, sg__timer *x);
/* Writes every timer, in firing order: a count, then (ts, key group, key) each. */
int sg__timers_snapshot(const sg__timers *t, sg_snap_writer *w);
/* Adds the timers of a snapshot (firing order is kept); SG_ESERDE if malformed. */
int sg__timers_restore(sg__timers *t, sg_snap_reader *r);
/* Timers set and not yet fired or deleted. */
static inline size_t sg__timers_count(const sg__timers *t)
{
    return t->n_live;
}

#endif
