/* The checkpoint store on a real file system: a completed checkpoint verifies and
 * reads back; every kind of damage (bit flips, truncation, deletion, stray files) is
 * found and named; find_latest falls back past damaged ones; retention keeps the
 * newest and never savepoints; link/copy trees; a full disk never leaves a
 * _metadata behind. Allocations go through cmocka, so leaks fail the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/ckpt_store.h"
#include "engine/common.h"
#include "engine/fsutil.h"

typedef struct fixture {
    char root[256];
} fixture;

static void *cmocka_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        if (ptr)
            test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->root, sizeof(f->root), "/tmp/sg-ckstore-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg__remove_tree(f->root);
    free(f);
    return 0;
}

static void path_of(char *out, size_t len, const char *a, const char *b)
{
    assert_true(snprintf(out, len, "%s/%s", a, b) < (int)len);
}

static void write_raw(const char *path, const char *data)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(data, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Flips one bit of the byte at off (from the end when off < 0). */
static void flip_bit(const char *path, long off)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, off, off < 0 ? SEEK_END : SEEK_SET), 0);
    int c = fgetc(fp);
    assert_true(c != EOF);
    assert_int_equal(fseek(fp, -1, SEEK_CUR), 0);
    fputc(c ^ 0x10, fp);
    assert_int_equal(fclose(fp), 0);
}

static char *dupstr(const char *s)
{
    char *d = sg_malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* A checkpoint as the runtime makes one: a .snap per subtask and a nested RocksDB-like
 * directory, completed with two operators' sizes at time_ms (0: now). Its directory
 * goes to dir. */
static void make_ckpt_at(const char *root, sg__ckpt_kind kind, uint64_t id, int64_t time_ms,
                         char *dir, size_t len)
{
    char err[512], sub[512];
    sg__ckpt_meta m = {0};
    assert_int_equal(sg__ckpt_begin(root, kind, id, err, sizeof(err)), SG_OK);
    sg__ckpt_path(root, kind, id, dir, len);
    assert_int_equal(sg__ckpt_write_file(dir, "t0-s0.snap", "source at 42", 12, err, sizeof(err)),
                     SG_OK);
    assert_int_equal(sg__ckpt_write_file(dir, "t1-s0.snap", "", 0, err, sizeof(err)), SG_OK);
    path_of(sub, sizeof(sub), dir, "t1-s0-i0");
    assert_int_equal(mkdir(sub, 0755), 0);
    path_of(sub, sizeof(sub), dir, "t1-s0-i0/sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(
        sg__ckpt_write_file(dir, "t1-s0-i0/000009.sst", "sst bytes", 9, err, sizeof(err)), SG_OK);
    assert_int_equal(
        sg__ckpt_write_file(dir, "t1-s0-i0/sub/CURRENT", "MANIFEST-000005\n", 16, err, sizeof(err)),
        SG_OK);
    m.id = id;
    m.time_ms = time_ms;
    m.kind = kind;
    m.job = dupstr("trending_words.so");
    m.fingerprint = dupstr("t0:source/p1 t1:count/p1");
    m.max_parallelism = 128;
    m.n_ops = 2;
    m.ops = sg_calloc(2, sizeof(*m.ops));
    m.ops[0] = (sg__ckpt_op_size){dupstr("source"), 12};
    m.ops[1] = (sg__ckpt_op_size){dupstr("count"), 25};
    assert_int_equal(sg__ckpt_complete(dir, &m, err, sizeof(err)), SG_OK);
    assert_int_equal(m.n_files, 4);
    sg__ckpt_meta_free(&m);
}

static void make_ckpt(const char *root, sg__ckpt_kind kind, uint64_t id, char *dir, size_t len)
{
    make_ckpt_at(root, kind, id, 0, dir, len);
}

static int verify(const char *dir, char *err, size_t len)
{
    sg__ckpt_meta m;
    int rc = sg__ckpt_verify(dir, &m, err, len);
    if (rc == SG_OK)
        sg__ckpt_meta_free(&m);
    return rc;
}

static bool exists(const char *root, const char *name)
{
    char p[512];
    struct stat st;
    path_of(p, sizeof(p), root, name);
    return lstat(p, &st) == 0;
}

/* ==== Round trip ======================================================== */

static void test_complete_then_verify_round_trips_nested_files(void **state)
{
    fixture *f = *state;
    char dir[512], err[512];
    sg__ckpt_meta m;
    void *data;
    size_t len;
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    assert_non_null(strstr(dir, "/chk-000007"));
    assert_int_equal(sg__ckpt_verify(dir, &m, err, sizeof(err)), SG_OK);
    assert_int_equal(m.id, 7);
    assert_int_equal(m.kind, SG__CKPT_CHECKPOINT);
    assert_true(m.time_ms > 1600000000000LL); /* filled in by complete */
    assert_string_equal(m.job, "trending_words.so");
    assert_string_equal(m.fingerprint, "t0:source/p1 t1:count/p1");
    assert_int_equal(m.max_parallelism, 128);
    assert_int_equal(m.n_ops, 2);
    assert_string_equal(m.ops[1].name, "count");
    assert_int_equal(m.ops[1].bytes, 25);
    assert_int_equal(m.n_files, 4); /* sorted by path; _metadata not listed */
    assert_string_equal(m.files[0].path, "t0-s0.snap");
    assert_string_equal(m.files[1].path, "t1-s0-i0/000009.sst");
    assert_string_equal(m.files[2].path, "t1-s0-i0/sub/CURRENT");
    assert_string_equal(m.files[3].path, "t1-s0.snap");
    assert_int_equal(m.files[3].size, 0);
    assert_int_equal(m.files[1].size, 9);
    sg__ckpt_meta_free(&m);
    sg__ckpt_meta_free(&m); /* idempotent */
    sg__ckpt_meta_free(NULL);
    assert_int_equal(sg__ckpt_read_file(dir, "t1-s0-i0/000009.sst", &data, &len, err, sizeof(err)),
                     SG_OK);
    assert_int_equal(len, 9);
    assert_memory_equal(data, "sst bytes", 9);
    sg_free(data);
    assert_false(exists(dir, "t0-s0.snap.tmp"));
    assert_false(exists(dir, "_metadata.tmp"));
    assert_int_equal(sg__ckpt_read_file(dir, "nope.snap", &data, &len, err, sizeof(err)),
                     SG_ENOENT);
    assert_non_null(strstr(err, "nope.snap is missing"));
}

static void test_begin_removes_a_leftover_of_the_same_id(void **state)
{
    fixture *f = *state;
    char dir[512], err[512], meta[600];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 3, dir, sizeof(dir));
    /* A complete checkpoint is never overwritten... */
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 3, err, sizeof(err)), SG_EIO);
    assert_non_null(strstr(err, "already holds a complete checkpoint"));
    assert_true(exists(dir, "_metadata"));
    /* ... an incomplete leftover of a killed run is cleared. */
    snprintf(meta, sizeof(meta), "%s/_metadata", dir);
    assert_int_equal(unlink(meta), 0);
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 3, err, sizeof(err)), SG_OK);
    assert_false(exists(dir, "t0-s0.snap"));
    assert_true(exists(f->root, "chk-000003"));
}

