/* trending_words: the job's operators and generator, shared by job.c and tests. */
#ifndef TW_TRENDING_H
#define TW_TRENDING_H

#include <limits.h>

#include <sangam/sangam.h>

typedef struct tw_config {
    size_t top;
    char stopwords[PATH_MAX];
} tw_config;

/* Value of a window count (the key is the word). */
typedef struct tw_count {
    sg_time start, end;
    uint64_t count;
} tw_count;

/* Value of a ranked output row (the key is the word). */
typedef struct tw_ranked {
    sg_time start, end;
    uint64_t rank, count;
} tw_ranked;

/* Tokenizes each post's text into words (one record per occurrence). */
extern const sg_operator_def tw_tokenize_op;
/* Collects the final counts of each window and emits its top N when it closes. */
extern const sg_operator_def tw_top_op;
/* gen:posts?count=N&rate=R&seed=S&start=MS&disorder=MS: generated posts. */
extern const sg_source_def tw_post_generator;

/* Loads the stopwords once to report a bad path as a usage error before running. */
int tw_check_stopwords(sg_job *job, const tw_config *cfg);

#endif
