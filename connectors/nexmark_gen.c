/* nexmark_gen.c — the Nexmark event generator (include/sangam/nexmark.h), in plain C
 * with no engine calls, so bench/baseline/ programs link it alone.
 *
 * It follows nexmark/nexmark's GeneratorConfig, NexmarkGenerator and the model
 * generators (Person, Auction, Bid, Price, Strings, Long) as Beam's original does:
 * event id e is generated from a java.util.Random seeded with e, so event e is a pure
 * function of (configuration, e) and any position is reachable in O(1). With seed 0
 * every numeric field (ids, prices, categories, expires, reserve, the hot choices,
 * timestamps) and every short string (names, emails, credit cards, cities, states,
 * item names, descriptions) is the Java generator's. Differences, on purpose:
 *
 *   1. 'extra' has Java's length, but its bytes are a window of a fixed pool built
 *      once with Java's nextExactString (from new Random(0)), chosen by the event's
 *      Random state, rather than Java's own nextExactString bytes. The padding is
 *      the last thing an event draws, so no other field depends on it; copying
 *      instead of drawing ~12 nextInt a bid is what keeps the generator fast.
 *   2. Bid channels and URLs: Java builds the URL strings from an unseeded Random
 *      (they differ run to run); here channel k's URL is drawn the same way from
 *      new Random(k) (hot channel i: new Random(10000 + i)), so they are fixed.
 *   3. A bidder id gets FIRST_PERSON_ID once (nexmark-flink adds it twice, which
 *      points bidders at people that never exist; Beam adds it once).
 *   4. One rate (no rate shape steps), one generator timeline, no extended bids.
 *
 * A nonzero seed is mixed into each event's Random seed, so every event varies. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sangam/nexmark.h>

#include "connectors/nexmark_jrand.h"

/* LongGenerator.nextLong: [0, n). */
static inline int64_t nx_long(jrand *r, int64_t n)
{
    if (n < INT32_MAX)
        return jr_int_bound(r, (int32_t)n);
    int64_t v = jr_long(r) % n;
    return v < 0 ? -v : v;
}

/* Java's Math.round(double) for the non-negative values used here: half up. */
static inline int64_t java_round(double x)
{
    double f = floor(x);
    return (int64_t)f + (x - f >= 0.5);
}

/* 2^(j/64), j = 0..63, from libm's exp2 (built with the other tables). */
static double exp2_64ths[64];

/* 10^t for 0 <= t <= 6, as 2^(k + j/64) * e^(r ln 2) with x = t log2(10) = k + j/64 + r,
 * |r| <= 1/128: a table entry, an exponent put in place, and a degree-5 polynomial
 * (its error is below 1e-16). Relative error a few 1e-15, mostly from rounding x;
 * about a third of libm's exp, whose general range reduction we do not need. */
static inline double nx_exp10(double t)
{
    double x = t * 3.32192809488736234787; /* log2(10) */
    int64_t i = (int64_t)(x * 64.0 + 0.5); /* x >= 0: truncation rounds */
    double z = (x - (double)i * (1.0 / 64)) * 0.69314718055994530942;
    double p = 1.0 + z * (1.0 + z * (0.5 + z * (1.0 / 6 + z * (1.0 / 24 + z * (1.0 / 120)))));
    uint64_t bits = (uint64_t)((i >> 6) + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof(scale));
    return exp2_64ths[i & 63] * scale * p;
}

/* PriceGenerator.nextPrice: round(pow(10, 6d) * 100). nx_exp10 is several times
 * faster than pow and within 1e-14 (relative) of it; when that cannot decide the
 * rounding (the fraction within 1e-13 of .5, about 1 draw in 10^5), pow decides. */
