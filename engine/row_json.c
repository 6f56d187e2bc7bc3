/* row_json.c — input rows: the parser lifecycle, the sg_row_get_* getters shared by both
 * formats, and the JSON Lines format. CSV lives in row_csv.c.
 *
 * The JSON scanner is our own rather than a library's: bench/json_choice.md measured
 * jansson, json-c and cJSON, and only jansson is strict enough (trailing data, UTF-8,
 * lone surrogates, integer vs real), at ~2.8 us a line — more than the whole per-event
 * budget — and 21 allocations a line. This scanner validates the complete line
 * (RFC 8259, nested values included) but materialises only the top-level members: each
 * field records its type and a span of the parser's copy of the line, strings decoded
 * in place (an escape never decodes to more bytes than it takes). Numbers stay text
 * until a getter asks, so an integer too big for int64 is still a valid line and only
 * sg_row_get_i64 on that field fails.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/row.h"
#include "engine/utf8.h"

/* Deep enough for any real record, shallow enough that the recursion (two small frames
 * a level) cannot exhaust a thread's stack on hostile input. */
#define JSON_MAX_DEPTH 128

/* ==== Parser lifecycle ===================================================== */

int sg__row_parser_new(sg__row_format fmt, sg__row_parser **out)
{
    sg__row_parser *p = sg_calloc(1, sizeof(*p));
    *out = NULL;
    if (!p)
        return SG_ENOMEM;
    p->fmt = fmt;
    p->file_start = true;
    p->hdr_state = SG__ROW_HDR_NONE;
    *out = p;
    return SG_OK;
}

void sg__row_parser_free(sg__row_parser *p)
{
    if (!p)
        return;
    sg_free(p->buf);
    sg_free(p->fields);
    sg_free(p->hdr_buf);
    sg_free(p->hdr_names);
    sg_free(p);
}

void sg__row_parser_reset(sg__row_parser *p)
{
    p->file_start = true;
    if (p->hdr_state != SG__ROW_HDR_EXPLICIT)
        p->hdr_state = SG__ROW_HDR_NONE;
}

int sg__row_reserve_buf(sg__row_parser *p, size_t need)
{
    if (need <= p->cap)
        return SG_OK;
    size_t cap = SG_MAX(SG_MAX(need, p->cap * 2), (size_t)256);
    char *buf = sg_realloc(p->buf, cap);
    if (!buf)
        return SG_ENOMEM;
    p->buf = buf;
    p->cap = cap;
    return SG_OK;
}

int sg__row_reserve_fields(sg__row_parser *p, size_t n)
{
    if (n <= p->fields_cap)
        return SG_OK;
    size_t cap = SG_MAX(SG_MAX(n, p->fields_cap * 2), (size_t)16);
    if (cap > SIZE_MAX / sizeof(sg__row_field))
        return SG_ENOMEM;
    sg__row_field *f = sg_realloc(p->fields, cap * sizeof(*f));
    if (!f)
        return SG_ENOMEM;
    p->fields = f;
    p->fields_cap = cap;
    p->row.fields = f;
    return SG_OK;
}

const char *sg__row_reason(sg__row_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
    va_end(ap);
    return p->reason;
}

int sg__row_parse(sg__row_parser *p, const char *line, size_t len, const sg_row **row,
                  const char **reason)
{
    SG_ASSERT(p && (line || len == 0) && row && reason);
    *row = NULL;
    *reason = NULL;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    p->row.n = 0;
    int rc = p->fmt == SG__ROW_JSONL ? sg__row_json_parse(p, line, len, reason)
                                     : sg__row_csv_parse(p, line, len, reason);
    if (rc == SG_OK)
        *row = &p->row;
    return rc;
}

/* ==== Getters (both formats) =============================================== */

static const sg__row_field *find_field(const sg_row *row, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = row->n; i-- > 0;) {
        const sg__row_field *f = &row->fields[i];
        if (f->name_len == len && memcmp(f->name, name, len) == 0)
            return f;
    }
    return NULL;
}

