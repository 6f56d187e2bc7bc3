/* Keyed state calls of sg_ctx: declarations, value and aggregating states, state TTL
 * and its incremental cleanup. The current key and key group, plus the namespace the
 * operator gives, address the instance's kv (state.h). The kv is opened on the first
 * declaration, so stateless operators never create a RocksDB. Lists and maps are in
 * state_list.c and state_map.c; what each kind stores is drawn in state_kinds.h.
 *
 * Fast path: a value state without TTL is exactly the kv's get/put/ref. Every call
 * first tests ctx->n_special, which stays 0 unless the instance declared a map, an
 * aggregate or a TTL; only then is the state's metadata looked at. */
#include <string.h>

#include "engine/common.h"
#include "engine/state_ctx.h"

/* TTL cleanup pacing (see sangam.h, TTL rule 4). A sweep step visits SWEEP_BUDGET
 * cache slots and, per TTL state, SWEEP_BUDGET backend entries, every SWEEP_EVERY
 * records: 4 entries per record, while a record adds at most a few. So a pass over
 * the stored entries finishes faster than the store grows, and what expired is gone
 * within about two passes. Watermarks run a larger step, so that a stream whose
 * records stopped still cleans up as time passes. */
#define SWEEP_EVERY 16
#define SWEEP_BUDGET 64
#define SWEEP_WM_BUDGET 256
#define SWEEP_MAX_BUDGET 4096

static int open_kv(sg_ctx *ctx)
{
    char err[512];
    sg__kv_config cfg = {
        .backend = ctx->backend,
        .dir = ctx->state_dir,
        .cache_entries = ctx->cache_entries,
    };
    if (ctx->backend == SG__KV_ROCKSDB && !ctx->state_dir)
        return sg_ctx_errorf(ctx, SG_ESTATE, "%s: no state directory", ctx->name);
    if (sg__kv_open(&cfg, &ctx->kv, err, sizeof(err)) < 0)
        return sg_ctx_errorf(ctx, SG_ESTATE, "%s: cannot open state: %s", ctx->name, err);
    return SG_OK;
}

int sg__state_open(sg_ctx *ctx)
{
    return ctx->kv ? SG_OK : open_kv(ctx);
}

/* ---- Shared helpers (state_ctx.h) ------------------------------------------ */

int sg__state_fail(sg_ctx *ctx, int rc)
{
    if (!ctx->kv)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state used before sg_state_declare", ctx->name);
    return sg_ctx_errorf(ctx, rc, "%s: state: %s", ctx->name, sg__kv_errmsg(ctx->kv));
}

static const char *const kind_names[] = {"a value", "a list", "a map", "an aggregating state"};

int sg__state_check(sg_ctx *ctx, sg_state_id id, sg_state_kind kind, const sg__state_meta **m)
{
    if (!ctx->kv)
        return sg__state_fail(ctx, SG_EINVAL);
    if (id >= ctx->n_states || ctx->states[id].kind != kind + 1)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state %u is not %s", ctx->name, (unsigned)id,
                             kind_names[kind]);
    *m = &ctx->states[id];
    return SG_OK;
}

sg_time sg__state_now(const sg_ctx *ctx, const sg__state_meta *m)
{
    return m->ttl.domain == SG_TIME_PROCESSING ? sg_ctx_processing_time(ctx)
                                               : sg_ctx_watermark(ctx);
}

int sg__state_own(sg_ctx *ctx, sg_bytes *b, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += b[i].len;
    if (!len)
        return SG_OK;
    unsigned char *p = sg_scratch_alloc(ctx, len);
    if (!p)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory", ctx->name);
    for (size_t i = 0; i < n; i++) {
        if (!b[i].len)
            continue;
        memcpy(p, b[i].data, b[i].len);
        b[i].data = p;
        p += b[i].len;
    }
    return SG_OK;
}

int sg__state_store(sg_ctx *ctx, sg_state_id id, int64_t ns, const void *v, size_t len)
{
    int rc = len ? sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, (sg_bytes){v, len})
                 : sg__kv_del(ctx->kv, id, ctx->kg, ctx->key, ns);
    return rc < 0 ? sg__state_fail(ctx, rc) : SG_OK;
}

/* ---- Declarations ------------------------------------------------------------ */

