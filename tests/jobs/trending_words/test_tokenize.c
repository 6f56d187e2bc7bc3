/* test_tokenize.c — the trending_words tokenizer against its spec (jobs/trending_words/
 * tokenize.h): word runs, hashtags, NFC, removed joiners and selectors, lowercasing,
 * stopwords, errors; plus randomized comparisons with a reference tokenizer written
 * straight from the spec on top of utf8proc_NFC.
 *
 * The job's sources are built into the job's shared object, not into sangam_core, so this
 * test compiles the unit under test itself (as SQLite's test harness does).
 * Allocations go through cmocka's test allocator, so a leak fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <utf8proc.h>

#include <sangam/sangam.h>

#include "jobs/trending_words/tokenize.h"

/* ==== Fixtures and helpers ================================================ */

/* Stopword files written by the group setup, and the one the job ships. */
static char grammar_words_path[64]; /* a few words, in awkward spellings */
static char empty_words_path[64];   /* no words: pure grammar */
static char shipped_words_path[1024];

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

static int write_temp(char *path, size_t cap, const char *content, size_t len)
{
    snprintf(path, cap, "/tmp/tw_stopwords_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, content, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

/* The shipped list: $TW_STOPWORDS, else found from this file's path (CMake compiles with
 * absolute paths; a relative __FILE__ means the test runs from the source root). */
static void find_shipped_stopwords(void)
{
    const char *env = getenv("TW_STOPWORDS");
    const char *cut = strstr(__FILE__, "tests/unit/");
    if (env)
        snprintf(shipped_words_path, sizeof shipped_words_path, "%s", env);
    else
        snprintf(shipped_words_path, sizeof shipped_words_path,
                 "%.*sjobs/trending_words/stopwords.txt", cut ? (int)(cut - __FILE__) : 0,
                 __FILE__);
}

static int group_setup(void **state)
{
    /* Trailing spaces, CRLF, a blank line, upper case, a precomposed nukta letter
     * (U+095A, which NFC decomposes), a ZWJ and a hashtag: all must still match. */
    static const char grammar[] = "THE \r\n"
                                  "\n"
                                  "  है\t\n"
                                  "\xE0\xA5\x9A"
                                  "लत\n" /* U+095A + "लत", i.e. ग़लत */
                                  "ab\xE2\x80\x8D"
                                  "xy\n" /* ab ZWJ xy */
                                  "#spam\n"
                                  "hai";
    SG_UNUSED(state);
    find_shipped_stopwords();
    if (write_temp(grammar_words_path, sizeof grammar_words_path, grammar, sizeof grammar - 1) <
            0 ||
        write_temp(empty_words_path, sizeof empty_words_path, "", 0) < 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    SG_UNUSED(state);
    unlink(grammar_words_path);
    unlink(empty_words_path);
    return 0;
}

static tw_tokenizer *new_tokenizer(const char *path)
{
    tw_tokenizer *t = NULL;
    char err[256];
    int rc = tw_tokenizer_new(path, &t, err, sizeof err);
    if (rc != 0)
        fail_msg("tw_tokenizer_new(%s): %d %s", path, rc, err);
    return t;
}

/* Tokens joined with '|', which never occurs in a token. */
typedef struct collect {
    char buf[1 << 16];
    size_t len;
    int n;
    int stop_after; /* return -42 from this token on; 0: never */
} collect;

static void collect_add(collect *c, const char *tok, size_t len)
{
    assert_true(c->len + len + 2 < sizeof c->buf);
    if (c->n++ > 0)
        c->buf[c->len++] = '|';
    memcpy(c->buf + c->len, tok, len);
    c->len += len;
    c->buf[c->len] = '\0';
}

static int collect_fn(const char *tok, size_t len, void *ud)
{
    collect *c = ud;
    collect_add(c, tok, len);
    return c->stop_after && c->n >= c->stop_after ? -42 : 0;
}

static void collect_reset(collect *c)
{
    c->len = 0;
    c->n = 0;
    c->buf[0] = '\0';
}

static collect out; /* big; shared by the tests, which run one at a time */

static void check_tokens(tw_tokenizer *t, const char *text, const char *expected)
{
    collect_reset(&out);
    assert_int_equal(tw_tokenize(t, text, strlen(text), collect_fn, &out), 0);
    assert_string_equal(out.buf, expected);
}

/* ==== Word runs and hashtags ============================================== */

static void test_ascii_words_are_lowercased_in_order(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t, "Hello WORLD, IPL-Final: done.", "hello|world|ipl|final|done");
    check_tokens(t, "", "");
    check_tokens(t, "  ,,, !! ", "");
    tw_tokenizer_free(t);
}

static void test_every_occurrence_is_reported(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t, "chai Chai CHAI, chai!", "chai|chai|chai|chai");
    check_tokens(t, "चाय चाय", "चाय|चाय");
    tw_tokenizer_free(t);
}

/* A word tokenizes the same whatever else is in the post: the fast path and utf8proc
 * agree even on Hangul LV + U+11A7, which utf8proc 2.8 composes (the review found the
 * two paths disagreeing there). */
static void test_a_word_tokenizes_the_same_whatever_surrounds_it(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    collect_reset(&out);
    const char *alone = "\xea\xb0\xb8\xe1\x86\xa7 ab";
    assert_int_equal(tw_tokenize(t, alone, strlen(alone), collect_fn, &out), 0);
    static char first[sizeof(out.buf)];
    memcpy(first, out.buf, sizeof(first));
    collect_reset(&out);
    const char *mixed = "\xea\xb0\xb8\xe1\x86\xa7 ab e\xcc\x81t";
    assert_int_equal(tw_tokenize(t, mixed, strlen(mixed), collect_fn, &out), 0);
    assert_true(strncmp(out.buf, first, strlen(first)) == 0);
    tw_tokenizer_free(t);
}

static void test_single_code_point_tokens_are_dropped(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    /* "क" is one code point; "कि" is two (consonant + vowel sign). */
    check_tokens(t, "a #a I b ok #ok x1 7 क कि é", "ok|#ok|x1|कि");
    tw_tokenizer_free(t);
}

static void test_hashtag_keeps_only_the_hash_touching_the_run(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t, "#IPL ab#cd", "#ipl|ab|#cd");
    /* In "##x1" the first '#' precedes a '#', not a run, so it is not part of a token. */
    check_tokens(t, "##x1", "#x1");
    check_tokens(t, "# lone #_xy #2026 #मुंबई", "lone|xy|#2026|#मुंबई");
    /* Only U+0023 counts: the fullwidth number sign U+FF03 is a separator. */
    check_tokens(t, "\xEF\xBC\x83tag", "tag");
    tw_tokenizer_free(t);
}

