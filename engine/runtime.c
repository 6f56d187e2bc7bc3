/* Running a job (runtime.h): plan, build subtasks and channels, run the workers,
 * watch them, and clean up. The main thread only monitors: progress and the end. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/builtin.h"
#include "engine/ckpt.h"
#include "engine/ckpt_async.h"
#include "engine/ckpt_dir.h"
#include "engine/ckpt_finished.h"
#include "engine/ckpt_store.h"
#include "engine/fsutil.h"
#include "engine/pace.h"
#include "engine/plan.h"
#include "engine/reject.h"
#include "engine/runtime.h"
#include "engine/sched.h"

typedef struct runtime {
    sg_job *job;
    const sg__run_config *cfg;
    sg__plan plan;
    sg__subtask **subtasks;
    int n_subtasks;
    int *first_subtask; /* per plan task: index of its subtask 0 */
    sg__chan **chans;
    int n_chans, cap_chans;
    sg__reject_log *rejects;
    char *state_root; /* this run's state directory, removed at the end */
    sg__sched sched;
    bool sched_ready;
    sg__ckpt_coord coord;
    bool ckpt_on;      /* the coordinator runs */
    char *restore_dir; /* the checkpoint restored from, or NULL */
    sg__pace pace;     /* event time on the wall clock: --pace, latency: sinks */
    uint64_t restore_id;
    int lock_fd; /* --checkpoint-dir's lock (ckpt_dir.h), or -1 */
} runtime;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- State directories ------------------------------------------------------------ */

static int make_state_root(runtime *rt, char *err, size_t errlen)
{
    char path[PATH_MAX];
    const char *base = rt->cfg->state_dir;
    if (!base) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/sangam-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(path)) {
            snprintf(err, errlen, "cannot create a temporary state directory in %s: %s",
                     tmp && *tmp ? tmp : "/tmp", strerror(errno));
            return SG_EIO;
        }
    } else {
        if (mkdir(base, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create state directory %s: %s", base, strerror(errno));
            return SG_EIO;
        }
        /* Each run works in its own subdirectory, so state of an earlier run is never
         * mistaken for this one's. */
        snprintf(path, sizeof(path), "%s/run-%ld-%ld", base, (long)getpid(), (long)time(NULL));
        if (mkdir(path, 0777) != 0) {
            snprintf(err, errlen, "cannot create state directory %s: %s", path, strerror(errno));
            return SG_EIO;
        }
    }
    if (!(rt->state_root = sg_strdup(path))) {
        snprintf(err, errlen, "out of memory");
        return SG_ENOMEM;
    }
    return SG_OK;
}

static char *instance_dir(runtime *rt, const sg__node *n, int index)
{
    char name[64], path[PATH_MAX];
    size_t i = 0;
    for (const char *p = n->name; *p && i < sizeof(name) - 1; p++, i++)
        name[i] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
                             ? *p
                             : '_');
    name[i] = '\0';
    snprintf(path, sizeof(path), "%s/%d-%s-%d", rt->state_root, n->id, name, index);
    return sg_strdup(path);
}

/* ---- Building subtasks ------------------------------------------------------------- */

static const sg_source_def *source_def(const sg_job *job, const sg__node *n)
{
    if (strncmp(n->uri, "gen:", 4) == 0)
        return sg__job_find_generator(job, n->uri + 4)->def;
    return &sg__file_source;
}

