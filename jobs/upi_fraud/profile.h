/* profile.h — what the operator remembers per payer, and the features computed from it.
 * Pure functions on bytes (no engine calls), so the feature rules can be tested alone.
 *
 * A profile holds only what a later transaction's features can still need:
 *   - the previous transaction's ts and city (city_jump);
 *   - the (ts, amount) of the transactions of the last 5 minutes (velocity_60s and
 *     amount_5m_paise), pruned at every update;
 *   - the last ts each device and payee was used, pruned once 30 days old.
 * The operator drops a whole profile 30 days after the payer's last transaction
 * (fraud_op.c); until then the last 5 minutes of payments and 30 days of devices and
 * payees stay, bounded by what one payer did in those spans. A logins set holds (ts,
 * device) of a payer's logins; the operator prunes it to the last 10 minutes. Both are
 * rewritten whole on every change: O(size), which is small for a payer (tens of
 * devices and payees a month), and keeps one state value per payer. */
#ifndef UPI_PROFILE_H
#define UPI_PROFILE_H

#include "upi.h"

/* Bytes that upi_profile_update may write for a profile of old_len bytes and t. */
size_t upi_profile_bound(size_t old_len, const upi_txn *t);

/* Computes t's features, all but no_login (left 0), from the profile old [borrowed]
 * (empty: the payer's first transaction), and writes the profile after t into out
 * [out] (upi_profile_bound bytes). Transactions must come in the order they are
 * scored: ts non-decreasing, equal ts in input order. Returns the new profile's
 * length, or 0 when old is malformed. */
size_t upi_profile_update(sg_bytes old, const upi_txn *t, upi_features *f, void *out);

/* The ts of the last transaction in profile [borrowed]; false when malformed. */
bool upi_profile_last_ts(sg_bytes profile, int64_t *ts);

/* Bytes that upi_logins_add may write. */
size_t upi_logins_bound(size_t old_len, size_t device_len);

/* Adds a login (ts, device) to the set old [borrowed] (empty: none yet), into out
 * [out]; a login already in the set is not added twice. Returns the new length, or 0
 * when old is malformed. */
size_t upi_logins_add(sg_bytes old, int64_t ts, sg_bytes device, void *out);

/* no_login of a transaction at ts on device: 1 when the set has no login of device
 * with ts in [at - UPI_LOGIN_MS, at], else 0; -1 when logins is malformed. */
int upi_logins_none(sg_bytes logins, int64_t at, sg_bytes device);

/* Keeps the logins that a transaction at next_ts or later may need (ts >= next_ts -
 * UPI_LOGIN_MS) in out [out] (at most old.len or 4 bytes), sets *n to how many and *min_ts
 * to the earliest of them. Returns the new length, or 0 when old is malformed. */
size_t upi_logins_prune(sg_bytes old, int64_t next_ts, void *out, uint32_t *n, int64_t *min_ts);

#endif
