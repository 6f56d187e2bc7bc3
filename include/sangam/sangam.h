/* sangam.h — the public API of Sangam, a dataflow stream-processing engine.
 *
 * This header is the manual: anything not declared here is not API. Jobs, custom
 * operators, sources and sinks include this header and nothing else from the engine.
 *
 * Sections, in order:
 *   1. version, export macro
 *   2. result codes
 *   3. value views: bytes, records, time
 *   4. allocator hook and memory
 *   5. opaque handles
 *   6. jobs and job graph building
 *   7. the operator API
 *   8. the connector API (sources, sinks, decoders, encoders)
 *   9. snapshot reader and writer
 *
 * Ownership and lifetime rules (referred to as "rule N" below):
 *   1. Whoever creates an object frees it: sg_x_new pairs with sg_x_free, and
 *      sg_x_free(NULL) is a no-op.
 *   2. Everything passed into a callback is borrowed for that call only: ctx, records,
 *      key and value bytes, rows, snapshot readers and writers. Copy what you need or
 *      put it in state; never store the pointers.
 *   3. State reads return engine-owned bytes valid until the next state call on the
 *      same ctx or the end of the callback, whichever comes first.
 *   4. sg_emit copies the record (or hands it straight to the next chained operator,
 *      which sees it borrowed under rule 2).
 *   5. A function that takes a callback and returns an error never calls it.
 *   6. close is called exactly once per instance if open was called, even when open
 *      failed. self starts zeroed, so close frees only what is non-NULL.
 *   7. Strings returned by sg_job_errmsg belong to the engine and stay valid until
 *      the next call on that job.
 *   8. Pointer parameters are marked [in], [out], [borrowed], [owned->callee] or
 *      [owned->caller] below.
 */
#ifndef SANGAM_H
#define SANGAM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. Version and export ============================================== */

#define SG_VERSION_MAJOR 0
#define SG_VERSION_MINOR 1
#define SG_VERSION_PATCH 0
#define SG_VERSION_STRING "0.1.0"

#define SG_API __attribute__((visibility("default")))
#define SG_UNUSED(x) ((void)(x))
#define SG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ==== 2. Result codes ==================================================== */

/* 0 is success; negative values are errors; positive values are statuses that are
 * not errors. The idiom is always: if ((rc = f(...)) < 0) return rc; */
#define SG_ERRNO_MAP(XX)                                                                           \
    XX(OK, 0, "success")                                                                           \
    XX(NOTFOUND, 1, "not found")                                                                   \
    XX(AGAIN, 2, "nothing available now")                                                          \
    XX(EOF, 3, "end of input")                                                                     \
    XX(HELP, 4, "help was shown")                                                                  \
    XX(ENOMEM, -1, "out of memory")                                                                \
    XX(EINVAL, -2, "invalid argument")                                                             \
    XX(EIO, -3, "input/output error")                                                              \
    XX(ESTATE, -4, "state backend error")                                                          \
    XX(ESERDE, -5, "serialisation error")                                                          \
    XX(ECANCELED, -6, "canceled")                                                                  \
    XX(EINTERNAL, -7, "internal error")                                                            \
    XX(EUSAGE, -8, "usage error")                                                                  \
    XX(ENOENT, -9, "no such file or directory")

typedef enum sg_result {
#define SG_RESULT_ENUM(name, val, msg) SG_##name = (val),
    SG_ERRNO_MAP(SG_RESULT_ENUM)
#undef SG_RESULT_ENUM
} sg_result;

/* A static description of a result code, e.g. "out of memory". Never NULL. */
SG_API const char *sg_strerror(int rc);
/* The code's name, e.g. "SG_ENOMEM". Never NULL. */
SG_API const char *sg_err_name(int rc);

/* ==== 3. Value views ===================================================== */

/* Event time and watermarks: int64 milliseconds since the epoch. */
typedef int64_t sg_time;
#define SG_TIME_MIN INT64_MIN
#define SG_TIME_MAX INT64_MAX

typedef enum sg_time_domain { SG_TIME_EVENT = 0, SG_TIME_PROCESSING = 1 } sg_time_domain;

/* A borrowed view of bytes (LMDB's MDB_val). */
typedef struct sg_bytes {
    const void *data;
    size_t len;
} sg_bytes;

/* A record: event time, key and value. Values are opaque bytes: a job may use plain
 * C structs or any encoding it likes. The key is empty until a key_by sets it. */
typedef struct sg_record {
    sg_time ts;
    sg_bytes key;
    sg_bytes value;
} sg_record;

/* Bytes of a NUL-terminated string (without the NUL). */
SG_API sg_bytes sg_bytes_str(const char *s);

/* ==== 4. Memory ========================================================== */

/* Every allocation of the engine, and of well-behaved operators, goes through one
 * hook with the Lua lua_Alloc contract: new_size == 0 frees ptr and returns NULL;
 * otherwise it behaves as realloc. old_size is ptr's size when the caller knows it,
 * else 0. The default hook is the C library's realloc/free. Set it before any other
 * call; it is process-wide. */
typedef void *(*sg_alloc_fn)(void *ud, void *ptr, size_t old_size, size_t new_size);
SG_API void sg_set_allocator(sg_alloc_fn fn, void *ud);

SG_API void *sg_malloc(size_t size);           /* NULL on failure */
SG_API void *sg_calloc(size_t n, size_t size); /* zeroed; NULL on failure or overflow */
SG_API void *sg_realloc(void *ptr, size_t size);
SG_API void sg_free(void *ptr); /* sg_free(NULL) is a no-op */
SG_API char *sg_strdup(const char *s);

/* ==== 5. Opaque handles ================================================== */

typedef struct sg_job sg_job;                 /* a job being built, then run */
typedef struct sg_stream sg_stream;           /* a stream in the job graph */
typedef struct sg_ctx sg_ctx;                 /* the engine, as seen from a callback */
typedef struct sg_row sg_row;                 /* one parsed input row (JSON object or CSV) */
typedef struct sg_line sg_line;               /* one output line being encoded (CSV) */
typedef struct sg_snap_writer sg_snap_writer; /* operator snapshot, being written */
typedef struct sg_snap_reader sg_snap_reader; /* operator snapshot, being read */

/* ---- Rows: the fields of one input line ----------------------------------
 * A decoder (section 8) reads the fields of a JSON object (JSON Lines input) or of a
 * CSV record (by header name) through the same calls, so one decoder serves both
 * formats. A CSV field is text; sg_row_get_i64 parses it (an optional '-', then
 * decimal digits, nothing else).
 * Returns SG_OK, SG_NOTFOUND when the field is absent (a JSON null counts as
 * present, of the wrong type), or SG_EINVAL when it has the wrong type or does not
 * fit. Strings are borrowed (rule 2), valid UTF-8, not NUL-terminated. */
