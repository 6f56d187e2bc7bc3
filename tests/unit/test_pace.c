/* The latency histogram (pace.h): exact small values, quantiles within the bucket
 * precision, merging, negative values counted as early; and the paced poll budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/pace.h"

static void test_small_values_are_exact(void **state)
{
    sg__hist *h = calloc(1, sizeof(*h));
    (void)state;
    for (int v = 1; v <= 10; v++)
        sg__hist_record(h, v);
    assert_int_equal(h->count, 10);
    assert_int_equal(sg__hist_quantile(h, 0.5), 5);
    assert_int_equal(sg__hist_quantile(h, 0.99), 10);
    assert_int_equal(h->max, 10);
    free(h);
}

static void test_quantiles_within_bucket_precision(void **state)
{
    sg__hist *h = calloc(1, sizeof(*h));
    (void)state;
    /* 1..100000 us in ns: p50 = 50 ms, p99 = 99 ms, max = 100 ms. */
    for (int64_t us = 1; us <= 100000; us++)
        sg__hist_record(h, us * 1000);
    uint64_t p50 = sg__hist_quantile(h, 0.5), p99 = sg__hist_quantile(h, 0.99);
    assert_true(p50 >= 50000000ull && p50 <= 50000000ull * 104 / 100);
    assert_true(p99 >= 99000000ull && p99 <= 100000000ull);
    assert_int_equal(sg__hist_quantile(h, 1.0), 100000000ull);
    assert_int_equal(h->max, 100000000ull);
    free(h);
}

static void test_merge_and_early(void **state)
{
    sg__hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    (void)state;
    sg__hist_record(a, -5); /* before its time: counted apart */
    sg__hist_record(a, 1000);
    sg__hist_record(b, INT64_C(3000000000000)); /* 50 minutes: the top buckets work */
    sg__hist_merge(a, b);
    assert_int_equal(a->count, 2);
    assert_int_equal(a->early, 1);
    assert_true(sg__hist_quantile(a, 0.01) >= 1000 && sg__hist_quantile(a, 0.01) <= 1031);
    assert_int_equal(a->max, 3000000000000ull);
    assert_int_equal(sg__hist_quantile(a, 1.0), 3000000000000ull);
    free(a);
    free(b);
}

static void test_budget_adapts_to_poll_time(void **state)
{
    (void)state;
    assert_int_equal(sg__pace_next_budget(64, SG__PACE_POLL_NS * 2, 1024), 32);
    assert_int_equal(sg__pace_next_budget(1, SG__PACE_POLL_NS * 2, 1024), 1);
    assert_int_equal(sg__pace_next_budget(64, 0, 1024), 128);
    assert_int_equal(sg__pace_next_budget(1024, 0, 1024), 1024);
    assert_int_equal(sg__pace_next_budget(64, SG__PACE_POLL_NS * 3 / 4, 1024), 64);
}

static void test_clock_maps_event_time(void **state)
{
    sg__pace p;
    (void)state;
    assert_int_equal(sg__pace_init(&p, 2.0), SG_OK);
    sg__pace_start(&p, 10000);
    sg__pace_start(&p, 5); /* only the first record starts the clock */
    assert_int_equal(p.first_ts, 10000);
    /* At speed 2, one second of event time is half a second of wall time. */
    assert_int_equal(sg__pace_wall_ns(&p, 11000) - p.start_ns, 500000000);
    sg__pace_wait(&p, 10000); /* due already: returns at once */
    sg__pace_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_quantiles_within_bucket_precision),
        cmocka_unit_test(test_merge_and_early),
        cmocka_unit_test(test_budget_adapts_to_poll_time),
        cmocka_unit_test(test_clock_maps_event_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
