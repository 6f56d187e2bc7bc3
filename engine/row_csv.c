/* row_csv.c — the CSV input format: RFC 4180 records, one per physical line, whose
 * fields are read by header name through the getters in row_json.c.
 *
 * The header is the first non-empty line of each file (or names given by the job).
 * A line is split in the parser's copy, quoted fields unquoted in place: the write
 * position never passes the read position, because "" shrinks to " and the enclosing
 * quotes vanish. Each field is then NUL-terminated where its separator was, so the
 * getters can hand fields straight to strtod.
 *
 * Header states (p->hdr_state):
 *
 *   NONE --first non-empty line, well formed--> FROM_FILE --reset()--> NONE
 *     |
 *     +---first non-empty line is a bad record--> BAD --reset()--> NONE
 *   any --set_header()--> EXPLICIT (kept across reset)
 *
 * In BAD every data line is rejected with "missing header line": taking the next line
 * as the header instead would silently map every field to the wrong name.
 */
#include <string.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/row.h"
#include "engine/utf8.h"

/* Bytes that end an unquoted field, legally (',') or not. */
static const bool csv_special[256] = {[','] = 1, ['"'] = 1, ['\r'] = 1};

static int bad_record(sg__row_parser *p, const char *line, size_t off, const char *what,
                      const char **reason)
{
    *reason =
        sg__row_reason(p, "invalid CSV: %s at column %zu", what, sg__utf8_count(line, off) + 1);
    return SG_EINVAL;
}

/* Splits p->buf[0..len) (a copy of line) into p->fields[0..*n), values only; names are
 * the header's business. Returns SG_OK, SG_EINVAL with *reason, or SG_ENOMEM. */
static int split(sg__row_parser *p, const char *line, size_t len, size_t *n, const char **reason)
{
    char *b = p->buf;
    size_t r = 0, w = 0, i = 0; /* read and write offsets in b; w <= r throughout */
    for (;; i++) {
        if (sg__row_reserve_fields(p, i + 1) < 0)
            return SG_ENOMEM;
        size_t start = w;
        if (r < len && b[r] == '"') {
            size_t open = r++;
            for (;;) {
                const char *q = memchr(b + r, '"', len - r);
                if (!q)
                    return bad_record(p, line, open, "unterminated quoted field", reason);
                size_t k = (size_t)(q - (b + r));
                memmove(b + w, b + r, k);
                w += k;
                r += k + 1;
                if (r == len || b[r] != '"')
                    break;
                b[w++] = '"'; /* "" is one quote */
                r++;
            }
            if (r < len && b[r] != ',')
                return bad_record(p, line, r, "unexpected character after a closing quote", reason);
        } else {
            size_t from = r;
            while (r < len && !csv_special[(unsigned char)b[r]])
                r++;
            if (r < len && b[r] == '"')
                return bad_record(p, line, r, "quote in an unquoted field", reason);
            if (r < len && b[r] == '\r')
                return bad_record(p, line, r, "bare CR in an unquoted field", reason);
            if (w != from) /* only after a quoted field has shrunk the line */
                memmove(b + w, b + from, r - from);
            w += r - from;
        }
        p->fields[i].val = b + start;
        p->fields[i].len = w - start;
        p->fields[i].type = SG__ROW_TEXT;
        bool more = r < len; /* b[r] is the ',' after this field */
        b[w++] = '\0';       /* w <= r: overwrites only bytes already read */
        if (!more)
            break;
        r++;
    }
    *n = i + 1;
    return SG_OK;
}

int sg__row_csv_set_header(sg__row_parser *p, const char *const *names, const size_t *lens,
                           size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lens[i] + 1;
    char *buf = sg_malloc(total);
    const char **arr = n <= SIZE_MAX / sizeof(*arr) ? sg_malloc(n * sizeof(*arr)) : NULL;
    if (!buf || !arr || sg__row_reserve_fields(p, n) < 0) {
        sg_free(buf);
        sg_free(arr);
        return SG_ENOMEM;
    }
    char *d = buf;
    for (size_t i = 0; i < n; i++) {
        memcpy(d, names[i], lens[i]);
        d[lens[i]] = '\0';
        arr[i] = d;
        d += lens[i] + 1;
    }
    sg_free(p->hdr_buf);
    sg_free(p->hdr_names);
    p->hdr_buf = buf;
    p->hdr_names = arr;
    p->hdr_n = n;
    /* Names are set once here, not per line: split() only ever writes values. */
    for (size_t i = 0; i < n; i++) {
        p->fields[i].name = arr[i];
        p->fields[i].name_len = lens[i];
    }
    return SG_OK;
}

