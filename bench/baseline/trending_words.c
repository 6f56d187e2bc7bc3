/* baseline_trending_words — the trending_words job without the engine: one thread
 * over the same generated posts (jobs/trending_words/postgen.c), the job's own
 * tokenizer (tokenize.c: NFC, Unicode categories, stopwords), per sliding window a
 * flat table word -> count, and the top N of each window when it fires. Rows are the
 * job's (window_start,window_end,rank,word,count), written in the job's order too.
 *
 *   baseline_trending_words [--count N] [--rate R] [--seed S] [--start MS]
 *       [--disorder MS] [--window-ms W] [--slide-ms S] [--top N] [--max-delay-ms D]
 *       [--stopwords PATH] [--output PATH.csv]
 *
 * Defaults are gen:posts's and the job's; the stopwords default to the copy beside the
 * job in the build (build/jobs/trending_words/stopwords.txt). The job's rules:
 *   - a post carries the watermark wm = (max ts of the posts before it) - delay - 1;
 *   - each token counts in every window of its post's ts whose end - 1 > wm (a window
 *     already closed by that watermark does not take it; gen:posts is one source
 *     instance, so one watermark); a token with no such window is late;
 *   - a window fires when the watermark reaches its end - 1 (all at the end): its
 *     words ranked by count, ties by word bytes ascending, the first N written. */
#include <limits.h>
#include <unistd.h>

#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"
#include "jobs/trending_words/postgen.h"
#include "jobs/trending_words/tokenize.h"

typedef struct word {
    uint32_t off, len; /* in the dictionary's bytes */
} word;

/* One open window: word hash -> uint64 count. Fired windows are cleared and reused. */
typedef struct win {
    int64_t end;
    flat counts;
} win;

typedef struct run {
    int64_t size, slide, top, delay;
    flat dict; /* word hash -> word: every distinct word once */
    char *bytes;
    size_t len, cap;
    win *w; /* [0, n) open, ascending end; [n, alloc) spares */
    size_t n, alloc, wcap;
    int64_t ts, wm; /* of the post being tokenized */
    uint64_t tokens, late, rows;
    FILE *out;
} run;

static void *grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    p = realloc(p, c * sz);
    if (!p) {
        fprintf(stderr, "baseline: out of memory\n");
        exit(1);
    }
    *cap = c;
    return p;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return flat_hash(h);
}

static win *win_get(run *r, int64_t end)
{
    size_t i = r->n;
    while (i > 0 && r->w[i - 1].end > end)
        i--;
    if (i > 0 && r->w[i - 1].end == end)
        return &r->w[i - 1];
    if (r->n == r->alloc) {
        r->w = grow(r->w, &r->wcap, r->alloc + 1, sizeof(*r->w));
        flat_init(&r->w[r->alloc].counts, sizeof(uint64_t), 4096);
        r->alloc++;
    }
    win spare = r->w[r->n];
    memmove(&r->w[i + 1], &r->w[i], (r->n - i) * sizeof(*r->w));
    r->w[i] = spare;
    r->w[i].end = end;
    r->n++;
    return &r->w[i];
}

typedef struct ranked {
    uint64_t count;
    const char *word;
    uint32_t len;
} ranked;

/* Higher count first, then word ascending by bytes (the job's top_op.c). */
static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->word, b->word, n);
    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static void fire(run *r, const win *w)
{
    static ranked *all;
    static size_t cap;
    size_t n = 0;
    all = grow(all, &cap, w->counts.n + 1, sizeof(*all));
    for (size_t i = 0; i < w->counts.cap; i++)
        if (w->counts.used[i]) {
            const word *wd = flat_get(&r->dict, flat_key(&w->counts, i));
            all[n++] =
                (ranked){*(const uint64_t *)flat_val(&w->counts, i), r->bytes + wd->off, wd->len};
        }
    qsort(all, n, sizeof(*all), cmp_ranked);
    for (size_t i = 0; i < n && i < (size_t)r->top; i++) {
        r->rows++;
        if (!r->out)
            continue;
        fprintf(r->out, "%lld,%lld,%zu,", (long long)(w->end - r->size), (long long)w->end, i + 1);
        /* Words hold no ',', '"' or line break (they are letters and digits): no quotes. */
        fwrite(all[i].word, 1, all[i].len, r->out);
        fprintf(r->out, ",%llu\n", (unsigned long long)all[i].count);
    }
}

static void fire_due(run *r, int64_t wm)
{
    while (r->n > 0 && r->w[0].end - 1 <= wm) {
        fire(r, &r->w[0]);
        win done = r->w[0];
        memset(done.counts.used, 0, done.counts.cap);
        done.counts.n = 0;
        memmove(&r->w[0], &r->w[1], (r->n - 1) * sizeof(*r->w));
        r->w[--r->n] = done;
    }
}

static int on_token(const char *tok, size_t len, void *ud)
{
    run *r = ud;
    uint64_t h = hash_bytes(tok, len);
    bool created;
    word *wd = flat_put(&r->dict, h, &created);
    if (created) {
        r->bytes = grow(r->bytes, &r->cap, r->len + len, 1);
        memcpy(r->bytes + r->len, tok, len);
        *wd = (word){(uint32_t)r->len, (uint32_t)len};
        r->len += len;
    } else if (wd->len != len || memcmp(r->bytes + wd->off, tok, len) != 0) {
        fprintf(stderr, "baseline_trending_words: 64-bit hash collision of two words\n");
        exit(1);
    }
    r->tokens++;
    /* The windows of ts: starts at multiples of the slide in (ts - size, ts]. */
    int64_t last = r->ts - r->ts % r->slide - (r->ts % r->slide < 0 ? r->slide : 0);
    bool counted = false;
    for (int64_t start = last; start > r->ts - r->size; start -= r->slide) {
        if (start + r->size - 1 <= r->wm)
            break; /* this window and the earlier ones have fired */
        ++*(uint64_t *)flat_put(&win_get(r, start + r->size)->counts, h, NULL);
        counted = true;
    }
    r->late += !counted;
    return 0;
}

