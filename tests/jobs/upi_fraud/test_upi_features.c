/* test_upi_features.c — the upi_fraud features as pure functions (jobs/upi_fraud/profile.h)
 * and the records that carry transactions and logins (record.c): every feature at its
 * exact boundaries (60 s and 5 min exclusive, 30 days, 600000 ms for city_jump and for
 * logins, both ends of the login interval included), equal timestamps in input order,
 * pruning that keeps a profile small, saturating sums, and malformed bytes refused.
 *
 * Expected values are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/upi_fraud/profile.h"

#define DAY INT64_C(86400000)

/* A payer's profile as the operator keeps it: bytes, replaced after every update. */
typedef struct payer {
    unsigned char *bytes;
    size_t len;
} payer;

static upi_txn txn(int64_t ts, const char *payee, const char *device, const char *city,
                   int64_t amount)
{
    upi_txn t = {
        .ts = ts,
        .amount_paise = amount,
        .txn_id = sg_bytes_str("T"),
        .payer = sg_bytes_str("ravi@okaxis"),
        .payee = sg_bytes_str(payee),
        .device = sg_bytes_str(device),
        .city = sg_bytes_str(city),
    };
    return t;
}

/* Scores t against p's profile and replaces the profile with the updated one. */
static upi_features pay(payer *p, upi_txn t)
{
    upi_features f;
    sg_bytes old = {p->bytes, p->len};
    unsigned char *out = malloc(upi_profile_bound(p->len, &t));
    assert_non_null(out);
    size_t len = upi_profile_update(old, &t, &f, out);
    assert_true(len > 0);
    assert_true(len <= upi_profile_bound(p->len, &t));
    free(p->bytes);
    p->bytes = out;
    p->len = len;
    return f;
}

static void forget(payer *p)
{
    free(p->bytes);
    p->bytes = NULL;
    p->len = 0;
}

/* Shorthand: a payment of Rs 100 to "shop" from "d1" in Pune. */
static upi_features pay_at(payer *p, int64_t ts)
{
    return pay(p, txn(ts, "shop@ybl", "d1", "Pune", 10000));
}

/* ---- velocity_60s and amount_5m_paise ------------------------------------------------------ */

static void test_first_payment_counts_itself(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    upi_features f = pay(&p, txn(1000, "a@ybl", "d1", "Pune", 2500));
    assert_int_equal(f.velocity_60s, 1);
    assert_int_equal(f.amount_5m_paise, 2500);
    assert_int_equal(f.new_device, 1);
    assert_int_equal(f.new_payee, 1);
    assert_int_equal(f.city_jump, 0); /* no previous payment */
    assert_int_equal(f.no_login, 0);  /* left for the login set */
    forget(&p);
}

static void test_velocity_window_excludes_exactly_60s_earlier(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay_at(&p, 0);
    pay_at(&p, 1);
    /* At 60000: ts > 0 is needed, so 0 is out, 1 is in: 1 and itself. */
    assert_int_equal(pay_at(&p, 60000).velocity_60s, 2);
    /* At 60001: 1 is out (60001 - 60000 = 1 is not > 1), 60000 is in. */
    assert_int_equal(pay_at(&p, 60001).velocity_60s, 2);
    forget(&p);
}

static void test_amount_window_excludes_exactly_5_minutes_earlier(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "a@ybl", "d1", "Pune", 100));
    pay(&p, txn(200000, "a@ybl", "d1", "Pune", 20));
    /* At 300000: 0 is out (not > 0), 200000 is in: 20 + 3. Velocity: 200000 is 100 s
     * earlier, out of the minute. */
    upi_features f = pay(&p, txn(300000, "a@ybl", "d1", "Pune", 3));
    assert_int_equal(f.amount_5m_paise, 23);
    assert_int_equal(f.velocity_60s, 1);
    /* At 299999 + 200000 = 499999: 200000 in (> 199999), 300000 in. */
    f = pay(&p, txn(499999, "a@ybl", "d1", "Pune", 1));
    assert_int_equal(f.amount_5m_paise, 24);
    forget(&p);
}

