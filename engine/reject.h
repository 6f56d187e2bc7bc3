/* The run's log of rejected records (reject.c). Thread-safe. */
#ifndef SG_ENGINE_REJECT_H
#define SG_ENGINE_REJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

typedef struct sg__reject_log sg__reject_log;

/* Reports the first report_first rejects on stderr; writes all to dead_letter_path,
 * truncated first unless append (a restored run keeps what earlier runs wrote: across a
 * restore the dead letter is at-least-once, the replay may write a reject again). */
int sg__reject_log_new(const char *dead_letter_path, int report_first, bool append,
                       sg__reject_log **out, char *err, size_t errlen);
/* Closes the dead-letter file; SG_EIO (with err) if writing it failed. */
int sg__reject_log_free(sg__reject_log *log, char *err, size_t errlen);
/* Rejects beyond the first report_first (not shown on stderr). */
uint64_t sg__reject_log_unreported(sg__reject_log *log);
void sg__reject_log_write(sg__reject_log *log, const char *origin, uint64_t line,
                          const char *reason, sg_bytes raw);

#endif
