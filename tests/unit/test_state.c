/* Unit tests of the keyed state store (engine/state.h): every behaviour runs on both
 * backends, RocksDB in a fresh directory under /tmp and the heap. Allocations go through
 * cmocka's allocator, so a leak fails the test that made it. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "engine/state.h"
#include "engine/state_backend.h"

typedef struct fixture {
    sg__kv_backend backend;
    char root[64]; /* the mkdtemp directory, removed by teardown */
    char dir[96];  /* root/db: the kv must create it */
    sg__kv *kv;
} fixture;

static sg__kv_backend rocksdb_backend = SG__KV_ROCKSDB;
static sg__kv_backend heap_backend = SG__KV_HEAP;

/* ---- Fixture and helpers ------------------------------------------------------ */

static void *test_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    SG_UNUSED(sb);
    SG_UNUSED(flag);
    SG_UNUSED(ftw);
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->backend = *(const sg__kv_backend *)*state;
    snprintf(f->root, sizeof(f->root), "/tmp/sg_test_state_XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int rc = nftw(f->root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

static sg__kv *open_kv(fixture *f, size_t cache_entries)
{
    sg__kv_config cfg = {f->backend, f->dir, cache_entries};
    char err[256] = "";
    sg__kv *kv = NULL;
    int rc = sg__kv_open(&cfg, &kv, err, sizeof(err));
    if (rc != SG_OK)
        fail_msg("sg__kv_open: %s", err);
    assert_non_null(kv);
    return kv;
}

static uint32_t declare(sg__kv *kv, const char *name)
{
    uint32_t id = UINT32_MAX;
    assert_int_equal(sg__kv_declare(kv, name, &id), SG_OK);
    return id;
}

static sg_bytes bytes(const void *data, size_t len)
{
    sg_bytes b = {data, len};
    return b;
}

static void put_str(sg__kv *kv, uint32_t id, uint16_t kg, const char *key, int64_t ns,
                    const char *val)
{
    assert_int_equal(sg__kv_put(kv, id, kg, sg_bytes_str(key), ns, sg_bytes_str(val)), SG_OK);
}

static void check_str(sg__kv *kv, uint32_t id, uint16_t kg, const char *key, int64_t ns,
                      const char *val)
{
    sg_bytes out = {NULL, 0};
    int rc = sg__kv_get(kv, id, kg, sg_bytes_str(key), ns, &out);
    if (rc != SG_OK)
        fail_msg("get %s/%lld: %s (%s)", key, (long long)ns, sg_err_name(rc), sg__kv_errmsg(kv));
    assert_int_equal(out.len, strlen(val));
    assert_memory_equal(out.data, val, out.len);
}

static void check_absent(sg__kv *kv, uint32_t id, uint16_t kg, const char *key, int64_t ns)
{
    sg_bytes out = {NULL, 0};
    assert_int_equal(sg__kv_get(kv, id, kg, sg_bytes_str(key), ns, &out), SG_NOTFOUND);
}

static uint64_t *ref_u64(sg__kv *kv, uint32_t id, uint16_t kg, sg_bytes key, int64_t ns,
                         bool *created)
{
    void *p = NULL;
    bool c = false;
    int rc = sg__kv_ref(kv, id, kg, key, ns, sizeof(uint64_t), &p, &c);
    if (rc != SG_OK)
        fail_msg("ref: %s (%s)", sg_err_name(rc), sg__kv_errmsg(kv));
    assert_int_equal((uintptr_t)p % 8, 0);
    if (created)
        *created = c;
    return p;
}

/* Deterministic values of varied sizes: most fit inside an entry, some need a pool
 * block, a few a heap buffer of their own. */
static size_t value_len(uint32_t i)
{
    return i % 97 == 0 ? 5000 + i % 13 : i % 7 == 0 ? 200 + i % 50 : i % 20;
}

static void make_value(unsigned char *buf, uint32_t i, uint32_t salt, size_t len)
{
    for (size_t j = 0; j < len; j++)
        buf[j] = (unsigned char)(i * 31 + j * 7 + salt);
}

static sg_bytes key_of(char *buf, size_t cap, uint32_t i)
{
    int n = snprintf(buf, cap, "key-%u", (unsigned)i);
    return bytes(buf, (size_t)n);
}

static void check_value(sg__kv *kv, uint32_t id, uint32_t i, uint32_t salt)
{
    char kb[32];
    unsigned char want[6000];
    sg_bytes out = {NULL, 0};
    size_t len = value_len(i);
    make_value(want, i, salt, len);
    int rc = sg__kv_get(kv, id, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), i, &out);
    if (rc != SG_OK)
        fail_msg("get key %u: %s (%s)", (unsigned)i, sg_err_name(rc), sg__kv_errmsg(kv));
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
}