static void test_equal_timestamps_count_only_those_before_in_input_order(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    /* Three payments at ts 5000, scored in input order: each sees the ones before it. */
    upi_features a = pay(&p, txn(5000, "a@ybl", "d1", "Pune", 100));
    upi_features b = pay(&p, txn(5000, "b@ybl", "d1", "Pune", 200));
    upi_features c = pay(&p, txn(5000, "a@ybl", "d1", "Pune", 400));
    assert_int_equal(a.velocity_60s, 1);
    assert_int_equal(b.velocity_60s, 2);
    assert_int_equal(c.velocity_60s, 3);
    assert_int_equal(a.amount_5m_paise, 100);
    assert_int_equal(b.amount_5m_paise, 300);
    assert_int_equal(c.amount_5m_paise, 700);
    /* The same ts is 0 ms earlier: b's device is known from a, c's payee too. */
    assert_int_equal(b.new_device, 0);
    assert_int_equal(b.new_payee, 1);
    assert_int_equal(c.new_payee, 0);
    forget(&p);
}

static void test_amount_sum_saturates(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "a@ybl", "d1", "Pune", INT64_MAX - 5));
    assert_int_equal(pay(&p, txn(1, "a@ybl", "d1", "Pune", 10)).amount_5m_paise, INT64_MAX);
    forget(&p);
}

/* ---- new_device and new_payee ------------------------------------------------------------- */

static void test_device_and_payee_are_new_again_after_30_days(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "mom@okicici", "d1", "Pune", 100));
    /* 30 days less 1 ms later: still known (difference < 2592000000). */
    upi_features f = pay(&p, txn(30 * DAY - 1, "mom@okicici", "d1", "Pune", 100));
    assert_int_equal(f.new_device, 0);
    assert_int_equal(f.new_payee, 0);
    /* Exactly 30 days after that: new again. */
    f = pay(&p, txn(60 * DAY - 1, "mom@okicici", "d1", "Pune", 100));
    assert_int_equal(f.new_device, 1);
    assert_int_equal(f.new_payee, 1);
    forget(&p);
}

static void test_last_use_refreshes_a_device(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "a@ybl", "d1", "Pune", 100));
    pay(&p, txn(20 * DAY, "b@ybl", "d1", "Pune", 100));
    /* d1 was used 20 days ago (and 40): known. a@ybl was paid 40 days ago: new. */
    upi_features f = pay(&p, txn(40 * DAY, "a@ybl", "d1", "Pune", 100));
    assert_int_equal(f.new_device, 0);
    assert_int_equal(f.new_payee, 1);
    forget(&p);
}

static void test_a_device_name_is_not_a_payee(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "x", "y", "Pune", 100));
    upi_features f = pay(&p, txn(1, "y", "x", "Pune", 100));
    assert_int_equal(f.new_device, 1);
    assert_int_equal(f.new_payee, 1);
    forget(&p);
}

/* ---- city_jump ------------------------------------------------------------------------------ */

static void test_city_jump_within_10_minutes_of_the_previous_payment(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "a@ybl", "d1", "Pune", 100));
    /* 599999 ms later, another city: a jump. */
    assert_int_equal(pay(&p, txn(599999, "a@ybl", "d1", "Delhi", 100)).city_jump, 1);
    /* Exactly 600000 after Delhi: not less than 600000, no jump. */
    assert_int_equal(pay(&p, txn(1199999, "a@ybl", "d1", "Mumbai", 100)).city_jump, 0);
    /* Only the previous payment counts: Mumbai then Mumbai is no jump. */
    assert_int_equal(pay(&p, txn(1200000, "a@ybl", "d1", "Mumbai", 100)).city_jump, 0);
    /* Equal ts, another city: 0 ms apart is a jump. */
    assert_int_equal(pay(&p, txn(1200000, "a@ybl", "d1", "Pune", 100)).city_jump, 1);
    forget(&p);
}

static void test_city_names_compare_exactly(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay(&p, txn(0, "a@ybl", "d1", "Pune", 100));
    assert_int_equal(pay(&p, txn(1, "a@ybl", "d1", "pune", 100)).city_jump, 1);
    assert_int_equal(pay(&p, txn(2, "a@ybl", "d1", "Pune ", 100)).city_jump, 1);
    forget(&p);
}

/* ---- Bounded profiles ------------------------------------------------------------------------ */

