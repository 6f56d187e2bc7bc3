/* line.c — builds one CSV output line: the sg_line_add_* calls append fields (commas
 * in between, RFC 4180 quoting where needed) and sg__line_finish adds the '\n'.
 *
 * Numbers are formatted by hand where that is cheap and provably identical to printf:
 * integers two digits at a time, and doubles with few decimals through one scaled
 * multiplication (f64_fast). glibc's "%.*f" costs ~250 ns, a quarter of the per-event
 * budget, so the rest — exact ties, huge values, many decimals — is all it handles.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

#include "engine/common.h"
#include "engine/line.h"

/* Room for any "%.*f" of a double: 309 integer digits, sign, point and decimals. */
#define F64_MAX_DECIMALS 30
#define F64_MAX_CHARS (1 + 309 + 1 + F64_MAX_DECIMALS + 1)

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

void sg__line_init(sg_line *l)
{
    l->buf = NULL;
    l->len = l->cap = 0;
    l->nfields = 0;
}

void sg__line_reset(sg_line *l)
{
    l->len = 0;
    l->nfields = 0;
}

void sg__line_free(sg_line *l)
{
    sg_free(l->buf);
    sg__line_init(l);
}

/* Makes room for extra more bytes. */
static int reserve(sg_line *l, size_t extra)
{
    if (extra > SIZE_MAX - l->len)
        return SG_ENOMEM;
    size_t need = l->len + extra;
    if (need <= l->cap)
        return SG_OK;
    size_t cap = l->cap ? l->cap : 128;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *buf = sg_realloc(l->buf, cap);
    if (!buf)
        return SG_ENOMEM;
    l->buf = buf;
    l->cap = cap;
    return SG_OK;
}

/* Reserves the separator plus extra bytes and writes the separator. The caller bumps
 * nfields only once the field is complete, so a failed add leaves the line unchanged. */
static int begin_field(sg_line *l, size_t extra)
{
    size_t sep = l->nfields > 0;
    if (extra > SIZE_MAX - sep || reserve(l, sep + extra) < 0)
        return SG_ENOMEM;
    if (sep)
        l->buf[l->len++] = ',';
    return SG_OK;
}

/* Bytes that force a field to be quoted (RFC 4180). */
static const bool needs_quote[256] = {['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1};

int sg_line_add_str(sg_line *line, const void *data, size_t len)
{
    SG_ASSERT(line && (data || len == 0));
    const unsigned char *s = data;
    size_t first = 0;
    while (first < len && !needs_quote[s[first]])
        first++;
    if (first == len) { /* the common case: copied as is */
        if (begin_field(line, len) < 0)
            return SG_ENOMEM;
        if (len)
            memcpy(line->buf + line->len, s, len);
        line->len += len;
        line->nfields++;
        return SG_OK;
    }
    size_t quotes = 0;
    for (size_t i = first; i < len; i++)
        quotes += s[i] == '"';
    if (len > SIZE_MAX - 2 - quotes || begin_field(line, len + quotes + 2) < 0)
        return SG_ENOMEM;
    char *d = line->buf + line->len;
    *d++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *d++ = '"';
        *d++ = (char)s[i];
    }
    *d++ = '"';
    line->len = (size_t)(d - line->buf);
    line->nfields++;
    return SG_OK;
}

int sg_line_add_cstr(sg_line *line, const char *s)
{
    SG_ASSERT(s);
    return sg_line_add_str(line, s, strlen(s));
}

/* Writes v's decimal digits ending just before end and returns where they start. */
static char *u64_digits(uint64_t v, char *end)
{
    char *d = end;
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        d -= 2;
        d[0] = digit_pairs[i];
        d[1] = digit_pairs[i + 1];
    }
    if (v >= 10) {
        d -= 2;
        d[0] = digit_pairs[v * 2];
        d[1] = digit_pairs[v * 2 + 1];
    } else {
        *--d = (char)('0' + v);
    }
    return d;
}

