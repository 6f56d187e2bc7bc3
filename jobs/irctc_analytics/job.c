/* irctc_analytics: train-booking analytics for Indian Railways (IRCTC).
 *
 *                                              +-> key by train -> tumbling window
 *   bookings (CSV, JSON Lines or gen:irctc)    |   aggregate (--window-ms) -> --output
 *     -> decode + check (capacity table) ------+
 *     -> watermarks (--max-delay-ms)           +-> key by train+class -> occupancy
 *                                                  alerts (ir_occupancy_op) -> --alerts
 *
 * The capacity file (--capacity) is loaded once, before the graph is built: a missing
 * or malformed file fails the job at start (exit 1) with the file and line. The
 * decoder rejects bad bookings, bookings of a (train, class) the file lacks included,
 * so they reach neither output.
 *
 * Output 1, per train and tumbling window with at least one of its bookings:
 *   window_start,window_end,train,booked,cancelled,waitlisted,net_seats,revenue_paise
 * Output 2, one line per threshold (50, 75, 90, 100 % of capacity) that a booking makes
 * the occupancy of its (train, class) reach or pass from below, applying bookings in
 * event-time order (equal ts in input order):
 *   ts,train,class,threshold,occupied,capacity
 *
 * Late bookings. The watermark is the largest ts seen so far less --max-delay-ms,
 * less 1 (Flink's bounded out-of-orderness), carried by each record from its source,
 * so lateness is the same at every parallelism. For output 1 a booking is late when
 * its window has fired (end - 1 <= watermark); for output 2 when its ts is at or below
 * the watermark, since bookings after it have already been applied. Each branch drops
 * and counts its own late bookings ("late records dropped" in the summary), so one
 * booking can be late for the alerts and still count in its window. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

#include "irctc.h"

#define WINDOW_MAX_MS INT64_C(1000000000000) /* about 31 years */

typedef struct ir_options {
    const char *input, *output, *alerts, *capacity;
    int64_t window_ms, max_delay_ms;
} ir_options;

/* ---- Keys --------------------------------------------------------------------------- */

static int key_train(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    const char *train = (const char *)in->value.data + offsetof(ir_booking, train);
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    key->data = train;
    key->len = strnlen(train, IR_TRAIN_MAX + 1);
    return SG_OK;
}

/* train[] (NUL-padded) and cls are adjacent in ir_booking: the key is those bytes. */
static int key_train_class(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    key->data = (const char *)in->value.data + offsetof(ir_booking, train);
    key->len = offsetof(ir_booking, cls) + 1 - offsetof(ir_booking, train);
    return SG_OK;
}

/* ---- Window counts per train ------------------------------------------------------- */

typedef struct ir_counts {
    int64_t booked, cancelled, waitlisted, net_seats, revenue_paise;
} ir_counts;

/* The value of a window result; the key is the train. */
typedef struct ir_window_row {
    sg_time start, end;
    ir_counts c;
} ir_window_row;

static int counts_add(void *acc, const sg_record *rec, void *udata)
{
    ir_counts *c = acc;
    ir_booking b;
    SG_UNUSED(udata);
    memcpy(&b, rec->value.data, sizeof(b));
    if (b.status == IR_BOOKED) {
        c->booked++;
        c->net_seats += b.seats;
        c->revenue_paise += b.fare_paise;
    } else if (b.status == IR_CANCELLED) {
        c->cancelled++;
        c->net_seats -= b.seats;
        c->revenue_paise -= b.fare_paise;
    } else {
        c->waitlisted++;
    }
    return SG_OK;
}

static void counts_merge(void *acc, const void *other, void *udata)
{
    ir_counts *c = acc;
    const ir_counts *o = other;
    SG_UNUSED(udata);
    c->booked += o->booked;
    c->cancelled += o->cancelled;
    c->waitlisted += o->waitlisted;
    c->net_seats += o->net_seats;
    c->revenue_paise += o->revenue_paise;
}

static int counts_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                         void *udata)
{
    ir_window_row r = {.start = start, .end = end};
    SG_UNUSED(udata);
    memcpy(&r.c, acc, sizeof(r.c));
    sg_bytes value = {&r, sizeof(r)};
    return sg_emit(ctx, end - 1, key, value);
}

static const sg_aggregate_def counts_agg = {
    .abi = SG_AGGREGATE_ABI_1,
    .acc_size = sizeof(ir_counts),
    .add = counts_add,
    .merge = counts_merge,
    .result = counts_result,
};

/* ---- Output ------------------------------------------------------------------------ */

static int encode_window(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    ir_window_row r;
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&r, rec->value.data, sizeof(r));
    if ((rc = sg_line_add_i64(line, r.start)) < 0 || (rc = sg_line_add_i64(line, r.end)) < 0 ||
        (rc = sg_line_add_str(line, rec->key.data, rec->key.len)) < 0 ||
        (rc = sg_line_add_i64(line, r.c.booked)) < 0 ||
        (rc = sg_line_add_i64(line, r.c.cancelled)) < 0 ||
        (rc = sg_line_add_i64(line, r.c.waitlisted)) < 0 ||
        (rc = sg_line_add_i64(line, r.c.net_seats)) < 0)
        return rc;
    return sg_line_add_i64(line, r.c.revenue_paise);
}

