/* file:PATH sink: writes each encoded line, after the encoder's header line.
 *
 * Without checkpoints it writes PATH directly. Write errors (a full disk) surface at
 * the latest in finish, which flushes, so a job that could not write its output fails
 * instead of ending with a short file.
 *
 * With checkpoints (either mode) it is two-phase-commit, as Flink's
 * TwoPhaseCommitSinkFunction, over these files next to PATH:
 *
 *   PATH               committed output only: the header, then every checkpoint's
 *                      output in order; fsync'd before anything refers to it
 *   PATH.staging       lines written since the last barrier (not visible)
 *   PATH.pending-<n>   what was staged before barrier n, sealed (fsync'd) at n and
 *                      waiting for checkpoint n to complete
 *
 * Transitions (function that makes each):
 *   write        appends to PATH.staging                               (fk_write)
 *   pre_commit n flush + fsync staging, rename it to PATH.pending-<n>, fsync the
 *                directory, remember (n, start offset in PATH, length) (fk_pre_commit)
 *   snapshot     PATH's length once everything up to n is committed, and the
 *                pending files not committed yet                       (fk_snapshot)
 *   commit n     for each pending k <= n in order: cut PATH back to k's start if an
 *                earlier append was interrupted, append, fsync, unlink (commit_file)
 *   restore n    commit the pending files the snapshot lists, cut PATH to its length
 *                at n, delete every other pending file and the staging file
 *   finish       commit everything, the staging file last, and fsync
 *
 * Invariants: (1) PATH never holds bytes whose checkpoint is incomplete, except
 * after finish; (2) a pending file is unlinked only after its bytes are fsync'd in
 * PATH, so commit and restore can be repeated after a crash at any point;
 * (3) pending files are appended in id order, each at the offset recorded at its
 * pre_commit. Empty stagings make no pending file.
 *
 * At-least-once mode uses the same scheme: output still follows completed
 * checkpoints only; its duplicates come from the unaligned barriers upstream.
 *
 * Snapshot layout (sg_snap_* values, in order):
 *   u64 version (1) | u64 PATH's committed length at n | u64 count |
 *   count x (u64 id | u64 start offset | u64 length) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sangam/sangam.h>

#define SINK_BUF (1u << 20)
#define COPY_BUF (256u * 1024)
#define SNAP_VERSION 1u
#define MAX_PENDING (1u << 20) /* a sanity bound on a snapshot's list */

typedef struct pending {
    uint64_t id, start, len;
} pending;

typedef struct file_sink {
    FILE *f;   /* PATH (direct), or PATH.staging (two-phase) */
    char *buf; /* f's buffer */
    bool two_phase;
    int out_fd;          /* two-phase: PATH, opened for commits; -1 when closed */
    uint64_t staged_len; /* bytes in the staging file */
    uint64_t committed;  /* PATH's length with every commit done */
    pending *pend;       /* sealed, not yet committed, in id order */
    size_t n_pend, cap_pend;
    char *staging; /* "PATH.staging" */
    char *name;    /* scratch for "PATH.pending-<n>" */
    char *copy;    /* commit's copy buffer */
} file_sink;

/* ---- Helpers ------------------------------------------------------------------ */

static int io_error(sg_ctx *ctx, const char *what, const char *file)
{
    return sg_ctx_errorf(ctx, SG_EIO, "cannot %s output %s: %s", what, file, strerror(errno));
}

static const char *pending_name(sg_ctx *ctx, file_sink *fk, uint64_t id)
{
    snprintf(fk->name, strlen(sg_ctx_uri_path(ctx)) + 32, "%s.pending-%llu", sg_ctx_uri_path(ctx),
             (unsigned long long)id);
    return fk->name;
}

/* PATH's length once every sealed file is committed. */
static uint64_t staged_end(const file_sink *fk)
{
    return fk->n_pend ? fk->pend[fk->n_pend - 1].start + fk->pend[fk->n_pend - 1].len
                      : fk->committed;
}

