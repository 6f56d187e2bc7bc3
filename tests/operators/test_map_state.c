/* Map state (SG_STATE_MAP) through the harness: put, get, remove, ordered walks that
 * may stop early, clear; keys and namespaces isolated; state that spills out of a
 * tiny cache; and a snapshot and restore mid-stream giving the same output. Every
 * test runs on RocksDB and on the heap backend, each with the default and a tiny
 * cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

/* ---- The operator -------------------------------------------------------------
 * Each record's value is a command on the map of its key, in namespace = its ts:
 *   put K V | get K | del K | each | first | clear | raw
 * get, del, each, first and raw emit what they found. */
typedef struct map_self {
    sg_state_id map;
    sg_state_id other; /* a value state beside it, to show the two do not mix */
} map_self;

static int map_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    map_self *s = self;
    int rc;
    (void)restore;
    if ((rc = sg_state_declare(ctx, "m", SG_STATE_MAP, &s->map)) < 0)
        return rc;
    return sg_state_declare(ctx, "other", SG_STATE_VALUE, &s->other);
}

typedef struct text {
    char buf[512];
    size_t len;
} text;

static void text_add(text *t, const void *p, size_t n)
{
    n = n < sizeof(t->buf) - 1 - t->len ? n : sizeof(t->buf) - 1 - t->len;
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static int add_entry(sg_ctx *ctx, sg_bytes key, sg_bytes value, void *ud)
{
    text *t = ud;
    (void)ctx;
    if (t->len)
        text_add(t, ",", 1);
    text_add(t, key.data, key.len);
    text_add(t, "=", 1);
    text_add(t, value.data, value.len);
    return 0;
}

static int add_first(sg_ctx *ctx, sg_bytes key, sg_bytes value, void *ud)
{
    add_entry(ctx, key, value, ud);
    return 7; /* stop: sg_state_map_each returns this */
}

/* Splits "cmd a b" (b may hold spaces) into NUL-terminated words in buf. */
static void split(sg_bytes v, char *buf, size_t cap, char **cmd, char **a, char **b)
{
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    memcpy(buf, v.data, n);
    buf[n] = '\0';
    *cmd = buf;
    *a = *b = buf + n;
    char *sp = strchr(buf, ' ');
    if (!sp)
        return;
    *sp = '\0';
    *a = sp + 1;
    if ((sp = strchr(*a, ' '))) {
        *sp = '\0';
        *b = sp + 1;
    }
}

static int emit_str(sg_ctx *ctx, const sg_record *rec, const char *s)
{
    return sg_emit(ctx, rec->ts, sg_ctx_key(ctx), sg_bytes_str(s));
}

static int map_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    map_self *s = self;
    char buf[256], *cmd, *a, *b;
    text t = {.len = 0};
    sg_bytes out;
    int rc;
    (void)port;
    split(rec->value, buf, sizeof(buf), &cmd, &a, &b);
    int64_t ns = rec->ts;
    if (strcmp(cmd, "put") == 0)
        return sg_state_map_put(ctx, s->map, ns, sg_bytes_str(a), sg_bytes_str(b));
    if (strcmp(cmd, "clear") == 0)
        return sg_state_clear(ctx, s->map, ns);
    if (strcmp(cmd, "get") == 0) {
        if ((rc = sg_state_map_get(ctx, s->map, ns, sg_bytes_str(a), &out)) < 0)
            return rc;
        text_add(&t, a, strlen(a));
        if (rc == SG_NOTFOUND) {
            text_add(&t, "?", 1);
        } else {
            text_add(&t, "=", 1);
            text_add(&t, out.data, out.len);
        }
        return emit_str(ctx, rec, t.buf);
    }
    if (strcmp(cmd, "del") == 0) {
        if ((rc = sg_state_map_remove(ctx, s->map, ns, sg_bytes_str(a))) < 0)
            return rc;
        return emit_str(ctx, rec, rc == SG_OK ? "removed" : "absent");
    }
    if (strcmp(cmd, "each") == 0 || strcmp(cmd, "first") == 0) {
        bool all = cmd[0] == 'e';
        rc = sg_state_map_each(ctx, s->map, ns, all ? add_entry : add_first, &t);
        if (rc < 0)
            return rc;
        if (!all) {
            char tail[16];
            snprintf(tail, sizeof(tail), ";%d", rc);
            text_add(&t, tail, strlen(tail));
        }
        return emit_str(ctx, rec, t.len ? t.buf : "{}");
    }
    if (strcmp(cmd, "raw") == 0) { /* value calls are refused on a map */
        rc = sg_state_get(ctx, s->map, ns, &out);
        int rc2 = sg_state_put(ctx, s->map, ns, sg_bytes_str("x"));
        int rc3 = sg_state_map_put(ctx, s->other, ns, sg_bytes_str("k"), sg_bytes_str("v"));
        snprintf(buf, sizeof(buf), "%s %s %s", sg_err_name(rc), sg_err_name(rc2), sg_err_name(rc3));
        return emit_str(ctx, rec, buf);
    }
    sg_ctx_reject(ctx, rec, "unknown command");
    return SG_OK;
}

