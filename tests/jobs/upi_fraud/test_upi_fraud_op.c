/* test_upi_fraud_op.c — the upi_fraud scoring operator (jobs/upi_fraud/fraud_op.c)
 * through the operator harness: transactions wait for the watermark and are scored in
 * event-time order, equal timestamps in input order; late transactions and logins are
 * counted and dropped; the login interval join at its bounds; the alert threshold; the
 * profile's and the logins' cleanup timers re-armed and fired without changing what
 * features see; payers kept apart; the same output on both state backends and after a
 * snapshot and restore mid-stream.
 *
 * Tests marked BOTH run on RocksDB and on the heap backend. Allocations go through
 * cmocka's test allocator, so a leak fails the test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/upi_fraud/upi.h"

#define DAY INT64_C(86400000)

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

/* ---- Helpers -------------------------------------------------------------------------------- */

static bool on_rocksdb = false, on_heap = true; /* the tests' prestates */

/* A model whose score is 0.5 for everything (z = 0), unless a test sets weights. */
static upi_config config(bool with_logins)
{
    upi_config cfg = {.threshold = 0.5, .with_logins = with_logins};
    return cfg;
}

static sg_harness *start(void **state, const upi_config *cfg)
{
    sg_harness *h = NULL;
    bool heap = *(const bool *)*state;
    const sg_operator_def *def = cfg->with_logins ? &upi_fraud_op2 : &upi_fraud_op;
    void *udata = (void *)(uintptr_t)cfg; /* the operator only reads it */
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(def, udata, &h), SG_OK);
    return h;
}

/* A payment: payer pays payee from device in city. */
static void pay(sg_harness *h, const char *id, sg_time ts, const char *payer, const char *payee,
                const char *device, const char *city, int64_t amount)
{
    upi_txn t = {
        .ts = ts,
        .amount_paise = amount,
        .txn_id = sg_bytes_str(id),
        .payer = sg_bytes_str(payer),
        .payee = sg_bytes_str(payee),
        .device = sg_bytes_str(device),
        .city = sg_bytes_str(city),
    };
    unsigned char buf[256];
    assert_true(upi_txn_size(&t) <= sizeof(buf));
    upi_txn_write(&t, buf);
    sg_bytes value = {buf, upi_txn_size(&t)};
    assert_int_equal(sg_harness_process(h, 0, ts, t.payer, value), SG_OK);
}

/* Shorthand: ravi pays Rs 1 to shop from d1 in Pune. */
static void pay_ravi(sg_harness *h, const char *id, sg_time ts)
{
    pay(h, id, ts, "ravi@okaxis", "shop@ybl", "d1", "Pune", 100);
}

static void login(sg_harness *h, sg_time ts, const char *payer, const char *device)
{
    upi_login l = {.ts = ts, .payer = sg_bytes_str(payer), .device = sg_bytes_str(device)};
    unsigned char buf[128];
    upi_login_write(&l, buf);
    sg_bytes value = {buf, upi_login_size(&l)};
    assert_int_equal(sg_harness_process(h, 1, ts, l.payer, value), SG_OK);
}

static void watermark(sg_harness *h, sg_time wm)
{
    assert_int_equal(sg_harness_watermark(h, wm), SG_OK);
}

/* Output i as "ts id payer velocity amount new_device new_payee city_jump no_login alert",
 * in a buffer that the next call reuses; *score gets the score when not NULL. */
static const char *row(const sg_harness *h, size_t i, double *score)
{
    static char buf[256];
    const sg_record *r = sg_harness_output(h, i);
    upi_scored s;
    assert_non_null(r);
    assert_true(r->value.len >= sizeof(s));
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->value.len, sizeof(s) + s.txn_id_len);
    snprintf(buf, sizeof(buf), "%lld %.*s %.*s %lld %lld %lld %lld %lld %lld %lld",
             (long long)r->ts, (int)s.txn_id_len, (const char *)r->value.data + sizeof(s),
             (int)r->key.len, (const char *)r->key.data, (long long)s.velocity_60s,
             (long long)s.amount_5m_paise, (long long)s.new_device, (long long)s.new_payee,
             (long long)s.city_jump, (long long)s.no_login, (long long)s.alert);
    if (score)
        *score = s.score;
    return buf;
}

