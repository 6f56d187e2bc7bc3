/* nexmark_windows.c — the baseline's windowed queries q5, q7 and q8 (see nexmark.c).
 *
 * The open windows of a query live in a small array sorted by end (the watermark
 * delay over the slide: a handful), each with its own flat table, so that firing a
 * window walks only its own entries. A fired window's table is cleared and kept for
 * the next window: after the first few windows nothing is allocated. Windows fire
 * as the job's do (jobs/nexmark/q5.c, q7.c, q8.c): when the watermark reaches their
 * due time, and all at the end of input; an event whose window has fired (by the
 * watermark it carries) is late and left out of it. */
#include "bench/baseline/nexmark.h"

/* ---- Open windows ------------------------------------------------------------------ */

typedef struct q7_item {
    int64_t auction, bidder, price;
    sg_time ts;
    uint32_t extra, extra_len; /* the event's extra, in the window's arena */
    bool member;               /* false: a bid at the window's end (BETWEEN's upper end) */
} q7_item;

typedef struct q8_name {
    uint32_t off, len, next; /* next: index + 1 in the window's names, 0: none */
} q8_name;

typedef struct win {
    sg_time end;
    flat t; /* q5: auction -> int64 count; q8: person id -> q8_key */
    int64_t max;
    bool has_max;
    q7_item *items;
    size_t n_items, cap_items;
    q8_name *names;
    size_t n_names, cap_names;
    bn_arena strs;
} win;

typedef struct wins {
    win *w; /* [0, n): open, ascending end; [n, alloc): spares, cleared */
    size_t n, alloc, cap;
    size_t vsize; /* of the table's values */
    sg_time lag;  /* a window is due when the watermark reaches end - 1 + lag */
} wins;

static void win_clear(win *w)
{
    memset(w->t.used, 0, w->t.cap);
    w->t.n = 0;
    w->max = 0;
    w->has_max = false;
    w->n_items = w->n_names = w->strs.len = 0;
}

/* The open window ending at end, made when new. */
static win *win_get(wins *ws, sg_time end)
{
    size_t i = ws->n;
    while (i > 0 && ws->w[i - 1].end > end)
        i--;
    if (i > 0 && ws->w[i - 1].end == end)
        return &ws->w[i - 1];
    if (ws->n == ws->alloc) {
        bn_grow(&ws->w, &ws->cap, ws->alloc + 1, sizeof(*ws->w));
        memset(&ws->w[ws->alloc], 0, sizeof(*ws->w));
        flat_init(&ws->w[ws->alloc].t, ws->vsize, 1024);
        ws->alloc++;
    }
    win spare = ws->w[ws->n];
    memmove(&ws->w[i + 1], &ws->w[i], (ws->n - i) * sizeof(*ws->w));
    ws->w[i] = spare;
    ws->w[i].end = end;
    ws->n++;
    return &ws->w[i];
}

/* Fires, in order, the windows due at watermark wm. */
static void wins_fire(wins *ws, sg_time wm, void (*fire)(const win *w, bn_out *o), bn_out *o)
{
    while (ws->n > 0 && ws->w[0].end - 1 + ws->lag <= wm) {
        fire(&ws->w[0], o);
        win done = ws->w[0];
        win_clear(&done);
        memmove(&ws->w[0], &ws->w[1], (ws->n - 1) * sizeof(*ws->w));
        ws->w[--ws->n] = done;
    }
}

static void wins_free(wins *ws)
{
    for (size_t i = 0; i < ws->alloc; i++) {
        flat_free(&ws->w[i].t);
        free(ws->w[i].items);
        free(ws->w[i].names);
        free(ws->w[i].strs.p);
    }
    free(ws->w);
    memset(ws, 0, sizeof(*ws));
}

/* ---- q5: per 10 s window sliding by 2 s, the auctions with the most bids ----------- */
#define Q5_SIZE_MS 10000
#define Q5_SLIDE_MS 2000

static wins q5 = {.vsize = sizeof(int64_t), .lag = 0};

static void q5_fire(const win *w, bn_out *o)
{
    for (size_t i = 0; i < w->t.cap; i++)
        if (w->t.used[i] && *(const int64_t *)flat_val(&w->t, i) == w->max) {
            bn_out_i64(o, (int64_t)flat_key(&w->t, i));
            bn_out_i64(o, w->max);
            bn_out_end(o);
        }
}

