/* test_line.c — the CSV line builder: separators, RFC 4180 quoting, integer and double
 * formatting, reuse after reset, out-of-memory behaviour, and lines reading back
 * through the CSV row parser. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/sangam.h>

#include "engine/line.h"
#include "engine/row.h"

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

static sg_line line_fixture;

static int setup(void **state)
{
    sg__line_init(&line_fixture);
    *state = &line_fixture;
    return 0;
}

static int teardown(void **state)
{
    sg__line_free(*state);
    fail_after = -1;
    assert_int_equal(live_blocks, 0); /* the line and any parser were freed */
    return 0;
}

/* Finishes l, checks it against want (NUL-terminated), and resets it. */
static void expect_line(sg_line *l, const char *want)
{
    sg_bytes b = {0};
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("got <%.*s>, want <%s>", (int)b.len, (const char *)b.data, want);
    sg__line_reset(l);
}

static void test_line_separates_fields_with_commas(void **state)
{
    sg_line *l = *state;
    assert_int_equal(sg_line_add_cstr(l, "trending"), SG_OK);
    assert_int_equal(sg_line_add_i64(l, 42), SG_OK);
    assert_int_equal(sg_line_add_u64(l, 7), SG_OK);
    assert_int_equal(sg_line_add_f64(l, 0.5, 2), SG_OK);
    assert_int_equal(sg_line_add_str(l, "abc", 2), SG_OK);
    assert_int_equal(l->nfields, 5);
    expect_line(l, "trending,42,7,0.50,ab\n");
}

static void test_line_quotes_only_when_needed(void **state)
{
    sg_line *l = *state;
    assert_int_equal(sg_line_add_cstr(l, "#दिल्ली"), SG_OK); /* UTF-8 needs no quotes */
    assert_int_equal(sg_line_add_cstr(l, "a,b"), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "he said \"hi\""), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "two\nlines"), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "cr\r"), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "\""), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "semi;colon 'single' tab\t"), SG_OK);
    expect_line(l, "#दिल्ली,\"a,b\",\"he said \"\"hi\"\"\",\"two\nlines\",\"cr\r\",\"\"\"\","
                   "semi;colon 'single' tab\t\n");
    /* Bytes are taken as given, NUL included. */
    assert_int_equal(sg_line_add_str(l, "a\0b", 3), SG_OK);
    sg_bytes b;
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "a\0b\n", 4);
}

static void test_line_empty_fields(void **state)
{
    sg_line *l = *state;
    expect_line(l, "\n"); /* no fields */
    assert_int_equal(sg_line_add_cstr(l, ""), SG_OK);
    expect_line(l, "\"\"\n"); /* a lone empty field must not look like a blank line */
    assert_int_equal(sg_line_add_cstr(l, ""), SG_OK);
    assert_int_equal(sg_line_add_str(l, NULL, 0), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, "x"), SG_OK);
    expect_line(l, ",,x\n");
    assert_int_equal(sg_line_add_cstr(l, "x"), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, ""), SG_OK);
    expect_line(l, "x,\n");
}

static void test_line_formats_integer_extremes(void **state)
{
    sg_line *l = *state;
    assert_int_equal(sg_line_add_i64(l, INT64_MIN), SG_OK);
    assert_int_equal(sg_line_add_i64(l, INT64_MAX), SG_OK);
    assert_int_equal(sg_line_add_u64(l, UINT64_MAX), SG_OK);
    assert_int_equal(sg_line_add_i64(l, 0), SG_OK);
    assert_int_equal(sg_line_add_u64(l, 0), SG_OK);
    assert_int_equal(sg_line_add_i64(l, -1), SG_OK);
    expect_line(l, "-9223372036854775808,9223372036854775807,18446744073709551615,0,0,-1\n");
}

/* Every power of ten and its neighbours, and a pseudo-random sweep, against printf. */
static void test_line_integers_match_printf(void **state)
{
    sg_line *l = *state;
    char want[64];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 2000; i++) {
        uint64_t u;
        if (i < 60) {
            uint64_t p = 1;
            for (int k = 0; k < i / 3; k++)
                p *= 10;
            u = p + (uint64_t)(i % 3) - 1; /* 10^k - 1, 10^k, 10^k + 1 */
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            u = x >> (x % 64);
        }
        int64_t s = (int64_t)u;
        assert_int_equal(sg_line_add_u64(l, u), SG_OK);
        assert_int_equal(sg_line_add_i64(l, s), SG_OK);
        assert_int_equal(sg_line_add_i64(l, -(int64_t)(u >> 1)), SG_OK);
        snprintf(want, sizeof(want), "%" PRIu64 ",%" PRId64 ",%" PRId64 "\n", u, s,
                 -(int64_t)(u >> 1));
        expect_line(l, want);
    }
}

