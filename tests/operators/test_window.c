/* The window aggregation operator through the harness: Flink's window semantics
 * (alignment, [start, end), firing at end - 1, lateness), panes for sliding windows,
 * keys kept apart, negative timestamps, both state backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/builtin_ops.h"

/* A sum of int64 values; the result is "key start end sum" in the value. */
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

static sg_window_config config(sg_time size, sg_time slide)
{
    sg_window_config c = {
        .size = size,
        .slide = slide,
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

static result out(sg_harness *h, size_t i, const char *key)
{
    const sg_record *r = sg_harness_output(h, i);
    result x;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, strlen(key));
    memcpy(&x, r->value.data, sizeof(x));
    assert_int_equal(r->ts, x.end - 1);
    return x;
}

static void run_tumbling_fires_at_end_minus_one(bool heap)
{
    sg_window_config c = config(10, 10);
    sg_harness *h;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&sg_window_aggregate_op, &c, &h),
                     SG_OK);
    push(h, "a", 0, 1);
    push(h, "a", 9, 2);  /* same window [0, 10) */
    push(h, "a", 10, 4); /* next window [10, 20) */
    push(h, "b", 3, 8);
    assert_int_equal(sg_harness_watermark(h, 8), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK); /* reaches end - 1 */
    assert_int_equal(sg_harness_count(h), 2);
    result a = out(h, 0, "a"), b = out(h, 1, "b");
    assert_int_equal(a.start, 0);
    assert_int_equal(a.end, 10);
    assert_int_equal(a.sum, 3);
    assert_int_equal(b.sum, 8);
    assert_int_equal(sg_harness_output_watermark(h), 9);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    result a2 = out(h, 2, "a");
    assert_int_equal(a2.start, 10);
    assert_int_equal(a2.sum, 4);
    sg_harness_free(h);
}

static void test_tumbling_window_fires_at_end_minus_one(void **state)
{
    (void)state;
    run_tumbling_fires_at_end_minus_one(false);
}

static void test_tumbling_window_on_heap_backend(void **state)
{
    (void)state;
    run_tumbling_fires_at_end_minus_one(true);
}

static void test_late_records_are_dropped_and_counted(void **state)
{
    sg_window_config c = config(10, 10);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 5, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    push(h, "a", 9, 100); /* window [0,10) fired: late */
    push(h, "a", 10, 1);  /* not late */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(out(h, 0, "a").sum, 1);
    assert_int_equal(out(h, 1, "a").sum, 1);
    sg_harness_free(h);
}

static void test_late_records_go_to_the_late_side_output(void **state)
{
    sg_window_config c = config(10, 10);
    sg_harness *h;
    (void)state;
    c.late_tag = "late";
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 5, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    push(h, "a", 7, 100); /* late: to the side output, not counted as dropped */
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_side_count(h, "late"), 1);
    assert_int_equal(sg_harness_side_count(h, "other"), 0);
    const sg_record *r = sg_harness_side_output(h, "late", 0);
    int64_t v;
    memcpy(&v, r->value.data, sizeof(v));
    assert_int_equal(r->ts, 7);
    assert_int_equal(v, 100);
    assert_memory_equal(r->key.data, "a", 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    assert_int_equal(out(h, 0, "a").sum, 1);
    sg_harness_free(h);
}

static void test_sliding_windows_sum_their_panes(void **state)
{
    /* size 10, slide 5: windows [-5,5), [0,10), [5,15), [10,20), ... */
    sg_window_config c = config(10, 5);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 1, 1);
    push(h, "k", 6, 10);
    push(h, "k", 12, 100);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    sg_time starts[] = {-5, 0, 5, 10};
    int64_t sums[] = {1, 11, 110, 100};
    assert_int_equal(sg_harness_count(h), 4);
    for (int i = 0; i < 4; i++) {
        result r = out(h, (size_t)i, "k");
        assert_int_equal(r.start, starts[i]);
        assert_int_equal(r.end, starts[i] + 10);
        assert_int_equal(r.sum, sums[i]);
    }
    sg_harness_free(h);
}

