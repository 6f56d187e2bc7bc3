/* State TTL through the harness, on every state kind: values (put/get and ref),
 * lists and maps (per item and per entry), aggregates. Expiry in processing time
 * (the harness's fake clock) and in event time (the watermark), the two update
 * types, cleanup that removes entries nobody reads again (counted with
 * sg_harness_state_entries), and timestamps that survive a snapshot and restore.
 * Every test runs on RocksDB and on the heap backend, each with the default and a
 * tiny cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

/* ---- The operator -------------------------------------------------------------
 * Every state but "plain" has the TTL the harness's udata gives. Commands (the
 * record's value), on the states of its key, namespace 0:
 *   set X | get | inc | cnt | ladd X | list | mput K V | mget K | map | agg N | aget |
 *   plain X | pget | misuse
 * The reads emit what they found ("?" for nothing). */
typedef struct ttl_self {
    sg_state_id v, c, l, m, a, plain;
} ttl_self;

static int sum_add(void *acc, sg_bytes item, void *udata)
{
    int64_t a, v;
    (void)udata;
    if (item.len != sizeof(v))
        return SG_EINVAL;
    memcpy(&a, acc, sizeof(a));
    memcpy(&v, item.data, sizeof(v));
    a += v;
    memcpy(acc, &a, sizeof(a));
    return SG_OK;
}

static const sg_state_agg_def sum_def = {SG_STATE_AGG_ABI_1, sizeof(int64_t), NULL, sum_add};

static int ttl_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    ttl_self *s = self;
    const sg_state_ttl *ttl = sg_ctx_udata(ctx);
    int rc;
    (void)restore;
    if ((rc = sg_state_declare(ctx, "v", SG_STATE_VALUE, &s->v)) < 0 ||
        (rc = sg_state_declare(ctx, "c", SG_STATE_VALUE, &s->c)) < 0 ||
        (rc = sg_state_declare(ctx, "l", SG_STATE_LIST, &s->l)) < 0 ||
        (rc = sg_state_declare(ctx, "m", SG_STATE_MAP, &s->m)) < 0 ||
        (rc = sg_state_declare_aggregating(ctx, "a", &sum_def, NULL, &s->a)) < 0 ||
        (rc = sg_state_declare(ctx, "plain", SG_STATE_VALUE, &s->plain)) < 0)
        return rc;
    const sg_state_id ids[] = {s->v, s->c, s->l, s->m, s->a};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if ((rc = sg_state_set_ttl(ctx, ids[i], ttl)) < 0)
            return rc;
    /* The same TTL again is fine; another one, or a bad one, is refused. */
    sg_state_ttl other = *ttl, zero = *ttl, bad_domain = *ttl;
    other.ttl_ms++;
    zero.ttl_ms = 0;
    bad_domain.domain = (sg_time_domain)7;
    if (sg_state_set_ttl(ctx, s->v, ttl) != SG_OK ||
        sg_state_set_ttl(ctx, s->v, &other) != SG_EINVAL ||
        sg_state_set_ttl(ctx, s->plain, &zero) != SG_EINVAL ||
        sg_state_set_ttl(ctx, s->plain, &bad_domain) != SG_EINVAL ||
        sg_state_set_ttl(ctx, 99, ttl) != SG_EINVAL)
        return SG_EINTERNAL;
    return SG_OK;
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

