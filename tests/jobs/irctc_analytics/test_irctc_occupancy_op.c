/* test_irctc_occupancy_op.c — the irctc_analytics occupancy alert operator
 * (jobs/irctc_analytics/occupancy_op.c) through the operator harness: bookings are
 * buffered until the watermark passes their ts and then applied in event-time order,
 * equal timestamps in input order; one alert per threshold crossed from below, again
 * after falling below; waitlistings do not count; truncating percentages; keys apart;
 * late bookings counted and dropped; snapshot mid-stream and restore gives the same
 * output, and both state backends agree.
 *
 * Every test runs twice, on RocksDB and on the heap backend. Allocations go through
 * cmocka's test allocator, so a leak fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/irctc_analytics/irctc.h"

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

static sg_harness *start_on(bool heap)
{
    sg_harness *h = NULL;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&ir_occupancy_op, NULL, &h),
                     SG_OK);
    assert_non_null(h);
    return h;
}

static sg_harness *start(void **state)
{
    return start_on(*(const bool *)*state);
}

/* One booking, keyed as the job keys it (train bytes, NUL-padded, then the class). */
static void push(sg_harness *h, sg_time ts, const char *train, int cls, int status, int64_t seats,
                 int64_t capacity)
{
    ir_booking b;
    memset(&b, 0, sizeof(b));
    b.seats = seats;
    b.fare_paise = 100000 * seats;
    b.capacity = capacity;
    b.cls = (uint8_t)cls;
    b.status = (uint8_t)status;
    snprintf(b.train, sizeof(b.train), "%s", train);
    sg_bytes key = {b.train, offsetof(ir_booking, cls) + 1 - offsetof(ir_booking, train)};
    sg_bytes value = {&b, sizeof(b)};
    assert_int_equal(sg_harness_process(h, 0, ts, key, value), SG_OK);
}

#define BOOK(h, ts, seats) push(h, ts, "12951", IR_3A, IR_BOOKED, seats, 10)
#define CANCEL(h, ts, seats) push(h, ts, "12951", IR_3A, IR_CANCELLED, seats, 10)
#define WAIT(h, ts, seats) push(h, ts, "12951", IR_3A, IR_WAITLISTED, seats, 10)

static void watermark(sg_harness *h, sg_time wm)
{
    assert_int_equal(sg_harness_watermark(h, wm), SG_OK);
}

/* Output i is an alert at ts for train/cls: threshold, occupied (capacity checked). */
static void alert(const sg_harness *h, size_t i, sg_time ts, const char *train, int cls,
                  int64_t threshold, int64_t occupied, int64_t capacity)
{
    const sg_record *r = sg_harness_output(h, i);
    ir_alert a;
    assert_non_null(r);
    assert_int_equal(r->value.len, sizeof(a));
    memcpy(&a, r->value.data, sizeof(a));
    assert_int_equal(r->ts, ts);
    assert_string_equal(a.train, train);
    assert_int_equal(a.cls, cls);
    assert_int_equal(a.threshold, threshold);
    assert_int_equal(a.occupied, occupied);
    assert_int_equal(a.capacity, capacity);
}

/* ---- Tests ------------------------------------------------------------------------ */

static void test_bookings_wait_for_the_watermark(void **state)
{
    sg_harness *h = start(state);
    BOOK(h, 100, 5); /* 50 % of 10, but not applied before the watermark reaches 100 */
    assert_int_equal(sg_harness_count(h), 0);
    watermark(h, 99);
    assert_int_equal(sg_harness_count(h), 0);
    watermark(h, 100);
    assert_int_equal(sg_harness_count(h), 1);
    alert(h, 0, 100, "12951", IR_3A, 50, 5, 10);
    sg_harness_free(h);
}

static void test_one_event_crossing_several_thresholds_alerts_each(void **state)
{
    sg_harness *h = start(state);
    BOOK(h, 10, 4); /* 40 % */
    BOOK(h, 20, 6); /* 100 %: passes 50, 75, 90 and reaches 100 at once */
    BOOK(h, 30, 1); /* 110 %: nothing new */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    alert(h, 0, 20, "12951", IR_3A, 50, 10, 10);
    alert(h, 1, 20, "12951", IR_3A, 75, 10, 10);
    alert(h, 2, 20, "12951", IR_3A, 90, 10, 10);
    alert(h, 3, 20, "12951", IR_3A, 100, 10, 10);
    sg_harness_free(h);
}

