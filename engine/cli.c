/* The sangam command line (cli.h):
 *
 *   sangam run [ENGINE OPTIONS] JOB.so [JOB OPTIONS]
 *   sangam checkpoints DIR       (cmd_checkpoints.c)
 *
 * Exit codes: 0 success; 2 usage (bad option, job file not loadable); 1 run-time
 * failure. Every failure prints one line on stderr that starts with "sangam:". */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
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

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: sangam run [ENGINE OPTIONS] JOB.so [JOB OPTIONS]\n"
               "       sangam checkpoints DIR   (list and verify checkpoints; --help)\n"
               "       sangam --version | --help\n"
               "\n"
               "Runs a Sangam job: a shared object exporting sg_job_main. Engine options come\n"
               "before the job file, the job's own after it (JOB.so --help lists them).\n"
               "Inputs and outputs are URIs: file:PATH, gen:NAME?k=v&..., null:.\n");
}

typedef struct engine_opts {
    int64_t parallelism, workers, cache_entries, report_bad;
    const char *state_dir, *dead_letter, *backend;
    bool no_progress, quiet, show_plan;
    int64_t explain_time_ms, idle_timeout_ms;
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

static void print_summary(const sg__run_stats *st)
{
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
}

static int run_job(const engine_opts *eo, sg_job_main_fn job_main, int argc, char **argv)
{
    char err[1024];
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
    };
    sg__run_stats st;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = sg__runtime_run(job, &cfg, &st, err, sizeof(err));
    sg__job_free(job);
    if (rc < 0) {
        fprintf(stderr, "sangam: error: %s\n", err);
        return rc == SG_EUSAGE ? EXIT_USAGE : 1; /* e.g. a graph the planner refuses */
    }
    if (!eo->quiet)
        print_summary(&st);
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
    if (strcmp(eo.backend, "rocksdb") != 0 && strcmp(eo.backend, "heap") != 0) {
        fprintf(stderr, "sangam run: --state-backend must be rocksdb or heap, not '%s'\n",
                eo.backend);
        return EXIT_USAGE;
    }
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
    fprintf(stderr, "sangam: unknown command '%s' (try: sangam run --help)\n", argv[1]);
    return EXIT_USAGE;
}
