/* nexmark: the Nexmark benchmark's queries (github.com/nexmark/nexmark), with the
 * semantics of the project's SQL texts.
 *
 *   events: file:PATH.jsonl (as `sangam gen nexmark` writes) or gen:nexmark?...
 *     -> watermarks (--max-delay-ms, 4000, as Nexmark's DDL: WATERMARK FOR dateTime
 *        AS dateTime - INTERVAL '4' SECOND, so watermark = max dateTime - delay)
 *     -> the query named by --query (q0.c, q1.c, ...)
 *     -> CSV rows, header first (--output file:PATH.csv or null:)
 *
 * See nx.h for how a query plugs in. */
#include <string.h>

#include "nx.h"

/* The queries, in --help order. */
static const nx_query *const nx_queries[] = {
    &nx_q0, &nx_q1, &nx_q2,  &nx_q3,  &nx_q4, &nx_q5,
    &nx_q7, &nx_q8, &nx_q11, &nx_q12, NULL, /* sentinel */
};

static const nx_query *nx_find(const char *name)
{
    for (size_t i = 0; nx_queries[i]; i++)
        if (strcmp(nx_queries[i]->name, name) == 0)
            return nx_queries[i];
    return NULL;
}

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv);

SG_JOB_EXPORT int sg_job_main(sg_job *job, int argc, char **argv)
{
    nx_options o = {.max_delay_ms = 4000};
    sg_option opts[] = {
        {"query", SG_OPT_STR, &o.query, "the query: q0 q1 q2 q3 q4 q5 q7 q8 q11 q12", true, 0},
        {"input", SG_OPT_STR, &o.input,
         "events: file:PATH.jsonl (sangam gen nexmark) or gen:nexmark?count=N&rate=R&seed=S", true,
         0},
        {"output", SG_OPT_STR, &o.output, "result rows: file:PATH.csv (or null:)", true, 0},
        {"max-delay-ms", SG_OPT_I64, &o.max_delay_ms,
         "watermark delay, as Nexmark's DDL: watermark = max dateTime - delay", false, 0},
    };
    int rc = sg_job_parse_options(job,
                                  "nexmark: the Nexmark benchmark queries over person, auction "
                                  "and bid events.",
                                  opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
    if (rc != SG_OK)
        return rc;
    if ((rc = sg_job_register_generator(job, "nexmark", &sg_nexmark_source)) < 0)
        return rc;
    const nx_query *q = nx_find(o.query);
    if (!q)
        return sg_job_errorf(job, SG_EUSAGE,
                             "unknown query '%s' (try --help: q0 q1 q2 q3 q4 q5 q7 q8 q11 q12)",
                             o.query);
    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = sg_nx_decode};
    /* The engine's watermark is Flink DataStream's, max - delay - 1; Flink SQL's
     * WATERMARK ... AS dateTime - delay has no - 1, so pass delay - 1. The engine
     * takes no negative delay: with 0 the watermark stays max - 1, 1 ms behind SQL's. */
    sg_time delay = o.max_delay_ms >= 1 ? o.max_delay_ms - 1 : o.max_delay_ms;
    sg_stream *events = sg_stream_watermarks(sg_job_source(job, "events", o.input, &dec), delay);
    return q->build(job, events, &o);
}
