/* ysbgen.c — YSB ad events, UUIDs and the campaign table (see ysbgen.h).
 *
 * Every draw comes from splitmix64 seeded with the seed, at position seq, so an event
 * costs three independent 64-bit mixes and no memory: the generator must run far faster than the
 * job that consumes it, or a benchmark would measure the generator. */
#include "ysbgen.h"

#include <stdio.h>
#include <string.h>

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

const char *const ysb_ad_type_names[YSB_AD_TYPES] = {"banner", "modal", "sponsored-search", "mail",
                                                     "mobile"};
const char *const ysb_event_type_names[3] = {"view", "click", "purchase"};

/* splitmix64's finaliser. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* A uniform value below n from 32 random bits (Lemire's multiply-shift; the bias is
 * below n / 2^32, invisible at these n). */
static uint32_t below(uint32_t bits, uint32_t n)
{
    return (uint32_t)(((uint64_t)bits * n) >> 32);
}

void ysb_gen_config_default(ysb_gen_config *cfg)
{
    cfg->seed = YSB_DEFAULT_SEED;
    cfg->start_ms = YSB_DEFAULT_START;
    cfg->rate = 1000000;
    cfg->users = 100000;
    cfg->pages = 10000;
}

const char *ysb_gen_config_check(const ysb_gen_config *cfg)
{
    if (cfg->start_ms < 0 || cfg->start_ms > INT64_C(100000000000000))
        return "start must be in 0..1e14 (epoch ms)";
    if (cfg->rate < 1 || cfg->rate > 1000000000)
        return "rate must be in 1..1e9 (events per second of event time)";
    if (cfg->users < 1 || cfg->pages < 1 || cfg->users > UINT32_MAX || cfg->pages > UINT32_MAX)
        return "users and pages must be in 1..4294967295";
    return NULL;
}

void ysb_gen_event(const ysb_gen_config *cfg, uint64_t seq, ysb_event *ev)
{
    uint64_t rate = (uint64_t)cfg->rate;
    /* Outputs 3 seq .. 3 seq + 2 of splitmix64 seeded with the seed: three independent
     * mixes, which the CPU runs side by side. */
    uint64_t x = cfg->seed * UINT64_C(0xd1342543de82ef95) + 3 * seq * GOLDEN;
    uint64_t a = mix64(x + GOLDEN), b = mix64(x + 2 * GOLDEN), c = mix64(x + 3 * GOLDEN);
    /* seq * 1000 / rate; one division (they cost more than the mixes), and the exact
     * overflow-free form only where seq * 1000 would overflow. */
    uint64_t ms = seq < (UINT64_C(1) << 53) ? seq * 1000 / rate
                                            : seq / rate * 1000 + seq % rate * 1000 / rate;
    ev->event_time = cfg->start_ms + (int64_t)ms;
    ev->ad = below((uint32_t)a, YSB_ADS);
    ev->event_type = (uint8_t)below((uint32_t)(a >> 32), 3);
    ev->user_id = below((uint32_t)(b >> 32), (uint32_t)cfg->users);
    ev->page_id = below((uint32_t)b, (uint32_t)cfg->pages);
    ev->ad_type = (uint8_t)below((uint32_t)(c >> 32), YSB_AD_TYPES);
    ev->ip = (uint32_t)c;
    memset(ev->pad, 0, sizeof(ev->pad));
}

/* ---- UUIDs ---------------------------------------------------------------------------- */