static inline int64_t nx_price(jrand *r)
{
    double t = jr_double(r) * 6.0;
    double y = nx_exp10(t) * 100.0;
    int64_t whole = (int64_t)y; /* y >= 100: truncation is floor */
    double f = y - (double)whole;
    if (fabs(f - 0.5) <= y * 1e-13 + 1e-9)
        return java_round(pow(10.0, t) * 100.0);
    return whole + (f > 0.5);
}

/* ==== Fixed tables ======================================================== */

#define NX_FIRST_PERSON_ID 1000
#define NX_FIRST_AUCTION_ID 1000
#define NX_FIRST_CATEGORY_ID 10
#define NX_NUM_CATEGORIES 5
#define NX_PERSON_ID_LEAD 10
#define NX_AUCTION_ID_LEAD 10
#define NX_HOT_RATIO 100 /* HOT_SELLER_RATIO, HOT_AUCTION_RATIO, HOT_BIDDER_RATIO */
#define NX_HOT_CHANNELS_RATIO 2
#define NX_CHANNELS 10000
#define NX_MIN_STRING_LENGTH 3
#define NX_MAX_AVG_SIZE 10000 /* bytes: the pool below holds any extra this allows */

static const char *const us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const us_cities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                        "Portland", "Bend",        "Redmond",       "Seattle",
                                        "Kent",     "Cheyenne"};
static const char *const first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                          "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith",  "Jones",   "Noris"};
static const char *const hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};
static const uint8_t hot_channel_len[] = {6, 8, 5, 5};

#define NX_COUNT(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

/* Channel k's URL is NX_URL_HEAD "s0/s1/s2/" NX_URL_TAIL, then NX_CHANNEL_ID and
 * abs(Integer.reverse(k)) for 9 channels in 10; its name is "channel-" k. A channel
 * packs into 64 bits: the segments' letters (4 x 5 bits each; 26 is '_'), bit 60 + i
 * set when segment i has 4 letters (else 3), bit 63 when the URL has the id. 80 KB
 * for the 10000 channels stays in cache where whole URL strings (1 MB) did not. */
#define NX_URL_HEAD "https://www.nexmark.com/"
#define NX_URL_TAIL "item.htm?query=1"
#define NX_CHANNEL_ID "&channel_id="

typedef struct nx_hot_channel {
    size_t url_len;
    char url[64];
} nx_hot_channel;

/* Channels 0..9999, the four hot ones, and the padding pool. Built once per process
 * (pthread_once) and read-only after: generators share them freely. */
static uint64_t channels[NX_CHANNELS];
static nx_hot_channel hot_urls[4];
#define NX_POOL_WINDOWS 65536
static char extra_pool[NX_POOL_WINDOWS + NX_MAX_AVG_SIZE * 2];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The smallest nextInt(31) draw that nextInt(bound) rejects: draws from
 * floor(2^31 / bound) * bound up are redrawn (Java's "u - r + m < 0"). */
#define JR_REJECT_FROM(bound) ((UINT32_C(0x80000000) / (bound)) * (bound))

/* StringsGenerator.nextString(random, maxLength, special) into out (maxLength - 1
 * bytes at most); trim() when special is a space. Returns the length.
 *
 * Each character is nextInt(13) == 0 ? special : 'a' + nextInt(26): one or two draws
 * depending on the first, a branch the predictor gets wrong 1 time in 13 per
 * character. So both possible next states are computed and the draw selects one
 * (a conditional move); the rare draw that Java would reject takes the plain path. */
static size_t nx_string(jrand *r, int32_t max_len, char special, char *out)
{
    int32_t len = NX_MIN_STRING_LENGTH + jr_int_bound(r, max_len - NX_MIN_STRING_LENGTH);
    uint64_t s = r->s;
    for (int32_t i = 0; i < len; i++) {
        uint64_t s1 = (s * JR_MULT + 0xB) & JR_MASK, s2 = (s1 * JR_MULT + 0xB) & JR_MASK;
        uint32_t u1 = (uint32_t)(s1 >> 17), u2 = (uint32_t)(s2 >> 17);
        if (u1 >= JR_REJECT_FROM(13) || u2 >= JR_REJECT_FROM(26)) {
            r->s = s;
            out[i] = jr_int_bound(r, 13) == 0 ? special : (char)('a' + jr_int_bound(r, 26));
            s = r->s;
            continue;
        }
        bool sp = u1 % 13 == 0;
        out[i] = sp ? special : (char)('a' + u2 % 26);
        s = sp ? s1 : s2;
    }
    r->s = s;
    size_t b = 0, e = (size_t)len;
    if (special == ' ') { /* String.trim(): only the special character can be blank */
        while (b < e && out[b] == ' ')
            b++;
        while (e > b && out[e - 1] == ' ')
            e--;
        if (b)
            memmove(out, out + b, e - b);
    }
    return e - b;
}

/* StringsGenerator.nextExactString: six letters per nextInt, Java's signed % and /,
 * so a negative draw gives characters below 'a' ('H'..'`'). */
static void nx_exact_string(jrand *r, size_t len, char *out)
{
    int32_t rnd = 0, n = 0;
    for (size_t i = 0; i < len; i++) {
        if (n == 0) {
            rnd = jr_int(r);
            n = 6;
        }
        out[i] = (char)('a' + rnd % 26);
        rnd /= 26;
        n--;
    }
}

/* The varying middle of BidGenerator.getBaseUrl ("xxx/yyy/zzz/"), from r. */
static size_t nx_url_segments(jrand *r, char *out)
{
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        n += nx_string(r, 5, '_', out + n);
        out[n++] = '/';
    }
    return n;
}

