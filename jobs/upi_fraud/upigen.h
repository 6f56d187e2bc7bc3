/* upigen.h — a deterministic generator of UPI payments and the logins that go with
 * them, as JSON lines, for gen:upi and gen:upi_logins. Pure: no engine calls.
 *
 * Transaction number seq is a pure function of (config, seq), and so is its login:
 * both generators, given the same parameters, describe the same payments. Payers
 * (name-based VPAs on real bank handles) have a home city, one or two devices and
 * favourite payees (people and merchants); amounts are bucketed from chai-stall to
 * rent sized. Event time runs at 'rate' payments a second, except in a festival-sale
 * surge (the last 5 minutes of every 20: three times the rate, and half the payments
 * go to e-commerce merchants with bigger baskets). Each payment's ts is late by a
 * jitter in [0, max_disorder_ms].
 *
 * A few percent of payments are fraud, in episodes that take over a stretch of the
 * sequence (a block of 64 numbers holds at most one): a burst of 6-10 payments from a
 * new device to mule accounts (velocity), an account takeover (new device, new payee,
 * large amounts, another city), a city jump (a normal payment, then one from a far
 * city moments later), and a single very large payment to a new payee. A payment has
 * a login 2 minutes (plus jitter) before it on its device, except 4% of honest ones
 * and every fraudulent one (whose payer may log in on their own device instead).
 *
 * Lines (no newline at the end):
 *   {"ts": 1792434600000, "txn_id": "UPI100000000007", "payer": "priya.sharma17@okhdfcbank",
 *    "payee": "swiggy@icici", "amount_paise": 34500, "device": "android-3f9a0c12",
 *    "city": "Pune"}
 *   {"ts": 1792434480000, "payer": "priya.sharma17@okhdfcbank", "device": "android-3f9a0c12"}
 */
#ifndef UPI_UPIGEN_H
#define UPI_UPIGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every line is shorter than this. */
#define UPI_GEN_LINE_MAX 512

/* 2026-10-20T00:00:00+05:30, the default start: the Diwali shopping week. */
#define UPI_GEN_START_MS INT64_C(1792434600000)
/* A login comes this long (plus its own jitter) before the payment it is for. */
#define UPI_GEN_LOGIN_LEAD_MS INT64_C(120000)

typedef struct upi_gen_config {
    uint64_t seed;           /* any value; same seed, same payments */
    int64_t start_ms;        /* event time of payment 0, before jitter; 0..4e18 */
    int64_t rate;            /* payments per second of event time outside sales; 1..1e6 */
    int64_t max_disorder_ms; /* 0..1e9 */
    int64_t payers;          /* size of the payer population; 1..1e7 */
} upi_gen_config;

/* 0 when every field is in range, else -1. Sources generate at most UPI_GEN_COUNT_MAX
 * payments, which keeps every event time within int64. */
#define UPI_GEN_COUNT_MAX INT64_C(1000000000000)
int upi_gen_check(const upi_gen_config *cfg);

typedef enum upi_gen_kind {
    UPI_GEN_NORMAL,
    UPI_GEN_BURST,
    UPI_GEN_TAKEOVER,
    UPI_GEN_CITY_JUMP,
    UPI_GEN_BIG_AMOUNT,
} upi_gen_kind;

/* One generated payment and its login. */
typedef struct upi_gen_txn {
    int64_t ts, amount_paise;
    upi_gen_kind kind; /* the fraud episode it belongs to, or UPI_GEN_NORMAL */
    bool fraud;        /* false for an episode's honest part (a city jump's first payment) */
    bool sale;         /* made during a festival-sale surge */
    bool has_login;    /* gen:upi_logins has a login for it */
    int64_t login_ts;
    char txn_id[24], payer[64], payee[64], device[24], login_device[24], city[24];
} upi_gen_txn;

/* Payment seq of cfg [in] (checked) into *out [out]. */
void upi_gen_txn_at(const upi_gen_config *cfg, uint64_t seq, upi_gen_txn *out);

/* Payment seq (or its login) as one JSON line in buf [out], snprintf style: returns the
 * length, and the line is complete when that is < cap. upi_gen_login_line returns 0
 * when payment seq has no login. */
size_t upi_gen_txn_line(const upi_gen_config *cfg, uint64_t seq, char *buf, size_t cap);
size_t upi_gen_login_line(const upi_gen_config *cfg, uint64_t seq, char *buf, size_t cap);

#endif
