/* fraud_op.c — the keyed (by payer) operator that scores transactions (upi.h).
 *
 * Transactions are scored in event-time order, equal ts in input order: each waits in
 * list state under namespace ts, with an event-time timer at ts, and on_timer(ts)
 * scores that list in order, then clears it. Records of one payer arrive in input
 * order (one source instance, and key_by keeps per-key order), so a list is in input
 * order too, and timers fire in ts order.
 *
 * Logins (upi_fraud_op2's port 1) go straight into the payer's login set. The
 * operator's watermark is the minimum of both inputs, so when the timer at t.ts fires,
 * every login with ts <= t.ts that is not late has arrived.
 *
 * Late means at or below the watermark that the record carries (sg_ctx_watermark): a
 * transaction with ts <= wm would be scored after transactions that follow it in event
 * time, and a login with ts <= wm may come after the transactions it concerns were
 * scored. Both are dropped and counted. The watermark a record carries is its own
 * source's, so which records are late depends on the input alone, not on parallelism.
 *
 * State per payer, all bounded (profile.h says what a profile keeps):
 *   pending  list per ts    transactions waiting for the watermark; cleared when scored
 *   profile  value, ns 0    dropped 30 days after the payer's last transaction
 *   logins   value, ns 0    logins of the last 10 minutes (pruned by a timer)
 *   expiry   value, ns 0    when the two cleanup timers are due (SG_TIME_MIN: none)
 * Invariant: a profile (a login set) exists exactly when expiry.profile_at
 * (expiry.logins_at) is set, and an event-time timer is pending at that time. One
 * cleanup timer per payer and purpose, re-armed when it fires, rather than one per
 * transaction: timers are state too. All state is keyed: no snapshot callback. */
#include <string.h>

#include "profile.h"
#include "upi.h"

#define NONE SG_TIME_MIN

typedef struct fraud_self {
    sg_state_id pending, profile, logins, expiry;
} fraud_self;

typedef struct expiry {
    int64_t profile_at, logins_at;
} expiry;

static int64_t add_sat(int64_t ts, int64_t d)
{
    return ts > SG_TIME_MAX - d ? SG_TIME_MAX : ts + d;
}

static int fo_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    fraud_self *f = self;
    int rc;
    SG_UNUSED(restore); /* everything is keyed state and timers */
    if ((rc = sg_state_declare(ctx, "pending", SG_STATE_LIST, &f->pending)) < 0 ||
        (rc = sg_state_declare(ctx, "profile", SG_STATE_VALUE, &f->profile)) < 0 ||
        (rc = sg_state_declare(ctx, "logins", SG_STATE_VALUE, &f->logins)) < 0)
        return rc;
    return sg_state_declare(ctx, "expiry", SG_STATE_VALUE, &f->expiry);
}

/* ---- Cleanup timers ---------------------------------------------------------------------- */

static int get_expiry(sg_ctx *ctx, const fraud_self *f, expiry *e)
{
    sg_bytes v;
    int rc = sg_state_get(ctx, f->expiry, 0, &v);
    e->profile_at = e->logins_at = NONE;
    if (rc < 0)
        return rc;
    if (rc == SG_OK && v.len != sizeof(*e))
        return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt expiry state");
    if (rc == SG_OK)
        memcpy(e, v.data, sizeof(*e));
    return SG_OK;
}

static int put_expiry(sg_ctx *ctx, const fraud_self *f, const expiry *e)
{
    sg_bytes v = {e, sizeof(*e)};
    if (e->profile_at == NONE && e->logins_at == NONE)
        return sg_state_clear(ctx, f->expiry, 0);
    return sg_state_put(ctx, f->expiry, 0, v);
}

/* Arms one of the payer's cleanup timers at 'at', unless it is armed already. */
static int arm(sg_ctx *ctx, const fraud_self *f, bool profile, int64_t at)
{
    expiry e;
    int rc;
    if ((rc = get_expiry(ctx, f, &e)) < 0)
        return rc;
    int64_t *slot = profile ? &e.profile_at : &e.logins_at;
    if (*slot != NONE)
        return SG_OK;
    *slot = at;
    if ((rc = sg_timer_set(ctx, SG_TIME_EVENT, at)) < 0)
        return rc;
    return put_expiry(ctx, f, &e);
}