static void build_tables(void)
{
    jrand r;
    for (int32_t k = 0; k < NX_CHANNELS; k++) {
        char seg[16];
        jr_seed(&r, (uint64_t)k);
        size_t n = nx_url_segments(&r, seg);
        uint64_t packed = 0;
        for (size_t i = 0, at = 0, s_i = 0; i < n; i++) {
            if (seg[i] == '/') {
                packed |= (uint64_t)(at - s_i * 4 == 4) << (60 + s_i);
                s_i++;
                at = s_i * 4;
                continue;
            }
            packed |= (uint64_t)(seg[i] == '_' ? 26 : seg[i] - 'a') << (5 * at++);
        }
        if (jr_int_bound(&r, 10) > 0)
            packed |= UINT64_C(1) << 63;
        channels[k] = packed;
    }
    for (int i = 0; i < 4; i++) {
        nx_hot_channel *h = &hot_urls[i];
        char seg[16];
        jr_seed(&r, (uint64_t)(NX_CHANNELS + i));
        size_t n = nx_url_segments(&r, seg);
        h->url_len = (size_t)snprintf(h->url, sizeof(h->url), "%s%.*s%s", NX_URL_HEAD, (int)n, seg,
                                      NX_URL_TAIL);
    }
    jr_seed(&r, 0);
    nx_exact_string(&r, sizeof(extra_pool), extra_pool);
    for (int j = 0; j < 64; j++)
        exp2_64ths[j] = exp2(j / 64.0);
}

struct sg_nx_gen {
    sg_nx_config cfg;
    uint64_t pos;                   /* the next position */
    uint64_t seed_mix;              /* xor-ed into each event's Random seed (0 for seed 0) */
    int64_t total;                  /* person + auction + bid proportions */
    double delay_us;                /* interEventDelayUs */
    int64_t auction_horizon_events; /* numInFlightAuctions * total / auctionProportion */
    /* The strings of the current event (url and channel: the prefixes stay). */
    char name[32], email[16], credit_card[20], item_name[24], description[104];
    char url[96], channel[16];
};

/* Writes v's decimal digits ending just before end (which has 10 bytes of room
 * before it); returns where they start. Always ten digits, then the start chosen by
 * comparisons: channel numbers are random, so a loop's exit would be mispredicted
 * about once a number. */
