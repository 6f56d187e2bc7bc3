/* ecomgen.h — a deterministic generator of e-commerce clickstream events, as JSON
 * lines, for gen:ecommerce and the tests. Pure logic: no engine calls but the allocator.
 *
 * A fixed number of shoppers browse at once; each event comes from one of them, chosen
 * at random, and continues that shopper's visit: views of a catalogue of Indian
 * products, some add-to-carts, and at the end of the visit perhaps a purchase of the
 * cart. When a visit ends a new shopper takes the place, drawn from a pool of users
 * with Indian names and home cities. Event time advances by 1000 / rate ms an event,
 * four times faster during the festival sale's lightning deals (the first 10 minutes of
 * every hour, IST), when discounts are deeper and more carts are bought. Each event is
 * late by a jitter in [0, max_disorder_ms]. Anomalies, on purpose:
 *   - scraper bots ("bot-crawler-N"): 60..180 views, never a cart (0.8% of visits);
 *   - card testers ("guest-xxxxxx"): 8..20 tiny purchases in a row (0.4% of visits);
 *   - bad records (1 event in 2000): an unknown type, a purchase of 0 paise, or no
 *     "product" field; the job rejects and dead-letters them.
 *
 * A line looks like (one line, no newline):
 *   {"ts": 1792434600000, "user": "priya.sharma.1042", "city": "Pune", "type": "cart",
 *    "product": "Banarasi Silk Saree", "amount_paise": 1249900}
 * The stream is a pure function of the config: the same bytes for the same config.
 */
#ifndef EC_ECOMGEN_H
#define EC_ECOMGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every line is shorter than this; a buffer this big always suffices. */
#define EC_GEN_LINE_MAX 512
/* 2026-10-20T00:00:00+05:30, the first day of the festival sale, in epoch ms. */
#define EC_GEN_DEFAULT_START INT64_C(1792434600000)
/* Event time runs this many times faster during a lightning deal. */
#define EC_GEN_SALE_FACTOR 4

typedef struct ec_gen ec_gen;

typedef struct ec_gen_config {
    uint64_t seed;           /* any value; same seed, same events */
    int64_t start_ms;        /* the clock at event 0, in 0..1e14 */
    int64_t rate;            /* events per second of event time outside deals, 1..1e6 */
    int64_t max_disorder_ms; /* jitter bound, 0..1e9 */
    int64_t users;           /* size of the user pool, 1..1e9 */
} ec_gen_config;

/* Creates a generator; cfg [in] is copied. Returns 0 with *out [out, owned->caller],
 * SG_EINVAL when a field is out of range, or SG_ENOMEM. */
int ec_gen_new(const ec_gen_config *cfg, ec_gen **out);

/* Frees g [owned->callee]; NULL is a no-op. */
void ec_gen_free(ec_gen *g);

/* Writes the next event as one JSON line into buf [out] (cap bytes, NUL-terminated)
 * and returns its length, which is < EC_GEN_LINE_MAX. With cap < EC_GEN_LINE_MAX a
 * long line may be cut (snprintf style: the result is then >= cap); the generator
 * advances either way. */
size_t ec_gen_next(ec_gen *g, char *buf, size_t cap);

/* Whether event time ts (epoch ms) falls in a lightning deal: minutes 0..9 of an
 * hour of Indian Standard Time (UTC+05:30). */
bool ec_gen_in_sale(int64_t ts);

#endif
