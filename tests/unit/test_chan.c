/* Channels: SPSC ring order, capacity (backpressure), batch recycling, and a
 * two-thread hand-off of many batches in order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/chan.h"

static void test_ring_keeps_order_and_reports_full(void **state)
{
    sg__chan *c = sg__chan_new();
    sg__batch *b[SG__CHAN_CAP + 1];
    (void)state;
    assert_true(sg__ring_empty(&c->data));
    for (int i = 0; i < SG__CHAN_CAP; i++) {
        b[i] = sg__chan_take_free(c);
        b[i]->wm = i;
        assert_true(sg__ring_push(&c->data, b[i]));
    }
    assert_true(sg__ring_full(&c->data));
    b[SG__CHAN_CAP] = sg__chan_take_free(c);
    assert_false(sg__ring_push(&c->data, b[SG__CHAN_CAP])); /* backpressure */
    for (int i = 0; i < SG__CHAN_CAP; i++) {
        sg__batch *x = sg__ring_pop(&c->data);
        assert_ptr_equal(x, b[i]);
        assert_int_equal(x->wm, i);
        assert_true(sg__ring_push(&c->free, x));
    }
    assert_null(sg__ring_pop(&c->data));
    /* Recycled batches come back reset. */
    sg__batch *r = sg__chan_take_free(c);
    assert_ptr_equal(r, b[0]);
    assert_int_equal(r->n, 0);
    assert_int_equal(r->kind, SG__BATCH_DATA);
    sg__batch_free(r);
    sg__batch_free(b[SG__CHAN_CAP]);
    sg__chan_free(c);
}

static void test_batch_copies_records_and_fills_up(void **state)
{
    sg__batch *b = sg__batch_new();
    sg_record rec = {42, sg_bytes_str("key"), sg_bytes_str("value")}, out;
    (void)state;
    assert_int_equal(sg__batch_add(b, &rec, 7, -1), SG_OK);
    sg_time wm;
    sg__batch_get(b, 0, &out, &wm);
    assert_int_equal(wm, 7);
    assert_int_equal(out.ts, 42);
    assert_int_equal(out.key.len, 3);
    assert_memory_equal(out.key.data, "key", 3);
    assert_memory_equal(out.value.data, "value", 5);
    int n = 1;
    while (sg__batch_add(b, &rec, 7, -1) == SG_OK)
        n++;
    assert_int_equal(n, SG__BATCH_RECS);
    sg__batch_reset(b);
    /* A record larger than the arena gets a grown arena in an empty batch only. */
    static char big[SG__BATCH_ARENA * 2];
    sg_record huge = {1, {NULL, 0}, {big, sizeof(big)}};
    assert_int_equal(sg__batch_add(b, &rec, 7, -1), SG_OK);
    assert_int_equal(sg__batch_add(b, &huge, 7, -1), SG_AGAIN);
    sg__batch_reset(b);
    assert_int_equal(sg__batch_add(b, &huge, 7, -1), SG_OK);
    sg__batch_free(b);
}

#define HANDOFF_BATCHES 50000

static void *consumer(void *arg)
{
    sg__chan *c = arg;
    int64_t expect = 0;
    while (expect < HANDOFF_BATCHES) {
        sg__batch *b = sg__ring_pop(&c->data);
        if (!b)
            continue;
        if (b->wm != expect)
            return (void *)1;
        expect++;
        if (!sg__ring_push(&c->free, b))
            sg__batch_free(b);
    }
    return NULL;
}

static void test_two_threads_hand_off_batches_in_order(void **state)
{
    sg__chan *c = sg__chan_new();
    pthread_t th;
    void *res;
    (void)state;
    assert_int_equal(pthread_create(&th, NULL, consumer, c), 0);
    for (int64_t i = 0; i < HANDOFF_BATCHES; i++) {
        sg__batch *b = sg__chan_take_free(c);
        assert_non_null(b);
        b->wm = i;
        while (!sg__ring_push(&c->data, b))
            ;
    }
    pthread_join(th, &res);
    assert_null(res);
    sg__chan_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_keeps_order_and_reports_full),
        cmocka_unit_test(test_batch_copies_records_and_fills_up),
        cmocka_unit_test(test_two_threads_hand_off_batches_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
