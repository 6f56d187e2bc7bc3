/* upigen.c — generated UPI payments and logins (upigen.h).
 *
 * Every choice is a hash of (seed, what is chosen, the number it is for), never a
 * running random state: payment seq, its payer and that payer's habits can each be
 * derived alone, in any order. Integer arithmetic only, so the bytes are the same on
 * every machine. */
#include <stdio.h>
#include <string.h>

#include "upigen.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define BLOCK 64     /* numbers per block; a block holds at most one fraud episode */
#define NORMAL_S 900 /* a 20-minute cycle: 15 minutes at the rate... */
#define SALE_S 300   /* ...then a 5-minute sale at three times the rate */

static const char *const first_names[] = {
    "aarav",   "priya", "rohan",   "ananya", "vikram",   "kavya",    "arjun",
    "sneha",   "rahul", "pooja",   "amit",   "divya",    "suresh",   "lakshmi",
    "karthik", "meera", "imran",   "fatima", "gurpreet", "harpreet", "sanjay",
    "neha",    "manoj", "deepika", "venkat", "anjali",   "rajesh",   "swati",
};
static const char *const last_names[] = {
    "sharma", "verma",  "iyer",   "reddy",   "patel",    "shah",      "nair", "menon",
    "gupta",  "singh",  "khan",   "das",     "banerjee", "mukherjee", "rao",  "kulkarni",
    "joshi",  "chopra", "pillai", "agarwal", "mishra",   "yadav",     "bose", "naidu",
};
static const char *const handles[] = {
    "okhdfcbank", "okicici", "oksbi", "okaxis", "ybl", "paytm", "ibl", "axl", "upi",
};
static const char *const cities[] = {
    "Mumbai",     "Delhi",      "Bengaluru",     "Hyderabad",   "Chennai",  "Kolkata",
    "Pune",       "Ahmedabad",  "Jaipur",        "Lucknow",     "Surat",    "Kanpur",
    "Nagpur",     "Indore",     "Bhopal",        "Patna",       "Kochi",    "Guwahati",
    "Chandigarh", "Coimbatore", "Visakhapatnam", "Bhubaneswar", "Varanasi", "Ranchi",
};
static const char *const merchants[] = {
    "swiggy@icici",
    "zomato@hdfcbank",
    "irctc@sbi",
    "bigbasket@ybl",
    "dmart@axisbank",
    "jio@sbi",
    "airtel@icici",
    "bescom@ybl",
    "uber@axisbank",
    "olacabs@icici",
    "apollopharmacy@hdfcbank",
    "bookmyshow@axisbank",
    "zepto@ybl",
    "blinkit@icici",
};
static const char *const sale_merchants[] = {
    "flipkart@axisbank", "amazonpay@apl", "myntra@icici",      "meesho@ybl",
    "ajio@hdfcbank",     "nykaa@ybl",     "tatacliq@hdfcbank", "croma@icici",
};
static const char *const mules[] = {
    "cashback.offer", "kyc.update", "refund.desk", "lucky.draw", "prize.claim",
};

/* ---- Hashing ---------------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* What is chosen (a salt) for which number: independent draws from one seed. */
enum {
    S_JITTER = 1,
    S_LOGIN_JITTER,
    S_PAYER,
    S_DEVICE,
    S_PAYEE,
    S_FAVOURITE,
    S_CITY,
    S_AMOUNT,
    S_LOGIN,
    S_EPISODE,
    S_VICTIM,
    S_FRAUD_DEVICE,
    S_FRAUD_CITY,
    S_NAME,
    S_HOME,
    S_N_DEVICES,
    S_OS,
    S_DEVICE_ID,
    S_HANDLE,
};

static uint64_t draw(const upi_gen_config *cfg, uint64_t salt, uint64_t n)
{
    return mix(cfg->seed ^ mix(salt * 0x100000001b3u ^ mix(n)));
}

/* ---- Payers and their habits ------------------------------------------------------------- */

static void payer_vpa(const upi_gen_config *cfg, uint64_t p, char *buf, size_t cap)
{
    uint64_t h = draw(cfg, S_NAME, p);
    snprintf(buf, cap, "%s.%s%llu@%s", first_names[h % N_OF(first_names)],
             last_names[(h >> 16) % N_OF(last_names)], (unsigned long long)p,
             handles[draw(cfg, S_HANDLE, p) % N_OF(handles)]);
}

static size_t home_city(const upi_gen_config *cfg, uint64_t p)
{
    return draw(cfg, S_HOME, p) % N_OF(cities);
}

/* Device k (0 or 1) of payer p; the second one is used when p has two. */
static void payer_device(const upi_gen_config *cfg, uint64_t p, uint64_t k, char *buf, size_t cap)
{
    const char *os = draw(cfg, S_OS, p * 2 + k) % 3 == 0 ? "ios" : "android";
    snprintf(buf, cap, "%s-%08llx", os,
             (unsigned long long)(draw(cfg, S_DEVICE_ID, p * 2 + k) & 0xffffffffu));
}

