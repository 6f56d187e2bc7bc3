/* test_row.c — input rows: JSON Lines and CSV parsing rules, the sg_row_get_* getters,
 * and the parser's no-allocation steady state. Allocations go through cmocka's checked
 * allocator, so every test also fails on a leak. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "engine/row.h"
#include "engine/utf8.h"

/* Counted allocator with an optional failure point. Leaks are counted here rather than
 * by cmocka's test_malloc, which checks the test body alone, while a fixture's buffers
 * grow in the body and are freed in the teardown. */
static size_t n_allocs;      /* allocations and reallocations so far */
static long live_blocks;     /* allocated and not yet freed */
static long fail_after = -1; /* fail the allocation after this many more; -1: never */

static void *test_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        live_blocks -= ptr != NULL;
        free(ptr);
        return NULL;
    }
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    void *q = realloc(ptr, new_size);
    if (q) {
        n_allocs++;
        live_blocks += ptr == NULL;
    }
    return q;
}

/* ---- Helpers ------------------------------------------------------------------ */

typedef struct fixture {
    sg__row_parser *p;
    const sg_row *row;
    const char *reason;
} fixture;

static fixture fix;

static int setup_json(void **state)
{
    memset(&fix, 0, sizeof(fix));
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &fix.p), SG_OK);
    *state = &fix;
    return 0;
}

static int setup_csv(void **state)
{
    memset(&fix, 0, sizeof(fix));
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &fix.p), SG_OK);
    *state = &fix;
    return 0;
}

/* Every test ends here: whatever it allocated must be freed. */
static int check_no_leaks(void **state)
{
    SG_UNUSED(state);
    fail_after = -1;
    assert_int_equal(live_blocks, 0);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg__row_parser_free(f->p);
    return check_no_leaks(state);
}

/* Parses a NUL-terminated line. */
static int parse(fixture *f, const char *line)
{
    return sg__row_parse(f->p, line, strlen(line), &f->row, &f->reason);
}

/* Parses line, expecting a bad record with exactly the given reason. */
static void expect_reject(fixture *f, const char *line, const char *reason)
{
    int rc = parse(f, line);
    if (rc != SG_EINVAL)
        fail_msg("line <%s>: expected SG_EINVAL (%s), got %d", line, reason, rc);
    assert_null(f->row);
    assert_non_null(f->reason);
    assert_string_equal(f->reason, reason);
}

static void expect_str(const sg_row *row, const char *field, const void *want, size_t len)
{
    sg_bytes b = {0};
    assert_int_equal(sg_row_get_str(row, field, &b), SG_OK);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, want, len);
}

static void expect_i64(const sg_row *row, const char *field, int64_t want)
{
    int64_t v = 0;
    assert_int_equal(sg_row_get_i64(row, field, &v), SG_OK);
    assert_true(v == want);
}

static void expect_f64(const sg_row *row, const char *field, double want)
{
    double v = 0;
    assert_int_equal(sg_row_get_f64(row, field, &v), SG_OK);
    assert_true(v == want);
}

/* ==== JSON Lines ================================================================ */

static void test_json_reads_hindi_record(void **state)
{
    fixture *f = *state;
    const char *text = "आज #दिल्ली में बारिश bahut hai yaar";
    assert_int_equal(parse(f, "{\"ts\": 1732500000123, \"user\": \"u123\", \"lang\": \"hi\", "
                              "\"text\": \"आज #दिल्ली में बारिश bahut hai yaar\"}"),
                     SG_OK);
    assert_non_null(f->row);
    assert_null(f->reason);
    expect_i64(f->row, "ts", INT64_C(1732500000123));
    expect_f64(f->row, "ts", 1732500000123.0);
    expect_str(f->row, "user", "u123", 4);
    expect_str(f->row, "lang", "hi", 2);
    expect_str(f->row, "text", text, strlen(text));
}

static void test_json_decodes_escapes(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"k\":\"\\u0915\", \"ctl\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", "
                              "\"nul\":\"a\\u0000b\", \"emoji\":\"x\\ud83d\\ude00y\", "
                              "\"mixed\":\"\\u0906ज #\\u0926िल्ली\", \"T\\u0065xt\":\"key\"}"),
                     SG_OK);
    expect_str(f->row, "k", "क", strlen("क"));
    expect_str(f->row, "ctl", "\"\\/\b\f\n\r\t", 8);
    expect_str(f->row, "nul", "a\0b", 3);
    expect_str(f->row, "emoji", "x\xF0\x9F\x98\x80y", 6);
    expect_str(f->row, "mixed", "आज #दिल्ली", strlen("आज #दिल्ली"));
    expect_str(f->row, "Text", "key", 3); /* keys are decoded too */
}