SG_API int sg_row_get_i64(const sg_row *row, const char *field, int64_t *out);
SG_API int sg_row_get_f64(const sg_row *row, const char *field, double *out);
SG_API int sg_row_get_str(const sg_row *row, const char *field, sg_bytes *out);
SG_API int sg_row_get_bool(const sg_row *row, const char *field, bool *out);

/* ---- Lines: building one CSV output line ---------------------------------
 * An encoder appends fields in order; the engine separates them with commas and
 * ends the line. Strings are quoted as RFC 4180 requires (when they hold a comma,
 * a quote, CR or LF; quotes doubled). Each returns SG_OK or SG_ENOMEM. */
SG_API int sg_line_add_str(sg_line *line, const void *data, size_t len);
SG_API int sg_line_add_cstr(sg_line *line, const char *s);
SG_API int sg_line_add_i64(sg_line *line, int64_t v);
SG_API int sg_line_add_u64(sg_line *line, uint64_t v);
/* A double with 'decimals' digits after the point ("%.*f"). */
SG_API int sg_line_add_f64(sg_line *line, double v, int decimals);

/* ==== 6. Jobs and the job graph ========================================== */

/* A job is a shared object that exports
 *
 *     SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);
 *
 * `sangam run [ENGINE OPTIONS] JOB.so [JOB OPTIONS]` loads it, calls sg_job_main with
 * the job's own options (argv[0] is the job file), and then plans and runs the graph
 * it built. sg_job_main returns SG_OK, SG_HELP (it printed its help; the run stops
 * with exit code 0), SG_EUSAGE (bad option; exit code 2) or another negative code
 * (exit code 1). Messages go through sg_job_errorf.
 *
 * Graph building is sticky on error, like a stream's error flag: a building call
 * that fails records the first error in the job and returns NULL, and a call given a
 * NULL stream returns NULL at once. So a job may build its whole graph and check
 * once, at the end, by returning sg_job_status(job). */
#define SG_JOB_EXPORT __attribute__((visibility("default")))
typedef int (*sg_job_main_fn)(sg_job *job, int argc, char **argv);

/* Records the message (printf-style) as the job's error and returns rc. */
SG_API int sg_job_errorf(sg_job *job, int rc, const char *fmt, ...) SG_PRINTF(3, 4);
/* [owned by the engine] The job's current error message ("" if none); rule 7. */
SG_API const char *sg_job_errmsg(const sg_job *job);
/* SG_OK, or the first error recorded while building the graph. */
SG_API int sg_job_status(const sg_job *job);
/* Memory that lives as long as the job (zeroed): operator configurations, tables. */
SG_API void *sg_job_alloc(sg_job *job, size_t size);
/* The job's default parallelism (--parallelism) and the engine's worker count. */
SG_API int sg_job_parallelism(const sg_job *job);

/* ---- Job options ---------------------------------------------------------
 * Every job parses its options with one call, so that all jobs behave alike:
 * "--name value" or "--name=value", --help prints the table and returns SG_HELP, an
 * unknown, repeated, missing-required or malformed option returns SG_EUSAGE with one
 * clear message in the job. 'out' holds the default on entry. */
typedef enum sg_option_type {
    SG_OPT_STR,  /* out: const char ** (points into argv) */
    SG_OPT_I64,  /* out: int64_t *; decimal, must fit */
    SG_OPT_F64,  /* out: double *; must be finite */
    SG_OPT_FLAG, /* out: bool *; takes no value */
} sg_option_type;

typedef struct sg_option {
    const char *name; /* long name without "--" */
    sg_option_type type;
    void *out;        /* [in,out] default on entry, parsed value on SG_OK */
    const char *help; /* one line for --help */
    bool required;
    int64_t min; /* SG_OPT_I64 only: smallest accepted value (use INT64_MIN for any) */
} sg_option;

SG_API int sg_job_parse_options(sg_job *job, const char *usage, const sg_option *opts,
                                size_t n_opts, int argc, char **argv);

/* ---- Graph building ------------------------------------------------------ */

typedef struct sg_decoder sg_decoder;
typedef struct sg_encoder sg_encoder;
typedef struct sg_source_def sg_source_def;
typedef struct sg_sink_def sg_sink_def;
typedef struct sg_operator_def sg_operator_def;

/* A source named 'name' reading 'uri': "file:PATH" (JSON Lines for .jsonl/.ndjson/
 * .json, CSV for .csv), or "gen:NAME?k=v&..." for a generator the job registered.
 * Sources that deliver text lines need a decoder, which turns each parsed row into
 * records (and sets their event time); dec is copied. */
SG_API sg_stream *sg_job_source(sg_job *job, const char *name, const char *uri,
                                const sg_decoder *dec);
/* Makes "gen:NAME" available to sg_job_source. def must outlive the job (static). */
SG_API int sg_job_register_generator(sg_job *job, const char *gen_name, const sg_source_def *def);

/* Event-time watermarks for a source stream: bounded out-of-orderness, exactly as
 * Flink's BoundedOutOfOrdernessWatermarks: wm = max ts seen - max_delay_ms - 1, never
 * decreasing. The end of a bounded input is a watermark of SG_TIME_MAX. Without this
 * call a source emits only the final watermark. */
SG_API sg_stream *sg_stream_watermarks(sg_stream *src, sg_time max_delay_ms);

/* Parallelism of the operator that produced s (default: the job's). Returns s. */
SG_API sg_stream *sg_stream_set_parallelism(sg_stream *s, int parallelism);

/* Stateless transformations. Each runs fn once per record, on the record's worker.
 * map: fn fills *out (pre-filled with a copy of *in's view) and returns SG_OK, or a
 *      negative code to fail the job; out's bytes may point into sg_scratch_alloc
 *      memory or into *in.
 * filter: fn returns true to keep the record.
 * flat_map: fn emits any number of records with sg_emit. */
typedef int (*sg_map_fn)(sg_ctx *ctx, const sg_record *in, sg_record *out, void *udata);
typedef bool (*sg_filter_fn)(sg_ctx *ctx, const sg_record *in, void *udata);
typedef int (*sg_flat_map_fn)(sg_ctx *ctx, const sg_record *in, void *udata);
/* key_by: fn sets *key (bytes in *in, in static memory, or in sg_scratch_alloc memory). */
typedef int (*sg_key_fn)(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata);