static void mark_special(sg_ctx *ctx, sg__state_meta *m)
{
    if (!m->special) {
        m->special = true;
        ctx->n_special++;
    }
}

static int declare(sg_ctx *ctx, const char *name, sg_state_kind kind, sg_state_id *id)
{
    int rc;
    if (ctx->kind != SG__INST_OP || !ctx->keyed)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: keyed state needs a keyed operator", ctx->name);
    if (!ctx->kv && (rc = open_kv(ctx)) < 0)
        return rc;
    if ((rc = sg__kv_declare(ctx->kv, name, id)) < 0)
        return sg_ctx_errorf(ctx, rc, "%s: state '%s': %s", ctx->name, name ? name : "",
                             sg__kv_errmsg(ctx->kv));
    if (*id >= ctx->n_states) {
        sg__state_meta *states = sg_realloc(ctx->states, (*id + 1) * sizeof(*states));
        if (!states)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory declaring state", ctx->name);
        memset(states + ctx->n_states, 0, (*id + 1 - ctx->n_states) * sizeof(*states));
        ctx->states = states;
        ctx->n_states = *id + 1;
    }
    sg__state_meta *m = &ctx->states[*id];
    if (m->kind && m->kind != kind + 1)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: state '%s' declared with two kinds", ctx->name,
                             name);
    m->kind = (uint8_t)(kind + 1);
    if (kind == SG_STATE_MAP || kind == SG_STATE_AGGREGATING)
        mark_special(ctx, m);
    return SG_OK;
}

int sg_state_declare(sg_ctx *ctx, const char *name, sg_state_kind kind, sg_state_id *id)
{
    if (kind == SG_STATE_AGGREGATING)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: declare aggregating state '%s' with sg_state_declare_aggregating",
                             ctx->name, name ? name : "");
    if (kind != SG_STATE_VALUE && kind != SG_STATE_LIST && kind != SG_STATE_MAP)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: unknown state kind %d", ctx->name, kind);
    return declare(ctx, name, kind, id);
}

int sg_state_declare_aggregating(sg_ctx *ctx, const char *name, const sg_state_agg_def *def,
                                 void *udata, sg_state_id *id)
{
    if (!def || def->abi < SG_STATE_AGG_ABI_1 || !def->add || def->acc_size == 0 ||
        def->acc_size > SG__KV_MAX_LEN - SG__STAMP_LEN)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: aggregating state '%s' needs abi, add and a non-zero acc_size",
                             ctx->name, name ? name : "");
    int rc = declare(ctx, name, SG_STATE_AGGREGATING, id);
    if (rc < 0)
        return rc;
    sg__state_meta *m = &ctx->states[*id];
    m->agg = (sg_state_agg_def){SG_STATE_AGG_ABI_1, def->acc_size, def->init, def->add};
    m->agg_udata = udata;
    return SG_OK;
}

static bool same_ttl(const sg_state_ttl *a, const sg_state_ttl *b)
{
    return a->ttl_ms == b->ttl_ms && a->domain == b->domain && a->update == b->update;
}

int sg_state_set_ttl(sg_ctx *ctx, sg_state_id id, const sg_state_ttl *ttl)
{
    if (!ctx->kv || id >= ctx->n_states || !ctx->states[id].kind)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: TTL for state %u, which was not declared",
                             ctx->name, (unsigned)id);
    if (!ttl || ttl->abi < SG_STATE_TTL_ABI_1 || ttl->ttl_ms <= 0 ||
        (ttl->domain != SG_TIME_EVENT && ttl->domain != SG_TIME_PROCESSING) ||
        (ttl->update != SG_TTL_ON_CREATE_AND_WRITE && ttl->update != SG_TTL_ON_READ_AND_WRITE))
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: bad TTL for state %u (needs abi, ttl_ms > 0, a time domain and "
                             "an update type)",
                             ctx->name, (unsigned)id);
    sg__state_meta *m = &ctx->states[id];
    sg_state_ttl t = {SG_STATE_TTL_ABI_1, ttl->ttl_ms, ttl->domain, ttl->update};
    if (m->has_ttl)
        return same_ttl(&m->ttl, &t)
                   ? SG_OK
                   : sg_ctx_errorf(ctx, SG_EINVAL, "%s: state %u already has another TTL",
                                   ctx->name, (unsigned)id);
    uint32_t *ids = sg_realloc(ctx->ttl_ids, (ctx->n_ttl + 1) * sizeof(*ids));
    if (!ids)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory setting a TTL", ctx->name);
    ctx->ttl_ids = ids;
    ctx->ttl_ids[ctx->n_ttl++] = id;
    m->has_ttl = true;
    m->ttl = t;
    mark_special(ctx, m);
    return SG_OK;
}

