/* postgen.c — the post generator (see postgen.h): Zipf vocabularies, surging topics and a
 * per-post random stream derived from (seed, seq) alone.
 *
 * Why a per-post stream: tw_postgen_line(seq) must not depend on which lines were made
 * before, so the random state is rebuilt from splitmix64(seed, seq) for every line, and the
 * generator itself is read-only after tw_postgen_new (its Zipf tables). A line is written
 * straight into the caller's buffer, so there is no allocation per line.
 */
#include "postgen.h"

#include <stdbool.h>
#include <string.h>

#include <sangam/sangam.h>

#define MINUTE_MS INT64_C(60000)
#define HOUR_MS (60 * MINUTE_MS)

/* ==== Vocabularies ========================================================
 * Rank 0 is the most frequent word. The lists were checked to be NFC, lowercase and free
 * of duplicates when they were written, and zipf_init checks that no word needs JSON
 * escaping. Stopwords stay in, at the ranks real text has them, so that the tokenizer has
 * real work to do. */

/* These tables are laid out by hand; clang-format would turn them into columns. */
/* clang-format off */
/* English, most frequent first (371) */
static const char *const vocab_en[] = {
    "the", "to", "and", "of", "is", "in", "for", "on", "this", "that", "it", "with", "be", "are",
    "was", "you", "my", "at", "so", "not", "have", "but", "we", "all", "just", "like", "what",
    "can", "get", "will", "out", "from", "about", "your", "they", "our", "me", "do", "no", "up",
    "one", "more", "time", "today", "new", "now", "people", "day", "good", "love", "best", "great",
    "world", "india", "how", "when", "who", "why", "which", "there", "their", "if", "some",
    "would", "been", "only", "make", "see", "know", "really", "first", "year", "back", "going",
    "win", "team", "match", "watch", "live", "game", "right", "need", "still", "work", "big",
    "happy", "free", "last", "life", "home", "news", "check", "follow", "thanks", "please",
    "share", "video", "photo", "post", "wow", "amazing", "awesome", "beautiful", "nice", "cool",
    "epic", "crazy", "finally", "next", "week", "night", "morning", "weekend", "friday", "sunday",
    "monday", "city", "traffic", "rain", "weather", "hot", "summer", "winter", "cold", "food",
    "coffee", "tea", "lunch", "dinner", "party", "music", "movie", "song", "show", "episode",
    "series", "trailer", "release", "office", "star", "hero", "actor", "film", "cricket",
    "football", "player", "captain", "coach", "score", "runs", "wicket", "ball", "bat", "bowler",
    "century", "fifty", "final", "league", "stadium", "fans", "crowd", "ticket", "price", "sale",
    "offer", "deal", "discount", "order", "delivery", "phone", "mobile", "app", "update", "launch",
    "market", "stock", "money", "bank", "tax", "budget", "government", "election", "vote",
    "leader", "minister", "policy", "school", "college", "exam", "result", "student", "job",
    "meeting", "boss", "startup", "founder", "business", "company", "brand", "product", "review",
    "quality", "service", "customer", "support", "problem", "issue", "fix", "bad", "worst", "sad",
    "angry", "tired", "sick", "funny", "mood", "vibes", "friends", "family", "mom", "dad",
    "brother", "sister", "kids", "baby", "wedding", "birthday", "festival", "celebration",
    "lights", "gift", "travel", "trip", "flight", "train", "bus", "road", "station", "airport",
    "beach", "mountain", "hotel", "holiday", "visit", "shopping", "store", "online", "website",
    "link", "internet", "wifi", "data", "speed", "battery", "camera", "laptop", "power", "water",
    "electricity", "metro", "bike", "car", "petrol", "diesel", "fuel", "cost", "cheap",
    "expensive", "rupees", "lakh", "crore", "salary", "rent", "house", "flat", "street", "area",
    "local", "national", "global", "story", "breaking", "alert", "report", "police", "court",
    "law", "case", "judge", "justice", "rights", "protest", "strike", "health", "doctor",
    "hospital", "medicine", "fever", "covid", "gym", "fitness", "workout", "run", "yoga", "diet",
    "sleep", "early", "late", "hours", "minutes", "moment", "years", "never", "always", "again",
    "ever", "soon", "maybe", "sure", "yes", "okay", "thank", "welcome", "congratulations", "wish",
    "wishes", "blessed", "proud", "together", "everyone", "someone", "nothing", "everything",
    "something", "because", "while", "after", "before", "since", "until", "through", "during",
    "against", "between", "under", "above", "below", "long", "short", "small", "huge", "little",
    "full", "empty", "fast", "slow", "high", "low", "strong", "weak", "young", "old", "real",
    "fake", "true", "false", "open", "close", "start", "end", "stop",
};

