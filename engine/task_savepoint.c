/* A subtask's part of a savepoint, and its restore at any parallelism (task.h,
 * ckpt_savepoint.h has the file layout).
 *
 * Restore works per chain instance, by graph node, so it does not matter how the
 * plan chained nodes into tasks in either run: the new instance of node N at subtask
 * i of parallelism P reads
 *   - when N had parallelism P before: old instance i's file, as it is;
 *   - otherwise: every old instance's file, keeping the keyed entries and timers of
 *     the key groups that sg__kg_subtask gives to i, and one own snapshot merged by
 *     sg__sp_merge_own. A node that is not keyed can change parallelism only if it
 *     keeps nothing (no timers, an empty own snapshot): a parallel source's position
 *     or a non-keyed operator's state cannot be split, and is refused in one line.
 * Watermarks: an instance gets the smallest of its old instances' watermarks (all
 * equal at an aligned barrier; the smallest never drops a record as late that the
 * old run would have kept); the task's input and record watermarks come from its
 * head instance's files the same way. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "engine/ckpt_savepoint.h"
#include "engine/ckpt_store.h"
#include "engine/job.h"
#include "engine/snap.h"
#include "engine/task.h"

/* An instance's file: its graph node and its stage within the node (a line source
 * is two chain instances of one node, the source and its decoder), so that the name
 * does not depend on chaining. */
static void sp_name(const sg__subtask *t, int k, int subtask, char *out, size_t len)
{
    const sg_ctx *c = &t->chain[k];
    int stage = 0;
    while (stage < k && t->chain[k - stage - 1].node == c->node && c->node)
        stage++;
    snprintf(out, len, "n%d.%d-s%d.sp", c->node ? c->node->id : k, stage, subtask);
}

int sg__subtask_savepoint_instance(sg__subtask *t, int k, uint64_t id, const char *dir,
                                   uint64_t *bytes)
{
    sg_ctx *c = &t->chain[k];
    char name[64], err[512];
    sg_snap_writer w, inst, dump;
    int rc;
    sg__snap_writer_init(&w);
    sg__snap_writer_init(&inst);
    sg__snap_writer_init(&dump);
    sg_snap_put_u64(&w, SG__SP_FORMAT);
    sg_snap_put_u64(&w, id);
    sg_snap_put_bytes(&w, c->name, strlen(c->name));
    sg_snap_put_u64(&w, (uint64_t)c->parallelism);
    sg_snap_put_u64(&w, (uint64_t)t->index);
    sg_snap_put_i64(&w, t->in_wm);
    sg_snap_put_i64(&w, t->rec_wm);
    sg_snap_put_i64(&w, t->wm_out);
    sg_snap_put_i64(&w, c->wm);
    sg_snap_put_i64(&w, c->max_ts);
    rc = sg__inst_snapshot(c, &inst); /* timers and own bytes; the dump's scans flush */
    if (rc >= 0 && (rc = sg__sp_dump_kv(c->kv, &dump, NULL)) < 0)
        sg_ctx_errorf(c, rc, "%s: cannot dump state: %s", c->name, sg__kv_errmsg(c->kv));
    if (rc >= 0) {
        sg_bytes a = sg__snap_writer_bytes(&inst), b = sg__snap_writer_bytes(&dump);
        sg_snap_put_bytes(&w, a.data, a.len);
        sg_snap_put_bytes(&w, b.data, b.len);
        if (w.failed || inst.failed || dump.failed)
            rc = sg_ctx_errorf(c, SG_ENOMEM, "%s: out of memory writing a savepoint", c->name);
    }
    if (rc >= 0) {
        sg_bytes b = sg__snap_writer_bytes(&w);
        sp_name(t, k, t->index, name, sizeof(name));
        if ((rc = sg__ckpt_write_file(dir, name, b.data, b.len, err, sizeof(err))) < 0)
            sg_ctx_errorf(c, rc, "%s: savepoint %llu: %s", c->name, (unsigned long long)id, err);
        *bytes = b.len;
    }
    sg__snap_writer_free(&dump);
    sg__snap_writer_free(&inst);
    sg__snap_writer_free(&w);
    return rc;
}

/* ---- Restore --------------------------------------------------------------------- */

typedef struct sp_file {
    void *data;
    uint64_t id, parallelism, subtask;
    sg_time in_wm, rec_wm, wm_out, wm, max_ts;
    sg_bytes inst, dump;
    sg_bytes name;
} sp_file;

