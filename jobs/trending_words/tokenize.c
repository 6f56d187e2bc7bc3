/* tokenize.c — the trending_words tokenizer (rules in tokenize.h) and its stopword set.
 *
 * The key idea is to do as little Unicode work as the text needs, with no allocation per
 * post once the buffers have grown. Text takes one of three paths:
 *   - ASCII: pure-ASCII text (most English and Hinglish posts) is already NFC and has
 *     nothing to remove, so it is tokenized straight from its bytes;
 *   - fast: other text goes through one pass that runs an NFC quick check while it
 *     decodes, classifies (from a table for the common scripts) and cuts tokens; text that
 *     passes (almost all Devanagari) needed no normalization;
 *   - slow: text that fails the check is normalized by utf8proc into a reused code point
 *     buffer (no utf8proc_map allocation), then tokenized from there.
 * test_tokenize checks all three against a reference built on utf8proc_NFC.
 */
#include "tokenize.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include <sangam/sangam.h>

/* Classified code points (hot_entry.out, the slow path's buffer): the lowercased code
 * point in 21 bits, and bit 30 set for a word character (category L*, Mn, Mc or Nd). */
#define CP_MASK 0x1FFFFF
#define CP_WORD (INT32_C(1) << 30)

/* The NFC quick-check table covers [0, QC_LIMIT). Every code point with a canonical
 * decomposition or a composition lies below U+30000; anything above is sent to the slow
 * path, which stays correct if a future Unicode version adds some there. */
#define QC_LIMIT 0x30000

#define NFC_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPOSE)

/* What the fast path needs to know about a code point; a table holds it for every code
 * point below HOT_LIMIT, so Latin, Greek, Cyrillic, Devanagari and the other Indic scripts
 * never call into utf8proc on the hot path. */
#define HOT_LIMIT 0x1000
#define QC_NO 1      /* in qc_no */
#define QC_MAYBE 2   /* in qc_maybe */
#define QC_FIRST 4   /* in qc_first */
#define QC_REMOVED 8 /* removed by rule 1 */
typedef struct hot_entry {
    int32_t out; /* the code point lowercased, | CP_WORD for a word character */
    uint8_t ccc; /* canonical combining class */
    uint8_t qc;  /* QC_* flags */
} hot_entry;

typedef struct sw_slot {
    uint64_t head[2]; /* the first 16 bytes of the word, zero-padded (sw_head) */
    uint32_t len;     /* 0: empty slot */
    uint32_t off;     /* the whole word: words + off */
} sw_slot;

struct tw_tokenizer {
    /* Stopwords: an open-addressing set (linear probing, power-of-two size, at most half
     * full) over words stored back to back in one buffer. */
    sw_slot *slots;
    size_t nslots;
    size_t nwords;
    char *words;
    size_t words_len;
    size_t words_cap;
    size_t sw_min_len; /* byte lengths of the shortest and longest stopword, */
    size_t sw_max_len; /* so most tokens skip the hash */
    /* NFC quick-check bit sets over [0, QC_LIMIT), in one allocation (see below). */
    uint8_t *qc_no;
    uint8_t *qc_maybe;
    uint8_t *qc_first;
    /* The fast path's facts about each code point below HOT_LIMIT (see hot_entry). */
    hot_entry *hot;
    /* Reused buffers: the tokens being built, the ends of the fast path's tokens in tok,
     * and the slow path's code points. */
    char *tok;
    size_t tok_cap;
    size_t *ends;
    size_t ends_cap;
    int32_t *cps;
    size_t cps_cap;
};

/* ==== Character classes =================================================== */

/* ASCII word characters are [0-9A-Za-z]; every other ASCII character separates. */
static bool ascii_is_word(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 || (unsigned char)(c - '0') < 10;
}

static unsigned char ascii_lower(unsigned char c)
{
    return (unsigned char)(c - 'A') < 26 ? (unsigned char)(c | 0x20) : c;
}