SG_API sg_stream *sg_stream_map(sg_stream *in, const char *name, sg_map_fn fn, void *udata);
SG_API sg_stream *sg_stream_filter(sg_stream *in, const char *name, sg_filter_fn fn, void *udata);
SG_API sg_stream *sg_stream_flat_map(sg_stream *in, const char *name, sg_flat_map_fn fn,
                                     void *udata);
/* A keyed stream: records carry the key fn gives, and the next operator receives them
 * hash-partitioned by key group (xxHash3 of the key modulo the max parallelism, 128;
 * key group kg goes to subtask kg * P / 128, Flink's formula). */
SG_API sg_stream *sg_stream_key_by(sg_stream *in, const char *name, sg_key_fn fn, void *udata);
/* The records the operator that produced s emits to side output 'tag' (copied) with
 * sg_emit_side, as a stream of their own (Flink's side outputs). They travel with the
 * operator's watermarks. A side output nobody reads is dropped. */
SG_API sg_stream *sg_stream_side_output(sg_stream *s, const char *tag);
/* Both inputs, in one stream. Their watermark is the minimum of the two. */
SG_API sg_stream *sg_stream_union(sg_stream *a, sg_stream *b);

/* ---- Event-time windows -------------------------------------------------
 * Flink semantics: windows are [start, end), aligned to the epoch (start is a
 * multiple of slide), and a window fires when the watermark reaches end - 1.
 * Sliding windows are computed from panes of gcd(size, slide): each record touches
 * one pane, and panes are combined when a window fires.
 *
 * Lateness is judged with sg_ctx_watermark (the operator's watermark or the one the
 * record carries, whichever is later), so which records are late depends on the
 * input alone, not on parallelism or timing. With allowed lateness L (Flink's
 * allowedLateness, default 0) a window keeps its state until the watermark passes
 * end - 1 + L (its cleanup time). A record that reaches a window which has fired
 * but is not cleaned up yet is added to it, and the window fires again at once with
 * its full, updated content (a late firing: Flink's EventTimeTrigger fires once per
 * late record). A record is late only when every window containing it is past its
 * cleanup time: it is dropped and counted, or sent to late_tag. A record some of
 * whose windows are past cleanup reaches only the others. The results of one window
 * therefore are: one on-time firing (if it had content by end - 1), then one late
 * firing per late record, each with everything the window holds. */
typedef struct sg_window {
    sg_time size_ms;
    sg_time slide_ms;            /* 0 or size_ms: tumbling. Above size_ms (Flink allows it):
                                  * windows with gaps between them; a record in a gap
                                  * belongs to no window and is skipped (not late) */
    const char *late_tag;        /* NULL: late records are dropped and counted; else they go to
                                  * this side output (sg_stream_side_output), as Flink's
                                  * sideOutputLateData */
    sg_time allowed_lateness_ms; /* >= 0, at most 2^60; 0: windows are cleaned up
                                  * when they fire (no late firings) */
} sg_window;

/* An incremental aggregate: a fixed-size accumulator per key and pane. */
typedef struct sg_aggregate_def {
    uint32_t abi;    /* SG_AGGREGATE_ABI_1 */
    size_t acc_size; /* bytes of one accumulator */
    /* Sets a fresh accumulator (it arrives zeroed; NULL: zero is the initial value). */
    void (*init)(void *acc, void *udata);
    /* Adds one record. A negative return fails the job. */
    int (*add)(void *acc, const sg_record *rec, void *udata);
    /* acc += other. Needed for sliding windows (panes are merged), sessions, sliding
     * count windows, and for windows with allowed lateness. */
    void (*merge)(void *acc, const void *other, void *udata);
    /* Emits the window's result with sg_emit, normally with ts = end - 1. It is called
     * again for each late firing, with the whole updated accumulator. */
    int (*result)(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                  void *udata);
} sg_aggregate_def;
#define SG_AGGREGATE_ABI_1 1u

/* The count aggregate's add and merge, for acc_size sizeof(uint64_t): add counts one
 * record, merge sums. Jobs supply only their result function. */
SG_API int sg_count_add(void *acc, const sg_record *rec, void *udata);
SG_API void sg_count_merge(void *acc, const void *other, void *udata);

/* A process-window function (Flink's ProcessWindowFunction): it sees all the
 * elements of a window at once, when the window fires. */
typedef struct sg_window_process_def {
    uint32_t abi; /* SG_WINDOW_PROCESS_ABI_1 */
    /* Called when a window fires (and for each late firing, with every element the
     * window holds by then). elems[0..n) [borrowed] are the window's records in
     * arrival order, each with its ts, key (== key) and value; n >= 1. Emit results
     * with sg_emit, normally with ts = end - 1. A negative return fails the job. */
    int (*process)(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const sg_record *elems,
                   size_t n, void *udata);
} sg_window_process_def;
#define SG_WINDOW_PROCESS_ABI_1 1u

/* Keyed window aggregation; 'keyed' must come from sg_stream_key_by. win and agg
 * [in] are copied. Needs agg->merge for allowed lateness, and for sliding windows
 * unless slide is a multiple of size (then a window is one pane). Size and slide:
 * positive, below 2^60 ms. */
SG_API sg_stream *sg_stream_window_aggregate(sg_stream *keyed, const char *name,
                                             const sg_window *win, const sg_aggregate_def *agg,
                                             void *udata);

/* Keyed windows with a process-window function: the same windows, firing and
 * lateness rules as sg_stream_window_aggregate, but the records themselves are kept
 * (in list state, per key and pane, so a record is stored once however many sliding
 * windows contain it) and def->process gets them all. Memory grows with the records
 * a window holds: prefer an aggregate when one will do. win and def [in] are copied. */
SG_API sg_stream *sg_stream_window_process(sg_stream *keyed, const char *name, const sg_window *win,
                                           const sg_window_process_def *def, void *udata);