static void test_json_rejects_escaped_lone_surrogates(void **state)
{
    fixture *f = *state;
    expect_reject(f, "{\"t\":\"\\ud800\"}", "invalid UTF-8: lone surrogate \\uD800 at column 7");
    expect_reject(f, "{\"t\":\"\\udc00\"}", "invalid UTF-8: lone surrogate \\uDC00 at column 7");
    expect_reject(f, "{\"t\":\"ab\\uDBFFx\"}", "invalid UTF-8: lone surrogate \\uDBFF at column 9");
    expect_reject(f, "{\"t\":\"\\ud800\\u0041\"}",
                  "invalid UTF-8: lone surrogate \\uD800 at column 7");
    expect_reject(f, "{\"t\":\"\\ude00\\ud83d\"}", /* a pair in the wrong order */
                  "invalid UTF-8: lone surrogate \\uDE00 at column 7");
    expect_reject(f, "{\"o\":{\"t\":[\"\\ud800\"]}}", /* nested strings are checked too */
                  "invalid UTF-8: lone surrogate \\uD800 at column 13");
    expect_reject(f, "{\"\\udc00\":1}", "invalid UTF-8: lone surrogate \\uDC00 at column 3");
}

static void test_json_rejects_invalid_utf8_bytes(void **state)
{
    fixture *f = *state;
    expect_reject(f, "{\"t\":\"a\xFF\"}", "invalid UTF-8 at byte 8");
    expect_reject(f, "{\"t\":\"\xC0\xAF\"}", "invalid UTF-8 at byte 7");         /* overlong */
    expect_reject(f, "{\"t\":\"\xE0\x80\xAF\"}", "invalid UTF-8 at byte 7");     /* overlong */
    expect_reject(f, "{\"t\":\"\xF0\x80\x80\xAF\"}", "invalid UTF-8 at byte 7"); /* overlong */
    expect_reject(f, "{\"t\":\"\xED\xA0\x80\"}", "invalid UTF-8 at byte 7");     /* surrogate */
    expect_reject(f, "{\"t\":\"\xF4\x90\x80\x80\"}", "invalid UTF-8 at byte 7"); /* > 10FFFF */
    expect_reject(f, "{\"t\":\"\xE0\xA4\"}", "invalid UTF-8 at byte 7");         /* truncated */
    expect_reject(f, "{\"t\":\"x\"}\x80", "invalid UTF-8 at byte 10");           /* outside */
    /* The raw-byte forms that are valid still pass. */
    assert_int_equal(parse(f, "{\"t\":\"\xF4\x8F\xBF\xBF\xEF\xBF\xBF\"}"), SG_OK);
    expect_str(f->row, "t", "\xF4\x8F\xBF\xBF\xEF\xBF\xBF", 7);
}

static void test_json_rejects_trailing_data(void **state)
{
    fixture *f = *state;
    expect_reject(f, "{\"a\":1} x", "trailing data after the object");
    expect_reject(f, "{\"a\":1}{\"b\":2}", "trailing data after the object");
    expect_reject(f, "{\"a\":1},", "trailing data after the object");
    /* Whitespace around the object is allowed. */
    assert_int_equal(parse(f, " \t{\"a\":1} \t "), SG_OK);
    expect_i64(f->row, "a", 1);
}

static void test_json_rejects_non_objects(void **state)
{
    fixture *f = *state;
    expect_reject(f, "[1,2]", "not a JSON object");
    expect_reject(f, "\"text\"", "not a JSON object");
    expect_reject(f, " 42", "not a JSON object");
    expect_reject(f, "null", "not a JSON object");
    /* Not JSON at all is reported as such. */
    expect_reject(f, "[1,", "invalid JSON: unexpected end of line at column 4");
    expect_reject(f, "hello", "invalid JSON: unexpected character at column 1");
}

static void test_json_skips_blank_lines(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, ""), SG_NOTFOUND);
    assert_int_equal(parse(f, "   \t "), SG_NOTFOUND);
    assert_int_equal(parse(f, "\r"), SG_NOTFOUND);
    assert_int_equal(parse(f, " \r"), SG_NOTFOUND);
    assert_null(f->row);
    assert_null(f->reason);
}

static void test_json_strips_one_trailing_cr(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"a\":\"x\"}\r"), SG_OK);
    expect_str(f->row, "a", "x", 1);
    /* A line given with an explicit length need not be NUL-terminated. */
    const char buf[] = {'{', '"', 'a', '"', ':', '7', '}', '\r', 'Z'};
    assert_int_equal(sg__row_parse(f->p, buf, 8, &f->row, &f->reason), SG_OK);
    expect_i64(f->row, "a", 7);
}

