/* Building the logical job graph (job.h). Building calls are sticky on error: the
 * first failure is recorded in the job and every later call given a NULL stream
 * returns NULL, so a job can build its whole graph and check once. */
#include <stdio.h>
#include <string.h>

#include "engine/builtin.h"
#include "engine/job.h"

sg_job *sg__job_new(int default_parallelism, int workers)
{
    sg_job *job = sg_calloc(1, sizeof(*job));
    if (!job)
        return NULL;
    job->default_parallelism = default_parallelism;
    job->workers = workers;
    return job;
}

static void node_free(sg__node *n)
{
    sg_free(n->name);
    sg_free(n->uri);
    sg_free(n->inputs);
    sg_free(n);
}

void sg__job_free(sg_job *job)
{
    if (!job)
        return;
    for (int i = 0; i < job->n_nodes; i++)
        node_free(job->nodes[i]);
    for (int i = 0; i < job->n_streams; i++) {
        sg_free(job->streams[i]->nodes);
        sg_free(job->streams[i]);
    }
    for (int i = 0; i < job->n_gens; i++)
        sg_free(job->gens[i].name);
    for (int i = 0; i < job->n_allocs; i++)
        sg_free(job->allocs[i]);
    sg_free(job->nodes);
    sg_free(job->streams);
    sg_free(job->gens);
    sg_free(job->allocs);
    sg_free(job);
}

int sg_job_errorf(sg_job *job, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->errmsg, sizeof(job->errmsg), fmt, ap);
    va_end(ap);
    if (job->status == SG_OK && rc < 0)
        job->status = rc;
    return rc;
}

const char *sg_job_errmsg(const sg_job *job)
{
    return job->errmsg;
}

int sg_job_status(const sg_job *job)
{
    return job->status;
}

int sg_job_parallelism(const sg_job *job)
{
    return job->default_parallelism;
}

/* Grows *arr (of *n elements of 'size' bytes) by one zeroed element; returns it. */
static void *grow(sg_job *job, void *arrp, int *n, size_t size)
{
    void **arr = arrp;
    char *p = sg_realloc(*arr, (size_t)(*n + 1) * size);
    if (!p) {
        sg_job_errorf(job, SG_ENOMEM, "out of memory while building the job graph");
        return NULL;
    }
    *arr = p;
    memset(p + (size_t)*n * size, 0, size);
    return p + (size_t)(*n)++ * size;
}

void *sg_job_alloc(sg_job *job, size_t size)
{
    void *p = sg_calloc(1, size);
    void **slot = p ? grow(job, &job->allocs, &job->n_allocs, sizeof(void *)) : NULL;
    if (!slot) {
        sg_free(p);
        sg_job_errorf(job, SG_ENOMEM, "out of memory");
        return NULL;
    }
    *slot = p;
    return p;
}

static sg__node *new_node(sg_job *job, sg__node_kind kind, const char *name)
{
    if (job->status < 0)
        return NULL;
    if (!name || !*name) {
        sg_job_errorf(job, SG_EINVAL, "every source, operator and sink needs a name");
        return NULL;
    }
    for (int i = 0; i < job->n_nodes; i++)
        if (strcmp(job->nodes[i]->name, name) == 0) {
            sg_job_errorf(job, SG_EINVAL, "two graph nodes are named '%s'", name);
            return NULL;
        }
    sg__node *n = sg_calloc(1, sizeof(*n));
    sg__node **slot = n ? grow(job, &job->nodes, &job->n_nodes, sizeof(*slot)) : NULL;
    if (!slot || !(n->name = sg_strdup(name))) {
        if (slot)
            job->n_nodes--;
        if (n)
            node_free(n);
        sg_job_errorf(job, SG_ENOMEM, "out of memory while building the job graph");
        return NULL;
    }
    n->id = job->n_nodes - 1;
    n->kind = kind;
    n->wm_delay = -1;
    *slot = n;
    return n;
}

