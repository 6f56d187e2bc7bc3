/* Session windows with allowed lateness through the runtime: the firings of every
 * session (on time, late firings, merges of fired sessions) and the late count are
 * the same at parallelism 1, 2 and 3, for the aggregate and the process-window
 * function alike, and equal to a reference run with the watermark advanced before every
 * record (a harness). Records reach the operator in batches whose records carry
 * watermarks ahead of the operator's, so deferred records (operators/session.c,
 * rule 4) are replayed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "engine/job.h"
#include "engine/runtime.h"
#include "operators/builtin_ops.h"

#define N 20000
#define KEYS 13

typedef struct event {
    int64_t key, v;
} event;

/* gen:jitter: N records of KEYS keys, ts = i / 4 + a jitter of +-40. */
typedef struct jitter_source {
    int64_t i;
    uint64_t x;
} jitter_source;

static int jitter_poll(sg_ctx *ctx, void *self, size_t budget)
{
    jitter_source *s = self;
    for (; budget > 0 && s->i < N; budget--, s->i++) {
        s->x = s->x * 6364136223846793005ULL + 1442695040888963407ULL;
        event e = {(int64_t)((s->x >> 33) % KEYS), (int64_t)(s->x >> 54)};
        sg_bytes key = {0}, value = {&e, sizeof(e)};
        int rc = sg_emit(ctx, s->i / 4 + (sg_time)((s->x >> 20) % 81) - 40, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < N ? SG_OK : SG_EOF;
}

static const sg_source_def jitter_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "jitter",
    .self_size = sizeof(jitter_source),
    .poll = jitter_poll,
};

static int event_key(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    (void)ctx;
    (void)udata;
    key->data = in->value.data; /* the event's first field */
    key->len = sizeof(int64_t);
    return SG_OK;
}

/* One firing, as the collector saw it. */
typedef struct firing {
    int64_t key;
    sg_time start, end;
    int64_t sum, n;
    size_t order; /* arrival at the collector */
} firing;

typedef struct collected {
    firing *v;
    size_t n, cap;
} collected;

static int emit_firing(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, int64_t sum,
                       int64_t n)
{
    firing f = {0, start, end, sum, n, 0};
    memcpy(&f.key, key.data, sizeof(f.key));
    sg_bytes v = {&f, sizeof(f)};
    return sg_emit(ctx, end - 1, key, v);
}

static int sum_add(void *acc, const sg_record *rec, void *udata)
{
    event e;
    (void)udata;
    memcpy(&e, rec->value.data, sizeof(e));
    ((int64_t *)acc)[0] += e.v;
    ((int64_t *)acc)[1]++;
    return SG_OK;
}

static void sum_merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    ((int64_t *)acc)[0] += ((const int64_t *)other)[0];
    ((int64_t *)acc)[1] += ((const int64_t *)other)[1];
}

static int sum_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    (void)udata;
    return emit_firing(ctx, key, start, end, ((const int64_t *)acc)[0], ((const int64_t *)acc)[1]);
}

static int sum_process(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end,
                       const sg_record *elems, size_t n, void *udata)
{
    int64_t sum = 0;
    event e;
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        memcpy(&e, elems[i].value.data, sizeof(e));
        sum += e.v;
    }
    return emit_firing(ctx, key, start, end, sum, (int64_t)n);
}

static int collect_value(collected *c, const sg_record *rec)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        firing *v = sg_realloc(c->v, cap * sizeof(*v));
        if (!v)
            return SG_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    memcpy(&c->v[c->n], rec->value.data, sizeof(firing));
    c->v[c->n].order = c->n;
    c->n++;
    return SG_OK;
}

static int collect(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    (void)self;
    (void)port;
    return collect_value(sg_ctx_udata(ctx), rec);
}

static const sg_operator_def collect_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "collect",
    .n_inputs = 1,
    .process = collect,
};

/* By session, then in the order the session's firings came (one subtask emits them
 * all, through one channel, so that order is the operator's). Firings of different
 * sessions of a key may interleave differently: a late firing happens when its record
 * arrives, an on-time one when the operator's watermark gets there. */
