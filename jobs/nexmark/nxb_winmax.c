/* nxb_winmax.c — per window, the items whose value is the window's maximum (q5, q7).
 *
 * A non-keyed operator: each open window keeps its running maximum and, in one
 * growable buffer, the items that may still be output: members equal to the maximum
 * and extras at or above it. A member above the maximum raises it and compacts the
 * buffer, so the work per item is one comparison, and a copy only for the few items
 * that tie or lead. Few windows are open at once (the watermark delay over the
 * slide), so they live in a small array searched from the newest.
 *
 * The maximum is a max over every instance of the previous phase: run it once at the
 * job's parallelism (local phase, after the records' own operators) and once at
 * parallelism 1 (global phase), which merges a handful of candidates per window and
 * instance. Watermarks travel behind records, so when the global phase's watermark
 * completes a window every local candidate of it has arrived.
 *
 * Extras (q7: bids not counted for a window's maximum but joined with it) may come
 * after their window was emitted: q7 is a regular join in Flink, which keeps both
 * sides, so a late bid equal to its window's maximum is still written. The local
 * phase cannot know the global maximum, so it passes such extras on at once; the
 * global phase keeps the (end, maximum) of the windows it emitted, the newest
 * cfg->keep of them (16 bytes each), and writes a late extra at once when it equals
 * its window's maximum. An extra for a window older than those kept is dropped and
 * counted late. */
#include <string.h>

#include "nxb.h"

typedef struct win {
    sg_time end;
    int64_t max;
    bool has_max;
    char *buf; /* items, each [uint32 len][len bytes: nxb_cand + payload] */
    size_t len, cap, n;
} win;

/* An emitted window's maximum, kept for the extras that come after it. */
typedef struct kept_max {
    sg_time end;
    int64_t max;
} kept_max;

typedef struct winmax_self {
    const nxb_winmax_cfg *cfg;
    win *wins; /* ascending end */
    size_t n, cap;
    sg_time wm;      /* windows with end - 1 + lag <= wm have been emitted */
    kept_max *kept;  /* final phase: emitted windows with a maximum, ascending end */
    size_t n_kept;   /* at most cfg->keep */
    size_t cap_kept; /* grows to cfg->keep */
    sg_time dropped; /* kept maxima of windows with end < dropped were let go */
} winmax_self;

static sg_time due(const winmax_self *s, sg_time end)
{
    return end - 1 + s->cfg->lag;
}

static int64_t item_v(const char *item)
{
    int64_t v;
    memcpy(&v, item + sizeof(uint32_t) + offsetof(nxb_cand, v), sizeof(v));
    return v;
}

static bool item_member(const char *item)
{
    int64_t m;
    memcpy(&m, item + sizeof(uint32_t) + offsetof(nxb_cand, member), sizeof(m));
    return m != 0;
}

static uint32_t item_len(const char *item)
{
    uint32_t len;
    memcpy(&len, item, sizeof(len));
    return len;
}

static void win_free(win *w)
{
    sg_free(w->buf);
    memset(w, 0, sizeof(*w));
}

/* The window ending at end, added in order when new; NULL when out of memory. */
static win *win_get(winmax_self *s, sg_time end)
{
    size_t i = s->n;
    while (i > 0 && s->wins[i - 1].end > end)
        i--;
    if (i > 0 && s->wins[i - 1].end == end)
        return &s->wins[i - 1];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        win *wins = sg_realloc(s->wins, cap * sizeof(*wins));
        if (!wins)
            return NULL;
        s->wins = wins;
        s->cap = cap;
    }
    memmove(&s->wins[i + 1], &s->wins[i], (s->n - i) * sizeof(*s->wins));
    s->n++;
    memset(&s->wins[i], 0, sizeof(*s->wins));
    s->wins[i].end = end;
    return &s->wins[i];
}

static int win_append(win *w, sg_bytes value)
{
    size_t need = w->len + sizeof(uint32_t) + value.len;
    if (value.len > UINT32_MAX)
        return SG_EINVAL;
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < need)
            cap *= 2;
        char *buf = sg_realloc(w->buf, cap);
        if (!buf)
            return SG_ENOMEM;
        w->buf = buf;
        w->cap = cap;
    }
    uint32_t len = (uint32_t)value.len;
    memcpy(w->buf + w->len, &len, sizeof(len));
    memcpy(w->buf + w->len + sizeof(len), value.data, value.len);
    w->len = need;
    w->n++;
    return SG_OK;
}

/* Drops the items below the (new) maximum. */
static void win_prune(win *w)
{
    size_t in = 0, out = 0, n = 0;
    while (in < w->len) {
        size_t sz = sizeof(uint32_t) + item_len(w->buf + in);
        if (item_v(w->buf + in) >= w->max) {
            memmove(w->buf + out, w->buf + in, sz);
            out += sz;
            n++;
        }
        in += sz;
    }
    w->len = out;
    w->n = n;
}

