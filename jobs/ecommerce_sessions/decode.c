/* decode.c — input rows to events. Every field the issue lists is required, with its
 * type; amount_paise must be a positive integer on a purchase and, on a view or a cart,
 * only has to be present (its value, of any type, is ignored). A bad row is rejected
 * with a reason naming the first bad field, in the order the fields are listed. */
#include <string.h>

#include "ecom.h"

/* The reason for a string field that is absent or not a string, or NULL. */
static const char *get_str(const sg_row *row, const char *field, sg_bytes *out, const char *missing,
                           const char *wrong)
{
    int rc = sg_row_get_str(row, field, out);
    return rc == SG_OK ? NULL : rc == SG_NOTFOUND ? missing : wrong;
}

static bool bytes_is(sg_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && memcmp(b.data, s, n) == 0;
}

static const char *parse_type(sg_bytes type, uint32_t *out)
{
    if (bytes_is(type, "view"))
        *out = EC_VIEW;
    else if (bytes_is(type, "cart"))
        *out = EC_CART;
    else if (bytes_is(type, "purchase"))
        *out = EC_PURCHASE;
    else
        return "type must be view, cart or purchase";
    return NULL;
}

const char *ec_event_parse(const sg_row *row, sg_time gap_ms, int64_t *ts, ec_event *ev,
                           sg_bytes *user)
{
    sg_bytes type, product;
    const char *why;
    int rc = sg_row_get_i64(row, "ts", ts);
    if (rc != SG_OK)
        return rc == SG_NOTFOUND ? "missing field \"ts\""
                                 : "field \"ts\" is not an integer (int64 ms)";
    /* Its session would end past the int64 limit. Rejected here rather than by the
     * session operator so that the line itself is dead-lettered and so that it does
     * not raise the watermark, which would close every session at once. */
    if (*ts > SG_TIME_MAX - gap_ms)
        return "field \"ts\" is too close to the int64 limit for its session";
    if ((why = get_str(row, "user", user, "missing field \"user\"",
                       "field \"user\" is not a string")) ||
        (why = get_str(row, "type", &type, "missing field \"type\"",
                       "field \"type\" is not a string")) ||
        (why = parse_type(type, &ev->type)) ||
        (why = get_str(row, "product", &product, "missing field \"product\"",
                       "field \"product\" is not a string")))
        return why;
    int64_t amount = 0;
    rc = sg_row_get_i64(row, "amount_paise", &amount);
    if (rc == SG_NOTFOUND)
        return "missing field \"amount_paise\"";
    if (ev->type == EC_PURCHASE && (rc != SG_OK || amount <= 0))
        return "field \"amount_paise\" must be a positive integer on a purchase";
    ev->amount_paise = ev->type == EC_PURCHASE ? amount : 0;
    if (user->len > UINT32_MAX)
        return "field \"user\" is too long";
    ev->user_len = (uint32_t)user->len;
    return NULL;
}

int ec_decode(sg_ctx *ctx, const sg_row *row, void *udata)
{
    ec_event ev = {0};
    sg_bytes user, none = {0};
    int64_t ts;
    const ec_config *cfg = udata;
    const char *why = ec_event_parse(row, cfg->gap_ms, &ts, &ev, &user);
    if (why) {
        sg_ctx_reject(ctx, NULL, why);
        return SG_OK;
    }
    char *buf = sg_scratch_alloc(ctx, sizeof(ev) + user.len);
    if (!buf)
        return sg_ctx_errorf(ctx, SG_ENOMEM, "out of memory");
    memcpy(buf, &ev, sizeof(ev));
    if (user.len)
        memcpy(buf + sizeof(ev), user.data, user.len);
    sg_bytes value = {buf, sizeof(ev) + user.len};
    return sg_emit(ctx, ts, none, value);
}