/* Keyed event-time session windows (Flink's EventTimeSessionWindows.withGap, with
 * allowedLateness and sideOutputLateData). Each record opens [ts, ts + gap_ms);
 * windows that overlap or touch merge, so a session is [first ts, last ts + gap). A
 * session fires when the watermark reaches end - 1, and keeps its content until its
 * cleanup time end - 1 + allowed_lateness_ms (with 0, the firing is the cleanup).
 *
 * Lateness, judged with sg_ctx_watermark as for sg_window (so the results are the same
 * at every parallelism, as long as each key's records arrive in input order: keep
 * key_by the first exchange after the source; see docs/architecture.md):
 *   1. A session takes records until its cleanup time; past it, it absorbs nothing
 *      more (even before the operator has cleaned it up).
 *   2. A record merges with every session it overlaps or touches that still takes
 *      records; it may bridge sessions, fired ones included.
 *   3. If the merged session is past its cleanup time the record is late: dropped
 *      and counted, or sent to late_tag (then not counted, as in Flink). With no
 *      allowed lateness, this is the case for every session whose end - 1 the
 *      watermark has passed.
 *   4. If the merged session's end - 1 is at or behind the watermark it fires again
 *      at once with its whole updated content (a late firing); otherwise it fires
 *      when the watermark reaches its (new) end - 1.
 * So a session's results are: one on-time firing with the records that reached it
 * by then, then one late firing per record that joins it after (each with all its
 * content), and an on-time firing again if a late record extends it past the
 * watermark. Cost: a key's sessions are one state value; with allowed lateness a
 * fired session stays in it until cleanup. */
typedef struct sg_session_window {
    uint32_t abi;                /* SG_SESSION_WINDOW_ABI_1; fields are only ever appended */
    sg_time gap_ms;              /* > 0, below 2^60 */
    sg_time allowed_lateness_ms; /* >= 0, below 2^60 */
    const char *late_tag;        /* NULL: late records are dropped and counted; else they go
                                  * to this side output (sg_stream_side_output); copied */
} sg_session_window;
#define SG_SESSION_WINDOW_ABI_1 1u

/* Session windows with an incremental aggregate: its result gets (start, end) and it
 * needs merge. 'keyed' must come from sg_stream_key_by. name, win and agg [in] are
 * copied; udata is passed to agg's callbacks and must outlive the run. Errors
 * (recorded in the job, NULL returned): win missing or with an old abi, a gap or
 * lateness out of range (SG_EUSAGE), an aggregate without acc_size, add, merge or
 * result. */
SG_API sg_stream *sg_stream_session_window_aggregate(sg_stream *keyed, const char *name,
                                                     const sg_session_window *win,
                                                     const sg_aggregate_def *agg, void *udata);

/* Session windows with a process-window function: the same sessions and lateness as
 * sg_stream_session_window_aggregate; each session's records are kept in list state,
 * the lists of sessions that merge are joined, and def->process gets the session's
 * records in arrival order each time it fires. win and def [in] are copied. */
SG_API sg_stream *sg_stream_session_window_process(sg_stream *keyed, const char *name,
                                                   const sg_session_window *win,
                                                   const sg_window_process_def *def, void *udata);

/* sg_stream_session_window_aggregate with gap_ms, no allowed lateness and no late
 * side output (late records dropped and counted). */
SG_API sg_stream *sg_stream_session_aggregate(sg_stream *keyed, const char *name, sg_time gap_ms,
                                              const sg_aggregate_def *agg, void *udata);

/* sg_stream_session_window_process with gap_ms, no allowed lateness and no late
 * side output. */
SG_API sg_stream *sg_stream_session_process(sg_stream *keyed, const char *name, sg_time gap_ms,
                                            const sg_window_process_def *def, void *udata);

/* Keyed tumbling count windows (Flink's countWindow(size)): every size records of a
 * key form a window, fired when its last record arrives; a window that has not
 * filled when the input ends is not fired. The result gets start = the earliest ts
 * among its records and end = the latest + 1 (for in-order input: the first
 * record's ts and the last one's + 1). Count windows are never late. agg is copied. */
SG_API sg_stream *sg_stream_count_window_aggregate(sg_stream *keyed, const char *name, int64_t size,
                                                   const sg_aggregate_def *agg, void *udata);

/* Keyed sliding count windows (Flink's countWindow(size, slide): a global window per
 * key with CountTrigger.of(slide) and CountEvictor.of(size)). Every slide-th record
 * of a key fires a window over that key's last min(size, records so far) records,
 * the record itself included; slide may be larger than size (records between
 * windows then belong to none). slide == size is the tumbling count window. Start
 * and end as for the tumbling count window (earliest ts, latest ts + 1, over the
 * window's records). Records are pre-aggregated in chunks of gcd(size, slide), so a
 * key's state is size / gcd accumulators; agg needs merge unless gcd == size. A key's
 * accumulators are kept for as long as the job runs (a global window is never
 * purged). agg is copied. */
SG_API sg_stream *sg_stream_count_window_slide_aggregate(sg_stream *keyed, const char *name,
                                                         int64_t size, int64_t slide,
                                                         const sg_aggregate_def *agg, void *udata);

/* A two-input operator (def->n_inputs == 2): records of a arrive on port 0, of b on
 * port 1, and its watermark is the minimum of the two (Flink's connect with a
 * CoProcessFunction). With SG_OP_KEYED both inputs must be keyed, by keys of the same
 * kind: records with equal keys meet in the same instance and share its keyed state
 * and timers. */
SG_API sg_stream *sg_stream_connect(sg_stream *a, sg_stream *b, const sg_operator_def *def,
                                    void *udata);

/* ---- Joins -----------------------------------------------------------------
 * Keyed inner joins of two streams, with Apache Flink's semantics. Both inputs must
 * be keyed (sg_stream_key_by), by keys of the same kind: only records with equal keys
 * are joined. Input a arrives on port 0, input b on port 1; the operator's watermark
 * is the minimum of the two. The output stream is not keyed.
 *
 * For every joined pair the engine calls def->join with:
 *   ctx   [borrowed] the operator's context: emit results with sg_emit (any number,
 *         usually one, with ts as its event time);
 *   key   [borrowed] the pair's key;
 *   a, b  [borrowed] the pair's records (a from input a, b from input b), with their
 *         own event times; valid for this call only (rule 2);
 *   ts    the pair's event time (see each join below).
 * A negative return fails the job.
 *
 * Lateness follows the engine's rule (docs/architecture.md): a record is judged
 * against sg_ctx_watermark, the later of the operator's watermark and the watermark
 * its own source had announced, so which records are late depends on the input alone
 * and the joined pairs are the same at every parallelism. Late records are dropped
 * and counted (the run summary's late count). A record whose event time is too close
 * to the int64 limits for its windows or bounds is rejected (sg_ctx_reject). */
typedef int (*sg_join_fn)(sg_ctx *ctx, sg_bytes key, const sg_record *a, const sg_record *b,
                          sg_time ts, void *udata);
typedef struct sg_join_def {
    uint32_t abi;    /* SG_JOIN_ABI_1; fields are only ever appended */
    sg_join_fn join; /* required */
} sg_join_def;
#define SG_JOIN_ABI_1 1u