void sg__state_meta_free(sg_ctx *c)
{
    sg_free(c->states);
    sg_free(c->ttl_ids);
    c->states = NULL;
    c->ttl_ids = NULL;
    c->n_states = c->n_special = c->n_ttl = c->ttl_records = 0;
}

/* ---- Values and aggregates ------------------------------------------------------
 * The special paths: maps refuse value calls, TTL lists refuse them (their stored
 * bytes are not the items), aggregates check the accumulator size, and TTL values
 * carry their stamp in front of the user's bytes. */

static bool is_special(const sg_ctx *ctx, sg_state_id id)
{
    return SG_UNLIKELY(ctx->n_special) && id < ctx->n_states && ctx->states[id].special;
}

/* SG_EINVAL for value calls on maps and TTL lists; SG_OK otherwise. */
static int check_value_call(sg_ctx *ctx, sg_state_id id, const char *call)
{
    const sg__state_meta *m = &ctx->states[id];
    if (m->kind == SG_STATE_MAP + 1)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: %s on map state %u (use sg_state_map_*)",
                             ctx->name, call, (unsigned)id);
    if (m->kind == SG_STATE_LIST + 1 && m->has_ttl)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: %s on list state %u with a TTL", ctx->name, call,
                             (unsigned)id);
    return SG_OK;
}

static int check_acc_size(sg_ctx *ctx, const sg__state_meta *m, size_t len)
{
    if (m->kind == SG_STATE_AGGREGATING + 1 && len != m->agg.acc_size)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: %zu bytes for a %zu-byte accumulator", ctx->name,
                             len, m->agg.acc_size);
    return SG_OK;
}

static int get_special(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes *out)
{
    const sg__state_meta *m = &ctx->states[id];
    sg_bytes v;
    int rc = check_value_call(ctx, id, "sg_state_get");
    if (rc < 0)
        return rc;
    if ((rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, &v)) != SG_OK)
        return rc < 0 ? sg__state_fail(ctx, rc) : rc;
    if (!m->has_ttl) {
        *out = v;
        return SG_OK;
    }
    if (v.len < SG__STAMP_LEN)
        return sg_ctx_errorf(ctx, SG_ESERDE, "%s: state %u: a TTL value without its stamp",
                             ctx->name, (unsigned)id);
    sg_time now = sg__state_now(ctx, m);
    if (sg__ttl_expired(m, sg__stamp_get(v.data), now)) {
        rc = sg__kv_del(ctx->kv, id, ctx->kg, ctx->key, ns); /* cleanup on read */
        return rc < 0 ? sg__state_fail(ctx, rc) : SG_NOTFOUND;
    }
    if (m->ttl.update == SG_TTL_ON_READ_AND_WRITE) {
        /* In place: the entry is cached (just read), so this is one more lookup. */
        void *p;
        bool created;
        if ((rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, v.len, &p, &created)) < 0)
            return sg__state_fail(ctx, rc);
        sg__stamp_put(p, now);
        v.data = p;
    }
    out->data = (const unsigned char *)v.data + SG__STAMP_LEN;
    out->len = v.len - SG__STAMP_LEN;
    return SG_OK;
}

int sg_state_get(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes *out)
{
    if (!ctx->kv)
        return sg__state_fail(ctx, SG_EINVAL);
    if (is_special(ctx, id))
        return get_special(ctx, id, ns, out);
    int rc = sg__kv_get(ctx->kv, id, ctx->kg, ctx->key, ns, out);
    return rc < 0 ? sg__state_fail(ctx, rc) : rc;
}

