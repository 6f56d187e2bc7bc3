/* Operator instances: lifecycle, the record and watermark paths down a chain, and
 * the sg_ctx calls callbacks make (emit, scratch, errors, rejects, timers). Keyed
 * state calls live in ctx_state.c, source and URI calls in ctx_source.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "engine/builtin.h"
#include "engine/common.h"
#include "engine/ctx.h"
#include "engine/pace.h"
#include "engine/snap.h"

/* ---- Scratch memory --------------------------------------------------------
 * A bump arena reset after every callback; requests larger than the arena get
 * their own block, chained and freed at the reset. */
#define SCRATCH_CAP (64 * 1024)

struct sg__scratch_big {
    struct sg__scratch_big *next;
    _Alignas(16) char data[];
};

void *sg_scratch_alloc(sg_ctx *ctx, size_t size)
{
    sg__scratch *s = &ctx->scratch;
    size = (size + 15) & ~(size_t)15;
    if (!s->buf) {
        if (!(s->buf = sg_malloc(SCRATCH_CAP)))
            return NULL;
        s->cap = SCRATCH_CAP;
    }
    if (size <= s->cap - s->used) {
        void *p = s->buf + s->used;
        s->used += size;
        return p;
    }
    struct sg__scratch_big *b = sg_malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = s->big;
    s->big = b;
    return b->data;
}

void sg__scratch_reset(sg__scratch *s)
{
    s->used = 0;
    while (s->big) {
        struct sg__scratch_big *b = s->big;
        s->big = b->next;
        sg_free(b);
    }
}

/* ---- Lifecycle ------------------------------------------------------------ */

static int open_callback(sg_ctx *c, sg_snap_reader *restore);

void sg__inst_init(sg_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->own_rec_wm = SG_TIME_MIN;
    c->rec_wm = &c->own_rec_wm; /* a task points its chain at one shared value */
    c->kg_hint = -1;
    c->wm_delay = -1;
    c->wm = SG_TIME_MIN;
    c->max_ts = SG_TIME_MIN;
    c->parallelism = 1;
    sg__timers_init(&c->timers);
    sg__timers_init(&c->proc_timers);
    sg__line_init(&c->line);
}

static size_t self_size(const sg_ctx *c)
{
    switch (c->kind) {
    case SG__INST_SOURCE:
        return c->src->self_size;
    case SG__INST_OP:
        return c->op->self_size;
    case SG__INST_SINK:
        return c->sink->self_size;
    default:
        return 0;
    }
}

int sg__inst_snapshot(sg_ctx *c, sg_snap_writer *w)
{
    sg_snap_writer own;
    int rc;
    /* No flush of the keyed state here: a checkpoint copies the cache or flushes it
     * itself (task_ckpt.c), and a flush per checkpoint was most of what one cost. */
    if ((rc = sg__timers_snapshot(&c->timers, w)) < 0 ||
        (rc = sg__timers_snapshot(&c->proc_timers, w)) < 0)
        return sg_ctx_errorf(c, rc, "%s: cannot snapshot timers", c->name);
    sg__snap_writer_init(&own);
    if (c->kind == SG__INST_OP && c->op->snapshot)
        rc = c->op->snapshot(c, c->self, &own);
    else if (c->kind == SG__INST_SOURCE && c->src->snapshot)
        rc = c->src->snapshot(c, c->self, &own);
    else if (c->kind == SG__INST_SINK && c->sink->abi >= SG_SINK_ABI_2 && c->sink->snapshot)
        rc = c->sink->snapshot(c, c->self, &own);
    sg__scratch_reset(&c->scratch);
    if (rc >= 0) {
        sg_bytes b = sg__snap_writer_bytes(&own);
        rc = own.failed ? SG_ENOMEM : sg_snap_put_bytes(w, b.data, b.len);
    }
    sg__snap_writer_free(&own);
    if (rc < 0 && !c->errmsg[0])
        sg_ctx_errorf(c, rc, "%s: snapshot failed: %s", c->name, sg_strerror(rc));
    return rc < 0 ? rc : SG_OK;
}

/* Restores timers from a snapshot and returns (in *own) the operator's part. */
static int read_snapshot(sg_ctx *c, sg_snap_reader *r, sg_bytes *own)
{
    int rc = sg__timers_restore(&c->timers, r);
    if (rc >= 0)
        rc = sg__timers_restore(&c->proc_timers, r);
    if (rc >= 0)
        rc = sg_snap_get_bytes(r, own);
    if (rc < 0)
        return sg_ctx_errorf(c, rc, "%s: the snapshot is malformed (%s)", c->name, sg_strerror(rc));
    return SG_OK;
}

