/* Watermarks end to end through the runtime: bounded out-of-orderness as Flink's
 * (wm = max ts - delay - 1, never decreasing), the minimum over inputs, the final
 * watermark at the end of input, and the per-record watermark operators see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ctx.h"
#include "engine/job.h"
#include "engine/runtime.h"

#define N 3000
#define DELAY 5

/* gen:seq?step=S&shuffle=1: N records with ts = i * step (optionally swapped in
 * pairs, for bounded disorder); the value says which generator made it. */
typedef struct seq_source {
    int64_t i, step, shuffle;
} seq_source;

static int seq_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    seq_source *s = self;
    (void)restore;
    s->step = 1;
    sg_ctx_param_i64(ctx, "step", &s->step);
    sg_ctx_param_i64(ctx, "shuffle", &s->shuffle);
    return SG_OK;
}

static int seq_poll(sg_ctx *ctx, void *self, size_t budget)
{
    seq_source *s = self;
    for (; budget > 0 && s->i < N; budget--, s->i++) {
        int64_t k = s->i;
        if (s->shuffle)
            k ^= 1; /* 1, 0, 3, 2, ...: each pair out of order */
        sg_bytes key = {0}, value = {&s->step, sizeof(s->step)};
        int rc = sg_emit(ctx, k * s->step, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < N ? SG_OK : SG_EOF;
}

static const sg_source_def seq_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "seq",
    .self_size = sizeof(seq_source),
    .open = seq_open,
    .poll = seq_poll,
};

/* What the probe operator saw. One instance (parallelism 1), so no locking. */
typedef struct probe {
    sg_time max_seen[2]; /* per generator step 1 / 10 */
    int64_t count[2];
    int64_t bad_record_wm; /* records whose sg_ctx_watermark was not as expected */
    sg_time last_wm;
    int64_t wm_calls, decreasing, early_over_slow;
    bool single; /* one in-order source: check the exact per-record watermark */
    sg_time prev_ts;
} probe;

static int probe_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    probe *p = sg_ctx_udata(ctx);
    int64_t step;
    (void)self;
    (void)port;
    memcpy(&step, rec->value.data, sizeof(step));
    int g = step == 1 ? 0 : 1;
    if (p->single) {
        /* The watermark before this record: the previous max ts - delay - 1. */
        sg_time want = p->count[g] == 0 ? SG_TIME_MIN : p->max_seen[g] - DELAY - 1;
        if (sg_ctx_watermark(ctx) != want)
            p->bad_record_wm++;
    }
    if (rec->ts > p->max_seen[g] || p->count[g] == 0)
        p->max_seen[g] = rec->ts;
    p->count[g]++;
    return SG_OK;
}

static int probe_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    probe *p = sg_ctx_udata(ctx);
    (void)self;
    p->wm_calls++;
    if (wm <= p->last_wm)
        p->decreasing++;
    /* While the slow generator (ts up to N - 1) is alive the minimum holds the
     * watermark at or below its bound; only its end can lift it. */
    if (!p->single && wm != SG_TIME_MAX && wm > N - 1 - DELAY - 1 && p->count[0] < N)
        p->early_over_slow++;
    p->last_wm = wm;
    return SG_OK;
}

static const sg_operator_def probe_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "probe",
    .n_inputs = 1,
    .process = probe_process,
    .on_watermark = probe_watermark,
};

static void run(sg_job *job, int workers)
{
    char err[512] = "";
    sg__run_config cfg = {.workers = workers, .backend = SG__KV_HEAP, .report_bad = 0};
    sg__run_stats st;
    int rc = sg__runtime_run(job, &cfg, &st, err, sizeof(err));
    if (rc < 0)
        fail_msg("run failed: %s", err);
}

static void test_watermark_is_max_ts_minus_delay_minus_one_per_record(void **state)
{
    probe p = {.single = true, .last_wm = SG_TIME_MIN};
    (void)state;
    sg_job *job = sg__job_new(1, 2);
    assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
    sg_stream *s =
        sg_stream_watermarks(sg_job_source(job, "src", "gen:seq?step=1&shuffle=1", NULL), DELAY);
    sg_stream *o = sg_stream_set_parallelism(sg_stream_process(s, &probe_def, &p), 1);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    run(job, 2);
    assert_int_equal(p.count[0], N);
    assert_int_equal(p.bad_record_wm, 0);
    assert_int_equal(p.decreasing, 0);
    assert_true(p.wm_calls >= 2);
    assert_int_equal(p.last_wm, SG_TIME_MAX); /* the end of input */
    sg__job_free(job);
}