static inline char *put_digits(char *end, uint32_t v)
{
    uint32_t lo = v % 100000, hi = v / 100000;
    for (int i = 1; i <= 5; i++, lo /= 10, hi /= 10) {
        end[-i] = (char)('0' + lo % 10);
        end[-i - 5] = (char)('0' + hi % 10);
    }
    int n = 1 + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000) + (v >= 100000) +
            (v >= 1000000) + (v >= 10000000) + (v >= 100000000) + (v >= 1000000000);
    return end - n;
}

/* Bid channel k (not a hot one): its name and URL into g's buffers. */
static void nx_channel_of(sg_nx_gen *g, int32_t k, sg_nx_bid *b)
{
    static const char alphabet[32] = "abcdefghijklmnopqrstuvwxyz_";
    uint64_t packed = channels[k];
    char *end = g->channel + sizeof(g->channel), *p = put_digits(end, (uint32_t)k);
    p -= 8;
    memcpy(p, "channel-", 8);
    b->channel = (sg_bytes){p, (size_t)(end - p)};
    char *u = g->url + sizeof(NX_URL_HEAD) - 1;
    for (int i = 0; i < 3; i++) { /* four letters, then '/' over the 4th if there are 3 */
        for (int j = 0; j < 4; j++)
            u[j] = alphabet[packed >> (5 * (i * 4 + j)) & 31];
        u += 3 + (int)(packed >> (60 + i) & 1);
        *u++ = '/';
    }
    memcpy(u, NX_URL_TAIL, sizeof(NX_URL_TAIL) - 1);
    u += sizeof(NX_URL_TAIL) - 1;
    if (packed >> 63) {
        memcpy(u, NX_CHANNEL_ID, sizeof(NX_CHANNEL_ID) - 1);
        u += sizeof(NX_CHANNEL_ID) - 1;
        /* Math.abs(Integer.reverse(k)); only k = 1 reverses to MIN_VALUE, whose abs
         * stays negative in Java. */
        uint32_t rev = (uint32_t)k;
        rev = (rev >> 1 & 0x55555555u) | (rev & 0x55555555u) << 1;
        rev = (rev >> 2 & 0x33333333u) | (rev & 0x33333333u) << 2;
        rev = (rev >> 4 & 0x0f0f0f0fu) | (rev & 0x0f0f0f0fu) << 4;
        rev = (rev >> 8 & 0x00ff00ffu) | (rev & 0x00ff00ffu) << 8;
        rev = rev >> 16 | rev << 16;
        char digits[12],
            *d = put_digits(digits + sizeof(digits), (int32_t)rev < 0 ? 0u - rev : rev);
        if (rev == 0x80000000u)
            *--d = '-';
        size_t n = (size_t)(digits + sizeof(digits) - d);
        memcpy(u, d, n);
        u += n;
    }
    b->url = (sg_bytes){g->url, (size_t)(u - g->url)};
}

/* ==== The generator ======================================================= */

void sg_nx_config_default(sg_nx_config *cfg)
{
    *cfg = (sg_nx_config){
        .seed = 0,
        .base_time = INT64_C(1767225600000), /* 2026-01-01T00:00:00Z */
        .count = 0,
        .rate = 10000, /* NexmarkConfiguration.firstEventRate */
        .person_proportion = 1,
        .auction_proportion = 3,
        .bid_proportion = 46,
        .hot_auction_ratio = 2,
        .hot_bidders_ratio = 4,
        .hot_sellers_ratio = 4,
        .num_in_flight_auctions = 100,
        .num_active_people = 1000,
        .avg_person_size = 200,
        .avg_auction_size = 500,
        .avg_bid_size = 100,
        .out_of_order_group_size = 1,
    };
}

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

