/* capacity.c — the capacity table: seats per (train, class), loaded once at start
 * from a small CSV and then only read (by the decoder, on every booking).
 *
 * The table is a sorted array, binary-searched: a few hundred rows, read-only
 * after loading, so threads share it without locks. Loading is strict because a
 * wrong capacity silently corrupts every alert: the first malformed line fails the
 * job at start, with the file and line in the message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irctc.h"

#define CAPACITY_MAX INT64_C(10000000)
#define HEADER "train,class,capacity"

typedef struct cap_row {
    char train[IR_TRAIN_MAX + 1]; /* NUL-padded: rows compare with one memcmp */
    int cls;
    int64_t capacity;
    size_t line;
} cap_row;

struct ir_capacity {
    cap_row *rows;
    size_t n, cap;
};

/* ---- Reading the file ----------------------------------------------------------- */

/* The whole file into *buf (sg_malloc), NUL-terminated. A capacity file is small. */
static int read_all(FILE *f, char **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = sg_malloc(cap);
    if (!b)
        return SG_ENOMEM;
    for (;;) {
        if (cap - n < 2) {
            char *nb = sg_realloc(b, cap * 2);
            if (!nb) {
                sg_free(b);
                return SG_ENOMEM;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        sg_free(b);
        return SG_EIO;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return SG_OK;
}

/* ---- Parsing rows ----------------------------------------------------------------- */

static bool parse_capacity(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    if (len == 0 || len > 8)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v >= 1 && v <= CAPACITY_MAX;
}

/* One data row into *row; on a malformed row, a reason (without the file:line
 * prefix) in err. */
static bool parse_row(const char *s, size_t len, cap_row *row, char *err, size_t errlen)
{
    const char *f[3];
    size_t flen[3], nf = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ',')
            continue;
        if (nf < 3) {
            f[nf] = s + start;
            flen[nf] = i - start;
        }
        nf++;
        start = i + 1;
    }
    if (nf != 3) {
        snprintf(err, errlen, "expected 3 fields (train,class,capacity), got %zu", nf);
        return false;
    }
    if (!ir_train_valid(f[0], flen[0])) {
        snprintf(err, errlen, "bad train \"%.*s\" (1..%d letters or digits)",
                 (int)(flen[0] > 40 ? 40 : flen[0]), f[0], IR_TRAIN_MAX);
        return false;
    }
    if ((row->cls = ir_class_parse(f[1], flen[1])) < 0) {
        snprintf(err, errlen, "unknown class \"%.*s\" (SL, 3A, 2A, 1A, CC or 2S)",
                 (int)(flen[1] > 40 ? 40 : flen[1]), f[1]);
        return false;
    }
    if (!parse_capacity(f[2], flen[2], &row->capacity)) {
        snprintf(err, errlen, "bad capacity \"%.*s\" (an integer in 1..%lld)",
                 (int)(flen[2] > 40 ? 40 : flen[2]), f[2], (long long)CAPACITY_MAX);
        return false;
    }
    memset(row->train, 0, sizeof(row->train));
    memcpy(row->train, f[0], flen[0]);
    return true;
}

static int cmp_row(const void *a, const void *b)
{
    const cap_row *x = a, *y = b;
    int c = memcmp(x->train, y->train, sizeof(x->train));
    if (c != 0)
        return c;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int add_row(ir_capacity *c, const cap_row *row)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        cap_row *r = sg_realloc(c->rows, cap * sizeof(*r));
        if (!r)
            return SG_ENOMEM;
        c->rows = r;
        c->cap = cap;
    }
    c->rows[c->n++] = *row;
    return SG_OK;
}

/* Parses buf: the rows until the first malformed line (*bad_line, reason in err, or
 * 0). Returns SG_OK or SG_ENOMEM. */
static int parse_all(ir_capacity *c, const char *buf, size_t len, size_t *bad_line, char *err,
                     size_t errlen)
{
    size_t line = 0, pos = 0;
    bool header = false;
    *bad_line = 0;
    while (pos < len) {
        const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + 1;
        line++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n == 0)
            continue; /* blank lines carry nothing */
        if (!header) {
            if (n != strlen(HEADER) || memcmp(s, HEADER, n) != 0) {
                snprintf(err, errlen, "bad header \"%.*s\", expected \"" HEADER "\"",
                         (int)(n > 60 ? 60 : n), s);
                *bad_line = line;
                return SG_OK;
            }
            header = true;
            continue;
        }
        cap_row row = {.line = line};
        if (!parse_row(s, n, &row, err, errlen)) {
            *bad_line = line;
            return SG_OK;
        }
        if (add_row(c, &row) < 0)
            return SG_ENOMEM;
    }
    if (!header) {
        snprintf(err, errlen, "empty, expected the header line \"" HEADER "\"");
        *bad_line = 1;
    }
    return SG_OK;
}