static void test_union_watermark_is_the_minimum_of_its_inputs(void **state)
{
    probe p = {.last_wm = SG_TIME_MIN};
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        memset(&p, 0, sizeof(p));
        p.last_wm = SG_TIME_MIN;
        sg_job *job = sg__job_new(1, workers);
        assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
        sg_stream *slow =
            sg_stream_watermarks(sg_job_source(job, "slow", "gen:seq?step=1", NULL), DELAY);
        sg_stream *fast =
            sg_stream_watermarks(sg_job_source(job, "fast", "gen:seq?step=10", NULL), DELAY);
        sg_stream *both = sg_stream_union(slow, fast);
        sg_stream *o = sg_stream_set_parallelism(sg_stream_process(both, &probe_def, &p), 1);
        assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
        run(job, workers);
        assert_int_equal(p.count[0], N);
        assert_int_equal(p.count[1], N);
        assert_int_equal(p.decreasing, 0);
        assert_int_equal(p.early_over_slow, 0);
        assert_int_equal(p.last_wm, SG_TIME_MAX);
        sg__job_free(job);
    }
}

/* ---- A window after a window ------------------------------------------------------
 * Window results carry ts = end - 1, at or behind the watermark that fired them; a
 * second window with the same alignment downstream must still count them (Flink: the
 * downstream operator has not seen that watermark yet). */

static int const_key(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    (void)ctx;
    (void)in;
    (void)udata;
    *key = sg_bytes_str("k");
    return SG_OK;
}

static int one_add(void *acc, const sg_record *rec, void *udata)
{
    (void)rec;
    (void)udata;
    ++*(int64_t *)acc;
    return SG_OK;
}

static int value_add(void *acc, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    *(int64_t *)acc += v;
    return SG_OK;
}

static void sum_merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    *(int64_t *)acc += *(const int64_t *)other;
}

static int emit_acc(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                    void *udata)
{
    (void)start;
    (void)udata;
    sg_bytes v = {acc, sizeof(int64_t)};
    return sg_emit(ctx, end - 1, key, v);
}

typedef struct totals {
    int64_t rows, sum;
} totals;

static int totals_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    totals *t = sg_ctx_udata(ctx);
    int64_t v;
    (void)self;
    (void)port;
    memcpy(&v, rec->value.data, sizeof(v));
    t->rows++;
    t->sum += v;
    return SG_OK;
}

static const sg_operator_def totals_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "totals",
    .n_inputs = 1,
    .process = totals_process,
};

static void test_window_results_are_not_late_for_a_window_after_it(void **state)
{
    (void)state;
    for (int p = 1; p <= 2; p++) {
        totals t = {0};
        sg_job *job = sg__job_new(p, 2);
        sg_aggregate_def count = {.abi = SG_AGGREGATE_ABI_1,
                                  .acc_size = sizeof(int64_t),
                                  .add = one_add,
                                  .merge = sum_merge,
                                  .result = emit_acc};
        sg_aggregate_def sum = count;
        sum.add = value_add;
        sg_window w = {.size_ms = 100};
        assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
        sg_stream *s = sg_stream_watermarks(sg_job_source(job, "src", "gen:seq?step=1", NULL), 0);
        sg_stream *c1 = sg_stream_window_aggregate(sg_stream_key_by(s, "k1", const_key, NULL),
                                                   "count", &w, &count, NULL);
        sg_stream *c2 = sg_stream_window_aggregate(sg_stream_key_by(c1, "k2", const_key, NULL),
                                                   "sum", &w, &sum, NULL);
        sg_stream *o = sg_stream_set_parallelism(sg_stream_process(c2, &totals_def, &t), 1);
        assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
        run(job, 2);
        /* N records, ts 0..N-1, windows of 100: N / 100 windows of 100 each. */
        assert_int_equal(t.rows, N / 100);
        assert_int_equal(t.sum, N);
        sg__job_free(job);
    }
}

/* ---- Side outputs: late records of a window, through the runtime ---------------------------
 * seq with shuffle gives 1, 0, 3, 2, ...; with delay 0 and 1 ms windows every even
 * record comes after its window closed: it goes to the "late" side output. */

static int identity(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    (void)ctx;
    (void)in;
    (void)out;
    (void)udata;
    return SG_OK;
}