/* Hindi in Devanagari (NFC), most frequent first (269) */
static const char *const vocab_hi[] = {
    "है", "के", "में", "की", "और", "का", "को", "से", "पर", "भी", "यह", "नहीं", "तो", "एक", "हैं",
    "ही", "था", "कि", "जो", "कर", "लिए", "हो", "आज", "भारत", "मैच", "टीम", "जीत", "बारिश", "मुंबई",
    "दिल्ली", "सरकार", "बजट", "दिवाली", "त्योहार", "मिठाई", "ख़ुशी", "प्यार", "ज़िंदगी", "दोस्त",
    "परिवार", "क्रिकेट", "खिलाड़ी", "मौसम", "पानी", "सड़क", "शहर", "गाँव", "लोग", "देश", "दुनिया",
    "समय", "दिन", "रात", "सुबह", "शाम", "कल", "साल", "महीना", "हफ़्ता", "खाना", "चाय", "दूध",
    "रोटी", "सब्ज़ी", "बाज़ार", "दुकान", "क़ीमत", "पैसा", "रुपये", "नौकरी", "दफ़्तर", "काम",
    "छुट्टी", "स्कूल", "कॉलेज", "परीक्षा", "नतीजा", "छात्र", "शिक्षक", "किताब", "पढ़ाई", "लड़का",
    "लड़की", "बच्चे", "माँ", "पिताजी", "भाई", "बहन", "शादी", "जन्मदिन", "तोहफ़ा", "ख़बर", "अख़बार",
    "फ़िल्म", "गाना", "हीरो", "कहानी", "सितारा", "चुनाव", "वोट", "नेता", "मंत्री", "प्रधानमंत्री",
    "संसद", "क़ानून", "अदालत", "पुलिस", "अस्पताल", "डॉक्टर", "दवा", "बुख़ार", "सेहत", "योग",
    "नींद", "गर्मी", "सर्दी", "ठंड", "धूप", "हवा", "आसमान", "बादल", "तूफ़ान", "बिजली", "रेल",
    "ट्रेन", "स्टेशन", "यात्रा", "सफ़र", "होटल", "मंदिर", "पूजा", "भगवान", "आरती", "दीया",
    "रंगोली", "पटाखे", "लक्ष्मी", "गणेश", "होली", "रंग", "गुलाल", "ईद", "रमज़ान", "सेवइयाँ",
    "क्रिसमस", "नया", "पुराना", "अच्छा", "बुरा", "बड़ा", "छोटा", "ज़्यादा", "कम", "बहुत", "थोड़ा",
    "सच", "झूठ", "सही", "ग़लत", "ख़ूबसूरत", "शानदार", "बेहतरीन", "मज़ा", "मज़ेदार", "ग़ुस्सा",
    "दुख", "सुख", "उम्मीद", "सपना", "दिल", "मन", "हिन्दी", "हिंदी", "भाषा", "बात", "बातें", "सवाल",
    "जवाब", "विचार", "ख़्याल", "याद", "धन्यवाद", "शुभकामनाएँ", "बधाई", "जय", "हिन्द", "वंदे",
    "मातरम्", "इतिहास", "विज्ञान", "तकनीक", "मोबाइल", "फ़ोन", "इंटरनेट", "ऑनलाइन", "ऑफ़र", "सेल",
    "छूट", "ख़रीदारी", "डिलीवरी", "कंपनी", "व्यापार", "बाज़ारों", "शेयर", "निवेश", "बैंक", "कर्ज़",
    "किसान", "खेती", "फ़सल", "मानसून", "बाढ़", "सूखा", "प्रदूषण", "पर्यावरण", "पेड़", "जंगल",
    "नदी", "गंगा", "यमुना", "पहाड़", "समुद्र", "मुंबईकर", "पुणे", "कोलकाता", "चेन्नई", "बेंगलुरु",
    "जयपुर", "लखनऊ", "पटना", "इंदौर", "भोपाल", "वाराणसी", "अयोध्या", "कश्मीर", "गोवा", "राजस्थान",
    "गुजरात", "पंजाब", "बिहार", "केरल", "छक्का", "चौका", "विकेट", "शतक", "कप्तान", "गेंदबाज़",
    "बल्लेबाज़", "स्टेडियम", "दर्शक", "फ़ाइनल", "ट्रॉफ़ी", "कोहली", "धोनी", "रोहित", "चाँद",
    "चंद्रयान", "इसरो", "वैज्ञानिक", "अंतरिक्ष", "रॉकेट", "सफलता", "गर्व", "इंसान", "इंसानियत",
    "सेवा", "मदद", "दोस्ती", "रिश्ता",
};