/* Window join (Flink's a.join(b).where(..).equalTo(..).window(Tumbling|Sliding
 * EventTimeWindows)). Windows are those of sg_window (win->late_tag must be NULL:
 * a join has no late-data side output). For each window and key, every pair (a, b)
 * with both records in the window is joined once, with ts = the window's end - 1
 * (Flink's window.maxTimestamp()), when the watermark reaches end - 1; the window's
 * records are then dropped. A pair that shares several sliding windows is joined once
 * per window; with slide > size, a record between windows joins nothing (and is not
 * late). No output for a window where one side has no record. Order within a
 * window: a's records in pane order, then arrival order; for each, b's the same way.
 * A record is late when every window containing it has fired; one that finds only
 * some of them fired joins in the others only.
 *
 * Cost: each record is stored once, in the list of its (key, pane) (panes of
 * gcd(size, slide)), one list append and one timer set per record. A firing window
 * reads its size / pane panes of both sides and calls join for each of the
 * |a| x |b| pairs. Lists are rewritten on append (see list state), so a key with
 * very many records per pane pays for it; Flink buffers the same records.
 *
 * name [in] the operator's name (copied); win, def [in] copied; udata: passed to
 * join, must outlive the run. Errors (recorded in the job, NULL returned): an input
 * that is not keyed, a bad window (size, slide as for sg_stream_window_aggregate), a
 * late_tag, a def without join. */
SG_API sg_stream *sg_stream_window_join(sg_stream *a, sg_stream *b, const char *name,
                                        const sg_window *win, const sg_join_def *def, void *udata);

/* Interval join (Flink's a.keyBy(..).intervalJoin(b.keyBy(..)).between(lo, hi)):
 * joins every a and b of the same key with a.ts + lo <= b.ts <= a.ts + hi (both
 * bounds inclusive; lo <= hi, either may be negative), with ts = max(a.ts, b.ts).
 * Each pair is joined once, as soon as its second record arrives. A record with ts
 * below sg_ctx_watermark when it arrives is late: dropped and counted, as Flink drops
 * it. Note that ts = max(a.ts, b.ts) can be behind the watermark (as in Flink): an
 * event-time window right after the join may find such results late.
 *
 * State and cleanup: each side is buffered in keyed list state in buckets of
 * hi - lo + 1 ms of event time, so a new record finds all its possible matches in at
 * most two buckets of the other side: per record, one append, one timer set and at
 * most two bucket reads, never a scan of the key's history. A bucket is dropped by an
 * event-time timer once no record that is not late can match anything in it: a's
 * bucket when wm > (its last millisecond) + hi, b's when wm > (its last
 * millisecond) - lo. (Flink drops a at wm >= a.ts + max(hi, 0), b at
 * wm >= b.ts + max(-lo, 0): with hi >= 0, or lo <= 0 for b, one millisecond early, so
 * a record at ts == wm, which Flink does not consider late, can miss its match. Here
 * no pair of records that are not late is ever lost.) Cost: a record reads up to two
 * buckets of the other side, i.e. that side's records of twice the interval's
 * width; appends rewrite a bucket's list, so a very wide interval on a very dense
 * key makes appends long.
 *
 * name [in] copied; def [in] copied; udata: passed to join, must outlive the run.
 * Errors (recorded in the job, NULL returned): an input that is not keyed, lo > hi
 * or a bound beyond +-2^60 ms (SG_EUSAGE), a def without join. */
SG_API sg_stream *sg_stream_interval_join(sg_stream *a, sg_stream *b, const char *name, sg_time lo,
                                          sg_time hi, const sg_join_def *def, void *udata);

/* A custom operator on one input (keyed if def->flags has SG_OP_KEYED, which needs a
 * keyed input). udata is what sg_ctx_udata returns; it must outlive the run. */
SG_API sg_stream *sg_stream_process(sg_stream *in, const sg_operator_def *def, void *udata);

/* A sink named 'name' writing to 'uri': "file:PATH" (CSV lines made by enc, after
 * enc->header), or "null:" (counts and discards; for benchmarks). */
SG_API int sg_stream_sink(sg_stream *in, const char *name, const char *uri, const sg_encoder *enc);

/* ==== 7. The operator API ================================================ */

/* An operator is a const table of callbacks. The engine never calls two callbacks of
 * the same instance concurrently, and every call of an instance happens on the same
 * worker thread. Lifecycle:
 *
 *   CREATED --open()--> RUNNING --finish()--> FINISHED --close()--> CLOSED
 *                        |  ^                                         ^
 *                        +--+ process / on_watermark / on_timer /     |
 *                             snapshot (between calls)                |
 *   any callback returns rc < 0 ------------------------------------->+ (job fails)
 *
 * Rules:
 *   1. open is called once per parallel instance before anything else; restore is
 *      NULL on a fresh start, else the instance's last snapshot.
 *   2. process is called once per input record; 'port' is the input (0, or 1 on the
 *      second input of a two-input operator).
 *   3. When the input watermark advances, the engine first fires every event-time
 *      timer with ts <= wm (in ts order, equal ts in the order set), then calls
 *      on_watermark (NULL: nothing), then forwards wm downstream.
 *   4. At the end of all inputs the watermark becomes SG_TIME_MAX (rule 3 applies),
 *      then finish is called; emits are allowed in finish and not after it.
 *   5. close is called exactly once if open was called, even if open failed.
 *   6. For SG_OP_KEYED operators the engine sets the current key before process and
 *      on_timer; keyed state and timers are scoped to it.
 */
#define SG_OP_KEYED 0x1u
#define SG_OPERATOR_ABI_1 1u
#define SG_OPERATOR_ABI_2 2u /* adds process_batch */

struct sg_operator_def {
    uint32_t abi;     /* SG_OPERATOR_ABI_1; fields are only ever appended */
    const char *name; /* static storage; names the operator in messages and metrics */
    size_t self_size; /* per-instance memory, engine-allocated and zeroed */
    uint32_t flags;   /* SG_OP_KEYED */
    int n_inputs;     /* 1, or 2 for sg_stream_connect (process's port says which) */
    int (*open)(sg_ctx *ctx, void *self, sg_snap_reader *restore);
    int (*process)(sg_ctx *ctx, void *self, int port, const sg_record *rec);
    int (*on_watermark)(sg_ctx *ctx, void *self, sg_time wm);
    int (*on_timer)(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts);
    int (*snapshot)(sg_ctx *ctx, void *self, sg_snap_writer *out); /* non-keyed state */
    int (*finish)(sg_ctx *ctx, void *self);
    void (*close)(sg_ctx *ctx, void *self);
    /* abi >= SG_OPERATOR_ABI_2, optional. When records reach the operator from
     * another task in a batch, the engine may call this instead of process, once for
     * recs[0..n) in order. Before handling recs[i] the operator calls
     * sg_ctx_select(ctx, i), which makes it the current record (its key for state
     * and timers, its watermark for sg_ctx_watermark); it may call
     * sg_state_prefetch for records a few places ahead, which hides the memory
     * latency of state lookups. process must still be given: the engine uses it
     * where records come one at a time. */
    int (*process_batch)(sg_ctx *ctx, void *self, int port, const sg_record *recs, size_t n);
};

