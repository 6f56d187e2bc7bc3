/* baseline_nexmark — the Nexmark queries of build/jobs/nexmark.so without the engine:
 * one thread, one loop over the same generator (connectors/nexmark_gen.c, as
 * gen:nexmark), each query's state in flat hash tables, the job's CSV rows.
 *
 *   baseline_nexmark --query qN [--count N] [--rate R] [--seed S] [--base MS]
 *                    [--ooo G] [--max-delay-ms D] [--output PATH.csv]
 *
 * Generator options mean what gen:nexmark's do, with its defaults (count 100000);
 * --max-delay-ms is the job's watermark delay (4000; watermark = max dateTime - delay,
 * as Nexmark's DDL and the job, max - 1 for 0). Rows are the job's, in another
 * order (compare them as a multiset), with one exception: q12 counts bids in windows
 * of processing time, which no two runs share, so its baseline writes each bidder's
 * total over the whole input (bidder,bid_count): what the job's rows add up to.
 *
 * The rules each query follows are the job's (jobs/nexmark/q*.c); lateness uses the
 * watermark an event carries (nexmark.h). gen:nexmark at parallelism P has one
 * watermark per instance: with --ooo G > 1 which events are late then depends on P,
 * and the baseline matches the job at P = 1 (in order, nothing is ever late). */
#include "bench/baseline/nexmark.h"

uint64_t bn_late;

/* ---- Output ---------------------------------------------------------------------- */

void bn_out_flush(bn_out *o)
{
    if (o->f && o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        fprintf(stderr, "baseline_nexmark: cannot write the output\n");
        exit(1);
    }
    o->len = 0;
}

char *bn_out_room(bn_out *o, size_t n)
{
    if (o->len + n > o->cap) {
        bn_out_flush(o);
        if (n > o->cap) {
            o->cap = n * 2;
            free(o->buf);
            o->buf = flat_alloc(o->cap);
        }
    }
    return o->buf + o->len;
}

void bn_out_i64(bn_out *o, int64_t v)
{
    char tmp[24], *d = tmp + sizeof(tmp);
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    *--d = ',';
    do {
        *--d = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--d = '-';
    size_t n = (size_t)(tmp + sizeof(tmp) - d);
    memcpy(bn_out_room(o, n), d, n);
    o->len += n;
}

void bn_out_str(bn_out *o, const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0;
    while (i < len && s[i] != '"' && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
        i++;
    char *d = bn_out_room(o, 2 * len + 3);
    if (i == len) {
        if (len)
            memcpy(d, s, len);
        d += len;
    } else {
        *d++ = '"';
        for (i = 0; i < len; i++) {
            if (s[i] == '"')
                *d++ = '"';
            *d++ = (char)s[i];
        }
        *d++ = '"';
    }
    *d++ = ',';
    o->len = (size_t)(d - o->buf);
}

void bn_out_cstr(bn_out *o, const char *s)
{
    bn_out_str(o, s, strlen(s));
}

uint32_t bn_arena_add(bn_arena *a, sg_bytes b)
{
    bn_grow(&a->p, &a->cap, a->len + b.len, 1);
    if (a->len + b.len > UINT32_MAX) {
        fprintf(stderr, "baseline_nexmark: more than 4 GB of strings kept\n");
        exit(1);
    }
    uint32_t off = (uint32_t)a->len;
    if (b.len)
        memcpy(a->p + off, b.data, b.len);
    a->len += b.len;
    return off;
}

void bn_grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *n = realloc(*(void **)p, c * sz);
    if (!n) {
        fprintf(stderr, "baseline: out of memory\n");
        exit(1);
    }
    *(void **)p = n;
    *cap = c;
}

/* ---- q0, q1, q2: one row per (selected) bid ------------------------------------ */

static void q0_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    if (ev->type != SG_NX_BID)
        return;
    bn_out_i64(o, ev->bid.auction);
    bn_out_i64(o, ev->bid.bidder);
    bn_out_i64(o, ev->bid.price);
    bn_out_i64(o, ev->date_time);
    bn_out_str(o, ev->extra.data, ev->extra.len);
    bn_out_end(o);
}