/* Romanized Hindi (Hinglish), most frequent first (188) */
static const char *const vocab_hinglish[] = {
    "hai", "ka", "ki", "ke", "se", "ko", "aur", "bhi", "nahi", "toh", "yaar", "kya", "bahut",
    "accha", "mast", "bhai", "dost", "match", "jeet", "paisa", "kal", "aaj", "mausam", "baarish",
    "khana", "chai", "dil", "pyaar", "zindagi", "sab", "kuch", "abhi", "phir", "matlab", "sahi",
    "galat", "bilkul", "ekdum", "zabardast", "bekaar", "bakwas", "jhakaas", "kamaal", "dhamaal",
    "scene", "full", "tension", "mat", "lo", "chalo", "dekho", "suno", "bolo", "arre", "oye",
    "haan", "theek", "bas", "ho", "gaya", "kaam", "ghar", "office", "boss", "chutti", "weekend",
    "party", "plan", "log", "desh", "sarkar", "neta", "chunav", "vote", "janta", "mehngai",
    "petrol", "sabzi", "doodh", "kiraya", "naukri", "padhai", "exam", "result", "topper",
    "bachche", "mummy", "papa", "didi", "bhaiya", "shaadi", "rishta", "dulhan", "mehendi",
    "sangeet", "baraat", "khushi", "gussa", "dukh", "pareshan", "thak", "neend", "sapna", "umeed",
    "mazaa", "masti", "dosti", "yaari", "pagal", "bindaas", "jugaad", "desi", "videsi", "angrezi",
    "hindi", "filmy", "hero", "heroine", "gaana", "picture", "trailer", "release", "hit", "flop",
    "vasool", "dhoka", "sach", "jhooth", "tareef", "shukriya", "badhai", "mubarak", "jai", "hind",
    "bharat", "mata", "cricket", "khiladi", "chakka", "chauka", "wicket", "century", "kaptaan",
    "stadium", "final", "trophy", "jeetenge", "haarenge", "mumbai", "dilli", "bengaluru",
    "kolkata", "pune", "chennai", "jaipur", "lucknow", "patna", "indore", "gully", "nukkad",
    "tapri", "chaiwala", "samosa", "pakode", "biryani", "chole", "bhature", "paneer", "dal",
    "chawal", "roti", "paratha", "lassi", "jalebi", "mithai", "ladoo", "diwali", "holi", "eid",
    "rakhi", "navratri", "garba", "ganpati", "puja", "mandir", "aarti", "diye", "patakhe",
};

