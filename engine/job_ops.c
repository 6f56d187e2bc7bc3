/* Graph-building calls for the built-in operators: each validates its arguments,
 * stores a configuration in the job and adds a node running the operator from
 * operators/ (which sees the configuration as its udata). */
#include <string.h>

#include "engine/job.h"
#include "operators/builtin_ops.h"

static sg_stream *add_fn_op(sg_stream *in, const char *name, const sg_operator_def *def,
                            const void *fn, void *udata, bool keyed)
{
    if (!in)
        return NULL;
    if (!fn) {
        sg_job_errorf(in->job, SG_EINVAL, "operator '%s' needs a function", name ? name : "");
        return NULL;
    }
    sg_fn_config *c = sg_job_alloc(in->job, sizeof(*c));
    if (!c)
        return NULL;
    /* The union members are all function pointers: store through one of them. */
    *(const void **)(void *)&c->fn = fn;
    c->udata = udata;
    return sg__job_add_op(in, name, def, c, keyed);
}

static sg_time gcd(sg_time a, sg_time b)
{
    while (b) {
        sg_time t = a % b;
        a = b;
        b = t;
    }
    return a;
}

#define FN_PTR(f) (*(const void **)(void *)&(f))

sg_stream *sg_stream_map(sg_stream *in, const char *name, sg_map_fn fn, void *udata)
{
    return add_fn_op(in, name, &sg_map_op, fn ? FN_PTR(fn) : NULL, udata, false);
}

sg_stream *sg_stream_filter(sg_stream *in, const char *name, sg_filter_fn fn, void *udata)
{
    return add_fn_op(in, name, &sg_filter_op, fn ? FN_PTR(fn) : NULL, udata, false);
}

sg_stream *sg_stream_flat_map(sg_stream *in, const char *name, sg_flat_map_fn fn, void *udata)
{
    return add_fn_op(in, name, &sg_flat_map_op, fn ? FN_PTR(fn) : NULL, udata, false);
}

sg_stream *sg_stream_key_by(sg_stream *in, const char *name, sg_key_fn fn, void *udata)
{
    sg_stream *s = add_fn_op(in, name, &sg_key_by_op, fn ? FN_PTR(fn) : NULL, udata, true);
    if (s)
        s->nodes[0]->follow_input = true; /* selecting a key runs beside its producer */
    return s;
}

/* Checks a session window's options and makes its configuration (the function or
 * aggregate left to fill). */
static sg_session_config *session_config(sg_stream *keyed, const char *name,
                                         const sg_session_window *win)
{
    sg_job *job = keyed->job;
    if (!win || win->abi < SG_SESSION_WINDOW_ABI_1) {
        sg_job_errorf(job, SG_EINVAL, "session window '%s': the options (abi %u) are missing",
                      name ? name : "", win ? win->abi : 0u);
        return NULL;
    }
    if (win->gap_ms <= 0 || win->gap_ms > SG_TIME_MAX / 8) {
        sg_job_errorf(job, SG_EUSAGE,
                      "session window '%s': the gap (%lld ms) must be positive and below 2^60",
                      name ? name : "", (long long)win->gap_ms);
        return NULL;
    }
    if (win->allowed_lateness_ms < 0 || win->allowed_lateness_ms > SG_TIME_MAX / 8) {
        sg_job_errorf(job, SG_EUSAGE,
                      "session window '%s': the allowed lateness (%lld ms) must be >= 0 and "
                      "below 2^60",
                      name ? name : "", (long long)win->allowed_lateness_ms);
        return NULL;
    }
    sg_session_config *c = sg_job_alloc(job, sizeof(*c));
    if (!c)
        return NULL;
    c->gap = win->gap_ms;
    c->lateness = win->allowed_lateness_ms;
    if (win->late_tag) {
        size_t len = strlen(win->late_tag) + 1;
        char *tag = sg_job_alloc(job, len);
        if (!tag)
            return NULL;
        memcpy(tag, win->late_tag, len);
        c->late_tag = tag;
    }
    return c;
}