static int build_chain(runtime *rt, const sg__ptask *pt, sg__subtask *t, int index)
{
    int n = pt->n_nodes;
    for (int k = 0; k < pt->n_nodes; k++)
        n += pt->nodes[k]->kind == SG__NODE_SOURCE && pt->nodes[k]->has_dec;
    if (!(t->chain = sg_calloc((size_t)n, sizeof(*t->chain))))
        return SG_ENOMEM;
    t->n_chain = n;
    t->wm_delay = -1;
    t->wm_out = SG_TIME_MIN;
    int c = 0;
    for (int k = 0; k < pt->n_nodes; k++) {
        const sg__node *node = pt->nodes[k];
        sg_ctx *x = &t->chain[c++];
        sg__inst_init(x);
        x->name = node->name;
        x->node = node;
        x->index = c - 1;
        x->subtask = index;
        x->parallelism = pt->parallelism;
        x->rejects = rt->rejects;
        x->uri = node->uri;
        x->run_pace = &rt->pace;
        switch (node->kind) {
        case SG__NODE_SOURCE:
            x->kind = SG__INST_SOURCE;
            x->src = source_def(rt->job, node);
            t->is_source = true;
            t->wm_delay = node->wm_delay;
            if (node->has_dec) {
                sg_ctx *d = &t->chain[c++];
                sg__inst_init(d);
                d->kind = SG__INST_DECODE;
                d->name = node->name;
                d->node = node;
                d->index = c - 1;
                d->subtask = index;
                d->parallelism = pt->parallelism;
                d->rejects = rt->rejects;
                d->dec = node->dec;
                d->udata = node->dec.udata;
                d->source = x;
                d->track_ts = true;
                d->run_pace = &rt->pace;
                x->decode = d;
            } else {
                x->track_ts = true;
            }
            if (rt->cfg->pace > 0) { /* the timestamp tracker waits (pace.h) */
                (node->has_dec ? &t->chain[c - 1] : x)->pace = &rt->pace;
                t->pace_budget = 16;
            }
            break;
        case SG__NODE_OP:
            x->kind = SG__INST_OP;
            x->op = node->op_def;
            x->udata = node->udata;
            x->keyed = (node->op_def->flags & SG_OP_KEYED) != 0;
            x->backend = rt->cfg->backend;
            x->cache_entries = rt->cfg->cache_entries;
            if (x->keyed && !(x->state_dir = instance_dir(rt, node, index)))
                return SG_ENOMEM;
            break;
        case SG__NODE_SINK:
            x->kind = SG__INST_SINK;
            x->sink = node->sink_def;
            x->enc = node->enc;
            x->has_enc = node->has_enc;
            t->is_sink = true;
            break;
        }
    }
    return SG_OK;
}

static int add_input(sg__subtask *t, sg__chan *c, int port)
{
    sg__input *in = sg_realloc(t->inputs, (size_t)(t->n_inputs + 1) * sizeof(*in));
    if (!in)
        return SG_ENOMEM;
    t->inputs = in;
    in = &t->inputs[t->n_inputs];
    memset(in, 0, sizeof(*in));
    in->chan = c;
    in->wm = SG_TIME_MIN;
    atomic_store(&in->pub_wm, SG_TIME_MIN);
    in->port = port;
    c->consumer = t;
    t->n_inputs++;
    return SG_OK;
}

static sg__chan *new_chan(runtime *rt)
{
    if (rt->n_chans == rt->cap_chans) {
        int cap = rt->cap_chans ? rt->cap_chans * 2 : 16;
        sg__chan **c = sg_realloc(rt->chans, (size_t)cap * sizeof(*c));
        if (!c)
            return NULL;
        rt->chans = c;
        rt->cap_chans = cap;
    }
    sg__chan *c = sg__chan_new();
    if (c)
        rt->chans[rt->n_chans++] = c;
    return c;
}

static int connect_exchange(runtime *rt, const sg__xchg *x)
{
    int p_from = rt->plan.tasks[x->from_task].parallelism;
    int p_to = rt->plan.tasks[x->to_task].parallelism;
    for (int i = 0; i < p_from; i++) {
        sg__subtask *prod = rt->subtasks[rt->first_subtask[x->from_task] + i];
        sg__output *o = sg_realloc(prod->outputs, (size_t)(prod->n_outputs + 1) * sizeof(*o));
        if (!o)
            return SG_ENOMEM;
        prod->outputs = o;
        o = &prod->outputs[prod->n_outputs++];
        memset(o, 0, sizeof(*o));
        o->kind = x->kind;
        o->tag = x->tag;
        o->from_inst = prod->n_chain - 1;
        for (int k = 0; k < prod->n_chain; k++)
            if (prod->chain[k].node == x->from_node && prod->chain[k].kind != SG__INST_DECODE)
                o->from_inst = k;
        int n = x->kind == SG__XCHG_POINTWISE ? 1 : p_to;
        o->rr = i % n; /* spread rebalancing producers over the targets */
        o->chans = sg_calloc((size_t)n, sizeof(*o->chans));
        o->pending = sg_calloc((size_t)n, sizeof(*o->pending));
        if (!o->chans || !o->pending)
            return SG_ENOMEM; /* o->n stays 0: nothing to close */
        o->n = n;
        for (int k = 0; k < o->n; k++) {
            int j = x->kind == SG__XCHG_POINTWISE ? i : k;
            sg__subtask *cons = rt->subtasks[rt->first_subtask[x->to_task] + j];
            sg__chan *c = new_chan(rt);
            if (!c || add_input(cons, c, x->port) < 0)
                return SG_ENOMEM;
            c->producer = prod;
            o->chans[k] = c;
        }
    }
    return SG_OK;
}