static int read_sp(const sg__subtask *t, int k, const char *dir, int subtask, sp_file *f)
{
    char name[64], err[512];
    size_t len = 0;
    uint64_t format;
    sg_ctx *c = &t->chain[k];
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    sp_name(t, k, subtask, name, sizeof(name));
    int rc = sg__ckpt_read_file(dir, name, &f->data, &len, err, sizeof(err));
    if (rc < 0)
        return sg_ctx_errorf(c, rc, "savepoint %s has no state for operator '%s' (%s)", base,
                             c->name, err);
    sg_snap_reader r;
    sg__snap_reader_init(&r, f->data, len);
    if (sg_snap_get_u64(&r, &format) < 0 || format != SG__SP_FORMAT ||
        sg_snap_get_u64(&r, &f->id) < 0 || sg_snap_get_bytes(&r, &f->name) < 0 ||
        sg_snap_get_u64(&r, &f->parallelism) < 0 || sg_snap_get_u64(&r, &f->subtask) < 0 ||
        sg_snap_get_i64(&r, &f->in_wm) < 0 || sg_snap_get_i64(&r, &f->rec_wm) < 0 ||
        sg_snap_get_i64(&r, &f->wm_out) < 0 || sg_snap_get_i64(&r, &f->wm) < 0 ||
        sg_snap_get_i64(&r, &f->max_ts) < 0 || sg_snap_get_bytes(&r, &f->inst) < 0 ||
        sg_snap_get_bytes(&r, &f->dump) < 0 || f->parallelism < 1 ||
        f->parallelism > SG__MAX_PARALLELISM || f->subtask != (uint64_t)subtask)
        rc = sg_ctx_errorf(c, SG_ESERDE, "savepoint %s: %s is malformed", base, name);
    else if (f->name.len != strlen(c->name) || memcmp(f->name.data, c->name, f->name.len) != 0)
        rc = sg_ctx_errorf(c, SG_EINVAL, "savepoint %s: %s holds operator '%.*s', not '%s'", base,
                           name, (int)f->name.len, (const char *)f->name.data, c->name);
    sg__snap_reader_free(&r);
    return rc;
}

static void free_files(sp_file *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        sg_free(f[i].data);
    sg_free(f);
}

/* Reads what instance k needs (one file, or all when the parallelism changed) into
 * *files / *n. */
static int read_instance(sg__subtask *t, int k, const char *dir, sp_file **files, size_t *n)
{
    sg_ctx *c = &t->chain[k];
    sp_file first;
    memset(&first, 0, sizeof(first));
    *files = NULL;
    *n = 0;
    int rc = read_sp(t, k, dir, 0, &first);
    if (rc < 0) {
        sg_free(first.data);
        return rc;
    }
    bool same = first.parallelism == (uint64_t)c->parallelism;
    size_t want = same ? 1 : (size_t)first.parallelism;
    sp_file *f = sg_calloc(want, sizeof(*f));
    if (!f) {
        sg_free(first.data);
        return sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
    }
    if (!same || t->index == 0) {
        f[0] = first;
    } else {
        sg_free(first.data);
        if ((rc = read_sp(t, k, dir, t->index, &f[0])) < 0) {
            free_files(f, want);
            return rc;
        }
    }
    for (size_t i = 1; i < want && rc >= 0; i++)
        if ((rc = read_sp(t, k, dir, (int)i, &f[i])) >= 0 && f[i].parallelism != first.parallelism)
            rc = sg_ctx_errorf(c, SG_ESERDE,
                               "savepoint: operator '%s' has instances of "
                               "different parallelism",
                               c->name);
    if (rc < 0) {
        free_files(f, want);
        return rc;
    }
    *files = f;
    *n = want;
    return SG_OK;
}

/* The snapshot bytes instance k opens with, into w: as taken, or rescaled. */
static int instance_bytes(sg__subtask *t, int k, const sp_file *f, size_t n, bool same,
                          sg_snap_writer *w)
{
    sg_ctx *c = &t->chain[k];
    char err[256];
    if (same)
        return sg_snap_put_bytes(w, f[0].inst.data, f[0].inst.len) < 0
                   ? sg_ctx_errorf(c, SG_ENOMEM, "out of memory")
                   : SG_OK;
    sg_bytes *old = sg_calloc(n, sizeof(*old));
    if (!old)
        return sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        old[i] = f[i].inst;
    sg_snap_writer inst;
    sg__snap_writer_init(&inst);
    /* Not keyed: nothing can be split by key group, so only an instance that keeps
     * nothing may change parallelism (all it has are two empty timer lists and an
     * empty own snapshot: "\x00\x00\xc4\x00" in msgpack). */
    int rc = SG_OK;
    if (!c->keyed) {
        for (size_t i = 0; i < n && rc >= 0; i++)
            if (old[i].len != 4 || memcmp(old[i].data, "\x00\x00\xc4\x00", 4) != 0)
                rc = sg_ctx_errorf(c, SG_EINVAL,
                                   "cannot change the parallelism of '%s' (%llu to %d): it is "
                                   "not keyed and keeps state of its own",
                                   c->name, (unsigned long long)f[0].parallelism, c->parallelism);
    }
    if (rc >= 0 &&
        (rc = sg__sp_rescale_inst(old, n, t->index, c->parallelism, &inst, err, sizeof(err))) < 0)
        sg_ctx_errorf(c, rc, "cannot change the parallelism of '%s' (%llu to %d): %s", c->name,
                      (unsigned long long)f[0].parallelism, c->parallelism, err);
    if (rc >= 0) {
        sg_bytes b = sg__snap_writer_bytes(&inst);
        if (inst.failed || sg_snap_put_bytes(w, b.data, b.len) < 0)
            rc = sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
    }
    sg__snap_writer_free(&inst);
    sg_free(old);
    return rc;
}

