/* Checkpoints after a subtask has finished (FLIP-147), through the runtime: a job
 * whose one source ends early keeps taking checkpoints, each records that source as
 * finished (t<task>-s<subtask>.finished), and a run killed after such a checkpoint (in
 * a forked child, SANGAM_TEST_STOP_AFTER_CHECKPOINT) restores with exactly-once counts
 * without running the finished source again. Also: a partly finished parallel source
 * whose finished instance is chained with its operator and sink, a finished file sink
 * whose committed output a restore leaves alone, the --checkpoint-dir lock, and the
 * removal of aborted savepoints. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/ckpt_dir.h"
#include "engine/ckpt_finished.h"
#include "engine/ckpt_store.h"
#include "engine/fsutil.h"
#include "engine/job.h"
#include "engine/runtime.h"

/* The forked children die with _exit(137) in the middle of a run, by design. With two
 * workers, one whose subtasks have all finished has ended by then, unjoined, which
 * ThreadSanitizer reports as a leaked thread (exit 66, not 137); under TSan the
 * children run one worker (the coordinator still runs beside it on the main thread). */
#if defined(__SANITIZE_THREAD__)
#define CHILD_WORKERS 1
#else
#define CHILD_WORKERS 2
#endif

#define N 20000     /* records of a source that runs on */
#define N_SHORT 640 /* records of one that ends early, all in its first poll */
#define PER_POLL 64
#define IDS 4

/* gen:steady?id=K[&short=S]: instance i emits records valued K + i (its id); N of
 * them, PER_POLL per millisecond at most, except instance S, which emits N_SHORT at
 * once and ends. Its position is its snapshot. Parallel (SG_SOURCE_PARALLEL). */
typedef struct steady {
    int64_t i, id, n;
    sg_time last;
} steady;

/* Per id, how many times a source instance was opened in this process. */
static int opens[IDS];
/* The checkpoint mode of the test's runs. */
static sg_checkpoint_mode mode = SG_CHECKPOINT_EXACTLY_ONCE;

static int steady_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    steady *s = self;
    int64_t base = 0, shrt = -1;
    sg_ctx_param_i64(ctx, "id", &base);
    sg_ctx_param_i64(ctx, "short", &shrt);
    s->id = base + sg_ctx_subtask(ctx);
    s->n = shrt == sg_ctx_subtask(ctx) ? N_SHORT : N;
    opens[s->id]++;
    if (restore) {
        uint64_t i;
        if (sg_snap_get_u64(restore, &i) < 0)
            return SG_ESERDE;
        s->i = (int64_t)i;
    }
    return SG_OK;
}

static int steady_poll(sg_ctx *ctx, void *self, size_t budget)
{
    steady *s = self;
    (void)budget;
    bool burst = s->n == N_SHORT;
    sg_time now = sg_ctx_processing_time(ctx);
    if (!burst && now == s->last)
        return SG_AGAIN;
    s->last = now;
    for (int k = 0; (burst || k < PER_POLL) && s->i < s->n; k++, s->i++) {
        sg_bytes key = {0}, value = {&s->id, sizeof(s->id)};
        int rc = sg_emit(ctx, s->i, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < s->n ? SG_AGAIN : SG_EOF;
}

static int steady_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    steady *s = self;
    (void)ctx;
    return sg_snap_put_u64(out, (uint64_t)s->i);
}

static const sg_source_def steady_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "steady",
    .self_size = sizeof(steady),
    .flags = SG_SOURCE_PARALLEL,
    .open = steady_open,
    .poll = steady_poll,
    .snapshot = steady_snapshot,
};

/* Counts records per id, in its snapshot; at finish its counts go into the probe
 * (each id counted by one instance, so instances write distinct elements). */
typedef struct counter {
    int64_t count[IDS];
} counter;

typedef struct probe {
    int64_t final[IDS];
    bool finished[IDS];
} probe;

static int counter_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    counter *c = self;
    (void)ctx;
    for (int k = 0; restore && k < IDS; k++)
        if (sg_snap_get_i64(restore, &c->count[k]) < 0)
            return SG_ESERDE;
    return SG_OK;
}

static int counter_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    counter *c = self;
    int64_t id;
    (void)ctx;
    (void)port;
    memcpy(&id, rec->value.data, sizeof(id));
    c->count[id]++;
    return SG_OK;
}

