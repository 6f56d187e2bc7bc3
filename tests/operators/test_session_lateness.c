/* Session windows with allowed lateness (Flink's merging windows with
 * allowedLateness and sideOutputLateData), through the harness on both backends: a
 * fired session keeps its content until end - 1 + lateness and fires again at once
 * for each record that joins it; a late record may bridge fired sessions or extend
 * one past the watermark; past cleanup records are late (counted or sent to the side
 * output). A record carrying a watermark ahead of the operator's gives the same
 * firings (driven directly, as a task does). Snapshot and restore mid-stream. */
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

/* What a firing emits, in both modes: bounds, count, sum and the first values in the
 * order the function saw them (process mode; the aggregate leaves v zero). */
typedef struct session {
    sg_time start, end;
    int64_t count, sum;
    int64_t v[6];
} session;

typedef struct acc {
    int64_t count, sum;
} acc;

static int s_add(void *a, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    ((acc *)a)->count++;
    ((acc *)a)->sum += v;
    return SG_OK;
}

static void s_merge(void *a, const void *b, void *udata)
{
    (void)udata;
    ((acc *)a)->count += ((const acc *)b)->count;
    ((acc *)a)->sum += ((const acc *)b)->sum;
}

static int s_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *a,
                    void *udata)
{
    session s = {start, end, ((const acc *)a)->count, ((const acc *)a)->sum, {0}};
    (void)udata;
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static int s_process(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                     size_t n, void *udata)
{
    session s = {start, end, (int64_t)n, 0, {0}};
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, elems[i].value.data, sizeof(v));
        s.sum += v;
        if (i < 6)
            s.v[i] = v;
    }
    sg_bytes out = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, out);
}

static sg_session_config config(sg_time gap, sg_time lateness, bool process)
{
    sg_session_config c = {.gap = gap, .lateness = lateness};
    if (process) {
        c.proc = (sg_window_process_def){.abi = SG_WINDOW_PROCESS_ABI_1, .process = s_process};
    } else {
        c.agg = (sg_aggregate_def){.abi = SG_AGGREGATE_ABI_1,
                                   .acc_size = sizeof(acc),
                                   .add = s_add,
                                   .merge = s_merge,
                                   .result = s_result};
    }
    return c;
}

static const sg_operator_def *op_of(const sg_session_config *c)
{
    return c->proc.process ? &sg_session_process_op : &sg_session_aggregate_op;
}

static sg_harness *start(sg_session_config *c)
{
    sg_harness *h;
    assert_int_equal(backend_harness_new(op_of(c), c, &h), SG_OK);
    return h;
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

static session out_at(sg_harness *h, size_t i)
{
    const sg_record *r = sg_harness_output(h, i);
    session s;
    assert_non_null(r);
    assert_int_equal(r->value.len, sizeof(s));
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, s.end - 1);
    return s;
}

static void expect(sg_harness *h, size_t i, sg_time start, sg_time end, int64_t count, int64_t sum)
{
    session s = out_at(h, i);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.count, count);
    assert_int_equal(s.sum, sum);
}

static void run_late_records_refire_until_cleanup(bool process)
{
    sg_session_config c = config(10, 20, process);
    sg_harness *h = start(&c);
    push(h, "k", 0, 1);
    push(h, "k", 8, 2); /* [0, 18) */
    wm(h, 17);          /* on time */
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 0, 18, 2, 3);
    push(h, "k", 3, 4); /* [3, 13) lies inside: a late firing at once */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 0, 18, 3, 7);
    wm(h, 36);
    push(h, "k", 7, 8); /* cleanup is at 17 + 20 = 37: still in */
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, 0, 18, 4, 15);
    wm(h, 37); /* cleaned up */
    push(h, "k", 1, 16);
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    if (process) { /* every firing gets all the records, in arrival order */
        session s = out_at(h, 2);
        const int64_t want[4] = {1, 2, 4, 8};
        assert_memory_equal(s.v, want, sizeof(want));
    }
    uint64_t entries = 1;
    assert_int_equal(sg_harness_state_entries(h, &entries), SG_OK);
    assert_int_equal(entries, 0);
    sg_harness_free(h);
}

