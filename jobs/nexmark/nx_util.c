/* Helpers shared by the Nexmark queries (see nx_util.h). */
#include <string.h>

#include "nx_util.h"

bool nx_is_bid(sg_ctx *ctx, const sg_record *in, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    return sg_nx_type_of(in->value) == SG_NX_BID;
}

int nx_key_i64(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(udata);
    if (in->value.len < sizeof(int64_t))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "nexmark: a projected record of %zu bytes",
                             in->value.len);
    *key = (sg_bytes){in->value.data, sizeof(int64_t)};
    return SG_OK;
}

int64_t nx_i64_of(sg_bytes b)
{
    int64_t v = 0;
    memcpy(&v, b.data, b.len < sizeof(v) ? b.len : sizeof(v));
    return v;
}

int nx_pack(sg_ctx *ctx, const void *fixed, size_t fixed_len, const sg_bytes *strs, int n,
            sg_bytes *out)
{
    size_t len = fixed_len + 2 * (size_t)n;
    for (int i = 0; i < n; i++)
        len += strs[i].len > UINT16_MAX ? UINT16_MAX : strs[i].len;
    unsigned char *p = sg_scratch_alloc(ctx, len);
    if (!p)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    *out = (sg_bytes){p, len};
    memcpy(p, fixed, fixed_len);
    p += fixed_len;
    for (int i = 0; i < n; i++, p += 2) {
        uint16_t l = strs[i].len > UINT16_MAX ? UINT16_MAX : (uint16_t)strs[i].len;
        memcpy(p, &l, 2);
    }
    for (int i = 0; i < n; i++) {
        size_t l = strs[i].len > UINT16_MAX ? UINT16_MAX : strs[i].len;
        if (l)
            memcpy(p, strs[i].data, l);
        p += l;
    }
    return SG_OK;
}

int nx_unpack(sg_bytes v, void *fixed, size_t fixed_len, sg_bytes *strs, int n)
{
    const unsigned char *p = v.data, *end = p + v.len;
    if (v.len < fixed_len + 2 * (size_t)n)
        return SG_ESERDE;
    memcpy(fixed, p, fixed_len);
    p += fixed_len;
    const unsigned char *s = p + 2 * (size_t)n;
    for (int i = 0; i < n; i++, p += 2) {
        uint16_t l;
        memcpy(&l, p, 2);
        if ((size_t)(end - s) < l)
            return SG_ESERDE;
        strs[i] = (sg_bytes){s, l};
        s += l;
    }
    return s == end ? SG_OK : SG_ESERDE;
}

int nx_sink(sg_stream *s, const nx_options *o, const char *header, sg_encode_fn encode)
{
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1, .header = header, .encode = encode};
    return sg_stream_sink(s, "output", o->output, &enc);
}

sg_time nx_window_start(sg_time ts, sg_time size)
{
    sg_time r = ts % size;
    return r < 0 ? ts - r - size : ts - r;
}
