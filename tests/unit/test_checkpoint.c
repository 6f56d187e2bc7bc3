/* Checkpoints through the runtime, in-process: barrier alignment on a two-input job
 * (each checkpoint's operator state matches exactly the source positions of the
 * same checkpoint), completed checkpoints and retention, and a run killed after a
 * checkpoint (in a forked child, with the test-only SANGAM_TEST_STOP_AFTER_CHECKPOINT
 * hook) whose restore counts every record exactly once (or, at-least-once, at least
 * once). */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/ckpt_store.h"
#include "engine/fsutil.h"
#include "engine/job.h"
#include "engine/runtime.h"

#define N 20000
#define PER_POLL 64
#define MAX_CKPTS 4096

/* gen:slow?id=K: N records valued K, PER_POLL per millisecond at most (SG_AGAIN in
 * between), so the run lasts over a second, long enough for checkpoints; its
 * position is its snapshot. */
typedef struct slow_source {
    int64_t i, id;
    sg_time last;
} slow_source;

/* What the sources recorded at each snapshot, in order (one instance each). */
static int64_t src_pos[2][MAX_CKPTS];
static int n_src_pos[2];

static int slow_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    slow_source *s = self;
    sg_ctx_param_i64(ctx, "id", &s->id);
    if (restore) {
        uint64_t i;
        if (sg_snap_get_u64(restore, &i) < 0)
            return SG_ESERDE;
        s->i = (int64_t)i;
    }
    return SG_OK;
}

static int slow_poll(sg_ctx *ctx, void *self, size_t budget)
{
    slow_source *s = self;
    (void)budget;
    sg_time now = sg_ctx_processing_time(ctx);
    if (now == s->last)
        return SG_AGAIN;
    s->last = now;
    for (int k = 0; k < PER_POLL && s->i < N; k++, s->i++) {
        sg_bytes key = {0}, value = {&s->id, sizeof(s->id)};
        int rc = sg_emit(ctx, s->i, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < N ? SG_AGAIN : SG_EOF;
}

static int slow_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    slow_source *s = self;
    (void)ctx;
    if (n_src_pos[s->id] < MAX_CKPTS)
        src_pos[s->id][n_src_pos[s->id]++] = s->i;
    return sg_snap_put_u64(out, (uint64_t)s->i);
}

static const sg_source_def slow_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "slow",
    .self_size = sizeof(slow_source),
    .open = slow_open,
    .poll = slow_poll,
    .snapshot = slow_snapshot,
};

/* The two-input counter: records per source, in its snapshot. */
typedef struct counter {
    int64_t count[2];
} counter;

typedef struct probe {
    int64_t snap_count[2][MAX_CKPTS];
    int n_snaps;
    int64_t final[2];
    bool finished;
} probe;

static int counter_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    counter *c = self;
    (void)ctx;
    for (int k = 0; restore && k < 2; k++)
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
    probe *p = sg_ctx_udata(ctx);
    if (p->n_snaps < MAX_CKPTS) {
        p->snap_count[0][p->n_snaps] = c->count[0];
        p->snap_count[1][p->n_snaps] = c->count[1];
        p->n_snaps++;
    }
    int rc = sg_snap_put_i64(out, c->count[0]);
    return rc < 0 ? rc : sg_snap_put_i64(out, c->count[1]);
}

