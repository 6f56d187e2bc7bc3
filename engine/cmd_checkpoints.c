/* `sangam checkpoints DIR`: what a checkpoint directory holds and whether restore
 * could trust it. Every checkpoint and savepoint is verified in full (metadata
 * checksum, then every file's size and XXH64), so the listing reads all state once;
 * that is the point: it answers "would a restore from here work?".
 *
 * Exit codes: 0 listed (damaged checkpoints are a finding, not a failure); 1 DIR
 * cannot be read; 2 usage. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/ckpt_finished.h"
#include "engine/ckpt_store.h"
#include "engine/cli.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "Usage: sangam checkpoints DIR\n"
               "\n"
               "Lists the checkpoints (chk-N) and savepoints (sp-N) under DIR, a job's\n"
               "--checkpoint-dir (or one checkpoint directory itself): id, kind, completion\n"
               "time (UTC), total size in bytes, state bytes per operator, the subtasks it\n"
               "records as finished, and whether each verifies: \"ok\", the reason it does\n"
               "not, or \"incomplete\" (no _metadata; a restore never uses it). Every file\n"
               "is read and checked.\n"
               "Exit codes: 0 listed (even with damaged checkpoints); 1 DIR cannot be read;\n"
               "2 usage error.\n");
}

static void format_time(int64_t ms, char *out, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char day[32];
    if (ms <= 0 || !gmtime_r(&s, &tm) ||
        strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
        snprintf(out, len, "-");
        return;
    }
    snprintf(out, len, "%s.%03d", day, (int)(ms % 1000));
}

/* The store's one-line error without the leading "checkpoint chk-000007 is " /
 * "checkpoint chk-000007: ", which the NAME column already says. */
static const char *reason(const char *err, const char *name)
{
    const char *p = strstr(err, name);
    if (!p)
        return err;
    p += strlen(name);
    if (strncmp(p, " is ", 4) == 0)
        return p + 4;
    if (strncmp(p, ": ", 2) == 0)
        return p + 2;
    return err;
}

/* One checkpoint: its line, then one indented line per operator. */
static void show(const char *dir, const char *name, sg__ckpt_kind kind, bool complete)
{
    const char *kind_s = kind == SG__CKPT_SAVEPOINT ? "savepoint" : "checkpoint";
    char err[1024], when[48] = "-", size[32] = "-", meta_path[4200];
    sg__ckpt_meta m;
    struct stat st;
    if (!complete) {
        printf("%-10s  %-10s  %-23s  %12s  incomplete\n", name, kind_s, when, size);
        return;
    }
    int rc = sg__ckpt_verify(dir, &m, err, sizeof(err));
    /* A damaged checkpoint still shows what its _metadata says, if that is intact. */
    bool have_meta = rc == SG_OK || sg__ckpt_read_meta(dir, &m, NULL, 0) == SG_OK;
    if (have_meta) {
        uint64_t total = 0;
        snprintf(meta_path, sizeof(meta_path), "%s/_metadata", dir);
        if (stat(meta_path, &st) == 0)
            total += (uint64_t)st.st_size;
        for (size_t i = 0; i < m.n_files; i++)
            total += m.files[i].size;
        format_time(m.time_ms, when, sizeof(when));
        snprintf(size, sizeof(size), "%llu", (unsigned long long)total);
    }
    printf("%-10s  %-10s  %-23s  %12s  %s\n", name, kind_s, when, size,
           rc == SG_OK ? "ok" : reason(err, name));
    if (have_meta) {
        for (size_t i = 0; i < m.n_ops; i++)
            printf("    operator %s: %llu bytes\n", m.ops[i].name,
                   (unsigned long long)m.ops[i].bytes);
        /* Subtasks it records as finished (ckpt_finished.h): restored without running. */
        for (size_t i = 0; i < m.n_files; i++) {
            sg__ckpt_finished f;
            int task, sub;
            if (sg__ckpt_is_finished_file(m.files[i].path, &task, &sub) &&
                sg__ckpt_read_finished(dir, task, sub, &f, err, sizeof(err)) == SG_OK)
                printf("    finished %s[%d] (t%d-s%d)\n", f.name, sub, task, sub);
        }
        sg__ckpt_meta_free(&m);
    }
}

/* DIR is itself one checkpoint (it has a _metadata): list just that one. */
static bool show_single(const char *dir)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof(p), "%s/_metadata", dir);
    if (stat(p, &st) != 0)
        return false;
    snprintf(p, sizeof(p), "%s", dir);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    const char *slash = strrchr(p, '/');
    const char *name = slash ? slash + 1 : p;
    printf("%-10s  %-10s  %-23s  %12s  %s\n", "NAME", "KIND", "COMPLETED (UTC)", "BYTES", "STATUS");
    show(dir, name, strncmp(name, "sp-", 3) == 0 ? SG__CKPT_SAVEPOINT : SG__CKPT_CHECKPOINT, true);
    return true;
}

int sg__cmd_checkpoints(int argc, char **argv)
{
    const char *root = NULL;
    char err[1024], dir[4200], name[64];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "sangam checkpoints: unknown option %s (sangam checkpoints DIR)\n",
                    argv[i]);
            return EXIT_USAGE;
        }
        if (root) {
            fprintf(stderr, "sangam checkpoints: one directory expected, got '%s' and '%s'\n", root,
                    argv[i]);
            return EXIT_USAGE;
        }
        root = argv[i];
    }
    if (!root) {
        fprintf(stderr, "sangam checkpoints: no directory given (sangam checkpoints DIR)\n");
        return EXIT_USAGE;
    }
    if (show_single(root))
        return 0;
    sg__ckpt_entry *e;
    size_t n;
    if (sg__ckpt_scan(root, &e, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "sangam checkpoints: %s\n", err);
        return 1;
    }
    if (n == 0)
        printf("no checkpoints or savepoints in %s\n", root);
    else
        printf("%-10s  %-10s  %-23s  %12s  %s\n", "NAME", "KIND", "COMPLETED (UTC)", "BYTES",
               "STATUS");
    for (size_t i = 0; i < n; i++) {
        sg__ckpt_path(root, e[i].kind, e[i].id, dir, sizeof(dir));
        snprintf(name, sizeof(name), "%s%06llu", e[i].kind == SG__CKPT_SAVEPOINT ? "sp-" : "chk-",
                 (unsigned long long)e[i].id);
        show(dir, name, e[i].kind, e[i].complete);
    }
    sg_free(e);
    return 0;
}
