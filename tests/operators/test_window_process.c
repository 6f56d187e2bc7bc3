/* Process-window functions (Flink's ProcessWindowFunction) through the harness: a
 * window's records all at once, in arrival order, for tumbling and sliding windows
 * (records kept once per pane, windows spanning panes), records that skip a closed
 * pane, late firings with allowed lateness, and the same results as the aggregate
 * operator on a random stream, across a snapshot and restore. */
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

#define MAX_ELEMS 16

/* What the function saw: the window, and its records' times and values in order. */
typedef struct seen {
    sg_time start, end;
    int64_t n;
    sg_time ts[MAX_ELEMS];
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
        assert_int_equal(elems[i].key.len, key.len);
        assert_memory_equal(elems[i].key.data, key.data, key.len);
        assert_int_equal(elems[i].value.len, sizeof(int64_t));
        s.ts[i] = elems[i].ts;
        memcpy(&s.v[i], elems[i].value.data, sizeof(int64_t));
    }
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_window_config config(sg_time size, sg_time slide, sg_time lateness)
{
    sg_window_config c = {
        .size = size,
        .slide = slide,
        .lateness = lateness,
        .proc = {.abi = SG_WINDOW_PROCESS_ABI_1, .process = list_fn},
    };
    sg_time a = size, b = slide;
    while (b) {
        sg_time t = a % b;
        a = b;
        b = t;
    }
    c.pane = a;
    return c;
}

static sg_harness *start(sg_window_config *c)
{
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_window_process_op, c, &h), SG_OK);
    return h;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

/* Output i is window [start, end) of key with values vals[0..n) in this order. */
static void expect(sg_harness *h, size_t i, const char *key, sg_time start, sg_time end,
                   const int64_t *vals, int64_t n)
{
    const sg_record *r = sg_harness_output(h, i);
    seen s;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    assert_int_equal(r->value.len, sizeof(s));
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, end - 1);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.n, n);
    for (int64_t j = 0; j < n; j++)
        assert_int_equal(s.v[j], vals[j]);
}

static void test_tumbling_window_gets_its_records_in_arrival_order(void **state)
{
    sg_window_config c = config(10, 10, 0);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "a", 5, 1);
    push(h, "a", 2, 2);
    push(h, "b", 1, 9);
    push(h, "a", 8, 3);
    push(h, "a", 10, 4); /* the next window */
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "a", 0, 10, (int64_t[]){1, 2, 3}, 3);
    expect(h, 1, "b", 0, 10, (int64_t[]){9}, 1);
    seen s;
    memcpy(&s, sg_harness_output(h, 0)->value.data, sizeof(s));
    assert_int_equal(s.ts[0], 5);
    assert_int_equal(s.ts[1], 2);
    assert_int_equal(s.ts[2], 8);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, "a", 10, 20, (int64_t[]){4}, 1);
    sg_harness_free(h);
}

static void test_sliding_windows_span_panes_in_arrival_order(void **state)
{
    /* Size 10, slide 5 (panes of 5). Windows: [-5,5) {1,3}, [0,10) {6,1,3},
     * [5,15) {6,12}, [10,20) {12}, each in arrival order. */
    sg_window_config c = config(10, 5, 0);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 6, 1);
    push(h, "k", 1, 2);
    push(h, "k", 12, 3);
    push(h, "k", 3, 4);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 0, "k", -5, 5, (int64_t[]){2, 4}, 2);
    expect(h, 1, "k", 0, 10, (int64_t[]){1, 2, 4}, 3);
    expect(h, 2, "k", 5, 15, (int64_t[]){1, 3}, 2);
    expect(h, 3, "k", 10, 20, (int64_t[]){3}, 1);
    sg_harness_free(h);
}

static void test_record_skipping_a_fired_pane_reaches_open_windows_in_order(void **state)
{
    /* Size 10, slide 5. ts 7 arrives after [0, 10) fired: it goes to [5, 15) only,
     * by its direct list, and stays before the later record 12 there. */
    sg_window_config c = config(10, 5, 0);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 1, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    push(h, "k", 7, 10);
    push(h, "k", 12, 100);
    push(h, "k", 3, 1000); /* both its windows fired: late */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 2, "k", 5, 15, (int64_t[]){10, 100}, 2);
    expect(h, 3, "k", 10, 20, (int64_t[]){100}, 1);
    sg_harness_free(h);
}

static void test_late_firings_give_every_record_of_the_window(void **state)
{
    sg_window_config c = config(10, 10, 5);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "a", 4, 1);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    expect(h, 0, "a", 0, 10, (int64_t[]){1}, 1);
    push(h, "a", 1, 2);
    push(h, "a", 9, 3);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 1, "a", 0, 10, (int64_t[]){1, 2}, 2);
    expect(h, 2, "a", 0, 10, (int64_t[]){1, 2, 3}, 3);
    assert_int_equal(sg_harness_watermark(h, 14), SG_OK); /* cleanup */
    push(h, "a", 2, 4);
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    sg_harness_free(h);
}

