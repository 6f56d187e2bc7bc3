/* upi_fraud: real-time fraud scoring of UPI payments.
 *
 *   transactions (JSON Lines or gen:upi) -> watermarks -> key by payer --+
 *                                                                       +-> upi-fraud -> CSV
 *   logins (optional; JSON Lines or gen:upi_logins) -> watermarks       |   (fraud_op.c)
 *     -> key by payer --------------------------------------------------+
 *
 * Without --logins the operator has one input (upi_fraud_op) and no_login is 0; with
 * it the two keyed streams are connected (upi_fraud_op2) and meet per payer.
 *
 * Per payer, transactions are scored in event-time order (equal ts in input order)
 * once the watermark passes them: features over the payer's earlier transactions
 * (profile.c), a logistic model from the model file (model.c), and one output line
 * per transaction:
 *   ts,txn_id,payer,velocity_60s,amount_5m_paise,new_device,new_payee,city_jump,
 *   no_login,score,alert
 *
 * Late records: a transaction or login whose ts is at or below the watermark it
 * carries (its own input's max ts so far - --max-delay-ms - 1) is dropped and counted
 * in "late records dropped". Bad records (a missing field, a wrong type, amount_paise
 * <= 0) are counted and dead-lettered by the decoders below. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sangam/sangam.h>

#include "upi.h"

/* ---- Decoding ------------------------------------------------------------------------------ */

/* Reads a string field, or rejects the line naming the field; false when rejected. */
static bool get_str(sg_ctx *ctx, const sg_row *row, const char *field, sg_bytes *out)
{
    char reason[64];
    int rc = sg_row_get_str(row, field, out);
    if (rc == SG_OK)
        return true;
    snprintf(reason, sizeof(reason),
             rc == SG_NOTFOUND ? "missing field \"%s\"" : "field \"%s\" is not a string", field);
    sg_ctx_reject(ctx, NULL, reason);
    return false;
}

static bool get_i64(sg_ctx *ctx, const sg_row *row, const char *field, int64_t *out)
{
    char reason[64];
    int rc = sg_row_get_i64(row, field, out);
    if (rc == SG_OK)
        return true;
    snprintf(reason, sizeof(reason),
             rc == SG_NOTFOUND ? "missing field \"%s\"" : "field \"%s\" is not an integer (int64)",
             field);
    sg_ctx_reject(ctx, NULL, reason);
    return false;
}

/* INT64_MIN is the engine's "no watermark yet": a record there could only be late. */
#define TS_MIN_REASON "field \"ts\" must be above -9223372036854775808"

static int decode_txn(sg_ctx *ctx, const sg_row *row, void *udata)
{
    upi_txn t;
    sg_bytes none = {0};
    SG_UNUSED(udata);
    if (!get_i64(ctx, row, "ts", &t.ts) || !get_str(ctx, row, "txn_id", &t.txn_id) ||
        !get_str(ctx, row, "payer", &t.payer) || !get_str(ctx, row, "payee", &t.payee) ||
        !get_i64(ctx, row, "amount_paise", &t.amount_paise) ||
        !get_str(ctx, row, "device", &t.device) || !get_str(ctx, row, "city", &t.city))
        return SG_OK;
    if (t.ts == SG_TIME_MIN) {
        sg_ctx_reject(ctx, NULL, TS_MIN_REASON);
        return SG_OK;
    }
    if (t.amount_paise <= 0) {
        sg_ctx_reject(ctx, NULL, "field \"amount_paise\" must be positive");
        return SG_OK;
    }
    void *buf = sg_scratch_alloc(ctx, upi_txn_size(&t));
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    upi_txn_write(&t, buf);
    sg_bytes value = {buf, upi_txn_size(&t)};
    return sg_emit(ctx, t.ts, none, value);
}

static int decode_login(sg_ctx *ctx, const sg_row *row, void *udata)
{
    upi_login l;
    sg_bytes none = {0};
    SG_UNUSED(udata);
    if (!get_i64(ctx, row, "ts", &l.ts) || !get_str(ctx, row, "payer", &l.payer) ||
        !get_str(ctx, row, "device", &l.device))
        return SG_OK;
    if (l.ts == SG_TIME_MIN) {
        sg_ctx_reject(ctx, NULL, TS_MIN_REASON);
        return SG_OK;
    }
    void *buf = sg_scratch_alloc(ctx, upi_login_size(&l));
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    upi_login_write(&l, buf);
    sg_bytes value = {buf, upi_login_size(&l)};
    return sg_emit(ctx, l.ts, none, value);
}

static int key_txn(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    upi_txn t;
    SG_UNUSED(udata);
    if (!upi_txn_read(in->value, &t))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "upi_fraud: malformed transaction record");
    *key = t.payer; /* points into in */
    return SG_OK;
}

static int key_login(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    upi_login l;
    SG_UNUSED(udata);
    if (!upi_login_read(in->value, &l))
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "upi_fraud: malformed login record");
    *key = l.payer;
    return SG_OK;
}

/* ---- Output -------------------------------------------------------------------------------- */

