/* trending_words' top-N operator through the harness: ranking (count, then word by
 * bytes), windows emitted oldest first when the watermark passes their end - 1, and
 * the same output after a snapshot and restore mid-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

#include "jobs/trending_words/trending.h"

static void count(sg_harness *h, sg_time start, sg_time end, const char *word, uint64_t n)
{
    tw_count c = {start, end, n};
    sg_bytes value = {&c, sizeof(c)};
    assert_int_equal(sg_harness_process(h, 0, end - 1, sg_bytes_str(word), value), SG_OK);
}

static void expect(sg_harness *h, size_t i, sg_time start, uint64_t rank, const char *word,
                   uint64_t n)
{
    const sg_record *r = sg_harness_output(h, i);
    tw_ranked x;
    assert_non_null(r);
    memcpy(&x, r->value.data, sizeof(x));
    assert_int_equal(x.start, start);
    assert_int_equal(x.rank, rank);
    assert_int_equal(x.count, n);
    assert_int_equal(r->key.len, strlen(word));
    assert_memory_equal(r->key.data, word, r->key.len);
}

static void test_ranks_by_count_then_word_bytes(void **state)
{
    tw_config cfg = {.top = 3};
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&tw_top_op, &cfg, &h), SG_OK);
    count(h, 0, 10, "zeta", 5);
    count(h, 0, 10, "मैच", 7);
    count(h, 0, 10, "alpha", 5);
    count(h, 0, 10, "#alpha", 5);
    count(h, 0, 10, "tiny", 1);
    assert_int_equal(sg_harness_watermark(h, 8), SG_OK);
    assert_int_equal(sg_harness_count(h), 0);
    assert_int_equal(sg_harness_watermark(h, 9), SG_OK);
    assert_int_equal(sg_harness_count(h), 3);
    expect(h, 0, 0, 1, "मैच", 7);
    expect(h, 1, 0, 2, "#alpha", 5);
    expect(h, 2, 0, 3, "alpha", 5);
    sg_harness_free(h);
}

static void test_windows_close_oldest_first(void **state)
{
    tw_config cfg = {.top = 1};
    sg_harness *h;
    (void)state;
    assert_int_equal(sg_harness_new(&tw_top_op, &cfg, &h), SG_OK);
    count(h, 10, 20, "b", 1);
    count(h, 0, 10, "a", 1);
    count(h, 20, 30, "c", 1);
    assert_int_equal(sg_harness_watermark(h, 19), SG_OK);
    assert_int_equal(sg_harness_count(h), 2);
    expect(h, 0, 0, 1, "a", 1);
    expect(h, 1, 10, 1, "b", 1);
    assert_int_equal(sg_harness_finish(h), SG_OK);
    expect(h, 2, 20, 1, "c", 1);
    sg_harness_free(h);
}

static size_t run(int restore_at, char *out, size_t cap)
{
    tw_config cfg = {.top = 4};
    sg_harness *h;
    char word[16];
    size_t used = 0;
    assert_int_equal(sg_harness_new(&tw_top_op, &cfg, &h), SG_OK);
    for (int i = 0; i < 200; i++) {
        if (i == restore_at)
            assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
        snprintf(word, sizeof(word), "w%d", (i * 7) % 23);
        sg_time start = (i / 40) * 10;
        count(h, start, start + 10, word, (uint64_t)((i * 13) % 17));
        if (i % 40 == 39)
            assert_int_equal(sg_harness_watermark(h, start - 1), SG_OK);
    }
    assert_int_equal(sg_harness_finish(h), SG_OK);
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        tw_ranked x;
        memcpy(&x, r->value.data, sizeof(x));
        used += (size_t)snprintf(out + used, cap - used, "%lld,%llu,%.*s,%llu\n",
                                 (long long)x.start, (unsigned long long)x.rank, (int)r->key.len,
                                 (const char *)r->key.data, (unsigned long long)x.count);
        assert_true(used < cap);
    }
    sg_harness_free(h);
    return used;
}

static void test_snapshot_mid_stream_then_restore_gives_the_same_output(void **state)
{
    static char a[16384], b[16384];
    (void)state;
    size_t na = run(-1, a, sizeof(a));
    assert_true(na > 100);
    for (int at = 3; at < 200; at += 41) {
        size_t nb = run(at, b, sizeof(b));
        assert_int_equal(na, nb);
        assert_string_equal(a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_by_count_then_word_bytes),
        cmocka_unit_test(test_windows_close_oldest_first),
        cmocka_unit_test(test_snapshot_mid_stream_then_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
