/* q5, q7, q11 and q12 run whole, through the runtime, at parallelism 1 and 2: the
 * query's own build function on events made with sg_nx_encode (a test generator),
 * CSV written by the real file sink. The rows are compared, as sorted multisets, with
 * a brute-force reading of the query's SQL (ties, BETWEEN bounds, touching sessions),
 * on hand-made edge cases and on pseudo-random bids whose disorder stays within the
 * watermark delay (so nothing is late and SQL's answer is exact). Late bids and q12's
 * timing-dependent rows have cases of their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/job.h"
#include "engine/runtime.h"
#include "jobs/nexmark/nxb.h"

#define T0 1700000000000LL /* a multiple of 10 s */
#define MAX_EVENTS 4096

/* ---- Events -------------------------------------------------------------------- */

static sg_nx_event events[MAX_EVENTS];
static char extras[MAX_EVENTS][16];
static size_t n_events;

static void add_bid(int64_t auction, int64_t bidder, int64_t price, sg_time ts)
{
    assert_true(n_events < MAX_EVENTS);
    sg_nx_event *e = &events[n_events];
    memset(e, 0, sizeof(*e));
    e->type = SG_NX_BID;
    e->date_time = ts;
    snprintf(extras[n_events], sizeof(extras[0]), "x%zu", n_events);
    e->extra = sg_bytes_str(extras[n_events]);
    e->bid = (sg_nx_bid){.auction = auction,
                         .bidder = bidder,
                         .price = price,
                         .channel = sg_bytes_str("web"),
                         .url = sg_bytes_str("http://u")};
    n_events++;
}

static void add_person(int64_t id, sg_time ts)
{
    sg_nx_event *e = &events[n_events++];
    memset(e, 0, sizeof(*e));
    e->type = SG_NX_PERSON;
    e->date_time = ts;
    e->person.id = id;
    e->person.name = sg_bytes_str("p");
}

typedef struct test_source {
    size_t i;
} test_source;

static int test_poll(sg_ctx *ctx, void *self, size_t budget)
{
    test_source *s = self;
    char buf[512];
    for (; budget > 0 && s->i < n_events; budget--, s->i++) {
        size_t len = sg_nx_encode(&events[s->i], buf, sizeof(buf));
        assert_true(len > 0);
        sg_bytes none = {0};
        int rc = sg_emit(ctx, events[s->i].date_time, none, (sg_bytes){buf, len});
        if (rc < 0)
            return rc;
    }
    return s->i < n_events ? SG_OK : SG_EOF;
}

static const sg_source_def test_source_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "nxbtest",
    .self_size = sizeof(test_source),
    .poll = test_poll,
};

/* ---- Rows ------------------------------------------------------------------------ */

typedef struct rows {
    char **v;
    size_t n, cap;
} rows;

static void rows_add(rows *r, const char *line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, r->cap * sizeof(*r->v));
        assert_non_null(r->v);
    }
    r->v[r->n] = strdup(line);
    assert_non_null(r->v[r->n]);
    r->n++;
}

static void rows_addf(rows *r, const char *fmt, ...) SG_PRINTF(2, 3);
static void rows_addf(rows *r, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    rows_add(r, line);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static void rows_expect_equal(rows *got, rows *want)
{
    qsort(got->v, got->n, sizeof(*got->v), cmp_str);
    qsort(want->v, want->n, sizeof(*want->v), cmp_str);
    for (size_t i = 0; i < got->n && i < want->n; i++)
        if (strcmp(got->v[i], want->v[i]) != 0)
            fail_msg("row %zu: got '%s', want '%s'", i, got->v[i], want->v[i]);
    assert_int_equal(got->n, want->n);
}

/* ---- Running a query ------------------------------------------------------------ */

/* Runs query q on the events; its rows (header checked, then dropped) into *out, and
 * the late count. */
static uint64_t run_query(const nx_query *q, int parallelism, const char *header, rows *out)
{
    char path[] = "/tmp/nxb_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char uri[64];
    snprintf(uri, sizeof(uri), "file:%s", path);
    nx_options o = {.query = q->name, .input = "gen:nxbtest", .output = uri, .max_delay_ms = 4000};

    sg_job *job = sg__job_new(parallelism, 2);
    assert_int_equal(sg_job_register_generator(job, "nxbtest", &test_source_def), SG_OK);
    sg_stream *ev = sg_stream_watermarks(sg_job_source(job, "events", o.input, NULL), 4000);
    assert_int_equal(q->build(job, ev, &o), SG_OK);
    char err[512] = "";
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("%s failed: %s", q->name, err);
    sg__job_free(job);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof(line), f));
    line[strcspn(line, "\n")] = 0;
    assert_string_equal(line, header);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        rows_add(out, line);
    }
    fclose(f);
    unlink(path);
    return st.late;
}