static void test_late_records_refire_the_session_until_cleanup(void **state)
{
    (void)state;
    run_late_records_refire_until_cleanup(false);
}

static void test_process_late_firings_get_every_record_in_arrival_order(void **state)
{
    (void)state;
    run_late_records_refire_until_cleanup(true);
}

static void run_bridging(bool process)
{
    sg_session_config c = config(10, 50, process);
    sg_harness *h = start(&c);
    push(h, "k", 0, 1);  /* [0, 10) */
    push(h, "k", 15, 2); /* [15, 25) */
    wm(h, 30);           /* both fire; cleanups at 59 and 74 */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 10, 1, 1);
    expect(h, 1, 15, 25, 1, 2);
    push(h, "k", 8, 4); /* [8, 18) touches both: [0, 25), due: one late firing */
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, 0, 25, 3, 7);
    if (process) {
        session s = out_at(h, 2);
        const int64_t want[3] = {1, 2, 4};
        assert_memory_equal(s.v, want, sizeof(want));
    }
    wm(h, 73);           /* the merged session's cleanup is 24 + 50 = 74; 59 cleans nothing */
    push(h, "k", 14, 8); /* [14, 24) lies inside */
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 3, 0, 25, 4, 15);
    wm(h, 74);
    push(h, "k", 24, 16); /* [24, 34): cleanup 83 > 74, a session of its own, due */
    assert_int_equal(sg_harness_count(h), 5);
    expect(h, 4, 24, 34, 1, 16);
    wm(h, 83);
    push(h, "k", 30, 32); /* [30, 40): 89 > 83, alone again: [24, 34) is gone */
    assert_int_equal(sg_harness_count(h), 6);
    expect(h, 5, 30, 40, 1, 32);
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 6);
    sg_harness_free(h);
}

static void test_a_late_record_bridges_fired_sessions(void **state)
{
    (void)state;
    run_bridging(false);
}

static void test_process_a_late_record_bridges_fired_sessions(void **state)
{
    (void)state;
    run_bridging(true);
}

static void test_a_late_record_extending_a_session_waits_for_its_new_end(void **state)
{
    sg_session_config c = config(10, 20, false);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 0, 1);
    wm(h, 9);           /* [0, 10) on time */
    push(h, "k", 5, 2); /* [0, 15): not due yet, no firing now */
    assert_int_equal(sg_harness_count(h), 1);
    wm(h, 13);
    assert_int_equal(sg_harness_count(h), 1);
    wm(h, 14); /* the merged session fires on time */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 10, 1, 1);
    expect(h, 1, 0, 15, 2, 3);
    wm(h, 33); /* the old cleanup time 29 passed; the session's own is 34 */
    push(h, "k", 2, 4);
    expect(h, 2, 0, 15, 3, 7);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

static void test_records_past_cleanup_go_to_the_late_side_output(void **state)
{
    sg_session_config c = config(10, 5, false);
    c.late_tag = "late";
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 0, 1);
    wm(h, 20);          /* fired at 9, cleaned up at 14 */
    push(h, "k", 2, 2); /* [2, 12): cleanup 16 <= 20 */
    push(h, "k", 8, 4); /* [8, 18): cleanup 22 > 20: a session of its own, due */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 8, 18, 1, 4);
    assert_int_equal(sg_harness_side_count(h, "late"), 1);
    assert_int_equal(sg_harness_side_output(h, "late", 0)->ts, 2);
    assert_int_equal(sg_harness_late(h), 0); /* Flink counts only dropped records */
    sg_harness_free(h);
}

static void test_without_lateness_the_late_side_output_gets_closed_sessions_records(void **state)
{
    sg_session_config c = config(10, 0, true);
    c.late_tag = "late";
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 0, 1);
    wm(h, 9);
    push(h, "k", 5, 2); /* [5, 15) is open: a new session */
    wm(h, 20);
    push(h, "k", 3, 4); /* [3, 13): closed */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 5, 15, 1, 2);
    assert_int_equal(sg_harness_side_count(h, "late"), 1);
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

/* ---- Records ahead of the operator's watermark --------------------------------------
 * In a task a record carries its source's watermark, which may be ahead of the
 * operator's; the harness cannot show that, so these drive an instance directly. */

