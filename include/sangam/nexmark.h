/* nexmark.h — Nexmark events: their record layout, the generator and its JSON form.
 *
 * Nexmark (github.com/nexmark/nexmark) models an online auction: people register,
 * open auctions and bid. Sangam ships its generator as the source gen:nexmark, the
 * command `sangam gen nexmark`, and its queries as build/jobs/nexmark.so.
 *
 * A Nexmark event travels between operators as one record whose value is the event
 * in the wire layout below (written by sg_nx_encode, read by sg_nx_view). Jobs never
 * touch the layout itself. Strings are raw bytes (UTF-8 from the generator and from
 * JSON input) and not NUL-terminated. Times are epoch milliseconds.
 *
 * The generator is a plain C library (connectors/nexmark_gen.c, no engine calls), so
 * bench/baseline/ programs link the very same generator as the engine's source. */
#ifndef SANGAM_NEXMARK_H
#define SANGAM_NEXMARK_H

#include <sangam/sangam.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Events ============================================================= */

typedef enum sg_nx_type { SG_NX_PERSON = 0, SG_NX_AUCTION = 1, SG_NX_BID = 2 } sg_nx_type;

/* Field names follow Nexmark's (emailAddress -> email_address, ...). */
typedef struct sg_nx_person {
    int64_t id;
    sg_bytes name, email_address, credit_card, city, state;
} sg_nx_person;

typedef struct sg_nx_auction {
    int64_t id;
    sg_bytes item_name, description;
    int64_t initial_bid, reserve;
    sg_time expires;
    int64_t seller, category;
} sg_nx_auction;

typedef struct sg_nx_bid {
    int64_t auction, bidder, price;
    sg_bytes channel, url;
} sg_nx_bid;

/* One event. Which union member is valid is 'type'. The strings are borrowed: from
 * the record (sg_nx_view) or from the generator (sg_nx_gen_next). */
typedef struct sg_nx_event {
    sg_nx_type type;
    sg_time date_time; /* Nexmark's dateTime: the event time */
    sg_bytes extra;
    union {
        sg_nx_person person;
        sg_nx_auction auction;
        sg_nx_bid bid;
    };
} sg_nx_event;

/* Bytes sg_nx_encode needs for ev. */
SG_API size_t sg_nx_encoded_size(const sg_nx_event *ev);
/* Writes ev in the wire layout into buf (cap bytes). Returns the bytes written, or 0
 * when cap is too small or a string is longer than 65535 bytes. */
SG_API size_t sg_nx_encode(const sg_nx_event *ev, void *buf, size_t cap);
/* Reads a record value written by sg_nx_encode. *out's strings point into value.
 * Only type, date_time, extra and the union member of that type are written.
 * Returns SG_OK or SG_EINVAL (not a Nexmark event: wrong size or type). */
SG_API int sg_nx_view(sg_bytes value, sg_nx_event *out);
/* The type of an encoded event without reading the rest (-1 when not an event). */
SG_API int sg_nx_type_of(sg_bytes value);

/* ==== Generator (connectors/nexmark_gen.c) =============================== */

/* Nexmark's generator configuration, NexmarkConfiguration's defaults by
 * sg_nx_config_default. Event n (0-based) is a pure function of the configuration and
 * n, so any position can be produced directly (restore, parallel instances). */
typedef struct sg_nx_config {
    uint64_t seed;     /* 0 = Nexmark's own values; other seeds vary every event */
    sg_time base_time; /* dateTime of the first event (a fixed default) */
    uint64_t count;    /* events to generate; 0 = unbounded */
    double rate;       /* events per second of event time: spaces the timestamps */
    uint32_t person_proportion, auction_proportion, bid_proportion; /* 1 : 3 : 46 */
    uint32_t hot_auction_ratio, hot_bidders_ratio, hot_sellers_ratio;
    uint32_t num_in_flight_auctions, num_active_people;
    uint32_t avg_person_size, avg_auction_size, avg_bid_size; /* bytes, incl. extra */
    uint32_t out_of_order_group_size;                         /* 1 = in order */
} sg_nx_config;

SG_API void sg_nx_config_default(sg_nx_config *cfg);

typedef struct sg_nx_gen sg_nx_gen;

/* [owned->caller] a generator positioned at event 0, or NULL on a bad configuration
 * (message in *err, static) or no memory. */
SG_API sg_nx_gen *sg_nx_gen_new(const sg_nx_config *cfg, const char **err);
SG_API void sg_nx_gen_free(sg_nx_gen *gen);
/* Fills *ev with the next event and advances. Returns SG_OK, or SG_EOF after
 * cfg->count events. ev's strings stay valid until the next call on gen. */
SG_API int sg_nx_gen_next(sg_nx_gen *gen, sg_nx_event *ev);
/* The number of the next event (events generated so far), and a direct jump. */
SG_API uint64_t sg_nx_gen_position(const sg_nx_gen *gen);
SG_API void sg_nx_gen_seek(sg_nx_gen *gen, uint64_t n);

/* ==== JSON Lines form ==================================================== */

/* Writes ev as one flat JSON object with "type":"person"|"auction"|"bid" and
 * Nexmark's field names (dateTime and expires as epoch ms), without a newline.
 * Returns the length, or the length needed when it is >= cap (as snprintf). */
SG_API size_t sg_nx_to_json(const sg_nx_event *ev, char *buf, size_t cap);

/* ==== Source and decoder for jobs ======================================== */

/* gen:nexmark?count=N&rate=R&seed=S&...: emits each event as a record (ts = dateTime,
 * no key, value = the wire layout). Register it with
 * sg_job_register_generator(job, "nexmark", &sg_nexmark_source). */
SG_API extern const sg_source_def sg_nexmark_source;

/* A decoder for JSON Lines of the form above (file:PATH.jsonl): emits the same records
 * as gen:nexmark; rejects a row with a missing or malformed field, naming it. Every
 * field of the event's type is required with its JSON type (integers: ids, money,
 * dateTime, expires; strings: the rest, each at most 65535 bytes); an id or an amount
 * of money (initialBid, reserve, price) may not be negative. */
SG_API int sg_nx_decode(sg_ctx *ctx, const sg_row *row, void *udata);

#ifdef __cplusplus
}
#endif

#endif
