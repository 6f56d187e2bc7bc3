/* Unit tests of the list and map value formats and their TTL pruning
 * (engine/state_kinds.h): items round-trip, expired ones are dropped or restamped,
 * and truncated or foreign bytes are reported as SG_ESERDE, never read past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/state_kinds.h"

static sg__state_meta meta(sg_state_kind kind, bool ttl)
{
    sg__state_meta m = {.kind = (uint8_t)(kind + 1), .has_ttl = ttl};
    m.ttl = (sg_state_ttl){SG_STATE_TTL_ABI_1, 100, SG_TIME_PROCESSING, SG_TTL_ON_CREATE_AND_WRITE};
    return m;
}

/* A map with entries a (stamp 0), b (stamp 50), c (stamp 90). */
static size_t make_map(unsigned char *buf, bool ttl)
{
    size_t len = 1;
    buf[0] = SG__MAP_VERSION;
    len += sg__item_write(buf + len, SG_STATE_MAP, ttl, sg_bytes_str("a"), sg_bytes_str("1"), 0);
    len += sg__item_write(buf + len, SG_STATE_MAP, ttl, sg_bytes_str("b"), sg_bytes_str("22"), 50);
    len += sg__item_write(buf + len, SG_STATE_MAP, ttl, sg_bytes_str("c"), sg_bytes_str(""), 90);
    return len;
}

static void test_map_items_round_trip(void **state)
{
    unsigned char buf[256];
    (void)state;
    for (int ttl = 0; ttl < 2; ttl++) {
        sg_bytes v = {buf, make_map(buf, ttl)};
        size_t at;
        sg__item it;
        assert_int_equal(sg__items_start(SG_STATE_MAP, v, &at), SG_OK);
        assert_int_equal(at, 1);
        const char *keys[] = {"a", "b", "c"}, *vals[] = {"1", "22", ""};
        const int64_t stamps[] = {0, 50, 90};
        for (int i = 0; i < 3; i++) {
            assert_int_equal(sg__item_next(SG_STATE_MAP, ttl, v, &at, &it), 1);
            assert_int_equal(it.key.len, 1);
            assert_memory_equal(it.key.data, keys[i], 1);
            assert_int_equal(it.val.len, strlen(vals[i]));
            assert_memory_equal(it.val.data, vals[i], it.val.len);
            assert_int_equal(it.stamp, ttl ? stamps[i] : SG_TIME_MIN);
        }
        assert_int_equal(sg__item_next(SG_STATE_MAP, ttl, v, &at, &it), 0);
    }
}

static void test_prune_drops_expired_items_and_restamps_live_ones(void **state)
{
    unsigned char buf[256], out[256];
    size_t len, dropped;
    (void)state;
    sg__state_meta m = meta(SG_STATE_MAP, true);
    sg_bytes v = {buf, make_map(buf, true)};
    assert_int_equal(sg__items_any_expired(&m, v, 99), 0);
    assert_int_equal(sg__items_any_expired(&m, v, 100), 1);
    /* At 150: a (0) and b (50) have expired, c (90) lives and is restamped to 150. */
    assert_int_equal(sg__items_prune(&m, v, 150, 150, out, &len, &dropped), SG_OK);
    assert_int_equal(dropped, 2);
    sg_bytes pruned = {out, len};
    size_t at;
    sg__item it;
    assert_int_equal(sg__items_start(SG_STATE_MAP, pruned, &at), SG_OK);
    assert_int_equal(sg__item_next(SG_STATE_MAP, true, pruned, &at, &it), 1);
    assert_memory_equal(it.key.data, "c", 1);
    assert_int_equal(it.stamp, 150);
    assert_int_equal(sg__item_next(SG_STATE_MAP, true, pruned, &at, &it), 0);
    /* At 200 nothing lives: the value should be deleted. */
    assert_int_equal(sg__items_prune(&m, v, 200, SG_TIME_MIN, out, &len, &dropped), SG_OK);
    assert_int_equal(len, 0);
    assert_int_equal(dropped, 3);
}

