/* ecommerce_sessions: clickstream session analytics for an Indian e-commerce site.
 *
 *   events (JSON Lines / CSV file, or gen:ecommerce)       decode.c: validate, reject
 *     -> watermarks (bounded out-of-orderness, --max-delay-ms)
 *     -> key by user
 *     -> event-time session windows, gap --gap-ms          operators/session.c
 *        with the session aggregate                         session_agg.c
 *     -> CSV sink (one file, parallelism 1)
 *
 * Output: user,session_start,session_end,events,views,carts,purchases,revenue_paise,
 * converted — one line per closed session, in firing order: session_start is the
 * earliest event's ts, session_end the latest event's ts + gap (Flink's merged session
 * window), revenue_paise the sum of purchase amounts, converted 1 if the session holds
 * a purchase. The same lines at every parallelism: the source is one instance (a file,
 * or the generator), and each record carries its source's watermark.
 *
 * Late events: an event is late when the session it would belong to, after merging
 * with the user's open sessions, has closed already, i.e. its end - 1 is at or below
 * the watermark the event carries (the max ts read before it, less --max-delay-ms,
 * less 1). A late event is dropped and counted in the run summary; an event that
 * reaches back into a closed session but is within gap of an open one joins that one.
 * Bad records (decode.c) are counted and dead-lettered. */
#include <sangam/sangam.h>

#include "ecom.h"

typedef struct ec_options {
    const char *input, *output;
    int64_t gap_ms, max_delay_ms;
} ec_options;

/* The user's bytes follow the event header in the value (decode.c). */
static int key_is_user(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    key->data = (const char *)in->value.data + sizeof(ec_event);
    key->len = in->value.len - sizeof(ec_event);
    return SG_OK;
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    ec_options o = {.gap_ms = 1800000, .max_delay_ms = 5000};
    sg_option opts[] = {
        {"input", SG_OPT_STR, &o.input, "events: file:PATH.jsonl or gen:ecommerce?count=N&...",
         true, 0},
        {"output", SG_OPT_STR, &o.output, "sessions: file:PATH.csv (or null:)", true, 0},
        {"gap-ms", SG_OPT_I64, &o.gap_ms, "session gap: a user idle this long ends a session",
         false, 1},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms, "watermark delay (out-of-orderness)", false,
         0},
    };
    int rc = sg_job_parse_options(job,
                                  "ecommerce_sessions: per-user clickstream sessions, with their "
                                  "views, carts, purchases and revenue.\n"
                                  "Generator: gen:ecommerce?count=N&rate=EVENTS_PER_S&seed=S&"
                                  "start=MS&disorder=MS&users=N",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    ec_config *cfg = sg_job_alloc(job, sizeof(*cfg));
    if (!cfg)
        return sg_job_status(job);
    cfg->gap_ms = o.gap_ms;
    if ((rc = sg_job_register_generator(job, "ecommerce", &ec_event_generator)) < 0)
        return rc;

    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = ec_decode, .udata = cfg};
    sg_encoder enc = {.abi = SG_ENCODER_ABI_1, .header = EC_HEADER, .encode = ec_encode_session};
    sg_stream *events =
        sg_stream_watermarks(sg_job_source(job, "events", o.input, &dec), o.max_delay_ms);
    sg_stream *by_user = sg_stream_key_by(events, "by-user", key_is_user, NULL);
    sg_stream *sessions =
        sg_stream_session_aggregate(by_user, "sessions", o.gap_ms, &ec_session_agg, cfg);
    sg_stream_sink(sessions, "output", o.output, &enc);
    return sg_job_status(job);
}