static const sg_operator_def map_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "map_cmds",
    .self_size = sizeof(map_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = map_open,
    .process = map_process,
};

/* ---- Running scripts ------------------------------------------------------------ */

typedef struct backend_case {
    int heap;
    size_t cache_entries;
} backend_case;

static backend_case rocksdb = {0, 0}, rocksdb_tiny = {0, 16}, heap = {1, 0}, heap_tiny = {1, 16};

typedef struct step {
    const char *key;
    int64_t ns;
    const char *cmd; /* a command, or "@restore" */
} step;

static sg_harness *new_harness(const backend_case *bc)
{
    sg_harness_opts o = {SG_HARNESS_OPTS_ABI_1, bc->heap, bc->cache_entries};
    sg_harness *h = NULL;
    assert_int_equal(sg_harness_new_ex(&map_op, NULL, &o, &h), SG_OK);
    return h;
}

/* Runs the steps (restores only on RocksDB: the heap backend cannot restore) and
 * returns the output as "key:value" lines in out. */
static void run(sg_harness *h, const backend_case *bc, const step *steps, size_t n, char *out,
                size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(steps[i].cmd, "@restore") == 0) {
            if (!bc->heap)
                assert_int_equal(sg_harness_snapshot_restore(h), SG_OK);
            continue;
        }
        int rc = sg_harness_process(h, 0, steps[i].ns, sg_bytes_str(steps[i].key),
                                    sg_bytes_str(steps[i].cmd));
        if (rc != SG_OK)
            fail_msg("step %zu (%s): %s", i, steps[i].cmd, sg_harness_errmsg(h));
    }
    out[0] = '\0';
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        len += (size_t)snprintf(out + len, cap - len, "%.*s:%.*s\n", (int)r->key.len,
                                (const char *)r->key.data, (int)r->value.len,
                                (const char *)r->value.data);
        assert_true(len < cap);
    }
}

static void expect_script(const backend_case *bc, const step *steps, size_t n, const char *want)
{
    char got[4096];
    sg_harness *h = new_harness(bc);
    run(h, bc, steps, n, got, sizeof(got));
    assert_string_equal(got, want);
    assert_int_equal(sg_harness_rejected(h), 0);
    sg_harness_free(h);
}

/* ---- Tests ---------------------------------------------------------------------- */

static void test_put_get_remove_each_clear(void **state)
{
    const step steps[] = {
        {"u", 0, "put b 2"},    {"u", 0, "put a 1"}, {"u", 0, "put ab 12"}, {"u", 0, "put é x"},
        {"u", 0, "put a one"},  /* replaces */
        {"u", 0, "put  empty"}, /* an empty key */
        {"u", 0, "put z "},     /* an empty value */
        {"u", 0, "get a"},      {"u", 0, "get ab"},  {"u", 0, "get c"},     {"u", 0, "get z"},
        {"u", 0, "each"},       {"u", 0, "first"},   {"u", 0, "del ab"},    {"u", 0, "del ab"},
        {"u", 0, "get ab"},     {"u", 0, "each"},    {"u", 0, "raw"},       {"u", 0, "clear"},
        {"u", 0, "each"},       {"u", 0, "get a"},   {"u", 0, "del a"},     {"u", 0, "put k v"},
        {"u", 0, "del k"}, /* the last entry: the map is gone */
        {"u", 0, "each"},
    };
    expect_script(*state, steps, sizeof(steps) / sizeof(steps[0]),
                  "u:a=one\n"
                  "u:ab=12\n"
                  "u:c?\n"
                  "u:z=\n"
                  "u:=empty,a=one,ab=12,b=2,z=,é=x\n" /* bytewise: "" < "a" < "ab" < "b" */
                  "u:=empty;7\n"
                  "u:removed\n"
                  "u:absent\n"
                  "u:ab?\n"
                  "u:=empty,a=one,b=2,z=,é=x\n"
                  "u:SG_EINVAL SG_EINVAL SG_EINVAL\n"
                  "u:{}\n"
                  "u:a?\n"
                  "u:absent\n"
                  "u:removed\n"
                  "u:{}\n");
}

