/* nxb.h — pieces shared by the Nexmark queries q5, q7, q11 and q12.
 *
 *   - nxb_bid: the compact bid the keyed queries shuffle (three int64s instead of the
 *     whole event with its url and extra), made by nxb_bids_only;
 *   - nxb_winmax_*_op: "per window, the items whose value is the window's maximum"
 *     (q5's hot items, q7's highest bids), run twice: a parallel local phase and a
 *     global phase at parallelism 1, so the global step sees a few candidates per
 *     window and instance, never every event;
 *   - nxb_q12_op: per-key counts in processing-time tumbling windows. */
#ifndef NXB_H
#define NXB_H

#include "nx.h"

/* ---- Bids ----------------------------------------------------------------- */

/* A bid reduced to what q5, q11 and q12 read; the record's ts is its dateTime. */
typedef struct nxb_bid {
    int64_t auction, bidder, price;
} nxb_bid;

/* flat_map: emits an nxb_bid for each bid event (ts = dateTime) and drops persons
 * and auctions; an undecodable value is rejected. */
int nxb_bids_only(sg_ctx *ctx, const sg_record *in, void *udata);
/* key_by on an nxb_bid: the key is the 8 bytes of its auction, or of its bidder. */
int nxb_key_auction(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata);
int nxb_key_bidder(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata);

/* The int64 at byte offset off of b (values are unaligned bytes). */
int64_t nxb_i64_at(sg_bytes b, size_t off);

/* ---- Window maximum --------------------------------------------------------
 * nxb_winmax_*_op's input and output records have a value that starts with this
 * header, followed by the item's payload (the query's own bytes):
 *   end     the window's end (exclusive), epoch ms;
 *   v       the item's value: compared to find the window's maximum;
 *   member  1: the item belongs to the window and counts for its maximum;
 *           0: an "extra", which does not count for the maximum but is output when
 *           its v equals it (q7: a bid exactly at window_end, which SQL's BETWEEN
 *           matches with the window that ends there, and a bid too late for its
 *           own window's maximum, which the regular join still matches with it).
 * A window with no member has no maximum and outputs nothing. */
typedef struct nxb_cand {
    sg_time end;
    int64_t v;
    int64_t member;
} nxb_cand;

/* Fills the header into buf and copies the payload after it; returns the bytes. */
size_t nxb_cand_write(void *buf, const nxb_cand *c, const void *payload, size_t len);
/* Reads the header of a candidate value; SG_OK or SG_EINVAL when too short. */
int nxb_cand_read(sg_bytes value, nxb_cand *c, sg_bytes *payload);

/* udata of nxb_winmax_*_op (static; must outlive the run). */
typedef struct nxb_winmax_cfg {
    /* Window [end - size, end) is complete when the watermark reaches end - 1 + lag:
     * 0 for q5; 1 for q7, whose window also takes bids at ts == end. */
    sg_time lag;
    /* false (local phase): emit the members equal to the maximum and the extras at
     * or above it (a larger maximum elsewhere may still equal them), and every
     * extra of a window without a member here (another instance may have some);
     * true (global phase): emit only items equal to the maximum. */
    bool final;
    /* Global phase: how many emitted windows' maxima to keep for late extras
     * (16 bytes each; 0: none, late extras are dropped). */
    size_t keep;
} nxb_winmax_cfg;

/* Non-keyed: keeps per open window its maximum and the items that may still match
 * it, and emits them (ts = end - 1 + lag, value = the input's bytes) when the
 * watermark completes the window. A member for a window emitted already is late:
 * dropped and counted. An extra for such a window is passed on at once (local
 * phase), or emitted at once (its own ts) when it equals the window's kept maximum
 * (global phase; dropped and counted when that maximum is no longer kept, silently
 * dropped otherwise). Windows and kept maxima are in the operator snapshot. */
extern const sg_operator_def nxb_winmax_local_op, nxb_winmax_global_op; /* same op, two names */

/* ---- q5 ---------------------------------------------------------------------
 * nxb_q5_combine_op (non-keyed, chained behind the source): takes Nexmark events and
 * emits, per bid auction and pane of NXB_Q5_PANE_MS (q5's gcd(size, slide)), one
 * nxb_q5_part with the pane's bid count (ts = pane end - 1) when the watermark
 * reaches the pane's end - 1; a bid already late for its pane's first window goes on
 * at once as a count of 1 with its own ts. Persons and auctions are dropped, an
 * undecodable event rejected. Held counts are in the operator snapshot.
 * nxb_key_part keys a part by its auction; nxb_part_add is the window aggregate's
 * add (uint64 accumulator += count; merge with sg_count_merge). */
typedef struct nxb_q5_part {
    int64_t auction, count;
} nxb_q5_part;
#define NXB_Q5_PANE_MS 2000
#define NXB_Q5_EDGE_MS 100000 /* bids this close to the int64 limits are not combined */
extern const sg_operator_def nxb_q5_combine_op;
int nxb_key_part(sg_ctx *ctx, const sg_record *in, sg_bytes *key, void *udata);
int nxb_part_add(void *acc, const sg_record *rec, void *udata);

/* ---- q7 ---------------------------------------------------------------------
 * Non-keyed: each bid event becomes a window-maximum member of its 10 s window
 * (payload: auction, bidder, price, dateTime as int64s, then the extra's bytes), or
 * an extra of it when the bid is late for that window's maximum (counted late) and,
 * when its dateTime is exactly a window end, also an extra of the window ending
 * there (BETWEEN's inclusive upper bound). Other events are dropped (see q7.c). */
extern const sg_operator_def nxb_q7_split_op;

/* ---- q12 --------------------------------------------------------------------
 * Keyed by bidder (input nxb_bid): counts bids in tumbling windows of processing
 * time (10 s, aligned to the epoch), emitting an nxb_q12_row when the clock reaches
 * a window's end - 1 (Flink's processing-time trigger) and, at the end of input,
 * every window still open (processing-time timers are dropped then, so an event-time
 * timer at SG_TIME_MAX flushes them). */
typedef struct nxb_q12_row {
    int64_t bidder, count;
    sg_time start, end;
} nxb_q12_row;
#define NXB_Q12_WINDOW_MS 10000
extern const sg_operator_def nxb_q12_op;

#endif
