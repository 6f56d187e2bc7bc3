/* Aggregating state through the harness: two reducing states (accumulator and item of
 * the same type: a sum and a max with a non-zero initial value) and an aggregating one
 * (an average: the accumulator is {sum, count}, the item a u64), per key and
 * namespace, read with sg_state_get, cleared, spilled out of a tiny cache, and carried
 * over a snapshot and restore. Every test runs on RocksDB and on the heap backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/harness.h>

/* ---- Aggregate definitions ------------------------------------------------------ */

static int sum_add(void *acc, sg_bytes item, void *udata)
{
    uint64_t a, v;
    (void)udata;
    if (item.len != sizeof(v))
        return SG_EINVAL;
    memcpy(&a, acc, sizeof(a));
    memcpy(&v, item.data, sizeof(v));
    a += v;
    memcpy(acc, &a, sizeof(a));
    return SG_OK;
}

static void max_init(void *acc, void *udata)
{
    int64_t lo = INT64_MIN;
    (*(int *)udata)++; /* counts inits, to show init runs once per new accumulator */
    memcpy(acc, &lo, sizeof(lo));
}

static int max_add(void *acc, sg_bytes item, void *udata)
{
    int64_t a, v;
    (void)udata;
    if (item.len != sizeof(v))
        return SG_EINVAL;
    memcpy(&a, acc, sizeof(a));
    memcpy(&v, item.data, sizeof(v));
    if (v > a)
        memcpy(acc, &v, sizeof(v));
    return SG_OK;
}

typedef struct avg_acc {
    uint64_t sum, count;
} avg_acc;

static int avg_add(void *acc, sg_bytes item, void *udata)
{
    avg_acc *a = acc; /* accumulators are 8-byte aligned */
    uint64_t v;
    (void)udata;
    if (item.len != sizeof(v))
        return SG_EINVAL;
    memcpy(&v, item.data, sizeof(v));
    a->sum += v;
    a->count++;
    return SG_OK;
}

static const sg_state_agg_def sum_def = {SG_STATE_AGG_ABI_1, sizeof(uint64_t), NULL, sum_add};
static const sg_state_agg_def max_def = {SG_STATE_AGG_ABI_1, sizeof(int64_t), max_init, max_add};
static const sg_state_agg_def avg_def = {SG_STATE_AGG_ABI_1, sizeof(avg_acc), NULL, avg_add};

/* ---- The operator -------------------------------------------------------------
 * Commands (the record's value), on the aggregates of its key in namespace = its ts:
 *   add N | read | clear | misuse */
typedef struct agg_self {
    sg_state_id sum, max, avg, plain;
} agg_self;

static int agg_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    agg_self *s = self;
    int *inits = sg_ctx_udata(ctx);
    sg_state_id bad;
    sg_state_agg_def zero = sum_def;
    int rc;
    (void)restore;
    zero.acc_size = 0;
    if ((rc = sg_state_declare_aggregating(ctx, "sum", &sum_def, NULL, &s->sum)) < 0 ||
        (rc = sg_state_declare_aggregating(ctx, "max", &max_def, inits, &s->max)) < 0 ||
        (rc = sg_state_declare_aggregating(ctx, "avg", &avg_def, NULL, &s->avg)) < 0 ||
        (rc = sg_state_declare(ctx, "plain", SG_STATE_VALUE, &s->plain)) < 0)
        return rc;
    /* Misdeclarations are refused: each must say SG_EINVAL. */
    if (sg_state_declare(ctx, "x", SG_STATE_AGGREGATING, &bad) != SG_EINVAL ||
        sg_state_declare_aggregating(ctx, "y", &zero, NULL, &bad) != SG_EINVAL ||
        sg_state_declare_aggregating(ctx, "plain", &sum_def, NULL, &bad) != SG_EINVAL)
        return SG_EINTERNAL;
    return SG_OK;
}

static int emit_str(sg_ctx *ctx, const sg_record *rec, const char *s)
{
    return sg_emit(ctx, rec->ts, sg_ctx_key(ctx), sg_bytes_str(s));
}

