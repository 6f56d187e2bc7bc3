/* The file: sink's two-phase commit, driven through its sg_sink_def as the runtime
 * drives it: a run writes five batches with a checkpoint after each of the first four
 * (pre_commit, snapshot, and the commit of the previous one, as a commit arrives
 * after the next barrier), then finishes. The test crashes that run after every step
 * (the instance is closed without finish, files left as they are), optionally with a
 * commit cut short (half of the oldest pending file already appended, or all of it
 * but not yet unlinked), restores from every checkpoint taken so far (or starts
 * afresh when there is none), replays the batches after it, and checks that the output
 * file is exactly the uninterrupted run's. Also: without checkpoints the sink writes
 * the file directly, and write errors (a full disk, a file-size limit) fail cleanly
 * with nothing committed. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "engine/builtin.h"
#include "engine/ctx.h"
#include "engine/fsutil.h"
#include "engine/snap.h"

#define N_BATCH 5
#define N_CKPT 4 /* a checkpoint after each of the first four batches */

static long live_blocks;

static void *count_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        live_blocks -= ptr != NULL;
        free(ptr);
        return NULL;
    }
    void *q = realloc(ptr, new_size);
    if (q && !ptr)
        live_blocks++;
    return q;
}

/* Batch 3 is empty: its checkpoint seals nothing. */
static const char *const batches[N_BATCH][3] = {
    {"1,Pune\n", "2,मुंबई\n", "3,Delhi\n"},
    {"4,Chennai\n", NULL, NULL},
    {NULL, NULL, NULL},
    {"5,Kochi\n", "6,Agra\n", NULL},
    {"7,Surat\n", "8,Indore\n", "9,Bhopal\n"},
};
#define HEADER "id,city"

typedef struct fixture {
    char dir[64];
    char path[128], uri[160];
    sg_checkpoint_mode mode;
    sg__counters counters;
    /* Snapshots of the crashed run, by checkpoint index (1..N_CKPT). */
    sg_bytes snaps[N_CKPT + 1];
    uint64_t ids[N_CKPT + 1];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/sg_test_ckpt_sink_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/out.csv", f->dir);
    snprintf(f->uri, sizeof(f->uri), "file:%s", f->path);
    f->mode = SG_CHECKPOINT_EXACTLY_ONCE;
    live_blocks = 0;
    *state = f;
    return 0;
}

static void drop_snaps(fixture *f)
{
    for (int i = 0; i <= N_CKPT; i++) {
        sg_free((void *)(uintptr_t)f->snaps[i].data);
        f->snaps[i].data = NULL;
        f->snaps[i].len = 0;
    }
}

static int teardown(void **state)
{
    fixture *f = *state;
    drop_snaps(f);
    sg__remove_tree(f->dir);
    free(f);
    return live_blocks == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return strdup("<missing>");
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void expected(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s\n", HEADER);
    for (int b = 0; b < N_BATCH; b++)
        for (int i = 0; i < 3 && batches[b][i]; i++)
            strncat(buf, batches[b][i], cap - strlen(buf) - 1);
}

/* Files left next to the output besides itself (staging or pending files). */
static int leftovers(const fixture *f)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, "out.csv.", 8) == 0;
    closedir(d);
    return n;
}

/* ---- Driving the sink --------------------------------------------------------- */

static sg_ctx *sink_new(fixture *f, sg_checkpoint_mode mode, const sg_bytes *snap, int *rc)
{
    sg_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    sg__inst_init(c);
    c->kind = SG__INST_SINK;
    c->name = "out";
    c->sink = &sg__file_sink;
    c->uri = f->uri;
    c->ckpt_mode = mode;
    c->counters = &f->counters;
    c->has_enc = true; /* for sg_sink_header; lines are written as they are */
    c->enc = (sg_encoder){.abi = SG_ENCODER_ABI_1, .header = HEADER};
    *rc = sg__inst_open(c, snap);
    return c;
}

static sg_ctx *sink_open(fixture *f, const sg_bytes *snap)
{
    int rc;
    sg_ctx *c = sink_new(f, f->mode, snap, &rc);
    if (rc < 0)
        fail_msg("open: %s", c->errmsg);
    return c;
}