static int add_item(win *w, const nxb_cand *c, sg_bytes value)
{
    if (c->member && (!w->has_max || c->v > w->max)) {
        w->max = c->v;
        w->has_max = true;
        win_prune(w);
    }
    if (w->has_max && c->v < w->max)
        return SG_OK;
    return win_append(w, value);
}

/* The kept maximum of the window ending at end, or NULL. */
static const kept_max *kept_find(const winmax_self *s, sg_time end)
{
    size_t lo = 0, hi = s->n_kept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->kept[mid].end < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_kept && s->kept[lo].end == end ? &s->kept[lo] : NULL;
}

/* Keeps an emitted window's maximum (windows are emitted in ascending end), letting
 * the oldest quarter go when cfg->keep are held. */
static int kept_add(winmax_self *s, sg_time end, int64_t max)
{
    size_t keep = s->cfg->keep;
    if (keep == 0)
        return SG_OK;
    if (s->n_kept == s->cap_kept && s->cap_kept < keep) {
        size_t cap = s->cap_kept ? 2 * s->cap_kept : 64;
        cap = cap < keep ? cap : keep;
        kept_max *kept = sg_realloc(s->kept, cap * sizeof(*kept));
        if (!kept)
            return SG_ENOMEM;
        s->kept = kept;
        s->cap_kept = cap;
    }
    if (s->n_kept == keep) {
        size_t drop = keep / 4 ? keep / 4 : 1;
        s->dropped = s->kept[drop - 1].end + 1;
        memmove(s->kept, &s->kept[drop], (keep - drop) * sizeof(*s->kept));
        s->n_kept -= drop;
    }
    s->kept[s->n_kept++] = (kept_max){end, max};
    return SG_OK;
}

/* A candidate for a window emitted already. A member is late (dropped and counted:
 * the aggregate no longer takes it). An extra goes on to the global phase (local) or
 * is written when it equals the window's kept maximum (global). */
static int late_item(sg_ctx *ctx, const winmax_self *s, const nxb_cand *c, const sg_record *rec)
{
    sg_bytes none = {0};
    if (c->member) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if (!s->cfg->final)
        return sg_emit(ctx, rec->ts, none, rec->value);
    const kept_max *k = kept_find(s, c->end);
    if (k && k->max == c->v)
        return sg_emit(ctx, rec->ts, none, rec->value);
    if (!k && c->end < s->dropped)
        sg_ctx_count_late(ctx, 1); /* its window's maximum was let go */
    return SG_OK;
}

static int winmax_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    winmax_self *s = self;
    nxb_cand c;
    sg_bytes payload;
    SG_UNUSED(port);
    if (nxb_cand_read(rec->value, &c, &payload) != SG_OK || c.end <= SG_TIME_MIN + 1) {
        sg_ctx_reject(ctx, rec, "nexmark: not a window candidate");
        return SG_OK;
    }
    if (due(s, c.end) <= s->wm) /* its window was emitted already */
        return late_item(ctx, s, &c, rec);
    win *w = win_get(s, c.end);
    if (!w)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "nexmark: out of memory for a window");
    int rc = add_item(w, &c, rec->value);
    if (rc < 0)
        return sg_ctx_errorf(ctx, rc, "nexmark: cannot keep a window candidate");
    return SG_OK;
}

static bool emits(const winmax_self *s, const win *w, const char *item)
{
    int64_t v = item_v(item);
    if (!w->has_max)
        return true; /* local phase, extras only */
    if (v == w->max)
        return true;
    return !s->cfg->final && !item_member(item) && v > w->max;
}

static int win_emit(sg_ctx *ctx, winmax_self *s, const win *w)
{
    sg_bytes none = {0};
    int rc;
    /* Only extras: no maximum here. The global phase has no bid of the window, so
     * writes nothing; a local phase passes them on, another instance may have some. */
    if (!w->has_max && s->cfg->final)
        return SG_OK;
    if (w->has_max && s->cfg->final && (rc = kept_add(s, w->end, w->max)) < 0)
        return sg_ctx_errorf(ctx, rc, "nexmark: out of memory for a window's maximum");
    for (size_t off = 0; off < w->len;) {
        const char *item = w->buf + off;
        uint32_t len = item_len(item);
        if (emits(s, w, item)) {
            rc = sg_emit(ctx, due(s, w->end), none, (sg_bytes){item + sizeof(uint32_t), len});
            if (rc < 0)
                return rc;
        }
        off += sizeof(uint32_t) + len;
    }
    return SG_OK;
}

/* Drops the first done windows (already freed) from the array. */
static void drop_front(winmax_self *s, size_t done)
{
    if (done == 0)
        return; /* also keeps memmove away from a NULL array */
    memmove(s->wins, &s->wins[done], (s->n - done) * sizeof(*s->wins));
    s->n -= done;
}

static int winmax_on_watermark(sg_ctx *ctx, void *self, sg_time wm)
{
    winmax_self *s = self;
    size_t done = 0;
    int rc = SG_OK;
    s->wm = wm;
    while (rc >= 0 && done < s->n && due(s, s->wins[done].end) <= wm) {
        rc = win_emit(ctx, s, &s->wins[done]);
        win_free(&s->wins[done]);
        done++;
    }
    drop_front(s, done);
    return rc < 0 ? rc : SG_OK;
}

