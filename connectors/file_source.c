/* file:PATH source: reads a file line by line and emits each physical line, with its
 * 1-based number, for the engine to parse as JSON Lines (.jsonl, .ndjson, .json) or
 * CSV (.csv) and decode. A final line without a newline still counts.
 *
 * Checkpoints: the position is the byte offset of the next unread line and the number
 * of the last line read, so a restored source seeks there and numbers lines exactly as
 * the first run did (bad records keep their FILE:LINE). A CSV file's header is known
 * only to the engine's parser, so a restore replays the file's lines up to and
 * including its first non-empty one (the header) before seeking: the parser skips
 * them, as it did the first time, and takes the header again.
 *
 * Snapshot layout (sg_snap_* values, in order):
 *   u64 version (1) | u64 offset of the next unread line | u64 lines read so far */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <sangam/sangam.h>

#define READ_CHUNK (1u << 20)
#define SNAP_VERSION 1u

typedef struct file_source {
    FILE *f;
    char *buf;
    size_t cap, start, end; /* unread bytes are buf[start, end) */
    uint64_t end_off;       /* file offset of buf[end] */
    uint64_t line_no;
    bool eof;
} file_source;

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Moves unread bytes to the front and reads more; grows the buffer for long lines. */
static int refill(sg_ctx *ctx, file_source *fs)
{
    size_t left = fs->end - fs->start;
    if (fs->start > 0) {
        memmove(fs->buf, fs->buf + fs->start, left);
        fs->start = 0;
        fs->end = left;
    }
    if (fs->end == fs->cap) {
        char *b = sg_realloc(fs->buf, fs->cap * 2);
        if (!b)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory for a %zu-byte line", fs->cap);
        fs->buf = b;
        fs->cap *= 2;
    }
    size_t n = fread(fs->buf + fs->end, 1, fs->cap - fs->end, fs->f);
    fs->end += n;
    fs->end_off += n;
    if (n == 0) {
        if (ferror(fs->f))
            return sg_ctx_errorf(ctx, SG_EIO, "cannot read input %s: %s", sg_ctx_uri_path(ctx),
                                 strerror(errno));
        fs->eof = true;
    }
    return SG_OK;
}

/* The next physical line: SG_OK with *line and *len (without its newline), SG_EOF at
 * the end of the file, or an error. The line is valid until the next call. */
static int next_line(sg_ctx *ctx, file_source *fs, const char **line, size_t *len)
{
    int rc;
    for (;;) {
        char *p = fs->buf + fs->start;
        char *nl = memchr(p, '\n', fs->end - fs->start);
        if (nl) {
            fs->start = (size_t)(nl - fs->buf) + 1;
            *line = p;
            *len = (size_t)(nl - p);
            return SG_OK;
        }
        if (fs->eof) {
            if (fs->end == fs->start)
                return SG_EOF;
            *line = p; /* the last line has no newline */
            *len = fs->end - fs->start;
            fs->start = fs->end;
            return SG_OK;
        }
        if ((rc = refill(ctx, fs)) < 0)
            return rc;
    }
}

/* Positions the reader at byte offset off, with an empty buffer. */
static int seek_to(sg_ctx *ctx, file_source *fs, uint64_t off)
{
    if (fseeko(fs->f, (off_t)off, SEEK_SET) != 0)
        return sg_ctx_errorf(ctx, SG_EIO, "cannot seek in input %s: %s", sg_ctx_uri_path(ctx),
                             strerror(errno));
    fs->start = fs->end = 0;
    fs->end_off = off;
    fs->eof = false;
    return SG_OK;
}

/* Whether the CSV parser skips this line as blank: empty once a byte order mark (at
 * the start of a file) and one trailing CR are gone, as row_csv.c decides. */
