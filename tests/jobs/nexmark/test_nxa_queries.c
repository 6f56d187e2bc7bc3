/* test_nxa_queries.c — the subtle parts of Nexmark q1, q3, q4 and q8, operator by
 * operator through the harness: q1's exact DECIMAL, q3's regular join in both arrival
 * orders, q4's BETWEEN bounds, bids before their auction, end-of-input results and
 * truncating AVG, q8's grouping before the join and its late events. Every keyed
 * operator also goes through a snapshot and restore mid-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/nexmark/nx_util.h"

static sg_bytes key_of(const int64_t *id)
{
    return (sg_bytes){id, sizeof(*id)};
}

/* ---- q1 ---------------------------------------------------------------------------- */

static void expect_price(int64_t price, const char *want)
{
    char buf[64];
    int n = nx_q1_format_price(price, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_q1_price_is_exact_with_three_decimals(void **state)
{
    SG_UNUSED(state);
    expect_price(0, "0.000");
    expect_price(1, "0.908");
    expect_price(7, "6.356");
    expect_price(1000, "908.000");
    expect_price(1001, "908.908");
    expect_price(12345678901, "11209876442.108");
    /* price * 908 overflows int64 here; the split arithmetic does not. */
    expect_price(INT64_MAX, "8374821809464136432.756");
    expect_price(-1, "-0.908");
}

/* ---- q3 ---------------------------------------------------------------------------- */

static int q3_person(sg_harness *h, int64_t id, const char *name, sg_time ts)
{
    nx_q3_head head = {id, 0, 1};
    unsigned char buf[256];
    sg_bytes s[3] = {sg_bytes_str(name), sg_bytes_str("Boise"), sg_bytes_str("ID")};
    size_t at = sizeof(head);
    memcpy(buf, &head, sizeof(head));
    for (int i = 0; i < 3; i++, at += 2) {
        uint16_t l = (uint16_t)s[i].len;
        memcpy(buf + at, &l, 2);
    }
    for (int i = 0; i < 3; i++) {
        memcpy(buf + at, s[i].data, s[i].len);
        at += s[i].len;
    }
    sg_bytes v = {buf, at};
    return sg_harness_process(h, 0, ts, key_of(&id), v);
}

static int q3_auction(sg_harness *h, int64_t seller, int64_t id, sg_time ts)
{
    nx_q3_head head = {seller, id, 0};
    sg_bytes v = {&head, sizeof(head)};
    return sg_harness_process(h, 0, ts, key_of(&seller), v);
}

/* Output i is (auction id, name). */
static void expect_q3(sg_harness *h, size_t i, int64_t id, const char *name)
{
    int64_t got;
    sg_bytes s[3];
    assert_true(i < sg_harness_count(h));
    assert_int_equal(nx_unpack(sg_harness_output(h, i)->value, &got, sizeof(got), s, 3), SG_OK);
    assert_int_equal(got, id);
    assert_int_equal(s[0].len, strlen(name));
    assert_memory_equal(s[0].data, name, s[0].len);
    assert_memory_equal(s[2].data, "ID", 2);
}

static void test_q3_joins_each_pair_once_in_either_order(void **state)
{
    sg_harness *h;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&nx_q3_join_op, NULL, &h), SG_OK);
    assert_int_equal(q3_person(h, 1, "Ann", 10), SG_OK);
    assert_int_equal(q3_auction(h, 1, 100, 20), SG_OK); /* person first */
    assert_int_equal(q3_auction(h, 2, 200, 30), SG_OK); /* auction first */
    assert_int_equal(sg_harness_count(h), 1);
    expect_q3(h, 0, 100, "Ann");
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(q3_person(h, 2, "Bo, Jr", 40), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect_q3(h, 1, 200, "Bo, Jr");
    /* A second person with the same id joins every auction seen, as SQL does. */
    assert_int_equal(q3_auction(h, 1, 101, 50), SG_OK);
    assert_int_equal(q3_person(h, 1, "Ann2", 60), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    expect_q3(h, 2, 101, "Ann");
    expect_q3(h, 3, 100, "Ann2");
    expect_q3(h, 4, 101, "Ann2");
    /* Nothing is late in a regular join. */
    assert_int_equal(sg_harness_watermark(h, 1000000), SG_OK);
    assert_int_equal(q3_auction(h, 2, 201, 70), SG_OK);
    assert_int_equal(sg_harness_count(h), 6);
    expect_q3(h, 5, 201, "Bo, Jr");
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

/* ---- q4 ---------------------------------------------------------------------------- */

static int q4_auction(sg_harness *h, int64_t id, sg_time start, sg_time expires, int64_t cat)
{
    nx_q4_in in = {
        .auction = id, .is_auction = 1, .date_time = start, .expires = expires, .category = cat};
    sg_bytes v = {&in, sizeof(in)};
    return sg_harness_process(h, 0, start, key_of(&id), v);
}

static int q4_bid(sg_harness *h, int64_t auction, sg_time ts, int64_t price)
{
    nx_q4_in in = {.auction = auction, .date_time = ts, .price = price};
    sg_bytes v = {&in, sizeof(in)};
    return sg_harness_process(h, 0, ts, key_of(&auction), v);
}

static nx_q4_final q4_out(sg_harness *h, size_t i)
{
    nx_q4_final f;
    assert_true(i < sg_harness_count(h));
    assert_int_equal(sg_harness_output(h, i)->value.len, sizeof(f));
    memcpy(&f, sg_harness_output(h, i)->value.data, sizeof(f));
    return f;
}

/* Finds the closing price of the output row for category cat (outputs come in key
 * order of the timers, which is not the test's business). */
static int64_t q4_final_of(sg_harness *h, int64_t cat, size_t *rows)
{
    int64_t found = -1;
    *rows = 0;
    for (size_t i = 0; i < sg_harness_count(h); i++)
        if (q4_out(h, i).category == cat) {
            found = q4_out(h, i).final;
            ++*rows;
        }
    return found;
}

static void test_q4_max_keeps_between_bounds_and_waits_for_the_end(void **state)
{
    sg_harness *h;
    size_t rows;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&nx_q4_max_op, NULL, &h), SG_OK);
    /* Auction 1, category 10: BETWEEN includes both ends. */
    assert_int_equal(q4_auction(h, 1, 1000, 2000, 10), SG_OK);
    assert_int_equal(q4_bid(h, 1, 999, 500), SG_OK);  /* before the start: out */
    assert_int_equal(q4_bid(h, 1, 1000, 5), SG_OK);   /* at the start: in */
    assert_int_equal(q4_bid(h, 1, 2000, 7), SG_OK);   /* at expires: in */
    assert_int_equal(q4_bid(h, 1, 2001, 900), SG_OK); /* after: out */
    /* Auction 2, category 11: its bids arrive first and wait for it. */
    assert_int_equal(q4_bid(h, 2, 1500, 9), SG_OK);
    assert_int_equal(q4_bid(h, 2, 3000, 99), SG_OK);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(q4_auction(h, 2, 1000, 2000, 11), SG_OK);
    assert_int_equal(q4_bid(h, 2, 1999, 9), SG_OK); /* a tie */
    /* Auction 3 has no bid in range, bid 4 no auction: neither has a closing price. */
    assert_int_equal(q4_auction(h, 3, 1000, 2000, 12), SG_OK);
    assert_int_equal(q4_bid(h, 3, 5000, 1), SG_OK);
    assert_int_equal(q4_bid(h, 4, 1000, 1), SG_OK);
    /* A second auction with id 1 is rejected. */
    assert_int_equal(q4_auction(h, 1, 1000, 9000, 13), SG_OK);
    assert_int_equal(sg_harness_rejected(h), 1);
    /* Updating results: nothing until the end of input, whatever the watermark. */
    assert_int_equal(sg_harness_watermark(h, 1000000), SG_OK);
    assert_int_equal(q4_bid(h, 1, 1500, 6), SG_OK); /* late for nobody: still counts */
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(q4_final_of(h, 10, &rows), 7);
    assert_int_equal(rows, 1);
    assert_int_equal(q4_final_of(h, 11, &rows), 9);
    assert_int_equal(rows, 1);
    sg_harness_free(h);
}

static int q4_final_in(sg_harness *h, int64_t cat, int64_t final)
{
    nx_q4_final f = {cat, final};
    sg_bytes v = {&f, sizeof(f)};
    return sg_harness_process(h, 0, 0, key_of(&cat), v);
}

static void test_q4_average_truncates_as_flinks_bigint_avg(void **state)
{
    sg_harness *h;
    size_t rows;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&nx_q4_avg_op, NULL, &h), SG_OK);
    assert_int_equal(q4_final_in(h, 10, 7), SG_OK);
    assert_int_equal(q4_final_in(h, 10, 8), SG_OK);
    assert_int_equal(q4_final_in(h, 11, 5), SG_OK);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(q4_final_in(h, 10, 1), SG_OK);
    assert_int_equal(q4_final_in(h, 12, 2), SG_OK);
    assert_int_equal(q4_final_in(h, 12, 3), SG_OK);
    assert_int_equal(sg_harness_watermark(h, 1000000), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    assert_int_equal(q4_final_of(h, 10, &rows), 5); /* 16 / 3 */
    assert_int_equal(q4_final_of(h, 11, &rows), 5);
    assert_int_equal(q4_final_of(h, 12, &rows), 2); /* 5 / 2 */
    sg_harness_free(h);
}

