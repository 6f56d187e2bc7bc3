/* nxb_common.c — the compact bid, its keys, a count aggregate and the window-maximum
 * candidate header shared by q5, q7, q11 and q12 (see nxb.h). */
#include <string.h>

#include "nxb.h"

int nxb_bids_only(sg_ctx *ctx, const sg_record *in, void *udata)
{
    sg_nx_event ev;
    SG_UNUSED(udata);
    if (sg_nx_type_of(in->value) != SG_NX_BID)
        return SG_OK; /* persons and auctions (and non-events, rejected below) */
    if (sg_nx_view(in->value, &ev) != SG_OK) {
        sg_ctx_reject(ctx, in, "not a Nexmark bid");
        return SG_OK;
    }
    nxb_bid b = {.auction = ev.bid.auction, .bidder = ev.bid.bidder, .price = ev.bid.price};
    sg_bytes none = {0};
    return sg_emit(ctx, in->ts, none, (sg_bytes){&b, sizeof(b)});
}

/* The key points into the record's own value bytes, which key_by allows. */
static int key_at(sg_ctx *ctx, const sg_record *in, sg_bytes *key, size_t off)
{
    if (in->value.len != sizeof(nxb_bid))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "nexmark: a keyed bid of %zu bytes", in->value.len);
    *key = (sg_bytes){(const char *)in->value.data + off, sizeof(int64_t)};
    return SG_OK;
}

int nxb_key_auction(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(udata);
    return key_at(ctx, in, key, offsetof(nxb_bid, auction));
}

int nxb_key_bidder(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(udata);
    return key_at(ctx, in, key, offsetof(nxb_bid, bidder));
}

int64_t nxb_i64_at(sg_bytes b, size_t off)
{
    int64_t v = 0;
    if (off + sizeof(v) <= b.len)
        memcpy(&v, (const char *)b.data + off, sizeof(v));
    return v;
}

size_t nxb_cand_write(void *buf, const nxb_cand *c, const void *payload, size_t len)
{
    memcpy(buf, c, sizeof(*c));
    if (len)
        memcpy((char *)buf + sizeof(*c), payload, len);
    return sizeof(*c) + len;
}

int nxb_cand_read(sg_bytes value, nxb_cand *c, sg_bytes *payload)
{
    if (value.len < sizeof(*c))
        return SG_EINVAL;
    memcpy(c, value.data, sizeof(*c));
    *payload = (sg_bytes){(const char *)value.data + sizeof(*c), value.len - sizeof(*c)};
    return SG_OK;
}