/* In process_batch: makes recs[i] the current record. */
SG_API void sg_ctx_select(sg_ctx *ctx, size_t i);

/* Emits a record downstream; the bytes are copied or handed on borrowed (rule 4). */
SG_API int sg_emit(sg_ctx *ctx, sg_time ts, sg_bytes key, sg_bytes value);
SG_API int sg_emit_record(sg_ctx *ctx, const sg_record *rec);
/* Emits a record to the side output 'tag' (see sg_stream_side_output). */
SG_API int sg_emit_side(sg_ctx *ctx, const char *tag, sg_time ts, sg_bytes key, sg_bytes value);

/* The operator's udata, as given when the graph was built. */
SG_API void *sg_ctx_udata(const sg_ctx *ctx);
/* This instance's index in [0, parallelism) and the operator's parallelism. */
SG_API int sg_ctx_subtask(const sg_ctx *ctx);
SG_API int sg_ctx_parallelism(const sg_ctx *ctx);
/* The instance's current input watermark (SG_TIME_MIN before the first). */
SG_API sg_time sg_ctx_watermark(const sg_ctx *ctx);
/* The processing time: the wall clock in epoch ms (the harness's fake clock in tests). */
SG_API sg_time sg_ctx_processing_time(const sg_ctx *ctx);
/* The current key (keyed operators; empty otherwise). Borrowed (rule 2). */
SG_API sg_bytes sg_ctx_key(const sg_ctx *ctx);
/* Temporary memory released when the current callback returns (in process_batch:
 * when the next record is selected with sg_ctx_select). NULL on failure. */
SG_API void *sg_scratch_alloc(sg_ctx *ctx, size_t size);
/* Records a message for the failing callback and returns rc (negative). */
SG_API int sg_ctx_errorf(sg_ctx *ctx, int rc, const char *fmt, ...) SG_PRINTF(3, 4);

/* A bad record is not a failure: it is counted, the first few are reported on
 * stderr with their source position, and all go to the --dead-letter file. Call this
 * and return SG_OK. rec [borrowed] is the rejected record, whose value bytes go to
 * the dead-letter file; in a decoder pass NULL: the rejected line is the one being
 * decoded. reason [borrowed]: one short line. */
SG_API void sg_ctx_reject(sg_ctx *ctx, const sg_record *rec, const char *reason);
/* Counts records dropped because they were late (shown in the run summary). */
SG_API void sg_ctx_count_late(sg_ctx *ctx, uint64_t n);

/* ---- Timers --------------------------------------------------------------
 * Per key (keyed operators) and timestamp; setting the same timer twice keeps one.
 * Event-time timers fire when the watermark reaches ts (rule 3). Processing-time
 * timers fire when the wall clock (sg_ctx_processing_time, epoch ms) reaches ts, on
 * the operator's worker between other callbacks; one set in the past fires at the
 * next chance. As in Flink, processing-time timers still pending when the input ends
 * are dropped, not fired. Both kinds are part of an instance's snapshot. */
SG_API int sg_timer_set(sg_ctx *ctx, sg_time_domain d, sg_time ts);
SG_API int sg_timer_delete(sg_ctx *ctx, sg_time_domain d, sg_time ts);

/* ---- Keyed state -----------------------------------------------------------
 * Declared by name in open; scoped to the current key and a namespace (an int64 the
 * operator chooses: a window end, a pane, 0). Backed by RocksDB (or the heap
 * backend) behind a write-back cache, so the hot path costs a hash lookup, not a
 * RocksDB call. Reads return engine-owned bytes (rule 3). */
typedef uint32_t sg_state_id;
typedef enum sg_state_kind {
    SG_STATE_VALUE = 0,       /* one value per (key, namespace) */
    SG_STATE_LIST = 1,        /* a list of items per (key, namespace), in insertion order */
    SG_STATE_MAP = 2,         /* a map of user key -> value per (key, namespace) */
    SG_STATE_AGGREGATING = 3, /* an accumulator per (key, namespace); declared with
                               * sg_state_declare_aggregating, not sg_state_declare */
} sg_state_kind;

SG_API int sg_state_declare(sg_ctx *ctx, const char *name, sg_state_kind kind, sg_state_id *id);
/* SG_OK with *out, or SG_NOTFOUND. */
SG_API int sg_state_get(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes *out);
SG_API int sg_state_put(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes value);
SG_API int sg_state_clear(sg_ctx *ctx, sg_state_id id, int64_t ns);
/* A mutable value of exactly 'size' bytes for (key, ns), zero-filled when new (then
 * *created is true, if created is not NULL). Changes through *ptr are kept; *ptr is
 * valid until the next state call (rule 3). The fast path for accumulators. */
SG_API int sg_state_ref(sg_ctx *ctx, sg_state_id id, int64_t ns, size_t size, void **ptr,
                        bool *created);
/* Lists (SG_STATE_LIST). sg_state_list_add appends a copy of item; it costs O(list
 * length), so keep lists per key and namespace short (window buffers, join sides).
 * sg_state_list_each calls fn for every item in order, with item borrowed for that
 * call (fn may call other state functions); a non-zero return from fn stops the
 * walk and is returned. sg_state_clear empties a list. */
typedef int (*sg_list_item_fn)(sg_ctx *ctx, sg_bytes item, void *ud);
SG_API int sg_state_list_add(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes item);
SG_API int sg_state_list_each(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_list_item_fn fn,
                              void *ud);