/* 0.908 * price exactly, three decimals (the job's DECIMAL; q1.c). */
static void q1_price(bn_out *o, int64_t price)
{
    uint64_t m = price < 0 ? 0 - (uint64_t)price : (uint64_t)price;
    uint64_t low = (m % 1000) * 908;
    uint64_t whole = (m / 1000) * 908 + low / 1000, frac = low % 1000;
    char *d = bn_out_room(o, 32), tmp[24], *t = tmp + sizeof(tmp);
    do {
        *--t = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (price < 0)
        *--t = '-';
    size_t n = (size_t)(tmp + sizeof(tmp) - t);
    memcpy(d, t, n);
    d[n] = '.';
    d[n + 1] = (char)('0' + frac / 100);
    d[n + 2] = (char)('0' + frac / 10 % 10);
    d[n + 3] = (char)('0' + frac % 10);
    d[n + 4] = ',';
    o->len += n + 5;
}

static void q1_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    if (ev->type != SG_NX_BID)
        return;
    bn_out_i64(o, ev->bid.auction);
    bn_out_i64(o, ev->bid.bidder);
    q1_price(o, ev->bid.price);
    bn_out_i64(o, ev->date_time);
    bn_out_str(o, ev->extra.data, ev->extra.len);
    bn_out_end(o);
}

static void q2_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    if (ev->type != SG_NX_BID || ev->bid.auction % 123 != 0)
        return;
    bn_out_i64(o, ev->bid.auction);
    bn_out_i64(o, ev->bid.price);
    bn_out_end(o);
}

static void no_finish(bn_out *o)
{
    (void)o;
}

/* ---- q3: persons in OR, ID, CA joined with their auctions of category 10 ----------
 * A regular inner join: each side waits in a list per person id for the other. */
typedef struct q3_person {
    uint32_t name, city, state; /* arena offsets */
    uint16_t name_len, city_len, state_len;
    uint32_t next; /* index + 1 of the next person of the same id, 0: none */
} q3_person;

typedef struct q3_auction {
    int64_t id;
    uint32_t next;
} q3_auction;

typedef struct q3_key {
    uint32_t persons, auctions; /* list heads, index + 1 */
} q3_key;

static struct {
    flat keys; /* person id -> q3_key */
    q3_person *persons;
    q3_auction *auctions;
    size_t n_persons, cap_persons, n_auctions, cap_auctions;
    bn_arena strs;
} q3;

static void q3_row(bn_out *o, const q3_person *p, int64_t auction)
{
    bn_out_str(o, q3.strs.p + p->name, p->name_len);
    bn_out_str(o, q3.strs.p + p->city, p->city_len);
    bn_out_str(o, q3.strs.p + p->state, p->state_len);
    bn_out_i64(o, auction);
    bn_out_end(o);
}

static bool q3_state_matches(sg_bytes s)
{
    return s.len == 2 && (memcmp(s.data, "OR", 2) == 0 || memcmp(s.data, "ID", 2) == 0 ||
                          memcmp(s.data, "CA", 2) == 0);
}

static uint16_t len16(sg_bytes b)
{
    return b.len > UINT16_MAX ? UINT16_MAX : (uint16_t)b.len;
}

static void q3_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    if (ev->type == SG_NX_PERSON) {
        const sg_nx_person *p = &ev->person;
        if (!q3_state_matches(p->state))
            return;
        q3_key *k = flat_put(&q3.keys, (uint64_t)p->id, NULL);
        bn_grow(&q3.persons, &q3.cap_persons, q3.n_persons + 1, sizeof(*q3.persons));
        q3_person *np = &q3.persons[q3.n_persons];
        np->name = bn_arena_add(&q3.strs, p->name);
        np->city = bn_arena_add(&q3.strs, p->city);
        np->state = bn_arena_add(&q3.strs, p->state);
        np->name_len = len16(p->name);
        np->city_len = len16(p->city);
        np->state_len = len16(p->state);
        for (uint32_t a = k->auctions; a; a = q3.auctions[a - 1].next)
            q3_row(o, np, q3.auctions[a - 1].id);
        np->next = k->persons;
        k->persons = (uint32_t)++q3.n_persons;
    } else if (ev->type == SG_NX_AUCTION && ev->auction.category == 10) {
        q3_key *k = flat_put(&q3.keys, (uint64_t)ev->auction.seller, NULL);
        for (uint32_t p = k->persons; p; p = q3.persons[p - 1].next)
            q3_row(o, &q3.persons[p - 1], ev->auction.id);
        bn_grow(&q3.auctions, &q3.cap_auctions, q3.n_auctions + 1, sizeof(*q3.auctions));
        q3.auctions[q3.n_auctions] = (q3_auction){ev->auction.id, k->auctions};
        k->auctions = (uint32_t)++q3.n_auctions;
    }
}