static int build(runtime *rt, char *err, size_t errlen)
{
    int total = 0;
    for (int i = 0; i < rt->plan.n_tasks; i++)
        total += rt->plan.tasks[i].parallelism;
    rt->subtasks = sg_calloc((size_t)total, sizeof(*rt->subtasks));
    rt->first_subtask = sg_calloc((size_t)rt->plan.n_tasks, sizeof(int));
    if (!rt->subtasks || !rt->first_subtask)
        goto nomem;
    for (int i = 0; i < rt->plan.n_tasks; i++) {
        rt->first_subtask[i] = rt->n_subtasks;
        for (int k = 0; k < rt->plan.tasks[i].parallelism; k++) {
            sg__subtask *t = sg_calloc(1, sizeof(*t));
            if (!t)
                goto nomem;
            rt->subtasks[rt->n_subtasks++] = t;
            t->task = i;
            t->index = k;
            t->in_wm = SG_TIME_MIN;
            t->rec_wm = SG_TIME_MIN;
            t->wm_sent = SG_TIME_MIN;
            t->next_proc_timer = SG_TIME_MAX;
            t->idle_timeout = rt->cfg->idle_timeout_ms;
            t->flush_ms = rt->cfg->flush_ms;
            t->last_activity = sg__now_ms();
            atomic_store(&t->pub.wm, SG_TIME_MIN);
            if (build_chain(rt, &rt->plan.tasks[i], t, k) < 0 ||
                !(t->ipub = sg_calloc((size_t)t->n_chain, sizeof(*t->ipub))))
                goto nomem;
        }
    }
    for (int i = 0; i < rt->plan.n_xchgs; i++)
        if (connect_exchange(rt, &rt->plan.xchgs[i]) < 0)
            goto nomem;
    return SG_OK;
nomem:
    snprintf(err, errlen, "out of memory while building the job's tasks");
    return SG_ENOMEM;
}

static void destroy(runtime *rt)
{
    if (rt->ckpt_on)
        sg__ckpt_coord_free(&rt->coord); /* reaches into the subtasks */
    for (int i = 0; i < rt->n_subtasks; i++) {
        sg__subtask *t = rt->subtasks[i];
        sg__subtask_close(t);
        sg_free(t->chain);
        sg_free(t->inputs);
        for (int k = 0; k < t->n_outputs; k++) {
            sg_free(t->outputs[k].chans);
            sg_free(t->outputs[k].pending);
        }
        sg_free(t->outputs);
        sg_free(t->over);
        sg_free(t->views);
        sg_free(t->ipub);
        sg_free(t);
    }
    for (int i = 0; i < rt->n_chans; i++)
        sg__chan_free(rt->chans[i]);
    sg_free(rt->chans);
    sg_free(rt->subtasks);
    sg_free(rt->first_subtask);
    if (rt->sched_ready)
        sg__sched_destroy(&rt->sched);
    sg_free(rt->restore_dir);
    sg__plan_free(&rt->plan);
    sg__ckpt_dir_unlock(rt->lock_fd); /* last: the sinks have closed their files */
    rt->lock_fd = -1;
    if (rt->state_root) {
        sg__remove_tree(rt->state_root);
        sg_free(rt->state_root);
    }
}

/* ---- Watching the run ------------------------------------------------------------ */