static sg_stream *new_stream(sg_job *job, sg__node **nodes, int n_nodes, bool keyed)
{
    sg_stream *s = sg_calloc(1, sizeof(*s));
    sg_stream **slot = s ? grow(job, &job->streams, &job->n_streams, sizeof(*slot)) : NULL;
    if (!slot || !(s->nodes = sg_calloc((size_t)n_nodes, sizeof(*s->nodes)))) {
        if (slot)
            job->n_streams--;
        sg_free(s);
        sg_job_errorf(job, SG_ENOMEM, "out of memory while building the job graph");
        return NULL;
    }
    memcpy(s->nodes, nodes, (size_t)n_nodes * sizeof(*nodes));
    s->n_nodes = n_nodes;
    s->job = job;
    s->keyed = keyed;
    *slot = s;
    return s;
}

/* Connects every producer of 'in' to node n. */
static int connect_inputs(sg__node *n, const sg_stream *in, int port)
{
    for (int i = 0; i < in->n_nodes; i++) {
        sg__edge *e = grow(in->job, &n->inputs, &n->n_inputs, sizeof(*e));
        if (!e)
            return SG_ENOMEM;
        e->from = in->nodes[i];
        e->kind = in->keyed ? SG__EDGE_HASH : SG__EDGE_FORWARD;
        e->port = port;
        e->tag = in->tag;
        in->nodes[i]->n_consumers++;
        if (!in->tag)
            in->nodes[i]->n_main_consumers++;
    }
    return SG_OK;
}

int sg_job_register_generator(sg_job *job, const char *gen_name, const sg_source_def *def)
{
    if (!gen_name || !def || !def->poll)
        return sg_job_errorf(job, SG_EINVAL, "generator '%s' needs a name and a poll callback",
                             gen_name ? gen_name : "");
    if (sg__job_find_generator(job, gen_name))
        return sg_job_errorf(job, SG_EINVAL, "generator '%s' is registered twice", gen_name);
    sg__generator *g = grow(job, &job->gens, &job->n_gens, sizeof(*g));
    if (!g || !(g->name = sg_strdup(gen_name))) {
        if (g)
            job->n_gens--;
        return sg_job_errorf(job, SG_ENOMEM, "out of memory");
    }
    g->def = def;
    return SG_OK;
}

size_t sg__uri_name_len(const char *path)
{
    return strcspn(path, "?");
}

const sg__generator *sg__job_find_generator(const sg_job *job, const char *name)
{
    size_t len = sg__uri_name_len(name);
    for (int i = 0; i < job->n_gens; i++)
        if (strlen(job->gens[i].name) == len && memcmp(job->gens[i].name, name, len) == 0)
            return &job->gens[i];
    return NULL;
}

sg_stream *sg_job_source(sg_job *job, const char *name, const char *uri, const sg_decoder *dec)
{
    if (job->status < 0)
        return NULL;
    if (!uri || !*uri) {
        sg_job_errorf(job, SG_EUSAGE, "source '%s': no input URI given", name ? name : "");
        return NULL;
    }
    if (dec && (dec->abi < SG_DECODER_ABI_1 || !dec->decode)) {
        sg_job_errorf(job, SG_EINVAL, "source '%s': decoder without a decode callback", name);
        return NULL;
    }
    /* URI schemes are resolved here so that a typo is a usage error before anything
     * runs; whether the file can be opened is checked when the job starts. */
    if (strncmp(uri, "file:", 5) != 0 && strncmp(uri, "gen:", 4) != 0) {
        sg_job_errorf(job, SG_EUSAGE,
                      "source '%s': unsupported URI '%s' (expected file:PATH or gen:NAME)", name,
                      uri);
        return NULL;
    }
    if (strncmp(uri, "file:", 5) == 0 && uri[5] == '\0') {
        sg_job_errorf(job, SG_EUSAGE, "source '%s': URI '%s' names no file", name, uri);
        return NULL;
    }
    if (strncmp(uri, "gen:", 4) == 0 && !sg__job_find_generator(job, uri + 4)) {
        sg_job_errorf(job, SG_EUSAGE, "source '%s': unknown generator in '%s'", name, uri);
        return NULL;
    }
    sg__node *n = new_node(job, SG__NODE_SOURCE, name);
    if (!n)
        return NULL;
    if (!(n->uri = sg_strdup(uri))) {
        sg_job_errorf(job, SG_ENOMEM, "out of memory");
        return NULL;
    }
    if (dec) {
        n->dec = *dec;
        n->has_dec = true;
    }
    return new_stream(job, &n, 1, false);
}

