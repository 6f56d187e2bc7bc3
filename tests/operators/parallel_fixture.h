/* The shared fixture of the parallel window tests (test_window_parallel.c,
 * test_session_parallel.c): a generator of jittered keyed events (gen:jitter), a
 * sum-and-count aggregate and process-window function that both emit a "firing", and a
 * collector operator that keeps every firing in arrival order. Included by one test
 * file each. */
#ifndef SG_TESTS_OPERATORS_PARALLEL_FIXTURE_H
#define SG_TESTS_OPERATORS_PARALLEL_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include <sangam/sangam.h>

#define N 20000
#define KEYS 13

typedef struct event {
    int64_t key, v;
} event;

/* gen:jitter: N records of KEYS keys, ts = i / 4 + a jitter of +-40. */
typedef struct jitter_source {
    int64_t i;
    uint64_t x;
} jitter_source;

static int jitter_poll(sg_ctx *ctx, void *self, size_t budget)
{
    jitter_source *s = self;
    for (; budget > 0 && s->i < N; budget--, s->i++) {
        s->x = s->x * 6364136223846793005ULL + 1442695040888963407ULL;
        event e = {(int64_t)((s->x >> 33) % KEYS), (int64_t)(s->x >> 54)};
        sg_bytes key = {0}, value = {&e, sizeof(e)};
        int rc = sg_emit(ctx, s->i / 4 + (sg_time)((s->x >> 20) % 81) - 40, key, value);
        if (rc < 0)
            return rc;
    }
    return s->i < N ? SG_OK : SG_EOF;
}

static const sg_source_def jitter_def = {
    .abi = SG_SOURCE_ABI_1,
    .name = "jitter",
    .self_size = sizeof(jitter_source),
    .poll = jitter_poll,
};

static int event_key(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata)
{
    (void)ctx;
    (void)udata;
    key->data = in->value.data; /* the event's first field */
    key->len = sizeof(int64_t);
    return SG_OK;
}

/* One firing, as the collector saw it. */
typedef struct firing {
    int64_t key;
    sg_time start, end;
    int64_t sum, n;
    size_t order; /* arrival at the collector */
} firing;

typedef struct collected {
    firing *v;
    size_t n, cap;
} collected;

static int emit_firing(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, int64_t sum,
                       int64_t n)
{
    firing f = {0, start, end, sum, n, 0};
    memcpy(&f.key, key.data, sizeof(f.key));
    sg_bytes v = {&f, sizeof(f)};
    return sg_emit(ctx, end - 1, key, v);
}

static int sum_add(void *acc, const sg_record *rec, void *udata)
{
    event e;
    (void)udata;
    memcpy(&e, rec->value.data, sizeof(e));
    ((int64_t *)acc)[0] += e.v;
    ((int64_t *)acc)[1]++;
    return SG_OK;
}

static void sum_merge(void *acc, const void *other, void *udata)
{
    (void)udata;
    ((int64_t *)acc)[0] += ((const int64_t *)other)[0];
    ((int64_t *)acc)[1] += ((const int64_t *)other)[1];
}

static int sum_result(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end, const void *acc,
                      void *udata)
{
    (void)udata;
    return emit_firing(ctx, key, start, end, ((const int64_t *)acc)[0], ((const int64_t *)acc)[1]);
}

static int sum_process(sg_ctx *ctx, sg_bytes key, sg_time start, sg_time end,
                       const sg_record *elems, size_t n, void *udata)
{
    int64_t sum = 0;
    event e;
    (void)udata;
    for (size_t i = 0; i < n; i++) {
        memcpy(&e, elems[i].value.data, sizeof(e));
        sum += e.v;
    }
    return emit_firing(ctx, key, start, end, sum, (int64_t)n);
}

static int collect_value(collected *c, const sg_record *rec)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        firing *v = sg_realloc(c->v, cap * sizeof(*v));
        if (!v)
            return SG_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    memcpy(&c->v[c->n], rec->value.data, sizeof(firing));
    c->v[c->n].order = c->n;
    c->n++;
    return SG_OK;
}

static int collect(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    (void)self;
    (void)port;
    return collect_value(sg_ctx_udata(ctx), rec);
}

static const sg_operator_def collect_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "collect",
    .n_inputs = 1,
    .process = collect,
};

#endif
