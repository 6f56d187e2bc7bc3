/* The operators behind q5, q7 and q12 through the operator harness: the window
 * maximum (ties, a new maximum drops the old ties, extras, local against global
 * phase, late candidates, late extras against the kept maxima, snapshot and restore)
 * and q12's processing-time counts (a window fires when the fake clock reaches its
 * end - 1, the end of input writes the open windows, snapshot and restore). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/nexmark/nxb.h"

/* ---- Window maximum ----------------------------------------------------------------- */

static void push_cand(sg_harness *h, sg_time end, int64_t v, int member, int64_t id)
{
    char buf[sizeof(nxb_cand) + sizeof(id)];
    nxb_cand c = {.end = end, .v = v, .member = member};
    size_t len = nxb_cand_write(buf, &c, &id, sizeof(id));
    sg_bytes none = {0};
    assert_int_equal(sg_harness_process(h, 0, end - 1, none, (sg_bytes){buf, len}), SG_OK);
}

/* The ids emitted, in order, as a bit set (ids < 64), checking each ts and window. */
static uint64_t out_ids(sg_harness *h, sg_time end, sg_time ts)
{
    uint64_t ids = 0;
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        nxb_cand c;
        sg_bytes payload;
        assert_int_equal(nxb_cand_read(r->value, &c, &payload), SG_OK);
        assert_int_equal(c.end, end);
        assert_int_equal(r->ts, ts);
        ids |= 1ull << nxb_i64_at(payload, 0);
    }
    sg_harness_clear(h);
    return ids;
}

static void test_winmax_ties_and_new_maximum(void **state)
{
    static nxb_winmax_cfg cfg = {.lag = 0, .final = true};
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&nxb_winmax_global_op, &cfg, &h), SG_OK);
    push_cand(h, 10000, 3, 1, 1);
    push_cand(h, 10000, 5, 1, 2);
    push_cand(h, 10000, 5, 1, 3);
    push_cand(h, 20000, 4, 1, 9); /* another window */
    push_cand(h, 10000, 2, 1, 4);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    push_cand(h, 10000, 5, 1, 5);
    assert_int_equal(sg_harness_watermark(h, 9998), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 9999), SG_OK); /* end - 1 */
    assert_int_equal(out_ids(h, 10000, 9999), (1u << 2) | (1u << 3) | (1u << 5));
    push_cand(h, 10000, 9, 1, 6); /* its window has been written: late */
    assert_int_equal(sg_harness_late(h), 1);
    push_cand(h, 20000, 4, 1, 10);
    push_cand(h, 20000, 6, 1, 11); /* a new maximum: 9 and 10 no longer match */
    push_cand(h, 20000, 6, 1, 12);
    assert_int_equal(sg_harness_finish(h), SG_OK); /* the end of input writes the rest */
    assert_int_equal(out_ids(h, 20000, 19999), (1u << 11) | (1u << 12));
    sg_harness_free(h);
}

/* Extras (q7's bids at a window's end) never raise the maximum; the local phase
 * passes on those at or above it, the global one only those equal to it; a window
 * with extras only has no maximum: the global phase writes nothing, a local one
 * passes them all on (another instance may have its members). */
static void test_winmax_extras_local_and_global(void **state)
{
    static nxb_winmax_cfg local = {.lag = 1, .final = false}, global = {.lag = 1, .final = true};
    nxb_winmax_cfg *cfgs[] = {&local, &global};
    uint64_t want[] = {(1u << 1) | (1u << 2) | (1u << 3), (1u << 1) | (1u << 3)};
    (void)state;
    for (int i = 0; i < 2; i++) {
        sg_harness *h;
        assert_int_equal(sg_harness_new(&nxb_winmax_local_op, cfgs[i], &h), SG_OK);
        push_cand(h, 20000, 9, 0, 2); /* extra above the maximum to come */
        push_cand(h, 20000, 7, 1, 1); /* the only member */
        push_cand(h, 20000, 7, 0, 3); /* extra equal to it */
        push_cand(h, 20000, 3, 0, 4); /* extra below it */
        push_cand(h, 30000, 8, 0, 5); /* a window of extras only */
        assert_int_equal(sg_harness_watermark(h, 19999), SG_OK);
        assert_int_equal(sg_harness_count(h), 0); /* lag 1: complete at its end */
        assert_int_equal(sg_harness_watermark(h, 20000), SG_OK);
        assert_int_equal(out_ids(h, 20000, 20000), want[i]);
        assert_int_equal(sg_harness_watermark(h, 30000), SG_OK);
        assert_int_equal(out_ids(h, 30000, 30000), i == 0 ? 1u << 5 : 0);
        sg_harness_free(h);
    }
}

