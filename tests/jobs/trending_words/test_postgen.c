/* test_postgen.c — the trending_words post generator (jobs/trending_words/postgen.h):
 * determinism in any call order, valid JSON lines with the four fields, bounded event
 * time and disorder, the mix of languages, hashtags and spellings, topics that surge and
 * fade, and the snprintf-style buffer contract.
 *
 * The job's sources are built into the job's shared object, not into sangam_core, so this
 * test compiles the units under test itself. Allocations go through cmocka's test
 * allocator, so a leak fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <sangam/sangam.h>

#include "jobs/trending_words/tokenize.h"
/* After tokenize.c: postgen.c's file-scope names must not shadow tokenize.c's locals. */
#include "jobs/trending_words/postgen.h"

#define START_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

static void *cmocka_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    SG_UNUSED(ud);
    SG_UNUSED(old_size);
    if (new_size == 0) {
        if (ptr)
            test_free(ptr);
        return NULL;
    }
    return test_realloc(ptr, new_size);
}

static tw_postgen *new_gen(uint64_t seed, int64_t rate, int64_t disorder)
{
    tw_postgen_config cfg = {seed, START_MS, rate, disorder};
    tw_postgen *g = NULL;
    assert_int_equal(tw_postgen_new(&cfg, &g), 0);
    assert_non_null(g);
    return g;
}

static char line_a[TW_POSTGEN_LINE_MAX], line_b[TW_POSTGEN_LINE_MAX];

/* Post seq as a NUL-terminated string in buf (TW_POSTGEN_LINE_MAX bytes). */
static size_t gen_line(const tw_postgen *g, uint64_t seq, char *buf)
{
    size_t len = tw_postgen_line(g, seq, buf, TW_POSTGEN_LINE_MAX);
    assert_true(len < TW_POSTGEN_LINE_MAX);
    assert_int_equal(buf[len], '\0');
    return len;
}

/* The text field of a line, parsed; NULL-safe to json_decref(*root). */
static const char *line_text(const char *line, size_t len, json_t **root)
{
    json_error_t err;
    *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!*root)
        fail_msg("invalid JSON (%s): %s", err.text, line);
    return json_string_value(json_object_get(*root, "text"));
}

/* ==== Determinism ========================================================= */

enum { N_ORDER = 400 };
static char lines_fwd[N_ORDER][TW_POSTGEN_LINE_MAX];

static void test_same_seq_gives_same_bytes_in_any_order(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g1 = new_gen(42, 1000, 3000), *g2 = new_gen(42, 1000, 3000);
    for (uint64_t seq = 0; seq < N_ORDER; seq++)
        gen_line(g1, seq, lines_fwd[seq]);
    /* Another generator, another order (backwards, then a stride), same bytes. */
    for (uint64_t k = 0; k < N_ORDER; k++) {
        uint64_t seq = k < N_ORDER / 2 ? N_ORDER - 1 - k : (k * 7) % N_ORDER;
        gen_line(g2, seq, line_a);
        assert_string_equal(line_a, lines_fwd[seq]);
    }
    /* The same generator again. */
    gen_line(g1, 17, line_a);
    assert_string_equal(line_a, lines_fwd[17]);
    tw_postgen_free(g1);
    tw_postgen_free(g2);
}

static void test_seeds_and_seqs_give_different_posts(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g1 = new_gen(1, 1000, 0), *g2 = new_gen(2, 1000, 0);
    int same = 0;
    for (uint64_t seq = 0; seq < 200; seq++) {
        gen_line(g1, seq, line_a);
        gen_line(g2, seq, line_b);
        same += strcmp(line_a, line_b) == 0;
        gen_line(g1, seq + 1, line_b);
        assert_string_not_equal(line_a, line_b);
    }
    assert_int_equal(same, 0);
    tw_postgen_free(g1);
    tw_postgen_free(g2);
}

/* ==== Format ============================================================== */

static void test_every_line_is_json_with_the_four_fields(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(7, 500, 2000);
    for (uint64_t seq = 0; seq < 20000; seq++) {
        size_t len = gen_line(g, seq, line_a);
        assert_null(memchr(line_a, '\n', len)); /* one line */
        json_t *root;
        const char *text = line_text(line_a, len, &root);
        assert_true(json_is_object(root));
        assert_int_equal(json_object_size(root), 4);
        json_t *ts = json_object_get(root, "ts"), *user = json_object_get(root, "user");
        json_t *jlang = json_object_get(root, "lang");
        assert_true(json_is_integer(ts));
        assert_int_equal(json_integer_value(ts), tw_postgen_ts(g, seq));
        assert_true(json_is_string(user));
        const char *u = json_string_value(user);
        assert_true(u[0] == 'u' && u[1] >= '1' && u[1] <= '9');
        assert_int_equal(strspn(u + 1, "0123456789"), strlen(u + 1));
        assert_true(json_is_string(jlang));
        const char *l = json_string_value(jlang);
        assert_true(strcmp(l, "en") == 0 || strcmp(l, "hi") == 0 || strcmp(l, "hinglish") == 0);
        assert_non_null(text);
        assert_true(strlen(text) > 0);
        json_decref(root);
    }
    tw_postgen_free(g);
}

