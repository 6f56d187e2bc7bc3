/* ecomgen.c — the clickstream generator (see ecomgen.h): shoppers' visits as small
 * state machines, interleaved by one seeded random stream.
 *
 * Why sequential rather than a pure function of the event number (as postgen.c is): a
 * visit is a sequence whose later events depend on earlier ones (a purchase buys what
 * was carted), and the job runs the generator as one instance anyway, so nothing needs
 * to jump into the middle of the stream. */
#include "ecomgen.h"

#include <stdio.h>
#include <string.h>

#include <sangam/sangam.h>

#define SLOTS 64 /* shoppers browsing at once */
#define HOUR_MS INT64_C(3600000)
#define IST_OFFSET_MS INT64_C(19800000) /* +05:30 */
#define DEAL_MS INT64_C(600000)         /* the first 10 minutes of each IST hour */

/* ==== Tables ================================================================ */

/* clang-format off */
static const char *const first_names[] = {
    "aarav", "vivaan", "aditya", "vihaan", "arjun", "sai", "reyansh", "ayaan", "krishna",
    "ishaan", "rohan", "kabir", "rahul", "amit", "suresh", "venkat", "karthik", "manpreet",
    "gurpreet", "sourav", "priya", "ananya", "diya", "aadhya", "saanvi", "pari", "anika",
    "kavya", "meera", "lakshmi", "fatima", "zoya", "neha", "pooja", "sneha", "divya", "deepika",
    "harini", "nandini", "simran",
};
static const char *const surnames[] = {
    "sharma", "verma", "gupta", "singh", "kumar", "patel", "shah", "mehta", "iyer", "iyengar",
    "nair", "menon", "reddy", "rao", "naidu", "pillai", "banerjee", "chatterjee", "mukherjee",
    "das", "bose", "ghosh", "khan", "ansari", "qureshi", "joshi", "kulkarni", "deshpande",
    "patil", "gill",
};
static const char *const cities[] = {
    "Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Ahmedabad", "Chennai", "Kolkata", "Surat",
    "Pune", "Jaipur", "Lucknow", "Kanpur", "Nagpur", "Indore", "Thane", "Bhopal",
    "Visakhapatnam", "Patna", "Vadodara", "Ghaziabad", "Ludhiana", "Agra", "Nashik",
    "Kochi", "Coimbatore", "Madurai", "Guwahati", "Chandigarh", "Mysuru", "Bhubaneswar",
};

typedef struct product {
    const char *name;
    int64_t price_paise;
} product;

/* Most popular first: product picks are skewed towards the start of the list. */
static const product catalogue[] = {
    {"Redmi Note 13 5G", 1699900},      {"boAt Airdopes 141", 129900},
    {"Cotton Kurta Set", 89900},        {"Banarasi Silk Saree", 1249900},
    {"Prestige Pressure Cooker 5L", 219900}, {"Tata Tea Gold 1kg", 58500},
    {"Aashirvaad Atta 10kg", 47900},    {"Haldiram Soan Papdi 500g", 19900},
    {"Diwali Diya Set of 12", 34900},   {"LED String Lights 10m", 29900},
    {"Kaju Katli Gift Box 1kg", 119900}, {"Samsung Galaxy M35", 1899900},
    {"Realme Narzo 70", 1299900},       {"Noise ColorFit Smartwatch", 199900},
    {"Bajaj Mixer Grinder 750W", 349900}, {"Philips Air Fryer", 899900},
    {"Lehenga Choli", 459900},          {"Nehru Jacket", 149900},
    {"Kolhapuri Chappal", 69900},       {"Bata Formal Shoes", 249900},
    {"Titan Analog Watch", 549900},     {"Tanishq Gold Coin 1g", 799900},
    {"Milton Steel Bottle", 64900},     {"Pigeon Non-stick Tawa", 79900},
    {"Godrej Almirah", 1599900},        {"Sleepwell Mattress Queen", 1899900},
    {"Whirlpool Refrigerator 265L", 2899900}, {"LG Front Load Washer 8kg", 3799900},
    {"Sony Bravia 55 inch TV", 6499900}, {"HP Pavilion Laptop", 6299900},
    {"Fastrack Sunglasses", 99900},     {"Wildcraft Backpack", 179900},
    {"Himalaya Face Wash", 19900},      {"Biba Anarkali Kurti", 169900},
    {"Puma Running Shoes", 399900},     {"Mi Power Bank 20000mAh", 219900},
    {"Rangoli Colours Pack", 24900},    {"Brass Puja Thali Set", 149900},
    {"Dry Fruits Hamper 1kg", 179900},  {"Classmate Notebooks Pack of 6", 29900},
};
/* clang-format on */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define GIFT_VOUCHER "E-Gift Voucher"

