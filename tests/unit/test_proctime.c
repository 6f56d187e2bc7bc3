/* Processing-time timers: through the harness's fake clock (order, keys, deletes,
 * watermarks do not fire them, snapshots keep them) and through the runtime, where a
 * worker must wake for a timer while its source has nothing to give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "engine/job.h"
#include "engine/runtime.h"

/* On each record: a processing-time timer at (value) ms, keyed. On the timer: emit
 * the key with the timer's ts. A record with value < 0 deletes the timer at -value. */
static int pt_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    int64_t at;
    (void)self;
    (void)port;
    memcpy(&at, rec->value.data, sizeof(at));
    if (at < 0) {
        sg_timer_delete(ctx, SG_TIME_PROCESSING, -at);
        return SG_OK;
    }
    return sg_timer_set(ctx, SG_TIME_PROCESSING, at);
}

static int pt_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    atomic_int *fired = sg_ctx_udata(ctx);
    (void)self;
    if (d != SG_TIME_PROCESSING)
        return sg_ctx_errorf(ctx, SG_EINVAL, "an event-time timer fired");
    if (fired)
        atomic_fetch_add(fired, 1);
    sg_bytes v = {&ts, sizeof(ts)};
    return sg_emit(ctx, ts, sg_ctx_key(ctx), v);
}

static const sg_operator_def pt_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "proctime",
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .process = pt_process,
    .on_timer = pt_on_timer,
};

static void push(sg_harness *h, const char *key, int64_t at)
{
    sg_bytes v = {&at, sizeof(at)};
    assert_int_equal(sg_harness_process(h, 0, 0, sg_bytes_str(key), v), SG_OK);
}

static void expect(sg_harness *h, size_t i, const char *key, sg_time ts)
{
    const sg_record *r = sg_harness_output(h, i);
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    assert_int_equal(r->ts, ts);
}

static void test_timers_fire_when_the_clock_reaches_them_in_order(void **state)
{
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&pt_op, NULL, &h), SG_OK);
    push(h, "b", 200);
    push(h, "a", 100);
    push(h, "c", 200);
    push(h, "a", 100);                                      /* the same timer again: one */
    assert_int_equal(sg_harness_watermark(h, 1000), SG_OK); /* event time fires none */
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_set_processing_time(h, 99), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_set_processing_time(h, 150), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 100);
    assert_int_equal(sg_harness_set_processing_time(h, 500), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 1, "b", 200);
    expect(h, 2, "c", 200);
    sg_harness_free(h);
}

static void test_deleted_timers_do_not_fire(void **state)
{
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new_heap(&pt_op, NULL, &h), SG_OK);
    push(h, "a", 100);
    push(h, "b", 100);
    push(h, "a", -100);
    assert_int_equal(sg_harness_set_processing_time(h, 100), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "b", 100);
    sg_harness_free(h);
}

static void test_processing_timers_survive_snapshot_and_restore(void **state)
{
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&pt_op, NULL, &h), SG_OK);
    push(h, "x", 300);
    push(h, "y", 100);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(sg_harness_set_processing_time(h, 1000), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "y", 100);
    expect(h, 1, "x", 300);
    sg_harness_free(h);
}

/* ---- Through the runtime ---------------------------------------------------------------
 * gen:once emits one record (a timer 30 ms ahead of now), then has nothing (SG_AGAIN)
 * until the timer has fired, then ends. The run ends only if a worker woke for it. */

static atomic_int fired_in_run; /* shared by the source and the operator's timer */

static int once_poll(sg_ctx *ctx, void *self, size_t budget)
{
    int *sent = self;
    atomic_int *fired = &fired_in_run;
    (void)budget;
    if (!*sent) {
        *sent = 1;
        int64_t at = sg_ctx_processing_time(ctx) + 30;
        sg_bytes v = {&at, sizeof(at)};
        return sg_emit(ctx, 0, sg_bytes_str("k"), v);
    }
    return atomic_load(fired) ? SG_EOF : SG_AGAIN;
}

static const sg_source_def once_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "once",
    .self_size = sizeof(int),
    .poll = once_poll,
};

static int key_of(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    (void)ctx;
    (void)udata;
    *key = in->key;
    return SG_OK;
}

static void test_a_worker_wakes_for_a_processing_time_timer(void **state)
{
    (void)state;
    for (int workers = 1; workers <= 2; workers++) {
        atomic_int *fired = &fired_in_run;
        atomic_store(fired, 0);
        char err[512] = "";
        sg_job *job = sg__job_new(1, workers);
        assert_int_equal(sg_job_register_generator(job, "once", &once_def), SG_OK);
        sg_stream *s = sg_job_source(job, "src", "gen:once", NULL);
        sg_stream *k = sg_stream_key_by(s, "by", key_of, NULL);
        sg_stream *o = sg_stream_process(k, &pt_op, fired);
        assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
        sg__run_config cfg = {.workers = workers, .backend = SG__KV_HEAP};
        sg__run_stats st;
        if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
            fail_msg("run failed: %s", err);
        assert_int_equal(atomic_load(fired), 1);
        assert_int_equal(st.written, 1);
        sg__job_free(job);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_when_the_clock_reaches_them_in_order),
        cmocka_unit_test(test_deleted_timers_do_not_fire),
        cmocka_unit_test(test_processing_timers_survive_snapshot_and_restore),
        cmocka_unit_test(test_a_worker_wakes_for_a_processing_time_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