/* The directory of path into dir (cap bytes). */
static void dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, cap, ".");
    else if (slash == path)
        snprintf(dir, cap, "/");
    else
        snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/* Makes renames, creations and deletions in PATH's directory durable. */
static int sync_dir(sg_ctx *ctx, const char *path)
{
    char dir[4096];
    dir_of(path, dir, sizeof(dir));
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0) {
        int rc = io_error(ctx, "sync the directory of", path);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return SG_OK;
}

static int write_all(int fd, const char *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Appends file src (len bytes) to PATH at offset start, cutting off whatever an
 * interrupted earlier append left there; fsyncs PATH, then unlinks src. A missing src
 * was committed before (rule 2), which PATH's length must confirm. */
static int commit_file(sg_ctx *ctx, file_sink *fk, const char *src, uint64_t start, uint64_t len)
{
    const char *path = sg_ctx_uri_path(ctx);
    struct stat st;
    int rc = SG_OK;
    if (fstat(fk->out_fd, &st) != 0)
        return io_error(ctx, "stat", path);
    int in = open(src, O_RDONLY);
    if (in < 0) {
        if (errno == ENOENT && (uint64_t)st.st_size >= start + len) {
            fk->committed = start + len; /* committed before a crash */
            return SG_OK;
        }
        if (errno == ENOENT)
            return sg_ctx_errorf(ctx, SG_EIO,
                                 "cannot commit output %s: %s is gone but %s has %lld of its "
                                 "%llu bytes",
                                 path, src, path, (long long)st.st_size,
                                 (unsigned long long)(start + len));
        return io_error(ctx, "open", src);
    }
    if ((uint64_t)st.st_size < start) {
        rc = sg_ctx_errorf(ctx, SG_EIO,
                           "cannot commit output %s: it has %lld bytes, expected at least %llu "
                           "(changed outside the job?)",
                           path, (long long)st.st_size, (unsigned long long)start);
        goto out;
    }
    if ((uint64_t)st.st_size > start && ftruncate(fk->out_fd, (off_t)start) != 0) {
        rc = io_error(ctx, "truncate", path);
        goto out;
    }
    uint64_t done = 0;
    for (;;) {
        ssize_t n = read(in, fk->copy, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = io_error(ctx, "read", src);
            goto out;
        }
        if (n == 0)
            break;
        if (write_all(fk->out_fd, fk->copy, (size_t)n, start + done) != 0) {
            rc = io_error(ctx, "write", path);
            goto out;
        }
        done += (uint64_t)n;
    }
    if (done != len) {
        rc = sg_ctx_errorf(ctx, SG_EIO, "cannot commit output %s: %s has %llu bytes, expected %llu",
                           path, src, (unsigned long long)done, (unsigned long long)len);
        goto out;
    }
    if (fsync(fk->out_fd) != 0) {
        rc = io_error(ctx, "sync", path);
        goto out;
    }
    if (unlink(src) != 0)
        rc = io_error(ctx, "remove", src);
    fk->committed = start + len;
out:
    close(in);
    return rc;
}

/* Commits the sealed files with ids <= upto, oldest first. */
static int commit_upto(sg_ctx *ctx, file_sink *fk, uint64_t upto)
{
    size_t k = 0;
    int rc = SG_OK;
    for (; k < fk->n_pend && fk->pend[k].id <= upto; k++) {
        const pending *p = &fk->pend[k];
        if ((rc = commit_file(ctx, fk, pending_name(ctx, fk, p->id), p->start, p->len)) < 0)
            break;
    }
    if (k) /* fk->pend may be NULL when nothing was pending */
        memmove(fk->pend, fk->pend + k, (fk->n_pend - k) * sizeof(*fk->pend));
    fk->n_pend -= k;
    /* The unlinks must be durable in order: after a power loss an older pending file
     * must not reappear beside a newer one that is gone. */
    if (rc >= 0 && k)
        rc = sync_dir(ctx, sg_ctx_uri_path(ctx));
    return rc;
}

static int push_pending(sg_ctx *ctx, file_sink *fk, pending p)
{
    if (fk->n_pend == fk->cap_pend) {
        size_t cap = fk->cap_pend ? fk->cap_pend * 2 : 8;
        pending *a = sg_realloc(fk->pend, cap * sizeof(*a));
        if (!a)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        fk->pend = a;
        fk->cap_pend = cap;
    }
    fk->pend[fk->n_pend++] = p;
    return SG_OK;
}

/* Deletes every PATH.pending-<n> and PATH.staging: output not in the checkpoint. */
static int remove_uncommitted(sg_ctx *ctx, file_sink *fk)
{
    const char *path = sg_ctx_uri_path(ctx);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    char dir[4096];
    dir_of(path, dir, sizeof(dir));
    if (unlink(fk->staging) != 0 && errno != ENOENT)
        return io_error(ctx, "remove", fk->staging);
    DIR *d = opendir(dir);
    if (!d)
        return io_error(ctx, "list the directory of", path);
    struct dirent *e;
    int rc = SG_OK;
    while (rc == SG_OK && (e = readdir(d))) {
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".pending-", 9) != 0)
            continue;
        const char *id = e->d_name + blen + 9;
        size_t idlen = strlen(id);
        if (idlen == 0 || idlen > 20 || strspn(id, "0123456789") != idlen)
            continue;
        snprintf(fk->name, strlen(path) + 32, "%.*s%s", (int)(base - path), path, e->d_name);
        if (unlink(fk->name) != 0 && errno != ENOENT)
            rc = io_error(ctx, "remove", fk->name);
    }
    closedir(d);
    return rc < 0 ? rc : sync_dir(ctx, path);
}

