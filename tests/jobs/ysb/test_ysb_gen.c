/* test_ysb_gen.c — the YSB generator and campaign table: events are a pure function of
 * (seed, seq) with the documented distributions, the campaign table is 100 x 10 and a
 * function of the seed, ad UUIDs map back to their compact ids, the JSON form holds the
 * event, and gen:ysb resumes from a snapshot at any point, in parallel instances too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/ysb/ysb.h"
#include "tests/harness/source_run.h"

static void test_events_are_a_function_of_seed_and_seq(void **state)
{
    ysb_gen_config cfg;
    ysb_event a, b;
    SG_UNUSED(state);
    ysb_gen_config_default(&cfg);
    for (uint64_t seq = 0; seq < 1000; seq += 7) {
        ysb_gen_event(&cfg, seq, &a);
        ysb_gen_event(&cfg, 999 - seq, &b); /* another call in between */
        ysb_gen_event(&cfg, seq, &b);
        assert_memory_equal(&a, &b, sizeof(a));
    }
    ysb_gen_event(&cfg, 5, &a);
    cfg.seed = 2;
    ysb_gen_event(&cfg, 5, &b);
    assert_int_equal(a.event_time, b.event_time); /* time depends on seq and rate only */
    assert_true(memcmp(&a, &b, sizeof(a)) != 0);
}

static void test_event_time_is_in_order_at_the_rate(void **state)
{
    ysb_gen_config cfg;
    ysb_event ev;
    SG_UNUSED(state);
    ysb_gen_config_default(&cfg);
    cfg.rate = 3;
    ysb_gen_event(&cfg, 0, &ev);
    assert_int_equal(ev.event_time, YSB_DEFAULT_START);
    ysb_gen_event(&cfg, 4, &ev); /* 4 * 1000 / 3 */
    assert_int_equal(ev.event_time, YSB_DEFAULT_START + 1333);
    /* Far positions take the overflow-free path and agree with the arithmetic. */
    uint64_t far = UINT64_C(1) << 60;
    ysb_gen_event(&cfg, far, &ev);
    assert_int_equal(ev.event_time,
                     YSB_DEFAULT_START + (int64_t)(far / 3 * 1000 + far % 3 * 1000 / 3));
    int64_t prev = 0;
    for (uint64_t seq = 0; seq < 10000; seq++) {
        ysb_gen_event(&cfg, seq, &ev);
        assert_true(ev.event_time >= prev);
        prev = ev.event_time;
    }
}

static void test_fields_are_uniform_and_in_range(void **state)
{
    ysb_gen_config cfg;
    ysb_event ev;
    uint64_t types[3] = {0}, ad_types[YSB_AD_TYPES] = {0}, ads_seen = 0;
    static bool ad_seen[YSB_ADS];
    SG_UNUSED(state);
    ysb_gen_config_default(&cfg);
    cfg.users = 50;
    cfg.pages = 7;
    const uint64_t n = 300000;
    for (uint64_t seq = 0; seq < n; seq++) {
        ysb_gen_event(&cfg, seq, &ev);
        assert_true(ev.ad < YSB_ADS && ev.event_type < 3 && ev.ad_type < YSB_AD_TYPES);
        assert_true(ev.user_id < 50 && ev.page_id < 7);
        types[ev.event_type]++;
        ad_types[ev.ad_type]++;
        if (!ad_seen[ev.ad]) {
            ad_seen[ev.ad] = true;
            ads_seen++;
        }
    }
    for (int t = 0; t < 3; t++) /* 1 in 3 within 1% */
        assert_true(types[t] > n / 3 - n / 100 && types[t] < n / 3 + n / 100);
    for (int t = 0; t < YSB_AD_TYPES; t++)
        assert_true(ad_types[t] > n / 5 - n / 100 && ad_types[t] < n / 5 + n / 100);
    assert_int_equal(ads_seen, YSB_ADS);
}

static void test_campaign_table_is_100_by_10_and_seeded(void **state)
{
    static ysb_ads t, u;
    int per[YSB_CAMPAIGNS] = {0};
    SG_UNUSED(state);
    ysb_ads_init(&t, 1);
    for (int a = 0; a < YSB_ADS; a++)
        per[t.campaign_of[a]]++;
    for (int c = 0; c < YSB_CAMPAIGNS; c++) {
        assert_int_equal(per[c], YSB_ADS_PER_CAMPAIGN);
        assert_int_equal(strlen(t.campaign_uuid[c]), YSB_UUID_LEN);
        for (int d = 0; d < c; d++)
            assert_string_not_equal(t.campaign_uuid[c], t.campaign_uuid[d]);
    }
    ysb_ads_init(&u, 1);
    assert_memory_equal(&t, &u, sizeof(t));
    ysb_ads_init(&u, 2);
    assert_true(memcmp(t.campaign_of, u.campaign_of, sizeof(t.campaign_of)) != 0);
    assert_string_not_equal(t.campaign_uuid[0], u.campaign_uuid[0]);
}

static void test_ad_uuids_map_back_to_their_ids(void **state)
{
    static ysb_ads t;
    char uuid[YSB_UUID_LEN];
    SG_UNUSED(state);
    ysb_ads_init(&t, 9);
    for (int a = 0; a < YSB_ADS; a++) {
        ysb_uuid(9, YSB_KIND_AD, (uint64_t)a, uuid);
        assert_int_equal(ysb_ads_find(&t, uuid, sizeof(uuid)), a);
    }
    ysb_uuid(9, YSB_KIND_AD, 0, uuid);
    assert_true(uuid[8] == '-' && uuid[13] == '-' && uuid[14] == '4' && uuid[18] == '-' &&
                uuid[23] == '-');
    assert_int_equal(ysb_ads_find(&t, uuid, sizeof(uuid) - 1), -1);
    ysb_uuid(8, YSB_KIND_AD, 0, uuid); /* another seed's ad */
    assert_int_equal(ysb_ads_find(&t, uuid, sizeof(uuid)), -1);
    ysb_uuid(9, YSB_KIND_CAMPAIGN, 0, uuid); /* a campaign is not an ad */
    assert_int_equal(ysb_ads_find(&t, uuid, sizeof(uuid)), -1);
}