/* Loads the keyed entries of instance k's key groups from every file. */
static int load_state(sg__subtask *t, int k, const sp_file *f, size_t n)
{
    sg_ctx *c = &t->chain[k];
    int rc = SG_OK;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        int has = 0;
        if (sg__sp_dump_has_states(f[i].dump, &has) < 0)
            return sg_ctx_errorf(c, SG_ESERDE, "savepoint: the state of '%s' is malformed",
                                 c->name);
        if (!has)
            continue;
        if (!c->keyed)
            return sg_ctx_errorf(c, SG_EINVAL, "savepoint: '%s' has keyed state but is not keyed",
                                 c->name);
        if (!c->kv && (rc = sg__state_open(c)) < 0)
            return rc;
        sg_snap_reader r;
        sg__snap_reader_init(&r, f[i].dump.data, f[i].dump.len);
        rc = sg__sp_load_kv(&r, c->kv, t->index, c->parallelism, NULL);
        sg__snap_reader_free(&r);
        if (rc < 0)
            return sg_ctx_errorf(c, rc, "savepoint: cannot load the state of '%s': %s", c->name,
                                 rc == SG_ESERDE ? "malformed" : sg__kv_errmsg(c->kv));
    }
    return rc;
}

int sg__subtask_open_savepoint(sg__subtask *t, const char *dir)
{
    int rc = SG_OK;
    uint64_t id = 0;
    sg_snap_writer *inst = sg_calloc((size_t)t->n_chain, sizeof(*inst));
    sg_time *wm = sg_calloc((size_t)t->n_chain * 2, sizeof(*wm));
    if (!inst || !wm) {
        sg_free(inst);
        sg_free(wm);
        return sg_ctx_errorf(&t->chain[0], SG_ENOMEM, "out of memory");
    }
    for (int k = 0; k < t->n_chain; k++)
        sg__snap_writer_init(&inst[k]);
    for (int k = 0; k < t->n_chain && rc >= 0; k++) {
        sp_file *f = NULL;
        size_t n = 0;
        if ((rc = read_instance(t, k, dir, &f, &n)) < 0)
            break;
        bool same = f[0].parallelism == (uint64_t)t->chain[k].parallelism;
        wm[2 * k] = SG_TIME_MAX;
        wm[2 * k + 1] = SG_TIME_MIN;
        for (size_t i = 0; i < n; i++) {
            wm[2 * k] = f[i].wm < wm[2 * k] ? f[i].wm : wm[2 * k];
            wm[2 * k + 1] = f[i].max_ts > wm[2 * k + 1] ? f[i].max_ts : wm[2 * k + 1];
            if (k == 0) {
                bool first = i == 0;
                t->in_wm = first || f[i].in_wm < t->in_wm ? f[i].in_wm : t->in_wm;
                t->rec_wm = first || f[i].rec_wm < t->rec_wm ? f[i].rec_wm : t->rec_wm;
                t->wm_out = first || f[i].wm_out < t->wm_out ? f[i].wm_out : t->wm_out;
            }
        }
        id = f[0].id;
        if ((rc = instance_bytes(t, k, f, n, same, &inst[k])) >= 0)
            rc = load_state(t, k, f, n);
        free_files(f, n);
    }
    /* A head that was chained behind another node before: its input watermark is the
     * watermark its instance had reached. */
    if (rc >= 0 && t->n_inputs > 0 && t->in_wm < wm[0])
        t->in_wm = wm[0];
    for (int k = t->n_chain - 1; k >= 0 && rc >= 0; k--) {
        sg_ctx *c = &t->chain[k];
        sg_snap_reader r;
        sg_bytes b = sg__snap_writer_bytes(&inst[k]), snap;
        sg__snap_reader_init(&r, b.data, b.len);
        if (inst[k].failed || sg_snap_get_bytes(&r, &snap) < 0)
            rc = sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
        else
            rc = sg__inst_open(c, &snap);
        sg__snap_reader_free(&r);
        c->wm = wm[2 * k];
        c->max_ts = wm[2 * k + 1];
    }
    for (int k = 0; k < t->n_chain; k++)
        sg__snap_writer_free(&inst[k]);
    sg_free(inst);
    sg_free(wm);
    if (rc < 0)
        return rc;
    sg__subtask_restored(t, id);
    return SG_OK;
}
