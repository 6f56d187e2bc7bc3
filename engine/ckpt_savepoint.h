/* Savepoints: the canonical, self-contained form of a checkpoint, which a restore can
 * read at another parallelism (docs/checkpoints.md, "Savepoints and rescaling").
 *
 * A savepoint holds one file per operator instance, named by the graph node and the
 * subtask, n<node id>.<stage>-s<subtask>.sp (msgpack, snap.h; the stage tells a line
 * source, 0, from its decoder, 1; 0 for every other node):
 *
 *   u64 SG__SP_FORMAT      u64 the savepoint's id
 *   bytes node name        u64 the node's parallelism    u64 the subtask
 *   i64 the task's input watermark, i64 its record watermark, i64 a source's last
 *       watermark out (the task the instance ran in when the savepoint was taken)
 *   i64 the instance's watermark    i64 its max timestamp seen
 *   bytes sg__inst_snapshot (event timers, processing timers, the own snapshot)
 *   the keyed state dump (sg__sp_dump_kv), empty for an instance without state
 *
 * Nothing in it depends on how the plan chained operators into tasks, and the keyed
 * state is a list of entries, not a RocksDB checkpoint: no hard link to any live file.
 * Layering: uses state.h, snap.h; used by task_savepoint.c and the tests. */
#ifndef SG_ENGINE_CKPT_SAVEPOINT_H
#define SG_ENGINE_CKPT_SAVEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

#include "engine/state.h"

#define SG__SP_FORMAT 1

/* Writes every entry of every state declared in kv (NULL: none):
 *   u64 n_states, then per state: bytes its name, then per entry u64 key group,
 *   bytes key, i64 namespace, bytes value; the state's entries end with a u64
 *   key group of 65536.
 * Entries go by key group, then in backend key order. Flushes kv first. *n_entries
 * (may be NULL) gets the number written. SG_OK or a negative code (kv's errmsg). */
int sg__sp_dump_kv(sg__kv *kv, sg_snap_writer *w, uint64_t *n_entries);

/* Reads a dump written by sg__sp_dump_kv and puts into kv (declaring each state by
 * name) the entries whose key group belongs to subtask of parallelism
 * (sg__kg_subtask). *loaded (may be NULL) gets how many; SG_ESERDE when the dump is
 * malformed. kv may be NULL only when the dump holds no entry for subtask. */
int sg__sp_load_kv(sg_snap_reader *r, sg__kv *kv, int subtask, int parallelism, uint64_t *loaded);

/* True when a dump holds at least one state (the restore must then open state). */
int sg__sp_dump_has_states(sg_bytes dump, int *has);

/* Rebuilds an instance snapshot (sg__inst_snapshot's layout) for subtask of
 * parallelism from the snapshots of all n old instances: their timers whose key group
 * is the subtask's, and one own snapshot made by sg__sp_merge_own. On a refusal
 * SG_EINVAL with one line in err. */
int sg__sp_rescale_inst(const sg_bytes *old, size_t n, int subtask, int parallelism,
                        sg_snap_writer *out, char *err, size_t errlen);

/* The own snapshot of a rescaled keyed operator, from the n old instances' own
 * snapshots, written into out as one bytes value: empty when all are empty; the common value when
 * all are equal; when all are sequences of integers of one shape (a watermark and a counter: the
 * window and session operators), the element-wise maximum (the watermark is the same at every
 * aligned instance, and a counter that numbers namespaces stays above every number
 * in use). Anything else cannot be split or merged without the operator: SG_EINVAL. */
int sg__sp_merge_own(const sg_bytes *own, size_t n, sg_snap_writer *out);

#endif
