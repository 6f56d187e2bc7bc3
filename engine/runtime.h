/* Running a planned job: builds the subtasks and channels of the plan, places them
 * on workers (sched.h), shows progress on a terminal, and reports what happened.
 * Layering: uses plan.h, task.h, sched.h; called by the command line (cli.c). */
#ifndef SG_ENGINE_RUNTIME_H
#define SG_ENGINE_RUNTIME_H

#include <stdatomic.h>
#include <stdio.h>

#include "engine/ckpt.h"
#include "engine/job.h"
#include "engine/state.h"

typedef struct sg__run_config {
    int workers;
    const char *state_dir;   /* NULL: a fresh temporary directory */
    const char *dead_letter; /* NULL: none */
    bool progress;           /* a progress line on stderr */
    sg__kv_backend backend;
    size_t cache_entries;
    int report_bad;            /* bad records reported on stderr, the first N */
    volatile int *interrupted; /* set (by a signal handler) to stop the run */
    bool show_plan;            /* print the physical plan on stderr before running */
    int explain_ms;            /* > 0: print where event time stands every explain_ms */
    sg_time idle_timeout_ms;   /* sources: idle after this long without records; 0: never */

    /* Checkpoints (docs/checkpoints.md). ckpt_dir NULL or ckpt_interval_ms 0: none. */
    const char *ckpt_dir;
    int64_t ckpt_interval_ms;
    int64_t ckpt_timeout_ms; /* 0: 60000 */
    int64_t ckpt_min_pause_ms;
    int ckpt_retain;              /* 0: 3 */
    sg_checkpoint_mode ckpt_mode; /* NONE: exactly-once when checkpoints are on */
    const char *restore;          /* NULL, "latest" (in ckpt_dir) or a checkpoint directory */
    _Atomic int *savepoint;       /* set (by SIGUSR1) to take a savepoint; may be NULL */
    const char *job_name;         /* the job file's base name, recorded in checkpoints */
    bool quiet;                   /* no notices on stderr (the guarantee line, restore) */
    double pace;                  /* --pace: sources keep to event time at this speed; 0: off */
    sg_time flush_ms;             /* --flush-ms (task.h); 0: flush every activation */
} sg__run_config;

typedef struct sg__run_stats {
    uint64_t read, bad, late, written;
    double wall_s;
    long peak_rss_kb;
    sg__ckpt_stats ckpt;
    char guarantees[512]; /* one line: each sink's guarantee ("" without checkpoints) */
    /* latency: sinks (pace.h), nanoseconds; has_latency false without such a sink. */
    bool has_latency;
    uint64_t lat_count, lat_early, lat_p50, lat_p99, lat_max;
} sg__run_stats;

/* Plans and runs the job to completion. SG_OK, or an error with one line in err. */
int sg__runtime_run(sg_job *job, const sg__run_config *cfg, sg__run_stats *stats, char *err,
                    size_t errlen);

#endif
