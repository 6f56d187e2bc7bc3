/* baseline.h — what every baseline program shares: its one-line report and the clock.
 *
 * A baseline prints, on stderr, one line
 *     baseline NAME: events N, seconds S, cpu_seconds C, events/s R
 * where S is wall-clock time and R = N / S (as the engine's "events/s"), and C the
 * process's CPU time over the same span (one thread: the per-core cost, which a busy
 * machine does not inflate). The span covers generating and processing the events,
 * rows written while processing included, but not rows written after the loop. */
#ifndef BASELINE_BASELINE_H
#define BASELINE_BASELINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double baseline_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double baseline_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* seconds and cpu_seconds: baseline_now() and baseline_cpu() differences. */
static inline void baseline_report(const char *name, uint64_t events, double seconds,
                                   double cpu_seconds)
{
    fprintf(stderr, "baseline %s: events %llu, seconds %.3f, cpu_seconds %.3f, events/s %.0f\n",
            name, (unsigned long long)events, seconds, cpu_seconds,
            seconds > 0 ? (double)events / seconds : 0.0);
}

/* Parses a decimal int64 option value or exits with a usage error (exit code 2). */
static inline int64_t baseline_i64(const char *opt, const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end) {
        fprintf(stderr, "baseline: %s needs an integer, got '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

#endif
