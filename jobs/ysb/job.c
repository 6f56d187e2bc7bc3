/* ysb: the Yahoo Streaming Benchmark in its single-process form.
 *
 *   ad events (gen:ysb, parallel; or a JSON Lines file)      ysb_source.c / decode.c
 *     -> watermarks (--max-delay-ms, default 0: the generator is in order)
 *     -> filter event_type == view (1 in 3)
 *     -> project to (event_time, ad)         the record's first 12 bytes, no copy
 *     -> join ad -> campaign                 a flat table indexed by compact ad id
 *     -> key by campaign (100 keys)
 *     -> tumbling event-time count, --window-ms (10000)
 *     -> CSV campaign_id,window_start,window_end,count
 *
 * The filter, projection and join run before key_by, on the source's worker, so only
 * the views' 4-byte campaign ids cross between workers. The campaign table (100
 * campaigns x 10 ads, every id a UUID) is a function of the seed: the gen:ysb URI's
 * seed= (default 1) when the input is the generator, else --seed (default 1), which
 * must then be the seed the file's events were generated with. */
#include <stdio.h>
#include <string.h>

#include "ysb.h"

typedef struct ysb_options {
    const char *input, *output;
    int64_t window_ms, max_delay_ms, seed;
} ysb_options;

typedef struct ysb_count {
    sg_time start, end;
    uint64_t count;
} ysb_count;

static bool is_view(sg_ctx *ctx, const sg_record *in, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    const unsigned char *v = in->value.data;
    return in->value.len == sizeof(ysb_event) &&
           v[offsetof(ysb_event, event_type)] == (unsigned char)YSB_VIEW;
}

static int project(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(in);
    SG_UNUSED(udata);
    out->value.len = YSB_VIEW_LEN; /* (event_time, ad): the prefix of the event */
    return SG_OK;
}

static int join_campaign(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata)
{
    const ysb_config *cfg = udata;
    uint32_t ad;
    memcpy(&ad, (const char *)in->value.data + offsetof(ysb_event, ad), sizeof(ad));
    if (ad >= YSB_ADS) /* both sources check ads; this would be a bug upstream */
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "ad %u is not in the campaign table", ad);
    out->value.data = &cfg->campaign_index[cfg->ads.campaign_of[ad]];
    out->value.len = sizeof(uint32_t);
    return SG_OK;
}

static int key_is_campaign(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    *key = in->value;
    return SG_OK;
}

static int count_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                        void *udata)
{
    ysb_count c = {.start = start, .end = end};
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

static int encode_count(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    const ysb_config *cfg = udata;
    ysb_count c;
    uint32_t campaign;
    int rc;
    if (rec->key.len != sizeof(campaign) || rec->value.len != sizeof(c))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "unexpected window result");
    memcpy(&campaign, rec->key.data, sizeof(campaign));
    memcpy(&c, rec->value.data, sizeof(c));
    if (campaign >= YSB_CAMPAIGNS)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "campaign %u out of range", campaign);
    if ((rc = sg_line_add_str(line, cfg->ads.campaign_uuid[campaign], YSB_UUID_LEN)) < 0 ||
        (rc = sg_line_add_i64(line, c.start)) < 0 || (rc = sg_line_add_i64(line, c.end)) < 0)
        return rc;
    return sg_line_add_u64(line, c.count);
}

/* The campaign table's seed: see the header comment. */
static int pick_seed(sg_job *job, const ysb_options *o, uint64_t *seed)
{
    int64_t uri_seed = YSB_DEFAULT_SEED;
    int rc = ysb_uri_seed(o->input, &uri_seed);
    if (rc == SG_EINVAL)
        return sg_job_errorf(job, SG_EUSAGE, "--input %s: seed must be a decimal integer",
                             o->input);
    if (rc == SG_OK && o->seed >= 0 && o->seed != uri_seed)
        return sg_job_errorf(job, SG_EUSAGE, "--seed %lld differs from the generator's seed=%lld",
                             (long long)o->seed, (long long)uri_seed);
    *seed = (uint64_t)(o->seed >= 0 ? o->seed : uri_seed);
    return SG_OK;
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    ysb_options o = {.window_ms = 10000, .max_delay_ms = 0, .seed = -1};
    sg_option opts[] = {
        {"input", SG_OPT_STR, &o.input, "ad events: gen:ysb?count=N&... or file:PATH.jsonl", true,
         0},
        {"output", SG_OPT_STR, &o.output, "counts: file:PATH.csv (or null:)", true, 0},
        {"window-ms", SG_OPT_I64, &o.window_ms, "tumbling window size", false, 1},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms, "watermark delay (out-of-orderness)", false,
         0},
        {"seed", SG_OPT_I64, &o.seed,
         "seed of the campaign table (default: the generator's seed=, else 1)", false, 0},
    };
    int rc = sg_job_parse_options(job,
                                  "ysb: the Yahoo Streaming Benchmark: views per campaign in "
                                  "tumbling event-time windows.\n"
                                  "Generator: gen:ysb?count=N&rate=EVENTS_PER_S&seed=S&start=MS&"
                                  "users=N&pages=N",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    if (o.window_ms > INT64_C(1) << 40)
        return sg_job_errorf(job, SG_EUSAGE, "--window-ms must be at most 2^40");
    uint64_t seed = YSB_DEFAULT_SEED;
    if ((rc = pick_seed(job, &o, &seed)) < 0)
        return rc;
    ysb_config *cfg = sg_job_alloc(job, sizeof(*cfg));
    if (!cfg)
        return sg_job_status(job);
    ysb_ads_init(&cfg->ads, seed);
    for (uint32_t c = 0; c < YSB_CAMPAIGNS; c++)
        cfg->campaign_index[c] = c;
    if ((rc = sg_job_register_generator(job, "ysb", &ysb_generator)) < 0)
        return rc;

    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = ysb_decode, .udata = &cfg->ads};
    sg_encoder enc = {
        .abi = SG_ENCODER_ABI_1, .header = YSB_HEADER, .encode = encode_count, .udata = cfg};
    sg_window win = {.size_ms = o.window_ms};
    /* The generator emits records, which need no decoder; files emit lines. */
    bool generated = strncmp(o.input, "gen:", 4) == 0;
    sg_stream *events = sg_stream_watermarks(
        sg_job_source(job, "events", o.input, generated ? NULL : &dec), o.max_delay_ms);
    sg_stream *views = sg_stream_filter(events, "views", is_view, NULL);
    sg_stream *projected = sg_stream_map(views, "project", project, NULL);
    sg_stream *joined = sg_stream_map(projected, "join-campaign", join_campaign, cfg);
    sg_stream *by_campaign = sg_stream_key_by(joined, "by-campaign", key_is_campaign, NULL);
    sg_stream *counts =
        sg_stream_window_aggregate(by_campaign, "campaign-counts", &win, &count_agg, NULL);
    sg_stream_sink(counts, "output", o.output, &enc);
    return sg_job_status(job);
}
