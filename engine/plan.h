/* The physical plan: the planner decides every node's parallelism, chains nodes
 * joined by forward edges of equal parallelism into tasks (direct calls, no queue),
 * and lists the exchanges between tasks. Reads job.h; read by runtime.c. */
#ifndef SG_ENGINE_PLAN_H
#define SG_ENGINE_PLAN_H

#include "engine/job.h"

typedef enum sg__xchg_kind {
    SG__XCHG_POINTWISE, /* subtask i -> subtask i (forward, equal parallelism) */
    SG__XCHG_REBALANCE, /* forward between different parallelisms: round-robin */
    SG__XCHG_HASH,      /* by key group */
} sg__xchg_kind;

typedef struct sg__xchg {
    int from_task, to_task;
    sg__xchg_kind kind;
    int port;
    const sg__node *from_node; /* the producing node (the task's tail for main outputs) */
    const char *tag;           /* a side output, or NULL */
} sg__xchg;

typedef struct sg__ptask {
    sg__node **nodes; /* the chain, head first */
    int n_nodes;
    int parallelism;
} sg__ptask;

typedef struct sg__plan {
    sg__ptask *tasks;
    int n_tasks;
    sg__xchg *xchgs;
    int n_xchgs;
} sg__plan;

/* Builds the plan of a job whose graph is complete. Errors go to the job. */
int sg__plan_build(sg_job *job, sg__plan *plan);
void sg__plan_free(sg__plan *plan);
/* A human-readable description of the plan, one line per task, into buf. */
void sg__plan_describe(const sg__plan *plan, char *buf, size_t len);

#endif