static int counter_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    counter *c = self;
    (void)ctx;
    for (int k = 0; k < IDS; k++) {
        int rc = sg_snap_put_i64(out, c->count[k]);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

static int counter_finish(sg_ctx *ctx, void *self)
{
    counter *c = self;
    probe *p = sg_ctx_udata(ctx);
    for (int k = 0; k < IDS; k++)
        if (c->count[k]) {
            p->final[k] = c->count[k];
            p->finished[k] = true;
        }
    return SG_OK;
}

static const sg_operator_def counter_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "counter",
    .n_inputs = 1,
    .self_size = sizeof(counter),
    .open = counter_open,
    .process = counter_process,
    .snapshot = counter_snapshot,
    .finish = counter_finish,
};

static int encode_ts(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    (void)ctx;
    (void)udata;
    return sg_line_add_i64(line, rec->ts);
}

static const sg_encoder ts_encoder = {.abi = SG_ENCODER_ABI_1, .header = "ts", .encode = encode_ts};

typedef struct fixture {
    char dir[PATH_MAX];
    char ckpt[PATH_MAX + 16];
    char state[PATH_MAX + 16];
    char out[PATH_MAX + 16]; /* file: URI of test_finished_file_sink's output */
} fixture;

typedef enum shape { TWO_SOURCES, PARALLEL_CHAINED, FILE_SINK } shape;

/* TWO_SOURCES: a (ends early) and b unioned into the counter. PARALLEL_CHAINED: one
 * source at parallelism 2 whose instance 0 ends early, chained with the counter and
 * the sink. FILE_SINK: a (ends early) straight into a file sink, b into the counter. */
static sg_job *make_job(const fixture *f, shape s, probe *p)
{
    sg_job *job = sg__job_new(s == PARALLEL_CHAINED ? 2 : 1, 2);
    assert_int_equal(sg_job_register_generator(job, "steady", &steady_def), SG_OK);
    if (s == PARALLEL_CHAINED) {
        sg_stream *src = sg_job_source(job, "p", "gen:steady?id=0&short=0", NULL);
        assert_int_equal(
            sg_stream_sink(sg_stream_process(src, &counter_def, p), "out", "null:", NULL), SG_OK);
        return job;
    }
    sg_stream *a = sg_job_source(job, "a", "gen:steady?id=0&short=0", NULL);
    sg_stream *b = sg_job_source(job, "b", "gen:steady?id=1", NULL);
    if (s == FILE_SINK) {
        assert_int_equal(sg_stream_sink(a, "a-out", f->out, &ts_encoder), SG_OK);
        assert_int_equal(
            sg_stream_sink(sg_stream_process(b, &counter_def, p), "out", "null:", NULL), SG_OK);
        return job;
    }
    sg_stream *o = sg_stream_process(sg_stream_union(a, b), &counter_def, p);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    return job;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/sg-ckfin-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->ckpt, sizeof(f->ckpt), "%s/ck", f->dir);
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    snprintf(f->out, sizeof(f->out), "file:%s/a.csv", f->dir);
    memset(opens, 0, sizeof(opens));
    mode = SG_CHECKPOINT_EXACTLY_ONCE;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg__remove_tree(f->dir);
    free(f);
    return 0;
}

static sg__run_config config(const fixture *f, const char *restore)
{
    sg__run_config cfg = {
        .workers = 2,
        .state_dir = f->state,
        .backend = SG__KV_ROCKSDB,
        .ckpt_dir = f->ckpt,
        .ckpt_interval_ms = 30,
        .ckpt_retain = 2,
        .ckpt_mode = mode,
        .restore = restore,
        .job_name = "test",
        .quiet = true,
    };
    return cfg;
}

static void run_ok(sg_job *job, const sg__run_config *cfg, sg__run_stats *st)
{
    char err[512] = "";
    if (sg__runtime_run(job, cfg, st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
}

/* Runs the job in a child that dies (_exit(137)) right after its 2nd checkpoint. */
static void run_killed_after_2(const fixture *f, shape s)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        probe p = {0};
        setenv("SANGAM_TEST_STOP_AFTER_CHECKPOINT", "2", 1);
        sg_job *job = make_job(f, s, &p);
        sg__run_config cfg = config(f, NULL);
        sg__run_stats st;
        char err[512];
        cfg.workers = CHILD_WORKERS;
        sg__runtime_run(job, &cfg, &st, err, sizeof(err));
        _exit(0); /* not killed: the run ended before its 2nd checkpoint */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 137);
}