/* Snapshot: wm, the number of windows, then per window end, max, has_max, items;
 * then dropped, the number of kept maxima and each one's end and max. */
static int winmax_snapshot(sg_ctx *ctx, void *self, sg_snap_writer *out)
{
    const winmax_self *s = self;
    int rc;
    SG_UNUSED(ctx);
    if ((rc = sg_snap_put_i64(out, s->wm)) < 0 || (rc = sg_snap_put_u64(out, s->n)) < 0)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        const win *w = &s->wins[i];
        if ((rc = sg_snap_put_i64(out, w->end)) < 0 || (rc = sg_snap_put_i64(out, w->max)) < 0 ||
            (rc = sg_snap_put_u64(out, w->has_max)) < 0 ||
            (rc = sg_snap_put_bytes(out, w->buf, w->len)) < 0)
            return rc;
    }
    if ((rc = sg_snap_put_i64(out, s->dropped)) < 0 || (rc = sg_snap_put_u64(out, s->n_kept)) < 0)
        return rc;
    for (size_t i = 0; i < s->n_kept; i++)
        if ((rc = sg_snap_put_i64(out, s->kept[i].end)) < 0 ||
            (rc = sg_snap_put_i64(out, s->kept[i].max)) < 0)
            return rc;
    return SG_OK;
}

static int restore_kept(winmax_self *s, sg_snap_reader *r)
{
    uint64_t n;
    int rc;
    if ((rc = sg_snap_get_i64(r, &s->dropped)) < 0 || (rc = sg_snap_get_u64(r, &n)) < 0)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        kept_max k;
        if ((rc = sg_snap_get_i64(r, &k.end)) < 0 || (rc = sg_snap_get_i64(r, &k.max)) < 0 ||
            (rc = kept_add(s, k.end, k.max)) < 0)
            return rc;
    }
    return SG_OK;
}

static int restore_window(winmax_self *s, sg_snap_reader *r)
{
    sg_time end;
    int64_t max;
    uint64_t has_max;
    sg_bytes items;
    int rc;
    if ((rc = sg_snap_get_i64(r, &end)) < 0 || (rc = sg_snap_get_i64(r, &max)) < 0 ||
        (rc = sg_snap_get_u64(r, &has_max)) < 0 || (rc = sg_snap_get_bytes(r, &items)) < 0)
        return rc;
    win *w = win_get(s, end);
    if (!w)
        return SG_ENOMEM;
    w->max = max;
    w->has_max = has_max != 0;
    for (size_t off = 0; off + sizeof(uint32_t) <= items.len;) {
        const char *item = (const char *)items.data + off;
        uint32_t len = item_len(item);
        if (off + sizeof(uint32_t) + len > items.len)
            return SG_ESERDE;
        if ((rc = win_append(w, (sg_bytes){item + sizeof(uint32_t), len})) < 0)
            return rc;
        off += sizeof(uint32_t) + len;
    }
    return SG_OK;
}

static int winmax_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    winmax_self *s = self;
    uint64_t n;
    int rc;
    s->cfg = sg_ctx_udata(ctx);
    s->wm = SG_TIME_MIN;
    s->dropped = SG_TIME_MIN;
    if (!s->cfg)
        return sg_ctx_errorf(ctx, SG_EINVAL, "nexmark: the window maximum has no configuration");
    if (!restore)
        return SG_OK;
    if ((rc = sg_snap_get_i64(restore, &s->wm)) < 0 || (rc = sg_snap_get_u64(restore, &n)) < 0)
        return sg_ctx_errorf(ctx, rc, "nexmark: a bad window maximum snapshot");
    for (uint64_t i = 0; i < n; i++)
        if ((rc = restore_window(s, restore)) < 0)
            return sg_ctx_errorf(ctx, rc, "nexmark: a bad window maximum snapshot");
    if ((rc = restore_kept(s, restore)) < 0)
        return sg_ctx_errorf(ctx, rc, "nexmark: a bad window maximum snapshot");
    return SG_OK;
}

static void winmax_close(sg_ctx *ctx, void *self)
{
    winmax_self *s = self;
    SG_UNUSED(ctx);
    for (size_t i = 0; i < s->n; i++)
        win_free(&s->wins[i]);
    sg_free(s->wins);
    sg_free(s->kept);
}

/* Two definitions of one operator: graph nodes need names of their own. */
#define WINMAX_DEF(op_name)                                                                        \
    {                                                                                              \
        .abi = SG_OPERATOR_ABI_1, .name = op_name, .self_size = sizeof(winmax_self),               \
        .n_inputs = 1, .open = winmax_open, .process = winmax_process,                             \
        .on_watermark = winmax_on_watermark, .snapshot = winmax_snapshot, .close = winmax_close,   \
    }
const sg_operator_def nxb_winmax_local_op = WINMAX_DEF("nexmark_max_local");
const sg_operator_def nxb_winmax_global_op = WINMAX_DEF("nexmark_max_global");
