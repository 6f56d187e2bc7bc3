/* The sangam command line (cli.h):
 *
 *   sangam run [ENGINE OPTIONS] JOB.so [JOB OPTIONS]
 *   sangam checkpoints DIR       (cmd_checkpoints.c)
 *   sangam gen nexmark ...       (cmd_gen.c)
 *
 * Exit codes: 0 success; 2 usage (bad option, job file not loadable); 1 run-time
 * failure. Every failure prints one line on stderr that starts with "sangam:". */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cli.h"
#include "engine/job.h"
#include "engine/options.h"
#include "engine/runtime.h"

#define EXIT_USAGE 2

static volatile int interrupted;
static _Atomic int savepoint_wanted; /* SIGUSR1: take a savepoint (lock-free: signal-safe) */

static void on_savepoint_signal(int sig)
{
    (void)sig;
    atomic_store(&savepoint_wanted, 1);
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: sangam run [ENGINE OPTIONS] JOB.so [JOB OPTIONS]\n"
               "       sangam checkpoints DIR   (list and verify checkpoints; --help)\n"
               "       sangam gen nexmark --count N [--seed S] [--output file:PATH]\n"
               "                                (Nexmark events as JSON Lines; --help)\n"
               "       sangam --version | --help\n"
               "\n"
               "Runs a Sangam job: a shared object exporting sg_job_main. Engine options come\n"
               "before the job file, the job's own after it (JOB.so --help lists them).\n"
               "Inputs and outputs are URIs: file:PATH, gen:NAME?k=v&..., null:, latency:\n"
               "(discards, prints end-to-end latency percentiles; see --pace).\n");
}

typedef struct engine_opts {
    int64_t parallelism, workers, cache_entries, report_bad;
    const char *state_dir, *dead_letter, *backend;
    bool no_progress, quiet, show_plan;
    int64_t explain_time_ms, idle_timeout_ms;
    const char *ckpt_dir, *ckpt_mode, *restore;
    int64_t ckpt_interval_ms, ckpt_timeout_ms, min_pause_ms, retain;
    double pace;
    int64_t flush_ms;
} engine_opts;

static int load_job(const char *path, sg_job_main_fn *fn, void **handle)
{
    char buf[4096];
    /* dlopen searches the library path for a bare name; a job file is a path. */
    if (!strchr(path, '/')) {
        snprintf(buf, sizeof(buf), "./%s", path);
        path = buf;
    }
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "sangam: cannot load job %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        fprintf(stderr, "sangam: cannot load job %s: not a loadable shared object (%s)\n", path,
                dlerror());
        return EXIT_USAGE;
    }
    *(void **)fn = dlsym(*handle, "sg_job_main");
    if (!*fn) {
        fprintf(stderr, "sangam: job %s does not export sg_job_main\n", path);
        dlclose(*handle);
        return EXIT_USAGE;
    }
    return 0;
}

static void print_summary(const sg__run_stats *st, bool paced)
{
    if (st->ckpt.restored_from)
        fprintf(stderr, "sangam: restored from %s %llu\n",
                st->ckpt.restored_savepoint ? "savepoint" : "checkpoint",
                (unsigned long long)st->ckpt.restored_from);
    double rate = st->wall_s > 0 ? (double)st->read / st->wall_s : 0;
    fprintf(stderr,
            "sangam: done\n"
            "  wall time             %.2f s\n"
            "  records read          %llu\n"
            "  bad records           %llu\n"
            "  late records dropped  %llu\n"
            "  output records        %llu\n"
            "  events/s              %.0f\n"
            "  peak memory           %.1f MiB\n",
            st->wall_s, (unsigned long long)st->read, (unsigned long long)st->bad,
            (unsigned long long)st->late, (unsigned long long)st->written, rate,
            (double)st->peak_rss_kb / 1024.0);
    if (st->guarantees[0])
        fprintf(stderr,
                "  checkpoints           %llu completed, %llu aborted; last %.0f ms "
                "(synchronous part %.1f ms, alignment %.1f ms), %.1f MiB\n"
                "  output guarantee      %s\n",
                (unsigned long long)st->ckpt.completed, (unsigned long long)st->ckpt.aborted,
                st->ckpt.last_ms, st->ckpt.last_sync_ms, st->ckpt.last_align_ms,
                (double)st->ckpt.last_bytes / (1024.0 * 1024.0), st->guarantees);
    if (st->has_latency) /* bench/run.sh reads this line */
        fprintf(stderr,
                "  latency               p50 %.3f ms, p99 %.3f ms, max %.3f ms, %llu records%s\n",
                (double)st->lat_p50 / 1e6, (double)st->lat_p99 / 1e6, (double)st->lat_max / 1e6,
                (unsigned long long)st->lat_count,
                paced ? "" : " (without --pace: not meaningful)");
    if (st->has_latency && st->lat_early)
        fprintf(stderr,
                "  latency, early        %llu records reached the sink before their time "
                "(not in the figures)\n",
                (unsigned long long)st->lat_early);
}