/* One of payer p's six favourite payees: family and friends (other payers) or shops. */
static void favourite(const upi_gen_config *cfg, uint64_t p, uint64_t j, char *buf, size_t cap)
{
    uint64_t h = draw(cfg, S_FAVOURITE, p * 8 + j);
    if (h % 3 == 0)
        snprintf(buf, cap, "%s", merchants[(h >> 8) % N_OF(merchants)]);
    else
        payer_vpa(cfg, (h >> 8) % (uint64_t)cfg->payers, buf, cap);
}

/* A payer: a quarter of payments come from the first 5% of payers (regulars, who pay
 * five to six times as often as the rest). */
static uint64_t pick_payer(const upi_gen_config *cfg, uint64_t h)
{
    uint64_t n = (uint64_t)cfg->payers;
    return (h & 3) == 0 ? (h >> 2) % (n / 20 + 1) % n : (h >> 2) % n;
}

/* ---- Time ----------------------------------------------------------------------------------- */

/* Event time of payment seq before jitter, and whether it falls in a sale. */
static int64_t base_ts(const upi_gen_config *cfg, uint64_t seq, bool *sale)
{
    uint64_t rate = (uint64_t)cfg->rate, normal = rate * NORMAL_S,
             cycle = normal + rate * SALE_S * 3;
    uint64_t c = seq / cycle, i = seq % cycle;
    int64_t off = (int64_t)(i < normal ? i * 1000 / rate
                                       : NORMAL_S * 1000 + (i - normal) * 1000 / (3 * rate));
    *sale = i >= normal;
    return cfg->start_ms + (int64_t)c * (NORMAL_S + SALE_S) * 1000 + off;
}

static int64_t jitter(const upi_gen_config *cfg, uint64_t salt, uint64_t seq)
{
    return (int64_t)(draw(cfg, salt, seq) % ((uint64_t)cfg->max_disorder_ms + 1));
}

/* ---- Payments ------------------------------------------------------------------------------- */

/* An amount in paise from a bucket: most payments are small; rupees are often round. */
static int64_t amount(uint64_t h, bool big_basket)
{
    static const int64_t lo[] = {1000, 50000, 300000, 1000000},
                         hi[] = {50000, 300000, 1000000, 5000000};
    uint64_t pick = h % 100, b = pick < 50 ? 0 : pick < 85 ? 1 : pick < 98 ? 2 : 3;
    if (big_basket && b < 2)
        b++;
    int64_t a = lo[b] + (int64_t)((h >> 8) % (uint64_t)(hi[b] - lo[b]));
    return (h >> 40) % 5 < 3 ? a - a % 100 + 100 : a; /* whole rupees, three times in five */
}

static void normal_txn(const upi_gen_config *cfg, uint64_t seq, upi_gen_txn *t)
{
    uint64_t p = pick_payer(cfg, draw(cfg, S_PAYER, seq)), h = draw(cfg, S_PAYEE, seq);
    uint64_t two = draw(cfg, S_N_DEVICES, p) % 4 == 0, hc = draw(cfg, S_CITY, seq);
    payer_vpa(cfg, p, t->payer, sizeof(t->payer));
    payer_device(cfg, p, two && draw(cfg, S_DEVICE, seq) % 5 == 0, t->device, sizeof(t->device));
    /* Travellers now and then: an honest city change. */
    snprintf(t->city, sizeof(t->city), "%s",
             cities[hc % 50 == 0 ? (hc >> 8) % N_OF(cities) : home_city(cfg, p)]);
    if (t->sale && h % 2 == 0)
        snprintf(t->payee, sizeof(t->payee), "%s", sale_merchants[(h >> 8) % N_OF(sale_merchants)]);
    else if (h % 10 < 7)
        favourite(cfg, p, (h >> 8) % 6, t->payee, sizeof(t->payee));
    else if (h % 10 < 9)
        snprintf(t->payee, sizeof(t->payee), "%s", merchants[(h >> 8) % N_OF(merchants)]);
    else
        snprintf(t->payee, sizeof(t->payee), "kirana.%llu@paytm",
                 (unsigned long long)(h >> 8) % 5000);
    t->amount_paise = amount(draw(cfg, S_AMOUNT, seq), t->sale && h % 2 == 0);
    t->has_login = draw(cfg, S_LOGIN, seq) % 100 < 96;
    snprintf(t->login_device, sizeof(t->login_device), "%s", t->device);
}

/* The fraud episode of seq's block, if seq is in it: its kind and first number. */
static upi_gen_kind episode(const upi_gen_config *cfg, uint64_t seq, uint64_t *first)
{
    uint64_t block = seq / BLOCK, e = draw(cfg, S_EPISODE, block), len;
    if (e % 100 >= 30)
        return UPI_GEN_NORMAL;
    upi_gen_kind kind = (upi_gen_kind)(UPI_GEN_BURST + (e >> 8) % 4);
    len = kind == UPI_GEN_BURST       ? 6 + (e >> 16) % 5
          : kind == UPI_GEN_TAKEOVER  ? 2 + (e >> 16) % 2
          : kind == UPI_GEN_CITY_JUMP ? 2
                                      : 1;
    *first = block * BLOCK + (e >> 24) % (BLOCK - len);
    return seq >= *first && seq < *first + len ? kind : UPI_GEN_NORMAL;
}

