/* Timer service: ordering by (ts, insertion), dedup, delete, many timers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/timer.h"

static sg_bytes key(const char *s)
{
    return sg_bytes_str(s);
}

static void test_timers_fire_in_ts_then_insertion_order(void **state)
{
    sg__timers t;
    (void)state;
    sg__timers_init(&t);
    assert_int_equal(sg__timers_set(&t, 1, key("b"), 20), SG_OK);
    assert_int_equal(sg__timers_set(&t, 1, key("a"), 10), SG_OK);
    assert_int_equal(sg__timers_set(&t, 1, key("c"), 20), SG_OK);
    assert_int_equal(sg__timers_set(&t, 1, key("d"), 5), SG_OK);
    const char *want[] = {"d", "a", "b", "c"};
    sg_time want_ts[] = {5, 10, 20, 20};
    for (int i = 0; i < 4; i++) {
        sg__timer *x = sg__timers_pop(&t);
        assert_non_null(x);
        assert_int_equal(x->ts, want_ts[i]);
        assert_int_equal(x->key_len, 1);
        assert_memory_equal(x->key, want[i], 1);
        sg__timers_release(&t, x);
    }
    assert_null(sg__timers_pop(&t));
    sg__timers_free(&t);
}

static void test_setting_a_timer_twice_keeps_one(void **state)
{
    sg__timers t;
    (void)state;
    sg__timers_init(&t);
    assert_int_equal(sg__timers_set(&t, 3, key("k"), 100), SG_OK);
    assert_int_equal(sg__timers_set(&t, 3, key("k"), 100), SG_OK);
    assert_int_equal(sg__timers_set(&t, 3, key("k"), 101), SG_OK);
    assert_int_equal(sg__timers_set(&t, 3, key("j"), 100), SG_OK);
    assert_int_equal(sg__timers_count(&t), 3);
    sg__timers_free(&t);
}

static void test_delete_removes_only_that_timer(void **state)
{
    sg__timers t;
    (void)state;
    sg__timers_init(&t);
    for (int i = 0; i < 100; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%d", i % 10);
        assert_int_equal(sg__timers_set(&t, 0, key(k), 1000 - i), SG_OK);
    }
    assert_int_equal(sg__timers_delete(&t, key("k3"), 1000 - 3), SG_OK);
    assert_int_equal(sg__timers_delete(&t, key("k3"), 1000 - 3), SG_NOTFOUND);
    assert_int_equal(sg__timers_delete(&t, key("zz"), 5), SG_NOTFOUND);
    assert_int_equal(sg__timers_count(&t), 99);
    sg_time last = SG_TIME_MIN;
    size_t n = 0;
    sg__timer *x;
    while ((x = sg__timers_pop(&t))) {
        assert_true(x->ts >= last);
        assert_false(x->ts == 997);
        last = x->ts;
        n++;
        sg__timers_release(&t, x);
    }
    assert_int_equal(n, 99);
    sg__timers_free(&t);
}

static void test_many_timers_stay_ordered_and_deduplicated(void **state)
{
    sg__timers t;
    (void)state;
    sg__timers_init(&t);
    uint64_t x = 12345;
    for (int i = 0; i < 50000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        char k[16];
        snprintf(k, sizeof(k), "%u", (unsigned)(x >> 40) % 5000);
        assert_int_equal(sg__timers_set(&t, 0, key(k), (sg_time)((x >> 20) % 50)), SG_OK);
    }
    /* At most 5000 keys x 50 timestamps. */
    assert_true(sg__timers_count(&t) <= 250000);
    sg_time last = SG_TIME_MIN;
    uint64_t last_seq = 0;
    sg__timer *y;
    while ((y = sg__timers_pop(&t))) {
        assert_true(y->ts > last || (y->ts == last && y->seq > last_seq));
        last = y->ts;
        last_seq = y->seq;
        sg__timers_release(&t, y);
    }
    sg__timers_free(&t);
}

static void test_a_deleted_timer_set_again_fires_once_in_its_new_place(void **state)
{
    sg__timers t;
    (void)state;
    sg__timers_init(&t);
    assert_int_equal(sg__timers_set(&t, 0, key("a"), 10), SG_OK);
    assert_int_equal(sg__timers_set(&t, 0, key("b"), 10), SG_OK);
    assert_int_equal(sg__timers_delete(&t, key("a"), 10), SG_OK);
    assert_int_equal(sg__timers_count(&t), 1);
    assert_int_equal(sg__timers_set(&t, 0, key("a"), 10), SG_OK); /* now after b */
    assert_int_equal(sg__timers_count(&t), 2);
    sg__timer *x = sg__timers_pop(&t);
    assert_memory_equal(x->key, "b", 1);
    sg__timers_release(&t, x);
    x = sg__timers_pop(&t);
    assert_memory_equal(x->key, "a", 1);
    sg__timers_release(&t, x);
    assert_null(sg__timers_pop(&t));
    assert_int_equal(sg__timers_count(&t), 0);
    sg__timers_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_ts_then_insertion_order),
        cmocka_unit_test(test_setting_a_timer_twice_keeps_one),
        cmocka_unit_test(test_delete_removes_only_that_timer),
        cmocka_unit_test(test_a_deleted_timer_set_again_fires_once_in_its_new_place),
        cmocka_unit_test(test_many_timers_stay_ordered_and_deduplicated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