int sg__inst_open(sg_ctx *c, const sg_bytes *snapshot)
{
    size_t size = self_size(c);
    int rc = SG_OK;
    sg_snap_reader whole, own;
    sg_snap_reader *restore = NULL;
    sg_bytes own_bytes = {0};
    if (size && !(c->self = sg_calloc(1, size)))
        return sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
    if (snapshot) {
        sg__snap_reader_init(&whole, snapshot->data, snapshot->len);
        rc = read_snapshot(c, &whole, &own_bytes);
        if (rc >= 0) {
            sg__snap_reader_init(&own, own_bytes.data, own_bytes.len);
            restore = &own;
        }
    }
    if (rc >= 0) {
        c->opened = true; /* from here on close is owed (rule 6) */
        rc = open_callback(c, restore);
    }
    if (restore)
        sg__snap_reader_free(&own);
    if (snapshot)
        sg__snap_reader_free(&whole);
    sg__scratch_reset(&c->scratch);
    if (rc < 0 && !c->errmsg[0])
        sg_ctx_errorf(c, rc, "%s: open failed: %s", c->name, sg_strerror(rc));
    return rc < 0 ? rc : SG_OK;
}

static int open_callback(sg_ctx *c, sg_snap_reader *restore)
{
    int rc = SG_OK;
    switch (c->kind) {
    case SG__INST_SOURCE:
        rc = c->src->open ? c->src->open(c, c->self, restore) : SG_OK;
        if (rc >= 0 && c->fmt != SG_FORMAT_RECORDS && !c->decode)
            rc = sg_ctx_errorf(c, SG_EINVAL, "source '%s' delivers lines but has no decoder",
                               c->name);
        break;
    case SG__INST_OP:
        rc = c->op->open ? c->op->open(c, c->self, restore) : SG_OK;
        break;
    case SG__INST_SINK:
        rc = c->sink->open ? c->sink->open(c, c->self, restore) : SG_OK;
        break;
    default:
        break;
    }
    return rc;
}

void sg__inst_close(sg_ctx *c)
{
    if (c->opened) {
        switch (c->kind) {
        case SG__INST_SOURCE:
            if (c->src->close)
                c->src->close(c, c->self);
            break;
        case SG__INST_OP:
            if (c->op->close)
                c->op->close(c, c->self);
            break;
        case SG__INST_SINK:
            if (c->sink->close)
                c->sink->close(c, c->self);
            break;
        default:
            break;
        }
        c->opened = false;
    }
    sg__scratch_reset(&c->scratch);
    sg_free(c->scratch.buf);
    c->scratch.buf = NULL;
    sg_free(c->self);
    c->self = NULL;
    sg__timers_free(&c->timers);
    sg__timers_free(&c->proc_timers);
    sg__kv_close(c->kv);
    c->kv = NULL;
    sg__state_meta_free(c);
    sg__row_parser_free(c->parser);
    c->parser = NULL;
    sg__line_free(&c->line);
    sg_free(c->origin);
    c->origin = NULL;
    sg_free(c->state_dir);
    c->state_dir = NULL;
    sg_free(c->uri_path);
    c->uri_path = NULL;
}

/* ---- The record path ------------------------------------------------------- */

uint16_t sg__key_group(sg_bytes key)
{
    return (uint16_t)(XXH3_64bits(key.data, key.len) % SG__MAX_PARALLELISM);
}

/* null: discards rows without encoding them, as Flink's blackhole sink does not
 * serialize: a benchmark then measures the query, not the CSV formatting (queries
 * build their result rows in operators, so that work is still done). */
static int sink_write(sg_ctx *c, const sg_record *rec)
{
    int rc;
    if (!c->has_enc || c->sink == &sg__null_sink) {
        rc = c->sink->write(c, c->self, rec);
    } else {
        sg_record line = *rec;
        sg__line_reset(&c->line);
        if ((rc = c->enc.encode(c, rec, &c->line, c->enc.udata)) < 0)
            return rc;
        if ((rc = sg__line_finish(&c->line, &line.value)) < 0)
            return sg_ctx_errorf(c, rc, "%s: out of memory encoding a line", c->name);
        rc = c->sink->write(c, c->self, &line);
    }
    if (rc >= 0)
        c->counters->written++;
    return rc;
}