/* The names ("a[0]") of the subtasks checkpoint id records as finished, joined. */
static void finished_in(const fixture *f, uint64_t id, char *out, size_t len)
{
    char dir[PATH_MAX], err[512];
    sg__ckpt_meta m;
    size_t used = 0;
    out[0] = '\0';
    sg__ckpt_path(f->ckpt, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
    if (sg__ckpt_verify(dir, &m, err, sizeof(err)) < 0)
        fail_msg("checkpoint %llu: %s", (unsigned long long)id, err);
    for (size_t i = 0; i < m.n_files; i++) {
        int task, sub;
        sg__ckpt_finished fin;
        if (!sg__ckpt_is_finished_file(m.files[i].path, &task, &sub))
            continue;
        assert_int_equal(sg__ckpt_read_finished(dir, task, sub, &fin, err, sizeof(err)), SG_OK);
        assert_int_equal(fin.id, id);
        used +=
            (size_t)snprintf(out + used, len - used, "%s%s[%d]", used ? "," : "", fin.name, sub);
    }
    sg__ckpt_meta_free(&m);
}

static uint64_t newest_checkpoint(const fixture *f)
{
    uint64_t *ids = NULL, id;
    size_t n = 0;
    char err[256];
    assert_int_equal(sg__ckpt_list(f->ckpt, SG__CKPT_CHECKPOINT, &ids, &n, err, sizeof(err)),
                     SG_OK);
    assert_true(n > 0);
    id = ids[n - 1];
    sg_free(ids);
    return id;
}

/* Source a ends in its first poll, long before the first checkpoint (30 ms); the job
 * keeps checkpointing, the one it is killed after records a as finished, and the
 * restore counts every record once without opening a again. */
static void test_two_sources_one_ends_early(void **state)
{
    fixture *f = *state;
    char fin[256];
    run_killed_after_2(f, TWO_SOURCES);
    finished_in(f, 2, fin, sizeof(fin));
    assert_string_equal(fin, "a[0]");
    probe p = {0};
    sg_job *job = make_job(f, TWO_SOURCES, &p);
    sg__run_config cfg = config(f, "latest");
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_int_equal(st.ckpt.restored_from, 2);
    assert_int_equal(opens[0], 0); /* finished: not run again */
    assert_int_equal(opens[1], 1);
    assert_true(p.finished[0] && p.finished[1]);
    assert_int_equal(p.final[0], N_SHORT);
    if (mode == SG_CHECKPOINT_EXACTLY_ONCE)
        assert_int_equal(p.final[1], N);
    else
        assert_true(p.final[1] >= N);
    /* Checkpoints after the restore record it as finished too. */
    if (st.ckpt.completed) {
        finished_in(f, newest_checkpoint(f), fin, sizeof(fin));
        assert_string_equal(fin, "a[0]");
    }
}

/* At-least-once reads past barriers, so the counter's last input can end while a
 * checkpoint is pending there: it takes it before finishing (nothing is lost). */
static void test_two_sources_one_ends_early_at_least_once(void **state)
{
    mode = SG_CHECKPOINT_AT_LEAST_ONCE;
    test_two_sources_one_ends_early(state);
}

/* Instance 0 of a parallel source ends early: its whole chain (source, counter, sink)
 * finishes and is recorded as finished; instance 1 restores from its snapshot. */
static void test_partly_finished_parallel_source(void **state)
{
    fixture *f = *state;
    char fin[256];
    run_killed_after_2(f, PARALLEL_CHAINED);
    finished_in(f, 2, fin, sizeof(fin));
    assert_string_equal(fin, "p[0]");
    probe p = {0};
    sg_job *job = make_job(f, PARALLEL_CHAINED, &p);
    sg__run_config cfg = config(f, "latest");
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_int_equal(opens[0], 0);
    assert_int_equal(opens[1], 1);
    assert_false(p.finished[0]); /* its counter's finish ran in the first run only */
    assert_true(p.finished[1]);
    assert_int_equal(p.final[1], N);
}

static long count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    long n = 0;
    int ch;
    assert_non_null(fp);
    while ((ch = fgetc(fp)) != EOF)
        n += ch == '\n';
    fclose(fp);
    return n;
}

/* A file sink that finished committed everything; restored as finished it is not
 * opened, so its output is neither cut back nor written again. */