/* ==== Damage ============================================================ */

static void test_bit_flip_in_a_nested_data_file_is_a_checksum_mismatch(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t1-s0-i0/000009.sst");
    flip_bit(p, 4);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_string_equal(err, "checkpoint chk-000007 is corrupt: t1-s0-i0/000009.sst: checksum "
                             "mismatch");
}

static void test_bit_flips_in_metadata_are_detected(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "_metadata");
    flip_bit(p, 20); /* in the body */
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_string_equal(err, "checkpoint chk-000007 is corrupt: _metadata: checksum mismatch");
    flip_bit(p, 20);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_OK);
    flip_bit(p, -1); /* in the trailing checksum itself */
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "checksum mismatch"));
    flip_bit(p, -1);
    flip_bit(p, 0); /* the magic */
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "chk-000007 is corrupt: _metadata"));
}

static void test_truncation_is_detected(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t0-s0.snap");
    assert_int_equal(truncate(p, 5), 0);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_string_equal(err, "checkpoint chk-000007 is corrupt: t0-s0.snap is truncated (5 of "
                             "12 bytes)");
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 8, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "_metadata");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(truncate(p, st.st_size - 3), 0);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "chk-000008 is corrupt: _metadata: checksum mismatch"));
    assert_int_equal(truncate(p, 4), 0);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "chk-000008 is corrupt: _metadata is truncated (4 bytes)"));
}

static void test_a_grown_file_is_detected(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t1-s0.snap");
    write_raw(p, "x");
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "t1-s0.snap has 1 bytes, expected 0"));
}

