/* Channels: bounded single-producer/single-consumer rings of batch pointers between
 * two subtasks, plus a return ring through which the consumer hands emptied batches
 * back to the producer for reuse. Indices are published once per batch, so the
 * cross-core cost is paid per batch, never per record. A full ring is backpressure:
 * the producer keeps its batch and is not scheduled until the consumer makes room.
 * Calls: sg__chan_push/sg__chan_take_free on the producer thread only,
 * sg__chan_peek/sg__chan_pop/sg__chan_give_free on the consumer thread only. */
#ifndef SG_ENGINE_CHAN_H
#define SG_ENGINE_CHAN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "engine/batch.h"

#define SG__CHAN_CAP 8 /* batches in flight per channel; a power of two */

typedef struct sg__ring {
    _Alignas(64) _Atomic size_t head; /* next slot to write (producer) */
    _Alignas(64) _Atomic size_t tail; /* next slot to read (consumer) */
    _Alignas(64) sg__batch *slots[SG__CHAN_CAP];
} sg__ring;

typedef struct sg__chan {
    sg__ring data; /* producer -> consumer */
    sg__ring free; /* consumer -> producer: emptied batches */
    struct sg__subtask *producer, *consumer;
} sg__chan;

sg__chan *sg__chan_new(void);
void sg__chan_free(sg__chan *c); /* frees the batches still inside */

bool sg__ring_push(sg__ring *r, sg__batch *b);
sg__batch *sg__ring_pop(sg__ring *r);
bool sg__ring_empty(sg__ring *r);
bool sg__ring_full(sg__ring *r);

/* A batch for the producer to fill: a recycled one, else a new one (NULL: no memory). */
sg__batch *sg__chan_take_free(sg__chan *c);

#endif
