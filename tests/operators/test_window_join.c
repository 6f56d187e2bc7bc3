/* The window join through the harness, with hand-computed pairs: tumbling windows fire
 * at end - 1 with every (a, b) pair of the window, keys apart, nothing when a side is
 * empty, late records dropped and counted; sliding windows join a pair once per
 * window they share, and a record whose first window already fired joins only the
 * later ones; state is gone once the last window fired; a snapshot and restore
 * mid-stream gives the same output. Every test runs on both state backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "operators/join_ops.h"

static void *cmocka_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        if (ptr)
            test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

/* ---- Helpers --------------------------------------------------------------------- */

/* What the join emits: the values (ids) and times of both records. */
typedef struct pair {
    int64_t a, b;
    sg_time a_ts, b_ts;
} pair;

static int emit_pair(sg_ctx *ctx, sg_bytes key, const sg_record *a, const sg_record *b, sg_time ts,
                     void *udata)
{
    pair p = {0, 0, a->ts, b->ts};
    SG_UNUSED(udata);
    if (a->value.len != sizeof(int64_t) || b->value.len != sizeof(int64_t) ||
        a->key.len != key.len || b->key.len != key.len)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "join got a malformed record");
    memcpy(&p.a, a->value.data, sizeof(p.a));
    memcpy(&p.b, b->value.data, sizeof(p.b));
    sg_bytes v = {&p, sizeof(p)};
    return sg_emit(ctx, ts, key, v);
}

static sg_window_join_config config(sg_time size, sg_time slide)
{
    sg_time x = size, y = slide;
    while (y) {
        sg_time t = x % y;
        x = y;
        y = t;
    }
    sg_window_join_config c = {
        .size = size, .slide = slide, .pane = x, .def = {.abi = SG_JOIN_ABI_1, .join = emit_pair}};
    return c;
}

static bool on_rocksdb = false, on_heap = true; /* the tests' prestates */

static sg_harness *start(void **state, sg_window_join_config *c)
{
    sg_harness *h = NULL;
    bool heap = *(const bool *)*state;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&sg_window_join_op, c, &h),
                     SG_OK);
    return h;
}

/* Record 'id' on input 'port' (0: a, 1: b). */
static void push(sg_harness *h, int port, const char *key, sg_time ts, int64_t id)
{
    sg_bytes v = {&id, sizeof(id)};
    assert_int_equal(sg_harness_process(h, port, ts, sg_bytes_str(key), v), SG_OK);
}

static void watermark(sg_harness *h, sg_time wm)
{
    assert_int_equal(sg_harness_watermark(h, wm), SG_OK);
}

/* Output i is the pair (a, b) of 'key', at ts. */
static void expect(const sg_harness *h, size_t i, const char *key, sg_time ts, int64_t a, int64_t b)
{
    const sg_record *r = sg_harness_output(h, i);
    pair p;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    assert_int_equal(r->ts, ts);
    assert_int_equal(r->value.len, sizeof(p));
    memcpy(&p, r->value.data, sizeof(p));
    assert_int_equal(p.a, a);
    assert_int_equal(p.b, b);
}

/* ---- Tumbling windows -------------------------------------------------------------- */

static void test_tumbling_window_joins_every_pair_at_end_minus_one(void **state)
{
    sg_window_join_config c = config(10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 1, 1);
    push(h, 1, "k", 3, 10);
    push(h, 0, "k", 5, 2);
    push(h, 1, "k", 9, 20);
    push(h, 0, "k", 12, 3); /* the next window */
    push(h, 1, "k", 15, 30);
    watermark(h, 8);
    assert_int_equal(sg_harness_count(h), 0); /* [0, 10) fires at 9, not before */
    watermark(h, 9);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 0, "k", 9, 1, 10); /* a in arrival order, then each b */
    expect(h, 1, "k", 9, 1, 20);
    expect(h, 2, "k", 9, 2, 10);
    expect(h, 3, "k", 9, 2, 20);
    push(h, 1, "k", 10, 40); /* on time for [10, 20) */
    watermark(h, 19);
    assert_int_equal(sg_harness_count(h), 6);
    expect(h, 4, "k", 19, 3, 30);
    expect(h, 5, "k", 19, 3, 40);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 6);
    assert_int_equal(sg_harness_late(h), 0);
    sg_harness_free(h);
}

