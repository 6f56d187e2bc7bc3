/* What a run owns in its --checkpoint-dir besides the checkpoints it writes:
 *   - the lock: DIR/.lock, flock'd (exclusive, not blocking) from the start of the run
 *     to its end, so two runs never share one directory (one would remove the other's
 *     checkpoints by retention, and their numbering would collide). The kernel drops
 *     the lock when the process dies, kill -9 included, so there is no stale lock to
 *     clean up. Reading a directory (`sangam checkpoints DIR`) takes no lock.
 *   - removing aborted checkpoints and savepoints (a directory without _metadata):
 *     those older than a checkpoint that just completed (every subtask has passed
 *     their barrier, so nobody writes into them any more), and at the start of a run,
 *     with the lock held, all of them (nobody else can be writing).
 * Layering: uses ckpt_store.h and fsutil.h; called by runtime.c and ckpt_coord.c. */
#ifndef SG_ENGINE_CKPT_DIR_H
#define SG_ENGINE_CKPT_DIR_H

#include <stddef.h>
#include <stdint.h>

/* Creates root if needed and locks root/.lock for this process (the pid is written
 * into it, for the message another run gets). SG_OK with the lock's descriptor in
 * *fd; SG_EIO with one line in err when another run holds it or it cannot be made. */
int sg__ckpt_dir_lock(const char *root, int *fd, char *err, size_t errlen);
/* Releases the lock (closes fd); fd < 0 is a no-op. The .lock file stays. */
void sg__ckpt_dir_unlock(int fd);

/* Removes every checkpoint and savepoint directory under root without _metadata whose
 * id is below 'below' (UINT64_MAX: all). A missing root is fine. */
int sg__ckpt_remove_aborted(const char *root, uint64_t below, char *err, size_t errlen);

#endif
