/* The top-N operator: a custom, non-keyed operator at parallelism 1. Window counts
 * arrive final (a window operator emits a word's count once, when the window fires),
 * so each open window keeps only a bounded min-heap of its best N words. When the
 * watermark passes a window's end - 1 every count of it has arrived (watermarks
 * travel behind the records), and the window is ranked and emitted, oldest first. */
#include <stdlib.h>
#include <string.h>

#include "trending.h"

typedef struct entry {
    uint64_t count;
    char *word;
    size_t len;
} entry;

typedef struct open_window {
    sg_time start, end;
    entry *heap; /* min-heap: heap[0] is the worst kept word */
    size_t n;
} open_window;

typedef struct top_self {
    open_window *wins;
    size_t n, cap;
} top_self;

/* a ranks before b: higher count, then word ascending by bytes. */
static bool better(const entry *a, const entry *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->word, b->word, n);
    return c != 0 ? c < 0 : a->len < b->len;
}

static void sift_down(entry *h, size_t n, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, worst = i;
        if (c < n && better(&h[worst], &h[c]))
            worst = c;
        if (c + 1 < n && better(&h[worst], &h[c + 1]))
            worst = c + 1;
        if (worst == i)
            return;
        entry t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

static void sift_up(entry *h, size_t i)
{
    while (i > 0 && better(&h[(i - 1) / 2], &h[i])) {
        entry t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static open_window *find_window(sg_ctx *ctx, top_self *s, sg_time start, sg_time end)
{
    const tw_config *cfg = sg_ctx_udata(ctx);
    for (size_t i = 0; i < s->n; i++)
        if (s->wins[i].end == end && s->wins[i].start == start)
            return &s->wins[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        open_window *w = sg_realloc(s->wins, cap * sizeof(*w));
        if (!w)
            return NULL;
        s->wins = w;
        s->cap = cap;
    }
    open_window *w = &s->wins[s->n];
    memset(w, 0, sizeof(*w));
    if (!(w->heap = sg_calloc(cfg->top, sizeof(entry))))
        return NULL;
    s->n++;
    w->start = start;
    w->end = end;
    return w;
}

static int top_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const tw_config *cfg = sg_ctx_udata(ctx);
    tw_count c;
    SG_UNUSED(port);
    memcpy(&c, rec->value.data, sizeof(c));
    open_window *w = find_window(ctx, self, c.start, c.end);
    if (!w)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "top: out of memory");
    entry cand = {c.count, (char *)(uintptr_t)rec->key.data, rec->key.len};
    if (w->n == cfg->top && !better(&cand, &w->heap[0]))
        return SG_OK;
    char *word = sg_malloc(rec->key.len ? rec->key.len : 1);
    if (!word)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "top: out of memory");
    memcpy(word, rec->key.data, rec->key.len);
    cand.word = word;
    if (w->n < cfg->top) {
        w->heap[w->n] = cand;
        sift_up(w->heap, w->n++);
    } else {
        sg_free(w->heap[0].word);
        w->heap[0] = cand;
        sift_down(w->heap, w->n, 0);
    }
    return SG_OK;
}

static int cmp_rank(const void *a, const void *b)
{
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static int emit_window(sg_ctx *ctx, open_window *w)
{
    int rc = SG_OK;
    if (w->n > 1)
        qsort(w->heap, w->n, sizeof(entry), cmp_rank);
    for (size_t i = 0; i < w->n && rc >= 0; i++) {
        tw_ranked r = {w->start, w->end, i + 1, w->heap[i].count};
        sg_bytes key = {w->heap[i].word, w->heap[i].len}, value = {&r, sizeof(r)};
        rc = sg_emit(ctx, w->end - 1, key, value);
    }
    return rc;
}

static void drop_window(open_window *w)
{
    for (size_t i = 0; i < w->n; i++)
        sg_free(w->heap[i].word);
    sg_free(w->heap);
}

static int by_start(const void *a, const void *b)
{
    const open_window *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int top_on_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    top_self *s = self;
    size_t kept = 0;
    int rc = SG_OK;
    if (s->n > 1)
        qsort(s->wins, s->n, sizeof(*s->wins), by_start);
    for (size_t i = 0; i < s->n; i++) {
        open_window *w = &s->wins[i];
        if (w->end - 1 <= wm && rc >= 0) {
            rc = emit_window(ctx, w);
            drop_window(w);
        } else {
            s->wins[kept++] = *w;
        }
    }
    s->n = kept;
    return rc;
}

/* Snapshot: the open windows, each with its kept words:
 *   n_windows, then per window: start, end, n_words, then (count, word) per word. */
static int top_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    top_self *s = self;
    int rc = sg_snap_put_u64(out, s->n);
    SG_UNUSED(ctx);
    for (size_t i = 0; i < s->n && rc >= 0; i++) {
        const open_window *w = &s->wins[i];
        if ((rc = sg_snap_put_i64(out, w->start)) < 0 || (rc = sg_snap_put_i64(out, w->end)) < 0 ||
            (rc = sg_snap_put_u64(out, w->n)) < 0)
            break;
        for (size_t k = 0; k < w->n && rc >= 0; k++)
            if ((rc = sg_snap_put_u64(out, w->heap[k].count)) >= 0)
                rc = sg_snap_put_bytes(out, w->heap[k].word, w->heap[k].len);
    }
    return rc;
}

static int restore_window(sg_ctx *ctx, top_self *s, sg_snap_reader *in)
{
    const tw_config *cfg = sg_ctx_udata(ctx);
    int64_t start, end;
    uint64_t n, count;
    sg_bytes word;
    int rc;
    if ((rc = sg_snap_get_i64(in, &start)) < 0 || (rc = sg_snap_get_i64(in, &end)) < 0 ||
        (rc = sg_snap_get_u64(in, &n)) < 0)
        return rc;
    if (n > cfg->top)
        return sg_ctx_errorf(ctx, SG_ESERDE, "top: the snapshot keeps %llu words, --top is %zu",
                             (unsigned long long)n, cfg->top);
    open_window *w = find_window(ctx, s, start, end);
    if (!w)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "top: out of memory");
    for (uint64_t k = 0; k < n; k++) {
        if ((rc = sg_snap_get_u64(in, &count)) < 0 || (rc = sg_snap_get_bytes(in, &word)) < 0)
            return rc;
        char *copy = sg_malloc(word.len ? word.len : 1);
        if (!copy)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "top: out of memory");
        memcpy(copy, word.data, word.len);
        w->heap[w->n] = (entry){count, copy, word.len};
        sift_up(w->heap, w->n++);
    }
    return SG_OK;
}

static int top_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    uint64_t n;
    int rc;
    if (!restore)
        return SG_OK;
    if ((rc = sg_snap_get_u64(restore, &n)) < 0)
        return rc;
    for (uint64_t i = 0; i < n && rc >= 0; i++)
        rc = restore_window(ctx, self, restore);
    return rc;
}

static void top_close(sg_ctx *ctx, void *self)
{
    top_self *s = self;
    SG_UNUSED(ctx);
    for (size_t i = 0; i < s->n; i++)
        drop_window(&s->wins[i]);
    sg_free(s->wins);
}

const sg_operator_def tw_top_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "top-words",
    .self_size = sizeof(top_self),
    .n_inputs = 1,
    .open = top_open,
    .process = top_process,
    .on_watermark = top_on_watermark,
    .snapshot = top_snapshot,
    .close = top_close,
};