static int put_special(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes value)
{
    const sg__state_meta *m = &ctx->states[id];
    int rc = check_value_call(ctx, id, "sg_state_put");
    if (rc < 0 || (rc = check_acc_size(ctx, m, value.len)) < 0)
        return rc;
    if (!m->has_ttl) {
        rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, value);
        return rc < 0 ? sg__state_fail(ctx, rc) : SG_OK;
    }
    if (value.len > SG__KV_MAX_LEN - SG__STAMP_LEN)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: a state value of %zu bytes is too large",
                             ctx->name, value.len);
    unsigned char *buf = sg_scratch_alloc(ctx, SG__STAMP_LEN + value.len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory", ctx->name);
    sg__stamp_put(buf, sg__state_now(ctx, m));
    if (value.len)
        memcpy(buf + SG__STAMP_LEN, value.data, value.len);
    rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, (sg_bytes){buf, SG__STAMP_LEN + value.len});
    return rc < 0 ? sg__state_fail(ctx, rc) : SG_OK;
}

int sg_state_put(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes value)
{
    if (!ctx->kv)
        return sg__state_fail(ctx, SG_EINVAL);
    if (is_special(ctx, id))
        return put_special(ctx, id, ns, value);
    int rc = sg__kv_put(ctx->kv, id, ctx->kg, ctx->key, ns, value);
    return rc < 0 ? sg__state_fail(ctx, rc) : rc;
}

int sg_state_clear(sg_ctx *ctx, sg_state_id id, int64_t ns)
{
    if (!ctx->kv)
        return sg__state_fail(ctx, SG_EINVAL);
    int rc = sg__kv_del(ctx->kv, id, ctx->kg, ctx->key, ns);
    return rc < 0 ? sg__state_fail(ctx, rc) : SG_OK;
}

/* ref on a TTL value: the stamp sits in front of the size bytes handed out; an
 * expired value is handed out as a new one. Every ref is a write: it restamps. */
static int ref_special(sg_ctx *ctx, sg_state_id id, int64_t ns, size_t size, void **ptr,
                       bool *created)
{
    const sg__state_meta *m = &ctx->states[id];
    unsigned char *p;
    int rc = check_value_call(ctx, id, "sg_state_ref");
    if (rc < 0 || (rc = check_acc_size(ctx, m, size)) < 0)
        return rc;
    if (!m->has_ttl) {
        if ((rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, size, ptr, created)) < 0)
            return sg__state_fail(ctx, rc);
        p = *ptr;
    } else {
        if (size > SG__KV_MAX_LEN - SG__STAMP_LEN)
            return sg_ctx_errorf(ctx, SG_EINVAL, "%s: bad state value size %zu", ctx->name, size);
        void *raw;
        rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, size + SG__STAMP_LEN, &raw, created);
        if (rc < 0)
            return sg__state_fail(ctx, rc);
        sg_time now = sg__state_now(ctx, m);
        p = (unsigned char *)raw + SG__STAMP_LEN;
        if (!*created && sg__ttl_expired(m, sg__stamp_get(raw), now)) {
            memset(p, 0, size);
            *created = true;
        }
        sg__stamp_put(raw, now);
        *ptr = p;
    }
    if (*created && m->kind == SG_STATE_AGGREGATING + 1 && m->agg.init)
        m->agg.init(p, m->agg_udata);
    return SG_OK;
}

int sg_state_ref(sg_ctx *ctx, sg_state_id id, int64_t ns, size_t size, void **ptr, bool *created)
{
    bool fresh = false;
    int rc;
    if (!ctx->kv)
        return sg__state_fail(ctx, SG_EINVAL);
    if (is_special(ctx, id))
        rc = ref_special(ctx, id, ns, size, ptr, &fresh);
    else if ((rc = sg__kv_ref(ctx->kv, id, ctx->kg, ctx->key, ns, size, ptr, &fresh)) < 0)
        rc = sg__state_fail(ctx, rc);
    if (created)
        *created = fresh;
    return rc;
}

int sg_state_agg_add(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes item)
{
    const sg__state_meta *m;
    void *acc;
    int rc;
    if ((rc = sg__state_check(ctx, id, SG_STATE_AGGREGATING, &m)) < 0 ||
        (rc = sg__state_own(ctx, &item, 1)) < 0 ||
        (rc = ref_special(ctx, id, ns, m->agg.acc_size, &acc, &(bool){false})) < 0)
        return rc;
    if ((rc = m->agg.add(acc, item, m->agg_udata)) < 0)
        return sg_ctx_errorf(ctx, rc, "%s: aggregating state %u: add failed: %s", ctx->name,
                             (unsigned)id, sg_strerror(rc));
    return SG_OK;
}

