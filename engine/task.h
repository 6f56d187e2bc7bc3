/* Subtasks: one parallel instance of a task (a chain of operator instances) with its
 * input channels and output partitioners. A worker activates a subtask with
 * sg__subtask_run; an activation polls the source or drains a few input batches,
 * runs them down the chain, and pushes full batches out.
 *
 * Invariants:
 *   (1) Records, watermarks and the end of input leave a subtask in the order they
 *       were produced, on every channel (pending batches are flushed before a
 *       control message goes out).
 *   (2) A subtask's input watermark is the minimum over its inputs that have not
 *       ended; it only advances.
 *   (3) A subtask with batches it could not push (overflow) is not given new input
 *       until they are all pushed: that is backpressure.
 *   (4) A subtask finishes once every input has ended (or its source returned
 *       SG_EOF): the watermark goes to SG_TIME_MAX, the chain finishes, and END goes
 *       out on every channel.
 *   (5) Checkpoint barriers (ckpt.h) travel in-band like watermarks. A source
 *       snapshots and sends barrier n at the start of the first activation that sees
 *       it wanted; any other subtask snapshots and forwards n once n arrived on every
 *       input that has not ended, and in exactly-once mode does not read an input
 *       past its barrier meanwhile (alignment). Snapshots of one subtask are taken in
 *       increasing id order; a newer barrier abandons an older alignment.
 *   (6) A subtask that finishes without taking checkpoint n never received barrier n
 *       (an alignment still pending when its last input ends is completed first), so
 *       its producers finished without n too: checkpoint n records all of them as
 *       finished (ckpt_finished.h), and a restore of it as finished, which reads no
 *       input, never has a producer replaying into it. */
#ifndef SG_ENGINE_TASK_H
#define SG_ENGINE_TASK_H

#include <stdatomic.h>

#include "engine/chan.h"
#include "engine/ckpt.h"
#include "engine/ctx.h"
#include "engine/plan.h"

struct sg__worker;

typedef struct sg__input {
    sg__chan *chan;
    sg_time wm;
    bool ended;
    int port;
    bool idle;              /* the producer said it is idle (Flink's WatermarkStatus.IDLE) */
    _Atomic sg_time pub_wm; /* wm for the monitor (SG_TIME_MAX once ended) */
    _Atomic bool pub_idle;
    uint64_t barrier; /* the newest checkpoint barrier it delivered */
} sg__input;

typedef struct sg__output {
    const char *tag; /* side output tag, or NULL for the main output */
    int from_inst;   /* the chain instance whose records it carries */
    sg__xchg_kind kind;
    int n;               /* targets */
    sg__chan **chans;    /* [n] */
    sg__batch **pending; /* [n] batches being filled */
    int rr;              /* rebalance: the target being filled */
} sg__output;

typedef struct sg__overflow {
    sg__chan *chan;
    sg__batch *batch;
} sg__overflow;

/* What the monitor shows of one chain instance (--explain-time). */
typedef struct sg__inst_published {
    _Atomic uint64_t event_timers, processing_timers, late;
} sg__inst_published;

/* Counters the monitor reads while the worker runs. */
typedef struct sg__published {
    _Atomic uint64_t read, bad, late, written;
    _Atomic sg_time wm;
} sg__published;

