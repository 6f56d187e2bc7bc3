/* Graph-building calls for the keyed joins (operators/window_join.c,
 * operators/interval_join.c): each validates its arguments, stores a configuration in
 * the job and adds a two-input node through sg_stream_connect. The operator
 * definition is copied into the job under the join's name, so that a job may hold
 * several joins (node names are unique). */
#include <string.h>

#include "engine/job.h"
#include "operators/join_ops.h"

/* Bounds of interval joins and window sizes stay below 2^60 ms, so that every time
 * the operators derive from a record's (checked) ts fits in int64. */
#define JOIN_TIME_LIMIT ((sg_time)1 << 60)

/* The checks both joins share; SG_OK, or an error recorded in the job. */
static int check_inputs(sg_stream *a, sg_stream *b, const char *what, const char *name,
                        const sg_join_def *def)
{
    sg_job *job = a->job;
    if (job->status < 0)
        return job->status;
    if (a->job != b->job)
        return sg_job_errorf(job, SG_EINVAL, "%s '%s': its inputs belong to two jobs", what,
                             name ? name : "");
    if (!a->keyed || !b->keyed)
        return sg_job_errorf(job, SG_EINVAL, "%s '%s': both inputs must be keyed (key_by %s first)",
                             what, name ? name : "",
                             !a->keyed && !b->keyed ? "both"
                             : !a->keyed            ? "a"
                                                    : "b");
    if (!def || def->abi < SG_JOIN_ABI_1 || !def->join)
        return sg_job_errorf(job, SG_EINVAL, "%s '%s': the join definition needs abi and join",
                             what, name ? name : "");
    return SG_OK;
}

/* Adds the node: 'op' copied under 'name', with configuration 'config'. */
static sg_stream *add_join(sg_stream *a, sg_stream *b, const char *name, const sg_operator_def *op,
                           void *config)
{
    sg_job *job = a->job;
    sg_operator_def *def = sg_job_alloc(job, sizeof(*def));
    char *copy = name ? sg_job_alloc(job, strlen(name) + 1) : NULL;
    if (!def || (name && !copy))
        return NULL;
    *def = *op;
    if (name)
        def->name = memcpy(copy, name, strlen(name) + 1);
    else
        def->name = NULL; /* sg_stream_connect reports the missing name */
    return sg_stream_connect(a, b, def, config);
}

sg_stream *sg_stream_window_join(sg_stream *a, sg_stream *b, const char *name, const sg_window *win,
                                 const sg_join_def *def, void *udata)
{
    if (!a || !b)
        return NULL;
    sg_job *job = a->job;
    if (check_inputs(a, b, "window join", name, def) < 0)
        return NULL;
    sg_time size = win ? win->size_ms : 0;
    sg_time slide = win && win->slide_ms ? win->slide_ms : size;
    if (size <= 0 || slide <= 0 || size > JOIN_TIME_LIMIT || slide > JOIN_TIME_LIMIT) {
        sg_job_errorf(job, SG_EUSAGE,
                      "window join '%s': size (%lld ms) and slide (%lld ms) must be positive "
                      "and below 2^60",
                      name ? name : "", (long long)size, (long long)slide);
        return NULL;
    }
    if (win->late_tag) {
        sg_job_errorf(job, SG_EINVAL,
                      "window join '%s': late_tag is not supported (late records are dropped "
                      "and counted)",
                      name ? name : "");
        return NULL;
    }
    sg_window_join_config *c = sg_job_alloc(job, sizeof(*c));
    if (!c)
        return NULL;
    c->size = size;
    c->slide = slide;
    sg_time x = size, y = slide; /* pane = gcd(size, slide) */
    while (y) {
        sg_time t = x % y;
        x = y;
        y = t;
    }
    c->pane = x;
    c->def = *def;
    c->udata = udata;
    return add_join(a, b, name, &sg_window_join_op, c);
}

sg_stream *sg_stream_interval_join(sg_stream *a, sg_stream *b, const char *name, sg_time lo,
                                   sg_time hi, const sg_join_def *def, void *udata)
{
    if (!a || !b)
        return NULL;
    sg_job *job = a->job;
    if (check_inputs(a, b, "interval join", name, def) < 0)
        return NULL;
    if (lo > hi) {
        sg_job_errorf(job, SG_EUSAGE,
                      "interval join '%s': the lower bound (%lld ms) is above the upper bound "
                      "(%lld ms)",
                      name ? name : "", (long long)lo, (long long)hi);
        return NULL;
    }
    if (lo < -JOIN_TIME_LIMIT || hi > JOIN_TIME_LIMIT) {
        sg_job_errorf(job, SG_EUSAGE,
                      "interval join '%s': the bounds (%lld, %lld ms) must lie within +-2^60 ms",
                      name ? name : "", (long long)lo, (long long)hi);
        return NULL;
    }
    sg_interval_join_config *c = sg_job_alloc(job, sizeof(*c));
    if (!c)
        return NULL;
    c->lo = lo;
    c->hi = hi;
    c->bucket = sg_interval_join_bucket(lo, hi);
    c->def = *def;
    c->udata = udata;
    return add_join(a, b, name, &sg_interval_join_op, c);
}