static void test_list_items_expire_one_by_one(void **state)
{
    unsigned char buf[64], out[64];
    size_t len, dropped, at = 0;
    sg__item it;
    (void)state;
    sg__state_meta m = meta(SG_STATE_LIST, true);
    len = sg__item_write(buf, SG_STATE_LIST, true, (sg_bytes){NULL, 0}, sg_bytes_str("x"), 10);
    len +=
        sg__item_write(buf + len, SG_STATE_LIST, true, (sg_bytes){NULL, 0}, sg_bytes_str("y"), 60);
    assert_int_equal(len, 2 * (4 + 8 + 1));
    assert_int_equal(
        sg__items_prune(&m, (sg_bytes){buf, len}, 110, SG_TIME_MIN, out, &len, &dropped), SG_OK);
    assert_int_equal(dropped, 1);
    sg_bytes v = {out, len};
    assert_int_equal(sg__item_next(SG_STATE_LIST, true, v, &at, &it), 1);
    assert_memory_equal(it.val.data, "y", 1);
    assert_int_equal(it.stamp, 60);
    assert_int_equal(sg__item_next(SG_STATE_LIST, true, v, &at, &it), 0);
}

static void test_truncated_or_foreign_values_are_corrupt(void **state)
{
    unsigned char buf[256], out[256];
    size_t len = make_map(buf, true), at, dropped, n;
    sg__item it;
    (void)state;
    sg__state_meta m = meta(SG_STATE_MAP, true);
    /* Every truncation of a valid map is either a shorter valid map or SG_ESERDE. */
    for (size_t cut = 1; cut < len; cut++) {
        sg_bytes v = {buf, cut};
        int rc;
        assert_int_equal(sg__items_start(SG_STATE_MAP, v, &at), SG_OK);
        while ((rc = sg__item_next(SG_STATE_MAP, true, v, &at, &it)) == 1)
            assert_true(at <= cut);
        assert_true(rc == 0 || rc == SG_ESERDE);
        rc = sg__items_prune(&m, v, 0, SG_TIME_MIN, out, &n, &dropped);
        assert_true(rc == SG_OK || rc == SG_ESERDE);
    }
    /* A length field pointing past the end. */
    sg__u32_put(buf + 1, 1000);
    at = 1;
    assert_int_equal(sg__item_next(SG_STATE_MAP, true, (sg_bytes){buf, len}, &at, &it), SG_ESERDE);
    /* A map of another version. */
    buf[0] = 9;
    assert_int_equal(sg__items_start(SG_STATE_MAP, (sg_bytes){buf, len}, &at), SG_ESERDE);
    assert_int_equal(sg__items_any_expired(&m, (sg_bytes){buf, len}, 0), SG_ESERDE);
}

static void test_expiry_saturates_instead_of_overflowing(void **state)
{
    (void)state;
    sg__state_meta m = meta(SG_STATE_VALUE, true);
    m.ttl.ttl_ms = INT64_MAX;
    assert_false(sg__ttl_expired(&m, 1000, INT64_MAX - 1));
    assert_true(sg__ttl_expired(&m, 1000, INT64_MAX)); /* the final watermark ends all */
    m.ttl.ttl_ms = 100;
    assert_false(sg__ttl_expired(&m, SG_TIME_MIN, SG_TIME_MIN + 99));
    assert_true(sg__ttl_expired(&m, SG_TIME_MIN, SG_TIME_MIN + 100));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_items_round_trip),
        cmocka_unit_test(test_prune_drops_expired_items_and_restamps_live_ones),
        cmocka_unit_test(test_list_items_expire_one_by_one),
        cmocka_unit_test(test_truncated_or_foreign_values_are_corrupt),
        cmocka_unit_test(test_expiry_saturates_instead_of_overflowing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