static void check_query(const nx_query *q, const char *header, rows *want)
{
    for (int p = 1; p <= 2; p++) {
        rows got = {0};
        uint64_t late = run_query(q, p, header, &got);
        assert_int_equal(late, 0);
        rows_expect_equal(&got, want);
        rows_free(&got);
    }
}

/* ---- SQL, by brute force --------------------------------------------------------- */

static int64_t floor_to(int64_t t, int64_t m)
{
    return t - ((t % m) + m) % m;
}

/* q5: HOP(2 s, 10 s) counts per auction, the auctions at each window's maximum. */
static void sql_q5(rows *out)
{
    typedef struct {
        int64_t start, auction, n;
    } cnt;
    cnt *c = calloc(5 * MAX_EVENTS, sizeof(*c));
    size_t nc = 0;
    for (size_t i = 0; i < n_events; i++) {
        if (events[i].type != SG_NX_BID)
            continue;
        for (int k = 0; k < 5; k++) {
            int64_t s = floor_to(events[i].date_time, 2000) - k * 2000, a = events[i].bid.auction;
            size_t j = 0;
            while (j < nc && !(c[j].start == s && c[j].auction == a))
                j++;
            if (j == nc)
                c[nc++] = (cnt){s, a, 0};
            c[j].n++;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        int64_t max = 0;
        for (size_t j = 0; j < nc; j++)
            if (c[j].start == c[i].start && c[j].n > max)
                max = c[j].n;
        if (c[i].n == max)
            rows_addf(out, "%lld,%lld", (long long)c[i].auction, (long long)c[i].n);
    }
    free(c);
}

/* q7: per tumbling 10 s window the max price; every bid with that price and
 * end - 10 s <= dateTime <= end (SELECT auction, price, bidder, dateTime, extra).
 * Nothing may be late here (the maximum would leave late bids out). */
static void sql_q7(rows *out)
{
    for (size_t w = 0; w < n_events; w++) {
        if (events[w].type != SG_NX_BID)
            continue;
        int64_t end = floor_to(events[w].date_time, 10000) + 10000, max = INT64_MIN;
        bool first = true;
        for (size_t i = 0; i < n_events; i++) /* one output per window: its first bid */
            if (events[i].type == SG_NX_BID &&
                floor_to(events[i].date_time, 10000) + 10000 == end) {
                if (i < w)
                    first = false;
                if (events[i].bid.price > max)
                    max = events[i].bid.price;
            }
        if (!first)
            continue;
        for (size_t i = 0; i < n_events; i++) {
            const sg_nx_event *b = &events[i];
            if (b->type == SG_NX_BID && b->bid.price == max && b->date_time >= end - 10000 &&
                b->date_time <= end)
                rows_addf(out, "%lld,%lld,%lld,%lld,%s", (long long)b->bid.auction,
                          (long long)b->bid.price, (long long)b->bid.bidder,
                          (long long)b->date_time, extras[i]);
        }
    }
}

static int cmp_ts(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* q11: per bidder, sessions with a 10 s gap (a bid at last + 10 s joins). */
static void sql_q11(rows *out)
{
    int64_t *ts = malloc(MAX_EVENTS * sizeof(*ts));
    for (size_t i = 0; i < n_events; i++) {
        if (events[i].type != SG_NX_BID)
            continue;
        int64_t bidder = events[i].bid.bidder;
        size_t n = 0;
        bool first = true;
        for (size_t j = 0; j < n_events; j++)
            if (events[j].type == SG_NX_BID && events[j].bid.bidder == bidder) {
                first = first && j >= i;
                ts[n++] = events[j].date_time;
            }
        if (!first)
            continue;
        qsort(ts, n, sizeof(*ts), cmp_ts);
        for (size_t a = 0; a < n;) {
            size_t b = a + 1;
            while (b < n && ts[b] <= ts[b - 1] + 10000)
                b++;
            rows_addf(out, "%lld,%zu,%lld,%lld", (long long)bidder, b - a, (long long)ts[a],
                      (long long)(ts[b - 1] + 10000));
            a = b;
        }
    }
    free(ts);
}

/* ---- Edge cases ------------------------------------------------------------------- */

static int reset(void **state)
{
    (void)state;
    n_events = 0;
    return 0;
}

/* q5: two auctions tie for the maximum in some windows, a third has fewer bids; bids
 * sit on pane and window bounds; persons are ignored. */
static void test_q5_ties_and_bounds(void **state)
{
    (void)state;
    add_person(1, T0);
    add_bid(1, 7, 10, T0);
    add_bid(2, 7, 10, T0 + 1999);
    add_bid(1, 7, 10, T0 + 2000);
    add_bid(2, 7, 10, T0 + 2000);
    add_bid(3, 7, 10, T0 + 9999);
    add_bid(3, 7, 10, T0 + 10000);
    add_bid(3, 7, 10, T0 + 11999);
    add_bid(1, 7, 10, T0 + 12000);
    rows want = {0};
    sql_q5(&want);
    /* Window [T0, T0 + 10 s): auctions 1 and 2 tie with 2 bids. */
    size_t ties = 0;
    for (size_t i = 0; i < want.n; i++)
        ties += strcmp(want.v[i], "1,2") == 0 || strcmp(want.v[i], "2,2") == 0;
    assert_true(ties >= 2);
    check_query(&nx_q5, "auction,num", &want);
    rows_free(&want);
}

/* q7: BETWEEN includes both ends. A bid exactly at a window's end belongs to the next
 * window and also matches the window ending there when its price equals that
 * window's maximum (written twice when it is the maximum of both); ties all match. */
static void test_q7_between_bounds_and_ties(void **state)
{
    (void)state;
    add_bid(1, 1, 50, T0);         /* start of [T0, T0+10s) */
    add_bid(2, 2, 80, T0 + 4000);  /* the max of [T0, T0+10s) */
    add_bid(3, 3, 80, T0 + 9999);  /* ties it */
    add_bid(4, 4, 80, T0 + 10000); /* at its end: matches it, and is the max of the next */
    add_bid(5, 5, 70, T0 + 19999); /* below */
    add_bid(6, 6, 30, T0 + 20000); /* at [T0+10s, T0+20s)'s end, below its max */
    add_bid(7, 7, 30, T0 + 30000); /* window [T0+20s, T0+30s)'s max is 30 */
    add_person(9, T0 + 45000);
    rows want = {0}, got = {0};
    sql_q7(&want);
    rows_add(&got, "2,80,2,1700000004000,x1");
    rows_add(&got, "3,80,3,1700000009999,x2");
    rows_add(&got, "4,80,4,1700000010000,x3"); /* window ending T0+10s */
    rows_add(&got, "4,80,4,1700000010000,x3"); /* its own window */
    rows_add(&got, "6,30,6,1700000020000,x5");
    rows_add(&got, "7,30,7,1700000030000,x6"); /* matches the window ending there */
    rows_add(&got, "7,30,7,1700000030000,x6"); /* and its own */
    rows_expect_equal(&got, &want);            /* the brute force reads the SQL so */
    check_query(&nx_q7, "auction,price,bidder,dateTime,extra", &want);
    rows_free(&want);
    rows_free(&got);
}

/* q11: a bid exactly 10 s after the last one extends the session; 10 s + 1 ms starts
 * a new one; an out-of-order bid bridges two sessions. */
static void test_q11_touching_sessions(void **state)
{
    (void)state;
    add_bid(1, 2, 1, T0 + 1000);  /* bidder 2: [T0+1s, T0+11s) */
    add_bid(1, 2, 1, T0 + 12000); /* 1 s past its gap: a new session */
    add_bid(1, 2, 1, T0 + 6000);  /* bridges them (not late): [T0+1s, T0+22s) */
    add_bid(1, 1, 1, T0);
    add_bid(1, 1, 1, T0 + 10000); /* touches: [T0, T0+20s) */
    add_bid(1, 1, 1, T0 + 20001); /* 1 ms past the gap: a new session */
    add_person(3, T0 + 60000);
    rows want = {0}, got = {0};
    sql_q11(&want);
    rows_add(&got, "1,2,1700000000000,1700000020000");
    rows_add(&got, "1,1,1700000020001,1700000030001");
    rows_add(&got, "2,3,1700000001000,1700000022000");
    rows_expect_equal(&got, &want);
    check_query(&nx_q11, "bidder,bid_count,starttime,endtime", &want);
    rows_free(&want);
    rows_free(&got);
}

/* A bid 20 s behind the others is late for every query window that holds it: q5, q7
 * and q11 count it (Flink drops it from the window aggregates); q7's join still
 * takes it, but its price is not its window's maximum, so no query writes it. */
static void test_late_bids_are_dropped_and_counted(void **state)
{
    (void)state;
    add_bid(1, 1, 10, T0);
    add_bid(1, 1, 10, T0 + 30000); /* watermark T0 + 25999 */
    add_bid(2, 2, 99, T0 + 5000);  /* late: its windows ended by T0 + 16 s */
    const nx_query *qs[] = {&nx_q5, &nx_q7, &nx_q11};
    const char *headers[] = {"auction,num", "auction,price,bidder,dateTime,extra",
                             "bidder,bid_count,starttime,endtime"};
    for (int i = 0; i < 3; i++) {
        rows got = {0};
        assert_int_equal(run_query(qs[i], 2, headers[i], &got), 1);
        for (size_t j = 0; j < got.n; j++)
            assert_null(strstr(got.v[j], "99")); /* nothing of bid 3 */
        for (size_t j = 0; j < got.n; j++)
            if (qs[i] == &nx_q11)
                assert_true(strncmp(got.v[j], "1,1,", 4) == 0);
        assert_int_equal(got.n, qs[i] == &nx_q5 ? 10 : 2);
        rows_free(&got);
    }
}

/* q7 is a regular join in Flink: only its MAX leaves late bids out. A late bid equal
 * to its window's maximum is written when it comes, and so is a bid at the end of a
 * window emitted already; both are counted late only when late for their own
 * window's maximum. */
static void test_q7_late_bids_still_join(void **state)
{
    (void)state;
    add_bid(1, 1, 50, T0 + 1000);  /* the max of [T0, T0+10s) */
    add_bid(2, 2, 60, T0 + 20000); /* watermark T0 + 15999: [T0, T0+10s) is emitted */
    add_bid(3, 3, 50, T0 + 2000);  /* late, equal to its window's max: written */
    add_bid(4, 4, 49, T0 + 3000);  /* late, below it: not written */
    add_bid(5, 5, 50, T0 + 10000); /* at the emitted window's end, equal to its max: written,
                                    * and the max of its own (not late) window */
    add_person(9, T0 + 45000);
    rows want = {0};
    rows_add(&want, "1,50,1,1700000001000,x0");
    rows_add(&want, "3,50,3,1700000002000,x2");
    rows_add(&want, "5,50,5,1700000010000,x4");
    rows_add(&want, "5,50,5,1700000010000,x4");
    rows_add(&want, "2,60,2,1700000020000,x1");
    for (int p = 1; p <= 2; p++) {
        rows got = {0};
        assert_int_equal(run_query(&nx_q7, p, "auction,price,bidder,dateTime,extra", &got), 2);
        rows_expect_equal(&got, &want);
        rows_free(&got);
    }
    rows_free(&want);
}

/* ---- Pseudo-random bids ------------------------------------------------------------- */

/* Bids over ~60 s with disorder below the 4 s watermark delay, on a 1 s grid (so
 * many bids sit exactly on window bounds and 10 s session gaps happen), few auctions
 * and prices (so counts and prices tie), 40 bidders (so sessions come and go). */
#define BIDDERS 40
static void random_bids(uint64_t seed, size_t n)
{
    uint64_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        sg_time jitter = (sg_time)((x >> 40) % 31) * 100 - 1500;
        sg_time ts = T0 + ((sg_time)i * 60 + jitter) / 1000 * 1000;
        add_bid((int64_t)((x >> 20) % 7), (int64_t)((x >> 30) % BIDDERS), (int64_t)((x >> 50) % 13),
                ts);
    }
}

static void test_random_bids_match_sql(void **state)
{
    (void)state;
    random_bids(42, 1000);
    rows want = {0};
    sql_q5(&want);
    check_query(&nx_q5, "auction,num", &want);
    rows_free(&want);
    sql_q7(&want);
    size_t on_bound = 0; /* the data reaches BETWEEN's upper end */
    for (size_t i = 0; i < want.n; i++) {
        long long a, p, b, ts;
        assert_int_equal(sscanf(want.v[i], "%lld,%lld,%lld,%lld", &a, &p, &b, &ts), 4);
        on_bound += ts % 10000 == 0;
    }
    assert_true(on_bound > 0);
    check_query(&nx_q7, "auction,price,bidder,dateTime,extra", &want);
    rows_free(&want);
    sql_q11(&want);
    check_query(&nx_q11, "bidder,bid_count,starttime,endtime", &want);
    rows_free(&want);
}

/* q12: whatever the wall clock did, each bidder's bid_counts add up to its bids, and
 * every row is one 10 s processing-time window. */
static void test_q12_counts_add_up(void **state)
{
    (void)state;
    random_bids(7, 800);
    for (int p = 1; p <= 2; p++) {
        rows got = {0};
        run_query(&nx_q12, p, "bidder,bid_count,starttime,endtime", &got);
        int64_t sum[BIDDERS] = {0}, want[BIDDERS] = {0};
        for (size_t i = 0; i < n_events; i++)
            want[events[i].bid.bidder]++;
        for (size_t i = 0; i < got.n; i++) {
            long long bidder, count, start, end;
            assert_int_equal(sscanf(got.v[i], "%lld,%lld,%lld,%lld", &bidder, &count, &start, &end),
                             4);
            assert_true(bidder >= 0 && bidder < BIDDERS && count > 0);
            assert_int_equal(end - start, 10000);
            assert_int_equal(start % 10000, 0);
            sum[bidder] += count;
        }
        assert_memory_equal(sum, want, sizeof(sum));
        rows_free(&got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_q5_ties_and_bounds, reset),
        cmocka_unit_test_setup(test_q7_between_bounds_and_ties, reset),
        cmocka_unit_test_setup(test_q11_touching_sessions, reset),
        cmocka_unit_test_setup(test_late_bids_are_dropped_and_counted, reset),
        cmocka_unit_test_setup(test_q7_late_bids_still_join, reset),
        cmocka_unit_test_setup(test_random_bids_match_sql, reset),
        cmocka_unit_test_setup(test_q12_counts_add_up, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