sg_stream *sg_stream_session_window_aggregate(sg_stream *keyed, const char *name,
                                              const sg_session_window *win,
                                              const sg_aggregate_def *agg, void *udata)
{
    if (!keyed)
        return NULL;
    sg_session_config *c = session_config(keyed, name, win);
    if (!c)
        return NULL;
    if (!agg || agg->abi < SG_AGGREGATE_ABI_1 || !agg->acc_size || !agg->add || !agg->result ||
        !agg->merge) {
        sg_job_errorf(keyed->job, SG_EINVAL,
                      "session window '%s': the aggregate needs acc_size, add, merge and result",
                      name ? name : "");
        return NULL;
    }
    c->agg = *agg;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_session_aggregate_op, c, false);
}

sg_stream *sg_stream_session_window_process(sg_stream *keyed, const char *name,
                                            const sg_session_window *win,
                                            const sg_window_process_def *def, void *udata)
{
    if (!keyed)
        return NULL;
    sg_session_config *c = session_config(keyed, name, win);
    if (!c)
        return NULL;
    if (!def || def->abi < SG_WINDOW_PROCESS_ABI_1 || !def->process) {
        sg_job_errorf(keyed->job, SG_EINVAL,
                      "session window '%s': the process-window function is missing",
                      name ? name : "");
        return NULL;
    }
    c->proc = *def;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_session_process_op, c, false);
}

sg_stream *sg_stream_session_aggregate(sg_stream *keyed, const char *name, sg_time gap_ms,
                                       const sg_aggregate_def *agg, void *udata)
{
    sg_session_window win = {.abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = gap_ms};
    return sg_stream_session_window_aggregate(keyed, name, &win, agg, udata);
}

sg_stream *sg_stream_session_process(sg_stream *keyed, const char *name, sg_time gap_ms,
                                     const sg_window_process_def *def, void *udata)
{
    sg_session_window win = {.abi = SG_SESSION_WINDOW_ABI_1, .gap_ms = gap_ms};
    return sg_stream_session_window_process(keyed, name, &win, def, udata);
}

sg_stream *sg_stream_count_window_aggregate(sg_stream *keyed, const char *name, int64_t size,
                                            const sg_aggregate_def *agg, void *udata)
{
    if (!keyed)
        return NULL;
    if (size < 1) {
        sg_job_errorf(keyed->job, SG_EUSAGE, "count window '%s': the size (%lld) must be >= 1",
                      name ? name : "", (long long)size);
        return NULL;
    }
    if (!agg || agg->abi < SG_AGGREGATE_ABI_1 || !agg->acc_size || !agg->add || !agg->result ||
        agg->acc_size > (1u << 20)) {
        sg_job_errorf(keyed->job, SG_EINVAL,
                      "count window '%s': the aggregate needs acc_size (at most 1 MiB), add "
                      "and result",
                      name ? name : "");
        return NULL;
    }
    sg_count_window_config *c = sg_job_alloc(keyed->job, sizeof(*c));
    if (!c)
        return NULL;
    c->size = (uint64_t)size;
    c->agg = *agg;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_count_window_op, c, false);
}

sg_stream *sg_stream_count_window_slide_aggregate(sg_stream *keyed, const char *name, int64_t size,
                                                  int64_t slide, const sg_aggregate_def *agg,
                                                  void *udata)
{
    if (!keyed)
        return NULL;
    if (slide == size)
        return sg_stream_count_window_aggregate(keyed, name, size, agg, udata);
    if (size < 1 || slide < 1) {
        sg_job_errorf(keyed->job, SG_EUSAGE,
                      "count window '%s': the size (%lld) and slide (%lld) must be >= 1",
                      name ? name : "", (long long)size, (long long)slide);
        return NULL;
    }
    uint64_t chunk = (uint64_t)gcd(size, slide), chunks = (uint64_t)size / chunk;
    /* Bounds the state of one key: a ring of size / gcd(size, slide) accumulators. */
    size_t stride = 2 * sizeof(sg_time) + ((agg ? agg->acc_size : 0) + 7) / 8 * 8;
    if (!agg || agg->abi < SG_AGGREGATE_ABI_1 || !agg->acc_size || !agg->add || !agg->result ||
        agg->acc_size > (1u << 20) || (chunks > 1 && !agg->merge)) {
        sg_job_errorf(keyed->job, SG_EINVAL,
                      "count window '%s': the aggregate needs acc_size (at most 1 MiB), add, "
                      "result, and merge unless slide is a multiple of size",
                      name ? name : "");
        return NULL;
    }
    if (chunks > (16u << 20) / stride) {
        sg_job_errorf(keyed->job, SG_EUSAGE,
                      "count window '%s': size / gcd(size, slide) = %llu accumulators of %zu "
                      "bytes per key is over 16 MiB",
                      name ? name : "", (unsigned long long)chunks, agg->acc_size);
        return NULL;
    }
    sg_count_window_config *c = sg_job_alloc(keyed->job, sizeof(*c));
    if (!c)
        return NULL;
    c->size = (uint64_t)size;
    c->slide = (uint64_t)slide;
    c->chunk = chunk;
    c->agg = *agg;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_count_slide_window_op, c, false);
}

