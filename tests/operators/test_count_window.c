/* Count windows through the harness: every size records of a key fire at once, keys
 * apart, no firing for a partial window at the end, bounds from the records' times,
 * the same after a snapshot and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/builtin_ops.h"
#include "tests/operators/backends.h"

typedef struct fired {
    sg_time start, end;
    int64_t sum;
} fired;

static int add(void *acc, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    *(int64_t *)acc += v;
    return SG_OK;
}

static int result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                  void *udata)
{
    fired f = {start, end, *(const int64_t *)acc};
    (void)udata;
    sg_bytes v = {&f, sizeof(f)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_count_window_config config(uint64_t size)
{
    sg_count_window_config c = {
        .size = size,
        .agg = {.abi = SG_AGGREGATE_ABI_1,
                .acc_size = sizeof(int64_t),
                .add = add,
                .result = result},
    };
    return c;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static fired out(sg_harness *h, size_t i, const char *key)
{
    const sg_record *r = sg_harness_output(h, i);
    fired f;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    memcpy(&f, r->value.data, sizeof(f));
    assert_int_equal(r->ts, f.end - 1);
    return f;
}

static void test_every_size_records_of_a_key_fire_at_once(void **state)
{
    sg_count_window_config c = config(3);
    sg_harness *h;
    (void)state;
    assert_int_equal(backend_harness_new(&sg_count_window_op, &c, &h), SG_OK);
    push(h, "a", 50, 1);
    push(h, "b", 10, 100);
    push(h, "a", 20, 2);
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "a", 40, 4); /* the third of a: fires now, no watermark needed */
    assert_int_equal(sg_harness_count(h), 1);
    fired f = out(h, 0, "a");
    assert_int_equal(f.start, 20);
    assert_int_equal(f.end, 51);
    assert_int_equal(f.sum, 7);
    push(h, "a", 60, 8); /* a new window for a */
    push(h, "b", 11, 200);
    push(h, "b", 12, 300);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(out(h, 1, "b").sum, 600);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2); /* a's partial window does not fire */
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

static void test_count_windows_survive_snapshot_and_restore(void **state)
{
    sg_count_window_config c = config(4);
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&sg_count_window_op, &c, &h), SG_OK);
    push(h, "k", 1, 1);
    push(h, "k", 2, 2);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    push(h, "k", 3, 4);
    push(h, "k", 4, 8);
    assert_int_equal(sg_harness_count(h), 1);
    fired f = out(h, 0, "k");
    assert_int_equal(f.start, 1);
    assert_int_equal(f.end, 5);
    assert_int_equal(f.sum, 15);
    sg_harness_free(h);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_every_size_records_of_a_key_fire_at_once),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_count_windows_survive_snapshot_and_restore),
    };
    return BACKEND_RUN(both, once);
}
