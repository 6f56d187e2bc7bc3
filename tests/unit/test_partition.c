/* Key groups and the key-group-to-subtask formula (Flink's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "engine/ctx.h"

static void test_key_group_is_xxh3_modulo_max_parallelism(void **state)
{
    (void)state;
    const char *keys[] = {"", "a", "user-1", "मुंबई", "#ipl"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        sg_bytes k = sg_bytes_str(keys[i]);
        assert_int_equal(sg__key_group(k), XXH3_64bits(k.data, k.len) % 128);
    }
}

static void test_subtask_formula_matches_flink(void **state)
{
    (void)state;
    /* Flink: keyGroup * parallelism / maxParallelism. */
    assert_int_equal(sg__kg_subtask(0, 4), 0);
    assert_int_equal(sg__kg_subtask(31, 4), 0);
    assert_int_equal(sg__kg_subtask(32, 4), 1);
    assert_int_equal(sg__kg_subtask(127, 4), 3);
    assert_int_equal(sg__kg_subtask(127, 3), 2);
    assert_int_equal(sg__kg_subtask(42, 3), 0);
    assert_int_equal(sg__kg_subtask(43, 3), 1);
    assert_int_equal(sg__kg_subtask(127, 128), 127);
    /* Each subtask gets a contiguous range of key groups. */
    for (int p = 1; p <= 128; p++) {
        int prev = 0;
        for (int kg = 0; kg < 128; kg++) {
            int s = sg__kg_subtask((uint16_t)kg, p);
            assert_true(s >= prev && s < p);
            prev = s;
        }
        assert_int_equal(prev, p - 1);
    }
}

static void test_keys_spread_over_key_groups(void **state)
{
    int count[128] = {0};
    char k[32];
    (void)state;
    for (int i = 0; i < 128000; i++) {
        snprintf(k, sizeof(k), "key-%d", i);
        count[sg__key_group(sg_bytes_str(k))]++;
    }
    for (int g = 0; g < 128; g++)
        assert_true(count[g] > 800 && count[g] < 1200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_group_is_xxh3_modulo_max_parallelism),
        cmocka_unit_test(test_subtask_formula_matches_flink),
        cmocka_unit_test(test_keys_spread_over_key_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
