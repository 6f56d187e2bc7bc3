/* Finished subtasks in checkpoints (Flink 1.14's FLIP-147): a subtask that has
 * finished (its input ended, its final watermark and END went out, a sink committed
 * at finish) counts as acknowledged in every later checkpoint. The coordinator writes
 * t<task>-s<subtask>.finished in place of its .snap, and a restore does not run it
 * again: it re-sends its final watermark and END (task.c, sg__subtask_open_finished).
 *
 * t<task>-s<subtask>.finished, msgpack (snap.h):
 *   u64 format (1)   u64 checkpoint id   bytes the head node's name
 *   i64 the last watermark it sent on its outputs (SG_TIME_MIN: none)
 *
 * It is an ordinary file of the checkpoint: listed, sized and hashed in _metadata
 * like every .snap, so the metadata format did not change. A checkpoint has exactly
 * one of the two files per subtask.
 * Layering: uses ckpt_store.h and snap.h; called by ckpt_coord.c, runtime.c and
 * cmd_checkpoints.c. */
#ifndef SG_ENGINE_CKPT_FINISHED_H
#define SG_ENGINE_CKPT_FINISHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

/* What a .finished file says. */
typedef struct sg__ckpt_finished {
    uint64_t id;
    char name[128]; /* the head node's name (cut if longer) */
    sg_time wm;     /* the last watermark it sent, SG_TIME_MIN: none */
} sg__ckpt_finished;

/* Writes t<task>-s<subtask>.finished into checkpoint directory dir, durably. */
int sg__ckpt_write_finished(const char *dir, int task, int subtask, const char *name, uint64_t id,
                            sg_time wm, char *err, size_t errlen);

/* Reads t<task>-s<subtask>.finished from a verified checkpoint directory: SG_OK with *f,
 * SG_NOTFOUND when the subtask was not finished (it has a .snap), or an error with one
 * line in err (a malformed file). */
int sg__ckpt_read_finished(const char *dir, int task, int subtask, sg__ckpt_finished *f, char *err,
                           size_t errlen);

/* True when name (a path relative to a checkpoint directory) is a .finished file;
 * *task and *subtask get its numbers. */
bool sg__ckpt_is_finished_file(const char *name, int *task, int *subtask);

#endif
