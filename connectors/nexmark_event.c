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
 * The layout per type is a table of field offsets in sg_nx_event, so encoding and
 * viewing are straight loops: this runs for every event of every Nexmark query.
 *
 * Integers are in host order: records never leave the process except in snapshots,
 * which a machine of another byte order does not restore anyway. */
#include <stddef.h>
#include <string.h>

#include <sangam/nexmark.h>

enum { NX_MAX_INTS = 6, NX_MAX_STRS = 6, NX_HEAD = 1 + 8 };

/* Where a type's integer and string fields live in sg_nx_event, in wire order. */
typedef struct nx_layout {
    uint8_t nints, nstrs;
    uint16_t ints[NX_MAX_INTS];
    uint16_t strs[NX_MAX_STRS];
} nx_layout;

#define NX_OFF(m) ((uint16_t)offsetof(sg_nx_event, m))

static const nx_layout nx_layouts[3] = {
    [SG_NX_PERSON] = {1,
                      6,
                      {NX_OFF(person.id)},
                      {NX_OFF(person.name), NX_OFF(person.email_address),
                       NX_OFF(person.credit_card), NX_OFF(person.city), NX_OFF(person.state),
                       NX_OFF(extra)}},
    [SG_NX_AUCTION] = {6,
                       3,
                       {NX_OFF(auction.id), NX_OFF(auction.initial_bid), NX_OFF(auction.reserve),
                        NX_OFF(auction.expires), NX_OFF(auction.seller), NX_OFF(auction.category)},
                       {NX_OFF(auction.item_name), NX_OFF(auction.description), NX_OFF(extra)}},
    [SG_NX_BID] = {3,
                   3,
                   {NX_OFF(bid.auction), NX_OFF(bid.bidder), NX_OFF(bid.price)},
                   {NX_OFF(bid.channel), NX_OFF(bid.url), NX_OFF(extra)}},
};

static const nx_layout *layout_of(int type)
{
    return (unsigned)type <= SG_NX_BID ? &nx_layouts[type] : NULL;
}

static const sg_bytes *str_at(const sg_nx_event *ev, uint16_t off)
{
    return (const sg_bytes *)(const void *)((const char *)ev + off);
}

/* The encoded size, or 0 for an unknown type or a string over 65535 bytes. */
static size_t encoded_size(const sg_nx_event *ev, const nx_layout *l)
{
    size_t n = NX_HEAD + 8 * (size_t)l->nints + 2 * (size_t)l->nstrs;
    for (int i = 0; i < l->nstrs; i++) {
        size_t len = str_at(ev, l->strs[i])->len;
        if (len > UINT16_MAX)
            return 0;
        n += len;
    }
    return n;
}

size_t sg_nx_encoded_size(const sg_nx_event *ev)
{
    const nx_layout *l = layout_of(ev->type);
    return l ? encoded_size(ev, l) : 0;
}

size_t sg_nx_encode(const sg_nx_event *ev, void *buf, size_t cap)
{
    const nx_layout *l = layout_of(ev->type);
    size_t need = l ? encoded_size(ev, l) : 0;
    if (need == 0 || need > cap)
        return 0;
    unsigned char *p = buf;
    *p++ = (unsigned char)ev->type;
    memcpy(p, &ev->date_time, 8);
    p += 8;
    for (int i = 0; i < l->nints; i++, p += 8)
        memcpy(p, (const char *)ev + l->ints[i], 8);
    for (int i = 0; i < l->nstrs; i++, p += 2) {
        uint16_t len = (uint16_t)str_at(ev, l->strs[i])->len;
        memcpy(p, &len, 2);
    }
    for (int i = 0; i < l->nstrs; i++) {
        const sg_bytes *b = str_at(ev, l->strs[i]);
        if (b->len)
            memcpy(p, b->data, b->len);
        p += b->len;
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

/* Only the fields of the event's type are written (no memset: this is per event). */
int sg_nx_view(sg_bytes value, sg_nx_event *out)
{
    const nx_layout *l = layout_of(sg_nx_type_of(value));
    if (!l)
        return SG_EINVAL;
    const unsigned char *p = value.data, *end = p + value.len;
    size_t fixed = NX_HEAD + 8 * (size_t)l->nints + 2 * (size_t)l->nstrs;
    if (value.len < fixed)
        return SG_EINVAL;
    out->type = (sg_nx_type)p[0];
    memcpy(&out->date_time, p + 1, 8);
    p += NX_HEAD;
    char *base = (char *)out;
    for (int i = 0; i < l->nints; i++, p += 8)
        memcpy(base + l->ints[i], p, 8);
    const unsigned char *s = p + 2 * l->nstrs;
    for (int i = 0; i < l->nstrs; i++, p += 2) {
        uint16_t len;
        memcpy(&len, p, 2);
        if ((size_t)(end - s) < len)
            return SG_EINVAL;
        sg_bytes *b = (sg_bytes *)(void *)(base + l->strs[i]);
        b->data = s;
        b->len = len;
        s += len;
    }
    return s == end ? SG_OK : SG_EINVAL;
}