/* Checks the window's shape and makes its configuration (operator left to fill). */
static sg_window_config *window_config(sg_stream *keyed, const char *name, const sg_window *win)
{
    sg_job *job = keyed->job;
    sg_time size = win ? win->size_ms : 0;
    sg_time slide = win && win->slide_ms ? win->slide_ms : size;
    sg_time lateness = win ? win->allowed_lateness_ms : 0;
    if (size <= 0 || slide <= 0 || size > SG_TIME_MAX / 8 || slide > SG_TIME_MAX / 8) {
        sg_job_errorf(job, SG_EUSAGE,
                      "window '%s': size (%lld ms) and slide (%lld ms) must be positive and "
                      "below 2^60",
                      name ? name : "", (long long)size, (long long)slide);
        return NULL;
    }
    if (lateness < 0 || lateness > SG_TIME_MAX / 8) {
        sg_job_errorf(job, SG_EUSAGE,
                      "window '%s': the allowed lateness (%lld ms) must be >= 0 and below 2^60",
                      name ? name : "", (long long)lateness);
        return NULL;
    }
    sg_window_config *c = sg_job_alloc(job, sizeof(*c));
    if (!c)
        return NULL;
    c->size = size;
    c->slide = slide;
    c->pane = gcd(size, slide);
    c->lateness = lateness;
    if (win->late_tag) {
        char *tag = sg_job_alloc(job, strlen(win->late_tag) + 1);
        if (!tag)
            return NULL;
        memcpy(tag, win->late_tag, strlen(win->late_tag) + 1);
        c->late_tag = tag;
    }
    return c;
}

sg_stream *sg_stream_window_aggregate(sg_stream *keyed, const char *name, const sg_window *win,
                                      const sg_aggregate_def *agg, void *udata)
{
    if (!keyed)
        return NULL;
    sg_window_config *c = window_config(keyed, name, win);
    if (!c)
        return NULL;
    /* A window of several panes merges them; a late firing merges a window's late
     * records with its panes. */
    bool need_merge = c->pane != c->size || c->lateness > 0;
    if (!agg || agg->abi < SG_AGGREGATE_ABI_1 || !agg->acc_size || !agg->add || !agg->result ||
        (need_merge && !agg->merge)) {
        sg_job_errorf(keyed->job, SG_EINVAL,
                      "window '%s': the aggregate needs acc_size, add, result (and merge for "
                      "sliding windows, unless slide is a multiple of size, or allowed "
                      "lateness)",
                      name ? name : "");
        return NULL;
    }
    c->agg = *agg;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_window_aggregate_op, c, false);
}

sg_stream *sg_stream_window_process(sg_stream *keyed, const char *name, const sg_window *win,
                                    const sg_window_process_def *def, void *udata)
{
    if (!keyed)
        return NULL;
    sg_window_config *c = window_config(keyed, name, win);
    if (!c)
        return NULL;
    if (!def || def->abi < SG_WINDOW_PROCESS_ABI_1 || !def->process) {
        sg_job_errorf(keyed->job, SG_EINVAL, "window '%s': the process-window function is missing",
                      name ? name : "");
        return NULL;
    }
    c->proc = *def;
    c->udata = udata;
    return sg__job_add_op(keyed, name, &sg_window_process_op, c, false);
}
