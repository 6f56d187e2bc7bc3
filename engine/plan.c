/* The planner (plan.h). Nodes are created in topological order (a node's inputs
 * exist before it), so one pass in id order settles parallelism and chaining. */
#include <stdio.h>
#include <string.h>

#include "engine/builtin.h"
#include "engine/plan.h"

static int resolve_parallelism(sg_job *job, sg__node *n)
{
    int p = job->default_parallelism;
    if (n->kind == SG__NODE_SOURCE) {
        bool parallel = false;
        if (strncmp(n->uri, "gen:", 4) == 0) {
            const sg__generator *g = sg__job_find_generator(job, n->uri + 4);
            parallel = g && (g->def->flags & SG_SOURCE_PARALLEL);
        }
        if (!parallel) {
            if (n->parallel_fixed && n->parallelism > 1)
                return sg_job_errorf(job, SG_EUSAGE, "source '%s' (%s) cannot run in parallel",
                                     n->name, n->uri);
            p = 1;
        }
    } else if (n->kind == SG__NODE_SINK &&
               (n->sink_def == &sg__null_sink || n->sink_def == &sg__latency_sink) &&
               n->n_inputs > 0) {
        p = n->inputs[0].from->parallelism; /* runs beside its producer */
    } else if (n->follow_input && n->n_inputs == 1) {
        p = n->inputs[0].from->parallelism; /* key_by stays with its producer */
    }
    if (!n->parallel_fixed)
        n->parallelism = p;
    return SG_OK;
}

static bool chainable(const sg__node *n)
{
    if (n->n_inputs != 1)
        return false;
    const sg__edge *e = &n->inputs[0];
    /* Side outputs leave the task through exchanges, so they do not stop the main
     * output's one consumer from being chained. */
    return e->kind == SG__EDGE_FORWARD && !e->tag && e->from->n_main_consumers == 1 &&
           e->from->parallelism == n->parallelism && e->from->kind != SG__NODE_SINK;
}

static int add_node_to_task(sg__ptask *t, sg__node *n)
{
    sg__node **nodes = sg_realloc(t->nodes, (size_t)(t->n_nodes + 1) * sizeof(*nodes));
    if (!nodes)
        return SG_ENOMEM;
    t->nodes = nodes;
    t->nodes[t->n_nodes++] = n;
    return SG_OK;
}

int sg__plan_build(sg_job *job, sg__plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (job->n_nodes == 0)
        return sg_job_errorf(job, SG_EUSAGE, "the job built no graph (no sources or sinks)");
    int *task_of = sg_calloc((size_t)job->n_nodes, sizeof(int));
    plan->tasks = sg_calloc((size_t)job->n_nodes, sizeof(*plan->tasks));
    int n_edges = 0;
    for (int i = 0; i < job->n_nodes; i++)
        n_edges += job->nodes[i]->n_inputs;
    plan->xchgs = sg_calloc((size_t)n_edges + 1, sizeof(*plan->xchgs));
    if (!task_of || !plan->tasks || !plan->xchgs) {
        sg_free(task_of);
        sg__plan_free(plan);
        return sg_job_errorf(job, SG_ENOMEM, "out of memory while planning");
    }
    int rc = SG_OK;
    for (int i = 0; i < job->n_nodes && rc >= 0; i++) {
        sg__node *n = job->nodes[i];
        if (n->kind != SG__NODE_SINK && n->n_consumers == 0) {
            rc = sg_job_errorf(job, SG_EUSAGE, "'%s' leads nowhere: its stream has no sink",
                               n->name);
            break;
        }
        if ((rc = resolve_parallelism(job, n)) < 0)
            break;
        int t;
        if (chainable(n)) {
            t = task_of[n->inputs[0].from->id];
        } else {
            t = plan->n_tasks++;
            plan->tasks[t].parallelism = n->parallelism;
            for (int k = 0; k < n->n_inputs; k++) {
                const sg__edge *e = &n->inputs[k];
                sg__xchg *x = &plan->xchgs[plan->n_xchgs++];
                x->from_task = task_of[e->from->id];
                x->to_task = t;
                x->port = e->port;
                x->from_node = e->from;
                x->tag = e->tag;
                if (e->kind == SG__EDGE_HASH)
                    x->kind = SG__XCHG_HASH;
                else if (e->from->parallelism == n->parallelism)
                    x->kind = SG__XCHG_POINTWISE;
                else
                    x->kind = SG__XCHG_REBALANCE;
            }
        }
        task_of[i] = t;
        if (add_node_to_task(&plan->tasks[t], n) < 0)
            rc = sg_job_errorf(job, SG_ENOMEM, "out of memory while planning");
    }
    sg_free(task_of);
    if (rc < 0)
        sg__plan_free(plan);
    return rc;
}

void sg__plan_free(sg__plan *plan)
{
    if (plan->tasks)
        for (int i = 0; i < plan->n_tasks; i++)
            sg_free(plan->tasks[i].nodes);
    sg_free(plan->tasks);
    sg_free(plan->xchgs);
    memset(plan, 0, sizeof(*plan));
}

void sg__plan_describe(const sg__plan *plan, char *buf, size_t len)
{
    static const char *kinds[] = {"forward", "rebalance", "hash"};
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < plan->n_tasks && used < len; i++) {
        const sg__ptask *t = &plan->tasks[i];
        used += (size_t)snprintf(buf + used, len - used, "task %d (x%d):", i, t->parallelism);
        for (int k = 0; k < t->n_nodes && used < len; k++)
            used += (size_t)snprintf(buf + used, len - used, "%s %s", k ? " ->" : "",
                                     t->nodes[k]->name);
        for (int x = 0; x < plan->n_xchgs && used < len; x++)
            if (plan->xchgs[x].from_task == i)
                used += (size_t)snprintf(
                    buf + used, len - used, "  => task %d (%s%s%s%s)", plan->xchgs[x].to_task,
                    kinds[plan->xchgs[x].kind], plan->xchgs[x].tag ? ", side output '" : "",
                    plan->xchgs[x].tag ? plan->xchgs[x].tag : "", plan->xchgs[x].tag ? "'" : "");
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "\n");
    }
}
