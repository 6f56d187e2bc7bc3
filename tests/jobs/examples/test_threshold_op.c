/* test_threshold_op.c — the example threshold-alert operator (jobs/examples/threshold_op.c)
 * through the operator harness: the alert goes out the moment the count reaches the
 * threshold and only once, the window closes at end - 1 with its total, keys and windows
 * are counted apart, late records are counted and not added, timers set on every record
 * fire once, negative and extreme event times, and the same output on both state backends.
 *
 * Every test runs twice, on RocksDB and on the heap backend (the "/rocksdb" and "/heap"
 * suffixes). Allocations go through cmocka's test allocator, so a leak fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/examples/threshold.h"

static void *cmocka_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        if (ptr)
            test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

/* ---- Helpers --------------------------------------------------------------------- */

static bool on_rocksdb = false, on_heap = true; /* the tests' prestates */

static sg_harness *start(void **state, const ex_threshold_config *cfg)
{
    sg_harness *h = NULL;
    bool heap = *(const bool *)*state;
    void *udata = (void *)(uintptr_t)cfg; /* the operator only reads it */
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&ex_threshold_op, udata, &h),
                     SG_OK);
    assert_non_null(h);
    return h;
}

/* One click of 'user' at ts; like the job, the value is the user too. */
static void push(sg_harness *h, const char *user, sg_time ts)
{
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(user), sg_bytes_str(user)), SG_OK);
}

static void watermark(sg_harness *h, sg_time wm)
{
    assert_int_equal(sg_harness_watermark(h, wm), SG_OK);
}

/* Output i: checks its key, kind and ts, and returns its value. */
static ex_alert row(const sg_harness *h, size_t i, const char *user, uint64_t kind, sg_time ts)
{
    const sg_record *r = sg_harness_output(h, i);
    ex_alert a;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(user));
    assert_memory_equal(r->key.data, user, strlen(user));
    assert_int_equal(r->value.len, sizeof(a));
    memcpy(&a, r->value.data, sizeof(a));
    assert_int_equal(a.kind, kind);
    assert_int_equal(r->ts, ts);
    assert_int_equal(a.end - a.start, 10); /* every test uses 10 ms windows */
    return a;
}

/* ---- Tests ------------------------------------------------------------------------ */

static void test_alert_fires_the_moment_count_reaches_threshold(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 3};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", 1);
    push(h, "ann", 2);
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "ann", 7); /* the third click: no watermark needed */
    assert_int_equal(sg_harness_count(h), 1);
    ex_alert a = row(h, 0, "ann", EX_ALERT, 7);
    assert_int_equal(a.start, 0);
    assert_int_equal(a.end, 10);
    assert_int_equal(a.count, 3);
    push(h, "ann", 8); /* past the threshold: no second alert */
    push(h, "ann", 3);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

static void test_window_closes_at_end_minus_one_with_its_total(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 2};
    sg_harness *h = start(state, &cfg);
    for (sg_time ts = 0; ts < 5; ts++)
        push(h, "ann", ts);
    push(h, "ann", 10); /* the next window */
    assert_int_equal(sg_harness_count(h), 1);
    watermark(h, 8);
    assert_int_equal(sg_harness_count(h), 1);
    watermark(h, 9); /* reaches end - 1 of [0, 10) */
    assert_int_equal(sg_harness_count(h), 2);
    ex_alert c = row(h, 1, "ann", EX_CLOSED, 9);
    assert_int_equal(c.start, 0);
    assert_int_equal(c.count, 5);
    assert_int_equal(sg_harness_output_watermark(h), 9);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2); /* [10, 20) held 1 click: below threshold */
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

static void test_keys_are_counted_apart(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 2};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", 1);
    push(h, "bob", 2);
    push(h, "cat", 3);
    assert_int_equal(sg_harness_count(h), 0); /* three keys, one click each */
    push(h, "bob", 4);
    push(h, "ann", 5);
    assert_int_equal(sg_harness_count(h), 2);
    row(h, 0, "bob", EX_ALERT, 4);
    row(h, 1, "ann", EX_ALERT, 5);
    watermark(h, 9);
    /* Equal deadlines fire in the order the timers were set: ann's first. cat has no
     * closed row, having never alerted. */
    assert_int_equal(sg_harness_count(h), 4);
    assert_int_equal(row(h, 2, "ann", EX_CLOSED, 9).count, 2);
    assert_int_equal(row(h, 3, "bob", EX_CLOSED, 9).count, 2);
    sg_harness_free(h);
}

static void test_windows_are_counted_apart(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 2};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", 9);
    push(h, "ann", 10); /* [0, 10) and [10, 20): one each */
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "ann", 19);
    assert_int_equal(sg_harness_count(h), 1);
    assert_int_equal(row(h, 0, "ann", EX_ALERT, 19).start, 10);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(row(h, 1, "ann", EX_CLOSED, 19).count, 2);
    sg_harness_free(h);
}

static void test_late_records_are_counted_and_not_added(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 2};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", 1);
    watermark(h, 8);
    push(h, "ann", 2); /* end - 1 = 9 > 8: still on time, and the second click */
    assert_int_equal(sg_harness_count(h), 1);
    push(h, "bob", 1);
    watermark(h, 9); /* [0, 10) closes */
    assert_int_equal(sg_harness_count(h), 2);
    push(h, "bob", 5); /* late: had it counted, bob would alert */
    push(h, "ann", 0);
    assert_int_equal(sg_harness_late(h), 2);
    assert_int_equal(sg_harness_count(h), 2);
    push(h, "bob", 10); /* the next window is open */
    assert_int_equal(sg_harness_late(h), 2);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(sg_harness_rejected(h), 0);
    sg_harness_free(h);
}

