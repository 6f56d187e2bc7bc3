/* SPSC batch rings (chan.h). The producer owns head, the consumer owns tail; each
 * side reads the other's index with acquire and publishes its own with release. */
#include "engine/chan.h"

sg__chan *sg__chan_new(void)
{
    sg__chan *c = sg_calloc(1, sizeof(*c));
    return c;
}

void sg__chan_free(sg__chan *c)
{
    sg__batch *b;
    if (!c)
        return;
    while ((b = sg__ring_pop(&c->data)))
        sg__batch_free(b);
    while ((b = sg__ring_pop(&c->free)))
        sg__batch_free(b);
    sg_free(c);
}

bool sg__ring_push(sg__ring *r, sg__batch *b)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail == SG__CHAN_CAP)
        return false;
    r->slots[head & (SG__CHAN_CAP - 1)] = b;
    /* seq_cst, not release: the scheduler's sleep protocol (sched.c) needs this store
     * ordered before the producer's later load of the consumer's sleeping flag. */
    atomic_store_explicit(&r->head, head + 1, memory_order_seq_cst);
    return true;
}

sg__batch *sg__ring_pop(sg__ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head == tail)
        return NULL;
    sg__batch *b = r->slots[tail & (SG__CHAN_CAP - 1)];
    atomic_store_explicit(&r->tail, tail + 1, memory_order_seq_cst);
    return b;
}

bool sg__ring_empty(sg__ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_seq_cst) ==
           atomic_load_explicit(&r->tail, memory_order_seq_cst);
}

bool sg__ring_full(sg__ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_seq_cst) -
               atomic_load_explicit(&r->tail, memory_order_seq_cst) ==
           SG__CHAN_CAP;
}

sg__batch *sg__chan_take_free(sg__chan *c)
{
    sg__batch *b = sg__ring_pop(&c->free);
    if (b) {
        sg__batch_reset(b);
        return b;
    }
    return sg__batch_new();
}
