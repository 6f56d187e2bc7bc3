/* Savepoint content (engine/ckpt_savepoint.h) and restore checks (engine/ckpt.h):
 * the keyed state dump round-trips and splits by key group over any parallelism;
 * timers are split the same way; own snapshots merge by the documented rule; a
 * savepoint whose max parallelism is not the engine's, or of another job graph, is
 * refused in one line. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ckpt.h"
#include "engine/ckpt_savepoint.h"
#include "engine/ckpt_store.h"
#include "engine/ctx.h"
#include "engine/fsutil.h"
#include "engine/plan.h"
#include "engine/runtime.h"
#include "engine/snap.h"
#include "engine/timer.h"

#define N_KEYS 600

static sg__kv *open_heap(void)
{
    sg__kv_config cfg = {.backend = SG__KV_HEAP};
    sg__kv *kv = NULL;
    char err[256];
    assert_int_equal(sg__kv_open(&cfg, &kv, err, sizeof(err)), SG_OK);
    return kv;
}

static sg_bytes key_of(int i, char *buf, size_t len)
{
    int n = snprintf(buf, len, "key-%d", i);
    return (sg_bytes){buf, (size_t)n};
}

/* A kv with two states: "counts" (N_KEYS keys, two namespaces each) and "names". */
static sg__kv *filled_kv(void)
{
    sg__kv *kv = open_heap();
    uint32_t counts, names;
    char buf[32];
    assert_int_equal(sg__kv_declare(kv, "counts", &counts), SG_OK);
    assert_int_equal(sg__kv_declare(kv, "names", &names), SG_OK);
    for (int i = 0; i < N_KEYS; i++) {
        sg_bytes k = key_of(i, buf, sizeof(buf));
        uint16_t kg = sg__key_group(k);
        int64_t v = i;
        assert_int_equal(sg__kv_put(kv, counts, kg, k, 10, (sg_bytes){&v, sizeof(v)}), SG_OK);
        assert_int_equal(sg__kv_put(kv, counts, kg, k, -5, (sg_bytes){&v, sizeof(v)}), SG_OK);
        if (i % 3 == 0)
            assert_int_equal(sg__kv_put(kv, names, kg, k, 0, k), SG_OK);
    }
    return kv;
}

static void test_dump_round_trips_and_splits_by_key_group(void **state)
{
    (void)state;
    sg__kv *kv = filled_kv();
    sg_snap_writer w;
    uint64_t dumped = 0;
    sg__snap_writer_init(&w);
    assert_int_equal(sg__sp_dump_kv(kv, &w, &dumped), SG_OK);
    assert_int_equal(dumped, 2 * N_KEYS + N_KEYS / 3);
    sg_bytes dump = sg__snap_writer_bytes(&w);
    int has = 0;
    assert_int_equal(sg__sp_dump_has_states(dump, &has), SG_OK);
    assert_true(has);

    for (int p = 1; p <= 5; p++) {
        uint64_t total = 0;
        for (int s = 0; s < p; s++) {
            sg__kv *part = open_heap();
            sg_snap_reader r;
            uint64_t loaded = 0;
            char buf[32];
            sg__snap_reader_init(&r, dump.data, dump.len);
            assert_int_equal(sg__sp_load_kv(&r, part, s, p, &loaded), SG_OK);
            assert_true(sg__snap_reader_done(&r));
            sg__snap_reader_free(&r);
            total += loaded;
            /* Exactly the keys of this subtask's key groups, with their values. The
             * states are declared in the loader's order, so look them up by name. */
            uint32_t counts, names;
            assert_int_equal(sg__kv_declare(part, "counts", &counts), SG_OK);
            assert_int_equal(sg__kv_declare(part, "names", &names), SG_OK);
            for (int i = 0; i < N_KEYS; i++) {
                sg_bytes k = key_of(i, buf, sizeof(buf)), out;
                uint16_t kg = sg__key_group(k);
                bool mine = sg__kg_subtask(kg, p) == s;
                int rc = sg__kv_get(part, counts, kg, k, -5, &out);
                assert_int_equal(rc, mine ? SG_OK : SG_NOTFOUND);
                if (mine) {
                    int64_t v;
                    assert_int_equal(out.len, sizeof(v));
                    memcpy(&v, out.data, sizeof(v));
                    assert_int_equal(v, i);
                    rc = sg__kv_get(part, names, kg, k, 0, &out);
                    assert_int_equal(rc, i % 3 == 0 ? SG_OK : SG_NOTFOUND);
                }
            }
            sg__kv_close(part);
        }
        assert_int_equal(total, dumped); /* every entry lands in exactly one subtask */
    }
    sg__snap_writer_free(&w);
    sg__kv_close(kv);
}

