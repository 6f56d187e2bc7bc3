/* List state through the harness: items kept per key and namespace in insertion order,
 * walked with sg_state_list_each (which may stop early), cleared with
 * sg_state_clear, on both backends and across a snapshot and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

/* Appends each record's value to its key's list; the value "!" emits the list joined
 * with commas and clears it; "?" emits only the first item (the walk stops early). */
typedef struct collect_self {
    sg_state_id items;
} collect_self;

typedef struct joined {
    char buf[256];
    size_t len;
    int calls;
} joined;

static int collect_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    (void)restore;
    return sg_state_declare(ctx, "items", SG_STATE_LIST, &((collect_self *)self)->items);
}

static int join_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    joined *j = ud;
    (void)ctx;
    if (j->len && j->len < sizeof(j->buf))
        j->buf[j->len++] = ',';
    size_t n = item.len < sizeof(j->buf) - j->len ? item.len : sizeof(j->buf) - j->len;
    memcpy(j->buf + j->len, item.data, n);
    j->len += n;
    j->calls++;
    return SG_OK;
}

static int first_only(sg_ctx *ctx, sg_bytes item, void *ud)
{
    join_item(ctx, item, ud);
    return 1; /* stop */
}

static int collect_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    collect_self *s = self;
    joined j = {.len = 0};
    int rc;
    (void)port;
    if (rec->value.len == 1 &&
        (*(const char *)rec->value.data == '!' || *(const char *)rec->value.data == '?')) {
        bool all = *(const char *)rec->value.data == '!';
        rc = sg_state_list_each(ctx, s->items, 0, all ? join_item : first_only, &j);
        if (rc < 0 || (all && rc != SG_OK) || (!all && j.calls && rc != 1))
            return rc < 0 ? rc : SG_EINTERNAL;
        sg_bytes v = {j.buf, j.len};
        if ((rc = sg_emit(ctx, rec->ts, sg_ctx_key(ctx), v)) < 0)
            return rc;
        return all ? sg_state_clear(ctx, s->items, 0) : SG_OK;
    }
    return sg_state_list_add(ctx, s->items, 0, rec->value);
}

static const sg_operator_def collect_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "collect",
    .self_size = sizeof(collect_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = collect_open,
    .process = collect_process,
};

static void push(sg_harness *h, const char *key, const char *value)
{
    assert_int_equal(sg_harness_process(h, 0, 1, sg_bytes_str(key), sg_bytes_str(value)), SG_OK);
}

static void expect(sg_harness *h, size_t i, const char *key, const char *value)
{
    const sg_record *r = sg_harness_output(h, i);
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    assert_int_equal(r->value.len, strlen(value));
    assert_memory_equal(r->value.data, value, r->value.len);
}

static void run_lists(bool heap, bool restore)
{
    sg_harness *h;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&collect_op, NULL, &h), SG_OK);
    push(h, "a", "x");
    push(h, "b", "मुंबई");
    push(h, "a", "");
    push(h, "a", "y");
    if (restore)
        assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    push(h, "a", "?");
    push(h, "a", "!");
    push(h, "a", "!"); /* cleared: an empty list */
    push(h, "b", "!");
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 0, "a", "x");
    expect(h, 1, "a", "x,,y");
    expect(h, 2, "a", "");
    expect(h, 3, "b", "मुंबई");
    sg_harness_free(h);
}

static void test_lists_keep_items_in_order_per_key(void **state)
{
    (void)state;
    run_lists(false, false);
}

static void test_lists_on_the_heap_backend(void **state)
{
    (void)state;
    run_lists(true, false);
}

static void test_lists_survive_snapshot_and_restore(void **state)
{
    (void)state;
    run_lists(false, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_keep_items_in_order_per_key),
        cmocka_unit_test(test_lists_on_the_heap_backend),
        cmocka_unit_test(test_lists_survive_snapshot_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