/* ---- q8 ---------------------------------------------------------------------------- */

static int q8_person(sg_harness *h, int64_t id, const char *name, sg_time ts)
{
    nx_q8_head head = {id, 1};
    unsigned char buf[128];
    uint16_t l = (uint16_t)strlen(name);
    memcpy(buf, &head, sizeof(head));
    memcpy(buf + sizeof(head), &l, 2);
    memcpy(buf + sizeof(head) + 2, name, l);
    sg_bytes v = {buf, sizeof(head) + 2 + l};
    return sg_harness_process(h, 0, ts, key_of(&id), v);
}

static int q8_auction(sg_harness *h, int64_t seller, sg_time ts)
{
    nx_q8_head head = {seller, 0};
    sg_bytes v = {&head, sizeof(head)};
    return sg_harness_process(h, 0, ts, key_of(&seller), v);
}

/* Whether the output holds the row (id, name, starttime), and how often. */
static int q8_rows(sg_harness *h, int64_t id, const char *name, sg_time start)
{
    int n = 0;
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        int64_t row[2];
        sg_bytes s;
        assert_int_equal(nx_unpack(sg_harness_output(h, i)->value, row, sizeof(row), &s, 1), SG_OK);
        n += row[0] == id && row[1] == start && s.len == strlen(name) &&
             memcmp(s.data, name, s.len) == 0;
    }
    return n;
}

