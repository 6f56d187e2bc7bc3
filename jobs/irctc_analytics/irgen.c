/* irgen.c — the booking generator (see irgen.h): real trains with their stations and
 * fares, tatkal and festival surges, cancellations and anomalies, each booking drawn
 * from a random stream derived from (seed, seq) alone.
 *
 * A booking has two streams: the "base" stream picks what is booked (train, class,
 * stations, seats, fare, PNR) from the booking's nominal time, and the "event" stream
 * its jitter, status and anomalies. A cancellation of booking seq - k replays the base
 * stream of seq - k, so it cancels exactly what was booked, without any state. */
#include "irgen.h"

#include <string.h>

#include "irctc.h"

#define MINUTE_MS INT64_C(60000)
#define DAY_MS (1440 * MINUTE_MS)
#define IST_OFFSET_MS (330 * MINUTE_MS)
#define TATKAL_MS (15 * MINUTE_MS)

/* ==== Trains ===============================================================
 * Fares are per seat for the whole route, in paise, roughly the 2026 IRCTC fares; 0
 * means the train has no such class. Stops are station codes in running order. The
 * capacity file jobs/irctc_analytics/capacity.csv lists the same (train, class)
 * pairs; a unit test checks that they agree. */

typedef struct gen_train {
    const char *number;
    const char *stops[6]; /* NULL after the last */
    int64_t fare[IR_N_CLASSES];
    uint32_t weight;
    bool festival; /* bound for Bihar or eastern UP: Chhath Puja travel */
} gen_train;

/* clang-format off */
/*                                                       SL       3A      2A      1A      CC      2S */
static const gen_train trains[] = {
    /* Mumbai Rajdhani */
    {"12951", {"MMCT", "BRC", "RTM", "KOTA", "NDLS"}, {0, 315000, 430000, 540000, 0, 0}, 10, false},
    {"12952", {"NDLS", "KOTA", "RTM", "BRC", "MMCT"}, {0, 315000, 430000, 540000, 0, 0}, 9, false},
    /* Howrah Rajdhani, Dibrugarh Rajdhani */
    {"12301", {"HWH", "DHN", "GAYA", "PRYJ", "CNB", "NDLS"}, {0, 300000, 420000, 520000, 0, 0}, 9, true},
    {"12423", {"DBRT", "GHY", "NJP", "PNBE", "NDLS"}, {0, 420000, 580000, 720000, 0, 0}, 5, true},
    /* Bhopal, Ahmedabad, Bengaluru and Ajmer Shatabdis */
    {"12002", {"NDLS", "AGC", "GWL", "JHS", "RKMP"}, {0, 0, 0, 0, 160000, 0}, 8, false},
    {"12001", {"RKMP", "JHS", "GWL", "AGC", "NDLS"}, {0, 0, 0, 0, 160000, 0}, 7, false},
    {"12009", {"MMCT", "ST", "BRC", "ADI"}, {0, 0, 0, 0, 120000, 0}, 5, false},
    {"12027", {"MAS", "KPD", "SBC"}, {0, 0, 0, 0, 110000, 0}, 5, false},
    {"12015", {"NDLS", "GGN", "JP", "AII"}, {0, 0, 0, 0, 90000, 0}, 5, false},
    /* Long-distance mail and express trains */
    {"12627", {"SBC", "ATP", "GTL", "BPL", "JHS", "NDLS"}, {92000, 240000, 345000, 580000, 0, 0}, 7, false},
    {"12621", {"MAS", "VJA", "NGP", "BPL", "NDLS"}, {94000, 245000, 350000, 600000, 0, 0}, 7, false},
    {"12723", {"HYB", "KZJ", "NGP", "BPL", "NDLS"}, {82000, 215000, 305000, 0, 0, 0}, 6, false},
    {"12809", {"CSMT", "NK", "NGP", "R", "HWH"}, {78000, 205000, 295000, 500000, 0, 0}, 6, false},
    {"12137", {"CSMT", "NK", "BPL", "JHS", "NDLS", "FZR"}, {85000, 225000, 320000, 540000, 0, 0}, 6, false},
    {"12859", {"CSMT", "NGP", "R", "TATA", "HWH"}, {80000, 210000, 300000, 0, 0, 0}, 5, false},
    {"12626", {"NDLS", "BPL", "NGP", "VJA", "ERS", "TVC"}, {105000, 275000, 400000, 0, 0, 0}, 5, false},
    {"12311", {"HWH", "ASN", "GAYA", "PRYJ", "DLI", "KLK"}, {82000, 215000, 310000, 520000, 0, 0}, 4, false},
    {"11301", {"CSMT", "PUNE", "SUR", "GR", "SBC"}, {58000, 155000, 220000, 0, 0, 30000}, 5, false},
    /* Bihar and eastern UP: the Chhath rush */
    {"12560", {"NDLS", "CNB", "PRYJ", "BSB"}, {49000, 128000, 180000, 300000, 0, 0}, 8, true},
    {"12393", {"RJPB", "DDU", "CNB", "NDLS"}, {58000, 150000, 212000, 355000, 0, 0}, 8, true},
    {"12565", {"DBG", "MFP", "GKP", "LKO", "NDLS"}, {60000, 157000, 222000, 0, 0, 0}, 8, true},
    {"12561", {"JYG", "DBG", "MFP", "GKP", "NDLS"}, {61000, 160000, 226000, 380000, 0, 0}, 6, true},
    {"12801", {"PURI", "BBS", "TATA", "GAYA", "NDLS"}, {80000, 210000, 300000, 500000, 0, 0}, 5, true},
    /* Day trains: Deccan Queen, Una Jan Shatabdi, Vande Bharats */
    {"12123", {"CSMT", "KYN", "LNL", "PUNE"}, {0, 0, 0, 0, 30000, 10500}, 6, false},
    {"12057", {"NDLS", "UMB", "CDG", "UNA"}, {0, 0, 0, 0, 68000, 18000}, 4, false},
    {"22439", {"NDLS", "UMB", "LDH", "JAT", "SVDK"}, {0, 0, 0, 0, 155000, 0}, 6, false},
    {"22435", {"NDLS", "CNB", "PRYJ", "BSB"}, {0, 0, 0, 0, 175000, 0}, 6, true},
};
/* clang-format on */
#define N_TRAINS (sizeof trains / sizeof trains[0])

