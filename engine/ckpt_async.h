/* The asynchronous part of a checkpoint: one helper thread per runtime that writes
 * the files a subtask's synchronous part copied into memory, hashes them and the
 * RocksDB checkpoint directories it linked, and then acknowledges for the subtask.
 *
 * Rules:
 *   1. A job owns everything it carries: the subtask hands over bytes it will never
 *      touch again (copies made at the barrier), so the subtask goes on processing
 *      while the job runs, and what is written is the state at the barrier.
 *   2. Jobs run one at a time in submission order. So one subtask's acknowledgements
 *      come in id order, and every file of an aborted checkpoint n is written before
 *      any later checkpoint is acknowledged (retention may remove n's directory only
 *      once a later one completes: docs/checkpoints.md, "Abort").
 *   3. A job acknowledges (raises *acked to its id, release) only after every file is
 *      durable: written to NAME.tmp, fsync'd, renamed, its directory fsync'd.
 *   4. The first failure is kept (sg__ckpt_async_error) and fails the job through the
 *      coordinator; later jobs are dropped unacknowledged.
 *   5. Hashes computed here are handed to the coordinator by checkpoint id
 *      (sg__ckpt_async_take), so completing a checkpoint reads no file again. A
 *      hard-linked file already hashed for an earlier checkpoint (same path, size,
 *      device, inode and mtime) is not read again either: RocksDB never rewrites a file.
 * Layering: uses ckpt_store.h; used by task_ckpt.c (submit) and ckpt_coord.c. */
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

/* Moves the hashes of checkpoint id's files out of a (rule 5): *files is sg_malloc'd
 * (free each path and the array), sorted by path; *n may be 0. Drops what is left of
 * older checkpoints (aborted ones). */
int sg__ckpt_async_take(sg__ckpt_async *a, uint64_t id, sg__ckpt_file **files, size_t *n);

#endif
