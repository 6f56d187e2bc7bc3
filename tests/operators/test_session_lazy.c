/* Session windows' lazy on-time timers and batch path (operators/session.c): a session
 * extended by many records fires once, at its final end - 1, whether the watermark
 * passes the ends it outgrew one at a time, in one jump, across a snapshot and
 * restore, or with allowed lateness; process_batch gives what process gives. */
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

typedef struct acc {
    int64_t count, sum;
} acc;

typedef struct session {
    sg_time start, end;
    int64_t count, sum;
} session;

static int s_add(void *a, const sg_record *rec, void *udata)
{
    int64_t v;
    (void)udata;
    memcpy(&v, rec->value.data, sizeof(v));
    ((acc *)a)->count++;
    ((acc *)a)->sum += v;
    return SG_OK;
}

static void s_merge(void *a, const void *b, void *udata)
{
    (void)udata;
    ((acc *)a)->count += ((const acc *)b)->count;
    ((acc *)a)->sum += ((const acc *)b)->sum;
}

static int s_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *a,
                    void *udata)
{
    (void)udata;
    session s = {start, end, ((const acc *)a)->count, ((const acc *)a)->sum};
    sg_bytes v = {&s, sizeof(s)};
    return sg_emit(ctx, end - 1, key, v);
}

static sg_session_config config(sg_time gap, sg_time lateness)
{
    sg_session_config c = {
        .gap = gap,
        .lateness = lateness,
        .agg = {.abi = SG_AGGREGATE_ABI_1,
                .acc_size = sizeof(acc),
                .add = s_add,
                .merge = s_merge,
                .result = s_result},
    };
    return c;
}

static void push(sg_harness *h, const char *key, sg_time ts, int64_t v)
{
    sg_bytes value = {&v, sizeof(v)};
    assert_int_equal(sg_harness_process(h, 0, ts, sg_bytes_str(key), value), SG_OK);
}

static void wm(sg_harness *h, sg_time t)
{
    assert_int_equal(sg_harness_watermark(h, t), SG_OK);
}

static void expect(sg_harness *h, size_t i, const char *key, sg_time start, sg_time end,
                   int64_t count, int64_t sum)
{
    const sg_record *r = sg_harness_output(h, i);
    session s;
    assert_non_null(r);
    assert_int_equal(r->key.len, strlen(key));
    assert_memory_equal(r->key.data, key, r->key.len);
    memcpy(&s, r->value.data, sizeof(s));
    assert_int_equal(r->ts, s.end - 1);
    assert_int_equal(s.start, start);
    assert_int_equal(s.end, end);
    assert_int_equal(s.count, count);
    assert_int_equal(s.sum, sum);
}

/* [0,10) grows to [0,105) by a record every 5 ms; the timer at 9 fires long before. */
static void test_extended_session_fires_once_at_its_final_end(void **state)
{
    (void)state;
    sg_session_config c = config(10, 0);
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &h), SG_OK);
    for (sg_time t = 0; t < 100; t += 5) {
        push(h, "a", t, 1);
        if (t == 20)
            wm(h, 9); /* the first end's timer fires: nothing is due, it re-arms */
    }
    wm(h, 50);
    wm(h, 103);
    assert_int_equal(sg_harness_count(h), 0);
    wm(h, 104);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 0, 105, 20, 20);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

/* The watermark jumps over every end the session had: one firing, after the others'. */
static void test_one_watermark_jump_over_outgrown_ends_fires_once(void **state)
{
    (void)state;
    sg_session_config c = config(10, 0);
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &h), SG_OK);
    for (sg_time t = 0; t < 50; t += 8)
        push(h, "a", t, 2); /* [0,58) */
    push(h, "b", 30, 1);    /* [30,40) */
    wm(h, 1000);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, "b", 30, 40, 1, 1);
    expect(h, 1, "a", 0, 58, 7, 14);
    sg_harness_free(h);
}

/* Two unfired sessions bridged by a record: the merged one fires once at its end. */
static void test_bridged_sessions_fire_once(void **state)
{
    (void)state;
    sg_session_config c = config(10, 0);
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 0, 1);  /* [0,10), timer 9 */
    push(h, "a", 20, 2); /* [20,30), timer 29 */
    push(h, "a", 10, 4); /* touches both: [0,30) */
    wm(h, 9);
    wm(h, 28);
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "a", 30, 8); /* touches [0,30): [0,40) */
    wm(h, 29);
    wm(h, 38);
    assert_int_equal(sg_harness_count(h), 0);
    wm(h, 39);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 0, 40, 4, 15);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    assert_int_equal(sg_harness_count(h), 1);
    sg_harness_free(h);
}

/* With lateness: on-time firing at the final end, a late firing, cleanup at the
 * final end - 1 + L (not at an outgrown end's). */
