/* Both joins in real job graphs, run by the runtime at parallelism 1 and 4: two
 * generator sources keyed alike, the join, and a single collecting operator. Input a
 * arrives in reversed blocks, so some of its records are late or find their first
 * windows closed by the watermark they carry; the expected pairs come from a model of
 * the documented semantics (each record judged against its own source's watermark),
 * and must be the same at every parallelism. Also: the builders' argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/job.h"
#include "engine/runtime.h"

#define N 2010 /* a multiple of the block (3), so ts are 0..N-1 */
#define NKEYS 5

/* gen:seq?block=S: ts 0..N-1, each block of S reversed (S = 1: in order), so with a
 * watermark delay of 0 a record can be behind its source's watermark. value = ts. */
typedef struct seq_source {
    int64_t i, block;
} seq_source;

static sg_time seq_ts(int64_t i, int64_t block)
{
    int64_t base = i - i % block;
    return base + block - 1 - i % block;
}

static int seq_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    seq_source *s = self;
    SG_UNUSED(restore);
    s->block = 1;
    return sg_ctx_param_i64(ctx, "block", &s->block) < 0 ? SG_EINVAL : SG_OK;
}

static int seq_poll(sg_ctx *ctx, void *self, size_t budget)
{
    seq_source *s = self;
    for (; budget > 0 && s->i < N; budget--, s->i++) {
        sg_time ts = seq_ts(s->i, s->block);
        sg_bytes key = {0}, value = {&ts, sizeof(ts)};
        int rc = sg_emit(ctx, ts, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < N ? SG_OK : SG_EOF;
}

static const sg_source_def seq_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "seq",
    .self_size = sizeof(seq_source),
    .open = seq_open,
    .poll = seq_poll,
};

static const char *const keys[NKEYS] = {"k0", "k1", "k2", "k3", "k4"};

static int key_of_ts(sg_time ts)
{
    return (int)((ts / 3) % NKEYS);
}

static int by_ts(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    *key = sg_bytes_str(keys[key_of_ts(in->ts)]);
    return SG_OK;
}

/* The join emits (a.ts, b.ts); the collector sums a fingerprint of (a, b, ts). */
static int emit_pair(sg_ctx *ctx, sg_bytes key, const sg_record *a, const sg_record *b, sg_time ts,
                     void *udata)
{
    sg_time v[2] = {a->ts, b->ts};
    sg_bytes val = {v, sizeof(v)};
    SG_UNUSED(udata);
    return sg_emit(ctx, ts, key, val);
}

static uint64_t fingerprint(sg_time a, sg_time b, sg_time ts)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15u ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Fu;
    return (h ^ (uint64_t)ts * 0x165667B19E3779F9u) * 0xFF51AFD7ED558CCDu;
}

typedef struct totals {
    uint64_t pairs, sum, bad_key;
} totals;

static int totals_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    totals *t = sg_ctx_udata(ctx); /* one instance: no locking */
    sg_time v[2];
    SG_UNUSED(self);
    SG_UNUSED(port);
    memcpy(v, rec->value.data, sizeof(v));
    t->pairs++;
    t->sum += fingerprint(v[0], v[1], rec->ts);
    if (key_of_ts(v[0]) != key_of_ts(v[1]))
        t->bad_key++;
    return SG_OK;
}

static const sg_operator_def totals_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "totals",
    .n_inputs = 1,
    .process = totals_process,
};

static const sg_join_def pair_def = {.abi = SG_JOIN_ABI_1, .join = emit_pair};

/* ---- The model --------------------------------------------------------------------------
 * With a watermark delay of 0, the record at position i of a source carries the
 * watermark (max ts of the records before it) - 1, or SG_TIME_MIN for the first; at
 * the join that is what sg_ctx_watermark gives (the operator's own watermark is never
 * ahead of it). */

typedef struct mrec {
    sg_time ts, wm;
} mrec;

static void model_source(int64_t block, mrec *out)
{
    sg_time max = SG_TIME_MIN;
    for (int64_t i = 0; i < N; i++) {
        out[i].ts = seq_ts(i, block);
        out[i].wm = max == SG_TIME_MIN ? SG_TIME_MIN : max - 1;
        if (out[i].ts > max)
            max = out[i].ts;
    }
}

static sg_time floor_to(sg_time ts, sg_time unit)
{
    sg_time r = ts % unit;
    return r < 0 ? ts - r - unit : ts - r;
}

/* Window join: a record takes part in window [e - size, e) when it lies in it and
 * e - 1 is above its watermark. Each source's ts are 0..N-1 once each, so records are
 * looked up by ts. */
