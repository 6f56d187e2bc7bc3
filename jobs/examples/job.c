/* examples: click alerts, the job that docs/operators.md walks through.
 *
 *   clicks (JSON Lines or gen:clicks) -> key by user
 *     -> threshold-alert (custom operator, threshold_op.c) -> CSV
 *
 * Output: kind,user,window_start,window_end,count,ts. An "alert" row as soon as a
 * user's clicks in a tumbling window reach --threshold (ts: the click that did it),
 * and a "closed" row with the window's total once the watermark passes the window
 * (ts: window_end - 1), for users that alerted in it. */
#include <string.h>

#include <sangam/sangam.h>

#include "threshold.h"

/* ---- Input: one JSON object per line, {"ts": MS, "user": "...", ...} ---------------- */

static int decode_click(sg_ctx *ctx, const sg_row *row, void *udata)
{
    int64_t ts;
    sg_bytes user;
    int rc;
    SG_UNUSED(udata);
    /* A bad line is rejected (counted, shown, dead-lettered), never a job failure. */
    if ((rc = sg_row_get_i64(row, "ts", &ts)) != SG_OK) {
        sg_ctx_reject(ctx, NULL,
                      rc == SG_NOTFOUND ? "missing field \"ts\""
                                        : "field \"ts\" is not an integer (ms)");
        return SG_OK;
    }
    if ((rc = sg_row_get_str(row, "user", &user)) != SG_OK || user.len == 0) {
        sg_ctx_reject(ctx, NULL,
                      rc == SG_NOTFOUND ? "missing field \"user\""
                                        : "field \"user\" is not a non-empty string");
        return SG_OK;
    }
    sg_bytes none = {0};
    return sg_emit(ctx, ts, none, user); /* user is borrowed from the row: emit copies it */
}

/* The record's value is the user: it becomes the key. */
static int key_by_user(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    *key = in->value;
    return SG_OK;
}

/* ---- Output: one CSV line per record ------------------------------------------------ */

static int encode_alert(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    ex_alert a;
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&a, rec->value.data, sizeof(a)); /* values carry no alignment promise */
    if ((rc = sg_line_add_cstr(line, a.kind == EX_ALERT ? "alert" : "closed")) < 0 ||
        (rc = sg_line_add_str(line, rec->key.data, rec->key.len)) < 0 ||
        (rc = sg_line_add_i64(line, a.start)) < 0 || (rc = sg_line_add_i64(line, a.end)) < 0 ||
        (rc = sg_line_add_u64(line, a.count)) < 0)
        return rc;
    return sg_line_add_i64(line, rec->ts);
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    int64_t window_ms = 60000, threshold = 100, max_delay_ms = 5000;
    sg_option opts[] = {
        {"input", SG_OPT_STR, &input, "clicks: file:PATH.jsonl or gen:clicks?count=N&...", true, 0},
        {"output", SG_OPT_STR, &output, "alerts: file:PATH.csv (or null:)", true, 0},
        {"window-ms", SG_OPT_I64, &window_ms, "tumbling window size", false, 1},
        {"threshold", SG_OPT_I64, &threshold, "clicks per user and window that alert", false, 1},
        {"max-delay-ms", SG_OPT_I64, &max_delay_ms, "watermark delay (out-of-orderness)", false, 0},
    };
    int rc = sg_job_parse_options(job,
                                  "examples: alert when a user's clicks in a tumbling window "
                                  "reach a threshold.\n"
                                  "Generator: gen:clicks?count=N&rate=CLICKS_PER_S&users=U&"
                                  "bots=B&seed=S&start=MS&disorder=MS",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc; /* SG_HELP or SG_EUSAGE, with the message already in the job */

    /* The operator's udata must outlive sg_job_main: job memory, not the stack. */
    ex_threshold_config *cfg = sg_job_alloc(job, sizeof(*cfg));
    if (!cfg)
        return sg_job_status(job);
    cfg->window_ms = window_ms;
    cfg->threshold = (uint64_t)threshold;
    if ((rc = sg_job_register_generator(job, "clicks", &ex_click_source)) < 0)
        return rc;

    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = decode_click};
    sg_encoder enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "kind,user,window_start,window_end,count,ts",
        .encode = encode_alert,
    };
    /* Building is sticky on error: build everything, check once at the end. */
    sg_stream *clicks =
        sg_stream_watermarks(sg_job_source(job, "clicks", input, &dec), max_delay_ms);
    sg_stream *by_user = sg_stream_key_by(clicks, "by-user", key_by_user, NULL);
    sg_stream *alerts = sg_stream_process(by_user, &ex_threshold_op, cfg);
    sg_stream_sink(alerts, "output", output, &enc);
    return sg_job_status(job);
}