static bool csv_blank(const char *line, size_t len, bool file_start)
{
    if (file_start && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    return len == 0 || (len == 1 && line[0] == '\r');
}

/* CSV restore: feeds the lines before 'off' up to the header to the parser again. */
static int replay_csv_header(sg_ctx *ctx, file_source *fs, uint64_t off)
{
    const char *line;
    size_t len;
    uint64_t no = 0;
    int rc;
    while (fs->end_off - (fs->end - fs->start) < off) {
        if ((rc = next_line(ctx, fs, &line, &len)) != SG_OK)
            return rc < 0 ? rc : SG_OK;
        bool blank = csv_blank(line, len, true);
        if ((rc = sg_source_emit_line(ctx, line, len, ++no)) < 0)
            return rc;
        if (!blank)
            break;
    }
    return SG_OK;
}

static int restore_position(sg_ctx *ctx, file_source *fs, sg_snap_reader *restore, sg_format fmt)
{
    uint64_t version = 0, off = 0, line_no = 0;
    int rc;
    if (sg_snap_get_u64(restore, &version) < 0 || version != SNAP_VERSION ||
        sg_snap_get_u64(restore, &off) < 0 || sg_snap_get_u64(restore, &line_no) < 0)
        return sg_ctx_errorf(ctx, SG_ESERDE, "input %s: the checkpoint's position is malformed",
                             sg_ctx_uri_path(ctx));
    if (fseeko(fs->f, 0, SEEK_END) != 0)
        return sg_ctx_errorf(ctx, SG_EIO, "cannot seek in input %s: %s", sg_ctx_uri_path(ctx),
                             strerror(errno));
    off_t size = ftello(fs->f);
    if (size < 0 || (uint64_t)size < off)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "input %s is shorter (%lld bytes) than the checkpoint's position "
                             "(%llu): it changed since the checkpoint",
                             sg_ctx_uri_path(ctx), (long long)size, (unsigned long long)off);
    if (fmt == SG_FORMAT_CSV && off > 0) {
        if ((rc = seek_to(ctx, fs, 0)) < 0 || (rc = replay_csv_header(ctx, fs, off)) < 0)
            return rc;
    }
    fs->line_no = line_no;
    return seek_to(ctx, fs, off);
}

static int fs_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    file_source *fs = self;
    const char *path = sg_ctx_uri_path(ctx);
    sg_format fmt;
    int rc;
    if (has_suffix(path, ".jsonl") || has_suffix(path, ".ndjson") || has_suffix(path, ".json"))
        fmt = SG_FORMAT_JSONL;
    else if (has_suffix(path, ".csv"))
        fmt = SG_FORMAT_CSV;
    else
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "input %s: unknown format (expected .jsonl, .ndjson, .json or .csv)",
                             path);
    if (!(fs->f = fopen(path, "rb")))
        return sg_ctx_errorf(ctx, SG_EIO, "cannot open input %s: %s", path, strerror(errno));
    if (!(fs->buf = sg_malloc(READ_CHUNK)))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    fs->cap = READ_CHUNK;
    if ((rc = sg_source_set_format(ctx, fmt, path)) < 0)
        return rc;
    return restore ? restore_position(ctx, fs, restore, fmt) : SG_OK;
}

static int fs_poll(sg_ctx *ctx, void *self, size_t budget)
{
    file_source *fs = self;
    const char *line;
    size_t len;
    int rc;
    for (; budget > 0; budget--) {
        if ((rc = next_line(ctx, fs, &line, &len)) != SG_OK)
            return rc;
        if ((rc = sg_source_emit_line(ctx, line, len, ++fs->line_no)) < 0)
            return rc;
    }
    /* Report the end now rather than at the next poll when nothing is left. */
    return fs->eof && fs->start == fs->end ? SG_EOF : SG_OK;
}

static int fs_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    file_source *fs = self;
    uint64_t next = fs->end_off - (fs->end - fs->start);
    SG_UNUSED(ctx);
    int rc;
    if ((rc = sg_snap_put_u64(out, SNAP_VERSION)) < 0 || (rc = sg_snap_put_u64(out, next)) < 0)
        return rc;
    return sg_snap_put_u64(out, fs->line_no);
}

static void fs_close(sg_ctx *ctx, void *self)
{
    file_source *fs = self;
    SG_UNUSED(ctx);
    if (fs->f)
        fclose(fs->f);
    sg_free(fs->buf);
}

const sg_source_def sg__file_source = {
    .abi = SG_SOURCE_ABI_1,
    .name = "file",
    .self_size = sizeof(file_source),
    .open = fs_open,
    .poll = fs_poll,
    .snapshot = fs_snapshot,
    .close = fs_close,
};
