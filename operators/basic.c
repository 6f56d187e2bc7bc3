/* Stateless built-ins: map, filter, flat_map and key_by. Each calls the user's
 * function from its configuration (sg_ctx_udata) once per record. */
#include <string.h>

#include "operators/builtin_ops.h"

static int map_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_fn_config *c = sg_ctx_udata(ctx);
    sg_record out = *rec;
    SG_UNUSED(self);
    SG_UNUSED(port);
    int rc = c->fn.map(ctx, rec, &out, c->udata);
    return rc < 0 ? rc : sg_emit_record(ctx, &out);
}

static int filter_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_fn_config *c = sg_ctx_udata(ctx);
    SG_UNUSED(self);
    SG_UNUSED(port);
    return c->fn.filter(ctx, rec, c->udata) ? sg_emit_record(ctx, rec) : SG_OK;
}

static int flat_map_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_fn_config *c = sg_ctx_udata(ctx);
    SG_UNUSED(self);
    SG_UNUSED(port);
    return c->fn.flat_map(ctx, rec, c->udata);
}

static int key_by_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const sg_fn_config *c = sg_ctx_udata(ctx);
    sg_bytes key = {0};
    SG_UNUSED(self);
    SG_UNUSED(port);
    int rc = c->fn.key(ctx, rec, &key, c->udata);
    return rc < 0 ? rc : sg_emit(ctx, rec->ts, key, rec->value);
}

const sg_operator_def sg_map_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "map",
    .n_inputs = 1,
    .process = map_process,
};
const sg_operator_def sg_filter_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "filter",
    .n_inputs = 1,
    .process = filter_process,
};
const sg_operator_def sg_flat_map_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "flat_map",
    .n_inputs = 1,
    .process = flat_map_process,
};
const sg_operator_def sg_key_by_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "key_by",
    .n_inputs = 1,
    .process = key_by_process,
};

/* ---- The count aggregate ------------------------------------------------------ */

int sg_count_add(void *acc, const sg_record *rec, void *udata)
{
    SG_UNUSED(rec);
    SG_UNUSED(udata);
    uint64_t n;
    memcpy(&n, acc, sizeof(n));
    n++;
    memcpy(acc, &n, sizeof(n));
    return SG_OK;
}

void sg_count_merge(void *acc, const void *other, void *udata)
{
    SG_UNUSED(udata);
    uint64_t a, b;
    memcpy(&a, acc, sizeof(a));
    memcpy(&b, other, sizeof(b));
    a += b;
    memcpy(acc, &a, sizeof(a));
}