static int agg_read(sg_ctx *ctx, agg_self *s, const sg_record *rec)
{
    sg_bytes b;
    uint64_t sum = 0;
    int64_t max = 0;
    avg_acc avg = {0, 0};
    int rc;
    if ((rc = sg_state_get_u64(ctx, s->sum, rec->ts, &sum)) < 0)
        return rc;
    if (rc == SG_NOTFOUND)
        return emit_str(ctx, rec, "none");
    if ((rc = sg_state_get(ctx, s->max, rec->ts, &b)) != SG_OK)
        return rc < 0 ? rc : SG_EINTERNAL;
    assert_int_equal(b.len, sizeof(max));
    memcpy(&max, b.data, sizeof(max));
    if ((rc = sg_state_get(ctx, s->avg, rec->ts, &b)) != SG_OK)
        return rc < 0 ? rc : SG_EINTERNAL;
    assert_int_equal(b.len, sizeof(avg));
    assert_int_equal((uintptr_t)b.data % 8, 0);
    memcpy(&avg, b.data, sizeof(avg));
    char out[128];
    snprintf(out, sizeof(out), "sum=%llu max=%lld avg=%llu/%llu", (unsigned long long)sum,
             (long long)max, (unsigned long long)avg.sum, (unsigned long long)avg.count);
    return emit_str(ctx, rec, out);
}

static int agg_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    agg_self *s = self;
    char cmd[64];
    int rc;
    (void)port;
    snprintf(cmd, sizeof(cmd), "%.*s", (int)rec->value.len, (const char *)rec->value.data);
    if (strncmp(cmd, "add ", 4) == 0) {
        long long n = 0;
        sscanf(cmd + 4, "%lld", &n);
        sg_bytes item = {&n, sizeof(n)};
        if ((rc = sg_state_agg_add(ctx, s->sum, rec->ts, item)) < 0 ||
            (rc = sg_state_agg_add(ctx, s->max, rec->ts, item)) < 0)
            return rc;
        return sg_state_agg_add(ctx, s->avg, rec->ts, item);
    }
    if (strcmp(cmd, "read") == 0)
        return agg_read(ctx, s, rec);
    if (strcmp(cmd, "clear") == 0) {
        if ((rc = sg_state_clear(ctx, s->sum, rec->ts)) < 0 ||
            (rc = sg_state_clear(ctx, s->max, rec->ts)) < 0)
            return rc;
        return sg_state_clear(ctx, s->avg, rec->ts);
    }
    if (strcmp(cmd, "misuse") == 0) {
        uint32_t four = 4;
        void *p;
        int a = sg_state_put(ctx, s->sum, rec->ts, (sg_bytes){&four, sizeof(four)});
        int b = sg_state_ref(ctx, s->avg, rec->ts, 8, &p, NULL);
        int c = sg_state_agg_add(ctx, s->plain, rec->ts, (sg_bytes){&four, sizeof(four)});
        int d = sg_state_agg_add(ctx, s->sum, rec->ts, (sg_bytes){&four, sizeof(four)});
        char out[128];
        snprintf(out, sizeof(out), "%s %s %s %s", sg_err_name(a), sg_err_name(b), sg_err_name(c),
                 sg_err_name(d));
        return emit_str(ctx, rec, out);
    }
    sg_ctx_reject(ctx, rec, "unknown command");
    return SG_OK;
}

