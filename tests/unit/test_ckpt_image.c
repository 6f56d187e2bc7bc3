/* Unit tests of cheap checkpoints: the state cache image (state.h: sg__kv_image and
 * sg__kv_load_image) and the checkpoint helper thread (engine/ckpt_async.h).
 * The image tests allocate through cmocka's allocator, so a leak fails the test that
 * made it. The helper tests use the C library's (setup_plain): the helper thread
 * allocates concurrently with the test's thread, and cmocka's block list is not
 * thread-safe; ASan's leak check covers them. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "engine/ckpt_async.h"
#include "engine/ckpt_store.h"
#include "engine/state.h"

typedef struct fixture {
    char root[64];
    char dir[96];
} fixture;

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
    snprintf(f->root, sizeof(f->root), "/tmp/sg_test_ckimg_XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
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

/* For the tests that run the helper thread: the C library's allocator (see the top). */
static int setup_plain(void **state)
{
    sg_set_allocator(NULL, NULL);
    return setup(state);
}

static int teardown_plain(void **state)
{
    int rc = teardown(state);
    sg_set_allocator(test_alloc, NULL);
    return rc;
}

static sg__kv *open_kv(fixture *f, const char *name, sg__kv_backend backend, size_t entries)
{
    snprintf(f->dir, sizeof(f->dir), "%s/%s", f->root, name);
    sg__kv_config cfg = {backend, f->dir, entries};
    char err[256] = "";
    sg__kv *kv = NULL;
    if (sg__kv_open(&cfg, &kv, err, sizeof(err)) != SG_OK)
        fail_msg("sg__kv_open: %s", err);
    return kv;
}

static uint32_t declare(sg__kv *kv, const char *name)
{
    uint32_t id = UINT32_MAX;
    assert_int_equal(sg__kv_declare(kv, name, &id), SG_OK);
    return id;
}

static void check(sg__kv *kv, uint32_t id, uint16_t kg, const char *key, int64_t ns,
                  const char *val)
{
    sg_bytes out = {NULL, 0};
    int rc = sg__kv_get(kv, id, kg, sg_bytes_str(key), ns, &out);
    if (!val) {
        assert_int_equal(rc, SG_NOTFOUND);
        return;
    }
    if (rc != SG_OK)
        fail_msg("get %s/%lld: %s", key, (long long)ns, sg_err_name(rc));
    assert_int_equal(out.len, strlen(val));
    assert_memory_equal(out.data, val, out.len);
}

/* Everything live is in the image, deleted entries are not, and a fresh kv loaded
 * from it (any backend, states declared in another order) reads the same. */
static void test_image_round_trip(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, "a", SG__KV_ROCKSDB, 0);
    uint32_t counts = declare(kv, "counts"), lists = declare(kv, "lists");
    char key[32], val[64];
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "value-%d-%0*d", i, i % 60, 0); /* inline and pooled */
        assert_int_equal(sg__kv_put(kv, counts, (uint16_t)(i % 128), sg_bytes_str(key), i - 250,
                                    sg_bytes_str(val)),
                         SG_OK);
    }
    assert_int_equal(sg__kv_put(kv, lists, 7, sg_bytes_str(""), -3, sg_bytes_str("empty key")),
                     SG_OK);
    /* Flushed then deleted: a tomb in the cache, present in the backend. */
    assert_int_equal(sg__kv_flush(kv), SG_OK);
    assert_int_equal(sg__kv_del(kv, counts, 1, sg_bytes_str("k1"), -249), SG_OK);
    assert_int_equal(sg__kv_del(kv, counts, 2, sg_bytes_str("k2"), -248), SG_OK);
    assert_false(sg__kv_spilled(kv));
    void *img = NULL;
    size_t len = 0;
    assert_int_equal(sg__kv_image(kv, &img, &len), SG_OK);
    /* The image is a copy: changing the kv afterwards does not change it. */
    assert_int_equal(sg__kv_put(kv, counts, 3, sg_bytes_str("k3"), -247, sg_bytes_str("later")),
                     SG_OK);
    sg__kv_close(kv);

    sg__kv *back = open_kv(f, "b", SG__KV_HEAP, 0);
    uint32_t lists2 = declare(back, "lists"); /* another order than the image's */
    assert_int_equal(sg__kv_load_image(back, img, len), SG_OK);
    uint32_t counts2 = declare(back, "counts");
    assert_int_not_equal(counts2, counts);
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "value-%d-%0*d", i, i % 60, 0);
        check(back, counts2, (uint16_t)(i % 128), key, i - 250, i == 1 || i == 2 ? NULL : val);
    }
    check(back, lists2, 7, "", -3, "empty key");
    uint64_t n = 0;
    assert_int_equal(sg__kv_count(back, counts2, &n), SG_OK);
    assert_int_equal(n, 498);
    sg__kv_close(back);
    sg_free(img);
}

