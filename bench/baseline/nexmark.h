/* nexmark.h — what the Nexmark baseline's files share (bench/baseline/nexmark.c: the
 * options, the event loop and the queries without windows; nexmark_windows.c: q5, q7
 * and q8, the queries whose state is per event-time window).
 *
 * Every query is a pair of callbacks: event() for each generated event, with the
 * watermark the event carries (the engine's rule, docs/architecture.md: the source's
 * watermark just before the event; the job's, as Nexmark's DDL: max dateTime so far -
 * max delay, or - 1 with a delay of 0: jobs/nexmark/job.c), and
 * finish() at the end of input (watermark SG_TIME_MAX: every window fires). Rows go
 * through bn_out, a buffer formatted by hand and written in large blocks, so that
 * formatting the rows costs what it costs the job's CSV encoder and no more. */
#ifndef BASELINE_NEXMARK_H
#define BASELINE_NEXMARK_H

#include <sangam/nexmark.h>

#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"

/* ---- Output rows ---------------------------------------------------------------
 * Each field is followed by a comma; bn_out_end turns the last one into the newline.
 * Without a file the rows are formatted all the same and dropped. */
typedef struct bn_out {
    FILE *f;
    char *buf;
    size_t len, cap;
    uint64_t rows;
} bn_out;

void bn_out_flush(bn_out *o);
/* Room for n more bytes at o->buf + o->len. */
char *bn_out_room(bn_out *o, size_t n);
void bn_out_i64(bn_out *o, int64_t v);
/* A string field, quoted as RFC 4180 when it holds '"', ',', CR or LF (as the job's
 * CSV encoder does). */
void bn_out_str(bn_out *o, const void *data, size_t len);
void bn_out_cstr(bn_out *o, const char *s);
static inline void bn_out_end(bn_out *o)
{
    o->buf[o->len - 1] = '\n';
    o->rows++;
}

/* ---- A growable byte arena (strings kept by offset, so growth moves nothing) ---- */
typedef struct bn_arena {
    char *p;
    size_t len, cap;
} bn_arena;

/* Copies b in; returns its offset. */
uint32_t bn_arena_add(bn_arena *a, sg_bytes b);
/* Grows *p (an array of *cap elements of size sz) to hold at least need elements. */
void bn_grow(void *p, size_t *cap, size_t need, size_t sz);

/* ---- Queries ---------------------------------------------------------------------- */
typedef struct bn_query {
    const char *name, *header;
    void (*event)(const sg_nx_event *ev, sg_time wm, bn_out *o);
    void (*finish)(bn_out *o);
} bn_query;

extern const bn_query bn_q5, bn_q7, bn_q8;

/* Events a query dropped as late (the job's "late records dropped"). */
extern uint64_t bn_late;

/* The window [start, start + size) of ts (floor, also for ts < 0): its start. */
static inline sg_time bn_window_start(sg_time ts, sg_time size)
{
    sg_time r = ts % size;
    return r < 0 ? ts - r - size : ts - r;
}

#endif