/* Rule 1: these change how a word renders, not which word it is. */
static bool is_removed(int32_t cp)
{
    return cp == 0x200C || cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F);
}

/* Rules 2 and 3 for one code point at or above 0x80: the lowercased code point, with
 * CP_WORD set when it is a word character. Only Lu and Lt have simple lowercase mappings
 * among the word categories (test_tokenize checks this over all of Unicode), so Devanagari
 * (Lo, Mn, Mc, Nd) never pays for a second table lookup. */
static int32_t classify(int32_t cp, const utf8proc_property_t *p)
{
    switch (p->category) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        return utf8proc_tolower(cp) | CP_WORD;
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
        return cp | CP_WORD;
    default:
        return cp;
    }
}

static int32_t classify_ascii(unsigned char c)
{
    return ascii_is_word(c) ? (int32_t)ascii_lower(c) | CP_WORD : (int32_t)c;
}

/* ==== NFC quick check ======================================================
 * UAX #15's quick check, with the tables computed from utf8proc itself so that it always
 * agrees with the normalizer. Three bit sets over [0, QC_LIMIT):
 *   qc_no     code points NFC replaces: their canonical decomposition does not compose
 *             back to them (the nukta letters U+0958..U+095F, singletons like U+212B);
 *   qc_maybe  code points that may compose with the starter before them (the nukta
 *             U+093C, combining accents, Hangul vowels): a superset, every code point that
 *             follows the first one in some canonical decomposition;
 *   qc_first  starters that compose with some qc_maybe code point (न, र, ळ, Latin vowels),
 *             and every composite: NFC decomposes it first, so a mark after it can reorder
 *             into it and compose with its base (é + U+0323 gives ẹ + U+0301).
 * Text is NFC as it is when no code point is in qc_no, combining classes never decrease
 * between starters, and no qc_maybe code point follows a qc_first starter. The last rule
 * is finer than UAX #15's "Maybe means check": it keeps common Devanagari such as ख़ुशी
 * (ख + nukta, which does not compose) on the fast path. It is sound because NFC composes a
 * mark only with the last starter, which, when it is not a composite, is unchanged while
 * nothing composes with it. test_tokenize compares both paths with utf8proc_NFC. */

static void bit_set(uint8_t *bits, int32_t cp)
{
    if (cp >= 0 && cp < QC_LIMIT)
        bits[cp >> 3] |= (uint8_t)(1u << (cp & 7));
}

static bool bit_get(const uint8_t *bits, int32_t cp)
{
    return (bits[cp >> 3] >> (cp & 7)) & 1;
}

/* cp, whose full canonical decomposition d[0..n-1] composes back to cp, is a primary
 * composite: find the starter X it composes from (X + d[n-1] -> cp) and mark it. When
 * the pair is not of that shape, mark the marks qc_no instead, which is always safe. */
static void qc_note_composite(tw_tokenizer *t, int32_t cp, const utf8proc_int32_t *d,
                              utf8proc_ssize_t n)
{
    utf8proc_int32_t e[8];
    memcpy(e, d, (size_t)(n - 1) * sizeof *e);
    if (utf8proc_normalize_utf32(e, n - 1, NFC_OPTIONS) == 1) {
        e[1] = d[n - 1];
        int32_t x = e[0];
        if (utf8proc_normalize_utf32(e, 2, NFC_OPTIONS) == 1 && e[0] == cp) {
            bit_set(t->qc_first, x);
            return;
        }
    }
    for (utf8proc_ssize_t i = 1; i < n; i++)
        bit_set(t->qc_no, d[i]);
}