static int open_staging(sg_ctx *ctx, file_sink *fk)
{
    if (!(fk->f = fopen(fk->staging, "wb")))
        return io_error(ctx, "open", fk->staging);
    if (fk->buf)
        setvbuf(fk->f, fk->buf, _IOFBF, SINK_BUF);
    fk->staged_len = 0;
    return SG_OK;
}

/* Flushes the staging file to disk and closes it. */
static int seal_staging(sg_ctx *ctx, file_sink *fk)
{
    int bad = fflush(fk->f) != 0 || ferror(fk->f) || fsync(fileno(fk->f)) != 0;
    int rc = bad ? io_error(ctx, "write", fk->staging) : SG_OK;
    if (fclose(fk->f) != 0 && rc == SG_OK)
        rc = io_error(ctx, "write", fk->staging);
    fk->f = NULL;
    return rc;
}

/* ---- Opening -------------------------------------------------------------------- */

static int open_direct(sg_ctx *ctx, file_sink *fk)
{
    const char *path = sg_ctx_uri_path(ctx), *header = sg_sink_header(ctx);
    if (!(fk->f = fopen(path, "wb")))
        return io_error(ctx, "open", path);
    if (fk->buf)
        setvbuf(fk->f, fk->buf, _IOFBF, SINK_BUF);
    if (header && (fputs(header, fk->f) == EOF || fputc('\n', fk->f) == EOF))
        return io_error(ctx, "write", path);
    return SG_OK;
}

