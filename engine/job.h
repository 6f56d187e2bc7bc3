/* The logical job graph: nodes (sources, operators, sinks) joined by edges, as a job
 * builds it through the sg_job_* and sg_stream_* calls. The planner (plan.h) reads
 * it; nothing here runs anything. */
#ifndef SG_ENGINE_JOB_H
#define SG_ENGINE_JOB_H

#include <sangam/sangam.h>

typedef enum sg__node_kind { SG__NODE_SOURCE, SG__NODE_OP, SG__NODE_SINK } sg__node_kind;

/* How records travel along an edge. FORWARD keeps subtask i -> i when both ends have
 * the same parallelism and becomes round-robin otherwise; HASH routes by key group. */
typedef enum sg__edge_kind { SG__EDGE_FORWARD, SG__EDGE_HASH } sg__edge_kind;

typedef struct sg__node sg__node;

typedef struct sg__edge {
    sg__node *from;
    sg__edge_kind kind;
    int port;        /* input port of the consumer */
    const char *tag; /* a side output of 'from' (job-owned string), or NULL: its main output */
} sg__edge;

struct sg__node {
    int id;
    sg__node_kind kind;
    char *name;
    int parallelism; /* 0: decided by the planner */
    bool parallel_fixed;
    bool follow_input; /* takes its input's parallelism (key_by) */

    /* SG__NODE_SOURCE */
    char *uri;
    const sg_source_def *src_def;
    sg_decoder dec;
    bool has_dec;
    sg_time wm_delay; /* < 0: no periodic watermarks */

    /* SG__NODE_OP */
    const sg_operator_def *op_def;
    void *udata;

    /* SG__NODE_SINK */
    const sg_sink_def *sink_def;
    sg_encoder enc;
    bool has_enc;

    sg__edge *inputs;
    int n_inputs;
    int n_consumers;      /* edges out of it, side outputs included */
    int n_main_consumers; /* edges out of its main output */
};

/* A stream is the output of one node, or of several after a union. */
struct sg_stream {
    sg_job *job;
    sg__node **nodes;
    int n_nodes;
    bool keyed;
    const char *tag; /* a side output of its one node (owned by the job), or NULL */
};

typedef struct sg__generator {
    char *name;
    const sg_source_def *def;
} sg__generator;

struct sg_job {
    int status;
    char errmsg[512];
    int default_parallelism;
    int workers;

    sg__node **nodes;
    int n_nodes;
    sg_stream **streams;
    int n_streams;
    sg__generator *gens;
    int n_gens;

    void **allocs; /* sg_job_alloc blocks, freed with the job */
    int n_allocs;
};

sg_job *sg__job_new(int default_parallelism, int workers);
void sg__job_free(sg_job *job);
/* Adds an operator node consuming 'in' (every producer of the stream). */
sg_stream *sg__job_add_op(sg_stream *in, const char *name, const sg_operator_def *def, void *udata,
                          bool keyed_output);
const sg__generator *sg__job_find_generator(const sg_job *job, const char *name);
/* Length of the name part of a "gen:NAME?..." URI path. */
size_t sg__uri_name_len(const char *path);

#endif
