/* baseline_ecommerce_sessions — the ecommerce_sessions job without the engine: one
 * thread over the same generated JSON lines (jobs/ecommerce_sessions/ecomgen.c), a
 * hand-rolled field scan of the generator's fixed line shape (not a JSON parser: it
 * reads only what ecomgen writes), and per-user session windows in a flat hash table,
 * with the job's rules:
 *   - a row is bad when its type is not view/cart/purchase, it has no product, or it
 *     is a purchase of <= 0 paise (the three kinds of bad row ecomgen makes);
 *   - an event carries the watermark wm = (max ts of the good rows before it) -
 *     max_delay - 1; a user's session [start, end) is closed once end - 1 <= wm;
 *   - an event opens [ts, ts + gap) and merges with the user's open sessions it
 *     overlaps or touches; with none to merge and ts + gap - 1 <= wm it is late
 *     (dropped); closed sessions are written, the open ones at the end.
 *
 *   baseline_ecommerce_sessions [--count N] [--rate R] [--seed S] [--start MS]
 *       [--disorder MS] [--users N] [--gap-ms G] [--max-delay-ms D] [--output PATH.csv]
 *
 * Defaults are gen:ecommerce's and the job's. Revenue is summed in 64 bits (the job
 * uses 128; generated carts stay far below 2^63 paise). */
#include <stdbool.h>

#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"
#include "jobs/ecommerce_sessions/ecomgen.h"

#define MAX_OPEN 8 /* open sessions of one user at once; more is reported, not handled */
#define USER_MAX 56

typedef struct session {
    int64_t start, end; /* [first ts, last ts + gap) */
    uint64_t events, views, carts, purchases, revenue;
} session;

typedef struct user_state {
    char name[USER_MAX];
    uint32_t len, n_open;
    session open[MAX_OPEN];
} user_state;

typedef struct run {
    int64_t gap, delay;
    FILE *out;
    uint64_t bad, late, rows;
} run;

static void write_session(run *r, const user_state *u, const session *s)
{
    r->rows++;
    if (r->out)
        fprintf(r->out, "%.*s,%lld,%lld,%llu,%llu,%llu,%llu,%llu,%d\n", (int)u->len, u->name,
                (long long)s->start, (long long)s->end, (unsigned long long)s->events,
                (unsigned long long)s->views, (unsigned long long)s->carts,
                (unsigned long long)s->purchases, (unsigned long long)s->revenue, s->purchases > 0);
}