static void test_late_records_reach_the_side_output_at_every_parallelism(void **state)
{
    (void)state;
    for (int p = 1; p <= 2; p++) {
        totals on_time = {0}, late = {0};
        sg_job *job = sg__job_new(p, 2);
        sg_aggregate_def count = {.abi = SG_AGGREGATE_ABI_1,
                                  .acc_size = sizeof(int64_t),
                                  .add = one_add,
                                  .merge = sum_merge,
                                  .result = emit_acc};
        sg_window w = {.size_ms = 1, .late_tag = "late"};
        assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
        sg_stream *s =
            sg_stream_watermarks(sg_job_source(job, "src", "gen:seq?step=1&shuffle=1", NULL), 0);
        sg_stream *win = sg_stream_window_aggregate(sg_stream_key_by(s, "k", const_key, NULL),
                                                    "count", &w, &count, NULL);
        /* The map is chained behind the window (see --show-plan), so the side output
         * leaves the task from an instance that is not its last. */
        sg_stream *mapped = sg_stream_map(win, "same", identity, NULL);
        sg_stream *main_out = sg_stream_process(mapped, &totals_def, &on_time);
        assert_int_equal(
            sg_stream_sink(sg_stream_set_parallelism(main_out, 1), "out", "null:", NULL), SG_OK);
        sg_stream *late_out = sg_stream_process(sg_stream_side_output(win, "late"),
                                                &(sg_operator_def){.abi = SG_OPERATOR_ABI_1,
                                                                   .name = "late-totals",
                                                                   .n_inputs = 1,
                                                                   .process = totals_process},
                                                &late);
        assert_int_equal(
            sg_stream_sink(sg_stream_set_parallelism(late_out, 1), "late-out", "null:", NULL),
            SG_OK);
        run(job, 2);
        assert_int_equal(on_time.rows, N / 2); /* one window per odd ts, count 1 each */
        assert_int_equal(on_time.sum, N / 2);
        assert_int_equal(late.rows, N / 2);
        assert_int_equal(late.sum, N / 2); /* the seq generator's value is its step, 1 */
        sg__job_free(job);
    }
}

/* ---- Two inputs ------------------------------------------------------------------------------
 * Two sources keyed alike into one keyed two-input operator: each record arrives on
 * its input's port, and records with equal keys share the instance's keyed state. */

typedef struct two_self {
    sg_state_id seen;
} two_self;

static int two_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    (void)restore;
    return sg_state_declare(ctx, "seen", SG_STATE_VALUE, &((two_self *)self)->seen);
}

/* Counts every record of the key in state and emits (port, running count). */
static int two_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    two_self *s = self;
    uint64_t n = 0;
    int rc = sg_state_get_u64(ctx, s->seen, 0, &n);
    if (rc < 0 || (rc = sg_state_put_u64(ctx, s->seen, 0, n + 1)) < 0)
        return rc;
    int64_t out[2] = {port, (int64_t)n + 1};
    sg_bytes v = {out, sizeof(out)};
    return sg_emit(ctx, rec->ts, sg_ctx_key(ctx), v);
}

static const sg_operator_def two_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "two",
    .self_size = sizeof(two_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 2,
    .open = two_open,
    .process = two_process,
};

typedef struct port_totals {
    int64_t per_port[2], max_count;
} port_totals;

static int port_totals_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    port_totals *t = sg_ctx_udata(ctx);
    int64_t v[2];
    (void)self;
    (void)port;
    memcpy(v, rec->value.data, sizeof(v));
    t->per_port[v[0]]++;
    if (v[1] > t->max_count)
        t->max_count = v[1];
    return SG_OK;
}

static void test_two_inputs_meet_by_key_on_their_ports(void **state)
{
    (void)state;
    for (int p = 1; p <= 2; p++) {
        port_totals t = {{0, 0}, 0};
        sg_job *job = sg__job_new(p, 2);
        assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
        sg_stream *a = sg_stream_key_by(
            sg_stream_watermarks(sg_job_source(job, "a", "gen:seq?step=1", NULL), 0), "ka",
            const_key, NULL);
        sg_stream *b = sg_stream_key_by(
            sg_stream_watermarks(sg_job_source(job, "b", "gen:seq?step=10", NULL), 0), "kb",
            const_key, NULL);
        sg_stream *both = sg_stream_connect(a, b, &two_def, NULL);
        sg_stream *o = sg_stream_process(both,
                                         &(sg_operator_def){.abi = SG_OPERATOR_ABI_1,
                                                            .name = "port-totals",
                                                            .n_inputs = 1,
                                                            .process = port_totals_process},
                                         &t);
        assert_int_equal(sg_stream_sink(sg_stream_set_parallelism(o, 1), "out", "null:", NULL),
                         SG_OK);
        run(job, 2);
        assert_int_equal(t.per_port[0], N);
        assert_int_equal(t.per_port[1], N);
        assert_int_equal(t.max_count, 2 * N); /* one key: one instance, one state */
        sg__job_free(job);
    }
}