static void put_value(sg__kv *kv, uint32_t id, uint32_t i, uint32_t salt)
{
    char kb[32];
    unsigned char val[6000];
    size_t len = value_len(i);
    make_value(val, i, salt, len);
    assert_int_equal(
        sg__kv_put(kv, id, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), i, bytes(val, len)),
        SG_OK);
}

typedef struct collected {
    size_t n;
    char keys[64][16];
    int64_t ns[64];
    char vals[64][16];
    int stop_after; /* return 99 after this many; 0 = never */
} collected;

static int collect(void *ud, sg_bytes key, int64_t ns, sg_bytes val)
{
    collected *c = ud;
    assert_true(c->n < 64 && key.len < 16 && val.len < 16);
    memcpy(c->keys[c->n], key.data, key.len);
    c->keys[c->n][key.len] = '\0';
    memcpy(c->vals[c->n], val.data, val.len);
    c->vals[c->n][val.len] = '\0';
    c->ns[c->n++] = ns;
    return c->stop_after && (int)c->n == c->stop_after ? 99 : 0;
}

/* ---- Behaviours --------------------------------------------------------------- */

static void test_put_get_del(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t s = declare(kv, "s");
    put_str(kv, s, 3, "k1", 5, "hello");
    check_str(kv, s, 3, "k1", 5, "hello");
    put_str(kv, s, 3, "k1", 5, "a longer value that no longer fits inside the entry");
    check_str(kv, s, 3, "k1", 5, "a longer value that no longer fits inside the entry");
    put_str(kv, s, 3, "k1", 5, "");
    check_str(kv, s, 3, "k1", 5, "");
    assert_int_equal(sg__kv_del(kv, s, 3, sg_bytes_str("k1"), 5), SG_OK);
    check_absent(kv, s, 3, "k1", 5);
    put_str(kv, s, 3, "k1", 5, "again");
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    check_str(kv, s, 3, "k1", 5, "again");
    assert_int_equal(sg__kv_del(kv, s, 3, sg_bytes_str("k1"), 5), SG_OK);
    check_absent(kv, s, 3, "k1", 5);
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    check_absent(kv, s, 3, "k1", 5);
    sg__kv_close(kv);
}

static void test_absent_entries_are_notfound(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t s = declare(kv, "s");
    check_absent(kv, s, 0, "nobody", 0);
    assert_int_equal(sg__kv_del(kv, s, 0, sg_bytes_str("nobody"), 0), SG_OK);
    put_str(kv, s, 0, "somebody", 0, "x");
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    /* Now the state has spilled, so the answer comes from the backend. */
    check_absent(kv, s, 0, "nobody", 0);
    check_absent(kv, s, 0, "somebody", 1);
    check_absent(kv, s, 1, "somebody", 0);
    check_str(kv, s, 0, "somebody", 0, "x");
    sg__kv_close(kv);
}

static void test_ref_creates_zeroed_then_updates_in_place(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t s = declare(kv, "acc");
    sg_bytes key = sg_bytes_str("user-1");
    void *p = NULL;
    bool created = false;
    assert_int_equal(sg__kv_ref(kv, s, 9, key, 60000, 24, &p, &created), SG_OK);
    assert_true(created);
    const unsigned char zero[24] = {0};
    assert_memory_equal(p, zero, sizeof(zero));
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(sg__kv_ref(kv, s, 9, key, 60000, 24, &p, &created), SG_OK);
        assert_false(created);
        uint64_t *acc = p;
        acc[0] += 1;
        acc[1] += (uint64_t)i;
        acc[2] = (uint64_t)i;
    }
    sg_bytes out;
    assert_int_equal(sg__kv_get(kv, s, 9, key, 60000, &out), SG_OK);
    assert_int_equal(out.len, 24);
    uint64_t acc[3];
    memcpy(acc, out.data, sizeof(acc));
    assert_int_equal(acc[0], 1000);
    assert_int_equal(acc[1], 999 * 1000 / 2);
    assert_int_equal(acc[2], 999);

    /* The wrong size is refused with a message, and the value is untouched. */
    assert_int_equal(sg__kv_ref(kv, s, 9, key, 60000, 8, &p, &created), SG_EINVAL);
    assert_true(strlen(sg__kv_errmsg(kv)) > 0);

    /* Flushed, then read back through ref: not created, same bytes. */
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    assert_int_equal(sg__kv_ref(kv, s, 9, key, 60000, 24, &p, &created), SG_OK);
    assert_false(created);
    assert_memory_equal(p, acc, sizeof(acc));

    /* Deleted, it starts from zero again. */
    assert_int_equal(sg__kv_del(kv, s, 9, key, 60000), SG_OK);
    assert_int_equal(sg__kv_ref(kv, s, 9, key, 60000, 24, &p, &created), SG_OK);
    assert_true(created);
    assert_memory_equal(p, zero, sizeof(zero));
    sg__kv_close(kv);
}