/* The profile's timer at now: drop the profile if its last transaction is 30 days old
 * (or the input has ended), else wait until it will be. */
static int expire_profile(sg_ctx *ctx, const fraud_self *f, sg_time now, expiry *e)
{
    sg_bytes v;
    int64_t last;
    int rc = sg_state_get(ctx, f->profile, 0, &v);
    if (rc < 0)
        return rc;
    if (rc == SG_OK && !upi_profile_last_ts(v, &last))
        return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt profile state");
    e->profile_at = rc == SG_OK ? add_sat(last, UPI_SEEN_MS) : NONE;
    if (e->profile_at != NONE && e->profile_at > now)
        return sg_timer_set(ctx, SG_TIME_EVENT, e->profile_at);
    e->profile_at = NONE;
    return sg_state_clear(ctx, f->profile, 0);
}

/* The logins' timer at now: keep those a transaction after now may need, and wait until
 * the earliest of them is no longer needed. */
static int expire_logins(sg_ctx *ctx, const fraud_self *f, sg_time now, expiry *e)
{
    sg_bytes v;
    uint32_t n = 0;
    int64_t min_ts;
    int rc = sg_state_get(ctx, f->logins, 0, &v);
    if (rc < 0)
        return rc;
    e->logins_at = NONE;
    if (rc == SG_OK && now < SG_TIME_MAX) {
        void *buf = sg_scratch_alloc(ctx, v.len + sizeof(uint32_t));
        if (!buf)
            return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
        size_t len = upi_logins_prune(v, now + 1, buf, &n, &min_ts);
        if (len == 0)
            return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt logins state");
        sg_bytes kept = {buf, len};
        if (n > 0 && (rc = sg_state_put(ctx, f->logins, 0, kept)) < 0)
            return rc;
    }
    if (n == 0)
        return sg_state_clear(ctx, f->logins, 0);
    e->logins_at = add_sat(min_ts, UPI_LOGIN_MS); /* > now: min_ts >= now + 1 - UPI_LOGIN_MS */
    return sg_timer_set(ctx, SG_TIME_EVENT, e->logins_at);
}

static int housekeeping(sg_ctx *ctx, const fraud_self *f, sg_time now)
{
    expiry e;
    int rc;
    if ((rc = get_expiry(ctx, f, &e)) < 0)
        return rc;
    bool profile_due = e.profile_at != NONE && e.profile_at <= now;
    bool logins_due = e.logins_at != NONE && e.logins_at <= now;
    if (!profile_due && !logins_due)
        return SG_OK; /* the timer of pending transactions only */
    if (profile_due && (rc = expire_profile(ctx, f, now, &e)) < 0)
        return rc;
    if (logins_due && (rc = expire_logins(ctx, f, now, &e)) < 0)
        return rc;
    return put_expiry(ctx, f, &e);
}

/* ---- Scoring ------------------------------------------------------------------------------- */