/* A few milliseconds, once per tokenizer. */
static void build_qc_tables(tw_tokenizer *t)
{
    for (int32_t cp = 0x80; cp < QC_LIMIT; cp++) {
        utf8proc_int32_t d[8], e[8];
        int boundclass = 0;
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, &boundclass);
        if (n == 1 && d[0] == cp)
            continue;
        if (n < 2 || n > 8) {
            bit_set(t->qc_no, cp);
            continue;
        }
        for (utf8proc_ssize_t i = 1; i < n; i++)
            bit_set(t->qc_maybe, d[i]);
        memcpy(e, d, (size_t)n * sizeof *e);
        if (utf8proc_normalize_utf32(e, n, NFC_OPTIONS) == 1 && e[0] == cp) {
            bit_set(t->qc_first, cp);
            qc_note_composite(t, cp, d, n);
        } else {
            bit_set(t->qc_no, cp);
        }
    }
    /* utf8proc 2.8 composes a Hangul LV syllable with U+11A7, which is not a trailing
     * consonant (Unicode leaves the pair alone). No decomposition contains U+11A7, so
     * the table above would call such text normalized while utf8proc changes it, and
     * the same word would tokenize two ways. Sending it to utf8proc keeps one answer. */
    bit_set(t->qc_maybe, 0x11A7);
}

/* ==== Buffers ================================================================ */

/* Returns buf grown (by doubling) to hold at least 'need' elements of 'size' bytes, and
 * updates *cap; or buf itself when it is big enough; or NULL when out of memory, leaving
 * buf as it was. */
static void *grow(void *buf, size_t *cap, size_t need, size_t size)
{
    if (buf && need <= *cap)
        return buf;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / size || !(buf = sg_realloc(buf, n * size)))
        return NULL;
    *cap = n;
    return buf;
}

/* Room for 'need' token bytes, plus 16 bytes of slack for sw_head's reads. */
static int grow_tok(tw_tokenizer *t, size_t need)
{
    char *p = grow(t->tok, &t->tok_cap, need + 16, 1);
    if (!p)
        return SG_ENOMEM;
    t->tok = p;
    return SG_OK;
}

static int grow_cps(tw_tokenizer *t, size_t need)
{
    int32_t *p = grow(t->cps, &t->cps_cap, need, sizeof *p);
    if (!p)
        return SG_ENOMEM;
    t->cps = p;
    return SG_OK;
}

static int grow_ends(tw_tokenizer *t, size_t need)
{
    size_t *p = grow(t->ends, &t->ends_cap, need, sizeof *p);
    if (!p)
        return SG_ENOMEM;
    t->ends = p;
    return SG_OK;
}

/* ==== UTF-8 ================================================================== */

/* Decodes one well-formed UTF-8 sequence at s[*i] (s[*i] >= 0x80) and advances *i.
 * Returns -1 on anything irregular; the caller then lets utf8proc judge the text. */
static int32_t decode_utf8(const unsigned char *s, size_t len, size_t *i)
{
    size_t k = *i;
    unsigned c = s[k];
    if (c >= 0xC2 && c <= 0xDF && k + 1 < len && (s[k + 1] & 0xC0) == 0x80) {
        *i = k + 2;
        return (int32_t)(((c & 0x1F) << 6) | (s[k + 1] & 0x3F));
    }
    if (c >= 0xE0 && c <= 0xEF && k + 2 < len) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[k + 1] < lo || s[k + 1] > hi || (s[k + 2] & 0xC0) != 0x80)
            return -1;
        *i = k + 3;
        return (int32_t)(((c & 0x0F) << 12) | ((s[k + 1] & 0x3Fu) << 6) | (s[k + 2] & 0x3F));
    }
    if (c >= 0xF0 && c <= 0xF4 && k + 3 < len) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[k + 1] < lo || s[k + 1] > hi || (s[k + 2] & 0xC0) != 0x80 ||
            (s[k + 3] & 0xC0) != 0x80)
            return -1;
        *i = k + 4;
        return (int32_t)(((c & 0x07) << 18) | ((s[k + 1] & 0x3Fu) << 12) |
                         ((s[k + 2] & 0x3Fu) << 6) | (s[k + 3] & 0x3F));
    }
    return -1;
}

