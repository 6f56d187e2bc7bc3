/* model.c — the fraud model: its file (a small JSON object) and the score (upi.h).
 *
 * A job's shared object can use only sangam.h, whose JSON scanner reads input lines,
 * not files; so the model file has its own strict little parser here. It accepts the
 * JSON grammar (RFC 8259) for what it reads and skips, and wants exactly:
 *   {"bias": N, "weights": {"velocity_60s": N, ..., "no_login": N}}
 * with every weight present once, finite numbers, and any other top-level keys (a
 * "comment", a "version") skipped. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upi.h"

#define MODEL_MAX_BYTES (1 << 20)
#define MAX_DEPTH 32

const char *const upi_feature_names[UPI_N_FEATURES] = {
    "velocity_60s", "amount_5m_paise", "new_device", "new_payee", "city_jump", "no_login",
};

/* ---- Scoring ----------------------------------------------------------------------------- */

void upi_model_inputs(const upi_features *f, double x[UPI_N_FEATURES])
{
    x[UPI_F_VELOCITY] = (double)(f->velocity_60s < 10 ? f->velocity_60s : 10);
    x[UPI_F_AMOUNT] = log10(1.0 + (double)f->amount_5m_paise / 100.0);
    x[UPI_F_NEW_DEVICE] = f->new_device;
    x[UPI_F_NEW_PAYEE] = f->new_payee;
    x[UPI_F_CITY_JUMP] = f->city_jump;
    x[UPI_F_NO_LOGIN] = f->no_login;
}

double upi_score(const upi_model *m, const upi_features *f)
{
    double x[UPI_N_FEATURES], z = m->bias;
    upi_model_inputs(f, x);
    for (int i = 0; i < UPI_N_FEATURES; i++)
        z += m->w[i] * x[i];
    return 1.0 / (1.0 + exp(-z)); /* exp overflows to inf for very negative z: score 0 */
}

/* ---- Parsing ------------------------------------------------------------------------------ */

typedef struct parser {
    const char *start, *p, *end;
    char *err;
    size_t errlen;
} parser;

SG_PRINTF(2, 3) static int fail(parser *ps, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "%s at byte %zu", msg, (size_t)(ps->p - ps->start));
    return -1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Skips whitespace and consumes c. */
static int expect(parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != c)
        return fail(ps, "expected '%c'", c);
    ps->p++;
    return 0;
}

static bool peek(parser *ps, char c)
{
    skip_ws(ps);
    return ps->p < ps->end && *ps->p == c;
}

/* The escape after a backslash, into *c. A \u escape beyond ASCII (or of NUL) becomes
 * '?', which no key we look for contains. */
static int unescape(parser *ps, char *c)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    static const char hex[] = "0123456789abcdef";
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    char e = *ps->p++;
    const char *at = e ? strchr(from, e) : NULL;
    if (at) {
        *c = to[at - from];
        return 0;
    }
    if (e != 'u')
        return fail(ps, "bad escape '\\%c'", e);
    unsigned v = 0;
    for (int i = 0; i < 4; i++, ps->p++) {
        const char *d;
        if (ps->p >= ps->end || !*ps->p || !(d = strchr(hex, *ps->p | 0x20)))
            return fail(ps, "bad \\u escape");
        v = v * 16 + (unsigned)(d - hex);
    }
    *c = v > 0 && v < 0x80 ? (char)v : '?';
    return 0;
}

/* A string into buf (NUL-terminated, cut at cap - 1), its escapes checked. */
static int parse_string(parser *ps, char *buf, size_t cap)
{
    size_t n = 0;
    if (expect(ps, '"') < 0)
        return -1;
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if ((unsigned char)c < 0x20)
            return fail(ps, "control character in a string");
        if (c == '\\' && unescape(ps, &c) < 0)
            return -1;
        if (n + 1 < cap)
            buf[n++] = c;
    }
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    ps->p++;
    buf[n] = '\0';
    return 0;
}

static bool is_digit(parser *ps)
{
    return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static void digits(parser *ps)
{
    while (is_digit(ps))
        ps->p++;
}

/* A JSON number, which must be finite as a double. */
static int parse_number(parser *ps, double *out)
{
    char buf[64];
    skip_ws(ps);
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (!is_digit(ps))
        return fail(ps, "expected a number");
    if (*ps->p == '0')
        ps->p++;
    else
        digits(ps);
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!is_digit(ps))
            return fail(ps, "expected a digit after '.'");
        digits(ps);
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!is_digit(ps))
            return fail(ps, "expected a digit in the exponent");
        digits(ps);
    }
    if ((size_t)(ps->p - s) >= sizeof(buf))
        return fail(ps, "number too long");
    memcpy(buf, s, (size_t)(ps->p - s));
    buf[ps->p - s] = '\0';
    *out = strtod(buf, NULL);
    if (!isfinite(*out))
        return fail(ps, "number out of range");
    return 0;
}

