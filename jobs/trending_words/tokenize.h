/* tokenize.h — the trending_words tokenizer: post text in, lowercase word tokens out.
 *
 * The rules (the job's spec):
 *   1. The text is normalized to NFC, then ZWNJ, ZWJ (U+200C, U+200D) and the variation
 *      selectors U+FE00..U+FE0F are removed. Removal comes second, so it can join two runs
 *      ("ab<ZWJ>cd" is one token, "abcd").
 *   2. A token is a maximal run of code points whose general category is L*, Mn, Mc or Nd,
 *      so Devanagari vowel signs, viramas and nuktas stay inside words. When the code point
 *      just before the run is '#' (U+0023), the token is '#' + run: "ab#cd" gives "ab" and
 *      "#cd", "##x1" gives "#x1" (only the '#' touching the run belongs to it).
 *   3. Tokens are lowercased code point by code point (Unicode simple lowercase mapping).
 *   4. A token whose run (not counting '#') is shorter than 2 code points is dropped, and so
 *      is a token ('#' included) listed in the stopwords file.
 *   5. Every occurrence is reported: a word twice in a post is reported twice.
 *
 * A tokenizer is not thread-safe (it reuses its buffers); make one per operator instance.
 */
#ifndef TW_TOKENIZE_H
#define TW_TOKENIZE_H

#include <stddef.h>

typedef struct tw_tokenizer tw_tokenizer;

/* Creates a tokenizer whose stopwords are read from 'stopwords_path' [in]: one word per
 * line, UTF-8; trailing '\r', spaces and tabs are trimmed and blank lines are skipped.
 * There is no comment syntax, because a line starting with '#' is a hashtag stopword. Each
 * line is put through rule 1 and rule 3, so the file may hold any case or normalization; a
 * line that is not one token (such as "don't") can never match.
 * On success *out [out, owned->caller] is the tokenizer and 0 is returned. On failure it
 * returns SG_ENOENT (no such file), SG_EIO (other I/O error), SG_EINVAL (the file is not
 * valid UTF-8) or SG_ENOMEM, and writes one line saying what went wrong into errbuf [out]
 * (errlen bytes, NUL-terminated; errbuf may be NULL when errlen is 0). */
int tw_tokenizer_new(const char *stopwords_path, tw_tokenizer **out, char *errbuf, size_t errlen);

/* Frees t [owned->callee]; NULL is a no-op. */
void tw_tokenizer_free(tw_tokenizer *t);

/* Receives one token: 'len' bytes of lowercase UTF-8 at tok [borrowed: valid only during
 * the call; not NUL-terminated]. Returns 0 to go on, or a negative code to stop. */
typedef int (*tw_token_fn)(const char *tok, size_t len, void *ud);

/* Calls fn(token, len, ud) for each token of the 'len' bytes at text [in, UTF-8], in text
 * order. Returns 0, the first negative value fn returns (tokenizing stops there),
 * SG_ENOMEM, or SG_EINVAL if text is not valid UTF-8 (nothing is reported then; the JSON
 * decoder guarantees valid text, so this is a bug guard). */
int tw_tokenize(tw_tokenizer *t, const char *text, size_t len, tw_token_fn fn, void *ud);

#endif