typedef struct sg__subtask {
    int task, index; /* plan task and parallel index */
    struct sg__worker *worker;
    sg_ctx *chain; /* [n_chain] instances, head first */
    int n_chain;
    bool is_source, is_sink;
    sg_time wm_delay; /* sources: < 0 for no periodic watermarks */
    sg_time wm_out;   /* sources: last watermark generated */

    sg__input *inputs;
    int n_inputs, next_input, n_ended;
    sg_time in_wm;
    sg_time rec_wm;   /* the current record's source watermark, shared by the chain */
    sg_record *views; /* batch views for a head with process_batch (one allocation) */
    sg_time *view_wms;
    int32_t *view_kgs;

    sg__output *outputs;
    int n_outputs;

    sg__overflow *over;
    int n_over, cap_over;
    _Atomic bool blocked; /* has overflow; consumers wake its worker when they pop */

    bool opened, finished;
    bool again;              /* the source's last poll had nothing: poll again after a pause */
    sg_time next_proc_timer; /* the chain's earliest processing-time timer, or SG_TIME_MAX */
    sg_time idle_timeout;    /* sources: ms without records before going idle; 0: never */
    sg_time last_activity;   /* sources: processing time of the last record */
    uint32_t pace_budget;    /* sources under --pace: records per poll (pace.h); 0: off */
    /* --flush-ms: a partly filled output batch waits up to flush_ms for more records,
     * and a source sends its watermark at most every flush_ms (a watermark flushes
     * every batch, so it would end the wait); 0: both at the end of every activation. */
    sg_time flush_ms;
    sg_time held_since; /* when the oldest held batch was left partly filled; 0: none */
    sg_time last_wm_at; /* sources: when the last periodic watermark was sent */
    bool out_idle;      /* IDLE was sent downstream and no record since */
    _Atomic bool pub_idle;
    sg__counters counters;
    sg__published pub;
    sg__inst_published *ipub; /* [n_chain] */

    /* Checkpoints (ckpt.h); ckpt is NULL when the run takes none. */
    sg__ckpt_shared *ckpt;
    uint64_t ckpt_last;               /* the newest checkpoint snapshotted here */
    uint64_t ckpt_align;              /* the barrier being aligned; 0: none */
    uint64_t precommitted, committed; /* sinks: the newest pre_commit and commit ids */
    bool resend_wm;                   /* restored: send the tail's watermark first */
    bool restore_savepoint;           /* sg__subtask_open's directory is a savepoint */
    _Atomic uint64_t acked;           /* the newest checkpoint whose snapshot is written */
    _Atomic uint64_t ack_bytes;       /* its size: .snap plus state directories */
    _Atomic uint64_t ack_sync_us;     /* how long its synchronous part took */
    _Atomic uint64_t ack_align_us;    /* how long its alignment took (0: a source) */
    _Atomic uint64_t snapped;         /* the newest synchronous part done; acked follows
                                         once the helper wrote its files (ckpt_async.h) */
    uint64_t align_start_us;          /* when the alignment in progress began; 0: none */
    _Atomic bool pub_finished;
    _Atomic uint64_t *inst_bytes; /* [n_chain] each instance's share of ack_bytes */
    /* Finished subtasks in checkpoints (ckpt_finished.h). Both are written by the worker
     * before pub_finished is set (release) and read by the coordinator after. */
    sg_time wm_sent;       /* the last watermark sent on the outputs, SG_TIME_MIN: none */
    bool restore_finished; /* restored as finished: re-send wm_sent and END, run nothing */
} sg__subtask;

/* One activation. Returns > 0 if it made progress, 0 if it could not, < 0 on failure
 * (the message is in the chain's first instance with one). */
int sg__subtask_run(sg__subtask *t);
/* Opens every instance of the chain (head last, so downstream is ready first); from
 * the subtask's snapshot in checkpoint directory restore_dir, or fresh when NULL
 * (task_ckpt.c). Keyed instances' state directories must not exist yet. */
int sg__subtask_open(sg__subtask *t, const char *restore_dir);
/* After a restore from checkpoint or savepoint id (its instances open): the inputs
 * stand at the restored input watermark, ids after id are new (task_ckpt.c). */
void sg__subtask_restored(sg__subtask *t, uint64_t id);
/* Instead of sg__subtask_open, for a subtask that checkpoint id recorded as finished
 * (task.c): nothing of its chain is opened (its source does not run again, its sink
 * does not touch its committed output); its first activation sends watermark wm
 * (unless SG_TIME_MIN) and END on every output, as it did at its end, and it is
 * finished. */
void sg__subtask_open_finished(sg__subtask *t, uint64_t id, sg_time wm);
/* Savepoints (task_savepoint.c): writes chain instance k's n<node>.<stage>-s<subtask>.sp into
 * dir (its bytes into *bytes), and opens every instance of the chain from the
 * savepoint in dir, at this run's parallelism (key groups filtered). */
int sg__subtask_savepoint_instance(sg__subtask *t, int k, uint64_t id, const char *dir,
                                   uint64_t *bytes);
int sg__subtask_open_savepoint(sg__subtask *t, const char *dir);
/* Writes the subtask's snapshot of checkpoint id into the checkpoint's directory
 * (pre-committing sinks first) and acknowledges it (task_ckpt.c). */
int sg__subtask_snapshot(sg__subtask *t, uint64_t id);
/* A monotonic clock in microseconds (alignment timing). */
uint64_t sg__subtask_now_us(void);
/* Links the chain's callbacks (before opening). */
void sg__subtask_wire(sg__subtask *t);
void sg__subtask_close(sg__subtask *t);
/* True when an activation could make progress now. */
bool sg__subtask_ready(sg__subtask *t);
/* True once the subtask has finished and sent everything out. */
static inline bool sg__subtask_done(const sg__subtask *t)
{
    return t->finished && t->n_over == 0;
}
/* The error message of a failed subtask. */
const char *sg__subtask_errmsg(const sg__subtask *t);
void sg__subtask_publish(sg__subtask *t);

#endif
