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

/* Keyed event-time windows over panes of gcd(size, slide), with an incremental
 * aggregate (sg_window_aggregate_op) or a process-window function
 * (sg_window_process_op: proc.process is set). */
typedef struct sg_window_config {
    sg_time size, slide, pane;
    sg_time lateness;     /* allowed lateness, >= 0 */
    const char *late_tag; /* job-owned copy, or NULL */
    sg_aggregate_def agg;
    sg_window_process_def proc;
    void *udata;
} sg_window_config;

extern const sg_operator_def sg_window_aggregate_op;
extern const sg_operator_def sg_window_process_op;

/* Keyed event-time session windows: records within gap of each other share one.
 * With proc.process set (sg_session_process_op) the records are kept in list state. */
typedef struct sg_session_config {
    sg_time gap;
    sg_time lateness;     /* allowed lateness, >= 0 */
    const char *late_tag; /* job-owned copy, or NULL */
    sg_aggregate_def agg;
    sg_window_process_def proc;
    void *udata;
} sg_session_config;

extern const sg_operator_def sg_session_aggregate_op;
extern const sg_operator_def sg_session_process_op;

/* Keyed count windows: every slide records of a key fire a window over its last
 * size records, pre-aggregated in chunks of gcd(size, slide) records. The tumbling
 * operator (sg_count_window_op) is the case slide == size and reads only size. */
typedef struct sg_count_window_config {
    uint64_t size;
    uint64_t slide, chunk;
    sg_aggregate_def agg;
    void *udata;
} sg_count_window_config;

extern const sg_operator_def sg_count_window_op;
extern const sg_operator_def sg_count_slide_window_op;

#endif