static void test_json_distinguishes_integers_from_reals(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"i\":1, \"neg\":-17, \"zero\":-0, \"r\":1.0, \"e\":1e3, "
                              "\"E\":2.5E-1, \"s\":\"12\", \"t\":true, \"fl\":false, "
                              "\"nul\":null, \"arr\":[1], \"obj\":{\"i\":2}}"),
                     SG_OK);
    expect_i64(f->row, "i", 1);
    expect_i64(f->row, "neg", -17);
    expect_i64(f->row, "zero", 0);
    int64_t v = 99;
    assert_int_equal(sg_row_get_i64(f->row, "r", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "e", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "s", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "t", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "nul", &v), SG_EINVAL); /* present, wrong type */
    assert_int_equal(sg_row_get_i64(f->row, "arr", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "missing", &v), SG_NOTFOUND);
    assert_true(v == 99); /* untouched on failure */

    expect_f64(f->row, "i", 1.0);
    expect_f64(f->row, "r", 1.0);
    expect_f64(f->row, "e", 1000.0);
    expect_f64(f->row, "E", 0.25);
    double d;
    assert_int_equal(sg_row_get_f64(f->row, "s", &d), SG_EINVAL);
    assert_int_equal(sg_row_get_f64(f->row, "t", &d), SG_EINVAL);
    assert_int_equal(sg_row_get_f64(f->row, "nul", &d), SG_EINVAL);
    assert_int_equal(sg_row_get_f64(f->row, "missing", &d), SG_NOTFOUND);

    bool b = false;
    assert_int_equal(sg_row_get_bool(f->row, "t", &b), SG_OK);
    assert_true(b);
    assert_int_equal(sg_row_get_bool(f->row, "fl", &b), SG_OK);
    assert_false(b);
    assert_int_equal(sg_row_get_bool(f->row, "i", &b), SG_EINVAL);
    assert_int_equal(sg_row_get_bool(f->row, "nul", &b), SG_EINVAL);
    assert_int_equal(sg_row_get_bool(f->row, "missing", &b), SG_NOTFOUND);

    sg_bytes s;
    expect_str(f->row, "s", "12", 2);
    assert_int_equal(sg_row_get_str(f->row, "i", &s), SG_EINVAL);
    assert_int_equal(sg_row_get_str(f->row, "nul", &s), SG_EINVAL);
    assert_int_equal(sg_row_get_str(f->row, "obj", &s), SG_EINVAL);
    assert_int_equal(sg_row_get_str(f->row, "missing", &s), SG_NOTFOUND);
    /* Lookup is by top-level key only. */
    expect_i64(f->row, "i", 1);
}

static void test_json_negative_zero_keeps_its_sign_as_a_double(void **state)
{
    fixture *f = *state;
    double d = 1;
    assert_int_equal(parse(f, "{\"z\": -0, \"r\": -0.0}"), SG_OK);
    assert_int_equal(sg_row_get_f64(f->row, "z", &d), SG_OK);
    assert_true(d == 0 && signbit(d));
    assert_int_equal(sg_row_get_f64(f->row, "r", &d), SG_OK);
    assert_true(d == 0 && signbit(d));
}

static void test_json_detects_int64_overflow(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"max\":9223372036854775807, \"min\":-9223372036854775808, "
                              "\"over\":9223372036854775808, \"under\":-9223372036854775809, "
                              "\"huge\":123456789012345678901234567890, \"p53\":9007199254740993, "
                              "\"inf\":1e400, \"tiny\":1e-400}"),
                     SG_OK);
    expect_i64(f->row, "max", INT64_MAX);
    expect_i64(f->row, "min", INT64_MIN);
    int64_t v = 5;
    assert_int_equal(sg_row_get_i64(f->row, "over", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "under", &v), SG_EINVAL);
    assert_int_equal(sg_row_get_i64(f->row, "huge", &v), SG_EINVAL);
    assert_true(v == 5);
    /* The same fields are fine as doubles, correctly rounded. */
    expect_f64(f->row, "over", 9223372036854775808.0);
    expect_f64(f->row, "under", -9223372036854775808.0);
    expect_f64(f->row, "huge", 1.2345678901234568e29);
    expect_f64(f->row, "p53", 9007199254740992.0);
    expect_i64(f->row, "p53", INT64_C(9007199254740993));
    double d;
    assert_int_equal(sg_row_get_f64(f->row, "inf", &d), SG_EINVAL); /* does not fit */
    expect_f64(f->row, "tiny", 0.0);
}

static void test_json_rejects_bad_syntax(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *line, *reason;
    } cases[] = {
        {"{\"a\":01}", "invalid JSON: leading zero in number at column 7"},
        {"{\"a\":1,}", "invalid JSON: expected a string key at column 8"},
        {"{'a':1}", "invalid JSON: expected a string key at column 2"},
        {"{\"a\":NaN}", "invalid JSON: unexpected character at column 6"},
        {"{\"a\":1 /* c */}", "invalid JSON: expected ',' or '}' at column 8"},
        {"{\"a\":\"x\ty\"}", "invalid JSON: control character in string at column 8"},
        {"{\"a\":\"\\x\"}", "invalid JSON: invalid escape at column 7"},
        {"{\"a\":\"\\u12G4\"}", "invalid JSON: invalid \\u escape at column 7"},
        {"{\"a\":tru}", "invalid JSON: invalid literal at column 6"},
        {"{\"a\":nulls}", "invalid JSON: expected ',' or '}' at column 10"},
        {"{\"a\" 1}", "invalid JSON: expected ':' at column 6"},
        {"{\"a\":1", "invalid JSON: expected ',' or '}' at column 7"},
        {"{\"a\":", "invalid JSON: unexpected end of line at column 6"},
        {"{\"a\":\"abc", "invalid JSON: unterminated string at column 6"},
        {"{\"a\":\"abc\\", "invalid JSON: unterminated string at column 10"},
        {"{\"a\":[1,2}", "invalid JSON: expected ',' or ']' at column 10"},
        {"{\"a\":[1,]}", "invalid JSON: unexpected character at column 9"},
        {"{\"a\":.5}", "invalid JSON: unexpected character at column 6"},
        {"{\"a\":1.}", "invalid JSON: invalid number at column 8"},
        {"{\"a\":1e}", "invalid JSON: invalid number at column 8"},
        {"{\"a\":-}", "invalid JSON: invalid number at column 7"},
        {"{\"a\":+1}", "invalid JSON: unexpected character at column 6"},
        {"{\"a\":{\"b\" 1}}", "invalid JSON: expected ':' at column 11"},
        {"{\"a\":\"x\",", "invalid JSON: expected a string key at column 10"},
        /* Columns count characters: the error is after two Devanagari letters. */
        {"{\"t\":\"आज\", \"n\": x}", "invalid JSON: unexpected character at column 17"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_reject(f, cases[i].line, cases[i].reason);
}

static void test_json_limits_nesting_depth(void **state)
{
    fixture *f = *state;
    char line[1024];
    size_t n = (size_t)snprintf(line, sizeof(line), "{\"a\":");
    for (int i = 0; i < 200; i++)
        line[n++] = '[';
    line[n] = '\0';
    expect_reject(f, line, "invalid JSON: nesting too deep at column 133");
    /* 100 levels are fine. */
    n = (size_t)snprintf(line, sizeof(line), "{\"a\":");
    for (int i = 0; i < 100; i++)
        line[n++] = '[';
    for (int i = 0; i < 100; i++)
        line[n++] = ']';
    line[n++] = '}';
    line[n] = '\0';
    assert_int_equal(parse(f, line), SG_OK);
}

static void test_json_validates_nested_values(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"o\":{\"x\":[1,{\"y\":\"\\u0915\"}],\"z\":null},\"a\":[],"
                              "\"s\":\"v\",\"y\":2}"),
                     SG_OK);
    assert_int_equal(f->row->n, 4);
    expect_str(f->row, "s", "v", 1);
    expect_i64(f->row, "y", 2); /* the nested "y" does not shadow the top-level one */
    sg_bytes b;
    assert_int_equal(sg_row_get_str(f->row, "o", &b), SG_EINVAL);
    assert_int_equal(sg_row_get_str(f->row, "x", &b), SG_NOTFOUND);
}

