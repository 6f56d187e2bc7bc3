/* source_run.h — runs one source instance on the caller's thread, as a task's chain
 * runs it (the source, then its decoder stage for a line source), for tests of
 * source checkpoints: poll k records, snapshot, open a fresh instance from the
 * snapshot, poll to the end, and compare with an uninterrupted run.
 *
 * The output is text, one line per record: "L<line>\t<raw line>" for each row a line
 * source delivers to its decoder (the decoder accepts every row), or
 * "<ts>\t<key>\t<value>" (key and value in hex) for each record a record source
 * emits. Malformed lines go
 * to the reject log given (their FILE:LINE is in its dead-letter file). */
#ifndef SG_TESTS_SOURCE_RUN_H
#define SG_TESTS_SOURCE_RUN_H

#include <sangam/sangam.h>

#include "engine/reject.h"

typedef struct sg__srun sg__srun;

/* Opens def on uri as subtask 'subtask' of 'parallelism' with checkpoint mode mode.
 * snapshot [borrowed] is NULL for a fresh start, else bytes from sg__srun_snapshot;
 * rejects [borrowed] may be NULL (rejects are then only counted). On error *out is
 * still set (its message says why) and must be freed. */
int sg__srun_new(const sg_source_def *def, const char *uri, int subtask, int parallelism,
                 sg_checkpoint_mode mode, const sg_bytes *snapshot, sg__reject_log *rejects,
                 sg__srun **out);
/* One poll with this budget: SG_OK, SG_EOF or an error. */
int sg__srun_poll(sg__srun *r, size_t budget);
/* Polls until SG_EOF (or an error). */
int sg__srun_drain(sg__srun *r);
/* The instance's snapshot, as the engine stores it; *out [owned->caller] is freed
 * with sg_free((void *)out->data). */
int sg__srun_snapshot(sg__srun *r, sg_bytes *out);
/* The output so far (NUL-terminated, owned by r) and the bad-record count. */
const char *sg__srun_output(const sg__srun *r);
uint64_t sg__srun_bad(const sg__srun *r);
const char *sg__srun_errmsg(const sg__srun *r);
void sg__srun_free(sg__srun *r);

/* The resume check: runs def on uri (as subtask of parallelism, in exactly-once
 * mode) without a break, then again with one poll of budget k, a snapshot, a fresh
 * instance opened from it, and polls to the end. SG_OK when both deliver the same
 * output and bad-record count; SG_EINVAL with msg (cap bytes) saying where they
 * differ; another error (and msg) when the source fails. */
int sg__srun_check_split(const sg_source_def *def, const char *uri, int subtask, int parallelism,
                         size_t k, char *msg, size_t cap);

#endif
