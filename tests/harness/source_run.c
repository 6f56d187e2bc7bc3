/* A source instance run on the caller's thread (source_run.h). */
#include <stdio.h>
#include <string.h>

#include "engine/ctx.h"
#include "engine/snap.h"
#include "tests/harness/source_run.h"

struct sg__srun {
    sg_ctx src, dec;
    sg__counters counters;
    char *out;
    size_t len, cap;
    bool oom;
};

static void append(sg__srun *r, const char *data, size_t len)
{
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + len + 1)
            cap *= 2;
        char *b = sg_realloc(r->out, cap);
        if (!b) {
            r->oom = true;
            return;
        }
        r->out = b;
        r->cap = cap;
    }
    memcpy(r->out + r->len, data, len);
    r->len += len;
    r->out[r->len] = '\0';
}

/* The decoder: every row is accepted and shown as its line number and raw line. */
static int show_row(sg_ctx *ctx, const sg_row *row, void *udata)
{
    sg__srun *r = udata;
    char head[32];
    SG_UNUSED(row);
    int n = snprintf(head, sizeof(head), "L%llu\t", (unsigned long long)ctx->source->line_no);
    append(r, head, (size_t)n);
    append(r, ctx->source->raw_line.data, ctx->source->raw_line.len);
    append(r, "\n", 1);
    return r->oom ? SG_ENOMEM : SG_OK;
}

/* Records a record source emits. */
static int show_record(void *ud, const sg_record *rec)
{
    sg__srun *r = ud;
    char head[32];
    int n = snprintf(head, sizeof(head), "%lld\t", (long long)rec->ts);
    append(r, head, (size_t)n);
    append(r, rec->key.data, rec->key.len);
    append(r, "\t", 1);
    append(r, rec->value.data, rec->value.len);
    append(r, "\n", 1);
    return r->oom ? SG_ENOMEM : SG_OK;
}

int sg__srun_new(const sg_source_def *def, const char *uri, int subtask, int parallelism,
                 sg_checkpoint_mode mode, const sg_bytes *snapshot, sg__reject_log *rejects,
                 sg__srun **out)
{
    sg__srun *r = *out = sg_calloc(1, sizeof(*r));
    if (!r)
        return SG_ENOMEM;
    sg_ctx *s = &r->src, *d = &r->dec;
    sg__inst_init(s);
    sg__inst_init(d);
    s->kind = SG__INST_SOURCE;
    s->name = def->name;
    s->src = def;
    s->uri = uri;
    s->subtask = d->subtask = subtask;
    s->parallelism = d->parallelism = parallelism;
    s->ckpt_mode = d->ckpt_mode = mode;
    s->counters = d->counters = &r->counters;
    s->rejects = d->rejects = rejects;
    s->next = d;
    s->decode = d;
    s->out_fn = show_record; /* used when the source emits records itself */
    s->out_ud = r;
    d->kind = SG__INST_DECODE;
    d->name = def->name;
    d->dec = (sg_decoder){.abi = SG_DECODER_ABI_1, .decode = show_row, .udata = r};
    d->udata = r;
    d->source = s;
    d->track_ts = true;
    d->out_fn = show_record;
    d->out_ud = r;
    int rc = sg__inst_open(d, NULL);
    if (rc >= 0)
        rc = sg__inst_open(s, snapshot);
    if (rc >= 0 && s->fmt == SG_FORMAT_RECORDS) { /* no decoder stage: records go out */
        s->next = NULL;
        s->decode = NULL;
        s->track_ts = true;
    }
    return rc;
}

int sg__srun_poll(sg__srun *r, size_t budget)
{
    int rc = r->src.src->poll(&r->src, r->src.self, budget);
    sg__scratch_reset(&r->src.scratch);
    return rc;
}

int sg__srun_drain(sg__srun *r)
{
    int rc;
    while ((rc = sg__srun_poll(r, 7)) == SG_OK)
        ;
    return rc;
}

int sg__srun_snapshot(sg__srun *r, sg_bytes *out)
{
    sg_snap_writer w;
    sg__snap_writer_init(&w);
    int rc = sg__inst_snapshot(&r->src, &w);
    sg_bytes b = sg__snap_writer_bytes(&w);
    out->data = NULL;
    out->len = 0;
    if (rc >= 0 && w.failed)
        rc = SG_ENOMEM;
    if (rc >= 0) {
        char *copy = sg_malloc(b.len ? b.len : 1);
        if (!copy)
            rc = SG_ENOMEM;
        else {
            memcpy(copy, b.data, b.len);
            out->data = copy;
            out->len = b.len;
        }
    }
    sg__snap_writer_free(&w);
    return rc < 0 ? rc : SG_OK;
}

const char *sg__srun_output(const sg__srun *r)
{
    return r->out ? r->out : "";
}

uint64_t sg__srun_bad(const sg__srun *r)
{
    return r->counters.bad;
}

const char *sg__srun_errmsg(const sg__srun *r)
{
    return r->src.errmsg[0] ? r->src.errmsg : r->dec.errmsg;
}

void sg__srun_free(sg__srun *r)
{
    if (!r)
        return;
    sg__inst_close(&r->src);
    sg__inst_close(&r->dec);
    sg_free(r->out);
    sg_free(r);
}
