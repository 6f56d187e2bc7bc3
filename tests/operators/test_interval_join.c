/* The interval join through the harness: both bounds inclusive, negative and positive
 * bounds, lo == hi, output ts = max of both, out-of-order arrivals on both sides, keys
 * apart, late records dropped and counted, buffers kept exactly as long as a record
 * that is not late can still match them and dropped after (white box), a randomized
 * comparison with a brute-force model, and a snapshot and restore mid-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

typedef struct pair {
    int64_t a, b;
    sg_time a_ts, b_ts;
} pair;

static int emit_pair(sg_ctx *ctx, sg_bytes key, const sg_record *a, const sg_record *b, sg_time ts,
                     void *udata)
{
    pair p = {0, 0, a->ts, b->ts};
    SG_UNUSED(udata);
    if (a->value.len != sizeof(int64_t) || b->value.len != sizeof(int64_t))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "join got a malformed record");
    memcpy(&p.a, a->value.data, sizeof(p.a));
    memcpy(&p.b, b->value.data, sizeof(p.b));
    sg_bytes v = {&p, sizeof(p)};
    return sg_emit(ctx, ts, key, v);
}

static sg_interval_join_config config(sg_time lo, sg_time hi)
{
    sg_interval_join_config c = {.lo = lo,
                                 .hi = hi,
                                 .bucket = sg_interval_join_bucket(lo, hi),
                                 .def = {.abi = SG_JOIN_ABI_1, .join = emit_pair}};
    return c;
}

static bool on_rocksdb = false, on_heap = true; /* the tests' prestates */

static sg_harness *start_op(void **state, const sg_operator_def *op, sg_interval_join_config *c)
{
    sg_harness *h = NULL;
    bool heap = *(const bool *)*state;
    assert_int_equal((heap ? sg_harness_new_heap : sg_harness_new)(op, c, &h), SG_OK);
    return h;
}

static sg_harness *start(void **state, sg_interval_join_config *c)
{
    return start_op(state, &sg_interval_join_op, c);
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
    assert_int_equal(r->ts, p.a_ts > p.b_ts ? p.a_ts : p.b_ts);
}

/* ---- Bounds ---------------------------------------------------------------------------- */

static void test_both_bounds_are_inclusive_and_ts_is_the_max(void **state)
{
    sg_interval_join_config c = config(-2, 3); /* b in [a.ts - 2, a.ts + 3] */
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 10, 1);
    push(h, 1, "k", 7, 10);  /* a.ts - 3: out */
    push(h, 1, "k", 8, 11);  /* a.ts - 2: the lower bound, in */
    push(h, 1, "k", 13, 12); /* a.ts + 3: the upper bound, in */
    push(h, 1, "k", 14, 13); /* out */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 10, 1, 11);
    expect(h, 1, "k", 13, 1, 12);
    /* An a arriving later finds the buffered b's, with the same bounds seen from b. */
    push(h, 0, "k", 16, 2); /* b in [14, 19]: 14 */
    push(h, 0, "k", 5, 3);  /* b in [3, 8]: 7 and 8 */
    assert_int_equal(sg_harness_count(h), 5);
    expect(h, 2, "k", 16, 2, 13);
    expect(h, 3, "k", 7, 3, 10);
    expect(h, 4, "k", 8, 3, 11);
    sg_harness_free(h);
}

static void test_negative_bounds_join_b_before_a(void **state)
{
    sg_interval_join_config c = config(-5, -1); /* b 1 to 5 ms before a */
    sg_harness *h = start(state, &c);
    push(h, 1, "k", 4, 10);
    push(h, 1, "k", 5, 11);
    push(h, 1, "k", 9, 12);
    push(h, 1, "k", 10, 13);
    push(h, 0, "k", 10, 1); /* b in [5, 9] */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 10, 1, 11); /* ts = a's, the later one */
    expect(h, 1, "k", 10, 1, 12);
    sg_harness_free(h);
}