static int by_session(const void *a, const void *b)
{
    const firing *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t run(int parallelism, bool process, collected *out)
{
    sg_job *job = sg__job_new(parallelism, 2);
    sg_session_window w = {.abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = 3, .allowed_lateness_ms = 50};
    sg_aggregate_def agg = {.abi = SG_AGGREGATE_ABI_1,
                            .acc_size = 2 * sizeof(int64_t),
                            .add = sum_add,
                            .merge = sum_merge,
                            .result = sum_result};
    sg_window_process_def proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = sum_process};
    assert_int_equal(sg_job_register_generator(job, "jitter", &jitter_def), SG_OK);
    sg_stream *s = sg_stream_watermarks(sg_job_source(job, "src", "gen:jitter", NULL), 10);
    sg_stream *k = sg_stream_key_by(s, "by-key", event_key, NULL);
    sg_stream *win = process ? sg_stream_session_window_process(k, "win", &w, &proc, NULL)
                             : sg_stream_session_window_aggregate(k, "win", &w, &agg, NULL);
    sg_stream *o = sg_stream_set_parallelism(sg_stream_process(win, &collect_def, out), 1);
    assert_int_equal(sg_stream_sink(o, "out", "null:", NULL), SG_OK);
    assert_int_equal(sg_job_status(job), SG_OK);
    char err[512] = "";
    sg__run_config cfg = {.workers = 2, .backend = SG__KV_HEAP};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    sg__job_free(job);
    qsort(out->v, out->n, sizeof(*out->v), by_session);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].order = 0;
    return st.late;
}

/* The reference: the same records through a harness with the watermark advanced
 * before every record (what each record carries in a task), so every session has
 * fired exactly when the watermark says and nothing is deferred. */
static uint64_t run_reference(collected *out)
{
    sg_session_config c = {.gap = 3,
                           .lateness = 50,
                           .agg = {.abi = SG_AGGREGATE_ABI_1,
                                   .acc_size = 2 * sizeof(int64_t),
                                   .add = sum_add,
                                   .merge = sum_merge,
                                   .result = sum_result}};
    sg_harness *h;
    uint64_t x = 0;
    sg_time max_ts = SG_TIME_MIN;
    assert_int_equal(sg_harness_new_heap(&sg_session_aggregate_op, &c, &h), SG_OK);
    for (int64_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        event e = {(int64_t)((x >> 33) % KEYS), (int64_t)(x >> 54)};
        sg_time ts = i / 4 + (sg_time)((x >> 20) % 81) - 40;
        if (max_ts != SG_TIME_MIN)
            assert_int_equal(sg_harness_watermark(h, max_ts - 10 - 1), SG_OK);
        max_ts = ts > max_ts ? ts : max_ts;
        sg_bytes key = {&e.key, sizeof(e.key)}, value = {&e, sizeof(e)};
        assert_int_equal(sg_harness_process(h, 0, ts, key, value), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        assert_int_equal(collect_value(out, r), SG_OK);
    }
    uint64_t late = sg_harness_late(h);
    sg_harness_free(h);
    qsort(out->v, out->n, sizeof(*out->v), by_session);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].order = 0;
    return late;
}

static void check(bool process)
{
    collected base = {0}, ref = {0};
    uint64_t late = run(1, false, &base);
    assert_int_equal(run_reference(&ref), late);
    assert_int_equal(ref.n, base.n);
    assert_memory_equal(ref.v, base.v, base.n * sizeof(firing));
    sg_free(ref.v);
    size_t refired = 0;
    for (size_t i = 1; i < base.n; i++)
        refired += base.v[i].key == base.v[i - 1].key && base.v[i].start == base.v[i - 1].start &&
                   base.v[i].end == base.v[i - 1].end;
    assert_true(late > 1000);    /* records past cleanup */
    assert_true(refired > 1000); /* late firings of one session */
    for (int p = process ? 1 : 2; p <= 3; p++) {
        collected other = {0};
        assert_int_equal(run(p, process, &other), late);
        assert_int_equal(other.n, base.n);
        assert_memory_equal(other.v, base.v, base.n * sizeof(firing));
        sg_free(other.v);
    }
    sg_free(base.v);
}

static void test_aggregate_firings_are_the_same_at_every_parallelism(void **state)
{
    (void)state;
    check(false);
}

static void test_process_firings_are_the_same_as_the_aggregate_at_every_parallelism(void **state)
{
    (void)state;
    check(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_firings_are_the_same_at_every_parallelism),
        cmocka_unit_test(test_process_firings_are_the_same_as_the_aggregate_at_every_parallelism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
