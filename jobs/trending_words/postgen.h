/* postgen.h — a deterministic generator of mixed Hindi/English social posts, as JSON lines,
 * for `make run` and the benchmarks.
 *
 * Post number seq is a pure function of (config, seq): subtasks can generate disjoint seq
 * ranges in parallel, in any order, and still produce the same stream byte for byte. Words
 * are Zipf-distributed over English, Devanagari Hindi and romanized Hindi vocabularies;
 * a few topics surge and fade with event time (each topic has a period and an active
 * window in it); posts carry hashtags, emoji, punctuation and, now and then, Devanagari in
 * other spellings (precomposed nukta letters, ZWJ/ZWNJ after a virama) that the tokenizer
 * folds back into the usual word.
 *
 * A line looks like (one line, no newline at the end):
 *   {"ts": 1767225600000, "user": "u48213", "lang": "hi", "text": "आज मुंबई में बारिश ..."}
 * with lang one of "en", "hi", "hinglish" and text JSON-escaped.
 */
#ifndef TW_POSTGEN_H
#define TW_POSTGEN_H

#include <stddef.h>
#include <stdint.h>

/* Every line is at most this many bytes; a buffer this big always suffices. */
#define TW_POSTGEN_LINE_MAX 4096

typedef struct tw_postgen tw_postgen;

typedef struct tw_postgen_config {
    uint64_t seed;           /* any value; same seed, same posts */
    int64_t start_ms;        /* event time of post 0, before jitter */
    int64_t rate;            /* posts per second of event time, in [1, 1e9] */
    int64_t max_disorder_ms; /* each post is late by a jitter in [0, max_disorder_ms],
                                at most 1e9 (11.5 days) */
} tw_postgen_config;

/* Creates a generator; cfg [in] is copied. Returns 0 with *out [out, owned->caller] set,
 * SG_EINVAL when a field is out of range, or SG_ENOMEM. */
int tw_postgen_new(const tw_postgen_config *cfg, tw_postgen **out);

/* Frees g [owned->callee]; NULL is a no-op. */
void tw_postgen_free(tw_postgen *g);

/* Writes post number seq (0-based) as one JSON line into buf [out] (cap bytes) and returns
 * its length, snprintf style: the line is complete when the result is <= cap (a NUL follows
 * it when the result is < cap); when the result is > cap, the line needs that many bytes and
 * buf holds nothing usable. Deterministic in (config, seq), whatever the call order. It does
 * not change g, so threads may share one generator. */
size_t tw_postgen_line(const tw_postgen *g, uint64_t seq, char *buf, size_t cap);

/* The event time of post seq: start_ms + seq * 1000 / rate, minus its jitter. This is the
 * "ts" field of the line, for a source that wants the timestamp without parsing it. */
int64_t tw_postgen_ts(const tw_postgen *g, uint64_t seq);

#endif