static void test_profile_keeps_only_what_features_need(void **state)
{
    payer p = {0};
    char payee[32];
    SG_UNUSED(state);
    /* 200 payments a second apart to 200 payees: all kept while within reach. */
    for (int i = 0; i < 200; i++) {
        snprintf(payee, sizeof(payee), "p%d@ybl", i);
        pay(&p, txn(i * 1000, payee, "d1", "Pune", 100));
    }
    size_t busy = p.len;
    /* 31 days later one payment: everything else is out of every span. */
    upi_features f = pay(&p, txn(31 * DAY, "p0@ybl", "d1", "Pune", 100));
    assert_int_equal(f.velocity_60s, 1);
    assert_int_equal(f.amount_5m_paise, 100);
    assert_int_equal(f.new_payee, 1);
    assert_true(p.len < busy / 10);
    int64_t last = 0;
    assert_true(upi_profile_last_ts((sg_bytes){p.bytes, p.len}, &last));
    assert_int_equal(last, 31 * DAY);
    forget(&p);
}

static void test_extreme_timestamps_do_not_overflow(void **state)
{
    payer p = {0};
    SG_UNUSED(state);
    pay_at(&p, INT64_MIN + 1);
    /* Far apart: nothing in any window, no jump, device and payee new. */
    upi_features f = pay(&p, txn(INT64_MAX, "shop@ybl", "d1", "Delhi", 10000));
    assert_int_equal(f.velocity_60s, 1);
    assert_int_equal(f.city_jump, 0);
    assert_int_equal(f.new_device, 1);
    forget(&p);
}

static void test_malformed_profile_is_refused(void **state)
{
    payer p = {0};
    upi_features f;
    unsigned char out[512];
    SG_UNUSED(state);
    pay_at(&p, 0);
    pay(&p, txn(1, "b@ybl", "d2", "Pune", 100));
    upi_txn t = txn(2, "a@ybl", "d1", "Pune", 100);
    assert_true(upi_profile_bound(p.len, &t) <= sizeof(out));
    for (size_t cut = 1; cut < p.len; cut++) /* every truncation */
        assert_int_equal(upi_profile_update((sg_bytes){p.bytes, cut}, &t, &f, out), 0);
    p.bytes[0] = 9; /* an unknown version */
    assert_int_equal(upi_profile_update((sg_bytes){p.bytes, p.len}, &t, &f, out), 0);
    int64_t last;
    assert_false(upi_profile_last_ts((sg_bytes){p.bytes, p.len}, &last));
    forget(&p);
}

/* ---- Logins ------------------------------------------------------------------------------------
 */

typedef struct logins {
    unsigned char *bytes;
    size_t len;
} logins;

static void login(logins *l, int64_t ts, const char *device)
{
    unsigned char *out = malloc(upi_logins_bound(l->len, strlen(device)));
    assert_non_null(out);
    size_t len = upi_logins_add((sg_bytes){l->bytes, l->len}, ts, sg_bytes_str(device), out);
    assert_true(len > 0);
    free(l->bytes);
    l->bytes = out;
    l->len = len;
}

static int none(const logins *l, int64_t at, const char *device)
{
    return upi_logins_none((sg_bytes){l->bytes, l->len}, at, sg_bytes_str(device));
}

static void test_login_interval_includes_both_ends(void **state)
{
    logins l = {0};
    SG_UNUSED(state);
    assert_int_equal(none(&l, 0, "d1"), 1); /* no logins at all */
    login(&l, 1000000, "d1");
    assert_int_equal(none(&l, 1000000, "d1"), 0); /* at t.ts itself */
    assert_int_equal(none(&l, 1600000, "d1"), 0); /* exactly 600000 before */
    assert_int_equal(none(&l, 1600001, "d1"), 1); /* 600001 before: too old */
    assert_int_equal(none(&l, 999999, "d1"), 1);  /* after the payment: does not count */
    assert_int_equal(none(&l, 1000000, "d2"), 1); /* another device */
    free(l.bytes);
}