static void test_sliding_window_with_gap_emits_only_nonempty_windows(void **state)
{
    /* size 6, slide 4: pane 2. Records far apart give disjoint window sets. */
    sg_window_config c = config(6, 4);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 5, 1);   /* windows [0,6) and [4,10) */
    push(h, "k", 100, 2); /* windows [96,102) and [100,106) */
    assert_int_equal(sg_harness_watermark(h, 50), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(out(h, 0, "k").start, 0);
    assert_int_equal(out(h, 1, "k").start, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    assert_int_equal(out(h, 2, "k").start, 96);
    assert_int_equal(out(h, 3, "k").start, 100);
    assert_int_equal(out(h, 3, "k").sum, 2);
    sg_harness_free(h);
}

static void test_record_into_partly_fired_sliding_windows_counts_in_open_ones(void **state)
{
    /* size 10, slide 5. ts 7 belongs to [0,10) and [5,15). */
    sg_window_config c = config(10, 5);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", 1, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK); /* [-5,5) and [0,10) fire */
    assert_int_equal(sg_harness_count(h), 2);
    push(h, "k", 7, 10); /* [0,10) has fired; [5,15) is open */
    assert_int_equal(sg_harness_late(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    result r = out(h, 2, "k");
    assert_int_equal(r.start, 5);
    assert_int_equal(r.sum, 10);
    sg_harness_free(h);
}

static void test_negative_timestamps_align_to_the_epoch(void **state)
{
    sg_window_config c = config(10, 10);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    push(h, "k", -1, 1);
    push(h, "k", -10, 2);
    push(h, "k", -11, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    result a = out(h, 0, "k"), b = out(h, 1, "k");
    assert_int_equal(a.start, -20);
    assert_int_equal(a.sum, 4);
    assert_int_equal(b.start, -10);
    assert_int_equal(b.end, 0);
    assert_int_equal(b.sum, 3);
    sg_harness_free(h);
}

static void test_many_keys_with_small_cache_spill_and_stay_correct(void **state)
{
    /* The harness runs RocksDB with the default cache; many keys over many windows
     * exercise the state layer's lookups; every window's sum must be exact. */
    sg_window_config c = config(100, 100);
    sg_harness *h;
    char key[16];
    (void)state;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    for (int w = 0; w < 5; w++)
        for (int k = 0; k < 2000; k++) {
            snprintf(key, sizeof(key), "k%d", k);
            push(h, key, w * 100 + k % 100, k);
        }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 10000);
    for (size_t i = 0; i < 10000; i++) {
        const sg_record *r = sg_harness_output(h, i);
        result x;
        memcpy(&x, r->value.data, sizeof(x));
        int k = atoi((const char *)r->key.data + 1);
        assert_int_equal(x.sum, k);
    }
    sg_harness_free(h);
}

typedef struct fired {
    sg_time ts;
    char key[8];
    result r;
} fired;

/* Runs a fixed stream through the sliding window; with 'restore_at' >= 0 the
 * harness snapshots and restores the operator before that record. */
static size_t run_stream(int restore_at, fired *out, size_t cap)
{
    sg_window_config c = config(30, 10);
    sg_harness *h;
    char key[8];
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    for (int i = 0; i < 300; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        snprintf(key, sizeof(key), "k%d", i % 7);
        push(h, key, (i * 37) % 200 + i / 2, i);
        if (i % 20 == 19)
            assert_int_equal(sg_harness_watermark(h, i / 2), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memset(&out[i], 0, sizeof(out[i]));
        out[i].ts = r->ts;
        assert_true(r->key.len < sizeof(out[i].key));
        memcpy(out[i].key, r->key.data, r->key.len);
        assert_int_equal(r->value.len, sizeof(result));
        memcpy(&out[i].r, r->value.data, sizeof(result));
    }
    sg_harness_free(h);
    return n;
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    enum { CAP = 4096 };
    static fired a[CAP], b[CAP];
    (void)state;
    size_t na = run_stream(-1, a, CAP);
    assert_true(na > 50);
    for (int at = 1; at < 300; at += 97) {
        size_t nb = run_stream(at, b, CAP);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++)
            assert_memory_equal(&a[i], &b[i], sizeof(fired));
    }
}

/* The batch path (process_batch with prefetching) gives what record-by-record gives. */
static size_t run_random(bool batches, fired *out, size_t cap)
{
    sg_window_config c = config(40, 10);
    sg_harness *h;
    enum { BATCH = 100 };
    sg_record recs[BATCH];
    int64_t vals[BATCH];
    char keys[BATCH][8];
    uint64_t x = 99;
    assert_int_equal(sg_harness_new(&sg_window_aggregate_op, &c, &h), SG_OK);
    for (int b = 0; b < 30; b++) {
        for (int i = 0; i < BATCH; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            snprintf(keys[i], sizeof(keys[i]), "k%u", (unsigned)(x >> 40) % 50);
            vals[i] = (int64_t)(x >> 50);
            recs[i] = (sg_record){b * 20 + (sg_time)((x >> 20) % 80) - 70,
                                  sg_bytes_str(keys[i]),
                                  {&vals[i], sizeof(vals[i])}};
        }
        if (batches) {
            assert_int_equal(sg_harness_process_batch(h, 0, recs, BATCH), SG_OK);
        } else {
            for (int i = 0; i < BATCH; i++)
                assert_int_equal(sg_harness_process(h, 0, recs[i].ts, recs[i].key, recs[i].value),
                                 SG_OK);
        }
        assert_int_equal(sg_harness_watermark(h, b * 20), SG_OK);
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
    assert_true(sg_harness_late(h) > 0);
    sg_harness_free(h);
    return n;
}

static void test_batches_give_the_same_output_as_single_records(void **state)
{
    enum { CAP = 8192 };
    static fired a[CAP], b[CAP];
    (void)state;
    size_t na = run_random(false, a, CAP), nb = run_random(true, b, CAP);
    assert_true(na > 100);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_memory_equal(&a[i], &b[i], sizeof(fired));
}

/* Records of one key spread far wider than a key's pane ring spans (size 10, slide 2:
 * 10 slots of 2, 20 time units), out of order and mostly ahead of the watermark: the
 * panes that do not fit in the ring get their own entries, and every window's sum is
 * still what a brute-force model says (lateness 0: a record counts in the windows
 * still open when it arrives). */
static void run_ring_spill_matches_a_model(bool heap)
{
    enum { N = 400, KEYS = 3, ENDS = 1200 };
    static int64_t want[KEYS][ENDS];
    static bool has[KEYS][ENDS];
    sg_window_config c = config(10, 2);
    sg_harness *h;
    uint64_t x = 7;
    sg_time wm = SG_TIME_MIN;
    memset(want, 0, sizeof(want));
    memset(has, 0, sizeof(has));
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&sg_window_aggregate_op, &c, &h),
                     SG_OK);
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)((x >> 33) % KEYS);
        sg_time ts = (sg_time)i + 80 + (sg_time)((x >> 40) % 300);
        int64_t v = (int64_t)((x >> 20) % 1000);
        char key[4] = {'k', (char)('0' + k), 0, 0};
        push(h, key, ts, v);
        for (sg_time end = ts - ts % 2 + 2; end <= ts + 10; end += 2)
            if (end - 1 > wm) {
                want[k][end] += v;
                has[k][end] = true;
            }
        if (i % 10 == 9) {
            wm = i + 90;
            assert_int_equal(sg_harness_watermark(h, wm), SG_OK);
        }
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = 0;
    for (int k = 0; k < KEYS; k++)
        for (int e = 0; e < ENDS; e++)
            n += has[k][e];
    assert_int_equal(sg_harness_count(h), n);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        result got;
        memcpy(&got, r->value.data, sizeof(got));
        int k = r->key.data ? ((const char *)r->key.data)[1] - '0' : -1;
        assert_true(k >= 0 && k < KEYS && got.end > 0 && got.end < ENDS);
        assert_true(has[k][got.end]);
        assert_int_equal(got.sum, want[k][got.end]);
        has[k][got.end] = false; /* each window fires once */
    }
    sg_harness_free(h);
}

static void test_panes_beyond_the_ring_stay_correct(void **state)
{
    (void)state;
    run_ring_spill_matches_a_model(false);
    run_ring_spill_matches_a_model(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling_window_fires_at_end_minus_one),
        cmocka_unit_test(test_tumbling_window_on_heap_backend),
        cmocka_unit_test(test_late_records_are_dropped_and_counted),
        cmocka_unit_test(test_late_records_go_to_the_late_side_output),
        cmocka_unit_test(test_sliding_windows_sum_their_panes),
        cmocka_unit_test(test_sliding_window_with_gap_emits_only_nonempty_windows),
        cmocka_unit_test(test_record_into_partly_fired_sliding_windows_counts_in_open_ones),
        cmocka_unit_test(test_negative_timestamps_align_to_the_epoch),
        cmocka_unit_test(test_many_keys_with_small_cache_spill_and_stay_correct),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
        cmocka_unit_test(test_batches_give_the_same_output_as_single_records),
        cmocka_unit_test(test_panes_beyond_the_ring_stay_correct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