static void test_lateness_counts_from_the_final_end(void **state)
{
    (void)state;
    sg_session_config c = config(10, 20);
    sg_harness *h;
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 0, 1);
    push(h, "a", 8, 2); /* [0,18) */
    wm(h, 9);           /* the old end: nothing fires */
    assert_int_equal(sg_harness_count(h), 0);
    push(h, "a", 15, 4); /* [0,25) */
    wm(h, 24);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 0, 25, 3, 7);
    wm(h, 40);          /* past 9 + 20 and 17 + 20, before 24 + 20 */
    push(h, "a", 3, 8); /* still within lateness: fires again at once */
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 1, "a", 0, 25, 4, 15);
    wm(h, 44); /* cleanup */
    push(h, "a", 5, 16);
    assert_int_equal(sg_harness_count(h), 2);
    assert_int_equal(sg_harness_late(h), 1);
    uint64_t entries = 1;
    assert_int_equal(sg_harness_state_entries(h, &entries), SG_OK);
    assert_int_equal(entries, 0);
    sg_harness_free(h);
}

/* A lazy timer is in the snapshot: after a restore it still re-arms. */
static void test_lazy_timer_survives_snapshot_and_restore(void **state)
{
    (void)state;
    sg_session_config c = config(10, 0);
    sg_harness *h;
    assert_int_equal(sg_harness_new(&sg_session_aggregate_op, &c, &h), SG_OK);
    push(h, "a", 0, 1);
    push(h, "a", 6, 2); /* [0,16), timer 9 */
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    push(h, "a", 12, 4); /* [0,22) */
    wm(h, 9);
    assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
    wm(h, 20);
    assert_int_equal(sg_harness_count(h), 0);
    wm(h, 21);
    assert_int_equal(sg_harness_count(h), 1);
    expect(h, 0, "a", 0, 22, 3, 7);
    sg_harness_free(h);
}

#define N_RECS 3000

/* The same records one at a time and in batches: the same output, in order. */
static void test_batches_give_what_single_records_give(void **state)
{
    (void)state;
    sg_session_config c = config(50, 0);
    static sg_record recs[N_RECS];
    static int64_t vals[N_RECS];
    static char keys[N_RECS][8];
    sg_harness *one, *many;
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &one), SG_OK);
    assert_int_equal(backend_harness_new(&sg_session_aggregate_op, &c, &many), SG_OK);
    uint32_t x = 12345;
    for (size_t i = 0; i < N_RECS; i++) {
        x = x * 1103515245u + 12345u;
        vals[i] = (int64_t)(x >> 16) % 100;
        snprintf(keys[i], sizeof(keys[i]), "k%u", (x >> 8) % 37);
        /* time drifts forward with jitter, so sessions open, grow, merge and close */
        recs[i].ts = (sg_time)(i * 3) + (sg_time)((x >> 4) % 60);
        recs[i].key = sg_bytes_str(keys[i]);
        recs[i].value = (sg_bytes){&vals[i], sizeof(vals[i])};
    }
    for (size_t b = 0; b < N_RECS; b += 500) {
        for (size_t i = b; i < b + 500; i++)
            assert_int_equal(sg_harness_process(one, 0, recs[i].ts, recs[i].key, recs[i].value),
                             SG_OK);
        assert_int_equal(sg_harness_process_batch(many, 0, &recs[b], 500), SG_OK);
        wm(one, (sg_time)(b * 3));
        wm(many, (sg_time)(b * 3));
    }
    assert_int_equal(sg_harness_finish(one), SG_OK);
    assert_int_equal(sg_harness_finish(many), SG_OK);
    assert_true(sg_harness_count(one) > 37);
    assert_int_equal(sg_harness_count(many), sg_harness_count(one));
    for (size_t i = 0; i < sg_harness_count(one); i++) {
        const sg_record *a = sg_harness_output(one, i), *b = sg_harness_output(many, i);
        assert_int_equal(a->ts, b->ts);
        assert_int_equal(a->key.len, b->key.len);
        assert_memory_equal(a->key.data, b->key.data, a->key.len);
        assert_int_equal(a->value.len, b->value.len);
        assert_memory_equal(a->value.data, b->value.data, a->value.len);
    }
    assert_int_equal(sg_harness_late(many), sg_harness_late(one));
    sg_harness_free(one);
    sg_harness_free(many);
}

int main(void)
{
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_extended_session_fires_once_at_its_final_end),
        cmocka_unit_test(test_one_watermark_jump_over_outgrown_ends_fires_once),
        cmocka_unit_test(test_bridged_sessions_fire_once),
        cmocka_unit_test(test_lateness_counts_from_the_final_end),
        cmocka_unit_test(test_batches_give_what_single_records_give),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_lazy_timer_survives_snapshot_and_restore),
    };
    return BACKEND_RUN(both, once);
}
