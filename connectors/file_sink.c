/* file:PATH sink: writes each encoded line, after the encoder's header line. Write
 * errors (a full disk) surface at the latest in finish, which flushes, so a job that
 * could not write its output fails instead of ending with a short file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

typedef struct file_sink {
    FILE *f;
    char *buf;
} file_sink;

#define SINK_BUF (1u << 20)

static int io_error(sg_ctx *ctx, const char *what)
{
    return sg_ctx_errorf(ctx, SG_EIO, "cannot %s output %s: %s", what, sg_ctx_uri_path(ctx),
                         strerror(errno));
}

static int fk_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    file_sink *fk = self;
    const char *header = sg_sink_header(ctx);
    SG_UNUSED(restore);
    if (!(fk->f = fopen(sg_ctx_uri_path(ctx), "wb")))
        return io_error(ctx, "open");
    if ((fk->buf = sg_malloc(SINK_BUF)))
        setvbuf(fk->f, fk->buf, _IOFBF, SINK_BUF);
    if (header && (fputs(header, fk->f) == EOF || fputc('\n', fk->f) == EOF))
        return io_error(ctx, "write");
    return SG_OK;
}

static int fk_write(sg_ctx *ctx, void *self, const sg_record *rec)
{
    file_sink *fk = self;
    if (fwrite(rec->value.data, 1, rec->value.len, fk->f) != rec->value.len)
        return io_error(ctx, "write");
    return SG_OK;
}

static int fk_finish(sg_ctx *ctx, void *self)
{
    file_sink *fk = self;
    if (fflush(fk->f) != 0 || ferror(fk->f))
        return io_error(ctx, "write");
    return SG_OK;
}

static void fk_close(sg_ctx *ctx, void *self)
{
    file_sink *fk = self;
    SG_UNUSED(ctx);
    if (fk->f)
        fclose(fk->f);
    sg_free(fk->buf);
}

const sg_sink_def sg__file_sink = {
    .abi = SG_SINK_ABI_1,
    .name = "file",
    .self_size = sizeof(file_sink),
    .open = fk_open,
    .write = fk_write,
    .finish = fk_finish,
    .close = fk_close,
};

static int null_write(sg_ctx *ctx, void *self, const sg_record *rec)
{
    SG_UNUSED(ctx);
    SG_UNUSED(self);
    SG_UNUSED(rec);
    return SG_OK;
}

const sg_sink_def sg__null_sink = {
    .abi = SG_SINK_ABI_1,
    .name = "null",
    .write = null_write,
};
