/* Sliding windows with slide > size (Flink's SlidingEventTimeWindows allows them):
 * windows with gaps between them. A record in a gap belongs to no window: it is
 * skipped, neither stored nor late. Aggregates and process-window functions, with and
 * without allowed lateness, on both backends; snapshot and restore mid-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/builtin_ops.h"
#include "tests/operators/backends.h"

typedef struct result {
    sg_time start, end;
    int64_t n, sum;
    int64_t v[4]; /* process mode: the first values, in the order the function got them */
} result;

static int sum_add(void *acc, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    ((int64_t *)acc)[0]++;
    ((int64_t *)acc)[1] += v;
    return SG_OK;
}

static void sum_merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    ((int64_t *)acc)[0] += ((const int64_t *)other)[0];
    ((int64_t *)acc)[1] += ((const int64_t *)other)[1];
}

static int sum_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    result r = {start, end, ((const int64_t *)acc)[0], ((const int64_t *)acc)[1], {0}};
    (void)udata;
    sg_bytes v = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, v);
}

static int sum_process(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end,
                       const sg_record *elems, size_t n, void *udata)
{
    result r = {start, end, (int64_t)n, 0, {0}};
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, elems[i].value.data, sizeof(v));
        r.sum += v;
        if (i < 4)
            r.v[i] = v;
    }
    sg_bytes out = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, out);
}

static sg_window_config config(sg_time size, sg_time slide, sg_time lateness, bool process)
{
    sg_window_config c = {.size = size, .slide = slide, .lateness = lateness};
    if (process)
        c.proc = (sg_window_process_def){.abi = SG_WINDOW_PROCESS_ABI_1, .process = sum_process};
    else
        c.agg = (sg_aggregate_def){.abi = SG_AGGREGATE_ABI_1,
                                   .acc_size = 2 * sizeof(int64_t),
                                   .add = sum_add,
                                   .merge = sum_merge,
                                   .result = sum_result};
    sg_time a = size, b = slide;
    while (b) {
        sg_time t = a % b;
        a = b;
        b = t;
    }
    c.pane = a;
    return c;
}

static const sg_operator_def *op_of(const sg_window_config *c)
{
    return c->proc.process ? &sg_window_process_op : &sg_window_aggregate_op;
}

static sg_harness *start(sg_window_config *c)
{
    sg_harness *h;
    assert_int_equal(backend_harness_new(op_of(c), c, &h), SG_OK);
    return h;
}

static void push(sg_harness *h, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str("k"), value), SG_OK);
}

static void wm(sg_harness *h, sg_time t)
{
    assert_int_equal(sg_harness_watermark(h, t), SG_OK);
}

static result expect(sg_harness *h, size_t i, sg_time start, sg_time end, int64_t n, int64_t sum)
{
    const sg_record *r = sg_harness_output(h, i);
    result x;
    assert_non_null(r);
    memcpy(&x, r->value.data, sizeof(x));
    assert_int_equal(r->ts, end - 1);
    assert_int_equal(x.start, start);
    assert_int_equal(x.end, end);
    assert_int_equal(x.n, n);
    assert_int_equal(x.sum, sum);
    return x;
}

static void state_is_empty(sg_harness *h)
{
    uint64_t n = 1;
    assert_int_equal(sg_harness_state_entries(h, &n), SG_OK);
    assert_int_equal(n, 0);
}

static void run_one_pane_windows(bool process)
{
    /* Size 5, slide 10: windows [0, 5), [10, 15), ...; [5, 10) is a gap. */
    sg_window_config c = config(5, 10, 0, process);
    sg_harness *h = start(&c);
    push(h, 2, 1);
    push(h, 7, 2); /* gap */
    push(h, 13, 4);
    push(h, 4, 8);
    wm(h, 4);
    assert_int_equal(sg_harness_count(h), 1);
    result r = expect(h, 0, 0, 5, 2, 9);
    if (process) {
        assert_int_equal(r.v[0], 1);
        assert_int_equal(r.v[1], 8);
    }
    push(h, 6, 16);  /* gap, and behind the watermark: still not late */
    push(h, 3, 32);  /* [0, 5) has fired: late */
    push(h, 19, 64); /* gap */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 10, 15, 1, 4);
    assert_int_equal(sg_harness_late(h), 1);
    state_is_empty(h);
    sg_harness_free(h);
}

static void test_records_in_gaps_are_skipped_not_late(void **state)
{
    (void)state;
    run_one_pane_windows(false);
}

static void test_process_records_in_gaps_are_skipped_not_late(void **state)
{
    (void)state;
    run_one_pane_windows(true);
}

static void run_several_panes(bool process)
{
    /* Size 4, slide 6: panes of 2; windows [0, 4), [6, 10), [12, 16); gaps [4, 6),
     * [10, 12). */
    sg_window_config c = config(4, 6, 0, process);
    sg_harness *h = start(&c);
    push(h, 1, 1);
    push(h, 3, 2);
    push(h, 5, 4); /* gap */
    push(h, 9, 8);
    push(h, 7, 16);
    push(h, 11, 32);  /* gap */
    push(h, -3, 64);  /* [-6, -2) */
    push(h, -1, 128); /* gap [-2, 0) */
    wm(h, 9);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 0, -6, -2, 1, 64);
    expect(h, 1, 0, 4, 2, 3);
    result r = expect(h, 2, 6, 10, 2, 24);
    if (process) { /* arrival order across the window's two panes */
        assert_int_equal(r.v[0], 8);
        assert_int_equal(r.v[1], 16);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    assert_int_equal(sg_harness_late(h), 0);
    state_is_empty(h);
    sg_harness_free(h);
}