static void test_namespaces_key_groups_and_states_are_distinct(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 8); /* small: most reads come back from the backend */
    uint32_t a = declare(kv, "a"), b = declare(kv, "b");
    const int64_t ns[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
    const uint16_t kgs[] = {0, 1, 255, 256, 65535};
    char val[64];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 5; i++) {
            for (size_t j = 0; j < 5; j++) {
                snprintf(val, sizeof(val), "a/%zu/%zu", i, j);
                if (pass == 0)
                    put_str(kv, a, kgs[i], "k", ns[j], val);
                else
                    check_str(kv, a, kgs[i], "k", ns[j], val);
                snprintf(val, sizeof(val), "b/%zu/%zu", i, j);
                if (pass == 0)
                    put_str(kv, b, kgs[i], "k", ns[j], val);
                else
                    check_str(kv, b, kgs[i], "k", ns[j], val);
            }
        }
        /* A key that is a prefix of another, and the empty key, are keys of their own. */
        if (pass == 0) {
            put_str(kv, a, 0, "", 0, "empty");
            put_str(kv, a, 0, "kk", 0, "kk");
            assert_int_equal(sg__kv_flush(kv), SG_OK);
        } else {
            check_str(kv, a, 0, "", 0, "empty");
            check_str(kv, a, 0, "kk", 0, "kk");
            check_str(kv, a, 0, "k", 0, "a/0/2");
        }
    }
    check_absent(kv, a, 2, "k", 0);
    check_absent(kv, a, 0, "k", 2);
    sg__kv_close(kv);
}

static void test_eviction_keeps_every_value(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 64);
    uint32_t s1 = declare(kv, "s1"), s2 = declare(kv, "s2"), cnt = declare(kv, "count");
    const uint32_t n = 3000;
    char kb[32];
    for (uint32_t i = 0; i < n; i++) {
        put_value(kv, s1, i, 1);
        put_value(kv, s2, i, 2);
    }
    for (uint32_t i = 0; i < n; i++) {
        check_value(kv, s1, i, 1);
        check_value(kv, s2, i, 2);
    }
    /* Counters through ref, three rounds, each round evicting the last. */
    for (int round = 0; round < 3; round++)
        for (uint32_t i = 0; i < 1000; i++)
            *ref_u64(kv, cnt, 1, key_of(kb, sizeof(kb), i), 0, NULL) += i + 1;
    for (uint32_t i = 0; i < 1000; i++) {
        bool created = true;
        assert_int_equal(*ref_u64(kv, cnt, 1, key_of(kb, sizeof(kb), i), 0, &created), 3 * (i + 1));
        assert_false(created);
    }
    /* Rewrites and deletes of evicted entries. */
    for (uint32_t i = 0; i < n; i += 3)
        assert_int_equal(sg__kv_del(kv, s1, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), i),
                         SG_OK);
    for (uint32_t i = 1; i < n; i += 3)
        put_value(kv, s1, i, 7);
    for (int flushed = 0; flushed < 2; flushed++) {
        for (uint32_t i = 0; i < n; i++) {
            if (i % 3 == 0) {
                sg_bytes out;
                assert_int_equal(
                    sg__kv_get(kv, s1, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), i, &out),
                    SG_NOTFOUND);
            } else {
                check_value(kv, s1, i, i % 3 == 1 ? 7 : 1);
            }
            check_value(kv, s2, i, 2);
        }
        assert_int_equal(sg__kv_flush(kv), SG_OK);
    }
    sg__kv_stats st;
    sg__kv_get_stats(kv, &st);
    assert_true(st.evictions > 0);
    assert_true(st.entries <= 64);
    assert_true(st.backend_gets > 0);
    /* Batches, not one write per entry: an eviction writes a chunk of entries at once. */
    assert_true(st.flushes < (st.backend_puts + st.backend_deletes) / 4);
    sg__kv_close(kv);
}