static size_t encode_utf8(int32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ==== Stopword set ========================================================= */

/* A word's first 16 bytes, zero-padded: compared as two integers, they settle almost
 * every lookup without a memcmp (most stopwords are shorter). It reads 16 bytes at s,
 * which the buffer it is used on (t->tok) always has (see grow_tok). */
static uint64_t low_bytes(uint64_t w, size_t n)
{
    if (n >= 8)
        return w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return n ? w & (~UINT64_C(0) << (64 - 8 * n)) : 0;
#else
    return w & ((UINT64_C(1) << (8 * n)) - 1);
#endif
}

static void sw_head(const char *s, size_t len, uint64_t head[2])
{
    memcpy(head, s, 16);
    head[0] = low_bytes(head[0], len);
    head[1] = len > 8 ? low_bytes(head[1], len - 8) : 0;
}

static size_t sw_bucket(const uint64_t head[2], size_t len, size_t mask)
{
    uint64_t h = (head[0] ^ (uint64_t)len) * UINT64_C(0x9e3779b97f4a7c15);
    h = (h ^ (h >> 29) ^ head[1]) * UINT64_C(0xbf58476d1ce4e5b9);
    return (size_t)(h ^ (h >> 32)) & mask;
}

static bool sw_contains(const tw_tokenizer *t, const char *s, size_t len)
{
    if (t->nwords == 0 || len < t->sw_min_len || len > t->sw_max_len)
        return false;
    uint64_t head[2];
    sw_head(s, len, head);
    size_t mask = t->nslots - 1;
    for (size_t i = sw_bucket(head, len, mask);; i = (i + 1) & mask) {
        const sw_slot *sl = &t->slots[i];
        if (sl->len == 0)
            return false;
        if (sl->len == len && sl->head[0] == head[0] && sl->head[1] == head[1] &&
            (len <= 16 || memcmp(t->words + sl->off + 16, s + 16, len - 16) == 0))
            return true;
    }
}

static void sw_place(sw_slot *slots, size_t nslots, sw_slot e)
{
    size_t mask = nslots - 1;
    size_t i = sw_bucket(e.head, e.len, mask);
    while (slots[i].len != 0)
        i = (i + 1) & mask;
    slots[i] = e;
}

static int sw_add(tw_tokenizer *t, const char *s, size_t len)
{
    if (len == 0 || sw_contains(t, s, len))
        return SG_OK;
    if (len > UINT32_MAX || t->words_len + len > UINT32_MAX)
        return SG_EINVAL;
    if ((t->nwords + 1) * 2 > t->nslots) {
        size_t n = t->nslots ? t->nslots * 2 : 64;
        sw_slot *slots = sg_calloc(n, sizeof *slots);
        if (!slots)
            return SG_ENOMEM;
        for (size_t i = 0; i < t->nslots; i++)
            if (t->slots[i].len != 0)
                sw_place(slots, n, t->slots[i]);
        sg_free(t->slots);
        t->slots = slots;
        t->nslots = n;
    }
    if (t->words_len + len > t->words_cap) {
        size_t cap = t->words_cap ? t->words_cap : 1024;
        while (cap < t->words_len + len)
            cap *= 2;
        char *w = sg_realloc(t->words, cap);
        if (!w)
            return SG_ENOMEM;
        t->words = w;
        t->words_cap = cap;
    }
    memcpy(t->words + t->words_len, s, len);
    sw_slot e = {{0, 0}, (uint32_t)len, (uint32_t)t->words_len};
    sw_head(s, len, e.head);
    sw_place(t->slots, t->nslots, e);
    t->words_len += len;
    t->nwords++;
    if (t->nwords == 1 || len < t->sw_min_len)
        t->sw_min_len = len;
    if (len > t->sw_max_len)
        t->sw_max_len = len;
    return SG_OK;
}

/* ==== Tokenizing ============================================================= */

/* Rule 4, then the callback. */
static int deliver(tw_tokenizer *t, size_t len, tw_token_fn fn, void *ud)
{
    if (sw_contains(t, t->tok, len))
        return SG_OK;
    return fn(t->tok, len, ud);
}

/* Pure-ASCII text: NFC already, nothing to remove, lowercase is a bit flip. */
static int tokenize_ascii(tw_tokenizer *t, const unsigned char *s, size_t n, tw_token_fn fn,
                          void *ud)
{
    int rc;
    if ((rc = grow_tok(t, n + 1)) < 0)
        return rc;
    size_t i = 0;
    while (i < n) {
        if (!ascii_is_word(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && ascii_is_word(s[i]))
            i++;
        if (i - start < 2)
            continue;
        size_t len = 0;
        if (start > 0 && s[start - 1] == '#')
            t->tok[len++] = '#';
        for (size_t k = start; k < i; k++)
            t->tok[len++] = (char)ascii_lower(s[k]);
        if ((rc = deliver(t, len, fn, ud)) < 0)
            return rc;
    }
    return SG_OK;
}

/* Rule 4 for the run just built at t->tok[start, *out): record its end, or take it back. */
static void end_run(tw_tokenizer *t, size_t start, size_t *out, size_t run_cps, size_t *ntok)
{
    if (run_cps >= 2 && !sw_contains(t, t->tok + start, *out - start))
        t->ends[(*ntok)++] = *out;
    else
        *out = start;
}

/* The fast path's facts about cp (also used to fill the table below HOT_LIMIT). */
static hot_entry make_entry(const tw_tokenizer *t, int32_t cp)
{
    hot_entry e;
    if (cp < 0x80) {
        e.out = classify_ascii((unsigned char)cp);
        e.ccc = 0;
    } else {
        const utf8proc_property_t *p = utf8proc_get_property(cp);
        e.out = classify(cp, p);
        e.ccc = (uint8_t)p->combining_class;
    }
    e.qc = 0;
    if (bit_get(t->qc_no, cp))
        e.qc |= QC_NO;
    if (bit_get(t->qc_maybe, cp))
        e.qc |= QC_MAYBE;
    if (bit_get(t->qc_first, cp))
        e.qc |= QC_FIRST;
    if (is_removed(cp))
        e.qc |= QC_REMOVED;
    return e;
}

/* The fast path: one pass that runs the quick check and does rules 1 to 4, for text that
 * is NFC as it is. Kept tokens are stored back to back in t->tok, token k ending at
 * t->ends[k]; they are delivered only after the whole text has passed the check, since a
 * failure means starting again on the slow path. Returns the number of tokens, or -1
 * when the text is not NFC as it is (or not well-formed) and needs the slow path. The
 * caller has made room: t->tok for 5 bytes per input byte (a code point lowercases into
 * at most 4 bytes, plus a '#'), t->ends for a token per 2 input bytes. */
static ptrdiff_t tokenize_fast(tw_tokenizer *t, const unsigned char *s, size_t len)
{
    char *tok = t->tok;
    size_t out = 0, ntok = 0, i = 0, run_start = 0, run_cps = 0;
    unsigned last_ccc = 0;
    bool last_starter_composes = false, after_hash = false;
    while (i < len) {
        int32_t cp = s[i] < 0x80 ? s[i++] : decode_utf8(s, len, &i);
        hot_entry e;
        if (cp >= 0 && cp < HOT_LIMIT)
            e = t->hot[cp];
        else if (cp >= HOT_LIMIT && cp < QC_LIMIT)
            e = make_entry(t, cp);
        else
            return -1; /* ill-formed, or beyond the quick-check tables */
        if ((e.qc & QC_NO) || ((e.qc & QC_MAYBE) && last_starter_composes))
            return -1;
        if (e.ccc == 0)
            last_starter_composes = e.qc & QC_FIRST;
        else if (e.ccc < last_ccc)
            return -1; /* marks out of canonical order: NFC would reorder them */
        last_ccc = e.ccc;
        /* Rule 1 order: the text as a whole was NFC with these still in it; now drop them,
         * so they neither end a run nor separate a '#' from one. */
        if (e.qc & QC_REMOVED)
            continue;
        if (e.out & CP_WORD) {
            if (run_cps++ == 0) {
                run_start = out;
                if (after_hash)
                    tok[out++] = '#';
            }
            out += encode_utf8(e.out & CP_MASK, tok + out);
            continue;
        }
        if (run_cps > 0) {
            end_run(t, run_start, &out, run_cps, &ntok);
            run_cps = 0;
        }
        after_hash = cp == '#';
    }
    if (run_cps > 0)
        end_run(t, run_start, &out, run_cps, &ntok);
    return (ptrdiff_t)ntok;
}

/* The slow path: NFC with utf8proc into t->cps (decompose, then compose in place, which
 * is what utf8proc_NFC does minus its allocation), then removal and classification. */
static int normalize_slow(tw_tokenizer *t, const unsigned char *s, size_t len, size_t *n_out)
{
    utf8proc_ssize_t n;
    int rc;
    for (;;) {
        n = utf8proc_decompose(s, (utf8proc_ssize_t)len, t->cps, (utf8proc_ssize_t)t->cps_cap,
                               NFC_OPTIONS);
        if (n < 0)
            return n == UTF8PROC_ERROR_NOMEM ? SG_ENOMEM : SG_EINVAL;
        if ((size_t)n <= t->cps_cap)
            break;
        if ((rc = grow_cps(t, (size_t)n)) < 0)
            return rc;
    }
    n = utf8proc_normalize_utf32(t->cps, n, NFC_OPTIONS);
    if (n < 0)
        return SG_EINVAL;
    size_t m = 0;
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        int32_t cp = t->cps[k];
        if (cp < 0x80)
            t->cps[m++] = classify_ascii((unsigned char)cp);
        else if (!is_removed(cp))
            t->cps[m++] = classify(cp, utf8proc_get_property(cp));
    }
    *n_out = m;
    return SG_OK;
}

static int tokenize_cps(tw_tokenizer *t, size_t n, tw_token_fn fn, void *ud)
{
    const int32_t *cps = t->cps;
    int rc;
    /* Each code point takes at most 4 bytes, plus one for a '#'. */
    if ((rc = grow_tok(t, 4 * n + 1)) < 0)
        return rc;
    size_t i = 0;
    while (i < n) {
        if (!(cps[i] & CP_WORD)) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && (cps[i] & CP_WORD))
            i++;
        if (i - start < 2)
            continue;
        size_t len = 0;
        if (start > 0 && cps[start - 1] == '#')
            t->tok[len++] = '#';
        for (size_t k = start; k < i; k++)
            len += encode_utf8(cps[k] & CP_MASK, t->tok + len);
        if ((rc = deliver(t, len, fn, ud)) < 0)
            return rc;
    }
    return SG_OK;
}

