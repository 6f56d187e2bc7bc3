/* The file: source's checkpoints: a run stopped after any number of lines, snapshotted
 * and continued by a fresh instance opened from the snapshot delivers exactly what an
 * uninterrupted run delivers, with the same line numbers, for JSON Lines and CSV
 * (blank lines, bad lines, a byte order mark, CRLF, a last line without newline), and
 * rejects the same lines at the same FILE:LINE. The allocator counts blocks, so every
 * test also fails on a leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/builtin.h"
#include "engine/fsutil.h"
#include "tests/harness/source_run.h"

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

typedef struct fixture {
    char dir[64];
    char input[128], uri[160], dead[160];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/sg_test_ckpt_src_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->dead, sizeof(f->dead), "%s/dead.txt", f->dir);
    live_blocks = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg__remove_tree(f->dir);
    free(f);
    return live_blocks == 0 ? 0 : -1;
}

static void write_input(fixture *f, const char *name, const char *text)
{
    snprintf(f->input, sizeof(f->input), "%s/%s", f->dir, name);
    snprintf(f->uri, sizeof(f->uri), "file:%s", f->input);
    FILE *fp = fopen(f->input, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

/* The whole file of path, NUL-terminated; free() it. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 1 << 22);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 22) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static sg__reject_log *new_log(fixture *f)
{
    sg__reject_log *log;
    char err[256];
    assert_int_equal(sg__reject_log_new(f->dead, 0, false, &log, err, sizeof(err)), SG_OK);
    return log;
}

static void free_log(sg__reject_log *log)
{
    char err[256];
    assert_int_equal(sg__reject_log_free(log, err, sizeof(err)), SG_OK);
}

static sg__srun *open_run(fixture *f, const sg_bytes *snap, sg__reject_log *log)
{
    sg__srun *r;
    int rc =
        sg__srun_new(&sg__file_source, f->uri, 0, 1, SG_CHECKPOINT_EXACTLY_ONCE, snap, log, &r);
    if (rc < 0)
        fail_msg("open: %s", sg__srun_errmsg(r));
    return r;
}

/* The uninterrupted run: its output (free()) and, in *dead, its dead-letter file. */
static char *reference(fixture *f, char **dead)
{
    sg__reject_log *log = new_log(f);
    sg__srun *r = open_run(f, NULL, log);
    assert_int_equal(sg__srun_drain(r), SG_EOF);
    char *out = strdup(sg__srun_output(r));
    sg__srun_free(r);
    free_log(log);
    *dead = slurp(f->dead);
    return out;
}

/* Polls k lines one at a time, snapshots, restores into a fresh instance, polls k2
 * more, snapshots and restores again, and runs to the end. */
static void check_split(fixture *f, size_t k, size_t k2, const char *want, const char *want_dead)
{
    sg__reject_log *log = new_log(f);
    sg__srun *r = open_run(f, NULL, log);
    size_t cap = strlen(want) + 1;
    char *got = calloc(1, cap);
    assert_non_null(got);
    for (int leg = 0; leg < 3; leg++) {
        size_t steps = leg == 0 ? k : k2;
        int rc = SG_OK;
        for (size_t i = 0; leg < 2 && i < steps && rc == SG_OK; i++)
            rc = sg__srun_poll(r, 1);
        if (leg == 2 || rc == SG_EOF) {
            if (rc != SG_EOF)
                assert_int_equal(sg__srun_drain(r), SG_EOF);
            strncat(got, sg__srun_output(r), cap - strlen(got) - 1);
            sg__srun_free(r);
            break;
        }
        assert_int_equal(rc, SG_OK);
        sg_bytes snap;
        assert_int_equal(sg__srun_snapshot(r, &snap), SG_OK);
        strncat(got, sg__srun_output(r), cap - strlen(got) - 1);
        sg__srun_free(r);
        r = open_run(f, &snap, log);
        sg_free((void *)(uintptr_t)snap.data);
    }
    free_log(log);
    if (strcmp(got, want) != 0)
        fail_msg("split at %zu+%zu:\n--- got\n%s--- want\n%s", k, k2, got, want);
    char *dead = slurp(f->dead);
    if (strcmp(dead, want_dead) != 0)
        fail_msg("split at %zu+%zu, dead letters:\n--- got\n%s--- want\n%s", k, k2, dead,
                 want_dead);
    free(dead);
    free(got);
}

