/* The JSON Lines decoder of Nexmark events (include/sangam/nexmark.h): one flat object
 * a line, as `sangam gen nexmark` writes it, to the record gen:nexmark emits for the
 * same event (ts = dateTime, no key, value = the wire layout).
 *
 * Every field of the event's type is required with its JSON type: integers for ids,
 * prices and times, strings for the rest. Ids and money are never negative in
 * Nexmark, so a negative one is a bad record rather than data; a string longer than
 * the wire layout's 65535 bytes is one too. Each rejection names the field. */
#include <stdio.h>
#include <string.h>

#include <sangam/nexmark.h>

/* One field of an event: its JSON name and where it goes. */
typedef struct nx_int_field {
    const char *name;
    size_t off;        /* offset in sg_nx_event */
    bool non_negative; /* an id or an amount of money */
} nx_int_field;

typedef struct nx_str_field {
    const char *name;
    size_t off;
} nx_str_field;

#define NX_OFF(member) offsetof(sg_nx_event, member)

static const nx_int_field person_ints[] = {
    {"id", NX_OFF(person.id), true},
};
static const nx_str_field person_strs[] = {
    {"name", NX_OFF(person.name)},
    {"emailAddress", NX_OFF(person.email_address)},
    {"creditCard", NX_OFF(person.credit_card)},
    {"city", NX_OFF(person.city)},
    {"state", NX_OFF(person.state)},
};
static const nx_int_field auction_ints[] = {
    {"id", NX_OFF(auction.id), true},           {"initialBid", NX_OFF(auction.initial_bid), true},
    {"reserve", NX_OFF(auction.reserve), true}, {"expires", NX_OFF(auction.expires), false},
    {"seller", NX_OFF(auction.seller), true},   {"category", NX_OFF(auction.category), true},
};
static const nx_str_field auction_strs[] = {
    {"itemName", NX_OFF(auction.item_name)},
    {"description", NX_OFF(auction.description)},
};
static const nx_int_field bid_ints[] = {
    {"auction", NX_OFF(bid.auction), true},
    {"bidder", NX_OFF(bid.bidder), true},
    {"price", NX_OFF(bid.price), true},
};
static const nx_str_field bid_strs[] = {
    {"channel", NX_OFF(bid.channel)},
    {"url", NX_OFF(bid.url)},
};

typedef struct nx_type_fields {
    const char *name;
    const nx_int_field *ints;
    size_t nints;
    const nx_str_field *strs;
    size_t nstrs;
} nx_type_fields;

#define NX_N(a) (sizeof(a) / sizeof((a)[0]))

static const nx_type_fields nx_types[] = {
    [SG_NX_PERSON] = {"person", person_ints, NX_N(person_ints), person_strs, NX_N(person_strs)},
    [SG_NX_AUCTION] = {"auction", auction_ints, NX_N(auction_ints), auction_strs,
                       NX_N(auction_strs)},
    [SG_NX_BID] = {"bid", bid_ints, NX_N(bid_ints), bid_strs, NX_N(bid_strs)},
};

/* Rejects the row being decoded with "<what> field \"<name>\"..." and returns SG_OK. */
static int reject_field(sg_ctx *ctx, const char *type, const char *name, int rc, const char *wanted)
{
    char reason[160];
    if (rc == SG_NOTFOUND)
        snprintf(reason, sizeof(reason), "%s: missing field \"%s\"", type, name);
    else
        snprintf(reason, sizeof(reason), "%s: field \"%s\" %s", type, name, wanted);
    sg_ctx_reject(ctx, NULL, reason);
    return SG_OK;
}

static int read_type(const sg_row *row, sg_nx_type *out)
{
    sg_bytes s;
    int rc = sg_row_get_str(row, "type", &s);
    if (rc != SG_OK)
        return rc;
    for (size_t t = 0; t < NX_N(nx_types); t++) {
        size_t n = strlen(nx_types[t].name);
        if (s.len == n && memcmp(s.data, nx_types[t].name, n) == 0) {
            *out = (sg_nx_type)t;
            return SG_OK;
        }
    }
    return SG_EINVAL;
}

int sg_nx_decode(sg_ctx *ctx, const sg_row *row, void *udata)
{
    sg_nx_event ev = {0};
    int rc;
    SG_UNUSED(udata);
    if ((rc = read_type(row, &ev.type)) != SG_OK) {
        sg_ctx_reject(ctx, NULL,
                      rc == SG_NOTFOUND
                          ? "missing field \"type\""
                          : "field \"type\" is not \"person\", \"auction\" or \"bid\"");
        return SG_OK;
    }
    const nx_type_fields *tf = &nx_types[ev.type];
    if ((rc = sg_row_get_i64(row, "dateTime", &ev.date_time)) != SG_OK)
        return reject_field(ctx, tf->name, "dateTime", rc, "is not an integer (epoch ms)");
    unsigned char *base = (unsigned char *)&ev;
    for (size_t i = 0; i < tf->nints; i++) {
        int64_t v;
        if ((rc = sg_row_get_i64(row, tf->ints[i].name, &v)) != SG_OK)
            return reject_field(ctx, tf->name, tf->ints[i].name, rc, "is not an integer");
        if (v < 0 && tf->ints[i].non_negative)
            return reject_field(ctx, tf->name, tf->ints[i].name, rc, "is negative");
        memcpy(base + tf->ints[i].off, &v, sizeof(v));
    }
    for (size_t i = 0; i <= tf->nstrs; i++) {
        const char *name = i < tf->nstrs ? tf->strs[i].name : "extra";
        sg_bytes *dst = i < tf->nstrs ? (sg_bytes *)(base + tf->strs[i].off) : &ev.extra;
        if ((rc = sg_row_get_str(row, name, dst)) != SG_OK)
            return reject_field(ctx, tf->name, name, rc, "is not a string");
        if (dst->len > UINT16_MAX)
            return reject_field(ctx, tf->name, name, rc, "is longer than 65535 bytes");
    }
    /* Most events are well under 1 KiB; longer ones go through scratch memory. */
    unsigned char stack[1024];
    size_t need = sg_nx_encoded_size(&ev);
    void *buf = need <= sizeof(stack) ? stack : sg_scratch_alloc(ctx, need);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory decoding a %s event", tf->name);
    if (sg_nx_encode(&ev, buf, need) != need)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "nexmark: could not encode a %s event", tf->name);
    sg_bytes none = {0}, value = {buf, need};
    return sg_emit(ctx, ev.date_time, none, value);
}