static void test_positive_bounds_and_equal_bounds(void **state)
{
    sg_interval_join_config c = config(1, 2); /* b 1 or 2 ms after a */
    sg_harness *h = start(state, &c);
    push(h, 1, "k", 100, 10);
    push(h, 0, "k", 97, 1);  /* [98, 99]: none */
    push(h, 0, "k", 98, 2);  /* [99, 100]: 100 */
    push(h, 0, "k", 99, 3);  /* [100, 101]: 100 */
    push(h, 0, "k", 100, 4); /* [101, 102]: none */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "k", 100, 2, 10);
    expect(h, 1, "k", 100, 3, 10);
    sg_harness_free(h);

    c = config(0, 0); /* equal times only */
    h = start(state, &c);
    push(h, 0, "k", -3, 1);
    push(h, 1, "k", -4, 10);
    push(h, 1, "k", -3, 11);
    push(h, 1, "k", -2, 12);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", -3, 1, 11);
    sg_harness_free(h);
}

static void test_out_of_order_arrivals_on_both_sides(void **state)
{
    sg_interval_join_config c = config(-10, 10);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 50, 1);
    push(h, 1, "k", 45, 10);
    push(h, 0, "k", 30, 2); /* [20, 40]: none yet */
    push(h, 1, "k", 25, 11);
    push(h, 0, "k", 60, 3);  /* [50, 70]: none */
    push(h, 1, "k", 61, 12); /* a in [51, 71]: 60, not 50 */
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 0, "k", 50, 1, 10);
    expect(h, 1, "k", 30, 2, 11);
    expect(h, 2, "k", 61, 3, 12);
    sg_harness_free(h);
}

static void test_keys_are_joined_apart(void **state)
{
    sg_interval_join_config c = config(-1, 1);
    sg_harness *h = start(state, &c);
    push(h, 0, "x", 10, 1);
    push(h, 1, "y", 10, 10);
    push(h, 0, "y", 11, 2);
    push(h, 1, "x", 9, 11);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "y", 11, 2, 10);
    expect(h, 1, "x", 10, 1, 11);
    sg_harness_free(h);
}

static void test_records_below_the_watermark_are_late(void **state)
{
    sg_interval_join_config c = config(-5, 5);
    sg_harness *h = start(state, &c);
    push(h, 0, "k", 12, 1);
    watermark(h, 10);
    push(h, 1, "k", 9, 10); /* below the watermark: late, though it would match */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_count(h), 0);
    push(h, 1, "k", 10, 11); /* at the watermark: on time, as in Flink */
    assert_int_equal(sg_harness_late(h), 1);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 12, 1, 11);
    sg_harness_free(h);
}

/* ---- Cleanup (white box) ----------------------------------------------------------------
 * The operator wrapped: a record whose value is 16 bytes ({0, bucket start}) is a
 * probe. It counts the records of its key still buffered on its port in that bucket,
 * through the operator's own list states (declaring a state by its name again gives
 * the same one), and emits the count. */

typedef struct peek_self {
    char join[64]; /* the join's self: large enough, zeroed by the engine */
    sg_state_id side[2];
} peek_self;

static int peek_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    peek_self *p = self;
    int rc = sg_interval_join_op.open(ctx, p->join, restore);
    if (rc < 0 || (rc = sg_state_declare(ctx, "interval-join-a", SG_STATE_LIST, &p->side[0])) < 0)
        return rc;
    return sg_state_declare(ctx, "interval-join-b", SG_STATE_LIST, &p->side[1]);
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
        return sg_interval_join_op.process(ctx, p->join, port, rec);
    memcpy(probe, rec->value.data, sizeof(probe));
    int rc = sg_state_list_each(ctx, p->side[port], probe[1], count_item, &n);
    sg_bytes v = {&n, sizeof(n)};
    return rc < 0 ? rc : sg_emit(ctx, 0, rec->key, v);
}

static int peek_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    return sg_interval_join_op.on_timer(ctx, ((peek_self *)self)->join, d, ts);
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
};

/* Records of key "k" still buffered on 'port' in the bucket starting at bs. */
static int64_t buffered(sg_harness *h, int port, sg_time bs)
{
    size_t before = sg_harness_count(h);
    int64_t probe[2] = {0, bs}, n;
    sg_bytes v = {probe, sizeof(probe)};
    assert_int_equal(sg_harness_process(h, port, 0, sg_bytes_str("k"), v), SG_OK);
    assert_int_equal(sg_harness_count(h), before + 1);
    memcpy(&n, sg_harness_output(h, before)->value.data, sizeof(n));
    return n;
}

