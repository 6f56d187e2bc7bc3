/* record.c — the bytes of a decoded transaction and login (upi.h).
 *
 *   transaction: ts i64 | amount_paise i64 | 5 x len u32 | txn_id payer payee device city
 *   login:       ts i64 | 2 x len u32 | payer device
 *
 * Strings are stored back to back after the fixed part, without terminators. Each
 * string of a line is shorter than a line, so u32 lengths always suffice. */
#include <string.h>

#include "upi.h"

#define TXN_FIXED (2 * sizeof(int64_t) + 5 * sizeof(uint32_t))
#define LOGIN_FIXED (sizeof(int64_t) + 2 * sizeof(uint32_t))

static unsigned char *put_strings(unsigned char *p, const sg_bytes *s, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t len = (uint32_t)s[i].len;
        memcpy(p, &len, sizeof(len));
        p += sizeof(len);
    }
    for (int i = 0; i < n; i++) {
        if (s[i].len)
            memcpy(p, s[i].data, s[i].len);
        p += s[i].len;
    }
    return p;
}

/* Reads n lengths at p and points s[] at the strings after them; false when they do
 * not end exactly at end. */
static bool get_strings(const unsigned char *p, const unsigned char *end, sg_bytes *s, int n)
{
    const unsigned char *str = p + (size_t)n * sizeof(uint32_t);
    if (str > end)
        return false;
    for (int i = 0; i < n; i++) {
        uint32_t len;
        memcpy(&len, p + (size_t)i * sizeof(len), sizeof(len));
        if (len > (size_t)(end - str))
            return false;
        s[i].data = str;
        s[i].len = len;
        str += len;
    }
    return str == end;
}

size_t upi_txn_size(const upi_txn *t)
{
    return TXN_FIXED + t->txn_id.len + t->payer.len + t->payee.len + t->device.len + t->city.len;
}

void upi_txn_write(const upi_txn *t, void *out)
{
    unsigned char *p = out;
    sg_bytes s[5] = {t->txn_id, t->payer, t->payee, t->device, t->city};
    memcpy(p, &t->ts, sizeof(t->ts));
    memcpy(p + sizeof(int64_t), &t->amount_paise, sizeof(t->amount_paise));
    put_strings(p + 2 * sizeof(int64_t), s, 5);
}

bool upi_txn_read(sg_bytes in, upi_txn *t)
{
    const unsigned char *p = in.data;
    sg_bytes s[5];
    if (in.len < TXN_FIXED)
        return false;
    memcpy(&t->ts, p, sizeof(t->ts));
    memcpy(&t->amount_paise, p + sizeof(int64_t), sizeof(t->amount_paise));
    if (!get_strings(p + 2 * sizeof(int64_t), p + in.len, s, 5))
        return false;
    t->txn_id = s[0];
    t->payer = s[1];
    t->payee = s[2];
    t->device = s[3];
    t->city = s[4];
    return true;
}

size_t upi_login_size(const upi_login *l)
{
    return LOGIN_FIXED + l->payer.len + l->device.len;
}

void upi_login_write(const upi_login *l, void *out)
{
    unsigned char *p = out;
    sg_bytes s[2] = {l->payer, l->device};
    memcpy(p, &l->ts, sizeof(l->ts));
    put_strings(p + sizeof(int64_t), s, 2);
}

bool upi_login_read(sg_bytes in, upi_login *l)
{
    const unsigned char *p = in.data;
    sg_bytes s[2];
    if (in.len < LOGIN_FIXED)
        return false;
    memcpy(&l->ts, p, sizeof(l->ts));
    if (!get_strings(p + sizeof(int64_t), p + in.len, s, 2))
        return false;
    l->payer = s[0];
    l->device = s[1];
    return true;
}
