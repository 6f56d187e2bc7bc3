/* baseline_upi_fraud — the upi_fraud job without the engine: one thread over the same
 * generated payments (jobs/upi_fraud/upigen.c, gen:upi's JSON lines) and, with
 * --logins 1, their logins (gen:upi_logins), a field scan of the generator's fixed line
 * shape (not a JSON parser: it reads only what upigen writes), per-payer profiles in
 * flat hash tables, and the job's model (model.c, the same model.json). The job's rules:
 *   - each input carries its own watermark: wm = (max ts of its records before this
 *     one) - delay - 1; a payment or a login with ts <= wm is late (dropped, counted);
 *   - a payer's payments are scored in (ts, input order), once both watermarks have
 *     passed their ts (here: one heap ordered by (ts, input order)), the end of input
 *     scoring the rest;
 *   - the features over the payer's earlier scored payments (profile.c): velocity_60s
 *     counts those less than 60 s before (and itself), amount_5m_paise sums those less
 *     than 5 min before (and its own, saturating), new_device / new_payee when the
 *     device / payee was not used in the last 30 days, city_jump when the previous
 *     payment was less than 10 min before in another city, no_login (with logins only)
 *     when no login of the payer on that device has ts in [ts - 10 min, ts];
 *   - score = the logistic model, alert = score >= --threshold.
 * The job drops a payer's profile 30 days after its last payment and old logins as the
 * watermark passes them; neither changes a feature (what is dropped is too old to
 * count), so this program keeps them.
 *
 *   baseline_upi_fraud [--count N] [--rate R] [--seed S] [--start MS] [--disorder MS]
 *       [--payers P] [--logins 0|1] [--max-delay-ms D] [--threshold X] [--model PATH]
 *       [--output PATH.csv]
 *
 * Defaults are gen:upi's and the job's (no logins, as bench/run.sh runs it); the model
 * defaults to the copy beside the job in the build (build/jobs/upi_fraud/model.json).
 * Devices, payees and cities are compared by 64-bit hashes of their bytes, payers by
 * their bytes. A payer's recent payments, devices and payees (each with its last use)
 * and logins are small arrays of its own, scanned as the job scans its profile. */
#include <limits.h>
#include <unistd.h>

#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"
#include "jobs/upi_fraud/upi.h"
#include "jobs/upi_fraud/upigen.h"

#define NAME_MAX_LEN 64 /* payer VPA bytes; upigen's are shorter */
#define ID_MAX_LEN 24   /* txn_id bytes */

typedef struct recent {
    int64_t ts, amount;
} recent;

/* A device or payee of a payer: its hash (payees salted) and when it was last used. */
typedef struct seen {
    uint64_t key;
    int64_t last;
} seen;

typedef struct login {
    int64_t ts;
    uint64_t device;
} login;

/* What the job's profile and login set hold for one payer. */
typedef struct payer {
    char name[NAME_MAX_LEN];
    uint32_t len;
    bool has_prev;
    int64_t prev_ts;
    uint64_t prev_city;
    recent *recent; /* the scored payments of the last 5 minutes, ascending ts */
    uint32_t n_recent, cap_recent;
    uint32_t n_seen, cap_seen;
    seen *seen; /* the devices and payees used in the last 30 days */
    uint32_t n_logins, cap_logins;
    login *logins; /* the payer's logins that a later payment may still need */
} payer;

/* A payment waiting for the watermarks to pass its ts. */
typedef struct txn {
    int64_t ts, amount;
    uint64_t seq, device, payee, city;
    uint32_t payer, id_len;
    char id[ID_MAX_LEN];
} txn;

typedef struct run {
    int64_t delay;
    double threshold;
    bool with_logins;
    upi_model model;
    flat by_name; /* payer hash -> uint32 index + 1 */
    payer *payers;
    size_t n_payers, cap_payers;
    txn *heap;
    size_t heap_n, heap_cap;
    FILE *out;
    uint64_t events, late, rows, alerts;
} run;