static int counter_finish(sg_ctx *ctx, void *self)
{
    counter *c = self;
    probe *p = sg_ctx_udata(ctx);
    p->final[0] = c->count[0];
    p->final[1] = c->count[1];
    p->finished = true;
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

static sg_job *two_input_job(probe *p)
{
    sg_job *job = sg__job_new(1, 2);
    assert_int_equal(sg_job_register_generator(job, "slow", &slow_def), SG_OK);
    sg_stream *a = sg_job_source(job, "a", "gen:slow?id=0", NULL);
    sg_stream *b = sg_job_source(job, "b", "gen:slow?id=1", NULL);
    sg_stream *o = sg_stream_process(sg_stream_union(a, b), &counter_def, p);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    return job;
}

typedef struct fixture {
    char dir[PATH_MAX];
    char ckpt[PATH_MAX + 16];
    char state[PATH_MAX + 16];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/sg-ckpt-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->ckpt, sizeof(f->ckpt), "%s/ck", f->dir);
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    memset(src_pos, 0, sizeof(src_pos));
    n_src_pos[0] = n_src_pos[1] = 0;
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

static sg__run_config config(const fixture *f, sg_checkpoint_mode mode, const char *restore)
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

/* Exactly-once alignment: at every checkpoint the counter has counted exactly the
 * records before each source's barrier, no more (blocked channel) and no less. */
static void test_alignment_matches_source_positions(void **state)
{
    fixture *f = *state;
    probe p = {0};
    sg_job *job = two_input_job(&p);
    sg__run_config cfg = config(f, SG_CHECKPOINT_EXACTLY_ONCE, NULL);
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_true(p.finished);
    assert_int_equal(p.final[0], N);
    assert_int_equal(p.final[1], N);
    assert_true(st.ckpt.completed >= 2); /* the run lasts ~N/PER_POLL pauses */
    assert_true(p.n_snaps >= 2);
    /* Snapshots happen in checkpoint order everywhere; none was aborted (no
     * timeout), so the k-th of each belong to the same checkpoint. */
    int n = p.n_snaps < n_src_pos[0] ? p.n_snaps : n_src_pos[0];
    n = n < n_src_pos[1] ? n : n_src_pos[1];
    assert_true(n >= 2);
    for (int k = 0; k < n; k++) {
        assert_int_equal(p.snap_count[0][k], src_pos[0][k]);
        assert_int_equal(p.snap_count[1][k], src_pos[1][k]);
    }
    /* Retention keeps the newest 2 complete checkpoints. */
    uint64_t *ids = NULL;
    size_t n_ids = 0;
    char err[256];
    assert_int_equal(sg__ckpt_list(f->ckpt, SG__CKPT_CHECKPOINT, &ids, &n_ids, err, sizeof(err)),
                     SG_OK);
    assert_int_equal(n_ids, 2);
    assert_int_equal(ids[1], st.ckpt.last_id);
    sg_free(ids);
}

/* At-least-once does not block: each snapshot has at least what came before the
 * barriers, possibly more. */
static void test_at_least_once_does_not_block(void **state)
{
    fixture *f = *state;
    probe p = {0};
    sg_job *job = two_input_job(&p);
    sg__run_config cfg = config(f, SG_CHECKPOINT_AT_LEAST_ONCE, NULL);
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_int_equal(p.final[0], N);
    assert_int_equal(p.final[1], N);
    assert_true(st.ckpt.completed >= 2);
    int n = p.n_snaps < n_src_pos[0] ? p.n_snaps : n_src_pos[0];
    n = n < n_src_pos[1] ? n : n_src_pos[1];
    for (int k = 0; k < n; k++) {
        assert_true(p.snap_count[0][k] >= src_pos[0][k]);
        assert_true(p.snap_count[1][k] >= src_pos[1][k]);
    }
}

/* Killed (in a child) right after its 2nd checkpoint; the restore counts each
 * record exactly once, or at least once. */
static void kill_and_restore(fixture *f, sg_checkpoint_mode mode)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        probe p = {0};
        setenv("SANGAM_TEST_STOP_AFTER_CHECKPOINT", "2", 1);
        sg_job *job = two_input_job(&p);
        sg__run_config cfg = config(f, mode, NULL);
        sg__run_stats st;
        char err[512];
        sg__runtime_run(job, &cfg, &st, err, sizeof(err));
        _exit(0); /* not killed: the run ended before its 2nd checkpoint */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 137);
    probe p = {0};
    sg_job *job = two_input_job(&p);
    sg__run_config cfg = config(f, mode, "latest");
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    assert_true(st.ckpt.restored_from >= 2);
    assert_true(p.finished);
    if (mode == SG_CHECKPOINT_EXACTLY_ONCE) {
        assert_int_equal(p.final[0], N);
        assert_int_equal(p.final[1], N);
    } else {
        assert_true(p.final[0] >= N);
        assert_true(p.final[1] >= N);
    }
}

static void test_kill_and_restore_exactly_once(void **state)
{
    kill_and_restore(*state, SG_CHECKPOINT_EXACTLY_ONCE);
}

static void test_kill_and_restore_at_least_once(void **state)
{
    kill_and_restore(*state, SG_CHECKPOINT_AT_LEAST_ONCE);
}

/* A checkpoint of another plan is refused with one line naming it. */
static void test_other_plan_refused(void **state)
{
    fixture *f = *state;
    probe p = {0};
    sg_job *job = two_input_job(&p);
    sg__run_config cfg = config(f, SG_CHECKPOINT_EXACTLY_ONCE, NULL);
    sg__run_stats st;
    run_ok(job, &cfg, &st);
    sg__job_free(job);
    job = sg__job_new(1, 2);
    assert_int_equal(sg_job_register_generator(job, "slow", &slow_def), SG_OK);
    sg_stream *a = sg_job_source(job, "a", "gen:slow?id=0", NULL);
    assert_int_equal(sg_stream_sink(sg_stream_process(a, &counter_def, &p), "out", "null:", NULL),
                     SG_OK);
    cfg = config(f, SG_CHECKPOINT_EXACTLY_ONCE, "latest");
    char err[512] = "";
    assert_true(sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "was taken with a different job graph"));
    assert_null(strchr(err, '\n'));
    sg__job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment_matches_source_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_least_once_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_and_restore_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_and_restore_at_least_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_plan_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