/* Everyday hashtags, most frequent first (47) */
static const char *const vocab_tags[] = {
    "#IPL", "#Cricket", "#TeamIndia", "#Bollywood", "#मुंबई", "#India", "#भारत", "#Diwali",
    "#Budget2026", "#BigBillionDays", "#MumbaiRains", "#Monsoon", "#Delhi", "#Bengaluru",
    "#Startup", "#Foodie", "#Travel", "#Fitness", "#MondayMotivation", "#दिवाली", "#हिंदी",
    "#Election2026", "#WorldCup", "#Traffic", "#Kolkata", "#Jaipur", "#Ganpati", "#Holi",
    "#Navratri", "#Sensex", "#Nifty", "#UPI", "#ChaiLovers", "#StreetFood", "#Weekend",
    "#ThrowbackThursday", "#Memes", "#Viral", "#TrendingNow", "#MakeInIndia", "#DigitalIndia",
    "#Chandrayaan", "#ISRO", "#OTT", "#WebSeries", "#Music", "#Yoga",
};

/* ==== Topics ================================================================
 * A topic is active for window_ms in every period_ms of event time (from a seed-dependent
 * phase). Inside the window the chance that a post is about it rises linearly to 'peak'
 * at the middle and falls back, so a trending-words job sees it surge and fade. Periods
 * range from a day down to five minutes, so runs of any length see some movement. */

typedef struct topic {
    const char *tags[2];  /* the topic's hashtags; tags[1] may be NULL */
    const char *words[8]; /* the words posts about it use */
    int64_t period_ms;
    int64_t window_ms;
    uint32_t peak; /* probability at the top of the bump, in 1/65536 */
} topic;

static const topic topics[] = {
    {{"#IPLFinal", "#IPL"},
     {"wicket", "six", "chase", "dhoni", "कोहली", "छक्का", "trophy", "final"},
     6 * HOUR_MS, 2 * HOUR_MS, 20000},
    {{"#Diwali", "#दिवाली"},
     {"दीये", "पटाखे", "मिठाई", "rangoli", "lights", "diya", "लक्ष्मी", "mithai"},
     24 * HOUR_MS, 6 * HOUR_MS, 16000},
    {{"#Budget2026", NULL},
     {"tax", "slab", "बजट", "सरकार", "fiscal", "deficit", "वित्त", "मंत्री"},
     3 * HOUR_MS, 45 * MINUTE_MS, 13000},
    {{"#BigBillionDays", NULL},
     {"sale", "discount", "flipkart", "deal", "iphone", "ऑफ़र", "cart", "cashback"},
     2 * HOUR_MS, 30 * MINUTE_MS, 13000},
    {{"#MumbaiRains", "#मुंबई"},
     {"बारिश", "पानी", "local", "waterlogging", "traffic", "umbrella", "मानसून", "andheri"},
     HOUR_MS, 12 * MINUTE_MS, 16000},
    {{"#Chandrayaan", "#ISRO"},
     {"चंद्रयान", "landing", "चाँद", "rover", "launch", "इसरो", "moon", "scientists"},
     20 * MINUTE_MS, 5 * MINUTE_MS, 16000},
    {{"#BreakingNews", NULL},
     {"breaking", "भूकंप", "tremors", "ख़बर", "alert", "earthquake", "झटके", "magnitude"},
     5 * MINUTE_MS, MINUTE_MS, 13000},
};
#define N_TOPICS (sizeof topics / sizeof topics[0])

/* A string with its length, for the pieces posts are made of. */
typedef struct piece {
    const char *s;
    size_t len;
} piece;
#define P(lit) {lit, sizeof lit - 1}

/* Emoji, some with a variation selector (U+FE0F) or as a flag pair. */
static const piece emoji[] = {
    P("🔥"), P("😂"), P("🙏"), P("❤️"), P("👍"), P("🏏"), P("🇮🇳"), P("🎉"),
    P("😍"), P("💯"), P("🪔"), P("☔"), P("😭"), P("🤣"), P("✨"), P("☺️"),
};
/* clang-format on */
#define N_EMOJI (sizeof emoji / sizeof emoji[0])

