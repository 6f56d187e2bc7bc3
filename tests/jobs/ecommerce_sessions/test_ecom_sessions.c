/* test_ecom_sessions.c — the job's session aggregate (jobs/ecommerce_sessions/
 * session_agg.c) on the built-in session operator, through the harness: Flink's
 * merging across out-of-order events, firing exactly when the watermark reaches
 * end - 1, lateness, equal timestamps, counts and exact 128-bit revenue, and the same
 * output after a snapshot and restore mid-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/ecommerce_sessions/ecom.h"
#include "operators/builtin_ops.h"

typedef struct fixture {
    ec_config ec;
    sg_session_config sc;
    sg_harness *h;
} fixture;

static fixture *start(fixture *f, sg_time gap, bool heap)
{
    memset(f, 0, sizeof(*f));
    f->ec.gap_ms = gap;
    f->sc.gap = gap;
    f->sc.agg = ec_session_agg;
    f->sc.udata = &f->ec;
    assert_int_equal(
        (heap ? sg_harness_new_heap : sg_harness_new)(&sg_session_aggregate_op, &f->sc, &f->h),
        SG_OK);
    return f;
}

/* One event as the decoder emits it, keyed by user as key_by does. */
static void push(fixture *f, const char *user, sg_time ts, ec_type type, int64_t amount)
{
    char buf[sizeof(ec_event) + 64];
    ec_event ev = {.amount_paise = amount, .type = type, .user_len = (uint32_t)strlen(user)};
    memcpy(buf, &ev, sizeof(ev));
    memcpy(buf + sizeof(ev), user, ev.user_len);
    sg_bytes value = {buf, sizeof(ev) + ev.user_len};
    assert_int_equal(sg_harness_process(f->h, 0, ts, sg_bytes_str(user), value), SG_OK);
}

static ec_session out(const fixture *f, size_t i, const char *user)
{
    const sg_record *r = sg_harness_output(f->h, i);
    ec_session s;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(user));
    assert_memory_equal(r->key.data, user, r->key.len);
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, s.end - 1);
    return s;
}

static void expect(const fixture *f, size_t i, const char *user, sg_time start, sg_time end,
                   const uint64_t counts[4], uint64_t revenue)
{
    ec_session s = out(f, i, user);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.events, counts[0]);
    assert_int_equal(s.views, counts[1]);
    assert_int_equal(s.carts, counts[2]);
    assert_int_equal(s.purchases, counts[3]);
    assert_int_equal(s.revenue_hi, 0);
    assert_int_equal(s.revenue_lo, revenue);
}

static void run_merging_across_out_of_order_events(bool heap)
{
    fixture f;
    start(&f, 10, heap);
    push(&f, "priya", 0, EC_VIEW, 0);
    push(&f, "priya", 30, EC_PURCHASE, 500);
    push(&f, "priya", 15, EC_CART, 999);     /* [15,25): touches neither yet */
    push(&f, "priya", 10, EC_VIEW, 0);       /* touches [0,10), overlaps [15,25): [0,25) */
    push(&f, "priya", 25, EC_PURCHASE, 700); /* touches [0,25), overlaps [30,40): [0,40) */
    assert_int_equal(sg_harness_watermark(f.h, 38), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 0);
    assert_int_equal(sg_harness_watermark(f.h, 39), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 1);
    expect(&f, 0, "priya", 0, 40, (const uint64_t[]){5, 2, 1, 2}, 1200);
    assert_int_equal(sg_harness_finish(f.h), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 1); /* absorbed sessions left no timers */
    sg_harness_free(f.h);
}

static void test_sessions_merge_across_out_of_order_events(void **state)
{
    SG_UNUSED(state);
    run_merging_across_out_of_order_events(false);
}

static void test_sessions_merge_across_out_of_order_events_on_heap(void **state)
{
    SG_UNUSED(state);
    run_merging_across_out_of_order_events(true);
}

static void test_a_session_closes_when_the_watermark_reaches_its_end_minus_1(void **state)
{
    fixture f;
    SG_UNUSED(state);
    start(&f, 1800000, false);
    push(&f, "amit", 1000, EC_VIEW, 0);
    push(&f, "amit", 1000 + 1800000, EC_CART, 5); /* touches [1000, 1801000) */
    push(&f, "zoya", 1000, EC_VIEW, 0);
    assert_int_equal(sg_harness_watermark(f.h, 1801000 - 2), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 0);
    assert_int_equal(sg_harness_watermark(f.h, 1801000 - 1), SG_OK); /* zoya's end - 1 */
    assert_int_equal(sg_harness_count(f.h), 1);
    expect(&f, 0, "zoya", 1000, 1801000, (const uint64_t[]){1, 1, 0, 0}, 0);
    assert_int_equal(sg_harness_watermark(f.h, 3601000 - 1), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 2);
    expect(&f, 1, "amit", 1000, 3601000, (const uint64_t[]){2, 1, 1, 0}, 0);
    sg_harness_free(f.h);
}