/* ==== Generator state ========================================================= */

typedef enum shopper_kind { SHOPPER, SCRAPER, CARD_TESTER } shopper_kind;

typedef struct shopper {
    uint64_t user; /* index in the pool (scraper / card tester: their own number) */
    shopper_kind kind;
    uint32_t left;      /* events left in this visit */
    uint32_t product;   /* the last product looked at */
    int64_t cart_paise; /* what the cart holds */
} shopper;

struct ec_gen {
    ec_gen_config cfg;
    uint64_t rng;
    uint64_t ticks; /* event time since start, in 1 / (SALE_FACTOR * rate) s */
    shopper slot[SLOTS];
};

/* splitmix64: the stream's next value. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t x = (*s += UINT64_C(0x9e3779b97f4a7c15));
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Uniform in [0, n) (n small: the modulo bias is far below what anyone would see). */
static uint64_t below(ec_gen *g, uint64_t n)
{
    return next_u64(&g->rng) % n;
}

bool ec_gen_in_sale(int64_t ts)
{
    int64_t m = (ts + IST_OFFSET_MS) % HOUR_MS;
    return (m < 0 ? m + HOUR_MS : m) < DEAL_MS;
}

/* A product index skewed towards popular ones: the smaller of two uniform picks. */
static uint32_t pick_product(ec_gen *g)
{
    uint64_t a = below(g, COUNT(catalogue)), b = below(g, COUNT(catalogue));
    return (uint32_t)(a < b ? a : b);
}

static void new_visit(ec_gen *g, shopper *s)
{
    uint64_t r = below(g, 1000);
    memset(s, 0, sizeof(*s));
    if (r < 8) {
        s->kind = SCRAPER;
        s->user = below(g, 50);
        s->left = 60 + (uint32_t)below(g, 121);
    } else if (r < 12) {
        s->kind = CARD_TESTER;
        s->user = below(g, 1u << 24);
        s->left = 8 + (uint32_t)below(g, 13);
    } else {
        s->kind = SHOPPER;
        s->user = below(g, (uint64_t)g->cfg.users);
        s->left = 2 + (uint32_t)below(g, 8) + (uint32_t)below(g, 16);
        s->product = pick_product(g);
    }
}

int ec_gen_new(const ec_gen_config *cfg, ec_gen **out)
{
    *out = NULL;
    if (cfg->start_ms < 0 || cfg->start_ms > INT64_C(100000000000000) || cfg->rate < 1 ||
        cfg->rate > 1000000 || cfg->max_disorder_ms < 0 || cfg->max_disorder_ms > 1000000000 ||
        cfg->users < 1 || cfg->users > 1000000000)
        return SG_EINVAL;
    ec_gen *g = sg_calloc(1, sizeof(*g));
    if (!g)
        return SG_ENOMEM;
    g->cfg = *cfg;
    g->rng = cfg->seed;
    for (int i = 0; i < SLOTS; i++)
        new_visit(g, &g->slot[i]);
    *out = g;
    return SG_OK;
}

void ec_gen_free(ec_gen *g)
{
    sg_free(g);
}

/* ==== One event ================================================================ */