static void test_json_last_duplicate_key_wins(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"a\":1,\"b\":\"x\",\"a\":2}"), SG_OK);
    expect_i64(f->row, "a", 2);
    assert_int_equal(parse(f, "{}"), SG_OK);
    assert_int_equal(f->row->n, 0);
    int64_t v;
    assert_int_equal(sg_row_get_i64(f->row, "a", &v), SG_NOTFOUND);
}

static void test_json_row_does_not_borrow_the_line(void **state)
{
    fixture *f = *state;
    char line[] = "{\"text\":\"बारिश\",\"n\":42}";
    assert_int_equal(parse(f, line), SG_OK);
    memset(line, 'x', sizeof(line) - 1);
    expect_str(f->row, "text", "बारिश", strlen("बारिश"));
    expect_i64(f->row, "n", 42);
}

static void test_json_drops_bom_on_first_line_of_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "\xEF\xBB\xBF{\"a\":1}"), SG_OK);
    expect_i64(f->row, "a", 1);
    expect_reject(f, "\xEF\xBB\xBF{\"a\":2}", "invalid JSON: unexpected character at column 1");
    sg__row_parser_reset(f->p);
    assert_int_equal(parse(f, "\xEF\xBB\xBF{\"a\":3}"), SG_OK);
    expect_i64(f->row, "a", 3);
}

static void test_json_has_no_header(void **state)
{
    fixture *f = *state;
    const char *names[] = {"a"};
    const char *const *got;
    size_t n;
    assert_int_equal(sg__row_parser_set_header(f->p, names, 1), SG_EINVAL);
    assert_int_equal(sg__row_header(f->p, &got, &n), SG_NOTFOUND);
}

/* ==== CSV ======================================================================= */

static void test_csv_reads_header_then_rows(void **state)
{
    fixture *f = *state;
    const char *text = "आज #दिल्ली में बारिश bahut hai yaar";
    assert_int_equal(parse(f, "ts,user,text"), SG_NOTFOUND);
    assert_null(f->row);
    const char *const *names;
    size_t n = 0;
    assert_int_equal(sg__row_header(f->p, &names, &n), SG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "ts");
    assert_string_equal(names[1], "user");
    assert_string_equal(names[2], "text");

    assert_int_equal(parse(f, "1732500000123,u1,आज #दिल्ली में बारिश bahut hai yaar"), SG_OK);
    expect_i64(f->row, "ts", INT64_C(1732500000123));
    expect_str(f->row, "user", "u1", 2);
    expect_str(f->row, "text", text, strlen(text));
    int64_t v;
    assert_int_equal(sg_row_get_i64(f->row, "lang", &v), SG_NOTFOUND);

    assert_int_equal(parse(f, "-5,u2,"), SG_OK);
    expect_i64(f->row, "ts", -5);
    expect_str(f->row, "text", "", 0);
}