static void test_flush_close_reopen_reads_values_back(void **state)
{
    fixture *f = *state;
    if (f->backend == SG__KV_HEAP)
        skip(); /* the heap keeps nothing across a close */
    sg__kv *kv = open_kv(f, 256);
    uint32_t s = declare(kv, "values"), c = declare(kv, "counts");
    declare(kv, "empty");
    for (uint32_t i = 0; i < 2000; i++)
        put_value(kv, s, i, 5);
    char kb[32];
    for (uint32_t i = 0; i < 100; i++)
        *ref_u64(kv, c, 2, key_of(kb, sizeof(kb), i), -1000, NULL) = 1000 + i;
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    sg__kv_close(kv);

    kv = open_kv(f, 256);
    /* Declared in another order: ids are per open, names are what persists. */
    uint32_t e = declare(kv, "empty");
    c = declare(kv, "counts");
    s = declare(kv, "values");
    for (uint32_t i = 0; i < 2000; i++)
        check_value(kv, s, i, 5);
    for (uint32_t i = 0; i < 100; i++) {
        bool created = true;
        assert_int_equal(*ref_u64(kv, c, 2, key_of(kb, sizeof(kb), i), -1000, &created), 1000 + i);
        assert_false(created);
    }
    /* The state that held nothing on disk still answers misses without a read. */
    sg__kv_stats before, after;
    sg__kv_get_stats(kv, &before);
    check_absent(kv, e, 0, "x", 0);
    sg__kv_get_stats(kv, &after);
    assert_int_equal(after.backend_gets, before.backend_gets);
    sg__kv_close(kv);
}

static void test_no_backend_calls_while_nothing_spilled(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 100000);
    uint32_t s = declare(kv, "win");
    char kb[32];
    const uint32_t n = 20000;
    for (int round = 0; round < 5; round++)
        for (uint32_t i = 0; i < n; i++)
            *ref_u64(kv, s, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), 60000, NULL) += 1;
    for (uint32_t i = 0; i < n; i++) {
        sg_bytes out;
        uint64_t v;
        assert_int_equal(
            sg__kv_get(kv, s, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), 60000, &out), SG_OK);
        memcpy(&v, out.data, sizeof(v));
        assert_int_equal(v, 5);
        /* Absent entries: a different window. */
        assert_int_equal(
            sg__kv_get(kv, s, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), 120000, &out),
            SG_NOTFOUND);
    }
    /* The window fires: its entries are deleted without ever reaching the backend. */
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(sg__kv_del(kv, s, (uint16_t)(i % 128), key_of(kb, sizeof(kb), i), 60000),
                         SG_OK);
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    sg__kv_stats st;
    sg__kv_get_stats(kv, &st);
    assert_int_equal(st.backend_gets, 0);
    assert_int_equal(st.backend_puts, 0);
    assert_int_equal(st.backend_deletes, 0);
    assert_int_equal(st.flushes, 0);
    assert_int_equal(st.evictions, 0);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.cache_hits, 4 * n + n);
    assert_int_equal(st.cache_misses, n + n);

    /* A flush (a checkpoint's) writes a copy and keeps the entry cached: the backend
     * holds nothing the cache does not, so a miss still needs no backend read, and a
     * later delete of the flushed entry reaches the backend. */
    put_str(kv, s, 0, "a", 0, "1");
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    check_absent(kv, s, 0, "b", 0);
    sg__kv_get_stats(kv, &st);
    assert_int_equal(st.backend_puts, 1);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(st.backend_gets, 0);
    assert_int_equal(sg__kv_del(kv, s, 0, sg_bytes_str("a"), 0), SG_OK);
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    sg__kv_get_stats(kv, &st);
    assert_int_equal(st.backend_deletes, 1);
    sg__kv_close(kv);
}

static int count_entries(void *ud, sg_bytes key, int64_t ns, sg_bytes val)
{
    SG_UNUSED(key);
    SG_UNUSED(ns);
    SG_UNUSED(val);
    (*(size_t *)ud)++;
    return 0;
}

