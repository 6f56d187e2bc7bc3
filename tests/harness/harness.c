/* The operator test harness (sangam/harness.h): one operator instance wired to a
 * collector instead of a task's outputs, run on the caller's thread. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sangam/harness.h>

#include "engine/ctx.h"
#include "engine/fsutil.h"
#include "engine/snap.h"

struct sg_harness {
    sg_ctx inst;
    sg_time now; /* the fake processing-time clock */
    const sg_operator_def *def;
    void *udata;
    sg__kv_backend backend;
    size_t cache_entries;
    sg__counters counters;
    sg_record *out;
    size_t n, cap;
    sg_record *side;  /* side outputs, in order */
    char **side_tags; /* [n_side]: each block holds the tag, then the key and value */
    size_t n_side, cap_side;
    sg_time out_wm;
    char dir[64];
};

/* Copies rec into one block: prefix (plen bytes), key, value, NUL. *out views the
 * copy; returns the block (to free), or NULL when out of memory. */
static char *copy_record(const char *prefix, size_t plen, const sg_record *rec, sg_record *out)
{
    char *mem = sg_malloc(plen + rec->key.len + rec->value.len + 1);
    if (!mem)
        return NULL;
    if (plen)
        memcpy(mem, prefix, plen);
    if (rec->key.len)
        memcpy(mem + plen, rec->key.data, rec->key.len);
    if (rec->value.len)
        memcpy(mem + plen + rec->key.len, rec->value.data, rec->value.len);
    mem[plen + rec->key.len + rec->value.len] = '\0';
    out->ts = rec->ts;
    out->key.data = mem + plen;
    out->key.len = rec->key.len;
    out->value.data = mem + plen + rec->key.len;
    out->value.len = rec->value.len;
    return mem;
}

static int collect(void *ud, const sg_record *rec)
{
    sg_harness *h = ud;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        sg_record *o = sg_realloc(h->out, cap * sizeof(*o));
        if (!o)
            return SG_ENOMEM;
        h->out = o;
        h->cap = cap;
    }
    if (!copy_record(NULL, 0, rec, &h->out[h->n]))
        return SG_ENOMEM;
    h->n++;
    return SG_OK;
}

static int collect_side(void *ud, int from_inst, const char *tag, const sg_record *rec)
{
    sg_harness *h = ud;
    (void)from_inst;
    if (h->n_side == h->cap_side) {
        size_t cap = h->cap_side ? h->cap_side * 2 : 16;
        sg_record *o = sg_realloc(h->side, cap * sizeof(*o));
        if (!o)
            return SG_ENOMEM;
        h->side = o;
        char **tags = sg_realloc(h->side_tags, cap * sizeof(*tags));
        if (!tags)
            return SG_ENOMEM;
        h->side_tags = tags;
        h->cap_side = cap;
    }
    /* The block starts with the tag, so side_tags[i] is both the tag and the block. */
    char *mem = copy_record(tag, strlen(tag) + 1, rec, &h->side[h->n_side]);
    if (!mem)
        return SG_ENOMEM;
    h->side_tags[h->n_side++] = mem;
    return SG_OK;
}

static int collect_wm(void *ud, sg_time wm)
{
    ((sg_harness *)ud)->out_wm = wm;
    return SG_OK;
}

/* A fresh, unopened instance of the harness's operator. */
static void setup_instance(sg_harness *h)
{
    sg_ctx *c = &h->inst;
    sg__inst_init(c);
    c->kind = SG__INST_OP;
    c->name = h->def->name;
    c->op = h->def;
    c->udata = h->udata;
    c->keyed = (h->def->flags & SG_OP_KEYED) != 0;
    c->backend = h->backend;
    c->cache_entries = h->cache_entries;
    c->counters = &h->counters;
    c->out_fn = collect;
    c->out_wm_fn = collect_wm;
    c->out_side_fn = collect_side;
    c->out_ud = h;
    c->fake_now = &h->now;
}

static int harness_new(const sg_operator_def *def, void *udata, sg__kv_backend backend,
                       size_t cache_entries, sg_harness **out)
{
    *out = NULL;
    sg_harness *h = sg_calloc(1, sizeof(*h));
    if (!h)
        return SG_ENOMEM;
    h->out_wm = SG_TIME_MIN;
    h->def = def;
    h->udata = udata;
    h->backend = backend;
    h->cache_entries = cache_entries;
    sg_ctx *c = &h->inst;
    setup_instance(h);
    if (backend == SG__KV_ROCKSDB) {
        const char *tmp = getenv("TMPDIR");
        snprintf(h->dir, sizeof(h->dir), "%s/sg-harness-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (strlen(h->dir) >= sizeof(h->dir) - 1 || !mkdtemp(h->dir)) {
            sg_free(h);
            return SG_EIO;
        }
        char sub[80];
        snprintf(sub, sizeof(sub), "%s/state", h->dir);
        c->state_dir = sg_strdup(sub);
    }
    int rc = sg__inst_open(c, NULL);
    if (rc < 0) {
        /* Keep the message readable by the caller? It goes with the harness, so
         * print it: a test that cannot open its operator wants to know why. */
        fprintf(stderr, "sg_harness_new: %s\n", c->errmsg);
        sg_harness_free(h);
        return rc;
    }
    *out = h;
    return SG_OK;
}

int sg_harness_new(const sg_operator_def *def, void *udata, sg_harness **out)
{
    return harness_new(def, udata, SG__KV_ROCKSDB, 0, out);
}

int sg_harness_new_heap(const sg_operator_def *def, void *udata, sg_harness **out)
{
    return harness_new(def, udata, SG__KV_HEAP, 0, out);
}