static void test_a_deleted_file_is_missing(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t1-s0-i0/sub/CURRENT");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ENOENT);
    assert_string_equal(err, "checkpoint chk-000007 is corrupt: t1-s0-i0/sub/CURRENT is missing");
    path_of(p, sizeof(p), dir, "t1-s0-i0");
    sg__remove_tree(p);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ENOENT);
    assert_non_null(strstr(err, "is missing"));
}

/* Decision (docs/checkpoints.md): an unlisted file is damage. Restore links the
 * whole RocksDB directory, so a stray file would reach the state backend. */
static void test_an_unlisted_file_is_reported(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512];
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 7, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t1-s0-i0/000010.sst");
    write_raw(p, "stray");
    assert_int_equal(verify(dir, err, sizeof(err)), SG_ESERDE);
    assert_string_equal(err, "checkpoint chk-000007 is corrupt: unexpected file "
                             "t1-s0-i0/000010.sst (not listed in _metadata)");
    assert_int_equal(unlink(p), 0);
    path_of(p, sizeof(p), dir, "extra-dir"); /* an empty directory holds no state */
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(verify(dir, err, sizeof(err)), SG_OK);
}

static void test_a_directory_without_metadata_is_incomplete(void **state)
{
    fixture *f = *state;
    char dir[512], err[512];
    sg__ckpt_meta m;
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_SAVEPOINT, 2, err, sizeof(err)), SG_OK);
    sg__ckpt_path(f->root, SG__CKPT_SAVEPOINT, 2, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_write_file(dir, "t0-s0.snap", "x", 1, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_verify(dir, &m, err, sizeof(err)), SG_ENOENT);
    assert_string_equal(err, "savepoint sp-000002 is incomplete: _metadata is missing");
}

/* ==== Finding the latest ================================================ */

static void test_find_latest_falls_back_past_damaged_ones(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[512], *logbuf = NULL;
    size_t loglen = 0;
    uint64_t id = 0;
    sg__ckpt_meta m;
    for (uint64_t i = 1; i <= 4; i++)
        make_ckpt(f->root, SG__CKPT_CHECKPOINT, i, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 5, err, sizeof(err)), SG_OK);
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, 4, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t0-s0.snap");
    flip_bit(p, 0);
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, 3, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t1-s0.snap");
    assert_int_equal(unlink(p), 0);
    FILE *log = open_memstream(&logbuf, &loglen);
    assert_int_equal(sg__ckpt_find_latest(f->root, log, &id, &m, err, sizeof(err)), SG_OK);
    fclose(log);
    assert_int_equal(id, 2); /* chk-5 (incomplete) is ignored without a word */
    assert_int_equal(m.id, 2);
    sg__ckpt_meta_free(&m);
    assert_string_equal(logbuf, "sangam: checkpoint chk-000004 is corrupt: t0-s0.snap: checksum "
                                "mismatch; falling back to chk-000003\n"
                                "sangam: checkpoint chk-000003 is corrupt: t1-s0.snap is "
                                "missing; falling back to chk-000002\n");
    free(logbuf);
}

static void test_find_latest_without_checkpoints_is_notfound(void **state)
{
    fixture *f = *state;
    char dir[600], err[512] = "", *logbuf = NULL;
    size_t loglen = 0;
    uint64_t id = 99;
    sg__ckpt_meta m;
    FILE *log = open_memstream(&logbuf, &loglen);
    assert_int_equal(sg__ckpt_find_latest(f->root, log, &id, &m, err, sizeof(err)), SG_NOTFOUND);
    path_of(dir, sizeof(dir), f->root, "not-yet-created");
    assert_int_equal(sg__ckpt_find_latest(dir, log, &id, &m, err, sizeof(err)), SG_NOTFOUND);
    /* Incomplete ones and savepoints are not restore candidates for "latest". */
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 1, err, sizeof(err)), SG_OK);
    make_ckpt(f->root, SG__CKPT_SAVEPOINT, 2, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_find_latest(f->root, log, &id, &m, err, sizeof(err)), SG_NOTFOUND);
    fclose(log);
    assert_int_equal(loglen, 0);
    assert_int_equal(id, 99);
    free(logbuf);
}

