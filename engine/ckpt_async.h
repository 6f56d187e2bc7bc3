/* The asynchronous part of a checkpoint: one helper thread per runtime that writes
 * the files a subtask's synchronous part copied into memory, hashes them and the
 * RocksDB checkpoint directories it linked, and then acknowledges for the subtask.
 *
 * Rules:
 *   1. A job owns everything it carries: the subtask hands over bytes it will never
 *      touch again (copies made at the barrier), so the subtask goes on processing
 *      while the job runs, and what is written is the state at the barrier.
 *   2. Jobs run one at a time in submission order. So one subtask's acknowledgements
 *      come in id order, and every file of an aborted checkpoint n is written (or its
 *      job dropped, rule 6) before any later checkpoint's job runs: retention may
 *      remove n's directory once a later one completes, and nobody writes into it by
 *      then (docs/checkpoints.md, "Abort").
 *   3. A job acknowledges (raises *acked to its id, release) only after every file is
 *      durable: written to NAME.tmp, fsync'd, renamed, its directory fsync'd.
 *   4. The first failure is kept (sg__ckpt_async_error) and fails the job through the
 *      coordinator, or through the runtime once the workers are joined
 *      (sg__ckpt_async_drain): never lost; later jobs are dropped unacknowledged.
 *   5. Hashes computed here are handed to the coordinator by checkpoint id
 *      (sg__ckpt_async_take), so completing a checkpoint reads no file again. A
 *      hard-linked file already hashed for an earlier checkpoint (same path, size,
 *      device, inode and mtime) is not read again either: RocksDB never rewrites a file.
 *   6. The coordinator tells the helper which checkpoint it aborted
 *      (sg__ckpt_async_abort): its queued jobs are freed unwritten, the job running stops
 *      at its next file, and a job of it submitted later is freed at once. None of them
 *      acknowledges. So a helper slower than --checkpoint-timeout-ms does not keep
 *      writing checkpoints nobody will complete, and their copies do not pile up; the
 *      coordinator triggers only while the helper is idle (sg__ckpt_async_pending), so
 *      the queue never holds more than one checkpoint's jobs (one per subtask).
 * Layering: uses ckpt_store.h; used by task_ckpt.c (submit), ckpt_coord.c, and runtime.c
 * (sg__ckpt_async_drain after the workers are joined). */
#ifndef SG_ENGINE_CKPT_ASYNC_H
#define SG_ENGINE_CKPT_ASYNC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ckpt_store.h"

typedef struct sg__ckpt_async sg__ckpt_async;
typedef struct sg__ckpt_job sg__ckpt_job;

/* Starts the helper thread. SG_ENOMEM / SG_EINTERNAL. */
int sg__ckpt_async_new(sg__ckpt_async **out);
/* Finishes the job running now, drops the queued ones (their checkpoints cannot complete
 * any more: the run is over), joins the thread and frees everything. NULL is a no-op. */
void sg__ckpt_async_free(sg__ckpt_async *a);

/* A job for checkpoint id in directory dir ([borrowed], copied) that, once done, raises
 * *acked ([borrowed], must outlive the helper) to id. who names the subtask in
 * messages. NULL: no memory. */
sg__ckpt_job *sg__ckpt_job_new(uint64_t id, const char *dir, _Atomic uint64_t *acked,
                               const char *who);
void sg__ckpt_job_free(sg__ckpt_job *j);
/* Adds a file to write: name (copied) in the checkpoint directory, data [owned->job]
 * (freed by the job even when this fails). */
int sg__ckpt_job_add_file(sg__ckpt_job *j, const char *name, void *data, size_t len);
/* Adds a directory (a RocksDB checkpoint, name relative to the checkpoint directory)
 * whose files the job hashes. */
int sg__ckpt_job_add_dir(sg__ckpt_job *j, const char *name);

/* Queues j ([owned->helper]). With a NULL a, runs it now on this thread instead and
 * returns its result with one line in err. */
int sg__ckpt_async_submit(sg__ckpt_async *a, sg__ckpt_job *j, char *err, size_t errlen);

/* SG_OK, or the first failure's code with its one line in err (rule 4). */
int sg__ckpt_async_error(sg__ckpt_async *a, char *err, size_t errlen);

/* Waits until every job submitted so far has run (or was dropped, rule 6), then
 * returns sg__ckpt_async_error. For the end of a run: a failure of the last
 * checkpoint's writes fails the run even when no coordinator tick saw it. NULL: SG_OK. */
int sg__ckpt_async_drain(sg__ckpt_async *a, char *err, size_t errlen);

/* Checkpoint id (and every older one not complete) was aborted (rule 6). NULL: no-op. */
void sg__ckpt_async_abort(sg__ckpt_async *a, uint64_t id);

/* Jobs queued or running (0 for NULL): the coordinator triggers only at 0. */
size_t sg__ckpt_async_pending(sg__ckpt_async *a);

/* What the helper did (for tests and the documentation's claims): the most jobs ever
 * queued or running at once, the jobs run to the end, and the jobs dropped because
 * their checkpoint was aborted (rule 6). */
typedef struct sg__ckpt_async_counters {
    size_t max_pending;
    uint64_t jobs_done, jobs_dropped;
} sg__ckpt_async_counters;
void sg__ckpt_async_counters_get(sg__ckpt_async *a, sg__ckpt_async_counters *out);

/* Moves the hashes of checkpoint id's files out of a (rule 5): *files is sg_malloc'd
 * (free each path and the array), sorted by path; *n may be 0. Drops what is left of
 * older checkpoints (aborted ones). */
int sg__ckpt_async_take(sg__ckpt_async *a, uint64_t id, sg__ckpt_file **files, size_t *n);

#endif