typedef struct event {
    const char *type, *product;
    int64_t amount;
} event;

static event shopper_event(ec_gen *g, shopper *s, bool sale)
{
    if (s->left == 1 && s->cart_paise > 0 && below(g, 100) < (sale ? 30u : 12u))
        return (event){"purchase", catalogue[s->product].name, s->cart_paise};
    if (below(g, 100) < 12) {
        if (below(g, 100) >= 70)
            s->product = pick_product(g);
        int64_t price = catalogue[s->product].price_paise;
        /* Deals take 10..40% off; otherwise 0..10%. Whole rupees. */
        int64_t off = sale ? 10 + (int64_t)below(g, 31) : (int64_t)below(g, 11);
        price = price * (100 - off) / 100 / 100 * 100;
        s->cart_paise += price;
        return (event){"cart", catalogue[s->product].name, price};
    }
    s->product = pick_product(g);
    return (event){"view", catalogue[s->product].name, 0};
}

static event next_event(ec_gen *g, shopper *s, bool sale)
{
    switch (s->kind) {
    case SCRAPER:
        return (event){"view", catalogue[below(g, COUNT(catalogue))].name, 0};
    case CARD_TESTER:
        return (event){"purchase", GIFT_VOUCHER, 100 * (1 + (int64_t)below(g, 5))};
    default:
        return shopper_event(g, s, sale);
    }
}

static int user_name(const shopper *s, char *buf, size_t cap)
{
    if (s->kind == SCRAPER)
        return snprintf(buf, cap, "bot-crawler-%u", (unsigned)s->user);
    if (s->kind == CARD_TESTER)
        return snprintf(buf, cap, "guest-%06x", (unsigned)s->user);
    return snprintf(buf, cap, "%s.%s.%llu", first_names[s->user % COUNT(first_names)],
                    surnames[(s->user / COUNT(first_names)) % COUNT(surnames)],
                    (unsigned long long)s->user);
}

/* The city a user lives in: a hash of the user, so it stays the same across visits. */
static const char *home_city(const shopper *s)
{
    uint64_t h = s->user * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)s->kind;
    return cities[(h >> 32) % COUNT(cities)];
}

size_t ec_gen_next(ec_gen *g, char *buf, size_t cap)
{
    int64_t clock =
        g->cfg.start_ms + (int64_t)(g->ticks * 1000 / (uint64_t)(EC_GEN_SALE_FACTOR * g->cfg.rate));
    bool sale = ec_gen_in_sale(clock);
    g->ticks += sale ? 1 : EC_GEN_SALE_FACTOR;
    int64_t ts = clock - (int64_t)below(g, (uint64_t)g->cfg.max_disorder_ms + 1);
    shopper *s = &g->slot[below(g, SLOTS)];
    event e = next_event(g, s, sale);
    char user[64];
    user_name(s, user, sizeof(user));
    const char *city = home_city(s);
    bool no_product = false;
    if (below(g, 2000) == 0) { /* a bad record, on purpose */
        uint64_t how = below(g, 3);
        if (how == 0)
            e.type = "wishlist";
        else if (how == 1)
            e = (event){"purchase", e.product, 0};
        else
            no_product = true;
    }
    if (--s->left == 0)
        new_visit(g, s);
    int len;
    if (no_product)
        len = snprintf(buf, cap,
                       "{\"ts\": %lld, \"user\": \"%s\", \"city\": \"%s\", \"type\": \"%s\", "
                       "\"amount_paise\": %lld}",
                       (long long)ts, user, city, e.type, (long long)e.amount);
    else
        len = snprintf(buf, cap,
                       "{\"ts\": %lld, \"user\": \"%s\", \"city\": \"%s\", \"type\": \"%s\", "
                       "\"product\": \"%s\", \"amount_paise\": %lld}",
                       (long long)ts, user, city, e.type, e.product, (long long)e.amount);
    return len < 0 ? cap : (size_t)len;
}