static void test_login_set_keeps_one_copy_and_prunes(void **state)
{
    logins l = {0};
    uint32_t n;
    int64_t min_ts;
    SG_UNUSED(state);
    login(&l, 100, "d1");
    size_t one = l.len;
    login(&l, 100, "d1"); /* the same login again */
    assert_int_equal(l.len, one);
    login(&l, 100, "d2");
    login(&l, 700000, "d1");
    unsigned char *out = malloc(l.len);
    assert_non_null(out);
    /* A payment at 600100 may need logins from 100 on: all three stay. */
    size_t len = upi_logins_prune((sg_bytes){l.bytes, l.len}, 600100, out, &n, &min_ts);
    assert_int_equal(len, l.len);
    assert_int_equal(n, 3);
    assert_int_equal(min_ts, 100);
    /* From 600101 on, the two at 100 are out of reach. */
    len = upi_logins_prune((sg_bytes){l.bytes, l.len}, 600101, out, &n, &min_ts);
    assert_int_equal(n, 1);
    assert_int_equal(min_ts, 700000);
    assert_int_equal(upi_logins_none((sg_bytes){out, len}, 700000, sg_bytes_str("d1")), 0);
    free(out);
    free(l.bytes);
}

static void test_malformed_login_set_is_refused(void **state)
{
    logins l = {0};
    unsigned char out[256];
    uint32_t n;
    int64_t min_ts;
    SG_UNUSED(state);
    login(&l, 5, "device-1");
    for (size_t cut = 1; cut < l.len; cut++) {
        sg_bytes b = {l.bytes, cut};
        assert_int_equal(upi_logins_none(b, 5, sg_bytes_str("device-1")), -1);
        assert_int_equal(upi_logins_add(b, 6, sg_bytes_str("d"), out), 0);
        assert_int_equal(upi_logins_prune(b, 6, out, &n, &min_ts), 0);
    }
    free(l.bytes);
}

/* ---- Records -----------------------------------------------------------------------------------
 */

static void test_records_round_trip_and_refuse_bad_bytes(void **state)
{
    unsigned char buf[256];
    SG_UNUSED(state);
    upi_txn t = txn(-7, "मित्र@ybl", "", "Kochi", 1), r;
    t.txn_id = sg_bytes_str("UPI1");
    assert_true(upi_txn_size(&t) <= sizeof(buf));
    upi_txn_write(&t, buf);
    assert_true(upi_txn_read((sg_bytes){buf, upi_txn_size(&t)}, &r));
    assert_int_equal(r.ts, -7);
    assert_int_equal(r.amount_paise, 1);
    assert_int_equal(r.payee.len, t.payee.len);
    assert_memory_equal(r.payee.data, t.payee.data, t.payee.len);
    assert_int_equal(r.device.len, 0);
    assert_memory_equal(r.city.data, "Kochi", 5);
    assert_memory_equal(r.txn_id.data, "UPI1", 4);
    for (size_t cut = 0; cut < upi_txn_size(&t); cut++)
        assert_false(upi_txn_read((sg_bytes){buf, cut}, &r));

    upi_login l = {.ts = 42, .payer = sg_bytes_str("ravi@okaxis"), .device = sg_bytes_str("d9")}, m;
    upi_login_write(&l, buf);
    assert_true(upi_login_read((sg_bytes){buf, upi_login_size(&l)}, &m));
    assert_int_equal(m.ts, 42);
    assert_memory_equal(m.payer.data, "ravi@okaxis", 11);
    assert_memory_equal(m.device.data, "d9", 2);
    assert_false(upi_login_read((sg_bytes){buf, upi_login_size(&l) + 1}, &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_payment_counts_itself),
        cmocka_unit_test(test_velocity_window_excludes_exactly_60s_earlier),
        cmocka_unit_test(test_amount_window_excludes_exactly_5_minutes_earlier),
        cmocka_unit_test(test_equal_timestamps_count_only_those_before_in_input_order),
        cmocka_unit_test(test_amount_sum_saturates),
        cmocka_unit_test(test_device_and_payee_are_new_again_after_30_days),
        cmocka_unit_test(test_last_use_refreshes_a_device),
        cmocka_unit_test(test_a_device_name_is_not_a_payee),
        cmocka_unit_test(test_city_jump_within_10_minutes_of_the_previous_payment),
        cmocka_unit_test(test_city_names_compare_exactly),
        cmocka_unit_test(test_profile_keeps_only_what_features_need),
        cmocka_unit_test(test_extreme_timestamps_do_not_overflow),
        cmocka_unit_test(test_malformed_profile_is_refused),
        cmocka_unit_test(test_login_interval_includes_both_ends),
        cmocka_unit_test(test_login_set_keeps_one_copy_and_prunes),
        cmocka_unit_test(test_malformed_login_set_is_refused),
        cmocka_unit_test(test_records_round_trip_and_refuse_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
