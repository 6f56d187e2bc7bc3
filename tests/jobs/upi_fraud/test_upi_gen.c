/* test_upi_gen.c — the UPI payment and login generator (jobs/upi_fraud/upigen.h):
 * the same bytes for the same parameters in any call order, valid JSON lines with every
 * field of the job's input, bounded disorder, the festival-sale surge, a small share of
 * fraud of every kind, logins for most honest payments and none on a fraudster's device,
 * and the snprintf-style buffer contract. Lines are checked with jansson, a strict parser
 * independent of the engine's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <sangam/sangam.h>

#include "jobs/upi_fraud/upigen.h"

static upi_gen_config config(uint64_t seed, int64_t rate, int64_t disorder, int64_t payers)
{
    upi_gen_config cfg = {seed, UPI_GEN_START_MS, rate, disorder, payers};
    assert_int_equal(upi_gen_check(&cfg), 0);
    return cfg;
}

static void test_same_parameters_same_bytes_in_any_order(void **state)
{
    upi_gen_config cfg = config(7, 1000, 3000, 1000), other = config(8, 1000, 3000, 1000);
    char a[UPI_GEN_LINE_MAX], b[UPI_GEN_LINE_MAX];
    SG_UNUSED(state);
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t seq = (i * 7919) % 2000; /* out of order */
        size_t la = upi_gen_txn_line(&cfg, seq, a, sizeof(a));
        size_t lb = upi_gen_txn_line(&cfg, seq, b, sizeof(b));
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        la = upi_gen_login_line(&cfg, seq, a, sizeof(a));
        assert_int_equal(la, upi_gen_login_line(&cfg, seq, b, sizeof(b)));
        assert_memory_equal(a, b, la);
    }
    size_t same = 0;
    for (uint64_t seq = 0; seq < 100; seq++) {
        size_t la = upi_gen_txn_line(&cfg, seq, a, sizeof(a));
        size_t lb = upi_gen_txn_line(&other, seq, b, sizeof(b));
        same += la == lb && memcmp(a, b, la) == 0;
    }
    assert_true(same < 5); /* another seed, other payments */
}