/* Closes without finish: what a crash leaves (no further commit). */
static void sink_free(sg_ctx *c)
{
    sg__inst_close(c);
    free(c);
}

static void must(sg_ctx *c, int rc)
{
    if (rc < 0)
        fail_msg("%s", c->errmsg);
}

static void write_batch(sg_ctx *c, int b)
{
    for (int i = 0; i < 3 && batches[b][i]; i++) {
        sg_record rec = {.ts = 0, .value = {batches[b][i], strlen(batches[b][i])}};
        must(c, c->sink->write(c, c->self, &rec));
    }
}

/* The instance snapshot as the engine stores it: timers, then the sink's own part. */
static sg_bytes take_snapshot(sg_ctx *c)
{
    sg_snap_writer own, whole;
    sg__snap_writer_init(&own);
    sg__snap_writer_init(&whole);
    must(c, c->sink->snapshot(c, c->self, &own));
    sg_bytes b = sg__snap_writer_bytes(&own);
    assert_int_equal(sg__timers_snapshot(&c->timers, &whole), SG_OK);
    assert_int_equal(sg__timers_snapshot(&c->proc_timers, &whole), SG_OK);
    assert_int_equal(sg_snap_put_bytes(&whole, b.data, b.len), SG_OK);
    sg_bytes all = sg__snap_writer_bytes(&whole);
    char *copy = sg_malloc(all.len);
    assert_non_null(copy);
    memcpy(copy, all.data, all.len);
    sg__snap_writer_free(&own);
    sg__snap_writer_free(&whole);
    return (sg_bytes){copy, all.len};
}

/* Runs batches from..N_BATCH-1 with checkpoints from..N_CKPT-1 (ids id0 + index),
 * stopping before step 'crash' (steps count from 0; -1: never) and keeping each
 * checkpoint's snapshot in f->snaps[index + 1]. Returns true if it crashed. */
static bool run(fixture *f, sg_ctx *c, int from, uint64_t id0, int crash)
{
    int step = 0;
#define STEP()                                                                                     \
    if (step++ == crash)                                                                           \
    return true
    for (int b = from; b < N_BATCH; b++) {
        STEP();
        write_batch(c, b);
        if (b >= N_CKPT)
            continue;
        uint64_t id = id0 + (uint64_t)b;
        STEP();
        must(c, c->sink->pre_commit(c, c->self, id));
        sg_free((void *)(uintptr_t)f->snaps[b + 1].data);
        f->snaps[b + 1] = take_snapshot(c);
        f->ids[b + 1] = id;
        if (b > from) { /* the previous checkpoint completes after this barrier */
            STEP();
            must(c, c->sink->commit(c, c->self, id - 1));
        }
    }
    STEP();
    must(c, c->sink->finish(c, c->self));
    return false;
#undef STEP
}

/* The oldest pending file left by a crash, if any. */
static bool oldest_pending(const fixture *f, char *name, size_t cap)
{
    uint64_t best = UINT64_MAX;
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "out.csv.pending-", 16) == 0) {
            uint64_t id = strtoull(e->d_name + 16, NULL, 10);
            if (id < best)
                best = id;
        }
    }
    closedir(d);
    if (best == UINT64_MAX)
        return false;
    snprintf(name, cap, "%s/out.csv.pending-%llu", f->dir, (unsigned long long)best);
    return true;
}

/* A commit cut short: part (0: none, 1: half, 2: all) of the oldest pending file is
 * already appended to the output. Only meaningful while every older one is committed,
 * which holds for the oldest file left. */
static void interrupt_commit(fixture *f, int part)
{
    char name[200];
    if (part == 0 || !oldest_pending(f, name, sizeof(name)))
        return;
    char *data = slurp(name);
    size_t len = strlen(data);
    FILE *out = fopen(f->path, "ab");
    assert_non_null(out);
    fwrite(data, 1, part == 1 ? len / 2 : len, out);
    fclose(out);
    free(data);
}

/* Crash at 'crash', interrupt a commit, restore from checkpoint 'from' (0: a fresh
 * start) and run to the end; the output must be the uninterrupted one. */