/* Maps (SG_STATE_MAP), Flink's MapState. One map is one serialized value per (key,
 * namespace), its entries sorted by map key bytes (memcmp; a key that is a prefix of
 * another sorts first), so iteration order is the same on every backend. Costs: get
 * is a scan of the map's bytes (O(size), in memory when cached); put and remove
 * rewrite the whole map (O(size)); each copies it once. Like lists, maps suit a few
 * thousand small entries per key and namespace, not an unbounded table: state that
 * big wants namespaces or a key of its own.
 *   - map_put inserts or replaces; key and value are [borrowed] and copied (they may
 *     be bytes of an earlier state read).
 *   - map_get: SG_OK with *out (engine-owned, rule 3; out may be NULL to test
 *     presence) or SG_NOTFOUND.
 *   - map_remove: SG_OK, or SG_NOTFOUND when the key was absent.
 *   - map_each calls fn for every entry in key order, key and value borrowed for the
 *     call (fn may call other state functions; changes to this map made by fn are
 *     not seen by the walk); a non-zero return from fn stops the walk and is returned.
 *   - sg_state_clear removes the whole map; an empty map is an absent one. */
typedef int (*sg_map_entry_fn)(sg_ctx *ctx, sg_bytes key, sg_bytes value, void *ud);
SG_API int sg_state_map_put(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key, sg_bytes value);
SG_API int sg_state_map_get(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key, sg_bytes *out);
SG_API int sg_state_map_remove(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes key);
SG_API int sg_state_map_each(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_map_entry_fn fn, void *ud);

/* Aggregating state (Flink's AggregatingState; a ReducingState is the case where the
 * accumulator and the item have the same type, e.g. a running max of u64 items).
 * sg_state_agg_add folds item into the accumulator of (key, ns), creating it with
 * init first when absent: one cache lookup, no copy of the accumulator. Reading
 * is sg_state_get, which gives the acc_size accumulator bytes (8-byte aligned);
 * sg_state_clear drops it. sg_state_put and sg_state_ref also work on it (they must
 * use acc_size bytes). The definition is copied; udata is passed to its callbacks
 * and must outlive the instance. */
typedef struct sg_state_agg_def {
    uint32_t abi;    /* SG_STATE_AGG_ABI_1 */
    size_t acc_size; /* bytes of one accumulator, > 0 */
    /* Sets a fresh accumulator, which arrives zero-filled; NULL: zero is initial. */
    void (*init)(void *acc, void *udata);
    /* Folds one item ([borrowed]) into acc. A negative return is returned by
     * sg_state_agg_add (reject bad items before adding them). */
    int (*add)(void *acc, sg_bytes item, void *udata);
} sg_state_agg_def;
#define SG_STATE_AGG_ABI_1 1u
SG_API int sg_state_declare_aggregating(sg_ctx *ctx, const char *name, const sg_state_agg_def *def,
                                        void *udata, sg_state_id *id);
SG_API int sg_state_agg_add(sg_ctx *ctx, sg_state_id id, int64_t ns, sg_bytes item);

/* State time-to-live (Flink's StateTtlConfig), set per state in open, right after
 * its declaration and before any use; setting it again must give the same values.
 * A value (or list item, or map entry) expires ttl_ms after its last update, where
 * "now" is sg_ctx_processing_time (SG_TIME_PROCESSING, Flink's only domain) or the
 * watermark, sg_ctx_watermark (SG_TIME_EVENT; before the first watermark "now" is
 * SG_TIME_MIN, and what is written then expires at the first watermark past
 * SG_TIME_MIN + ttl_ms). Rules:
 *   1. Expired data is never returned: gets say SG_NOTFOUND, walks skip it.
 *   2. Updates: every write (put, ref, agg_add, list_add, map_put) sets the
 *      timestamp of what it writes; SG_TTL_ON_READ_AND_WRITE also sets it on reads
 *      that return data (get, map_get, list_each and map_each for what they visit).
 *   3. Lists and maps expire per item and per entry, as in Flink; a list or map whose
 *      items have all expired is absent.
 *   4. Expired data is removed when read, and otherwise by an incremental cleanup
 *      that visits a bounded number of stored entries every few records and at every
 *      watermark, in the cache and in the backend: state that is never read again
 *      still goes away, within a few passes over the stored entries.
 *   5. A TTL state stores an 8-byte timestamp per value (per item, per map entry);
 *      states without TTL pay nothing. Timestamps are part of the state, so they
 *      survive a restore. Adding or removing a TTL on restore is not supported (as
 *      in Flink): the stored format differs. */
typedef enum sg_ttl_update {
    SG_TTL_ON_CREATE_AND_WRITE = 0, /* Flink's OnCreateAndWrite (the default) */
    SG_TTL_ON_READ_AND_WRITE = 1,   /* Flink's OnReadAndWrite */
} sg_ttl_update;
typedef struct sg_state_ttl {
    uint32_t abi;          /* SG_STATE_TTL_ABI_1 */
    int64_t ttl_ms;        /* > 0 */
    sg_time_domain domain; /* SG_TIME_PROCESSING or SG_TIME_EVENT */
    sg_ttl_update update;
} sg_state_ttl;
#define SG_STATE_TTL_ABI_1 1u
/* ttl is [borrowed] (copied). SG_EINVAL for a bad config or one that differs from
 * the state's earlier one. */
SG_API int sg_state_set_ttl(sg_ctx *ctx, sg_state_id id, const sg_state_ttl *ttl);

/* In process_batch: a hint that the operator will soon touch state (id, ns) of the
 * key of recs[i]. It changes nothing and cannot fail; call it for records a few
 * places ahead (4 to 8) of the one being handled. */
SG_API void sg_state_prefetch(sg_ctx *ctx, sg_state_id id, size_t i, int64_t ns);
/* u64 conveniences on top of get/put; get leaves *out alone on SG_NOTFOUND. */
SG_API int sg_state_get_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t *out);
SG_API int sg_state_put_u64(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t v);

/* ==== 8. Connectors ====================================================== */

/* ---- Decoders: input rows to records ---------------------------------------
 * decode is called once per row of a line source (JSON object or CSV record, after
 * the engine checked the line's syntax and UTF-8). It emits records with sg_emit
 * (usually one; the record's ts is its event time), or calls sg_ctx_reject. */
typedef int (*sg_decode_fn)(sg_ctx *ctx, const sg_row *row, void *udata);
struct sg_decoder {
    uint32_t abi; /* SG_DECODER_ABI_1 */
    sg_decode_fn decode;
    void *udata;
};
#define SG_DECODER_ABI_1 1u

/* ---- Encoders: records to CSV lines ---------------------------------------- */
typedef int (*sg_encode_fn)(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata);
struct sg_encoder {
    uint32_t abi;       /* SG_ENCODER_ABI_1 */
    const char *header; /* first line of the output, without "\n"; NULL for none */
    sg_encode_fn encode;
    void *udata;
};
#define SG_ENCODER_ABI_1 1u