static void fraud_txn(const upi_gen_config *cfg, uint64_t seq, upi_gen_kind kind, uint64_t first,
                      upi_gen_txn *t)
{
    uint64_t block = seq / BLOCK, v = draw(cfg, S_VICTIM, block) % (uint64_t)cfg->payers;
    uint64_t h = draw(cfg, S_AMOUNT, seq);
    size_t home = home_city(cfg, v);
    size_t far = (home + 1 + draw(cfg, S_FRAUD_CITY, block) % (N_OF(cities) - 1)) % N_OF(cities);
    payer_vpa(cfg, v, t->payer, sizeof(t->payer));
    payer_device(cfg, v, 0, t->login_device, sizeof(t->login_device));
    snprintf(t->device, sizeof(t->device), "android-%08llx",
             (unsigned long long)(draw(cfg, S_FRAUD_DEVICE, block) & 0xffffffffu));
    snprintf(t->city, sizeof(t->city), "%s", cities[kind == UPI_GEN_BIG_AMOUNT ? home : far]);
    snprintf(t->payee, sizeof(t->payee), "%s%llu@ybl", mules[(h >> 50) % N_OF(mules)],
             (unsigned long long)(block % 100000));
    t->fraud = true;
    t->has_login = h % 2 == 0; /* the victim's own login, on the victim's own device */
    if (kind == UPI_GEN_BURST)
        t->amount_paise = 99900 + (int64_t)(h % 9000) * 100;
    else if (kind == UPI_GEN_TAKEOVER || kind == UPI_GEN_CITY_JUMP)
        t->amount_paise = 2000000 + (int64_t)(h % 8000) * 1000;
    else
        t->amount_paise = 5000000 + (int64_t)(h % 15000) * 1000;
    if (kind == UPI_GEN_CITY_JUMP && seq == first) {
        /* The honest half: at home, on the victim's device, to a favourite. */
        snprintf(t->device, sizeof(t->device), "%s", t->login_device);
        snprintf(t->city, sizeof(t->city), "%s", cities[home]);
        favourite(cfg, v, h % 6, t->payee, sizeof(t->payee));
        t->amount_paise = amount(h, false);
        t->fraud = false;
        t->has_login = true;
    }
}

int upi_gen_check(const upi_gen_config *cfg)
{
    bool ok = cfg->start_ms >= 0 && cfg->start_ms <= INT64_C(4000000000000000000) &&
              cfg->rate >= 1 && cfg->rate <= 1000000 && cfg->max_disorder_ms >= 0 &&
              cfg->max_disorder_ms <= 1000000000 && cfg->payers >= 1 && cfg->payers <= 10000000;
    return ok ? 0 : -1;
}

void upi_gen_txn_at(const upi_gen_config *cfg, uint64_t seq, upi_gen_txn *t)
{
    uint64_t first = 0;
    int64_t base;
    memset(t, 0, sizeof(*t));
    base = base_ts(cfg, seq, &t->sale);
    t->ts = base - jitter(cfg, S_JITTER, seq);
    t->login_ts = base - UPI_GEN_LOGIN_LEAD_MS - jitter(cfg, S_LOGIN_JITTER, seq);
    snprintf(t->txn_id, sizeof(t->txn_id), "UPI%012llu", (unsigned long long)(100000000000u + seq));
    t->kind = episode(cfg, seq, &first);
    if (t->kind == UPI_GEN_NORMAL)
        normal_txn(cfg, seq, t);
    else
        fraud_txn(cfg, seq, t->kind, first, t);
}

size_t upi_gen_txn_line(const upi_gen_config *cfg, uint64_t seq, char *buf, size_t cap)
{
    upi_gen_txn t;
    upi_gen_txn_at(cfg, seq, &t);
    int n = snprintf(buf, cap,
                     "{\"ts\": %lld, \"txn_id\": \"%s\", \"payer\": \"%s\", \"payee\": \"%s\", "
                     "\"amount_paise\": %lld, \"device\": \"%s\", \"city\": \"%s\"}",
                     (long long)t.ts, t.txn_id, t.payer, t.payee, (long long)t.amount_paise,
                     t.device, t.city);
    return n < 0 ? 0 : (size_t)n;
}

size_t upi_gen_login_line(const upi_gen_config *cfg, uint64_t seq, char *buf, size_t cap)
{
    upi_gen_txn t;
    upi_gen_txn_at(cfg, seq, &t);
    if (!t.has_login)
        return 0;
    int n = snprintf(buf, cap, "{\"ts\": %lld, \"payer\": \"%s\", \"device\": \"%s\"}",
                     (long long)t.login_ts, t.payer, t.login_device);
    return n < 0 ? 0 : (size_t)n;
}