/* Bounds [0, 5], buckets of 6 ms: a@100 is in bucket [96, 102). Flink drops a@100 at
 * wm >= 105; a b at 105 is not late then and must still meet it. */
static void test_a_is_kept_while_a_b_on_time_can_match_it(void **state)
{
    sg_interval_join_config c = config(0, 5);
    sg_harness *h = start_op(state, &peek_op, &c);
    push(h, 0, "k", 100, 1);
    assert_int_equal(buffered(h, 0, 96), 1);
    sg_harness_clear(h);
    watermark(h, 105);
    push(h, 1, "k", 105, 10); /* a.ts + hi, at the watermark: on time, joins */
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 105, 1, 10);
    sg_harness_clear(h);
    /* From wm 106 no b on time can meet a@100; its bucket goes once no record in it
     * (up to ts 101) can match: at wm 101 + 5 + 1 = 107. */
    watermark(h, 106);
    push(h, 1, "k", 106, 11); /* on time, out of a@100's bounds */
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(buffered(h, 0, 96), 1);
    sg_harness_clear(h);
    watermark(h, 107);
    assert_int_equal(buffered(h, 0, 96), 0);
    /* b's buckets: [102, 108) holds 105 and 106, dropped at wm 107 - 0 + 1 = 108. */
    assert_int_equal(buffered(h, 1, 102), 2);
    watermark(h, 108);
    assert_int_equal(buffered(h, 1, 102), 0);
    sg_harness_free(h);
}

/* Bounds [-3, 0]: a may come up to 3 ms after b. b@50 (bucket [48, 52)) must still be
 * there for an a at 53 when the watermark is 53 (Flink drops it at wm >= 53). */
static void test_b_is_kept_while_an_a_on_time_can_match_it(void **state)
{
    sg_interval_join_config c = config(-3, 0);
    sg_harness *h = start_op(state, &peek_op, &c);
    push(h, 1, "k", 50, 10);
    watermark(h, 53);
    push(h, 0, "k", 53, 1);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "k", 53, 1, 10);
    sg_harness_clear(h);
    watermark(h, 54); /* bucket [48, 52) of b: last ts 51, dropped at 51 + 3 + 1 = 55 */
    assert_int_equal(buffered(h, 1, 48), 1);
    watermark(h, 55);
    assert_int_equal(buffered(h, 1, 48), 0);
    sg_harness_clear(h);
    push(h, 0, "k", 55, 2); /* cannot match b@50 (55 - 3 > 50), and does not */
    assert_int_equal(sg_harness_count(h), 0);
    sg_harness_free(h);
}

/* ---- Randomized, against a brute-force model ----------------------------------------------
 * Records of a few keys at random times around a rising watermark, on random sides;
 * the model: every pair of records that were not late on arrival, of one key, within
 * the bounds. Compared as sorted lists of (a id, b id, ts). */

typedef struct rec {
    int port, key;
    sg_time ts;
    bool late;
} rec;

typedef struct triple {
    int64_t a, b, ts;
} triple;

static int cmp_triple(const void *x, const void *y)
{
    const triple *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return 0;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return rng_state >> 33;
}

#define NREC 400

