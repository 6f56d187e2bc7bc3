/* Allowed lateness through the harness (Flink's allowedLateness with the default
 * EventTimeTrigger): a window fires on time, keeps its state until end - 1 +
 * lateness, fires again at once with its whole content for each late record, is
 * cleaned up, and only then are its records late. Sliding windows with some windows
 * lateable and some gone; the same firings when a record carries a watermark ahead
 * of the operator's (the engine's per-record watermark); snapshot and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "engine/ctx.h"
#include "operators/builtin_ops.h"
#include "tests/operators/backends.h"

static int sum_add(void *acc, const sg_record *rec, void *udata)
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

typedef struct result {
    sg_time start, end;
    int64_t sum;
} result;

static int sum_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    result r = {start, end, *(const int64_t *)acc};
    (void)udata;
    sg_bytes v = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_window_config config(sg_time size, sg_time slide, sg_time lateness)
{
    sg_window_config c = {
        .size = size,
        .slide = slide,
        .lateness = lateness,
        .agg = {.abi = SG_AGGREGATE_ABI_1,
                .acc_size = sizeof(int64_t),
                .add = sum_add,
                .merge = sum_merge,
                .result = sum_result},
    };
    sg_time a = size, b = slide;
    while (b) {
        sg_time t = a % b;
        a = b;
        b = t;
    }
    c.pane = a;
    return c;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static void wm(sg_harness *h, sg_time t)
{
    assert_int_equal(sg_harness_watermark(h, t), SG_OK);
}

static void expect(sg_harness *h, size_t i, sg_time start, sg_time end, int64_t sum)
{
    const sg_record *r = sg_harness_output(h, i);
    result x;
    assert_non_null(r);
    assert_int_equal(r->value.len, sizeof(x));
    memcpy(&x, r->value.data, sizeof(x));
    assert_int_equal(x.start, start);
    assert_int_equal(x.end, end);
    assert_int_equal(x.sum, sum);
    assert_int_equal(r->ts, end - 1);
}

static void test_late_records_fire_again_until_cleanup_then_are_late(void **state)
{
    /* Tumbling 10, lateness 5: [0, 10) fires at 9 and is cleaned up at 14. */
    sg_window_config c = config(10, 10, 5);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 3, 1);
    push(h, "a", 7, 2);
    wm(h, 9);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 0, 10, 3); /* on time */
    push(h, "a", 5, 4);     /* late, within lateness: fires at once with everything */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 0, 10, 7);
    wm(h, 13);
    assert_int_equal(sg_harness_count(h), 2); /* no firing without a record */
    push(h, "a", 0, 8);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, 0, 10, 15);
    assert_int_equal(sg_harness_late(h), 0);
    wm(h, 14); /* cleanup time: the state goes */
    push(h, "a", 9, 16);
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_count(h), 3);
    push(h, "a", 10, 32); /* the next window is open */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 3, 10, 20, 32);
    sg_harness_free(h);
}

static void test_records_past_cleanup_go_to_the_late_side_output(void **state)
{
    sg_window_config c = config(10, 10, 5);
    sg_harness *h;
    (void)state;
    c.late_tag = "late";
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 3, 1);
    wm(h, 12);
    push(h, "a", 4, 2); /* lateable: a late firing, not the side output */
    assert_int_equal(sg_harness_side_count(h, "late"), 0);
    wm(h, 14);
    push(h, "a", 4, 4); /* past cleanup */
    assert_int_equal(sg_harness_side_count(h, "late"), 1);
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_side_output(h, "late", 0)->ts, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 10, 1);
    expect(h, 1, 0, 10, 3);
    sg_harness_free(h);
}

static void test_a_late_record_into_an_empty_fired_window_fires_it(void **state)
{
    /* [0, 10) had nothing when the watermark passed 9: no on-time firing (Flink fires
     * no empty window), then the late record fires it with itself alone. */
    sg_window_config c = config(10, 10, 5);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    wm(h, 11);
    push(h, "a", 2, 5);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 0, 10, 5);
    push(h, "a", 8, 1);
    expect(h, 1, 0, 10, 6);
    wm(h, 14);
    push(h, "a", 8, 1);
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    sg_harness_free(h);
}

static void test_sliding_late_record_refires_fired_windows_and_joins_open_ones(void **state)
{
    /* Size 10, slide 5, lateness 5. ts 7 is in [0, 10) and [5, 15). At watermark 12
     * [0, 10) has fired (cleanup at 14) and [5, 15) is open. */
    sg_window_config c = config(10, 5, 5);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 1, 1);
    push(h, "k", 6, 10);
    wm(h, 12);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, -5, 5, 1);
    expect(h, 1, 0, 10, 11);
    push(h, "k", 7, 100);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, 0, 10, 111); /* [-5, 5) does not contain 7; [0, 10) fires again */
    push(h, "k", 2, 1000);    /* [-5, 5) is gone (4 + 5 <= 12); [0, 10) fires again */
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 3, 0, 10, 1111);
    assert_int_equal(sg_harness_late(h), 0);
    wm(h, 14); /* [5, 15) on time, with 6 and 7 */
    assert_int_equal(sg_harness_count(h), 5);
    expect(h, 4, 5, 15, 110);
    push(h, "k", 4, 5); /* both its windows past cleanup: late */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    sg_harness_free(h);
}