static void test_deletes_of_flushed_entries_reach_the_backend(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t s = declare(kv, "s");
    char kb[32];
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(sg__kv_put(kv, s, 4, key_of(kb, sizeof(kb), i), 0, bytes("v", 1)), SG_OK);
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    for (uint32_t i = 0; i < 100; i += 2)
        assert_int_equal(sg__kv_del(kv, s, 4, key_of(kb, sizeof(kb), i), 0), SG_OK);
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    sg__kv_stats st;
    sg__kv_get_stats(kv, &st);
    assert_int_equal(st.backend_puts, 100);
    assert_int_equal(st.backend_deletes, 50);
    size_t n = 0;
    assert_int_equal(sg__kv_scan(kv, s, 4, count_entries, &n), SG_OK);
    assert_int_equal(n, 50);
    if (f->backend == SG__KV_ROCKSDB) {
        sg__kv_close(kv);
        kv = open_kv(f, 0);
        s = declare(kv, "s");
        for (uint32_t i = 0; i < 100; i++) {
            sg_bytes out;
            int rc = sg__kv_get(kv, s, 4, key_of(kb, sizeof(kb), i), 0, &out);
            assert_int_equal(rc, i % 2 ? SG_OK : SG_NOTFOUND);
        }
        n = 0;
        assert_int_equal(sg__kv_scan(kv, s, 4, count_entries, &n), SG_OK);
        assert_int_equal(n, 50);
    }
    sg__kv_close(kv);
}

static void test_scan_visits_a_key_group_in_order(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t s = declare(kv, "s"), other = declare(kv, "other");
    put_str(kv, s, 7, "b", 1, "b1");
    put_str(kv, s, 7, "a", 3, "a3");
    put_str(kv, s, 7, "a", -5, "a-5");
    put_str(kv, s, 7, "a", INT64_MIN, "amin");
    put_str(kv, s, 6, "a", 0, "kg6");
    put_str(kv, s, 8, "a", 0, "kg8");
    put_str(kv, s, 65535, "z", INT64_MAX, "last");
    put_str(kv, other, 7, "a", 0, "other");
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    put_str(kv, s, 7, "c", 0, "unflushed"); /* scan flushes first */
    assert_int_equal(sg__kv_del(kv, s, 7, sg_bytes_str("b"), 1), SG_OK);

    collected c = {0};
    assert_int_equal(sg__kv_scan(kv, s, 7, collect, &c), SG_OK);
    assert_int_equal(c.n, 4);
    const char *keys[] = {"a", "a", "a", "c"};
    const int64_t ns[] = {INT64_MIN, -5, 3, 0};
    const char *vals[] = {"amin", "a-5", "a3", "unflushed"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(c.keys[i], keys[i]);
        assert_int_equal(c.ns[i], ns[i]);
        assert_string_equal(c.vals[i], vals[i]);
    }
    collected last = {0};
    assert_int_equal(sg__kv_scan(kv, s, 65535, collect, &last), SG_OK);
    assert_int_equal(last.n, 1);
    assert_string_equal(last.vals[0], "last");
    assert_int_equal(last.ns[0], INT64_MAX);

    collected stop = {.stop_after = 2};
    assert_int_equal(sg__kv_scan(kv, s, 7, collect, &stop), 99);
    assert_int_equal(stop.n, 2);
    sg__kv_close(kv);
}

static void test_declare_is_idempotent_by_name(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 0);
    uint32_t a = declare(kv, "a"), b = declare(kv, "b");
    assert_int_not_equal(a, b);
    assert_int_equal(declare(kv, "a"), a);
    assert_int_equal(declare(kv, "b"), b);
    /* "default" is RocksDB's own column family; it works like any other name. */
    uint32_t d = declare(kv, "default");
    put_str(kv, d, 0, "k", 0, "in default");
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    check_str(kv, d, 0, "k", 0, "in default");
    sg_bytes out;
    assert_int_equal(sg__kv_get(kv, 42, 0, sg_bytes_str("k"), 0, &out), SG_EINVAL);
    assert_non_null(strstr(sg__kv_errmsg(kv), "42"));
    uint32_t id;
    assert_int_equal(sg__kv_declare(kv, "", &id), SG_EINVAL);
    sg__kv_close(kv);
}