static void test_digits_are_word_characters(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    /* Devanagari digits are Nd too; superscript two (No) is not a word character. */
    check_tokens(t, "ipl2026 2026 ७५ v2 x\xC2\xB2y", "ipl2026|2026|७५|v2");
    tw_tokenizer_free(t);
}

static void test_emoji_and_punctuation_separate_tokens(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t,
                 "fire\xF0\x9F\x94\xA5"
                 "fire \xF0\x9F\x99\x8Fthanks",
                 "fire|fire|thanks");
    check_tokens(t, "बारिश।मुंबई", "बारिश|मुंबई"); /* the danda U+0964 is punctuation */
    check_tokens(t, "snake_case co-op it's", "snake|case|co|op|it");
    tw_tokenizer_free(t);
}

/* ==== Unicode ============================================================= */

static void test_devanagari_words_stay_whole(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    /* Nukta (Mn), vowel signs (Mc, Mn), viramas (Mn) and anusvara (Mn) are inside words. */
    check_tokens(t,
                 "\u0915\u093C\u093F\u0924\u093E\u092C " /* क़िताब */
                 "\u0939\u093F\u0928\u094D\u0926\u0940 " /* हिन्दी */
                 "\u092A\u094D\u0930\u0927\u093E\u0928\u092E\u0902\u0924\u094D\u0930\u0940",
                 "\u0915\u093C\u093F\u0924\u093E\u092C|"
                 "\u0939\u093F\u0928\u094D\u0926\u0940|"
                 "\u092A\u094D\u0930\u0927\u093E\u0928\u092E\u0902\u0924\u094D\u0930\u0940");
    tw_tokenizer_free(t);
}

