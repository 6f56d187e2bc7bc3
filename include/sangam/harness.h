/* harness.h — the operator test harness (modelled on Flink's operator test harnesses).
 *
 * A harness runs one instance of an operator on the calling thread, with keyed state
 * (RocksDB in a temporary directory, removed by sg_harness_free, or the heap backend)
 * and timers, exactly as the engine runs it. A test pushes records and watermarks and
 * reads what the operator emitted. No threads, no sleeps, no channels.
 *
 *     sg_harness *h;
 *     sg_harness_new(&my_op, &my_config, &h);
 *     sg_harness_process(h, 0, 1000, sg_bytes_str("user-1"), value);
 *     sg_harness_watermark(h, 60000);
 *     assert(sg_harness_count(h) == 1);
 *     sg_harness_free(h);
 */
#ifndef SANGAM_HARNESS_H
#define SANGAM_HARNESS_H

#include <sangam/sangam.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_harness sg_harness;

/* Creates a harness and opens one instance of def (subtask 0 of parallelism 1) with
 * udata as its sg_ctx_udata. Keyed state uses RocksDB. SG_OK or an error; on error
 * *out is NULL and nothing leaks. */
SG_API int sg_harness_new(const sg_operator_def *def, void *udata, sg_harness **out);
/* The same with the heap state backend. */
SG_API int sg_harness_new_heap(const sg_operator_def *def, void *udata, sg_harness **out);
/* Options of sg_harness_new_ex; fields are only ever appended. */
typedef struct sg_harness_opts {
    uint32_t abi;         /* SG_HARNESS_OPTS_ABI_1 */
    int heap;             /* non-zero: the heap state backend instead of RocksDB */
    size_t cache_entries; /* keyed state cache capacity in entries, 0 for the default;
                           * a tiny cache (16) makes state spill to the backend */
} sg_harness_opts;
#define SG_HARNESS_OPTS_ABI_1 1u
/* sg_harness_new with options ([borrowed]; NULL: the defaults of sg_harness_new). */
SG_API int sg_harness_new_ex(const sg_operator_def *def, void *udata, const sg_harness_opts *opts,
                             sg_harness **out);
/* Closes the instance and frees everything; NULL is a no-op. */
SG_API void sg_harness_free(sg_harness *h);

/* One record into input 'port'. For a keyed operator the key is the record's key. */
SG_API int sg_harness_process(sg_harness *h, int port, sg_time ts, sg_bytes key, sg_bytes value);
/* A batch of records into input 'port', as records arrive from another task: through
 * process_batch when the operator has one (each record's watermark is the harness's
 * current one), else record by record through process. */
SG_API int sg_harness_process_batch(sg_harness *h, int port, const sg_record *recs, size_t n);
/* Advances the watermark: due timers fire, then on_watermark runs. */
SG_API int sg_harness_watermark(sg_harness *h, sg_time wm);
/* Sets the fake processing-time clock (it starts at 0) and fires the processing-time
 * timers now due. No sleeps: a test moves time itself. */
SG_API int sg_harness_set_processing_time(sg_harness *h, sg_time now);
/* End of input: the watermark goes to SG_TIME_MAX, then finish runs. */
SG_API int sg_harness_finish(sg_harness *h);

/* Takes a snapshot of the instance (its timers, its own snapshot, its keyed state
 * flushed to RocksDB), closes it, and opens a fresh instance from the snapshot, as a
 * restart from a checkpoint would. Needs the RocksDB backend (sg_harness_new).
 * Output collected so far stays. */
SG_API int sg_harness_snapshot_restore(sg_harness *h);

/* The records emitted so far, in order; owned by the harness until sg_harness_clear
 * or sg_harness_free. */
SG_API size_t sg_harness_count(const sg_harness *h);
SG_API const sg_record *sg_harness_output(const sg_harness *h, size_t i);
SG_API void sg_harness_clear(sg_harness *h);
/* The records emitted to side output 'tag' (sg_emit_side), in order; cleared and
 * owned as the main output is. */
SG_API size_t sg_harness_side_count(const sg_harness *h, const char *tag);
SG_API const sg_record *sg_harness_side_output(const sg_harness *h, const char *tag, size_t i);
/* Watermarks the operator forwarded, the last one (SG_TIME_MIN if none). */
SG_API sg_time sg_harness_output_watermark(const sg_harness *h);
/* Late records the operator counted, and records it rejected. */
SG_API uint64_t sg_harness_late(const sg_harness *h);
SG_API uint64_t sg_harness_rejected(const sg_harness *h);
/* The number of keyed state entries stored, over every declared state: the cache is
 * flushed first, so this is what the backend holds (expired TTL data included until
 * cleanup removes it). 0 for an operator without keyed state. */
SG_API int sg_harness_state_entries(sg_harness *h, uint64_t *out);
/* The last error message of the operator ("" if none). */
SG_API const char *sg_harness_errmsg(const sg_harness *h);

#ifdef __cplusplus
}
#endif
#endif