static void test_csv_unquotes_fields(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b,c,d,e"), SG_NOTFOUND);
    assert_int_equal(parse(f, "1,\"x,y\",\"he said \"\"hi\"\"\",\"\",\"cr\rin\""), SG_OK);
    expect_str(f->row, "a", "1", 1);
    expect_str(f->row, "b", "x,y", 3);
    expect_str(f->row, "c", "he said \"hi\"", 12);
    expect_str(f->row, "d", "", 0);
    expect_str(f->row, "e", "cr\rin", 5);
    /* Quoted numbers are still numbers: quoting is syntax, not type. */
    assert_int_equal(parse(f, "\"42\",\"\"\"\",,\"\"\"\"\"\",\"बारिश, बहुत\""), SG_OK);
    expect_i64(f->row, "a", 42);
    expect_str(f->row, "b", "\"", 1);
    expect_str(f->row, "c", "", 0);
    expect_str(f->row, "d", "\"\"", 2);
    expect_str(f->row, "e", "बारिश, बहुत", strlen("बारिश, बहुत"));
    /* Unquoted fields after a quoted one that shrank move down with it. */
    assert_int_equal(parse(f, "\"x\"\"y\",after,\"\",tail,कख"), SG_OK);
    expect_str(f->row, "a", "x\"y", 3);
    expect_str(f->row, "b", "after", 5);
    expect_str(f->row, "c", "", 0);
    expect_str(f->row, "d", "tail", 4);
    expect_str(f->row, "e", "कख", strlen("कख"));
}

static void test_csv_rejects_bad_quoting(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b,c"), SG_NOTFOUND);
    expect_reject(f, "1,ab\"c,x", "invalid CSV: quote in an unquoted field at column 5");
    expect_reject(f, "1,\"abc,x", "invalid CSV: unterminated quoted field at column 3");
    expect_reject(f, "1,\"ab\"c,x",
                  "invalid CSV: unexpected character after a closing quote at column 7");
    expect_reject(f, "1, \"a\",x", "invalid CSV: quote in an unquoted field at column 4");
    expect_reject(f, "1,a\rb,x", "invalid CSV: bare CR in an unquoted field at column 4");
    expect_reject(f, "बारिश,\"a", "invalid CSV: unterminated quoted field at column 7");
    /* The parser recovers on the next line. */
    assert_int_equal(parse(f, "1,2,3"), SG_OK);
    expect_str(f->row, "c", "3", 1);
}

static void test_csv_rejects_wrong_field_count(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b,c,d,e,f,g,h,i"), SG_NOTFOUND);
    expect_reject(f, "1,2,3,4,5,6,7", "expected 9 fields, found 7");
    expect_reject(f, "1,2,3,4,5,6,7,8,9,", "expected 9 fields, found 10");
    expect_reject(f, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20",
                  "expected 9 fields, found 20");
    expect_reject(f, " ", "expected 9 fields, found 1");
    assert_int_equal(parse(f, "1,2,3,4,5,6,7,8,\"9,9\""), SG_OK);
    expect_str(f->row, "i", "9,9", 3);
}

static void test_csv_handles_crlf(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b\r"), SG_NOTFOUND);
    const char *const *names;
    size_t n;
    assert_int_equal(sg__row_header(f->p, &names, &n), SG_OK);
    assert_string_equal(names[1], "b");
    assert_int_equal(parse(f, "1,2\r"), SG_OK);
    expect_str(f->row, "b", "2", 1);
    assert_int_equal(parse(f, "1,\"x\"\r"), SG_OK);
    expect_str(f->row, "b", "x", 1);
    assert_int_equal(parse(f, "\r"), SG_NOTFOUND); /* a blank CRLF line */
}

static void test_csv_rejects_invalid_utf8(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b"), SG_NOTFOUND);
    expect_reject(f, "1,x\xFFy", "invalid UTF-8 at byte 4");
    expect_reject(f, "1,\"\xC0\xAF\"", "invalid UTF-8 at byte 4");
    expect_reject(f, "\xED\xA0\x80,2", "invalid UTF-8 at byte 1");
    assert_int_equal(parse(f, "क,ख"), SG_OK);
    expect_str(f->row, "b", "ख", strlen("ख"));
}

static void test_csv_get_i64_parses_digits_only(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "n,x,b"), SG_NOTFOUND);
    static const struct {
        const char *text;
        int rc;
        int64_t v;
    } ints[] = {
        {"-42", SG_OK, -42},
        {"007", SG_OK, 7},
        {"9223372036854775807", SG_OK, INT64_MAX},
        {"-9223372036854775808", SG_OK, INT64_MIN},
        {"9223372036854775808", SG_EINVAL, 0},
        {"-9223372036854775809", SG_EINVAL, 0},
        {"99999999999999999999", SG_EINVAL, 0},
        {"", SG_EINVAL, 0},
        {"-", SG_EINVAL, 0},
        {"+1", SG_EINVAL, 0},
        {" 1", SG_EINVAL, 0},
        {"1 ", SG_EINVAL, 0},
        {"1.0", SG_EINVAL, 0},
        {"1e3", SG_EINVAL, 0},
        {"0x10", SG_EINVAL, 0},
    };
    char line[128];
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        snprintf(line, sizeof(line), "%s,,", ints[i].text);
        assert_int_equal(parse(f, line), SG_OK);
        int64_t v = 0;
        int rc = sg_row_get_i64(f->row, "n", &v);
        if (rc != ints[i].rc)
            fail_msg("get_i64(\"%s\") = %d, want %d", ints[i].text, rc, ints[i].rc);
        if (rc == SG_OK)
            assert_true(v == ints[i].v);
    }
}

