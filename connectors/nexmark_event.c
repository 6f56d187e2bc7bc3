/* The wire layout of a Nexmark event (include/sangam/nexmark.h): how an event is a
 * record value. Batch slots are not aligned, so every field is read with memcpy.
 *
 *   u8      type (sg_nx_type)
 *   i64     date_time
 *   i64 x I the type's integers, in this order:
 *             person:  id
 *             auction: id, initial_bid, reserve, expires, seller, category
 *             bid:     auction, bidder, price
 *   u16 x S the lengths of the type's strings, in this order:
 *             person:  name, email_address, credit_card, city, state, extra
 *             auction: item_name, description, extra
 *             bid:     channel, url, extra
 *   bytes   the strings, back to back
 *
 * Integers are in host order: records never leave the process except in snapshots,
 * which a machine of another byte order does not restore anyway. */
#include <string.h>

#include <sangam/nexmark.h>

enum { NX_MAX_INTS = 6, NX_MAX_STRS = 6, NX_HEAD = 1 + 8 };

/* The integer and string fields of ev, as pointers into it, in wire order. */
typedef struct nx_fields {
    int nints, nstrs;
    int64_t *ints[NX_MAX_INTS];
    sg_bytes *strs[NX_MAX_STRS];
} nx_fields;

static int nx_fields_of(sg_nx_event *ev, nx_fields *f)
{
    switch (ev->type) {
    case SG_NX_PERSON: {
        sg_nx_person *p = &ev->person;
        *f = (nx_fields){
            1,
            6,
            {&p->id},
            {&p->name, &p->email_address, &p->credit_card, &p->city, &p->state, &ev->extra}};
        return SG_OK;
    }
    case SG_NX_AUCTION: {
        sg_nx_auction *a = &ev->auction;
        *f = (nx_fields){
            6,
            3,
            {&a->id, &a->initial_bid, &a->reserve, &a->expires, &a->seller, &a->category},
            {&a->item_name, &a->description, &ev->extra}};
        return SG_OK;
    }
    case SG_NX_BID: {
        sg_nx_bid *b = &ev->bid;
        *f = (nx_fields){
            3, 3, {&b->auction, &b->bidder, &b->price}, {&b->channel, &b->url, &ev->extra}};
        return SG_OK;
    }
    }
    return SG_EINVAL;
}

size_t sg_nx_encoded_size(const sg_nx_event *ev)
{
    nx_fields f;
    /* nx_fields_of only takes addresses; nothing is written through them here. */
    if (nx_fields_of((sg_nx_event *)(uintptr_t)ev, &f) != SG_OK)
        return 0;
    size_t n = NX_HEAD + 8 * (size_t)f.nints + 2 * (size_t)f.nstrs;
    for (int i = 0; i < f.nstrs; i++)
        n += f.strs[i]->len;
    return n;
}

size_t sg_nx_encode(const sg_nx_event *ev, void *buf, size_t cap)
{
    nx_fields f;
    if (nx_fields_of((sg_nx_event *)(uintptr_t)ev, &f) != SG_OK)
        return 0;
    size_t need = sg_nx_encoded_size(ev);
    if (need > cap)
        return 0;
    unsigned char *p = buf;
    *p++ = (unsigned char)ev->type;
    memcpy(p, &ev->date_time, 8);
    p += 8;
    for (int i = 0; i < f.nints; i++, p += 8)
        memcpy(p, f.ints[i], 8);
    for (int i = 0; i < f.nstrs; i++, p += 2) {
        if (f.strs[i]->len > UINT16_MAX)
            return 0;
        uint16_t len = (uint16_t)f.strs[i]->len;
        memcpy(p, &len, 2);
    }
    for (int i = 0; i < f.nstrs; i++) {
        if (f.strs[i]->len)
            memcpy(p, f.strs[i]->data, f.strs[i]->len);
        p += f.strs[i]->len;
    }
    return need;
}

int sg_nx_type_of(sg_bytes value)
{
    if (value.len < NX_HEAD)
        return -1;
    int t = *(const unsigned char *)value.data;
    return t <= SG_NX_BID ? t : -1;
}

int sg_nx_view(sg_bytes value, sg_nx_event *out)
{
    int t = sg_nx_type_of(value);
    if (t < 0)
        return SG_EINVAL;
    memset(out, 0, sizeof(*out));
    out->type = (sg_nx_type)t;
    nx_fields f;
    nx_fields_of(out, &f);
    const unsigned char *p = value.data, *end = p + value.len;
    size_t fixed = NX_HEAD + 8 * (size_t)f.nints + 2 * (size_t)f.nstrs;
    if (value.len < fixed)
        return SG_EINVAL;
    memcpy(&out->date_time, p + 1, 8);
    p += NX_HEAD;
    for (int i = 0; i < f.nints; i++, p += 8)
        memcpy(f.ints[i], p, 8);
    const unsigned char *s = p + 2 * f.nstrs;
    for (int i = 0; i < f.nstrs; i++, p += 2) {
        uint16_t len;
        memcpy(&len, p, 2);
        if ((size_t)(end - s) < len)
            return SG_EINVAL;
        *f.strs[i] = (sg_bytes){s, len};
        s += len;
    }
    return s == end ? SG_OK : SG_EINVAL;
}