/* A fresh two-phase start: PATH holds the header, durably; nothing else is left. */
static int open_fresh(sg_ctx *ctx, file_sink *fk)
{
    const char *path = sg_ctx_uri_path(ctx), *header = sg_sink_header(ctx);
    int rc;
    if ((fk->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0)
        return io_error(ctx, "open", path);
    if ((rc = remove_uncommitted(ctx, fk)) < 0)
        return rc;
    size_t hlen = header ? strlen(header) : 0;
    if (header &&
        (write_all(fk->out_fd, header, hlen, 0) != 0 || write_all(fk->out_fd, "\n", 1, hlen) != 0))
        return io_error(ctx, "write", path);
    fk->committed = header ? hlen + 1 : 0;
    if (fsync(fk->out_fd) != 0)
        return io_error(ctx, "sync", path);
    return sync_dir(ctx, path);
}

static int read_snapshot(sg_ctx *ctx, file_sink *fk, sg_snap_reader *r, uint64_t *target)
{
    uint64_t version = 0, n = 0;
    int rc = SG_OK;
    if (sg_snap_get_u64(r, &version) < 0 || version != SNAP_VERSION ||
        sg_snap_get_u64(r, target) < 0 || sg_snap_get_u64(r, &n) < 0 || n > MAX_PENDING)
        rc = SG_ESERDE;
    for (uint64_t i = 0; rc == SG_OK && i < n; i++) {
        pending p;
        if (sg_snap_get_u64(r, &p.id) < 0 || sg_snap_get_u64(r, &p.start) < 0 ||
            sg_snap_get_u64(r, &p.len) < 0 || p.start + p.len > *target)
            rc = SG_ESERDE;
        else if ((rc = push_pending(ctx, fk, p)) < 0)
            return rc;
    }
    if (rc < 0)
        return sg_ctx_errorf(ctx, rc, "output %s: the checkpoint's sink state is malformed",
                             sg_ctx_uri_path(ctx));
    return SG_OK;
}

/* Restore to checkpoint n (complete): finish its commits, cut PATH to its length at
 * n, and drop everything staged after it. */
static int open_restore(sg_ctx *ctx, file_sink *fk, sg_snap_reader *restore)
{
    const char *path = sg_ctx_uri_path(ctx);
    uint64_t target = 0;
    struct stat st;
    int rc;
    if ((rc = read_snapshot(ctx, fk, restore, &target)) < 0)
        return rc;
    if ((fk->out_fd = open(path, O_WRONLY | O_CREAT, 0666)) < 0)
        return io_error(ctx, "open", path);
    if ((rc = commit_upto(ctx, fk, UINT64_MAX)) < 0)
        return rc;
    if (fstat(fk->out_fd, &st) != 0)
        return io_error(ctx, "stat", path);
    if ((uint64_t)st.st_size < target)
        return sg_ctx_errorf(ctx, SG_EIO,
                             "cannot restore output %s: it has %lld bytes, the checkpoint "
                             "committed %llu (changed outside the job?)",
                             path, (long long)st.st_size, (unsigned long long)target);
    if ((uint64_t)st.st_size > target &&
        (ftruncate(fk->out_fd, (off_t)target) != 0 || fsync(fk->out_fd) != 0))
        return io_error(ctx, "truncate", path);
    fk->committed = target;
    return remove_uncommitted(ctx, fk);
}

static int fk_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    file_sink *fk = self;
    const char *path = sg_ctx_uri_path(ctx);
    size_t plen = strlen(path);
    int rc;
    fk->out_fd = -1;
    fk->buf = sg_malloc(SINK_BUF); /* without it stdio's own buffer does */
    fk->two_phase = sg_ctx_checkpoint_mode(ctx) != SG_CHECKPOINT_NONE || restore;
    if (!fk->two_phase)
        return open_direct(ctx, fk);
    if (!(fk->staging = sg_malloc(plen + 16)) || !(fk->name = sg_malloc(plen + 32)) ||
        !(fk->copy = sg_malloc(COPY_BUF)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    snprintf(fk->staging, plen + 16, "%s.staging", path);
    if ((rc = restore ? open_restore(ctx, fk, restore) : open_fresh(ctx, fk)) < 0)
        return rc;
    return open_staging(ctx, fk);
}

/* ---- Writing and committing -------------------------------------------------------- */

static int fk_write(sg_ctx *ctx, void *self, const sg_record *rec)
{
    file_sink *fk = self;
    if (fwrite(rec->value.data, 1, rec->value.len, fk->f) != rec->value.len)
        return io_error(ctx, "write", fk->two_phase ? fk->staging : sg_ctx_uri_path(ctx));
    fk->staged_len += rec->value.len;
    return SG_OK;
}

static int fk_pre_commit(sg_ctx *ctx, void *self, uint64_t checkpoint_id)
{
    file_sink *fk = self;
    const char *path = sg_ctx_uri_path(ctx);
    int rc;
    if (!fk->two_phase)
        return fflush(fk->f) != 0 ? io_error(ctx, "write", path) : SG_OK;
    if (fk->staged_len == 0)
        return SG_OK; /* nothing to seal; the snapshot lists no file for this id */
    if (fk->n_pend && fk->pend[fk->n_pend - 1].id >= checkpoint_id)
        return sg_ctx_errorf(
            ctx, SG_EINTERNAL, "output %s: pre-commit of checkpoint %llu after %llu", path,
            (unsigned long long)checkpoint_id, (unsigned long long)fk->pend[fk->n_pend - 1].id);
    pending p = {checkpoint_id, staged_end(fk), fk->staged_len};
    if ((rc = seal_staging(ctx, fk)) < 0)
        return rc;
    if (rename(fk->staging, pending_name(ctx, fk, checkpoint_id)) != 0)
        return io_error(ctx, "seal", fk->name);
    if ((rc = sync_dir(ctx, path)) < 0 || (rc = push_pending(ctx, fk, p)) < 0)
        return rc;
    return open_staging(ctx, fk);
}

static int fk_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    file_sink *fk = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, staged_end(fk))) < 0 ||
        (rc = sg_snap_put_u64(out, fk->n_pend)) < 0)
        return rc;
    for (size_t i = 0; i < fk->n_pend; i++) {
        const pending *p = &fk->pend[i];
        if ((rc = sg_snap_put_u64(out, p->id)) < 0 || (rc = sg_snap_put_u64(out, p->start)) < 0 ||
            (rc = sg_snap_put_u64(out, p->len)) < 0)
            return rc;
    }
    return SG_OK;
}