/* The text after "KEY": in line, or NULL. */
static const char *after(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? p + strlen(key) : NULL;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* One generated line. */
static void event(run *r, flat *users, const char *line, int64_t *max_ts)
{
    const char *ts_s = after(line, "\"ts\": "), *user = after(line, "\"user\": \""),
               *type = after(line, "\"type\": \""), *amount_s = after(line, "\"amount_paise\": ");
    int kind = !type                             ? -1
               : !strncmp(type, "view\"", 5)     ? 0
               : !strncmp(type, "cart\"", 5)     ? 1
               : !strncmp(type, "purchase\"", 9) ? 2
                                                 : -1;
    int64_t amount = amount_s ? strtoll(amount_s, NULL, 10) : 0;
    if (!ts_s || !user || kind < 0 || !strstr(line, "\"product\": ") ||
        (kind == 2 && amount <= 0)) {
        r->bad++;
        return;
    }
    int64_t ts = strtoll(ts_s, NULL, 10);
    int64_t wm = *max_ts == INT64_MIN ? INT64_MIN : *max_ts - r->delay - 1;
    if (ts > *max_ts)
        *max_ts = ts;
    size_t len = (size_t)(strchr(user, '"') - user);
    if (len >= USER_MAX) {
        fprintf(stderr, "baseline_ecommerce_sessions: user name too long\n");
        exit(1);
    }
    bool created;
    user_state *u = flat_put(users, hash_bytes(user, len), &created);
    if (created) {
        memcpy(u->name, user, len);
        u->len = (uint32_t)len;
    } else if (u->len != len || memcmp(u->name, user, len) != 0) {
        fprintf(stderr, "baseline_ecommerce_sessions: 64-bit hash collision of two users\n");
        exit(1);
    }
    /* Close what the watermark has passed, and merge the event with what it touches. */
    session merged = {.start = ts, .end = ts + r->gap};
    uint32_t keep = 0, n_merged = 0;
    for (uint32_t i = 0; i < u->n_open; i++) {
        session *s = &u->open[i];
        if (s->end - 1 <= wm) {
            write_session(r, u, s);
        } else if (s->start <= merged.end && merged.start <= s->end) {
            merged.start = s->start < merged.start ? s->start : merged.start;
            merged.end = s->end > merged.end ? s->end : merged.end;
            merged.events += s->events;
            merged.views += s->views;
            merged.carts += s->carts;
            merged.purchases += s->purchases;
            merged.revenue += s->revenue;
            n_merged++;
        } else {
            u->open[keep++] = *s;
        }
    }
    /* A merge may reach sessions it did not touch at first: merge again until stable. */
    for (bool again = true; again;) {
        again = false;
        for (uint32_t i = 0; i < keep; i++) {
            session *s = &u->open[i];
            if (s->start <= merged.end && merged.start <= s->end) {
                merged.start = s->start < merged.start ? s->start : merged.start;
                merged.end = s->end > merged.end ? s->end : merged.end;
                merged.events += s->events;
                merged.views += s->views;
                merged.carts += s->carts;
                merged.purchases += s->purchases;
                merged.revenue += s->revenue;
                u->open[i--] = u->open[--keep];
                again = true;
            }
        }
    }
    u->n_open = keep;
    if (n_merged == 0 && merged.end - 1 <= wm) {
        r->late++;
        return;
    }
    merged.events++;
    merged.views += kind == 0;
    merged.carts += kind == 1;
    merged.purchases += kind == 2;
    merged.revenue += kind == 2 ? (uint64_t)amount : 0;
    if (u->n_open == MAX_OPEN) {
        fprintf(stderr, "baseline_ecommerce_sessions: more than %d open sessions of a user\n",
                MAX_OPEN);
        exit(1);
    }
    u->open[u->n_open++] = merged;
}

int main(int argc, char **argv)
{
    ec_gen_config cfg = {.seed = 2026,
                         .start_ms = EC_GEN_DEFAULT_START,
                         .rate = 20,
                         .max_disorder_ms = 3000,
                         .users = 20000};
    int64_t count = 100000;
    run r = {.gap = 1800000, .delay = 5000};
    const char *output = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--count"))
            count = baseline_i64(a, v);
        else if (!strcmp(a, "--rate"))
            cfg.rate = baseline_i64(a, v);
        else if (!strcmp(a, "--seed"))
            cfg.seed = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--start"))
            cfg.start_ms = baseline_i64(a, v);
        else if (!strcmp(a, "--disorder"))
            cfg.max_disorder_ms = baseline_i64(a, v);
        else if (!strcmp(a, "--users"))
            cfg.users = baseline_i64(a, v);
        else if (!strcmp(a, "--gap-ms"))
            r.gap = baseline_i64(a, v);
        else if (!strcmp(a, "--max-delay-ms"))
            r.delay = baseline_i64(a, v);
        else if (!strcmp(a, "--output"))
            output = v;
        else {
            fprintf(stderr, "baseline_ecommerce_sessions: unknown option %s\n", a);
            return 2;
        }
    }
    ec_gen *g;
    if (count < 0 || r.gap < 1 || r.delay < 0 || ec_gen_new(&cfg, &g) != 0) {
        fprintf(stderr, "baseline_ecommerce_sessions: bad parameters (see gen:ecommerce)\n");
        return 2;
    }
    if (output && !(r.out = fopen(output, "w"))) {
        perror(output);
        return 1;
    }
    if (r.out)
        fprintf(r.out, "user,session_start,session_end,events,views,carts,purchases,"
                       "revenue_paise,converted\n");
    flat users;
    flat_init(&users, sizeof(user_state), (size_t)cfg.users + 1024);
    char line[EC_GEN_LINE_MAX];
    int64_t max_ts = INT64_MIN;
    double t0 = baseline_now(), c0 = baseline_cpu();
    for (int64_t n = 0; n < count; n++) {
        ec_gen_next(g, line, sizeof(line));
        event(&r, &users, line, &max_ts);
    }
    for (size_t i = 0; i < users.cap; i++) /* the end of input fires every session */
        if (users.used[i]) {
            user_state *u = flat_val(&users, i);
            for (uint32_t k = 0; k < u->n_open; k++)
                write_session(&r, u, &u->open[k]);
        }
    baseline_report("ecommerce_sessions", (uint64_t)count, baseline_now() - t0,
                    baseline_cpu() - c0);
    fprintf(stderr, "baseline ecommerce_sessions: bad %llu, late %llu, sessions %llu\n",
            (unsigned long long)r.bad, (unsigned long long)r.late, (unsigned long long)r.rows);
    ec_gen_free(g);
    flat_free(&users);
    if (r.out && (ferror(r.out) | fclose(r.out))) {
        fprintf(stderr, "baseline_ecommerce_sessions: cannot write %s\n", output);
        return 1;
    }
    return 0;
}