static void test_empty_and_malformed_dumps(void **state)
{
    (void)state;
    sg_snap_writer w;
    sg__snap_writer_init(&w);
    assert_int_equal(sg__sp_dump_kv(NULL, &w, NULL), SG_OK); /* no state at all */
    sg_bytes dump = sg__snap_writer_bytes(&w);
    int has = 1;
    assert_int_equal(sg__sp_dump_has_states(dump, &has), SG_OK);
    assert_false(has);
    sg_snap_reader r;
    sg__snap_reader_init(&r, dump.data, dump.len);
    assert_int_equal(sg__sp_load_kv(&r, NULL, 0, 1, NULL), SG_OK);
    sg__snap_reader_free(&r);
    sg__snap_writer_free(&w);

    /* A dump cut short is malformed, never a crash or a partial success. */
    sg__kv *kv = filled_kv();
    sg__snap_writer_init(&w);
    assert_int_equal(sg__sp_dump_kv(kv, &w, NULL), SG_OK);
    dump = sg__snap_writer_bytes(&w);
    sg__kv *part = open_heap();
    sg__snap_reader_init(&r, dump.data, dump.len / 2);
    assert_int_equal(sg__sp_load_kv(&r, part, 0, 1, NULL), SG_ESERDE);
    sg__snap_reader_free(&r);
    sg__kv_close(part);
    sg__snap_writer_free(&w);
    sg__kv_close(kv);
}

/* An instance snapshot as sg__inst_snapshot writes it: timers for keys from..to at
 * ts = 1000 + i, no processing timers, then own. */
static void inst_snapshot(sg_snap_writer *w, int from, int to, const sg_bytes *own)
{
    sg__timers t;
    sg__timers proc;
    char buf[32];
    sg__timers_init(&t);
    sg__timers_init(&proc);
    for (int i = from; i < to; i++) {
        sg_bytes k = key_of(i, buf, sizeof(buf));
        assert_int_equal(sg__timers_set(&t, sg__key_group(k), k, 1000 + i), SG_OK);
    }
    assert_int_equal(sg__timers_snapshot(&t, w), SG_OK);
    assert_int_equal(sg__timers_snapshot(&proc, w), SG_OK);
    assert_int_equal(sg_snap_put_bytes(w, own->data, own->len), SG_OK);
    sg__timers_free(&t);
    sg__timers_free(&proc);
}

static void own_ints(sg_snap_writer *w, int64_t wm, uint64_t seq)
{
    sg__snap_writer_init(w);
    sg_snap_put_i64(w, wm);
    sg_snap_put_u64(w, seq);
}

