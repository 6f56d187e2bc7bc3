/* ecommerce_sessions: the types, aggregate, decoder and generator source shared by
 * job.c and the job's tests. Records between operators carry these structs as their
 * value bytes; they are always read with memcpy, since batch slots are not aligned. */
#ifndef EC_ECOM_H
#define EC_ECOM_H

#include <sangam/sangam.h>

/* Event types, as counted by the session aggregate. */
typedef enum ec_type { EC_VIEW = 0, EC_CART = 1, EC_PURCHASE = 2 } ec_type;

/* Value of a decoded event: this header, then the user's bytes (the key). */
typedef struct ec_event {
    int64_t amount_paise; /* > 0 on a purchase, 0 on the other types */
    uint32_t type;        /* ec_type */
    uint32_t user_len;    /* bytes of user after the header */
} ec_event;

/* The accumulator of one session. Only 8-byte fields: the session operator keeps
 * accumulators 8-byte aligned, not 16, so no __int128 here. Revenue is 128 bits wide
 * (lo, hi) because a session's purchases, each up to INT64_MAX paise, may exceed
 * int64 together, and the output must stay exact. */
typedef struct ec_acc {
    int64_t min_ts, max_ts;
    uint64_t events, views, carts, purchases;
    uint64_t revenue_lo, revenue_hi;
} ec_acc;

/* Value of a closed session (the key is the user). */
typedef struct ec_session {
    sg_time start, end; /* earliest ts; latest ts + gap */
    uint64_t events, views, carts, purchases;
    uint64_t revenue_lo, revenue_hi;
} ec_session;

/* The job's configuration (the aggregate's udata). */
typedef struct ec_config {
    sg_time gap_ms;
} ec_config;

/* ---- Decoding (decode.c) ---------------------------------------------------------- */

/* Reads and validates one input row for sessions of gap_ms. Returns NULL and fills
 * *ts, *ev and *user (borrowed from row), or a static one-line reason naming the bad
 * field. */
const char *ec_event_parse(const sg_row *row, sg_time gap_ms, int64_t *ts, ec_event *ev,
                           sg_bytes *user);

/* The job's decoder callback (udata: the ec_config): emits (ts, value = ec_event +
 * user) or rejects. */
int ec_decode(sg_ctx *ctx, const sg_row *row, void *udata);

/* ---- The session aggregate (session_agg.c) ---------------------------------------- */

/* acc_size sizeof(ec_acc), init, add, merge, result; udata is an ec_config. result
 * emits the session's ec_session with ts = end - 1 and fails the job if the operator's
 * window disagrees with the events it holds (start != min ts or end != max ts + gap). */
extern const sg_aggregate_def ec_session_agg;

/* Writes the unsigned 128-bit value (hi, lo) in decimal into buf (at least 40 bytes)
 * and returns its length. */
size_t ec_u128_format(uint64_t hi, uint64_t lo, char *buf);

/* The job's encoder callback: one CSV line of the session in rec. */
int ec_encode_session(sg_ctx *ctx, const sg_record *rec, sg_line *line, void *udata);
#define EC_HEADER                                                                                  \
    "user,session_start,session_end,events,views,carts,purchases,revenue_paise,converted"

/* ---- The generator (event_source.c over ecomgen.c) ------------------------------ */

/* gen:ecommerce?count=N&rate=R&seed=S&start=MS&disorder=MS&users=U: generated clicks,
 * one instance (see event_source.c for why). */
extern const sg_source_def ec_event_generator;

#endif
