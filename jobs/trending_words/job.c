/* trending_words: trending topics in Indian social media, Hindi and English mixed.
 *
 *   posts (JSON Lines or gen:posts) -> tokenize -> key by word
 *     -> sliding event-time window count -> top N per window -> CSV
 *
 * Output: window_start,window_end,rank,word,count for every window holding at least
 * one token, its top --top words by count (ties: word ascending by bytes), ordered by
 * window_start then rank, the same at every parallelism. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

#include "trending.h"

typedef struct tw_options {
    const char *input, *output, *stopwords;
    int64_t window_ms, slide_ms, top, max_delay_ms;
} tw_options;

/* ---- Decoding posts ------------------------------------------------------------- */

static int decode_post(sg_ctx *ctx, const sg_row *row, void *udata)
{
    int64_t ts;
    sg_bytes text;
    SG_UNUSED(udata);
    int rc = sg_row_get_i64(row, "ts", &ts);
    if (rc != SG_OK) {
        sg_ctx_reject(ctx, NULL,
                      rc == SG_NOTFOUND ? "missing field \"ts\""
                                        : "field \"ts\" is not an integer (int64 ms)");
        return SG_OK;
    }
    if ((rc = sg_row_get_str(row, "text", &text)) != SG_OK) {
        sg_ctx_reject(ctx, NULL,
                      rc == SG_NOTFOUND ? "missing field \"text\""
                                        : "field \"text\" is not a string");
        return SG_OK;
    }
    sg_bytes none = {0};
    return sg_emit(ctx, ts, none, text);
}

/* ---- Counting words in windows -------------------------------------------------- */

static int key_is_word(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    *key = in->value;
    return SG_OK;
}

/* A window's count of one word: the word is the key, this struct the value. */
static int count_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                        void *udata)
{
    tw_count c = {.start = start, .end = end};
    SG_UNUSED(udata);
    memcpy(&c.count, acc, sizeof(c.count));
    sg_bytes value = {&c, sizeof(c)};
    return sg_emit(ctx, end - 1, key, value);
}

static const sg_aggregate_def count_agg = {
    .abi = SG_AGGREGATE_ABI_1,
    .acc_size = sizeof(uint64_t),
    .add = sg_count_add,
    .merge = sg_count_merge,
    .result = count_result,
};

/* ---- Output ---------------------------------------------------------------------- */

static int encode_rank(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    tw_ranked r;
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&r, rec->value.data, sizeof(r));
    if ((rc = sg_line_add_i64(line, r.start)) < 0 || (rc = sg_line_add_i64(line, r.end)) < 0 ||
        (rc = sg_line_add_u64(line, r.rank)) < 0 ||
        (rc = sg_line_add_str(line, rec->key.data, rec->key.len)) < 0)
        return rc;
    return sg_line_add_u64(line, r.count);
}

/* The stopwords file shipped beside the job: <dir of this .so>/trending_words/. */
static const char *default_stopwords(char *buf, size_t len)
{
    Dl_info info;
    char so[PATH_MAX];
    if (!dladdr((void *)(uintptr_t)default_stopwords, &info) || !info.dli_fname)
        return "jobs/trending_words/stopwords.txt";
    snprintf(so, sizeof(so), "%s", info.dli_fname);
    snprintf(buf, len, "%s/trending_words/stopwords.txt", dirname(so));
    return buf;
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    static char stopwords_buf[PATH_MAX];
    tw_options o = {
        .window_ms = 300000,
        .slide_ms = 60000,
        .top = 10,
        .max_delay_ms = 5000,
        .stopwords = default_stopwords(stopwords_buf, sizeof(stopwords_buf)),
    };
    sg_option opts[] = {
        {"input", SG_OPT_STR, &o.input, "posts: file:PATH.jsonl or gen:posts?count=N&...", true, 0},
        {"output", SG_OPT_STR, &o.output, "ranked words: file:PATH.csv (or null:)", true, 0},
        {"window-ms", SG_OPT_I64, &o.window_ms, "window size", false, 1},
        {"slide-ms", SG_OPT_I64, &o.slide_ms, "window slide", false, 1},
        {"top", SG_OPT_I64, &o.top, "words per window", false, 1},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms, "watermark delay (out-of-orderness)", false,
         0},
        {"stopwords", SG_OPT_STR, &o.stopwords, "stopwords file", false, 0},
    };
    int rc = sg_job_parse_options(job,
                                  "trending_words: top words per sliding window of Hindi and "
                                  "English posts.\n"
                                  "Generator: gen:posts?count=N&rate=POSTS_PER_S&seed=S&"
                                  "start=MS&disorder=MS",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    if (o.slide_ms > o.window_ms)
        return sg_job_errorf(job, SG_EUSAGE, "--slide-ms (%lld) must not exceed --window-ms (%lld)",
                             (long long)o.slide_ms, (long long)o.window_ms);
    if (o.top > 1000000)
        return sg_job_errorf(job, SG_EUSAGE, "--top must be at most 1000000");

    tw_config *cfg = sg_job_alloc(job, sizeof(*cfg));
    if (!cfg)
        return sg_job_status(job);
    cfg->top = (size_t)o.top;
    snprintf(cfg->stopwords, sizeof(cfg->stopwords), "%s", o.stopwords);
    if ((rc = tw_check_stopwords(job, cfg)) < 0)
        return rc;
    if ((rc = sg_job_register_generator(job, "posts", &tw_post_generator)) < 0)
        return rc;

    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = decode_post};
    sg_encoder enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "window_start,window_end,rank,word,count",
        .encode = encode_rank,
    };
    sg_window win = {.size_ms = o.window_ms, .slide_ms = o.slide_ms};
    sg_stream *posts =
        sg_stream_watermarks(sg_job_source(job, "posts", o.input, &dec), o.max_delay_ms);
    sg_stream *words = sg_stream_process(posts, &tw_tokenize_op, cfg);
    sg_stream *by_word = sg_stream_key_by(words, "by-word", key_is_word, NULL);
    sg_stream *counts = sg_stream_window_aggregate(by_word, "word-counts", &win, &count_agg, NULL);
    sg_stream *top = sg_stream_set_parallelism(sg_stream_process(counts, &tw_top_op, cfg), 1);
    sg_stream_sink(top, "output", o.output, &enc);
    return sg_job_status(job);
}