static void *grow(void *p, uint32_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 4;
    while (c < need)
        c *= 2;
    if (c > UINT32_MAX || !(p = realloc(p, c * sz))) {
        fprintf(stderr, "baseline: out of memory\n");
        exit(1);
    }
    *cap = (uint32_t)c;
    return p;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

static void die_line(const char *what, uint64_t seq)
{
    fprintf(stderr, "baseline_upi_fraud: line %llu: %s\n", (unsigned long long)seq, what);
    exit(1);
}

/* ---- Scanning upigen's lines ------------------------------------------------------------- */

/* After "KEY": at or after *p: moves *p past it, or dies. */
static void expect_key(const char **p, const char *key, uint64_t seq)
{
    const char *at = strstr(*p, key);
    if (!at)
        die_line("a field is missing", seq);
    *p = at + strlen(key);
}

static int64_t scan_i64(const char **p, const char *key, uint64_t seq)
{
    char *end;
    expect_key(p, key, seq);
    int64_t v = strtoll(*p, &end, 10);
    if (end == *p)
        die_line("a number is missing", seq);
    *p = end;
    return v;
}

/* A string value (upigen writes no escapes): its bytes, up to the closing quote. */
static const char *scan_str(const char **p, const char *key, size_t *len, uint64_t seq)
{
    expect_key(p, key, seq);
    const char *s = *p, *q = strchr(s, '"');
    if (!q || memchr(s, '\\', (size_t)(q - s)))
        die_line("a string is not what upigen writes", seq);
    *len = (size_t)(q - s);
    *p = q + 1;
    return s;
}

/* The payer's index, created on first sight. */
static uint32_t payer_of(run *r, const char *s, size_t len, uint64_t seq)
{
    bool created;
    if (len >= NAME_MAX_LEN)
        die_line("payer too long", seq);
    uint32_t *ix = flat_put(&r->by_name, hash_bytes(s, len), &created);
    if (!created) {
        const payer *p = &r->payers[*ix - 1];
        if (p->len != len || memcmp(p->name, s, len) != 0)
            die_line("64-bit hash collision of two payers", seq);
        return *ix - 1;
    }
    if (r->n_payers == r->cap_payers) {
        r->cap_payers = r->cap_payers ? 2 * r->cap_payers : 4096;
        r->payers = realloc(r->payers, r->cap_payers * sizeof(payer));
        if (!r->payers) {
            fprintf(stderr, "baseline: out of memory\n");
            exit(1);
        }
    }
    payer *p = &r->payers[r->n_payers];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, s, len);
    p->len = (uint32_t)len;
    *ix = (uint32_t)++r->n_payers;
    return *ix - 1;
}

/* ---- Scoring ------------------------------------------------------------------------------- */

