/* Snapshot writers and readers (snap.h). */
#include <string.h>

#include "engine/snap.h"

static int append(void *data, const char *buf, size_t len)
{
    sg_snap_writer *w = data;
    if (w->failed)
        return -1;
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + len)
            cap *= 2;
        char *b = sg_realloc(w->buf, cap);
        if (!b) {
            w->failed = true;
            return -1;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, buf, len);
    w->len += len;
    return 0;
}

void sg__snap_writer_init(sg_snap_writer *w)
{
    memset(w, 0, sizeof(*w));
    msgpack_packer_init(&w->pk, w, append);
}

void sg__snap_writer_free(sg_snap_writer *w)
{
    sg_free(w->buf);
    memset(w, 0, sizeof(*w));
}

sg_bytes sg__snap_writer_bytes(const sg_snap_writer *w)
{
    sg_bytes b = {w->buf, w->len};
    return b;
}

int sg_snap_put_u64(sg_snap_writer *w, uint64_t v)
{
    return msgpack_pack_uint64(&w->pk, v) == 0 ? SG_OK : SG_ENOMEM;
}

int sg_snap_put_i64(sg_snap_writer *w, int64_t v)
{
    return msgpack_pack_int64(&w->pk, v) == 0 ? SG_OK : SG_ENOMEM;
}

int sg_snap_put_bytes(sg_snap_writer *w, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return SG_EINVAL;
    if (msgpack_pack_bin(&w->pk, len) != 0 ||
        (len && msgpack_pack_bin_body(&w->pk, data, len) != 0))
        return SG_ENOMEM;
    return SG_OK;
}

void sg__snap_reader_init(sg_snap_reader *r, const void *data, size_t len)
{
    r->data = data;
    r->len = len;
    r->off = 0;
    msgpack_unpacked_init(&r->obj);
}

void sg__snap_reader_free(sg_snap_reader *r)
{
    msgpack_unpacked_destroy(&r->obj);
}

bool sg__snap_reader_done(const sg_snap_reader *r)
{
    return r->off >= r->len;
}

static const msgpack_object *next(sg_snap_reader *r)
{
    if (r->off >= r->len)
        return NULL;
    if (msgpack_unpack_next(&r->obj, r->data, r->len, &r->off) != MSGPACK_UNPACK_SUCCESS)
        return NULL;
    return &r->obj.data;
}

int sg_snap_get_u64(sg_snap_reader *r, uint64_t *v)
{
    const msgpack_object *o = next(r);
    if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return SG_ESERDE;
    *v = o->via.u64;
    return SG_OK;
}

int sg_snap_get_i64(sg_snap_reader *r, int64_t *v)
{
    const msgpack_object *o = next(r);
    if (!o)
        return SG_ESERDE;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = o->via.i64;
    else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *v = (int64_t)o->via.u64;
    else
        return SG_ESERDE;
    return SG_OK;
}

int sg_snap_get_bytes(sg_snap_reader *r, sg_bytes *out)
{
    const msgpack_object *o = next(r);
    if (!o || o->type != MSGPACK_OBJECT_BIN)
        return SG_ESERDE;
    out->data = o->via.bin.ptr;
    out->len = o->via.bin.size;
    return SG_OK;
}
