/* The checkpoint coordinator (ckpt.h): triggers checkpoints, collects the subtasks'
 * acknowledgements, completes or aborts, and applies retention. It runs on the main
 * thread; it touches subtasks only through their atomics and their workers' notify. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ckpt.h"
#include "engine/ckpt_async.h"
#include "engine/ckpt_dir.h"
#include "engine/ckpt_finished.h"
#include "engine/ckpt_store.h"
#include "engine/plan.h"
#include "engine/runtime.h"
#include "engine/sched.h"
#include "engine/task.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_RETAIN 3

/* ---- The plan's fingerprint -------------------------------------------------------- */

typedef struct strbuf {
    char *buf;
    size_t len, cap;
    bool failed;
} strbuf;

static void sb_add(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = sg_realloc(b->buf, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n + 1);
    b->len += n;
}

char *sg__ckpt_fingerprint(const sg__plan *plan)
{
    strbuf b = {0};
    char num[32];
    sb_add(&b, "");
    for (int i = 0; i < plan->n_tasks; i++) {
        const sg__ptask *t = &plan->tasks[i];
        if (i)
            sb_add(&b, ";");
        for (int k = 0; k < t->n_nodes; k++) {
            if (k)
                sb_add(&b, ",");
            sb_add(&b, t->nodes[k]->name);
        }
        snprintf(num, sizeof(num), "*%d", t->parallelism);
        sb_add(&b, num);
    }
    if (b.failed) {
        sg_free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* The fingerprint without parallelism, and without the chaining that parallelism
 * decides: the node names in order, what is left when only parallelism changed. */
static void strip_parallelism(const char *fp, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = fp; *p && o + 1 < len; p++) {
        if (*p == '*') {
            while (p[1] >= '0' && p[1] <= '9')
                p++;
            continue;
        }
        out[o++] = *p == ';' ? ',' : *p;
    }
    out[o] = '\0';
}

char *sg__ckpt_sp_fingerprint(const sg__plan *plan)
{
    char *fp = sg__ckpt_fingerprint(plan), *out = NULL;
    size_t len = fp ? strlen(fp) + 8 : 0;
    if (fp && (out = sg_malloc(len))) {
        memcpy(out, "nodes:", 6);
        strip_parallelism(fp, out + 6, len - 6);
    }
    sg_free(fp);
    return out;
}

/* ---- Lifecycle ---------------------------------------------------------------------- */

int sg__ckpt_coord_init(sg__ckpt_coord *c, const sg__run_config *cfg, const sg__plan *plan,
                        sg__subtask **subtasks, int n, uint64_t first_id, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->shared.root = cfg->ckpt_dir;
    c->shared.mode = cfg->ckpt_mode == SG_CHECKPOINT_AT_LEAST_ONCE ? SG_CHECKPOINT_AT_LEAST_ONCE
                                                                   : SG_CHECKPOINT_EXACTLY_ONCE;
    /* 0 is below every id a subtask has seen, restored or not. */
    atomic_store(&c->shared.wanted, 0);
    atomic_store(&c->shared.completed, 0);
    c->cfg = cfg;
    c->plan = plan;
    c->subtasks = subtasks;
    c->n_subtasks = n;
    c->next_id = first_id + 1;
    c->last_end_ms = c->started_ms = sg__now_ms();
    /* Test-only (docs/checkpoints.md): the process dies with _exit(137) right after
     * the metadata of the N-th checkpoint this run completes is written, before any
     * sink commits it: a kill -9 between pre-commit and commit. */
    const char *stop = getenv("SANGAM_TEST_STOP_AFTER_CHECKPOINT");
    if (stop && *stop)
        c->stop_after = strtoull(stop, NULL, 10);
    /* Test-only: the N-th checkpoint triggered this run is a savepoint (a deterministic
     * stand-in for SIGUSR1). */
    const char *sp = getenv("SANGAM_TEST_SAVEPOINT_AT");
    if (sp && *sp)
        c->sp_at = strtoull(sp, NULL, 10);
    if (sg__ckpt_async_new(&c->shared.async) < 0 ||
        !(c->fingerprint = sg__ckpt_fingerprint(plan)) ||
        !(c->sp_fingerprint = sg__ckpt_sp_fingerprint(plan)))
        goto nomem;
    for (int i = 0; i < n; i++) {
        sg__subtask *t = subtasks[i];
        t->ckpt = &c->shared;
        if (!(t->inst_bytes = sg_calloc((size_t)t->n_chain, sizeof(*t->inst_bytes))))
            goto nomem;
    }
    return SG_OK;
nomem:
    snprintf(err, errlen, "out of memory setting up checkpoints");
    return SG_ENOMEM;
}

void sg__ckpt_coord_free(sg__ckpt_coord *c)
{
    /* Test-only (docs/checkpoints.md): what the helper did, for the slow-helper test. */
    const char *show = getenv("SANGAM_TEST_CKPT_COUNTERS");
    if (show && *show && c->shared.async) {
        sg__ckpt_async_counters k;
        sg__ckpt_async_counters_get(c->shared.async, &k);
        fprintf(stderr,
                "sangam: checkpoint helper: at most %zu jobs pending (%d subtasks), %llu "
                "written, %llu dropped; checkpoints %llu completed, %llu aborted\n",
                k.max_pending, c->n_subtasks, (unsigned long long)k.jobs_done,
                (unsigned long long)k.jobs_dropped, (unsigned long long)c->stats.completed,
                (unsigned long long)c->stats.aborted);
    }
    sg__ckpt_async_free(c->shared.async); /* first: its jobs acknowledge into subtasks */
    c->shared.async = NULL;
    for (int i = 0; i < c->n_subtasks; i++) {
        sg_free(c->subtasks[i]->inst_bytes);
        c->subtasks[i]->inst_bytes = NULL;
    }
    sg_free(c->fingerprint);
    sg_free(c->sp_fingerprint);
    c->fingerprint = c->sp_fingerprint = NULL;
}

/* ---- Completing --------------------------------------------------------------------- */

static bool acked(sg__subtask *t, uint64_t id)
{
    return atomic_load_explicit(&t->acked, memory_order_acquire) >= id;
}

/* Where checkpoint id stands with subtask t: 1 acknowledged (its .snap is written), 0
 * finished without acknowledging it (recorded as finished: FLIP-147), -1 neither yet.
 * Finished is read first: a subtask acknowledges before it finishes if at all, so
 * after pub_finished (acquire) its acked is final, and a subtask that acknowledged id
 * and then finished is restored from its .snap (its consumers' snapshots may lack what
 * it sent after the barrier). */
static int ack_state(sg__subtask *t, uint64_t id)
{
    bool finished = atomic_load_explicit(&t->pub_finished, memory_order_acquire);
    if (acked(t, id))
        return 1;
    if (!finished)
        return -1;
    /* It finished after taking its snapshot of id, which the helper thread is still
     * writing (ckpt_async.h): its acknowledgement is coming, so it is not recorded as
     * finished. It published snapped before finishing. */
    if (atomic_load_explicit(&t->snapped, memory_order_acquire) >= id)
        return acked(t, id) ? 1 : -1;
    return 0;
}

/* Writes t<task>-s<subtask>.finished for every subtask that did not acknowledge id
 * (all finished: the caller checked). Its last watermark out is read after its
 * pub_finished (acquire), which it set after the last write. */
static int write_finished(sg__ckpt_coord *c, const char *dir, uint64_t id, char *err, size_t errlen)
{
    for (int i = 0; i < c->n_subtasks; i++) {
        sg__subtask *t = c->subtasks[i];
        if (acked(t, id))
            continue;
        int rc = sg__ckpt_write_finished(dir, t->task, t->index, t->chain[0].name, id, t->wm_sent,
                                         err, errlen);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

/* Per node name, the state the checkpoint holds for it (summed over subtasks). */
static int op_sizes(sg__ckpt_coord *c, sg__ckpt_meta *m)
{
    for (int i = 0; i < c->n_subtasks; i++) {
        sg__subtask *t = c->subtasks[i];
        bool finished = !acked(t, m->id); /* it keeps nothing in this checkpoint */
        for (int k = 0; k < t->n_chain; k++) {
            uint64_t b =
                finished ? 0 : atomic_load_explicit(&t->inst_bytes[k], memory_order_relaxed);
            size_t j = 0;
            while (j < m->n_ops && strcmp(m->ops[j].name, t->chain[k].name) != 0)
                j++;
            if (j == m->n_ops) {
                sg__ckpt_op_size *ops = sg_realloc(m->ops, (j + 1) * sizeof(*ops));
                if (!ops)
                    return SG_ENOMEM;
                m->ops = ops;
                if (!(ops[j].name = sg_strdup(t->chain[k].name)))
                    return SG_ENOMEM;
                ops[j].bytes = 0;
                m->n_ops++;
            }
            m->ops[j].bytes += b;
        }
    }
    return SG_OK;
}

static void wake(sg__ckpt_coord *c, bool sources)
{
    for (int i = 0; i < c->n_subtasks; i++) {
        sg__subtask *t = c->subtasks[i];
        if (t->worker && (sources ? t->is_source : t->is_sink))
            sg__worker_notify(t->worker);
    }
}

static int complete(sg__ckpt_coord *c, sg_time now, char *err, size_t errlen)
{
    char dir[PATH_MAX], serr[512];
    uint64_t id = c->inflight, bytes = 0, sync_us = 0, align_us = 0;
    sg__ckpt_kind kind = c->inflight_sp ? SG__CKPT_SAVEPOINT : SG__CKPT_CHECKPOINT;
    const char *what = c->inflight_sp ? "savepoint" : "checkpoint";
    sg__ckpt_path(c->shared.root, kind, id, dir, sizeof(dir));
    sg__ckpt_meta m = {
        .id = id,
        .time_ms = now,
        .kind = kind,
        .job = sg_strdup(c->cfg->job_name ? c->cfg->job_name : "job"),
        .fingerprint = sg_strdup(c->inflight_sp ? c->sp_fingerprint : c->fingerprint),
        .max_parallelism = SG__MAX_PARALLELISM,
    };
    /* The files' hashes, computed by the helper as it wrote them (ckpt_async.h). */
    sg__ckpt_file *known = NULL;
    size_t n_known = 0;
    int rc = m.job && m.fingerprint ? op_sizes(c, &m) : SG_ENOMEM;
    if (rc >= 0)
        rc = sg__ckpt_async_take(c->shared.async, id, &known, &n_known);
    if (rc < 0)
        snprintf(err, errlen, "out of memory completing %s %llu", what, (unsigned long long)id);
    else if (!c->inflight_sp && (rc = write_finished(c, dir, id, serr, sizeof(serr))) < 0)
        snprintf(err, errlen, "cannot complete %s %llu: %s", what, (unsigned long long)id, serr);
    else if ((rc = sg__ckpt_complete_known(dir, &m, known, n_known, serr, sizeof(serr))) < 0)
        snprintf(err, errlen, "cannot complete %s %llu: %s", what, (unsigned long long)id, serr);
    for (size_t i = 0; i < n_known; i++)
        sg_free(known[i].path);
    sg_free(known);
    sg__ckpt_meta_free(&m);
    if (rc < 0)
        return rc;
    /* Asked for by the user (SIGUSR1): always said, --quiet or not. */
    if (c->inflight_sp)
        fprintf(stderr, "sangam: savepoint %llu complete: %s\n", (unsigned long long)id, dir);
    if (c->stop_after && c->stop_after == c->stats.completed + 1)
        _exit(137);
    for (int i = 0; i < c->n_subtasks; i++) {
        if (!acked(c->subtasks[i], id))
            continue; /* finished: nothing of it in this checkpoint */
        bytes += atomic_load_explicit(&c->subtasks[i]->ack_bytes, memory_order_relaxed);
        uint64_t s = atomic_load_explicit(&c->subtasks[i]->ack_sync_us, memory_order_relaxed);
        sync_us = s > sync_us ? s : sync_us;
        s = atomic_load_explicit(&c->subtasks[i]->ack_align_us, memory_order_relaxed);
        align_us = s > align_us ? s : align_us;
    }
    sg__ckpt_stats *st = &c->stats;
    st->completed++;
    st->last_id = id;
    st->last_ms = (double)(now - c->started_ms);
    st->max_ms = st->last_ms > st->max_ms ? st->last_ms : st->max_ms;
    st->last_sync_ms = (double)sync_us / 1000.0;
    st->last_align_ms = (double)align_us / 1000.0;
    st->last_bytes = bytes;
    atomic_store_explicit(&c->shared.completed, id, memory_order_seq_cst);
    wake(c, false);
    c->inflight = 0;
    c->last_end_ms = now;
    /* Retention failing leaves extra checkpoints behind: worth a notice, not a failure. */
    int retain = c->cfg->ckpt_retain > 0 ? c->cfg->ckpt_retain : DEFAULT_RETAIN;
    if (sg__ckpt_retain(c->shared.root, retain, serr, sizeof(serr)) < 0 && !c->cfg->quiet)
        fprintf(stderr, "sangam: %s\n", serr);
    /* Aborted savepoints too (retention leaves every sp- directory alone): every
     * subtask has passed their barriers, as for aborted checkpoints. */
    if (sg__ckpt_remove_aborted(c->shared.root, id, serr, sizeof(serr)) < 0 && !c->cfg->quiet)
        fprintf(stderr, "sangam: %s\n", serr);
    return SG_OK;
}

static void abort_inflight(sg__ckpt_coord *c, sg_time now, const char *why)
{
    if (c->inflight_sp)
        fprintf(stderr, "sangam: savepoint %llu aborted: %s\n", (unsigned long long)c->inflight,
                why ? why : "the input ended before every operator reached it");
    else if (!c->cfg->quiet && why)
        fprintf(stderr, "sangam: checkpoint %llu aborted: %s\n", (unsigned long long)c->inflight,
                why);
    /* Its queued jobs are dropped, the running one stops (ckpt_async.h rule 6): a
     * helper slower than the timeout would otherwise write every aborted checkpoint in
     * full while their copies pile up in memory. */
    sg__ckpt_async_abort(c->shared.async, c->inflight);
    c->stats.aborted++;
    c->inflight = 0;
    c->last_end_ms = now;
}

int sg__ckpt_coord_tick(sg__ckpt_coord *c, _Atomic int *savepoint, char *err, size_t errlen)
{
    sg_time now = sg__now_ms();
    int arc = sg__ckpt_async_error(c->shared.async, err, errlen);
    if (arc < 0)
        return arc; /* a checkpoint's files could not be written */
    if (c->inflight) {
        bool all = true, stuck = false;
        for (int i = 0; i < c->n_subtasks; i++) {
            int st = ack_state(c->subtasks[i], c->inflight);
            if (st == 1)
                continue;
            /* A checkpoint records a finished subtask as finished; a savepoint cannot
             * (it is restored at any parallelism, instance by instance), so a subtask
             * that finished without acknowledging one aborts it. */
            if (st == 0 && !c->inflight_sp)
                continue;
            stuck |= st == 0;
            all = false;
        }
        if (all)
            return complete(c, now, err, errlen);
        int64_t timeout =
            c->cfg->ckpt_timeout_ms > 0 ? c->cfg->ckpt_timeout_ms : DEFAULT_TIMEOUT_MS;
        if (stuck)
            abort_inflight(c, now, NULL); /* the input ended: the end is the final commit */
        else if (now - c->started_ms >= timeout)
            abort_inflight(c, now, "not complete within --checkpoint-timeout-ms");
        return SG_OK;
    }
    /* Nothing starts while the helper still writes (or drops) an older checkpoint's
     * jobs: so its queue never holds more than one checkpoint's (ckpt_async.h rule 6),
     * and a new checkpoint's timeout is not spent waiting behind them. A savepoint
     * asked for stays asked for. */
    if (sg__ckpt_async_pending(c->shared.async) > 0)
        return SG_OK;
    /* A savepoint asked for starts now, whatever the interval. */
    bool sp = savepoint && atomic_exchange(savepoint, 0) != 0;
    if (!sp && (c->cfg->ckpt_interval_ms <= 0 || now - c->started_ms < c->cfg->ckpt_interval_ms ||
                now - c->last_end_ms < c->cfg->ckpt_min_pause_ms))
        return SG_OK;
    /* Finished subtasks count as acknowledged (FLIP-147), but a barrier has to start
     * somewhere: once every source has finished, the job's end is its final commit.
     * A savepoint needs every instance still running (see above). */
    const sg__subtask *running_src = NULL, *finished = NULL;
    for (int i = 0; i < c->n_subtasks; i++) {
        const sg__subtask *t = c->subtasks[i];
        bool fin = atomic_load_explicit(&t->pub_finished, memory_order_acquire);
        if (fin && !finished)
            finished = t;
        if (!fin && t->is_source && !running_src)
            running_src = t;
    }
    if (!running_src) {
        if (sp)
            fprintf(stderr, "sangam: savepoint not taken: every source has finished\n");
        return SG_OK;
    }
    if (sp && finished) {
        fprintf(stderr,
                "sangam: savepoint not taken: '%s' (subtask %d) has finished (savepoints of a "
                "partly finished job are not supported)\n",
                finished->chain[0].name, finished->index);
        return SG_OK;
    }
    sp |= !finished && c->sp_at && c->sp_at == c->triggered + 1;
    char serr[512];
    uint64_t id = c->next_id;
    sg__ckpt_kind kind = sp ? SG__CKPT_SAVEPOINT : SG__CKPT_CHECKPOINT;
    int rc = sg__ckpt_begin(c->shared.root, kind, id, serr, sizeof(serr));
    if (rc < 0) {
        snprintf(err, errlen, "cannot start %s %llu: %s", sp ? "savepoint" : "checkpoint",
                 (unsigned long long)id, serr);
        return rc;
    }
    c->next_id++;
    c->triggered++;
    c->inflight = id;
    c->inflight_sp = sp;
    c->started_ms = now;
    if (sp) /* before wanted: a subtask that sees id must know its kind */
        atomic_store_explicit(&c->shared.savepoint, id, memory_order_seq_cst);
    atomic_store_explicit(&c->shared.wanted, id, memory_order_seq_cst);
    wake(c, true);
    return SG_OK;
}

/* ---- Restore ------------------------------------------------------------------------ */

int sg__ckpt_find_restore(const sg__run_config *cfg, const sg__plan *plan, char *dir, size_t dirlen,
                          uint64_t *id, sg__ckpt_kind *kind, char *err, size_t errlen)
{
    sg__ckpt_meta m;
    int rc;
    memset(&m, 0, sizeof(m));
    if (strcmp(cfg->restore, "latest") == 0) {
        rc = sg__ckpt_find_latest(cfg->ckpt_dir, stderr, id, &m, err, errlen);
        if (rc != SG_OK)
            return rc; /* SG_NOTFOUND: nothing to restore */
        sg__ckpt_path(cfg->ckpt_dir, SG__CKPT_CHECKPOINT, *id, dir, dirlen);
    } else {
        snprintf(dir, dirlen, "%s", cfg->restore);
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
            dir[n - 1] = '\0';
        if ((rc = sg__ckpt_verify(dir, &m, err, errlen)) < 0)
            return rc;
        *id = m.id;
    }
    *kind = m.kind;
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    bool sp = m.kind == SG__CKPT_SAVEPOINT;
    char *fingerprint = sp ? sg__ckpt_sp_fingerprint(plan) : sg__ckpt_fingerprint(plan);
    if (!fingerprint) {
        sg__ckpt_meta_free(&m);
        snprintf(err, errlen, "out of memory");
        return SG_ENOMEM;
    }
    rc = SG_OK;
    if (m.max_parallelism != SG__MAX_PARALLELISM) {
        /* Key groups are the unit that moves between subtasks; their number is fixed. */
        snprintf(err, errlen,
                 "%s %s was taken with max parallelism %d, this engine's is %d: changing the "
                 "max parallelism (the number of key groups) is not supported",
                 sp ? "savepoint" : "checkpoint", base, m.max_parallelism, SG__MAX_PARALLELISM);
        rc = SG_EINVAL;
    } else if (!m.fingerprint || strcmp(m.fingerprint, fingerprint) != 0) {
        char was[2048], now[2048];
        strip_parallelism(m.fingerprint ? m.fingerprint : "", was, sizeof(was));
        strip_parallelism(fingerprint, now, sizeof(now));
        if (!sp && strcmp(was, now) == 0)
            snprintf(err, errlen,
                     "checkpoint %s was taken with a different parallelism (%s; this run: %s): "
                     "changing the parallelism needs a savepoint",
                     base, m.fingerprint, fingerprint);
        else
            snprintf(err, errlen,
                     "%s %s was taken with a different job graph: it has %s, this run "
                     "has %s",
                     sp ? "savepoint" : "checkpoint", base, m.fingerprint ? m.fingerprint : "none",
                     fingerprint);
        rc = SG_EINVAL;
    }
    sg_free(fingerprint);
    sg__ckpt_meta_free(&m);
    return rc;
}

void sg__ckpt_guarantees(const sg__plan *plan, sg_checkpoint_mode mode, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < plan->n_tasks; i++)
        for (int k = 0; k < plan->tasks[i].n_nodes && used < len; k++) {
            const sg__node *n = plan->tasks[i].nodes[k];
            if (n->kind != SG__NODE_SINK)
                continue;
            bool eo =
                mode == SG_CHECKPOINT_EXACTLY_ONCE && (n->sink_def->flags & SG_SINK_EXACTLY_ONCE);
            used +=
                (size_t)snprintf(buf + used, len - used, "%ssink '%s' (%s) is %s", used ? ", " : "",
                                 n->name, n->sink_def->name, eo ? "exactly-once" : "at-least-once");
        }
}