/* Every split point of a file of n physical lines. */
static void check_every_split(fixture *f, size_t n)
{
    char *dead;
    char *want = reference(f, &dead);
    for (size_t k = 0; k <= n + 1; k++)
        for (size_t k2 = 0; k2 <= 2; k2++)
            check_split(f, k, k2, want, dead);
    free(want);
    free(dead);
}

static void test_jsonl_resumes_at_every_line_with_same_numbers(void **state)
{
    fixture *f = *state;
    write_input(f, "in.jsonl",
                "{\"a\": 1}\n"
                "\n"
                "{\"a\": 2, \"city\": \"मुंबई\"}\n"
                "{\"a\": oops}\n"
                "   \n"
                "{\"a\": 3}\r\n"
                "[1, 2]\n"
                "{\"a\": 4}");
    check_every_split(f, 8);
    char *dead = slurp(f->dead);
    /* Bad lines keep their physical numbers. */
    assert_non_null(strstr(dead, "in.jsonl:4\t"));
    assert_non_null(strstr(dead, "in.jsonl:7\t"));
    free(dead);
}

static void test_csv_resumes_with_its_header(void **state)
{
    fixture *f = *state;
    write_input(f, "in.csv",
                "\xEF\xBB\xBF"
                "\n"
                "\r\n"
                "city,count\r\n"
                "Pune,1\r\n"
                "\n"
                "\"Delhi, NCR\",2\n"
                "Chennai,3,extra\n"
                "Kochi,4\n"
                "Agra,\"5");
    check_every_split(f, 9);
    char *dead = slurp(f->dead);
    assert_non_null(strstr(dead, "in.csv:7\texpected 2 fields, found 3"));
    assert_non_null(strstr(dead, "in.csv:9\t"));
    free(dead);
}

/* Positions past the first read buffer (1 MiB) are offsets in the file, not the buffer. */
static void test_position_survives_a_refill(void **state)
{
    fixture *f = *state;
    size_t n = 12000, cap = n * 128;
    char *text = calloc(1, cap);
    assert_non_null(text);
    size_t len = 0;
    len += (size_t)snprintf(text + len, cap - len, "id,payload\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,%0100zu\n", i, i * 7);
    write_input(f, "big.csv", text);
    free(text);
    char *dead;
    char *want = reference(f, &dead);
    sg__reject_log *log = new_log(f);
    sg__srun *r = open_run(f, NULL, log);
    assert_int_equal(sg__srun_poll(r, 10300), SG_OK); /* past 1 MiB */
    sg_bytes snap;
    assert_int_equal(sg__srun_snapshot(r, &snap), SG_OK);
    size_t first = strlen(sg__srun_output(r));
    assert_memory_equal(sg__srun_output(r), want, first);
    sg__srun_free(r);
    r = open_run(f, &snap, log);
    sg_free((void *)(uintptr_t)snap.data);
    assert_int_equal(sg__srun_drain(r), SG_EOF);
    assert_string_equal(sg__srun_output(r), want + first);
    sg__srun_free(r);
    free_log(log);
    free(want);
    free(dead);
}

static void test_restore_on_a_shorter_file_fails_clearly(void **state)
{
    fixture *f = *state;
    write_input(f, "in.jsonl", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}\n");
    sg__srun *r = open_run(f, NULL, NULL);
    assert_int_equal(sg__srun_poll(r, 3), SG_OK);
    sg_bytes snap;
    assert_int_equal(sg__srun_snapshot(r, &snap), SG_OK);
    sg__srun_free(r);
    write_input(f, "in.jsonl", "{\"a\": 1}\n");
    assert_int_equal(
        sg__srun_new(&sg__file_source, f->uri, 0, 1, SG_CHECKPOINT_EXACTLY_ONCE, &snap, NULL, &r),
        SG_EINVAL);
    assert_non_null(strstr(sg__srun_errmsg(r), "shorter"));
    sg__srun_free(r);
    sg_free((void *)(uintptr_t)snap.data);
}

int main(void)
{
    sg_set_allocator(count_alloc, NULL);
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_jsonl_resumes_at_every_line_with_same_numbers),
        T(test_csv_resumes_with_its_header),
        T(test_position_survives_a_refill),
        T(test_restore_on_a_shorter_file_fails_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