static void random_run(void **state, sg_time lo, sg_time hi)
{
    static const char *const keys[] = {"k0", "k1", "k2"};
    sg_interval_join_config c = config(lo, hi);
    sg_harness *h = start(state, &c);
    rec *r = test_calloc(NREC, sizeof(*r));
    triple *want = test_calloc((size_t)NREC * NREC, sizeof(*want));
    triple *got = test_calloc((size_t)NREC * NREC, sizeof(*got));
    size_t n_want = 0;
    sg_time wm = SG_TIME_MIN;
    for (int i = 0; i < NREC; i++) {
        if (i % 20 == 19) { /* the watermark trails the times by about 30 ms */
            wm = i - 30;
            watermark(h, wm);
        }
        r[i].port = (int)(rng() % 2);
        r[i].key = (int)(rng() % 3);
        r[i].ts = i - 40 + (sg_time)(rng() % 60) - 15; /* some land below wm */
        r[i].late = r[i].ts < wm;
        push(h, r[i].port, keys[r[i].key], r[i].ts, i);
    }
    for (int i = 0; i < NREC; i++)
        for (int j = 0; j < NREC; j++) {
            const rec *a = &r[i], *b = &r[j];
            if (a->port != 0 || b->port != 1 || a->late || b->late || a->key != b->key)
                continue;
            if (a->ts + lo <= b->ts && b->ts <= a->ts + hi)
                want[n_want++] = (triple){i, j, a->ts > b->ts ? a->ts : b->ts};
        }
    size_t n = sg_harness_count(h);
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++) {
        const sg_record *o = sg_harness_output(h, i);
        pair p;
        memcpy(&p, o->value.data, sizeof(p));
        got[i] = (triple){p.a, p.b, o->ts};
        assert_int_equal(o->key.len, 2);
        assert_memory_equal(o->key.data, keys[r[p.a].key], 2);
    }
    qsort(want, n_want, sizeof(*want), cmp_triple);
    qsort(got, n, sizeof(*got), cmp_triple);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i].a, want[i].a);
        assert_int_equal(got[i].b, want[i].b);
        assert_int_equal(got[i].ts, want[i].ts);
    }
    uint64_t late = 0;
    for (int i = 0; i < NREC; i++)
        late += r[i].late;
    assert_true(late > 0); /* the run does exercise lateness */
    assert_int_equal(sg_harness_late(h), late);
    test_free(r);
    test_free(want);
    test_free(got);
    sg_harness_free(h);
}

static void test_random_arrivals_match_a_brute_force_model(void **state)
{
    static const sg_time bounds[][2] = {{-10, 10}, {0, 0}, {-7, -2},  {3, 25},
                                        {-1, 0},   {0, 1}, {-40, 40}, {-100, -90}};
    rng_state = 42;
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
        random_run(state, bounds[i][0], bounds[i][1]);
}

/* ---- Snapshot and restore ------------------------------------------------------------------ */

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
        {0, "k", 10}, {1, "k", 12}, {0, "j", 14}, {1, "k", 8},     {-1, NULL, 9}, {1, "j", 11},
        {0, "k", 15}, {1, "k", 9},  {0, "j", 20}, {-1, NULL, 16},  {1, "k", 14}, /* late */
        {1, "j", 22}, {0, "k", 19}, {1, "k", 21}, {-1, NULL, 100}, {0, "k", 25},  {1, "k", 24},
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
    sg_interval_join_config c = config(-2, 4);
    sg_harness *straight, *h;
    SG_UNUSED(state);
    assert_int_equal(sg_harness_new(&sg_interval_join_op, &c, &straight), SG_OK);
    scripted_run(straight, -1);
    assert_int_equal(sg_harness_count(straight), 5); /* worked out by hand */
    for (int at = 1; at < 17; at += 2) {
        assert_int_equal(sg_harness_new(&sg_interval_join_op, &c, &h), SG_OK);
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
    assert_int_equal(sg_harness_late(straight), 3); /* 14 at wm 16; 25 and 24 at wm 100 */
    sg_harness_free(straight);
}

#define ON(f, backend) cmocka_unit_test_prestate(f, &on_##backend)
#define BOTH(f) ON(f, rocksdb), ON(f, heap)

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        BOTH(test_both_bounds_are_inclusive_and_ts_is_the_max),
        BOTH(test_negative_bounds_join_b_before_a),
        BOTH(test_positive_bounds_and_equal_bounds),
        BOTH(test_out_of_order_arrivals_on_both_sides),
        BOTH(test_keys_are_joined_apart),
        BOTH(test_records_below_the_watermark_are_late),
        BOTH(test_a_is_kept_while_a_b_on_time_can_match_it),
        BOTH(test_b_is_kept_while_an_a_on_time_can_match_it),
        BOTH(test_random_arrivals_match_a_brute_force_model),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