static void test_text_is_normalized_to_nfc(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    /* e + combining acute composes to U+00E9. */
    check_tokens(t, "cafe\u0301", "caf\u00E9");
    /* U+0958 is a composition exclusion: NFC is क + nukta, the same as the decomposed
     * input, so both spellings give one token. */
    check_tokens(t, "\u0958\u093F\u0924\u093E\u092C \u0915\u093C\u093F\u0924\u093E\u092C",
                 "\u0915\u093C\u093F\u0924\u093E\u092C|\u0915\u093C\u093F\u0924\u093E\u092C");
    /* न + nukta is not excluded: NFC composes it to U+0929, and U+0929 stays. */
    check_tokens(t, "\u0928\u093C\u093E \u0929\u093E", "\u0929\u093E|\u0929\u093E");
    /* Marks out of canonical order are reordered, then composed. */
    check_tokens(t, "a\u0307\u0323b a\u0323\u0307b", "\u1EA1\u0307b|\u1EA1\u0307b");
    /* A singleton decomposition: the angstrom sign becomes A with ring, then lowercase. */
    check_tokens(t, "\u212Bngstr\u00F6m", "\u00E5ngstr\u00F6m");
    tw_tokenizer_free(t);
}

static void test_joiners_are_removed_and_join_runs(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t, "ab\u200Dcd x\u200Cy", "abcd|xy");
    /* A half form (virama + ZWJ) and an explicit virama (virama + ZWNJ) are the same word
     * as the plain conjunct. */
    check_tokens(t, "\u0915\u094D\u200D\u0937 \u0915\u094D\u200C\u0937 \u0915\u094D\u0937",
                 "\u0915\u094D\u0937|\u0915\u094D\u0937|\u0915\u094D\u0937");
    /* Removal comes before the '#' rule, so the hash touches the run afterwards. */
    check_tokens(t, "#\u200Dtag", "#tag");
    /* A joiner alone between single letters makes a two-letter token. */
    check_tokens(t, "a\u200Db", "ab");
    tw_tokenizer_free(t);
}

static void test_variation_selectors_are_removed(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    check_tokens(t, "ab\uFE0Ecd love\uFE0F", "abcd|love");
    /* A heart with VS16 is still a separator (So), whatever the selector does. */
    check_tokens(t, "dil\u2764\uFE0Fmumbai", "dil|mumbai");
    tw_tokenizer_free(t);
}

static void test_lowercase_is_the_simple_mapping(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    /* Simple mappings, one code point each: no final sigma, U+0130 -> "i" (the full
     * mapping would add U+0307), U+1E9E -> U+00DF, titlecase U+01C5 -> U+01C6. */
    check_tokens(t, "\u03A3\u038A\u03A3\u03A5\u03A6\u039F\u03A3",
                 "\u03C3\u03AF\u03C3\u03C5\u03C6\u03BF\u03C3");
    check_tokens(t, "\u0130stanbul STRA\u1E9EE \u01C5ungla \u00C0\u00C9",
                 "istanbul|stra\u00DFe|\u01C6ungla|\u00E0\u00E9");
    tw_tokenizer_free(t);
}

/* classify() lowercases only Lu and Lt; this holds for the linked utf8proc. */
static void test_only_lu_and_lt_have_lowercase_mappings(void **state)
{
    SG_UNUSED(state);
    for (int32_t cp = 0; cp < 0x110000; cp++) {
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT)
            continue;
        if (cat >= UTF8PROC_CATEGORY_LL && cat <= UTF8PROC_CATEGORY_ND &&
            cat != UTF8PROC_CATEGORY_ME && utf8proc_tolower(cp) != cp)
            fail_msg("U+%04X (category %d) has a lowercase mapping", (unsigned)cp, (int)cat);
    }
}

/* ==== Stopwords =========================================================== */

static void test_stopwords_are_dropped_in_both_scripts(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(shipped_words_path);
    check_tokens(t, "The match है और was great, hai yaar! \u092F\u0939 \u091C\u0940\u0924",
                 "match|great|\u091C\u0940\u0924");
    /* The list has "the" but not "#the", so the hashtag stays. */
    check_tokens(t, "#the #The the", "#the|#the");
    tw_tokenizer_free(t);
}

static void test_stopword_file_is_trimmed_and_normalized(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(grammar_words_path);
    /* "THE \r" matches "the"; "  है\t" matches है; U+095A+लत matches the NFC ग़लत;
     * "ab<ZWJ>xy" matches abxy; "hai" on the last line without a newline still counts. */
    check_tokens(t, "the है \u0917\u093C\u0932\u0924 abxy hai kept", "kept");
    tw_tokenizer_free(t);
}