/* After sorting: the duplicate row with the smallest line, or NULL. Rows of one
 * (train, class) are adjacent and in line order. */
static const cap_row *first_duplicate(const ir_capacity *c, const cap_row **first)
{
    const cap_row *dup = NULL;
    for (size_t i = 1; i < c->n; i++) {
        const cap_row *a = &c->rows[i - 1], *b = &c->rows[i];
        if (a->cls == b->cls && memcmp(a->train, b->train, sizeof(a->train)) == 0 &&
            (!dup || b->line < dup->line)) {
            dup = b;
            *first = a;
        }
    }
    return dup;
}

int ir_capacity_load(const char *path, ir_capacity **out, char *err, size_t errlen)
{
    char reason[256] = "";
    char *buf = NULL;
    size_t len = 0, bad_line = 0;
    int rc;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "capacity file %s: %s", path, strerror(e));
        return e == ENOENT ? SG_ENOENT : SG_EIO;
    }
    rc = read_all(f, &buf, &len);
    fclose(f);
    if (rc < 0) {
        snprintf(err, errlen, "capacity file %s: %s", path, sg_strerror(rc));
        return rc;
    }
    ir_capacity *c = sg_calloc(1, sizeof(*c));
    if (!c || (rc = parse_all(c, buf, len, &bad_line, reason, sizeof(reason))) < 0) {
        sg_free(buf);
        ir_capacity_free(c);
        snprintf(err, errlen, "capacity file %s: out of memory", path);
        return SG_ENOMEM;
    }
    sg_free(buf);
    if (c->n > 1)
        qsort(c->rows, c->n, sizeof(*c->rows), cmp_row);
    const cap_row *first = NULL, *dup = first_duplicate(c, &first);
    if (dup) { /* every parsed row precedes bad_line: the duplicate is the first error */
        snprintf(err, errlen,
                 "capacity file %s:%zu: duplicate row for train %s class %s (first on line %zu)",
                 path, dup->line, dup->train, ir_class_name(dup->cls), first->line);
        ir_capacity_free(c);
        return SG_EINVAL;
    }
    if (bad_line) {
        snprintf(err, errlen, "capacity file %s:%zu: %s", path, bad_line, reason);
        ir_capacity_free(c);
        return SG_EINVAL;
    }
    *out = c;
    return SG_OK;
}

void ir_capacity_free(ir_capacity *c)
{
    if (!c)
        return;
    sg_free(c->rows);
    sg_free(c);
}

int64_t ir_capacity_find(const ir_capacity *c, const void *train, size_t len, int cls)
{
    cap_row key = {.cls = cls, .line = 0};
    if (!ir_train_valid(train, len) || c->n == 0)
        return 0;
    memset(key.train, 0, sizeof(key.train));
    memcpy(key.train, train, len);
    size_t lo = 0, hi = c->n;
    while (lo < hi) { /* not bsearch: cmp_row also orders by line, which the key lacks */
        size_t mid = lo + (hi - lo) / 2;
        const cap_row *r = &c->rows[mid];
        int d = memcmp(r->train, key.train, sizeof(key.train));
        if (d == 0)
            d = r->cls < cls ? -1 : r->cls > cls;
        if (d == 0)
            return r->capacity;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

size_t ir_capacity_count(const ir_capacity *c)
{
    return c->n;
}

/* The rows follow the header, at the next multiple of 8 bytes. */
#define ROWS_OFFSET ((sizeof(ir_capacity) + 7) / 8 * 8)

size_t ir_capacity_bytes(const ir_capacity *c)
{
    return ROWS_OFFSET + c->n * sizeof(cap_row);
}

ir_capacity *ir_capacity_copy_to(const ir_capacity *c, void *mem)
{
    ir_capacity *copy = mem;
    copy->rows = (cap_row *)(void *)((char *)mem + ROWS_OFFSET);
    copy->n = copy->cap = c->n;
    if (c->n > 0)
        memcpy(copy->rows, c->rows, c->n * sizeof(cap_row));
    return copy;
}