/* The ids of the records emitted, without checking their window or ts. */
static uint64_t any_ids(sg_harness *h)
{
    uint64_t ids = 0;
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        nxb_cand c;
        sg_bytes payload;
        assert_int_equal(nxb_cand_read(sg_harness_output(h, i)->value, &c, &payload), SG_OK);
        ids |= 1ull << nxb_i64_at(payload, 0);
    }
    sg_harness_clear(h);
    return ids;
}

/* Extras after their window was emitted (q7's late bids, a regular join's side): the
 * local phase passes each on at once; the global phase writes it at once when it
 * equals the window's kept maximum (kept across a snapshot), drops it otherwise, and
 * counts it late once the maximum is no longer kept. A late member is late. */
static void test_winmax_late_extras(void **state)
{
    static nxb_winmax_cfg local = {.lag = 1, .final = false};
    static nxb_winmax_cfg global = {.lag = 1, .final = true, .keep = 4};
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&nxb_winmax_local_op, &local, &h), SG_OK);
    push_cand(h, 10000, 5, 1, 1);
    assert_int_equal(sg_harness_watermark(h, 10000), SG_OK);
    assert_int_equal(any_ids(h), 1u << 1);
    push_cand(h, 10000, 3, 0, 2); /* below the local maximum: the global one may be 3 */
    push_cand(h, 10000, 7, 0, 3);
    assert_int_equal(any_ids(h), (1u << 2) | (1u << 3));
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);

    assert_int_equal(sg_harness_new(&nxb_winmax_global_op, &global, &h), SG_OK);
    push_cand(h, 10000, 5, 1, 1);
    push_cand(h, 20000, 6, 0, 9); /* extras only: no maximum, nothing kept */
    assert_int_equal(sg_harness_watermark(h, 20000), SG_OK);
    assert_int_equal(any_ids(h), 1u << 1);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    push_cand(h, 10000, 5, 0, 2); /* equal to the kept maximum: written now */
    push_cand(h, 10000, 4, 0, 3); /* below: dropped */
    push_cand(h, 10000, 6, 0, 4); /* above: dropped */
    push_cand(h, 20000, 6, 0, 5); /* its window had no maximum */
    assert_int_equal(any_ids(h), 1u << 2);
    assert_int_equal(sg_harness_late(h), 0);
    push_cand(h, 10000, 9, 1, 6); /* a member: late for the maximum */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(any_ids(h), 0);
    for (int w = 3; w <= 6; w++) /* four more windows: the oldest maxima are let go */
        push_cand(h, w * 10000, 1, 1, 10 + w);
    assert_int_equal(sg_harness_watermark(h, 60000), SG_OK);
    sg_harness_clear(h);
    push_cand(h, 10000, 5, 0, 7); /* its maximum is no longer kept: late */
    assert_int_equal(sg_harness_late(h), 2);
    push_cand(h, 60000, 1, 0, 8); /* the newest is kept */
    assert_int_equal(any_ids(h), 1u << 8);
    sg_harness_free(h);
}

/* ---- q12 ------------------------------------------------------------------------------ */

static void push_bid(sg_harness *h, int64_t bidder)
{
    nxb_bid b = {.auction = 1, .bidder = bidder, .price = 1};
    sg_bytes key = {&b.bidder, sizeof(b.bidder)};
    assert_int_equal(sg_harness_process(h, 0, 0, key, (sg_bytes){&b, sizeof(b)}), SG_OK);
}

static nxb_q12_row row_at(sg_harness *h, size_t i)
{
    nxb_q12_row r;
    const sg_record *rec = sg_harness_output(h, i);
    assert_non_null(rec);
    assert_int_equal(rec->value.len, sizeof(r));
    memcpy(&r, rec->value.data, sizeof(r));
    return r;
}

static void expect_row(sg_harness *h, size_t i, int64_t bidder, int64_t count, sg_time start)
{
    nxb_q12_row r = row_at(h, i);
    assert_int_equal(r.bidder, bidder);
    assert_int_equal(r.count, count);
    assert_int_equal(r.start, start);
    assert_int_equal(r.end, start + NXB_Q12_WINDOW_MS);
}