/* One record into an operator. Inlined into deliver, so a record passes a chained
 * operator with one indirect call (the operator's process) and no engine calls. */
static inline int process_op(sg_ctx *c, int port, const sg_record *rec)
{
    if (c->keyed) {
        c->key = rec->key;
        c->kg = c->kg_hint >= 0 ? (uint16_t)c->kg_hint : sg__key_group(rec->key);
        c->kg_hint = -1;
    }
    int rc = c->op->process(c, c->self, port, rec);
    if (SG_UNLIKELY(c->n_ttl) && rc >= 0)
        rc = sg__state_tick(c, 1);
    if (c->keyed) { /* the key's bytes go back with their batch */
        c->key.data = NULL;
        c->key.len = 0;
    }
    if (c->scratch.used || c->scratch.big)
        sg__scratch_reset(&c->scratch);
    if (SG_UNLIKELY(rc < 0)) {
        if (!c->errmsg[0])
            sg_ctx_errorf(c, rc, "%s failed: %s", c->name, sg_strerror(rc));
        return rc;
    }
    return SG_OK;
}

int sg__inst_process(sg_ctx *c, int port, const sg_record *rec)
{
    int rc;
    switch (c->kind) {
    case SG__INST_OP:
        return process_op(c, port, rec);
    case SG__INST_SINK:
        rc = sink_write(c, rec);
        break;
    default:
        /* Sources and decoders have no input; records start at them. */
        rc = sg_ctx_errorf(c, SG_EINTERNAL, "record sent into source '%s'", c->name);
        break;
    }
    if (c->scratch.used || c->scratch.big)
        sg__scratch_reset(&c->scratch);
    if (rc < 0 && !c->errmsg[0])
        sg_ctx_errorf(c, rc, "%s failed: %s", c->name, sg_strerror(rc));
    return rc < 0 ? rc : SG_OK;
}

int sg__inst_process_batch(sg_ctx *c, int port, const sg_record *recs, const int32_t *kgs,
                           const sg_time *wms, size_t n)
{
    c->batch = recs;
    c->batch_kgs = kgs;
    c->batch_wms = wms;
    c->batch_n = n;
    int rc = c->op->process_batch(c, c->self, port, recs, n);
    if (SG_UNLIKELY(c->n_ttl) && rc >= 0)
        rc = sg__state_tick(c, n);
    c->batch = NULL;
    c->batch_n = 0;
    c->key.data = NULL; /* the key's bytes go back with their batch */
    c->key.len = 0;
    if (c->scratch.used || c->scratch.big)
        sg__scratch_reset(&c->scratch);
    if (rc < 0 && !c->errmsg[0])
        sg_ctx_errorf(c, rc, "%s failed: %s", c->name, sg_strerror(rc));
    return rc < 0 ? rc : SG_OK;
}

void sg_ctx_select(sg_ctx *ctx, size_t i)
{
    if (!ctx->batch || i >= ctx->batch_n)
        return;
    const sg_record *rec = &ctx->batch[i];
    /* Scratch memory lives for one record in a batch too, as with process: an operator
     * that rebuilds scratch per record would otherwise fill the arena after a few
     * records of a batch and fall back to malloc'd blocks for the rest. */
    if (ctx->scratch.used || ctx->scratch.big)
        sg__scratch_reset(&ctx->scratch);
    *ctx->rec_wm = ctx->batch_wms[i];
    if (ctx->keyed) {
        ctx->key = rec->key;
        ctx->kg = ctx->batch_kgs[i] >= 0 ? (uint16_t)ctx->batch_kgs[i] : sg__key_group(rec->key);
    }
}

/* The timestamp tracker (bounded out-of-orderness) sees rec. */
static inline void track_ts(sg_ctx *c, const sg_record *rec)
{
    /* The watermark before this record: max ts so far - delay - 1. */
    if (c->wm_delay >= 0 && c->max_ts != SG_TIME_MIN &&
        c->max_ts >= SG_TIME_MIN + c->wm_delay + 1 && c->max_ts - c->wm_delay - 1 > *c->rec_wm)
        *c->rec_wm = c->max_ts - c->wm_delay - 1;
    if (rec->ts > c->max_ts)
        c->max_ts = rec->ts;
    if (SG_UNLIKELY(c->pace != NULL))
        sg__pace_wait(c->pace, rec->ts);
}

