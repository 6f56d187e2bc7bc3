/* nexmark: the Nexmark queries as one job (build/jobs/nexmark.so --query qN).
 *
 * job.c parses the options, opens the events (a JSON Lines file or gen:nexmark),
 * assigns watermarks and hands the stream to the query's build function. Each query
 * lives in its own file (q0.c, q1.c, ...) and writes its result rows as CSV: a header
 * naming the columns as the query's SELECT names them, times as epoch ms. The events'
 * record value is the wire layout of include/sangam/nexmark.h: read it with
 * sg_nx_view, never directly. */
#ifndef NX_H
#define NX_H

#include <sangam/nexmark.h>
#include <sangam/sangam.h>

typedef struct nx_options {
    const char *query;    /* "q0", "q1", ... */
    const char *input;    /* file:PATH.jsonl or gen:nexmark?... */
    const char *output;   /* file:PATH.csv or null: */
    int64_t max_delay_ms; /* watermark delay, Nexmark's DDL: 4 s */
} nx_options;

/* Builds one query on events (every Nexmark event, with watermarks, ts = dateTime) and
 * adds its sink for o->output. Returns sg_job_status(job) (or a negative code). */
typedef int (*nx_build_fn)(sg_job *job, sg_stream *events, const nx_options *o);

typedef struct nx_query {
    const char *name;    /* "q5" */
    const char *summary; /* one line for --help */
    nx_build_fn build;
} nx_query;

/* Each query file defines one of these (q0.c: nx_q0, ...); job.c lists them. */
extern const nx_query nx_q0, nx_q1, nx_q2, nx_q3, nx_q4, nx_q5, nx_q7, nx_q8, nx_q11, nx_q12;

#endif