sg_stream *sg_stream_watermarks(sg_stream *src, sg_time max_delay_ms)
{
    if (!src)
        return NULL;
    if (src->n_nodes != 1 || src->nodes[0]->kind != SG__NODE_SOURCE) {
        sg_job_errorf(src->job, SG_EINVAL, "watermarks can only be set on a source stream");
        return NULL;
    }
    if (max_delay_ms < 0) {
        sg_job_errorf(src->job, SG_EUSAGE, "source '%s': the watermark delay must be >= 0",
                      src->nodes[0]->name);
        return NULL;
    }
    src->nodes[0]->wm_delay = max_delay_ms;
    return src;
}

sg_stream *sg_stream_set_parallelism(sg_stream *s, int parallelism)
{
    if (!s)
        return NULL;
    if (parallelism < 1 || parallelism > 128) {
        sg_job_errorf(s->job, SG_EINVAL, "parallelism %d is outside 1..128", parallelism);
        return NULL;
    }
    for (int i = 0; i < s->n_nodes; i++) {
        s->nodes[i]->parallelism = parallelism;
        s->nodes[i]->parallel_fixed = true;
    }
    return s;
}

sg_stream *sg__job_add_op(sg_stream *in, const char *name, const sg_operator_def *def, void *udata,
                          bool keyed_output)
{
    if (!in)
        return NULL;
    sg_job *job = in->job;
    if (in->tag && def && (def->flags & SG_OP_KEYED)) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s': key_by a side output first", name);
        return NULL;
    }
    if (!def || def->abi < SG_OPERATOR_ABI_1 || !def->process) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s': invalid definition (abi, process)",
                      name ? name : "");
        return NULL;
    }
    if ((def->flags & SG_OP_KEYED) && !in->keyed) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s' is keyed but its input is not: key_by first",
                      name);
        return NULL;
    }
    sg__node *n = new_node(job, SG__NODE_OP, name);
    if (!n)
        return NULL;
    n->op_def = def;
    n->udata = udata;
    if (connect_inputs(n, in, 0) < 0)
        return NULL;
    return new_stream(job, &n, 1, keyed_output);
}

sg_stream *sg_stream_process(sg_stream *in, const sg_operator_def *def, void *udata)
{
    if (in && def && def->n_inputs > 1) {
        sg_job_errorf(in->job, SG_EINVAL, "operator '%s' has %d inputs: use sg_stream_connect",
                      def->name ? def->name : "", def->n_inputs);
        return NULL;
    }
    return sg__job_add_op(in, def ? def->name : NULL, def, udata, false);
}

sg_stream *sg_stream_connect(sg_stream *a, sg_stream *b, const sg_operator_def *def, void *udata)
{
    if (!a || !b)
        return NULL;
    sg_job *job = a->job;
    if (!def || def->n_inputs != 2) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s': sg_stream_connect needs n_inputs = 2",
                      def && def->name ? def->name : "");
        return NULL;
    }
    if ((def->flags & SG_OP_KEYED) && (!a->keyed || !b->keyed)) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s' is keyed: key_by both of its inputs first",
                      def->name);
        return NULL;
    }
    /* Built on the one-input path with a, then b joins on port 1. */
    sg_stream *s = sg__job_add_op(a, def->name, def, udata, false);
    if (!s)
        return NULL;
    if (connect_inputs(s->nodes[0], b, 1) < 0) {
        sg_job_errorf(job, SG_ENOMEM, "out of memory");
        return NULL;
    }
    return s;
}