/* A kv whose state spilled has no image: the backend holds what the cache does not. */
static void test_spilled_state_has_no_image(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, "a", SG__KV_ROCKSDB, 64);
    uint32_t id = declare(kv, "s");
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(sg__kv_put(kv, id, 0, sg_bytes_str(key), 0, sg_bytes_str("v")), SG_OK);
    }
    assert_true(sg__kv_spilled(kv));
    void *img = (void *)1;
    size_t len = 1;
    assert_int_equal(sg__kv_image(kv, &img, &len), SG_EINVAL);
    assert_null(img);
    assert_true(strstr(sg__kv_errmsg(kv), "spilled") != NULL);
    sg__kv_close(kv);
}

/* Every cut of an image, and a flipped magic, is refused as malformed. */
static void test_malformed_images_are_refused(void **state)
{
    fixture *f = *state;
    sg__kv *kv = open_kv(f, "a", SG__KV_HEAP, 0);
    uint32_t id = declare(kv, "s");
    assert_int_equal(sg__kv_put(kv, id, 5, sg_bytes_str("key"), 9, sg_bytes_str("value")), SG_OK);
    void *img;
    size_t len;
    assert_int_equal(sg__kv_image(kv, &img, &len), SG_OK);
    sg__kv_close(kv);
    for (size_t cut = 0; cut < len; cut++) {
        sg__kv *fresh = open_kv(f, "b", SG__KV_HEAP, 0);
        assert_int_equal(sg__kv_load_image(fresh, img, cut), SG_ESERDE);
        sg__kv_close(fresh);
    }
    ((char *)img)[0] ^= 1;
    sg__kv *fresh = open_kv(f, "b", SG__KV_HEAP, 0);
    assert_int_equal(sg__kv_load_image(fresh, img, len), SG_ESERDE);
    assert_true(strstr(sg__kv_errmsg(fresh), "magic") != NULL);
    sg__kv_close(fresh);
    sg_free(img);
}

/* A state name of any length sg__kv_declare accepts is in the image and loads again
 * (loading once refused names of 1024 bytes and more: checkpoints that verified but
 * could not be restored). An image whose name holds a NUL is malformed. */
static void test_long_state_names_round_trip(void **state)
{
    fixture *f = *state;
    size_t lens[] = {1023, 1024, 5000};
    char *names[3];
    sg__kv *kv = open_kv(f, "a", SG__KV_ROCKSDB, 0);
    for (int i = 0; i < 3; i++) {
        names[i] = test_malloc(lens[i] + 1);
        memset(names[i], 'a' + i, lens[i]);
        names[i][lens[i]] = '\0';
        uint32_t id = declare(kv, names[i]);
        assert_int_equal(
            sg__kv_put(kv, id, (uint16_t)i, sg_bytes_str("key"), i, sg_bytes_str(names[i] + 1000)),
            SG_OK);
    }
    void *img;
    size_t len;
    assert_int_equal(sg__kv_image(kv, &img, &len), SG_OK);
    sg__kv_close(kv);
    sg__kv *back = open_kv(f, "b", SG__KV_ROCKSDB, 0);
    if (sg__kv_load_image(back, img, len) != SG_OK)
        fail_msg("load: %s", sg__kv_errmsg(back));
    for (int i = 0; i < 3; i++)
        check(back, declare(back, names[i]), (uint16_t)i, "key", i, names[i] + 1000);
    assert_int_equal(sg__kv_n_states(back), 3);
    sg__kv_close(back);
    /* The first name's first byte (after magic, n_states and its length) becomes NUL. */
    ((char *)img)[8 + 4 + 4] = '\0';
    back = open_kv(f, "c", SG__KV_HEAP, 0);
    assert_int_equal(sg__kv_load_image(back, img, len), SG_ESERDE);
    assert_true(strstr(sg__kv_errmsg(back), "bad state name") != NULL);
    sg__kv_close(back);
    for (int i = 0; i < 3; i++)
        test_free(names[i]);
    sg_free(img);
}