/* ==== Generator ============================================================ */

typedef enum lang { LANG_EN, LANG_HI, LANG_HINGLISH } lang;
static const piece lang_names[] = {P("en"), P("hi"), P("hinglish")};

/* A vocabulary with Zipf weights (rank r has weight 1/(r+1)), sampled in O(1) by Walker's
 * alias method: draw a slot uniformly, keep it with probability keep/2^32, else take its
 * alias. A binary search over a CDF cost a branch miss per step, and posts draw ~15 words. */
typedef struct zslot {
    uint32_t keep;
    uint16_t alias;
    uint8_t len; /* strlen of the word, at most 48 (checked by the vocabulary script) */
} zslot;

typedef struct zipf {
    const char *const *words;
    uint32_t n;
    zslot *slots;
} zipf;

struct tw_postgen {
    tw_postgen_config cfg;
    zipf en, hi, hinglish, tags;
    int64_t topic_phase[N_TOPICS];
};

/* splitmix64's finalizer: a bijective 64-bit mix. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

typedef struct rng {
    uint64_t s;
} rng;

/* The stream of post seq. Mixing seq before the xor keeps the streams of neighbouring
 * posts unrelated (splitmix64 streams from nearby states would overlap). */
static rng rng_for(uint64_t seed, uint64_t seq)
{
    rng r = {mix64(seed ^ mix64(seq + UINT64_C(0x9e3779b97f4a7c15)))};
    return r;
}

