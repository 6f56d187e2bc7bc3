/* Windows with allowed lateness through the runtime: the firings of every window (on
 * time, then one late firing per late record) and the late count are the same at
 * parallelism 1, 2 and 3, for the aggregate and the process-window function alike.
 * Records reach the window in batches whose records carry watermarks ahead of the
 * operator's, so the "pending until the on-time firing" path runs here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/job.h"
#include "engine/runtime.h"

#include "parallel_fixture.h"

/* By window, then in the order the window's firings came (one subtask emits them all,
 * through one channel, so that order is the operator's). */
static int by_window(const void *a, const void *b)
{
    const firing *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t run(int parallelism, bool process, collected *out)
{
    sg_job *job = sg__job_new(parallelism, 2);
    sg_window w = {.size_ms = 40, .slide_ms = 10, .allowed_lateness_ms = 20};
    sg_aggregate_def agg = {.abi = SG_AGGREGATE_ABI_1,
                            .acc_size = 2 * sizeof(int64_t),
                            .add = sum_add,
                            .merge = sum_merge,
                            .result = sum_result};
    sg_window_process_def proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = sum_process};
    assert_int_equal(sg_job_register_generator(job, "jitter", &jitter_def), SG_OK);
    sg_stream *s = sg_stream_watermarks(sg_job_source(job, "src", "gen:jitter", NULL), 10);
    sg_stream *k = sg_stream_key_by(s, "by-key", event_key, NULL);
    sg_stream *win = process ? sg_stream_window_process(k, "win", &w, &proc, NULL)
                             : sg_stream_window_aggregate(k, "win", &w, &agg, NULL);
    sg_stream *o = sg_stream_set_parallelism(sg_stream_process(win, &collect_def, out), 1);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    assert_int_equal(sg_job_status(job), SG_OK);
    char err[512] = "";
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    sg__job_free(job);
    qsort(out->v, out->n, sizeof(*out->v), by_window);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].order = 0;
    return st.late;
}

static void check(bool process)
{
    collected base = {0};
    uint64_t late = run(1, false, &base);
    size_t refired = 0;
    for (size_t i = 1; i < base.n; i++)
        refired += base.v[i].key == base.v[i - 1].key && base.v[i].start == base.v[i - 1].start;
    assert_true(late > 100);     /* records past cleanup */
    assert_true(refired > 1000); /* late firings */
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
