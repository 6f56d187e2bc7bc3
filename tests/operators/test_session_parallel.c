/* Session windows with allowed lateness through the runtime: the firings of every
 * session (on time, late firings, merges of fired sessions) and the late count are
 * the same at parallelism 1, 2 and 3, for the aggregate and the process-window
 * function alike, and equal to a reference run with the watermark advanced before every
 * record (a harness). Records reach the operator in batches whose records carry
 * watermarks ahead of the operator's, so deferred records (operators/session.c,
 * rule 4) are replayed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "engine/job.h"
#include "engine/runtime.h"
#include "operators/builtin_ops.h"

#include "parallel_fixture.h"

/* By session, then in the order the session's firings came (one subtask emits them
 * all, through one channel, so that order is the operator's). Firings of different
 * sessions of a key may interleave differently: a late firing happens when its record
 * arrives, an on-time one when the operator's watermark gets there. */
static int by_session(const void *a, const void *b)
{
    const firing *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t run(int parallelism, bool process, collected *out)
{
    sg_job *job = sg__job_new(parallelism, 2);
    sg_session_window w = {.abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = 3, .allowed_lateness_ms = 50};
    sg_aggregate_def agg = {.abi = SG_AGGREGATE_ABI_1,
                            .acc_size = 2 * sizeof(int64_t),
                            .add = sum_add,
                            .merge = sum_merge,
                            .result = sum_result};
    sg_window_process_def proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = sum_process};
    assert_int_equal(sg_job_register_generator(job, "jitter", &jitter_def), SG_OK);
    sg_stream *s = sg_stream_watermarks(sg_job_source(job, "src", "gen:jitter", NULL), 10);
    sg_stream *k = sg_stream_key_by(s, "by-key", event_key, NULL);
    sg_stream *win = process ? sg_stream_session_window_process(k, "win", &w, &proc, NULL)
                             : sg_stream_session_window_aggregate(k, "win", &w, &agg, NULL);
    sg_stream *o = sg_stream_set_parallelism(sg_stream_process(win, &collect_def, out), 1);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    assert_int_equal(sg_job_status(job), SG_OK);
    char err[512] = "";
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    sg__job_free(job);
    qsort(out->v, out->n, sizeof(*out->v), by_session);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].order = 0;
    return st.late;
}

/* The reference: the same records through a harness with the watermark advanced
 * before every record (what each record carries in a task), so every session has
 * fired exactly when the watermark says and nothing is deferred. */
static uint64_t run_reference(collected *out)
{
    sg_session_config c = {.gap = 3,
                           .lateness = 50,
                           .agg = {.abi = SG_AGGREGATE_ABI_1,
                                   .acc_size = 2 * sizeof(int64_t),
                                   .add = sum_add,
                                   .merge = sum_merge,
                                   .result = sum_result}};
    sg_harness *h;
    uint64_t x = 0;
    sg_time max_ts = SG_TIME_MIN;
    assert_int_equal(sg_harness_new_heap(&sg_session_aggregate_op, &c, &h), SG_OK);
    for (int64_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        event e = {(int64_t)((x >> 33) % KEYS), (int64_t)(x >> 54)};
        sg_time ts = i / 4 + (sg_time)((x >> 20) % 81) - 40;
        if (max_ts != SG_TIME_MIN)
            assert_int_equal(sg_harness_watermark(h, max_ts - 10 - 1), SG_OK);
        max_ts = ts > max_ts ? ts : max_ts;
        sg_bytes key = {&e.key, sizeof(e.key)}, value = {&e, sizeof(e)};
        assert_int_equal(sg_harness_process(h, 0, ts, key, value), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        assert_int_equal(collect_value(out, r), SG_OK);
    }
    uint64_t late = sg_harness_late(h);
    sg_harness_free(h);
    qsort(out->v, out->n, sizeof(*out->v), by_session);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].order = 0;
    return late;
}

static void check(bool process)
{
    collected base = {0}, ref = {0};
    uint64_t late = run(1, false, &base);
    assert_int_equal(run_reference(&ref), late);
    assert_int_equal(ref.n, base.n);
    assert_memory_equal(ref.v, base.v, base.n * sizeof(firing));
    sg_free(ref.v);
    size_t refired = 0;
    for (size_t i = 1; i < base.n; i++)
        refired += base.v[i].key == base.v[i - 1].key && base.v[i].start == base.v[i - 1].start &&
                   base.v[i].end == base.v[i - 1].end;
    assert_true(late > 1000);    /* records past cleanup */
    assert_true(refired > 1000); /* late firings of one session */
    for (int p = process ? 1 : 2; p <= 3; p++) {
        collected other = {0};
        assert_int_equal(run(p, process, &other), late);
        assert_int_equal(other.n, base.n);
        assert_memory_equal(other.v, base.v, base.n * sizeof(firing));
        sg_free(other.v);
    }
    sg_free(base.v);
}

static void test_aggregate_firings_are_the_same_at_every_parallelism(void **state)
{
    (void)state;
    check(false);
}

static void test_process_firings_are_the_same_as_the_aggregate_at_every_parallelism(void **state)
{
    (void)state;
    check(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_firings_are_the_same_at_every_parallelism),
        cmocka_unit_test(test_process_firings_are_the_same_as_the_aggregate_at_every_parallelism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