static void test_keys_and_namespaces_are_isolated(void **state)
{
    const step steps[] = {
        {"u", 1, "put k u1"}, {"u", 2, "put k u2"}, {"v", 1, "put k v1"}, {"u", 1, "each"},
        {"u", 2, "each"},     {"v", 1, "each"},     {"v", 2, "each"},     {"u", 1, "clear"},
        {"u", 1, "get k"},    {"u", 2, "get k"},    {"v", 1, "get k"},
    };
    expect_script(*state, steps, sizeof(steps) / sizeof(steps[0]),
                  "u:k=u1\n"
                  "u:k=u2\n"
                  "v:k=v1\n"
                  "v:{}\n"
                  "u:k?\n"
                  "u:k=u2\n"
                  "v:k=v1\n");
}

/* 300 keys with a map each: with a 16-entry cache nearly all live in the backend
 * and come back through cache misses. */
static void test_many_maps_spill_and_come_back(void **state)
{
    const backend_case *bc = *state;
    sg_harness *h = new_harness(bc);
    char key[16], cmd[64];
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 300; k++) {
            snprintf(key, sizeof(key), "k%d", k);
            snprintf(cmd, sizeof(cmd), "put e%d v%d", pass, k);
            assert_int_equal(sg_harness_process(h, 0, 5, sg_bytes_str(key), sg_bytes_str(cmd)),
                             SG_OK);
        }
    }
    for (int k = 0; k < 300; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(sg_harness_process(h, 0, 5, sg_bytes_str(key), sg_bytes_str("each")),
                         SG_OK);
        const sg_record *r = sg_harness_output(h, (size_t)k);
        char want[64];
        snprintf(want, sizeof(want), "e0=v%d,e1=v%d", k, k);
        assert_int_equal(r->value.len, strlen(want));
        assert_memory_equal(r->value.data, want, r->value.len);
    }
    uint64_t n = 0;
    assert_int_equal(sg_harness_state_entries(h, &n), SG_OK);
    assert_int_equal(n, 300); /* one stored value per map */
    sg_harness_free(h);
}

static const step restore_steps[] = {
    {"u", 0, "put a 1"},  {"u", 0, "put c 3"},  {"v", 9, "put x y"},
    {"u", 0, "put b 2"},  {"@", 0, "@restore"}, /* mid-stream */
    {"u", 0, "each"},     {"u", 0, "del a"},    {"v", 9, "get x"},
    {"@", 0, "@restore"}, {"u", 0, "each"},     {"v", 9, "each"},
};

static void test_snapshot_restore_gives_the_same_output(void **state)
{
    const backend_case *bc = *state;
    step plain[sizeof(restore_steps) / sizeof(restore_steps[0])];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (restore_steps[i].cmd[0] != '@')
            plain[n++] = restore_steps[i];
    char with[1024], without[1024];
    sg_harness *h = new_harness(bc);
    run(h, bc, restore_steps, sizeof(restore_steps) / sizeof(restore_steps[0]), with, sizeof(with));
    sg_harness_free(h);
    h = new_harness(bc);
    run(h, bc, plain, n, without, sizeof(without));
    sg_harness_free(h);
    assert_string_equal(with, without);
    assert_string_equal(with, "u:a=1,b=2,c=3\n"
                              "u:removed\n"
                              "v:x=y\n"
                              "u:b=2,c=3\n"
                              "v:x=y\n");
}

// clang-format off
#define ON_EACH_BACKEND(f) \
    {#f "(rocksdb)", f, NULL, NULL, &rocksdb}, \
    {#f "(rocksdb, tiny cache)", f, NULL, NULL, &rocksdb_tiny}, \
    {#f "(heap)", f, NULL, NULL, &heap}, \
    {#f "(heap, tiny cache)", f, NULL, NULL, &heap_tiny}
// clang-format on

int main(void)
{
    const struct CMUnitTest tests[] = {
        ON_EACH_BACKEND(test_put_get_remove_each_clear),
        ON_EACH_BACKEND(test_keys_and_namespaces_are_isolated),
        ON_EACH_BACKEND(test_many_maps_spill_and_come_back),
        ON_EACH_BACKEND(test_snapshot_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