static void test_open_failure_gives_one_line(void **state)
{
    fixture *f = *state;
    static char sentinel;
    char err[256] = "";
    sg__kv *kv = (sg__kv *)(void *)&sentinel; /* open must reset it to NULL */
    sg__kv_config bad = {(sg__kv_backend)7, NULL, 0};
    assert_int_equal(sg__kv_open(&bad, &kv, err, sizeof(err)), SG_EINVAL);
    assert_null(kv);
    assert_true(strlen(err) > 0);
    if (f->backend == SG__KV_HEAP)
        return;
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/missing/parent/db", f->root);
    sg__kv_config cfg = {SG__KV_ROCKSDB, dir, 0};
    err[0] = '\0';
    int rc = sg__kv_open(&cfg, &kv, err, sizeof(err));
    assert_true(rc < 0);
    assert_null(kv);
    assert_non_null(strstr(err, dir));
    assert_null(strchr(err, '\n'));
    sg__kv_config nodir = {SG__KV_ROCKSDB, NULL, 0};
    assert_int_equal(sg__kv_open(&nodir, &kv, err, sizeof(err)), SG_EINVAL);
}

static int count_raw(void *ud, sg_bytes key, sg_bytes val)
{
    SG_UNUSED(key);
    SG_UNUSED(val);
    (*(int *)ud)++;
    return 0;
}

/* The vtable on its own, including the single-entry calls the cache does not use. */
static void test_backend_ops_directly(void **state)
{
    fixture *f = *state;
    const sg__state_ops *ops =
        f->backend == SG__KV_HEAP ? &sg__state_mem_ops : &sg__state_rocksdb_ops;
    sg__kv_config cfg = {f->backend, f->dir, 0};
    sg__state_backend *b = NULL;
    char err[256] = "";
    assert_true(ops->version >= SG__STATE_OPS_V2);
    assert_int_equal(ops->open(&cfg, &b, err, sizeof(err)), SG_OK);
    uint32_t cf = 99;
    bool has_data = true;
    assert_int_equal(ops->declare(b, "s", &cf, &has_data), SG_OK);
    assert_false(has_data);
    unsigned char k1[32], k2[32];
    sg__state_key_encode(k1, 5, sg_bytes_str("key"), -7);
    sg__state_key_encode(k2, 5, sg_bytes_str("key"), 7);
    sg_bytes key1 = bytes(k1, sg__state_key_len(3)), key2 = bytes(k2, sg__state_key_len(3));
    uint16_t kg;
    sg_bytes raw;
    int64_t ns;
    assert_int_equal(sg__state_key_decode(key1, &kg, &raw, &ns), SG_OK);
    assert_int_equal(kg, 5);
    assert_int_equal(ns, -7);
    assert_int_equal(raw.len, 3);
    assert_memory_equal(raw.data, "key", 3);
    assert_true(memcmp(k1, k2, key1.len) < 0); /* numeric order of namespaces */

    sg_bytes out;
    assert_int_equal(ops->get(b, cf, key1, &out), SG_NOTFOUND);
    assert_int_equal(ops->put(b, cf, key1, bytes("one", 3)), SG_OK);
    assert_int_equal(ops->get(b, cf, key1, &out), SG_OK);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "one", 3);
    sg__state_write w[] = {{cf, false, key2, bytes("two", 3)}, {cf, true, key1, {NULL, 0}}};
    assert_int_equal(ops->apply(b, w, 2), SG_OK);
    assert_int_equal(ops->get(b, cf, key1, &out), SG_NOTFOUND);
    assert_int_equal(ops->get(b, cf, key2, &out), SG_OK);
    assert_memory_equal(out.data, "two", 3);
    assert_int_equal(ops->declare(b, "s", &cf, &has_data), SG_OK);
    int n = 0;
    assert_int_equal(ops->iter_kg(b, cf, 5, count_raw, &n), SG_OK);
    assert_int_equal(n, 1);
    uint64_t count = 0;
    assert_int_equal(ops->count(b, cf, &count), SG_OK);
    assert_int_equal(count, 1);
    /* A sweep of one entry at a time: the first step visits it, the second ends the
     * round; then a new round starts. */
    bool wrapped = false;
    n = 0;
    assert_int_equal(ops->put(b, cf, key1, bytes("one", 3)), SG_OK);
    for (int step = 0; step < 8 && !wrapped; step++)
        assert_int_equal(ops->sweep(b, cf, 1, count_raw, &n, &wrapped), SG_OK);
    assert_true(wrapped);
    assert_int_equal(n, 2);
    assert_int_equal(ops->del(b, cf, key2), SG_OK);
    assert_int_equal(ops->get(b, cf, key2, &out), SG_NOTFOUND);
    assert_int_equal(ops->count(b, cf, &count), SG_OK);
    assert_int_equal(count, 1);
    ops->close(b);
}

