/* baseline_irctc_analytics — the irctc_analytics job without the engine: one thread over
 * the same generated bookings (jobs/irctc_analytics/irgen.c, CSV lines), a split of the
 * generator's nine fields with the decoder's checks (decode.c), the capacity file, and
 * the job's two branches:
 *   - per train and tumbling window: booked, cancelled, waitlisted, net seats and
 *     revenue (CANCELLED subtracts), one row per (window, train) with a booking;
 *   - per (train, class): bookings applied in event-time order, equal ts in input
 *     order, to the running occupancy, with an alert for every threshold (50, 75, 90,
 *     100 % of the capacity) a booking makes the occupancy reach or pass from below.
 * The job's rules, on one source instance (one watermark):
 *   - a booking is bad (rejected, not in any output, not in the watermark) when a
 *     field fails its check or its (train, class) is not in the capacity file;
 *   - a good booking carries wm = (max ts of the good bookings before it) - delay - 1;
 *     it is late for the windows when its window's end - 1 <= wm, and late for the
 *     alerts when ts <= wm (each branch drops and counts its own);
 *   - a window is written once the watermark reaches its end - 1, and bookings wait
 *     (here: one heap ordered by (ts, input order)) until the watermark reaches their
 *     ts; the end of input fires everything.
 *
 *   baseline_irctc_analytics [--count N] [--rate R] [--seed S] [--start MS]
 *       [--disorder MS] [--window-ms W] [--max-delay-ms D] [--capacity PATH.csv]
 *       [--output PATH.csv] [--alerts PATH.csv]
 *
 * Defaults are gen:irctc's and the job's; the capacity file defaults to the copy beside
 * the job in the build (build/jobs/irctc_analytics/capacity.csv), as bench/run.sh
 * passes it to the job. */
#include <limits.h>
#include <unistd.h>

#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"
#include "jobs/irctc_analytics/irctc.h"
#include "jobs/irctc_analytics/irgen.h"

/* A train of the capacity file: its seats per class and running occupancy per class. */
typedef struct train {
    char name[IR_TRAIN_MAX + 1];
    uint32_t len;
    int64_t capacity[IR_N_CLASSES]; /* 0: no such class */
    int64_t occupied[IR_N_CLASSES]; /* BOOKED - CANCELLED seats applied so far */
} train;

typedef struct counts {
    int64_t booked, cancelled, waitlisted, net_seats, revenue_paise;
} counts;

/* An open tumbling window: counts per train (index as in run.trains). */
typedef struct win {
    int64_t start;
    counts *c;
} win;

/* A booking waiting for the watermark to reach its ts (the occupancy branch). */
typedef struct pending {
    int64_t ts, seats;
    uint64_t seq;
    uint32_t train;
    uint8_t cls, status;
} pending;

typedef struct run {
    int64_t size, delay;
    train *trains;
    size_t n_trains;
    flat by_name; /* train name hash -> uint32 index + 1 */
    win *w;       /* [0, n) open, ascending start; [n, alloc) spares with their arrays */
    size_t n, alloc;
    pending *heap;
    size_t heap_n, heap_cap;
    FILE *out, *alerts;
    uint64_t bad, late_windows, late_alerts, rows, alert_rows;
} run;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "baseline: out of memory\n");
        exit(1);
    }
    return p;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Index of train s[0..len) in the capacity table, or -1. */
static long find_train(const run *r, const char *s, size_t len)
{
    const uint32_t *ix = flat_get(&r->by_name, hash_bytes(s, len));
    if (!ix)
        return -1;
    const train *t = &r->trains[*ix - 1];
    return t->len == len && memcmp(t->name, s, len) == 0 ? (long)(*ix - 1) : -1;
}