static void test_line_formats_f64_with_decimals(void **state)
{
    sg_line *l = *state;
    assert_int_equal(sg_line_add_f64(l, 3.14159, 2), SG_OK);
    assert_int_equal(sg_line_add_f64(l, 3.14159, 0), SG_OK);
    assert_int_equal(sg_line_add_f64(l, -0.25, 1), SG_OK); /* ties round to even */
    assert_int_equal(sg_line_add_f64(l, 2.0, 3), SG_OK);
    assert_int_equal(sg_line_add_f64(l, 1e20, 1), SG_OK);
    assert_int_equal(sg_line_add_f64(l, 0.1, -3), SG_OK); /* negative means 0 */
    assert_int_equal(sg_line_add_f64(l, 1234.5678, 4), SG_OK);
    expect_line(l, "3.14,3,-0.2,2.000,100000000000000000000.0,0,1234.5678\n");
    /* The widest double with the most decimals fits. */
    assert_int_equal(sg_line_add_f64(l, -1.7976931348623157e308, 99), SG_OK);
    sg_bytes b;
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    assert_int_equal(b.len, 1 + 309 + 1 + 30 + 1);
    assert_memory_equal(b.data, "-17976931348623157", 18);
    assert_memory_equal((const char *)b.data + b.len - 4, "000\n", 4);
}

/* The hand-written fast path must give printf's digits exactly, ties included. */
static void test_line_f64_matches_printf(void **state)
{
    sg_line *l = *state;
    /* A table reads better packed. */
    /* clang-format off */
    static const double special[] = {
        0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1.005, 2.675, -0.001, 0.045, 1e-10,
        0.049999999999999996, 1099511627775.5, 1099511627776.0, -1099511627777.25, 1e15,
        123456.789, 9.9999999999, 0.95, 0.05, 4.35, 1e300, 5e-324, 3.0000000000000004,
        1732500000.123, 1732500000.1235, 4503599627370495.5, 4503599627370496.0,
        450359962737.04955, 0.1 + 0.2, 1e-5, 0.000015, 2251799813685247.75,
    };
    /* clang-format on */
    char want[400], line[400];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 100000; i++) {
        double v;
        int decimals = i % 18;
        if (i < (int)(sizeof(special) / sizeof(special[0])) * 18) {
            v = special[i / 18];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Mostly values near the boundaries of the fast path, some ties. */
            int scale = (int)(x % 16) - 4;
            v = (double)(int64_t)(x >> 20) / (double)(1ull << 44) * 1e1;
            for (int k = 0; k < scale; k++)
                v *= 10;
            if (x % 7 == 0)
                v = (double)(int64_t)(x >> 40) / 8.0; /* exact eighths: ties at 2 decimals */
            if (x % 11 == 0)
                v = 1732500000.0 + (double)(x % 1000000) / 1e6; /* epoch seconds */
        }
        assert_int_equal(sg_line_add_f64(l, v, decimals), SG_OK);
        snprintf(want, sizeof(want), "%.*f\n", decimals, v);
        sg_bytes b;
        assert_int_equal(sg__line_finish(l, &b), SG_OK);
        snprintf(line, sizeof(line), "%.*s", (int)b.len, (const char *)b.data);
        if (strcmp(line, want) != 0)
            fail_msg("%.17g with %d decimals: got %s want %s", v, decimals, line, want);
        sg__line_reset(l);
    }
}

static void test_line_reuses_its_buffer_after_reset(void **state)
{
    sg_line *l = *state;
    assert_int_equal(sg_line_add_cstr(l, "a somewhat longer first line, with a comma"), SG_OK);
    assert_int_equal(sg_line_add_i64(l, -12345), SG_OK);
    expect_line(l, "\"a somewhat longer first line, with a comma\",-12345\n");
    assert_int_equal(l->len, 0);
    assert_int_equal(l->nfields, 0);
    size_t before = n_allocs;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(sg_line_add_cstr(l, "word"), SG_OK);
        assert_int_equal(sg_line_add_i64(l, i), SG_OK);
        char want[32];
        snprintf(want, sizeof(want), "word,%d\n", i);
        expect_line(l, want); /* no leading comma: reset clears the field count */
    }
    assert_int_equal(n_allocs, before);
}