static void test_rescaled_instance_keeps_its_timers_and_merges_counters(void **state)
{
    (void)state;
    /* Two old instances (a window operator's: watermark and arrival counter). */
    sg_snap_writer own[2], old[2];
    own_ints(&own[0], -7, 40);
    own_ints(&own[1], -7, 95);
    sg_bytes ob[2] = {sg__snap_writer_bytes(&own[0]), sg__snap_writer_bytes(&own[1])};
    sg__snap_writer_init(&old[0]);
    sg__snap_writer_init(&old[1]);
    inst_snapshot(&old[0], 0, N_KEYS / 2, &ob[0]);
    inst_snapshot(&old[1], N_KEYS / 2, N_KEYS, &ob[1]);
    sg_bytes in[2] = {sg__snap_writer_bytes(&old[0]), sg__snap_writer_bytes(&old[1])};

    for (int p = 1; p <= 3; p++) {
        size_t total = 0;
        for (int s = 0; s < p; s++) {
            sg_snap_writer out;
            char err[256] = "";
            sg__snap_writer_init(&out);
            assert_int_equal(sg__sp_rescale_inst(in, 2, s, p, &out, err, sizeof(err)), SG_OK);
            sg_bytes b = sg__snap_writer_bytes(&out);
            sg_snap_reader r;
            sg__snap_reader_init(&r, b.data, b.len);
            sg__timers t, proc;
            sg__timers_init(&t);
            sg__timers_init(&proc);
            assert_int_equal(sg__timers_restore(&t, &r), SG_OK);
            assert_int_equal(sg__timers_restore(&proc, &r), SG_OK);
            assert_int_equal(sg__timers_count(&proc), 0);
            sg__timer *x;
            while ((x = sg__timers_pop(&t))) {
                assert_int_equal(sg__kg_subtask(x->kg, p), s);
                sg__timers_release(&t, x);
                total++;
            }
            sg_bytes merged;
            assert_int_equal(sg_snap_get_bytes(&r, &merged), SG_OK);
            assert_true(sg__snap_reader_done(&r));
            sg_snap_reader m;
            int64_t wm, seq;
            sg__snap_reader_init(&m, merged.data, merged.len);
            assert_int_equal(sg_snap_get_i64(&m, &wm), SG_OK);
            assert_int_equal(sg_snap_get_i64(&m, &seq), SG_OK);
            assert_int_equal(wm, -7);  /* the common watermark */
            assert_int_equal(seq, 95); /* above every number in use */
            sg__snap_reader_free(&m);
            sg__snap_reader_free(&r);
            sg__timers_free(&t);
            sg__timers_free(&proc);
            sg__snap_writer_free(&out);
        }
        assert_int_equal(total, N_KEYS); /* every timer lands in exactly one subtask */
    }
    for (int i = 0; i < 2; i++) {
        sg__snap_writer_free(&own[i]);
        sg__snap_writer_free(&old[i]);
    }
}

static void test_own_snapshots_that_cannot_be_merged_are_refused(void **state)
{
    (void)state;
    sg_snap_writer a, b, out;
    sg__snap_writer_init(&a);
    sg__snap_writer_init(&b);
    sg_snap_put_u64(&a, 1);
    sg_snap_put_bytes(&a, "word", 4); /* not only integers: a top-N list, say */
    sg_snap_put_u64(&b, 2);
    sg_snap_put_bytes(&b, "other", 5);
    sg_bytes own[2] = {sg__snap_writer_bytes(&a), sg__snap_writer_bytes(&b)};
    sg__snap_writer_init(&out);
    assert_int_equal(sg__sp_merge_own(own, 2, &out), SG_EINVAL);
    /* Equal ones merge to themselves; all empty to empty. */
    own[1] = own[0];
    assert_int_equal(sg__sp_merge_own(own, 2, &out), SG_OK);
    sg_bytes none[2] = {{"", 0}, {"", 0}};
    assert_int_equal(sg__sp_merge_own(none, 2, &out), SG_OK);
    sg_bytes got = sg__snap_writer_bytes(&out);
    sg_snap_reader r;
    sg_bytes first, second;
    sg__snap_reader_init(&r, got.data, got.len);
    assert_int_equal(sg_snap_get_bytes(&r, &first), SG_OK);
    assert_int_equal(sg_snap_get_bytes(&r, &second), SG_OK);
    assert_int_equal(first.len, own[0].len);
    assert_int_equal(second.len, 0);
    sg__snap_reader_free(&r);
    /* Integer sequences of different shapes cannot be merged either. */
    sg_snap_writer c;
    own_ints(&c, 5, 6);
    {
        sg_snap_writer d;
        sg__snap_writer_init(&d);
        sg_snap_put_u64(&d, 9);
        sg_bytes mixed[2] = {sg__snap_writer_bytes(&c), sg__snap_writer_bytes(&d)};
        assert_int_equal(sg__sp_merge_own(mixed, 2, &out), SG_EINVAL);
        sg__snap_writer_free(&d);
    }
    sg__snap_writer_free(&c);
    sg__snap_writer_free(&a);
    sg__snap_writer_free(&b);
    sg__snap_writer_free(&out);
}