static void test_find_latest_fails_when_none_verifies(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[1024], *logbuf = NULL;
    size_t loglen = 0;
    uint64_t id = 0;
    sg__ckpt_meta m;
    for (uint64_t i = 1; i <= 2; i++) {
        make_ckpt(f->root, SG__CKPT_CHECKPOINT, i, dir, sizeof(dir));
        path_of(p, sizeof(p), dir, "t0-s0.snap");
        assert_int_equal(truncate(p, 1), 0);
    }
    FILE *log = open_memstream(&logbuf, &loglen);
    assert_int_equal(sg__ckpt_find_latest(f->root, log, &id, &m, err, sizeof(err)), SG_ESERDE);
    fclose(log);
    assert_non_null(strstr(err, "no checkpoint in"));
    assert_non_null(strstr(err, "chk-000001 is corrupt: t0-s0.snap is truncated"));
    assert_non_null(strstr(logbuf, "chk-000002 is corrupt"));
    assert_ptr_equal(strchr(logbuf, '\n') + 1, logbuf + loglen); /* one line: chk-2 -> chk-1 */
    free(logbuf);
}

static void test_metadata_of_another_checkpoint_is_refused(void **state)
{
    fixture *f = *state;
    char dir[512], from[600], to[600], err[512];
    uint64_t id;
    sg__ckpt_meta m;
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 1, dir, sizeof(dir));
    path_of(from, sizeof(from), f->root, "chk-000001");
    path_of(to, sizeof(to), f->root, "chk-000002");
    assert_int_equal(rename(from, to), 0); /* a copied directory: _metadata says 1 */
    assert_int_equal(sg__ckpt_find_latest(f->root, NULL, &id, &m, err, sizeof(err)), SG_ESERDE);
    assert_non_null(strstr(err, "_metadata names checkpoint 1"));
}

/* ==== Listing, numbering, retention ===================================== */

static void test_list_and_last_id(void **state)
{
    fixture *f = *state;
    char dir[600], err[512];
    uint64_t *ids;
    size_t n;
    assert_int_equal(sg__ckpt_last_id(f->root), 0);
    path_of(dir, sizeof(dir), f->root, "missing");
    assert_int_equal(sg__ckpt_last_id(dir), 0);
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 2, dir, sizeof(dir));
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 10, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 11, err, sizeof(err)), SG_OK);
    make_ckpt(f->root, SG__CKPT_SAVEPOINT, 1, dir, sizeof(dir));
    path_of(dir, sizeof(dir), f->root, "chk-99"); /* not canonical: not ours */
    assert_int_equal(mkdir(dir, 0755), 0);
    path_of(dir, sizeof(dir), f->root, "chk-000077"); /* a file, not a checkpoint */
    write_raw(dir, "x");
    assert_int_equal(sg__ckpt_last_id(f->root), 11);
    assert_int_equal(sg__ckpt_list(f->root, SG__CKPT_CHECKPOINT, &ids, &n, err, sizeof(err)),
                     SG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 10);
    sg_free(ids);
    assert_int_equal(sg__ckpt_list(f->root, SG__CKPT_SAVEPOINT, &ids, &n, err, sizeof(err)), SG_OK);
    assert_int_equal(n, 1);
    sg_free(ids);
    make_ckpt(f->root, SG__CKPT_SAVEPOINT, 12, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_last_id(f->root), 12); /* never collides with a savepoint */
}

static void test_retain_keeps_the_newest_and_every_savepoint(void **state)
{
    fixture *f = *state;
    char dir[600], err[512];
    for (uint64_t i = 1; i <= 6; i++)
        if (i != 2)
            make_ckpt(f->root, SG__CKPT_CHECKPOINT, i, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 2, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 7, err, sizeof(err)), SG_OK);
    make_ckpt(f->root, SG__CKPT_SAVEPOINT, 1, dir, sizeof(dir));
    path_of(dir, sizeof(dir), f->root, "notes.txt");
    write_raw(dir, "mine");
    assert_int_equal(sg__ckpt_retain(f->root, 2, err, sizeof(err)), SG_OK);
    assert_false(exists(f->root, "chk-000001"));
    assert_false(exists(f->root, "chk-000002")); /* incomplete, older than the newest */
    assert_false(exists(f->root, "chk-000003"));
    assert_false(exists(f->root, "chk-000004"));
    assert_true(exists(f->root, "chk-000005"));
    assert_true(exists(f->root, "chk-000006"));
    assert_true(exists(f->root, "chk-000007")); /* in flight */
    assert_true(exists(f->root, "sp-000001"));
    assert_true(exists(f->root, "notes.txt"));
    assert_int_equal(sg__ckpt_retain(f->root, 0, err, sizeof(err)), SG_OK);
    assert_true(exists(f->root, "chk-000006")); /* the newest complete one always stays */
    assert_false(exists(f->root, "chk-000005"));
    path_of(dir, sizeof(dir), f->root, "none");
    assert_int_equal(sg__ckpt_retain(dir, 3, err, sizeof(err)), SG_OK);
}

