/* The checkpoint runtime: the coordinator (on the main thread, in the runtime's
 * monitor loop) and what it shares with the subtasks (docs/checkpoints.md).
 *
 * Protocol, as the subtasks and the coordinator see it:
 *   1. The coordinator starts checkpoint n (sg__ckpt_begin makes its directory), then
 *      raises `wanted` to n and wakes every source subtask's worker.
 *   2. A source subtask that sees wanted > its last checkpoint snapshots its chain,
 *      sends barrier n on every output and hands its files to the helper thread
 *      (ckpt_async.h), which writes, fsyncs and hashes them and then stores n in the
 *      subtask's `acked` (task.h).
 *   3. Other subtasks align on barrier n (exactly-once: a channel that delivered n is
 *      not read until every channel that has not ended delivered it), snapshot,
 *      forward n and hand their files to the helper likewise. A sink pre-commits n
 *      before its snapshot.
 *   4. When every subtask acknowledged n, the coordinator writes _metadata
 *      (sg__ckpt_complete): n is complete. It raises `completed` to n and wakes the
 *      sinks' workers, which commit n at their next activation; then it applies
 *      --retain.
 *   5. A subtask that has finished (input ended, final watermark and END sent, a sink
 *      committed at finish) without acknowledging n counts as acknowledged: the
 *      coordinator writes its t<task>-s<subtask>.finished (ckpt_finished.h), and a
 *      restore re-sends its end instead of running it (Flink 1.14's FLIP-147). This is
 *      consistent because a consumer counts an ended input as aligned only once it has
 *      read END, so its snapshot holds everything the finished subtask sent. A
 *      checkpoint starts only while some source is running; a savepoint only while
 *      every subtask is (a subtask that finishes before acknowledging one aborts it).
 *   6. A checkpoint not complete within the timeout is aborted: late acknowledgements
 *      are ignored, the helper drops its queued jobs unwritten, and its directory goes
 *      at the next retention (every subtask has passed barrier n by the time a later
 *      checkpoint completes, so nobody writes into it any more); an aborted
 *      savepoint's too (ckpt_dir.h). A new checkpoint starts only once the helper is
 *      idle, so at most one checkpoint's files are ever queued.
 * Layering: uses ckpt_store.h, plan.h and task.h; called by runtime.c. */
#ifndef SG_ENGINE_CKPT_H
#define SG_ENGINE_CKPT_H

#include <stdatomic.h>
#include <stdint.h>

#include <sangam/sangam.h>

#include "engine/ckpt_store.h"

struct sg__subtask;
struct sg__plan;
struct sg__ckpt_async;
struct sg__run_config;

/* What subtasks read of the coordinator. */
typedef struct sg__ckpt_shared {
    const char *root; /* --checkpoint-dir, borrowed */
    sg_checkpoint_mode mode;
    _Atomic uint64_t wanted;      /* the newest checkpoint triggered */
    _Atomic uint64_t completed;   /* the newest checkpoint completed */
    _Atomic uint64_t savepoint;   /* the newest savepoint triggered (raised before wanted) */
    struct sg__ckpt_async *async; /* the helper thread (ckpt_async.h); NULL: write inline */
} sg__ckpt_shared;

typedef struct sg__ckpt_stats {
    uint64_t completed, aborted;
    uint64_t last_id;
    double last_ms, max_ms;  /* trigger to complete */
    double last_sync_ms;     /* the slowest subtask's synchronous part, last one */
    double last_align_ms;    /* the longest alignment (first barrier to last), last one */
    uint64_t last_bytes;     /* snapshot files and state directories of the last */
    uint64_t restored_from;  /* the checkpoint this run restored, 0: none */
    bool restored_savepoint; /* ... and it was a savepoint */
} sg__ckpt_stats;

typedef struct sg__ckpt_coord {
    sg__ckpt_shared shared;
    const struct sg__run_config *cfg;
    const struct sg__plan *plan;
    struct sg__subtask **subtasks;
    int n_subtasks;
    char *fingerprint; /* owned */
    uint64_t next_id;
    uint64_t inflight;    /* 0: none */
    sg_time started_ms;   /* of the one in flight */
    sg_time last_end_ms;  /* when the last one completed or aborted */
    uint64_t stop_after;  /* test hook: _exit(137) once this checkpoint is complete */
    char *sp_fingerprint; /* owned: the parallelism-free one savepoints record */
    bool inflight_sp;     /* the one in flight is a savepoint */
    uint64_t sp_at;       /* test hook: the sp_at-th trigger this run is a savepoint */
    uint64_t triggered;   /* triggers this run */
    sg__ckpt_stats stats;
} sg__ckpt_coord;

/* The plan's identity for restore: every task's node names and its parallelism, as
 * "src,parse*2>count*2>out*1" (sg_malloc'd; NULL: no memory). */
char *sg__ckpt_fingerprint(const struct sg__plan *plan);

/* A savepoint's fingerprint: the node names in plan order without parallelism or
 * chaining ("nodes:src,parse,count,out"), sg_malloc'd; NULL: no memory. */
char *sg__ckpt_sp_fingerprint(const struct sg__plan *plan);

/* Prepares the coordinator; checkpoint ids start after first_id. */
int sg__ckpt_coord_init(sg__ckpt_coord *c, const struct sg__run_config *cfg,
                        const struct sg__plan *plan, struct sg__subtask **subtasks, int n,
                        uint64_t first_id, char *err, size_t errlen);
/* One step of the coordinator (called every few ms): complete, abort or trigger.
 * *savepoint (may be NULL; set by SIGUSR1) asks for a savepoint: it is triggered at
 * the next step with nothing in flight, and *savepoint is cleared.
 * SG_OK, or an error with one line in err that fails the job (a checkpoint that
 * cannot be written). */
int sg__ckpt_coord_tick(sg__ckpt_coord *c, _Atomic int *savepoint, char *err, size_t errlen);
void sg__ckpt_coord_free(sg__ckpt_coord *c);

/* Finds the checkpoint cfg->restore names ("latest" in cfg->ckpt_dir, or a directory),
 * verifies it and checks that it was taken with this plan (fingerprint; a savepoint:
 * the same nodes, at any parallelism, and max parallelism SG__MAX_PARALLELISM). SG_OK
 * with its directory in dir, its id and its kind; SG_NOTFOUND for "latest" when there is no
 * complete checkpoint (start fresh); or an error with one line in err. */
int sg__ckpt_find_restore(const struct sg__run_config *cfg, const struct sg__plan *plan, char *dir,
                          size_t dirlen, uint64_t *id, sg__ckpt_kind *kind, char *err,
                          size_t errlen);
/* One line: the guarantee each sink of the plan gives under mode, into buf. */
void sg__ckpt_guarantees(const struct sg__plan *plan, sg_checkpoint_mode mode, char *buf,
                         size_t len);

#endif
