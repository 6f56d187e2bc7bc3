/* Sliding count windows (Flink's countWindow(size, slide)) through the harness:
 * every slide-th record of a key fires over its last min(size, count) records, for
 * slide < size, slide == size (the same as the tumbling operator), slide > size and
 * slide 1; bounds from the records' times; the same after a snapshot and restore. */
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

typedef struct fired {
    sg_time start, end;
    int64_t sum, n;
    char key[8];
} fired;

typedef struct acc {
    int64_t sum, n;
} acc;

static int add(void *a, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    ((acc *)a)->sum += v;
    ((acc *)a)->n++;
    return SG_OK;
}

static void merge(void *a, const void *b, void *udata)
{
    (void)udata;
    ((acc *)a)->sum += ((const acc *)b)->sum;
    ((acc *)a)->n += ((const acc *)b)->n;
}

static int result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *a, void *udata)
{
    fired f = {start, end, ((const acc *)a)->sum, ((const acc *)a)->n, {0}};
    (void)udata;
    memcpy(f.key, key.data, key.len < 7 ? key.len : 7);
    sg_bytes v = {&f, sizeof(f)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_count_window_config config(uint64_t size, uint64_t slide)
{
    uint64_t a = size, b = slide;
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    sg_count_window_config c = {
        .size = size,
        .slide = slide,
        .chunk = a,
        .agg = {.abi = SG_AGGREGATE_ABI_1,
                .acc_size = sizeof(acc),
                .add = add,
                .merge = merge,
                .result = result},
    };
    return c;
}

static sg_harness *start(sg_count_window_config *c)
{
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_count_slide_window_op, c, &h), SG_OK);
    return h;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static void expect(sg_harness *h, size_t i, const char *key, sg_time start, sg_time end, int64_t n,
                   int64_t sum)
{
    const sg_record *r = sg_harness_output(h, i);
    fired f;
    assert_non_null(r);
    memcpy(&f, r->value.data, sizeof(f));
    assert_string_equal(f.key, key);
    assert_int_equal(r->ts, end - 1);
    assert_int_equal(f.start, start);
    assert_int_equal(f.end, end);
    assert_int_equal(f.n, n);
    assert_int_equal(f.sum, sum);
}

/* Key a gets records ts 10, 20, ... with values 1, 2, 4, ...; key b one record
 * between each, which must not disturb a's windows. */
static void push_powers(sg_harness *h, int n)
{
    for (int i = 0; i < n; i++) {
        push(h, "a", 10 * (i + 1), (int64_t)1 << i);
        push(h, "b", 1000 + i, 1000);
    }
}

static void test_slide_smaller_than_size_fires_over_the_last_size_records(void **state)
{
    sg_count_window_config c = config(3, 2);
    sg_harness *h = start(&c);
    (void)state;
    push_powers(h, 7);
    /* a: at 2 records {1,2}; at 4 the last 3 {2,4,8}; at 6 {8,16,32}. b likewise. */
    assert_int_equal(sg_harness_count(h), 6);
    expect(h, 0, "a", 10, 21, 2, 3);
    expect(h, 1, "b", 1000, 1002, 2, 2000);
    expect(h, 2, "a", 20, 41, 3, 14);
    expect(h, 3, "b", 1001, 1004, 3, 3000);
    expect(h, 4, "a", 40, 61, 3, 56);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 6); /* nothing at the end of input */
    sg_harness_free(h);
}

static void test_slide_one_fires_on_every_record(void **state)
{
    sg_count_window_config c = config(3, 1);
    sg_harness *h = start(&c);
    (void)state;
    for (int i = 0; i < 5; i++)
        push(h, "a", 10 * (i + 1), (int64_t)1 << i);
    assert_int_equal(sg_harness_count(h), 5);
    expect(h, 0, "a", 10, 11, 1, 1);
    expect(h, 1, "a", 10, 21, 2, 3);
    expect(h, 2, "a", 10, 31, 3, 7);
    expect(h, 3, "a", 20, 41, 3, 14);
    expect(h, 4, "a", 30, 51, 3, 28);
    sg_harness_free(h);
}