static void collect(runtime *rt, sg__run_stats *st, sg_time *wm)
{
    st->read = st->bad = st->late = st->written = 0;
    *wm = SG_TIME_MAX;
    for (int i = 0; i < rt->n_subtasks; i++) {
        sg__subtask *t = rt->subtasks[i];
        st->read += atomic_load_explicit(&t->pub.read, memory_order_relaxed);
        st->bad += atomic_load_explicit(&t->pub.bad, memory_order_relaxed);
        st->late += atomic_load_explicit(&t->pub.late, memory_order_relaxed);
        st->written += atomic_load_explicit(&t->pub.written, memory_order_relaxed);
        if (t->is_sink) {
            sg_time w = atomic_load_explicit(&t->pub.wm, memory_order_relaxed);
            if (w < *wm)
                *wm = w;
        }
    }
}

static void format_count(char *buf, size_t len, double v)
{
    if (v >= 1e9)
        snprintf(buf, len, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, len, "%.1fK", v / 1e3);
    else
        snprintf(buf, len, "%.0f", v);
}

static void format_wm(char *buf, size_t len, sg_time wm)
{
    if (wm == SG_TIME_MIN) {
        snprintf(buf, len, "none yet");
    } else if (wm == SG_TIME_MAX) {
        snprintf(buf, len, "end of input");
    } else {
        time_t secs = (time_t)(wm / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}

static void show_progress(runtime *rt, double start, uint64_t *last_read, uint64_t *last_out,
                          double *last_t)
{
    sg__run_stats st;
    sg_time wm;
    char in[32], in_rate[32], out[32], out_rate[32], wms[40];
    collect(rt, &st, &wm);
    double t = now_s(), dt = t - *last_t;
    format_count(in, sizeof(in), (double)st.read);
    format_count(in_rate, sizeof(in_rate), dt > 0 ? (double)(st.read - *last_read) / dt : 0);
    format_count(out, sizeof(out), (double)st.written);
    format_count(out_rate, sizeof(out_rate), dt > 0 ? (double)(st.written - *last_out) / dt : 0);
    format_wm(wms, sizeof(wms), wm);
    fprintf(stderr, "\r\033[K[%5.1fs] in %s (%s/s)  out %s (%s/s)  bad %llu  late %llu  wm %s",
            t - start, in, in_rate, out, out_rate, (unsigned long long)st.bad,
            (unsigned long long)st.late, wms);
    fflush(stderr);
    *last_read = st.read;
    *last_out = st.written;
    *last_t = t;
}

/* --explain-time: for every subtask, the watermark of each input (named by the
 * producer's first operator), and per operator its pending timers and late records.
 * What holds a window back is the lowest input watermark. */
/* A watermark as epoch ms (what window bounds are written in) and as a date. */
static void format_wm_ms(char *buf, size_t len, sg_time wm)
{
    char date[40];
    format_wm(date, sizeof(date), wm);
    if (wm == SG_TIME_MIN || wm == SG_TIME_MAX)
        snprintf(buf, len, "%s", date);
    else
        snprintf(buf, len, "%lld (%s)", (long long)wm, date);
}

static void explain_time(runtime *rt, double start)
{
    char wms[80];
    fprintf(stderr,
            "sangam: time at %.1fs, per subtask (inputs' watermarks; "
            "operators' pending timers and late records):\n",
            now_s() - start);
    for (int i = 0; i < rt->n_subtasks; i++) {
        sg__subtask *t = rt->subtasks[i];
        fprintf(stderr, "  %s[%d]", t->chain[0].name, t->index);
        if (t->is_source) {
            format_wm_ms(wms, sizeof(wms), atomic_load_explicit(&t->pub.wm, memory_order_relaxed));
            fprintf(stderr, " source, watermark out %s%s", wms,
                    atomic_load_explicit(&t->pub_idle, memory_order_relaxed) ? ", idle" : "");
        }
        for (int k = 0; k < t->n_inputs; k++) {
            const sg__chan *c = t->inputs[k].chan;
            format_wm_ms(wms, sizeof(wms),
                         atomic_load_explicit(&t->inputs[k].pub_wm, memory_order_relaxed));
            bool idle = atomic_load_explicit(&t->inputs[k].pub_idle, memory_order_relaxed);
            fprintf(stderr, "%s %s[%d] %s%s",
                    k ? "," : " in:", c->producer->chain[c->producer->n_chain - 1].name,
                    c->producer->index, wms, idle ? " (idle)" : "");
        }
        fputc('\n', stderr);
        for (int k = 0; k < t->n_chain; k++) {
            const sg__inst_published *p = &t->ipub[k];
            uint64_t et = atomic_load_explicit(&p->event_timers, memory_order_relaxed);
            uint64_t pt = atomic_load_explicit(&p->processing_timers, memory_order_relaxed);
            uint64_t late = atomic_load_explicit(&p->late, memory_order_relaxed);
            if (et || pt || late)
                fprintf(stderr,
                        "    %s: %llu event-time and %llu processing-time timers "
                        "pending, %llu late records dropped\n",
                        t->chain[k].name, (unsigned long long)et, (unsigned long long)pt,
                        (unsigned long long)late);
        }
    }
}

/* ---- Checkpoints ------------------------------------------------------------------ */

/* Finds what to restore (--restore) and starts the coordinator (--checkpoint-dir). */
static int setup_checkpoints(runtime *rt, sg__run_stats *stats, char *err, size_t errlen)
{
    const sg__run_config *cfg = rt->cfg;
    uint64_t restored = 0;
    int rc;
    rt->ckpt_on = cfg->ckpt_dir && cfg->ckpt_interval_ms > 0;
    sg_checkpoint_mode mode = cfg->ckpt_mode == SG_CHECKPOINT_AT_LEAST_ONCE
                                  ? SG_CHECKPOINT_AT_LEAST_ONCE
                                  : SG_CHECKPOINT_EXACTLY_ONCE;
    /* One run per directory, from before anything is read in it to the end. */
    uint64_t last_id = 0;
    if (cfg->ckpt_dir) {
        if ((rc = sg__ckpt_dir_lock(cfg->ckpt_dir, &rt->lock_fd, err, errlen)) < 0)
            return rc;
        /* Numbering continues after every id seen, aborted ones included. */
        last_id = sg__ckpt_last_id(cfg->ckpt_dir);
        char cerr[512];
        if (sg__ckpt_remove_aborted(cfg->ckpt_dir, UINT64_MAX, cerr, sizeof(cerr)) < 0 &&
            !cfg->quiet)
            fprintf(stderr, "sangam: %s\n", cerr);
    }
    if (cfg->restore) {
        char dir[PATH_MAX];
        sg__ckpt_kind kind = SG__CKPT_CHECKPOINT;
        rc = sg__ckpt_find_restore(cfg, &rt->plan, dir, sizeof(dir), &restored, &kind, err, errlen);
        if (rc == SG_NOTFOUND) {
            if (!cfg->quiet)
                fprintf(stderr,
                        "sangam: no complete checkpoint in %s: starting from the beginning\n",
                        cfg->ckpt_dir);
            restored = 0;
        } else if (rc < 0) {
            return rc;
        } else if (!(rt->restore_dir = sg_strdup(dir))) {
            snprintf(err, errlen, "out of memory");
            return SG_ENOMEM;
        } else {
            for (int i = 0; i < rt->n_subtasks; i++)
                rt->subtasks[i]->restore_savepoint = kind == SG__CKPT_SAVEPOINT;
        }
        stats->ckpt.restored_from = restored;
        rt->restore_id = restored;
        stats->ckpt.restored_savepoint = rt->restore_dir && kind == SG__CKPT_SAVEPOINT;
    }
    if (!rt->ckpt_on)
        return SG_OK;
    sg__ckpt_guarantees(&rt->plan, mode, stats->guarantees, sizeof(stats->guarantees));
    if (!cfg->quiet)
        fprintf(stderr, "sangam: checkpoints every %lld ms in %s (%s); %s\n",
                (long long)cfg->ckpt_interval_ms, cfg->ckpt_dir,
                mode == SG_CHECKPOINT_EXACTLY_ONCE ? "exactly-once" : "at-least-once",
                stats->guarantees);
    uint64_t first = last_id;
    if (restored > first)
        first = restored;
    return sg__ckpt_coord_init(&rt->coord, cfg, &rt->plan, rt->subtasks, rt->n_subtasks, first, err,
                               errlen);
}

static int run_workers(runtime *rt, double start, char *err, size_t errlen)
{
    int rc;
    rc = sg__sched_init(&rt->sched, rt->cfg->workers, rt->subtasks, rt->n_subtasks);
    rt->sched_ready = true; /* destroy frees what init allocated, even on failure */
    if (rc < 0) {
        snprintf(err, errlen, "out of memory starting workers");
        return rc;
    }
    if ((rc = sg__sched_start(&rt->sched)) < 0) {
        snprintf(err, errlen, "%s", rt->sched.errmsg);
        return rc;
    }
    uint64_t last_read = 0, last_out = 0;
    double last_t = start;
    bool shown = false;
    /* With checkpoints the monitor also coordinates them: a shorter tick keeps the
     * time from the last acknowledgement to completion small. */
    int tick_ms = rt->ckpt_on ? 10 : 100, progress_ms = 0, explain_ms = 0;
    while (!sg__sched_wait(&rt->sched, tick_ms)) {
        if (rt->cfg->explain_ms > 0 && (explain_ms += tick_ms) >= rt->cfg->explain_ms) {
            explain_ms = 0;
            explain_time(rt, start);
        }
        if (rt->cfg->interrupted && *rt->cfg->interrupted) {
            if (rt->cfg->explain_ms > 0)
                explain_time(rt, start); /* where time stood when stopped */
            sg__sched_stop(&rt->sched);
            sg__sched_join(&rt->sched);
            if (shown)
                fprintf(stderr, "\r\033[K");
            snprintf(err, errlen, "interrupted");
            return SG_ECANCELED;
        }
        if (!rt->ckpt_on && rt->cfg->savepoint && atomic_exchange(rt->cfg->savepoint, 0))
            fprintf(stderr, "sangam: savepoint not taken: savepoints need --checkpoint-dir\n");
        if (rt->ckpt_on && !atomic_load(&rt->sched.failed) &&
            (rc = sg__ckpt_coord_tick(&rt->coord, rt->cfg->savepoint, err, errlen)) < 0) {
            sg__sched_stop(&rt->sched);
            sg__sched_join(&rt->sched);
            if (shown)
                fprintf(stderr, "\r\033[K");
            return rc;
        }
        if (rt->cfg->progress && (progress_ms += tick_ms) >= 500) {
            progress_ms = 0;
            show_progress(rt, start, &last_read, &last_out, &last_t);
            shown = true;
        }
    }
    sg__sched_join(&rt->sched);
    if (shown)
        fprintf(stderr, "\r\033[K");
    if (atomic_load(&rt->sched.failed)) {
        snprintf(err, errlen, "%s", rt->sched.errmsg);
        return SG_EINTERNAL;
    }
    /* The checkpoint helper may still be writing, or may have failed after the
     * coordinator's last tick (the last subtask finished first): a checkpoint write
     * failure fails the run whenever it happens (ckpt_async.h rule 4). */
    if (rt->ckpt_on && (rc = sg__ckpt_async_drain(rt->coord.shared.async, err, errlen)) < 0)
        return rc;
    return SG_OK;
}

int sg__runtime_run(sg_job *job, const sg__run_config *cfg, sg__run_stats *stats, char *err,
                    size_t errlen)
{
    runtime rt = {.job = job, .cfg = cfg, .lock_fd = -1};
    double start = now_s();
    int rc;
    memset(stats, 0, sizeof(*stats));
    if (sg__pace_init(&rt.pace, cfg->pace) < 0) {
        snprintf(err, errlen, "out of memory");
        return SG_ENOMEM;
    }
    if ((rc = sg__plan_build(job, &rt.plan)) < 0) {
        snprintf(err, errlen, "%s", sg_job_errmsg(job));
        sg__pace_destroy(&rt.pace);
        return rc;
    }
    if (cfg->show_plan) {
        char desc[4096];
        sg__plan_describe(&rt.plan, desc, sizeof(desc));
        fprintf(stderr, "sangam: plan (tasks are chains of operators; => is an exchange):\n%s",
                desc);
    }
    if ((rc = sg__reject_log_new(cfg->dead_letter, cfg->report_bad, cfg->restore != NULL,
                                 &rt.rejects, err, errlen)) < 0) {
        sg__plan_free(&rt.plan);
        sg__pace_destroy(&rt.pace);
        return rc;
    }
    if ((rc = make_state_root(&rt, err, errlen)) < 0 || (rc = build(&rt, err, errlen)) < 0 ||
        (rc = setup_checkpoints(&rt, stats, err, errlen)) < 0)
        goto out;
    /* Open every subtask before any runs: a source that cannot open its input fails
     * the job before anything is written. */
    for (int i = 0; i < rt.n_subtasks; i++) {
        sg__subtask *t = rt.subtasks[i];
        int fin = SG_NOTFOUND;
        sg__ckpt_finished f;
        if (rt.restore_dir && !t->restore_savepoint &&
            (fin = sg__ckpt_read_finished(rt.restore_dir, t->task, t->index, &f, err, errlen)) <
                0) {
            rc = fin;
            goto out;
        }
        if (fin == SG_OK) {
            sg__subtask_open_finished(t, rt.restore_id, f.wm);
        } else if ((rc = sg__subtask_open(t, rt.restore_dir)) < 0) {
            snprintf(err, errlen, "%s", sg__subtask_errmsg(t));
            goto out;
        }
    }
    /* From the start of the run to state reopened and timers re-armed: the part of
     * recovery that restore itself costs (scripts/kill-verify.sh reads this line). */
    if (rt.restore_dir && !cfg->quiet)
        fprintf(stderr, "sangam: restored %s %s in %.0f ms\n",
                rt.n_subtasks && rt.subtasks[0]->restore_savepoint ? "savepoint" : "checkpoint",
                rt.restore_dir, (now_s() - start) * 1000.0);
    rc = run_workers(&rt, start, err, errlen);
out:;
    sg_time wm;
    sg__ckpt_stats cks = stats->ckpt;
    if (rt.ckpt_on) {
        cks.completed = rt.coord.stats.completed;
        cks.aborted = rt.coord.stats.aborted;
        cks.last_id = rt.coord.stats.last_id;
        cks.last_ms = rt.coord.stats.last_ms;
        cks.max_ms = rt.coord.stats.max_ms;
        cks.last_sync_ms = rt.coord.stats.last_sync_ms;
        cks.last_align_ms = rt.coord.stats.last_align_ms;
        cks.last_bytes = rt.coord.stats.last_bytes;
    }
    collect(&rt, stats, &wm);
    stats->ckpt = cks;
    stats->wall_s = now_s() - start;
    /* Close sinks (flushing their files) before the verdict: a failed close fails. */
    for (int i = 0; i < rt.n_subtasks; i++) {
        sg__subtask *t = rt.subtasks[i];
        sg__subtask_close(t);
        if (rc >= 0 && t->chain && t->chain[t->n_chain - 1].errmsg[0] && t->is_sink) {
            snprintf(err, errlen, "%s", t->chain[t->n_chain - 1].errmsg);
            rc = SG_EIO;
        }
    }
    /* The latency: sinks merged their histograms at close. */
    stats->has_latency = rt.pace.has_sink;
    stats->lat_count = rt.pace.hist.count;
    stats->lat_early = rt.pace.hist.early;
    stats->lat_p50 = sg__hist_quantile(&rt.pace.hist, 0.50);
    stats->lat_p99 = sg__hist_quantile(&rt.pace.hist, 0.99);
    stats->lat_max = rt.pace.hist.max;
    uint64_t unreported = sg__reject_log_unreported(rt.rejects);
    char derr[256] = "";
    if (sg__reject_log_free(rt.rejects, derr, sizeof(derr)) < 0 && rc >= 0) {
        snprintf(err, errlen, "%s", derr);
        rc = SG_EIO;
    }
    if (unreported && rc >= 0)
        fprintf(stderr, "sangam: %llu more bad records not shown%s\n",
                (unsigned long long)unreported,
                cfg->dead_letter ? "" : " (--dead-letter PATH keeps them all)");
    destroy(&rt);
    sg__pace_destroy(&rt.pace);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        stats->peak_rss_kb = ru.ru_maxrss;
    return rc;
}