static void q5_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    wins_fire(&q5, wm, q5_fire, o);
    if (ev->type != SG_NX_BID)
        return;
    /* The windows of ts end at the slide boundaries in (ts, ts + size]. */
    sg_time last = bn_window_start(ev->date_time, Q5_SLIDE_MS);
    if (last + Q5_SIZE_MS - 1 <= wm) {
        bn_late++; /* every window of it has fired */
        return;
    }
    for (sg_time start = last - Q5_SIZE_MS + Q5_SLIDE_MS; start <= last; start += Q5_SLIDE_MS) {
        sg_time end = start + Q5_SIZE_MS;
        if (end - 1 <= wm)
            continue; /* that window has fired: late for it alone */
        win *w = win_get(&q5, end);
        int64_t *count = flat_put(&w->t, (uint64_t)ev->bid.auction, NULL);
        if (++*count > w->max)
            w->max = *count;
    }
}

static void q5_finish(bn_out *o)
{
    wins_fire(&q5, SG_TIME_MAX, q5_fire, o);
    wins_free(&q5);
}

const bn_query bn_q5 = {"q5", "auction,num", q5_event, q5_finish};

/* ---- q7: per 10 s tumbling window, the bids at its maximum price --------------------
 * B.dateTime BETWEEN window_end - 10 s AND window_end: a bid at exactly a window's
 * end is also compared with that window's maximum (without counting for it), so a
 * window is due one ms later than q5's. A window keeps only the bids that tie or
 * lead its running maximum. As the job (jobs/nexmark/q7.c), a regular join: a bid
 * late for its window's maximum is counted late but still written when it equals
 * it, and so is a bid at the end of a window fired already; fired windows' maxima
 * are kept for them (all of them here; the job keeps a day of windows). */
#define Q7_SIZE_MS 10000

static wins q7 = {.vsize = 1, .lag = 1};

typedef struct q7_kept {
    sg_time end;
    int64_t max;
} q7_kept;

static q7_kept *q7_maxima; /* fired windows with a maximum, ascending end */
static size_t q7_n_maxima, q7_cap_maxima;

static void q7_row(bn_out *o, const sg_nx_event *ev)
{
    bn_out_i64(o, ev->bid.auction);
    bn_out_i64(o, ev->bid.price);
    bn_out_i64(o, ev->bid.bidder);
    bn_out_i64(o, ev->date_time);
    bn_out_str(o, ev->extra.data, ev->extra.len);
    bn_out_end(o);
}

static void q7_add(win *w, const sg_nx_event *ev, bool member)
{
    int64_t price = ev->bid.price;
    if (member && (!w->has_max || price > w->max)) {
        w->max = price;
        w->has_max = true;
        size_t keep = 0; /* drop the items below the new maximum */
        for (size_t i = 0; i < w->n_items; i++)
            if (w->items[i].price >= price)
                w->items[keep++] = w->items[i];
        w->n_items = keep;
    }
    if (w->has_max && price < w->max)
        return;
    bn_grow(&w->items, &w->cap_items, w->n_items + 1, sizeof(*w->items));
    w->items[w->n_items++] = (q7_item){ev->bid.auction,
                                       ev->bid.bidder,
                                       price,
                                       ev->date_time,
                                       bn_arena_add(&w->strs, ev->extra),
                                       (uint32_t)ev->extra.len,
                                       member};
}

static void q7_fire(const win *w, bn_out *o)
{
    if (!w->has_max)
        return; /* only bids at its end: the window has no bid, so no maximum */
    bn_grow(&q7_maxima, &q7_cap_maxima, q7_n_maxima + 1, sizeof(*q7_maxima));
    q7_maxima[q7_n_maxima++] = (q7_kept){w->end, w->max};
    for (size_t i = 0; i < w->n_items; i++) {
        const q7_item *it = &w->items[i];
        if (it->price != w->max)
            continue;
        bn_out_i64(o, it->auction);
        bn_out_i64(o, it->price);
        bn_out_i64(o, it->bidder);
        bn_out_i64(o, it->ts);
        bn_out_str(o, w->strs.p + it->extra, it->extra_len);
        bn_out_end(o);
    }
}

/* A bid compared with the window ending at end without counting for its maximum:
 * kept with the window while it is open, else written now if it equals its maximum. */