static int skip_value(parser *ps, int depth);

/* The members (or elements) of an object (or array) whose opening was consumed. */
static int skip_members(parser *ps, bool object, int depth)
{
    char close = object ? '}' : ']', key[2];
    if (peek(ps, close)) {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (object && (parse_string(ps, key, sizeof(key)) < 0 || expect(ps, ':') < 0))
            return -1;
        if (skip_value(ps, depth + 1) < 0)
            return -1;
        if (!peek(ps, ','))
            return expect(ps, close);
        ps->p++;
    }
}

static int skip_value(parser *ps, int depth)
{
    static const char *const literals[] = {"true", "false", "null"};
    char tmp[2];
    double d;
    if (depth > MAX_DEPTH)
        return fail(ps, "nested too deeply");
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "expected a value");
    if (*ps->p == '"')
        return parse_string(ps, tmp, sizeof(tmp));
    if (*ps->p == '{' || *ps->p == '[')
        return skip_members(ps, *ps->p++ == '{', depth);
    for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
        size_t n = strlen(literals[i]);
        if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, literals[i], n) == 0) {
            ps->p += n;
            return 0;
        }
    }
    return parse_number(ps, &d);
}

static int parse_weights(parser *ps, upi_model *m)
{
    bool seen[UPI_N_FEATURES] = {false};
    char key[64];
    if (expect(ps, '{') < 0)
        return -1;
    for (bool first = true; !peek(ps, '}'); first = false) {
        if (!first && expect(ps, ',') < 0)
            return -1;
        const char *at = ps->p;
        if (parse_string(ps, key, sizeof(key)) < 0 || expect(ps, ':') < 0)
            return -1;
        int i = 0;
        while (i < UPI_N_FEATURES && strcmp(key, upi_feature_names[i]) != 0)
            i++;
        ps->p = i == UPI_N_FEATURES || seen[i] ? at : ps->p;
        if (i == UPI_N_FEATURES)
            return fail(ps, "unknown weight \"%s\"", key);
        if (seen[i])
            return fail(ps, "weight \"%s\" given twice", key);
        if (parse_number(ps, &m->w[i]) < 0)
            return -1;
        seen[i] = true;
    }
    ps->p++;
    for (int i = 0; i < UPI_N_FEATURES; i++)
        if (!seen[i])
            return fail(ps, "missing weight \"%s\"", upi_feature_names[i]);
    return 0;
}

int upi_model_parse(const char *text, size_t len, upi_model *m, char *err, size_t errlen)
{
    parser ps = {text, text, text + len, err, errlen};
    bool bias = false, weights = false;
    char key[64];
    memset(m, 0, sizeof(*m));
    if (expect(&ps, '{') < 0)
        return -1;
    for (bool first = true; !peek(&ps, '}'); first = false) {
        if ((!first && expect(&ps, ',') < 0) || parse_string(&ps, key, sizeof(key)) < 0 ||
            expect(&ps, ':') < 0)
            return -1;
        bool is_bias = strcmp(key, "bias") == 0, is_weights = strcmp(key, "weights") == 0;
        if ((is_bias && bias) || (is_weights && weights))
            return fail(&ps, "\"%s\" given twice", key);
        if (is_bias      ? parse_number(&ps, &m->bias) < 0
            : is_weights ? parse_weights(&ps, m) < 0
                         : skip_value(&ps, 1) < 0)
            return -1;
        bias = bias || is_bias;
        weights = weights || is_weights;
    }
    ps.p++;
    skip_ws(&ps);
    if (ps.p != ps.end)
        return fail(&ps, "trailing data after the object");
    if (!bias || !weights)
        return fail(&ps, "missing \"%s\"", bias ? "weights" : "bias");
    return 0;
}

int upi_model_load(const char *path, upi_model *m, char *err, size_t errlen)
{
    char reason[200];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open model file %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = sg_malloc(MODEL_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, MODEL_MAX_BYTES + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    int rc = -1;
    if (!buf)
        snprintf(err, errlen, "model file %s: out of memory", path);
    else if (failed)
        snprintf(err, errlen, "cannot read model file %s", path);
    else if (len > MODEL_MAX_BYTES)
        snprintf(err, errlen, "model file %s: larger than %d bytes", path, MODEL_MAX_BYTES);
    else if ((rc = upi_model_parse(buf, len, m, reason, sizeof(reason))) < 0)
        snprintf(err, errlen, "model file %s: %s", path, reason);
    sg_free(buf);
    return rc;
}