static void test_windows_of_several_panes_with_gaps(void **state)
{
    (void)state;
    run_several_panes(false);
}

static void test_process_windows_of_several_panes_with_gaps(void **state)
{
    (void)state;
    run_several_panes(true);
}

static void run_lateness(bool process)
{
    /* Size 4, slide 6, lateness 5: [0, 4) fires at 3 and is cleaned up at 8. */
    sg_window_config c = config(4, 6, 5, process);
    c.late_tag = "late";
    sg_harness *h = start(&c);
    push(h, 1, 1);
    push(h, 3, 2);
    wm(h, 3);
    expect(h, 0, 0, 4, 2, 3);
    push(h, 2, 4); /* a late firing with everything */
    assert_int_equal(sg_harness_count(h), 2);
    result r = expect(h, 1, 0, 4, 3, 7);
    if (process)
        assert_int_equal(r.v[2], 4);
    push(h, 5, 8); /* gap: nothing */
    assert_int_equal(sg_harness_count(h), 2);
    wm(h, 8);       /* cleanup */
    push(h, 0, 16); /* past cleanup: to the late side output */
    push(h, 4, 32); /* gap, far behind the watermark: not late */
    assert_int_equal(sg_harness_side_count(h, "late"), 1);
    assert_int_equal(sg_harness_side_output(h, "late", 0)->ts, 0);
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    state_is_empty(h);
    sg_harness_free(h);
}

static void test_allowed_lateness_with_gaps(void **state)
{
    (void)state;
    run_lateness(false);
}

static void test_process_allowed_lateness_with_gaps(void **state)
{
    (void)state;
    run_lateness(true);
}

/* ---- Snapshot and restore ----------------------------------------------------------- */

typedef struct fired {
    char key[8];
    result r;
} fired;

/* A jittered stream of 4 keys, the watermark often ahead of records; restore_at >= 0
 * snapshots and restores there (RocksDB). */
static size_t run_stream(sg_window_config *c, int restore_at, fired *out, size_t cap,
                         uint64_t *late)
{
    sg_harness *h;
    char key[8];
    uint64_t x = 9;
    assert_int_equal((restore_at < 0 ? backend_harness_new : sg_harness_new)(op_of(c), c, &h),
                     SG_OK);
    for (int i = 0; i < 800; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "k%u", (unsigned)(x >> 40) % 4);
        sg_bytes value = {0};
        int64_t v = (int64_t)(x >> 54);
        value.data = &v;
        value.len = sizeof(v);
        assert_int_equal(sg_harness_process(h, 0, i / 2 + (sg_time)((x >> 20) % 40) - 20,
                                            sg_bytes_str(key), value),
                         SG_OK);
        if (i % 16 == 15)
            wm(h, i / 2);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memset(&out[i], 0, sizeof(out[i]));
        memcpy(out[i].key, r->key.data, r->key.len);
        memcpy(&out[i].r, r->value.data, sizeof(result));
        memset(out[i].r.v, 0, sizeof(out[i].r.v));
    }
    *late = sg_harness_late(h);
    uint64_t entries = 1;
    assert_int_equal(sg_harness_state_entries(h, &entries), SG_OK);
    assert_int_equal(entries, 0);
    sg_harness_free(h);
    return n;
}

static void check_restore(sg_time size, sg_time slide, sg_time lateness)
{
    enum { CAP = 4096 };
    static fired a[CAP], b[CAP];
    sg_window_config agg = config(size, slide, lateness, false);
    sg_window_config proc = config(size, slide, lateness, true);
    uint64_t late_a, late_b;
    size_t na = run_stream(&agg, -1, a, CAP, &late_a);
    assert_true(na > 50);
    assert_true(late_a > 0);
    for (size_t i = 0; i < na; i++) /* every result is a window's, never a gap's */
        assert_int_equal(((a[i].r.start % slide) + slide) % slide, 0);
    for (int at = -1; at < 800; at += 201) {
        size_t nb = run_stream(&proc, at, b, CAP, &late_b);
        assert_int_equal(na, nb);
        assert_int_equal(late_a, late_b);
        assert_memory_equal(a, b, na * sizeof(fired));
    }
}

static void test_snapshot_restore_and_both_modes_agree(void **state)
{
    (void)state;
    check_restore(6, 10, 0);
    check_restore(4, 6, 7);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_records_in_gaps_are_skipped_not_late),
        cmocka_unit_test(test_process_records_in_gaps_are_skipped_not_late),
        cmocka_unit_test(test_windows_of_several_panes_with_gaps),
        cmocka_unit_test(test_process_windows_of_several_panes_with_gaps),
        cmocka_unit_test(test_allowed_lateness_with_gaps),
        cmocka_unit_test(test_process_allowed_lateness_with_gaps),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_snapshot_restore_and_both_modes_agree),
    };
    return BACKEND_RUN(both, once);
}