static void test_line_grows_for_long_fields(void **state)
{
    sg_line *l = *state;
    static char big[10000];
    memset(big, 'q', sizeof(big));
    big[5000] = '"';
    assert_int_equal(sg_line_add_str(l, big, sizeof(big)), SG_OK);
    assert_int_equal(sg_line_add_str(l, big, 10), SG_OK);
    sg_bytes b;
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    assert_int_equal(b.len, 1 + 10000 + 1 + 1 + 1 + 10 + 1); /* "..."",...",q*10 \n */
    const char *s = b.data;
    assert_int_equal(s[0], '"');
    assert_memory_equal(s + 5001, "\"\"", 2);
    assert_memory_equal(s + b.len - 13, "\",qqqqqqqqqq\n", 13);
}

static void test_line_out_of_memory_leaves_line_unchanged(void **state)
{
    sg_line *l = *state;
    fail_after = 0;
    assert_int_equal(sg_line_add_cstr(l, "x"), SG_ENOMEM);
    assert_int_equal(sg_line_add_i64(l, 1), SG_ENOMEM);
    assert_int_equal(sg_line_add_f64(l, 1.0, 1), SG_ENOMEM);
    sg_bytes b;
    assert_int_equal(sg__line_finish(l, &b), SG_ENOMEM);
    fail_after = -1;
    assert_int_equal(l->nfields, 0);
    assert_int_equal(l->len, 0);
    assert_int_equal(sg_line_add_cstr(l, "a"), SG_OK);
    /* A failed growth in the middle of a line keeps the fields before it. */
    static char big[4096];
    memset(big, 'z', sizeof(big));
    fail_after = 0;
    assert_int_equal(sg_line_add_str(l, big, sizeof(big)), SG_ENOMEM);
    fail_after = -1;
    assert_int_equal(sg_line_add_cstr(l, "b"), SG_OK);
    expect_line(l, "a,b\n");
}

/* What the builder writes, the CSV parser reads back unchanged. */
static void test_line_reads_back_through_the_csv_parser(void **state)
{
    sg_line *l = *state;
    static const char *const values[] = {
        "plain", "a,b", "he said \"hi\"", "\"", "", "आज #दिल्ली में बारिश", "end\"", "x\ry",
    };
    enum { N = sizeof(values) / sizeof(values[0]) };
    sg__row_parser *p;
    const sg_row *row;
    const char *reason;
    char names[N][4];
    const char *name_ptrs[N + 1];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "c%zu", i);
        name_ptrs[i] = names[i];
    }
    name_ptrs[N] = "n";
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &p), SG_OK);
    assert_int_equal(sg__row_parser_set_header(p, name_ptrs, N + 1), SG_OK);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(sg_line_add_cstr(l, values[i]), SG_OK);
    assert_int_equal(sg_line_add_i64(l, INT64_MIN), SG_OK);
    sg_bytes b;
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    /* Without the '\n', as a line reader hands it over. */
    assert_int_equal(sg__row_parse(p, b.data, b.len - 1, &row, &reason), SG_OK);
    for (size_t i = 0; i < N; i++) {
        sg_bytes got;
        assert_int_equal(sg_row_get_str(row, names[i], &got), SG_OK);
        assert_int_equal(got.len, strlen(values[i]));
        assert_memory_equal(got.data, values[i], got.len);
    }
    int64_t v;
    assert_int_equal(sg_row_get_i64(row, "n", &v), SG_OK);
    assert_true(v == INT64_MIN);
    sg__row_parser_free(p);

    /* A one-column file with an empty value round-trips too. */
    sg__line_reset(l);
    assert_int_equal(sg__row_parser_new(SG__ROW_CSV, &p), SG_OK);
    assert_int_equal(sg__row_parser_set_header(p, (const char *const[]){"only"}, 1), SG_OK);
    assert_int_equal(sg_line_add_cstr(l, ""), SG_OK);
    assert_int_equal(sg__line_finish(l, &b), SG_OK);
    assert_int_equal(sg__row_parse(p, b.data, b.len - 1, &row, &reason), SG_OK);
    sg_bytes got;
    assert_int_equal(sg_row_get_str(row, "only", &got), SG_OK);
    assert_int_equal(got.len, 0);
    sg__row_parser_free(p);
}

int main(void)
{
    sg_set_allocator(test_alloc, NULL);
#define LINE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        LINE_TEST(test_line_separates_fields_with_commas),
        LINE_TEST(test_line_quotes_only_when_needed),
        LINE_TEST(test_line_empty_fields),
        LINE_TEST(test_line_formats_integer_extremes),
        LINE_TEST(test_line_integers_match_printf),
        LINE_TEST(test_line_formats_f64_with_decimals),
        LINE_TEST(test_line_f64_matches_printf),
        LINE_TEST(test_line_reuses_its_buffer_after_reset),
        LINE_TEST(test_line_grows_for_long_fields),
        LINE_TEST(test_line_out_of_memory_leaves_line_unchanged),
        LINE_TEST(test_line_reads_back_through_the_csv_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