static void test_finished_file_sink(void **state)
{
    fixture *f = *state;
    char fin[256], path[PATH_MAX + 32], pending[PATH_MAX + 48];
    const char *out = f->out + strlen("file:");
    run_killed_after_2(f, FILE_SINK);
    finished_in(f, 2, fin, sizeof(fin));
    assert_string_equal(fin, "a[0]");
    assert_int_equal(count_lines(out), N_SHORT + 1); /* header and every record */
    probe p = {0};
    sg_job *job = make_job(f, FILE_SINK, &p);
    sg__run_config cfg = config(f, "latest");
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_int_equal(opens[0], 0);
    assert_int_equal(p.final[1], N);
    assert_int_equal(count_lines(out), N_SHORT + 1);
    snprintf(path, sizeof(path), "%s.staging", out);
    snprintf(pending, sizeof(pending), "%s.pending-2", out);
    struct stat sb;
    assert_true(stat(path, &sb) != 0 && stat(pending, &sb) != 0);
}

/* Two runs on one --checkpoint-dir: the second fails at once with one line. */
static void test_checkpoint_dir_is_locked(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    int fd = -1;
    assert_int_equal(sg__ckpt_dir_lock(f->ckpt, &fd, err, sizeof(err)), SG_OK);
    probe p = {0};
    sg_job *job = make_job(f, TWO_SOURCES, &p);
    sg__run_config cfg = config(f, NULL);
    sg__run_stats st;
    assert_true(sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0);
    sg__job_free(job);
    assert_non_null(strstr(err, "is in use by another run"));
    char pid[32];
    snprintf(pid, sizeof(pid), "(pid %ld)", (long)getpid());
    assert_non_null(strstr(err, pid));
    assert_null(strchr(err, '\n'));
    assert_int_equal(opens[0] + opens[1], 0); /* nothing ran */
    sg__ckpt_dir_unlock(fd);
    job = make_job(f, TWO_SOURCES, &p);
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_int_equal(p.final[1], N);
}

static bool exists(const fixture *f, const char *name)
{
    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", f->ckpt, name);
    return stat(path, &st) == 0;
}

static void make_dir(const fixture *f, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", f->ckpt, name);
    assert_int_equal(mkdir(path, 0777), 0);
}

/* Aborted savepoints (sp-N without _metadata) go like aborted checkpoints: below a
 * completed id, and all of them at the start of a run; complete savepoints stay. */
static void test_aborted_savepoints_removed(void **state)
{
    fixture *f = *state;
    char err[512], dir[PATH_MAX];
    assert_int_equal(mkdir(f->ckpt, 0777), 0);
    assert_int_equal(sg__ckpt_begin(f->ckpt, SG__CKPT_SAVEPOINT, 3, err, sizeof(err)), SG_OK);
    sg__ckpt_path(f->ckpt, SG__CKPT_SAVEPOINT, 3, dir, sizeof(dir));
    sg__ckpt_meta m = {.id = 3, .kind = SG__CKPT_SAVEPOINT, .max_parallelism = 128};
    m.job = sg_strdup("test");
    m.fingerprint = sg_strdup("nodes:x");
    assert_int_equal(sg__ckpt_complete(dir, &m, err, sizeof(err)), SG_OK);
    sg__ckpt_meta_free(&m);
    make_dir(f, "sp-000001");
    make_dir(f, "sp-000010");
    make_dir(f, "chk-000002");
    make_dir(f, "sp-000020");
    assert_int_equal(sg__ckpt_remove_aborted(f->ckpt, 15, err, sizeof(err)), SG_OK);
    assert_false(exists(f, "sp-000001"));
    assert_false(exists(f, "sp-000010"));
    assert_false(exists(f, "chk-000002"));
    assert_true(exists(f, "sp-000020")); /* may be in flight */
    assert_true(exists(f, "sp-000003"));
    /* A run starts by removing every aborted one; numbering goes on after them. */
    probe p = {0};
    sg_job *job = make_job(f, TWO_SOURCES, &p);
    sg__run_config cfg = config(f, NULL);
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_false(exists(f, "sp-000020"));
    assert_true(exists(f, "sp-000003"));
    assert_true(st.ckpt.completed >= 1);
    assert_true(st.ckpt.last_id > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_sources_one_ends_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_sources_one_ends_early_at_least_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_partly_finished_parallel_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finished_file_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_dir_is_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aborted_savepoints_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