static int fk_commit(sg_ctx *ctx, void *self, uint64_t checkpoint_id)
{
    file_sink *fk = self;
    return fk->two_phase ? commit_upto(ctx, fk, checkpoint_id) : SG_OK;
}

static int fk_finish(sg_ctx *ctx, void *self)
{
    file_sink *fk = self;
    int rc;
    if (!fk->two_phase)
        return fflush(fk->f) != 0 || ferror(fk->f) ? io_error(ctx, "write", sg_ctx_uri_path(ctx))
                                                   : SG_OK;
    /* The end of input is the final commit: sealed files, then the staging file. */
    uint64_t start = staged_end(fk), len = fk->staged_len;
    if ((rc = seal_staging(ctx, fk)) < 0 || (rc = commit_upto(ctx, fk, UINT64_MAX)) < 0 ||
        (rc = commit_file(ctx, fk, fk->staging, start, len)) < 0)
        return rc;
    return sync_dir(ctx, sg_ctx_uri_path(ctx));
}

static void fk_close(sg_ctx *ctx, void *self)
{
    file_sink *fk = self;
    SG_UNUSED(ctx);
    if (fk->f)
        fclose(fk->f);
    if (fk->out_fd >= 0 && fk->two_phase)
        close(fk->out_fd);
    sg_free(fk->buf);
    sg_free(fk->pend);
    sg_free(fk->staging);
    sg_free(fk->name);
    sg_free(fk->copy);
}

const sg_sink_def sg__file_sink = {
    .abi = SG_SINK_ABI_2,
    .name = "file",
    .self_size = sizeof(file_sink),
    .flags = SG_SINK_EXACTLY_ONCE,
    .open = fk_open,
    .write = fk_write,
    .pre_commit = fk_pre_commit,
    .commit = fk_commit,
    .finish = fk_finish,
    .close = fk_close,
    .snapshot = fk_snapshot,
};

/* ---- null: ------------------------------------------------------------------------ */

static int null_write(sg_ctx *ctx, void *self, const sg_record *rec)
{
    SG_UNUSED(ctx);
    SG_UNUSED(self);
    SG_UNUSED(rec);
    return SG_OK;
}

/* Exactly-once trivially: it keeps nothing, so nothing can be duplicated. */
const sg_sink_def sg__null_sink = {
    .abi = SG_SINK_ABI_1,
    .name = "null",
    .flags = SG_SINK_EXACTLY_ONCE,
    .write = null_write,
};