static void test_q8_groups_both_sides_per_window_before_joining(void **state)
{
    sg_harness *h;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&nx_q8_op, NULL, &h), SG_OK);
    /* Person 1 opens two auctions in [0, 10000) and registers twice: one row. */
    assert_int_equal(q8_person(h, 1, "Ann", 1000), SG_OK);
    assert_int_equal(q8_auction(h, 1, 2000), SG_OK);
    assert_int_equal(q8_auction(h, 1, 3000), SG_OK);
    assert_int_equal(q8_person(h, 1, "Ann", 4000), SG_OK);
    /* Person 2's auction is in the next window: no row. */
    assert_int_equal(q8_person(h, 2, "Bo", 9999), SG_OK);
    assert_int_equal(q8_auction(h, 2, 10000), SG_OK);
    /* Two names for id 3 (GROUP BY id, name): two rows. Auction first. */
    assert_int_equal(q8_auction(h, 3, 5000), SG_OK);
    assert_int_equal(q8_person(h, 3, "Cy", 5001), SG_OK);
    assert_int_equal(q8_person(h, 3, "Cyd", 5002), SG_OK);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(sg_harness_watermark(h, 9998), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 9999), SG_OK); /* end - 1: fires */
    assert_int_equal(sg_harness_count(h), 3);
    assert_int_equal(q8_rows(h, 1, "Ann", 0), 1);
    assert_int_equal(q8_rows(h, 3, "Cy", 0), 1);
    assert_int_equal(q8_rows(h, 3, "Cyd", 0), 1);
    /* The window has fired: its events are late now, dropped and counted. */
    assert_int_equal(q8_person(h, 4, "Di", 9000), SG_OK);
    assert_int_equal(q8_auction(h, 4, 9500), SG_OK);
    assert_int_equal(sg_harness_late(h), 2);
    /* The next window at the end of input. */
    assert_int_equal(q8_person(h, 2, "Bo", 19999), SG_OK);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    assert_int_equal(q8_rows(h, 2, "Bo", 10000), 1);
    /* Every window's state is gone once it fired. */
    uint64_t entries;
    assert_int_equal(sg_harness_state_entries(h, &entries), SG_OK);
    assert_int_equal(entries, 0);
    sg_harness_free(h);
}

