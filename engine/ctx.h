/* Operator instances and the context (sg_ctx) through which their callbacks reach the
 * engine. One sg_ctx exists per instance of every element of a task's chain: a
 * source, the decoder stage behind a line source, an operator, or a sink. Records
 * flow down the chain by direct calls (sg__inst_process); the last instance hands its
 * output to the task's partitioners through out_fn.
 * Layering: uses state.h (keyed state), timer.h, row.h and line.h; called by task.c
 * and by the operator test harness. */
#ifndef SG_ENGINE_CTX_H
#define SG_ENGINE_CTX_H

#include <stdint.h>

#include <sangam/sangam.h>

#include "engine/line.h"
#include "engine/reject.h"
#include "engine/row.h"
#include "engine/state.h"
#include "engine/timer.h"

#define SG__MAX_PARALLELISM 128

typedef enum sg__inst_kind {
    SG__INST_SOURCE,
    SG__INST_DECODE,
    SG__INST_OP,
    SG__INST_SINK,
} sg__inst_kind;

/* Counters of one subtask; written by its worker only, read by the monitor through
 * the published copies in task.h. */
typedef struct sg__counters {
    uint64_t read;    /* records produced by sources (lines read, blank ones aside) */
    uint64_t bad;     /* rejected records */
    uint64_t late;    /* late records dropped */
    uint64_t written; /* records written by sinks */
} sg__counters;

typedef int (*sg__out_fn)(void *ud, const sg_record *rec);
typedef int (*sg__out_wm_fn)(void *ud, sg_time wm);
typedef int (*sg__out_side_fn)(void *ud, int from_inst, const char *tag, const sg_record *rec);

typedef struct sg__scratch {
    char *buf;
    size_t used, cap;
    struct sg__scratch_big *big; /* allocations that did not fit */
} sg__scratch;

struct sg_ctx {
    sg__inst_kind kind;
    const char *name;            /* the graph node's name */
    const struct sg__node *node; /* the graph node (NULL in the harness) */
    int index;                   /* position in its task's chain */
    const sg_operator_def *op;
    const sg_source_def *src;
    const sg_sink_def *sink;
    void *self;
    void *udata;
    int subtask, parallelism;
    bool opened, finished;
    sg_time wm;

    /* Keyed operators: the current key, its key group, state and timers. */
    bool keyed;
    sg_bytes key;
    uint16_t kg;
    int32_t kg_hint; /* the next record's key group if known (from the exchange), else -1 */
    char *state_dir; /* where this instance's RocksDB lives (owned) */
    sg__kv_backend backend;
    size_t cache_entries;
    sg_checkpoint_mode ckpt_mode; /* the run's --checkpoint-mode (NONE: no checkpoints) */
    sg__kv *kv;
    struct sg__state_meta *states; /* [n_states] per state id (state_kinds.h); owned */
    uint32_t n_states;
    uint32_t n_special; /* states whose plain calls must look at their meta (TTL,
                         * maps, aggregates); 0 keeps the value fast path as it was */
    uint32_t *ttl_ids;  /* [n_ttl] the states with a TTL, swept by sg__state_tick */
    uint32_t n_ttl;
    uint32_t ttl_records;   /* records since the last sweep step */
    sg__timers timers;      /* event time */
    sg__timers proc_timers; /* processing time */
    /* The processing-time clock: the wall clock, or a fake one (the harness). */
    const sg_time *fake_now;

    /* Downstream: the next instance of the chain, or the task's outputs. */
    sg_ctx *next;
    sg__out_fn out_fn;
    sg__out_wm_fn out_wm_fn;
    sg__out_side_fn out_side_fn;
    void *out_ud;

    /* Deterministic lateness. Each record carries the watermark its source had
     * announced just before it (Flink's bounded out-of-orderness, as if emitted after
     * every event). While a record is processed, sg_ctx_watermark is the later of the
     * operator's watermark and the record's, so whether a record is late depends on
     * the input alone, not on parallelism or thread timing. The value is shared by
     * the chain (records pass down it synchronously) through this pointer. */
    sg_time *rec_wm;
    sg_time own_rec_wm;
    sg_time wm_delay; /* the timestamp tracker: watermark delay, < 0 for none */

    /* During process_batch: the batch, its key groups (-1: unknown) and watermarks. */
    const sg_record *batch;
    const int32_t *batch_kgs;
    const sg_time *batch_wms;
    size_t batch_n;

