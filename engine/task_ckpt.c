/* A subtask's checkpoint snapshot and its restore (task.h, ckpt.h).
 *
 * The file t<task>-s<subtask>.snap in the checkpoint's directory, msgpack (snap.h):
 *
 *   u64 format (SNAP_FORMAT)   u64 checkpoint id
 *   i64 input watermark        i64 the chain's record watermark   i64 the source's
 *                                                                 last watermark out
 *   u64 n_chain, then per chain instance, head first:
 *     i64 its watermark   i64 its max timestamp seen (the source's watermark tracker)
 *     u64 where its keyed state is: 0 nowhere (none), 1 the directory
 *         t<task>-s<subtask>-i<k>/ (a RocksDB checkpoint: the state had spilled), 2
 *         the file t<task>-s<subtask>-i<k>.kv (a copy of the state cache, state.h)
 *     bytes sg__inst_snapshot (timers, then the operator's, source's or sink's own)
 *
 * Restore links each state directory into the instance's fresh state directory (the
 * checkpoint itself is never opened for writing) or loads the cache copy into the
 * instance's fresh state, and opens the instance with its bytes; watermarks come back exactly, so
 * every record is judged late or not as in the run that took the checkpoint. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/ckpt_async.h"
#include "engine/ckpt_store.h"
#include "engine/snap.h"
#include "engine/task.h"

#define SNAP_FORMAT 1
/* Where an instance's keyed state is (the .snap's per-instance state field). */
#define STATE_NONE 0    /* no keyed state */
#define STATE_ROCKSDB 1 /* t<task>-s<subtask>-i<k>/, a RocksDB checkpoint */
#define STATE_IMAGE 2   /* t<task>-s<subtask>-i<k>.kv, a copy of the cache (state.h) */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The bytes of the regular files directly in dir (a RocksDB checkpoint is flat). */
static uint64_t dir_bytes(const char *dir)
{
    uint64_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            n += (uint64_t)st.st_size;
    }
    closedir(d);
    return n;
}

/* ---- Snapshot -------------------------------------------------------------------- */

uint64_t sg__subtask_now_us(void)
{
    return now_us();
}

/* The keyed state of instance k into the job: a copy of the cache when nothing
 * spilled (kind 2, written by the helper), else a RocksDB checkpoint made now (kind 1,
 * hard links; the helper only hashes it). The kind goes into w. */
static int snapshot_state(sg__subtask *t, int k, const char *dir, sg_snap_writer *w,
                          sg__ckpt_job *job, uint64_t *bytes)
{
    sg_ctx *c = &t->chain[k];
    char name[64], path[PATH_MAX];
    int rc;
    if (!c->kv)
        return sg_snap_put_u64(w, STATE_NONE) < 0 ? SG_ENOMEM : SG_OK;
    if (!sg__kv_spilled(c->kv)) {
        void *img;
        size_t len;
        if ((rc = sg__kv_image(c->kv, &img, &len)) < 0)
            return sg_ctx_errorf(c, rc, "%s: cannot copy state: %s", c->name, sg__kv_errmsg(c->kv));
        snprintf(name, sizeof(name), "t%d-s%d-i%d.kv", t->task, t->index, k);
        /* img goes to the job first: it frees img even when adding fails. */
        if (sg__ckpt_job_add_file(job, name, img, len) < 0 || sg_snap_put_u64(w, STATE_IMAGE) < 0)
            return SG_ENOMEM;
        *bytes += len;
        return SG_OK;
    }
    snprintf(name, sizeof(name), "t%d-s%d-i%d", t->task, t->index, k);
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return sg_ctx_errorf(c, SG_EINVAL, "%s: checkpoint path too long", c->name);
    if ((rc = sg__kv_checkpoint(c->kv, path)) < 0)
        return sg_ctx_errorf(c, rc, "%s: cannot checkpoint state: %s", c->name,
                             sg__kv_errmsg(c->kv));
    if (sg_snap_put_u64(w, STATE_ROCKSDB) < 0 || sg__ckpt_job_add_dir(job, name) < 0)
        return SG_ENOMEM;
    *bytes += dir_bytes(path);
    return SG_OK;
}