static void *dup_str(const char *s)
{
    void *p = sg_malloc(strlen(s));
    memcpy(p, s, strlen(s));
    return p;
}

/* The helper writes each job's files durably, acknowledges in order, hands the hashes
 * over by checkpoint id, and they are what _metadata would have computed. */
static void test_helper_writes_hashes_and_acknowledges(void **state)
{
    fixture *f = *state;
    char dir[128], err[512];
    sg__ckpt_async *a = NULL;
    _Atomic uint64_t acked = 0;
    assert_int_equal(sg__ckpt_async_new(&a), SG_OK);
    for (uint64_t id = 1; id <= 3; id++) {
        sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
        assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, id, err, sizeof(err)), SG_OK);
        sg__ckpt_job *j = sg__ckpt_job_new(id, dir, &acked, "test");
        assert_non_null(j);
        assert_int_equal(sg__ckpt_job_add_file(j, "t0-s0.snap", dup_str("snapshot"), 8), SG_OK);
        assert_int_equal(sg__ckpt_job_add_file(j, "t0-s0-i0.kv", dup_str("state"), 5), SG_OK);
        assert_int_equal(sg__ckpt_async_submit(a, j, err, sizeof(err)), SG_OK);
    }
    while (atomic_load(&acked) < 3)
        usleep(1000);
    assert_int_equal(sg__ckpt_async_error(a, err, sizeof(err)), SG_OK);
    /* Checkpoint 2's hashes are taken; 1's are dropped (as if aborted). */
    sg__ckpt_file *known;
    size_t n;
    assert_int_equal(sg__ckpt_async_take(a, 2, &known, &n), SG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(known[0].path, "t0-s0-i0.kv"); /* sorted by path */
    sg__ckpt_meta m = {.id = 2, .job = sg_strdup("j"), .fingerprint = sg_strdup("f")};
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, 2, dir, sizeof(dir));
    assert_int_equal(sg__ckpt_complete_known(dir, &m, known, n, err, sizeof(err)), SG_OK);
    sg__ckpt_meta_free(&m);
    assert_int_equal(sg__ckpt_verify(dir, &m, err, sizeof(err)), SG_OK);
    assert_int_equal(m.n_files, 2);
    assert_int_equal(m.files[1].hash, known[1].hash);
    sg__ckpt_meta_free(&m);
    for (size_t i = 0; i < n; i++)
        sg_free(known[i].path);
    sg_free(known);
    assert_int_equal(sg__ckpt_async_take(a, 3, &known, &n), SG_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        sg_free(known[i].path);
    sg_free(known);
    sg__ckpt_async_free(a);
}

/* A write that fails (here: the checkpoint directory is gone) is kept as one line,
 * and the job is not acknowledged. */
static void test_helper_failure_is_reported_not_acknowledged(void **state)
{
    fixture *f = *state;
    char dir[128], err[512] = "";
    sg__ckpt_async *a = NULL;
    _Atomic uint64_t acked = 0;
    assert_int_equal(sg__ckpt_async_new(&a), SG_OK);
    snprintf(dir, sizeof(dir), "%s/missing/chk-000001", f->root);
    sg__ckpt_job *j = sg__ckpt_job_new(1, dir, &acked, "count");
    assert_int_equal(sg__ckpt_job_add_file(j, "t0-s0.snap", dup_str("x"), 1), SG_OK);
    assert_int_equal(sg__ckpt_async_submit(a, j, err, sizeof(err)), SG_OK);
    while (sg__ckpt_async_error(a, err, sizeof(err)) == SG_OK)
        usleep(1000);
    assert_int_equal(sg__ckpt_async_error(a, err, sizeof(err)), SG_EIO);
    assert_true(strstr(err, "count: checkpoint 1: ") == err);
    assert_true(strstr(err, "cannot write t0-s0.snap") != NULL);
    assert_int_equal(atomic_load(&acked), 0);
    sg__ckpt_async_free(a);
}

static sg__ckpt_job *snap_job(fixture *f, uint64_t id, _Atomic uint64_t *acked)
{
    char dir[128], err[512];
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) != 0)
        assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, id, err, sizeof(err)), SG_OK);
    sg__ckpt_job *j = sg__ckpt_job_new(id, dir, acked, "test");
    assert_non_null(j);
    assert_int_equal(sg__ckpt_job_add_file(j, "t0-s0.snap", dup_str("snapshot"), 8), SG_OK);
    return j;
}