void sg_state_prefetch(sg_ctx *ctx, sg_state_id id, size_t i, int64_t ns)
{
    if (!ctx->kv || !ctx->batch || i >= ctx->batch_n)
        return;
    const sg_record *rec = &ctx->batch[i];
    int32_t kg = ctx->batch_kgs[i];
    sg__kv_prefetch(ctx->kv, id, kg >= 0 ? (uint16_t)kg : sg__key_group(rec->key), rec->key, ns);
}

int sg_state_get_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t *out)
{
    sg_bytes b;
    int rc = sg_state_get(ctx, id, ns, &b);
    if (rc != SG_OK)
        return rc;
    if (b.len != sizeof(*out))
        return sg_ctx_errorf(ctx, SG_ESERDE, "%s: state value is %zu bytes, not a u64", ctx->name,
                             b.len);
    memcpy(out, b.data, sizeof(*out));
    return SG_OK;
}

int sg_state_put_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t v)
{
    sg_bytes b = {&v, sizeof(v)};
    return sg_state_put(ctx, id, ns, b);
}

/* ---- TTL cleanup ------------------------------------------------------------------ */

typedef struct sweep_ud {
    sg_ctx *ctx;
    sg_time now[2]; /* by sg_time_domain */
    int err;        /* an error this file reported (its message is on ctx) */
} sweep_ud;

static int sweep_fail(sweep_ud *su, int rc, uint32_t id, const char *what)
{
    su->err = rc;
    return sg_ctx_errorf(su->ctx, rc, "%s: TTL cleanup of state %u: %s", su->ctx->name,
                         (unsigned)id, what);
}

/* The fate of one stored value of a TTL state (sg__kv_sweep_fn). */
static int sweep_one(void *ud, uint32_t id, sg_bytes v, sg_bytes *rewritten)
{
    sweep_ud *su = ud;
    const sg__state_meta *m = &su->ctx->states[id];
    sg_time now = su->now[m->ttl.domain == SG_TIME_PROCESSING];
    if (m->kind == SG_STATE_VALUE + 1 || m->kind == SG_STATE_AGGREGATING + 1) {
        if (v.len < SG__STAMP_LEN)
            return sweep_fail(su, SG_ESERDE, id, "a value without its stamp");
        return sg__ttl_expired(m, sg__stamp_get(v.data), now) ? SG__SWEEP_DROP : SG__SWEEP_KEEP;
    }
    int any = sg__items_any_expired(m, v, now);
    if (any <= 0)
        return any < 0 ? sweep_fail(su, any, id, "a corrupt value") : SG__SWEEP_KEEP;
    unsigned char *buf = sg_scratch_alloc(su->ctx, v.len);
    size_t len, dropped;
    if (!buf)
        return sweep_fail(su, SG_ENOMEM, id, "out of memory");
    if (sg__items_prune(m, v, now, SG_TIME_MIN, buf, &len, &dropped) < 0)
        return sweep_fail(su, SG_ESERDE, id, "a corrupt value");
    if (!len)
        return SG__SWEEP_DROP;
    *rewritten = (sg_bytes){buf, len};
    return SG__SWEEP_REWRITE;
}

static int sweep(sg_ctx *c, size_t budget)
{
    if (!c->kv || !c->n_ttl)
        return SG_OK;
    sweep_ud su = {c, {sg_ctx_watermark(c), sg_ctx_processing_time(c)}, SG_OK};
    int rc = sg__kv_sweep(c->kv, c->ttl_ids, c->n_ttl, budget, sweep_one, &su);
    if (rc < 0 && !su.err)
        return sg__state_fail(c, rc);
    return rc < 0 ? rc : SG_OK;
}

int sg__state_tick(sg_ctx *c, size_t n)
{
    c->ttl_records += (uint32_t)SG_MIN(n, (size_t)SWEEP_EVERY * SWEEP_MAX_BUDGET);
    if (c->ttl_records < SWEEP_EVERY)
        return SG_OK;
    size_t budget =
        SG_MIN((size_t)SWEEP_BUDGET * (c->ttl_records / SWEEP_EVERY), (size_t)SWEEP_MAX_BUDGET);
    c->ttl_records = 0;
    return sweep(c, budget);
}

int sg__state_sweep_watermark(sg_ctx *c)
{
    return sweep(c, SWEEP_WM_BUDGET);
}