static void crash_and_restore(fixture *f, int crash, int part, int from)
{
    char want[4096];
    expected(want, sizeof(want));
    drop_snaps(f);
    sg_ctx *c = sink_open(f, NULL);
    bool crashed = run(f, c, 0, 1, crash);
    sink_free(c);
    if (!crashed)
        return;
    if (from > 0 && !f->snaps[from].data)
        return; /* checkpoint not taken before the crash */
    interrupt_commit(f, part);
    c = sink_open(f, from ? &f->snaps[from] : NULL);
    if (run(f, c, from, 10 + (uint64_t)from, -1))
        fail_msg("no crash was asked for");
    sink_free(c);
    char *got = slurp(f->path);
    if (strcmp(got, want) != 0)
        fail_msg("crash before step %d, commit part %d, restore from %d:\n--- got\n%s--- want\n%s",
                 crash, part, from, got, want);
    free(got);
    assert_int_equal(leftovers(f), 0);
}

/* ---- Tests ------------------------------------------------------------------------ */

static void test_uninterrupted_run_writes_everything_once(void **state)
{
    fixture *f = *state;
    char want[4096];
    expected(want, sizeof(want));
    sg_ctx *c = sink_open(f, NULL);
    assert_false(run(f, c, 0, 1, -1));
    sink_free(c);
    char *got = slurp(f->path);
    assert_string_equal(got, want);
    free(got);
    assert_int_equal(leftovers(f), 0);
}

static void test_output_is_visible_only_after_commit(void **state)
{
    fixture *f = *state;
    sg_ctx *c = sink_open(f, NULL);
    char *got = slurp(f->path);
    assert_string_equal(got, HEADER "\n"); /* the header is committed at once */
    free(got);
    write_batch(c, 0);
    must(c, c->sink->pre_commit(c, c->self, 1));
    got = slurp(f->path);
    assert_string_equal(got, HEADER "\n"); /* staged for 1, not visible */
    free(got);
    write_batch(c, 1);
    must(c, c->sink->pre_commit(c, c->self, 2));
    must(c, c->sink->commit(c, c->self, 1));
    got = slurp(f->path);
    assert_string_equal(got, HEADER "\n1,Pune\n2,मुंबई\n3,Delhi\n");
    free(got);
    must(c, c->sink->commit(c, c->self, 1)); /* a repeated commit changes nothing */
    must(c, c->sink->commit(c, c->self, 2));
    got = slurp(f->path);
    assert_string_equal(got, HEADER "\n1,Pune\n2,मुंबई\n3,Delhi\n4,Chennai\n");
    free(got);
    assert_int_equal(leftovers(f), 1); /* the (empty) staging file */
    sink_free(c);
}

static void test_every_crash_point_restores_exact_output(void **state)
{
    fixture *f = *state;
    /* Steps: 5 writes, 4 pre-commits, 3 commits, finish. */
    for (int crash = 0; crash < 13; crash++)
        for (int from = 0; from <= N_CKPT; from++)
            for (int part = 0; part < 3; part++)
                crash_and_restore(f, crash, part, from);
}

static void test_at_least_once_mode_stages_the_same_way(void **state)
{
    fixture *f = *state;
    f->mode = SG_CHECKPOINT_AT_LEAST_ONCE;
    for (int crash = 0; crash < 13; crash += 3)
        crash_and_restore(f, crash, 1, crash / 3 > N_CKPT ? N_CKPT : crash / 3);
}

/* A restore discards output committed after its checkpoint (an older checkpoint named
 * explicitly, or one whose successor did not verify). */
static void test_restore_from_an_older_checkpoint_cuts_later_output(void **state)
{
    fixture *f = *state;
    sg_ctx *c = sink_open(f, NULL);
    assert_true(run(f, c, 0, 1, 9)); /* commits 1 and 2 done, 3 pre-committed */
    sink_free(c);
    char *got = slurp(f->path);
    assert_string_equal(got, HEADER "\n1,Pune\n2,मुंबई\n3,Delhi\n4,Chennai\n");
    free(got);
    c = sink_open(f, &f->snaps[1]);
    got = slurp(f->path);
    assert_string_equal(got, HEADER "\n1,Pune\n2,मुंबई\n3,Delhi\n");
    free(got);
    assert_int_equal(leftovers(f), 1); /* the new staging file only */
    sink_free(c);
}