sg_nx_gen *sg_nx_gen_new(const sg_nx_config *cfg, const char **err)
{
    static const char *bad =
        "nexmark: need rate in (0, 1e9] events/s, base_time in 0..1e14 ms, proportions "
        "person >= 1, auction >= 1, bid >= 0 (sum <= 1e6), hot ratios in 1..1e6, in-flight "
        "auctions and active people in 1..1e9, average sizes in 1..10000 bytes and an "
        "out-of-order group size in 1..1e9";
    const char *dummy;
    if (!err)
        err = &dummy;
    *err = NULL;
    uint64_t total =
        (uint64_t)cfg->person_proportion + cfg->auction_proportion + cfg->bid_proportion;
    if (!(cfg->rate > 0 && cfg->rate <= 1e9) || cfg->base_time < 0 ||
        cfg->base_time > INT64_C(100000000000000) || cfg->person_proportion < 1 ||
        cfg->auction_proportion < 1 || total > 1000000 || cfg->hot_auction_ratio < 1 ||
        cfg->hot_bidders_ratio < 1 || cfg->hot_sellers_ratio < 1 ||
        cfg->hot_auction_ratio > 1000000 || cfg->hot_bidders_ratio > 1000000 ||
        cfg->hot_sellers_ratio > 1000000 || cfg->num_in_flight_auctions < 1 ||
        cfg->num_in_flight_auctions > 1000000000 || cfg->num_active_people < 1 ||
        cfg->num_active_people > 1000000000 || cfg->avg_person_size < 1 ||
        cfg->avg_person_size > NX_MAX_AVG_SIZE || cfg->avg_auction_size < 1 ||
        cfg->avg_auction_size > NX_MAX_AVG_SIZE || cfg->avg_bid_size < 1 ||
        cfg->avg_bid_size > NX_MAX_AVG_SIZE || cfg->out_of_order_group_size < 1 ||
        cfg->out_of_order_group_size > 1000000000) {
        *err = bad;
        return NULL;
    }
    sg_nx_gen *g = calloc(1, sizeof(*g));
    if (!g) {
        *err = "out of memory";
        return NULL;
    }
    pthread_once(&tables_once, build_tables);
    memcpy(g->url, NX_URL_HEAD, sizeof(NX_URL_HEAD) - 1);
    memcpy(g->channel, "channel-", 8);
    g->cfg = *cfg;
    g->seed_mix = cfg->seed ? mix64(cfg->seed) : 0;
    g->total = (int64_t)total;
    g->delay_us = 1000000.0 / cfg->rate;
    g->auction_horizon_events =
        (int64_t)cfg->num_in_flight_auctions * g->total / cfg->auction_proportion;
    return g;
}

void sg_nx_gen_free(sg_nx_gen *gen)
{
    free(gen);
}

uint64_t sg_nx_gen_position(const sg_nx_gen *gen)
{
    return gen->pos;
}

void sg_nx_gen_seek(sg_nx_gen *gen, uint64_t n)
{
    gen->pos = n;
}

/* GeneratorConfig.timestampForEvent. */
static inline sg_time nx_timestamp(const sg_nx_gen *g, int64_t e)
{
    return g->cfg.base_time + (int64_t)((double)e * g->delay_us) / 1000;
}

/* PersonGenerator.lastBase0PersonId and AuctionGenerator.lastBase0AuctionId, from
 * e's epoch and offset. */
static inline int64_t last_person(const sg_nx_gen *g, int64_t epoch, int64_t offset)
{
    int64_t pp = g->cfg.person_proportion;
    return epoch * pp + (offset >= pp ? pp - 1 : offset);
}

static inline int64_t last_auction(const sg_nx_gen *g, int64_t epoch, int64_t offset)
{
    int64_t pp = g->cfg.person_proportion, ap = g->cfg.auction_proportion;
    if (offset < pp) {
        epoch--;
        offset = ap - 1;
    } else if (offset >= pp + ap) {
        offset = ap - 1;
    } else {
        offset -= pp;
    }
    return epoch * ap + offset;
}