static void test_slide_larger_than_size_skips_records_between_windows(void **state)
{
    sg_count_window_config c = config(2, 3);
    sg_harness *h = start(&c);
    (void)state;
    for (int i = 0; i < 7; i++)
        push(h, "a", 10 * (i + 1), (int64_t)1 << i);
    /* At 3 records the last 2 {2,4}; at 6 {16,32}; record 1 and 8 belong to none. */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "a", 20, 31, 2, 6);
    expect(h, 1, "a", 50, 61, 2, 48);
    sg_harness_free(h);
}

static void test_bounds_are_the_earliest_and_latest_record_times(void **state)
{
    sg_count_window_config c = config(4, 2);
    sg_harness *h = start(&c);
    (void)state;
    push(h, "a", 50, 1);
    push(h, "a", 20, 2); /* fires {50, 20} */
    push(h, "a", 70, 4);
    push(h, "a", 5, 8); /* fires {50, 20, 70, 5} */
    push(h, "a", 60, 16);
    push(h, "a", 61, 32); /* fires {70, 5, 60, 61} */
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 0, "a", 20, 51, 2, 3);
    expect(h, 1, "a", 5, 71, 4, 15);
    expect(h, 2, "a", 5, 71, 4, 60);
    sg_harness_free(h);
}

/* A random stream of 5 keys; restore_at >= 0 snapshots and restores there (on
 * RocksDB; without a restore, on the group's backend). */
static size_t run_random(const sg_operator_def *op, sg_count_window_config *c, int restore_at,
                         fired *out, size_t cap)
{
    sg_harness *h;
    char key[8];
    uint64_t x = 3;
    assert_int_equal((restore_at < 0 ? backend_harness_new : sg_harness_new)(op, c, &h), SG_OK);
    for (int i = 0; i < 500; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof(key), "k%u", (unsigned)(x >> 40) % 5);
        push(h, key, (sg_time)((x >> 20) % 1000), (int64_t)(x >> 50));
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    size_t n = sg_harness_count(h);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++)
        memcpy(&out[i], sg_harness_output(h, i)->value.data, sizeof(fired));
    sg_harness_free(h);
    return n;
}

static void test_slide_equal_to_size_is_the_tumbling_count_window(void **state)
{
    enum { CAP = 1024 };
    static fired a[CAP], b[CAP];
    sg_count_window_config c = config(4, 4);
    (void)state;
    size_t na = run_random(&sg_count_window_op, &c, -1, a, CAP);
    size_t nb = run_random(&sg_count_slide_window_op, &c, -1, b, CAP);
    assert_true(na > 100 && na <= 125); /* a partial window does not fire */
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof(fired));
}

static void check_restore(uint64_t size, uint64_t slide)
{
    enum { CAP = 1024 };
    static fired a[CAP], b[CAP];
    sg_count_window_config c = config(size, slide);
    size_t na = run_random(&sg_count_slide_window_op, &c, -1, a, CAP);
    assert_true(na > 50);
    for (int at = 7; at < 500; at += 123) {
        size_t nb = run_random(&sg_count_slide_window_op, &c, at, b, CAP);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof(fired));
    }
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    (void)state;
    check_restore(5, 2);
    check_restore(4, 6);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_slide_smaller_than_size_fires_over_the_last_size_records),
        cmocka_unit_test(test_slide_one_fires_on_every_record),
        cmocka_unit_test(test_slide_larger_than_size_skips_records_between_windows),
        cmocka_unit_test(test_bounds_are_the_earliest_and_latest_record_times),
        cmocka_unit_test(test_slide_equal_to_size_is_the_tumbling_count_window),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return BACKEND_RUN(both, once);
}