static int snapshot_instance(sg__subtask *t, int k, uint64_t id, const char *dir, sg_snap_writer *w,
                             bool savepoint, sg__ckpt_job *job)
{
    sg_ctx *c = &t->chain[k];
    uint64_t bytes = 0;
    int rc;
    if (c->kind == SG__INST_SINK && c->sink->pre_commit) {
        if ((rc = c->sink->pre_commit(c, c->self, id)) < 0) {
            sg__scratch_reset(&c->scratch);
            if (!c->errmsg[0])
                sg_ctx_errorf(c, rc, "%s: cannot pre-commit checkpoint %llu: %s", c->name,
                              (unsigned long long)id, sg_strerror(rc));
            return rc;
        }
        sg__scratch_reset(&c->scratch);
    }
    if (savepoint) {
        rc = sg__subtask_savepoint_instance(t, k, id, dir, &bytes);
        if (t->inst_bytes)
            atomic_store_explicit(&t->inst_bytes[k], bytes, memory_order_relaxed);
        return rc;
    }
    if (sg_snap_put_i64(w, c->wm) < 0 || sg_snap_put_i64(w, c->max_ts) < 0)
        return sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
    if ((rc = snapshot_state(t, k, dir, w, job, &bytes)) < 0)
        return rc == SG_ENOMEM ? sg_ctx_errorf(c, rc, "out of memory") : rc;
    sg_snap_writer own;
    sg__snap_writer_init(&own);
    rc = sg__inst_snapshot(c, &own);
    if (rc >= 0) {
        sg_bytes b = sg__snap_writer_bytes(&own);
        if (own.failed || sg_snap_put_bytes(w, b.data, b.len) < 0)
            rc = sg_ctx_errorf(c, SG_ENOMEM, "out of memory");
        bytes += b.len;
    }
    sg__snap_writer_free(&own);
    if (t->inst_bytes)
        atomic_store_explicit(&t->inst_bytes[k], bytes, memory_order_relaxed);
    return rc;
}

/* The .snap bytes into the job (a copy the job owns). */
static int add_snap_file(sg__subtask *t, sg_snap_writer *w, sg__ckpt_job *job, uint64_t *total)
{
    char name[64];
    sg_bytes b = sg__snap_writer_bytes(w);
    void *copy = sg_malloc(b.len ? b.len : 1);
    if (!copy)
        return SG_ENOMEM;
    memcpy(copy, b.data, b.len);
    snprintf(name, sizeof(name), "t%d-s%d.snap", t->task, t->index);
    *total += b.len;
    return sg__ckpt_job_add_file(job, name, copy, b.len);
}

/* The synchronous part: everything the checkpoint holds is copied (or, for state that
 * spilled, hard-linked) before this returns, so the subtask may go on changing its
 * state while the helper writes (ckpt_async.h rule 1). The helper acknowledges. */