static void test_keys_are_joined_apart(void **state)
{
    sg_window_join_config c = config(10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "x", 1, 1);
    push(h, 1, "y", 2, 20); /* y's b: x's a must not see it */
    push(h, 0, "y", 3, 2);
    push(h, 1, "x", 4, 10);
    watermark(h, 9);
    assert_int_equal(sg_harness_count(h), 2);
    /* Timers of equal ts fire in the order they were set: x's first. */
    expect(h, 0, "x", 9, 1, 10);
    expect(h, 1, "y", 9, 2, 20);
    sg_harness_free(h);
}

static void test_no_output_when_one_side_is_empty(void **state)
{
    sg_window_join_config c = config(10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 1, 1); /* [0, 10): a only */
    push(h, 0, "k", 2, 2);
    push(h, 1, "k", 11, 10); /* [10, 20): b only */
    push(h, 1, "j", 5, 20);  /* another key, b only */
    watermark(h, 30);
    assert_int_equal(sg_harness_count(h), 0);
    /* The windows fired and were dropped: a new a in [10, 20) is late, and nothing of
     * [0, 10) is left to meet a b there either. */
    push(h, 0, "k", 12, 3);
    push(h, 1, "k", 3, 30);
    assert_int_equal(sg_harness_late(h), 2);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    sg_harness_free(h);
}

static void test_late_record_is_dropped_and_counted(void **state)
{
    sg_window_join_config c = config(10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 12, 1);
    watermark(h, 9);         /* [0, 10) has fired (it was empty) */
    push(h, 1, "k", 9, 10);  /* late: its only window has fired */
    push(h, 1, "k", 10, 20); /* on time */
    assert_int_equal(sg_harness_late(h), 1);
    watermark(h, 19);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 19, 1, 20);
    sg_harness_free(h);
}

static void test_negative_event_times_fall_in_floored_windows(void **state)
{
    sg_window_join_config c = config(10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", -1, 1); /* [-10, 0) */
    push(h, 1, "k", -10, 10);
    push(h, 1, "k", 0, 20); /* [0, 10) */
    watermark(h, -1);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", -1, 1, 10);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

/* ---- Sliding windows ----------------------------------------------------------------- */

static void test_sliding_pair_is_joined_once_per_window_it_shares(void **state)
{
    sg_window_join_config c = config(10, 5); /* [0,10), [5,15), [10,20), ... */
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 7, 1);   /* in [0, 10) and [5, 15) */
    push(h, 1, "k", 8, 10);  /* in [0, 10) and [5, 15) */
    push(h, 0, "k", 2, 2);   /* in [-5, 5) and [0, 10) */
    push(h, 1, "k", 12, 20); /* in [5, 15) and [10, 20) */
    watermark(h, 4);
    assert_int_equal(sg_harness_count(h), 0); /* [-5, 5) has a only */
    watermark(h, 9);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 9, 2, 10); /* a in pane order: 2 (pane 0-5), then 7 */
    expect(h, 1, "k", 9, 1, 10);
    watermark(h, 14);
    assert_int_equal(sg_harness_count(h), 4);
    expect(h, 2, "k", 14, 1, 10);
    expect(h, 3, "k", 14, 1, 20);
    assert_int_equal(sg_harness_finish(h), SG_OK); /* [10, 20) has b only */
    assert_int_equal(sg_harness_count(h), 4);
    sg_harness_free(h);
}

static void test_sliding_record_after_its_first_window_joins_the_later_ones(void **state)
{
    sg_window_join_config c = config(10, 5);
    sg_harness *h = start(state, &c);
    push(h, 1, "k", 6, 10);
    watermark(h, 9); /* [0, 10) fired: b only */
    assert_int_equal(sg_harness_count(h), 0);
    push(h, 0, "k", 7, 1); /* [0, 10) closed, [5, 15) open: not late */
    assert_int_equal(sg_harness_late(h), 0);
    push(h, 0, "k", 4, 2); /* [-5, 5) and [0, 10) closed: late */
    assert_int_equal(sg_harness_late(h), 1);
    watermark(h, 14);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 14, 1, 10);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

static void test_sliding_windows_with_slide_not_dividing_size(void **state)
{
    sg_window_join_config c = config(6, 4); /* panes of 2: [0,6), [4,10), [8,14) ... */
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 5, 1);  /* [0, 6), [4, 10) */
    push(h, 1, "k", 4, 10); /* [0, 6), [4, 10) */
    push(h, 1, "k", 9, 20); /* [4, 10), [8, 14) */
    push(h, 0, "k", 8, 2);  /* [4, 10), [8, 14) */
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 6);
    expect(h, 0, "k", 5, 1, 10);
    expect(h, 1, "k", 9, 1, 10);
    expect(h, 2, "k", 9, 1, 20);
    expect(h, 3, "k", 9, 2, 10);
    expect(h, 4, "k", 9, 2, 20);
    expect(h, 5, "k", 13, 2, 20);
    sg_harness_free(h);
}

