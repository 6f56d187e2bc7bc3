/* A source instance run on the caller's thread (source_run.h). */
#include <stdint.h>
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

/* Appends b in hex: record sources emit binary keys and values. */
static void append_hex(sg__srun *r, sg_bytes b)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < b.len; i++) {
        unsigned char c = ((const unsigned char *)b.data)[i];
        char two[2] = {digits[c >> 4], digits[c & 15]};
        append(r, two, 2);
    }
}

/* Records a record source emits, key and value in hex. */
static int show_record(void *ud, const sg_record *rec)
{
    sg__srun *r = ud;
    char head[32];
    int n = snprintf(head, sizeof(head), "%lld\t", (long long)rec->ts);
    append(r, head, (size_t)n);
    append_hex(r, rec->key);
    append(r, "\t", 1);
    append_hex(r, rec->value);
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

/* Appends r's output to *acc (grown with sg_realloc). */
static int take_output(const sg__srun *r, char **acc, size_t *len)
{
    const char *out = sg__srun_output(r);
    size_t n = strlen(out);
    char *b = sg_realloc(*acc, *len + n + 1);
    if (!b)
        return SG_ENOMEM;
    memcpy(b + *len, out, n + 1);
    *acc = b;
    *len += n;
    return SG_OK;
}

/* Opens an instance (from snap, if any), polls once with budget k (SIZE_MAX: to
 * the end; 0: not at all),
 * appends its output to *acc and its bad records to *bad; *snap_out, if not NULL,
 * receives a snapshot taken after that poll unless the source ended. */
static int leg(const sg_source_def *def, const char *uri, int subtask, int parallelism,
               const sg_bytes *snap, size_t k, sg_bytes *snap_out, char **acc, size_t *len,
               uint64_t *bad, char *msg, size_t cap)
{
    sg__srun *r = NULL;
    int rc =
        sg__srun_new(def, uri, subtask, parallelism, SG_CHECKPOINT_EXACTLY_ONCE, snap, NULL, &r);
    if (rc >= 0)
        rc = k == SIZE_MAX ? sg__srun_drain(r) : k ? sg__srun_poll(r, k) : SG_OK;
    if (rc == SG_OK && snap_out)
        rc = sg__srun_snapshot(r, snap_out);
    if (rc >= 0)
        rc = take_output(r, acc, len);
    if (r)
        *bad += sg__srun_bad(r);
    if (rc < 0)
        snprintf(msg, cap, "%s", r && sg__srun_errmsg(r)[0] ? sg__srun_errmsg(r) : sg_strerror(rc));
    sg__srun_free(r);
    return rc;
}

int sg__srun_check_split(const sg_source_def *def, const char *uri, int subtask, int parallelism,
                         size_t k, char *msg, size_t cap)
{
    char *want = NULL, *got = NULL;
    size_t want_len = 0, got_len = 0;
    uint64_t want_bad = 0, got_bad = 0;
    sg_bytes snap = {0};
    msg[0] = '\0';
    int rc = leg(def, uri, subtask, parallelism, NULL, SIZE_MAX, NULL, &want, &want_len, &want_bad,
                 msg, cap);
    if (rc >= 0)
        rc =
            leg(def, uri, subtask, parallelism, NULL, k, &snap, &got, &got_len, &got_bad, msg, cap);
    if (rc >= 0 && snap.data) /* the source had not ended: resume from the snapshot */
        rc = leg(def, uri, subtask, parallelism, &snap, SIZE_MAX, NULL, &got, &got_len, &got_bad,
                 msg, cap);
    if (rc >= 0 && (got_len != want_len || (want_len && memcmp(got, want, want_len) != 0) ||
                    got_bad != want_bad)) {
        size_t i = 0;
        while (i < got_len && i < want_len && got[i] == want[i])
            i++;
        snprintf(msg, cap,
                 "%s split after %zu: output differs at byte %zu of %zu (got \"%.40s\", want "
                 "\"%.40s\"), bad records %llu vs %llu",
                 uri, k, i, want_len, got ? got + i : "", want ? want + i : "",
                 (unsigned long long)got_bad, (unsigned long long)want_bad);
        rc = SG_EINVAL;
    }
    sg_free(want);
    sg_free(got);
    sg_free((void *)(uintptr_t)snap.data);
    return rc < 0 ? rc : SG_OK;
}