/* How often each class is chosen on trains that have it: SL, 3A, 2A, 1A, CC, 2S. */
static const uint32_t class_weight[IR_N_CLASSES] = {40, 30, 12, 3, 35, 25};

size_t ir_gen_train_count(void)
{
    return N_TRAINS;
}

const char *ir_gen_train_number(size_t i)
{
    return i < N_TRAINS ? trains[i].number : NULL;
}

bool ir_gen_train_has_class(size_t i, int cls)
{
    return i < N_TRAINS && cls >= 0 && cls < IR_N_CLASSES && trains[i].fare[cls] > 0;
}

/* ==== Random streams ========================================================= */

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

/* Stream 'which' of booking seq; mixing seq first keeps neighbours' streams apart. */
static rng rng_for(uint64_t seed, uint64_t seq, uint64_t which)
{
    rng r = {mix64(seed ^ mix64(seq * 2 + which + UINT64_C(0x9e3779b97f4a7c15)))};
    return r;
}

static uint64_t rng_next(rng *r)
{
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

/* Uniform in [0, n); Lemire's multiply-shift (its bias, n / 2^32, is immaterial). */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* ==== Time ================================================================== */

int ir_gen_check(const ir_gen_config *cfg)
{
    if (cfg->rate < 1 || cfg->rate > 1000000000 || cfg->max_disorder_ms < 0 ||
        cfg->max_disorder_ms > 1000000000 || cfg->start_ms < 0 ||
        cfg->start_ms > INT64_C(4000000000000000000))
        return SG_EINVAL;
    return SG_OK;
}

/* start + seq * 1000 / rate without overflowing for any seq a run can reach. */
static int64_t nominal_ts(const ir_gen_config *cfg, uint64_t seq)
{
    uint64_t rate = (uint64_t)cfg->rate;
    return cfg->start_ms + (int64_t)(seq / rate * 1000 + seq % rate * 1000 / rate);
}

/* The event stream's first draw is the jitter, so ir_gen_ts needs no more. */
static int64_t event_ts(const ir_gen_config *cfg, rng *ev, uint64_t seq)
{
    int64_t ts = nominal_ts(cfg, seq);
    uint64_t z = rng_next(ev);
    if ((z & 1) && cfg->max_disorder_ms > 0)
        ts -= (int64_t)((z >> 1) % (uint64_t)(cfg->max_disorder_ms + 1));
    return ts;
}

int64_t ir_gen_ts(const ir_gen_config *cfg, uint64_t seq)
{
    rng ev = rng_for(cfg->seed, seq, 1);
    return event_ts(cfg, &ev, seq);
}

typedef enum tatkal { TATKAL_NONE, TATKAL_AC, TATKAL_NON_AC } tatkal;

/* Tatkal booking opens at 10:00 IST for AC classes and 11:00 IST for the others; the
 * first quarter of an hour is the rush. */
static tatkal tatkal_at(int64_t ts)
{
    int64_t tod = (ts + IST_OFFSET_MS) % DAY_MS;
    if (tod >= 600 * MINUTE_MS && tod < 600 * MINUTE_MS + TATKAL_MS)
        return TATKAL_AC;
    if (tod >= 660 * MINUTE_MS && tod < 660 * MINUTE_MS + TATKAL_MS)
        return TATKAL_NON_AC;
    return TATKAL_NONE;
}

static bool class_in_tatkal(int cls, tatkal t)
{
    bool ac = cls == IR_3A || cls == IR_2A || cls == IR_1A || cls == IR_CC;
    return t == TATKAL_AC ? ac : t == TATKAL_NON_AC && !ac;
}

/* ==== What is booked ============================================================ */

typedef struct booking {
    uint64_t pnr;
    size_t train;
    int cls;
    int from, to; /* indexes into the train's stops */
    int64_t seats, fare;
} booking;

static size_t pick_train(rng *r, tatkal t)
{
    uint32_t total = 0, w[N_TRAINS];
    for (size_t i = 0; i < N_TRAINS; i++) {
        w[i] = trains[i].weight * (trains[i].festival ? (t != TATKAL_NONE ? 4 : 2) : 1);
        total += w[i];
    }
    uint32_t u = rng_below(r, total);
    size_t i = 0;
    while (u >= w[i])
        u -= w[i++];
    return i;
}

static int pick_class(rng *r, const gen_train *tr, tatkal t)
{
    uint32_t total = 0, w[IR_N_CLASSES];
    for (int c = 0; c < IR_N_CLASSES; c++) {
        w[c] = tr->fare[c] > 0 ? class_weight[c] * (class_in_tatkal(c, t) ? 8 : 1) : 0;
        total += w[c];
    }
    uint32_t u = rng_below(r, total);
    int c = 0;
    while (u >= w[c])
        u -= w[c++];
    return c;
}

static int64_t pick_seats(rng *r)
{
    static const uint32_t cum[IR_SEATS_MAX] = {40, 70, 82, 92, 96, 100}; /* percent */
    uint32_t u = rng_below(r, 100);
    int64_t s = 1;
    while (u >= cum[s - 1])
        s++;
    return s;
}

/* The base stream of booking seq: what it books, at its nominal time. */
static booking base_booking(const ir_gen_config *cfg, uint64_t seq)
{
    rng r = rng_for(cfg->seed, seq, 0);
    tatkal t = tatkal_at(nominal_ts(cfg, seq));
    booking b;
    /* A PNR is ten digits; the first is never 0. */
    b.pnr = UINT64_C(1000000000) + rng_next(&r) % UINT64_C(9000000000);
    b.train = pick_train(&r, t);
    const gen_train *tr = &trains[b.train];
    int n = 0;
    while (n < 6 && tr->stops[n])
        n++;
    b.cls = pick_class(&r, tr, t);
    if (rng_below(&r, 100) < 60) { /* most passengers ride end to end */
        b.from = 0;
        b.to = n - 1;
    } else {
        b.from = (int)rng_below(&r, (uint32_t)n - 1);
        b.to = b.from + 1 + (int)rng_below(&r, (uint32_t)(n - 1 - b.from));
    }
    b.seats = pick_seats(&r);
    bool is_tatkal = class_in_tatkal(b.cls, t);
    if (is_tatkal && rng_below(&r, 100) < 4) /* a tout's bulk booking at opening */
        b.seats = IR_SEATS_MAX;
    /* Fare by distance share, rounded to the rupee, at least Rs 60; tatkal adds 30%. */
    int64_t per_seat = tr->fare[b.cls] * (b.to - b.from) / (n - 1) / 100 * 100;
    if (per_seat < 6000)
        per_seat = 6000;
    if (is_tatkal)
        per_seat = per_seat * 13 / 10 / 100 * 100;
    b.fare = per_seat * b.seats;
    return b;
}

/* ==== Writing a line ================================================================ */

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (n > 0 && o->len + n <= o->cap)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_str(out *o, const char *s)
{
    put(o, s, strlen(s));
}

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

/* The anomalies that make a bad record, each about 1 in 3000 bookings. */
enum {
    BAD_NONE,
    BAD_CLASS_3AC,
    BAD_CLASS_EC,
    BAD_RAC,
    BAD_NO_SEATS,
    BAD_SEVEN_SEATS,
    BAD_SPECIAL_TRAIN,
    BAD_NO_FARE,
    BAD_KINDS
};

size_t ir_gen_line(const ir_gen_config *cfg, uint64_t seq, char *buf, size_t cap)
{
    rng ev = rng_for(cfg->seed, seq, 1);
    int64_t ts = event_ts(cfg, &ev, seq);
    booking b = base_booking(cfg, seq);
    tatkal t = tatkal_at(nominal_ts(cfg, seq));
    uint32_t u = rng_below(&ev, 1000), bad = BAD_NONE;
    uint32_t waitlist = class_in_tatkal(b.cls, t) ? 400 : 120; /* per mille */
    int status = u < waitlist ? IR_WAITLISTED : u < waitlist + 100 ? IR_CANCELLED : IR_BOOKED;
    if (status == IR_CANCELLED) {
        uint64_t back = 1 + rng_below(&ev, 20000); /* cancels a booking made earlier */
        if (back <= seq)
            b = base_booking(cfg, seq - back);
        else
            status = IR_BOOKED;
    }
    if (rng_below(&ev, 10000) < 21)
        bad = 1 + rng_below(&ev, BAD_KINDS - 1);

    out o = {buf, cap, 0};
    put_u64(&o, (uint64_t)ts);
    put(&o, ",", 1);
    put_u64(&o, b.pnr);
    put(&o, ",", 1);
    put_str(&o, bad == BAD_SPECIAL_TRAIN ? "04652" : trains[b.train].number);
    put(&o, ",", 1);
    put_str(&o, trains[b.train].stops[b.from]);
    put(&o, ",", 1);
    put_str(&o, trains[b.train].stops[b.to]);
    put(&o, ",", 1);
    put_str(&o, bad == BAD_CLASS_3AC ? "3AC" : bad == BAD_CLASS_EC ? "EC" : ir_class_name(b.cls));
    put(&o, ",", 1);
    put_u64(&o, bad == BAD_NO_SEATS ? 0 : bad == BAD_SEVEN_SEATS ? 7 : (uint64_t)b.seats);
    put(&o, ",", 1);
    if (bad != BAD_NO_FARE)
        put_u64(&o, (uint64_t)b.fare);
    put(&o, ",", 1);
    put_str(&o, bad == BAD_RAC ? "RAC" : ir_status_name(status));
    if (o.len < cap)
        buf[o.len] = '\0';
    return o.len;
}