static void test_late_events_are_counted_and_dropped(void **state)
{
    fixture f;
    SG_UNUSED(state);
    start(&f, 10, false);
    push(&f, "u", 100, EC_PURCHASE, 3);
    assert_int_equal(sg_harness_watermark(f.h, 109), SG_OK); /* [100,110) fires */
    assert_int_equal(sg_harness_count(f.h), 1);
    push(&f, "u", 99, EC_VIEW, 0); /* [99,109): closed, and nothing open to join: late */
    assert_int_equal(sg_harness_late(f.h), 1);
    push(&f, "u", 105, EC_VIEW, 0); /* [105,115) is still open: a new session (Flink) */
    push(&f, "u", 98, EC_CART, 0);  /* [98,108) closed alone, but touches [105,115) */
    assert_int_equal(sg_harness_late(f.h), 1);
    assert_int_equal(sg_harness_finish(f.h), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 2);
    expect(&f, 0, "u", 100, 110, (const uint64_t[]){1, 0, 0, 1}, 3);
    expect(&f, 1, "u", 98, 115, (const uint64_t[]){2, 1, 1, 0}, 0);
    sg_harness_free(f.h);
}

static void test_equal_timestamps_share_a_session(void **state)
{
    fixture f;
    SG_UNUSED(state);
    start(&f, 10, false);
    push(&f, "u", 7, EC_VIEW, 0);
    push(&f, "u", 7, EC_CART, 0);
    push(&f, "u", 7, EC_PURCHASE, 40);
    push(&f, "v", 7, EC_VIEW, 0);
    assert_int_equal(sg_harness_finish(f.h), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 2);
    /* Both fire at 16; equal timers fire in the order set. */
    expect(&f, 0, "u", 7, 17, (const uint64_t[]){3, 1, 1, 1}, 40);
    expect(&f, 1, "v", 7, 17, (const uint64_t[]){1, 1, 0, 0}, 0);
    sg_harness_free(f.h);
}

static void test_revenue_beyond_int64_stays_exact(void **state)
{
    fixture f;
    SG_UNUSED(state);
    start(&f, 10, false);
    push(&f, "whale", 0, EC_PURCHASE, INT64_MAX);
    push(&f, "whale", 20, EC_PURCHASE, INT64_MAX); /* another session, then merged: */
    push(&f, "whale", 10, EC_PURCHASE, INT64_MAX); /* merge adds the 128-bit sums */
    assert_int_equal(sg_harness_finish(f.h), SG_OK);
    assert_int_equal(sg_harness_count(f.h), 1);
    ec_session s = out(&f, 0, "whale");
    assert_int_equal(s.purchases, 3);
    assert_int_equal(s.revenue_hi, 1);
    assert_int_equal(s.revenue_lo, UINT64_C(9223372036854775805)); /* 3 * (2^63 - 1) - 2^64 */
    sg_harness_free(f.h);
}

/* A pseudo-random stream of 20 users with out-of-order times and watermarks; with
 * restore_at >= 0 a snapshot and restore happens before event restore_at. Returns the
 * output as text, one session a line. */
static size_t run_random(int restore_at, char *text, size_t cap)
{
    fixture f;
    uint64_t x = 2026;
    char user[16];
    start(&f, 50, false);
    for (int i = 0; i < 4000; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(f.h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(user, sizeof(user), "user%u", (unsigned)(x >> 40) % 20);
        ec_type type = (ec_type)((x >> 30) % 3);
        push(&f, user, i * 2 + (sg_time)((x >> 20) % 60) - 30, type,
             type == EC_PURCHASE ? (int64_t)(x >> 50) + 1 : 0);
        if (i % 40 == 39)
            assert_int_equal(sg_harness_watermark(f.h, i * 2 - 20), SG_OK);
    }
    assert_int_equal(sg_harness_finish(f.h), SG_OK);
    size_t n = sg_harness_count(f.h), len = 0;
    uint64_t events = 0;
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(f.h, i);
        ec_session s;
        memcpy(&s, r->value.data, sizeof(s));
        assert_true(s.end - s.start >= 50);
        assert_int_equal(s.events, s.views + s.carts + s.purchases);
        events += s.events;
        len += (size_t)snprintf(text + len, cap - len, "%.*s %lld %lld %llu %llu %llu\n",
                                (int)r->key.len, (const char *)r->key.data, (long long)s.start,
                                (long long)s.end, (unsigned long long)s.events,
                                (unsigned long long)s.purchases, (unsigned long long)s.revenue_lo);
        assert_true(len < cap);
    }
    assert_int_equal(events + sg_harness_late(f.h), 4000);
    sg_harness_free(f.h);
    return n;
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    enum { CAP = 1 << 20 };
    static char a[CAP], b[CAP];
    SG_UNUSED(state);
    size_t na = run_random(-1, a, CAP);
    assert_true(na > 100);
    for (int at = 1; at < 4000; at += 1333) {
        size_t nb = run_random(at, b, CAP);
        assert_int_equal(na, nb);
        assert_string_equal(a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_merge_across_out_of_order_events),
        cmocka_unit_test(test_sessions_merge_across_out_of_order_events_on_heap),
        cmocka_unit_test(test_a_session_closes_when_the_watermark_reaches_its_end_minus_1),
        cmocka_unit_test(test_late_events_are_counted_and_dropped),
        cmocka_unit_test(test_equal_timestamps_share_a_session),
        cmocka_unit_test(test_revenue_beyond_int64_stays_exact),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