static totals model_window(const mrec *a, const mrec *b, sg_time size, sg_time slide,
                           uint64_t *late)
{
    static sg_time a_wm[N], b_wm[N];
    totals t = {0, 0, 0};
    *late = 0;
    for (int i = 0; i < N; i++) {
        a_wm[a[i].ts] = a[i].wm;
        b_wm[b[i].ts] = b[i].wm;
        *late += floor_to(a[i].ts, slide) + size - 1 <= a[i].wm;
        *late += floor_to(b[i].ts, slide) + size - 1 <= b[i].wm;
    }
    /* Window ends are size + multiples of slide; the first one holding ts 0 is
     * above 0. */
    for (sg_time e = size - floor_to(size, slide); e < N + size; e += slide) {
        if (e <= 0)
            continue;
        for (sg_time x = e - size < 0 ? 0 : e - size; x < e && x < N; x++) {
            if (e - 1 <= a_wm[x])
                continue;
            for (sg_time y = e - size < 0 ? 0 : e - size; y < e && y < N; y++) {
                if (e - 1 <= b_wm[y] || key_of_ts(x) != key_of_ts(y))
                    continue;
                t.pairs++;
                t.sum += fingerprint(x, y, e - 1);
            }
        }
    }
    return t;
}

static totals model_interval(const mrec *a, const mrec *b, sg_time lo, sg_time hi, uint64_t *late)
{
    totals t = {0, 0, 0};
    *late = 0;
    for (int i = 0; i < N; i++)
        *late += (a[i].ts < a[i].wm) + (b[i].ts < b[i].wm);
    for (int i = 0; i < N; i++) {
        if (a[i].ts < a[i].wm)
            continue;
        for (int j = 0; j < N; j++) {
            if (b[j].ts < b[j].wm || key_of_ts(a[i].ts) != key_of_ts(b[j].ts) ||
                b[j].ts < a[i].ts + lo || b[j].ts > a[i].ts + hi)
                continue;
            t.pairs++;
            t.sum += fingerprint(a[i].ts, b[j].ts, a[i].ts > b[j].ts ? a[i].ts : b[j].ts);
        }
    }
    return t;
}

/* ---- Running a job ------------------------------------------------------------------------ */

typedef enum join_kind { WINDOW, INTERVAL } join_kind;

typedef struct join_case {
    join_kind kind;
    sg_time size, slide; /* WINDOW */
    sg_time lo, hi;      /* INTERVAL */
} join_case;

static totals run_case(const join_case *jc, int parallelism, uint64_t *late)
{
    totals t = {0, 0, 0};
    char err[512] = "";
    sg_job *job = sg__job_new(parallelism, 2);
    assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
    sg_stream *a =
        sg_stream_key_by(sg_stream_watermarks(sg_job_source(job, "a", "gen:seq?block=3", NULL), 0),
                         "ka", by_ts, NULL);
    sg_stream *b =
        sg_stream_key_by(sg_stream_watermarks(sg_job_source(job, "b", "gen:seq?block=1", NULL), 0),
                         "kb", by_ts, NULL);
    sg_stream *j;
    if (jc->kind == WINDOW) {
        sg_window w = {.size_ms = jc->size, .slide_ms = jc->slide};
        j = sg_stream_window_join(a, b, "join", &w, &pair_def, NULL);
    } else {
        j = sg_stream_interval_join(a, b, "join", jc->lo, jc->hi, &pair_def, NULL);
    }
    sg_stream *o = sg_stream_set_parallelism(sg_stream_process(j, &totals_def, &t), 1);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    assert_int_equal(sg_job_status(job), SG_OK);
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    *late = st.late;
    sg__job_free(job);
    return t;
}

static void check_case(const join_case *jc)
{
    static mrec a[N], b[N];
    uint64_t want_late, late;
    model_source(3, a);
    model_source(1, b);
    totals want = jc->kind == WINDOW ? model_window(a, b, jc->size, jc->slide, &want_late)
                                     : model_interval(a, b, jc->lo, jc->hi, &want_late);
    assert_true(want.pairs > 0);
    for (int p = 1; p <= 4; p += 3) {
        totals got = run_case(jc, p, &late);
        assert_int_equal(got.bad_key, 0);
        assert_int_equal(got.pairs, want.pairs);
        assert_int_equal(got.sum, want.sum);
        assert_int_equal(late, want_late);
    }
}

static void test_tumbling_window_join_in_a_job_at_parallelism_1_and_4(void **state)
{
    join_case jc = {.kind = WINDOW, .size = 1, .slide = 1};
    SG_UNUSED(state);
    /* 1 ms windows: a's records behind their watermark (2 of every block of 3 but
     * the first) are late, b's never. */
    check_case(&jc);
    jc.size = jc.slide = 6;
    check_case(&jc);
}

