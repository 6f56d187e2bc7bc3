/* Worker threads (sched.h). Each worker loops over its subtasks; when none made
 * progress it sleeps until woken, or for a short pause when a source said "nothing
 * now" (SG_AGAIN), since nothing else would wake it for that. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/sched.h"

#define AGAIN_PAUSE_MS 5
#define SAFETY_WAIT_MS 1000 /* a bound on any sleep, should a wake-up ever be missed */

void sg__worker_notify(sg__worker *w)
{
    if (!atomic_load_explicit(&w->sleeping, memory_order_seq_cst))
        return;
    pthread_mutex_lock(&w->mu);
    w->wake = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void wake_all(sg__sched *s)
{
    for (int i = 0; i < s->n_workers; i++) {
        sg__worker *w = &s->workers[i];
        pthread_mutex_lock(&w->mu);
        w->wake = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
}

static void fail(sg__sched *s, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    if (!atomic_load(&s->failed)) {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg);
        atomic_store(&s->failed, 1);
    }
    pthread_mutex_unlock(&s->mu);
    atomic_store(&s->stop, 1);
    wake_all(s);
}

/* The CLOCK_REALTIME time ms from now, as pthread_cond_timedwait wants it. */
static struct timespec deadline_after(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void timed_wait(sg__worker *w, int ms)
{
    struct timespec ts = deadline_after(ms);
    pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

static void sleep_until_work(sg__worker *w)
{
    bool again = false, ready = false;
    sg_time next_timer = SG_TIME_MAX;
    atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
    for (int i = 0; i < w->n_tasks; i++) {
        sg__subtask *t = w->tasks[i];
        ready |= sg__subtask_ready(t);
        again |= t->again && !t->finished;
        if (!t->finished && t->next_proc_timer < next_timer)
            next_timer = t->next_proc_timer;
    }
    int wait_ms = again ? AGAIN_PAUSE_MS : SAFETY_WAIT_MS;
    if (next_timer != SG_TIME_MAX) { /* wake for the next processing-time timer */
        sg_time until = next_timer - sg__now_ms();
        wait_ms = until < 1 ? 1 : until < wait_ms ? (int)until : wait_ms;
    }
    pthread_mutex_lock(&w->mu);
    if (!ready && !w->wake && !atomic_load(&w->sched->stop))
        timed_wait(w, wait_ms);
    w->wake = false;
    pthread_mutex_unlock(&w->mu);
    atomic_store_explicit(&w->sleeping, 0, memory_order_seq_cst);
    for (int i = 0; i < w->n_tasks; i++)
        w->tasks[i]->again = false;
}

static void *worker_main(void *arg)
{
    sg__worker *w = arg;
    sg__sched *s = w->sched;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        bool progress = false, alive = false;
        for (int i = 0; i < w->n_tasks; i++) {
            sg__subtask *t = w->tasks[i];
            if (sg__subtask_done(t))
                continue;
            int rc = sg__subtask_run(t);
            if (rc < 0) {
                fail(s, sg__subtask_errmsg(t));
                break;
            }
            progress |= rc > 0;
            alive |= !sg__subtask_done(t);
        }
        if (!alive)
            break;
        if (!progress)
            sleep_until_work(w);
    }
    pthread_mutex_lock(&s->mu);
    atomic_fetch_sub(&s->running, 1);
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int sg__sched_init(sg__sched *s, int n_workers, sg__subtask **tasks, int n_tasks)
{
    memset(s, 0, sizeof(*s));
    if (n_workers > n_tasks)
        n_workers = n_tasks; /* a worker without subtasks would only sleep */
    if (n_workers < 1)
        n_workers = 1;
    s->workers = sg_calloc((size_t)n_workers, sizeof(*s->workers));
    if (!s->workers)
        return SG_ENOMEM;
    s->n_workers = n_workers;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    for (int i = 0; i < n_workers; i++) {
        sg__worker *w = &s->workers[i];
        w->id = i;
        w->sched = s;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        if (!(w->tasks = sg_calloc((size_t)n_tasks, sizeof(*w->tasks))))
            return SG_ENOMEM;
    }
    for (int i = 0; i < n_tasks; i++) {
        sg__worker *w = &s->workers[i % n_workers];
        w->tasks[w->n_tasks++] = tasks[i];
        tasks[i]->worker = w;
    }
    return SG_OK;
}

int sg__sched_start(sg__sched *s)
{
    atomic_store(&s->running, s->n_workers);
    s->n_started = s->n_workers;
    for (int i = 0; i < s->n_workers; i++) {
        int err = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
        if (err) {
            atomic_store(&s->running, i);
            char msg[128];
            snprintf(msg, sizeof(msg), "cannot start worker thread: %s", strerror(err));
            fail(s, msg);
            for (int k = 0; k < i; k++)
                pthread_join(s->workers[k].thread, NULL);
            s->n_started = 0; /* joined already */
            return SG_EINTERNAL;
        }
    }
    return SG_OK;
}

bool sg__sched_wait(sg__sched *s, int timeout_ms)
{
    struct timespec ts = deadline_after(timeout_ms);
    pthread_mutex_lock(&s->mu);
    while (atomic_load(&s->running) > 0)
        if (pthread_cond_timedwait(&s->done_cv, &s->mu, &ts) == ETIMEDOUT)
            break;
    bool done = atomic_load(&s->running) == 0;
    pthread_mutex_unlock(&s->mu);
    return done;
}

void sg__sched_stop(sg__sched *s)
{
    atomic_store(&s->stop, 1);
    wake_all(s);
}

void sg__sched_join(sg__sched *s)
{
    for (int i = 0; i < s->n_started; i++)
        pthread_join(s->workers[i].thread, NULL);
    s->n_started = 0;
}

void sg__sched_destroy(sg__sched *s)
{
    if (!s->workers)
        return;
    for (int i = 0; i < s->n_workers; i++) {
        pthread_mutex_destroy(&s->workers[i].mu);
        pthread_cond_destroy(&s->workers[i].cv);
        sg_free(s->workers[i].tasks);
    }
    sg_free(s->workers);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->done_cv);
    s->workers = NULL;
}