/* Drops values that start with 'x', rewrites those that start with 'r' to "kept". */
static int sweep_fate(void *ud, uint32_t id, sg_bytes val, sg_bytes *rewritten)
{
    SG_UNUSED(id);
    (*(int *)ud)++;
    const char *p = val.data;
    if (val.len && p[0] == 'x')
        return SG__SWEEP_DROP;
    if (val.len && p[0] == 'r') {
        *rewritten = bytes("kept", 4);
        return SG__SWEEP_REWRITE;
    }
    return SG__SWEEP_KEEP;
}

/* sg__kv_sweep reaches entries in the cache and, through a tiny cache, entries only
 * the backend holds; repeated steps remove every doomed entry, and only those. */
static void test_sweep_drops_and_rewrites_in_cache_and_backend(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, 16);
    uint32_t id, other;
    assert_int_equal(sg__kv_declare(kv, "swept", &id), SG_OK);
    assert_int_equal(sg__kv_declare(kv, "other", &other), SG_OK);
    char kb[32];
    for (uint32_t k = 0; k < 200; k++) {
        const char *v = k % 3 == 0 ? "xdoomed" : k % 3 == 1 ? "rewrite me" : "stay";
        assert_int_equal(sg__kv_put(kv, id, (uint16_t)(k % 7), key_of(kb, sizeof(kb), k), 0,
                                    bytes(v, strlen(v))),
                         SG_OK);
        /* Another state with the same values: not in ids, so never visited. */
        assert_int_equal(sg__kv_put(kv, other, 1, key_of(kb, sizeof(kb), k), 0, bytes("x", 1)),
                         SG_OK);
    }
    uint64_t n = 0;
    assert_int_equal(sg__kv_count(kv, id, &n), SG_OK);
    assert_int_equal(n, 200);
    int visits = 0;
    for (int step = 0; step < 40; step++)
        assert_int_equal(sg__kv_sweep(kv, &id, 1, 16, sweep_fate, &visits), SG_OK);
    assert_true(visits >= 200);
    assert_int_equal(sg__kv_count(kv, id, &n), SG_OK);
    assert_int_equal(n, 200 - 67);
    assert_int_equal(sg__kv_count(kv, other, &n), SG_OK);
    assert_int_equal(n, 200);
    for (uint32_t k = 0; k < 200; k++) {
        sg_bytes out;
        int rc = sg__kv_get(kv, id, (uint16_t)(k % 7), key_of(kb, sizeof(kb), k), 0, &out);
        if (k % 3 == 0) {
            assert_int_equal(rc, SG_NOTFOUND);
            continue;
        }
        assert_int_equal(rc, SG_OK);
        const char *want = k % 3 == 1 ? "kept" : "stay";
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
    }
    sg__kv_stats st;
    sg__kv_get_stats(kv, &st);
    assert_int_equal(st.sweep_drops, 67);
    sg__kv_close(kv);
}

/* ---- A random walk checked against a plain model ------------------------------ */

#define M_KEYS 60
#define M_NS 3
#define M_STATES 2 /* state 0: put/get/del of varied sizes; state 1: u64 counters by ref */

typedef struct model {
    bool present[M_STATES][M_KEYS][M_NS];
    size_t len[M_KEYS][M_NS];
    uint32_t salt[M_KEYS][M_NS];
    uint64_t count[M_KEYS][M_NS];
} model;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_model_entry(sg__kv *kv, const uint32_t *ids, const model *m, int st, int k, int n)
{
    char kb[32];
    sg_bytes out;
    int rc = sg__kv_get(kv, ids[st], (uint16_t)(k % 5), key_of(kb, sizeof(kb), (uint32_t)k), n - 1,
                        &out);
    if (!m->present[st][k][n]) {
        if (rc != SG_NOTFOUND)
            fail_msg("model %d/%d/%d should be absent: %s", st, k, n, sg_err_name(rc));
        return;
    }
    if (rc != SG_OK)
        fail_msg("model get %d/%d/%d: %s (%s)", st, k, n, sg_err_name(rc), sg__kv_errmsg(kv));
    if (st == 1) {
        uint64_t v;
        assert_int_equal(out.len, 8);
        memcpy(&v, out.data, 8);
        assert_int_equal(v, m->count[k][n]);
    } else {
        unsigned char want[6000];
        make_value(want, (uint32_t)k, m->salt[k][n], m->len[k][n]);
        assert_int_equal(out.len, m->len[k][n]);
        assert_memory_equal(out.data, want, out.len);
    }
}

