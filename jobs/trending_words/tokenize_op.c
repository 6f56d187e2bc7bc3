/* The tokenizing operator: a custom operator whose instances each own a tokenizer
 * (its buffers are reused, so instances must not share one). */
#include "tokenize.h"
#include "trending.h"

typedef struct tokenize_self {
    tw_tokenizer *tok;
} tokenize_self;

typedef struct emit_state {
    sg_ctx *ctx;
    sg_time ts;
} emit_state;

static int tok_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    tokenize_self *s = self;
    const tw_config *cfg = sg_ctx_udata(ctx);
    char err[512];
    SG_UNUSED(restore);
    if (tw_tokenizer_new(cfg->stopwords, &s->tok, err, sizeof(err)) < 0)
        return sg_ctx_errorf(ctx, SG_EIO, "%s", err);
    return SG_OK;
}

static int emit_token(const char *tok, size_t len, void *ud)
{
    emit_state *e = ud;
    sg_bytes none = {0}, word = {tok, len};
    return sg_emit(e->ctx, e->ts, none, word);
}

static int tok_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    tokenize_self *s = self;
    emit_state e = {ctx, rec->ts};
    SG_UNUSED(port);
    int rc = tw_tokenize(s->tok, rec->value.data, rec->value.len, emit_token, &e);
    if (rc < 0)
        return sg_ctx_errorf(ctx, rc, "tokenize: %s", sg_strerror(rc));
    return SG_OK;
}

static void tok_close(sg_ctx *ctx, void *self)
{
    SG_UNUSED(ctx);
    tw_tokenizer_free(((tokenize_self *)self)->tok);
}

const sg_operator_def tw_tokenize_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "tokenize",
    .self_size = sizeof(tokenize_self),
    .n_inputs = 1,
    .open = tok_open,
    .process = tok_process,
    .close = tok_close,
};

int tw_check_stopwords(sg_job *job, const tw_config *cfg)
{
    tw_tokenizer *t;
    char err[512];
    if (tw_tokenizer_new(cfg->stopwords, &t, err, sizeof(err)) < 0)
        return sg_job_errorf(job, SG_EUSAGE, "%s", err);
    tw_tokenizer_free(t);
    return SG_OK;
}