/* ==== Link and copy trees =============================================== */

static void test_link_tree_hard_links_identical_content(void **state)
{
    fixture *f = *state;
    char dir[512], dst[600], a[700], b[700], err[1024];
    struct stat sa, sb;
    void *x, *y;
    size_t xl, yl;
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 1, dir, sizeof(dir));
    path_of(dst, sizeof(dst), f->root, "state/t1-s0-i0");
    path_of(a, sizeof(a), dir, "t1-s0-i0");
    assert_int_equal(sg__ckpt_link_tree(a, dst, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_read_file(dst, "sub/CURRENT", &x, &xl, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_read_file(a, "sub/CURRENT", &y, &yl, err, sizeof(err)), SG_OK);
    assert_int_equal(xl, yl);
    assert_memory_equal(x, y, xl);
    sg_free(x);
    sg_free(y);
    path_of(b, sizeof(b), dst, "000009.sst");
    path_of(a, sizeof(a), dir, "t1-s0-i0/000009.sst");
    assert_int_equal(stat(a, &sa), 0);
    assert_int_equal(stat(b, &sb), 0);
    assert_true(sa.st_ino == sb.st_ino);
    assert_int_equal(sa.st_nlink, 2);
    /* The checkpoint still verifies: linking never touched it. */
    assert_int_equal(verify(dir, err, sizeof(err)), SG_OK);
    path_of(a, sizeof(a), dir, "t1-s0-i0");
    assert_int_equal(sg__ckpt_link_tree(a, dst, err, sizeof(err)), SG_EINVAL);
    assert_non_null(strstr(err, "already exists"));
}

static void test_copy_tree_shares_no_inode(void **state)
{
    fixture *f = *state;
    char dir[512], dst[600], a[700], b[700], err[1024];
    struct stat sa, sb;
    make_ckpt(f->root, SG__CKPT_CHECKPOINT, 1, dir, sizeof(dir));
    path_of(dst, sizeof(dst), f->root, "sp-copy");
    assert_int_equal(sg__ckpt_copy_tree(dir, dst, err, sizeof(err)), SG_OK);
    path_of(a, sizeof(a), dir, "t1-s0-i0/000009.sst");
    path_of(b, sizeof(b), dst, "t1-s0-i0/000009.sst");
    assert_int_equal(stat(a, &sa), 0);
    assert_int_equal(stat(b, &sb), 0);
    assert_true(sa.st_ino != sb.st_ino);
    /* A whole copied checkpoint verifies in its new place (_metadata included). */
    assert_int_equal(verify(dst, err, sizeof(err)), SG_OK);
    path_of(a, sizeof(a), f->root, "nothing-here");
    path_of(b, sizeof(b), f->root, "x");
    assert_int_equal(sg__ckpt_link_tree(a, b, err, sizeof(err)), SG_ENOENT);
    assert_false(exists(f->root, "x"));
}

/* ==== A full disk ======================================================= */

/* /dev/full fails every write with ENOSPC: the temporary names the store writes
 * through are pointed at it, so a real ENOSPC reaches the store on any machine. */
static void test_a_full_disk_never_leaves_metadata(void **state)
{
    fixture *f = *state;
    char dir[512], p[600], err[1024];
    uint64_t *ids;
    size_t n;
    sg__ckpt_meta m = {.id = 1, .job = NULL};
    if (access("/dev/full", W_OK) != 0) {
        print_message("skipped: no writable /dev/full\n");
        return;
    }
    assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, 1, err, sizeof(err)), SG_OK);
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, 1, dir, sizeof(dir));
    path_of(p, sizeof(p), dir, "t0-s0.snap.tmp");
    assert_int_equal(symlink("/dev/full", p), 0);
    assert_int_equal(sg__ckpt_write_file(dir, "t0-s0.snap", "abc", 3, err, sizeof(err)), SG_EIO);
    assert_string_equal(err, "checkpoint chk-000001: cannot write t0-s0.snap: No space left on "
                             "device");
    assert_false(exists(dir, "t0-s0.snap"));
    assert_false(exists(dir, "t0-s0.snap.tmp"));
    assert_int_equal(sg__ckpt_write_file(dir, "t0-s0.snap", "abc", 3, err, sizeof(err)), SG_OK);
    path_of(p, sizeof(p), dir, "_metadata.tmp");
    assert_int_equal(symlink("/dev/full", p), 0);
    assert_int_equal(sg__ckpt_complete(dir, &m, err, sizeof(err)), SG_EIO);
    assert_string_equal(err, "checkpoint chk-000001: cannot write _metadata: No space left on "
                             "device");
    sg__ckpt_meta_free(&m);
    assert_false(exists(dir, "_metadata"));
    assert_false(exists(dir, "_metadata.tmp"));
    assert_int_equal(sg__ckpt_list(f->root, SG__CKPT_CHECKPOINT, &ids, &n, err, sizeof(err)),
                     SG_OK);
    assert_int_equal(n, 0);
    sg_free(ids);
}