static void test_a_record_late_for_two_windows_fires_both_latest_first(void **state)
{
    /* Size 10, slide 5, lateness 10: at watermark 14 both windows of ts 7 have fired
     * and neither is cleaned up. Flink assigns sliding windows latest first. */
    sg_window_config c = config(10, 5, 10);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 6, 1);
    wm(h, 14);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 10, 1);
    expect(h, 1, 5, 15, 1);
    push(h, "k", 7, 10);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 2, 5, 15, 11);
    expect(h, 3, 0, 10, 11);
    wm(h, 19); /* [0, 10) cleaned up; [5, 15) lives until 24 */
    push(h, "k", 8, 100);
    assert_int_equal(sg_harness_count(h), 5);
    expect(h, 4, 5, 15, 111);
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    sg_harness_free(h);
}

static void test_sliding_record_with_one_window_gone_reaches_only_the_other(void **state)
{
    /* Size 10, slide 5, lateness 3: at watermark 13, [0, 10) is gone (9 + 3 <= 13)
     * and [5, 15) is open; ts 7 reaches [5, 15) only. */
    sg_window_config c = config(10, 5, 3);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 6, 1);
    wm(h, 13);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 0, 10, 1);
    push(h, "k", 7, 10);
    assert_int_equal(sg_harness_count(h), 1);
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 5, 15, 11);
    sg_harness_free(h);
}

/* ---- A record ahead of the operator's watermark ------------------------------------
 * The engine gives each record the watermark its source had announced, which can be
 * ahead of the operator's (the minimum over its inputs). The harness cannot show
 * that, so this test drives an instance directly, batch by batch, as a task does. */

typedef struct direct {
    sg_ctx inst;
    sg__counters counters;
    result out[16];
    size_t n;
} direct;

static int direct_collect(void *ud, const sg_record *rec)
{
    direct *d = ud;
    assert_true(d->n < 16);
    memcpy(&d->out[d->n++], rec->value.data, sizeof(result));
    return SG_OK;
}

static int direct_wm(void *ud, sg_time t)
{
    (void)ud;
    (void)t;
    return SG_OK;
}

static void direct_start(direct *d, sg_window_config *c)
{
    memset(d, 0, sizeof(*d));
    sg__inst_init(&d->inst);
    d->inst.kind = SG__INST_OP;
    d->inst.name = sg_window_aggregate_op.name;
    d->inst.op = &sg_window_aggregate_op;
    d->inst.udata = c;
    d->inst.keyed = true;
    d->inst.backend = SG__KV_HEAP;
    d->inst.counters = &d->counters;
    d->inst.out_fn = direct_collect;
    d->inst.out_wm_fn = direct_wm;
    d->inst.out_ud = d;
    assert_int_equal(sg__inst_open(&d->inst, NULL), SG_OK);
}

/* One record with its own carried watermark. */
static void direct_push(direct *d, sg_time ts, int64_t v, sg_time carried)
{
    sg_record rec = {ts, sg_bytes_str("a"), {&v, sizeof(v)}};
    int32_t kg = -1;
    assert_int_equal(sg__inst_process_batch(&d->inst, 0, &rec, &kg, &carried, 1), SG_OK);
}

static void
test_a_record_ahead_of_the_operator_watermark_fires_after_the_on_time_firing(void **state)
{
    /* Tumbling 10, lateness 5. The record at 4 carries watermark 9: for it [0, 10)
     * has fired, so it must not be in the on-time result, but the operator (at
     * watermark 0) has not fired it yet. It waits; when the operator's watermark
     * reaches 9 the window fires on time (1), then late with it (3). The record at
     * 6 carries 20: past cleanup for it, so it is late although nothing fired yet.
     * The same as the harness run below, where watermarks come before records. */
    sg_window_config c = config(10, 10, 5);
    direct d;
    (void)state;
    direct_start(&d, &c);
    direct_push(&d, 3, 1, SG_TIME_MIN);
    assert_int_equal(sg__inst_watermark(&d.inst, 0), SG_OK);
    direct_push(&d, 4, 2, 9);
    direct_push(&d, 6, 4, 20);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.counters.late, 1);
    assert_int_equal(sg__inst_watermark(&d.inst, 9), SG_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.out[0].sum, 1);
    assert_int_equal(d.out[1].sum, 3);
    direct_push(&d, 8, 8, 10); /* the operator fired it: a late firing at once */
    assert_int_equal(d.n, 3);
    assert_int_equal(d.out[2].sum, 11);
    assert_int_equal(sg__inst_watermark(&d.inst, SG_TIME_MAX), SG_OK);
    assert_int_equal(d.n, 3);
    sg__inst_close(&d.inst);

    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 3, 1);
    wm(h, 9);
    push(h, "a", 4, 2);
    wm(h, 20);
    push(h, "a", 6, 4);
    push(h, "a", 8, 8);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 10, 1);
    expect(h, 1, 0, 10, 3);
    assert_int_equal(sg_harness_late(h), 2); /* here 8 is past cleanup too */
    sg_harness_free(h);
}

