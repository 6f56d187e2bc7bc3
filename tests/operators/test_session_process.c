/* Session windows with a process-window function through the harness: a session's
 * records in arrival order, also when sessions merge (their lists are joined), late
 * records, and the same sessions as the aggregate operator on a random stream,
 * across a snapshot and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/builtin_ops.h"
#include "tests/operators/backends.h"

#define MAX_ELEMS 8

typedef struct seen {
    sg_time start, end;
    int64_t n;
    int64_t v[MAX_ELEMS];
} seen;

static int list_fn(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                   size_t n, void *udata)
{
    seen s;
    (void)udata;
    memset(&s, 0, sizeof(s));
    s.start = start;
    s.end = end;
    s.n = (int64_t)n;
    assert_true(n >= 1 && n <= MAX_ELEMS);
    for (size_t i = 0; i < n; i++) {
        assert_true(elems[i].ts >= start && elems[i].ts < end);
        memcpy(&s.v[i], elems[i].value.data, sizeof(int64_t));
    }
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_session_config config(sg_time gap)
{
    sg_session_config c = {
        .gap = gap,
        .proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = list_fn},
    };
    return c;
}

static sg_harness *start(sg_session_config *c)
{
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_session_process_op, c, &h), SG_OK);
    return h;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static void expect(sg_harness *h, size_t i, sg_time start, sg_time end, const int64_t *vals,
                   int64_t n)
{
    const sg_record *r = sg_harness_output(h, i);
    seen s;
    assert_non_null(r);
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, end - 1);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.n, n);
    for (int64_t j = 0; j < n; j++)
        assert_int_equal(s.v[j], vals[j]);
}

static void test_a_session_gets_its_records_in_arrival_order(void **state)
{
    sg_session_config c = config(10);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "a", 1, 1);  /* [1, 11) */
    push(h, "a", 20, 2); /* [20, 30) */
    push(h, "a", 10, 4); /* [10, 20) touches both: [1, 30) */
    push(h, "a", 50, 8); /* [50, 60) */
    assert_int_equal(sg_harness_watermark(h, 29), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 1, 30, (int64_t[]){1, 2, 4}, 3);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, 50, 60, (int64_t[]){8}, 1);
    sg_harness_free(h);
}

static void test_merged_lists_keep_arrival_order(void **state)
{
    /* The merge keeps the list of the first session it absorbs (by start), which is
     * not the one with the earliest records: order comes from arrival numbers. */
    sg_session_config c = config(10);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "a", 30, 1); /* [30, 40) */
    push(h, "a", 5, 2);  /* [5, 15) */
    push(h, "a", 20, 4); /* [20, 30) touches [30, 40): [20, 40) */
    push(h, "a", 15, 8); /* [15, 25) touches [5, 15) and [20, 40): [5, 40) */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, 5, 40, (int64_t[]){1, 2, 4, 8}, 4);
    sg_harness_free(h);
}

static void test_late_records_are_dropped(void **state)
{
    sg_session_config c = config(10);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 0, 1);
    assert_int_equal(sg_harness_watermark(h, 20), SG_OK);
    expect(h, 0, 0, 10, (int64_t[]){1}, 1);
    push(h, "k", 3, 2); /* [3, 13): closed */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

/* ---- The same sessions as the aggregate, across a restore --------------------------- */

typedef struct session {
    sg_time start, end;
    int64_t count, sum;
    char key[8];
} session;

typedef struct acc {
    int64_t count, sum;
} acc;

static int emit_session(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, int64_t count,
                        int64_t sum)
{
    session s = {start, end, count, sum, {0}};
    memcpy(s.key, key.data, key.len < 7 ? key.len : 7);
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static int sum_fn(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                  size_t n, void *udata)
{
    int64_t sum = 0, v;
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        memcpy(&v, elems[i].value.data, sizeof(v));
        sum += v;
    }
    return emit_session(ctx, key, start, end, (int64_t)n, sum);
}

static int agg_add(void *a, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    ((acc *)a)->count++;
    ((acc *)a)->sum += v;
    return SG_OK;
}

static void agg_merge(void *a, const void *b, void *udata)
{
    (void)udata;
    ((acc *)a)->count += ((const acc *)b)->count;
    ((acc *)a)->sum += ((const acc *)b)->sum;
}

static int agg_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *a,
                      void *udata)
{
    (void)udata;
    return emit_session(ctx, key, start, end, ((const acc *)a)->count, ((const acc *)a)->sum);
}

static size_t run_random(const sg_operator_def *op, sg_session_config *c, int restore_at,
                         session *out, size_t cap)
{
    sg_harness *h;
    uint64_t x = 11;
    char key[8];
    assert_int_equal((restore_at < 0 ? backend_harness_new : sg_harness_new)(op, c, &h), SG_OK);
    for (int i = 0; i < 2000; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "u%u", (unsigned)(x >> 40) % 20);
        push(h, key, i / 3 + (sg_time)((x >> 20) % 40) - 20, (int64_t)(x >> 54));
        if (i % 30 == 29)
            assert_int_equal(sg_harness_watermark(h, i / 3 - 15), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++)
        memcpy(&out[i], sg_harness_output(h, i)->value.data, sizeof(session));
    sg_harness_free(h);
    return n;
}

static void test_same_sessions_as_the_aggregate_across_a_restore(void **state)
{
    enum { CAP = 4096 };
    static session a[CAP], b[CAP];
    sg_session_config agg = {.gap = 7,
                             .agg = {.abi = SG_AGGREGATE_ABI_1,
                                     .acc_size = sizeof(acc),
                                     .add = agg_add,
                                     .merge = agg_merge,
                                     .result = agg_result}};
    sg_session_config proc = {.gap = 7,
                              .proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = sum_fn}};
    (void)state;
    size_t na = run_random(&sg_session_aggregate_op, &agg, -1, a, CAP);
    assert_true(na > 50);
    int64_t merged = 0;
    for (size_t i = 0; i < na; i++)
        merged += a[i].count > 1;
    assert_true(merged > 20);
    for (int at = -1; at < 2000; at += 667) {
        size_t nb = run_random(&sg_session_process_op, &proc, at, b, CAP);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof(session));
    }
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_a_session_gets_its_records_in_arrival_order),
        cmocka_unit_test(test_merged_lists_keep_arrival_order),
        cmocka_unit_test(test_late_records_are_dropped),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_same_sessions_as_the_aggregate_across_a_restore),
    };
    return BACKEND_RUN(both, once);
}
