/* ysbgen.h — the Yahoo Streaming Benchmark's ad events and its campaign table, as plain C
 * (libc only, no engine calls), so that the job (gen:ysb) and the single-threaded baseline
 * (bench/baseline/ysb.c) generate the very same events.
 *
 * As in the original benchmark (github.com/yahoo/streaming-benchmarks): 100 campaigns of
 * 10 ads each, every id a UUID; an event is one ad shown to a user on a page, with
 * ad_type one of banner, modal, sponsored-search, mail, mobile and event_type view, click
 * or purchase, drawn uniformly (so 1 event in 3 is a view), an event time in epoch ms and
 * an IPv4 address. Here an ad is carried as its compact id (0..999, YSB_ADS) and turned
 * into its UUID only for JSON; users and pages are numbers with UUIDs derived the same way.
 *
 * Event seq is a pure function of (seed, seq): instance i of P generates seq i, i + P, ...
 * and any position can be produced directly. Event time is start_ms + seq * 1000 / rate,
 * never decreasing, so the stream is in event-time order.
 *
 * The JSON Lines form (ysb_event_json), one object a line:
 *   {"user_id":"UUID","page_id":"UUID","ad_id":"UUID","ad_type":"banner",
 *    "event_type":"view","event_time":1767225600000,"ip_address":"10.1.2.3"}
 */
#ifndef YSB_YSBGEN_H
#define YSB_YSBGEN_H

#include <stddef.h>
#include <stdint.h>

#define YSB_CAMPAIGNS 100
#define YSB_ADS_PER_CAMPAIGN 10
#define YSB_ADS (YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN)
#define YSB_UUID_LEN 36                          /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
#define YSB_JSON_MAX 320                         /* every JSON line is shorter than this */
#define YSB_DEFAULT_SEED 1                       /* gen:ysb's and the job's default seed */
#define YSB_DEFAULT_START INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

typedef enum ysb_event_type { YSB_VIEW = 0, YSB_CLICK = 1, YSB_PURCHASE = 2 } ysb_event_type;
#define YSB_AD_TYPES 5
#define YSB_VIEW_LEN 12 /* bytes of (event_time, ad) at the start of a ysb_event */

/* One event, as the generator's records carry it (40 bytes, no pointers). event_time
 * and ad come first so that the job's projection to (event_time, ad) is the record's
 * first YSB_VIEW_LEN bytes, without a copy. */
typedef struct ysb_event {
    int64_t event_time; /* epoch ms */
    uint32_t ad;        /* compact ad id, < YSB_ADS; JSON: its UUID (ysb_uuid, YSB_KIND_AD) */
    uint32_t ip;        /* IPv4 address, host order */
    uint64_t user_id;   /* user number; JSON: its UUID (YSB_KIND_USER) */
    uint64_t page_id;   /* page number; JSON: its UUID (YSB_KIND_PAGE) */
    uint8_t ad_type;    /* < YSB_AD_TYPES, an index into ysb_ad_type_names */
    uint8_t event_type; /* ysb_event_type */
    uint8_t pad[6];
} ysb_event;

typedef struct ysb_gen_config {
    uint64_t seed;    /* same seed, same events, ads and campaigns */
    int64_t start_ms; /* event time of event 0, in 0..1e14 */
    int64_t rate;     /* events per second of event time, 1..1e9 */
    uint64_t users;   /* distinct users, 1..2^32 - 1 */
    uint64_t pages;   /* distinct pages, 1..2^32 - 1 */
} ysb_gen_config;

/* The defaults: YSB_DEFAULT_SEED, YSB_DEFAULT_START, 1 M events/s, 100 K users, 10 K pages. */
void ysb_gen_config_default(ysb_gen_config *cfg);
/* NULL when cfg is usable, else a static one-line reason. */
const char *ysb_gen_config_check(const ysb_gen_config *cfg);
/* Fills *ev with event seq. Deterministic in (cfg, seq); no allocation. */
void ysb_gen_event(const ysb_gen_config *cfg, uint64_t seq, ysb_event *ev);

/* ---- Names and UUIDs --------------------------------------------------------------- */

extern const char *const ysb_ad_type_names[YSB_AD_TYPES];
extern const char *const ysb_event_type_names[3];

typedef enum ysb_id_kind {
    YSB_KIND_AD = 1,
    YSB_KIND_CAMPAIGN,
    YSB_KIND_USER,
    YSB_KIND_PAGE
} ysb_id_kind;
/* Writes the UUID of entity n of this kind (version 4 layout, lowercase hex) into out:
 * YSB_UUID_LEN bytes, no NUL. */
void ysb_uuid(uint64_t seed, ysb_id_kind kind, uint64_t n, char out[YSB_UUID_LEN]);

/* ---- The campaign table --------------------------------------------------------------
 * Which ad belongs to which campaign: a seeded shuffle of the 1000 ads, cut into 100
 * campaigns of 10. campaign_of is the join's flat table (compact ad id -> campaign); the
 * hash slots map an ad UUID back to its compact id for JSON input. Plain memory: embed it
 * or allocate it, then ysb_ads_init. */
#define YSB_AD_SLOTS 2048 /* a power of two, about twice YSB_ADS */
typedef struct ysb_ads {
    uint64_t seed;
    uint16_t campaign_of[YSB_ADS]; /* compact ad id -> campaign index */
    uint64_t ad_key[YSB_ADS];      /* the 64-bit hash of each ad's UUID text */
    uint16_t slot[YSB_AD_SLOTS];   /* open addressing on ad_key: ad id + 1, 0 = empty */
    char campaign_uuid[YSB_CAMPAIGNS][YSB_UUID_LEN + 1]; /* NUL-terminated */
} ysb_ads;

void ysb_ads_init(ysb_ads *t, uint64_t seed);
/* The compact id of the ad whose UUID text is s[0..len), or -1 when it is none of them. */
int ysb_ads_find(const ysb_ads *t, const char *s, size_t len);

/* ---- JSON Lines -------------------------------------------------------------------- */

/* Writes ev as one JSON line (no newline) of the form above into buf (cap bytes) and
 * returns its length, which is < YSB_JSON_MAX; with a smaller cap the line may be cut
 * (snprintf style: the result is then >= cap). NUL-terminated when it fits. */
size_t ysb_event_json(uint64_t seed, const ysb_event *ev, char *buf, size_t cap);

#endif