static void test_hashtag_stopwords_include_the_hash(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(grammar_words_path);
    /* The list has "#spam": the hashtag is dropped, the plain word is not; "the" is in
     * the list, "#the" is not. */
    check_tokens(t, "#spam spam #SPAM #the", "spam|#the");
    tw_tokenizer_free(t);
}

static void test_missing_stopwords_file_is_a_clear_error(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = (tw_tokenizer *)&out; /* must be overwritten with NULL */
    char err[256];
    int rc = tw_tokenizer_new("/nonexistent/stop.txt", &t, err, sizeof err);
    assert_int_equal(rc, SG_ENOENT);
    assert_null(t);
    assert_string_equal(err, "cannot open stopwords file /nonexistent/stop.txt: No such file or "
                             "directory");
}

static void test_invalid_utf8_is_rejected(void **state)
{
    SG_UNUSED(state);
    char path[64], err[256];
    tw_tokenizer *t = NULL;
    assert_int_equal(write_temp(path, sizeof path, "ok\nb\xFFy\n", 7), 0);
    assert_int_equal(tw_tokenizer_new(path, &t, err, sizeof err), SG_EINVAL);
    unlink(path);
    assert_null(t);
    assert_non_null(strstr(err, "line 2: not valid UTF-8"));

    t = new_tokenizer(empty_words_path);
    collect_reset(&out);
    /* A stray continuation byte, an overlong '/', and a surrogate: nothing is reported. */
    static const char *const bad[] = {"good \x80 word", "good \xC0\xAF", "good \xED\xA0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tw_tokenize(t, bad[i], strlen(bad[i]), collect_fn, &out), SG_EINVAL);
    assert_int_equal(out.n, 0);
    tw_tokenizer_free(t);
}

static void test_callback_error_stops_tokenizing(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    static const char *const texts[] = {"one two three four", "एक दो तीन चार"};
    for (size_t i = 0; i < 2; i++) {
        collect_reset(&out);
        out.stop_after = 2;
        assert_int_equal(tw_tokenize(t, texts[i], strlen(texts[i]), collect_fn, &out), -42);
        assert_int_equal(out.n, 2);
    }
    out.stop_after = 0;
    tw_tokenizer_free(t);
}

static void test_long_words_grow_the_buffers(void **state)
{
    SG_UNUSED(state);
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    enum { N = 20000 };
    char *text = test_malloc(3 * N + 2);
    for (int script = 0; script < 2; script++) {
        size_t len = 0;
        text[len++] = '#';
        for (int i = 0; i < N; i++) {
            if (script == 0)
                text[len++] = (char)('A' + i % 26);
            else
                len += (size_t)snprintf(text + len, 4, "%s", i % 2 ? "\u0915" : "\u093F");
        }
        collect_reset(&out);
        assert_int_equal(tw_tokenize(t, text, len, collect_fn, &out), 0);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.len, len);
        assert_int_equal(out.buf[1], script == 0 ? 'a' : text[1]);
    }
    test_free(text);
    tw_tokenizer_free(t);
}

/* ==== Randomized comparison with a reference ============================== */

/* The spec, literally: utf8proc_NFC, remove, find runs, lowercase, drop short runs. The
 * reference knows no stopwords, so it is compared with the empty list. */
static void ref_tokenize(const char *text, collect *c)
{
    utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)text);
    assert_non_null(nfc);
    size_t n = 0, len = strlen((const char *)nfc);
    int32_t *cps = malloc((len + 1) * sizeof *cps);
    assert_non_null(cps);
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(nfc + i, (utf8proc_ssize_t)(len - i), &cp);
        assert_true(k > 0);
        i += (size_t)k;
        if (!(cp == 0x200C || cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F)))
            cps[n++] = cp;
    }
    collect_reset(c);
    for (size_t i = 0; i < n;) {
        utf8proc_category_t cat = utf8proc_category(cps[i]);
        bool word = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_MC) ||
                    cat == UTF8PROC_CATEGORY_ND;
        if (!word) {
            i++;
            continue;
        }
        size_t start = i, blen = 0;
        utf8proc_uint8_t tok[4096];
        if (start > 0 && cps[start - 1] == '#')
            tok[blen++] = '#';
        for (; i < n; i++) {
            cat = utf8proc_category(cps[i]);
            if (!((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_MC) ||
                  cat == UTF8PROC_CATEGORY_ND))
                break;
            blen += (size_t)utf8proc_encode_char(utf8proc_tolower(cps[i]), tok + blen);
        }
        if (i - start >= 2)
            collect_add(c, (const char *)tok, blen);
    }
    free(cps);
    free(nfc);
}