/* ---- State cleanup (white box) -------------------------------------------------------
 * The operator wrapped: a record whose value is 16 bytes ({0, pane end}) is a probe,
 * not data. It counts the records of its key still stored on its port in that pane,
 * through the operator's own list states (declaring a state by its name again gives
 * the same one), and emits the count. */

static void test_slide_above_size_joins_within_windows_and_skips_gaps(void **state)
{
    /* Size 4, slide 6 (panes of 2): windows [0, 4), [6, 10); [4, 6) is a gap. */
    sg_window_join_config c = config(4, 6);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 1, 1);
    push(h, 1, "k", 3, 10);
    push(h, 1, "k", 5, 20); /* gap: joins nothing, not late */
    push(h, 0, "k", 4, 2);  /* gap */
    push(h, 0, "k", 7, 3);
    push(h, 1, "k", 9, 30);
    watermark(h, 9);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 3, 1, 10);
    expect(h, 1, "k", 9, 3, 30);
    push(h, 1, "k", 11, 40); /* gap, behind the watermark: still not late */
    push(h, 1, "k", 2, 50);  /* [0, 4) has fired: late */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    uint64_t n = 1;
    assert_int_equal(sg_harness_state_entries(h, &n), SG_OK);
    assert_int_equal(n, 0);
    sg_harness_free(h);
}

typedef struct peek_self {
    char join[64]; /* the join's self: large enough, zeroed by the engine */
    sg_state_id side[2];
} peek_self;

static int peek_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    peek_self *p = self;
    int rc = sg_window_join_op.open(ctx, p->join, restore);
    if (rc < 0 || (rc = sg_state_declare(ctx, "window-join-a", SG_STATE_LIST, &p->side[0])) < 0)
        return rc;
    return sg_state_declare(ctx, "window-join-b", SG_STATE_LIST, &p->side[1]);
}

static int count_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    SG_UNUSED(ctx);
    SG_UNUSED(item);
    ++*(int64_t *)ud;
    return SG_OK;
}

static int peek_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    peek_self *p = self;
    int64_t probe[2], n = 0;
    if (rec->value.len != sizeof(probe))
        return sg_window_join_op.process(ctx, p->join, port, rec);
    memcpy(probe, rec->value.data, sizeof(probe));
    int rc = sg_state_list_each(ctx, p->side[port], probe[1], count_item, &n);
    sg_bytes v = {&n, sizeof(n)};
    return rc < 0 ? rc : sg_emit(ctx, 0, rec->key, v);
}

static int peek_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    return sg_window_join_op.on_timer(ctx, ((peek_self *)self)->join, d, ts);
}

static void peek_close(sg_ctx *ctx, void *self)
{
    sg_window_join_op.close(ctx, ((peek_self *)self)->join);
}

static const sg_operator_def peek_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "peek",
    .self_size = sizeof(peek_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 2,
    .open = peek_open,
    .process = peek_process,
    .on_timer = peek_on_timer,
    .close = peek_close,
};

/* Records of key "k" still stored on 'port' in the pane ending at pane_end. */
static int64_t stored(sg_harness *h, int port, sg_time pane_end)
{
    size_t before = sg_harness_count(h);
    int64_t probe[2] = {0, pane_end}, n;
    sg_bytes v = {probe, sizeof(probe)};
    assert_int_equal(sg_harness_process(h, port, 0, sg_bytes_str("k"), v), SG_OK);
    assert_int_equal(sg_harness_count(h), before + 1);
    memcpy(&n, sg_harness_output(h, before)->value.data, sizeof(n));
    return n;
}