static void text_str(text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static int add_item(sg_ctx *ctx, sg_bytes item, void *ud)
{
    text *t = ud;
    (void)ctx;
    if (t->buf[t->len - 1] != '[')
        text_str(t, ",");
    text_add(t, item.data, item.len);
    return 0;
}

static int add_entry(sg_ctx *ctx, sg_bytes key, sg_bytes value, void *ud)
{
    text *t = ud;
    (void)ctx;
    if (t->buf[t->len - 1] != '{')
        text_str(t, ",");
    text_add(t, key.data, key.len);
    text_str(t, "=");
    text_add(t, value.data, value.len);
    return 0;
}

/* Emits "name=value" or "name?" for a get's result. */
static int emit_found(sg_ctx *ctx, const sg_record *rec, const char *name, int rc, sg_bytes v)
{
    text t = {.len = 0};
    if (rc < 0)
        return rc;
    text_str(&t, name);
    if (rc == SG_NOTFOUND) {
        text_str(&t, "?");
    } else {
        text_str(&t, "=");
        text_add(&t, v.data, v.len);
    }
    return sg_emit(ctx, rec->ts, sg_ctx_key(ctx), (sg_bytes){t.buf, t.len});
}

static int emit_text(sg_ctx *ctx, const sg_record *rec, const text *t)
{
    return sg_emit(ctx, rec->ts, sg_ctx_key(ctx), (sg_bytes){t->buf, t->len});
}

static int inc(sg_ctx *ctx, ttl_self *s)
{
    void *p;
    uint64_t n;
    int rc = sg_state_ref(ctx, s->c, 0, sizeof(n), &p, NULL);
    if (rc < 0)
        return rc;
    memcpy(&n, p, sizeof(n));
    n++;
    memcpy(p, &n, sizeof(n));
    return SG_OK;
}

static int number_found(sg_ctx *ctx, const sg_record *rec, const char *name, int rc, sg_bytes v)
{
    char num[32];
    int64_t n = 0;
    if (rc == SG_OK)
        memcpy(&n, v.data, sizeof(n));
    snprintf(num, sizeof(num), "%lld", (long long)n);
    return emit_found(ctx, rec, name, rc, sg_bytes_str(num));
}

static int misuse(sg_ctx *ctx, ttl_self *s, const sg_record *rec)
{
    sg_bytes b;
    void *p;
    text t = {.len = 0};
    int a = sg_state_get(ctx, s->l, 0, &b); /* a TTL list's bytes are not its items */
    int c = sg_state_ref(ctx, s->l, 0, 8, &p, NULL);
    int d = sg_state_put(ctx, s->l, 0, sg_bytes_str("x"));
    snprintf(t.buf, sizeof(t.buf), "%s %s %s", sg_err_name(a), sg_err_name(c), sg_err_name(d));
    t.len = strlen(t.buf);
    return emit_text(ctx, rec, &t);
}

static int ttl_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    ttl_self *s = self;
    char buf[128];
    sg_bytes v = {NULL, 0};
    text t = {.len = 0};
    int rc;
    (void)port;
    snprintf(buf, sizeof(buf), "%.*s", (int)rec->value.len, (const char *)rec->value.data);
    char *arg = strchr(buf, ' ');
    char *arg2 = arg ? strchr(arg + 1, ' ') : NULL;
    if (arg)
        *arg++ = '\0';
    if (arg2)
        *arg2++ = '\0';
    if (strcmp(buf, "set") == 0)
        return sg_state_put(ctx, s->v, 0, sg_bytes_str(arg));
    if (strcmp(buf, "get") == 0)
        return emit_found(ctx, rec, "v", sg_state_get(ctx, s->v, 0, &v), v);
    if (strcmp(buf, "inc") == 0)
        return inc(ctx, s);
    if (strcmp(buf, "cnt") == 0)
        return number_found(ctx, rec, "c", sg_state_get(ctx, s->c, 0, &v), v);
    if (strcmp(buf, "plain") == 0)
        return sg_state_put(ctx, s->plain, 0, sg_bytes_str(arg));
    if (strcmp(buf, "pget") == 0)
        return emit_found(ctx, rec, "p", sg_state_get(ctx, s->plain, 0, &v), v);
    if (strcmp(buf, "ladd") == 0)
        return sg_state_list_add(ctx, s->l, 0, sg_bytes_str(arg));
    if (strcmp(buf, "list") == 0) {
        text_str(&t, "l=[");
        if ((rc = sg_state_list_each(ctx, s->l, 0, add_item, &t)) < 0)
            return rc;
        text_str(&t, "]");
        return emit_text(ctx, rec, &t);
    }
    if (strcmp(buf, "mput") == 0)
        return sg_state_map_put(ctx, s->m, 0, sg_bytes_str(arg), sg_bytes_str(arg2));
    if (strcmp(buf, "mget") == 0)
        return emit_found(ctx, rec, arg, sg_state_map_get(ctx, s->m, 0, sg_bytes_str(arg), &v), v);
    if (strcmp(buf, "map") == 0) {
        text_str(&t, "m={");
        if ((rc = sg_state_map_each(ctx, s->m, 0, add_entry, &t)) < 0)
            return rc;
        text_str(&t, "}");
        return emit_text(ctx, rec, &t);
    }
    if (strcmp(buf, "agg") == 0) {
        int64_t n = strtoll(arg, NULL, 10);
        return sg_state_agg_add(ctx, s->a, 0, (sg_bytes){&n, sizeof(n)});
    }
    if (strcmp(buf, "aget") == 0)
        return number_found(ctx, rec, "a", sg_state_get(ctx, s->a, 0, &v), v);
    if (strcmp(buf, "misuse") == 0)
        return misuse(ctx, s, rec);
    sg_ctx_reject(ctx, rec, "unknown command");
    return SG_OK;
}