static void check_txn_line(const char *line, size_t len, const upi_gen_txn *t)
{
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        fail_msg("invalid JSON (%s): %.*s", err.text, (int)len, line);
    assert_int_equal(json_object_size(root), 7);
    assert_true(json_is_integer(json_object_get(root, "ts")));
    assert_int_equal(json_integer_value(json_object_get(root, "ts")), t->ts);
    assert_true(json_integer_value(json_object_get(root, "amount_paise")) > 0);
    static const char *const strs[] = {"txn_id", "payer", "payee", "device", "city"};
    for (size_t i = 0; i < 5; i++) {
        const char *s = json_string_value(json_object_get(root, strs[i]));
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
    assert_non_null(strchr(json_string_value(json_object_get(root, "payer")), '@'));
    assert_non_null(strchr(json_string_value(json_object_get(root, "payee")), '@'));
    json_decref(root);
}

static void test_lines_are_valid_json_with_every_field(void **state)
{
    upi_gen_config cfg = config(42, 1000, 3000, 200000);
    char line[UPI_GEN_LINE_MAX];
    upi_gen_txn t;
    SG_UNUSED(state);
    for (uint64_t seq = 0; seq < 20000; seq++) {
        upi_gen_txn_at(&cfg, seq, &t);
        size_t len = upi_gen_txn_line(&cfg, seq, line, sizeof(line));
        assert_true(len < sizeof(line));
        check_txn_line(line, len, &t);
        len = upi_gen_login_line(&cfg, seq, line, sizeof(line));
        assert_int_equal(len > 0, t.has_login);
        if (len == 0)
            continue;
        json_error_t err;
        json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
        assert_non_null(root);
        assert_int_equal(json_object_size(root), 3);
        assert_int_equal(json_integer_value(json_object_get(root, "ts")), t.login_ts);
        assert_string_equal(json_string_value(json_object_get(root, "payer")), t.payer);
        assert_string_equal(json_string_value(json_object_get(root, "device")), t.login_device);
        json_decref(root);
    }
}

static void test_event_time_follows_the_rate_with_bounded_disorder(void **state)
{
    upi_gen_config cfg = config(3, 100, 2000, 1000);
    upi_gen_txn t;
    int64_t max_ts = INT64_MIN;
    size_t behind = 0;
    SG_UNUSED(state);
    for (uint64_t seq = 0; seq < 50000; seq++) {
        upi_gen_txn_at(&cfg, seq, &t);
        /* Outside the first sale (90000 payments in 15 minutes), 10 ms apart. */
        int64_t base = UPI_GEN_START_MS + (int64_t)seq * 10;
        assert_true(t.ts <= base && t.ts >= base - 2000);
        behind += t.ts < max_ts;
        max_ts = t.ts > max_ts ? t.ts : max_ts;
        assert_true(max_ts - t.ts <= 2000); /* never later than the disorder allows */
    }
    assert_true(behind > 10000); /* out of order often */
    cfg.max_disorder_ms = 0;
    for (uint64_t seq = 1; seq < 1000; seq++) {
        upi_gen_txn prev;
        upi_gen_txn_at(&cfg, seq - 1, &prev);
        upi_gen_txn_at(&cfg, seq, &t);
        assert_int_equal(t.ts - prev.ts, 10);
    }
}

static void test_sale_surge_triples_the_rate_and_fills_baskets(void **state)
{
    /* At 1 payment a second: 900 in 15 minutes, then 900 in the 5-minute sale. */
    upi_gen_config cfg = config(11, 1, 0, 5000);
    upi_gen_txn t;
    size_t shop[2] = {0, 0}, n[2] = {0, 0};
    SG_UNUSED(state);
    for (uint64_t seq = 0; seq < 3600; seq++) {
        upi_gen_txn_at(&cfg, seq, &t);
        uint64_t i = seq % 1800;
        assert_int_equal(t.sale, i >= 900);
        int64_t off = i < 900 ? (int64_t)i * 1000 : 900000 + (int64_t)(i - 900) * 1000 / 3;
        assert_int_equal(t.ts, UPI_GEN_START_MS + (int64_t)(seq / 1800) * 1200000 + off);
        bool ecommerce = strstr("flipkart@axisbank amazonpay@apl myntra@icici meesho@ybl "
                                "ajio@hdfcbank nykaa@ybl tatacliq@hdfcbank croma@icici",
                                t.payee) != NULL;
        shop[t.sale] += ecommerce && t.kind == UPI_GEN_NORMAL;
        n[t.sale] += t.kind == UPI_GEN_NORMAL;
    }
    assert_int_equal(shop[0], 0);
    assert_true(shop[1] * 100 > n[1] * 40); /* about half in the sale */
}

static void test_fraud_is_a_small_share_of_every_kind(void **state)
{
    upi_gen_config cfg = config(42, 1000, 3000, 200000);
    upi_gen_txn t, prev = {0};
    size_t kinds[5] = {0}, fraud = 0, honest = 0, honest_login = 0, n = 200000;
    SG_UNUSED(state);
    for (uint64_t seq = 0; seq < n; seq++) {
        upi_gen_txn_at(&cfg, seq, &t);
        kinds[t.kind]++;
        fraud += t.fraud;
        if (t.fraud) {
            /* A fraudster's device never logged in; the victim may have, on their own. */
            assert_string_not_equal(t.device, t.login_device);
        } else {
            honest++;
            honest_login += t.has_login;
            if (t.has_login) { /* two minutes (and jitter) before, on the same device */
                assert_string_equal(t.device, t.login_device);
                assert_true(t.login_ts <= t.ts && t.ts - t.login_ts <= 600000);
            }
        }
        if (t.kind == UPI_GEN_BURST && prev.kind == UPI_GEN_BURST && seq % 64 != 0)
            assert_string_equal(t.payer, prev.payer); /* one victim per burst */
        if (t.kind == UPI_GEN_CITY_JUMP && !t.fraud) {
            upi_gen_txn next;
            upi_gen_txn_at(&cfg, seq + 1, &next);
            assert_true(next.fraud);
            assert_string_equal(next.payer, t.payer);
            assert_string_not_equal(next.city, t.city);
        }
        prev = t;
    }
    assert_true(fraud * 1000 > n * 5 && fraud * 100 < n * 5); /* 0.5% to 5% */
    for (int k = UPI_GEN_BURST; k <= UPI_GEN_BIG_AMOUNT; k++)
        assert_true(kinds[k] > 100);
    assert_true(honest_login * 100 > honest * 94 && honest_login * 100 < honest * 98);
}

static void test_buffer_contract_is_snprintf_style(void **state)
{
    upi_gen_config cfg = config(1, 10, 0, 10);
    char full[UPI_GEN_LINE_MAX], small[16];
    SG_UNUSED(state);
    size_t len = upi_gen_txn_line(&cfg, 5, full, sizeof(full));
    assert_int_equal(upi_gen_txn_line(&cfg, 5, small, sizeof(small)), len);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, full, sizeof(small) - 1);
}

static void test_out_of_range_parameters_are_refused(void **state)
{
    upi_gen_config ok = {1, UPI_GEN_START_MS, 1000, 3000, 100}, bad;
    SG_UNUSED(state);
    assert_int_equal(upi_gen_check(&ok), 0);
    bad = ok, bad.rate = 0;
    assert_int_equal(upi_gen_check(&bad), -1);
    bad = ok, bad.rate = 1000001;
    assert_int_equal(upi_gen_check(&bad), -1);
    bad = ok, bad.max_disorder_ms = -1;
    assert_int_equal(upi_gen_check(&bad), -1);
    bad = ok, bad.payers = 0;
    assert_int_equal(upi_gen_check(&bad), -1);
    bad = ok, bad.start_ms = -1;
    assert_int_equal(upi_gen_check(&bad), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_parameters_same_bytes_in_any_order),
        cmocka_unit_test(test_lines_are_valid_json_with_every_field),
        cmocka_unit_test(test_event_time_follows_the_rate_with_bounded_disorder),
        cmocka_unit_test(test_sale_surge_triples_the_rate_and_fills_baskets),
        cmocka_unit_test(test_fraud_is_a_small_share_of_every_kind),
        cmocka_unit_test(test_buffer_contract_is_snprintf_style),
        cmocka_unit_test(test_out_of_range_parameters_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
