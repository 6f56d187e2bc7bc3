/* test_ecom_gen.c — the gen:ecommerce generator (jobs/ecommerce_sessions/ecomgen.h):
 * the same bytes for the same config, valid JSON lines the job accepts (but for the
 * deliberate bad records), bounded disorder, the lightning-deal surge in event time,
 * realistic names, funnel shares and the planted anomalies. Allocations go through
 * cmocka's test allocator, so a leak fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <sangam/sangam.h>

#include "jobs/ecommerce_sessions/ecomgen.h"

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

static ec_gen *new_gen(uint64_t seed, int64_t rate, int64_t disorder)
{
    ec_gen_config cfg = {seed, EC_GEN_DEFAULT_START, rate, disorder, 20000};
    ec_gen *g = NULL;
    assert_int_equal(ec_gen_new(&cfg, &g), SG_OK);
    assert_non_null(g);
    return g;
}

static size_t next_line(ec_gen *g, char *buf)
{
    size_t len = ec_gen_next(g, buf, EC_GEN_LINE_MAX);
    assert_true(len < EC_GEN_LINE_MAX);
    assert_int_equal(buf[len], '\0');
    return len;
}

static void test_same_config_gives_the_same_bytes(void **state)
{
    char a[EC_GEN_LINE_MAX], b[EC_GEN_LINE_MAX];
    SG_UNUSED(state);
    ec_gen *g1 = new_gen(7, 50, 3000), *g2 = new_gen(7, 50, 3000), *g3 = new_gen(8, 50, 3000);
    size_t differ = 0;
    for (int i = 0; i < 20000; i++) {
        size_t la = next_line(g1, a), lb = next_line(g2, b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        next_line(g3, b);
        differ += strcmp(a, b) != 0;
    }
    assert_true(differ > 19000); /* another seed, another stream */
    ec_gen_free(g1);
    ec_gen_free(g2);
    ec_gen_free(g3);
}

static void test_bad_configs_are_refused(void **state)
{
    SG_UNUSED(state);
    const ec_gen_config bad[] = {
        {1, -1, 10, 0, 10},         {1, 0, 0, 0, 10}, {1, 0, 1000001, 0, 10},    {1, 0, 10, -1, 10},
        {1, 0, 10, 1000000001, 10}, {1, 0, 10, 0, 0}, {1, INT64_MAX, 10, 0, 10},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ec_gen *g = (ec_gen *)&bad; /* must be reset to NULL */
        assert_int_equal(ec_gen_new(&bad[i], &g), SG_EINVAL);
        assert_null(g);
    }
    ec_gen_free(NULL);
}

static void test_lightning_deals_are_the_first_ten_minutes_of_each_ist_hour(void **state)
{
    SG_UNUSED(state);
    const int64_t t0 = EC_GEN_DEFAULT_START; /* 00:00 IST */
    assert_true(ec_gen_in_sale(t0));
    assert_true(ec_gen_in_sale(t0 + 599999));
    assert_false(ec_gen_in_sale(t0 + 600000));
    assert_false(ec_gen_in_sale(t0 - 1));
    assert_true(ec_gen_in_sale(t0 + 5 * 3600000 + 1234));
    assert_true(ec_gen_in_sale(INT64_C(1800000)));  /* 1970-01-01 06:00 IST */
    assert_false(ec_gen_in_sale(0));                /* 05:30 IST */
    assert_true(ec_gen_in_sale(-INT64_C(1800000))); /* 05:00 IST, before the epoch */
}

/* Counts from a run of n lines, every line parsed with jansson. */
typedef struct tally {
    size_t lines, bad, views, carts, purchases, in_deal, bots, guests, guest_purchases;
    int64_t max_ts, max_behind, min_ts;
} tally;

static bool known_city(const char *c)
{
    static const char *const some[] = {"Mumbai", "Delhi",   "Bengaluru", "Pune",
                                       "Kochi",  "Lucknow", "Guwahati",  "Chennai"};
    for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++)
        if (!strcmp(c, some[i]))
            return true;
    return strlen(c) > 3 && c[0] >= 'A' && c[0] <= 'Z';
}