/* A decimal int64 in s[0..len) (optional '-'), as the row reader accepts. */
static bool parse_i64(const char *s, size_t len, int64_t *out)
{
    bool neg = len > 0 && s[0] == '-';
    size_t i = neg;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (i == len)
        return false;
    for (; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* ---- The capacity file ------------------------------------------------------------ */

static void capacity_error(const char *path, int line, const char *what)
{
    fprintf(stderr, "baseline_irctc_analytics: capacity file %s, line %d: %s\n", path, line, what);
    exit(2);
}

/* "train,class,capacity" then rows: the trains and their seats per class. */
static void load_capacity(run *r, const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[256];
    int line = 0;
    size_t cap = 0;
    if (!f) {
        perror(path);
        exit(2);
    }
    flat_init(&r->by_name, sizeof(uint32_t), 64);
    while (fgets(buf, sizeof(buf), f)) {
        size_t len = strcspn(buf, "\r\n");
        buf[len] = '\0';
        line++;
        if (line == 1) {
            if (strcmp(buf, "train,class,capacity") != 0)
                capacity_error(path, line, "the header must be train,class,capacity");
            continue;
        }
        if (len == 0)
            continue;
        char *c1 = strchr(buf, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        int64_t seats;
        int cls = c2 ? ir_class_parse(c1 + 1, (size_t)(c2 - c1 - 1)) : -1;
        if (!c2 || cls < 0 || !ir_train_valid(buf, (size_t)(c1 - buf)) ||
            !parse_i64(c2 + 1, strlen(c2 + 1), &seats) || seats < 1 || seats > 10000000)
            capacity_error(path, line, "need train,class,capacity (1..10000000)");
        size_t tlen = (size_t)(c1 - buf);
        long t = find_train(r, buf, tlen);
        if (t < 0) {
            if (r->n_trains == cap) {
                cap = cap ? 2 * cap : 64;
                r->trains = xrealloc(r->trains, cap * sizeof(*r->trains));
            }
            t = (long)r->n_trains++;
            memset(&r->trains[t], 0, sizeof(train));
            memcpy(r->trains[t].name, buf, tlen);
            r->trains[t].len = (uint32_t)tlen;
            bool created;
            uint32_t *ix = flat_put(&r->by_name, hash_bytes(buf, tlen), &created);
            if (!created)
                capacity_error(path, line, "64-bit hash collision of two trains");
            *ix = (uint32_t)t + 1;
        }
        if (r->trains[t].capacity[cls])
            capacity_error(path, line, "duplicate row");
        r->trains[t].capacity[cls] = seats;
    }
    if (ferror(f) || line == 0)
        capacity_error(path, line, "cannot read it, or it is empty");
    fclose(f);
}

/* ---- Windows ------------------------------------------------------------------------- */

static void write_window(run *r, const win *w)
{
    for (size_t t = 0; t < r->n_trains; t++) {
        const counts *c = &w->c[t];
        if (c->booked + c->cancelled + c->waitlisted == 0)
            continue;
        r->rows++;
        if (r->out)
            fprintf(r->out, "%lld,%lld,%s,%lld,%lld,%lld,%lld,%lld\n", (long long)w->start,
                    (long long)(w->start + r->size), r->trains[t].name, (long long)c->booked,
                    (long long)c->cancelled, (long long)c->waitlisted, (long long)c->net_seats,
                    (long long)c->revenue_paise);
    }
}

/* Writes the windows whose end - 1 <= wm and keeps their arrays as spares. */
static void fire_windows(run *r, int64_t wm)
{
    size_t k = 0;
    while (k < r->n && r->w[k].start + r->size - 1 <= wm)
        write_window(r, &r->w[k++]);
    if (k == 0)
        return;
    for (size_t i = 0; i < k; i++) /* cleared, for reuse */
        memset(r->w[i].c, 0, r->n_trains * sizeof(counts));
    /* The fired ones go behind the open ones, as spares (k and n are small). */
    for (; k > 0; k--) {
        win spare = r->w[0];
        memmove(r->w, r->w + 1, (r->n - 1) * sizeof(win));
        r->w[--r->n] = spare;
    }
}

/* The open window starting at start, opened (in order) if need be. */
static counts *window_at(run *r, int64_t start)
{
    size_t i = r->n;
    while (i > 0 && r->w[i - 1].start > start)
        i--;
    if (i > 0 && r->w[i - 1].start == start)
        return r->w[i - 1].c;
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? 2 * r->alloc : 8;
        r->w = xrealloc(r->w, r->alloc * sizeof(win));
        for (size_t j = r->n; j < r->alloc; j++)
            r->w[j].c = flat_alloc(r->n_trains * sizeof(counts));
    }
    win spare = r->w[r->n];
    memmove(r->w + i + 1, r->w + i, (r->n - i) * sizeof(win));
    spare.start = start;
    r->w[i] = spare;
    r->n++;
    return spare.c;
}

static void count_booking(counts *c, int status, int64_t seats, int64_t fare)
{
    if (status == IR_BOOKED) {
        c->booked++;
        c->net_seats += seats;
        c->revenue_paise += fare;
    } else if (status == IR_CANCELLED) {
        c->cancelled++;
        c->net_seats -= seats;
        c->revenue_paise -= fare;
    } else {
        c->waitlisted++;
    }
}

/* ---- Occupancy alerts ------------------------------------------------------------------- */

static bool before(const pending *a, const pending *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_push(run *r, pending p)
{
    if (r->heap_n == r->heap_cap) {
        r->heap_cap = r->heap_cap ? 2 * r->heap_cap : 1024;
        r->heap = xrealloc(r->heap, r->heap_cap * sizeof(pending));
    }
    size_t i = r->heap_n++;
    while (i > 0 && before(&p, &r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = p;
}

static pending heap_pop(run *r)
{
    pending top = r->heap[0], last = r->heap[--r->heap_n];
    size_t i = 0, n = r->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!before(&r->heap[c], &last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0)
        r->heap[i] = last;
    return top;
}

/* Applies one booking to its (train, class) and writes the thresholds it crosses. */
static void apply(run *r, const pending *p)
{
    train *t = &r->trains[p->train];
    int64_t cap = t->capacity[p->cls], before_occ = t->occupied[p->cls], after = before_occ;
    if (p->status == IR_BOOKED)
        after += p->seats;
    else if (p->status == IR_CANCELLED)
        after -= p->seats;
    if (after == before_occ)
        return;
    t->occupied[p->cls] = after;
    int64_t p0 = before_occ * 100 / cap, p1 = after * 100 / cap;
    for (int i = 0; i < IR_N_THRESHOLDS; i++) {
        if (p0 >= ir_thresholds[i] || p1 < ir_thresholds[i])
            continue;
        r->alert_rows++;
        if (r->alerts)
            fprintf(r->alerts, "%lld,%s,%s,%lld,%lld,%lld\n", (long long)p->ts, t->name,
                    ir_class_name(p->cls), (long long)ir_thresholds[i], (long long)after,
                    (long long)cap);
    }
}

static void apply_due(run *r, int64_t wm)
{
    while (r->heap_n > 0 && r->heap[0].ts <= wm) {
        pending p = heap_pop(r);
        apply(r, &p);
    }
}

/* ---- One booking ------------------------------------------------------------------------ */

#define N_FIELDS 9 /* ts,pnr,train,from,to,class,seats,fare_paise,status */

/* Splits line into the generator's nine fields (it writes no quotes); false if the count
 * differs. */
static bool split(const char *line, size_t len, const char *f[N_FIELDS], size_t flen[N_FIELDS])
{
    size_t k = 0, at = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || line[i] == ',') {
            if (k == N_FIELDS)
                return false;
            f[k] = line + at;
            flen[k++] = i - at;
            at = i + 1;
        }
    return k == N_FIELDS;
}

static void booking(run *r, uint64_t seq, const char *line, size_t len, int64_t *max_ts)
{
    const char *f[N_FIELDS];
    size_t n[N_FIELDS];
    int64_t ts, seats, fare;
    int cls, status;
    long t;
    /* decode.c's checks, in its order; any failure is one bad record. */
    if (!split(line, len, f, n) || !parse_i64(f[0], n[0], &ts) || ts < -IR_TS_MAX ||
        ts > IR_TS_MAX || !ir_train_valid(f[2], n[2]) || (cls = ir_class_parse(f[5], n[5])) < 0 ||
        !parse_i64(f[6], n[6], &seats) || seats < 1 || seats > IR_SEATS_MAX ||
        !parse_i64(f[7], n[7], &fare) || fare < 0 || fare > IR_FARE_MAX ||
        (status = ir_status_parse(f[8], n[8])) < 0 || (t = find_train(r, f[2], n[2])) < 0 ||
        r->trains[t].capacity[cls] == 0) {
        r->bad++;
        return;
    }
    int64_t wm = *max_ts == INT64_MIN || *max_ts < INT64_MIN + r->delay + 1
                     ? INT64_MIN
                     : *max_ts - r->delay - 1;
    if (ts > *max_ts)
        *max_ts = ts;
    fire_windows(r, wm);
    apply_due(r, wm);
    int64_t start = ts - ((ts % r->size) + r->size) % r->size; /* floor, for ts < 0 too */
    if (start + r->size - 1 <= wm)
        r->late_windows++;
    else
        count_booking(&window_at(r, start)[t], status, seats, fare);
    if (ts <= wm)
        r->late_alerts++;
    else
        heap_push(r, (pending){.ts = ts,
                               .seats = seats,
                               .seq = seq,
                               .train = (uint32_t)t,
                               .cls = (uint8_t)cls,
                               .status = (uint8_t)status});
}

/* build/bench/baseline_irctc_analytics -> build/jobs/irctc_analytics/capacity.csv */
static const char *default_capacity(char *buf, size_t cap)
{
    char exe[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return "jobs/irctc_analytics/capacity.csv";
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return "jobs/irctc_analytics/capacity.csv";
    *slash = '\0';
    snprintf(buf, cap, "%s/../jobs/irctc_analytics/capacity.csv", exe);
    return buf;
}

static FILE *open_out(const char *path, const char *header)
{
    FILE *f;
    if (!path)
        return NULL;
    if (!(f = fopen(path, "w"))) {
        perror(path);
        exit(1);
    }
    fprintf(f, "%s\n", header);
    return f;
}

static bool close_out(FILE *f, const char *path)
{
    if (f && (ferror(f) | fclose(f))) {
        fprintf(stderr, "baseline_irctc_analytics: cannot write %s\n", path);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    ir_gen_config cfg = {
        .seed = 42, .start_ms = IR_GEN_START_MS, .rate = 100, .max_disorder_ms = 3000};
    int64_t count = 1000000;
    run r = {.size = 60000, .delay = 5000};
    static char cap_buf[PATH_MAX + 64];
    const char *output = NULL, *alerts = NULL,
               *capacity = default_capacity(cap_buf, sizeof(cap_buf));
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
        else if (!strcmp(a, "--window-ms"))
            r.size = baseline_i64(a, v);
        else if (!strcmp(a, "--max-delay-ms"))
            r.delay = baseline_i64(a, v);
        else if (!strcmp(a, "--capacity"))
            capacity = v;
        else if (!strcmp(a, "--output"))
            output = v;
        else if (!strcmp(a, "--alerts"))
            alerts = v;
        else {
            fprintf(stderr, "baseline_irctc_analytics: unknown option %s\n", a);
            return 2;
        }
    }
    if (count < 0 || r.size < 1 || r.size > INT64_C(1000000000000) || r.delay < 0 ||
        ir_gen_check(&cfg) != SG_OK) {
        fprintf(stderr, "baseline_irctc_analytics: bad parameters (see gen:irctc and the job)\n");
        return 2;
    }
    load_capacity(&r, capacity);
    r.out = open_out(output, "window_start,window_end,train,booked,cancelled,waitlisted,"
                             "net_seats,revenue_paise");
    r.alerts = open_out(alerts, "ts,train,class,threshold,occupied,capacity");
    char line[IR_GEN_LINE_MAX];
    int64_t max_ts = INT64_MIN;
    double t0 = baseline_now(), c0 = baseline_cpu();
    for (uint64_t seq = 0; seq < (uint64_t)count; seq++) {
        size_t len = ir_gen_line(&cfg, seq, line, sizeof(line));
        if (len >= sizeof(line)) {
            fprintf(stderr, "baseline_irctc_analytics: booking %llu is too long\n",
                    (unsigned long long)seq);
            return 1;
        }
        booking(&r, seq, line, len, &max_ts);
    }
    fire_windows(&r, INT64_MAX); /* the end of input fires everything */
    apply_due(&r, INT64_MAX);
    baseline_report("irctc_analytics", (uint64_t)count, baseline_now() - t0, baseline_cpu() - c0);
    fprintf(stderr,
            "baseline irctc_analytics: bad %llu, late %llu (windows %llu, alerts %llu), "
            "window rows %llu, alerts %llu\n",
            (unsigned long long)r.bad, (unsigned long long)(r.late_windows + r.late_alerts),
            (unsigned long long)r.late_windows, (unsigned long long)r.late_alerts,
            (unsigned long long)r.rows, (unsigned long long)r.alert_rows);
    for (size_t i = 0; i < r.alloc; i++)
        free(r.w[i].c);
    free(r.w);
    free(r.heap);
    free(r.trains);
    flat_free(&r.by_name);
    bool ok = close_out(r.out, output);
    return close_out(r.alerts, alerts) && ok ? 0 : 1;
}
