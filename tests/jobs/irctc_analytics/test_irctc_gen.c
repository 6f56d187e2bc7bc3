/* test_irctc_gen.c — the irctc_analytics booking generator (irgen.h): the same bytes
 * for the same (config, seq) in any order, lines with the nine fields that pass the
 * job's checks (but for the deliberate bad records), trains and classes from the
 * capacity file, bounded disorder, and the distributions the generator promises:
 * statuses, the tatkal surge, festival travel, cancellations of earlier PNRs, tout
 * bookings and a small share of bad records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "jobs/irctc_analytics/irctc.h"
#include "jobs/irctc_analytics/irgen.h"

#define MINUTE_MS INT64_C(60000)

static ir_gen_config config(uint64_t seed, int64_t rate, int64_t disorder)
{
    ir_gen_config cfg = {seed, IR_GEN_START_MS, rate, disorder};
    assert_int_equal(ir_gen_check(&cfg), SG_OK);
    return cfg;
}

/* The nine fields of a generated line, split in place. */
typedef struct fields {
    char buf[IR_GEN_LINE_MAX];
    const char *f[9];
    int64_t ts;
} fields;

static void split(const ir_gen_config *cfg, uint64_t seq, fields *out)
{
    size_t len = ir_gen_line(cfg, seq, out->buf, sizeof(out->buf));
    assert_true(len < sizeof(out->buf));
    assert_int_equal(out->buf[len], '\0');
    int n = 0;
    char *p = out->buf;
    out->f[n++] = p;
    while ((p = strchr(p, ',')) != NULL) {
        *p++ = '\0';
        assert_true(n < 9);
        out->f[n++] = p;
    }
    assert_int_equal(n, 9);
    out->ts = strtoll(out->f[0], NULL, 10);
    assert_int_equal(out->ts, ir_gen_ts(cfg, seq));
}

