/* keycount: the pure engine benchmark — no text, no parsing.
 *
 *   gen:keys (parallel, records straight from sg_emit) -> key_by key id
 *     -> tumbling event-time window count (u64 accumulator) -> null: (or a CSV file)
 *
 * Event seq (0 <= seq < count) has event time start + seq * 1000 / rate, key = an
 * 8-byte key id, a cheap hash of (seq, seed) modulo keys (uniform), and an 8-byte
 * value (seq). Instance i of P emits seq i, i + P, i + 2P, ..., so the run holds the
 * same events at every parallelism and each instance's timestamps never decrease
 * (watermarks with no delay are exact).
 *
 * With the defaults (10 M events at 1 M events per second of event time, 100 K keys,
 * 1 s windows) the run has 10 windows, each with ~10 events per key, and emits
 * ~1 M counts. Output with --output file:PATH.csv: window_start,window_end,key,count. */
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

/* ---- The generator --------------------------------------------------------------- */

/* Checkpoints: each instance's position is its next seq and its stride:
 * u64 version (1) | u64 next | u64 step. */
#define KS_SNAP_VERSION 1u

typedef struct keys_source {
    uint64_t next, count, step, keys, seed;
    int64_t start, rate;
} keys_source;

/* splitmix64's finaliser: a few multiplies, uniform enough for picking keys. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int ks_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    keys_source *ks = self;
    int64_t count = 10000000, keys = 100000, seed = 42, rate = 1000000, start = 1732500000000;
    int rc;
    if ((rc = sg_ctx_params_check(ctx, "count,keys,seed,rate,start")) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "count", &count)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "keys", &keys)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "seed", &seed)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "rate", &rate)) < 0 ||
        (rc = sg_ctx_param_i64(ctx, "start", &start)) < 0)
        return rc;
    if (count < 0 || keys < 1 || rate < 1 || rate > 1000000000 || start < 0)
        return sg_ctx_errorf(ctx, SG_EINVAL,
                             "%s: need count >= 0, keys >= 1, rate in 1..1e9, start >= 0",
                             sg_ctx_uri(ctx));
    ks->next = (uint64_t)sg_ctx_subtask(ctx);
    ks->step = (uint64_t)sg_ctx_parallelism(ctx);
    ks->count = (uint64_t)count;
    ks->keys = (uint64_t)keys;
    ks->seed = (uint64_t)seed;
    ks->start = start;
    ks->rate = rate;
    if (restore) {
        uint64_t version = 0, step = 0;
        if (sg_snap_get_u64(restore, &version) < 0 || version != KS_SNAP_VERSION ||
            sg_snap_get_u64(restore, &ks->next) < 0 || sg_snap_get_u64(restore, &step) < 0 ||
            step != ks->step || ks->next % step != (uint64_t)sg_ctx_subtask(ctx))
            return sg_ctx_errorf(ctx, SG_ESERDE,
                                 "%s: the checkpoint's position does not fit instance %d of %d",
                                 sg_ctx_uri(ctx), sg_ctx_subtask(ctx), sg_ctx_parallelism(ctx));
    }
    return SG_OK;
}

static int ks_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const keys_source *ks = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_u64(out, KS_SNAP_VERSION)) < 0 ||
        (rc = sg_snap_put_u64(out, ks->next)) < 0)
        return rc;
    return sg_snap_put_u64(out, ks->step);
}

static int ks_poll(sg_ctx *ctx, void *self, size_t budget)
{
    keys_source *ks = self;
    for (; budget > 0 && ks->next < ks->count; budget--, ks->next += ks->step) {
        uint64_t seq = ks->next;
        uint64_t key = mix64(seq ^ ks->seed * 0x9e3779b97f4a7c15ULL) % ks->keys;
        /* seq * 1000 stays far below 2^63 for any count a run can reach. */
        sg_time ts = ks->start + (sg_time)(seq * 1000 / (uint64_t)ks->rate);
        sg_bytes k = {&key, sizeof(key)}, v = {&seq, sizeof(seq)};
        int rc = sg_emit(ctx, ts, k, v);
        if (rc < 0)
            return rc;
    }
    return ks->next < ks->count ? SG_OK : SG_EOF;
}