/* rec leaves c: into the next instance of the chain, else out of the task. Inlined
 * into sg_emit and sg_emit_record: this is every record's path, once per stage. */
static inline int deliver(sg_ctx *c, const sg_record *rec)
{
    if (c->track_ts)
        track_ts(c, rec);
    if (SG_UNLIKELY(c->kind == SG__INST_SOURCE)) {
        c->counters->read++;
        /* A generator that emits records (not lines) into a stream built with a
         * decoder: the records are already decoded, so they pass the decoder stage
         * by, keeping its watermark tracking (it is the stage that tracks). */
        if (SG_UNLIKELY(c->decode != NULL) && c->fmt == SG_FORMAT_RECORDS) {
            c = c->decode;
            if (c->track_ts)
                track_ts(c, rec);
        }
    }
    sg_ctx *next = c->next;
    if (next) {
        int rc = SG_LIKELY(next->kind == SG__INST_OP) ? process_op(next, 0, rec)
                                                      : sg__inst_process(next, 0, rec);
        if (SG_UNLIKELY(rc < 0) && !c->errmsg[0])
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", next->errmsg);
        return rc;
    }
    return c->out_fn(c->out_ud, rec);
}

int sg_emit(sg_ctx *ctx, sg_time ts, sg_bytes key, sg_bytes value)
{
    sg_record rec = {ts, key, value};
    return deliver(ctx, &rec);
}

int sg_emit_record(sg_ctx *ctx, const sg_record *rec)
{
    return deliver(ctx, rec);
}

int sg_emit_side(sg_ctx *ctx, const char *tag, sg_time ts, sg_bytes key, sg_bytes value)
{
    sg_record rec = {ts, key, value};
    /* A side output nobody consumes is dropped, as in Flink. */
    return ctx->out_side_fn && tag ? ctx->out_side_fn(ctx->out_ud, ctx->index, tag, &rec) : SG_OK;
}

/* ---- The watermark path ---------------------------------------------------- */