static void q7_extra(sg_time end, sg_time wm, const sg_nx_event *ev, bn_out *o)
{
    if (end - 1 + q7.lag > wm) {
        q7_add(win_get(&q7, end), ev, false);
        return;
    }
    size_t lo = 0, hi = q7_n_maxima;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (q7_maxima[mid].end < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < q7_n_maxima && q7_maxima[lo].end == end && q7_maxima[lo].max == ev->bid.price)
        q7_row(o, ev);
}

static void q7_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    wins_fire(&q7, wm, q7_fire, o);
    if (ev->type != SG_NX_BID)
        return;
    sg_time ts = ev->date_time, start = bn_window_start(ts, Q7_SIZE_MS);
    if (wm >= start + Q7_SIZE_MS - 1) {
        bn_late++; /* its window has fired: not in its MAX, still in the join */
        q7_extra(start + Q7_SIZE_MS, wm, ev, o);
    } else {
        q7_add(win_get(&q7, start + Q7_SIZE_MS), ev, true);
    }
    if (ts == start) /* on a boundary: also BETWEEN's upper end of the window ending here */
        q7_extra(ts, wm, ev, o);
}

static void q7_finish(bn_out *o)
{
    wins_fire(&q7, SG_TIME_MAX, q7_fire, o);
    wins_free(&q7);
    free(q7_maxima);
}

const bn_query bn_q7 = {"q7", "auction,price,bidder,dateTime,extra", q7_event, q7_finish};

/* ---- q8: persons who opened an auction in the 10 s window they registered in -------
 * Per window and person id: "has an auction", "is a person" and the person's names;
 * each distinct name is one row when both flags are set. */
#define Q8_WINDOW_MS 10000

typedef struct q8_key {
    uint32_t names; /* list head, index + 1 */
    uint8_t auction, person;
} q8_key;

static wins q8 = {.vsize = sizeof(q8_key), .lag = 0};

static bool q8_seen_before(const win *w, uint32_t head, const q8_name *n)
{
    for (uint32_t i = head; &w->names[i - 1] != n; i = w->names[i - 1].next) {
        const q8_name *m = &w->names[i - 1];
        if (m->len == n->len && memcmp(w->strs.p + m->off, w->strs.p + n->off, n->len) == 0)
            return true;
    }
    return false;
}

static void q8_fire(const win *w, bn_out *o)
{
    for (size_t i = 0; i < w->t.cap; i++) {
        const q8_key *k = flat_val(&w->t, i);
        if (!w->t.used[i] || !k->auction || !k->person)
            continue;
        for (uint32_t n = k->names; n; n = w->names[n - 1].next) {
            const q8_name *name = &w->names[n - 1];
            if (q8_seen_before(w, k->names, name))
                continue;
            bn_out_i64(o, (int64_t)flat_key(&w->t, i));
            bn_out_str(o, w->strs.p + name->off, name->len);
            bn_out_i64(o, w->end - Q8_WINDOW_MS);
            bn_out_end(o);
        }
    }
}

static void q8_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    wins_fire(&q8, wm, q8_fire, o);
    if (ev->type == SG_NX_BID)
        return;
    sg_time end = bn_window_start(ev->date_time, Q8_WINDOW_MS) + Q8_WINDOW_MS;
    if (end - 1 <= wm) {
        bn_late++;
        return;
    }
    win *w = win_get(&q8, end);
    if (ev->type == SG_NX_AUCTION) {
        ((q8_key *)flat_put(&w->t, (uint64_t)ev->auction.seller, NULL))->auction = 1;
        return;
    }
    q8_key *k = flat_put(&w->t, (uint64_t)ev->person.id, NULL);
    k->person = 1;
    bn_grow(&w->names, &w->cap_names, w->n_names + 1, sizeof(*w->names));
    w->names[w->n_names] =
        (q8_name){bn_arena_add(&w->strs, ev->person.name), (uint32_t)ev->person.name.len, k->names};
    k->names = (uint32_t)++w->n_names;
}

static void q8_finish(bn_out *o)
{
    wins_fire(&q8, SG_TIME_MAX, q8_fire, o);
    wins_free(&q8);
}

const bn_query bn_q8 = {"q8", "id,name,starttime", q8_event, q8_finish};