static void test_csv_get_f64_parses_the_whole_field(void **state)
{
    fixture *f = *state;
    char line[128];
    assert_int_equal(parse(f, "n,x,b"), SG_NOTFOUND);
    static const struct {
        const char *text;
        int rc;
        double v;
    } reals[] = {
        {"1.5", SG_OK, 1.5},     {"-2e3", SG_OK, -2000.0}, {"42", SG_OK, 42.0},
        {".25", SG_OK, 0.25},    {"1e-400", SG_OK, 0.0},   {"1.5x", SG_EINVAL, 0},
        {"", SG_EINVAL, 0},      {" 1", SG_EINVAL, 0},     {"1 ", SG_EINVAL, 0},
        {"1e400", SG_EINVAL, 0}, {"abc", SG_EINVAL, 0},    {"-inf", SG_OK, -HUGE_VAL},
    };
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        snprintf(line, sizeof(line), ",%s,", reals[i].text);
        assert_int_equal(parse(f, line), SG_OK);
        double v = -1;
        int rc = sg_row_get_f64(f->row, "x", &v);
        if (rc != reals[i].rc)
            fail_msg("get_f64(\"%s\") = %d, want %d", reals[i].text, rc, reals[i].rc);
        if (rc == SG_OK)
            assert_true(v == reals[i].v);
    }
}

static void test_csv_get_bool_takes_true_and_false(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "n,x,b"), SG_NOTFOUND);
    bool b;
    assert_int_equal(parse(f, ",,true"), SG_OK);
    assert_int_equal(sg_row_get_bool(f->row, "b", &b), SG_OK);
    assert_true(b);
    assert_int_equal(parse(f, ",,\"false\""), SG_OK);
    assert_int_equal(sg_row_get_bool(f->row, "b", &b), SG_OK);
    assert_false(b);
    assert_int_equal(parse(f, ",,TRUE"), SG_OK);
    assert_int_equal(sg_row_get_bool(f->row, "b", &b), SG_EINVAL);
    assert_int_equal(parse(f, ",,1"), SG_OK);
    assert_int_equal(sg_row_get_bool(f->row, "b", &b), SG_EINVAL);
    assert_int_equal(sg_row_get_bool(f->row, "nope", &b), SG_NOTFOUND);
}

static void test_csv_skips_empty_lines(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, ""), SG_NOTFOUND);
    assert_int_equal(parse(f, "x"), SG_NOTFOUND); /* the header: first non-empty line */
    assert_int_equal(parse(f, ""), SG_NOTFOUND);
    assert_int_equal(parse(f, "1"), SG_OK);
    expect_str(f->row, "x", "1", 1);
    assert_int_equal(parse(f, "\"\""), SG_OK); /* an empty field must be quoted */
    expect_str(f->row, "x", "", 0);
    assert_int_equal(parse(f, " "), SG_OK); /* in CSV a space is data */
    expect_str(f->row, "x", " ", 1);
}

static void test_csv_bad_header_line_rejects_the_file(void **state)
{
    fixture *f = *state;
    expect_reject(f, "a,\"b",
                  "bad header line: invalid CSV: unterminated quoted field at column 3");
    expect_reject(f, "1,2", "missing header line");
    expect_reject(f, "a,b", "missing header line");
    const char *const *names;
    size_t n;
    assert_int_equal(sg__row_header(f->p, &names, &n), SG_NOTFOUND);
    /* The next file has a good header. */
    sg__row_parser_reset(f->p);
    assert_int_equal(parse(f, "a,b"), SG_NOTFOUND);
    assert_int_equal(parse(f, "1,2"), SG_OK);
    expect_i64(f->row, "b", 2);
    /* Invalid UTF-8 in a header line is a bad header too. */
    sg__row_parser_reset(f->p);
    expect_reject(f, "a,\xFF", "bad header line: invalid UTF-8 at byte 3");
    expect_reject(f, "1,2", "missing header line");
}

static void test_csv_reset_reads_the_next_files_header(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b"), SG_NOTFOUND);
    assert_int_equal(parse(f, "1,2"), SG_OK);
    sg__row_parser_reset(f->p);
    assert_int_equal(parse(f, "\xEF\xBB\xBFx,y,z"), SG_NOTFOUND); /* BOM dropped */
    const char *const *names;
    size_t n;
    assert_int_equal(sg__row_header(f->p, &names, &n), SG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "x");
    assert_int_equal(parse(f, "7,8,9"), SG_OK);
    expect_i64(f->row, "x", 7);
    int64_t v;
    assert_int_equal(sg_row_get_i64(f->row, "a", &v), SG_NOTFOUND);
    /* A BOM after the first line is data. */
    assert_int_equal(parse(f, "\xEF\xBB\xBF\x31,2,3"), SG_OK); /* \x31 is '1' */
    assert_int_equal(sg_row_get_i64(f->row, "x", &v), SG_EINVAL);
}

