/* Snapshot writer and reader: values come back in order and type; a reader checks
 * types; timers survive a snapshot in firing order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/snap.h"
#include "engine/timer.h"

static void test_values_round_trip_in_order(void **state)
{
    sg_snap_writer w;
    sg_snap_reader r;
    uint64_t u;
    int64_t i;
    sg_bytes b;
    (void)state;
    sg__snap_writer_init(&w);
    assert_int_equal(sg_snap_put_u64(&w, UINT64_MAX), SG_OK);
    assert_int_equal(sg_snap_put_i64(&w, INT64_MIN), SG_OK);
    assert_int_equal(sg_snap_put_i64(&w, 42), SG_OK);
    assert_int_equal(sg_snap_put_bytes(&w, "मुंबई", strlen("मुंबई")), SG_OK);
    assert_int_equal(sg_snap_put_bytes(&w, "", 0), SG_OK);
    sg_bytes all = sg__snap_writer_bytes(&w);
    sg__snap_reader_init(&r, all.data, all.len);
    assert_int_equal(sg_snap_get_u64(&r, &u), SG_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(sg_snap_get_i64(&r, &i), SG_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(sg_snap_get_i64(&r, &i), SG_OK);
    assert_int_equal(i, 42);
    assert_int_equal(sg_snap_get_bytes(&r, &b), SG_OK);
    assert_int_equal(b.len, strlen("मुंबई"));
    assert_memory_equal(b.data, "मुंबई", b.len);
    assert_int_equal(sg_snap_get_bytes(&r, &b), SG_OK);
    assert_int_equal(b.len, 0);
    assert_true(sg__snap_reader_done(&r));
    assert_int_equal(sg_snap_get_u64(&r, &u), SG_ESERDE); /* nothing left */
    sg__snap_reader_free(&r);
    sg__snap_writer_free(&w);
}

static void test_reading_the_wrong_type_is_an_error(void **state)
{
    sg_snap_writer w;
    sg_snap_reader r;
    uint64_t u;
    sg_bytes b;
    (void)state;
    sg__snap_writer_init(&w);
    assert_int_equal(sg_snap_put_i64(&w, -1), SG_OK);
    assert_int_equal(sg_snap_put_u64(&w, 7), SG_OK);
    sg_bytes all = sg__snap_writer_bytes(&w);
    sg__snap_reader_init(&r, all.data, all.len);
    assert_int_equal(sg_snap_get_u64(&r, &u), SG_ESERDE);
    assert_int_equal(sg_snap_get_bytes(&r, &b), SG_ESERDE);
    sg__snap_reader_free(&r);
    /* A truncated snapshot fails instead of inventing values. */
    sg__snap_reader_init(&r, all.data, 0);
    assert_int_equal(sg_snap_get_u64(&r, &u), SG_ESERDE);
    sg__snap_reader_free(&r);
    sg__snap_writer_free(&w);
}

static void test_timers_survive_a_snapshot_in_firing_order(void **state)
{
    sg__timers t, back;
    sg_snap_writer w;
    sg_snap_reader r;
    (void)state;
    sg__timers_init(&t);
    sg__timers_init(&back);
    assert_int_equal(sg__timers_set(&t, 5, sg_bytes_str("b"), 20), SG_OK);
    assert_int_equal(sg__timers_set(&t, 6, sg_bytes_str("a"), 20), SG_OK);
    assert_int_equal(sg__timers_set(&t, 7, sg_bytes_str("c"), 10), SG_OK);
    sg__snap_writer_init(&w);
    assert_int_equal(sg__timers_snapshot(&t, &w), SG_OK);
    sg_bytes all = sg__snap_writer_bytes(&w);
    sg__snap_reader_init(&r, all.data, all.len);
    assert_int_equal(sg__timers_restore(&back, &r), SG_OK);
    const char *keys = "cba";
    sg_time ts[] = {10, 20, 20};
    uint16_t kg[] = {7, 5, 6};
    for (int i = 0; i < 3; i++) {
        sg__timer *x = sg__timers_pop(&back);
        assert_non_null(x);
        assert_int_equal(x->ts, ts[i]);
        assert_int_equal(x->kg, kg[i]);
        assert_int_equal(x->key[0], keys[i]);
        sg__timers_release(&back, x);
    }
    assert_null(sg__timers_pop(&back));
    sg__snap_reader_free(&r);
    sg__snap_writer_free(&w);
    sg__timers_free(&t);
    sg__timers_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_round_trip_in_order),
        cmocka_unit_test(test_reading_the_wrong_type_is_an_error),
        cmocka_unit_test(test_timers_survive_a_snapshot_in_firing_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
