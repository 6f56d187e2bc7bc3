/* Workers: W threads, each running a fixed set of subtasks cooperatively. A worker
 * with nothing to do sleeps on a condition variable; whoever makes work for it (a
 * channel push, a pop that relieves backpressure) wakes it. Idle costs no CPU.
 *
 * The sleep protocol (no lost wake-ups): a worker stores sleeping = 1, then checks
 * every subtask for work once more, then waits; a waker first publishes its work
 * (a seq_cst ring index store), then reads sleeping. In the single total order of
 * seq_cst operations one of the two sees the other. */
#ifndef SG_ENGINE_SCHED_H
#define SG_ENGINE_SCHED_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/task.h"

typedef struct sg__sched sg__sched;

typedef struct sg__worker {
    int id;
    sg__sched *sched;
    pthread_t thread;
    sg__subtask **tasks;
    int n_tasks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic int sleeping;
    bool wake; /* under mu */
} sg__worker;

struct sg__sched {
    sg__worker *workers;
    int n_workers;
    int n_started;       /* threads running or not yet joined */
    _Atomic int failed;  /* set once by the first failing worker */
    _Atomic int stop;    /* asks every worker to stop (failure, or a signal) */
    _Atomic int running; /* workers still running */
    pthread_mutex_t mu;  /* guards errmsg and done_cv */
    pthread_cond_t done_cv;
    char errmsg[1024];
};

/* Places subtasks round-robin on n workers. */
int sg__sched_init(sg__sched *s, int n_workers, sg__subtask **tasks, int n_tasks);
int sg__sched_start(sg__sched *s);
/* Waits up to timeout_ms for every worker to finish; true when they have. */
bool sg__sched_wait(sg__sched *s, int timeout_ms);
void sg__sched_stop(sg__sched *s);
void sg__sched_join(sg__sched *s);
void sg__sched_destroy(sg__sched *s);
void sg__worker_notify(sg__worker *w);

#endif