static bool is_int(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whether the line passes every check of the decoder; capacity 'cap' may be NULL. */
static bool line_is_good(const fields *l, const ir_capacity *cap)
{
    int cls = ir_class_parse(l->f[5], strlen(l->f[5]));
    int64_t seats = is_int(l->f[6]) ? strtoll(l->f[6], NULL, 10) : -1;
    return strlen(l->f[1]) == 10 && is_int(l->f[1]) && cls >= 0 && seats >= 1 &&
           seats <= IR_SEATS_MAX && is_int(l->f[7]) &&
           ir_status_parse(l->f[8], strlen(l->f[8])) >= 0 && strcmp(l->f[3], l->f[4]) != 0 &&
           (!cap || ir_capacity_find(cap, l->f[2], strlen(l->f[2]), cls) > 0);
}

static bool tatkal_ac(int64_t ts)
{
    int64_t tod = (ts + 330 * MINUTE_MS) % (1440 * MINUTE_MS);
    return tod >= 600 * MINUTE_MS && tod < 615 * MINUTE_MS;
}

/* ---- Determinism ---------------------------------------------------------------------- */

static void test_same_seq_gives_same_bytes_in_any_order(void **state)
{
    SG_UNUSED(state);
    enum { N = 500 };
    static char fwd[N][IR_GEN_LINE_MAX];
    char line[IR_GEN_LINE_MAX];
    ir_gen_config cfg = config(42, 100, 3000);
    for (uint64_t seq = 0; seq < N; seq++)
        ir_gen_line(&cfg, seq, fwd[seq], IR_GEN_LINE_MAX);
    for (uint64_t i = N; i-- > 0;) {
        uint64_t seq = (i * 7919) % N; /* a permutation of 0..N-1 */
        ir_gen_line(&cfg, seq, line, sizeof(line));
        assert_string_equal(line, fwd[seq]);
    }
    ir_gen_config other = config(43, 100, 3000);
    int same = 0;
    for (uint64_t seq = 0; seq < N; seq++) {
        ir_gen_line(&other, seq, line, sizeof(line));
        same += strcmp(line, fwd[seq]) == 0;
    }
    assert_true(same < 5); /* another seed, other bookings */
}

static void test_short_buffer_reports_the_needed_length(void **state)
{
    SG_UNUSED(state);
    ir_gen_config cfg = config(7, 100, 0);
    char full[IR_GEN_LINE_MAX], part[8];
    size_t len = ir_gen_line(&cfg, 3, full, sizeof(full));
    memset(part, 'x', sizeof(part));
    assert_int_equal(ir_gen_line(&cfg, 3, part, sizeof(part)), len);
    assert_true(len > sizeof(part));
    assert_int_equal(part[0], 'x'); /* nothing half-written */
}

static void test_config_ranges_are_checked(void **state)
{
    SG_UNUSED(state);
    ir_gen_config bad[] = {
        {1, 0, 0, 0},          {1, 0, 1000000001, 0}, {1, 0, 1, -1},
        {1, 0, 1, 1000000001}, {1, -1, 1, 0},         {1, INT64_C(4000000000000000001), 1, 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ir_gen_check(&bad[i]), SG_EINVAL);
}

/* ---- Content --------------------------------------------------------------------------- */

static void test_lines_are_valid_and_match_the_capacity_file(void **state)
{
    SG_UNUSED(state);
    char err[512];
    ir_capacity *cap = NULL;
    if (ir_capacity_load("jobs/irctc_analytics/capacity.csv", &cap, err, sizeof(err)) != SG_OK)
        fail_msg("%s", err);
    ir_gen_config cfg = config(42, 100, 3000);
    fields l;
    int bad = 0, n = 40000;
    for (uint64_t seq = 0; seq < (uint64_t)n; seq++) {
        split(&cfg, seq, &l);
        if (!line_is_good(&l, cap))
            bad++;
    }
    /* About 0.2 % bad records on purpose (21 in 10000), and nothing else bad. */
    assert_in_range(bad, n / 1000, n / 200);
    ir_capacity_free(cap);
}

static void test_event_time_advances_at_rate_with_bounded_disorder(void **state)
{
    SG_UNUSED(state);
    ir_gen_config cfg = config(1, 50, 4000);
    int late = 0;
    for (uint64_t seq = 0; seq < 20000; seq++) {
        int64_t nominal = IR_GEN_START_MS + (int64_t)(seq * 1000 / 50);
        int64_t ts = ir_gen_ts(&cfg, seq);
        assert_in_range(ts, nominal - 4000, nominal);
        late += ts < nominal;
    }
    assert_in_range(late, 9000, 11000); /* about half are late */
    ir_gen_config calm = config(1, 50, 0);
    for (uint64_t seq = 0; seq < 1000; seq++)
        assert_int_equal(ir_gen_ts(&calm, seq), IR_GEN_START_MS + (int64_t)(seq * 20));
}

/* Shares over the first 3 hours at 10 bookings/s, from 09:30 IST: the AC tatkal
 * window 10:00-10:15 must look different from the rest. */
static void test_statuses_tatkal_and_festival_travel(void **state)
{
    SG_UNUSED(state);
    ir_gen_config cfg = config(42, 10, 0);
    int n[2] = {0}, ac[2] = {0}, wl[2] = {0}, cancel[2] = {0}, six[2] = {0}, bihar = 0;
    fields l;
    for (uint64_t seq = 0; seq < 108000; seq++) {
        split(&cfg, seq, &l);
        if (!line_is_good(&l, NULL))
            continue;
        int t = tatkal_ac(l.ts), cls = ir_class_parse(l.f[5], 2);
        n[t]++;
        ac[t] += cls == IR_3A || cls == IR_2A || cls == IR_1A || cls == IR_CC;
        wl[t] += strcmp(l.f[8], "WAITLISTED") == 0;
        cancel[t] += strcmp(l.f[8], "CANCELLED") == 0;
        six[t] += strcmp(l.f[6], "6") == 0;
        bihar += strcmp(l.f[2], "12565") == 0; /* Bihar Sampark Kranti */
    }
    assert_in_range(n[1], 8500, 9500); /* 15 minutes of 3 hours */
    /* Outside tatkal: about 78 % booked, 12 % waitlisted, 10 % cancelled. */
    assert_in_range(wl[0] * 1000 / n[0], 100, 140);
    assert_in_range(cancel[0] * 1000 / n[0], 85, 115);
    /* In the AC tatkal rush: mostly AC classes, far more waitlisting. */
    assert_true(ac[1] * 100 / n[1] >= 85);
    assert_true(ac[1] * 100 / n[1] > ac[0] * 100 / n[0] + 15);
    assert_true(wl[1] * 100 / n[1] >= 30);
    /* Tout bulk bookings make 6-seat bookings more common in the rush. */
    assert_true(six[1] * 1000 / n[1] > six[0] * 1000 / n[0] + 15);
    /* A festival train gets twice its weight: 16 of about 205 weight units. */
    assert_in_range(bihar * 1000 / (n[0] + n[1]), 55, 100);
}

/* A generated line reduced to what a cancellation must repeat. */
typedef struct gen_row {
    char pnr[11];
    char what[48]; /* train, stations, class, seats, fare */
    uint32_t seq;
    bool cancel;
} gen_row;

static int cmp_pnr_seq(const void *a, const void *b)
{
    const gen_row *x = a, *y = b;
    int c = strcmp(x->pnr, y->pnr);
    return c != 0 ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void test_cancellations_cancel_an_earlier_booking(void **state)
{
    SG_UNUSED(state);
    enum { N = 60000 };
    ir_gen_config cfg = config(5, 100, 0);
    gen_row *rows = calloc(N, sizeof(*rows));
    fields l;
    int cancels = 0, found = 0, matched = 0;
    assert_non_null(rows);
    for (uint32_t seq = 0; seq < N; seq++) {
        split(&cfg, seq, &l);
        gen_row *r = &rows[seq];
        r->seq = seq;
        snprintf(r->pnr, sizeof(r->pnr), "%s", l.f[1]);
        snprintf(r->what, sizeof(r->what), "%s %s %s %s %s %s", l.f[2], l.f[3], l.f[4], l.f[5],
                 l.f[6], l.f[7]);
        r->cancel = strcmp(l.f[8], "CANCELLED") == 0 && line_is_good(&l, NULL);
    }
    qsort(rows, N, sizeof(*rows), cmp_pnr_seq); /* a PNR's lines together, in seq order */
    for (size_t i = 0; i < N; i++) {
        if (!rows[i].cancel)
            continue;
        cancels++;
        /* The line before, of the same PNR, is the booking, or an earlier cancellation
         * of it. There is none when the booking's own line was a cancellation of
         * something else (about one in ten). */
        if (i > 0 && strcmp(rows[i - 1].pnr, rows[i].pnr) == 0) {
            found++;
            assert_true(rows[i].seq - rows[i - 1].seq <= 20000);
            matched += strcmp(rows[i - 1].what, rows[i].what) == 0;
        }
    }
    assert_true(cancels > 4000);
    assert_true(found * 100 / cancels >= 85);
    assert_true(matched * 1000 / found >= 995); /* a bad record may have altered one */
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seq_gives_same_bytes_in_any_order),
        cmocka_unit_test(test_short_buffer_reports_the_needed_length),
        cmocka_unit_test(test_config_ranges_are_checked),
        cmocka_unit_test(test_lines_are_valid_and_match_the_capacity_file),
        cmocka_unit_test(test_event_time_advances_at_rate_with_bounded_disorder),
        cmocka_unit_test(test_statuses_tatkal_and_festival_travel),
        cmocka_unit_test(test_cancellations_cancel_an_earlier_booking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