static void test_json_line_holds_the_event(void **state)
{
    ysb_event ev = {.event_time = 1767225600123,
                    .ad = 17,
                    .ip = 0x0a000102,
                    .user_id = 3,
                    .page_id = 4,
                    .ad_type = 2,
                    .event_type = YSB_CLICK};
    char line[YSB_JSON_MAX], ad[YSB_UUID_LEN + 1] = {0}, want[YSB_JSON_MAX];
    SG_UNUSED(state);
    ysb_uuid(5, YSB_KIND_AD, 17, ad);
    size_t n = ysb_event_json(5, &ev, line, sizeof(line));
    assert_true(n < sizeof(line));
    assert_int_equal(strlen(line), n);
    snprintf(want, sizeof(want), "\"ad_id\":\"%s\",\"ad_type\":\"sponsored-search\"", ad);
    assert_non_null(strstr(line, want));
    assert_non_null(strstr(line, "\"event_type\":\"click\",\"event_time\":1767225600123,"
                                 "\"ip_address\":\"10.0.1.2\"}"));
    assert_true(ysb_event_json(5, &ev, line, 10) >= 10); /* cut, snprintf style */
}

static void check(const char *uri, int subtask, int parallelism, size_t k)
{
    char msg[512];
    if (sg__srun_check_split(&ysb_generator, uri, subtask, parallelism, k, msg, sizeof(msg)) < 0)
        fail_msg("%s", msg);
}

static void test_source_resumes_where_it_stopped(void **state)
{
    static const size_t splits[] = {0, 1, 2, 17, 99, 100, 101, 1000};
    SG_UNUSED(state);
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        check("gen:ysb?count=300&seed=3", 0, 1, splits[i]);
        for (int s = 0; s < 3; s++)
            check("gen:ysb?count=300&rate=50", s, 3, splits[i] / 3);
    }
}

/* Instance s of P emits exactly events s, s + P, ...: the records are those of the
 * pure function, in that order. */
static void test_source_instances_interleave(void **state)
{
    sg__srun *r;
    ysb_gen_config cfg;
    char want[256], *all = NULL;
    SG_UNUSED(state);
    ysb_gen_config_default(&cfg);
    assert_int_equal(
        sg__srun_new(&ysb_generator, "gen:ysb?count=10", 1, 4, SG_CHECKPOINT_NONE, NULL, NULL, &r),
        SG_OK);
    assert_int_equal(sg__srun_drain(r), SG_EOF);
    const char *out = sg__srun_output(r);
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3); /* events 1, 5, 9 */
    ysb_event ev;
    ysb_gen_event(&cfg, 5, &ev);
    int n = snprintf(want, sizeof(want), "%lld\t\t", (long long)ev.event_time);
    const unsigned char *b = (const unsigned char *)&ev;
    for (size_t i = 0; i < sizeof(ev); i++)
        n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", b[i]);
    all = strstr(out, want);
    if (!all)
        fail_msg("event 5 <%s> not in\n%s", want, out);
    sg__srun_free(r);
}

static void test_source_rejects_bad_parameters(void **state)
{
    sg__srun *r;
    SG_UNUSED(state);
    assert_int_equal(
        sg__srun_new(&ysb_generator, "gen:ysb?rate=0", 0, 1, SG_CHECKPOINT_NONE, NULL, NULL, &r),
        SG_EINVAL);
    assert_non_null(strstr(sg__srun_errmsg(r), "rate must be in 1..1e9"));
    sg__srun_free(r);
    assert_int_equal(sg__srun_new(&ysb_generator, "gen:ysb?colour=red", 0, 1, SG_CHECKPOINT_NONE,
                                  NULL, NULL, &r),
                     SG_EINVAL);
    sg__srun_free(r);
}

static void test_uri_seed(void **state)
{
    int64_t seed = -5;
    SG_UNUSED(state);
    assert_int_equal(ysb_uri_seed("gen:ysb?count=5&seed=77", &seed), SG_OK);
    assert_int_equal(seed, 77);
    assert_int_equal(ysb_uri_seed("gen:ysb?seed=8&count=5", &seed), SG_OK);
    assert_int_equal(seed, 8);
    assert_int_equal(ysb_uri_seed("gen:ysb?count=5", &seed), SG_NOTFOUND);
    assert_int_equal(ysb_uri_seed("file:x.jsonl", &seed), SG_NOTFOUND);
    assert_int_equal(ysb_uri_seed("gen:ysb?seed=x", &seed), SG_EINVAL);
    assert_int_equal(ysb_uri_seed("gen:ysb?seed=99999999999999999999", &seed), SG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_are_a_function_of_seed_and_seq),
        cmocka_unit_test(test_event_time_is_in_order_at_the_rate),
        cmocka_unit_test(test_fields_are_uniform_and_in_range),
        cmocka_unit_test(test_campaign_table_is_100_by_10_and_seeded),
        cmocka_unit_test(test_ad_uuids_map_back_to_their_ids),
        cmocka_unit_test(test_json_line_holds_the_event),
        cmocka_unit_test(test_source_resumes_where_it_stopped),
        cmocka_unit_test(test_source_instances_interleave),
        cmocka_unit_test(test_source_rejects_bad_parameters),
        cmocka_unit_test(test_uri_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