/* ---- q4: average closing price per category, at the end of input ------------------ */
typedef struct q4_auction {
    sg_time start, expires;
    int64_t category, max;
    uint32_t pending; /* bids before their auction: list head, index + 1 */
    uint8_t has_auction, has_bid;
} q4_auction;

typedef struct q4_bid {
    sg_time ts;
    int64_t price;
    uint32_t next;
} q4_bid;

static struct {
    flat auctions; /* auction id -> q4_auction */
    q4_bid *pending;
    size_t n_pending, cap_pending;
    uint64_t rejected; /* second auctions of an id (the job rejects them too) */
} q4;

static void q4_offer(q4_auction *a, sg_time ts, int64_t price)
{
    if (ts < a->start || ts > a->expires)
        return;
    if (!a->has_bid || price > a->max)
        a->max = price;
    a->has_bid = 1;
}

static void q4_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    (void)o;
    if (ev->type == SG_NX_AUCTION) {
        q4_auction *a = flat_put(&q4.auctions, (uint64_t)ev->auction.id, NULL);
        if (a->has_auction) {
            q4.rejected++;
            return;
        }
        a->start = ev->date_time;
        a->expires = ev->auction.expires;
        a->category = ev->auction.category;
        a->has_auction = 1;
        for (uint32_t b = a->pending; b; b = q4.pending[b - 1].next)
            q4_offer(a, q4.pending[b - 1].ts, q4.pending[b - 1].price);
        a->pending = 0; /* the nodes stay unused: bids before their auction are few */
    } else if (ev->type == SG_NX_BID) {
        q4_auction *a = flat_put(&q4.auctions, (uint64_t)ev->bid.auction, NULL);
        if (a->has_auction) {
            q4_offer(a, ev->date_time, ev->bid.price);
            return;
        }
        bn_grow(&q4.pending, &q4.cap_pending, q4.n_pending + 1, sizeof(*q4.pending));
        q4.pending[q4.n_pending] = (q4_bid){ev->date_time, ev->bid.price, a->pending};
        a->pending = (uint32_t)++q4.n_pending;
    }
}

typedef struct q4_avg {
    int64_t sum, count;
} q4_avg;

static void q4_finish(bn_out *o)
{
    flat cats;
    flat_init(&cats, sizeof(q4_avg), 64);
    for (size_t i = 0; i < q4.auctions.cap; i++) {
        const q4_auction *a = flat_val(&q4.auctions, i);
        if (!q4.auctions.used[i] || !a->has_bid)
            continue;
        q4_avg *c = flat_put(&cats, (uint64_t)a->category, NULL);
        c->sum = (int64_t)((uint64_t)c->sum + (uint64_t)a->max); /* wraps, as the job's */
        c->count++;
    }
    for (size_t i = 0; i < cats.cap; i++) {
        const q4_avg *c = flat_val(&cats, i);
        if (!cats.used[i])
            continue;
        bn_out_i64(o, (int64_t)flat_key(&cats, i));
        bn_out_i64(o, c->sum / c->count);
        bn_out_end(o);
    }
    flat_free(&cats);
    if (q4.rejected)
        fprintf(stderr, "baseline nexmark: q4 rejected %llu repeated auctions\n",
                (unsigned long long)q4.rejected);
}

/* ---- q11: bids per bidder session (gap 10 s, sessions that touch merge) -----------
 * The engine's session rules (sg_stream_session_aggregate, no allowed lateness): a
 * session closes once end - 1 <= the watermark; a bid merges with every open session
 * it overlaps or touches; when the merged session is itself closed the bid is late. A
 * bidder's closed sessions are written when its next bid comes, or at the end. */
#define Q11_GAP_MS 10000
#define Q11_MAX_OPEN 6

typedef struct q11_session {
    sg_time start, end; /* [first bid, last bid + gap) */
    int64_t count;
} q11_session;