void ysb_uuid(uint64_t seed, ysb_id_kind kind, uint64_t n, char out[YSB_UUID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = mix64(seed * GOLDEN ^ mix64(((uint64_t)kind << 56) ^ n));
    uint64_t lo = mix64(hi ^ GOLDEN);
    /* Version 4 and the RFC 4122 variant, as random UUIDs have them. */
    hi = (hi & ~UINT64_C(0xf000)) | UINT64_C(0x4000);
    lo = (lo & ~(UINT64_C(0xc) << 60)) | (UINT64_C(0x8) << 60);
    size_t o = 0;
    for (int i = 0; i < 32; i++) {
        uint64_t w = i < 16 ? hi : lo;
        int shift = 60 - 4 * (i % 16);
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[o++] = '-';
        out[o++] = hex[(w >> shift) & 0xf];
    }
}

/* ---- The campaign table --------------------------------------------------------------- */

/* FNV-1a over the UUID text: the lookup key of an ad. */
static uint64_t text_key(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return mix64(h);
}

void ysb_ads_init(ysb_ads *t, uint64_t seed)
{
    uint16_t order[YSB_ADS];
    memset(t, 0, sizeof(*t));
    t->seed = seed;
    for (int i = 0; i < YSB_ADS; i++)
        order[i] = (uint16_t)i;
    /* Fisher-Yates with the seed's own stream; then order[i] is in campaign i / 10. */
    uint64_t r = mix64(seed ^ UINT64_C(0xca3a1c0ffee));
    for (int i = YSB_ADS - 1; i > 0; i--) {
        r = mix64(r + GOLDEN);
        int j = (int)below((uint32_t)(r >> 32), (uint32_t)i + 1);
        uint16_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (int i = 0; i < YSB_ADS; i++)
        t->campaign_of[order[i]] = (uint16_t)(i / YSB_ADS_PER_CAMPAIGN);
    for (int c = 0; c < YSB_CAMPAIGNS; c++) {
        ysb_uuid(seed, YSB_KIND_CAMPAIGN, (uint64_t)c, t->campaign_uuid[c]);
        t->campaign_uuid[c][YSB_UUID_LEN] = '\0';
    }
    for (int a = 0; a < YSB_ADS; a++) {
        char u[YSB_UUID_LEN];
        ysb_uuid(seed, YSB_KIND_AD, (uint64_t)a, u);
        t->ad_key[a] = text_key(u, sizeof(u));
        size_t s = t->ad_key[a] & (YSB_AD_SLOTS - 1);
        while (t->slot[s])
            s = (s + 1) & (YSB_AD_SLOTS - 1);
        t->slot[s] = (uint16_t)(a + 1);
    }
}

int ysb_ads_find(const ysb_ads *t, const char *s, size_t len)
{
    if (len != YSB_UUID_LEN)
        return -1;
    uint64_t key = text_key(s, len);
    for (size_t i = key & (YSB_AD_SLOTS - 1); t->slot[i]; i = (i + 1) & (YSB_AD_SLOTS - 1)) {
        int a = t->slot[i] - 1;
        if (t->ad_key[a] != key)
            continue;
        char u[YSB_UUID_LEN]; /* a 64-bit hash match: confirm on the text itself */
        ysb_uuid(t->seed, YSB_KIND_AD, (uint64_t)a, u);
        if (memcmp(u, s, len) == 0)
            return a;
    }
    return -1;
}

/* ---- JSON ------------------------------------------------------------------------------ */

size_t ysb_event_json(uint64_t seed, const ysb_event *ev, char *buf, size_t cap)
{
    char user[YSB_UUID_LEN], page[YSB_UUID_LEN], ad[YSB_UUID_LEN];
    ysb_uuid(seed, YSB_KIND_USER, ev->user_id, user);
    ysb_uuid(seed, YSB_KIND_PAGE, ev->page_id, page);
    ysb_uuid(seed, YSB_KIND_AD, ev->ad, ad);
    int n = snprintf(buf, cap,
                     "{\"user_id\":\"%.36s\",\"page_id\":\"%.36s\",\"ad_id\":\"%.36s\","
                     "\"ad_type\":\"%s\",\"event_type\":\"%s\",\"event_time\":%lld,"
                     "\"ip_address\":\"%u.%u.%u.%u\"}",
                     user, page, ad, ysb_ad_type_names[ev->ad_type % YSB_AD_TYPES],
                     ysb_event_type_names[ev->event_type % 3], (long long)ev->event_time,
                     (unsigned)(ev->ip >> 24), (unsigned)(ev->ip >> 16 & 0xff),
                     (unsigned)(ev->ip >> 8 & 0xff), (unsigned)(ev->ip & 0xff));
    return n < 0 ? cap : (size_t)n;
}