static void test_lines_fit_the_line_max(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(99, 1000, 1000);
    size_t longest = 0;
    for (uint64_t seq = 0; seq < 300000; seq++) {
        size_t len = tw_postgen_line(g, seq, line_a, sizeof line_a);
        if (len > longest)
            longest = len;
    }
    /* The bound is by construction (about 2 KB); leave a margin so a change that eats
     * into it shows up here first. */
    assert_true(longest < TW_POSTGEN_LINE_MAX / 2);
    tw_postgen_free(g);
}

static void test_small_buffer_reports_the_needed_length(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(5, 1000, 0);
    size_t full = gen_line(g, 3, line_a);
    char small[16];
    memset(line_b, 'x', sizeof line_b);
    assert_int_equal(tw_postgen_line(g, 3, small, sizeof small), full);
    assert_int_equal(tw_postgen_line(g, 3, NULL, 0), full);
    /* Exactly 'full' bytes: the line is complete, with no room for a NUL. */
    assert_int_equal(tw_postgen_line(g, 3, line_b, full), full);
    assert_memory_equal(line_b, line_a, full);
    assert_int_equal(line_b[full], 'x');
    tw_postgen_free(g);
}

static void test_invalid_config_is_rejected(void **state)
{
    SG_UNUSED(state);
    static const tw_postgen_config bad[] = {
        {1, START_MS, 0, 0},
        {1, START_MS, -5, 0},
        {1, START_MS, INT64_C(2000000000), 0},
        {1, START_MS, 100, -1},
        {1, START_MS, 100, INT64_C(2000000000)},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tw_postgen *g = (tw_postgen *)line_a; /* must be overwritten with NULL */
        assert_int_equal(tw_postgen_new(&bad[i], &g), SG_EINVAL);
        assert_null(g);
    }
}

/* ==== Event time ========================================================== */

static void test_ts_follows_the_rate_with_bounded_disorder(void **state)
{
    SG_UNUSED(state);
    const int64_t rate = 250, disorder = 3000;
    tw_postgen *g = new_gen(11, rate, disorder);
    int64_t max_seen = INT64_MIN, worst = 0;
    int late = 0;
    for (uint64_t seq = 0; seq < 100000; seq++) {
        int64_t base = START_MS + (int64_t)seq * 1000 / rate, ts = tw_postgen_ts(g, seq);
        assert_true(ts <= base && ts >= base - disorder);
        late += ts < base;
        if (ts > max_seen)
            max_seen = ts;
        if (max_seen - ts > worst)
            worst = max_seen - ts;
    }
    /* About half the posts are late, and the disorder seen stays within the bound. */
    assert_true(late > 40000 && late < 60000);
    assert_true(worst <= disorder && worst > disorder * 9 / 10);
    tw_postgen_free(g);
}

static void test_no_disorder_gives_ordered_ts_and_large_seqs_do_not_overflow(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(3, 7, 0);
    int64_t prev = INT64_MIN;
    for (uint64_t seq = 0; seq < 1000; seq++) {
        int64_t ts = tw_postgen_ts(g, seq);
        assert_int_equal(ts, START_MS + (int64_t)seq * 1000 / 7);
        assert_true(ts >= prev);
        prev = ts;
    }
    /* seq * 1000 overflows 64 bits here though the result fits; the expected value is
     * START_MS + floor((3e16 + 5) * 1000 / 7), computed with big integers. */
    assert_int_equal(tw_postgen_ts(g, UINT64_C(30000000000000005)),
                     START_MS + INT64_C(4285714285714286428));
    tw_postgen_free(g);
}

/* ==== Content ============================================================= */

static bool has_devanagari(const char *s)
{
    for (; s[0] && s[1]; s++) /* U+0900..U+097F is E0 A4 xx or E0 A5 xx */
        if ((unsigned char)s[0] == 0xE0 && ((unsigned char)s[1] & 0xFE) == 0xA4)
            return true;
    return false;
}