/* Fires the timers of one domain due at 'upto', in (ts, insertion) order. */
static int fire_timers(sg_ctx *c, sg__timers *timers, sg_time_domain d, sg_time upto)
{
    sg__timer *t;
    while ((t = sg__timers_peek(timers)) && t->ts <= upto) {
        t = sg__timers_pop(timers);
        c->key.data = t->key;
        c->key.len = t->key_len;
        c->kg = t->kg;
        int rc = c->op->on_timer ? c->op->on_timer(c, c->self, d, t->ts) : SG_OK;
        if (c->scratch.used || c->scratch.big)
            sg__scratch_reset(&c->scratch);
        sg__timers_release(timers, t);
        c->key.data = NULL;
        c->key.len = 0;
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

sg_time sg__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (sg_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sg_time sg__inst_next_processing_timer(sg_ctx *c)
{
    sg__timer *t = c->kind == SG__INST_OP ? sg__timers_peek(&c->proc_timers) : NULL;
    return t ? t->ts : SG_TIME_MAX;
}

int sg__inst_processing_time(sg_ctx *c, sg_time now)
{
    if (c->kind != SG__INST_OP || c->finished || sg__inst_next_processing_timer(c) > now)
        return SG_OK;
    /* What the timers emit follows the watermark this instance has forwarded. */
    *c->rec_wm = c->wm;
    int rc = fire_timers(c, &c->proc_timers, SG_TIME_PROCESSING, now);
    if (rc < 0 && !c->errmsg[0])
        sg_ctx_errorf(c, rc, "%s failed: %s", c->name, sg_strerror(rc));
    return rc < 0 ? rc : SG_OK;
}

int sg__inst_watermark(sg_ctx *c, sg_time wm)
{
    int rc = SG_OK;
    if (wm <= c->wm)
        return SG_OK;
    sg_time prev = c->wm;
    c->wm = wm;
    /* What timers and on_watermark emit goes downstream ahead of wm, behind the
     * watermark this instance forwarded before (prev): that is what such records
     * carry, so an operator after this one does not see them as late. */
    *c->rec_wm = prev;
    if (c->kind == SG__INST_OP) {
        if ((rc = fire_timers(c, &c->timers, SG_TIME_EVENT, wm)) >= 0 && c->op->on_watermark)
            rc = c->op->on_watermark(c, c->self, wm);
        if (SG_UNLIKELY(c->n_ttl) && rc >= 0)
            rc = sg__state_sweep_watermark(c);
        sg__scratch_reset(&c->scratch);
        if (rc < 0) {
            if (!c->errmsg[0])
                sg_ctx_errorf(c, rc, "%s failed: %s", c->name, sg_strerror(rc));
            return rc;
        }
    }
    if (c->kind == SG__INST_SINK)
        return SG_OK;
    if (c->next) {
        rc = sg__inst_watermark(c->next, wm);
        if (rc < 0)
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", c->next->errmsg);
    } else if (c->out_wm_fn) {
        rc = c->out_wm_fn(c->out_ud, wm);
    }
    *c->rec_wm = wm; /* records after this point follow wm */
    return rc;
}

int sg__inst_finish(sg_ctx *c)
{
    int rc = SG_OK;
    if (!c->finished) {
        c->finished = true;
        if (c->kind == SG__INST_OP && c->op->finish)
            rc = c->op->finish(c, c->self);
        else if (c->kind == SG__INST_SINK && c->sink->finish)
            rc = c->sink->finish(c, c->self);
        sg__scratch_reset(&c->scratch);
        if (rc < 0) {
            if (!c->errmsg[0])
                sg_ctx_errorf(c, rc, "%s: finish failed: %s", c->name, sg_strerror(rc));
            return rc;
        }
    }
    if (c->next && (rc = sg__inst_finish(c->next)) < 0)
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", c->next->errmsg);
    return rc;
}

/* ---- Context calls ---------------------------------------------------------- */

void *sg_ctx_udata(const sg_ctx *ctx)
{
    return ctx->udata;
}

int sg_ctx_subtask(const sg_ctx *ctx)
{
    return ctx->subtask;
}

int sg_ctx_parallelism(const sg_ctx *ctx)
{
    return ctx->parallelism;
}

sg_time sg_ctx_watermark(const sg_ctx *ctx)
{
    sg_time rec = *ctx->rec_wm;
    return rec > ctx->wm ? rec : ctx->wm;
}

sg_bytes sg_ctx_key(const sg_ctx *ctx)
{
    return ctx->key;
}

int sg_ctx_errorf(sg_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

void sg_ctx_reject(sg_ctx *ctx, const sg_record *rec, const char *reason)
{
    ctx->counters->bad++;
    if (!ctx->rejects)
        return;
    /* A decoder rejects the line being decoded: its source knows where it came from.
     * An operator names itself; the record's value is what it rejected. */
    const sg_ctx *src = ctx->source ? ctx->source : ctx;
    sg_bytes raw = rec ? rec->value : src->raw_line;
    sg__reject_log_write(ctx->rejects, src->origin ? src->origin : ctx->name,
                         rec ? 0 : src->line_no, reason ? reason : "rejected", raw);
}

void sg_ctx_count_late(sg_ctx *ctx, uint64_t n)
{
    ctx->counters->late += n;
    ctx->late += n;
}

sg_checkpoint_mode sg_ctx_checkpoint_mode(const sg_ctx *ctx)
{
    return ctx->ckpt_mode;
}

sg_time sg_ctx_processing_time(const sg_ctx *ctx)
{
    return ctx->fake_now ? *ctx->fake_now : sg__now_ms();
}

static sg__timers *timers_of(sg_ctx *ctx, sg_time_domain d)
{
    return d == SG_TIME_PROCESSING ? &ctx->proc_timers : &ctx->timers;
}

int sg_timer_set(sg_ctx *ctx, sg_time_domain d, sg_time ts)
{
    if (d != SG_TIME_EVENT && d != SG_TIME_PROCESSING)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: unknown time domain %d", ctx->name, d);
    if (ctx->kind != SG__INST_OP)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: timers belong to operators", ctx->name);
    if (sg__timers_set(timers_of(ctx, d), ctx->kg, ctx->key, ts) < 0)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "%s: out of memory setting a timer", ctx->name);
    return SG_OK;
}

int sg_timer_delete(sg_ctx *ctx, sg_time_domain d, sg_time ts)
{
    if (d != SG_TIME_EVENT && d != SG_TIME_PROCESSING)
        return SG_NOTFOUND;
    return sg__timers_delete(timers_of(ctx, d), ctx->key, ts);
}