static bool has_snap(fixture *f, uint64_t id)
{
    char path[160];
    sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, id, path, sizeof(path));
    strcat(path, "/t0-s0.snap");
    return access(path, F_OK) == 0;
}

/* An aborted checkpoint's jobs are dropped (ckpt_async.h rule 6): queued ones, the one
 * about to run (the helper is slowed down by the test hook, so they are still queued
 * when the abort comes), and one submitted after the abort. None acknowledges, no
 * hash of it is handed over, and the next checkpoint's job runs as usual. */
static void test_helper_drops_aborted_jobs(void **state)
{
    fixture *f = *state;
    char err[512];
    sg__ckpt_async *a = NULL;
    _Atomic uint64_t acked[3] = {0, 0, 0};
    setenv("SANGAM_TEST_CKPT_WRITE_DELAY_MS", "50", 1);
    int rc = sg__ckpt_async_new(&a);
    unsetenv("SANGAM_TEST_CKPT_WRITE_DELAY_MS");
    assert_int_equal(rc, SG_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sg__ckpt_async_submit(a, snap_job(f, 4, &acked[i]), err, sizeof(err)),
                         SG_OK);
    assert_true(sg__ckpt_async_pending(a) >= 1);
    sg__ckpt_async_abort(a, 4);
    assert_int_equal(sg__ckpt_async_submit(a, snap_job(f, 4, &acked[0]), err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_async_drain(a, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_async_pending(a), 0);
    sg__ckpt_async_counters k;
    sg__ckpt_async_counters_get(a, &k);
    /* Each job waits 50 ms before it runs, so only a test thread stalled that long
     * between submitting and aborting lets one through; those are accounted as
     * written, every other one is dropped, and nothing acknowledged 4 after the abort. */
    assert_int_equal(k.jobs_done + k.jobs_dropped, 4);
    assert_true(k.jobs_dropped >= 1); /* at least the one submitted after the abort */
    assert_int_equal(k.max_pending <= 3, true);
    uint64_t n_acked = 0;
    for (int i = 0; i < 3; i++)
        n_acked += atomic_load(&acked[i]) == 4;
    assert_int_equal(n_acked, k.jobs_done);
    if (k.jobs_done == 0)
        assert_false(has_snap(f, 4));
    sg__ckpt_file *known;
    size_t n;
    assert_int_equal(sg__ckpt_async_take(a, 4, &known, &n), SG_OK);
    assert_int_equal(n, 0);
    sg_free(known);
    /* The next checkpoint is written, acknowledged and hashed as usual. */
    assert_int_equal(sg__ckpt_async_submit(a, snap_job(f, 5, &acked[1]), err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_async_drain(a, err, sizeof(err)), SG_OK);
    assert_int_equal(atomic_load(&acked[1]), 5);
    assert_true(has_snap(f, 5));
    assert_int_equal(sg__ckpt_async_take(a, 5, &known, &n), SG_OK);
    assert_int_equal(n, 1);
    sg_free(known[0].path);
    sg_free(known);
    sg__ckpt_async_free(a);
}

/* drain returns only once every submitted job has run, with the first failure: the end
 * of a run reports a failure that no coordinator tick saw. */
static void test_helper_drain_reports_late_failure(void **state)
{
    fixture *f = *state;
    char dir[128], err[512] = "";
    sg__ckpt_async *a = NULL;
    _Atomic uint64_t acked = 0;
    setenv("SANGAM_TEST_CKPT_WRITE_DELAY_MS", "20", 1);
    int rc = sg__ckpt_async_new(&a);
    unsetenv("SANGAM_TEST_CKPT_WRITE_DELAY_MS");
    assert_int_equal(rc, SG_OK);
    assert_int_equal(sg__ckpt_async_submit(a, snap_job(f, 1, &acked), err, sizeof(err)), SG_OK);
    snprintf(dir, sizeof(dir), "%s/missing/chk-000002", f->root);
    sg__ckpt_job *j = sg__ckpt_job_new(2, dir, &acked, "count");
    assert_int_equal(sg__ckpt_job_add_file(j, "t0-s0.snap", dup_str("x"), 1), SG_OK);
    assert_int_equal(sg__ckpt_async_submit(a, j, err, sizeof(err)), SG_OK);
    assert_int_equal(sg__ckpt_async_drain(a, err, sizeof(err)), SG_EIO);
    assert_true(strstr(err, "count: checkpoint 2: ") == err);
    assert_int_equal(atomic_load(&acked), 1);
    sg__ckpt_async_free(a);
}

/* A RocksDB checkpoint's hard-linked files are hashed once (ckpt_async.h rule 5), looked
 * up by device and inode among many. Proof that the second checkpoint did not read them:
 * one file's content is changed in place with its size and mtime kept, and the hash
 * handed over is still the first one. */
static void test_helper_hashes_hard_links_once(void **state)
{
    fixture *f = *state;
    char src[128], path[256], dir[128], err[512];
    enum { N_FILES = 300 };
    snprintf(src, sizeof(src), "%s/db", f->root);
    assert_int_equal(mkdir(src, 0755), 0);
    for (int i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof(path), "%s/%06d.sst", src, i);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "sst file %d", i);
        fclose(fp);
    }
    sg__ckpt_async *a = NULL;
    _Atomic uint64_t acked = 0;
    assert_int_equal(sg__ckpt_async_new(&a), SG_OK);
    sg__ckpt_file *known[2];
    size_t n[2];
    for (uint64_t id = 1; id <= 2; id++) {
        assert_int_equal(sg__ckpt_begin(f->root, SG__CKPT_CHECKPOINT, id, err, sizeof(err)), SG_OK);
        sg__ckpt_path(f->root, SG__CKPT_CHECKPOINT, id, dir, sizeof(dir));
        char linkdir[160], to[300];
        snprintf(linkdir, sizeof(linkdir), "%s/t0-s0-i0", dir);
        assert_int_equal(mkdir(linkdir, 0755), 0);
        for (int i = 0; i < N_FILES; i++) {
            snprintf(path, sizeof(path), "%s/%06d.sst", src, i);
            snprintf(to, sizeof(to), "%s/%06d.sst", linkdir, i);
            assert_int_equal(link(path, to), 0);
        }
        sg__ckpt_job *j = sg__ckpt_job_new(id, dir, &acked, "test");
        assert_int_equal(sg__ckpt_job_add_dir(j, "t0-s0-i0"), SG_OK);
        assert_int_equal(sg__ckpt_async_submit(a, j, err, sizeof(err)), SG_OK);
        assert_int_equal(sg__ckpt_async_drain(a, err, sizeof(err)), SG_OK);
        assert_int_equal(sg__ckpt_async_take(a, id, &known[id - 1], &n[id - 1]), SG_OK);
        assert_int_equal(n[id - 1], N_FILES);
        if (id == 1) { /* same size, same mtime, other bytes: only a re-read would see it */
            struct stat st;
            snprintf(path, sizeof(path), "%s/%06d.sst", src, 7);
            assert_int_equal(stat(path, &st), 0);
            int fd = open(path, O_WRONLY);
            assert_true(fd >= 0);
            assert_int_equal(pwrite(fd, "X", 1, 0), 1);
            close(fd);
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
        }
    }
    for (int i = 0; i < N_FILES; i++) {
        assert_string_equal(known[0][i].path, known[1][i].path);
        assert_int_equal(known[0][i].hash, known[1][i].hash);
    }
    uint64_t size, hash;
    snprintf(path, sizeof(path), "%s/%06d.sst", src, 7);
    assert_int_equal(sg__ckpt_hash_file(path, false, &size, &hash), 0);
    assert_true(hash != known[1][7].hash); /* the file did change: the hash is remembered */
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < n[k]; i++)
            sg_free(known[k][i].path);
        sg_free(known[k]);
    }
    sg__ckpt_async_free(a);
}

int main(void)
{
    sg_set_allocator(test_alloc, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_image_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spilled_state_has_no_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_images_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_state_names_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_helper_writes_hashes_and_acknowledges, setup_plain,
                                        teardown_plain),
        cmocka_unit_test_setup_teardown(test_helper_failure_is_reported_not_acknowledged,
                                        setup_plain, teardown_plain),
        cmocka_unit_test_setup_teardown(test_helper_drops_aborted_jobs, setup_plain,
                                        teardown_plain),
        cmocka_unit_test_setup_teardown(test_helper_drain_reports_late_failure, setup_plain,
                                        teardown_plain),
        cmocka_unit_test_setup_teardown(test_helper_hashes_hard_links_once, setup_plain,
                                        teardown_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