/* The same on a real full file system, a 64 KiB tmpfs in a private mount namespace,
 * where the machine allows it (root or user namespaces); skipped otherwise. */
static void test_a_full_tmpfs_fails_cleanly(void **state)
{
    fixture *f = *state;
    char mnt[600], dir[700], p[800], err[1024];
    sg__ckpt_meta m = {.id = 1};
    path_of(mnt, sizeof(mnt), f->root, "tiny");
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        print_message("skipped: cannot mount a tmpfs here (%s)\n", strerror(errno));
        return;
    }
    char *big = calloc(1, 256 * 1024);
    assert_int_equal(sg__ckpt_begin(mnt, SG__CKPT_CHECKPOINT, 1, err, sizeof(err)), SG_OK);
    sg__ckpt_path(mnt, SG__CKPT_CHECKPOINT, 1, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_write_file(dir, "small.snap", "abc", 3, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_write_file(dir, "big.snap", big, 256 * 1024, err, sizeof(err)),
                     SG_EIO);
    assert_non_null(strstr(err, "cannot write big.snap: No space left on device"));
    assert_false(exists(dir, "big.snap.tmp"));
    /* Fill what is left, then try to complete. */
    path_of(p, sizeof(p), mnt, "filler");
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    while (write(fd, big, 4096) > 0)
        ;
    close(fd);
    assert_int_equal(sg__ckpt_complete(dir, &m, err, sizeof(err)), SG_EIO);
    assert_non_null(strstr(err, "No space left on device"));
    assert_false(exists(dir, "_metadata"));
    sg__ckpt_meta_free(&m);
    free(big);
    umount(mnt);
}

/* `test_ckpt_store --make-sample ROOT`: complete checkpoints chk-000001..3 and
 * savepoint sp-000001 at fixed times, and an incomplete chk-000004, for
 * tests/integration/test_checkpoints_cmd.sh (which damages some of them itself). */
static int make_sample(const char *root)
{
    char dir[512], err[512];
    for (uint64_t i = 1; i <= 3; i++)
        make_ckpt_at(root, SG__CKPT_CHECKPOINT, i, 1700000000000LL + (int64_t)i * 1001, dir,
                     sizeof(dir));
    make_ckpt_at(root, SG__CKPT_SAVEPOINT, 1, 1700000100000LL, dir, sizeof(dir));
    return sg__ckpt_begin(root, SG__CKPT_CHECKPOINT, 4, err, sizeof(err)) == SG_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-sample") == 0)
        return make_sample(argv[2]);
    sg_set_allocator(cmocka_alloc, NULL);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_complete_then_verify_round_trips_nested_files),
        T(test_begin_removes_a_leftover_of_the_same_id),
        T(test_bit_flip_in_a_nested_data_file_is_a_checksum_mismatch),
        T(test_bit_flips_in_metadata_are_detected),
        T(test_truncation_is_detected),
        T(test_a_grown_file_is_detected),
        T(test_a_deleted_file_is_missing),
        T(test_an_unlisted_file_is_reported),
        T(test_a_directory_without_metadata_is_incomplete),
        T(test_find_latest_falls_back_past_damaged_ones),
        T(test_find_latest_without_checkpoints_is_notfound),
        T(test_find_latest_fails_when_none_verifies),
        T(test_metadata_of_another_checkpoint_is_refused),
        T(test_list_and_last_id),
        T(test_retain_keeps_the_newest_and_every_savepoint),
        T(test_link_tree_hard_links_identical_content),
        T(test_copy_tree_shares_no_inode),
        T(test_a_full_disk_never_leaves_metadata),
        T(test_a_full_tmpfs_fails_cleanly),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
