/* upi.h — the upi_fraud job's pieces, shared by job.c, the operator and the tests:
 * the records that flow between them (decoded transactions and logins, scored
 * transactions), the model and its configuration, the operator and the generators.
 *
 * Records are bytes (sangam.h): each kind below has a size, a write and a read
 * function. A read returns views into the bytes it was given (rule 2 of sangam.h
 * applies to them) and false when the bytes are not a well-formed record, which
 * for our own records means corrupted state. Integers are in host byte order: the
 * bytes never leave the process except through snapshots of the same build. */
#ifndef UPI_H
#define UPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

/* ---- Spans of event time the features look back over (ms) -------------------------- */

#define UPI_VELOCITY_MS INT64_C(60000)   /* velocity_60s: ts > t.ts - 60000 */
#define UPI_AMOUNT_MS INT64_C(300000)    /* amount_5m_paise: ts > t.ts - 300000 */
#define UPI_SEEN_MS INT64_C(2592000000)  /* new_device/new_payee: t.ts - prev.ts < 30 d */
#define UPI_CITY_JUMP_MS INT64_C(600000) /* city_jump: t.ts - prev.ts < 600000 */
#define UPI_LOGIN_MS INT64_C(600000)     /* no_login: login ts in [t.ts - 600000, t.ts] */

/* ---- A transaction and a login, as the decoders emit them --------------------------- */

typedef struct upi_txn {
    int64_t ts, amount_paise;
    sg_bytes txn_id, payer, payee, device, city;
} upi_txn;

typedef struct upi_login {
    int64_t ts;
    sg_bytes payer, device;
} upi_login;

size_t upi_txn_size(const upi_txn *t);
/* Writes t into out [out], which holds upi_txn_size(t) bytes. */
void upi_txn_write(const upi_txn *t, void *out);
/* Reads in [borrowed] into *t [out], whose strings point into in. */
bool upi_txn_read(sg_bytes in, upi_txn *t);

size_t upi_login_size(const upi_login *l);
void upi_login_write(const upi_login *l, void *out);
bool upi_login_read(sg_bytes in, upi_login *l);

/* ---- Features, the model and the score ----------------------------------------------- */

enum {
    UPI_F_VELOCITY,
    UPI_F_AMOUNT,
    UPI_F_NEW_DEVICE,
    UPI_F_NEW_PAYEE,
    UPI_F_CITY_JUMP,
    UPI_F_NO_LOGIN,
    UPI_N_FEATURES
};
/* The features' names, as in the model file and the output header, in enum order. */
extern const char *const upi_feature_names[UPI_N_FEATURES];

typedef struct upi_features {
    int64_t velocity_60s;    /* >= 1: t itself counts */
    int64_t amount_5m_paise; /* saturates at INT64_MAX rather than overflow */
    int new_device, new_payee, city_jump, no_login; /* 0 or 1 */
} upi_features;

/* Logistic regression: score = 1 / (1 + exp(-(bias + sum w[i] * x[i]))). */
typedef struct upi_model {
    double bias;
    double w[UPI_N_FEATURES];
} upi_model;

/* The model input x[i] of each feature: min(velocity, 10), log10(1 + amount / 100.0)
 * (the amount in rupees), and the 0/1 flags as they are. */
void upi_model_inputs(const upi_features *f, double x[UPI_N_FEATURES]);
double upi_score(const upi_model *m, const upi_features *f);

/* Parses a model file's text (JSON: {"bias": N, "weights": {"velocity_60s": N, ...}},
 * every weight required, other top-level keys ignored). Returns 0, or -1 with a
 * one-line reason in err (errlen bytes). */
int upi_model_parse(const char *text, size_t len, upi_model *m, char *err, size_t errlen);
/* Reads and parses the file at path; -1 with a reason naming what is wrong. */
int upi_model_load(const char *path, upi_model *m, char *err, size_t errlen);

/* ---- Scored transactions: the operator's output -------------------------------------- */

/* The value of an output record; its key is the payer and its ts the transaction's.
 * All fields are 8 bytes, so there is no padding; txn_id's bytes follow. */
typedef struct upi_scored {
    int64_t velocity_60s, amount_5m_paise;
    int64_t new_device, new_payee, city_jump, no_login;
    double score;
    int64_t alert;
    uint64_t txn_id_len;
} upi_scored;

/* ---- The operator --------------------------------------------------------------------- */

/* The operator's udata (allocated with sg_job_alloc, read-only while running). */
typedef struct upi_config {
    upi_model model;
    double threshold; /* alert when score >= threshold; in [0, 1] */
    bool with_logins; /* false: no_login is always 0 */
} upi_config;

/* Keyed by payer. Port 0: transactions (upi_txn values), buffered until the watermark
 * passes their ts, then scored in (ts, arrival) order. Port 1 (upi_fraud_op2 only):
 * logins (upi_login values), kept for UPI_LOGIN_MS. Emits upi_scored records. */
extern const sg_operator_def upi_fraud_op;  /* one input: transactions only */
extern const sg_operator_def upi_fraud_op2; /* two inputs: transactions, logins */

/* ---- The generators --------------------------------------------------------------------- */

/* gen:upi?count=N&rate=R&seed=S&start=MS&disorder=MS&payers=P — transactions, and
 * gen:upi_logins with the same parameters — the logins that go with them. */
extern const sg_source_def upi_txn_generator;
extern const sg_source_def upi_login_generator;

#endif