static int encode_alert(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata)
{
    ir_alert a;
    int rc;
    SG_UNUSED(ctx);
    SG_UNUSED(udata);
    memcpy(&a, rec->value.data, sizeof(a));
    if ((rc = sg_line_add_i64(line, rec->ts)) < 0 ||
        (rc = sg_line_add_str(line, a.train, strnlen(a.train, sizeof(a.train)))) < 0 ||
        (rc = sg_line_add_cstr(line, ir_class_name(a.cls))) < 0 ||
        (rc = sg_line_add_i64(line, a.threshold)) < 0 ||
        (rc = sg_line_add_i64(line, a.occupied)) < 0)
        return rc;
    return sg_line_add_i64(line, a.capacity);
}

/* ---- The job ------------------------------------------------------------------------ */

/* The capacity file shipped beside the job (<dir of this .so>/irctc_analytics/), for
 * the help text: --capacity stays required. */
static const char *shipped_capacity(char *buf, size_t len)
{
    Dl_info info;
    char so[PATH_MAX];
    if (!dladdr((void *)(uintptr_t)shipped_capacity, &info) || !info.dli_fname)
        return "jobs/irctc_analytics/capacity.csv";
    snprintf(so, sizeof(so), "%s", info.dli_fname);
    snprintf(buf, len, "%s/irctc_analytics/capacity.csv", dirname(so));
    return buf;
}

/* Loads the capacity file into job memory, so it lasts as long as the decoder. */
static const ir_capacity *load_capacity(sg_job *job, const char *path)
{
    char err[512];
    ir_capacity *tmp;
    int rc = ir_capacity_load(path, &tmp, err, sizeof(err));
    if (rc < 0) {
        /* Not SG_EUSAGE: the options were right, the file is not (exit 1). */
        sg_job_errorf(job, rc, "%s", err);
        return NULL;
    }
    void *mem = sg_job_alloc(job, ir_capacity_bytes(tmp));
    const ir_capacity *cap = mem ? ir_capacity_copy_to(tmp, mem) : NULL;
    ir_capacity_free(tmp);
    return cap;
}

static void build_graph(sg_job *job, const ir_options *o, const ir_capacity *cap)
{
    sg_decoder dec = {.abi = SG_DECODER_ABI_1,
                      .decode = ir_decode_booking,
                      .udata = (void *)(uintptr_t)cap}; /* the decoder only reads it */
    sg_encoder win_enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "window_start,window_end,train,booked,cancelled,waitlisted,net_seats,"
                  "revenue_paise",
        .encode = encode_window,
    };
    sg_encoder alert_enc = {
        .abi = SG_ENCODER_ABI_1,
        .header = "ts,train,class,threshold,occupied,capacity",
        .encode = encode_alert,
    };
    sg_window win = {.size_ms = o->window_ms};
    sg_stream *bookings =
        sg_stream_watermarks(sg_job_source(job, "bookings", o->input, &dec), o->max_delay_ms);

    sg_stream *by_train = sg_stream_key_by(bookings, "by-train", key_train, NULL);
    sg_stream *counts =
        sg_stream_window_aggregate(by_train, "train-windows", &win, &counts_agg, NULL);
    sg_stream_sink(counts, "output", o->output, &win_enc);

    sg_stream *by_class = sg_stream_key_by(bookings, "by-train-class", key_train_class, NULL);
    sg_stream *alerts = sg_stream_process(by_class, &ir_occupancy_op, NULL);
    sg_stream_sink(alerts, "alerts", o->alerts, &alert_enc);
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    static char shipped_buf[PATH_MAX];
    static char capacity_help[PATH_MAX + 64];
    ir_options o = {.window_ms = 60000, .max_delay_ms = 5000};
    snprintf(capacity_help, sizeof(capacity_help), "seats per train and class, CSV (shipped: %s)",
             shipped_capacity(shipped_buf, sizeof(shipped_buf)));
    sg_option opts[] = {
        {"input", SG_OPT_STR, &o.input, "bookings: file:PATH.csv or gen:irctc?count=N&...", true,
         0},
        {"output", SG_OPT_STR, &o.output, "per-train window counts: file:PATH.csv (or null:)", true,
         0},
        {"alerts", SG_OPT_STR, &o.alerts, "occupancy alerts: file:PATH.csv (or null:)", true, 0},
        {"capacity", SG_OPT_STR, &o.capacity, capacity_help, true, 0},
        {"window-ms", SG_OPT_I64, &o.window_ms, "tumbling window size", false, 1},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms, "watermark delay (out-of-orderness)", false,
         0},
    };
    int rc = sg_job_parse_options(job,
                                  "irctc_analytics: train bookings per window and occupancy "
                                  "alerts (Indian Railways).\n"
                                  "Generator: gen:irctc?count=N&rate=BOOKINGS_PER_S&seed=S&"
                                  "start=MS&disorder=MS",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    if (o.window_ms > WINDOW_MAX_MS)
        return sg_job_errorf(job, SG_EUSAGE, "--window-ms must be at most %lld",
                             (long long)WINDOW_MAX_MS);
    const ir_capacity *cap = load_capacity(job, o.capacity);
    if (!cap)
        return sg_job_status(job); /* the error is recorded: file or memory */
    if ((rc = sg_job_register_generator(job, "irctc", &ir_booking_generator)) < 0)
        return rc;
    build_graph(job, &o, cap);
    return sg_job_status(job);
}