/* ---- Restore checks --------------------------------------------------------------- */

static char root[PATH_MAX];

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "%s/sg-sp-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int remove_root(void **state)
{
    (void)state;
    sg__remove_tree(root);
    return 0;
}

static char *dupstr(const char *s)
{
    char *d = sg_malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* A savepoint of an empty plan (fingerprint "nodes:") with this max parallelism. */
static void make_savepoint(uint64_t id, sg__ckpt_kind kind, const char *fp, int max_par, char *dir,
                           size_t len)
{
    char err[512];
    sg__ckpt_meta m = {0};
    assert_int_equal(sg__ckpt_begin(root, kind, id, err, sizeof(err)), SG_OK);
    sg__ckpt_path(root, kind, id, dir, len);
    assert_int_equal(sg__ckpt_write_file(dir, "n0.0-s0.sp", "x", 1, err, sizeof(err)), SG_OK);
    m.id = id;
    m.kind = kind;
    m.job = dupstr("job.so");
    m.fingerprint = dupstr(fp);
    m.max_parallelism = max_par;
    assert_int_equal(sg__ckpt_complete(dir, &m, err, sizeof(err)), SG_OK);
    sg__ckpt_meta_free(&m);
}

static int find(const char *dir, sg__ckpt_kind *kind, char *err, size_t errlen)
{
    sg__plan plan = {0};
    sg__run_config cfg = {.restore = dir, .ckpt_dir = root};
    char found[PATH_MAX];
    uint64_t id = 0;
    return sg__ckpt_find_restore(&cfg, &plan, found, sizeof(found), &id, kind, err, errlen);
}

static void test_restore_checks_max_parallelism_and_graph(void **state)
{
    (void)state;
    char dir[PATH_MAX], err[1024] = "";
    sg__ckpt_kind kind = SG__CKPT_CHECKPOINT;

    make_savepoint(1, SG__CKPT_SAVEPOINT, "nodes:", SG__MAX_PARALLELISM, dir, sizeof(dir));
    assert_int_equal(find(dir, &kind, err, sizeof(err)), SG_OK);
    assert_int_equal(kind, SG__CKPT_SAVEPOINT);

    make_savepoint(2, SG__CKPT_SAVEPOINT, "nodes:", 256, dir, sizeof(dir));
    assert_int_equal(find(dir, &kind, err, sizeof(err)), SG_EINVAL);
    assert_non_null(strstr(err, "savepoint sp-000002 was taken with max parallelism 256, this "
                                "engine's is 128: changing the max parallelism"));
    assert_null(strchr(err, '\n'));

    make_savepoint(3, SG__CKPT_SAVEPOINT, "nodes:src,count,out", SG__MAX_PARALLELISM, dir,
                   sizeof(dir));
    assert_int_equal(find(dir, &kind, err, sizeof(err)), SG_EINVAL);
    assert_non_null(strstr(err, "savepoint sp-000003 was taken with a different job graph"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_round_trips_and_splits_by_key_group),
        cmocka_unit_test(test_empty_and_malformed_dumps),
        cmocka_unit_test(test_rescaled_instance_keeps_its_timers_and_merges_counters),
        cmocka_unit_test(test_own_snapshots_that_cannot_be_merged_are_refused),
        cmocka_unit_test_setup_teardown(test_restore_checks_max_parallelism_and_graph, make_root,
                                        remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
