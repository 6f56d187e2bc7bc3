/* The timer service of one operator instance: timers keyed by (key, ts), kept in a
 * min-heap ordered by (ts, insertion sequence) so equal deadlines fire in the order
 * they were set, with a hash index that makes setting a timer twice a no-op and
 * deleting one O(log n). Single-threaded: owned by the instance's task. */
#ifndef SG_ENGINE_TIMER_H
#define SG_ENGINE_TIMER_H

#include <stdint.h>

#include <sangam/sangam.h>


typedef struct sg__timer {
    sg_time ts;
    uint64_t seq;
    uint64_t hash;
    size_t heap_idx;
    struct sg__timer *hnext;
    uint16_t kg;
    uint32_t key_len;
    uint32_t key_cap; /* SG__TIMER_SMALL_KEY: a pooled node; else its own allocation */
    char key[];       /* the timer's key bytes */
} sg__timer;

/* Timers with keys up to this size come from a free list: window operators set and
 * fire one timer per key and window, and a malloc each would show in profiles. */
#define SG__TIMER_SMALL_KEY 32

typedef struct sg__timers {
    sg__timer **heap;
    size_t n, cap;
    sg__timer **buckets;
    size_t n_buckets;
    uint64_t next_seq;
    sg__timer *pool; /* released small nodes, linked through hnext */
} sg__timers;

void sg__timers_init(sg__timers *t);
void sg__timers_free(sg__timers *t);
/* SG_OK (set, or already set) or SG_ENOMEM. */
int sg__timers_set(sg__timers *t, uint16_t kg, sg_bytes key, sg_time ts);
/* SG_OK, or SG_NOTFOUND when no such timer. */
int sg__timers_delete(sg__timers *t, sg_bytes key, sg_time ts);
/* The earliest timer, or NULL. */
sg__timer *sg__timers_peek(const sg__timers *t);
/* Removes the earliest timer and returns it; the caller hands it back with
 * sg__timers_release once done with its key. */
sg__timer *sg__timers_pop(sg__timers *t);
void sg__timers_release(sg__timers *t, sg__timer *x);
/* Writes every timer, in firing order: a count, then (ts, key group, key) each. */
int sg__timers_snapshot(const sg__timers *t, sg_snap_writer *w);
/* Adds the timers of a snapshot (firing order is kept); SG_ESERDE if malformed. */
int sg__timers_restore(sg__timers *t, sg_snap_reader *r);
static inline size_t sg__timers_count(const sg__timers *t) { return t->n; }

#endif