static void test_without_checkpoints_writes_the_file_directly(void **state)
{
    fixture *f = *state;
    char want[4096];
    expected(want, sizeof(want));
    sg_ctx *c = sink_new(f, SG_CHECKPOINT_NONE, NULL, &(int){0});
    for (int b = 0; b < N_BATCH; b++)
        write_batch(c, b);
    must(c, c->sink->finish(c, c->self));
    sink_free(c);
    char *got = slurp(f->path);
    assert_string_equal(got, want);
    free(got);
    assert_int_equal(leftovers(f), 0);
}

static void test_full_disk_fails_the_direct_sink_at_finish(void **state)
{
    fixture *f = *state;
    snprintf(f->uri, sizeof(f->uri), "file:/dev/full");
    int rc;
    sg_ctx *c = sink_new(f, SG_CHECKPOINT_NONE, NULL, &rc);
    assert_int_equal(rc, SG_OK);
    write_batch(c, 0);
    assert_int_equal(c->sink->finish(c, c->self), SG_EIO);
    assert_string_equal(c->errmsg, "cannot write output /dev/full: No space left on device");
    sink_free(c);
}

static void test_full_disk_fails_the_staged_sink_at_open(void **state)
{
    fixture *f = *state;
    snprintf(f->uri, sizeof(f->uri), "file:/dev/full");
    int rc;
    sg_ctx *c = sink_new(f, SG_CHECKPOINT_EXACTLY_ONCE, NULL, &rc);
    assert_int_equal(rc, SG_EIO);
    assert_string_equal(c->errmsg, "cannot write output /dev/full: No space left on device");
    sink_free(c);
}

/* A write error while sealing (here the file-size limit, as a full disk would) fails
 * the pre-commit: nothing is sealed and nothing reaches the output. */
static void test_write_error_at_pre_commit_commits_nothing(void **state)
{
    fixture *f = *state;
    struct rlimit old, small = {.rlim_cur = 4096};
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    sg_ctx *c = sink_open(f, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    char line[100];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    sg_record rec = {.value = {line, sizeof(line)}};
    for (int i = 0; i < 100; i++) /* 10 kB, buffered */
        must(c, c->sink->write(c, c->self, &rec));
    int rc = c->sink->pre_commit(c, c->self, 1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, SG_EIO);
    char want[256];
    snprintf(want, sizeof(want), "cannot write output %s.staging: File too large", f->path);
    assert_string_equal(c->errmsg, want);
    sink_free(c);
    char *got = slurp(f->path);
    assert_string_equal(got, HEADER "\n");
    free(got);
    char pend[200];
    assert_false(oldest_pending(f, pend, sizeof(pend)));
}

static void test_restore_fails_clearly_when_the_output_was_cut(void **state)
{
    fixture *f = *state;
    sg_ctx *c = sink_open(f, NULL);
    assert_true(run(f, c, 0, 1, 6)); /* checkpoint 2 taken, 1 committed */
    sink_free(c);
    assert_int_equal(truncate(f->path, 3), 0);
    int rc;
    c = sink_new(f, SG_CHECKPOINT_EXACTLY_ONCE, &f->snaps[1], &rc);
    assert_int_equal(rc, SG_EIO);
    /* Checkpoint 1's file was committed, yet the output lacks its bytes. */
    char want[300];
    snprintf(want, sizeof(want), "cannot commit output %s: %s.pending-1 is gone but", f->path,
             f->path);
    assert_memory_equal(c->errmsg, want, strlen(want));
    sink_free(c);
}

int main(void)
{
    sg_set_allocator(count_alloc, NULL);
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_uninterrupted_run_writes_everything_once),
        T(test_output_is_visible_only_after_commit),
        T(test_every_crash_point_restores_exact_output),
        T(test_at_least_once_mode_stages_the_same_way),
        T(test_restore_from_an_older_checkpoint_cuts_later_output),
        T(test_without_checkpoints_writes_the_file_directly),
        T(test_full_disk_fails_the_direct_sink_at_finish),
        T(test_full_disk_fails_the_staged_sink_at_open),
        T(test_write_error_at_pre_commit_commits_nothing),
        T(test_restore_fails_clearly_when_the_output_was_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