static void test_csv_explicit_header(void **state)
{
    fixture *f = *state;
    const char *names[] = {"ts", "text"};
    assert_int_equal(sg__row_parser_set_header(f->p, names, 2), SG_OK);
    /* With an explicit header the first line is data. */
    assert_int_equal(parse(f, "5,hello"), SG_OK);
    expect_i64(f->row, "ts", 5);
    expect_str(f->row, "text", "hello", 5);
    sg__row_parser_reset(f->p); /* kept across files */
    assert_int_equal(parse(f, "6,again"), SG_OK);
    expect_i64(f->row, "ts", 6);
    const char *const *got;
    size_t n;
    assert_int_equal(sg__row_header(f->p, &got, &n), SG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(got[1], "text");

    const char *bad[] = {"ok", "\xFF"};
    assert_int_equal(sg__row_parser_set_header(f->p, bad, 2), SG_EINVAL);
    assert_int_equal(sg__row_parser_set_header(f->p, names, 0), SG_EINVAL);
    assert_int_equal(parse(f, "7,still"), SG_OK); /* the old header is kept */
    expect_str(f->row, "text", "still", 5);
}

static void test_csv_last_duplicate_column_wins(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a,b,a"), SG_NOTFOUND);
    assert_int_equal(parse(f, "1,2,3"), SG_OK);
    expect_i64(f->row, "a", 3);
}

/* ==== UTF-8 validator ========================================================== */

/* The definition, written plainly: decode one sequence and check the code point's
 * range. Returns the sequence length, or 0 when it is ill-formed. */
static size_t reference_utf8_len(const unsigned char *s, size_t len)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || s[0] >= 0xF8 || len < n)
        return 0;
    uint32_t cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static bool reference_utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n)
        if ((n = reference_utf8_len(s + i, len - i)) == 0)
            return false;
    return true;
}

/* Every 1-, 2- and 3-byte string, and 4-byte strings with every lead and second byte,
 * each also behind 8 ASCII bytes so the word-at-a-time path hands over to it. */
static void test_utf8_validator_matches_the_definition(void **state)
{
    SG_UNUSED(state);
    unsigned char buf[12] = "abcdefgh";
    for (uint32_t x = 0; x < (1u << 24); x++) {
        unsigned char *s = buf + 8;
        s[0] = (unsigned char)(x >> 16), s[1] = (unsigned char)(x >> 8), s[2] = (unsigned char)x;
        size_t len = x < 0x100 ? 1 : x < 0x10000 ? 2 : 3; /* no leading NUL bytes */
        const unsigned char *str = s + (3 - len);
        bool want = reference_utf8_valid(str, len);
        if (sg__utf8_valid(str, len) != want)
            fail_msg("%zu bytes %02X %02X %02X: want %d", len, str[0], len > 1 ? str[1] : 0,
                     len > 2 ? str[2] : 0, want);
        /* After a whole ASCII word, and straddling a word with ASCII. */
        if (len == 3 && (sg__utf8_valid(buf, 11) != want || sg__utf8_valid(buf + 2, 9) != want))
            fail_msg("after ASCII: %02X %02X %02X", str[0], str[1], str[2]);
    }
    for (uint32_t x = 0; x < (1u << 16); x++) {
        unsigned char s[4] = {(unsigned char)(x >> 8), (unsigned char)x, 0x80, 0xBF};
        if (sg__utf8_valid(s, 4) != reference_utf8_valid(s, 4))
            fail_msg("4 bytes %02X %02X 80 BF", s[0], s[1]);
        s[3] = 0x7F; /* a bad last byte */
        if (sg__utf8_valid(s, 4) != reference_utf8_valid(s, 4))
            fail_msg("4 bytes %02X %02X 80 7F", s[0], s[1]);
    }
    /* The offset of the first bad sequence, past the ASCII fast path. */
    assert_int_equal(sg__utf8_check("0123456789abcdef\xE0\x80\x80", 19), 16);
    assert_int_equal(sg__utf8_check("0123456789abcdefकख\xF0\x8F\xBF\xBF", 26), 22);
    assert_int_equal(sg__utf8_check("0123456789abcdefक", 19), 19);
    assert_int_equal(sg__utf8_check("\xE0\xA4", 2), 0);

    char out[4];
    assert_int_equal(sg__utf8_encode(0x915, out), 3);
    assert_memory_equal(out, "क", 3);
    assert_int_equal(sg__utf8_encode(0x1F600, out), 4);
    assert_memory_equal(out, "\xF0\x9F\x98\x80", 4);
    assert_int_equal(sg__utf8_encode(0x7F, out), 1);
    assert_int_equal(sg__utf8_encode(0x7FF, out), 2);
    assert_int_equal(sg__utf8_count("आज x", 8), 4);
}

/* ==== Both formats: memory ===================================================== */

static void test_parsers_do_not_allocate_in_steady_state(void **state)
{
    SG_UNUSED(state);
    sg__row_parser *json, *csv;
    const sg_row *row;
    const char *reason;
    const char *jl = "{\"ts\": 1732500000123, \"user\": \"u123\", \"lang\": \"hi\", "
                     "\"text\": \"आज #दिल्ली में \\\"बारिश\\\" bahut hai yaar\"}";
    const char *cl = "1732500000123,u123,hi,\"आज #दिल्ली में \"\"बारिश\"\" bahut hai\"";
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &json), SG_OK);
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &csv), SG_OK);
    assert_int_equal(sg__row_parse(csv, "ts,user,lang,text", 17, &row, &reason), SG_NOTFOUND);
    assert_int_equal(sg__row_parse(json, jl, strlen(jl), &row, &reason), SG_OK);
    assert_int_equal(sg__row_parse(csv, cl, strlen(cl), &row, &reason), SG_OK);
    size_t before = n_allocs;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(sg__row_parse(json, jl, strlen(jl), &row, &reason), SG_OK);
        expect_i64(row, "ts", INT64_C(1732500000123));
        assert_int_equal(sg__row_parse(csv, cl, strlen(cl), &row, &reason), SG_OK);
        expect_str(row, "lang", "hi", 2);
        /* Bad records do not allocate either. */
        assert_int_equal(sg__row_parse(json, "{\"a\":1} x", 9, &row, &reason), SG_EINVAL);
        assert_int_equal(sg__row_parse(csv, "1,2", 3, &row, &reason), SG_EINVAL);
    }
    assert_int_equal(n_allocs, before);
    sg__row_parser_free(json);
    sg__row_parser_free(csv);
}