static void test_q12_processing_time_windows(void **state)
{
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&nxb_q12_op, NULL, &h), SG_OK);
    assert_int_equal(sg_harness_set_processing_time(h, 1000), SG_OK);
    push_bid(h, 1);
    push_bid(h, 1);
    push_bid(h, 2);
    assert_int_equal(sg_harness_watermark(h, 1000000), SG_OK); /* event time plays no part */
    assert_int_equal(sg_harness_set_processing_time(h, 9998), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_set_processing_time(h, 9999), SG_OK); /* end - 1 */
    assert_int_equal(sg_harness_count(h), 2);
    nxb_q12_row a = row_at(h, 0), b = row_at(h, 1);
    expect_row(h, a.bidder == 1 ? 0 : 1, 1, 2, 0);
    expect_row(h, b.bidder == 2 ? 1 : 0, 2, 1, 0);
    sg_harness_clear(h);

    assert_int_equal(sg_harness_set_processing_time(h, 12000), SG_OK);
    push_bid(h, 1);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK); /* the window and its timers */
    push_bid(h, 1);
    assert_int_equal(sg_harness_set_processing_time(h, 25000), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect_row(h, 0, 1, 2, 10000);
    sg_harness_clear(h);

    assert_int_equal(sg_harness_set_processing_time(h, 31000), SG_OK);
    push_bid(h, 2);
    push_bid(h, 3);
    assert_int_equal(sg_harness_finish(h), SG_OK); /* open windows are written at the end */
    assert_int_equal(sg_harness_count(h), 2);
    a = row_at(h, 0);
    expect_row(h, a.bidder == 2 ? 0 : 1, 2, 1, 30000);
    expect_row(h, a.bidder == 2 ? 1 : 0, 3, 1, 30000);
    sg_harness_free(h);
}

/* ---- q5's combiner ------------------------------------------------------------------ */

static void push_event(sg_harness *h, sg_nx_type type, int64_t auction, sg_time ts)
{
    sg_nx_event ev;
    char buf[512];
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.date_time = ts;
    if (type == SG_NX_BID)
        ev.bid = (sg_nx_bid){.auction = auction, .bidder = 7, .price = 1};
    else
        ev.person.id = auction;
    size_t len = sg_nx_encode(&ev, buf, sizeof(buf));
    assert_true(len > 0);
    sg_bytes none = {0};
    assert_int_equal(sg_harness_process(h, 0, ts, none, (sg_bytes){buf, len}), SG_OK);
}

static void expect_part(sg_harness *h, size_t i, int64_t auction, int64_t count, sg_time ts)
{
    const sg_record *r = sg_harness_output(h, i);
    nxb_q5_part p;
    assert_int_equal(r->value.len, sizeof(p));
    memcpy(&p, r->value.data, sizeof(p));
    assert_int_equal(p.auction, auction);
    assert_int_equal(p.count, count);
    assert_int_equal(r->ts, ts);
}

/* Bids are counted per (auction, 2 s pane) and a pane goes out when the watermark
 * reaches its end - 1; a bid late for its pane's first window goes out at once; the
 * counts held survive a snapshot; persons are dropped. */
static void test_q5_combine(void **state)
{
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&nxb_q5_combine_op, NULL, &h), SG_OK);
    push_event(h, SG_NX_BID, 1, 100);
    push_event(h, SG_NX_BID, 2, 1500);
    push_event(h, SG_NX_PERSON, 5, 1600);
    push_event(h, SG_NX_BID, 1, 1999);
    push_event(h, SG_NX_BID, 1, 2000); /* the next pane */
    push_event(h, SG_NX_BID, 1, 500);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    assert_int_equal(sg_harness_watermark(h, 1998), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 1999), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    int64_t first = nxb_i64_at(sg_harness_output(h, 0)->value, 0);
    expect_part(h, first == 1 ? 0 : 1, 1, 3, 1999);
    expect_part(h, first == 1 ? 1 : 0, 2, 1, 1999);
    sg_harness_clear(h);
    push_event(h, SG_NX_BID, 3, 1000); /* its pane [0, 2000) has fired */
    assert_int_equal(sg_harness_count(h), 1);
    expect_part(h, 0, 3, 1, 1000);
    sg_harness_clear(h);
    assert_int_equal(sg_harness_watermark(h, SG_TIME_MAX), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect_part(h, 0, 1, 1, 3999);
    sg_harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_winmax_ties_and_new_maximum),
        cmocka_unit_test(test_q5_combine),
        cmocka_unit_test(test_winmax_extras_local_and_global),
        cmocka_unit_test(test_winmax_late_extras),
        cmocka_unit_test(test_q12_processing_time_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