/* The job file's base name without ".so", for checkpoint metadata. */
static void job_base_name(const char *path, char *out, size_t len)
{
    const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(out, len, "%s", b);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".so") == 0)
        out[n - 3] = '\0';
}

static int run_job(const engine_opts *eo, sg_job_main_fn job_main, int argc, char **argv)
{
    char err[1024], job_name[256];
    job_base_name(argv[0], job_name, sizeof(job_name));
    sg_job *job = sg__job_new((int)eo->parallelism, (int)eo->workers);
    if (!job) {
        fprintf(stderr, "sangam: out of memory\n");
        return 1;
    }
    int rc = job_main(job, argc, argv);
    if (rc >= 0 && rc != SG_HELP)
        rc = sg_job_status(job);
    if (rc == SG_HELP) {
        sg__job_free(job);
        return 0;
    }
    if (rc < 0) {
        const char *msg = sg_job_errmsg(job)[0] ? sg_job_errmsg(job) : sg_strerror(rc);
        fprintf(stderr, "sangam: %s: %s\n", argv[0], msg);
        sg__job_free(job);
        return rc == SG_EUSAGE ? EXIT_USAGE : 1;
    }
    sg__run_config cfg = {
        .workers = (int)eo->workers,
        .state_dir = eo->state_dir,
        .dead_letter = eo->dead_letter,
        .progress = !eo->no_progress && !eo->quiet && !eo->explain_time_ms && isatty(STDERR_FILENO),
        .backend = strcmp(eo->backend, "heap") == 0 ? SG__KV_HEAP : SG__KV_ROCKSDB,
        .cache_entries = (size_t)eo->cache_entries,
        .report_bad = (int)eo->report_bad,
        .interrupted = &interrupted,
        .idle_timeout_ms = eo->idle_timeout_ms,
        .show_plan = eo->show_plan,
        .explain_ms = eo->explain_time_ms > INT32_MAX ? INT32_MAX : (int)eo->explain_time_ms,
        .ckpt_dir = eo->ckpt_dir,
        .ckpt_interval_ms = eo->ckpt_interval_ms,
        .ckpt_timeout_ms = eo->ckpt_timeout_ms,
        .ckpt_min_pause_ms = eo->min_pause_ms,
        .ckpt_retain = (int)eo->retain,
        .ckpt_mode = strcmp(eo->ckpt_mode, "at-least-once") == 0 ? SG_CHECKPOINT_AT_LEAST_ONCE
                                                                 : SG_CHECKPOINT_EXACTLY_ONCE,
        .restore = eo->restore,
        .savepoint = &savepoint_wanted,
        .job_name = job_name,
        .quiet = eo->quiet,
        .pace = eo->pace,
        .flush_ms = eo->flush_ms,
    };
    sg__run_stats st;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_savepoint_signal);
    rc = sg__runtime_run(job, &cfg, &st, err, sizeof(err));
    sg__job_free(job);
    if (rc < 0) {
        fprintf(stderr, "sangam: error: %s\n", err);
        return rc == SG_EUSAGE ? EXIT_USAGE : 1; /* e.g. a graph the planner refuses */
    }
    if (!eo->quiet)
        print_summary(&st, eo->pace > 0);
    return 0;
}