typedef struct direct {
    sg_ctx inst;
    sg__counters counters;
    session out[16];
    size_t n;
} direct;

static int direct_collect(void *ud, const sg_record *rec)
{
    direct *d = ud;
    assert_true(d->n < 16);
    memcpy(&d->out[d->n++], rec->value.data, sizeof(session));
    return SG_OK;
}

static int direct_wm(void *ud, sg_time t)
{
    (void)ud;
    (void)t;
    return SG_OK;
}

static void direct_start(direct *d, sg_session_config *c)
{
    memset(d, 0, sizeof(*d));
    sg__inst_init(&d->inst);
    d->inst.kind = SG__INST_OP;
    d->inst.name = op_of(c)->name;
    d->inst.op = op_of(c);
    d->inst.udata = c;
    d->inst.keyed = true;
    d->inst.backend = SG__KV_HEAP;
    d->inst.counters = &d->counters;
    d->inst.out_fn = direct_collect;
    d->inst.out_wm_fn = direct_wm;
    d->inst.out_ud = d;
    assert_int_equal(sg__inst_open(&d->inst, NULL), SG_OK);
}

static void direct_push(direct *d, sg_time ts, int64_t v, sg_time carried)
{
    sg_record rec = {ts, sg_bytes_str("k"), {&v, sizeof(v)}};
    *d->inst.rec_wm = carried; /* as a task does for an operator without process_batch */
    assert_int_equal(sg__inst_process(&d->inst, 0, &rec), SG_OK);
}

static void direct_expect(const direct *d, size_t i, sg_time start, sg_time end, int64_t sum)
{
    assert_true(i < d->n);
    assert_int_equal(d->out[i].start, start);
    assert_int_equal(d->out[i].end, end);
    assert_int_equal(d->out[i].sum, sum);
}

static void run_ahead(bool process)
{
    /* Gap 10, lateness 20. The record at 3 carries watermark 12: for it [0, 10) has
     * fired, so it joins it late ([0, 13), due: a late firing), but the operator has
     * not fired [0, 10) yet. It waits, and so does the next record of the key; when
     * the operator reaches 12, [0, 10) fires on time, then the two follow. */
    sg_session_config c = config(10, 20, process);
    direct d;
    direct_start(&d, &c);
    direct_push(&d, 0, 1, SG_TIME_MIN);
    direct_push(&d, 3, 2, 12);
    direct_push(&d, 30, 4, 12);
    assert_int_equal(d.n, 0);
    assert_int_equal(sg__inst_watermark(&d.inst, 12), SG_OK);
    assert_int_equal(d.n, 2);
    direct_expect(&d, 0, 0, 10, 1);
    direct_expect(&d, 1, 0, 13, 3);
    /* The record at 8 carries 13: [8, 18) bridges [0, 13) (fired) into [0, 18), not
     * due; [30, 40) is unaffected. */
    direct_push(&d, 8, 8, 13);
    assert_int_equal(sg__inst_watermark(&d.inst, SG_TIME_MAX), SG_OK);
    assert_int_equal(d.n, 4);
    direct_expect(&d, 2, 0, 18, 11);
    direct_expect(&d, 3, 30, 40, 4);
    assert_int_equal(d.counters.late, 0);
    sg__inst_close(&d.inst);

    /* The same with the watermarks first, in a harness. */
    sg_harness *h = start(&c);
    push(h, "k", 0, 1);
    wm(h, 12);
    push(h, "k", 3, 2);
    push(h, "k", 30, 4);
    wm(h, 13);
    push(h, "k", 8, 8);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    for (size_t i = 0; i < 4; i++)
        assert_memory_equal(&d.out[i], sg_harness_output(h, i)->value.data, sizeof(session));
    sg_harness_free(h);
}

static void test_a_record_ahead_of_the_operator_waits_for_the_on_time_firing(void **state)
{
    (void)state;
    run_ahead(false);
}

static void test_process_a_record_ahead_of_the_operator_waits_too(void **state)
{
    (void)state;
    run_ahead(true);
}

