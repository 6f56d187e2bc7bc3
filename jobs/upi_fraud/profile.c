/* profile.c — per-payer profiles and login sets as bytes, and the features (profile.h).
 *
 *   profile: version u8 (1) | last_ts i64 | city_len u32 | city
 *            | n_recent u32 | n_recent x (ts i64, amount i64)
 *            | n_seen u32   | n_seen x (last_ts i64, kind u8, len u32, bytes)
 *   logins:  n u32 | n x (ts i64, len u32, device)
 *
 * kind is SEEN_DEVICE or SEEN_PAYEE. Times are compared through differences taken in
 * uint64 (span), so no ts near the int64 limits overflows. */
#include <string.h>

#include "profile.h"

#define PROFILE_VERSION 1
enum { SEEN_DEVICE = 0, SEEN_PAYEE = 1 };

/* ---- Reading and writing bytes -------------------------------------------------------- */

typedef struct reader {
    const unsigned char *p, *end;
    bool bad;
} reader;

/* A reader of b; b.data may be NULL when b is empty. */
static reader reader_of(sg_bytes b)
{
    reader r = {b.data, b.data ? (const unsigned char *)b.data + b.len : NULL, false};
    return r;
}

static const unsigned char *take(reader *r, size_t n)
{
    if (r->bad || n > (size_t)(r->end - r->p)) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *at = r->p;
    r->p += n;
    return at;
}

static int64_t get_i64(reader *r)
{
    int64_t v = 0;
    const unsigned char *p = take(r, sizeof(v));
    if (p)
        memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    const unsigned char *p = take(r, sizeof(v));
    if (p)
        memcpy(&v, p, sizeof(v));
    return v;
}

static sg_bytes get_str(reader *r)
{
    uint32_t len = get_u32(r);
    sg_bytes s = {take(r, len), len};
    if (!s.data)
        s.len = 0;
    return s;
}

static unsigned char *put(unsigned char *p, const void *v, size_t n)
{
    if (n)
        memcpy(p, v, n);
    return p + n;
}

static unsigned char *put_i64(unsigned char *p, int64_t v)
{
    return put(p, &v, sizeof(v));
}

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    return put(p, &v, sizeof(v));
}

static unsigned char *put_str(unsigned char *p, sg_bytes s)
{
    return put(put_u32(p, (uint32_t)s.len), s.data, s.len);
}

static bool same(sg_bytes a, sg_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* later - earlier < limit, exactly, for any int64 values (negative is below). */
static bool less_apart(int64_t later, int64_t earlier, int64_t limit)
{
    return later < earlier || (uint64_t)later - (uint64_t)earlier < (uint64_t)limit;
}

/* ---- Profiles and features ------------------------------------------------------------- */

size_t upi_profile_bound(size_t old_len, const upi_txn *t)
{
    /* A fresh header, one recent entry, two seen entries, and the strings. */
    return old_len + 1 + 8 + 4 + 4 + 16 + 4 + 2 * (8 + 1 + 4) + t->city.len + t->device.len +
           t->payee.len;
}

/* Copies the recent entries still within UPI_AMOUNT_MS of t, adds t, and counts. */
static unsigned char *update_recent(reader *r, bool fresh, const upi_txn *t, upi_features *f,
                                    unsigned char *out)
{
    uint32_t n = fresh ? 0 : get_u32(r), kept = 0;
    unsigned char *count_at = out;
    out += sizeof(uint32_t);
    f->velocity_60s = 1;
    f->amount_5m_paise = t->amount_paise;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        int64_t ts = get_i64(r), amount = get_i64(r);
        if (!less_apart(t->ts, ts, UPI_AMOUNT_MS))
            continue; /* no later transaction can need it either */
        if (less_apart(t->ts, ts, UPI_VELOCITY_MS))
            f->velocity_60s++;
        f->amount_5m_paise =
            amount > INT64_MAX - f->amount_5m_paise ? INT64_MAX : f->amount_5m_paise + amount;
        out = put_i64(put_i64(out, ts), amount);
        kept++;
    }
    out = put_i64(put_i64(out, t->ts), t->amount_paise);
    put_u32(count_at, kept + 1);
    return out;
}

/* Copies the devices and payees used within UPI_SEEN_MS of t (t's own with t.ts) and
 * adds t's if they were not among them. */