static void test_connect_needs_a_two_input_operator_and_keyed_inputs(void **state)
{
    (void)state;
    sg_job *job = sg__job_new(1, 1);
    assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
    sg_stream *a = sg_job_source(job, "a", "gen:seq", NULL);
    sg_stream *b = sg_job_source(job, "b", "gen:seq", NULL);
    assert_null(sg_stream_connect(a, b, &two_def, NULL)); /* keyed, inputs are not */
    assert_non_null(strstr(sg_job_errmsg(job), "key_by both"));
    sg__job_free(job);
    job = sg__job_new(1, 1);
    assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
    a = sg_job_source(job, "a", "gen:seq", NULL);
    assert_null(sg_stream_process(a, &two_def, NULL)); /* two inputs, one stream */
    assert_non_null(strstr(sg_job_errmsg(job), "sg_stream_connect"));
    sg__job_free(job);
}

/* ---- Idleness ---------------------------------------------------------------------------
 * A union of a source that sends a burst and then has nothing (SG_AGAIN), and one that
 * never sends anything. With --idle-timeout-ms the silent one stops holding back the
 * watermark and the burst's windows can close before the end; without it they wait
 * for the end of input. Both sources end once released, or after a deadline. */

#define BURST 100
static atomic_int released;      /* set when the probe saw the burst's watermark */
static atomic_llong deadline_ms; /* sources end at this processing time anyway */

/* The silent source ends 100 ms after the burst, so that without idleness nothing
 * but the end of all input lifts the watermark. */
static int wait_or_end(sg_ctx *ctx, int64_t extra_ms)
{
    if (atomic_load(&released) ||
        sg_ctx_processing_time(ctx) >= atomic_load(&deadline_ms) + extra_ms)
        return SG_EOF;
    return SG_AGAIN;
}

static int burst_poll(sg_ctx *ctx, void *self, size_t budget)
{
    int *sent = self;
    (void)budget;
    for (; *sent < BURST; (*sent)++) {
        int64_t one = 1;
        sg_bytes key = {0}, value = {&one, sizeof(one)};
        int rc = sg_emit(ctx, *sent * 10, key, value);
        if (rc < 0)
            return rc;
    }
    return wait_or_end(ctx, 0);
}

static int silent_poll(sg_ctx *ctx, void *self, size_t budget)
{
    (void)self;
    (void)budget;
    return wait_or_end(ctx, 100);
}

static const sg_source_def burst_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "burst",
    .self_size = sizeof(int),
    .poll = burst_poll,
};
static const sg_source_def silent_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "silent",
    .poll = silent_poll,
};

static int release_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    (void)ctx;
    (void)self;
    if (wm != SG_TIME_MAX && wm >= (BURST - 1) * 10 - 1)
        atomic_store(&released, 1);
    return SG_OK;
}

static int ignore(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    (void)ctx;
    (void)self;
    (void)port;
    (void)rec;
    return SG_OK;
}

static const sg_operator_def release_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "release",
    .n_inputs = 1,
    .process = ignore,
    .on_watermark = release_watermark,
};

static int run_idle(sg_time idle_timeout_ms, int64_t wait_ms)
{
    char err[512] = "";
    atomic_store(&released, 0);
    sg_job *job = sg__job_new(1, 2);
    assert_int_equal(sg_job_register_generator(job, "burst", &burst_def), SG_OK);
    assert_int_equal(sg_job_register_generator(job, "silent", &silent_def), SG_OK);
    sg_stream *a = sg_stream_watermarks(sg_job_source(job, "a", "gen:burst", NULL), 0);
    sg_stream *b = sg_stream_watermarks(sg_job_source(job, "b", "gen:silent", NULL), 0);
    sg_stream *o = sg_stream_process(sg_stream_union(a, b), &release_def, NULL);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP, .idle_timeout_ms = idle_timeout_ms};
    sg__run_stats st;
    atomic_store(&deadline_ms, sg__now_ms() + wait_ms);
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    sg__job_free(job);
    return atomic_load(&released);
}

static void test_an_idle_input_stops_holding_back_the_watermark(void **state)
{
    (void)state;
    assert_int_equal(run_idle(20, 5000), 1);
}

static void test_without_idleness_a_silent_input_holds_the_watermark(void **state)
{
    (void)state;
    assert_int_equal(run_idle(0, 300), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watermark_is_max_ts_minus_delay_minus_one_per_record),
        cmocka_unit_test(test_union_watermark_is_the_minimum_of_its_inputs),
        cmocka_unit_test(test_window_results_are_not_late_for_a_window_after_it),
        cmocka_unit_test(test_an_idle_input_stops_holding_back_the_watermark),
        cmocka_unit_test(test_two_inputs_meet_by_key_on_their_ports),
        cmocka_unit_test(test_connect_needs_a_two_input_operator_and_keyed_inputs),
        cmocka_unit_test(test_late_records_reach_the_side_output_at_every_parallelism),
        cmocka_unit_test(test_without_idleness_a_silent_input_holds_the_watermark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