static uint64_t rng_next(rng *r)
{
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

/* Uniform in [0, n); Lemire's multiply-shift, whose bias (n / 2^32) is immaterial here. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* True with probability p/65536. */
static bool rng_chance(rng *r, uint32_t p)
{
    return (rng_next(r) & 0xFFFF) < p;
}
#define PCT(x) ((uint32_t)((x)*65536 / 100))

/* Vose's construction of the alias table. */
static int zipf_init(zipf *z, const char *const *words, size_t n)
{
    z->words = words;
    z->n = (uint32_t)n;
    z->slots = sg_malloc(n * (sizeof *z->slots + sizeof(double) + 2 * sizeof(uint16_t)));
    if (!z->slots)
        return SG_ENOMEM;
    /* Scratch after the slots: the scaled weights and the small and large worklists. */
    double *p = (double *)(void *)(z->slots + n);
    uint16_t *small = (uint16_t *)(void *)(p + n), *large = small + n;
    size_t ns = 0, nl = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += 1.0 / (double)(i + 1);
    for (size_t i = 0; i < n; i++) {
        p[i] = (double)n / (double)(i + 1) / total;
        size_t len = strlen(words[i]);
        if (len > 48 || strpbrk(words[i], "\"\\\n\t\r"))
            return SG_EINTERNAL; /* the vocabulary must need no JSON escaping */
        z->slots[i].len = (uint8_t)len;
        z->slots[i].alias = (uint16_t)i;
        z->slots[i].keep = UINT32_MAX;
        if (p[i] < 1.0)
            small[ns++] = (uint16_t)i;
        else
            large[nl++] = (uint16_t)i;
    }
    while (ns > 0 && nl > 0) {
        uint16_t s = small[--ns], l = large[nl - 1];
        z->slots[s].keep = (uint32_t)(p[s] * 4294967295.0);
        z->slots[s].alias = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    /* What is left has weight 1 up to rounding: it keeps itself (set above). */
    return SG_OK;
}

static const char *zipf_pick(const zipf *z, rng *r, size_t *len)
{
    uint64_t u = rng_next(r);
    uint32_t i = (uint32_t)(((u >> 32) * z->n) >> 32);
    if ((uint32_t)u >= z->slots[i].keep)
        i = z->slots[i].alias;
    *len = z->slots[i].len;
    return z->words[i];
}

int tw_postgen_new(const tw_postgen_config *cfg, tw_postgen **out)
{
    *out = NULL;
    if (cfg->rate < 1 || cfg->rate > 1000000000 || cfg->max_disorder_ms < 0 ||
        cfg->max_disorder_ms > 1000000000)
        return SG_EINVAL;
    tw_postgen *g = sg_calloc(1, sizeof *g);
    if (!g)
        return SG_ENOMEM;
    g->cfg = *cfg;
    int rc;
    if ((rc = zipf_init(&g->en, vocab_en, sizeof vocab_en / sizeof *vocab_en)) < 0 ||
        (rc = zipf_init(&g->hi, vocab_hi, sizeof vocab_hi / sizeof *vocab_hi)) < 0 ||
        (rc = zipf_init(&g->hinglish, vocab_hinglish,
                        sizeof vocab_hinglish / sizeof *vocab_hinglish)) < 0 ||
        (rc = zipf_init(&g->tags, vocab_tags, sizeof vocab_tags / sizeof *vocab_tags)) < 0) {
        tw_postgen_free(g);
        return rc;
    }
    for (size_t i = 0; i < N_TOPICS; i++)
        g->topic_phase[i] =
            (int64_t)(mix64(cfg->seed ^ (0x7070 + i)) % (uint64_t)topics[i].period_ms);
    *out = g;
    return SG_OK;
}

void tw_postgen_free(tw_postgen *g)
{
    if (!g)
        return;
    sg_free(g->en.slots);
    sg_free(g->hi.slots);
    sg_free(g->hinglish.slots);
    sg_free(g->tags.slots);
    sg_free(g);
}

/* The first draw of the post's stream is its jitter, so tw_postgen_ts needs no more. Half
 * the posts are on time; the others are late by up to max_disorder_ms. */
static int64_t post_ts(const tw_postgen *g, rng *r, uint64_t seq)
{
    uint64_t rate = (uint64_t)g->cfg.rate;
    /* seq * 1000 / rate without overflowing for any seq. */
    int64_t ts = g->cfg.start_ms + (int64_t)(seq / rate * 1000 + seq % rate * 1000 / rate);
    uint64_t z = rng_next(r);
    if ((z & 1) && g->cfg.max_disorder_ms > 0)
        ts -= (int64_t)((z >> 1) % (uint64_t)(g->cfg.max_disorder_ms + 1));
    return ts;
}

int64_t tw_postgen_ts(const tw_postgen *g, uint64_t seq)
{
    rng r = rng_for(g->cfg.seed, seq);
    return post_ts(g, &r, seq);
}

/* The topic this post is about, or -1: one draw against the summed bumps at ts. */
static int pick_topic(const tw_postgen *g, rng *r, int64_t ts)
{
    uint32_t u = (uint32_t)(rng_next(r) & 0xFFFF), acc = 0;
    for (size_t i = 0; i < N_TOPICS; i++) {
        const topic *tp = &topics[i];
        int64_t x = (ts - g->topic_phase[i]) % tp->period_ms;
        if (x < 0)
            x += tp->period_ms;
        if (x >= tp->window_ms)
            continue;
        int64_t dist = 2 * x - tp->window_ms; /* -window at the start, 0 in the middle */
        if (dist < 0)
            dist = -dist;
        acc += (uint32_t)((int64_t)tp->peak * (tp->window_ms - dist) / tp->window_ms);
        if (u < acc)
            return (int)i;
    }
    return -1;
}

/* ==== Writing a line ======================================================== */

/* snprintf-style output: counts every byte, stores only what fits. */
typedef struct out {
    char *buf;
    size_t cap;
    size_t len;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (n > 0 && o->len + n <= o->cap)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof lit - 1)

static void put_u64(out *o, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + sizeof tmp - n, n);
}

static void put_i64(out *o, int64_t v)
{
    if (v < 0) {
        put(o, "-", 1);
        put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

/* A Devanagari word in another spelling that renders the same: nukta letters precomposed
 * (U+0958..U+095F, which NFC decomposes again) and a ZWJ or ZWNJ after each virama that is
 * not word-final. The tokenizer must fold both back into the plain word. */
static void put_hindi_variant(out *o, const char *w, bool zwj)
{
    /* The consonants whose nukta forms U+0958 + k exist as single code points. */
    static const unsigned nukta_base[8] = {0x915, 0x916, 0x917, 0x91C, 0x921, 0x922, 0x92B, 0x92F};
    const unsigned char *s = (const unsigned char *)w;
    size_t n = strlen(w), i = 0;
    while (i < n) {
        size_t clen = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
        unsigned cp =
            clen == 3 ? ((s[i] & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu) : 0;
        if (cp && i + 6 <= n && memcmp(s + i + 3, "\xE0\xA4\xBC", 3) == 0) {
            unsigned k = 0;
            while (k < 8 && nukta_base[k] != cp)
                k++;
            if (k < 8) {
                char pre[3] = {(char)0xE0, (char)0xA5, (char)(0x98 + k)};
                put(o, pre, 3);
                i += 6;
                continue;
            }
        }
        put(o, w + i, clen);
        if (cp == 0x94D && i + clen < n)
            put(o, zwj ? "\xE2\x80\x8D" : "\xE2\x80\x8C", 3);
        i += clen;
    }
}

/* Latin words: sometimes Capitalized (first word) or SHOUTED. */
static void put_latin(out *o, const char *w, size_t n, bool cap_first, bool all_caps)
{
    char tmp[64];
    if ((!cap_first && !all_caps) || n > sizeof tmp) {
        put(o, w, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        tmp[i] = (all_caps || i == 0) && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    put(o, tmp, n);
}

static const char *pick_word(const tw_postgen *g, rng *r, lang lg, size_t *len)
{
    uint32_t u = rng_below(r, 100);
    switch (lg) {
    case LANG_HI: /* code-mixing: Hindi posts borrow English words */
        return zipf_pick(u < 88 ? &g->hi : &g->en, r, len);
    case LANG_HINGLISH:
        return zipf_pick(u < 62 ? &g->hinglish : &g->en, r, len);
    default:
        return zipf_pick(u < 96 ? &g->en : &g->hinglish, r, len);
    }
}

static bool is_devanagari(const char *w)
{
    return (unsigned char)w[0] == 0xE0 && ((unsigned char)w[1] & 0xFE) == 0xA4;
}

/* Bits [16k, 16k + 16) of a draw: four independent 1/65536-grained chances per draw. */
#define CHANCE(d, k, p) ((uint32_t)(((d) >> (16 * (k))) & 0xFFFF) < (p))

static void put_emoji(out *o, rng *r)
{
    const piece *e = &emoji[rng_below(r, N_EMOJI)];
    put(o, e->s, e->len);
}

/* One word slot: the word (in some spelling), maybe quoted, then maybe emoji and
 * punctuation. Its small decisions share one draw. Every piece is bounded, so a line
 * stays under TW_POSTGEN_LINE_MAX. */
static void put_word(out *o, rng *r, const char *w, size_t len, lang lg, bool first)
{
    static const piece punct[] = {P(","),   P(","),  P("!"), P("?"),
                                  P("..."), P("!!"), P(":"), P(";")};
    uint64_t d = rng_next(r);
    uint32_t style = (uint32_t)(d >> 48);
    if (CHANCE(d, 0, PCT(2)))
        put(o, "\\\"", 2);
    if (is_devanagari(w)) {
        if (style < PCT(6))
            put_hindi_variant(o, w, style & 1);
        else
            put(o, w, len);
    } else if (w[0] >= '0' && w[0] <= '9') {
        put(o, w, len);
    } else {
        put_latin(o, w, len, first && lg != LANG_HI && style < PCT(60), style >= PCT(98));
    }
    if (CHANCE(d, 0, PCT(2)))
        put(o, "\\\"", 2);
    if (CHANCE(d, 1, PCT(2))) /* emoji glued to the word */
        put_emoji(o, r);
    if (CHANCE(d, 2, PCT(7))) {
        const piece *p = &punct[rng_below(r, sizeof punct / sizeof *punct)];
        put(o, p->s, p->len);
    }
}

static void put_post_text(const tw_postgen *g, out *o, rng *r, lang lg, int64_t ts)
{
    int tp = pick_topic(g, r, ts);
    uint32_t nwords = 5 + rng_below(r, 16), topic_slots = 0;
    size_t len;
    if (tp >= 0) /* 1-3 of the slots carry topic words */
        for (uint32_t k = 1 + rng_below(r, 3); k > 0; k--)
            topic_slots |= UINT32_C(1) << rng_below(r, nwords);
    if (rng_chance(r, PCT(8))) {
        PUT_LIT(o, "@u");
        put_u64(o, 1 + rng_below(r, 200000));
        PUT_LIT(o, " ");
    }
    for (uint32_t i = 0; i < nwords; i++) {
        uint64_t d = rng_next(r);
        if (i > 0) {
            if (CHANCE(d, 0, PCT(2)))
                PUT_LIT(o, "\\n"); /* a line break, JSON-escaped */
            else
                PUT_LIT(o, " ");
        }
        if (CHANCE(d, 1, PCT(3))) { /* a standalone emoji between words */
            put_emoji(o, r);
            PUT_LIT(o, " ");
        }
        if (topic_slots & (UINT32_C(1) << i)) {
            const char *w = topics[tp].words[rng_below(r, 8)];
            put_word(o, r, w, strlen(w), lg, i == 0);
        } else if (CHANCE(d, 2, PCT(2))) { /* a number: a year, a score, a price */
            char num[24];
            out no = {num, sizeof num, 0};
            put_u64(&no, CHANCE(d, 3, PCT(30)) ? 2026 : rng_below(r, 1000));
            put_word(o, r, num, no.len, lg, false);
        } else {
            const char *w = pick_word(g, r, lg, &len);
            put_word(o, r, w, len, lg, i == 0);
        }
    }
    uint64_t d = rng_next(r);
    if (CHANCE(d, 0, PCT(50))) {
        static const piece end_en[] = {P("."), P("!"), P("?"), P("!!!")}, danda = P("।");
        const piece *p = lg == LANG_HI ? &danda : &end_en[rng_below(r, 4)];
        put(o, p->s, p->len);
    }
    if (CHANCE(d, 1, PCT(15))) {
        PUT_LIT(o, " ");
        put_emoji(o, r);
    }
    uint32_t k = (uint32_t)((d >> 32) & 0xFFFF);
    for (uint32_t n = k < PCT(50) ? 0 : k < PCT(85) ? 1 : 2; n > 0; n--) {
        const char *tag = zipf_pick(&g->tags, r, &len);
        PUT_LIT(o, " ");
        put(o, tag, len);
    }
    if (tp >= 0 && CHANCE(d, 3, PCT(70))) {
        const char *tag =
            topics[tp].tags[1] && rng_chance(r, PCT(40)) ? topics[tp].tags[1] : topics[tp].tags[0];
        PUT_LIT(o, " ");
        put(o, tag, strlen(tag));
    }
}

size_t tw_postgen_line(const tw_postgen *g, uint64_t seq, char *buf, size_t cap)
{
    rng r = rng_for(g->cfg.seed, seq);
    int64_t ts = post_ts(g, &r, seq);
    out o = {buf, cap, 0};
    uint32_t u = rng_below(&r, 100);
    lang lg = u < 40 ? LANG_EN : u < 70 ? LANG_HI : LANG_HINGLISH;

    PUT_LIT(&o, "{\"ts\": ");
    put_i64(&o, ts);
    PUT_LIT(&o, ", \"user\": \"u");
    put_u64(&o, 1 + rng_below(&r, 200000));
    PUT_LIT(&o, "\", \"lang\": \"");
    put(&o, lang_names[lg].s, lang_names[lg].len);
    PUT_LIT(&o, "\", \"text\": \"");
    put_post_text(g, &o, &r, lg, ts);
    PUT_LIT(&o, "\"}");
    if (o.len < cap)
        buf[o.len] = '\0';
    return o.len;
}