/* An optional '-' then one or more decimal digits, nothing else, within int64. This is
 * both the CSV rule and, after the JSON grammar check, the form of every JSON integer. */
static int parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = len > 0 && s[0] == '-';
    i += neg;
    if (i == len)
        return SG_EINVAL;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return SG_EINVAL;
        v = v * 10 + d;
    }
    /* Negate in unsigned arithmetic: -(2^63) has no positive int64 counterpart. */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return SG_OK;
}

/* strtod over a field that is NUL-terminated (every field is, see row.h). Leading
 * whitespace, an empty field and trailing bytes are rejected, as is a finite value too
 * large for a double ("1e400"); underflow to zero or a subnormal is accepted. In a CSV
 * field, strtod's other forms pass too ("inf", "nan", "0x1p3"); the JSON grammar has
 * none of them. The engine never calls setlocale, so the decimal point is '.'. */
static int parse_f64(const char *s, size_t len, double *out)
{
    if (len == 0 || s[0] == ' ' || s[0] == '\t')
        return SG_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s + len || (errno == ERANGE && isinf(v)))
        return SG_EINVAL;
    *out = v;
    return SG_OK;
}

int sg_row_get_i64(const sg_row *row, const char *field, int64_t *out)
{
    SG_ASSERT(row && field && out);
    const sg__row_field *f = find_field(row, field);
    if (!f)
        return SG_NOTFOUND;
    if (f->type != SG__ROW_INT && f->type != SG__ROW_TEXT)
        return SG_EINVAL;
    return parse_i64(f->val, f->len, out);
}

int sg_row_get_f64(const sg_row *row, const char *field, double *out)
{
    SG_ASSERT(row && field && out);
    const sg__row_field *f = find_field(row, field);
    if (!f)
        return SG_NOTFOUND;
    if (f->type == SG__ROW_INT) {
        /* Integers up to 2^53 convert exactly; skip strtod for the common case. */
        int64_t v;
        if (parse_i64(f->val, f->len, &v) == SG_OK && v >= -(INT64_C(1) << 53) &&
            v <= (INT64_C(1) << 53) && !(v == 0 && f->val[0] == '-')) { /* -0 keeps its sign */
            *out = (double)v;
            return SG_OK;
        }
    } else if (f->type != SG__ROW_REAL && f->type != SG__ROW_TEXT) {
        return SG_EINVAL;
    }
    return parse_f64(f->val, f->len, out);
}

int sg_row_get_str(const sg_row *row, const char *field, sg_bytes *out)
{
    SG_ASSERT(row && field && out);
    const sg__row_field *f = find_field(row, field);
    if (!f)
        return SG_NOTFOUND;
    if (f->type != SG__ROW_STRING && f->type != SG__ROW_TEXT)
        return SG_EINVAL;
    out->data = f->val;
    out->len = f->len;
    return SG_OK;
}

int sg_row_get_bool(const sg_row *row, const char *field, bool *out)
{
    SG_ASSERT(row && field && out);
    const sg__row_field *f = find_field(row, field);
    if (!f)
        return SG_NOTFOUND;
    if (f->type == SG__ROW_TRUE || f->type == SG__ROW_FALSE) {
        *out = f->type == SG__ROW_TRUE;
        return SG_OK;
    }
    if (f->type == SG__ROW_TEXT && f->len == 4 && memcmp(f->val, "true", 4) == 0) {
        *out = true;
        return SG_OK;
    }
    if (f->type == SG__ROW_TEXT && f->len == 5 && memcmp(f->val, "false", 5) == 0) {
        *out = false;
        return SG_OK;
    }
    return SG_EINVAL;
}

/* ==== JSON scanner ========================================================== */