static void test_a_record_bridging_an_unfired_due_session_keeps_its_on_time_firing(void **state)
{
    /* [8, 18) with watermark 9 touches [0, 10), due for it: that session fires on time
     * alone first, then the merged [0, 18) fires at 17. */
    sg_session_config c = config(10, 20, false);
    direct d;
    (void)state;
    direct_start(&d, &c);
    direct_push(&d, 0, 1, SG_TIME_MIN);
    direct_push(&d, 8, 2, 9);
    assert_int_equal(sg__inst_watermark(&d.inst, 9), SG_OK);
    assert_int_equal(d.n, 1);
    direct_expect(&d, 0, 0, 10, 1);
    assert_int_equal(sg__inst_watermark(&d.inst, 17), SG_OK);
    assert_int_equal(d.n, 2);
    direct_expect(&d, 1, 0, 18, 3);
    sg__inst_close(&d.inst);
}

/* ---- Snapshot and restore ----------------------------------------------------------- */

typedef struct fired {
    char key[8];
    session s;
} fired;

/* A jittered stream of 5 keys whose watermark runs ahead of many records: many late
 * firings, merges of fired sessions, and records past cleanup. restore_at >= 0
 * snapshots and restores there (RocksDB); otherwise the group's backend. */
static size_t run_stream(sg_session_config *c, int restore_at, fired *out, size_t cap,
                         uint64_t *late)
{
    sg_harness *h;
    char key[8];
    uint64_t x = 5;
    assert_int_equal((restore_at < 0 ? backend_harness_new : sg_harness_new)(op_of(c), c, &h),
                     SG_OK);
    for (int i = 0; i < 1500; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "u%u", (unsigned)(x >> 40) % 5);
        push(h, key, i / 2 + (sg_time)((x >> 20) % 60) - 30, (int64_t)(x >> 56));
        if (i % 20 == 19)
            wm(h, i / 2 + 5);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memset(&out[i], 0, sizeof(out[i]));
        memcpy(out[i].key, r->key.data, r->key.len);
        memcpy(&out[i].s, r->value.data, sizeof(session));
        memset(out[i].s.v, 0, sizeof(out[i].s.v)); /* the aggregate has none */
    }
    *late = sg_harness_late(h);
    sg_harness_free(h);
    return n;
}

static void test_snapshot_restore_gives_the_same_firings_in_both_modes(void **state)
{
    enum { CAP = 8192 };
    static fired a[CAP], b[CAP];
    sg_session_config agg = config(4, 15, false), proc = config(4, 15, true);
    uint64_t late_a, late_b;
    (void)state;
    size_t na = run_stream(&agg, -1, a, CAP, &late_a);
    size_t refired = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a[i].key, a[j].key) && a[i].s.start == a[j].s.start &&
                a[i].s.end == a[j].s.end) {
                refired++;
                break;
            }
    assert_true(na > 100);
    assert_true(late_a > 20);
    assert_true(refired > 20);
    for (int at = -1; at < 1500; at += 374) {
        size_t nb = run_stream(&proc, at, b, CAP, &late_b);
        assert_int_equal(na, nb);
        assert_int_equal(late_a, late_b);
        assert_memory_equal(a, b, na * sizeof(fired));
        if (at >= 0) {
            nb = run_stream(&agg, at, b, CAP, &late_b);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, na * sizeof(fired));
        }
    }
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_late_records_refire_the_session_until_cleanup),
        cmocka_unit_test(test_process_late_firings_get_every_record_in_arrival_order),
        cmocka_unit_test(test_a_late_record_bridges_fired_sessions),
        cmocka_unit_test(test_process_a_late_record_bridges_fired_sessions),
        cmocka_unit_test(test_a_late_record_extending_a_session_waits_for_its_new_end),
        cmocka_unit_test(test_records_past_cleanup_go_to_the_late_side_output),
        cmocka_unit_test(test_without_lateness_the_late_side_output_gets_closed_sessions_records),
        /* Drive an instance directly (heap state), then a harness on the group's backend. */
        cmocka_unit_test(test_a_record_ahead_of_the_operator_waits_for_the_on_time_firing),
        cmocka_unit_test(test_process_a_record_ahead_of_the_operator_waits_too),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_a_record_bridging_an_unfired_due_session_keeps_its_on_time_firing),
        cmocka_unit_test(test_snapshot_restore_gives_the_same_firings_in_both_modes),
    };
    return BACKEND_RUN(both, once);
}
