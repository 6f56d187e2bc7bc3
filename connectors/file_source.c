/* file:PATH source: reads a file line by line and emits each physical line, with its
 * 1-based number, for the engine to parse as JSON Lines (.jsonl, .ndjson, .json) or
 * CSV (.csv) and decode. A final line without a newline still counts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

#define READ_CHUNK (1u << 20)

typedef struct file_source {
    FILE *f;
    char *buf;
    size_t cap, start, end; /* unread bytes are buf[start, end) */
    uint64_t line_no;
    bool eof;
} file_source;

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int fs_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    file_source *fs = self;
    const char *path = sg_ctx_uri_path(ctx);
    sg_format fmt;
    SG_UNUSED(restore);
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
    return sg_source_set_format(ctx, fmt, path);
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
    if (n == 0) {
        if (ferror(fs->f))
            return sg_ctx_errorf(ctx, SG_EIO, "cannot read input %s: %s", sg_ctx_uri_path(ctx),
                                 strerror(errno));
        fs->eof = true;
    }
    return SG_OK;
}

static int fs_poll(sg_ctx *ctx, void *self, size_t budget)
{
    file_source *fs = self;
    int rc;
    while (budget > 0) {
        char *p = fs->buf + fs->start;
        char *nl = memchr(p, '\n', fs->end - fs->start);
        if (!nl) {
            if (fs->eof) {
                if (fs->end > fs->start) { /* the last line has no newline */
                    size_t len = fs->end - fs->start;
                    fs->start = fs->end;
                    return (rc = sg_source_emit_line(ctx, p, len, ++fs->line_no)) < 0 ? rc : SG_EOF;
                }
                return SG_EOF;
            }
            if ((rc = refill(ctx, fs)) < 0)
                return rc;
            continue;
        }
        fs->start = (size_t)(nl - fs->buf) + 1;
        if ((rc = sg_source_emit_line(ctx, p, (size_t)(nl - p), ++fs->line_no)) < 0)
            return rc;
        budget--;
    }
    return SG_OK;
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
    .close = fs_close,
};