int sg__row_parser_set_header(sg__row_parser *p, const char *const *names, size_t n)
{
    SG_ASSERT(p && (names || n == 0));
    if (p->fmt != SG__ROW_CSV || n == 0 || n > SIZE_MAX / sizeof(size_t))
        return SG_EINVAL;
    size_t *lens = sg_malloc(n * sizeof(*lens));
    if (!lens)
        return SG_ENOMEM;
    int rc = SG_OK;
    for (size_t i = 0; i < n && rc == SG_OK; i++) {
        if (!names[i])
            rc = SG_EINVAL;
        else if (!sg__utf8_valid(names[i], lens[i] = strlen(names[i])))
            rc = SG_EINVAL;
    }
    if (rc == SG_OK)
        rc = sg__row_csv_set_header(p, names, lens, n);
    if (rc == SG_OK)
        p->hdr_state = SG__ROW_HDR_EXPLICIT;
    sg_free(lens);
    return rc;
}

int sg__row_header(const sg__row_parser *p, const char *const **names, size_t *n)
{
    if (p->hdr_state != SG__ROW_HDR_FROM_FILE && p->hdr_state != SG__ROW_HDR_EXPLICIT)
        return SG_NOTFOUND;
    *names = p->hdr_names;
    *n = p->hdr_n;
    return SG_OK;
}

/* The header line: its fields become the names. Returns SG_NOTFOUND (skip the line). */
static int take_header(sg__row_parser *p, const char *line, size_t len, const char **reason)
{
    size_t n, *lens = NULL;
    const char **names = NULL;
    int rc = split(p, line, len, &n, reason);
    if (rc == SG_EINVAL) {
        char what[sizeof(p->reason)];
        memcpy(what, p->reason, sizeof(what)); /* *reason is p->reason: no overlap */
        p->hdr_state = SG__ROW_HDR_BAD;
        *reason = sg__row_reason(p, "bad header line: %.120s", what);
        return rc;
    }
    if (rc < 0)
        return rc;
    /* Copy the spans out first: set_header reuses p->fields, where split left them. */
    lens = sg_malloc(n * sizeof(*lens));
    names = sg_malloc(n * sizeof(*names));
    if (!lens || !names) {
        rc = SG_ENOMEM;
    } else {
        for (size_t i = 0; i < n; i++) {
            names[i] = p->fields[i].val;
            lens[i] = p->fields[i].len;
        }
        rc = sg__row_csv_set_header(p, names, lens, n);
    }
    sg_free(lens);
    sg_free(names);
    if (rc < 0)
        return rc;
    p->hdr_state = SG__ROW_HDR_FROM_FILE;
    return SG_NOTFOUND;
}

int sg__row_csv_parse(sg__row_parser *p, const char *line, size_t len, const char **reason)
{
    size_t skipped = 0;
    if (p->file_start && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        skipped = 3; /* a byte order mark, as spreadsheet exports write */
    line += skipped;
    len -= skipped;
    /* Only an empty line is blank: in CSV a space is data. */
    if (len == 0)
        return SG_NOTFOUND;
    p->file_start = false;

    if (p->hdr_state == SG__ROW_HDR_BAD) {
        *reason = "missing header line";
        return SG_EINVAL;
    }
    size_t bad = sg__utf8_check(line, len);
    if (bad < len) {
        if (p->hdr_state == SG__ROW_HDR_NONE) {
            p->hdr_state = SG__ROW_HDR_BAD;
            *reason =
                sg__row_reason(p, "bad header line: invalid UTF-8 at byte %zu", skipped + bad + 1);
        } else {
            *reason = sg__row_reason(p, "invalid UTF-8 at byte %zu", skipped + bad + 1);
        }
        return SG_EINVAL;
    }
    if (len == SIZE_MAX || sg__row_reserve_buf(p, len + 1) < 0)
        return SG_ENOMEM;
    memcpy(p->buf, line, len);
    p->buf[len] = '\0';

    if (p->hdr_state == SG__ROW_HDR_NONE)
        return take_header(p, line, len, reason);
    size_t n;
    int rc = split(p, line, len, &n, reason);
    if (rc < 0)
        return rc;
    if (n != p->hdr_n) {
        *reason = sg__row_reason(p, "expected %zu fields, found %zu", p->hdr_n, n);
        return SG_EINVAL;
    }
    p->row.n = n;
    return SG_OK;
}