/* ---- Ordering -----------------------------------------------------------------------------------
 */

static void test_payments_wait_for_the_watermark_and_go_in_event_time_order(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "C", 3000);
    pay_ravi(h, "A", 1000);
    pay_ravi(h, "B", 2000);
    watermark(h, 999);
    assert_int_equal(sg_harness_count(h), 0); /* nothing is scored before its ts */
    watermark(h, 2000);
    assert_int_equal(sg_harness_count(h), 2);
    /* A first although it came second; B sees A, as velocity and amount show. */
    assert_string_equal(row(h, 0, NULL), "1000 A ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "2000 B ravi@okaxis 2 200 0 0 0 0 1");
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_string_equal(row(h, 2, NULL), "3000 C ravi@okaxis 3 300 0 0 0 0 1");
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

static void test_equal_timestamps_go_in_input_order(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay(h, "X", 5000, "ravi@okaxis", "a@ybl", "d1", "Pune", 1);
    pay(h, "Y", 5000, "ravi@okaxis", "b@ybl", "d1", "Delhi", 2);
    pay(h, "Z", 5000, "ravi@okaxis", "a@ybl", "d2", "Delhi", 4);
    pay(h, "W", 4000, "ravi@okaxis", "a@ybl", "d1", "Pune", 8);
    watermark(h, 5000);
    assert_int_equal(sg_harness_count(h), 4);
    /* W (4000) first. X at 5000: W is earlier, same payee and device. Y: another city,
     * 0 ms after X: a jump; its payee is new. Z sees X and Y (not itself twice): a@ybl
     * known, d2 new, Delhi as Y. */
    assert_string_equal(row(h, 0, NULL), "4000 W ravi@okaxis 1 8 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "5000 X ravi@okaxis 2 9 0 0 0 0 1");
    assert_string_equal(row(h, 2, NULL), "5000 Y ravi@okaxis 3 11 0 1 1 0 1");
    assert_string_equal(row(h, 3, NULL), "5000 Z ravi@okaxis 4 15 1 0 0 0 1");
    sg_harness_free(h);
}

static void test_late_payments_are_counted_and_not_scored(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "A", 1000);
    watermark(h, 5000);
    pay_ravi(h, "late", 5000); /* at the watermark: late */
    pay_ravi(h, "late2", 10);
    pay_ravi(h, "B", 5001);
    assert_int_equal(sg_harness_late(h), 2);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    /* The late ones never entered the profile: B counts only A, 4 s earlier. */
    assert_string_equal(row(h, 1, NULL), "5001 B ravi@okaxis 2 200 0 0 0 0 1");
    sg_harness_free(h);
}

static void test_payers_are_scored_apart(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay(h, "A", 1000, "ravi@okaxis", "x@ybl", "d1", "Pune", 100);
    pay(h, "B", 1000, "sita@oksbi", "x@ybl", "d1", "Delhi", 100);
    pay(h, "C", 1001, "sita@oksbi", "x@ybl", "d1", "Delhi", 100);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    /* Equal timers fire in the order set: ravi's 1000 before sita's. Sita's payee and
     * device are new to her although ravi used them; no jump across payers. */
    assert_string_equal(row(h, 0, NULL), "1000 A ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "1000 B sita@oksbi 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 2, NULL), "1001 C sita@oksbi 2 200 0 0 0 0 1");
    sg_harness_free(h);
}

/* ---- Logins
 * -------------------------------------------------------------------------------------- */