/* process_batch (records from another task) gives what process gives, for q4's
 * maximum and q8's windows: a batch mixing keys and windows. */
static void test_batches_give_the_same_results(void **state)
{
    sg_harness *h;
    SG_UNUSED(state);
    int64_t ids[3] = {1, 2, 3};
    nx_q4_in q4[5] = {
        {.auction = 1, .is_auction = 1, .date_time = 0, .expires = 100, .category = 10},
        {.auction = 2, .date_time = 50, .price = 8},
        {.auction = 1, .date_time = 100, .price = 4},
        {.auction = 2, .is_auction = 1, .date_time = 0, .expires = 100, .category = 10},
        {.auction = 1, .date_time = 101, .price = 40},
    };
    sg_record recs[5];
    for (int i = 0; i < 5; i++)
        recs[i] =
            (sg_record){q4[i].date_time, key_of(&ids[q4[i].auction - 1]), {&q4[i], sizeof(q4[i])}};
    assert_int_equal(sg_harness_new(&nx_q4_max_op, NULL, &h), SG_OK);
    assert_int_equal(sg_harness_process_batch(h, 0, recs, 5), SG_OK);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    /* Auction 1 closes at 4 (the bid at 101 is after expires), auction 2 at 8 (its bid
     * came first and waited). */
    int64_t a = q4_out(h, 0).final, b = q4_out(h, 1).final;
    assert_true((a == 4 && b == 8) || (a == 8 && b == 4));
    sg_harness_free(h);

    nx_q8_head q8[4] = {{1, 0}, {2, 0}, {3, 0}, {1, 0}};
    sg_time ts[4] = {5, 10005, 20005, 15};
    for (int i = 0; i < 4; i++)
        recs[i] = (sg_record){ts[i], key_of(&ids[q8[i].key - 1]), {&q8[i], sizeof(q8[i])}};
    assert_int_equal(sg_harness_new(&nx_q8_op, NULL, &h), SG_OK);
    assert_int_equal(q8_person(h, 1, "Ann", 1), SG_OK);
    assert_int_equal(q8_person(h, 3, "Cy", 20000), SG_OK);
    assert_int_equal(sg_harness_process_batch(h, 0, recs, 4), SG_OK);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(q8_rows(h, 1, "Ann", 0), 1);
    assert_int_equal(q8_rows(h, 3, "Cy", 20000), 1);
    sg_harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q1_price_is_exact_with_three_decimals),
        cmocka_unit_test(test_q3_joins_each_pair_once_in_either_order),
        cmocka_unit_test(test_q4_max_keeps_between_bounds_and_waits_for_the_end),
        cmocka_unit_test(test_q4_average_truncates_as_flinks_bigint_avg),
        cmocka_unit_test(test_q8_groups_both_sides_per_window_before_joining),
        cmocka_unit_test(test_batches_give_the_same_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
