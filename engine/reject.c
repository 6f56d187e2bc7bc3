/* The run's log of rejected records: the first few go to stderr with their position,
 * every one goes to the --dead-letter file when there is one, as
 * "ORIGIN:LINE<TAB>REASON<TAB>RAW LINE". Shared by all workers, hence the mutex;
 * rejects are rare, so the lock is never on a hot path. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "engine/ctx.h"
#include "engine/reject.h"

struct sg__reject_log {
    pthread_mutex_t mu;
    FILE *dead;
    int report_left;
    uint64_t unreported;
};

int sg__reject_log_new(const char *dead_letter_path, int report_first, bool append,
                       sg__reject_log **out, char *err, size_t errlen)
{
    sg__reject_log *log = sg_calloc(1, sizeof(*log));
    if (!log) {
        snprintf(err, errlen, "out of memory");
        return SG_ENOMEM;
    }
    if (dead_letter_path && !(log->dead = fopen(dead_letter_path, append ? "a" : "w"))) {
        snprintf(err, errlen, "cannot open dead-letter file %s: %s", dead_letter_path,
                 strerror(errno));
        sg_free(log);
        return SG_EIO;
    }
    pthread_mutex_init(&log->mu, NULL);
    log->report_left = report_first;
    *out = log;
    return SG_OK;
}

uint64_t sg__reject_log_unreported(sg__reject_log *log)
{
    return log->unreported;
}

int sg__reject_log_free(sg__reject_log *log, char *err, size_t errlen)
{
    int rc = SG_OK;
    if (!log)
        return SG_OK;
    if (log->dead && (fflush(log->dead) != 0 || ferror(log->dead))) {
        snprintf(err, errlen, "cannot write the dead-letter file: %s", strerror(errno));
        rc = SG_EIO;
    }
    if (log->dead)
        fclose(log->dead);
    pthread_mutex_destroy(&log->mu);
    sg_free(log);
    return rc;
}

void sg__reject_log_write(sg__reject_log *log, const char *origin, uint64_t line,
                          const char *reason, sg_bytes raw)
{
    pthread_mutex_lock(&log->mu);
    if (log->report_left > 0) {
        log->report_left--;
        if (line)
            fprintf(stderr, "sangam: bad record at %s:%llu: %s\n", origin, (unsigned long long)line,
                    reason);
        else
            fprintf(stderr, "sangam: bad record in %s: %s\n", origin, reason);
    } else {
        log->unreported++;
    }
    if (log->dead) {
        fprintf(log->dead, "%s:%llu\t%s\t", origin, (unsigned long long)line, reason);
        if (raw.len)
            fwrite(raw.data, 1, raw.len, log->dead);
        fputc('\n', log->dead);
    }
    pthread_mutex_unlock(&log->mu);
}