static void test_sliding_pending_record_skips_the_on_time_firing_only(void **state)
{
    /* Size 10, slide 5, lateness 5. The record at 7 carries watermark 9: [0, 10) is
     * closed for it (the operator has not fired it), [5, 15) is open. */
    sg_window_config c = config(10, 5, 5);
    direct d;
    (void)state;
    direct_start(&d, &c);
    direct_push(&d, 6, 1, SG_TIME_MIN);
    direct_push(&d, 7, 10, 9);
    assert_int_equal(sg__inst_watermark(&d.inst, 9), SG_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.out[0].start, 0);
    assert_int_equal(d.out[0].sum, 1); /* on time */
    assert_int_equal(d.out[1].start, 0);
    assert_int_equal(d.out[1].sum, 11); /* late firing */
    assert_int_equal(sg__inst_watermark(&d.inst, SG_TIME_MAX), SG_OK);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.out[2].start, 5);
    assert_int_equal(d.out[2].sum, 11);
    sg__inst_close(&d.inst);
}

/* ---- Snapshot and restore --------------------------------------------------------- */

typedef struct fired {
    sg_time ts;
    char key[8];
    result r;
} fired;

/* A stream with many late records; restore_at >= 0 snapshots and restores there. */
static size_t run_stream(sg_window_config *c, int restore_at, fired *out, size_t cap,
                         uint64_t *late)
{
    sg_harness *h;
    char key[8];
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, c, &h), SG_OK);
    for (int i = 0; i < 400; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        snprintf(key, sizeof(key), "k%d", i % 5);
        push(h, key, (i * 37) % 120 + i / 2, i);
        if (i % 10 == 9)
            wm(h, i / 2 + 60);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memset(&out[i], 0, sizeof(out[i]));
        out[i].ts = r->ts;
        memcpy(out[i].key, r->key.data, r->key.len);
        memcpy(&out[i].r, r->value.data, sizeof(result));
    }
    *late = sg_harness_late(h);
    sg_harness_free(h);
    return n;
}

static void check_restore(sg_time size, sg_time slide, sg_time lateness)
{
    enum { CAP = 8192 };
    static fired a[CAP], b[CAP];
    sg_window_config c = config(size, slide, lateness);
    uint64_t late_a, late_b;
    size_t na = run_stream(&c, -1, a, CAP, &late_a);
    assert_true(na > 100);
    assert_true(late_a > 0);
    size_t refired = 0; /* late firings: a (key, window) seen before */
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a[i].key, a[j].key) && a[i].r.start == a[j].r.start) {
                refired++;
                break;
            }
    assert_true(refired > 10);
    for (int at = 5; at < 400; at += 78) {
        size_t nb = run_stream(&c, at, b, CAP, &late_b);
        assert_int_equal(na, nb);
        assert_int_equal(late_a, late_b);
        for (size_t i = 0; i < na; i++)
            assert_memory_equal(&a[i], &b[i], sizeof(fired));
    }
}

static void test_snapshot_restore_gives_the_same_late_firings_tumbling(void **state)
{
    (void)state;
    check_restore(20, 20, 15);
}

static void test_snapshot_restore_gives_the_same_late_firings_sliding(void **state)
{
    (void)state;
    check_restore(30, 10, 10);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_late_records_fire_again_until_cleanup_then_are_late),
        cmocka_unit_test(test_records_past_cleanup_go_to_the_late_side_output),
        cmocka_unit_test(test_a_late_record_into_an_empty_fired_window_fires_it),
        cmocka_unit_test(test_sliding_late_record_refires_fired_windows_and_joins_open_ones),
        cmocka_unit_test(test_a_record_late_for_two_windows_fires_both_latest_first),
        cmocka_unit_test(test_sliding_record_with_one_window_gone_reaches_only_the_other),
        /* Drives the instance directly (heap state), then repeats it in a harness on
         * the group's backend. */
        cmocka_unit_test(
            test_a_record_ahead_of_the_operator_watermark_fires_after_the_on_time_firing),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_sliding_pending_record_skips_the_on_time_firing_only), /* heap */
        cmocka_unit_test(test_snapshot_restore_gives_the_same_late_firings_tumbling),
        cmocka_unit_test(test_snapshot_restore_gives_the_same_late_firings_sliding),
    };
    return BACKEND_RUN(both, once);
}