    sg__scratch scratch;
    char errmsg[512];
    sg__counters *counters;
    uint64_t late; /* this instance's share of counters->late */
    sg__reject_log *rejects;

    /* Sources: URI, format and the position of the line being decoded. */
    const char *uri;
    char *uri_path; /* owned; made on first sg_ctx_uri_path */
    sg_format fmt;
    char *origin;
    uint64_t line_no;
    sg_bytes raw_line;
    sg__row_parser *parser;
    sg_ctx *decode; /* the decoder stage, for line sources */
    sg_ctx *source; /* in a decoder stage: the source whose lines it decodes */
    sg_decoder dec;
    /* Timestamp tracking for bounded out-of-orderness watermarks. */
    bool track_ts;
    sg_time max_ts;
    /* --pace (pace.h): set on the timestamp tracker of a source when the run paces its
     * sources, else NULL; run_pace is the run's clock on every instance (NULL in the
     * harness). */
    struct sg__pace *pace;
    struct sg__pace *run_pace;

    /* Sinks with an encoder. */
    sg_encoder enc;
    bool has_enc;
    sg_line line;
};

/* Releases everything sg_scratch_alloc handed out on this instance. */
void sg__scratch_reset(sg__scratch *s);
/* Initialises the parts of an instance common to every kind; the caller fills in
 * kind, definitions and links before sg__inst_open. */
void sg__inst_init(sg_ctx *c);
/* Calls open (allocating self); SG_OK or an error with c->errmsg set. snapshot is
 * NULL on a fresh start, else what sg__inst_snapshot wrote for this instance (its
 * keyed state is reopened from c->state_dir). */
int sg__inst_open(sg_ctx *c, const sg_bytes *snapshot);
/* Writes the instance's snapshot: its timers, then the operator's, source's or sink's
 * own snapshot (one bytes value). Flushes its keyed state to the backend first. */
int sg__inst_snapshot(sg_ctx *c, sg_snap_writer *w);
/* One record into the instance. */
int sg__inst_process(sg_ctx *c, int port, const sg_record *rec);
/* A batch of records into an operator with process_batch (kgs and wms per record). */
int sg__inst_process_batch(sg_ctx *c, int port, const sg_record *recs, const int32_t *kgs,
                           const sg_time *wms, size_t n);
/* True when the instance takes batches (sg__inst_process_batch). */
static inline bool sg__inst_takes_batches(const sg_ctx *c)
{
    return c->kind == SG__INST_OP && c->op->abi >= SG_OPERATOR_ABI_2 && c->op->process_batch;
}
/* Fires the instance's processing-time timers due at now; SG_OK or an error. */
int sg__inst_processing_time(sg_ctx *c, sg_time now);
/* The earliest pending processing-time timer, or SG_TIME_MAX. */
sg_time sg__inst_next_processing_timer(sg_ctx *c);
/* The wall clock in epoch ms. */
sg_time sg__now_ms(void);
/* Advances the instance's watermark: fires timers, on_watermark, then forwards. */
int sg__inst_watermark(sg_ctx *c, sg_time wm);
/* End of input for the instance and those after it in the chain. */
int sg__inst_finish(sg_ctx *c);
/* close, then frees what the instance owns; safe on a never-opened instance. */
void sg__inst_close(sg_ctx *c);
/* TTL cleanup (ctx_state.c), for instances with TTL states (n_ttl > 0): a step of
 * the incremental sweep every few records (n just processed), and a larger one at
 * every watermark. Call between callbacks, before the scratch reset. */
int sg__state_tick(sg_ctx *c, size_t n);
int sg__state_sweep_watermark(sg_ctx *c);
/* Opens the instance's kv now if it is not open yet (a savepoint restore loads
 * entries before the operator's open declares its states). */
int sg__state_open(sg_ctx *c);
/* Frees the per-state metadata (sg__inst_close). */
void sg__state_meta_free(sg_ctx *c);

/* The key group of a key: xxHash3 modulo SG__MAX_PARALLELISM. */
uint16_t sg__key_group(sg_bytes key);
/* Flink's key-group-to-subtask formula. */
static inline int sg__kg_subtask(uint16_t kg, int parallelism)
{
    return (int)((int)kg * parallelism / SG__MAX_PARALLELISM);
}

#endif