static void test_parsers_report_enomem_and_recover(void **state)
{
    SG_UNUSED(state);
    sg__row_parser *p = NULL;
    const sg_row *row;
    const char *reason;
    fail_after = 0;
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &p), SG_ENOMEM);
    assert_null(p);
    fail_after = -1;
    assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &p), SG_OK);
    /* Fail each allocation a first parse makes in turn; the parser stays usable. */
    const char *line = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
                       "\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}";
    for (long k = 0; k < 4; k++) { /* the copy, 16 fields, 32 fields, then success */
        sg__row_parser_free(p);
        assert_int_equal(sg__row_parser_new(SG__ROW_JSONL, &p), SG_OK);
        fail_after = k;
        int rc = sg__row_parse(p, line, strlen(line), &row, &reason);
        fail_after = -1;
        assert_int_equal(rc, k < 3 ? SG_ENOMEM : SG_OK);
        assert_int_equal(sg__row_parse(p, line, strlen(line), &row, &reason), SG_OK);
        expect_i64(row, "q", 17);
    }
    sg__row_parser_free(p);

    sg__row_parser *csv;
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &csv), SG_OK);
    const char *names[] = {"x", "y"};
    fail_after = 0;
    assert_int_equal(sg__row_parser_set_header(csv, names, 2), SG_ENOMEM);
    fail_after = -1;
    assert_int_equal(sg__row_header(csv, &(const char *const *){NULL}, &(size_t){0}), SG_NOTFOUND);
    assert_int_equal(sg__row_parser_set_header(csv, names, 2), SG_OK);
    assert_int_equal(sg__row_parse(csv, "1,2", 3, &row, &reason), SG_OK);
    expect_i64(row, "y", 2);
    sg__row_parser_free(csv);
    sg__row_parser_free(NULL);
}

int main(void)
{
    sg_set_allocator(test_alloc, NULL);
#define JSON_TEST(t) cmocka_unit_test_setup_teardown(t, setup_json, teardown)
#define CSV_TEST(t) cmocka_unit_test_setup_teardown(t, setup_csv, teardown)
    const struct CMUnitTest tests[] = {
        JSON_TEST(test_json_reads_hindi_record),
        JSON_TEST(test_json_decodes_escapes),
        JSON_TEST(test_json_rejects_escaped_lone_surrogates),
        JSON_TEST(test_json_rejects_invalid_utf8_bytes),
        JSON_TEST(test_json_rejects_trailing_data),
        JSON_TEST(test_json_rejects_non_objects),
        JSON_TEST(test_json_skips_blank_lines),
        JSON_TEST(test_json_strips_one_trailing_cr),
        JSON_TEST(test_json_distinguishes_integers_from_reals),
        JSON_TEST(test_json_detects_int64_overflow),
        JSON_TEST(test_json_negative_zero_keeps_its_sign_as_a_double),
        JSON_TEST(test_json_rejects_bad_syntax),
        JSON_TEST(test_json_limits_nesting_depth),
        JSON_TEST(test_json_validates_nested_values),
        JSON_TEST(test_json_last_duplicate_key_wins),
        JSON_TEST(test_json_row_does_not_borrow_the_line),
        JSON_TEST(test_json_drops_bom_on_first_line_of_file),
        JSON_TEST(test_json_has_no_header),
        CSV_TEST(test_csv_reads_header_then_rows),
        CSV_TEST(test_csv_unquotes_fields),
        CSV_TEST(test_csv_rejects_bad_quoting),
        CSV_TEST(test_csv_rejects_wrong_field_count),
        CSV_TEST(test_csv_handles_crlf),
        CSV_TEST(test_csv_rejects_invalid_utf8),
        CSV_TEST(test_csv_get_i64_parses_digits_only),
        CSV_TEST(test_csv_get_f64_parses_the_whole_field),
        CSV_TEST(test_csv_get_bool_takes_true_and_false),
        CSV_TEST(test_csv_skips_empty_lines),
        CSV_TEST(test_csv_bad_header_line_rejects_the_file),
        CSV_TEST(test_csv_reset_reads_the_next_files_header),
        CSV_TEST(test_csv_explicit_header),
        CSV_TEST(test_csv_last_duplicate_column_wins),
        cmocka_unit_test(test_utf8_validator_matches_the_definition),
        cmocka_unit_test_teardown(test_parsers_do_not_allocate_in_steady_state, check_no_leaks),
        cmocka_unit_test_teardown(test_parsers_report_enomem_and_recover, check_no_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