/* The scanner's cursor over p->buf. On error, err says what and err_at points at the
 * offending byte; cp is the code point of a lone surrogate (err_utf8). */
typedef struct jscan {
    char *s;
    char *end;
    const char *err;
    const char *err_at;
    bool err_utf8;
    unsigned cp;
} jscan;

/* Bytes that end a run of plain string bytes: '"', '\\' and the control characters,
 * which RFC 8259 forbids raw inside a string. */
static const bool str_special[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['"'] = 1,  ['\\'] = 1,
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_ONES 0x0101010101010101ull
/* The bytes of w that are '"', '\\' or below 0x20 get their high bit set. A borrow can
 * flag a byte above a real match, never below one, so the lowest flag is exact. Bytes
 * >= 0x80 (UTF-8) are never flagged: ~w clears their bit. */
static inline uint64_t swar_special(uint64_t w)
{
    uint64_t q = w ^ (SWAR_ONES * '"'), b = w ^ (SWAR_ONES * '\\');
    return ((w - SWAR_ONES * 0x20) | (q - SWAR_ONES) | (b - SWAR_ONES)) & ~w & (SWAR_ONES * 0x80);
}
#endif

/* The first byte in [s, end) that ends a run of plain string bytes, or end. Strings are
 * most of a line, so they are scanned eight bytes at a time where possible. */
static inline char *skip_plain(char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        uint64_t m = swar_special(w);
        if (m)
            return s + (__builtin_ctzll(m) >> 3);
        s += 8;
    }
#endif
    while (s < end && !str_special[(unsigned char)*s])
        s++;
    return s;
}

static int fail(jscan *js, const char *at, const char *msg)
{
    js->err = msg;
    js->err_at = at;
    return -1;
}