static int emit_scored(sg_ctx *ctx, const upi_txn *t, const upi_features *ft)
{
    const upi_config *cfg = sg_ctx_udata(ctx);
    double score = upi_score(&cfg->model, ft);
    upi_scored s = {
        .velocity_60s = ft->velocity_60s,
        .amount_5m_paise = ft->amount_5m_paise,
        .new_device = ft->new_device,
        .new_payee = ft->new_payee,
        .city_jump = ft->city_jump,
        .no_login = ft->no_login,
        .score = score,
        .alert = score >= cfg->threshold,
        .txn_id_len = t->txn_id.len,
    };
    unsigned char *buf = sg_scratch_alloc(ctx, sizeof(s) + t->txn_id.len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(buf, &s, sizeof(s));
    if (t->txn_id.len)
        memcpy(buf + sizeof(s), t->txn_id.data, t->txn_id.len);
    sg_bytes value = {buf, sizeof(s) + t->txn_id.len};
    return sg_emit(ctx, t->ts, sg_ctx_key(ctx), value);
}

/* Whether the payer logged in on t's device in the 10 minutes up to t. */
static int no_login(sg_ctx *ctx, const fraud_self *f, const upi_txn *t, int *out)
{
    sg_bytes v;
    int rc = sg_state_get(ctx, f->logins, 0, &v);
    if (rc < 0)
        return rc;
    *out = rc == SG_NOTFOUND ? 1 : upi_logins_none(v, t->ts, t->device);
    return *out < 0 ? sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt logins state") : SG_OK;
}

/* Scores one buffered transaction (a list item) and updates the payer's profile. */
static int score_one(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const upi_config *cfg = sg_ctx_udata(ctx);
    const fraud_self *f = ud;
    upi_txn t;
    upi_features ft;
    sg_bytes old = {0};
    int rc;
    if (!upi_txn_read(item, &t))
        return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt pending transaction");
    if ((rc = sg_state_get(ctx, f->profile, 0, &old)) < 0)
        return rc;
    bool fresh = rc == SG_NOTFOUND;
    if (fresh)
        old.len = 0;
    void *buf = sg_scratch_alloc(ctx, upi_profile_bound(old.len, &t));
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    sg_bytes updated = {buf, upi_profile_update(old, &t, &ft, buf)};
    if (updated.len == 0)
        return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt profile state");
    if ((rc = sg_state_put(ctx, f->profile, 0, updated)) < 0)
        return rc;
    if (fresh && (rc = arm(ctx, f, true, add_sat(t.ts, UPI_SEEN_MS))) < 0)
        return rc;
    if (cfg->with_logins && (rc = no_login(ctx, f, &t, &ft.no_login)) < 0)
        return rc;
    return emit_scored(ctx, &t, &ft);
}

/* ---- Callbacks ------------------------------------------------------------------------------ */

static int add_login(sg_ctx *ctx, const fraud_self *f, const sg_record *rec)
{
    upi_login l;
    sg_bytes old = {0};
    int rc;
    if (!upi_login_read(rec->value, &l))
        return sg_ctx_errorf(ctx, SG_ESERDE, "upi-fraud: a login record is malformed");
    if ((rc = sg_state_get(ctx, f->logins, 0, &old)) < 0)
        return rc;
    bool fresh = rc == SG_NOTFOUND;
    if (fresh)
        old.len = 0;
    void *buf = sg_scratch_alloc(ctx, upi_logins_bound(old.len, l.device.len));
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    sg_bytes updated = {buf, upi_logins_add(old, l.ts, l.device, buf)};
    if (updated.len == 0)
        return sg_ctx_errorf(ctx, SG_ESTATE, "upi-fraud: corrupt logins state");
    if ((rc = sg_state_put(ctx, f->logins, 0, updated)) < 0)
        return rc;
    return fresh ? arm(ctx, f, false, add_sat(l.ts, UPI_LOGIN_MS)) : SG_OK;
}

static int fo_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    const fraud_self *f = self;
    int rc;
    if (rec->ts <= sg_ctx_watermark(ctx)) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if (port == 1)
        return add_login(ctx, f, rec);
    if ((rc = sg_state_list_add(ctx, f->pending, rec->ts, rec->value)) < 0)
        return rc;
    return sg_timer_set(ctx, SG_TIME_EVENT, rec->ts); /* one per (payer, ts) */
}

static int fo_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    const fraud_self *f = self;
    int rc;
    SG_UNUSED(d); /* event-time timers only */
    if ((rc = sg_state_list_each(ctx, f->pending, ts, score_one, self)) < 0)
        return rc;
    if ((rc = sg_state_clear(ctx, f->pending, ts)) < 0)
        return rc;
    return housekeeping(ctx, f, ts); /* after scoring: transactions at ts may need it */
}

const sg_operator_def upi_fraud_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "upi-fraud",
    .self_size = sizeof(fraud_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = fo_open,
    .process = fo_process,
    .on_timer = fo_on_timer,
};

const sg_operator_def upi_fraud_op2 = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "upi-fraud",
    .self_size = sizeof(fraud_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 2,
    .open = fo_open,
    .process = fo_process,
    .on_timer = fo_on_timer,
};