static uint64_t rnd_state = 0x1234567;
static uint32_t rnd_below(uint32_t n)
{
    rnd_state = rnd_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)((rnd_state >> 33) % n);
}

static void compare_with_reference(const int32_t *pool, size_t npool, int rounds)
{
    static collect ref;
    tw_tokenizer *t = new_tokenizer(empty_words_path);
    for (int r = 0; r < rounds; r++) {
        char text[256];
        size_t len = 0, n = rnd_below(24);
        for (size_t i = 0; i < n; i++)
            len += (size_t)utf8proc_encode_char(pool[rnd_below((uint32_t)npool)],
                                                (utf8proc_uint8_t *)text + len);
        text[len] = '\0';
        ref_tokenize(text, &ref);
        collect_reset(&out);
        assert_int_equal(tw_tokenize(t, text, len, collect_fn, &out), 0);
        if (strcmp(out.buf, ref.buf) != 0)
            fail_msg("text \"%s\": got \"%s\", reference \"%s\"", text, out.buf, ref.buf);
    }
    tw_tokenizer_free(t);
}

static void test_ascii_text_matches_the_reference(void **state)
{
    static const int32_t pool[] = {'a', 'b', 'Z', 'q', '0', '9', '#', '#', ' ', '.', '_', '-'};
    SG_UNUSED(state);
    compare_with_reference(pool, sizeof pool / sizeof *pool, 20000);
}

/* Code points chosen to stress the quick check: composing pairs, reordering, exclusions,
 * singletons, non-starter decompositions, Hangul jamo, joiners, and code points beyond
 * the quick-check table. */
static void test_unicode_text_matches_the_reference(void **state)
{
    static const int32_t pool[] = {
        'a',    'E',     'i',     '#',     ' ',    '1',    0x00E9, 0x0301, 0x0323, 0x0307,
        0x00C5, 0x212B,  0x0130,  0x03A3,  0x01C5, 0x0915, 0x0916, 0x0921, 0x0928, 0x093C,
        0x094D, 0x093F,  0x0940,  0x0902,  0x0901, 0x0958, 0x095C, 0x0929, 0x0937, 0x0930,
        0x0964, 0x096B,  0x1100,  0x1161,  0x11A8, 0xAC00, 0xAC01, 0x200C, 0x200D, 0xFE0F,
        0xFE0E, 0x1F525, 0x2764,  0x0F73,  0x0344, 0x0F71, 0x0F72, 0x09C7, 0x09BE, 0x3099,
        0x304B, 0x1D15E, 0x2F800, 0x30000, 0xFF03, 0x00B2, 0x0345, 0x0399,
    };
    SG_UNUSED(state);
    compare_with_reference(pool, sizeof pool / sizeof *pool, 50000);
}

int main(void)
{
    sg_set_allocator(cmocka_alloc, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_words_are_lowercased_in_order),
        cmocka_unit_test(test_every_occurrence_is_reported),
        cmocka_unit_test(test_a_word_tokenizes_the_same_whatever_surrounds_it),
        cmocka_unit_test(test_single_code_point_tokens_are_dropped),
        cmocka_unit_test(test_hashtag_keeps_only_the_hash_touching_the_run),
        cmocka_unit_test(test_digits_are_word_characters),
        cmocka_unit_test(test_emoji_and_punctuation_separate_tokens),
        cmocka_unit_test(test_devanagari_words_stay_whole),
        cmocka_unit_test(test_text_is_normalized_to_nfc),
        cmocka_unit_test(test_joiners_are_removed_and_join_runs),
        cmocka_unit_test(test_variation_selectors_are_removed),
        cmocka_unit_test(test_lowercase_is_the_simple_mapping),
        cmocka_unit_test(test_only_lu_and_lt_have_lowercase_mappings),
        cmocka_unit_test(test_stopwords_are_dropped_in_both_scripts),
        cmocka_unit_test(test_stopword_file_is_trimmed_and_normalized),
        cmocka_unit_test(test_hashtag_stopwords_include_the_hash),
        cmocka_unit_test(test_missing_stopwords_file_is_a_clear_error),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_callback_error_stops_tokenizing),
        cmocka_unit_test(test_long_words_grow_the_buffers),
        cmocka_unit_test(test_ascii_text_matches_the_reference),
        cmocka_unit_test(test_unicode_text_matches_the_reference),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
