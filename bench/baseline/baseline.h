/* baseline.h — what every baseline program shares: its one-line report and the clock.
 *
 * A baseline prints, on stderr, one line
 *     baseline NAME: events N, seconds S, events/s R
 * where the time covers generating and processing the events (as the engine's
 * "events/s" does), not writing the CSV rows afterwards. */
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

static inline void baseline_report(const char *name, uint64_t events, double seconds)
{
    fprintf(stderr, "baseline %s: events %llu, seconds %.3f, events/s %.0f\n", name,
            (unsigned long long)events, seconds, seconds > 0 ? (double)events / seconds : 0.0);
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