int sg__subtask_snapshot(sg__subtask *t, uint64_t id)
{
    char dir[PATH_MAX], err[1024];
    uint64_t start = now_us();
    int rc = SG_OK;
    /* A savepoint writes one file per instance (task_savepoint.c) and no .snap. Its kind
     * is told by the directory the coordinator made before raising the id (ids are one
     * sequence over both kinds), not by the coordinator's newest savepoint id: a late
     * barrier of an aborted savepoint must still go to its own sp- directory. */
    struct stat st;
    sg__ckpt_path(t->ckpt->root, SG__CKPT_SAVEPOINT, id, dir, sizeof(dir));
    bool sp = stat(dir, &st) == 0;
    if (!sp)
        sg__ckpt_path(t->ckpt->root, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
    /* A savepoint's files are written now; its job only acknowledges, in order. */
    sg__ckpt_job *job = sg__ckpt_job_new(id, dir, &t->acked, t->chain[0].name);
    if (!job)
        return sg_ctx_errorf(&t->chain[0], SG_ENOMEM, "out of memory taking a checkpoint");
    sg_snap_writer w;
    sg__snap_writer_init(&w);
    sg_snap_put_u64(&w, SNAP_FORMAT);
    sg_snap_put_u64(&w, id);
    sg_snap_put_i64(&w, t->in_wm);
    sg_snap_put_i64(&w, t->rec_wm);
    sg_snap_put_i64(&w, t->wm_out);
    sg_snap_put_u64(&w, (uint64_t)t->n_chain);
    for (int k = 0; k < t->n_chain && rc >= 0; k++)
        rc = snapshot_instance(t, k, id, dir, &w, sp, job);
    uint64_t total = 0;
    for (int k = 0; t->inst_bytes && k < t->n_chain; k++)
        total += atomic_load_explicit(&t->inst_bytes[k], memory_order_relaxed);
    if (rc >= 0 && !sp && (w.failed || add_snap_file(t, &w, job, &total) < 0))
        rc = sg_ctx_errorf(&t->chain[0], SG_ENOMEM, "out of memory writing a snapshot");
    sg__snap_writer_free(&w);
    if (rc < 0) {
        sg__ckpt_job_free(job);
        return rc;
    }
    if (t->is_sink)
        t->precommitted = id;
    uint64_t end = now_us();
    atomic_store_explicit(&t->ack_bytes, total, memory_order_relaxed);
    atomic_store_explicit(&t->ack_sync_us, end - start, memory_order_relaxed);
    atomic_store_explicit(&t->ack_align_us, t->align_start_us ? start - t->align_start_us : 0,
                          memory_order_relaxed);
    t->align_start_us = 0;
    atomic_store_explicit(&t->snapped, id, memory_order_release);
    if ((rc = sg__ckpt_async_submit(t->ckpt->async, job, err, sizeof(err))) < 0)
        return sg_ctx_errorf(&t->chain[0], rc, "%s", err);
    return SG_OK;
}

/* ---- Restore --------------------------------------------------------------------- */

typedef struct inst_restore {
    sg_time wm, max_ts;
    uint64_t state; /* STATE_* */
    sg_bytes snap;
} inst_restore;

static int malformed(sg__subtask *t, const char *dir, const char *name)
{
    return sg_ctx_errorf(&t->chain[0], SG_ESERDE, "checkpoint %s: %s is malformed", dir, name);
}

static int read_restore(sg__subtask *t, sg_snap_reader *r, uint64_t *id, inst_restore *ir)
{
    uint64_t format, n;
    if (sg_snap_get_u64(r, &format) < 0 || format != SNAP_FORMAT || sg_snap_get_u64(r, id) < 0 ||
        sg_snap_get_i64(r, &t->in_wm) < 0 || sg_snap_get_i64(r, &t->rec_wm) < 0 ||
        sg_snap_get_i64(r, &t->wm_out) < 0 || sg_snap_get_u64(r, &n) < 0 ||
        n != (uint64_t)t->n_chain)
        return SG_ESERDE;
    for (int k = 0; k < t->n_chain; k++)
        if (sg_snap_get_i64(r, &ir[k].wm) < 0 || sg_snap_get_i64(r, &ir[k].max_ts) < 0 ||
            sg_snap_get_u64(r, &ir[k].state) < 0 || ir[k].state > STATE_IMAGE ||
            sg_snap_get_bytes(r, &ir[k].snap) < 0)
            return SG_ESERDE;
    return SG_OK;
}

/* A copy of the cache (STATE_IMAGE) into the instance's fresh state, before its open
 * declares the states (declaring by name gives the same ids). Any backend will do. */
static int load_image(sg__subtask *t, int k, const char *dir, const char *base)
{
    sg_ctx *c = &t->chain[k];
    char name[64], err[1024];
    void *data = NULL;
    size_t len = 0;
    int rc;
    if (!c->keyed)
        return sg_ctx_errorf(c, SG_EINVAL, "checkpoint %s: %s has keyed state but is not keyed",
                             base, c->name);
    if (!c->kv && (rc = sg__state_open(c)) < 0)
        return rc;
    snprintf(name, sizeof(name), "t%d-s%d-i%d.kv", t->task, t->index, k);
    if ((rc = sg__ckpt_read_file(dir, name, &data, &len, err, sizeof(err))) < 0)
        return sg_ctx_errorf(c, rc, "%s", err);
    if ((rc = sg__kv_load_image(c->kv, data, len)) < 0)
        sg_ctx_errorf(c, rc, "checkpoint %s: cannot restore the state of %s: %s", base, c->name,
                      sg__kv_errmsg(c->kv));
    sg_free(data);
    return rc;
}

static int open_restored(sg__subtask *t, const char *dir)
{
    char name[64], err[512], path[PATH_MAX];
    void *data = NULL;
    size_t len = 0;
    uint64_t id = 0;
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    snprintf(name, sizeof(name), "t%d-s%d.snap", t->task, t->index);
    int rc = sg__ckpt_read_file(dir, name, &data, &len, err, sizeof(err));
    if (rc < 0)
        return sg_ctx_errorf(&t->chain[0], rc, "%s", err);
    inst_restore *ir = sg_calloc((size_t)t->n_chain, sizeof(*ir));
    sg_snap_reader r;
    sg__snap_reader_init(&r, data, len);
    if (!ir)
        rc = sg_ctx_errorf(&t->chain[0], SG_ENOMEM, "out of memory");
    else if (read_restore(t, &r, &id, ir) < 0)
        rc = malformed(t, base, name);
    for (int k = 0; k < t->n_chain && rc >= 0; k++) {
        sg_ctx *c = &t->chain[k];
        if (ir[k].state == STATE_IMAGE) {
            rc = load_image(t, k, dir, base);
            continue;
        }
        if (ir[k].state != STATE_ROCKSDB)
            continue;
        if (!c->state_dir || c->backend != SG__KV_ROCKSDB) {
            rc = sg_ctx_errorf(c, SG_EINVAL,
                               "checkpoint %s: %s has keyed state, which needs "
                               "--state-backend rocksdb",
                               base, c->name);
            break;
        }
        if (snprintf(path, sizeof(path), "%s/t%d-s%d-i%d", dir, t->task, t->index, k) >=
            (int)sizeof(path)) {
            rc = sg_ctx_errorf(c, SG_EINVAL, "%s: checkpoint path too long", c->name);
            break;
        }
        if ((rc = sg__ckpt_link_tree(path, c->state_dir, err, sizeof(err))) < 0)
            sg_ctx_errorf(c, rc, "%s: cannot restore state: %s", c->name, err);
    }
    for (int k = t->n_chain - 1; k >= 0 && rc >= 0; k--) {
        sg_ctx *c = &t->chain[k];
        rc = sg__inst_open(c, &ir[k].snap);
        c->wm = ir[k].wm;
        c->max_ts = ir[k].max_ts;
    }
    sg__snap_reader_free(&r);
    sg_free(ir);
    sg_free(data);
    if (rc < 0)
        return rc;
    sg__subtask_restored(t, id);
    return SG_OK;
}

void sg__subtask_restored(sg__subtask *t, uint64_t id)
{
    /* Every input had reached the input watermark; until an input re-sends its own
     * (resend_watermark upstream), it stands there. Left at SG_TIME_MIN, it would count
     * as behind (an input rejoining from idleness) and not hold the minimum back. */
    for (int i = 0; i < t->n_inputs; i++) {
        t->inputs[i].wm = t->in_wm;
        atomic_store_explicit(&t->inputs[i].pub_wm, t->in_wm, memory_order_relaxed);
    }
    /* Ids after the restored one are new; a sink's open finished committing up to it. */
    t->ckpt_last = t->precommitted = t->committed = id;
    atomic_store_explicit(&t->acked, id, memory_order_relaxed);
    atomic_store_explicit(&t->snapped, id, memory_order_relaxed);
    atomic_store_explicit(&t->pub.wm, t->is_source ? t->wm_out : t->in_wm, memory_order_relaxed);
    t->resend_wm = true;
}

int sg__subtask_open(sg__subtask *t, const char *restore_dir)
{
    sg__subtask_wire(t);
    t->opened = true;
    if (restore_dir && t->restore_savepoint)
        return sg__subtask_open_savepoint(t, restore_dir);
    if (restore_dir)
        return open_restored(t, restore_dir);
    for (int i = t->n_chain - 1; i >= 0; i--) {
        int rc = sg__inst_open(&t->chain[i], NULL);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}