static const sg_operator_def ttl_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "ttl_cmds",
    .self_size = sizeof(ttl_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = ttl_open,
    .process = ttl_process,
};

/* ---- Running scripts ------------------------------------------------------------ */

typedef struct backend_case {
    int heap;
    size_t cache_entries;
} backend_case;

static backend_case rocksdb = {0, 0}, rocksdb_tiny = {0, 16}, heap = {1, 0}, heap_tiny = {1, 16};

static const sg_state_ttl proc_write = {SG_STATE_TTL_ABI_1, 100, SG_TIME_PROCESSING,
                                        SG_TTL_ON_CREATE_AND_WRITE};
static const sg_state_ttl proc_read = {SG_STATE_TTL_ABI_1, 100, SG_TIME_PROCESSING,
                                       SG_TTL_ON_READ_AND_WRITE};
static const sg_state_ttl event_write = {SG_STATE_TTL_ABI_1, 100, SG_TIME_EVENT,
                                         SG_TTL_ON_CREATE_AND_WRITE};

/* A step: a record (key, command) or, with key "@", "pt N" (processing time), "wm N"
 * (watermark) or "restore" (snapshot and restore; RocksDB only, skipped on the heap,
 * which cannot restore: the output must not depend on it). */
typedef struct step {
    const char *key;
    const char *cmd;
} step;

static sg_harness *new_harness(const backend_case *bc, const sg_state_ttl *ttl)
{
    sg_harness_opts o = {SG_HARNESS_OPTS_ABI_1, bc->heap, bc->cache_entries};
    sg_harness *h = NULL;
    assert_int_equal(sg_harness_new_ex(&ttl_op, (void *)(uintptr_t)ttl, &o, &h), SG_OK);
    return h;
}

static void run_steps(sg_harness *h, const backend_case *bc, const step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = SG_OK;
        if (strcmp(steps[i].key, "@") != 0)
            rc =
                sg_harness_process(h, 0, 1, sg_bytes_str(steps[i].key), sg_bytes_str(steps[i].cmd));
        else if (strncmp(steps[i].cmd, "pt ", 3) == 0)
            rc = sg_harness_set_processing_time(h, strtoll(steps[i].cmd + 3, NULL, 10));
        else if (strncmp(steps[i].cmd, "wm ", 3) == 0)
            rc = sg_harness_watermark(h, strtoll(steps[i].cmd + 3, NULL, 10));
        else if (strcmp(steps[i].cmd, "restore") == 0 && !bc->heap)
            rc = sg_harness_snapshot_restore(h);
        if (rc != SG_OK)
            fail_msg("step %zu (%s): %s", i, steps[i].cmd, sg_harness_errmsg(h));
    }
}

/* The output as "key:value" lines. */
static void output(const sg_harness *h, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sg_harness_count(h); i++) {
        const sg_record *r = sg_harness_output(h, i);
        len += (size_t)snprintf(out + len, cap - len, "%.*s:%.*s\n", (int)r->key.len,
                                (const char *)r->key.data, (int)r->value.len,
                                (const char *)r->value.data);
        assert_true(len < cap);
    }
}