/* PersonGenerator.nextBase0PersonId. */
static inline int64_t next_person(const sg_nx_gen *g, jrand *r, int64_t last)
{
    int64_t num = last + 1;
    int64_t active = num < g->cfg.num_active_people ? num : g->cfg.num_active_people;
    return num - active + nx_long(r, active + NX_PERSON_ID_LEAD);
}

/* AuctionGenerator.nextBase0AuctionId. */
static inline int64_t next_auction(const sg_nx_gen *g, jrand *r, int64_t last)
{
    int64_t lo = last - g->cfg.num_in_flight_auctions;
    if (lo < 0)
        lo = 0;
    return lo + nx_long(r, last - lo + 1 + NX_AUCTION_ID_LEAD);
}

/* StringsGenerator.nextExtra: Java's length (and draw); the bytes come from the
 * pool, at a window picked by the Random's state after the draw. */
static inline sg_bytes nx_extra(jrand *r, int64_t current, int64_t avg)
{
    if (current > avg)
        return (sg_bytes){extra_pool, 0};
    avg -= current;
    /* Math.round(avg * 0.2): the fraction is a multiple of 0.2, never .5, so this is
     * (avg + 2) / 5 in integers (no floor and conversions on every event). */
    int32_t delta = (int32_t)((avg + 2) / 5);
    int64_t size = avg - delta + (delta == 0 ? 0 : jr_int_bound(r, 2 * delta));
    return (sg_bytes){extra_pool + (r->s >> 16) % NX_POOL_WINDOWS, (size_t)size};
}

static void gen_person(sg_nx_gen *g, jrand *r, int64_t epoch, int64_t offset, sg_nx_event *ev)
{
    sg_nx_person *p = &ev->person;
    p->id = last_person(g, epoch, offset) + NX_FIRST_PERSON_ID;
    const char *first = first_names[jr_int_bound(r, NX_COUNT(first_names))];
    const char *last = last_names[jr_int_bound(r, NX_COUNT(last_names))];
    size_t fl = strlen(first), ll = strlen(last);
    memcpy(g->name, first, fl);
    g->name[fl] = ' ';
    memcpy(g->name + fl + 1, last, ll);
    p->name = (sg_bytes){g->name, fl + 1 + ll};
    size_t n = nx_string(r, 7, ' ', g->email);
    g->email[n++] = '@';
    n += nx_string(r, 5, ' ', g->email + n);
    memcpy(g->email + n, ".com", 4);
    p->email_address = (sg_bytes){g->email, n + 4};
    for (int i = 0; i < 4; i++) {
        int32_t v = jr_int_bound(r, 10000);
        char *c = g->credit_card + i * 5;
        c[0] = (char)('0' + v / 1000);
        c[1] = (char)('0' + v / 100 % 10);
        c[2] = (char)('0' + v / 10 % 10);
        c[3] = (char)('0' + v % 10);
        c[4] = ' ';
    }
    p->credit_card = (sg_bytes){g->credit_card, 19};
    const char *city = us_cities[jr_int_bound(r, NX_COUNT(us_cities))];
    const char *state = us_states[jr_int_bound(r, NX_COUNT(us_states))];
    p->city = (sg_bytes){city, strlen(city)};
    p->state = (sg_bytes){state, 2};
    int64_t size = 8 + (int64_t)(p->name.len + p->email_address.len + p->credit_card.len +
                                 p->city.len + p->state.len);
    ev->extra = nx_extra(r, size, g->cfg.avg_person_size);
}