static void test_panes_are_dropped_by_the_last_window_that_needs_them(void **state)
{
    sg_window_join_config c = config(10, 5); /* panes of 5, named by their end */
    sg_harness *h = NULL;
    bool heap = *(const bool *)*state;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(&peek_op, &c, &h), SG_OK);
    push(h, 0, "k", 7, 1);  /* pane 10: [0, 10) and [5, 15) */
    push(h, 1, "k", 8, 10); /* pane 10 */
    push(h, 1, "k", 3, 20); /* pane 5: [-5, 5) and [0, 10) */
    assert_int_equal(stored(h, 0, 10), 1);
    assert_int_equal(stored(h, 1, 10), 1);
    assert_int_equal(stored(h, 1, 5), 1);
    sg_harness_clear(h);
    watermark(h, 9); /* [0, 10) fires; pane 5 is in no later window */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 9, 1, 20); /* b in pane order: pane 5 first */
    expect(h, 1, "k", 9, 1, 10);
    assert_int_equal(stored(h, 1, 5), 0);
    assert_int_equal(stored(h, 0, 10), 1); /* still needed by [5, 15) */
    assert_int_equal(stored(h, 1, 10), 1);
    sg_harness_clear(h);
    watermark(h, 14); /* [5, 15) fires, the last window of pane 10 */
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 14, 1, 10);
    assert_int_equal(stored(h, 0, 10), 0);
    assert_int_equal(stored(h, 1, 10), 0);
    sg_harness_clear(h);
    assert_int_equal(sg_harness_finish(h), SG_OK); /* no window left to fire */
    assert_int_equal(sg_harness_count(h), 0);
    sg_harness_free(h);
}

/* ---- Snapshot and restore ------------------------------------------------------------ */

/* A mixed run; with restore_at >= 0, a snapshot and restore before step restore_at.
 * The instance's watermark is not part of a snapshot (as in Flink): after a restart
 * upstream announces it again, which the run does by hand. */
static void scripted_run(sg_harness *h, int restore_at)
{
    static const struct step {
        int port; /* -1: watermark */
        const char *key;
        sg_time ts;
    } steps[] = {
        {0, "k", 1},    {1, "k", 4},  {0, "j", 6},  {1, "j", 7},   {-1, NULL, 4},
        {0, "k", 8},    {1, "k", 9},  {1, "j", 11}, {-1, NULL, 9}, {0, "k", 12},
        {1, "k", 13},   {0, "j", 16}, {1, "k", 3}, /* late */
        {-1, NULL, 14}, {1, "j", 18}, {0, "k", 19},
    };
    sg_time wm = SG_TIME_MIN;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if ((int)i == restore_at) {
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
            if (wm != SG_TIME_MIN)
                watermark(h, wm);
        }
        if (steps[i].port < 0)
            watermark(h, wm = steps[i].ts);
        else
            push(h, steps[i].port, steps[i].key, steps[i].ts, (int64_t)i);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    sg_window_join_config c = config(10, 5);
    sg_harness *straight, *h;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&sg_window_join_op, &c, &straight), SG_OK);
    scripted_run(straight, -1);
    assert_int_equal(sg_harness_count(straight), 17); /* 1 + 5 + 6 + 4 + 1 by window */
    for (int at = 1; at < 16; at += 3) {
        assert_int_equal(sg_harness_new(&sg_window_join_op, &c, &h), SG_OK);
        scripted_run(h, at);
        assert_int_equal(sg_harness_count(h), sg_harness_count(straight));
        for (size_t i = 0; i < sg_harness_count(h); i++) {
            const sg_record *x = sg_harness_output(straight, i), *y = sg_harness_output(h, i);
            assert_int_equal(x->ts, y->ts);
            assert_int_equal(x->key.len, y->key.len);
            assert_memory_equal(x->key.data, y->key.data, x->key.len);
            assert_int_equal(x->value.len, y->value.len);
            assert_memory_equal(x->value.data, y->value.data, x->value.len);
        }
        assert_int_equal(sg_harness_late(h), sg_harness_late(straight));
        sg_harness_free(h);
    }
    assert_int_equal(sg_harness_late(straight), 1);
    sg_harness_free(straight);
}

#define ON(f, backend) cmocka_unit_test_prestate(f, &on_##backend)
#define BOTH(f) ON(f, rocksdb), ON(f, heap)

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        BOTH(test_tumbling_window_joins_every_pair_at_end_minus_one),
        BOTH(test_keys_are_joined_apart),
        BOTH(test_no_output_when_one_side_is_empty),
        BOTH(test_late_record_is_dropped_and_counted),
        BOTH(test_negative_event_times_fall_in_floored_windows),
        BOTH(test_sliding_pair_is_joined_once_per_window_it_shares),
        BOTH(test_sliding_record_after_its_first_window_joins_the_later_ones),
        BOTH(test_sliding_windows_with_slide_not_dividing_size),
        BOTH(test_slide_above_size_joins_within_windows_and_skips_gaps),
        BOTH(test_panes_are_dropped_by_the_last_window_that_needs_them),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
