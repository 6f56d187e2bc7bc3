/* Batch storage (batch.h). */
#include <string.h>

#include "engine/batch.h"

sg__batch *sg__batch_new(void)
{
    sg__batch *b = sg_malloc(sizeof(*b));
    if (!b)
        return NULL;
    b->arena = sg_malloc(SG__BATCH_ARENA);
    if (!b->arena) {
        sg_free(b);
        return NULL;
    }
    b->arena_cap = SG__BATCH_ARENA;
    sg__batch_reset(b);
    return b;
}

void sg__batch_free(sg__batch *b)
{
    if (!b)
        return;
    sg_free(b->arena);
    sg_free(b);
}

void sg__batch_reset(sg__batch *b)
{
    b->kind = SG__BATCH_DATA;
    b->wm = SG_TIME_MIN;
    b->ckpt_id = 0;
    b->n = 0;
    b->used = 0;
}

int sg__batch_add(sg__batch *b, const sg_record *rec, sg_time wm, int32_t kg)
{
    size_t need = rec->key.len + rec->value.len;
    if (b->n == SG__BATCH_RECS)
        return SG_AGAIN;
    if (b->used + need > b->arena_cap) {
        /* A record larger than a whole arena gets a grown arena in an empty batch;
         * otherwise the batch is full. */
        if (b->n > 0)
            return SG_AGAIN;
        if (need > UINT32_MAX)
            return SG_EINVAL;
        char *a = sg_realloc(b->arena, need);
        if (!a)
            return SG_ENOMEM;
        b->arena = a;
        b->arena_cap = need;
    }
    sg__brec *r = &b->recs[b->n++];
    r->ts = rec->ts;
    r->wm = wm;
    r->kg = kg;
    r->key_off = (uint32_t)b->used;
    r->key_len = (uint32_t)rec->key.len;
    if (rec->key.len)
        memcpy(b->arena + b->used, rec->key.data, rec->key.len);
    b->used += rec->key.len;
    r->val_off = (uint32_t)b->used;
    r->val_len = (uint32_t)rec->value.len;
    if (rec->value.len)
        memcpy(b->arena + b->used, rec->value.data, rec->value.len);
    b->used += rec->value.len;
    return SG_OK;
}

void sg__batch_get(const sg__batch *b, uint32_t i, sg_record *out, sg_time *wm)
{
    const sg__brec *r = &b->recs[i];
    if (wm)
        *wm = r->wm;
    out->ts = r->ts;
    out->key.data = b->arena + r->key_off;
    out->key.len = r->key_len;
    out->value.data = b->arena + r->val_off;
    out->value.len = r->val_len;
}
