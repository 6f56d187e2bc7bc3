/* The built-in operators and their configurations. They are written with the public
 * API alone, as a user's custom operator would be; the graph-building calls in
 * engine/job_ops.c put a configuration in the job and pass it as udata. */
#ifndef SG_OPERATORS_BUILTIN_OPS_H
#define SG_OPERATORS_BUILTIN_OPS_H

#include <sangam/sangam.h>

/* map, filter, flat_map and key_by: the user's function and its udata. */
typedef struct sg_fn_config {
    union {
        sg_map_fn map;
        sg_filter_fn filter;
        sg_flat_map_fn flat_map;
        sg_key_fn key;
    } fn;
    void *udata;
} sg_fn_config;

extern const sg_operator_def sg_map_op;
extern const sg_operator_def sg_filter_op;
extern const sg_operator_def sg_flat_map_op;
extern const sg_operator_def sg_key_by_op;

/* Keyed event-time window aggregation over panes of gcd(size, slide). */
typedef struct sg_window_config {
    sg_time size, slide, pane;
    const char *late_tag; /* job-owned copy, or NULL */
    sg_aggregate_def agg;
    void *udata;
} sg_window_config;

extern const sg_operator_def sg_window_aggregate_op;

/* Keyed event-time session windows: records within gap of each other share one. */
typedef struct sg_session_config {
    sg_time gap;
    sg_aggregate_def agg;
    void *udata;
} sg_session_config;

extern const sg_operator_def sg_session_aggregate_op;

/* Keyed tumbling count windows: every size records of a key. */
typedef struct sg_count_window_config {
    uint64_t size;
    sg_aggregate_def agg;
    void *udata;
} sg_count_window_config;

extern const sg_operator_def sg_count_window_op;

#endif