static void test_posts_mix_languages_hashtags_and_spellings(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(2026, 1000, 0);
    int n = 5000, en = 0, hi = 0, hinglish = 0, devanagari = 0, tags = 0, emojis = 0;
    int precomposed_nukta = 0, joiners = 0, selectors = 0, quotes = 0, breaks = 0;
    for (int seq = 0; seq < n; seq++) {
        size_t len = gen_line(g, (uint64_t)seq, line_a);
        json_t *root;
        const char *text = line_text(line_a, len, &root);
        const char *l = json_string_value(json_object_get(root, "lang"));
        en += strcmp(l, "en") == 0;
        hi += strcmp(l, "hi") == 0;
        hinglish += strcmp(l, "hinglish") == 0;
        devanagari += has_devanagari(text);
        tags += strchr(text, '#') != NULL;
        emojis += strstr(text, "\xF0\x9F") != NULL;
        precomposed_nukta += strstr(text, "\xE0\xA5\x98") || strstr(text, "\xE0\xA5\x99") ||
                             strstr(text, "\xE0\xA5\x9B") || strstr(text, "\xE0\xA5\x9C") ||
                             strstr(text, "\xE0\xA5\x9E");
        joiners += strstr(text, "\xE2\x80\x8C") || strstr(text, "\xE2\x80\x8D");
        selectors += strstr(text, "\xEF\xB8\x8F") != NULL;
        quotes += strchr(text, '"') != NULL;
        breaks += strchr(text, '\n') != NULL;
        json_decref(root);
    }
    /* 40% en, 30% hi, 30% hinglish, give or take sampling noise. */
    assert_true(en > n * 35 / 100 && en < n * 45 / 100);
    assert_true(hi > n * 25 / 100 && hi < n * 35 / 100);
    assert_true(hinglish > n * 25 / 100 && hinglish < n * 35 / 100);
    /* Hindi posts, and topic words in any post, are in Devanagari. */
    assert_true(devanagari > hi);
    assert_true(tags > n * 40 / 100);
    assert_true(emojis > n * 10 / 100);
    /* The rarer spellings the tokenizer must fold, and the characters JSON must escape. */
    assert_true(precomposed_nukta > 10 && joiners > 10 && selectors > 10);
    assert_true(quotes > 10 && breaks > 10);
    tw_postgen_free(g);
}

typedef struct token_check {
    int tokens;
    int devanagari;
    int odd; /* tokens holding code points the tokenizer must have folded or removed */
} token_check;

static int check_token(const char *tok, size_t len, void *ud)
{
    token_check *c = ud;
    char buf[256];
    assert_true(len < sizeof buf);
    memcpy(buf, tok, len);
    buf[len] = '\0';
    c->tokens++;
    c->devanagari += has_devanagari(buf);
    c->odd +=
        strstr(buf, "\xE2\x80\x8C") || strstr(buf, "\xE2\x80\x8D") || strstr(buf, "\xEF\xB8\x8F") ||
        (strstr(buf, "\xE0\xA5") && (strstr(buf, "\xE0\xA5\x98") || strstr(buf, "\xE0\xA5\x9B") ||
                                     strstr(buf, "\xE0\xA5\x9C")));
    return 0;
}

static void test_variant_spellings_tokenize_like_the_plain_words(void **state)
{
    SG_UNUSED(state);
    tw_postgen *g = new_gen(77, 1000, 0);
    tw_tokenizer *t = NULL;
    char err[256];
    assert_int_equal(tw_tokenizer_new("/dev/null", &t, err, sizeof err), 0);
    token_check c = {0, 0, 0};
    for (uint64_t seq = 0; seq < 5000; seq++) {
        size_t len = gen_line(g, seq, line_a);
        json_t *root;
        const char *text = line_text(line_a, len, &root);
        assert_int_equal(tw_tokenize(t, text, strlen(text), check_token, &c), 0);
        json_decref(root);
    }
    assert_true(c.tokens > 5000 * 5);
    assert_true(c.devanagari > 5000);
    assert_int_equal(c.odd, 0);
    tw_tokenizer_free(t);
    tw_postgen_free(g);
}

/* #BreakingNews belongs to the fastest topic only (a 1-minute window every 5 minutes), so
 * over 20 minutes of event time it must come in bursts: many per 30 s at the top of a
 * window, none between windows. */
static void test_topics_surge_and_fade(void **state)
{
    SG_UNUSED(state);
    enum { RATE = 100, BUCKET_S = 30, BUCKETS = 40 };
    tw_postgen *g = new_gen(8, RATE, 0);
    int count[BUCKETS] = {0};
    for (uint64_t seq = 0; seq < (uint64_t)RATE * BUCKET_S * BUCKETS; seq++) {
        gen_line(g, seq, line_a);
        if (strstr(line_a, "#BreakingNews"))
            count[seq / (RATE * BUCKET_S)]++;
    }
    int zero = 0, peak = 0;
    for (int b = 0; b < BUCKETS; b++) {
        zero += count[b] == 0;
        if (count[b] > peak)
            peak = count[b];
    }
    assert_true(zero >= BUCKETS * 6 / 10); /* quiet 4 minutes out of 5 */
    assert_true(peak >= 100);              /* ~3000 posts per bucket, ~6% at the top */
    tw_postgen_free(g);
}

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seq_gives_same_bytes_in_any_order),
        cmocka_unit_test(test_seeds_and_seqs_give_different_posts),
        cmocka_unit_test(test_every_line_is_json_with_the_four_fields),
        cmocka_unit_test(test_lines_fit_the_line_max),
        cmocka_unit_test(test_small_buffer_reports_the_needed_length),
        cmocka_unit_test(test_invalid_config_is_rejected),
        cmocka_unit_test(test_ts_follows_the_rate_with_bounded_disorder),
        cmocka_unit_test(test_no_disorder_gives_ordered_ts_and_large_seqs_do_not_overflow),
        cmocka_unit_test(test_posts_mix_languages_hashtags_and_spellings),
        cmocka_unit_test(test_variant_spellings_tokenize_like_the_plain_words),
        cmocka_unit_test(test_topics_surge_and_fade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