/* Checkpoint options: consistent, defaults filled in; a usage error is one line. */
static int check_checkpoint_opts(engine_opts *eo)
{
    const char *bad = NULL;
    if (strcmp(eo->ckpt_mode, "exactly-once") != 0 && strcmp(eo->ckpt_mode, "at-least-once") != 0)
        bad = "--checkpoint-mode must be exactly-once or at-least-once";
    else if (eo->ckpt_interval_ms > 0 && !eo->ckpt_dir)
        bad = "--checkpoint-interval-ms needs --checkpoint-dir";
    else if (eo->restore && strcmp(eo->restore, "latest") == 0 && !eo->ckpt_dir)
        bad = "--restore latest needs --checkpoint-dir";
    else if (eo->restore && !*eo->restore)
        bad = "--restore needs 'latest' or a checkpoint directory";
    else if (eo->ckpt_dir && !*eo->ckpt_dir)
        bad = "--checkpoint-dir must not be empty";
    else if (eo->ckpt_dir && strcmp(eo->backend, "heap") == 0)
        bad = "--checkpoint-dir needs --state-backend rocksdb (heap state cannot be "
              "checkpointed yet)";
    else if (eo->retain > 1000000)
        bad = "--retain must be at most 1000000";
    if (bad) {
        fprintf(stderr, "sangam run: %s\n", bad);
        return EXIT_USAGE;
    }
    if (eo->ckpt_interval_ms < 0)
        eo->ckpt_interval_ms = eo->ckpt_dir ? 1000 : 0;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    engine_opts eo = {
        .parallelism = 1,
        .workers = cores > 0 ? cores : 1,
        .cache_entries = 1 << 20,
        .report_bad = 5,
        .backend = "rocksdb",
        .ckpt_interval_ms = -1, /* 1000 with a directory, else off */
        .ckpt_timeout_ms = 60000,
        .retain = 3,
        .ckpt_mode = "exactly-once",
    };
    sg_option opts[] = {
        {"parallelism", SG_OPT_I64, &eo.parallelism, "default parallelism of operators", false, 1},
        {"workers", SG_OPT_I64, &eo.workers, "worker threads (default: cores)", false, 1},
        {"state-dir", SG_OPT_STR, &eo.state_dir,
         "directory for keyed state (default: a temporary one, removed at exit)", false, 0},
        {"state-backend", SG_OPT_STR, &eo.backend, "rocksdb or heap", false, 0},
        {"state-cache-entries", SG_OPT_I64, &eo.cache_entries,
         "entries in each operator's write-back state cache", false, 16},
        {"dead-letter", SG_OPT_STR, &eo.dead_letter, "write every bad record to this file", false,
         0},
        {"report-bad", SG_OPT_I64, &eo.report_bad, "bad records shown on stderr", false, 0},
        {"no-progress", SG_OPT_FLAG, &eo.no_progress, "no progress line on a terminal", false, 0},
        {"show-plan", SG_OPT_FLAG, &eo.show_plan,
         "print the tasks (chained operators) and exchanges before running", false, 0},
        {"idle-timeout-ms", SG_OPT_I64, &eo.idle_timeout_ms,
         "a source without records this long stops holding back the watermark (0: never)", false,
         0},
        {"explain-time", SG_OPT_I64, &eo.explain_time_ms,
         "every N ms (and on Ctrl-C), show each operator's input watermarks, pending timers "
         "and late records (0: off)",
         false, 0},
        {"quiet", SG_OPT_FLAG, &eo.quiet, "no progress line and no summary", false, 0},
        {"checkpoint-dir", SG_OPT_STR, &eo.ckpt_dir,
         "take checkpoints into this directory (docs/checkpoints.md)", false, 0},
        {"checkpoint-interval-ms", SG_OPT_I64, &eo.ckpt_interval_ms,
         "time between checkpoints; 0: none (default 1000 with --checkpoint-dir)", false, 0},
        {"checkpoint-timeout-ms", SG_OPT_I64, &eo.ckpt_timeout_ms,
         "abort a checkpoint not complete after this long (default 60000)", false, 1},
        {"min-pause-ms", SG_OPT_I64, &eo.min_pause_ms,
         "least time between the end of a checkpoint and the next", false, 0},
        {"retain", SG_OPT_I64, &eo.retain, "completed checkpoints kept (default 3)", false, 1},
        {"checkpoint-mode", SG_OPT_STR, &eo.ckpt_mode, "exactly-once or at-least-once", false, 0},
        {"flush-ms", SG_OPT_I64, &eo.flush_ms,
         "latency/throughput knob: a partly filled batch waits up to N ms for more records, "
         "sources send watermarks every N ms (0: both at once)",
         false, 0},
        {"pace", SG_OPT_F64, &eo.pace,
         "sources wait for each record's event time on the wall clock (X times real time), "
         "so the input rate is the event-time rate x X; for latency: (0: off)",
         false, 0},
        {"restore", SG_OPT_STR, &eo.restore,
         "resume from 'latest' (in --checkpoint-dir), a checkpoint or a savepoint directory "
         "(kill -USR1 takes a savepoint)",
         false, 0},
    };
    char err[400];
    int job_at = 0;
    int rc = sg__options_parse(opts, sizeof(opts) / sizeof(opts[0]), argc, argv, 1, true, &job_at,
                               err, sizeof(err));
    if (rc == SG_HELP) {
        usage(stdout);
        printf("\nEngine options:\n");
        sg__options_print(stdout, opts, sizeof(opts) / sizeof(opts[0]));
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "sangam run: %s\n", err);
        return EXIT_USAGE;
    }
    if (eo.workers > 1024 || eo.report_bad > 1000000) {
        fprintf(stderr, "sangam run: --workers must be at most 1024 and --report-bad at most "
                        "1000000\n");
        return EXIT_USAGE;
    }
    if (eo.parallelism > 128) {
        fprintf(stderr, "sangam run: --parallelism must be at most 128 (the max parallelism)\n");
        return EXIT_USAGE;
    }
    if (eo.flush_ms > 60000) {
        fprintf(stderr, "sangam run: --flush-ms must be at most 60000\n");
        return EXIT_USAGE;
    }
    if (eo.pace < 0 || eo.pace > 1e6) {
        fprintf(stderr, "sangam run: --pace must be a speed from 0 (off) to 1000000, not %g\n",
                eo.pace);
        return EXIT_USAGE;
    }
    if (strcmp(eo.backend, "rocksdb") != 0 && strcmp(eo.backend, "heap") != 0) {
        fprintf(stderr, "sangam run: --state-backend must be rocksdb or heap, not '%s'\n",
                eo.backend);
        return EXIT_USAGE;
    }
    if ((rc = check_checkpoint_opts(&eo)) != 0)
        return rc;
    if (job_at >= argc) {
        fprintf(stderr, "sangam run: no job file given (sangam run [OPTIONS] JOB.so ...)\n");
        return EXIT_USAGE;
    }
    sg_job_main_fn job_main;
    void *handle;
    if ((rc = load_job(argv[job_at], &job_main, &handle)) != 0)
        return rc;
    rc = run_job(&eo, job_main, argc - job_at, argv + job_at);
    /* The job's code stays mapped until here: its callbacks ran until the end. */
    dlclose(handle);
    return rc;
}

int sg__cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sangam %s\n", SG_VERSION_STRING);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "checkpoints") == 0)
        return sg__cmd_checkpoints(argc - 1, argv + 1);
    if (strcmp(argv[1], "gen") == 0)
        return sg__cmd_gen(argc - 1, argv + 1);
    fprintf(stderr, "sangam: unknown command '%s' (try: sangam run --help)\n", argv[1]);
    return EXIT_USAGE;
}