static void test_sliding_window_join_in_a_job_at_parallelism_1_and_4(void **state)
{
    /* Size 2, slide 1: a record behind its watermark by one finds its first window
     * closed and must join in the second only, whatever the timing. */
    join_case jc = {.kind = WINDOW, .size = 2, .slide = 1};
    SG_UNUSED(state);
    check_case(&jc);
    jc.size = 9;
    jc.slide = 3;
    check_case(&jc);
}

static void test_interval_join_in_a_job_at_parallelism_1_and_4(void **state)
{
    join_case jc = {.kind = INTERVAL, .lo = -4, .hi = 2};
    SG_UNUSED(state);
    check_case(&jc);
    jc.lo = 1;
    jc.hi = 7;
    check_case(&jc);
}

/* ---- Argument checks ------------------------------------------------------------------------ */

static sg_job *two_sources(sg_stream **a, sg_stream **b, bool key_a, bool key_b)
{
    sg_job *job = sg__job_new(1, 1);
    assert_int_equal(sg_job_register_generator(job, "seq", &seq_def), SG_OK);
    *a = sg_job_source(job, "a", "gen:seq", NULL);
    *b = sg_job_source(job, "b", "gen:seq", NULL);
    if (key_a)
        *a = sg_stream_key_by(*a, "ka", by_ts, NULL);
    if (key_b)
        *b = sg_stream_key_by(*b, "kb", by_ts, NULL);
    return job;
}

static void expect_error(sg_job *job, sg_stream *s, int rc, const char *words)
{
    assert_null(s);
    assert_int_equal(sg_job_status(job), rc);
    if (!strstr(sg_job_errmsg(job), words))
        fail_msg("message '%s' does not say '%s'", sg_job_errmsg(job), words);
    sg__job_free(job);
}

static void test_builders_reject_bad_arguments_with_a_clear_error(void **state)
{
    sg_stream *a, *b;
    sg_window w = {.size_ms = 10};
    sg_join_def no_fn = {.abi = SG_JOIN_ABI_1};
    sg_job *job;
    SG_UNUSED(state);

    job = two_sources(&a, &b, true, true);
    expect_error(job, sg_stream_interval_join(a, b, "ij", 5, 4, &pair_def, NULL), SG_EUSAGE,
                 "lower bound (5 ms) is above the upper bound (4 ms)");
    job = two_sources(&a, &b, true, false);
    expect_error(job, sg_stream_interval_join(a, b, "ij", -1, 1, &pair_def, NULL), SG_EINVAL,
                 "interval join 'ij': both inputs must be keyed (key_by b first)");
    job = two_sources(&a, &b, false, false);
    expect_error(job, sg_stream_window_join(a, b, "wj", &w, &pair_def, NULL), SG_EINVAL,
                 "window join 'wj': both inputs must be keyed (key_by both first)");
    job = two_sources(&a, &b, true, true);
    expect_error(job, sg_stream_window_join(a, b, "wj", &w, &no_fn, NULL), SG_EINVAL,
                 "needs abi and join");
    job = two_sources(&a, &b, true, true);
    w.slide_ms = -20; /* slide > size is allowed (windows with gaps); negative is not */
    expect_error(job, sg_stream_window_join(a, b, "wj", &w, &pair_def, NULL), SG_EUSAGE,
                 "must be positive");
    job = two_sources(&a, &b, true, true);
    w = (sg_window){.size_ms = 10, .late_tag = "late"};
    expect_error(job, sg_stream_window_join(a, b, "wj", &w, &pair_def, NULL), SG_EINVAL,
                 "late_tag is not supported");
    job = two_sources(&a, &b, true, true);
    expect_error(job, sg_stream_interval_join(a, b, "ij", 0, (sg_time)1 << 61, &pair_def, NULL),
                 SG_EUSAGE, "within +-2^60");

    /* Two joins of one job need two names, like any two nodes. */
    job = two_sources(&a, &b, true, true);
    w = (sg_window){.size_ms = 10};
    assert_non_null(sg_stream_window_join(a, b, "j1", &w, &pair_def, NULL));
    assert_non_null(sg_stream_interval_join(a, b, "j2", 0, 1, &pair_def, NULL));
    assert_int_equal(sg_job_status(job), SG_OK);
    expect_error(job, sg_stream_interval_join(a, b, "j1", 0, 1, &pair_def, NULL), SG_EINVAL,
                 "two graph nodes are named 'j1'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling_window_join_in_a_job_at_parallelism_1_and_4),
        cmocka_unit_test(test_sliding_window_join_in_a_job_at_parallelism_1_and_4),
        cmocka_unit_test(test_interval_join_in_a_job_at_parallelism_1_and_4),
        cmocka_unit_test(test_builders_reject_bad_arguments_with_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