static void test_login_in_the_10_minutes_up_to_the_payment_on_its_device(void **state)
{
    upi_config cfg = config(true);
    sg_harness *h = start(state, &cfg);
    login(h, 1000000, "ravi@okaxis", "d1");
    login(h, 1600002, "ravi@okaxis", "d1"); /* after every payment below */
    pay(h, "edge", 1600000, "ravi@okaxis", "a@ybl", "d1", "Pune", 1);  /* 600000 after: in */
    pay(h, "old", 1600001, "ravi@okaxis", "a@ybl", "d1", "Pune", 1);   /* 600001: out */
    pay(h, "other", 1600001, "ravi@okaxis", "a@ybl", "d2", "Pune", 1); /* another device */
    pay(h, "same", 1600002, "ravi@okaxis", "a@ybl", "d1", "Pune", 1);  /* the login's ts */
    pay(h, "nobody", 1600002, "sita@oksbi", "a@ybl", "d1", "Pune", 1); /* another payer */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    assert_string_equal(row(h, 0, NULL), "1600000 edge ravi@okaxis 1 1 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "1600001 old ravi@okaxis 2 2 0 0 0 1 1");
    assert_string_equal(row(h, 2, NULL), "1600001 other ravi@okaxis 3 3 1 0 0 1 1");
    assert_string_equal(row(h, 3, NULL), "1600002 same ravi@okaxis 4 4 0 0 0 0 1");
    assert_string_equal(row(h, 4, NULL), "1600002 nobody sita@oksbi 1 1 1 1 0 1 1");
    sg_harness_free(h);
}

static void test_late_logins_are_counted_and_ignored(void **state)
{
    upi_config cfg = config(true);
    sg_harness *h = start(state, &cfg);
    watermark(h, 10000);
    login(h, 10000, "ravi@okaxis", "d1"); /* at the watermark: late */
    pay_ravi(h, "A", 10001);
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_string_equal(row(h, 0, NULL), "10001 A ravi@okaxis 1 100 1 1 0 1 1");
    sg_harness_free(h);
}

static void test_logins_expire_by_timer_while_the_payer_is_idle(void **state)
{
    upi_config cfg = config(true);
    sg_harness *h = start(state, &cfg);
    /* Logins only, spread over an hour: their cleanup timer fires and re-arms. */
    for (sg_time ts = 0; ts <= 3600000; ts += 300000)
        login(h, ts, "ravi@okaxis", "d1");
    watermark(h, 3600000);
    assert_int_equal(sg_harness_count(h), 0);
    /* The logins of the last 10 minutes still count; older ones do not. */
    pay_ravi(h, "A", 4200000); /* the login at 3600000 is 600000 before: in */
    pay(h, "B", 4200001, "ravi@okaxis", "shop@ybl", "d1", "Pune", 100);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_string_equal(row(h, 0, NULL), "4200000 A ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "4200001 B ravi@okaxis 2 200 0 0 0 1 1");
    sg_harness_free(h);
}

static void test_without_logins_no_login_is_zero(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "A", 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_string_equal(row(h, 0, NULL), "1 A ravi@okaxis 1 100 1 1 0 0 1");
    sg_harness_free(h);
}

/* ---- Score and alert
 * ------------------------------------------------------------------------------- */

static void test_alert_when_the_unrounded_score_reaches_the_threshold(void **state)
{
    upi_config cfg = config(true);
    double score;
    /* z = -1 + 0.5 * min(v, 10) + 1 * no_login */
    cfg.model.bias = -1.0;
    cfg.model.w[UPI_F_VELOCITY] = 0.5;
    cfg.model.w[UPI_F_NO_LOGIN] = 1.0;
    cfg.threshold = 1.0 / (1.0 + exp(-0.5)); /* z = 0.5 exactly */
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "A", 1); /* z = -1 + 0.5 + 1 = 0.5: alert */
    login(h, 2, "ravi@okaxis", "d1");
    pay_ravi(h, "B", 2); /* z = -1 + 1 + 0 = 0: no alert */
    pay_ravi(h, "C", 3); /* z = -1 + 1.5 + 0 = 0.5: alert */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_string_equal(row(h, 0, &score), "1 A ravi@okaxis 1 100 1 1 0 1 1");
    assert_true(score == cfg.threshold);
    assert_string_equal(row(h, 1, &score), "2 B ravi@okaxis 2 200 0 0 0 0 0");
    assert_true(score == 0.5);
    assert_string_equal(row(h, 2, NULL), "3 C ravi@okaxis 3 300 0 0 0 0 1");
    sg_harness_free(h);
}

/* ---- Expiry
 * ------------------------------------------------------------------------------------------ */

static void test_profile_timer_rearms_and_expiry_keeps_features_exact(void **state)
{
    upi_config cfg = config(false);
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "A", 0);
    pay_ravi(h, "B", 20 * DAY);
    watermark(h, 20 * DAY);
    /* The profile's timer at 30 days finds B 10 days old: it waits until 50 days. */
    watermark(h, 30 * DAY);
    pay_ravi(h, "C", 45 * DAY); /* d1 and shop were used 25 days ago: known */
    watermark(h, 45 * DAY);
    /* At 75 days (30 after C) the profile is dropped; a payment then finds nothing. */
    watermark(h, 75 * DAY);
    pay_ravi(h, "D", 75 * DAY + 1);
    pay_ravi(h, "E", 75 * DAY + 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 5);
    assert_string_equal(row(h, 0, NULL), "0 A ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 1, NULL), "1728000000 B ravi@okaxis 1 100 0 0 0 0 1");
    assert_string_equal(row(h, 2, NULL), "3888000000 C ravi@okaxis 1 100 0 0 0 0 1");
    assert_string_equal(row(h, 3, NULL), "6480000001 D ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 4, NULL), "6480000001 E ravi@okaxis 2 200 0 0 0 0 1");
    sg_harness_free(h);
}

static void test_event_times_near_int64_limits(void **state)
{
    upi_config cfg = config(true);
    sg_harness *h = start(state, &cfg);
    pay_ravi(h, "min", SG_TIME_MIN + 1);
    login(h, SG_TIME_MAX - 5, "ravi@okaxis", "d1");
    pay_ravi(h, "max", SG_TIME_MAX - 1);
    pay_ravi(h, "top", SG_TIME_MAX);
    assert_int_equal(sg_harness_finish(h), SG_OK); /* timers saturate at SG_TIME_MAX */
    assert_int_equal(sg_harness_count(h), 3);
    assert_string_equal(row(h, 0, NULL), "-9223372036854775807 min ravi@okaxis 1 100 1 1 0 1 1");
    assert_string_equal(row(h, 1, NULL), "9223372036854775806 max ravi@okaxis 1 100 1 1 0 0 1");
    assert_string_equal(row(h, 2, NULL), "9223372036854775807 top ravi@okaxis 2 200 0 0 0 0 1");
    sg_harness_free(h);
}

/* ---- Backends and restore
 * ------------------------------------------------------------------------------ */

/* A pseudo-random stream of payments, logins and watermarks over 12 payers; returns the
 * output as one string. With restore_at >= 0 the operator is snapshotted and restored
 * before that step. */
static char *run_mixed(bool heap, int restore_at)
{
    upi_config cfg = config(true);
    cfg.model.bias = -3.0;
    cfg.model.w[UPI_F_VELOCITY] = 0.3;
    cfg.model.w[UPI_F_NO_LOGIN] = 2.0;
    cfg.model.w[UPI_F_CITY_JUMP] = 1.0;
    void *st = heap ? &on_heap : &on_rocksdb;
    sg_harness *h = start(&st, &cfg);
    static const char *const cities[] = {"Pune", "Delhi", "Kochi"};
    uint64_t x = 12345;
    sg_time wm = 0;
    for (int i = 0; i < 3000; i++) {
        char payer[16], payee[16], device[8], id[16];
        x = x * 6364136223846793005u + 1442695040888963407u;
        snprintf(payer, sizeof(payer), "p%u@ybl", (unsigned)(x >> 33) % 12);
        snprintf(payee, sizeof(payee), "q%u@ybl", (unsigned)(x >> 40) % 5);
        snprintf(device, sizeof(device), "d%u", (unsigned)(x >> 45) % 3);
        snprintf(id, sizeof(id), "T%d", i);
        if (i == restore_at) {
            /* The watermark is not part of a snapshot (as in Flink): after a restart the
             * inputs announce it again, if they had (the first comes after step 39). */
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
            if (i >= 40)
                watermark(h, wm);
        }
        sg_time ts = wm + (sg_time)((x >> 20) % 200000) - 20000; /* some late */
        if ((x >> 50) % 3 == 0)
            login(h, ts, payer, device);
        else
            pay(h, id, ts, payer, payee, device, cities[(x >> 55) % 3], (int64_t)(x >> 52) + 1);
        if (i % 40 == 39)
            watermark(h, wm += 30000);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_true(sg_harness_late(h) > 0);
    size_t n = sg_harness_count(h), len = 0;
    assert_true(n > 1000);
    char *s = test_malloc(n * 96 + 1);
    for (size_t i = 0; i < n; i++) {
        double score;
        const char *r = row(h, i, &score);
        len += (size_t)sprintf(s + len, "%s %.6f\n", r, score);
    }
    sg_harness_free(h);
    return s;
}

/* Like assert_string_equal, but names the first line that differs (cmocka cuts long
 * strings short). */
static void assert_same_lines(const char *want, const char *got)
{
    size_t line = 1;
    const char *w = want, *g = got;
    for (; *w && *w == *g; w++, g++)
        line += *w == '\n';
    if (*w || *g) {
        while (w > want && w[-1] != '\n')
            w--, g--;
        fail_msg("line %zu differs:\n  want %.*s\n  got  %.*s", line, (int)strcspn(w, "\n"), w,
                 (int)strcspn(g, "\n"), g);
    }
}

static void test_both_backends_give_the_same_output(void **state)
{
    SG_UNUSED(state);
    char *rocks = run_mixed(false, -1), *heap = run_mixed(true, -1);
    assert_same_lines(rocks, heap);
    test_free(rocks);
    test_free(heap);
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    SG_UNUSED(state);
    char *whole = run_mixed(false, -1);
    for (int at = 1; at < 3000; at += 1111) {
        char *restored = run_mixed(false, at);
        assert_same_lines(whole, restored);
        test_free(restored);
    }
    test_free(whole);
}

/* Each test on RocksDB, then on the heap backend. */
#define ON(f, backend)                                                                             \
    {                                                                                              \
        .name = #f "/" #backend, .test_func = f, .initial_state = &on_##backend                    \
    }
#define BOTH(f) ON(f, rocksdb), ON(f, heap)

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        BOTH(test_payments_wait_for_the_watermark_and_go_in_event_time_order),
        BOTH(test_equal_timestamps_go_in_input_order),
        BOTH(test_late_payments_are_counted_and_not_scored),
        BOTH(test_payers_are_scored_apart),
        BOTH(test_login_in_the_10_minutes_up_to_the_payment_on_its_device),
        BOTH(test_late_logins_are_counted_and_ignored),
        BOTH(test_logins_expire_by_timer_while_the_payer_is_idle),
        BOTH(test_without_logins_no_login_is_zero),
        BOTH(test_alert_when_the_unrounded_score_reaches_the_threshold),
        BOTH(test_profile_timer_rearms_and_expiry_keeps_features_exact),
        BOTH(test_event_times_near_int64_limits),
        cmocka_unit_test(test_both_backends_give_the_same_output),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