static void test_sliding_late_firing_merges_panes_and_late_records(void **state)
{
    /* Size 10, slide 5, lateness 5: at watermark 12, [0, 10) has fired; ts 2 joins
     * its pane's windows that are not gone: [0, 10) only ([-5, 5) is gone). */
    sg_window_config c = config(10, 5, 5);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "k", 6, 1);
    push(h, "k", 3, 2);
    assert_int_equal(sg_harness_watermark(h, 12), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", -5, 5, (int64_t[]){2}, 1);
    expect(h, 1, "k", 0, 10, (int64_t[]){1, 2}, 2);
    push(h, "k", 2, 3);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 2, "k", 0, 10, (int64_t[]){1, 2, 3}, 3);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 3, "k", 5, 15, (int64_t[]){1}, 1);
    sg_harness_free(h);
}

/* ---- The same results as the aggregate, across a restore ---------------------------- */

typedef struct result {
    sg_time ts, start, end;
    int64_t sum;
    char key[8];
} result;

static int sum_fn(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                  size_t n, void *udata)
{
    int64_t sum = 0, v;
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        memcpy(&v, elems[i].value.data, sizeof(v));
        sum += v;
    }
    result r = {end - 1, start, end, sum, {0}};
    sg_bytes out = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, out);
}

static int agg_add(void *acc, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    *(int64_t *)acc += v;
    return SG_OK;
}

static void agg_merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    *(int64_t *)acc += *(const int64_t *)other;
}

static int agg_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    result r = {end - 1, start, end, *(const int64_t *)acc, {0}};
    (void)udata;
    sg_bytes out = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, out);
}

static size_t run_random(const sg_operator_def *op, sg_window_config *c, int restore_at,
                         result *out, size_t cap)
{
    sg_harness *h;
    char key[8];
    uint64_t x = 7;
    assert_int_equal((restore_at < 0 ? backend_harness_new : sg_harness_new)(op, c, &h), SG_OK);
    for (int i = 0; i < 600; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "k%u", (unsigned)(x >> 40) % 6);
        push(h, key, i / 3 + (sg_time)((x >> 20) % 60) - 30, (int64_t)(x >> 50));
        if (i % 15 == 14)
            assert_int_equal(sg_harness_watermark(h, i / 3), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        const sg_record *r = sg_harness_output(h, i);
        memcpy(&out[i], r->value.data, sizeof(result));
        assert_true(r->key.len < sizeof(out[i].key));
        memcpy(out[i].key, r->key.data, r->key.len);
    }
    sg_harness_free(h);
    return n;
}

static void check_same_as_aggregate(sg_time size, sg_time slide, sg_time lateness)
{
    enum { CAP = 8192 };
    static result a[CAP], b[CAP];
    sg_window_config agg = config(size, slide, lateness);
    agg.proc.process = NULL;
    agg.agg = (sg_aggregate_def){.abi = SG_AGGREGATE_ABI_1,
                                 .acc_size = sizeof(int64_t),
                                 .add = agg_add,
                                 .merge = agg_merge,
                                 .result = agg_result};
    sg_window_config proc = config(size, slide, lateness);
    proc.proc.process = sum_fn;
    size_t na = run_random(&sg_window_aggregate_op, &agg, -1, a, CAP);
    assert_true(na > 50);
    for (int at = -1; at < 600; at += 211) {
        size_t nb = run_random(&sg_window_process_op, &proc, at, b, CAP);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++)
            assert_memory_equal(&a[i], &b[i], sizeof(result));
    }
}

static void test_same_as_aggregate_tumbling(void **state)
{
    (void)state;
    check_same_as_aggregate(20, 20, 0);
}

static void test_same_as_aggregate_sliding(void **state)
{
    (void)state;
    check_same_as_aggregate(20, 5, 0);
}

static void test_same_as_aggregate_sliding_with_lateness(void **state)
{
    (void)state;
    check_same_as_aggregate(20, 5, 12);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_tumbling_window_gets_its_records_in_arrival_order),
        cmocka_unit_test(test_sliding_windows_span_panes_in_arrival_order),
        cmocka_unit_test(test_record_skipping_a_fired_pane_reaches_open_windows_in_order),
        cmocka_unit_test(test_late_firings_give_every_record_of_the_window),
        cmocka_unit_test(test_sliding_late_firing_merges_panes_and_late_records),
    };
    /* These compare with runs restored mid-stream, which need RocksDB. */
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_same_as_aggregate_tumbling),
        cmocka_unit_test(test_same_as_aggregate_sliding),
        cmocka_unit_test(test_same_as_aggregate_sliding_with_lateness),
    };
    return BACKEND_RUN(both, once);
}