static const sg_operator_def agg_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "agg_cmds",
    .self_size = sizeof(agg_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = agg_open,
    .process = agg_process,
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

static int inits; /* max_init calls; reset by new_harness */

static sg_harness *new_harness(const backend_case *bc)
{
    sg_harness_opts o = {SG_HARNESS_OPTS_ABI_1, bc->heap, bc->cache_entries};
    sg_harness *h = NULL;
    inits = 0;
    assert_int_equal(sg_harness_new_ex(&agg_op, &inits, &o, &h), SG_OK);
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

/* ---- Tests ---------------------------------------------------------------------- */

static void test_add_read_clear_per_key_and_namespace(void **state)
{
    const backend_case *bc = *state;
    const step steps[] = {
        {"u", 1, "read"},  {"u", 1, "add 5"},  {"u", 1, "add -3"}, {"u", 1, "add 10"},
        {"u", 2, "add 7"}, {"v", 1, "add -1"}, {"u", 1, "read"},   {"u", 2, "read"},
        {"v", 1, "read"},  {"u", 1, "clear"},  {"u", 1, "read"},   {"u", 2, "read"},
        {"u", 1, "add 2"}, {"u", 1, "read"},   {"u", 1, "misuse"},
    };
    char got[1024];
    sg_harness *h = new_harness(bc);
    run(h, bc, steps, sizeof(steps) / sizeof(steps[0]), got, sizeof(got));
    assert_string_equal(got, "u:none\n"
                             "u:sum=12 max=10 avg=12/3\n"
                             "u:sum=7 max=7 avg=7/1\n"
                             "v:sum=18446744073709551615 max=-1 avg=18446744073709551615/1\n"
                             "u:none\n"
                             "u:sum=7 max=7 avg=7/1\n"
                             "u:sum=2 max=2 avg=2/1\n"
                             "u:SG_EINVAL SG_EINVAL SG_EINVAL SG_EINVAL\n");
    /* One init per new max accumulator: (u,1), (u,2), (v,1), (u,1) after the clear. */
    assert_int_equal(inits, 4);
    sg_harness_free(h);
}

static void test_accumulators_spill_and_come_back(void **state)
{
    const backend_case *bc = *state;
    sg_harness *h = new_harness(bc);
    char key[16], cmd[32];
    for (int round = 1; round <= 3; round++) {
        for (int k = 0; k < 200; k++) {
            snprintf(key, sizeof(key), "k%d", k);
            snprintf(cmd, sizeof(cmd), "add %d", k * round);
            assert_int_equal(sg_harness_process(h, 0, 0, sg_bytes_str(key), sg_bytes_str(cmd)),
                             SG_OK);
        }
    }
    for (int k = 0; k < 200; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(sg_harness_process(h, 0, 0, sg_bytes_str(key), sg_bytes_str("read")),
                         SG_OK);
        char want[96];
        snprintf(want, sizeof(want), "sum=%d max=%d avg=%d/3", 6 * k, 3 * k, 6 * k);
        const sg_record *r = sg_harness_output(h, (size_t)k);
        assert_int_equal(r->value.len, strlen(want));
        assert_memory_equal(r->value.data, want, r->value.len);
    }
    assert_int_equal(inits, 200); /* spilled accumulators are not re-initialised */
    uint64_t n = 0;
    assert_int_equal(sg_harness_state_entries(h, &n), SG_OK);
    assert_int_equal(n, 600); /* three accumulators per key */
    sg_harness_free(h);
}

static void test_snapshot_restore_gives_the_same_output(void **state)
{
    const backend_case *bc = *state;
    const step with_restore[] = {
        {"u", 0, "add 4"},    {"v", 0, "add 9"}, {"u", 0, "add 6"},
        {"@", 0, "@restore"}, {"u", 0, "read"},  {"u", 0, "add 20"},
        {"@", 0, "@restore"}, {"u", 0, "read"},  {"v", 0, "read"},
    };
    const step plain[] = {
        {"u", 0, "add 4"},  {"v", 0, "add 9"}, {"u", 0, "add 6"}, {"u", 0, "read"},
        {"u", 0, "add 20"}, {"u", 0, "read"},  {"v", 0, "read"},
    };
    char a[1024], b[1024];
    sg_harness *h = new_harness(bc);
    run(h, bc, with_restore, sizeof(with_restore) / sizeof(with_restore[0]), a, sizeof(a));
    sg_harness_free(h);
    h = new_harness(bc);
    run(h, bc, plain, sizeof(plain) / sizeof(plain[0]), b, sizeof(b));
    sg_harness_free(h);
    assert_string_equal(a, b);
    assert_string_equal(a, "u:sum=10 max=6 avg=10/2\n"
                           "u:sum=30 max=20 avg=30/3\n"
                           "v:sum=9 max=9 avg=9/1\n");
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
        ON_EACH_BACKEND(test_add_read_clear_per_key_and_namespace),
        ON_EACH_BACKEND(test_accumulators_spill_and_come_back),
        ON_EACH_BACKEND(test_snapshot_restore_gives_the_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