static const sg_source_def keys_generator = {
    .abi = SG_SOURCE_ABI_1,
    .name = "keys",
    .self_size = sizeof(keys_source),
    .flags = SG_SOURCE_PARALLEL,
    .open = ks_open,
    .poll = ks_poll,
    .snapshot = ks_snapshot,
};

/* ---- Counting keys in windows ---------------------------------------------------- */

/* The generator already put the key id in the record's key. */
static int key_is_id(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    *key = in->key;
    return SG_OK;
}

typedef struct kc_count {
    sg_time start, end;
    uint64_t count;
} kc_count;

static int count_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                        void *udata)
{
    kc_count c = {.start = start, .end = end};
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

static int encode_count(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    kc_count c;
    uint64_t key = 0;
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&c, rec->value.data, sizeof(c));
    memcpy(&key, rec->key.data, rec->key.len < sizeof(key) ? rec->key.len : sizeof(key));
    if ((rc = sg_line_add_i64(line, c.start)) < 0 || (rc = sg_line_add_i64(line, c.end)) < 0 ||
        (rc = sg_line_add_u64(line, key)) < 0)
        return rc;
    return sg_line_add_u64(line, c.count);
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    int64_t count = 10000000, keys = 100000, window_ms = 1000, rate = 1000000, seed = 42;
    const char *output = "null:", *input = NULL;
    sg_option opts[] = {
        {"count", SG_OPT_I64, &count, "events in total", false, 0},
        {"keys", SG_OPT_I64, &keys, "distinct keys", false, 1},
        {"rate", SG_OPT_I64, &rate, "events per second of event time", false, 1},
        {"seed", SG_OPT_I64, &seed, "key choice seed", false, 0},
        {"window-ms", SG_OPT_I64, &window_ms, "tumbling window size", false, 1},
        {"input", SG_OPT_STR, &input,
         "events (default: gen:keys?count=&keys=&seed=&rate= from the options above)", false, 0},
        {"output", SG_OPT_STR, &output, "counts: null: or file:PATH.csv", false, 0},
    };
    int rc = sg_job_parse_options(job,
                                  "keycount: benchmark of the engine alone — generated keyed "
                                  "events, tumbling window count per key, no parsing.\n"
                                  "Generator: gen:keys?count=N&keys=K&seed=S&rate=EVENTS_PER_S&"
                                  "start=MS",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    if (rate > 1000000000)
        return sg_job_errorf(job, SG_EUSAGE, "--rate must be at most 1000000000");
    if ((rc = sg_job_register_generator(job, "keys", &keys_generator)) < 0)
        return rc;

    char *uri = NULL;
    if (!input) {
        uri = sg_job_alloc(job, 160);
        if (!uri)
            return sg_job_status(job);
        snprintf(uri, 160, "gen:keys?count=%lld&keys=%lld&seed=%lld&rate=%lld", (long long)count,
                 (long long)keys, (long long)seed, (long long)rate);
        input = uri;
    }
    sg_encoder enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "window_start,window_end,key,count",
        .encode = encode_count,
    };
    sg_window win = {.size_ms = window_ms, .slide_ms = window_ms};
    sg_stream *events = sg_stream_watermarks(sg_job_source(job, "keys", input, NULL), 0);
    sg_stream *by_key = sg_stream_key_by(events, "by-key", key_is_id, NULL);
    sg_stream *counts = sg_stream_window_aggregate(by_key, "key-counts", &win, &count_agg, NULL);
    /* null: gets no encoder, so that the benchmark measures the engine, not CSV. */
    sg_stream_sink(counts, "output", output, strncmp(output, "file:", 5) == 0 ? &enc : NULL);
    return sg_job_status(job);
}
