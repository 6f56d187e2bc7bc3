/* nx_util.h — helpers the Nexmark queries share: picking events, keys, packing a
 * projected record, and the CSV sink.
 *
 * A query projects the events it needs into a small record of its own before any
 * key_by (less to copy across exchanges, no wire-layout parsing downstream). Such a
 * record is a fixed C struct followed by strings: | fixed | u16 len x n | bytes |
 * (nx_pack / nx_unpack). When the struct starts with an int64 id, nx_key_i64 keys the
 * stream by it without copying. */
#ifndef NX_UTIL_H
#define NX_UTIL_H

#include "nx.h"

/* Filter: keeps bids (udata unused). */
bool nx_is_bid(sg_ctx *ctx, const sg_record *in, void *udata);

/* key_by: the first 8 bytes of the value (an int64 in host order) are the key. */
int nx_key_i64(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata);

/* Reads an int64 key made by nx_key_i64 (or any 8-byte key). */
int64_t nx_i64_of(sg_bytes b);

/* Packs fixed [fixed_len bytes] then the n strings into scratch memory of ctx
 * (*out [out] valid until the callback returns). A string over 65535 bytes is cut
 * (events never carry one: the wire layout has the same limit). SG_OK or SG_ENOMEM. */
int nx_pack(sg_ctx *ctx, const void *fixed, size_t fixed_len, const sg_bytes *strs, int n,
            sg_bytes *out);
/* The reverse: copies the fixed part into fixed and points strs[0..n) into v.
 * SG_OK, or SG_ESERDE when v is not such a record. */
int nx_unpack(sg_bytes v, void *fixed, size_t fixed_len, sg_bytes *strs, int n);

/* Sinks s to o->output as CSV with this header and encoder. */
int nx_sink(sg_stream *s, const nx_options *o, const char *header, sg_encode_fn encode);

/* The window [start, start + size) of ts for tumbling windows (floor, also for ts < 0). */
sg_time nx_window_start(sg_time ts, sg_time size);

/* ---- Pieces of the queries, shared with their tests (tests/jobs/nexmark) ---- */

/* q1: writes 0.908 * price, exactly, with three decimals; returns the length (as
 * snprintf). */
int nx_q1_format_price(int64_t price, char *buf, size_t cap);

/* q3's projection: | nx_q3_head | name, city, state (persons only, nx_pack) |. */
typedef struct nx_q3_head {
    int64_t key;       /* person id / auction seller: the join key (nx_key_i64) */
    int64_t id;        /* the auction's id (auctions) */
    int64_t is_person; /* 1: a person, 0: an auction */
} nx_q3_head;

/* q4's projection of auctions and bids, keyed by the auction id. */
typedef struct nx_q4_in {
    int64_t auction;    /* auction id / bid's auction (nx_key_i64) */
    int64_t is_auction; /* 1: an auction, 0: a bid */
    sg_time date_time;  /* the event's dateTime */
    sg_time expires;    /* auctions */
    int64_t category;   /* auctions */
    int64_t price;      /* bids */
} nx_q4_in;

/* q4's closing price of one auction, keyed by category: nx_q4_max_op's output and
 * nx_q4_avg_op's input; nx_q4_avg_op emits the same struct with the average. */
typedef struct nx_q4_final {
    int64_t category, final;
} nx_q4_final;

/* q8's projection: | nx_q8_head | name (persons only, nx_pack) |. */
typedef struct nx_q8_head {
    int64_t key;       /* person id / auction seller (nx_key_i64) */
    int64_t is_person; /* 1: a person, 0: an auction */
} nx_q8_head;

/* The keyed operators of q3, q4 and q8; their input records are the query's own
 * projections (see each file). */
extern const sg_operator_def nx_q3_join_op, nx_q4_max_op, nx_q4_avg_op, nx_q8_op;

#endif