sg_stream *sg_stream_side_output(sg_stream *s, const char *tag)
{
    if (!s)
        return NULL;
    sg_job *job = s->job;
    if (s->n_nodes != 1 || s->tag || s->nodes[0]->kind != SG__NODE_OP) {
        sg_job_errorf(job, SG_EINVAL,
                      "side output '%s': only an operator's stream has side "
                      "outputs",
                      tag ? tag : "");
        return NULL;
    }
    if (!tag || !*tag) {
        sg_job_errorf(job, SG_EINVAL, "operator '%s': a side output needs a tag",
                      s->nodes[0]->name);
        return NULL;
    }
    char *copy = sg_job_alloc(job, strlen(tag) + 1);
    if (!copy)
        return NULL;
    memcpy(copy, tag, strlen(tag) + 1);
    sg_stream *side = new_stream(job, s->nodes, 1, false);
    if (side)
        side->tag = copy;
    return side;
}

sg_stream *sg_stream_union(sg_stream *a, sg_stream *b)
{
    if (!a || !b)
        return NULL;
    if (a->tag || b->tag) {
        sg_job_errorf(a->job, SG_EINVAL, "a side output cannot be part of a union yet");
        return NULL;
    }
    if (a->job != b->job) {
        sg_job_errorf(a->job, SG_EINVAL, "union of streams from two jobs");
        return NULL;
    }
    int n = a->n_nodes + b->n_nodes;
    sg__node **nodes = sg_calloc((size_t)n, sizeof(*nodes));
    if (!nodes) {
        sg_job_errorf(a->job, SG_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(nodes, a->nodes, (size_t)a->n_nodes * sizeof(*nodes));
    memcpy(nodes + a->n_nodes, b->nodes, (size_t)b->n_nodes * sizeof(*nodes));
    sg_stream *s = new_stream(a->job, nodes, n, a->keyed && b->keyed);
    sg_free(nodes);
    return s;
}

int sg_stream_sink(sg_stream *in, const char *name, const char *uri, const sg_encoder *enc)
{
    if (!in)
        return SG_EINVAL;
    sg_job *job = in->job;
    if (job->status < 0)
        return job->status;
    const sg_sink_def *def = NULL;
    if (uri && strncmp(uri, "file:", 5) == 0 && uri[5])
        def = &sg__file_sink;
    else if (uri && strcmp(uri, "null:") == 0)
        def = &sg__null_sink;
    else if (uri && strcmp(uri, "latency:") == 0)
        def = &sg__latency_sink;
    else
        return sg_job_errorf(job, SG_EUSAGE,
                             "sink '%s': unsupported URI '%s' (expected file:PATH, null: or "
                             "latency:)",
                             name ? name : "", uri ? uri : "");
    if (def == &sg__file_sink && (!enc || !enc->encode))
        return sg_job_errorf(job, SG_EINVAL, "sink '%s': a file sink needs an encoder", name);
    sg__node *n = new_node(job, SG__NODE_SINK, name);
    if (!n)
        return job->status;
    if (!(n->uri = sg_strdup(uri)))
        return sg_job_errorf(job, SG_ENOMEM, "out of memory");
    n->sink_def = def;
    if (enc && enc->encode && def != &sg__latency_sink) { /* it reads only ts */
        n->enc = *enc;
        n->has_enc = true;
    }
    /* A file has one writer, in order; null: runs beside its producer. */
    if (def == &sg__file_sink) {
        n->parallelism = 1;
        n->parallel_fixed = true;
    }
    int rc = connect_inputs(n, in, 0);
    return rc < 0 ? sg_job_errorf(job, rc, "out of memory") : SG_OK;
}