static inline char *skip_ws(char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Four hex digits at s, or -1. */
static long hex4(const char *s, const char *end)
{
    if (end - s < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int lone_surrogate(jscan *js, const char *at, long cp)
{
    js->err_utf8 = true;
    js->cp = (unsigned)cp;
    return fail(js, at, "lone surrogate");
}

/* Decodes the escape at *ps (a backslash) into out[4], advances *ps past it and returns
 * the number of bytes written, or -1. A \uD800-\uDBFF must be followed by a
 * \uDC00-\uDFFF; an unpaired surrogate cannot be encoded as UTF-8, so it is an error. */
static int scan_escape(jscan *js, char **ps, char *out)
{
    char *s = *ps;
    if (js->end - s < 2)
        return fail(js, s, "unterminated string");
    char c = s[1];
    *ps = s + 2;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        out[0] = c;
        return 1;
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default:
        return fail(js, s, "invalid escape");
    }
    long cp = hex4(s + 2, js->end);
    if (cp < 0)
        return fail(js, s, "invalid \\u escape");
    char *next = s + 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return lone_surrogate(js, s, cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo =
            js->end - next >= 2 && next[0] == '\\' && next[1] == 'u' ? hex4(next + 2, js->end) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return lone_surrogate(js, s, cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        next += 6;
    }
    *ps = next;
    return (int)sg__utf8_encode((uint32_t)cp, out);
}

/* Scans the string at js->s (its opening quote). With decode, escapes are decoded in
 * place and *out / *out_len receive the decoded text, which is then NUL-terminated over
 * the closing quote (already consumed). Raw bytes >= 0x80 are not checked here: the
 * whole line was validated as UTF-8 before scanning. */
static int scan_string(jscan *js, bool decode, char **out, size_t *out_len)
{
    char *s = js->s + 1, *start = s, *w = NULL; /* w: write position after an escape */
    for (;;) {
        char *run = s;
        s = skip_plain(s, js->end);
        if (w) {
            memmove(w, run, (size_t)(s - run));
            w += s - run;
        }
        if (s == js->end)
            return fail(js, js->s, "unterminated string");
        if (*s == '"')
            break;
        if (*s != '\\')
            return fail(js, s, "control character in string");
        char tmp[4], *backslash = s;
        int n = scan_escape(js, &s, tmp);
        if (n < 0)
            return -1;
        if (decode) {
            /* Text before the first escape is already in place; from here on, decoded
             * bytes are written at w, which never passes s. */
            if (!w)
                w = backslash;
            memcpy(w, tmp, (size_t)n);
            w += n;
        }
    }
    js->s = s + 1;
    if (decode) {
        char *stop = w ? w : s;
        *out = start;
        *out_len = (size_t)(stop - start);
        *stop = '\0';
    }
    return 0;
}

static int scan_number(jscan *js, sg__row_type *type)
{
    char *s = js->s, *end = js->end;
    bool real = false;
    if (s < end && *s == '-')
        s++;
    if (s == end || !is_digit(*s))
        return fail(js, s, "invalid number");
    if (*s == '0') {
        s++;
        if (s < end && is_digit(*s))
            return fail(js, s, "leading zero in number");
    } else {
        while (s < end && is_digit(*s))
            s++;
    }
    if (s < end && *s == '.') {
        real = true;
        if (++s == end || !is_digit(*s))
            return fail(js, s, "invalid number");
        while (s < end && is_digit(*s))
            s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        real = true;
        if (++s < end && (*s == '+' || *s == '-'))
            s++;
        if (s == end || !is_digit(*s))
            return fail(js, s, "invalid number");
        while (s < end && is_digit(*s))
            s++;
    }
    js->s = s;
    *type = real ? SG__ROW_REAL : SG__ROW_INT;
    return 0;
}

static int scan_literal(jscan *js, const char *word, size_t len)
{
    if ((size_t)(js->end - js->s) < len || memcmp(js->s, word, len) != 0)
        return fail(js, js->s, "invalid literal");
    js->s += len;
    return 0;
}

static int scan_value(jscan *js, int depth, sg__row_type *type);

/* An object (top: collect its members into p's fields) or an array, at js->s. */
static int scan_object(jscan *js, int depth, sg__row_parser *top)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(js, js->s, "nesting too deep");
    char *s = skip_ws(js->s + 1, js->end);
    if (s < js->end && *s == '}') {
        js->s = s + 1;
        return 0;
    }
    for (size_t n = 0;; n++) {
        if (s == js->end || *s != '"')
            return fail(js, s, "expected a string key");
        char *key = NULL, *val = s;
        size_t key_len = 0, val_len = 0;
        js->s = s;
        if (scan_string(js, top != NULL, &key, &key_len) < 0)
            return -1;
        s = skip_ws(js->s, js->end);
        if (s == js->end || *s != ':')
            return fail(js, s, "expected ':'");
        js->s = val = skip_ws(s + 1, js->end);
        sg__row_type type;
        if (top && val < js->end && *val == '"') {
            type = SG__ROW_STRING;
            if (scan_string(js, true, &val, &val_len) < 0)
                return -1;
        } else {
            if (scan_value(js, depth + 1, &type) < 0)
                return -1;
            val_len = (size_t)(js->s - val);
        }
        s = skip_ws(js->s, js->end);
        if (s == js->end || (*s != ',' && *s != '}'))
            return fail(js, s, "expected ',' or '}'");
        char sep = *s;
        if (top) {
            if (sg__row_reserve_fields(top, n + 1) < 0)
                return fail(js, s, NULL); /* err == NULL: out of memory */
            /* The separator at s is consumed, so the byte after the value (at most s)
             * can take the NUL that row.h promises. */
            val[val_len] = '\0';
            top->fields[n] = (sg__row_field){key, key_len, val, val_len, type};
            top->row.n = n + 1;
        }
        if (sep == '}') {
            js->s = s + 1;
            return 0;
        }
        s = skip_ws(s + 1, js->end);
    }
}

static int scan_array(jscan *js, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(js, js->s, "nesting too deep");
    char *s = skip_ws(js->s + 1, js->end);
    if (s < js->end && *s == ']') {
        js->s = s + 1;
        return 0;
    }
    for (;;) {
        sg__row_type type;
        js->s = s;
        if (scan_value(js, depth + 1, &type) < 0)
            return -1;
        s = skip_ws(js->s, js->end);
        if (s == js->end || (*s != ',' && *s != ']'))
            return fail(js, s, "expected ',' or ']'");
        if (*s == ']') {
            js->s = s + 1;
            return 0;
        }
        s = skip_ws(s + 1, js->end);
    }
}

/* Any JSON value at js->s (no leading whitespace). Strings are checked, not decoded. */
static int scan_value(jscan *js, int depth, sg__row_type *type)
{
    if (js->s == js->end)
        return fail(js, js->s, "unexpected end of line");
    switch (*js->s) {
    case '{':
        *type = SG__ROW_OBJECT;
        return scan_object(js, depth, NULL);
    case '[':
        *type = SG__ROW_ARRAY;
        return scan_array(js, depth);
    case '"':
        *type = SG__ROW_STRING;
        return scan_string(js, false, NULL, NULL);
    case 't':
        *type = SG__ROW_TRUE;
        return scan_literal(js, "true", 4);
    case 'f':
        *type = SG__ROW_FALSE;
        return scan_literal(js, "false", 5);
    case 'n':
        *type = SG__ROW_NULL;
        return scan_literal(js, "null", 4);
    default:
        if (*js->s == '-' || is_digit(*js->s))
            return scan_number(js, type);
        return fail(js, js->s, "unexpected character");
    }
}

/* ==== JSON Lines ============================================================= */

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int scan_error(sg__row_parser *p, const jscan *js, const char *line, const char **reason)
{
    if (!js->err)
        return SG_ENOMEM;
    /* Count columns on the caller's line: p->buf before err_at may be decoded already. */
    size_t col = sg__utf8_count(line, (size_t)(js->err_at - p->buf)) + 1;
    if (js->err_utf8)
        *reason =
            sg__row_reason(p, "invalid UTF-8: lone surrogate \\u%04X at column %zu", js->cp, col);
    else
        *reason = sg__row_reason(p, "invalid JSON: %s at column %zu", js->err, col);
    return SG_EINVAL;
}

int sg__row_json_parse(sg__row_parser *p, const char *line, size_t len, const char **reason)
{
    size_t skipped = 0;
    if (p->file_start && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        skipped = 3; /* a byte order mark, which RFC 8259 lets a parser ignore */
    line += skipped;
    len -= skipped;
    if (is_blank(line, len))
        return SG_NOTFOUND;
    p->file_start = false;

    size_t bad = sg__utf8_check(line, len);
    if (bad < len) {
        *reason = sg__row_reason(p, "invalid UTF-8 at byte %zu", skipped + bad + 1);
        return SG_EINVAL;
    }
    if (len == SIZE_MAX || sg__row_reserve_buf(p, len + 1) < 0)
        return SG_ENOMEM;
    memcpy(p->buf, line, len);
    p->buf[len] = '\0';

    jscan js = {.s = p->buf, .end = p->buf + len};
    js.s = skip_ws(js.s, js.end);
    if (*js.s != '{') {
        /* Tell "valid JSON, wrong kind" apart from "not JSON at all". */
        sg__row_type type;
        if (scan_value(&js, 1, &type) < 0)
            return scan_error(p, &js, line, reason);
        *reason = "not a JSON object";
        return SG_EINVAL;
    }
    if (scan_object(&js, 1, p) < 0) {
        p->row.n = 0;
        return scan_error(p, &js, line, reason);
    }
    if (skip_ws(js.s, js.end) != js.end) {
        p->row.n = 0;
        *reason = "trailing data after the object";
        return SG_EINVAL;
    }
    return SG_OK;
}