int sg_harness_new_ex(const sg_operator_def *def, void *udata, const sg_harness_opts *opts,
                      sg_harness **out)
{
    if (opts && opts->abi < SG_HARNESS_OPTS_ABI_1) {
        *out = NULL;
        return SG_EINVAL;
    }
    sg__kv_backend backend = opts && opts->heap ? SG__KV_HEAP : SG__KV_ROCKSDB;
    return harness_new(def, udata, backend, opts ? opts->cache_entries : 0, out);
}

int sg_harness_state_entries(sg_harness *h, uint64_t *out)
{
    *out = 0;
    for (uint32_t id = 0; h->inst.kv && id < h->inst.n_states; id++) {
        uint64_t n;
        int rc = sg__kv_count(h->inst.kv, id, &n);
        if (rc < 0)
            return sg_ctx_errorf(&h->inst, rc, "%s: %s", h->inst.name, sg__kv_errmsg(h->inst.kv));
        *out += n;
    }
    return SG_OK;
}

void sg_harness_clear(sg_harness *h)
{
    for (size_t i = 0; i < h->n; i++)
        sg_free((void *)(uintptr_t)h->out[i].key.data);
    h->n = 0;
    for (size_t i = 0; i < h->n_side; i++)
        sg_free(h->side_tags[i]);
    h->n_side = 0;
}

void sg_harness_free(sg_harness *h)
{
    if (!h)
        return;
    sg__inst_close(&h->inst);
    sg_harness_clear(h);
    sg_free(h->out);
    sg_free(h->side);
    sg_free(h->side_tags);
    if (h->dir[0])
        sg__remove_tree(h->dir);
    sg_free(h);
}

int sg_harness_process(sg_harness *h, int port, sg_time ts, sg_bytes key, sg_bytes value)
{
    sg_record rec = {ts, key, value};
    return sg__inst_process(&h->inst, port, &rec);
}

int sg_harness_watermark(sg_harness *h, sg_time wm)
{
    return sg__inst_watermark(&h->inst, wm);
}

int sg_harness_finish(sg_harness *h)
{
    int rc = sg__inst_watermark(&h->inst, SG_TIME_MAX);
    return rc < 0 ? rc : sg__inst_finish(&h->inst);
}

size_t sg_harness_count(const sg_harness *h)
{
    return h->n;
}

const sg_record *sg_harness_output(const sg_harness *h, size_t i)
{
    return i < h->n ? &h->out[i] : NULL;
}

sg_time sg_harness_output_watermark(const sg_harness *h)
{
    return h->out_wm;
}

uint64_t sg_harness_late(const sg_harness *h)
{
    return h->counters.late;
}

uint64_t sg_harness_rejected(const sg_harness *h)
{
    return h->counters.bad;
}

const char *sg_harness_errmsg(const sg_harness *h)
{
    return h->inst.errmsg;
}

int sg_harness_snapshot_restore(sg_harness *h)
{
    sg_snap_writer w;
    char *dir = NULL;
    int rc;
    if (h->backend != SG__KV_ROCKSDB) {
        sg_ctx_errorf(&h->inst, SG_EINVAL, "restore needs the RocksDB backend (sg_harness_new)");
        return SG_EINVAL;
    }
    /* The new instance reopens the state directory: everything must be in it. */
    if (h->inst.kv && (rc = sg__kv_flush(h->inst.kv)) < 0)
        return sg_ctx_errorf(&h->inst, rc, "%s: %s", h->inst.name, sg__kv_errmsg(h->inst.kv));
    sg__snap_writer_init(&w);
    rc = sg__inst_snapshot(&h->inst, &w);
    if (rc >= 0 && w.failed)
        rc = SG_ENOMEM;
    if (rc >= 0 && h->inst.state_dir && !(dir = sg_strdup(h->inst.state_dir)))
        rc = SG_ENOMEM;
    if (rc < 0) {
        sg__snap_writer_free(&w);
        return rc;
    }
    /* The old instance goes away entirely; the new one knows only the snapshot and
     * the state directory, as after a restart. */
    sg__inst_close(&h->inst);
    setup_instance(h);
    h->inst.state_dir = dir;
    sg_bytes snap = sg__snap_writer_bytes(&w);
    rc = sg__inst_open(&h->inst, &snap);
    sg__snap_writer_free(&w);
    return rc;
}

int sg_harness_process_batch(sg_harness *h, int port, const sg_record *recs, size_t n)
{
    int rc = SG_OK;
    if (!sg__inst_takes_batches(&h->inst)) {
        for (size_t i = 0; i < n && rc >= 0; i++)
            rc = sg__inst_process(&h->inst, port, &recs[i]);
        return rc;
    }
    int32_t *kgs = sg_malloc(n * sizeof(*kgs) + 1);
    sg_time *wms = sg_malloc(n * sizeof(*wms) + 1);
    if (!kgs || !wms) {
        sg_free(kgs);
        sg_free(wms);
        return SG_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        kgs[i] = -1; /* the engine computes key groups it is not given */
        wms[i] = h->inst.wm;
    }
    rc = sg__inst_process_batch(&h->inst, port, recs, kgs, wms, n);
    sg_free(kgs);
    sg_free(wms);
    return rc;
}

int sg_harness_set_processing_time(sg_harness *h, sg_time now)
{
    h->now = now;
    return sg__inst_processing_time(&h->inst, now);
}

size_t sg_harness_side_count(const sg_harness *h, const char *tag)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_side; i++)
        n += strcmp(h->side_tags[i], tag) == 0;
    return n;
}

const sg_record *sg_harness_side_output(const sg_harness *h, const char *tag, size_t i)
{
    for (size_t k = 0; k < h->n_side; k++)
        if (strcmp(h->side_tags[k], tag) == 0 && i-- == 0)
            return &h->side[k];
    return NULL;
}
