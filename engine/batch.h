/* Batches: the unit that travels between subtasks. A batch holds up to SG__BATCH_RECS
 * records whose key and value bytes live in the batch's own arena, or one control
 * message (a watermark, the end of input, a checkpoint barrier). Batches are recycled through their
 * channel's return ring, so the steady state allocates nothing. */
#ifndef SG_ENGINE_BATCH_H
#define SG_ENGINE_BATCH_H

#include <stdint.h>

#include <sangam/sangam.h>

#define SG__BATCH_RECS 1024
#define SG__BATCH_ARENA (64 * 1024)

typedef enum sg__batch_kind {
    SG__BATCH_DATA,
    SG__BATCH_WATERMARK, /* wm */
    SG__BATCH_END,       /* end of input on this channel */
    SG__BATCH_IDLE,      /* the producer has nothing for now: leave it out of the minimum */
    SG__BATCH_ACTIVE,    /* the producer has records again */
    SG__BATCH_BARRIER,   /* checkpoint barrier ckpt_id: everything before it is in the
                          * checkpoint, everything after it is not (ckpt.h) */
} sg__batch_kind;

typedef struct sg__brec {
    sg_time ts;
    sg_time wm; /* the watermark its source had announced before it (see ctx.h) */
    uint32_t key_off, key_len;
    uint32_t val_off, val_len;
    int32_t kg; /* the key group when a hash exchange computed it, else -1 */
} sg__brec;

typedef struct sg__batch {
    sg__batch_kind kind;
    sg_time wm;
    uint64_t ckpt_id; /* SG__BATCH_BARRIER */
    uint32_t n;
    size_t used, arena_cap;
    char *arena;
    sg__brec recs[SG__BATCH_RECS];
} sg__batch;

sg__batch *sg__batch_new(void);
void sg__batch_free(sg__batch *b);
void sg__batch_reset(sg__batch *b);
/* Appends a copy of rec. Returns SG_OK, SG_AGAIN when the batch is full (rec is not
 * added; send the batch and retry on a fresh one), or SG_ENOMEM. */
int sg__batch_add(sg__batch *b, const sg_record *rec, sg_time wm, int32_t kg);
/* Record i, and the source watermark that travels with it (NULL: not wanted). */
void sg__batch_get(const sg__batch *b, uint32_t i, sg_record *out, sg_time *wm);

#endif