/* The JSON string starting after its opening quote at s, unescaped into dst (which
 * has room for as many bytes as the line); returns its length. */
static size_t json_string(const char *s, char *dst)
{
    char *d = dst;
    for (; *s && *s != '"'; s++) {
        if (*s != '\\') {
            *d++ = *s;
            continue;
        }
        switch (*++s) {
        case 'n':
            *d++ = '\n';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
            s += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s += 6;
            }
            if (cp < 0x80) {
                *d++ = (char)cp;
            } else if (cp < 0x800) {
                *d++ = (char)(0xc0 | cp >> 6);
                *d++ = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                *d++ = (char)(0xe0 | cp >> 12);
                *d++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *d++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *d++ = (char)(0xf0 | cp >> 18);
                *d++ = (char)(0x80 | (cp >> 12 & 0x3f));
                *d++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *d++ = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default:
            *d++ = *s;
            break; /* \" \\ \/ */
        }
    }
    return (size_t)(d - dst);
}

/* build/bench/baseline_trending_words -> build/jobs/trending_words/stopwords.txt */
static const char *default_stopwords(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (!slash)
        return "jobs/trending_words/stopwords.txt";
    *slash = 0;
    snprintf(buf, cap, "%s/../jobs/trending_words/stopwords.txt", exe);
    return buf;
}

int main(int argc, char **argv)
{
    tw_postgen_config cfg = {
        .seed = 42, .start_ms = 1732500000000, .rate = 1000, .max_disorder_ms = 3000};
    int64_t count = 1000000;
    run r = {.size = 300000, .slide = 60000, .top = 10, .delay = 5000};
    static char sw_buf[PATH_MAX + 64];
    const char *output = NULL, *stopwords = default_stopwords(sw_buf, sizeof(sw_buf));
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
        else if (!strcmp(a, "--slide-ms"))
            r.slide = baseline_i64(a, v);
        else if (!strcmp(a, "--top"))
            r.top = baseline_i64(a, v);
        else if (!strcmp(a, "--max-delay-ms"))
            r.delay = baseline_i64(a, v);
        else if (!strcmp(a, "--stopwords"))
            stopwords = v;
        else if (!strcmp(a, "--output"))
            output = v;
        else {
            fprintf(stderr, "baseline_trending_words: unknown option %s\n", a);
            return 2;
        }
    }
    tw_postgen *g;
    if (count < 0 || r.size < 1 || r.slide < 1 || r.slide > r.size || r.top < 1 || r.delay < 0 ||
        tw_postgen_new(&cfg, &g) != 0) {
        fprintf(stderr, "baseline_trending_words: bad parameters (see gen:posts and the job)\n");
        return 2;
    }
    char err[512];
    tw_tokenizer *tok;
    if (tw_tokenizer_new(stopwords, &tok, err, sizeof(err)) != 0) {
        fprintf(stderr, "baseline_trending_words: %s\n", err);
        return 2;
    }
    if (output && !(r.out = fopen(output, "w"))) {
        perror(output);
        return 1;
    }
    if (r.out)
        fprintf(r.out, "window_start,window_end,rank,word,count\n");
    flat_init(&r.dict, sizeof(word), 65536);
    static char line[TW_POSTGEN_LINE_MAX], text[TW_POSTGEN_LINE_MAX];
    int64_t max_ts = INT64_MIN;
    double t0 = baseline_now(), c0 = baseline_cpu();
    for (int64_t seq = 0; seq < count; seq++) {
        tw_postgen_line(g, (uint64_t)seq, line, sizeof(line));
        const char *ts_s = strstr(line, "\"ts\": "), *text_s = strstr(line, "\"text\": \"");
        if (!ts_s || !text_s) {
            fprintf(stderr, "baseline_trending_words: post %lld lacks ts or text\n",
                    (long long)seq);
            return 1;
        }
        r.ts = strtoll(ts_s + 6, NULL, 10);
        r.wm = max_ts == INT64_MIN ? INT64_MIN : max_ts - r.delay - 1;
        if (r.ts > max_ts)
            max_ts = r.ts;
        fire_due(&r, r.wm);
        size_t len = json_string(text_s + 9, text);
        if (tw_tokenize(tok, text, len, on_token, &r) < 0) {
            fprintf(stderr, "baseline_trending_words: post %lld does not tokenize\n",
                    (long long)seq);
            return 1;
        }
    }
    fire_due(&r, INT64_MAX);
    baseline_report("trending_words", (uint64_t)count, baseline_now() - t0, baseline_cpu() - c0);
    fprintf(stderr, "baseline trending_words: tokens %llu, late %llu, rows %llu\n",
            (unsigned long long)r.tokens, (unsigned long long)r.late, (unsigned long long)r.rows);
    if (r.out && (ferror(r.out) | fclose(r.out))) {
        fprintf(stderr, "baseline_trending_words: cannot write %s\n", output);
        return 1;
    }
    for (size_t i = 0; i < r.alloc; i++)
        flat_free(&r.w[i].counts);
    free(r.w);
    free(r.bytes);
    flat_free(&r.dict);
    tw_tokenizer_free(tok);
    tw_postgen_free(g);
    return 0;
}