static unsigned char *update_seen(reader *r, bool fresh, const upi_txn *t, upi_features *f,
                                  unsigned char *out)
{
    uint32_t n = fresh ? 0 : get_u32(r), kept = 0;
    unsigned char *count_at = out;
    out += sizeof(uint32_t);
    f->new_device = f->new_payee = 1;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        int64_t last = get_i64(r);
        const unsigned char *kind = take(r, 1);
        sg_bytes s = get_str(r);
        if (r->bad || !less_apart(t->ts, last, UPI_SEEN_MS))
            continue;
        if (*kind == SEEN_DEVICE && same(s, t->device)) {
            f->new_device = 0;
            last = t->ts;
        } else if (*kind == SEEN_PAYEE && same(s, t->payee)) {
            f->new_payee = 0;
            last = t->ts;
        }
        out = put_str(put(put_i64(out, last), kind, 1), s);
        kept++;
    }
    static const unsigned char device = SEEN_DEVICE, payee = SEEN_PAYEE;
    if (f->new_device) {
        out = put_str(put(put_i64(out, t->ts), &device, 1), t->device);
        kept++;
    }
    if (f->new_payee) {
        out = put_str(put(put_i64(out, t->ts), &payee, 1), t->payee);
        kept++;
    }
    put_u32(count_at, kept);
    return out;
}

size_t upi_profile_update(sg_bytes old, const upi_txn *t, upi_features *f, void *out)
{
    reader r = reader_of(old);
    unsigned char *start = out, *p = out;
    static const unsigned char version = PROFILE_VERSION;
    memset(f, 0, sizeof(*f));
    if (old.len > 0) {
        const unsigned char *v = take(&r, 1);
        int64_t prev_ts = get_i64(&r);
        sg_bytes prev_city = get_str(&r);
        if (r.bad || *v != PROFILE_VERSION)
            return 0;
        f->city_jump = less_apart(t->ts, prev_ts, UPI_CITY_JUMP_MS) && !same(prev_city, t->city);
    }
    p = put_str(put_i64(put(p, &version, 1), t->ts), t->city);
    p = update_recent(&r, old.len == 0, t, f, p);
    p = update_seen(&r, old.len == 0, t, f, p);
    if (r.bad || r.p != r.end)
        return 0;
    return (size_t)(p - start);
}

bool upi_profile_last_ts(sg_bytes profile, int64_t *ts)
{
    reader r = reader_of(profile);
    const unsigned char *v = take(&r, 1);
    *ts = get_i64(&r);
    return !r.bad && *v == PROFILE_VERSION;
}

/* ---- Logins ----------------------------------------------------------------------------- */

size_t upi_logins_bound(size_t old_len, size_t device_len)
{
    return (old_len ? old_len : sizeof(uint32_t)) + 8 + 4 + device_len;
}

size_t upi_logins_add(sg_bytes old, int64_t ts, sg_bytes device, void *out)
{
    reader r = reader_of(old);
    uint32_t n = old.len ? get_u32(&r) : 0;
    bool dup = false;
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        int64_t at = get_i64(&r);
        sg_bytes d = get_str(&r);
        dup = dup || (at == ts && same(d, device));
    }
    if (r.bad || r.p != r.end)
        return 0;
    unsigned char *p = put_u32(out, n + !dup);
    if (old.len) /* the entries as they are */
        p = put(p, (const unsigned char *)old.data + sizeof(n), old.len - sizeof(n));
    if (!dup)
        p = put_str(put_i64(p, ts), device);
    return (size_t)(p - (unsigned char *)out);
}

int upi_logins_none(sg_bytes logins, int64_t at, sg_bytes device)
{
    reader r = reader_of(logins);
    uint32_t n = logins.len ? get_u32(&r) : 0;
    int none = 1;
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        int64_t ts = get_i64(&r);
        sg_bytes d = get_str(&r);
        /* ts in [at - UPI_LOGIN_MS, at], both ends included. */
        if (ts <= at && (uint64_t)at - (uint64_t)ts <= (uint64_t)UPI_LOGIN_MS && same(d, device))
            none = 0;
    }
    return r.bad || r.p != r.end ? -1 : none;
}

size_t upi_logins_prune(sg_bytes old, int64_t next_ts, void *out, uint32_t *n, int64_t *min_ts)
{
    reader r = reader_of(old);
    uint32_t total = old.len ? get_u32(&r) : 0;
    unsigned char *p = (unsigned char *)out + sizeof(uint32_t);
    *n = 0;
    *min_ts = SG_TIME_MAX;
    for (uint32_t i = 0; i < total && !r.bad; i++) {
        int64_t ts = get_i64(&r);
        sg_bytes d = get_str(&r);
        if (ts < next_ts && (uint64_t)next_ts - (uint64_t)ts > (uint64_t)UPI_LOGIN_MS)
            continue; /* before next_ts - UPI_LOGIN_MS */
        p = put_str(put_i64(p, ts), d);
        *min_ts = ts < *min_ts ? ts : *min_ts;
        ++*n;
    }
    if (r.bad || r.p != r.end)
        return 0;
    put_u32(out, *n);
    return (size_t)(p - (unsigned char *)out);
}