static void random_walk(fixture *f, size_t cache_entries, uint64_t seed)
{
    model m;
    memset(&m, 0, sizeof(m));
    /* A directory of its own: the model starts empty, so must the store. */
    snprintf(f->dir, sizeof(f->dir), "%s/walk-%zu", f->root, cache_entries);
    sg__kv *kv = open_kv(f, cache_entries);
    uint32_t ids[M_STATES] = {declare(kv, "vals"), declare(kv, "counts")};
    char kb[32];
    unsigned char val[6000];
    for (int op = 0; op < 20000; op++) {
        uint64_t r = rng_next(&seed);
        int k = (int)(r % M_KEYS), n = (int)((r >> 8) % M_NS), what = (int)((r >> 16) % 1000);
        sg_bytes key = key_of(kb, sizeof(kb), (uint32_t)k);
        uint16_t kg = (uint16_t)(k % 5);
        if (what < 300) {
            uint32_t salt = (uint32_t)(r >> 24);
            size_t len = (r >> 40) % 50 == 0 ? 4000 + (r >> 48) % 1000 : (r >> 40) % 70;
            make_value(val, (uint32_t)k, salt, len);
            assert_int_equal(sg__kv_put(kv, ids[0], kg, key, n - 1, bytes(val, len)), SG_OK);
            m.present[0][k][n] = true;
            m.len[k][n] = len;
            m.salt[k][n] = salt;
        } else if (what < 550) {
            bool created = false;
            *ref_u64(kv, ids[1], kg, key, n - 1, &created) += 3;
            assert_int_equal(created, !m.present[1][k][n]);
            m.present[1][k][n] = true;
            m.count[k][n] += 3;
        } else if (what < 700) {
            int st = (int)((r >> 24) % M_STATES);
            assert_int_equal(sg__kv_del(kv, ids[st], kg, key, n - 1), SG_OK);
            m.present[st][k][n] = false;
            if (st == 1)
                m.count[k][n] = 0;
        } else if (what < 985) {
            check_model_entry(kv, ids, &m, (int)((r >> 24) % M_STATES), k, n);
        } else if (what < 998 || f->backend == SG__KV_HEAP) {
            assert_int_equal(sg__kv_flush(kv), SG_OK);
        } else {
            assert_int_equal(sg__kv_flush(kv), SG_OK);
            sg__kv_close(kv);
            kv = open_kv(f, cache_entries);
            ids[1] = declare(kv, "counts");
            ids[0] = declare(kv, "vals");
        }
    }
    for (int st = 0; st < M_STATES; st++)
        for (int k = 0; k < M_KEYS; k++)
            for (int n = 0; n < M_NS; n++)
                check_model_entry(kv, ids, &m, st, k, n);
    sg__kv_close(kv);
}

static void test_random_ops_match_a_model(void **state)
{
    fixture *f = *state;
    random_walk(f, 1, 0x9e3779b97f4a7c15ULL);
    random_walk(f, 16, 12345);
    random_walk(f, 1000, 777);
}

/* Every behaviour once per backend. */
// clang-format off
#define BOTH(f) \
    {#f "(rocksdb)", f, setup, teardown, &rocksdb_backend}, \
    {#f "(heap)", f, setup, teardown, &heap_backend}
// clang-format on

int main(void)
{
    sg_set_allocator(test_alloc, NULL);
    const struct CMUnitTest tests[] = {
        BOTH(test_put_get_del),
        BOTH(test_absent_entries_are_notfound),
        BOTH(test_ref_creates_zeroed_then_updates_in_place),
        BOTH(test_namespaces_key_groups_and_states_are_distinct),
        BOTH(test_eviction_keeps_every_value),
        BOTH(test_flush_close_reopen_reads_values_back),
        BOTH(test_no_backend_calls_while_nothing_spilled),
        BOTH(test_deletes_of_flushed_entries_reach_the_backend),
        BOTH(test_scan_visits_a_key_group_in_order),
        BOTH(test_declare_is_idempotent_by_name),
        BOTH(test_open_failure_gives_one_line),
        BOTH(test_backend_ops_directly),
        BOTH(test_sweep_drops_and_rewrites_in_cache_and_backend),
        BOTH(test_random_ops_match_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