static void test_timer_set_on_every_record_fires_once(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 1};
    sg_harness *h = start(state, &cfg);
    for (sg_time ts = 9; ts >= 0; ts--) /* ten clicks, ten sg_timer_set calls */
        push(h, "ann", ts);
    assert_int_equal(sg_harness_count(h), 1);
    row(h, 0, "ann", EX_ALERT, 9);
    watermark(h, 9);
    watermark(h, 29);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(row(h, 1, "ann", EX_CLOSED, 9).count, 10);
    sg_harness_free(h);
}

static void test_finish_closes_every_open_window_in_time_order(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 1};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", 25);
    push(h, "bob", 5);
    push(h, "ann", 15);
    assert_int_equal(sg_harness_count(h), 3);
    sg_harness_clear(h);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    row(h, 0, "bob", EX_CLOSED, 9);
    row(h, 1, "ann", EX_CLOSED, 19);
    row(h, 2, "ann", EX_CLOSED, 29);
    assert_int_equal(sg_harness_output_watermark(h), SG_TIME_MAX);
    sg_harness_free(h);
}

static void test_negative_event_times_fall_in_floored_windows(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 2};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", -1);
    push(h, "ann", 0); /* [0, 10), not [-10, 0) */
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "ann", -10);
    assert_int_equal(sg_harness_count(h), 1);
    ex_alert a = row(h, 0, "ann", EX_ALERT, -10);
    assert_int_equal(a.start, -10);
    assert_int_equal(a.end, 0);
    watermark(h, -1);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(row(h, 1, "ann", EX_CLOSED, -1).count, 2);
    sg_harness_free(h);
}

static void test_event_times_near_int64_limits(void **state)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 1};
    sg_harness *h = start(state, &cfg);
    push(h, "ann", SG_TIME_MAX); /* within a window of the limits: rejected, not a failure */
    push(h, "ann", SG_TIME_MAX - 9);
    push(h, "ann", SG_TIME_MIN);
    push(h, "ann", SG_TIME_MIN + 9);
    assert_int_equal(sg_harness_rejected(h), 4);
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "ann", SG_TIME_MAX - 10); /* the last window that fits */
    push(h, "bob", SG_TIME_MIN + 10); /* and the first */
    assert_int_equal(sg_harness_rejected(h), 4);
    assert_int_equal(sg_harness_count(h), 2);
    assert_true(row(h, 0, "ann", EX_ALERT, SG_TIME_MAX - 10).end <= SG_TIME_MAX);
    assert_true(row(h, 1, "bob", EX_ALERT, SG_TIME_MIN + 10).start >= SG_TIME_MIN);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4); /* both close; the final wm reaches them */
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

/* A pseudo-random stream of clicks and watermarks; returns the output as one string.
 * With restore_at >= 0 the operator is snapshotted and restored before that click. */
static char *run_mixed(bool heap, int restore_at)
{
    ex_threshold_config cfg = {.window_ms = 10, .threshold = 4};
    bool *flag = heap ? &on_heap : &on_rocksdb;
    void *st = flag;
    sg_harness *h = start(&st, &cfg);
    uint64_t x = 12345;
    sg_time wm = -5;
    for (int i = 0; i < 4000; i++) {
        char user[8];
        x = x * 6364136223846793005u + 1442695040888963407u;
        snprintf(user, sizeof(user), "u%u", (unsigned)(x >> 33) % 40);
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        push(h, user, wm + (sg_time)((x >> 20) % 30) - 5); /* some late, some ahead */
        if (i % 50 == 49)
            watermark(h, wm += 7);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_true(sg_harness_late(h) > 0);
    size_t n = sg_harness_count(h), len = 0;
    assert_true(n > 100);
    char *s = test_malloc(n * 96 + 1);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        ex_alert a;
        memcpy(&a, r->value.data, sizeof(a));
        len += (size_t)sprintf(s + len, "%.*s %lld %lld %llu %llu %lld\n", (int)r->key.len,
                               (const char *)r->key.data, (long long)a.start, (long long)a.end,
                               (unsigned long long)a.count, (unsigned long long)a.kind,
                               (long long)r->ts);
    }
    sg_harness_free(h);
    return s;
}

static void test_both_backends_give_the_same_output(void **state)
{
    SG_UNUSED(state);
    char *rocks = run_mixed(false, -1), *heap = run_mixed(true, -1);
    assert_string_equal(rocks, heap);
    test_free(rocks);
    test_free(heap);
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    SG_UNUSED(state);
    char *whole = run_mixed(false, -1);
    for (int at = 1; at < 4000; at += 1333) {
        char *restored = run_mixed(false, at);
        assert_string_equal(whole, restored);
        test_free(restored);
    }
    test_free(whole);
}

/* Each test on RocksDB, then on the heap backend. */
#define ON(f, backend)                                                                             \
    {                                                                                              \
        .name = #f "/" #backend, .test_func = f, .initial_state = &on_##backend                    \
    }
#define BOTH(f) ON(f, rocksdb), ON(f, heap)

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        BOTH(test_alert_fires_the_moment_count_reaches_threshold),
        BOTH(test_window_closes_at_end_minus_one_with_its_total),
        BOTH(test_keys_are_counted_apart),
        BOTH(test_windows_are_counted_apart),
        BOTH(test_late_records_are_counted_and_not_added),
        BOTH(test_timer_set_on_every_record_fires_once),
        BOTH(test_finish_closes_every_open_window_in_time_order),
        BOTH(test_negative_event_times_fall_in_floored_windows),
        BOTH(test_event_times_near_int64_limits),
        cmocka_unit_test(test_both_backends_give_the_same_output),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