/* ---- Sources ----------------------------------------------------------------
 * A source is polled by its worker: poll emits up to 'budget' records (or lines)
 * and returns SG_OK, SG_AGAIN (nothing now; polled again later) or SG_EOF (done).
 * A generator source (registered with sg_job_register_generator) reads its URI
 * parameters with sg_ctx_param_*; with SG_SOURCE_PARALLEL it runs at the job's
 * parallelism and each instance produces its share (sg_ctx_subtask). */
#define SG_SOURCE_PARALLEL 0x1u
#define SG_SOURCE_ABI_1 1u
struct sg_source_def {
    uint32_t abi;
    const char *name;
    size_t self_size;
    uint32_t flags;
    int (*open)(sg_ctx *ctx, void *self, sg_snap_reader *restore);
    int (*poll)(sg_ctx *ctx, void *self, size_t budget);
    int (*snapshot)(sg_ctx *ctx, void *self, sg_snap_writer *out);
    void (*close)(sg_ctx *ctx, void *self);
};

/* Input formats of line sources. */
typedef enum sg_format { SG_FORMAT_RECORDS = 0, SG_FORMAT_JSONL, SG_FORMAT_CSV } sg_format;
/* In a source's open: the source emits lines in this format (decoded by the
 * stream's decoder), and names them as 'origin' in messages (e.g. the file path). */
SG_API int sg_source_set_format(sg_ctx *ctx, sg_format fmt, const char *origin);
/* Emits one input line (without its newline) found at 1-based physical line number
 * line_no. The engine parses it, skips blank lines, rejects malformed ones, and
 * passes good rows to the decoder. */
SG_API int sg_source_emit_line(sg_ctx *ctx, const void *data, size_t len, uint64_t line_no);

/* The source's URI, and its query parameters ("gen:x?count=10&rate=5"). */
SG_API const char *sg_ctx_uri(const sg_ctx *ctx);
/* The URI's path part: "x" in "gen:x?..." or "/a/b.jsonl" in "file:/a/b.jsonl". */
SG_API const char *sg_ctx_uri_path(const sg_ctx *ctx);
/* SG_OK, SG_NOTFOUND (absent: *out keeps its default) or SG_EINVAL (malformed, with
 * a message recorded for the caller to return). */
SG_API int sg_ctx_param_i64(sg_ctx *ctx, const char *name, int64_t *out);
SG_API int sg_ctx_param_str(sg_ctx *ctx, const char *name, const char **out);
/* SG_EINVAL naming the first parameter not in the comma-separated list 'known'. */
SG_API int sg_ctx_params_check(sg_ctx *ctx, const char *known);

/* ---- Sinks ----------------------------------------------------------------
 * write receives each record; for a sink with an encoder, rec->value is the encoded
 * line including its "\n"; finish is called at the end of input.
 *
 * Checkpoints (sg_ctx_checkpoint_mode says whether the run takes them) make a sink
 * two-phase-commit, as Flink's TwoPhaseCommitSinkFunction:
 *   pre_commit(id)  at checkpoint id's barrier: make everything written since the
 *                   previous pre_commit durable, staged for id, and not yet visible;
 *   snapshot        right after pre_commit: what open needs to restore (abi >= 2);
 *   commit(id)      when checkpoint id has completed (every subtask acknowledged and
 *                   its metadata is on disk): make everything staged for checkpoints
 *                   <= id visible. Called on the sink's worker, between writes;
 *   open(restore)   restore is the snapshot taken at the checkpoint being restored,
 *                   which is complete: open must finish committing what it staged
 *                   (commit may have been interrupted) and discard anything staged
 *                   or made visible after it, so output continues exactly there;
 *   finish          at the end of input, commits everything left.
 * A sink with SG_SINK_EXACTLY_ONCE in flags promises exactly this; others are
 * at-least-once, and `sangam run` says which guarantee each sink gives. */
#define SG_SINK_ABI_1 1u
#define SG_SINK_ABI_2 2u /* adds snapshot */
#define SG_SINK_EXACTLY_ONCE 0x1u
struct sg_sink_def {
    uint32_t abi;
    const char *name;
    size_t self_size;
    uint32_t flags; /* SG_SINK_EXACTLY_ONCE */
    int (*open)(sg_ctx *ctx, void *self, sg_snap_reader *restore);
    int (*write)(sg_ctx *ctx, void *self, const sg_record *rec);
    int (*pre_commit)(sg_ctx *ctx, void *self, uint64_t checkpoint_id);
    int (*commit)(sg_ctx *ctx, void *self, uint64_t checkpoint_id);
    int (*finish)(sg_ctx *ctx, void *self);
    void (*close)(sg_ctx *ctx, void *self);
    /* abi >= SG_SINK_ABI_2, optional: the sink's state for open's restore. */
    int (*snapshot)(sg_ctx *ctx, void *self, sg_snap_writer *out);
};

/* Whether this run takes checkpoints, and with which guarantee (--checkpoint-mode).
 * Sources and sinks use it to decide whether to stage output and track positions. */
typedef enum sg_checkpoint_mode {
    SG_CHECKPOINT_NONE = 0,
    SG_CHECKPOINT_EXACTLY_ONCE = 1,
    SG_CHECKPOINT_AT_LEAST_ONCE = 2,
} sg_checkpoint_mode;
SG_API sg_checkpoint_mode sg_ctx_checkpoint_mode(const sg_ctx *ctx);
/* In a sink's open: the encoder's header line (without "\n"), or NULL. */
SG_API const char *sg_sink_header(const sg_ctx *ctx);

/* ==== 9. Snapshots ======================================================= */

/* Operator and source snapshots: a sequence of typed values, read back in the same
 * order. Each put returns SG_OK or SG_ENOMEM; each get SG_OK, or SG_ESERDE when the
 * next value is missing or of another type. Bytes read are borrowed (rule 2). */
SG_API int sg_snap_put_u64(sg_snap_writer *w, uint64_t v);
SG_API int sg_snap_put_i64(sg_snap_writer *w, int64_t v);
SG_API int sg_snap_put_bytes(sg_snap_writer *w, const void *data, size_t len);
SG_API int sg_snap_get_u64(sg_snap_reader *r, uint64_t *v);
SG_API int sg_snap_get_i64(sg_snap_reader *r, int64_t *v);
SG_API int sg_snap_get_bytes(sg_snap_reader *r, sg_bytes *out);

#ifdef __cplusplus
}
#endif
#endif /* SANGAM_H */
