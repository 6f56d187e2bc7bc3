/* test_ecom_decode.c — the ecommerce_sessions decoder's validation (every field
 * required with its type, the three types, amount_paise positive on a purchase only,
 * reasons naming the field), on rows parsed by the engine's own JSON and CSV parsers,
 * and the exact 128-bit revenue formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "engine/row.h"
#include "jobs/ecommerce_sessions/ecom.h"

#define GAP 1800000

static sg__row_parser *json, *csv;

static int setup(void **state)
{
    SG_UNUSED(state);
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &json), SG_OK);
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &csv), SG_OK);
    return 0;
}

static int teardown(void **state)
{
    SG_UNUSED(state);
    sg__row_parser_free(json);
    sg__row_parser_free(csv);
    return 0;
}

/* Parses a JSON line (which must be syntactically valid) and validates it. */
static const char *check(const char *line, int64_t *ts, ec_event *ev, sg_bytes *user)
{
    const sg_row *row;
    const char *reason = NULL;
    int rc = sg__row_parse(json, line, strlen(line), &row, &reason);
    if (rc != SG_OK)
        fail_msg("line <%s> did not parse: %s", line, reason ? reason : "?");
    return ec_event_parse(row, GAP, ts, ev, user);
}

static void expect_bad(const char *line, const char *reason)
{
    int64_t ts;
    ec_event ev;
    sg_bytes user;
    const char *got = check(line, &ts, &ev, &user);
    if (!got)
        fail_msg("line <%s> was accepted, expected: %s", line, reason);
    assert_string_equal(got, reason);
}

static void expect_good(const char *line, int64_t want_ts, const char *want_user,
                        uint32_t want_type, int64_t want_amount)
{
    int64_t ts = 0;
    ec_event ev = {0};
    sg_bytes user = {0};
    const char *got = check(line, &ts, &ev, &user);
    if (got)
        fail_msg("line <%s> was rejected: %s", line, got);
    assert_int_equal(ts, want_ts);
    assert_int_equal(ev.type, want_type);
    assert_int_equal(ev.amount_paise, want_amount);
    assert_int_equal(user.len, strlen(want_user));
    assert_int_equal(ev.user_len, user.len);
    assert_memory_equal(user.data, want_user, user.len);
}

static void test_the_three_types_are_accepted(void **state)
{
    SG_UNUSED(state);
    expect_good("{\"ts\": 5, \"user\": \"priya\", \"type\": \"view\", \"product\": \"p\", "
                "\"amount_paise\": 0}",
                5, "priya", EC_VIEW, 0);
    expect_good("{\"ts\": -7, \"user\": \"u\", \"type\": \"cart\", \"product\": \"p\", "
                "\"amount_paise\": 129900}",
                -7, "u", EC_CART, 0); /* a cart's amount is not revenue */
    expect_good("{\"amount_paise\": 9223372036854775807, \"product\": \"\", \"type\": "
                "\"purchase\", \"user\": \"अमित\", \"ts\": 1792434600000, \"extra\": [1]}",
                1792434600000, "अमित", EC_PURCHASE, INT64_MAX);
}

static void test_amount_is_ignored_whatever_it_holds_on_views_and_carts(void **state)
{
    SG_UNUSED(state);
    const char *amounts[] = {"-5", "0", "1.5", "\"lots\"", "null", "true", "{}", "[]"};
    char line[256];
    for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
        snprintf(line, sizeof(line),
                 "{\"ts\": 1, \"user\": \"u\", \"type\": \"view\", \"product\": \"p\", "
                 "\"amount_paise\": %s}",
                 amounts[i]);
        expect_good(line, 1, "u", EC_VIEW, 0);
        snprintf(line, sizeof(line),
                 "{\"ts\": 1, \"user\": \"u\", \"type\": \"cart\", \"product\": \"p\", "
                 "\"amount_paise\": %s}",
                 amounts[i]);
        expect_good(line, 1, "u", EC_CART, 0);
    }
}

static void test_a_purchase_needs_a_positive_integer_amount(void **state)
{
    SG_UNUSED(state);
    const char *amounts[] = {"0", "-1", "1.0", "\"100\"", "null", "9223372036854775808"};
    const char *why = "field \"amount_paise\" must be a positive integer on a purchase";
    char line[256];
    for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
        snprintf(line, sizeof(line),
                 "{\"ts\": 1, \"user\": \"u\", \"type\": \"purchase\", \"product\": \"p\", "
                 "\"amount_paise\": %s}",
                 amounts[i]);
        expect_bad(line, why);
    }
    expect_good("{\"ts\": 1, \"user\": \"u\", \"type\": \"purchase\", \"product\": \"p\", "
                "\"amount_paise\": 1}",
                1, "u", EC_PURCHASE, 1);
}

static void test_missing_fields_are_named(void **state)
{
    SG_UNUSED(state);
    expect_bad("{\"user\": \"u\", \"type\": \"view\", \"product\": \"p\", \"amount_paise\": 0}",
               "missing field \"ts\"");
    expect_bad("{\"ts\": 1, \"type\": \"view\", \"product\": \"p\", \"amount_paise\": 0}",
               "missing field \"user\"");
    expect_bad("{\"ts\": 1, \"user\": \"u\", \"product\": \"p\", \"amount_paise\": 0}",
               "missing field \"type\"");
    expect_bad("{\"ts\": 1, \"user\": \"u\", \"type\": \"view\", \"amount_paise\": 0}",
               "missing field \"product\"");
    /* Present on every type: "ignored, whatever it holds" is about its value. */
    expect_bad("{\"ts\": 1, \"user\": \"u\", \"type\": \"view\", \"product\": \"p\"}",
               "missing field \"amount_paise\"");
    expect_bad("{\"ts\": 1, \"user\": \"u\", \"type\": \"purchase\", \"product\": \"p\"}",
               "missing field \"amount_paise\"");
    expect_bad("{}", "missing field \"ts\"");
}