static bool before(const txn *a, const txn *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_push(run *r, const txn *t)
{
    if (r->heap_n == r->heap_cap) {
        r->heap_cap = r->heap_cap ? 2 * r->heap_cap : 4096;
        if (!(r->heap = realloc(r->heap, r->heap_cap * sizeof(txn)))) {
            fprintf(stderr, "baseline: out of memory\n");
            exit(1);
        }
    }
    size_t i = r->heap_n++;
    while (i > 0 && before(t, &r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = *t;
}

/* Removes the heap's first payment into *out. */
static void heap_pop(run *r, txn *out)
{
    *out = r->heap[0];
    const txn *last = &r->heap[--r->heap_n];
    size_t i = 0, n = r->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!before(&r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0)
        r->heap[i] = *last;
}

#define PAYEE_SALT UINT64_C(0x5851f42d4c957f2d)

/* new_device and new_payee: t's device and payee not used by p in the 30 days before
 * t; then both are recorded as used at t.ts, and what is 30 days old is forgotten. */
static void seen_update(payer *p, const txn *t, upi_features *f)
{
    uint64_t payee = t->payee ^ PAYEE_SALT;
    f->new_device = f->new_payee = 1;
    for (uint32_t i = 0; i < p->n_seen;) {
        seen *e = &p->seen[i];
        if ((uint64_t)t->ts - (uint64_t)e->last >= (uint64_t)UPI_SEEN_MS) {
            *e = p->seen[--p->n_seen];
            continue;
        }
        if (e->key == t->device) {
            f->new_device = 0;
            e->last = t->ts;
        } else if (e->key == payee) {
            f->new_payee = 0;
            e->last = t->ts;
        }
        i++;
    }
    p->seen = grow(p->seen, &p->cap_seen, p->n_seen + 2, sizeof(seen));
    if (f->new_device)
        p->seen[p->n_seen++] = (seen){t->device, t->ts};
    if (f->new_payee)
        p->seen[p->n_seen++] = (seen){payee, t->ts};
}

/* No login of p on device with ts in [at - 10 min, at]; forgets those before at - 10
 * min, which no payment scored after this one can need. */
static int no_login(payer *p, int64_t at, uint64_t device)
{
    int none = 1;
    for (uint32_t i = 0; i < p->n_logins;) {
        const login *l = &p->logins[i];
        if (l->ts < at && (uint64_t)at - (uint64_t)l->ts > (uint64_t)UPI_LOGIN_MS) {
            p->logins[i] = p->logins[--p->n_logins];
            continue;
        }
        if (l->ts <= at && l->device == device)
            none = 0;
        i++;
    }
    return none;
}

static void score(run *r, const txn *t)
{
    payer *p = &r->payers[t->payer];
    upi_features f = {.velocity_60s = 1, .amount_5m_paise = t->amount};
    uint32_t drop = 0;
    f.city_jump = p->has_prev &&
                  (uint64_t)t->ts - (uint64_t)p->prev_ts < (uint64_t)UPI_CITY_JUMP_MS &&
                  p->prev_city != t->city;
    while (drop < p->n_recent &&
           (uint64_t)t->ts - (uint64_t)p->recent[drop].ts >= (uint64_t)UPI_AMOUNT_MS)
        drop++;
    for (uint32_t i = drop; i < p->n_recent; i++) {
        const recent *e = &p->recent[i];
        f.velocity_60s += (uint64_t)t->ts - (uint64_t)e->ts < (uint64_t)UPI_VELOCITY_MS;
        f.amount_5m_paise =
            e->amount > INT64_MAX - f.amount_5m_paise ? INT64_MAX : f.amount_5m_paise + e->amount;
    }
    if (drop) {
        p->n_recent -= drop;
        memmove(p->recent, p->recent + drop, p->n_recent * sizeof(recent));
    }
    p->recent = grow(p->recent, &p->cap_recent, p->n_recent + 1, sizeof(recent));
    p->recent[p->n_recent++] = (recent){t->ts, t->amount};
    p->has_prev = true;
    p->prev_ts = t->ts;
    p->prev_city = t->city;
    seen_update(p, t, &f);
    if (r->with_logins)
        f.no_login = no_login(p, t->ts, t->device);
    double s = upi_score(&r->model, &f);
    int alert = s >= r->threshold;
    r->rows++;
    r->alerts += (uint64_t)alert;
    if (r->out)
        fprintf(r->out, "%lld,%.*s,%.*s,%lld,%lld,%d,%d,%d,%d,%.6f,%d\n", (long long)t->ts,
                (int)t->id_len, t->id, (int)p->len, p->name, (long long)f.velocity_60s,
                (long long)f.amount_5m_paise, f.new_device, f.new_payee, f.city_jump, f.no_login, s,
                alert);
}

static void score_due(run *r, int64_t wm)
{
    txn t;
    while (r->heap_n > 0 && r->heap[0].ts <= wm) {
        heap_pop(r, &t);
        score(r, &t);
    }
}

/* ---- The two inputs ----------------------------------------------------------------------- */

/* (max ts before) - delay - 1, INT64_MIN before the first record. */
static int64_t watermark(const run *r, int64_t max_ts)
{
    return max_ts < INT64_MIN + r->delay + 1 ? INT64_MIN : max_ts - r->delay - 1;
}

static void payment(run *r, uint64_t seq, const char *line, int64_t *max_ts)
{
    const char *p = line, *s;
    size_t len;
    txn t = {.seq = seq};
    t.ts = scan_i64(&p, "\"ts\": ", seq);
    s = scan_str(&p, "\"txn_id\": \"", &len, seq);
    if (len >= ID_MAX_LEN)
        die_line("txn_id too long", seq);
    memcpy(t.id, s, len);
    t.id_len = (uint32_t)len;
    s = scan_str(&p, "\"payer\": \"", &len, seq);
    t.payer = payer_of(r, s, len, seq);
    s = scan_str(&p, "\"payee\": \"", &len, seq);
    t.payee = hash_bytes(s, len);
    t.amount = scan_i64(&p, "\"amount_paise\": ", seq);
    s = scan_str(&p, "\"device\": \"", &len, seq);
    t.device = hash_bytes(s, len);
    s = scan_str(&p, "\"city\": \"", &len, seq);
    t.city = hash_bytes(s, len);
    r->events++;
    if (t.amount <= 0 || t.ts == INT64_MIN)
        die_line("a bad payment: upigen makes none", seq);
    int64_t wm = *max_ts == INT64_MIN ? INT64_MIN : watermark(r, *max_ts);
    if (t.ts > *max_ts)
        *max_ts = t.ts;
    if (t.ts <= wm)
        r->late++;
    else
        heap_push(r, &t);
}

static void login_line(run *r, uint64_t seq, const char *line, int64_t *max_ts)
{
    const char *p = line, *s;
    size_t len;
    int64_t ts = scan_i64(&p, "\"ts\": ", seq);
    s = scan_str(&p, "\"payer\": \"", &len, seq);
    uint32_t ix = payer_of(r, s, len, seq);
    s = scan_str(&p, "\"device\": \"", &len, seq);
    r->events++;
    int64_t wm = *max_ts == INT64_MIN ? INT64_MIN : watermark(r, *max_ts);
    if (ts > *max_ts)
        *max_ts = ts;
    if (ts <= wm) {
        r->late++;
        return;
    }
    payer *py = &r->payers[ix];
    py->logins = grow(py->logins, &py->cap_logins, py->n_logins + 1, sizeof(login));
    py->logins[py->n_logins++] = (login){ts, hash_bytes(s, len)};
}

/* build/bench/baseline_upi_fraud -> build/jobs/upi_fraud/model.json */
static const char *default_model(char *buf, size_t cap)
{
    char exe[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return "jobs/upi_fraud/model.json";
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return "jobs/upi_fraud/model.json";
    *slash = '\0';
    snprintf(buf, cap, "%s/../jobs/upi_fraud/model.json", exe);
    return buf;
}

int main(int argc, char **argv)
{
    upi_gen_config cfg = {.seed = 42,
                          .start_ms = UPI_GEN_START_MS,
                          .rate = 1000,
                          .max_disorder_ms = 3000,
                          .payers = 200000};
    int64_t count = 1000000, logins = 0;
    run r = {.delay = 5000, .threshold = 0.8};
    static char model_buf[PATH_MAX + 64];
    const char *output = NULL, *model = default_model(model_buf, sizeof(model_buf));
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
        else if (!strcmp(a, "--payers"))
            cfg.payers = baseline_i64(a, v);
        else if (!strcmp(a, "--logins"))
            logins = baseline_i64(a, v);
        else if (!strcmp(a, "--max-delay-ms"))
            r.delay = baseline_i64(a, v);
        else if (!strcmp(a, "--threshold")) {
            char *end;
            r.threshold = strtod(v, &end);
            if (!*v || *end)
                r.threshold = -1.0; /* rejected below */
        } else if (!strcmp(a, "--model"))
            model = v;
        else if (!strcmp(a, "--output"))
            output = v;
        else {
            fprintf(stderr, "baseline_upi_fraud: unknown option %s\n", a);
            return 2;
        }
    }
    char err[PATH_MAX + 200];
    if (count < 0 || count > UPI_GEN_COUNT_MAX || r.delay < 0 || (logins != 0 && logins != 1) ||
        !(r.threshold >= 0.0 && r.threshold <= 1.0) || upi_gen_check(&cfg) != 0) {
        fprintf(stderr, "baseline_upi_fraud: bad parameters (see gen:upi and the job)\n");
        return 2;
    }
    if (upi_model_load(model, &r.model, err, sizeof(err)) < 0) {
        fprintf(stderr, "baseline_upi_fraud: %s\n", err);
        return 2;
    }
    r.with_logins = logins == 1;
    if (output && !(r.out = fopen(output, "w"))) {
        perror(output);
        return 1;
    }
    if (r.out)
        fprintf(r.out, "ts,txn_id,payer,velocity_60s,amount_5m_paise,new_device,new_payee,"
                       "city_jump,no_login,score,alert\n");
    flat_init(&r.by_name, sizeof(uint32_t), (size_t)cfg.payers);
    char line[UPI_GEN_LINE_MAX];
    int64_t max_txn = INT64_MIN, max_login = INT64_MIN;
    double t0 = baseline_now(), c0 = baseline_cpu();
    for (uint64_t seq = 0; seq < (uint64_t)count; seq++) {
        if (r.with_logins && upi_gen_login_line(&cfg, seq, line, sizeof(line)) > 0)
            login_line(&r, seq, line, &max_login);
        upi_gen_txn_line(&cfg, seq, line, sizeof(line));
        payment(&r, seq, line, &max_txn);
        /* Every payment or login still to come at or below these is late. */
        int64_t wm = watermark(&r, max_txn), lw = r.with_logins ? watermark(&r, max_login) : wm;
        score_due(&r, wm < lw ? wm : lw);
    }
    score_due(&r, INT64_MAX); /* the end of input scores the rest */
    baseline_report("upi_fraud", r.events, baseline_now() - t0, baseline_cpu() - c0);
    fprintf(stderr, "baseline upi_fraud: late %llu, scored %llu, alerts %llu\n",
            (unsigned long long)r.late, (unsigned long long)r.rows, (unsigned long long)r.alerts);
    for (size_t i = 0; i < r.n_payers; i++) {
        free(r.payers[i].recent);
        free(r.payers[i].logins);
        free(r.payers[i].seen);
    }
    free(r.payers);
    free(r.heap);
    flat_free(&r.by_name);
    if (r.out && (ferror(r.out) | fclose(r.out))) {
        fprintf(stderr, "baseline_upi_fraud: cannot write %s\n", output);
        return 1;
    }
    return 0;
}