static bool is_ascii(const unsigned char *s, size_t len)
{
    size_t i = 0;
    /* Eight bytes at a time: this check runs on every post. */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            return false;
    }
    for (; i < len; i++)
        if (s[i] & 0x80)
            return false;
    return true;
}

int tw_tokenize(tw_tokenizer *t, const char *text, size_t len, tw_token_fn fn, void *ud)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n;
    int rc;
    if (is_ascii(s, len))
        return tokenize_ascii(t, s, len, fn, ud);
    if (len > SIZE_MAX / 8)
        return SG_ENOMEM;
    if ((rc = grow_tok(t, 5 * len)) < 0 || (rc = grow_ends(t, len / 2 + 1)) < 0)
        return rc;
    ptrdiff_t ntok = tokenize_fast(t, s, len);
    if (ntok >= 0) {
        for (size_t k = 0, start = 0; k < (size_t)ntok; start = t->ends[k++])
            if ((rc = fn(t->tok + start, t->ends[k] - start, ud)) < 0)
                return rc;
        return SG_OK;
    }
    if ((rc = grow_cps(t, len)) < 0 || (rc = normalize_slow(t, s, len, &n)) < 0)
        return rc;
    return tokenize_cps(t, n, fn, ud);
}

/* ==== Creation and stopword loading ======================================= */

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...) SG_PRINTF(3, 4);

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!errbuf || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* Reads the whole file into *buf [owned->caller]. Sets errno on SG_EIO / SG_ENOENT. */
static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? SG_ENOENT : SG_EIO;
    size_t n = 0, cap = 4096;
    char *b = sg_malloc(cap);
    int rc = b ? SG_OK : SG_ENOMEM;
    while (rc == SG_OK) {
        if (n == cap) {
            char *nb = sg_realloc(b, cap * 2);
            if (!nb) {
                rc = SG_ENOMEM;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = SG_EIO;
            break;
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    if (rc < 0) {
        sg_free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return SG_OK;
}

/* One stopword line, through rules 1 and 3 so it compares equal to the tokens it names. */
static int add_stopword_line(tw_tokenizer *t, const char *line, size_t len)
{
    size_t n;
    int rc;
    /* Init time: the slow path alone is enough. */
    if ((rc = grow_cps(t, len)) < 0 ||
        (rc = normalize_slow(t, (const unsigned char *)line, len, &n)) < 0)
        return rc;
    if ((rc = grow_tok(t, 4 * n + 1)) < 0)
        return rc;
    size_t blen = 0;
    for (size_t k = 0; k < n; k++)
        blen += encode_utf8(t->cps[k] & CP_MASK, t->tok + blen);
    return sw_add(t, t->tok, blen);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int load_stopwords(tw_tokenizer *t, const char *path, char *errbuf, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len);
    if (rc == SG_ENOMEM) {
        set_err(errbuf, errlen, "out of memory reading stopwords file %s", path);
        return rc;
    }
    if (rc < 0) {
        set_err(errbuf, errlen, "cannot %s stopwords file %s: %s", rc == SG_EIO ? "read" : "open",
                path, strerror(errno));
        return rc;
    }
    size_t pos = 0, lineno = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a byte order mark, as some editors write */
    while (pos < len && rc == SG_OK) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, start = pos;
        pos = end + 1;
        lineno++;
        /* Trim both ends: a stray space would otherwise make the word match nothing. */
        while (start < end && is_blank(buf[start]))
            start++;
        while (end > start && is_blank(buf[end - 1]))
            end--;
        if (end == start)
            continue;
        rc = add_stopword_line(t, buf + start, end - start);
        if (rc == SG_EINVAL)
            set_err(errbuf, errlen, "stopwords file %s, line %zu: not valid UTF-8", path, lineno);
        else if (rc < 0)
            set_err(errbuf, errlen, "out of memory loading stopwords file %s", path);
    }
    sg_free(buf);
    return rc;
}

int tw_tokenizer_new(const char *stopwords_path, tw_tokenizer **out, char *errbuf, size_t errlen)
{
    int rc;
    *out = NULL;
    set_err(errbuf, errlen, "%s", "");
    tw_tokenizer *t = sg_calloc(1, sizeof *t);
    if (!t || !(t->qc_no = sg_calloc(3 * QC_LIMIT / 8, 1)) ||
        !(t->hot = sg_malloc(HOT_LIMIT * sizeof *t->hot))) {
        tw_tokenizer_free(t);
        set_err(errbuf, errlen, "out of memory creating the tokenizer");
        return SG_ENOMEM;
    }
    t->qc_maybe = t->qc_no + QC_LIMIT / 8;
    t->qc_first = t->qc_maybe + QC_LIMIT / 8;
    build_qc_tables(t);
    for (int32_t cp = 0; cp < HOT_LIMIT; cp++)
        t->hot[cp] = make_entry(t, cp);
    if ((rc = load_stopwords(t, stopwords_path, errbuf, errlen)) < 0) {
        tw_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return SG_OK;
}

void tw_tokenizer_free(tw_tokenizer *t)
{
    if (!t)
        return;
    sg_free(t->slots);
    sg_free(t->words);
    sg_free(t->qc_no);
    sg_free(t->hot);
    sg_free(t->cps);
    sg_free(t->tok);
    sg_free(t->ends);
    sg_free(t);
}