static void test_a_ts_whose_session_would_pass_the_int64_limit_is_bad(void **state)
{
    SG_UNUSED(state);
    /* INT64_MAX - GAP = 9223372036852975807: the last ts whose session end fits. */
    expect_good("{\"ts\": 9223372036852975807, \"user\": \"u\", \"type\": \"view\", "
                "\"product\": \"p\", \"amount_paise\": 0}",
                INT64_C(9223372036852975807), "u", EC_VIEW, 0);
    expect_bad("{\"ts\": 9223372036852975808, \"user\": \"u\", \"type\": \"view\", "
               "\"product\": \"p\", \"amount_paise\": 0}",
               "field \"ts\" is too close to the int64 limit for its session");
    expect_good("{\"ts\": -9223372036854775808, \"user\": \"u\", \"type\": \"view\", "
                "\"product\": \"p\", \"amount_paise\": 0}",
                INT64_MIN, "u", EC_VIEW, 0);
}

static void test_wrong_types_are_named(void **state)
{
    SG_UNUSED(state);
    const char *tail = ", \"product\": \"p\", \"amount_paise\": 5}";
    char line[256];
    const struct {
        const char *head, *reason;
    } cases[] = {
        {"{\"ts\": 1.5, \"user\": \"u\", \"type\": \"view\"",
         "field \"ts\" is not an integer (int64 ms)"},
        {"{\"ts\": \"1\", \"user\": \"u\", \"type\": \"view\"",
         "field \"ts\" is not an integer (int64 ms)"},
        {"{\"ts\": null, \"user\": \"u\", \"type\": \"view\"",
         "field \"ts\" is not an integer (int64 ms)"},
        {"{\"ts\": 1, \"user\": 42, \"type\": \"view\"", "field \"user\" is not a string"},
        {"{\"ts\": 1, \"user\": \"u\", \"type\": 1", "field \"type\" is not a string"},
        {"{\"ts\": 1, \"user\": \"u\", \"type\": \"wishlist\"",
         "type must be view, cart or purchase"},
        {"{\"ts\": 1, \"user\": \"u\", \"type\": \"View\"", "type must be view, cart or purchase"},
        {"{\"ts\": 1, \"user\": \"u\", \"type\": \"\"", "type must be view, cart or purchase"},
        {"{\"ts\": 1, \"user\": \"u\", \"type\": \"view \"", "type must be view, cart or purchase"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(line, sizeof(line), "%s%s", cases[i].head, tail);
        expect_bad(line, cases[i].reason);
    }
    expect_bad("{\"ts\": 1, \"user\": \"u\", \"type\": \"view\", \"product\": 7, "
               "\"amount_paise\": 0}",
               "field \"product\" is not a string");
}

static void test_csv_rows_are_read_by_header_name(void **state)
{
    const sg_row *row;
    const char *reason;
    int64_t ts;
    ec_event ev;
    sg_bytes user;
    SG_UNUSED(state);
    const char *header = "amount_paise,product,type,user,ts";
    assert_int_equal(sg__row_parse(csv, header, strlen(header), &row, &reason), SG_NOTFOUND);
    const char *good = "250000,Kurta,purchase,\"sharma, anil\",1000";
    assert_int_equal(sg__row_parse(csv, good, strlen(good), &row, &reason), SG_OK);
    assert_null(ec_event_parse(row, GAP, &ts, &ev, &user));
    assert_int_equal(ts, 1000);
    assert_int_equal(ev.amount_paise, 250000);
    assert_int_equal(user.len, strlen("sharma, anil"));
    const char *bad = "x,Kurta,view,anil,10.5";
    assert_int_equal(sg__row_parse(csv, bad, strlen(bad), &row, &reason), SG_OK);
    assert_string_equal(ec_event_parse(row, GAP, &ts, &ev, &user),
                        "field \"ts\" is not an integer (int64 ms)");
}

static void expect_u128(uint64_t hi, uint64_t lo, const char *want)
{
    char buf[40];
    size_t len = ec_u128_format(hi, lo, buf);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}

static void test_revenue_is_formatted_exactly_beyond_64_bits(void **state)
{
    SG_UNUSED(state);
    expect_u128(0, 0, "0");
    expect_u128(0, 7, "7");
    expect_u128(0, 1234567890, "1234567890");
    expect_u128(0, UINT64_MAX, "18446744073709551615");
    expect_u128(1, 0, "18446744073709551616");
    /* 3 * INT64_MAX: three purchases of the largest amount */
    expect_u128(1, UINT64_C(9223372036854775805), "27670116110564327421");
    expect_u128(UINT64_MAX, UINT64_MAX, "340282366920938463463374607431768211455");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_three_types_are_accepted),
        cmocka_unit_test(test_amount_is_ignored_whatever_it_holds_on_views_and_carts),
        cmocka_unit_test(test_a_purchase_needs_a_positive_integer_amount),
        cmocka_unit_test(test_missing_fields_are_named),
        cmocka_unit_test(test_a_ts_whose_session_would_pass_the_int64_limit_is_bad),
        cmocka_unit_test(test_wrong_types_are_named),
        cmocka_unit_test(test_csv_rows_are_read_by_header_name),
        cmocka_unit_test(test_revenue_is_formatted_exactly_beyond_64_bits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
