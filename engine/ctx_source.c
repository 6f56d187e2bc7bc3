/* The sg_ctx calls of sources and sinks: URIs and their parameters, line formats,
 * and the decoder stage that turns each line into rows and rows into records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ctx.h"

const char *sg_ctx_uri(const sg_ctx *ctx)
{
    return ctx->uri ? ctx->uri : "";
}

const char *sg_ctx_uri_path(const sg_ctx *ctx)
{
    sg_ctx *c = (sg_ctx *)(uintptr_t)ctx; /* the path is made once and cached */
    if (c->uri_path)
        return c->uri_path;
    const char *uri = sg_ctx_uri(ctx);
    const char *colon = strchr(uri, ':');
    const char *p = colon ? colon + 1 : uri;
    if (strncmp(uri, "file:", 5) == 0) {
        if (strncmp(p, "//", 2) == 0) /* file:///abs/path */
            p += 2;
        c->uri_path = sg_strdup(p);
    } else {
        size_t len = strcspn(p, "?");
        if ((c->uri_path = sg_malloc(len + 1))) {
            memcpy(c->uri_path, p, len);
            c->uri_path[len] = '\0';
        }
    }
    return c->uri_path ? c->uri_path : "";
}

/* Finds parameter 'name' in the URI's query; sets *val and *len. */
static bool find_param(const sg_ctx *ctx, const char *name, const char **val, size_t *len)
{
    const char *q = strchr(sg_ctx_uri(ctx), '?');
    size_t nlen = strlen(name);
    while (q && *q) {
        q++;
        size_t plen = strcspn(q, "&");
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        if (klen == nlen && memcmp(q, name, nlen) == 0) {
            *val = eq ? eq + 1 : q + plen;
            *len = eq ? plen - klen - 1 : 0;
            return true;
        }
        q += plen;
    }
    return false;
}

int sg_ctx_param_str(sg_ctx *ctx, const char *name, const char **out)
{
    const char *v;
    size_t len;
    if (!find_param(ctx, name, &v, &len))
        return SG_NOTFOUND;
    char *s = sg_scratch_alloc(ctx, len + 1);
    if (!s)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(s, v, len);
    s[len] = '\0';
    *out = s;
    return SG_OK;
}

int sg_ctx_param_i64(sg_ctx *ctx, const char *name, int64_t *out)
{
    const char *v;
    size_t len;
    char buf[32];
    if (!find_param(ctx, name, &v, &len))
        return SG_NOTFOUND;
    if (len == 0 || len >= sizeof(buf))
        goto bad;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (errno || *end || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
        goto bad;
    *out = x;
    return SG_OK;
bad:
    return sg_ctx_errorf(ctx, SG_EINVAL, "%s: parameter %s=%.*s in '%s' is not an integer",
                         ctx->name, name, (int)len, v, sg_ctx_uri(ctx));
}

int sg_ctx_params_check(sg_ctx *ctx, const char *known)
{
    const char *q = strchr(sg_ctx_uri(ctx), '?');
    while (q && *q) {
        q++;
        size_t plen = strcspn(q, "&");
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        bool ok = false;
        for (const char *k = known; *k;) {
            size_t n = strcspn(k, ",");
            if (n == klen && memcmp(k, q, n) == 0)
                ok = true;
            k += n + (k[n] == ',');
        }
        if (!ok && plen)
            return sg_ctx_errorf(ctx, SG_EINVAL, "%s: unknown parameter '%.*s' in '%s' (known: %s)",
                                 ctx->name, (int)klen, q, sg_ctx_uri(ctx), known);
        q += plen;
    }
    return SG_OK;
}

int sg_source_set_format(sg_ctx *ctx, sg_format fmt, const char *origin)
{
    if (ctx->kind != SG__INST_SOURCE)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: only a source sets its format", ctx->name);
    ctx->fmt = fmt;
    sg_free(ctx->origin);
    ctx->origin = origin ? sg_strdup(origin) : NULL;
    sg__row_parser_free(ctx->parser);
    ctx->parser = NULL;
    if (fmt == SG_FORMAT_RECORDS)
        return SG_OK;
    int rc = sg__row_parser_new(fmt == SG_FORMAT_CSV ? SG__ROW_CSV : SG__ROW_JSONL, &ctx->parser);
    if (rc < 0 || (origin && !ctx->origin))
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    return SG_OK;
}

int sg_source_emit_line(sg_ctx *ctx, const void *data, size_t len, uint64_t line_no)
{
    const sg_row *row;
    const char *reason = NULL;
    sg_ctx *dec = ctx->decode;
    if (!ctx->parser || !dec)
        return sg_ctx_errorf(ctx, SG_EINVAL, "%s: emits lines without a line format", ctx->name);
    ctx->line_no = line_no;
    ctx->raw_line.data = data;
    ctx->raw_line.len = len;
    int rc = sg__row_parse(ctx->parser, data, len, &row, &reason);
    if (rc == SG_NOTFOUND) /* a blank line, or a CSV header */
        return SG_OK;
    ctx->counters->read++;
    if (rc == SG_EINVAL) {
        sg_ctx_reject(dec, NULL, reason);
        return SG_OK;
    }
    if (rc < 0)
        return sg_ctx_errorf(ctx, rc, "%s: cannot parse line %llu: %s", ctx->name,
                             (unsigned long long)line_no, sg_strerror(rc));
    rc = dec->dec.decode(dec, row, dec->dec.udata);
    sg__scratch_reset(&dec->scratch); /* the decoder's scratch lives for one line */
    if (rc < 0 && !ctx->errmsg[0])
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s",
                 dec->errmsg[0] ? dec->errmsg : sg_strerror(rc));
    return rc;
}

const char *sg_sink_header(const sg_ctx *ctx)
{
    return ctx->has_enc ? ctx->enc.header : NULL;
}
