/* test_ysb_decode.c — the ysb decoder on rows parsed by the engine's JSON parser: the
 * generator's own JSON lines decode back to their events, and each kind of bad row is
 * rejected with a reason naming its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/row.h"
#include "jobs/ysb/ysb.h"

#define SEED 11

static sg__row_parser *json;
static ysb_ads ads;
static char ad0[YSB_UUID_LEN + 1];

static int setup(void **state)
{
    SG_UNUSED(state);
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &json), SG_OK);
    ysb_ads_init(&ads, SEED);
    ysb_uuid(SEED, YSB_KIND_AD, 0, ad0);
    return 0;
}

static int teardown(void **state)
{
    SG_UNUSED(state);
    sg__row_parser_free(json);
    return 0;
}

static const char *decode(const char *line, ysb_event *ev)
{
    const sg_row *row;
    const char *reason = NULL;
    if (sg__row_parse(json, line, strlen(line), &row, &reason) != SG_OK)
        fail_msg("line <%s> did not parse: %s", line, reason ? reason : "?");
    return ysb_event_parse(row, &ads, ev);
}

static void test_generated_lines_decode_to_their_events(void **state)
{
    ysb_gen_config cfg;
    char line[YSB_JSON_MAX];
    SG_UNUSED(state);
    ysb_gen_config_default(&cfg);
    cfg.seed = SEED;
    for (uint64_t seq = 0; seq < 2000; seq += 13) {
        ysb_event want, got;
        ysb_gen_event(&cfg, seq, &want);
        ysb_event_json(SEED, &want, line, sizeof(line));
        const char *why = decode(line, &got);
        if (why)
            fail_msg("<%s> rejected: %s", line, why);
        assert_int_equal(got.event_time, want.event_time);
        assert_int_equal(got.ad, want.ad);
        assert_int_equal(got.ip, want.ip);
        assert_int_equal(got.ad_type, want.ad_type);
        assert_int_equal(got.event_type, want.event_type);
    }
}

/* A good line with field 'field' replaced by the JSON text 'value' (or removed when
 * value is NULL). */
static void expect_bad(const char *field, const char *value, const char *reason)
{
    const char *names[] = {"user_id",    "page_id",    "ad_id",     "ad_type",
                           "event_type", "event_time", "ip_address"};
    char good[7][64], line[512];
    snprintf(good[0], sizeof(good[0]), "\"u\"");
    snprintf(good[1], sizeof(good[1]), "\"p\"");
    snprintf(good[2], sizeof(good[2]), "\"%s\"", ad0);
    snprintf(good[3], sizeof(good[3]), "\"mail\"");
    snprintf(good[4], sizeof(good[4]), "\"view\"");
    snprintf(good[5], sizeof(good[5]), "1000");
    snprintf(good[6], sizeof(good[6]), "\"1.2.3.4\"");
    size_t n = (size_t)snprintf(line, sizeof(line), "{");
    for (int i = 0; i < 7; i++) {
        bool this = strcmp(names[i], field) == 0;
        if (this && !value)
            continue;
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"%s\":%s", n > 1 ? "," : "", names[i],
                              this ? value : good[i]);
    }
    snprintf(line + n, sizeof(line) - n, "}");
    ysb_event ev;
    const char *got = decode(line, &ev);
    if (!got)
        fail_msg("<%s> accepted, expected: %s", line, reason);
    if (strcmp(got, reason) != 0)
        fail_msg("<%s>: got '%s', expected '%s'", line, got, reason);
}

static void test_a_good_hand_made_line(void **state)
{
    char line[512];
    ysb_event ev;
    SG_UNUSED(state);
    snprintf(line, sizeof(line),
             "{\"user_id\":\"u\",\"page_id\":\"p\",\"ad_id\":\"%s\",\"ad_type\":\"mail\","
             "\"event_type\":\"purchase\",\"event_time\":-5,\"ip_address\":\"255.0.0.9\"}",
             ad0);
    assert_null(decode(line, &ev));
    assert_int_equal(ev.ad, 0);
    assert_int_equal(ev.ad_type, 3);
    assert_int_equal(ev.event_type, YSB_PURCHASE);
    assert_int_equal(ev.event_time, -5);
    assert_int_equal(ev.ip, 0xff000009u);
}

static void test_bad_rows_name_their_field(void **state)
{
    SG_UNUSED(state);
    expect_bad("user_id", NULL, "missing field \"user_id\"");
    expect_bad("user_id", "7", "field \"user_id\" is not a string");
    expect_bad("page_id", NULL, "missing field \"page_id\"");
    expect_bad("ad_id", NULL, "missing field \"ad_id\"");
    expect_bad("ad_id", "null", "field \"ad_id\" is not a string");
    expect_bad("ad_id", "\"00000000-0000-4000-8000-000000000000\"",
               "field \"ad_id\" is not an ad of any campaign");
    expect_bad("ad_id", "\"short\"", "field \"ad_id\" is not an ad of any campaign");
    expect_bad("ad_type", "\"popup\"",
               "field \"ad_type\" must be banner, modal, sponsored-search, mail or mobile");
    expect_bad("ad_type", NULL, "missing field \"ad_type\"");
    expect_bad("event_type", "\"View\"", "field \"event_type\" must be view, click or purchase");
    expect_bad("event_type", "1", "field \"event_type\" is not a string");
    expect_bad("event_time", NULL, "missing field \"event_time\"");
    expect_bad("event_time", "\"1000\"", "field \"event_time\" is not an integer (epoch ms)");
    expect_bad("event_time", "1.5", "field \"event_time\" is not an integer (epoch ms)");
    expect_bad("event_time", "9223372036854775807",
               "field \"event_time\" is too close to the int64 limits");
    expect_bad("ip_address", NULL, "missing field \"ip_address\"");
    expect_bad("ip_address", "\"1.2.3\"", "field \"ip_address\" is not an IPv4 address");
    expect_bad("ip_address", "\"1.2.3.256\"", "field \"ip_address\" is not an IPv4 address");
    expect_bad("ip_address", "\"1.2.3.4.5\"", "field \"ip_address\" is not an IPv4 address");
    expect_bad("ip_address", "\"1..3.4\"", "field \"ip_address\" is not an IPv4 address");
    expect_bad("ip_address", "\"1.2.3.4444\"", "field \"ip_address\" is not an IPv4 address");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_lines_decode_to_their_events),
        cmocka_unit_test(test_a_good_hand_made_line),
        cmocka_unit_test(test_bad_rows_name_their_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