static void test_falling_below_and_reaching_again_alerts_again(void **state)
{
    sg_harness *h = start(state);
    BOOK(h, 1, 5);   /* 50 %: alert */
    CANCEL(h, 2, 1); /* 40 % */
    BOOK(h, 3, 1);   /* 50 % again: alert again */
    BOOK(h, 4, 3);   /* 80 %: 75 */
    CANCEL(h, 5, 4); /* 40 % */
    BOOK(h, 6, 4);   /* 80 %: 50 and 75 again */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    alert(h, 0, 1, "12951", IR_3A, 50, 5, 10);
    alert(h, 1, 3, "12951", IR_3A, 50, 5, 10);
    alert(h, 2, 4, "12951", IR_3A, 75, 8, 10);
    alert(h, 3, 6, "12951", IR_3A, 50, 8, 10);
    alert(h, 4, 6, "12951", IR_3A, 75, 8, 10);
    sg_harness_free(h);
}

static void test_out_of_order_bookings_apply_in_event_time_order(void **state)
{
    sg_harness *h = start(state);
    /* Arrival order would go 0 % -> -50 % -> 0 % (cancel first) and never alert; by
     * event time the booking at 10 comes first and reaches 50 %. */
    CANCEL(h, 20, 5);
    BOOK(h, 10, 5);
    BOOK(h, 30, 5);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    alert(h, 0, 10, "12951", IR_3A, 50, 5, 10);
    alert(h, 1, 30, "12951", IR_3A, 50, 5, 10); /* back from 0 % at 20 */
    sg_harness_free(h);
}

static void test_equal_timestamps_apply_in_input_order(void **state)
{
    sg_harness *h = start(state);
    /* Same ts: book 5 (alert 50), cancel 5, book 5 (alert 50 again). In any other order
     * (say cancel first) the alerts would differ. */
    BOOK(h, 7, 5);
    CANCEL(h, 7, 5);
    BOOK(h, 7, 5);
    CANCEL(h, 8, 5);
    CANCEL(h, 8, 5); /* -50 % */
    BOOK(h, 8, 6);   /* -40 %: no alert */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    alert(h, 0, 7, "12951", IR_3A, 50, 5, 10);
    alert(h, 1, 7, "12951", IR_3A, 50, 5, 10);
    sg_harness_free(h);
}

static void test_waitlisted_does_not_count(void **state)
{
    sg_harness *h = start(state);
    WAIT(h, 1, 6);
    WAIT(h, 2, 6);
    BOOK(h, 3, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 0); /* 40 %, not 160 % */
    sg_harness_free(h);
}

static void test_percent_truncates(void **state)
{
    sg_harness *h = start(state);
    /* Capacity 7: 3 seats are 42.8 % (42), 4 are 57.1 % (57: 50 crossed), 5 are 71.4 %
     * (71: 75 not yet), 6 are 85.7 % (85: 75 crossed, 90 not), 7 are 100 %. */
    push(h, 1, "12002", IR_CC, IR_BOOKED, 3, 7);
    push(h, 2, "12002", IR_CC, IR_BOOKED, 1, 7);
    push(h, 3, "12002", IR_CC, IR_BOOKED, 1, 7);
    push(h, 4, "12002", IR_CC, IR_BOOKED, 1, 7);
    push(h, 5, "12002", IR_CC, IR_BOOKED, 1, 7);
    /* Capacity 3: a cancellation first gives -2 seats (-66 %); nothing alerts on the
     * way back up to 0 %, and 2 seats (66 %) cross 50. */
    push(h, 6, "12001", IR_CC, IR_CANCELLED, 2, 3);
    push(h, 7, "12001", IR_CC, IR_BOOKED, 2, 3);
    push(h, 8, "12001", IR_CC, IR_BOOKED, 2, 3); /* 66 %: 50 */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    alert(h, 0, 2, "12002", IR_CC, 50, 4, 7);
    alert(h, 1, 4, "12002", IR_CC, 75, 6, 7);
    alert(h, 2, 5, "12002", IR_CC, 90, 7, 7);
    alert(h, 3, 5, "12002", IR_CC, 100, 7, 7);
    alert(h, 4, 8, "12001", IR_CC, 50, 2, 3);
    sg_harness_free(h);
}

