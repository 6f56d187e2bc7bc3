/* Session windows through the harness: Flink's merging rules (overlapping and
 * touching windows merge, also across out-of-order records that bridge sessions),
 * firing at end - 1, lateness, keys apart, both backends, snapshot and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/builtin_ops.h"

typedef struct acc {
    int64_t count, sum;
} acc;

typedef struct session {
    sg_time start, end;
    int64_t count, sum;
} session;

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
    (void)udata;
    session s = {start, end, ((const acc *)a)->count, ((const acc *)a)->sum};
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_session_config config(sg_time gap)
{
    sg_session_config c = {
        .gap = gap,
        .agg = {.abi = SG_AGGREGATE_ABI_1,
                .acc_size = sizeof(acc),
                .add = s_add,
                .merge = s_merge,
                .result = s_result},
    };
    return c;
}

static sg_harness *start(sg_session_config *c, bool heap)
{
    sg_harness *h;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&sg_session_aggregate_op, c, &h),
                     SG_OK);
    return h;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static session out(sg_harness *h, size_t i, const char *key)
{
    const sg_record *r = sg_harness_output(h, i);
    session s;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, s.end - 1);
    return s;
}

static void expect(sg_harness *h, size_t i, const char *key, sg_time start, sg_time end,
                   int64_t count, int64_t sum)
{
    session s = out(h, i, key);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.count, count);
    assert_int_equal(s.sum, sum);
}

static void run_overlapping_and_touching(bool heap)
{
    sg_session_config c = config(10);
    sg_harness *h = start(&c, heap);
    push(h, "a", 0, 1);
    push(h, "a", 5, 2);  /* overlaps [0,10): [0,15) */
    push(h, "a", 15, 4); /* touches [0,15) at 15: [0,25) */
    push(h, "a", 36, 8); /* 11 after the end: a new session [36,46) */
    assert_int_equal(sg_harness_watermark(h, 23), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 24), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 0, 25, 3, 7);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, "a", 36, 46, 1, 8);
    sg_harness_free(h);
}

static void test_overlapping_and_touching_windows_merge(void **state)
{
    (void)state;
    run_overlapping_and_touching(false);
}

static void test_overlapping_and_touching_windows_merge_on_heap(void **state)
{
    (void)state;
    run_overlapping_and_touching(true);
}

static void test_out_of_order_records_bridge_sessions(void **state)
{
    (void)state;
    sg_session_config c = config(10);
    sg_harness *h = start(&c, false);
    push(h, "k", 0, 1);   /* [0,10) */
    push(h, "k", 30, 2);  /* [30,40) */
    push(h, "k", 15, 4);  /* [15,25): touches neither */
    push(h, "k", 10, 8);  /* [10,20): touches [0,10) and overlaps [15,25): [0,25) */
    push(h, "k", 25, 16); /* [25,35): touches [0,25), overlaps [30,40): [0,40) */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1); /* the absorbed sessions' timers are gone */
    expect(h, 0, "k", 0, 40, 5, 31);
    sg_harness_free(h);
}

static void test_late_records_are_dropped_but_a_new_session_may_open(void **state)
{
    (void)state;
    sg_session_config c = config(10);
    sg_harness *h = start(&c, false);
    push(h, "k", 0, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK); /* [0,10) fires */
    assert_int_equal(sg_harness_count(h), 1);
    push(h, "k", 5, 2); /* [5,15) is still open: a new session, as in Flink */
    assert_int_equal(sg_harness_watermark(h, 20), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, "k", 5, 15, 1, 2);
    push(h, "k", 3, 4); /* [3,13): closed */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    sg_harness_free(h);
}

static void test_keys_have_their_own_sessions(void **state)
{
    (void)state;
    sg_session_config c = config(10);
    sg_harness *h = start(&c, false);
    push(h, "a", 0, 1);
    push(h, "b", 5, 2);
    push(h, "a", 9, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "b", 5, 15, 1, 2);
    expect(h, 1, "a", 0, 19, 2, 5);
    sg_harness_free(h);
}

/* A random stream; with restore_at >= 0 a snapshot and restore happens before it. */
static size_t run_random(int restore_at, session *o, char (*keys)[8], size_t cap)
{
    sg_session_config c = config(7);
    sg_harness *h = start(&c, false);
    uint64_t x = 7;
    char key[8];
    for (int i = 0; i < 3000; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "u%u", (unsigned)(x >> 40) % 25);
        push(h, key, i / 3 + (sg_time)((x >> 20) % 40) - 20, (int64_t)(x >> 54));
        if (i % 30 == 29)
            assert_int_equal(sg_harness_watermark(h, i / 3 - 15), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memcpy(&o[i], r->value.data, sizeof(session));
        memset(keys[i], 0, 8);
        memcpy(keys[i], r->key.data, r->key.len);
    }
    sg_harness_free(h);
    return n;
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    enum { CAP = 4096 };
    static session a[CAP], b[CAP];
    static char ka[CAP][8], kb[CAP][8];
    (void)state;
    size_t na = run_random(-1, a, ka, CAP);
    assert_true(na > 50);
    int64_t total = 0;
    for (size_t i = 0; i < na; i++) {
        assert_true(a[i].end - a[i].start >= 7);
        total += a[i].count;
    }
    assert_true(total > 2000 && total <= 3000); /* the rest were late */
    for (int at = 5; at < 3000; at += 997) {
        size_t nb = run_random(at, b, kb, CAP);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof(session));
        assert_memory_equal(ka, kb, na * 8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_and_touching_windows_merge),
        cmocka_unit_test(test_overlapping_and_touching_windows_merge_on_heap),
        cmocka_unit_test(test_out_of_order_records_bridge_sessions),
        cmocka_unit_test(test_late_records_are_dropped_but_a_new_session_may_open),
        cmocka_unit_test(test_keys_have_their_own_sessions),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
