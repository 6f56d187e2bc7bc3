/* state_ctx.h — helpers shared by the files implementing the sg_state_* calls:
 * ctx_state.c (declarations, values, aggregates, TTL), state_list.c and state_map.c.
 * Layering: they sit on sg_ctx (ctx.h), the kv (state.h) and the formats of
 * state_kinds.h; nothing else includes this header.
 */
#ifndef SG_ENGINE_STATE_CTX_H
#define SG_ENGINE_STATE_CTX_H

#include "engine/ctx.h"
#include "engine/state_kinds.h"

/* Records the kv's last error (or "state used before sg_state_declare") on ctx and
 * returns rc. */
int sg__state_fail(sg_ctx *ctx, int rc);

/* The metadata of state id, which must have been declared with 'kind'; SG_EINVAL
 * with a message otherwise (or when no state was declared at all). */
int sg__state_check(sg_ctx *ctx, sg_state_id id, sg_state_kind kind, const sg__state_meta **m);

/* "Now" in the TTL domain of m. */
sg_time sg__state_now(const sg_ctx *ctx, const sg__state_meta *m);

/* Copies the bytes of each non-empty b[i] into scratch memory and points b[i] at the
 * copy: callers' bytes may be an earlier state read, which a kv call may move.
 * SG_ENOMEM with a message when out of memory. */
int sg__state_own(sg_ctx *ctx, sg_bytes *b, size_t n);

/* Stores v (of length len) as the value of (id, ns) of the current key, deleting the
 * entry when len is 0 (an empty list or map is an absent one). */
int sg__state_store(sg_ctx *ctx, sg_state_id id, int64_t ns, const void *v, size_t len);

#endif