static void tally_line(tally *t, const char *line, size_t len)
{
    json_error_t err;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!o)
        fail_msg("invalid JSON (%s): %s", err.text, line);
    json_t *ts = json_object_get(o, "ts"), *amount = json_object_get(o, "amount_paise");
    const char *user = json_string_value(json_object_get(o, "user"));
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *city = json_string_value(json_object_get(o, "city"));
    const char *product = json_string_value(json_object_get(o, "product"));
    assert_true(json_is_integer(ts) && json_is_integer(amount) && user && type && city);
    assert_true(known_city(city));
    int64_t v = json_integer_value(ts), a = json_integer_value(amount);
    t->lines++;
    t->min_ts = t->lines == 1 || v < t->min_ts ? v : t->min_ts;
    t->max_ts = t->lines == 1 || v > t->max_ts ? v : t->max_ts;
    t->max_behind = t->max_ts - v > t->max_behind ? t->max_ts - v : t->max_behind;
    t->in_deal += ec_gen_in_sale(v);
    bool purchase = !strcmp(type, "purchase");
    if (!product || (purchase && a <= 0) ||
        (!purchase && strcmp(type, "view") && strcmp(type, "cart"))) {
        t->bad++; /* the planted bad records */
    } else if (purchase) {
        t->purchases++;
    } else if (!strcmp(type, "cart")) {
        t->carts++;
        assert_true(a > 0 && a % 100 == 0); /* a price in whole rupees */
    } else {
        t->views++;
        assert_int_equal(a, 0);
    }
    if (!strncmp(user, "bot-crawler-", 12)) {
        t->bots++;
        assert_true(!strcmp(type, "view") || t->bad);
    } else if (!strncmp(user, "guest-", 6)) {
        t->guests++;
        t->guest_purchases += purchase;
    } else {
        assert_non_null(strchr(user, '.')); /* first.surname.number */
    }
    json_decref(o);
}

static void run(tally *t, size_t n, int64_t rate, int64_t disorder)
{
    char line[EC_GEN_LINE_MAX];
    memset(t, 0, sizeof(*t));
    ec_gen *g = new_gen(2026, rate, disorder);
    for (size_t i = 0; i < n; i++) {
        size_t len = next_line(g, line);
        tally_line(t, line, len);
    }
    ec_gen_free(g);
}

static void test_lines_are_valid_events_with_a_few_planted_bad_ones(void **state)
{
    tally t;
    SG_UNUSED(state);
    run(&t, 100000, 20, 3000);
    assert_int_equal(t.lines, 100000);
    assert_true(t.bad >= 20 && t.bad <= 90); /* 1 in 2000 */
    /* A funnel: mostly views, fewer carts, fewer purchases. */
    assert_true(t.views > 80000);
    assert_true(t.carts > 4000 && t.carts < 15000);
    assert_true(t.purchases > 300 && t.purchases < 4000 && t.purchases < t.carts);
    /* The anomalies are there: bots a few percent of the traffic (of 0.8% of visits,
     * but long ones), card testers less. */
    assert_true(t.bots > 3000 && t.bots < 10000);
    assert_true(t.guests > 100 && t.guests < 1500);
    assert_true(t.guest_purchases * 10 >= t.guests * 9);
}

static void test_disorder_is_bounded(void **state)
{
    tally t;
    SG_UNUSED(state);
    run(&t, 20000, 100, 3000);
    assert_true(t.max_behind <= 3000);
    assert_true(t.max_behind > 2000); /* the jitter does use its range */
    assert_true(t.min_ts >= EC_GEN_DEFAULT_START - 3000);
    run(&t, 5000, 100, 0);
    assert_int_equal(t.max_behind, 0); /* no disorder: ts never goes back */
}

static void test_deals_pack_events_four_times_closer(void **state)
{
    tally t;
    SG_UNUSED(state);
    /* At 1 event/s outside deals: 10 deal minutes hold 600 * 4 events, then 50 quiet
     * minutes 3000, then the next hour's deal again. */
    run(&t, 2400 + 3000, 1, 0);
    assert_int_equal(t.in_deal, 2400);
    assert_int_equal(t.max_ts, EC_GEN_DEFAULT_START + 3600000 - 1000);
    run(&t, 2400 + 3000 + 4, 1, 0);
    assert_int_equal(t.in_deal, 2404);
}

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_config_gives_the_same_bytes),
        cmocka_unit_test(test_bad_configs_are_refused),
        cmocka_unit_test(test_lightning_deals_are_the_first_ten_minutes_of_each_ist_hour),
        cmocka_unit_test(test_lines_are_valid_events_with_a_few_planted_bad_ones),
        cmocka_unit_test(test_disorder_is_bounded),
        cmocka_unit_test(test_deals_pack_events_four_times_closer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