typedef struct q11_bidder {
    uint32_t n;
    q11_session open[Q11_MAX_OPEN];
} q11_bidder;

static flat q11_bidders; /* bidder -> q11_bidder */

static void q11_row(bn_out *o, int64_t bidder, const q11_session *s)
{
    bn_out_i64(o, bidder);
    bn_out_i64(o, s->count);
    bn_out_i64(o, s->start);
    bn_out_i64(o, s->end);
    bn_out_end(o);
}

static bool q11_touches(const q11_session *a, const q11_session *b)
{
    return a->start <= b->end && b->start <= a->end;
}

static void q11_absorb(q11_session *into, const q11_session *s)
{
    into->start = s->start < into->start ? s->start : into->start;
    into->end = s->end > into->end ? s->end : into->end;
    into->count += s->count;
}

static void q11_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    if (ev->type != SG_NX_BID)
        return;
    int64_t bidder = ev->bid.bidder;
    q11_bidder *b = flat_put(&q11_bidders, (uint64_t)bidder, NULL);
    q11_session m = {ev->date_time, ev->date_time + Q11_GAP_MS, 0};
    uint32_t keep = 0, merged = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const q11_session *s = &b->open[i];
        if (s->end - 1 <= wm)
            q11_row(o, bidder, s); /* closed by the watermark: fired */
        else if (q11_touches(s, &m))
            q11_absorb(&m, s), merged++;
        else
            b->open[keep++] = *s;
    }
    /* A merge may reach sessions the bid alone did not touch: again until stable. */
    for (bool again = merged > 0; again;) {
        again = false;
        for (uint32_t i = 0; i < keep; i++)
            if (q11_touches(&b->open[i], &m)) {
                q11_absorb(&m, &b->open[i]);
                b->open[i--] = b->open[--keep];
                again = true;
            }
    }
    b->n = keep;
    if (merged == 0 && m.end - 1 <= wm) {
        bn_late++;
        return;
    }
    m.count++;
    if (b->n == Q11_MAX_OPEN) {
        fprintf(stderr, "baseline_nexmark: q11: more than %d open sessions of a bidder\n",
                Q11_MAX_OPEN);
        exit(1);
    }
    b->open[b->n++] = m;
}

static void q11_finish(bn_out *o)
{
    for (size_t i = 0; i < q11_bidders.cap; i++) {
        const q11_bidder *b = flat_val(&q11_bidders, i);
        if (q11_bidders.used[i])
            for (uint32_t k = 0; k < b->n; k++)
                q11_row(o, (int64_t)flat_key(&q11_bidders, i), &b->open[k]);
    }
}

/* ---- q12: per-bidder totals (the job's processing-time windows add up to these) --- */
static flat q12_bidders; /* bidder -> int64 count */

static void q12_event(const sg_nx_event *ev, sg_time wm, bn_out *o)
{
    (void)wm;
    (void)o;
    if (ev->type == SG_NX_BID)
        ++*(int64_t *)flat_put(&q12_bidders, (uint64_t)ev->bid.bidder, NULL);
}

static void q12_finish(bn_out *o)
{
    for (size_t i = 0; i < q12_bidders.cap; i++)
        if (q12_bidders.used[i]) {
            bn_out_i64(o, (int64_t)flat_key(&q12_bidders, i));
            bn_out_i64(o, *(const int64_t *)flat_val(&q12_bidders, i));
            bn_out_end(o);
        }
}

/* ---- Main --------------------------------------------------------------------------- */

static const bn_query bn_q0 = {"q0", "auction,bidder,price,dateTime,extra", q0_event, no_finish};
static const bn_query bn_q1 = {"q1", "auction,bidder,price,dateTime,extra", q1_event, no_finish};
static const bn_query bn_q2 = {"q2", "auction,price", q2_event, no_finish};
static const bn_query bn_q3 = {"q3", "name,city,state,id", q3_event, no_finish};
static const bn_query bn_q4 = {"q4", "category,final", q4_event, q4_finish};
static const bn_query bn_q11 = {"q11", "bidder,bid_count,starttime,endtime", q11_event, q11_finish};
static const bn_query bn_q12 = {"q12", "bidder,bid_count", q12_event, q12_finish};