static void expect_script(const backend_case *bc, const sg_state_ttl *ttl, const step *steps,
                          size_t n, const char *want)
{
    char got[4096];
    sg_harness *h = new_harness(bc, ttl);
    run_steps(h, bc, steps, n);
    output(h, got, sizeof(got));
    assert_string_equal(got, want);
    assert_int_equal(sg_harness_rejected(h), 0);
    sg_harness_free(h);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Tests ---------------------------------------------------------------------- */

/* Every kind expires ttl_ms after its last write: lists and maps item by item. */
static const step expiry_steps[] = {
    {"@", "pt 0"},  {"u", "set a"},   {"u", "inc"},       {"u", "ladd x"},  {"u", "mput k1 v1"},
    {"u", "agg 5"}, {"u", "plain p"}, {"@", "pt 60"},     {"u", "ladd y"},  {"u", "mput k2 v2"},
    {"u", "agg 7"}, {"u", "inc"},     {"@", "pt 99"},     {"u", "get"},     {"u", "list"},
    {"u", "map"},   {"u", "aget"},    {"u", "cnt"},       {"@", "pt 100"},  {"u", "get"},
    {"u", "list"},  {"u", "map"},     {"u", "mget k1"},   {"u", "mget k2"}, {"u", "aget"},
    {"u", "cnt"},   {"@", "pt 160"},  {"u", "list"},      {"u", "map"},     {"u", "aget"},
    {"u", "cnt"},   {"u", "inc"},     {"u", "agg 1"},     {"u", "set b"},   {"u", "cnt"},
    {"u", "aget"},  {"u", "get"},     {"@", "pt 100000"}, {"u", "pget"},    {"u", "misuse"},
};
static const char expiry_want[] = "u:v=a\n"
                                  "u:l=[x,y]\n"
                                  "u:m={k1=v1,k2=v2}\n"
                                  "u:a=12\n"
                                  "u:c=2\n"
                                  "u:v?\n"
                                  "u:l=[y]\n"
                                  "u:m={k2=v2}\n"
                                  "u:k1?\n"
                                  "u:k2=v2\n"
                                  "u:a=12\n"
                                  "u:c=2\n"
                                  "u:l=[]\n"
                                  "u:m={}\n"
                                  "u:a?\n"
                                  "u:c?\n"
                                  "u:c=1\n" /* expired counters start again from zero */
                                  "u:a=1\n"
                                  "u:v=b\n"
                                  "u:p=p\n" /* no TTL: kept */
                                  "u:SG_EINVAL SG_EINVAL SG_EINVAL\n";

static void test_every_kind_expires_in_processing_time(void **state)
{
    expect_script(*state, &proc_write, expiry_steps, N(expiry_steps), expiry_want);
}

/* The same script with watermarks for the clock. */
static void test_every_kind_expires_in_event_time(void **state)
{
    step steps[N(expiry_steps)];
    char cmds[N(expiry_steps)][32];
    for (size_t i = 0; i < N(expiry_steps); i++) {
        steps[i] = expiry_steps[i];
        if (strncmp(steps[i].cmd, "pt ", 3) == 0) { /* wm 0 would not advance: start at 1000 */
            snprintf(cmds[i], sizeof(cmds[i]), "wm %lld",
                     1000 + strtoll(steps[i].cmd + 3, NULL, 10));
            steps[i].cmd = cmds[i];
        }
    }
    expect_script(*state, &event_write, steps, N(steps), expiry_want);
}

/* With SG_TTL_ON_READ_AND_WRITE every read that finds data restamps it. */
static void test_update_on_read_keeps_read_state_alive(void **state)
{
    const step steps[] = {
        {"@", "pt 0"},   {"u", "set a"}, {"u", "ladd x"}, {"u", "mput k v"}, {"u", "agg 3"},
        {"@", "pt 80"},  {"u", "get"},   {"u", "list"},   {"u", "mget k"},   {"u", "aget"},
        {"@", "pt 150"}, {"u", "get"},   {"u", "list"},   {"u", "map"},      {"u", "aget"},
        {"@", "pt 250"}, {"u", "get"},   {"u", "list"},   {"u", "map"},      {"u", "aget"},
    };
    expect_script(*state, &proc_read, steps, N(steps),
                  "u:v=a\nu:l=[x]\nu:k=v\nu:a=3\n"
                  "u:v=a\nu:l=[x]\nu:m={k=v}\nu:a=3\n"
                  "u:v?\nu:l=[]\nu:m={}\nu:a?\n");
    /* Without update on read the same reads find nothing at 150. */
    expect_script(*state, &proc_write, steps, N(steps),
                  "u:v=a\nu:l=[x]\nu:k=v\nu:a=3\n"
                  "u:v?\nu:l=[]\nu:m={}\nu:a?\n"
                  "u:v?\nu:l=[]\nu:m={}\nu:a?\n");
}

/* 200 keys write every TTL state once and are never read again; a plain state is
 * written too. After the TTL, records of another key (or watermarks) drive the
 * incremental cleanup, which must remove every expired entry and nothing else. */
static void cleanup(const backend_case *bc, const sg_state_ttl *ttl, bool by_watermark)
{
    sg_harness *h = new_harness(bc, ttl);
    const char *cmds[] = {"set a", "inc", "ladd x", "mput k v", "agg 1", "plain p"};
    char key[16];
    uint64_t n = 0;
    if (ttl->domain == SG_TIME_EVENT)
        assert_int_equal(sg_harness_watermark(h, 1000), SG_OK);
    for (int k = 0; k < 200; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        for (size_t c = 0; c < N(cmds); c++)
            assert_int_equal(sg_harness_process(h, 0, 1, sg_bytes_str(key), sg_bytes_str(cmds[c])),
                             SG_OK);
    }
    assert_int_equal(sg_harness_state_entries(h, &n), SG_OK);
    assert_int_equal(n, 200 * N(cmds));
    if (ttl->domain == SG_TIME_EVENT)
        assert_int_equal(sg_harness_watermark(h, 2000), SG_OK);
    else
        assert_int_equal(sg_harness_set_processing_time(h, 1000), SG_OK);
    for (int i = 0; i < 2000; i++) {
        if (by_watermark)
            assert_int_equal(sg_harness_watermark(h, 2001 + i), SG_OK);
        else
            assert_int_equal(sg_harness_process(h, 0, 1, sg_bytes_str("z"), sg_bytes_str("pget")),
                             SG_OK);
        if (i % 50 == 49) {
            uint64_t now;
            assert_int_equal(sg_harness_state_entries(h, &now), SG_OK);
            assert_true(now <= n); /* never grows */
            n = now;
        }
    }
    assert_int_equal(n, 200); /* the plain states only */
    sg_harness_free(h);
}

static void test_cleanup_removes_expired_state_nobody_reads(void **state)
{
    cleanup(*state, &proc_write, false);
}

static void test_cleanup_runs_at_watermarks(void **state)
{
    cleanup(*state, &event_write, true);
}

/* Timestamps are part of the state: after a restore at 50, what was written at 0 is
 * still there at 99 and gone at 100, exactly as without the restore. */
static void test_ttl_timestamps_survive_restore(void **state)
{
    const backend_case *bc = *state;
    const step with_restore[] = {
        {"@", "pt 0"},  {"u", "set a"},  {"u", "ladd x"},  {"u", "mput k v"}, {"u", "agg 4"},
        {"@", "pt 50"}, {"u", "ladd y"}, {"@", "restore"}, {"@", "pt 99"},    {"u", "get"},
        {"u", "list"},  {"u", "map"},    {"u", "aget"},    {"@", "restore"},  {"@", "pt 100"},
        {"u", "get"},   {"u", "list"},   {"u", "map"},     {"u", "aget"},
    };
    step plain[N(with_restore)];
    size_t n = 0;
    for (size_t i = 0; i < N(with_restore); i++)
        if (strcmp(with_restore[i].cmd, "restore") != 0)
            plain[n++] = with_restore[i];
    const char *want = "u:v=a\nu:l=[x,y]\nu:m={k=v}\nu:a=4\n"
                       "u:v?\nu:l=[y]\nu:m={}\nu:a?\n";
    expect_script(bc, &proc_write, with_restore, N(with_restore), want);
    expect_script(bc, &proc_write, plain, n, want);
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
        ON_EACH_BACKEND(test_every_kind_expires_in_processing_time),
        ON_EACH_BACKEND(test_every_kind_expires_in_event_time),
        ON_EACH_BACKEND(test_update_on_read_keeps_read_state_alive),
        ON_EACH_BACKEND(test_cleanup_removes_expired_state_nobody_reads),
        ON_EACH_BACKEND(test_cleanup_runs_at_watermarks),
        ON_EACH_BACKEND(test_ttl_timestamps_survive_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