static void gen_auction(sg_nx_gen *g, jrand *r, int64_t e, int64_t epoch, int64_t offset,
                        sg_nx_event *ev)
{
    sg_nx_auction *a = &ev->auction;
    a->id = last_auction(g, epoch, offset) + NX_FIRST_AUCTION_ID;
    int64_t lp = last_person(g, epoch, offset);
    if (jr_int_bound(r, (int32_t)g->cfg.hot_sellers_ratio) > 0)
        a->seller = lp / NX_HOT_RATIO * NX_HOT_RATIO;
    else
        a->seller = next_person(g, r, lp);
    a->seller += NX_FIRST_PERSON_ID;
    a->category = NX_FIRST_CATEGORY_ID + jr_int_bound(r, NX_NUM_CATEGORIES);
    a->initial_bid = nx_price(r);
    /* nextAuctionLengthMs: an average of the time until numInFlightAuctions more
     * auctions have been generated. */
    int64_t horizon = nx_timestamp(g, e + g->auction_horizon_events) - ev->date_time;
    a->expires = ev->date_time + 1 + nx_long(r, horizon * 2 > 1 ? horizon * 2 : 1);
    size_t nl = nx_string(r, 20, ' ', g->item_name);
    size_t dl = nx_string(r, 100, ' ', g->description);
    a->item_name = (sg_bytes){g->item_name, nl};
    a->description = (sg_bytes){g->description, dl};
    a->reserve = a->initial_bid + nx_price(r);
    ev->extra = nx_extra(r, 8 + (int64_t)(nl + dl) + 40, g->cfg.avg_auction_size);
}

static void gen_bid(sg_nx_gen *g, jrand *r, int64_t epoch, int64_t offset, sg_nx_event *ev)
{
    sg_nx_bid *b = &ev->bid;
    int64_t la = last_auction(g, epoch, offset), lp = last_person(g, epoch, offset);
    if (jr_int_bound(r, (int32_t)g->cfg.hot_auction_ratio) > 0)
        b->auction = la / NX_HOT_RATIO * NX_HOT_RATIO;
    else
        b->auction = next_auction(g, r, la);
    b->auction += NX_FIRST_AUCTION_ID;
    if (jr_int_bound(r, (int32_t)g->cfg.hot_bidders_ratio) > 0)
        b->bidder = lp / NX_HOT_RATIO * NX_HOT_RATIO + 1;
    else
        b->bidder = next_person(g, r, lp);
    b->bidder += NX_FIRST_PERSON_ID;
    b->price = nx_price(r);
    if (jr_int_bound(r, NX_HOT_CHANNELS_RATIO) > 0) {
        int32_t i = jr_int_bound(r, NX_COUNT(hot_channels));
        b->channel = (sg_bytes){hot_channels[i], hot_channel_len[i]};
        b->url = (sg_bytes){hot_urls[i].url, hot_urls[i].url_len};
    } else {
        nx_channel_of(g, jr_int_bound(r, NX_CHANNELS), b);
    }
    ev->extra = nx_extra(r, 32, g->cfg.avg_bid_size);
}

int sg_nx_gen_next(sg_nx_gen *gen, sg_nx_event *ev)
{
    if (gen->cfg.count && gen->pos >= gen->cfg.count)
        return SG_EOF;
    uint64_t n = gen->pos++;
    /* GeneratorConfig.nextAdjustedEventNumber: a fixed shuffle within each group. */
    uint64_t ooo = gen->cfg.out_of_order_group_size;
    int64_t e = (int64_t)(ooo == 1 ? n : n / ooo * ooo + n * 953 % ooo);
    int64_t epoch = e / gen->total, offset = e % gen->total;
    jrand r;
    jr_seed(&r, (uint64_t)e ^ gen->seed_mix);
    ev->date_time = nx_timestamp(gen, e);
    if (offset < gen->cfg.person_proportion) {
        ev->type = SG_NX_PERSON;
        gen_person(gen, &r, epoch, offset, ev);
    } else if (offset < (int64_t)gen->cfg.person_proportion + gen->cfg.auction_proportion) {
        ev->type = SG_NX_AUCTION;
        gen_auction(gen, &r, e, epoch, offset, ev);
    } else {
        ev->type = SG_NX_BID;
        gen_bid(gen, &r, epoch, offset, ev);
    }
    return SG_OK;
}