static const bn_query *const queries[] = {&bn_q0, &bn_q1, &bn_q2, &bn_q3,  &bn_q4,
                                          &bn_q5, &bn_q7, &bn_q8, &bn_q11, &bn_q12};

static void usage(const char *why)
{
    fprintf(stderr,
            "baseline_nexmark: %s\nusage: baseline_nexmark --query q0|q1|q2|q3|q4|q5|q7|q8|q11|q12 "
            "[--count N] [--rate R] [--seed S] [--base MS] [--ooo G] [--max-delay-ms D] "
            "[--output PATH.csv]\n",
            why);
    exit(2);
}

int main(int argc, char **argv)
{
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    cfg.count = 100000;
    const char *query = NULL, *output = NULL;
    int64_t delay = 4000;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage("an option without its value");
        if (!strcmp(a, "--query"))
            query = v;
        else if (!strcmp(a, "--count"))
            cfg.count = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--rate"))
            cfg.rate = (double)baseline_i64(a, v);
        else if (!strcmp(a, "--seed"))
            cfg.seed = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--base"))
            cfg.base_time = baseline_i64(a, v);
        else if (!strcmp(a, "--ooo"))
            cfg.out_of_order_group_size = (uint32_t)baseline_i64(a, v);
        else if (!strcmp(a, "--max-delay-ms"))
            delay = baseline_i64(a, v);
        else if (!strcmp(a, "--output"))
            output = v;
        else
            usage("unknown option");
    }
    const bn_query *q = NULL;
    for (size_t i = 0; query && i < sizeof(queries) / sizeof(queries[0]); i++)
        if (!strcmp(queries[i]->name, query))
            q = queries[i];
    if (!q)
        usage(query ? "unknown query" : "--query is required");
    if (cfg.count == 0 || cfg.count > UINT64_C(1000000000000000) || delay < 0)
        usage("need --count in 1..1e15 and --max-delay-ms >= 0");
    const char *err = NULL;
    sg_nx_gen *gen = sg_nx_gen_new(&cfg, &err);
    if (!gen)
        usage(err ? err : "out of memory");
    bn_out o = {.cap = 1 << 16};
    o.buf = flat_alloc(o.cap);
    if (output && !(o.f = fopen(output, "w"))) {
        perror(output);
        return 1;
    }
    if (o.f)
        fprintf(o.f, "%s\n", q->header);
    flat_init(&q3.keys, sizeof(q3_key), 1024);
    flat_init(&q4.auctions, sizeof(q4_auction), 1024);
    flat_init(&q11_bidders, sizeof(q11_bidder), 1024);
    flat_init(&q12_bidders, sizeof(int64_t), 1024);

    sg_nx_event ev;
    sg_time max_ts = SG_TIME_MIN;
    double t0 = baseline_now(), c0 = baseline_cpu();
    while (sg_nx_gen_next(gen, &ev) == SG_OK) {
        /* The watermark the source announced just before this event (the job passes
         * delay - 1 to the engine's max - delay - 1, which takes no delay below 0). */
        sg_time wm = max_ts == SG_TIME_MIN ? SG_TIME_MIN : max_ts - (delay > 0 ? delay : 1);
        if (ev.date_time > max_ts)
            max_ts = ev.date_time;
        q->event(&ev, wm, &o);
    }
    q->finish(&o);
    bn_out_flush(&o);
    double secs = baseline_now() - t0, cpu = baseline_cpu() - c0;
    char name[32];
    snprintf(name, sizeof(name), "nexmark_%s", q->name);
    baseline_report(name, cfg.count, secs, cpu);
    fprintf(stderr, "baseline nexmark: %s rows %llu, late %llu\n", q->name,
            (unsigned long long)o.rows, (unsigned long long)bn_late);
    sg_nx_gen_free(gen);
    if (o.f && (ferror(o.f) | fclose(o.f))) {
        fprintf(stderr, "baseline_nexmark: cannot write %s\n", output);
        return 1;
    }
    free(o.buf);
    free(q3.persons);
    free(q3.auctions);
    free(q3.strs.p);
    free(q4.pending);
    flat_free(&q3.keys);
    flat_free(&q4.auctions);
    flat_free(&q11_bidders);
    flat_free(&q12_bidders);
    return 0;
}