static int encode_scored(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    upi_scored s;
    const char *id = (const char *)rec->value.data + sizeof(s);
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&s, rec->value.data, sizeof(s)); /* values carry no alignment promise */
    if ((rc = sg_line_add_i64(line, rec->ts)) < 0 ||
        (rc = sg_line_add_str(line, id, s.txn_id_len)) < 0 ||
        (rc = sg_line_add_str(line, rec->key.data, rec->key.len)) < 0 ||
        (rc = sg_line_add_i64(line, s.velocity_60s)) < 0 ||
        (rc = sg_line_add_i64(line, s.amount_5m_paise)) < 0 ||
        (rc = sg_line_add_i64(line, s.new_device)) < 0 ||
        (rc = sg_line_add_i64(line, s.new_payee)) < 0 ||
        (rc = sg_line_add_i64(line, s.city_jump)) < 0 ||
        (rc = sg_line_add_i64(line, s.no_login)) < 0 ||
        (rc = sg_line_add_f64(line, s.score, 6)) < 0)
        return rc;
    return sg_line_add_i64(line, s.alert);
}

/* ---- The job ------------------------------------------------------------------------------- */

/* The model shipped beside the job (<dir of this .so>/upi_fraud/model.json), else the
 * one in the source tree, for runs from the repository's root. */
static const char *default_model(char *buf, size_t len)
{
    Dl_info info;
    char so[PATH_MAX];
    if (dladdr((void *)(uintptr_t)default_model, &info) && info.dli_fname) {
        snprintf(so, sizeof(so), "%s", info.dli_fname);
        snprintf(buf, len, "%s/upi_fraud/model.json", dirname(so));
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return "jobs/upi_fraud/model.json";
}

typedef struct upi_options {
    const char *input, *output, *logins, *model;
    double threshold;
    int64_t max_delay_ms;
} upi_options;

static int build(sg_job *job, const upi_options *o, upi_config *cfg)
{
    sg_decoder txn_dec = {.abi = SG_DECODER_ABI_1, .decode = decode_txn};
    sg_decoder login_dec = {.abi = SG_DECODER_ABI_1, .decode = decode_login};
    sg_encoder enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "ts,txn_id,payer,velocity_60s,amount_5m_paise,new_device,new_payee,city_jump,"
                  "no_login,score,alert",
        .encode = encode_scored,
    };
    int rc;
    if ((rc = sg_job_register_generator(job, "upi", &upi_txn_generator)) < 0 ||
        (rc = sg_job_register_generator(job, "upi_logins", &upi_login_generator)) < 0)
        return rc;
    /* Building is sticky on error: build everything, check once at the end. */
    sg_stream *txns = sg_stream_watermarks(sg_job_source(job, "transactions", o->input, &txn_dec),
                                           o->max_delay_ms);
    sg_stream *by_payer = sg_stream_key_by(txns, "by-payer", key_txn, NULL);
    sg_stream *scored;
    if (o->logins) {
        sg_stream *logins = sg_stream_watermarks(
            sg_job_source(job, "logins", o->logins, &login_dec), o->max_delay_ms);
        sg_stream *logins_by_payer = sg_stream_key_by(logins, "logins-by-payer", key_login, NULL);
        scored = sg_stream_connect(by_payer, logins_by_payer, &upi_fraud_op2, cfg);
    } else {
        scored = sg_stream_process(by_payer, &upi_fraud_op, cfg);
    }
    sg_stream_sink(scored, "output", o->output, &enc);
    return sg_job_status(job);
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    char *model_buf = sg_job_alloc(job, PATH_MAX);
    upi_config *cfg = sg_job_alloc(job, sizeof(*cfg));
    char err[PATH_MAX + 200];
    if (!model_buf || !cfg)
        return sg_job_status(job);
    upi_options o = {.threshold = 0.8, .max_delay_ms = 5000};
    o.model = default_model(model_buf, PATH_MAX);
    sg_option opts[] = {
        {"input", SG_OPT_STR, &o.input, "transactions: file:PATH.jsonl or gen:upi?count=N&...",
         true, 0},
        {"output", SG_OPT_STR, &o.output, "scored transactions: file:PATH.csv (or null:)", true, 0},
        {"logins", SG_OPT_STR, &o.logins,
         "logins: file:PATH.jsonl or gen:upi_logins?... (enables no_login)", false, 0},
        {"model", SG_OPT_STR, &o.model, "model file (JSON bias and weights)", false, 0},
        {"threshold", SG_OPT_F64, &o.threshold, "alert when score >= this, in [0, 1]", false, 0},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms, "watermark delay (out-of-orderness)", false,
         0},
    };
    int rc = sg_job_parse_options(job,
                                  "upi_fraud: real-time fraud scoring of UPI payments.\n"
                                  "Generators: gen:upi?count=N&rate=PER_S&seed=S&start=MS&"
                                  "disorder=MS&payers=P, and gen:upi_logins with the same "
                                  "parameters",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc; /* SG_HELP or SG_EUSAGE, with the message already in the job */
    if (!(o.threshold >= 0.0 && o.threshold <= 1.0))
        return sg_job_errorf(job, SG_EUSAGE, "--threshold must be in [0, 1], got %g", o.threshold);
    if (upi_model_load(o.model, &cfg->model, err, sizeof(err)) < 0)
        return sg_job_errorf(job, SG_EINVAL, "%s", err);
    cfg->threshold = o.threshold;
    cfg->with_logins = o.logins != NULL;
    return build(job, &o, cfg);
}
