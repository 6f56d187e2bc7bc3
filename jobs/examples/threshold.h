/* threshold.h — the examples job's pieces, shared by job.c and the tests: the
 * threshold-alert operator (threshold_op.c, walked through in docs/operators.md) and
 * the click generator (click_source.c). */
#ifndef EX_THRESHOLD_H
#define EX_THRESHOLD_H

#include <sangam/sangam.h>

/* The operator's configuration: its udata in sg_stream_process, read through
 * sg_ctx_udata. It must outlive the run, so job.c allocates it with sg_job_alloc. */
typedef struct ex_threshold_config {
    sg_time window_ms;  /* tumbling window size, >= 1 */
    uint64_t threshold; /* records of one key in one window that raise an alert, >= 1 */
} ex_threshold_config;

/* What an output record reports. */
enum { EX_ALERT = 1, EX_CLOSED = 2 };

/* The value of every output record; the key is the input key. An EX_ALERT record is
 * emitted when the count reaches the threshold, with the ts of the record that made it
 * do so. An EX_CLOSED record is emitted when the watermark passes the window, for keys
 * that alerted in it, with ts = end - 1. No padding: the value is copied byte for byte. */
typedef struct ex_alert {
    sg_time start, end; /* the window [start, end) */
    uint64_t count;     /* EX_ALERT: the threshold; EX_CLOSED: the window's total */
    uint64_t kind;      /* EX_ALERT or EX_CLOSED */
} ex_alert;

/* Keyed: counts each key's records per tumbling event-time window and alerts once per
 * (key, window) when the count reaches the threshold. udata: ex_threshold_config. */
extern const sg_operator_def ex_threshold_op;

/* gen:clicks?count=N&rate=R&users=U&bots=B&seed=S&start=MS&disorder=MS: generated
 * clicks as JSON Lines ({"ts": ..., "user": "...", "page": "..."}). */
extern const sg_source_def ex_click_source;

#endif