static void test_train_classes_are_counted_apart(void **state)
{
    sg_harness *h = start(state);
    push(h, 1, "12951", IR_3A, IR_BOOKED, 3, 10);
    push(h, 2, "12951", IR_1A, IR_BOOKED, 3, 10);
    push(h, 3, "12952", IR_3A, IR_BOOKED, 3, 10);
    watermark(h, 10);
    assert_int_equal(sg_harness_count(h), 0); /* three keys at 30 %, not one at 90 % */
    push(h, 11, "12951", IR_1A, IR_BOOKED, 2, 10);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    alert(h, 0, 11, "12951", IR_1A, 50, 5, 10);
    sg_harness_free(h);
}

static void test_bookings_at_or_below_the_watermark_are_late(void **state)
{
    sg_harness *h = start(state);
    BOOK(h, 50, 4);
    watermark(h, 50); /* 40 % applied */
    BOOK(h, 50, 6);   /* at the watermark: late, dropped */
    BOOK(h, 10, 6);   /* below it: late */
    assert_int_equal(sg_harness_late(h), 2);
    BOOK(h, 51, 1); /* 50 % */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    alert(h, 0, 51, "12951", IR_3A, 50, 5, 10);
    assert_int_equal(sg_harness_late(h), 2);
    assert_int_equal(sg_harness_rejected(h), 0);
    sg_harness_free(h);
}

static void test_state_is_released_after_timers(void **state)
{
    sg_harness *h = start(state);
    for (int i = 0; i < 200; i++)
        BOOK(h, 1000 - i, 1); /* 200 timers, one buffered booking each */
    watermark(h, 1000);
    assert_int_equal(sg_harness_count(h), 4); /* at 5, 8, 9 and 10 seats of 10 */
    alert(h, 0, 805, "12951", IR_3A, 50, 5, 10);
    alert(h, 3, 810, "12951", IR_3A, 100, 10, 10);
    /* The buffers are cleared: a second watermark, or the end, applies nothing again. */
    watermark(h, 2000);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    sg_harness_free(h);
}

/* A pseudo-random stream of bookings and watermarks over a few keys; returns the
 * output as one string. With restore_at >= 0 the operator is snapshotted and restored
 * before that booking. */
static char *run_mixed(bool heap, int restore_at)
{
    static const char *const trains[] = {"12951", "12002", "12565"};
    sg_harness *h = start_on(heap);
    uint64_t x = 987654321;
    sg_time wm = 0;
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        uint32_t r = (uint32_t)(x >> 33);
        int status = r % 10 < 5 ? IR_BOOKED : r % 10 < 9 ? IR_CANCELLED : IR_WAITLISTED;
        push(h, wm + (sg_time)((x >> 20) % 40) - 8, trains[r % 3], (int)(r / 3 % 2), status,
             1 + (r >> 8) % 6, 12 + (int64_t)(r % 3)); /* some late, some ahead */
        if (i % 40 == 39)
            watermark(h, wm += 9);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_true(sg_harness_late(h) > 0);
    size_t n = sg_harness_count(h), len = 0;
    assert_true(n > 50);
    char *s = test_malloc(n * 64 + 1);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        ir_alert a;
        memcpy(&a, r->value.data, sizeof(a));
        len += (size_t)sprintf(s + len, "%lld %s %d %lld %lld %lld\n", (long long)r->ts, a.train,
                               a.cls, (long long)a.threshold, (long long)a.occupied,
                               (long long)a.capacity);
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
    for (int at = 1; at < 3000; at += 997) {
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
        BOTH(test_bookings_wait_for_the_watermark),
        BOTH(test_one_event_crossing_several_thresholds_alerts_each),
        BOTH(test_falling_below_and_reaching_again_alerts_again),
        BOTH(test_out_of_order_bookings_apply_in_event_time_order),
        BOTH(test_equal_timestamps_apply_in_input_order),
        BOTH(test_waitlisted_does_not_count),
        BOTH(test_percent_truncates),
        BOTH(test_train_classes_are_counted_apart),
        BOTH(test_bookings_at_or_below_the_watermark_are_late),
        BOTH(test_state_is_released_after_timers),
        cmocka_unit_test(test_both_backends_give_the_same_output),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