static int add_integer(sg_line *line, uint64_t mag, bool neg)
{
    char tmp[21], *end = tmp + sizeof(tmp);
    char *d = u64_digits(mag, end);
    if (neg)
        *--d = '-';
    size_t n = (size_t)(end - d);
    if (begin_field(line, n) < 0)
        return SG_ENOMEM;
    memcpy(line->buf + line->len, d, n);
    line->len += n;
    line->nfields++;
    return SG_OK;
}

int sg_line_add_i64(sg_line *line, int64_t v)
{
    SG_ASSERT(line);
    /* The magnitude in unsigned arithmetic, so INT64_MIN needs no special case. */
    return add_integer(line, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

int sg_line_add_u64(sg_line *line, uint64_t v)
{
    SG_ASSERT(line);
    return add_integer(line, v, false);
}

/* "%.*f" without printf, for |v| * 10^decimals below 2^52 and up to 15 decimals. printf
 * prints the exact product P = |v| * 10^decimals (10^15 is exact) rounded to an integer.
 * p = |v| * 10^decimals is P rounded once, and fma gives the exact residual P - p, so
 * the rounding direction is decided exactly: below 2^52 a fraction of p other than 0.5
 * is at least half an ulp away from 0.5, more than the residual can move it. An exact
 * tie (P ends in .5) is left to printf, as are NaN, infinities and larger values: those
 * return 0. Writes to out [out, >= 40 bytes] and returns the length. */
static size_t f64_fast(double v, int decimals, char *out)
{
    static const double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (decimals > 15 || !isfinite(v))
        return 0;
    bool neg = signbit(v);
    double a = neg ? -v : v, p = a * pow10[decimals];
    if (!(p < 0x1p52))
        return 0;
    double fl = floor(p), frac = p - fl, residual = fma(a, pow10[decimals], -p);
    bool up;
    if (frac != 0.5)
        up = frac > 0.5;
    else if (residual != 0)
        up = residual > 0;
    else
        return 0; /* an exact tie: printf rounds it to even */
    uint64_t r = (uint64_t)fl + up, scale = (uint64_t)pow10[decimals];
    uint64_t ip = r / scale, fp = r % scale;
    char tmp[40], *end = tmp + sizeof(tmp), *d = end;
    for (int i = 0; i < decimals; i++) {
        *--d = (char)('0' + fp % 10);
        fp /= 10;
    }
    if (decimals > 0)
        *--d = '.';
    d = u64_digits(ip, d);
    if (neg)
        *--d = '-'; /* printf keeps the sign of negative values that round to zero */
    size_t n = (size_t)(end - d);
    memcpy(out, d, n);
    return n;
}

int sg_line_add_f64(sg_line *line, double v, int decimals)
{
    SG_ASSERT(line);
    /* A negative precision would mean "as if omitted" (6); more than 30 is noise. */
    decimals = decimals < 0 ? 0 : SG_MIN(decimals, F64_MAX_DECIMALS);
    if (begin_field(line, F64_MAX_CHARS) < 0)
        return SG_ENOMEM;
    char *d = line->buf + line->len;
    size_t n = f64_fast(v, decimals, d);
    if (n == 0) {
        /* "nan", "inf" and "-inf" hold no comma or quote, so need no quoting either. */
        int k = snprintf(d, F64_MAX_CHARS, "%.*f", decimals, v);
        SG_ASSERT(k > 0 && k < F64_MAX_CHARS);
        n = (size_t)k;
    }
    line->len += n;
    line->nfields++;
    return SG_OK;
}

int sg__line_finish(sg_line *l, sg_bytes *out)
{
    /* A lone empty field is written as "" so that the line is not blank: CSV readers,
     * ours included, skip blank lines. */
    bool lone_empty = l->nfields == 1 && l->len == 0;
    if (reserve(l, lone_empty ? 3 : 1) < 0)
        return SG_ENOMEM;
    if (lone_empty) {
        l->buf[l->len++] = '"';
        l->buf[l->len++] = '"';
    }
    l->buf[l->len++] = '\n';
    out->data = l->buf;
    out->len = l->len;
    return SG_OK;
}
